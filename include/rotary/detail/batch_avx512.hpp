// SPDX-License-Identifier: MIT
#pragma once
/// AVX-512F specializations of detail::batch (16 floats, 8 doubles). Tails use masked
/// loads and stores, which never touch memory outside the n lanes.

#include <immintrin.h>

#include "batch.hpp"

namespace rotary {
namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN

template <>
struct batch<float> {
  static constexpr std::ptrdiff_t size = 16;
  __m512 v;

  static __mmask16 mask(std::ptrdiff_t n) noexcept {
    return static_cast<__mmask16>((1u << n) - 1u);
  }
  static batch load(const float* p) noexcept { return {_mm512_loadu_ps(p)}; }
  static batch load_partial(const float* p, std::ptrdiff_t n) noexcept {
    return {_mm512_maskz_loadu_ps(mask(n), p)};
  }
  void store(float* p) const noexcept { _mm512_storeu_ps(p, v); }
  void store_partial(float* p, std::ptrdiff_t n) const noexcept {
    _mm512_mask_storeu_ps(p, mask(n), v);
  }
  friend batch operator*(batch a, batch b) noexcept { return {_mm512_mul_ps(a.v, b.v)}; }
  friend batch fma(batch a, batch b, batch c) noexcept {
    return {_mm512_fmadd_ps(a.v, b.v, c.v)};
  }
  friend batch fnma(batch a, batch b, batch c) noexcept {
    return {_mm512_fnmadd_ps(a.v, b.v, c.v)};
  }
  // Within each 128-bit lane: (1, 0, 3, 2) = 0b10110001. NOTE: vshufps rather than
  // _mm512_permute_ps, whose GCC 12 header trips -Wmaybe-uninitialized.
  friend batch swap_pairs(batch x) noexcept { return {_mm512_shuffle_ps(x.v, x.v, 0xB1)}; }
};

template <>
struct batch<double> {
  static constexpr std::ptrdiff_t size = 8;
  __m512d v;

  static __mmask8 mask(std::ptrdiff_t n) noexcept {
    return static_cast<__mmask8>((1u << n) - 1u);
  }
  static batch load(const double* p) noexcept { return {_mm512_loadu_pd(p)}; }
  static batch load_partial(const double* p, std::ptrdiff_t n) noexcept {
    return {_mm512_maskz_loadu_pd(mask(n), p)};
  }
  void store(double* p) const noexcept { _mm512_storeu_pd(p, v); }
  void store_partial(double* p, std::ptrdiff_t n) const noexcept {
    _mm512_mask_storeu_pd(p, mask(n), v);
  }
  friend batch operator*(batch a, batch b) noexcept { return {_mm512_mul_pd(a.v, b.v)}; }
  friend batch fma(batch a, batch b, batch c) noexcept {
    return {_mm512_fmadd_pd(a.v, b.v, c.v)};
  }
  friend batch fnma(batch a, batch b, batch c) noexcept {
    return {_mm512_fnmadd_pd(a.v, b.v, c.v)};
  }
  // Swap the two doubles of every 128-bit lane: imm bit i selects element i^1.
  friend batch swap_pairs(batch x) noexcept { return {_mm512_shuffle_pd(x.v, x.v, 0x55)}; }
};

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
