// SPDX-License-Identifier: MIT
// 16-bit storage: rotary::bfloat16 / rotary::float16, the scalar conversions of storage.hpp
// against an independent reference (exact values formed in double from the bit fields,
// rounding decided by comparing the distances to the two neighbouring 16-bit values), and
// detail::storage_io<S> of this build's instruction set against the scalar conversions,
// bit for bit, including the tails.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>
#include <rotary/storage.hpp>
#include <rotary/detail/storage_io.hpp>

namespace {

using rotary::bfloat16;
using rotary::float16;

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// --- the two formats, and an independent reference -----------------------------------------

struct bf16_format {
  using type = bfloat16;
  static constexpr int exponent_bits = 8;
  static constexpr int mantissa_bits = 7;
  static constexpr bool widening_quiets_nan = false;  // bits << 16, NaNs included
  static std::uint16_t narrow(float f) { return rotary::detail::bf16_bits_from_float(f); }
  static float widen(std::uint16_t h) { return rotary::detail::float_from_bf16_bits(h); }
};

struct fp16_format {
  using type = float16;
  static constexpr int exponent_bits = 5;
  static constexpr int mantissa_bits = 10;
  static constexpr bool widening_quiets_nan = true;  // as F16C VCVTPH2PS
  static std::uint16_t narrow(float f) { return rotary::detail::fp16_bits_from_float(f); }
  static float widen(std::uint16_t h) { return rotary::detail::float_from_fp16_bits(h); }
};

/// Reference conversions built only from the format's field widths.
template <class F>
struct reference {
  static constexpr int mb = F::mantissa_bits;
  static constexpr int eb = F::exponent_bits;
  static constexpr int bias = (1 << (eb - 1)) - 1;
  static constexpr std::uint32_t mantissa_mask = (1u << mb) - 1u;
  static constexpr std::uint16_t inf = static_cast<std::uint16_t>(((1u << eb) - 1u) << mb);
  static constexpr std::uint16_t quiet = static_cast<std::uint16_t>(1u << (mb - 1));
  static constexpr std::uint16_t max_finite = static_cast<std::uint16_t>(inf - 1u);

  /// value[h] of every positive pattern h in [0, inf]; value[inf] is what the pattern would
  /// be worth with an unbounded exponent (2^(bias+1)), the neighbour that overflow rounds to.
  std::vector<double> value;

  reference() {
    for (std::uint32_t h = 0; h <= inf; ++h) {
      const int e = static_cast<int>(h >> mb);
      const double m = static_cast<double>(h & mantissa_mask);
      value.push_back(e == 0 ? std::ldexp(m, 1 - bias - mb)
                             : std::ldexp(m + std::ldexp(1.0, mb), e - bias - mb));
    }
  }
  static const reference& get() {
    static const reference r;
    return r;
  }

  std::uint16_t narrow(float x) const {
    const std::uint32_t u = bits_of(x);
    const std::uint16_t sign = static_cast<std::uint16_t>((u >> 31) << 15);
    if (std::isnan(x)) {
      return static_cast<std::uint16_t>(sign | inf | quiet | ((u & 0x007FFFFFu) >> (23 - mb)));
    }
    const double a = std::fabs(static_cast<double>(x));
    if (a >= value[inf]) return static_cast<std::uint16_t>(sign | inf);
    const auto above = std::upper_bound(value.begin(), value.end(), a);
    const std::size_t lo = static_cast<std::size_t>(above - value.begin()) - 1;
    if (value[lo] == a) return static_cast<std::uint16_t>(sign | lo);
    const std::size_t hi = lo + 1;
    // Both differences are exact (Sterbenz: value[lo] <= a <= value[hi] <= 2 value[lo]).
    const double below_distance = a - value[lo];
    const double above_distance = value[hi] - a;
    std::size_t pick;
    if (below_distance < above_distance) {
      pick = lo;
    } else if (above_distance < below_distance) {
      pick = hi;
    } else {
      pick = (lo % 2 == 0) ? lo : hi;  // tie: the even pattern
    }
    return static_cast<std::uint16_t>(sign | pick);
  }

  float widen(std::uint16_t h) const {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t mag = h & 0x7FFFu;
    if (mag > inf) {
      return float_of(sign | 0x7F800000u | (F::widening_quiets_nan ? 0x00400000u : 0u) |
                      ((mag & mantissa_mask) << (23 - mb)));
    }
    if (mag == inf) return float_of(sign | 0x7F800000u);
    const float f = static_cast<float>(value[mag]);
    return sign != 0 ? -f : f;
  }
};

/// Names typed instances after the type (a names generator also keeps clang's -Wpedantic
/// quiet about an empty variadic macro argument).
struct TypeNames {
  template <class T>
  static std::string GetName(int) {
    if (std::is_same_v<T, bf16_format> || std::is_same_v<T, bfloat16>) return "bfloat16";
    if (std::is_same_v<T, fp16_format> || std::is_same_v<T, float16>) return "float16";
    if (std::is_same_v<T, float>) return "float";
    if (std::is_same_v<T, double>) return "double";
    return "unknown";
  }
};

// --- the storage types ----------------------------------------------------------------------

static_assert(sizeof(bfloat16) == 2 && alignof(bfloat16) == 2);
static_assert(sizeof(float16) == 2 && alignof(float16) == 2);
static_assert(std::is_trivially_copyable_v<bfloat16> && std::is_trivially_copyable_v<float16>);
static_assert(std::is_standard_layout_v<bfloat16> && std::is_standard_layout_v<float16>);
static_assert(std::is_trivially_default_constructible_v<bfloat16> &&
              std::is_trivially_default_constructible_v<float16>);
static_assert(!std::is_convertible_v<float, bfloat16> && !std::is_convertible_v<float, float16>,
              "the float constructors are explicit");
static_assert(!std::is_convertible_v<bfloat16, float> && !std::is_convertible_v<float16, float>,
              "the float conversions are explicit");
static_assert(bfloat16::from_bits(0x3F80).bits == 0x3F80, "from_bits is constexpr");
static_assert(float16::from_bits(0x3C00).bits == 0x3C00, "from_bits is constexpr");

TEST(StorageTypes, ValueInitialisedIsPositiveZero) {
  const bfloat16 b{};
  const float16 h{};
  EXPECT_EQ(b.bits, 0u);
  EXPECT_EQ(h.bits, 0u);
  EXPECT_EQ(bits_of(static_cast<float>(b)), 0u);
  EXPECT_EQ(bits_of(static_cast<float>(h)), 0u);
}

TEST(StorageTypes, ConstructorAndConversionAreTheScalarFunctions) {
  std::mt19937 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const float x = float_of(static_cast<std::uint32_t>(rng()));
    EXPECT_EQ(bfloat16(x).bits, rotary::detail::bf16_bits_from_float(x));
    EXPECT_EQ(float16(x).bits, rotary::detail::fp16_bits_from_float(x));
  }
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const auto b = static_cast<std::uint16_t>(h);
    ASSERT_EQ(bits_of(static_cast<float>(bfloat16::from_bits(b))),
              bits_of(rotary::detail::float_from_bf16_bits(b)));
    ASSERT_EQ(bits_of(static_cast<float>(float16::from_bits(b))),
              bits_of(rotary::detail::float_from_fp16_bits(b)));
  }
  EXPECT_EQ(bfloat16(1.0f).bits, 0x3F80u);
  EXPECT_EQ(float16(1.0f).bits, 0x3C00u);
  EXPECT_EQ(static_cast<float>(bfloat16::from_bits(0xC040)), -3.0f);
  EXPECT_EQ(static_cast<float>(float16::from_bits(0xC200)), -3.0f);
}

// --- scalar conversions against the reference -----------------------------------------------

template <class F>
class ScalarConversion : public ::testing::Test {};
using Formats = ::testing::Types<bf16_format, fp16_format>;
TYPED_TEST_SUITE(ScalarConversion, Formats, TypeNames);

TYPED_TEST(ScalarConversion, ReferenceValuesAreFloats) {
  const auto& ref = reference<TypeParam>::get();
  // (value[inf], 2^128 for bfloat16, need not be one.)
  for (std::size_t h = 0; h <= ref.max_finite; ++h) {
    ASSERT_EQ(static_cast<double>(static_cast<float>(ref.value[h])), ref.value[h]) << h;
  }
  ASSERT_LT(ref.value[ref.max_finite], ref.value[ref.inf]);
}

TYPED_TEST(ScalarConversion, WideningAllPatterns) {
  const auto& ref = reference<TypeParam>::get();
  for (std::uint32_t i = 0; i < 65536; ++i) {
    const auto h = static_cast<std::uint16_t>(i);
    ASSERT_EQ(bits_of(TypeParam::widen(h)), bits_of(ref.widen(h))) << std::hex << "h=0x" << i;
  }
}

TYPED_TEST(ScalarConversion, RoundTripAllPatterns) {
  using R = reference<TypeParam>;
  for (std::uint32_t i = 0; i < 65536; ++i) {
    const auto h = static_cast<std::uint16_t>(i);
    const bool nan = (h & 0x7FFFu) > R::inf;
    // A NaN comes back with its payload and the quiet bit set.
    const auto expected = static_cast<std::uint16_t>(nan ? (h | R::quiet) : h);
    ASSERT_EQ(TypeParam::narrow(TypeParam::widen(h)), expected) << std::hex << "h=0x" << i;
  }
}

TYPED_TEST(ScalarConversion, NarrowingSampledFloats) {
  const auto& ref = reference<TypeParam>::get();
  // Every 65521st float bit pattern (65521 is prime, so the low 16 bits, which decide the
  // rounding, run through all residues), then uniformly random ones.
  for (std::uint64_t u = 0; u <= 0xFFFFFFFFu; u += 65521u) {
    const float x = float_of(static_cast<std::uint32_t>(u));
    ASSERT_EQ(TypeParam::narrow(x), ref.narrow(x)) << std::hex << "x bits=0x" << u;
  }
  std::mt19937 rng(12345);
  for (int i = 0; i < 200000; ++i) {
    const std::uint32_t u = static_cast<std::uint32_t>(rng());
    const float x = float_of(u);
    ASSERT_EQ(TypeParam::narrow(x), ref.narrow(x)) << std::hex << "x bits=0x" << u;
  }
}

TYPED_TEST(ScalarConversion, NarrowingAtEveryRoundingBoundary) {
  const auto& ref = reference<TypeParam>::get();
  const float inf = std::numeric_limits<float>::infinity();
  std::size_t ties = 0;
  for (std::uint32_t h = 0; h <= ref.max_finite; ++h) {
    const double mid = 0.5 * (ref.value[h] + ref.value[h + 1]);  // exact in double
    const float midf = static_cast<float>(mid);
    ASSERT_EQ(static_cast<double>(midf), mid) << "midpoint not a float, h=" << h;
    const float exact = static_cast<float>(ref.value[h]);
    const float candidates[] = {midf,  std::nextafter(midf, 0.0f),  std::nextafter(midf, inf),
                                exact, std::nextafter(exact, 0.0f), std::nextafter(exact, inf)};
    for (const float c : candidates) {
      for (const float x : {c, -c}) {
        ASSERT_EQ(TypeParam::narrow(x), ref.narrow(x))
            << std::hex << "x bits=0x" << bits_of(x) << " near h=0x" << h;
      }
    }
    // The tie itself goes to the even neighbour; just above and below to the nearer one.
    const std::uint32_t even = (h % 2 == 0) ? h : h + 1;
    ASSERT_EQ(TypeParam::narrow(midf), even) << h;
    ASSERT_EQ(TypeParam::narrow(std::nextafter(midf, 0.0f)), h) << h;
    ASSERT_EQ(TypeParam::narrow(std::nextafter(midf, inf)), h + 1) << h;
    ++ties;
  }
  EXPECT_EQ(ties, static_cast<std::size_t>(ref.max_finite) + 1);
}

TYPED_TEST(ScalarConversion, RelativeErrorInTheNormalRange) {
  using R = reference<TypeParam>;
  const auto& ref = R::get();
  // Half an ulp of the leading binade: 2^-p with p = mb + 1 significant bits (bfloat16 2^-8,
  // float16 2^-11).
  const double bound = std::ldexp(1.0, -(R::mb + 1));
  const double smallest_normal = ref.value[std::size_t{1} << R::mb];
  std::mt19937 rng(99);
  for (int i = 0; i < 200000; ++i) {
    const float x = float_of(static_cast<std::uint32_t>(rng()));
    const double a = std::fabs(static_cast<double>(x));
    if (!std::isfinite(x) || a < smallest_normal || a > ref.value[R::max_finite]) continue;
    const double y = static_cast<double>(TypeParam::widen(TypeParam::narrow(x)));
    ASSERT_LE(std::fabs(y - static_cast<double>(x)), bound * a) << x;
  }
}

// --- named cases ----------------------------------------------------------------------------

std::uint16_t bf16(std::uint32_t float_bits) {
  return rotary::detail::bf16_bits_from_float(float_of(float_bits));
}
std::uint16_t bf16(float f) { return rotary::detail::bf16_bits_from_float(f); }
std::uint32_t from_bf16(std::uint16_t h) {
  return bits_of(rotary::detail::float_from_bf16_bits(h));
}
std::uint16_t fp16(std::uint32_t float_bits) {
  return rotary::detail::fp16_bits_from_float(float_of(float_bits));
}
std::uint16_t fp16(float f) { return rotary::detail::fp16_bits_from_float(f); }
std::uint32_t from_fp16(std::uint16_t h) {
  return bits_of(rotary::detail::float_from_fp16_bits(h));
}

TEST(Bfloat16Conversion, NamedCases) {
  // +-0
  EXPECT_EQ(bf16(0.0f), 0x0000u);
  EXPECT_EQ(bf16(-0.0f), 0x8000u);
  EXPECT_EQ(from_bf16(0x8000), 0x80000000u);
  // smallest and largest subnormal, smallest normal
  EXPECT_EQ(from_bf16(0x0001), 0x00010000u);
  EXPECT_EQ(static_cast<double>(float_of(from_bf16(0x0001))), std::ldexp(1.0, -133));
  EXPECT_EQ(bf16(std::ldexp(1.0f, -133)), 0x0001u);
  EXPECT_EQ(from_bf16(0x007F), 0x007F0000u);
  EXPECT_EQ(static_cast<double>(float_of(from_bf16(0x007F))), 127.0 * std::ldexp(1.0, -133));
  EXPECT_EQ(bf16(std::numeric_limits<float>::min()), 0x0080u);
  // float subnormals are rounded, not flushed
  EXPECT_EQ(bf16(0x00000001u), 0x0000u);  // 2^-149, far below half of 2^-133
  EXPECT_EQ(bf16(0x00008000u), 0x0000u);  // 2^-134: tie between 0 and 0x0001, to even
  EXPECT_EQ(bf16(0x00008001u), 0x0001u);
  EXPECT_EQ(bf16(0x00017FFFu), 0x0001u);
  EXPECT_EQ(bf16(0x00018000u), 0x0002u);  // tie, to even
  EXPECT_EQ(bf16(0x00400000u), 0x0040u);
  EXPECT_EQ(bf16(0x807F0000u), 0x807Fu);
  EXPECT_EQ(bf16(0x007FFFFFu), 0x0080u);  // largest float subnormal rounds up to the normal
  EXPECT_EQ(bf16(0x807FFFFFu), 0x8080u);
  // ties to even, and just past a tie
  EXPECT_EQ(bf16(0x3F808000u), 0x3F80u);  // 1 + 2^-8
  EXPECT_EQ(bf16(0x3F818000u), 0x3F82u);  // 1 + 3 * 2^-8
  EXPECT_EQ(bf16(0x3F808001u), 0x3F81u);
  EXPECT_EQ(bf16(0x3F807FFFu), 0x3F80u);
  EXPECT_EQ(bf16(0xBF818000u), 0xBF82u);
  EXPECT_EQ(bf16(1.0f), 0x3F80u);
  EXPECT_EQ(bf16(-3.0f), 0xC040u);
  // the largest finite value, and overflow
  EXPECT_EQ(from_bf16(0x7F7F), 0x7F7F0000u);
  EXPECT_EQ(bf16(0x7F7F0000u), 0x7F7Fu);
  EXPECT_EQ(bf16(0x7F7F7FFFu), 0x7F7Fu);
  EXPECT_EQ(bf16(0x7F7F8000u), 0x7F80u);  // tie above the largest odd value: Inf
  EXPECT_EQ(bf16(std::numeric_limits<float>::max()), 0x7F80u);
  EXPECT_EQ(bf16(std::numeric_limits<float>::lowest()), 0xFF80u);
  // Inf
  EXPECT_EQ(bf16(std::numeric_limits<float>::infinity()), 0x7F80u);
  EXPECT_EQ(bf16(-std::numeric_limits<float>::infinity()), 0xFF80u);
  EXPECT_EQ(from_bf16(0x7F80), 0x7F800000u);
  EXPECT_EQ(from_bf16(0xFF80), 0xFF800000u);
  // NaN: sign and top 7 mantissa bits kept, quiet bit set
  EXPECT_EQ(bf16(0x7FC00000u), 0x7FC0u);
  EXPECT_EQ(bf16(0x7F800001u), 0x7FC0u);  // signalling, payload only in the low bits
  EXPECT_EQ(bf16(0xFF800001u), 0xFFC0u);
  EXPECT_EQ(bf16(0x7FA00000u), 0x7FE0u);  // signalling with payload 0x20
  EXPECT_EQ(bf16(0xFFBF0000u), 0xFFFFu);
  EXPECT_EQ(bf16(0x7FFFFFFFu), 0x7FFFu);
  EXPECT_EQ(bf16(0x7FC0FFFFu), 0x7FC0u);  // truncated, never rounded into the exponent
  EXPECT_EQ(bf16(std::numeric_limits<float>::quiet_NaN()) & 0x7FC0u, 0x7FC0u);
  // widening keeps every NaN bit (a signalling NaN stays signalling)
  EXPECT_EQ(from_bf16(0x7F81), 0x7F810000u);
  EXPECT_EQ(from_bf16(0xFFC1), 0xFFC10000u);
  EXPECT_TRUE(std::isnan(float_of(from_bf16(0x7F81))));
}

TEST(Float16Conversion, NamedCases) {
  // +-0
  EXPECT_EQ(fp16(0.0f), 0x0000u);
  EXPECT_EQ(fp16(-0.0f), 0x8000u);
  EXPECT_EQ(from_fp16(0x8000), 0x80000000u);
  // the smallest subnormal 2^-24, and the ties around it
  EXPECT_EQ(from_fp16(0x0001), 0x33800000u);
  EXPECT_EQ(fp16(std::ldexp(1.0f, -24)), 0x0001u);
  EXPECT_EQ(fp16(-std::ldexp(1.0f, -24)), 0x8001u);
  EXPECT_EQ(fp16(0x33000000u), 0x0000u);  // 2^-25: tie between 0 and 0x0001, to even
  EXPECT_EQ(fp16(0xB3000000u), 0x8000u);
  EXPECT_EQ(fp16(0x33000001u), 0x0001u);
  EXPECT_EQ(fp16(0x32FFFFFFu), 0x0000u);
  EXPECT_EQ(fp16(1.5f * std::ldexp(1.0f, -24)), 0x0002u);  // tie, to even (up)
  EXPECT_EQ(fp16(2.5f * std::ldexp(1.0f, -24)), 0x0002u);  // tie, to even (down)
  // the largest subnormal, the smallest normal and the tie between them
  EXPECT_EQ(from_fp16(0x03FF), 0x387FC000u);  // 1023 * 2^-24
  EXPECT_EQ(fp16(1023.0f * std::ldexp(1.0f, -24)), 0x03FFu);
  EXPECT_EQ(fp16(1023.5f * std::ldexp(1.0f, -24)), 0x0400u);
  EXPECT_EQ(from_fp16(0x0400), 0x38800000u);  // 2^-14
  EXPECT_EQ(fp16(std::ldexp(1.0f, -14)), 0x0400u);
  // float subnormals become +-0
  EXPECT_EQ(fp16(0x00000001u), 0x0000u);
  EXPECT_EQ(fp16(0x807FFFFFu), 0x8000u);
  EXPECT_EQ(fp16(std::numeric_limits<float>::min()), 0x0000u);
  // ties to even
  EXPECT_EQ(fp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00u);
  EXPECT_EQ(fp16(1.0f + 3.0f * std::ldexp(1.0f, -11)), 0x3C02u);
  EXPECT_EQ(fp16(2049.0f), 0x6800u);
  EXPECT_EQ(fp16(2051.0f), 0x6802u);
  EXPECT_EQ(fp16(-2051.0f), 0xE802u);
  EXPECT_EQ(fp16(1.0f), 0x3C00u);
  EXPECT_EQ(fp16(-3.0f), 0xC200u);
  // the largest finite value 65504, and overflow at 65520
  EXPECT_EQ(from_fp16(0x7BFF), bits_of(65504.0f));
  EXPECT_EQ(fp16(65504.0f), 0x7BFFu);
  EXPECT_EQ(fp16(65519.99f), 0x7BFFu);
  EXPECT_EQ(fp16(std::nextafter(65520.0f, 0.0f)), 0x7BFFu);
  EXPECT_EQ(fp16(65520.0f), 0x7C00u);
  EXPECT_EQ(fp16(-65504.0f), 0xFBFFu);
  EXPECT_EQ(fp16(-65520.0f), 0xFC00u);
  EXPECT_EQ(fp16(65536.0f), 0x7C00u);
  EXPECT_EQ(fp16(1e9f), 0x7C00u);
  EXPECT_EQ(fp16(-1e9f), 0xFC00u);
  EXPECT_EQ(fp16(std::numeric_limits<float>::max()), 0x7C00u);
  // Inf
  EXPECT_EQ(fp16(std::numeric_limits<float>::infinity()), 0x7C00u);
  EXPECT_EQ(fp16(-std::numeric_limits<float>::infinity()), 0xFC00u);
  EXPECT_EQ(from_fp16(0x7C00), 0x7F800000u);
  EXPECT_EQ(from_fp16(0xFC00), 0xFF800000u);
  // NaN -> sign | 0x7E00 | top 10 mantissa bits (measured on F16C hardware)
  EXPECT_EQ(fp16(0x7FC00000u), 0x7E00u);
  EXPECT_EQ(fp16(0x7F800001u), 0x7E00u);  // signalling
  EXPECT_EQ(fp16(0xFFA00000u), 0xFF00u);  // signalling with payload, negative
  EXPECT_EQ(fp16(0x7FBFFFFFu), 0x7FFFu);
  EXPECT_EQ(fp16(0x7FC02000u), 0x7E01u);
  EXPECT_EQ(fp16(0x7FC01FFFu), 0x7E00u);  // truncated, not rounded
  EXPECT_EQ(fp16(std::numeric_limits<float>::quiet_NaN()) & 0x7E00u, 0x7E00u);
  // widening: NaNs come back quiet, payload kept (measured on F16C hardware)
  EXPECT_EQ(from_fp16(0x7C01), 0x7FC02000u);
  EXPECT_EQ(from_fp16(0xFC01), 0xFFC02000u);
  EXPECT_EQ(from_fp16(0x7D55), 0x7FEAA000u);
  EXPECT_EQ(from_fp16(0x7E00), 0x7FC00000u);
  EXPECT_EQ(from_fp16(0x7FFF), 0x7FFFE000u);
}

// --- storage_io ------------------------------------------------------------------------------

/// What storage_io<S> must do, lane by lane, per the scalar conversions.
template <class S>
struct io_expect;
template <>
struct io_expect<float> {
  using compute = float;
  static float widen(float s) { return s; }
  static float narrow(float c) { return c; }
};
template <>
struct io_expect<double> {
  using compute = double;
  static double widen(double s) { return s; }
  static double narrow(double c) { return c; }
};
template <>
struct io_expect<bfloat16> {
  using compute = float;
  static float widen(bfloat16 s) { return rotary::detail::float_from_bf16_bits(s.bits); }
  static bfloat16 narrow(float c) {
    return bfloat16::from_bits(rotary::detail::bf16_bits_from_float(c));
  }
};
template <>
struct io_expect<float16> {
  using compute = float;
  static float widen(float16 s) { return rotary::detail::float_from_fp16_bits(s.bits); }
  static float16 narrow(float c) {
    return float16::from_bits(rotary::detail::fp16_bits_from_float(c));
  }
};

template <class T>
bool same_bits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class T>
std::string hex_bits(const T& x) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &x, sizeof(T));
  static const char digits[] = "0123456789abcdef";
  std::string s = "0x";
  for (std::size_t i = sizeof(T); i-- > 0;) {
    s += digits[bytes[i] >> 4];
    s += digits[bytes[i] & 15];
  }
  return s;
}

/// Values of a float or double type: random bit patterns (NaNs excluded, so that copying
/// through scalar registers is bitwise on every target) and specials.
template <class T>
std::vector<T> wide_values(std::size_t n, std::uint64_t seed) {
  using L = std::numeric_limits<T>;
  std::vector<T> v = {T(0),         -T(0),           T(1),         -T(1),
                      L::min(),     -L::min(),       L::denorm_min(), -L::denorm_min(),
                      L::max(),     L::lowest(),     L::infinity(), -L::infinity()};
  std::mt19937_64 rng(seed);
  while (v.size() < n) {
    const std::uint64_t u = rng();
    T x;
    if constexpr (sizeof(T) == 4) {
      x = float_of(static_cast<std::uint32_t>(u));
    } else {
      std::memcpy(&x, &u, sizeof x);
    }
    if (!std::isnan(x)) v.push_back(x);
  }
  v.resize(n);
  return v;
}

/// 16-bit patterns: specials (zeros, subnormals, extremes, Inf, quiet and signalling NaNs
/// with payloads, of either format) then random ones.
template <class S>
std::vector<S> narrow_values(std::size_t n, std::uint64_t seed) {
  const std::uint16_t specials[] = {
      0x0000, 0x8000, 0x0001, 0x8001, 0x007F, 0x0080, 0x03FF, 0x0400, 0x83FF, 0x3C00,
      0x3F80, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7C01, 0xFC01, 0x7D55, 0x7E00, 0x7FFF,
      0x7F7F, 0xFF7F, 0x7F80, 0xFF80, 0x7F81, 0xFF81, 0x7FC0, 0x7FC1, 0xFFFF, 0x7FA5};
  std::vector<S> v;
  for (const std::uint16_t h : specials) v.push_back(S::from_bits(h));
  std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
  while (v.size() < n) v.push_back(S::from_bits(static_cast<std::uint16_t>(rng())));
  v.resize(n);
  return v;
}

/// Floats to narrow: every kind of rounding case of both formats, then random bit patterns
/// (NaN payloads included) and values near the rounding boundaries.
std::vector<float> floats_to_narrow(std::size_t n, std::uint64_t seed) {
  const std::uint32_t special_bits[] = {
      0x00000000u, 0x80000000u, 0x00000001u, 0x807FFFFFu, 0x00008000u, 0x00008001u,
      0x00018000u, 0x33000000u, 0x33000001u, 0x33C00000u, 0x387FC000u, 0x387FE000u,
      0x38800000u, 0x3F808000u, 0x3F818000u, 0x3F808001u, 0x3F801000u, 0x3F803000u,
      0x477FE000u, 0x477FEFFFu, 0x477FF000u, 0xC77FF000u, 0x4E6E6B28u, 0xCE6E6B28u,
      0x7F7F7FFFu, 0x7F7F8000u, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x7F800000u, 0xFF800000u,
      0x7F800001u, 0xFF800001u, 0x7FA00000u, 0xFFBF0000u, 0x7FC00000u, 0x7FC02000u,
      0x7FBFFFFFu, 0x7FFFFFFFu, 0xFFFFFFFFu, 0x7FC0FFFFu};
  std::vector<float> v;
  for (const std::uint32_t u : special_bits) v.push_back(float_of(u));
  v.push_back(65519.99f);
  v.push_back(-65519.99f);
  std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
  while (v.size() < n) {
    const std::uint32_t u = static_cast<std::uint32_t>(rng());
    switch (rng() % 4) {
      case 0:  // anything
        v.push_back(float_of(u));
        break;
      case 1:  // a bfloat16 rounding boundary: low 16 bits 0x8000 +- 1
        v.push_back(float_of((u & 0xFFFF0000u) | (0x7FFFu + (u & 3u) % 3u)));
        break;
      case 2:  // a float16 boundary in the float16 range: low 13 bits 0x1000 +- 1
        v.push_back(float_of(((0x33000000u + u % 0x14800000u) & ~0x1FFFu) + 0x0FFFu +
                             (u >> 30) % 3u));
        break;
      default:  // |x| < 2^17, sign random
        v.push_back(float_of((u & 0x80000000u) | (u % 0x48000000u)));
        break;
    }
  }
  v.resize(n);
  return v;
}

template <class S>
class StorageIo : public ::testing::Test {
 protected:
  using io = rotary::detail::storage_io<S>;
  using B = typename io::batch_type;
  using C = typename io_expect<S>::compute;
  static constexpr std::ptrdiff_t lanes = B::size;
  static constexpr std::size_t ulanes = static_cast<std::size_t>(B::size);

  static std::vector<S> storage_values(std::size_t n, std::uint64_t seed) {
    if constexpr (std::is_floating_point_v<S>) {
      return wide_values<S>(n, seed);
    } else {
      return narrow_values<S>(n, seed);
    }
  }
  static std::vector<C> compute_values(std::size_t n, std::uint64_t seed) {
    if constexpr (std::is_same_v<S, C>) {
      return wide_values<C>(n, seed);
    } else {
      return floats_to_narrow(n, seed);
    }
  }
  static S sentinel() {
    if constexpr (std::is_floating_point_v<S>) {
      return S(-12345.5);
    } else {
      return S::from_bits(0xA5C3);
    }
  }
};
using StorageTypes = ::testing::Types<float, double, bfloat16, float16>;
TYPED_TEST_SUITE(StorageIo, StorageTypes, TypeNames);

TYPED_TEST(StorageIo, BatchType) {
  using io = typename TestFixture::io;
  using C = typename TestFixture::C;
  static_assert(std::is_same_v<typename io::batch_type, rotary::detail::batch<C>>);
  EXPECT_GE(TestFixture::lanes, 2);
}

TYPED_TEST(StorageIo, LoadIsTheScalarWidening) {
  using io = typename TestFixture::io;
  using C = typename TestFixture::C;
  using E = io_expect<TypeParam>;
  const std::size_t lanes = TestFixture::ulanes;
  const std::size_t chunks = 8192 / lanes;
  const std::vector<TypeParam> in = TestFixture::storage_values(chunks * lanes, 1);
  std::vector<C> out(lanes);
  for (std::size_t c = 0; c < chunks; ++c) {
    const TypeParam* p = in.data() + c * lanes;
    io::load(p).store(out.data());
    for (std::size_t i = 0; i < lanes; ++i) {
      ASSERT_TRUE(same_bits(out[i], E::widen(p[i])))
          << "lane " << i << " of " << hex_bits(p[i]) << ": " << hex_bits(out[i]) << " vs "
          << hex_bits(E::widen(p[i]));
    }
  }
}

TYPED_TEST(StorageIo, LoadPartialReadsOnlyNAndZeroesTheRest) {
  using io = typename TestFixture::io;
  using C = typename TestFixture::C;
  using E = io_expect<TypeParam>;
  const std::size_t lanes = TestFixture::ulanes;
  const std::vector<TypeParam> in = TestFixture::storage_values(64 * lanes, 2);
  std::vector<C> out(lanes);
  for (std::size_t n = 1; n < lanes; ++n) {
    for (std::size_t c = 0; c + lanes <= in.size(); c += lanes) {
      // Exactly n elements on the heap: an over-read is an AddressSanitizer error.
      const std::vector<TypeParam> src(in.begin() + static_cast<std::ptrdiff_t>(c),
                                       in.begin() + static_cast<std::ptrdiff_t>(c + n));
      io::load_partial(src.data(), static_cast<std::ptrdiff_t>(n)).store(out.data());
      for (std::size_t i = 0; i < lanes; ++i) {
        const C expected = i < n ? E::widen(src[i]) : C(0);
        ASSERT_TRUE(same_bits(out[i], expected))
            << "n=" << n << " lane " << i << ": " << hex_bits(out[i]) << " vs "
            << hex_bits(expected);
      }
    }
  }
}

TYPED_TEST(StorageIo, StoreIsTheScalarNarrowing) {
  using io = typename TestFixture::io;
  using B = typename TestFixture::B;
  using E = io_expect<TypeParam>;
  const std::size_t lanes = TestFixture::ulanes;
  const std::size_t chunks = 8192 / lanes;
  const auto in = TestFixture::compute_values(chunks * lanes, 3);
  const std::size_t guard = 4;
  std::vector<TypeParam> out(lanes + guard);
  for (std::size_t c = 0; c < chunks; ++c) {
    std::fill(out.begin(), out.end(), TestFixture::sentinel());
    const auto* p = in.data() + c * lanes;
    io::store(out.data(), B::load(p));
    for (std::size_t i = 0; i < lanes; ++i) {
      ASSERT_TRUE(same_bits(out[i], E::narrow(p[i])))
          << "lane " << i << " of " << hex_bits(p[i]) << ": " << hex_bits(out[i]) << " vs "
          << hex_bits(E::narrow(p[i]));
    }
    for (std::size_t i = lanes; i < out.size(); ++i) {
      ASSERT_TRUE(same_bits(out[i], TestFixture::sentinel())) << "wrote past the end";
    }
  }
}

TYPED_TEST(StorageIo, StorePartialWritesOnlyN) {
  using io = typename TestFixture::io;
  using B = typename TestFixture::B;
  using E = io_expect<TypeParam>;
  const std::size_t lanes = TestFixture::ulanes;
  const auto in = TestFixture::compute_values(64 * lanes, 4);
  const std::size_t guard = 4;
  std::vector<TypeParam> out(lanes + guard);
  for (std::size_t n = 1; n < lanes; ++n) {
    for (std::size_t c = 0; c + lanes <= in.size(); c += lanes) {
      const auto* p = in.data() + c;
      const B v = B::load(p);
      std::fill(out.begin(), out.end(), TestFixture::sentinel());
      io::store_partial(out.data(), v, static_cast<std::ptrdiff_t>(n));
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(same_bits(out[i], E::narrow(p[i])))
            << "n=" << n << " lane " << i << " of " << hex_bits(p[i]) << ": "
            << hex_bits(out[i]) << " vs " << hex_bits(E::narrow(p[i]));
      }
      for (std::size_t i = n; i < out.size(); ++i) {
        ASSERT_TRUE(same_bits(out[i], TestFixture::sentinel())) << "n=" << n << " wrote " << i;
      }
      // Exactly n elements on the heap: an over-write is an AddressSanitizer error.
      std::vector<TypeParam> exact(n, TestFixture::sentinel());
      io::store_partial(exact.data(), v, static_cast<std::ptrdiff_t>(n));
      for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(same_bits(exact[i], out[i]));
    }
  }
}

TEST(StorageIoAliasing, Uint16BuffersViewedAsStorage) {
  // A uint16_t tensor buffer (as ggml / PyTorch / ONNX hand over) viewed through a
  // reinterpret_cast pointer, read and written by storage_io.
  using io16 = rotary::detail::storage_io<float16>;
  using iobf = rotary::detail::storage_io<bfloat16>;
  constexpr std::size_t lanes = static_cast<std::size_t>(io16::batch_type::size);
  std::vector<std::uint16_t> h(lanes), b(lanes), h_out(lanes, 0), b_out(lanes, 0);
  for (std::size_t i = 0; i < lanes; ++i) {
    h[i] = static_cast<std::uint16_t>(0x3C00u + i);  // 1 + i * 2^-10
    b[i] = static_cast<std::uint16_t>(0xBF80u + i);  // -(1 + i * 2^-7)
  }
  const auto vh = io16::load(reinterpret_cast<const float16*>(h.data()));
  const auto vb = iobf::load(reinterpret_cast<const bfloat16*>(b.data()));
  std::vector<float> fh(lanes), fb(lanes);
  vh.store(fh.data());
  vb.store(fb.data());
  for (std::size_t i = 0; i < lanes; ++i) {
    EXPECT_EQ(fh[i], 1.0f + static_cast<float>(i) / 1024.0f);
    EXPECT_EQ(fb[i], -(1.0f + static_cast<float>(i) / 128.0f));
  }
  io16::store(reinterpret_cast<float16*>(h_out.data()), vh);
  iobf::store(reinterpret_cast<bfloat16*>(b_out.data()), vb);
  EXPECT_EQ(h_out, h);
  EXPECT_EQ(b_out, b);
}

}  // namespace
