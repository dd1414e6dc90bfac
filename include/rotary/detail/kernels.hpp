// SPDX-License-Identifier: MIT
#pragma once
/// The per-head rotation kernels: branch-free, allocation-free loops over one head's rotated
/// elements, written with detail::batch and read/written through detail::storage_io (so
/// 16-bit storage is widened on load and rounded once on store). No checks here: the rope
/// object validates everything first.
///
/// In-place use (in == out) is safe: every vector step loads all of its inputs before it
/// stores, and distinct steps touch disjoint elements (the one exception, the overlapping
/// last vector of a head, is loaded before and stored after the others: head_plan).
///
/// Layers, bottom up: the arithmetic (rotate_pair_vectors, rotate_interleaved_vector), the
/// vector steps, the coefficient providers (row, block), one head (rotate_head), the heads
/// of one token (heads_in_registers, heads_unrolled, heads_reloaded), a run of tokens
/// (over_tokens), and choose_heads_kernel, which the driver calls once per call.

#include <cstddef>
#include <cstring>
#include <tuple>
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

/// Half-split step at element i: a = x[i], b = xb[i] with xb = x + distance (the second
/// half's base pointers are formed once per head, so that unrolled steps address both
/// halves with constant displacements).
template <bool Transpose, class In, class Out, class B, class Lanes>
inline void half_step(const In* x, const In* xb, Out* y, Out* yb, std::ptrdiff_t i, const B& c,
                      const B& s, Lanes l) noexcept {
  const auto [a, b] =
      rotate_pair_vectors<Transpose>(load_lanes(x + i, l), load_lanes(xb + i, l), c, s);
  store_lanes(y + i, a, l);
  store_lanes(yb + i, b, l);
}

/// Interleaved step at element j: rotary elements [j, j + lanes).
template <class In, class Out, class B, class Lanes>
inline void interleaved_step(const In* in, Out* out, std::ptrdiff_t j, const B& cos_dup,
                             const B& sin_signed, Lanes l) noexcept {
  store_lanes(out + j, rotate_interleaved_vector(load_lanes(in + j, l), cos_dup, sin_signed), l);
}

// ---- Where a head's coefficients come from --------------------------------------------

/// The rotated elements of a head, as the kernels walk them: `width` coefficient lanes
/// (pairs for half_split, 2 pairs for interleaved) = `whole` vectors and `rest` lanes.
/// When width >= one vector, the rest is done as one full vector over the last N lanes
/// [width - N, width) (overlap_rest): its loads come first and its store last, so in place
/// is safe, and the lanes it shares with the last whole vector get the same values (same
/// inputs, same arithmetic). No masked store, which the next head's loads would wait on.
/// Only a head narrower than one vector uses masked (first_lanes) loads and stores.
struct head_plan {
  std::ptrdiff_t pairs;
  std::ptrdiff_t distance;  ///< half_split: b = x[i + distance] (>= pairs)
  std::ptrdiff_t width;
  std::ptrdiff_t whole;
  std::ptrdiff_t rest;
  bool overlap_rest;

  template <pairing P, class C>
  static head_plan make(std::ptrdiff_t pairs, std::ptrdiff_t distance) noexcept {
    constexpr std::ptrdiff_t N = batch<C>::size;
    const std::ptrdiff_t width = P == pairing::interleaved ? 2 * pairs : pairs;
    return {pairs, distance, width, width / N, width % N, width % N != 0 && width >= N};
  }
};

/// A token's coefficients read from its cos/sin row (a table row or the source's scratch),
/// lanes [j, j + N) of the head:
///   half_split:  cos[j..j+N), sin[j..j+N)
///   interleaved: expanded in registers, cos_dup = (c0, c0, c1, c1, ...) and
///                sin_signed = (-s0, s0, -s1, s1, ...) for R_m (signs swapped for R_m^T),
///                RoFormer eq. (34)
/// Every provider below answers cos_at/sin_at for whole vector v, the overlapping last
/// vector (lanes [width - N, width)) and the masked rest (lanes [whole N, width)).
template <pairing P, bool Transpose, class C>
struct row_coefficients {
  using B = batch<C>;
  static constexpr std::ptrdiff_t N = B::size;
  const C* cos;
  const C* sin;
  const head_plan* plan;

  B cos_lanes(std::ptrdiff_t j) const noexcept {
    if constexpr (P == pairing::interleaved) {
      return B::load_dup(cos + j / 2);
    } else {
      return B::load(cos + j);
    }
  }
  B sin_lanes(std::ptrdiff_t j) const noexcept {
    if constexpr (P == pairing::interleaved) {
      const B s = B::load_dup(sin + j / 2);
      return Transpose ? negate_odd_lanes(s) : negate_even_lanes(s);
    } else {
      return B::load(sin + j);
    }
  }
  B cos_vector(std::ptrdiff_t v) const noexcept { return cos_lanes(v * N); }
  B sin_vector(std::ptrdiff_t v) const noexcept { return sin_lanes(v * N); }
  B cos_last() const noexcept { return cos_lanes(plan->width - N); }
  B sin_last() const noexcept { return sin_lanes(plan->width - N); }
  B cos_rest() const noexcept { return rest_of(cos, false); }
  B sin_rest() const noexcept { return rest_of(sin, true); }

 private:
  B rest_of(const C* row, bool is_sin) const noexcept {
    const std::ptrdiff_t j = plan->whole * N, n = plan->rest;
    if constexpr (P == pairing::interleaved) {
      C values[static_cast<std::size_t>(N)] =
          {};  // the n/2 < N/2 values, zero-padded, then expanded
      for (std::ptrdiff_t i = 0; i < n / 2; ++i) values[i] = row[j / 2 + i];
      const B v = B::load_dup(values);
      if (!is_sin) return v;
      return Transpose ? negate_odd_lanes(v) : negate_even_lanes(v);
    } else {
      return B::load_partial(row + j, n);
    }
  }
};

/// Coefficients expanded once per token into a block of 2 x width values of scratch (wide
/// interleaved heads): per head two loads per vector and no shuffles.
template <class C>
struct block_coefficients {
  using B = batch<C>;
  static constexpr std::ptrdiff_t N = B::size;
  const C* cos;
  const C* sin;
  const head_plan* plan;

  template <pairing P, bool Transpose>
  static block_coefficients fill(const row_coefficients<P, Transpose, C>& row, C* block) noexcept {
    const head_plan& p = *row.plan;
    C* cos = block;
    C* sin = block + p.width;
    for (std::ptrdiff_t v = 0; v < p.whole; ++v) {
      row.cos_vector(v).store(cos + v * N);
      row.sin_vector(v).store(sin + v * N);
    }
    if (p.rest > 0) {
      row.cos_rest().store_partial(cos + p.whole * N, p.rest);
      row.sin_rest().store_partial(sin + p.whole * N, p.rest);
    }
    return {cos, sin, row.plan};
  }
  B cos_vector(std::ptrdiff_t v) const noexcept { return B::load(cos + v * N); }
  B sin_vector(std::ptrdiff_t v) const noexcept { return B::load(sin + v * N); }
  B cos_last() const noexcept { return B::load(cos + plan->width - N); }
  B sin_last() const noexcept { return B::load(sin + plan->width - N); }
  B cos_rest() const noexcept { return B::load_partial(cos + plan->whole * N, plan->rest); }
  B sin_rest() const noexcept { return B::load_partial(sin + plan->whole * N, plan->rest); }
};

// ---- One head ----------------------------------------------------------------------------

/// Rotates one head's rotated elements (x, y at its first one) with coefficients k:
/// `whole` vector steps (a compile-time count on the unrolled path), then the rest.
template <pairing P, bool Transpose, class In, class Out, class K, class Whole>
inline void rotate_head(const In* x, Out* y, const head_plan& p, const K& k, Whole whole,
                        bool overlap_rest) noexcept {
  using B = typename storage_io<In>::batch_type;
  constexpr std::ptrdiff_t N = B::size;
  constexpr bool interleaved = P == pairing::interleaved;
  const In* xb = x + p.distance;  // half_split: the pairs' second members
  Out* yb = y + p.distance;
  if (overlap_rest) {
    // The overlapping last vector: loaded and computed before any store of this head,
    // stored after the others.
    const std::ptrdiff_t j = p.width - N;
    if constexpr (interleaved) {
      const B r =
          rotate_interleaved_vector(load_lanes(x + j, whole_vector{}), k.cos_last(), k.sin_last());
      for (std::ptrdiff_t v = 0; v < whole; ++v) {
        interleaved_step(x, y, v * N, k.cos_vector(v), k.sin_vector(v), whole_vector{});
      }
      store_lanes(y + j, r, whole_vector{});
    } else {
      const auto r = rotate_pair_vectors<Transpose>(load_lanes(x + j, whole_vector{}),
                                                    load_lanes(xb + j, whole_vector{}),
                                                    k.cos_last(), k.sin_last());
      for (std::ptrdiff_t v = 0; v < whole; ++v) {
        half_step<Transpose>(x, xb, y, yb, v * N, k.cos_vector(v), k.sin_vector(v), whole_vector{});
      }
      store_lanes(y + j, r.first, whole_vector{});
      store_lanes(yb + j, r.second, whole_vector{});
    }
    return;
  }
  for (std::ptrdiff_t v = 0; v < whole; ++v) {
    if constexpr (interleaved) {
      interleaved_step(x, y, v * N, k.cos_vector(v), k.sin_vector(v), whole_vector{});
    } else {
      half_step<Transpose>(x, xb, y, yb, v * N, k.cos_vector(v), k.sin_vector(v), whole_vector{});
    }
  }
  if (p.rest > 0) {
    const first_lanes l{p.rest};
    if constexpr (interleaved) {
      interleaved_step(x, y, p.whole * N, k.cos_rest(), k.sin_rest(), l);
    } else {
      half_step<Transpose>(x, xb, y, yb, p.whole * N, k.cos_rest(), k.sin_rest(), l);
    }
  }
}

// ---- All heads of a token: the kernels a call picks once ---------------------------------

/// One token's heads of one operand: `count` heads at in + h in_stride, out + h out_stride
/// (each pointing at the head's first rotated element), the token's cos/sin row, and
/// 2 x width values of per-worker scratch for an expanded block.
template <class In, class Out, class C>
struct token_heads {
  const In* in;
  std::ptrdiff_t in_stride;
  Out* out;
  std::ptrdiff_t out_stride;
  std::ptrdiff_t count;
  const C* cos;
  const C* sin;
  C* block;
};

/// A run of tokens of one operand whose cos/sin rows are evenly spaced (consecutive
/// positions in a table: token t's row is cos + t row_stride), or a single token. One
/// kernel call per run, so the per-token work of the driver is paid once per run.
template <class In, class Out, class C>
struct token_run {
  token_heads<In, Out, C> first;  ///< the run's first token
  std::ptrdiff_t tokens;
  std::ptrdiff_t in_token_stride, out_token_stride, row_stride;
};

template <class In, class Out, class C>
using heads_kernel = void (*)(const token_run<In, Out, C>&, const head_plan&) noexcept;

/// Asks for the cache lines of [p, p + bytes) ahead of their use (no effect on results).
inline void prefetch_range(const void* p, std::ptrdiff_t bytes) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  const char* c = static_cast<const char*>(p);
  for (std::ptrdiff_t b = 0; b < bytes; b += 64) __builtin_prefetch(c + b);
#else
  (void)p;
  (void)bytes;
#endif
}

/// How many tokens ahead over_tokens asks for the cos/sin rows of a run.
inline constexpr std::ptrdiff_t row_prefetch_distance = 4;

/// The kernel for a run: OneToken (a single-token function below) for each token. A token
/// reads its whole cos/sin row at once, before its first head; from a table larger than
/// L2 the hardware prefetchers left part of that wait. The rows row_prefetch_distance
/// tokens ahead are prefetched: measured in one process against the same kernel without
/// it, 16384 x 8 x 128 in place 6-17% faster, 1024 x 8 x 256 interleaved out of place 9-25%.
template <auto OneToken, class In, class Out, class C>
void over_tokens(const token_run<In, Out, C>& r, const head_plan& p) noexcept {
  token_heads<In, Out, C> t = r.first;
  const std::ptrdiff_t row_bytes = p.pairs * static_cast<std::ptrdiff_t>(sizeof(C));
  // NOTE: strides are only multiplied and added where they reach an element: a stride that
  // never does may be anything (a view of one token, a cos_sin_view of one row), and one more
  // step by PTRDIFF_MAX elements, or 4 of them for the prefetch, would overflow (undefined
  // behaviour, found by tests/fuzz/rope_fuzz.cpp under UBSan). So the pointers step between
  // tokens, never past the last one, and the prefetch distance exists only for runs that
  // have the row it points at.
  const std::ptrdiff_t ahead =
      r.tokens > row_prefetch_distance ? row_prefetch_distance * r.row_stride : 0;
  for (std::ptrdiff_t i = 0; i < r.tokens; ++i) {
    if (i != 0) {
      t.in += r.in_token_stride;
      t.out += r.out_token_stride;
      t.cos += r.row_stride;
      t.sin += r.row_stride;
    }
    if (i + row_prefetch_distance < r.tokens) {
      prefetch_range(t.cos + ahead, row_bytes);
      prefetch_range(t.sin + ahead, row_bytes);
    }
    OneToken(t, p);
  }
}

/// The widest head, in whole vectors, with a loop unrolled at compile time: 16 (256 floats
/// on AVX-512, 128 on AVX2; every head_dim models use, both pairings, on AVX-512).
inline constexpr int max_unrolled_vectors = 16;

/// Vectors of coefficients (each a cos and a sin batch) the register path holds across the
/// heads: 8, i.e. 16 of AVX-512's 32 zmm. On AVX2 the same 8 is the whole ymm file, so the
/// compiler keeps some in the stack frame; measured (callgrind, AVX2), that still beats
/// reading them from the row per head at 4 to 8 vectors (64 x 8 x 64 half_split: 29.5k
/// instructions per call against 36.2k with a budget of 4).
template <class C>
inline constexpr int register_budget = 8;

/// Register path: NV whole vectors (+ the overlapping last one) per head, NV + 1 within
/// the register budget. The coefficients are read (for interleaved: expanded) once per
/// token into local batches, which the compiler keeps in registers across the heads: each
/// head then costs one load and one store per vector, like a copy.
/// NOTE: local arrays indexed by fully unrolled loops, in this function's own body: GCC 12
/// keeps them in registers only so (behind a struct passed by reference they stay in the
/// stack frame).
template <pairing P, bool Transpose, int NV, class In, class Out, class C, int... V>
inline void heads_in_registers_of(const token_heads<In, Out, C>& t, const head_plan& p,
                                  std::integer_sequence<int, V...>) noexcept {
  using B = batch<C>;
  constexpr std::ptrdiff_t N = B::size;
  constexpr bool interleaved = P == pairing::interleaved;
  const row_coefficients<P, Transpose, C> row{t.cos, t.sin, &p};
  const std::ptrdiff_t j = p.width - N;  // the overlapping last vector, if any
  // Initialized in place (a copy into the array went through the stack with GCC 12).
  const B c[static_cast<std::size_t>(NV + 1)] = {row.cos_vector(V)...,
                                                 p.overlap_rest ? row.cos_last() : B{}};
  const B s[static_cast<std::size_t>(NV + 1)] = {row.sin_vector(V)...,
                                                 p.overlap_rest ? row.sin_last() : B{}};
  // Locals: the compiler cannot tell that the heads' stores leave t and p unchanged.
  const In* in = t.in;
  Out* out = t.out;
  const std::ptrdiff_t in_stride = t.in_stride, out_stride = t.out_stride, count = t.count;
  const std::ptrdiff_t distance = p.distance;
  const bool overlap_rest = p.overlap_rest;
  for (std::ptrdiff_t h = 0; h < count; ++h) {
    const In* x = in + h * in_stride;
    Out* y = out + h * out_stride;
    const In* xb = x + distance;
    Out* yb = y + distance;
    if constexpr (interleaved) {
      B last{};
      if (overlap_rest) {
        last = rotate_interleaved_vector(load_lanes(x + j, whole_vector{}), c[NV], s[NV]);
      }
      for (int v = 0; v < NV; ++v) interleaved_step(x, y, v * N, c[v], s[v], whole_vector{});
      if (overlap_rest) store_lanes(y + j, last, whole_vector{});
    } else {
      B last_a{}, last_b{};
      if (overlap_rest) {
        std::tie(last_a, last_b) = rotate_pair_vectors<Transpose>(
            load_lanes(x + j, whole_vector{}), load_lanes(xb + j, whole_vector{}), c[NV], s[NV]);
      }
      for (int v = 0; v < NV; ++v) {
        half_step<Transpose>(x, xb, y, yb, v * N, c[v], s[v], whole_vector{});
      }
      if (overlap_rest) {
        store_lanes(y + j, last_a, whole_vector{});
        store_lanes(yb + j, last_b, whole_vector{});
      }
    }
  }
}

template <pairing P, bool Transpose, int NV, class In, class Out, class C>
inline void heads_in_registers(const token_heads<In, Out, C>& t, const head_plan& p) noexcept {
  heads_in_registers_of<P, Transpose, NV>(t, p, std::make_integer_sequence<int, NV>{});
}

/// The coefficients read per head as memory operands: from the L1-resident row (half_split)
/// or, for interleaved heads of a token with more than one head, from the block expanded
/// once per token (two loads per vector, no shuffles per head). `whole` vectors per head:
/// a compile-time count (heads_unrolled) or the plan's (heads_reloaded).
template <pairing P, bool Transpose, class In, class Out, class C, class Whole>
inline void heads_from_memory(const token_heads<In, Out, C>& t, const head_plan& p,
                              Whole whole) noexcept {
  const row_coefficients<P, Transpose, C> row{t.cos, t.sin, &p};
  auto each_head = [&](const auto& k) {
    for (std::ptrdiff_t h = 0; h < t.count; ++h) {
      rotate_head<P, Transpose>(t.in + h * t.in_stride, t.out + h * t.out_stride, p, k, whole,
                                p.overlap_rest);
    }
  };
  if constexpr (P == pairing::interleaved) {
    if (t.count > 1) return each_head(block_coefficients<C>::fill(row, t.block));
  }
  each_head(row);
}

/// Unrolled path above the register budget: NV whole vectors (+ the overlapping last one)
/// per head, NV known at compile time.
template <pairing P, bool Transpose, int NV, class In, class Out, class C>
inline void heads_unrolled(const token_heads<In, Out, C>& t, const head_plan& p) noexcept {
  heads_from_memory<P, Transpose>(t, p, std::integral_constant<std::ptrdiff_t, NV>{});
}

/// Wider heads (and heads narrower than one vector): a loop over the plan's whole vectors.
template <pairing P, bool Transpose, class In, class Out, class C>
inline void heads_reloaded(const token_heads<In, Out, C>& t, const head_plan& p) noexcept {
  heads_from_memory<P, Transpose>(t, p, p.whole);
}

/// The unrolled kernels of a call: in_registers for heads of 1 to budget whole vectors
/// (within the budget with the overlapping last one), from_memory for budget to
/// max_unrolled_vectors (above it). Only the kernels a head can select are instantiated.
template <pairing P, bool Transpose, class In, class Out, class C, int... R, int... M>
heads_kernel<In, Out, C> unrolled_kernel(const head_plan& p, std::integer_sequence<int, R...>,
                                         std::integer_sequence<int, M...>) noexcept {
  constexpr int budget = register_budget<C>;
  static constexpr heads_kernel<In, Out, C> in_registers[] = {
      &over_tokens<&heads_in_registers<P, Transpose, R + 1, In, Out, C>, In, Out, C>...};
  static constexpr heads_kernel<In, Out, C> from_memory[] = {
      &over_tokens<&heads_unrolled<P, Transpose, budget + M, In, Out, C>, In, Out, C>...};
  const std::ptrdiff_t vectors = p.whole + (p.overlap_rest ? 1 : 0);
  return vectors <= budget ? in_registers[p.whole - 1] : from_memory[p.whole - budget];
}

/// The kernel for every token of a call, chosen once per call: unrolled for heads of 1 to
/// max_unrolled_vectors whole vectors (+ an overlapping last one), with the coefficients in
/// registers up to the budget; a loop otherwise. All run the same steps on the same lanes:
/// the results are bitwise identical.
template <pairing P, bool Transpose, class In, class Out, class C>
heads_kernel<In, Out, C> choose_heads_kernel(const head_plan& p) noexcept {
  const bool masked_rest = p.rest > 0 && !p.overlap_rest;
  if (!masked_rest && p.whole >= 1 && p.whole <= max_unrolled_vectors) {
    constexpr int budget = register_budget<C>;
    static_assert(budget >= 1 && budget <= max_unrolled_vectors, "register budget");
    return unrolled_kernel<P, Transpose, In, Out, C>(
        p, std::make_integer_sequence<int, budget>{},
        std::make_integer_sequence<int, max_unrolled_vectors - budget + 1>{});
  }
  return &over_tokens<&heads_reloaded<P, Transpose, In, Out, C>, In, Out, C>;
}

/// dst[0, n) = src[0, n) for buffers that do not overlap, inline: 32-byte moves and one
/// overlapping last move, no library call (a memcpy call per head and per pass-through
/// segment cost more than the copy for the short segments of partial rotary).
inline void copy_bytes(unsigned char* dst, const unsigned char* src, std::size_t n) noexcept {
  constexpr std::size_t chunk = 32;
  if (n >= chunk) {
    std::size_t i = 0;
    for (; i + 4 * chunk <= n; i += 4 * chunk) std::memcpy(dst + i, src + i, 4 * chunk);
    for (; i + chunk <= n; i += chunk) std::memcpy(dst + i, src + i, chunk);
    if (i < n) std::memcpy(dst + n - chunk, src + n - chunk, chunk);
    return;
  }
  // n < 32: two overlapping moves of the largest power of two <= n.
  for (std::size_t w = 16; w >= 1; w /= 2) {
    if (n >= w) {
      std::memcpy(dst, src, w);
      std::memcpy(dst + n - w, src + n - w, w);
      return;
    }
  }
}

/// out[0, n) = in[0, n): the elements a rotation passes through. The same type is copied
/// bit for bit (a NaN payload survives); another type is converted (rounded once).
template <class In, class Out>
inline void copy_elements(const In* in, Out* out, std::ptrdiff_t n) noexcept {
  if (n <= 0) return;
  if constexpr (std::is_same_v<In, Out>) {
    copy_bytes(reinterpret_cast<unsigned char*>(out), reinterpret_cast<const unsigned char*>(in),
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
