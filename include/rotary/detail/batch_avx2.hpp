// SPDX-License-Identifier: MIT
#pragma once
/// AVX2 + FMA specializations of detail::batch (8 floats, 4 doubles). Tails use
/// vmaskmov loads and stores, which never touch memory outside the n lanes.

#include <immintrin.h>

#include "batch.hpp"

namespace rotary {
namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN

/// Lane mask for the first n of 8 32-bit lanes (n < 8).
inline __m256i avx2_mask32(std::ptrdiff_t n) noexcept {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), index);
}
/// Lane mask for the first n of 4 64-bit lanes (n < 4).
inline __m256i avx2_mask64(std::ptrdiff_t n) noexcept {
  const __m256i index = _mm256_setr_epi64x(0, 1, 2, 3);
  return _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(n)), index);
}

template <>
struct batch<float> {
  static constexpr std::ptrdiff_t size = 8;
  __m256 v;

  static batch load(const float* p) noexcept { return {_mm256_loadu_ps(p)}; }
  static batch load_partial(const float* p, std::ptrdiff_t n) noexcept {
    return {_mm256_maskload_ps(p, avx2_mask32(n))};
  }
  void store(float* p) const noexcept { _mm256_storeu_ps(p, v); }
  void store_partial(float* p, std::ptrdiff_t n) const noexcept {
    _mm256_maskstore_ps(p, avx2_mask32(n), v);
  }
  friend batch operator*(batch a, batch b) noexcept { return {_mm256_mul_ps(a.v, b.v)}; }
  friend batch fma(batch a, batch b, batch c) noexcept { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
  friend batch fnma(batch a, batch b, batch c) noexcept {
    return {_mm256_fnmadd_ps(a.v, b.v, c.v)};
  }
  static batch load_dup(const float* p) noexcept {
    const __m256i twice = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
    return {_mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(p)), twice)};
  }
  friend batch negate_even_lanes(batch x) noexcept {
    return {_mm256_xor_ps(x.v, _mm256_setr_ps(-0.f, 0.f, -0.f, 0.f, -0.f, 0.f, -0.f, 0.f))};
  }
  friend batch negate_odd_lanes(batch x) noexcept {
    return {_mm256_xor_ps(x.v, _mm256_setr_ps(0.f, -0.f, 0.f, -0.f, 0.f, -0.f, 0.f, -0.f))};
  }
  friend batch swap_pairs(batch x) noexcept { return {_mm256_permute_ps(x.v, 0xB1)}; }
};

template <>
struct batch<double> {
  static constexpr std::ptrdiff_t size = 4;
  __m256d v;

  static batch load(const double* p) noexcept { return {_mm256_loadu_pd(p)}; }
  static batch load_partial(const double* p, std::ptrdiff_t n) noexcept {
    return {_mm256_maskload_pd(p, avx2_mask64(n))};
  }
  void store(double* p) const noexcept { _mm256_storeu_pd(p, v); }
  void store_partial(double* p, std::ptrdiff_t n) const noexcept {
    _mm256_maskstore_pd(p, avx2_mask64(n), v);
  }
  friend batch operator*(batch a, batch b) noexcept { return {_mm256_mul_pd(a.v, b.v)}; }
  friend batch fma(batch a, batch b, batch c) noexcept { return {_mm256_fmadd_pd(a.v, b.v, c.v)}; }
  friend batch fnma(batch a, batch b, batch c) noexcept {
    return {_mm256_fnmadd_pd(a.v, b.v, c.v)};
  }
  static batch load_dup(const double* p) noexcept {
    return {_mm256_permute4x64_pd(_mm256_castpd128_pd256(_mm_loadu_pd(p)), 0x50)};
  }
  friend batch negate_even_lanes(batch x) noexcept {
    return {_mm256_xor_pd(x.v, _mm256_setr_pd(-0.0, 0.0, -0.0, 0.0))};
  }
  friend batch negate_odd_lanes(batch x) noexcept {
    return {_mm256_xor_pd(x.v, _mm256_setr_pd(0.0, -0.0, 0.0, -0.0))};
  }
  friend batch swap_pairs(batch x) noexcept { return {_mm256_permute_pd(x.v, 0x5)}; }
};

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
