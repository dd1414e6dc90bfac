// SPDX-License-Identifier: MIT
#pragma once
/// 16-bit floating-point storage types: rotary::bfloat16 and rotary::float16.
///
/// They are storage formats only: no arithmetic, no comparison. Convert to float
/// (explicit operator float, exact) to compute and back (explicit constructor from float,
/// rounded once) to store. The kernels compute in float.
///
///   bfloat16  "brain float": 1 sign bit, 8 exponent bits (bias 127, the range of float),
///             7 stored mantissa bits. The upper half of a float's bit pattern.
///   float16   IEEE 754 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 stored
///             mantissa bits. Largest finite value 65504, smallest normal 2^-14, smallest
///             subnormal 2^-24.
///
/// Bit compatibility. Each type is exactly one std::uint16_t holding the bit pattern
/// (standard layout, trivially copyable, sizeof 2, alignof 2), so a buffer of 16-bit tensor
/// elements from ggml (ggml_bf16_t / ggml_fp16_t), PyTorch (torch.bfloat16 / torch.half),
/// ONNX (BFLOAT16 / FLOAT16), or any uint16_t array may be viewed as rotary::bfloat16 or
/// rotary::float16 by reinterpret_cast-ing the pointer. The kernels read and write 16-bit
/// storage only through std::memcpy and SIMD load/store intrinsics, never by dereferencing
/// a bfloat16* / float16* as an object, so such aliasing is safe.
///
/// Narrowing (float -> 16 bits), identical bit for bit in the scalar functions below and in
/// every SIMD path (detail/storage_io.hpp), independent of the floating-point environment
/// (rounding mode, FTZ/DAZ):
///   * round to nearest, ties to even, applied once; subnormal results are produced
///     exactly (never flushed to zero); float subnormal inputs are rounded, not flushed
///     (for bfloat16 they mostly survive: bfloat16 shares float's exponent range);
///   * overflow rounds to +-Inf as IEEE round-to-nearest does: float16 values of magnitude
///     >= 65520 (the midpoint between 65504 and 65536) become +-Inf, everything below rounds
///     to at most 65504; for bfloat16 only magnitudes >= (2 - 2^-8) * 2^127 overflow;
///   * +-Inf stays +-Inf, +-0 stays +-0 (sign kept);
///   * NaN stays NaN with its sign, the top mantissa bits kept (the payload truncated) and
///     the quiet bit set: bfloat16 = sign | 0x7F80 | 0x0040 | top 7 mantissa bits,
///     float16 = sign | 0x7C00 | 0x0200 | top 10 mantissa bits (what x86 F16C VCVTPS2PH
///     produces).
/// Widening (16 bits -> float) is exact for every finite value and infinity:
///   * bfloat16: bits << 16, NaNs included (a signalling NaN stays signalling);
///   * float16: NaNs come back quiet, payload kept: sign | 0x7FC00000 | mantissa << 13 (what
///     F16C VCVTPH2PS produces, measured: 0x7C01 -> 0x7FC02000).
/// Accuracy of one narrowing in the normal range (half an ulp, the unit roundoff 2^-p of p
/// significant bits): bfloat16 keeps 8 significant bits, relative error <= 2^-8; float16
/// keeps 11, relative error <= 2^-11. Below 2^-14 float16 is subnormal and the error is
/// absolute, <= 2^-25 (bfloat16 likewise below 2^-126, <= 2^-134).
/// Round trip: narrowing(widening(h)) == h for every non-NaN pattern h.

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace rotary {
namespace detail {

inline std::uint32_t storage_u32_from_float(float f) noexcept {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float storage_float_from_u32(std::uint32_t u) noexcept {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

/// float -> bfloat16 bit pattern: round to nearest even on the bit pattern; NaN quieted.
inline std::uint16_t bf16_bits_from_float(float f) noexcept {
  const std::uint32_t x = storage_u32_from_float(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) {  // NaN: truncate the payload, set the quiet bit
    return static_cast<std::uint16_t>((x >> 16) | 0x0040u);
  }
  // Adding 0x7FFF plus the lowest kept bit rounds the discarded 16 bits to nearest, ties
  // to even; a carry moves into the exponent (up to Inf) exactly as IEEE rounding does.
  const std::uint32_t lsb = (x >> 16) & 1u;
  return static_cast<std::uint16_t>((x + 0x7FFFu + lsb) >> 16);
}

/// bfloat16 bit pattern -> float: exact (the bits become the upper half).
inline float float_from_bf16_bits(std::uint16_t h) noexcept {
  return storage_float_from_u32(static_cast<std::uint32_t>(h) << 16);
}

/// float -> IEEE binary16 bit pattern: round to nearest even (subnormal results included),
/// overflow to +-Inf, NaN -> sign | 0x7E00 | top 10 mantissa bits (as F16C VCVTPS2PH).
inline std::uint16_t fp16_bits_from_float(float f) noexcept {
  const std::uint32_t x = storage_u32_from_float(f);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t a = x & 0x7FFFFFFFu;
  if (a > 0x7F800000u) {  // NaN
    return static_cast<std::uint16_t>(sign | 0x7E00u | ((a & 0x007FFFFFu) >> 13));
  }
  if (a >= 0x477FF000u) {  // >= 65520 (Inf included): rounds to Inf
    return static_cast<std::uint16_t>(sign | 0x7C00u);
  }
  if (a >= 0x38800000u) {  // >= 2^-14: a normal float16
    // Rebias the exponent (127 -> 15: subtract 112 << 23) and round the 13 discarded
    // mantissa bits to nearest even; a carry moves into the exponent.
    const std::uint32_t lsb = (a >> 13) & 1u;
    const std::uint32_t r = a - (112u << 23) + 0x0FFFu + lsb;
    return static_cast<std::uint16_t>(sign | (r >> 13));
  }
  if (a <= 0x33000000u) {  // <= 2^-25 (half the smallest subnormal; the tie goes to 0)
    return static_cast<std::uint16_t>(sign);
  }
  // A float16 subnormal: the result is |f| / 2^-24 rounded to an integer (0x400 when it
  // rounds up to the smallest normal, which is again the right bit pattern).
  // |f| = m * 2^(e - 150) with the 24-bit significand m, so |f| / 2^-24 = m >> (126 - e).
  const std::uint32_t e = a >> 23;  // 102 .. 112 here
  const std::uint32_t m = (a & 0x007FFFFFu) | 0x00800000u;
  const std::uint32_t shift = 126u - e;  // 14 .. 24
  std::uint32_t q = m >> shift;
  const std::uint32_t rest = m & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (q & 1u) != 0u)) ++q;
  return static_cast<std::uint16_t>(sign | q);
}

/// IEEE binary16 bit pattern -> float: exact; NaN quieted (payload kept), as F16C
/// VCVTPH2PS.
inline float float_from_fp16_bits(std::uint16_t h) noexcept {
  const std::uint32_t sign = (static_cast<std::uint32_t>(h) & 0x8000u) << 16;
  const std::uint32_t e = (static_cast<std::uint32_t>(h) >> 10) & 0x1Fu;
  std::uint32_t m = static_cast<std::uint32_t>(h) & 0x03FFu;
  if (e == 0x1Fu) {  // Inf or NaN
    return storage_float_from_u32(sign | 0x7F800000u | (m != 0u ? 0x00400000u | (m << 13) : 0u));
  }
  if (e != 0u) {  // normal: rebias 15 -> 127
    return storage_float_from_u32(sign | ((e + 112u) << 23) | (m << 13));
  }
  if (m == 0u) return storage_float_from_u32(sign);  // +-0
  // Subnormal m * 2^-24: normalise so the leading one sits at bit 10 (a float normal).
  std::uint32_t exponent = 113u;  // biased float exponent of 2^-14
  while ((m & 0x0400u) == 0u) {
    m <<= 1;
    --exponent;
  }
  return storage_float_from_u32(sign | (exponent << 23) | ((m & 0x03FFu) << 13));
}

}  // namespace detail

/// bfloat16 storage (1 + 8 + 7 bits). See the top of this file.
struct bfloat16 {
  std::uint16_t bits;  ///< the bit pattern

  /// Trivial; value-initialisation (bfloat16{}) gives +0.
  bfloat16() = default;
  /// Round to nearest even (once).
  explicit bfloat16(float f) noexcept : bits(detail::bf16_bits_from_float(f)) {}
  /// Exact.
  explicit operator float() const noexcept { return detail::float_from_bf16_bits(bits); }

  static constexpr bfloat16 from_bits(std::uint16_t b) noexcept {
    bfloat16 r{};
    r.bits = b;
    return r;
  }
};

/// IEEE binary16 storage (1 + 5 + 10 bits). See the top of this file.
struct float16 {
  std::uint16_t bits;  ///< the bit pattern

  /// Trivial; value-initialisation (float16{}) gives +0.
  float16() = default;
  /// Round to nearest even (once); magnitudes >= 65520 become Inf.
  explicit float16(float f) noexcept : bits(detail::fp16_bits_from_float(f)) {}
  /// Exact.
  explicit operator float() const noexcept { return detail::float_from_fp16_bits(bits); }

  static constexpr float16 from_bits(std::uint16_t b) noexcept {
    float16 r{};
    r.bits = b;
    return r;
  }
};

static_assert(sizeof(bfloat16) == 2 && alignof(bfloat16) == 2, "bfloat16 must be 2 bytes");
static_assert(sizeof(float16) == 2 && alignof(float16) == 2, "float16 must be 2 bytes");
static_assert(std::is_trivially_copyable<bfloat16>::value &&
                  std::is_standard_layout<bfloat16>::value &&
                  std::is_trivially_default_constructible<bfloat16>::value,
              "bfloat16 must be a plain 16-bit pattern");
static_assert(std::is_trivially_copyable<float16>::value &&
                  std::is_standard_layout<float16>::value &&
                  std::is_trivially_default_constructible<float16>::value,
              "float16 must be a plain 16-bit pattern");

}  // namespace rotary
