// SPDX-License-Identifier: MIT
#pragma once
/// detail::batch<T>: the small SIMD abstraction the kernels are written in.
///
/// Operations (all lane-wise):
///   load(p), store(p, v)                     unaligned, batch<T>::size lanes
///   load_partial(p, n), store_partial(p, v, n)  the first n < size lanes (tails)
///   a * b, fma(a, b, c) = a*b + c, fnma(a, b, c) = c - a*b
///   swap_pairs(v) = (v1, v0, v3, v2, ...)     the pair swap of the interleaved layout
///   load_dup(p) = (p0, p0, p1, p1, ...)       size/2 values, each twice
///   negate_even_lanes(v) = (-v0, v1, -v2, ...), negate_odd_lanes(v) = (v0, -v1, v2, ...)
///
/// This file holds the portable version (two lanes of plain scalar code, always compiles);
/// batch_avx512.hpp, batch_avx2.hpp and batch_neon.hpp specialize it for float and double.
/// The instruction set is picked statically (config.hpp); everything is declared in the
/// ISA's inline namespace. The batch never appears in the public API.

#include <cmath>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "multiply_add.hpp"

namespace rotary {
namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN

/// Portable batch: two lanes, so that swap_pairs is meaningful.
template <class T>
struct batch {
  static constexpr std::ptrdiff_t size = 2;
  T lane[2];

  static batch load(const T* p) noexcept { return {{p[0], p[1]}}; }
  static batch load_partial(const T* p, std::ptrdiff_t n) noexcept {
    return {{p[0], n > 1 ? p[1] : T(0)}};
  }
  void store(T* p) const noexcept {
    p[0] = lane[0];
    p[1] = lane[1];
  }
  void store_partial(T* p, std::ptrdiff_t n) const noexcept {
    p[0] = lane[0];
    if (n > 1) p[1] = lane[1];
  }
  friend batch operator*(batch a, batch b) noexcept {
    return {{a.lane[0] * b.lane[0], a.lane[1] * b.lane[1]}};
  }
  friend batch fma(batch a, batch b, batch c) noexcept {
    return {{multiply_add(a.lane[0], b.lane[0], c.lane[0]),
             multiply_add(a.lane[1], b.lane[1], c.lane[1])}};
  }
  friend batch fnma(batch a, batch b, batch c) noexcept {
    return {{multiply_add(-a.lane[0], b.lane[0], c.lane[0]),
             multiply_add(-a.lane[1], b.lane[1], c.lane[1])}};
  }
  /// (p[0], p[0], p[1], p[1], ...): size/2 values, each twice (interleaved coefficients).
  static batch load_dup(const T* p) noexcept { return {{p[0], p[0]}}; }
  /// (-v0, v1, -v2, v3, ...) and (v0, -v1, v2, -v3, ...): the sign pattern of the
  /// interleaved sine coefficients (exact: only the sign bit changes).
  friend batch negate_even_lanes(batch v) noexcept { return {{-v.lane[0], v.lane[1]}}; }
  friend batch negate_odd_lanes(batch v) noexcept { return {{v.lane[0], -v.lane[1]}}; }
  friend batch swap_pairs(batch v) noexcept { return {{v.lane[1], v.lane[0]}}; }
};

/// A loaded vector kept in one register. GCC and clang otherwise fold the load into each
/// instruction that uses the value (a x cos and a x sin: two uses per element), which
/// issues the load twice per vector; measured on Zen 5 (AVX-512), that took a third of the
/// in-place rate from L2: 0.56 of x *= c at 8 x 32 x 128 floats, 0.87 with the value held.
/// For the x86 SIMD batches (their register is the member v) an empty asm statement that
/// the compiler must assume changes it; the portable batch (lanes) and NEON as they are.
template <class B, class = void>
struct has_vector_register : std::false_type {};
template <class B>
struct has_vector_register<B, decltype((void)std::declval<B&>().v)> : std::true_type {};

template <class B>
inline B keep_in_register(B b) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  if constexpr (has_vector_register<B>::value) asm("" : "+v"(b.v));
#endif
  return b;
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail

ROTARY_ISA_NAMESPACE_BEGIN
/// The instruction set this translation unit's kernels use: "avx512", "avx2", "neon" or
/// "scalar" (chosen at compile time, config.hpp).
inline const char* simd_instruction_set() noexcept { return ROTARY_STRINGIFY(ROTARY_ISA); }
ROTARY_ISA_NAMESPACE_END
}  // namespace rotary

#if !defined(ROTARY_NO_SIMD)
#if defined(__AVX512F__)
#include "batch_avx512.hpp"
#elif defined(__AVX2__) && defined(__FMA__)
#include "batch_avx2.hpp"
#elif defined(__ARM_NEON) && defined(__aarch64__)
#include "batch_neon.hpp"
#endif
#endif
