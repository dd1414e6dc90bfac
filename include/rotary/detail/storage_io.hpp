// SPDX-License-Identifier: MIT
#pragma once
/// detail::storage_io<S>: loads and stores of element storage S as the batch the kernels
/// compute in.
///
///   S          batch_type
///   float      batch<float>
///   double     batch<double>
///   bfloat16   batch<float>   widened exactly on load, rounded to nearest even on store
///   float16    batch<float>   (same)
///
///   load(p)                   batch_type::size elements
///   load_partial(p, n)        0 < n < size; never reads past p[n-1]; lanes >= n are +0
///   store(p, v)               batch_type::size elements
///   store_partial(p, v, n)    0 < n < size; never writes past p[n-1]
///
/// The conversions are those of storage.hpp (detail::bf16_bits_from_float etc.), bit for
/// bit, in every instruction set: the portable version converts lane by lane; the AVX2
/// version does bfloat16 with integer vector ops and float16 with F16C (when __F16C__ is
/// defined); the AVX-512 version does both with AVX-512F (not AVX512-BF16's VCVTNEPS2BF16,
/// which flushes subnormals). F16C's conversions take the rounding mode from the
/// instruction, not MXCSR. 16-bit storage is touched only through std::memcpy and SIMD
/// load/store intrinsics (see storage.hpp on aliasing).

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../storage.hpp"
#include "batch.hpp"

#if !defined(ROTARY_NO_SIMD) && (defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__)))
#include <immintrin.h>
#endif

namespace rotary {
namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN

template <class S>
struct storage_io;

template <>
struct storage_io<float> {
  using batch_type = batch<float>;
  static batch_type load(const float* p) noexcept { return keep_in_register(batch_type::load(p)); }
  static batch_type load_partial(const float* p, std::ptrdiff_t n) noexcept {
    return batch_type::load_partial(p, n);
  }
  static void store(float* p, const batch_type& v) noexcept { v.store(p); }
  static void store_partial(float* p, const batch_type& v, std::ptrdiff_t n) noexcept {
    v.store_partial(p, n);
  }
};

template <>
struct storage_io<double> {
  using batch_type = batch<double>;
  static batch_type load(const double* p) noexcept { return keep_in_register(batch_type::load(p)); }
  static batch_type load_partial(const double* p, std::ptrdiff_t n) noexcept {
    return batch_type::load_partial(p, n);
  }
  static void store(double* p, const batch_type& v) noexcept { v.store(p); }
  static void store_partial(double* p, const batch_type& v, std::ptrdiff_t n) noexcept {
    v.store_partial(p, n);
  }
};

/// The scalar conversions of a 16-bit storage type.
template <class S>
struct storage16_scalar;
template <>
struct storage16_scalar<bfloat16> {
  static float widen(std::uint16_t h) noexcept { return float_from_bf16_bits(h); }
  static std::uint16_t narrow(float f) noexcept { return bf16_bits_from_float(f); }
};
template <>
struct storage16_scalar<float16> {
  static float widen(std::uint16_t h) noexcept { return float_from_fp16_bits(h); }
  static std::uint16_t narrow(float f) noexcept { return fp16_bits_from_float(f); }
};

/// Portable 16-bit storage_io: lane by lane through a float array; works with every
/// batch<float> (the instruction-set versions below use it where they have nothing faster).
template <class S>
struct storage_io_portable16 {
  using batch_type = batch<float>;
  static constexpr std::ptrdiff_t lanes = batch_type::size;

  static batch_type load(const S* p) noexcept { return load_partial(p, lanes); }
  /// Also serves n == lanes.
  static batch_type load_partial(const S* p, std::ptrdiff_t n) noexcept {
    std::uint16_t h[lanes];
    std::memcpy(h, p, static_cast<std::size_t>(n) * sizeof(std::uint16_t));
    float f[lanes] = {};
    for (std::ptrdiff_t i = 0; i < n; ++i) f[i] = storage16_scalar<S>::widen(h[i]);
    return batch_type::load(f);
  }
  static void store(S* p, const batch_type& v) noexcept { store_partial(p, v, lanes); }
  /// Also serves n == lanes.
  static void store_partial(S* p, const batch_type& v, std::ptrdiff_t n) noexcept {
    float f[lanes];
    v.store(f);
    std::uint16_t h[lanes];
    for (std::ptrdiff_t i = 0; i < n; ++i) h[i] = storage16_scalar<S>::narrow(f[i]);
    std::memcpy(p, h, static_cast<std::size_t>(n) * sizeof(std::uint16_t));
  }
};

#if !defined(ROTARY_NO_SIMD) && defined(__AVX512F__)

// NOTE: GCC 12's unmasked AVX-512 shift and conversion intrinsics (_mm512_srli_epi32,
// _mm512_cvtepu16_epi32, _mm512_cvtph_ps, ...) pass an _mm512_undefined_*() operand that
// trips -Wuninitialized once inlined. Their maskz forms with every lane selected are the
// same instructions with a zero operand instead, so they are used throughout.
inline constexpr __mmask16 avx512_all_lanes = static_cast<__mmask16>(0xFFFF);

/// Widen 16 bfloat16 patterns: zero-extend to 32 bits (vpmovzxwd), shift into the upper half.
inline __m512 avx512_ps_from_bf16(__m256i h) noexcept {
  const __m512i wide = _mm512_maskz_cvtepu16_epi32(avx512_all_lanes, h);
  return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(avx512_all_lanes, wide, 16));
}
/// Narrow 16 floats to bfloat16 patterns, as bf16_bits_from_float.
inline __m256i avx512_bf16_from_ps(__m512 v) noexcept {
  const __m512i x = _mm512_castps_si512(v);
  const __m512i high = _mm512_maskz_srli_epi32(avx512_all_lanes, x, 16);
  const __m512i lsb = _mm512_and_si512(high, _mm512_set1_epi32(1));
  const __m512i biased = _mm512_add_epi32(x, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF)));
  const __m512i rounded = _mm512_maskz_srli_epi32(avx512_all_lanes, biased, 16);
  const __m512i quiet = _mm512_or_si512(high, _mm512_set1_epi32(0x0040));
  const __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(x, _mm512_set1_epi32(0x7FFFFFFF)),
                                                _mm512_set1_epi32(0x7F800000));
  const __m512i r = _mm512_mask_blend_epi32(nan, rounded, quiet);
  return _mm512_maskz_cvtepi32_epi16(avx512_all_lanes, r);  // vpmovdw: every lane <= 0xFFFF
}

inline __m256i avx512_load16(const void* p) noexcept {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
inline void avx512_store16(void* p, __m256i h) noexcept {
  _mm256_storeu_si256(static_cast<__m256i*>(p), h);
}
/// The first n < 16 16-bit values; the rest 0. Never reads past them.
inline __m256i avx512_load16_partial(const void* p, std::ptrdiff_t n) noexcept {
#if defined(__AVX512BW__) && defined(__AVX512VL__)
  return _mm256_maskz_loadu_epi16(static_cast<__mmask16>((1u << n) - 1u), p);
#else
  std::uint16_t tmp[16] = {};
  std::memcpy(tmp, p, static_cast<std::size_t>(n) * sizeof(std::uint16_t));
  return avx512_load16(tmp);
#endif
}
/// Stores the first n < 16 16-bit values. Never writes past them.
inline void avx512_store16_partial(void* p, __m256i h, std::ptrdiff_t n) noexcept {
#if defined(__AVX512BW__) && defined(__AVX512VL__)
  _mm256_mask_storeu_epi16(p, static_cast<__mmask16>((1u << n) - 1u), h);
#else
  std::uint16_t tmp[16];
  avx512_store16(tmp, h);
  std::memcpy(p, tmp, static_cast<std::size_t>(n) * sizeof(std::uint16_t));
#endif
}

template <>
struct storage_io<bfloat16> {
  using batch_type = batch<float>;
  static batch_type load(const bfloat16* p) noexcept {
    return {avx512_ps_from_bf16(avx512_load16(p))};
  }
  static batch_type load_partial(const bfloat16* p, std::ptrdiff_t n) noexcept {
    return {avx512_ps_from_bf16(avx512_load16_partial(p, n))};
  }
  static void store(bfloat16* p, const batch_type& v) noexcept {
    avx512_store16(p, avx512_bf16_from_ps(v.v));
  }
  static void store_partial(bfloat16* p, const batch_type& v, std::ptrdiff_t n) noexcept {
    avx512_store16_partial(p, avx512_bf16_from_ps(v.v), n);
  }
};

template <>
struct storage_io<float16> {
  using batch_type = batch<float>;
  static constexpr int rounding = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  static batch_type load(const float16* p) noexcept {
    return {_mm512_maskz_cvtph_ps(avx512_all_lanes, avx512_load16(p))};
  }
  static batch_type load_partial(const float16* p, std::ptrdiff_t n) noexcept {
    return {_mm512_maskz_cvtph_ps(avx512_all_lanes, avx512_load16_partial(p, n))};
  }
  static void store(float16* p, const batch_type& v) noexcept {
    avx512_store16(p, _mm512_maskz_cvtps_ph(avx512_all_lanes, v.v, rounding));
  }
  static void store_partial(float16* p, const batch_type& v, std::ptrdiff_t n) noexcept {
    avx512_store16_partial(p, _mm512_maskz_cvtps_ph(avx512_all_lanes, v.v, rounding), n);
  }
};

#elif !defined(ROTARY_NO_SIMD) && defined(__AVX2__) && defined(__FMA__)

/// Widen 8 bfloat16 patterns: zero-extend to 32 bits (vpmovzxwd), shift into the upper half.
inline __m256 avx2_ps_from_bf16(__m128i h) noexcept {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
/// Narrow 8 floats to bfloat16 patterns, as bf16_bits_from_float: the upper halves of
///   x + 0x7FFF + (bit 16 of x)        (round to nearest even; carries into the exponent
///                                      give Inf or the next binade, as they should)
///   x | 0x00400000 for NaN            (truncated, bfloat16's quiet bit 0x0040 set)
/// 9 vector ops: the NaN test is one float compare and the upper halves are gathered by one
/// byte shuffle and one qword permute.
inline __m128i avx2_bf16_from_ps(__m256 v) noexcept {
  const __m256i x = _mm256_castps_si256(v);
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
  const __m256i rounded = _mm256_add_epi32(x, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF)));
  const __m256i quiet = _mm256_or_si256(x, _mm256_set1_epi32(0x00400000));
  const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
  const __m256i r = _mm256_castps_si256(
      _mm256_blendv_ps(_mm256_castsi256_ps(rounded), _mm256_castsi256_ps(quiet), nan));
  // Bytes 2-3 of every 32-bit lane to the low 8 bytes of each 128-bit half, then the two
  // halves' low qwords together.
  const __m256i upper_halves =
      _mm256_setr_epi8(2, 3, 6, 7, 10, 11, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, 2, 3, 6, 7, 10,
                       11, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i packed = _mm256_shuffle_epi8(r, upper_halves);
  return _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0x08));
}

inline __m128i avx2_load16(const void* p) noexcept {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}
inline void avx2_store16(void* p, __m128i h) noexcept {
  _mm_storeu_si128(static_cast<__m128i*>(p), h);
}
/// The first n < 8 16-bit values; the rest 0. Never reads past them.
inline __m128i avx2_load16_partial(const void* p, std::ptrdiff_t n) noexcept {
  std::uint16_t tmp[8] = {};
  std::memcpy(tmp, p, static_cast<std::size_t>(n) * sizeof(std::uint16_t));
  return avx2_load16(tmp);
}
/// Stores the first n < 8 16-bit values. Never writes past them.
inline void avx2_store16_partial(void* p, __m128i h, std::ptrdiff_t n) noexcept {
  std::uint16_t tmp[8];
  avx2_store16(tmp, h);
  std::memcpy(p, tmp, static_cast<std::size_t>(n) * sizeof(std::uint16_t));
}

template <>
struct storage_io<bfloat16> {
  using batch_type = batch<float>;
  static batch_type load(const bfloat16* p) noexcept { return {avx2_ps_from_bf16(avx2_load16(p))}; }
  static batch_type load_partial(const bfloat16* p, std::ptrdiff_t n) noexcept {
    return {avx2_ps_from_bf16(avx2_load16_partial(p, n))};
  }
  static void store(bfloat16* p, const batch_type& v) noexcept {
    avx2_store16(p, avx2_bf16_from_ps(v.v));
  }
  static void store_partial(bfloat16* p, const batch_type& v, std::ptrdiff_t n) noexcept {
    avx2_store16_partial(p, avx2_bf16_from_ps(v.v), n);
  }
};

#if defined(__F16C__)
template <>
struct storage_io<float16> {
  using batch_type = batch<float>;
  static constexpr int rounding = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  static batch_type load(const float16* p) noexcept { return {_mm256_cvtph_ps(avx2_load16(p))}; }
  static batch_type load_partial(const float16* p, std::ptrdiff_t n) noexcept {
    return {_mm256_cvtph_ps(avx2_load16_partial(p, n))};
  }
  static void store(float16* p, const batch_type& v) noexcept {
    avx2_store16(p, _mm256_cvtps_ph(v.v, rounding));
  }
  static void store_partial(float16* p, const batch_type& v, std::ptrdiff_t n) noexcept {
    avx2_store16_partial(p, _mm256_cvtps_ph(v.v, rounding), n);
  }
};
#else
template <>
struct storage_io<float16> : storage_io_portable16<float16> {};
#endif

#else  // the scalar batch, NEON: the portable version

template <>
struct storage_io<bfloat16> : storage_io_portable16<bfloat16> {};
template <>
struct storage_io<float16> : storage_io_portable16<float16> {};

#endif

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
