// SPDX-License-Identifier: MIT
#pragma once
/// The per-head rotation kernels: contiguous, branch-free, allocation-free loops over one
/// head's rotary slice, written with detail::batch. No checks here: the entry points in
/// rotate.hpp validate everything first (ROTARY_DCHECK only).
///
/// In-place use (in == out) is safe: every vector step loads all of its inputs before it
/// stores, and distinct steps touch disjoint elements.

#include <cstddef>

#include "../config.hpp"
#include "batch.hpp"

namespace rotary {
namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN

/// Half-split pairs (x[i], x[i+h]), h = rotary_dim/2, for i in [0, h):
///   forward (R_m):    a' = a cos - b sin,   b' = b cos + a sin
///   transpose (R_m^T): a' = a cos + b sin,   b' = b cos - a sin
/// with cos = cos(m theta_i), sin = sin(m theta_i) read from cos[i], sin[i].
/// RoFormer eq. (34), up to the fixed permutation of the half-split convention.
template <bool Transpose, class C>
inline void rotate_half_pairs(const C* in, C* out, const C* cos, const C* sin,
                              std::ptrdiff_t half) noexcept {
  using B = batch<C>;
  constexpr std::ptrdiff_t N = B::size;
  auto step = [&](std::ptrdiff_t i, auto load, auto store) {
    const B a = load(in + i), b = load(in + half + i);
    const B c = load(cos + i), s = load(sin + i);
    if constexpr (Transpose) {
      store(fma(b, s, a * c), out + i);
      store(fnma(a, s, b * c), out + half + i);
    } else {
      store(fnma(b, s, a * c), out + i);
      store(fma(a, s, b * c), out + half + i);
    }
  };
  std::ptrdiff_t i = 0;
  for (; i + N <= half; i += N) {
    step(i, [](const C* p) { return B::load(p); }, [](const B& v, C* p) { v.store(p); });
  }
  if (const std::ptrdiff_t rest = half - i; rest > 0) {
    step(i, [rest](const C* p) { return B::load_partial(p, rest); },
         [rest](const B& v, C* p) { v.store_partial(p, rest); });
  }
}

/// Interleaved pairs (x[2i], x[2i+1]), RoFormer eq. (34) as written:
///   x' = x (*) cos_dup + swap_pairs(x) (*) sin_signed
/// where cos_dup = (c0, c0, c1, c1, ...) and sin_signed = (-s0, s0, -s1, s1, ...) for R_m
/// (signs flipped for R_m^T), both of length rotary_dim, prepared once per token by
/// expand_interleaved() and reused for every head of that token.
template <class C>
inline void rotate_interleaved_pairs(const C* in, C* out, const C* cos_dup,
                                     const C* sin_signed, std::ptrdiff_t rotary_dim) noexcept {
  using B = batch<C>;
  constexpr std::ptrdiff_t N = B::size;
  std::ptrdiff_t j = 0;
  for (; j + N <= rotary_dim; j += N) {
    const B x = B::load(in + j);
    fma(swap_pairs(x), B::load(sin_signed + j), x * B::load(cos_dup + j)).store(out + j);
  }
  if (const std::ptrdiff_t rest = rotary_dim - j; rest > 0) {
    // rest is even, so the partial vector holds whole pairs.
    const B x = B::load_partial(in + j, rest);
    fma(swap_pairs(x), B::load_partial(sin_signed + j, rest),
        x * B::load_partial(cos_dup + j, rest))
        .store_partial(out + j, rest);
  }
}

/// Expands one token's cos[h], sin[h] into the interleaved kernel's coefficient rows.
template <bool Transpose, class C>
inline void expand_interleaved(const C* cos, const C* sin, std::ptrdiff_t half, C* cos_dup,
                               C* sin_signed) noexcept {
  for (std::ptrdiff_t i = 0; i < half; ++i) {
    cos_dup[2 * i] = cos[i];
    cos_dup[2 * i + 1] = cos[i];
    sin_signed[2 * i] = Transpose ? sin[i] : -sin[i];
    sin_signed[2 * i + 1] = Transpose ? -sin[i] : sin[i];
  }
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
