// SPDX-License-Identifier: MIT
#pragma once
/// y *= f over the rotated elements of every head of a checked view: the division by A^2
/// of rope::inverse with a cos/sin factor A (rope.hpp). Each element is read in the compute
/// type C, multiplied, and rounded once to its storage type. Runs after the checks.

#include <cstddef>
#include <type_traits>

#include "../config.hpp"
#include "../element_type.hpp"
#include "../pairing.hpp"
#include "../view.hpp"
#include "driver.hpp"

namespace rotary {
namespace detail {
// NOTE: in the ISA's inline namespace: the compiler vectorizes this loop for the
// translation unit's instruction set (config.hpp).
ROTARY_ISA_NAMESPACE_BEGIN

template <class C, class T, std::size_t Rank>
void scale_rotated(const tensor_view<T, Rank>& y, const slice_geometry& g, pairing p,
                   double factor) noexcept {
  using S = storage_type_t<T>;
  const C f = static_cast<C>(factor);
  const std::ptrdiff_t batch = Rank == 4 ? y.extent(0) : 1;
  const std::ptrdiff_t seq = y.extent(Rank == 4 ? 1 : 0);
  const std::ptrdiff_t heads = y.extent(Rank - 2);
  const std::ptrdiff_t batch_stride = Rank == 4 ? y.stride(0) : 0;
  const std::ptrdiff_t token_stride = y.stride(Rank == 4 ? 1 : 0);
  const std::ptrdiff_t head_stride = y.stride(Rank - 2);
  // The rotated elements of a head: one range (interleaved) or two (half_split).
  const std::ptrdiff_t first_end = g.offset + (p == pairing::interleaved ? 2 * g.pairs : g.pairs);
  const std::ptrdiff_t second = p == pairing::interleaved ? first_end : g.offset + g.distance;
  const std::ptrdiff_t second_end = p == pairing::interleaved ? first_end : second + g.pairs;
  S* base = reinterpret_cast<S*>(y.data());
  for (std::ptrdiff_t b = 0; b < batch; ++b) {
    for (std::ptrdiff_t s = 0; s < seq; ++s) {
      for (std::ptrdiff_t h = 0; h < heads; ++h) {
        S* x = base + b * batch_stride + s * token_stride + h * head_stride;
        for (std::ptrdiff_t e = g.offset; e < first_end; ++e) {
          x[e] = static_cast<S>(static_cast<C>(x[e]) * f);
        }
        for (std::ptrdiff_t e = second; e < second_end; ++e) {
          x[e] = static_cast<S>(static_cast<C>(x[e]) * f);
        }
      }
    }
  }
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
