// SPDX-License-Identifier: MIT
#pragma once
/// The per-head rotation kernels: branch-free, allocation-free loops over one head's rotated
/// elements, written with detail::batch and read/written through detail::storage_io (so
/// 16-bit storage is widened on load and rounded once on store). No checks here: the rope
/// object validates everything first.
///
/// In-place use (in == out) is safe: every vector step loads all of its inputs before it
/// stores, and distinct steps touch disjoint elements.

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "../pairing.hpp"
#include "batch.hpp"
#include "storage_io.hpp"

namespace rotary {
namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN

// ---- The arithmetic, written once ------------------------------------------------------

/// One pair (a, b) rotated by the angle with cosine c and sine s, RoFormer eq. (13):
///   forward   (R_m):   a' = a c - b s,   b' = b c + a s
///   transpose (R_m^T): a' = a c + b s,   b' = b c - a s
/// Lane-wise on batches; every kernel below calls this (or rotate_interleaved_vector).
template <bool Transpose, class B>
inline std::pair<B, B> rotate_pair_vectors(const B& a, const B& b, const B& c,
                                           const B& s) noexcept {
  if constexpr (Transpose) {
    return {fma(b, s, a * c), fnma(a, s, b * c)};
  } else {
    return {fnma(b, s, a * c), fma(a, s, b * c)};
  }
}

/// Interleaved pairs (x[2i], x[2i+1]), RoFormer eq. (34) as written:
///   x' = x (*) cos_dup + swap_pairs(x) (*) sin_signed
/// with cos_dup = (c0, c0, c1, c1, ...) and sin_signed = (-s0, s0, -s1, s1, ...) for R_m
/// (signs flipped for R_m^T): lane by lane the same fma as rotate_pair_vectors.
template <class B>
inline B rotate_interleaved_vector(const B& x, const B& cos_dup, const B& sin_signed) noexcept {
  return fma(swap_pairs(x), sin_signed, x * cos_dup);
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

// ---- Vector steps: loads, the arithmetic, stores ----------------------------------------

/// Which lanes a step loads and stores: a whole vector, or the first n (a tail).
struct whole_vector {};
struct first_lanes {
  std::ptrdiff_t n;
};

template <class S>
inline auto load_lanes(const S* p, whole_vector) noexcept {
  return storage_io<S>::load(p);
}
template <class S>
inline auto load_lanes(const S* p, first_lanes l) noexcept {
  return storage_io<S>::load_partial(p, l.n);
}
template <class S, class B>
inline void store_lanes(S* p, const B& v, whole_vector) noexcept {
  storage_io<S>::store(p, v);
}
template <class S, class B>
inline void store_lanes(S* p, const B& v, first_lanes l) noexcept {
  storage_io<S>::store_partial(p, v, l.n);
}

/// Half-split step at element i: a = x[i], b = x[i + distance].
template <bool Transpose, class In, class Out, class B, class Lanes>
inline void half_step(const In* in, Out* out, std::ptrdiff_t i, std::ptrdiff_t distance,
                      const B& c, const B& s, Lanes l) noexcept {
  const auto [a, b] = rotate_pair_vectors<Transpose>(load_lanes(in + i, l),
                                                      load_lanes(in + i + distance, l), c, s);
  store_lanes(out + i, a, l);
  store_lanes(out + i + distance, b, l);
}

/// Interleaved step at element j: rotary elements [j, j + lanes).
template <class In, class Out, class B, class Lanes>
inline void interleaved_step(const In* in, Out* out, std::ptrdiff_t j, const B& cos_dup,
                             const B& sin_signed, Lanes l) noexcept {
  store_lanes(out + j, rotate_interleaved_vector(load_lanes(in + j, l), cos_dup, sin_signed), l);
}

// ---- One head ----------------------------------------------------------------------------

/// Half-split pairs (x[i], x[i + distance]) for i in [0, pairs), cos/sin = cos[i], sin[i].
/// distance = pairs for the usual layout; larger for a pair subset (Gemma's proportional
/// RoPE rotates (j, j + head_dim/2) for j < pairs only).
template <bool Transpose, class In, class Out, class C>
inline void rotate_half_pairs(const In* in, Out* out, const C* cos, const C* sin,
                              std::ptrdiff_t pairs, std::ptrdiff_t distance) noexcept {
  using B = batch<C>;
  constexpr std::ptrdiff_t N = B::size;
  std::ptrdiff_t i = 0;
  for (; i + N <= pairs; i += N) {
    half_step<Transpose>(in, out, i, distance, B::load(cos + i), B::load(sin + i), whole_vector{});
  }
  if (const std::ptrdiff_t rest = pairs - i; rest > 0) {
    half_step<Transpose>(in, out, i, distance, B::load_partial(cos + i, rest),
                         B::load_partial(sin + i, rest), first_lanes{rest});
  }
}

/// Interleaved pairs over rotary_dim elements with the token's expanded coefficients.
template <class In, class Out, class C>
inline void rotate_interleaved_pairs(const In* in, Out* out, const C* cos_dup,
                                     const C* sin_signed, std::ptrdiff_t rotary_dim) noexcept {
  using B = batch<C>;
  constexpr std::ptrdiff_t N = B::size;
  std::ptrdiff_t j = 0;
  for (; j + N <= rotary_dim; j += N) {
    interleaved_step(in, out, j, B::load(cos_dup + j), B::load(sin_signed + j), whole_vector{});
  }
  if (const std::ptrdiff_t rest = rotary_dim - j; rest > 0) {
    // rest is even, so the partial vector holds whole pairs.
    interleaved_step(in, out, j, B::load_partial(cos_dup + j, rest),
                     B::load_partial(sin_signed + j, rest), first_lanes{rest});
  }
}

// ---- All heads of a token ----------------------------------------------------------------

/// The rotated elements of one head: pairs and, for half_split, the distance between a
/// pair's two members.
struct slice_shape {
  std::ptrdiff_t pairs;
  std::ptrdiff_t distance;
};

/// The coefficients of one token: cos, sin (half_split) or their expansion (interleaved).
template <class C>
struct token_coefficients {
  const C* cos;
  const C* sin;
  const C* cos_dup;
  const C* sin_signed;
};

/// Rotates the rotated elements of num_heads heads of one token (in, out point at head 0's
/// first rotated element). When they are a whole number NV (1 to 8) of vectors, the
/// coefficients stay in registers across the heads, so each head costs one load and one
/// store per vector, like a copy; otherwise one loop per head. Both run the same steps in
/// the same order, so the results are bitwise identical.
template <pairing P, bool Transpose, class In, class Out, class C>
inline void rotate_heads(const In* in, std::ptrdiff_t in_head_stride, Out* out,
                         std::ptrdiff_t out_head_stride, std::ptrdiff_t num_heads,
                         slice_shape shape, const token_coefficients<C>& k) noexcept {
  using B = batch<C>;
  constexpr std::ptrdiff_t N = B::size;
  constexpr bool interleaved = P == pairing::interleaved;
  const std::ptrdiff_t width = interleaved ? 2 * shape.pairs : shape.pairs;
  auto in_registers = [&](auto nv) {
    constexpr int NV = decltype(nv)::value;
    B c[NV], s[NV];
    for (int v = 0; v < NV; ++v) {
      c[v] = B::load((interleaved ? k.cos_dup : k.cos) + v * N);
      s[v] = B::load((interleaved ? k.sin_signed : k.sin) + v * N);
    }
    for (std::ptrdiff_t h = 0; h < num_heads; ++h) {
      const In* x = in + h * in_head_stride;
      Out* y = out + h * out_head_stride;
      for (int v = 0; v < NV; ++v) {
        if constexpr (interleaved) {
          interleaved_step(x, y, v * N, c[v], s[v], whole_vector{});
        } else {
          half_step<Transpose>(x, y, v * N, shape.distance, c[v], s[v], whole_vector{});
        }
      }
    }
  };
  using std::integral_constant;
  switch (num_heads > 1 && width % N == 0 ? width / N : 0) {
    case 1: return in_registers(integral_constant<int, 1>{});
    case 2: return in_registers(integral_constant<int, 2>{});
    case 3: return in_registers(integral_constant<int, 3>{});
    case 4: return in_registers(integral_constant<int, 4>{});
    case 5: return in_registers(integral_constant<int, 5>{});
    case 6: return in_registers(integral_constant<int, 6>{});
    case 7: return in_registers(integral_constant<int, 7>{});
    case 8: return in_registers(integral_constant<int, 8>{});
    default: break;
  }
  for (std::ptrdiff_t h = 0; h < num_heads; ++h) {
    const In* x = in + h * in_head_stride;
    Out* y = out + h * out_head_stride;
    if constexpr (interleaved) {
      rotate_interleaved_pairs(x, y, k.cos_dup, k.sin_signed, 2 * shape.pairs);
    } else {
      rotate_half_pairs<Transpose>(x, y, k.cos, k.sin, shape.pairs, shape.distance);
    }
  }
}

/// out[0, n) = in[0, n): the elements a rotation passes through. The same type is copied
/// bit for bit (a NaN payload survives); another type is converted (rounded once).
template <class In, class Out>
inline void copy_elements(const In* in, Out* out, std::ptrdiff_t n) noexcept {
  if (n <= 0) return;
  if constexpr (std::is_same_v<In, Out>) {
    std::memcpy(static_cast<void*>(out), static_cast<const void*>(in),
                static_cast<std::size_t>(n) * sizeof(In));
  } else {
    using io = storage_io<In>;
    constexpr std::ptrdiff_t N = io::batch_type::size;
    std::ptrdiff_t i = 0;
    for (; i + N <= n; i += N) storage_io<Out>::store(out + i, io::load(in + i));
    if (i < n) storage_io<Out>::store_partial(out + i, io::load_partial(in + i, n - i), n - i);
  }
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
