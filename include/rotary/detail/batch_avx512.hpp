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
  friend batch fma(batch a, batch b, batch c) noexcept { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
  friend batch fnma(batch a, batch b, batch c) noexcept {
    return {_mm512_fnmadd_ps(a.v, b.v, c.v)};
  }
  static batch load_dup(const float* p) noexcept {
    const __m512i twice = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    // NOTE: the maskz forms; GCC 12's unmasked ones trip -Wuninitialized.
    return {_mm512_maskz_permutexvar_ps(0xFFFF, twice, _mm512_maskz_loadu_ps(0x00FF, p))};
  }
  // Sign flips as integer xors (AVX-512F has no float xor; AVX512DQ's is not assumed).
  friend batch negate_even_lanes(batch x) noexcept {
    return {_mm512_castsi512_ps(
        _mm512_xor_si512(_mm512_castps_si512(x.v), _mm512_set1_epi64(0x80000000LL)))};
  }
  friend batch negate_odd_lanes(batch x) noexcept {
    return {_mm512_castsi512_ps(
        _mm512_xor_si512(_mm512_castps_si512(x.v), _mm512_set1_epi64(-0x7fffffffffffffffLL - 1)))};
  }
  // Within each 128-bit lane: (1, 0, 3, 2) = 0b10110001. NOTE: vshufps rather than
  // _mm512_permute_ps, whose GCC 12 header trips -Wmaybe-uninitialized.
  friend batch swap_pairs(batch x) noexcept { return {_mm512_shuffle_ps(x.v, x.v, 0xB1)}; }
};

template <>
struct batch<double> {
  static constexpr std::ptrdiff_t size = 8;
  __m512d v;

  static __mmask8 mask(std::ptrdiff_t n) noexcept { return static_cast<__mmask8>((1u << n) - 1u); }
  static batch load(const double* p) noexcept { return {_mm512_loadu_pd(p)}; }
  static batch load_partial(const double* p, std::ptrdiff_t n) noexcept {
    return {_mm512_maskz_loadu_pd(mask(n), p)};
  }
  void store(double* p) const noexcept { _mm512_storeu_pd(p, v); }
  void store_partial(double* p, std::ptrdiff_t n) const noexcept {
    _mm512_mask_storeu_pd(p, mask(n), v);
  }
  friend batch operator*(batch a, batch b) noexcept { return {_mm512_mul_pd(a.v, b.v)}; }
  friend batch fma(batch a, batch b, batch c) noexcept { return {_mm512_fmadd_pd(a.v, b.v, c.v)}; }
  friend batch fnma(batch a, batch b, batch c) noexcept {
    return {_mm512_fnmadd_pd(a.v, b.v, c.v)};
  }
  static constexpr long long sign64 = -0x7fffffffffffffffLL - 1;  // the sign bit
  static batch load_dup(const double* p) noexcept {
    const __m512i twice = _mm512_setr_epi64(0, 0, 1, 1, 2, 2, 3, 3);
    return {_mm512_maskz_permutexvar_pd(0xFF, twice, _mm512_maskz_loadu_pd(0x0F, p))};
  }
  friend batch negate_even_lanes(batch x) noexcept {
    return {_mm512_castsi512_pd(_mm512_xor_si512(
        _mm512_castpd_si512(x.v), _mm512_setr_epi64(sign64, 0, sign64, 0, sign64, 0, sign64, 0)))};
  }
  friend batch negate_odd_lanes(batch x) noexcept {
    return {_mm512_castsi512_pd(_mm512_xor_si512(
        _mm512_castpd_si512(x.v), _mm512_setr_epi64(0, sign64, 0, sign64, 0, sign64, 0, sign64)))};
  }
  // Swap the two doubles of every 128-bit lane: imm bit i selects element i^1.
  friend batch swap_pairs(batch x) noexcept { return {_mm512_shuffle_pd(x.v, x.v, 0x55)}; }
};

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
