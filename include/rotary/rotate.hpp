// SPDX-License-Identifier: MIT
#pragma once
/// The public rotation entry points.
///
///   rotate<P>(x, angles, pos [, rotary_offset])            x <- R_m x, in place
///   rotate<P>(in, out, angles, pos [, rotary_offset])      out <- R_m in
///   rotate_transpose<P>(...)                               R_m^T: the backward pass
///                                                          (gradient w.r.t. the input)
///   unrotate<P>(...)                                       R_m^{-1}: recovers the input
///   rotate(p, ...), rotate_transpose(p, ...), unrotate(p, ...)  runtime pairing
///
/// x, in, out: [num_tokens][num_heads][head_dim] views (view.hpp), head_dim stride 1;
/// angles: a cos_sin_table, cos_sin_view or on_the_fly_angles with the compute type of T;
/// pos: positions (positions.hpp). Each pair of the slice [rotary_offset, rotary_offset +
/// rotary_dim) of every head of token t is rotated by m * theta_i, m = position of t; the
/// other elements pass through (copied when out-of-place).
///
/// For plain RoPE, R_m is orthogonal, so the transpose and the inverse coincide; they are
/// separate functions because a scaled rotation (an attention factor on cos and sin, as in
/// YaRN) keeps the factor in the backward pass and divides by it in the inverse.
///
/// Checks (always on, before any element is written): every parameter listed in
/// detail::check_job; rotary::invalid_argument for a bad parameter, rotary::out_of_range
/// for a position past a table. Nothing is checked per element.

#include <type_traits>
#include <utility>

#include "detail/rotate_impl.hpp"

namespace rotary {
namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN

template <pairing P, bool Transpose, class In, class T, class Angles>
void run_rotation(const char* function, tensor_view<In, 3> in, tensor_view<T, 3> out,
                  const Angles& angles, const positions& pos, std::ptrdiff_t rotary_offset) {
  decltype(auto) source = angle_source(angles);
  using Source = std::remove_cv_t<std::remove_reference_t<decltype(source)>>;
  static_check_rotation<In, T, Source>();
  const rotation_job<T, Source> job{in, out, source, pos, rotary_offset};
  check_job(function, job);
  rotate_tokens<P, Transpose>(job, 0, in.extent(0));
}

ROTARY_ISA_NAMESPACE_END

template <class Angles>
using enable_if_angles = std::enable_if_t<is_angle_source<Angles>::value, int>;

}  // namespace detail

ROTARY_ISA_NAMESPACE_BEGIN

/// x <- R_m x (RoFormer eq. 14-15, computed as eq. 34), in place.
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate(tensor_view<T, 3> x, const Angles& angles, const positions& pos,
            std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation<P, false>("rotate", tensor_view<const T, 3>(x), x, angles, pos,
                                 rotary_offset);
}
/// out <- R_m in; in and out are the same view or disjoint.
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate(tensor_view<In, 3> in, tensor_view<T, 3> out, const Angles& angles,
            const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation<P, false>("rotate", in, out, angles, pos, rotary_offset);
}

/// x <- R_m^T x: the backward pass of rotate (dL/dx = R_m^T dL/dy).
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate_transpose(tensor_view<T, 3> x, const Angles& angles, const positions& pos,
                      std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation<P, true>("rotate_transpose", tensor_view<const T, 3>(x), x, angles,
                                pos, rotary_offset);
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate_transpose(tensor_view<In, 3> in, tensor_view<T, 3> out, const Angles& angles,
                      const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation<P, true>("rotate_transpose", in, out, angles, pos, rotary_offset);
}

/// x <- R_m^{-1} x: undoes rotate (for plain RoPE, R_m^{-1} = R_m^T).
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void unrotate(tensor_view<T, 3> x, const Angles& angles, const positions& pos,
              std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation<P, true>("unrotate", tensor_view<const T, 3>(x), x, angles, pos,
                                rotary_offset);
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void unrotate(tensor_view<In, 3> in, tensor_view<T, 3> out, const Angles& angles,
              const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation<P, true>("unrotate", in, out, angles, pos, rotary_offset);
}

/// Runtime pairing: dispatches to the template above.
template <class... Args>
void rotate(pairing p, Args&&... args) {
  p == pairing::interleaved ? rotate<pairing::interleaved>(std::forward<Args>(args)...)
                            : rotate<pairing::half>(std::forward<Args>(args)...);
}
template <class... Args>
void rotate_transpose(pairing p, Args&&... args) {
  p == pairing::interleaved ? rotate_transpose<pairing::interleaved>(std::forward<Args>(args)...)
                            : rotate_transpose<pairing::half>(std::forward<Args>(args)...);
}
template <class... Args>
void unrotate(pairing p, Args&&... args) {
  p == pairing::interleaved ? unrotate<pairing::interleaved>(std::forward<Args>(args)...)
                            : unrotate<pairing::half>(std::forward<Args>(args)...);
}

ROTARY_ISA_NAMESPACE_END
}  // namespace rotary
