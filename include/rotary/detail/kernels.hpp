// SPDX-License-Identifier: MIT
#pragma once
/// The per-head rotation kernels: contiguous, branch-free, allocation-free loops over one
/// head's rotary slice, written with detail::batch. No checks here: the entry points in
/// rotate.hpp validate everything first (ROTARY_DCHECK only).
///
/// In-place use (in == out) is safe: every vector step loads all of its inputs before it
/// stores, and distinct steps touch disjoint elements.

#include <cstddef>
#include <type_traits>

#include "../pairing.hpp"
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

/// rotate_half_pairs for every head of one token, with the token's cos/sin held in
/// registers across the heads: NV vectors of cos and NV of sin, half = NV * batch size.
/// Each head then costs one load and one store per vector, like a copy. Same operations
/// in the same order as rotate_half_pairs, so the results are bitwise identical.
template <int NV, bool Transpose, class C>
inline void rotate_half_heads_in_registers(const C* in, std::ptrdiff_t in_head_stride, C* out,
                                           std::ptrdiff_t out_head_stride,
                                           std::ptrdiff_t num_heads, const C* cos,
                                           const C* sin) noexcept {
  using B = batch<C>;
  constexpr std::ptrdiff_t N = B::size;
  constexpr std::ptrdiff_t half = NV * N;
  B c[NV], s[NV];
  for (int k = 0; k < NV; ++k) {
    c[k] = B::load(cos + k * N);
    s[k] = B::load(sin + k * N);
  }
  for (std::ptrdiff_t h = 0; h < num_heads; ++h) {
    const C* x = in + h * in_head_stride;
    C* y = out + h * out_head_stride;
    for (int k = 0; k < NV; ++k) {
      const B a = B::load(x + k * N), b = B::load(x + half + k * N);
      if constexpr (Transpose) {
        fma(b, s[k], a * c[k]).store(y + k * N);
        fnma(a, s[k], b * c[k]).store(y + half + k * N);
      } else {
        fnma(b, s[k], a * c[k]).store(y + k * N);
        fma(a, s[k], b * c[k]).store(y + half + k * N);
      }
    }
  }
}

/// rotate_interleaved_pairs for every head of one token, coefficients in registers:
/// rotary_dim = NV * batch size. Bitwise identical to rotate_interleaved_pairs.
template <int NV, class C>
inline void rotate_interleaved_heads_in_registers(const C* in, std::ptrdiff_t in_head_stride,
                                                  C* out, std::ptrdiff_t out_head_stride,
                                                  std::ptrdiff_t num_heads, const C* cos_dup,
                                                  const C* sin_signed) noexcept {
  using B = batch<C>;
  constexpr std::ptrdiff_t N = B::size;
  B c[NV], s[NV];
  for (int k = 0; k < NV; ++k) {
    c[k] = B::load(cos_dup + k * N);
    s[k] = B::load(sin_signed + k * N);
  }
  for (std::ptrdiff_t h = 0; h < num_heads; ++h) {
    const C* x = in + h * in_head_stride;
    C* y = out + h * out_head_stride;
    for (int k = 0; k < NV; ++k) {
      const B v = B::load(x + k * N);
      fma(swap_pairs(v), s[k], v * c[k]).store(y + k * N);
    }
  }
}

/// Rotates the rotary slices of num_heads heads of one token (in, out point at head 0's
/// slice). When the slice is a whole number (1 to 8) of vectors, the coefficients stay in
/// registers across the heads; otherwise one kernel call per head.
/// cos, sin: the token's h = rotary_dim/2 coefficients (half pairing);
/// cos_dup, sin_signed: their expansion (interleaved pairing, see expand_interleaved).
template <pairing P, bool Transpose, class C>
inline void rotate_heads(const C* in, std::ptrdiff_t in_head_stride, C* out,
                         std::ptrdiff_t out_head_stride, std::ptrdiff_t num_heads,
                         std::ptrdiff_t rotary_dim, const C* cos, const C* sin,
                         const C* cos_dup, const C* sin_signed) noexcept {
  constexpr std::ptrdiff_t N = batch<C>::size;
  const std::ptrdiff_t width = P == pairing::interleaved ? rotary_dim : rotary_dim / 2;
  const std::ptrdiff_t vectors = width % N == 0 ? width / N : 0;
  auto fixed = [&](auto nv) {
    constexpr int NV = decltype(nv)::value;
    if constexpr (P == pairing::interleaved) {
      rotate_interleaved_heads_in_registers<NV>(in, in_head_stride, out, out_head_stride,
                                                num_heads, cos_dup, sin_signed);
    } else {
      rotate_half_heads_in_registers<NV, Transpose>(in, in_head_stride, out, out_head_stride,
                                                    num_heads, cos, sin);
    }
  };
  using std::integral_constant;
  switch (num_heads > 1 ? vectors : 0) {
    case 1: return fixed(integral_constant<int, 1>{});
    case 2: return fixed(integral_constant<int, 2>{});
    case 3: return fixed(integral_constant<int, 3>{});
    case 4: return fixed(integral_constant<int, 4>{});
    case 5: return fixed(integral_constant<int, 5>{});
    case 6: return fixed(integral_constant<int, 6>{});
    case 7: return fixed(integral_constant<int, 7>{});
    case 8: return fixed(integral_constant<int, 8>{});
    default: break;
  }
  for (std::ptrdiff_t h = 0; h < num_heads; ++h) {
    const C* x = in + h * in_head_stride;
    C* y = out + h * out_head_stride;
    if constexpr (P == pairing::interleaved) {
      rotate_interleaved_pairs(x, y, cos_dup, sin_signed, rotary_dim);
    } else {
      rotate_half_pairs<Transpose>(x, y, cos, sin, rotary_dim / 2);
    }
  }
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
