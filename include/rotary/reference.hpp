// SPDX-License-Identifier: MIT
#pragma once
/// rotate_reference: the plain scalar RoPE kernel, one pair at a time, no SIMD and no
/// per-token tricks. It is shipped so that users can check their own kernels (or ours, on
/// their platform) against it; the tests check the fast path against it.
///
/// For each token t at position m, head h, and pair i in [0, rotary_dim/2):
///   (a, b) = (x[off + 2i], x[off + 2i + 1])        interleaved
///          = (x[off + i],  x[off + i + d/2])       half
///   a' = a cos(m theta_i) - s b sin(m theta_i),   b' = b cos(m theta_i) + s a sin(m theta_i)
/// with s = +1 for R_m and s = -1 for R_m^T. Same arguments and checks as rotate().

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "detail/rotate_impl.hpp"

namespace rotary {

template <class In, class T, class Angles>
void rotate_reference(pairing p, tensor_view<In, 3> in, tensor_view<T, 3> out,
                      const Angles& angles, const positions& pos,
                      std::ptrdiff_t rotary_offset = 0, bool transpose = false) {
  using C = compute_type_t<T>;
  decltype(auto) source = detail::angle_source(angles);
  using Source = std::remove_cv_t<std::remove_reference_t<decltype(source)>>;
  detail::static_check_rotation<In, T, Source>();
  const detail::rotation_job<T, Source> job{in, out, source, pos, rotary_offset};
  detail::check_job("rotate_reference", job);

  const std::ptrdiff_t rotary_dim = source.rotary_dim();
  const std::ptrdiff_t half = rotary_dim / 2;
  const std::ptrdiff_t head_dim = in.extent(2);
  std::vector<C> scratch(static_cast<std::size_t>(rotary_dim));
  const C sign = transpose ? C(-1) : C(1);
  pos.for_each(0, in.extent(0), [&](std::ptrdiff_t t, std::int64_t m) {
    const C* cos = nullptr;
    const C* sin = nullptr;
    source.coefficients(m, scratch.data(), cos, sin);
    for (std::ptrdiff_t h = 0; h < in.extent(1); ++h) {
      for (std::ptrdiff_t e = 0; e < head_dim; ++e) out(t, h, e) = in(t, h, e);
      for (std::ptrdiff_t i = 0; i < half; ++i) {
        const std::ptrdiff_t ia = rotary_offset + (p == pairing::interleaved ? 2 * i : i);
        const std::ptrdiff_t ib = ia + (p == pairing::interleaved ? 1 : half);
        const C a = in(t, h, ia);
        const C b = in(t, h, ib);
        out(t, h, ia) = a * cos[i] - sign * b * sin[i];
        out(t, h, ib) = b * cos[i] + sign * a * sin[i];
      }
    }
  });
}

}  // namespace rotary
