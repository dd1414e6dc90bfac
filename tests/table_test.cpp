// SPDX-License-Identifier: MIT
// cos_sin_table, cos_sin_view and on_the_fly_angles: accuracy of the cos/sin values,
// growth, and the caller-memory layouts of common caches.

// Also tests the rotary 0.1 entry points, now [[deprecated]] forwarders to the rope object
// (deprecated.hpp): they must keep giving the results they gave before.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

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
#include <rotary/rotary.hpp>

#include "expect_error.hpp"
#include "test_util.hpp"

namespace {

using real = long double;
using rotary::pairing;

constexpr std::ptrdiff_t kRotaryDim = 128;
constexpr std::size_t kHalf = kRotaryDim / 2;
constexpr std::int64_t kMaxPosition = (std::int64_t{1} << 20) - 1;

/// Positions to check: the ends 0, 1, 2^20 - 1, and a few thousand spread up to 2^20
/// (half of them log-uniform, so that small and large positions are both covered).
std::vector<std::int64_t> sampled_positions() {
  std::vector<std::int64_t> m = {0, 1, 2, kMaxPosition - 1, kMaxPosition};
  std::mt19937_64 rng(2024);
  std::uniform_int_distribution<std::int64_t> uniform(0, kMaxPosition);
  std::uniform_real_distribution<double> log_uniform(0.0, 20.0);
  for (int k = 0; k < 1500; ++k) m.push_back(uniform(rng));
  for (int k = 0; k < 1500; ++k) {
    m.push_back(static_cast<std::int64_t>(std::exp2(log_uniform(rng))));
  }
  return m;
}

/// Long-double reference: theta_i = 10000^(-2i/128) with powl, cos/sin of m * theta_i in
/// long double.
std::vector<real> reference_theta() {
  std::vector<real> theta(kHalf);
  for (std::size_t i = 0; i < kHalf; ++i) {
    theta[i] = std::pow(10000.0L, -2.0L * static_cast<real>(i) / static_cast<real>(kRotaryDim));
  }
  return theta;
}

/// Largest |value - exact| over the cos and sin of one row.
real row_error(const std::vector<real>& theta, std::int64_t m, const float* cos,
               const float* sin) {
  real worst = 0.0L;
  for (std::size_t i = 0; i < kHalf; ++i) {
    const real angle = static_cast<real>(m) * theta[i];
    worst = std::max(worst, std::fabs(static_cast<real>(cos[i]) - std::cos(angle)));
    worst = std::max(worst, std::fabs(static_cast<real>(sin[i]) - std::sin(angle)));
  }
  return worst;
}

const real kFloatBound = std::ldexp(1.0L, -24);

TEST(TableTest, FloatTableWithinTwoToMinus24) {
  const auto theta = reference_theta();
  const rotary::cos_sin_table<float> table(kRotaryDim, 4096);
  const auto view = table.view();
  real worst = 0.0L;
  for (std::int64_t m = 0; m < table.rows(); ++m) {
    worst = std::max(worst, row_error(theta, m, view.cos_row(m), view.sin_row(m)));
  }
  EXPECT_LE(worst, kFloatBound) << "max error " << static_cast<double>(worst);
}

// Positions up to 2^20 through the same detail::cos_sin_of_angle that fills the table (a
// 2^20-row table of rotary_dim 128 would be 512 MiB).
TEST(TableTest, FloatOnTheFlyWithinTwoToMinus24UpToTwoTo20) {
  const auto theta = reference_theta();
  const rotary::on_the_fly_angles<float> fly(kRotaryDim);
  std::vector<float> scratch(kRotaryDim);
  real worst = 0.0L;
  std::int64_t worst_m = -1;
  for (std::int64_t m : sampled_positions()) {
    const float* c = nullptr;
    const float* s = nullptr;
    fly.make_reader().coefficients(m, scratch.data(), c, s);
    const real e = row_error(theta, m, c, s);
    if (e > worst) worst = e, worst_m = m;
  }
  EXPECT_LE(worst, kFloatBound) << "max error " << static_cast<double>(worst) << " at m = "
                                << worst_m;
}

// Control: the same check on angles formed in float (theta by powf, float(m) * theta, cosf
// and sinf) fails, which shows the check above has teeth. The float product m * theta
// loses up to half an ulp of m * theta (2^-5 for m * theta in [2^19, 2^20)), and theta_f
// itself is off by up to ~2^-24 relative, i.e. up to ~2^-4 in the angle at m ~ 2^20.
// Measured max error over the sampled positions (g++ 12 / glibc 2.36, x86-64): 5.9e-2.
TEST(TableTest, FloatAnglesExceedTwoToMinus24) {
  const auto theta = reference_theta();
  std::vector<float> c(kHalf), s(kHalf);
  real worst = 0.0L;
  for (std::int64_t m : sampled_positions()) {
    for (std::size_t i = 0; i < kHalf; ++i) {
      const float theta_f = std::pow(10000.0f, -2.0f * static_cast<float>(i) /
                                                   static_cast<float>(kRotaryDim));
      const float angle = static_cast<float>(m) * theta_f;
      c[i] = std::cos(angle);
      s[i] = std::sin(angle);
    }
    worst = std::max(worst, row_error(theta, m, c.data(), s.data()));
  }
  RecordProperty("float_angle_max_error", std::to_string(static_cast<double>(worst)));
  EXPECT_GT(worst, kFloatBound);
  EXPECT_GT(worst, 1e-3L) << "max error " << static_cast<double>(worst);
}

TEST(TableTest, DoubleTableCloseToLongDouble) {
  const auto theta = reference_theta();
  const rotary::cos_sin_table<double> table(kRotaryDim, 4096);
  const auto view = table.view();
  for (std::int64_t m = 0; m < table.rows(); m += 7) {
    const real bound = static_cast<real>(rotary_test::eps<double>) +
                       static_cast<real>(rotary_test::angle_error_bound(static_cast<double>(m)));
    for (std::size_t i = 0; i < kHalf; ++i) {
      const real angle = static_cast<real>(m) * theta[i];
      ASSERT_LE(std::fabs(static_cast<real>(view.cos_row(m)[i]) - std::cos(angle)), bound)
          << m << " " << i;
      ASSERT_LE(std::fabs(static_cast<real>(view.sin_row(m)[i]) - std::sin(angle)), bound)
          << m << " " << i;
    }
  }
}

TEST(TableTest, RowZeroIsExactlyCosOneSinZero) {
  const rotary::cos_sin_table<float> table(64, 1);
  for (std::size_t i = 0; i < 32; ++i) {
    EXPECT_EQ(table.data()[i], 1.0f);
    EXPECT_EQ(table.data()[32 + i], 0.0f);
  }
}

TEST(TableTest, LayoutAndAccessors) {
  const rotary::cos_sin_table<double> table(8, 5, 500000.0);
  EXPECT_EQ(table.rows(), 5);
  EXPECT_EQ(table.rotary_dim(), 8);
  const auto view = table.view();
  EXPECT_EQ(view.rows(), 5);
  EXPECT_EQ(view.rotary_dim(), 8);
  EXPECT_EQ(view.row_stride(), 8);
  // Row m is [cos h | sin h] in the table's own storage.
  EXPECT_EQ(view.cos_row(3), table.data() + 3 * 8);
  EXPECT_EQ(view.sin_row(3), table.data() + 3 * 8 + 4);
  const auto theta = rotary::rope_frequencies(8, 500000.0);
  EXPECT_NEAR(view.cos_row(3)[2], std::cos(3 * theta[2]), 1e-15);
  EXPECT_NEAR(view.sin_row(3)[2], std::sin(3 * theta[2]), 1e-15);
}

template <class C>
void expect_grow_matches_built_at_once() {
  rotary::cos_sin_table<C> grown(96, 0);
  EXPECT_EQ(grown.rows(), 0);
  grown.grow(10);
  grown.grow(300);
  grown.grow(50);  // shrinking is a no-op
  EXPECT_EQ(grown.rows(), 300);
  grown.grow(300);
  grown.grow(1001);
  const rotary::cos_sin_table<C> at_once(96, 1001);
  ASSERT_EQ(grown.rows(), at_once.rows());
  EXPECT_EQ(std::memcmp(grown.data(), at_once.data(), 1001 * 96 * sizeof(C)), 0);
}

TEST(TableTest, GrowEqualsBuiltAtOnceFloat) { expect_grow_matches_built_at_once<float>(); }
TEST(TableTest, GrowEqualsBuiltAtOnceDouble) { expect_grow_matches_built_at_once<double>(); }

// Below 2^10 on_the_fly_angles reads one exact row, as the table does: equal bit for bit.
// From 2^10 on it combines rows in double: float still equal here (a float differs only where
// the exact value is within a few double ulps of a float rounding boundary, see
// on_the_fly_test.cpp), double within 2^-50.
template <class C>
void expect_on_the_fly_matches_table() {
  const rotary::cos_sin_table<C> table(80, 2000, 500000.0);
  const rotary::on_the_fly_angles<C> fly(80, 500000.0);
  std::vector<C> scratch(80);
  const auto view = table.view();
  for (std::int64_t m = 0; m < table.rows(); ++m) {
    const C* c = nullptr;
    const C* s = nullptr;
    fly.make_reader().coefficients(m, scratch.data(), c, s);
    if (std::is_same_v<C, float> || m < 1024) {
      ASSERT_EQ(std::memcmp(c, view.cos_row(m), 40 * sizeof(C)), 0) << m;
      ASSERT_EQ(std::memcmp(s, view.sin_row(m), 40 * sizeof(C)), 0) << m;
    } else {
      for (std::size_t i = 0; i < 40; ++i) {
        ASSERT_NEAR(c[i], view.cos_row(m)[i], std::ldexp(1.0, -50)) << m << " " << i;
        ASSERT_NEAR(s[i], view.sin_row(m)[i], std::ldexp(1.0, -50)) << m << " " << i;
      }
    }
  }
}

TEST(TableTest, OnTheFlyEqualsTableFloat) { expect_on_the_fly_matches_table<float>(); }
TEST(TableTest, OnTheFlyEqualsTableDouble) { expect_on_the_fly_matches_table<double>(); }

// Rotates with `source` and with the owning table; the results must be bitwise equal.
template <class Source>
void expect_same_rotation(const rotary::cos_sin_table<float>& table, const Source& source,
                          std::ptrdiff_t head_dim, std::ptrdiff_t rotary_offset) {
  const std::ptrdiff_t tokens = 6, heads = 3;
  const auto x = rotary_test::random_vector<float>(tokens * heads * head_dim, 5);
  const std::int64_t ids[tokens] = {0, 99, 3, 42, 3, 77};
  const auto pos = rotary::positions::from_ids(ids, tokens);
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    std::vector<float> a(x.size()), b(x.size());
    rotary::rotate(p, rotary_test::cview3(x, tokens, heads, head_dim),
                   rotary_test::view3(a, tokens, heads, head_dim), table, pos, rotary_offset);
    rotary::rotate(p, rotary_test::cview3(x, tokens, heads, head_dim),
                   rotary_test::view3(b, tokens, heads, head_dim), source, pos, rotary_offset);
    EXPECT_TRUE(rotary_test::bitwise_equal(a, b)) << rotary::to_string(p);
    EXPECT_FALSE(rotary_test::bitwise_equal(a, x));  // it did rotate
  }
}

// vLLM's cos_sin_cache: [rows][rotary_dim], each row [cos_0..cos_{h-1} | sin_0..sin_{h-1}].
TEST(TableTest, ViewOverVllmLayout) {
  const std::ptrdiff_t rd = 32, h = rd / 2, rows = 100;
  const rotary::cos_sin_table<float> table(rd, rows);
  const auto theta = rotary::rope_frequencies(rd);
  std::vector<float> cache(static_cast<std::size_t>(rows * rd));
  for (std::ptrdiff_t m = 0; m < rows; ++m) {
    for (std::ptrdiff_t i = 0; i < h; ++i) {
      const auto [c, s] = rotary::detail::cos_sin_of_angle(m, theta[static_cast<std::size_t>(i)]);
      cache[static_cast<std::size_t>(m * rd + i)] = static_cast<float>(c);
      cache[static_cast<std::size_t>(m * rd + h + i)] = static_cast<float>(s);
    }
  }
  const rotary::cos_sin_view<const float> view(cache.data(), cache.data() + h, rows, rd, rd);
  expect_same_rotation(table, view, 40, 4);
}

// HF transformers' cos and sin caches: two [rows][rotary_dim] arrays, emb = cat(freqs,
// freqs), so each half of a row repeats. Also a padded row stride.
TEST(TableTest, ViewOverHfLayout) {
  const std::ptrdiff_t rd = 32, h = rd / 2, rows = 100, stride = rd + 8;
  const rotary::cos_sin_table<float> table(rd, rows);
  const auto tv = table.view();
  std::vector<float> hf_cos(static_cast<std::size_t>(rows * stride), -7.0f);
  std::vector<float> hf_sin(static_cast<std::size_t>(rows * stride), -7.0f);
  for (std::ptrdiff_t m = 0; m < rows; ++m) {
    for (std::ptrdiff_t i = 0; i < rd; ++i) {
      hf_cos[static_cast<std::size_t>(m * stride + i)] = tv.cos_row(m)[i % h];
      hf_sin[static_cast<std::size_t>(m * stride + i)] = tv.sin_row(m)[i % h];
    }
  }
  const rotary::cos_sin_view<const float> view(hf_cos.data(), hf_sin.data(), rows, rd, stride);
  EXPECT_EQ(view.row_stride(), stride);
  expect_same_rotation(table, view, 32, 0);
}

TEST(TableTest, EmptyViewOverNullIsValid) {
  const rotary::cos_sin_view<const double> view(nullptr, nullptr, 0, 8, 8);
  EXPECT_EQ(view.rows(), 0);
  EXPECT_EQ(view.rotary_dim(), 8);
}

// The (rotary_dim, rows, base) constructor used to report its rotary_dim and base errors as
// "rope_frequencies" and its rows errors as "cos_sin_table::grow": every message names the
// constructor the caller called.
TEST(TableErrorTest, ConstructorMessagesNameCosSinTable) {
  rotary_test::expect_error([] { rotary::cos_sin_table<float> t(7, 4); },
                            "cos_sin_table: rotary_dim must be even, got 7");
  rotary_test::expect_error([] { rotary::cos_sin_table<float> t(0, 4); },
                            "cos_sin_table: rotary_dim must be positive, got 0");
  rotary_test::expect_error([] { rotary::cos_sin_table<double> t(rotary::max_rotary_dim + 2, 1); },
                            "cos_sin_table: rotary_dim must be <= 1048576 (max_rotary_dim), got "
                            "1048578");
  rotary_test::expect_error([] { rotary::cos_sin_table<float> t(8, 4, -2.5); },
                            "cos_sin_table: base must be finite and > 0, got -2.5");
  rotary_test::expect_error([] { rotary::cos_sin_table<float> t(8, -1); },
                            "cos_sin_table: rows must be >= 0, got -1");
  rotary_test::expect_error(
      [] { rotary::cos_sin_table<float> t(std::vector<double>{1.0, 0.5}, -3); },
      "cos_sin_table: rows must be >= 0, got -3");
  rotary::cos_sin_table<float> table(8, 4);
  rotary_test::expect_error([&] { table.grow(-1); },
                            "cos_sin_table::grow: rows must be >= 0, got -1");
}

// rows x rotary_dim past 64 bits, and just past what a std::vector can hold: refused with
// the rows the caller passed, before anything is allocated (nothing changes on grow).
TEST(TableErrorTest, RowsTimesRotaryDimPastTheVectorLimit) {
  constexpr std::ptrdiff_t kMax = std::numeric_limits<std::ptrdiff_t>::max();
  rotary_test::expect_error([] { rotary::cos_sin_table<float> t(128, kMax / 2); },
                            "cos_sin_table: rows x rotary_dim must fit a std::vector, got rows = "
                            "4611686018427387903 x rotary_dim = 128");
  rotary_test::expect_error([] { rotary::cos_sin_table<double> t(8, kMax); },
                            "got rows = 9223372036854775807 x rotary_dim = 8");
  // One row more than a vector of rows x 8 floats can hold.
  const std::ptrdiff_t too_many =
      static_cast<std::ptrdiff_t>(std::vector<float>().max_size() / 8) + 1;
  rotary_test::expect_error([&] { rotary::cos_sin_table<float> t(8, too_many); },
                            "cos_sin_table: rows x rotary_dim must fit a std::vector, got rows = " +
                                std::to_string(too_many) + " x rotary_dim = 8");
  rotary_test::expect_error(
      [] { rotary::cos_sin_table<float> t(std::vector<double>(64, 0.5), kMax / 2); },
      "cos_sin_table: rows x rotary_dim must fit a std::vector, got rows = 4611686018427387903");
  rotary::cos_sin_table<float> table(8, 4);
  const std::vector<float> before(table.data(), table.data() + 4 * 8);
  rotary_test::expect_error([&] { table.grow(kMax / 2); },
                            "cos_sin_table::grow: rows x rotary_dim must fit a std::vector, got "
                            "rows = 4611686018427387903 x rotary_dim = 8");
  EXPECT_EQ(table.rows(), 4);
  EXPECT_EQ(std::vector<float>(table.data(), table.data() + 4 * 8), before);
}

// Caller frequencies obey the same maximum as a rotary_dim: max_rotary_dim / 2 pairs.
TEST(TableErrorTest, TooManyCallerFrequencies) {
  const std::size_t limit = static_cast<std::size_t>(rotary::max_rotary_dim / 2);
  rotary_test::expect_error(
      [&] { rotary::cos_sin_table<float> t(std::vector<double>(limit + 1, 0.5), 1); },
      "cos_sin_table: frequencies must hold at most 524288 values (max_rotary_dim / 2 pairs), "
      "got 524289");
  const rotary::cos_sin_table<float> at_limit(std::vector<double>(limit, 0.5), 1);
  EXPECT_EQ(at_limit.rotary_dim(), rotary::max_rotary_dim);
}

}  // namespace
