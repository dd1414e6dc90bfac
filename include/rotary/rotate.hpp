// SPDX-License-Identifier: MIT
#pragma once
/// The one-line free functions, for a single call without a rope object:
///
///   rotate<P>(x, angles, pos [, rotary_offset])         x <- R_m x, in place
///   rotate<P>(in, out, angles, pos [, rotary_offset])   out <- R_m in
///
/// Exactly rope(angles, P, {rotary_offset}).forward(...) (rope.hpp), errors naming
/// "rotate". For the transpose, the inverse, q and k together, threads or a run-time
/// pairing, build a rope.

#include <cstddef>
#include <type_traits>

#include "angle_source.hpp"
#include "positions.hpp"
#include "rope.hpp"
#include "view.hpp"

namespace rotary {
namespace detail {
template <class Angles>
using enable_if_angles = std::enable_if_t<is_angle_source<Angles>::value, int>;
}  // namespace detail

ROTARY_ISA_NAMESPACE_BEGIN

/// x <- R_m x (RoFormer eq. 14-15, computed as eq. 34), in place.
template <pairing P, class T, std::size_t R, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate(tensor_view<T, R> x, const Angles& angles, const positions& pos,
            std::ptrdiff_t rotary_offset = 0) {
  const auto r = detail::rope_access::make("rotate", angles, P, {rotary_offset});
  detail::rope_access::call("rotate", r, direction::forward, x, pos);
}

/// out <- R_m in; in and out are the same view or share no element.
template <pairing P, class In, class Out, std::size_t R, class Angles,
          detail::enable_if_angles<Angles> = 0>
void rotate(tensor_view<In, R> in, tensor_view<Out, R> out, const Angles& angles,
            const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  const auto r = detail::rope_access::make("rotate", angles, P, {rotary_offset});
  detail::rope_access::call("rotate", r, direction::forward, in, out, pos);
}

ROTARY_ISA_NAMESPACE_END
}  // namespace rotary
