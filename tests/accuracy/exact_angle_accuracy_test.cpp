// SPDX-License-Identifier: MIT
// Accuracy of every cos/sin the library computes against cos and sin of the exact real
// product m * theta_i (quad_oracle.hpp, __float128): float within 2^-24 and double within
// 2^-50, for on_the_fly_angles' level path (positions [0, 2^31)), its exact per-pair fallback
// (negative positions and positions from 2^31 up to 2^62) and cos_sin_table rows.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "quad_oracle.hpp"

namespace {

using rotary_accuracy::dense_oracle;
using rotary_accuracy::oracle_cos_sin;
using rotary_accuracy::oracle_exact_for;
using rotary_accuracy::quad;

const double kFloatBound = std::ldexp(1.0, -24);
const double kDoubleBound = std::ldexp(1.0, -50);
/// What exact_angle.hpp documents for one exact evaluation rounded to double:
/// (lambda + 1/2) ulp with libm's lambda <= 1, plus 2^-90 for the angle.
const double kExactPathBound = 1.5 * std::ldexp(1.0, -53) + std::ldexp(1.0, -90);

struct frequency_set {
  const char* name;
  std::vector<double> theta;
};

std::vector<frequency_set> frequency_sets() {
  return {{"rope(128, 1e4)", rotary::rope_frequencies(128)},
          {"rope(128, 5e5)", rotary::rope_frequencies(128, 500000.0)},
          {"rope(80, 1e6)", rotary::rope_frequencies(80, 1e6)},
          {"custom", {1.0, 2.5, 1e-7, 3.0}}};
}

double distance(double value, quad exact) {
  return static_cast<double>(fabsq(static_cast<quad>(value) - exact));
}

/// Largest error seen, with where it was.
struct worst_error {
  double error = 0.0;
  std::int64_t m = 0;
  std::size_t pair = 0;
  void update(double e, std::int64_t at, std::size_t i) {
    if (e > error) error = e, m = at, pair = i;
  }
  std::string where() const {
    char text[128];
    std::snprintf(text, sizeof text, "%.3g (2^%.2f) at m = %lld, pair %zu", error,
                  std::log2(error), static_cast<long long>(m), pair);
    return text;
  }
};

/// The largest error of a source's rows against oracle values.
template <class C>
struct row_checker {
  explicit row_checker(const rotary::on_the_fly_angles<C>& s)
      : source(s), scratch(static_cast<std::size_t>(s.rotary_dim())) {}
  const rotary::on_the_fly_angles<C>& source;
  std::vector<C> scratch;
  worst_error worst;
  void check(std::int64_t m, std::size_t i, quad exact_cos, quad exact_sin, const C* c,
             const C* s) {
    worst.update(std::max(distance(c[i], exact_cos), distance(s[i], exact_sin)), m, i);
  }
  /// Checks the source's row at m against the oracle called here.
  void check_position(std::int64_t m) {
    const C* c = nullptr;
    const C* s = nullptr;
    source.make_reader().coefficients(m, scratch.data(), c, s);
    const auto& theta = source.frequencies();
    for (std::size_t i = 0; i < theta.size(); ++i) {
      const auto [qc, qs] = oracle_cos_sin(m, theta[i]);
      check(m, i, qc, qs, c, s);
    }
  }
};

// ---- The oracle's own error ----------------------------------------------------------------

TEST(OracleSelfCheck, TwoPiChunksAreExactAndSumToTwoPi) {
  for (double chunk : rotary_accuracy::two_pi_chunks) {
    int exponent = 0;
    const double mantissa = std::frexp(chunk, &exponent);
    const double scaled = std::ldexp(mantissa, 48);  // an integer iff <= 48 significant bits
    EXPECT_EQ(scaled, std::nearbyint(scaled)) << chunk;
  }
  const quad two_pi = 8 * atanq(static_cast<quad>(1));
  EXPECT_LE(static_cast<double>(fabsq(rotary_accuracy::two_pi_quad() - two_pi)),
            std::ldexp(1.0, -109));
}

// Two independent reductions agree: the oracle's (48-bit chunks of 2 pi) and
// libquadmath's own inside cosq/sinq of the unreduced exact product.
TEST(OracleSelfCheck, AgreesWithLibquadmathReduction) {
  std::mt19937_64 rng(5);
  double worst = 0.0;
  for (const auto& set : frequency_sets()) {
    for (int k = 0; k < 300; ++k) {
      const std::int64_t m = static_cast<std::int64_t>((rng() >> 44) << (rng() % 43));
      for (double theta : set.theta) {
        ASSERT_TRUE(oracle_exact_for(m, theta));
        const quad x = static_cast<quad>(m) * static_cast<quad>(theta);
        const auto [c, s] = oracle_cos_sin(m, theta);
        worst = std::max({worst, static_cast<double>(fabsq(c - cosq(x))),
                          static_cast<double>(fabsq(s - sinq(x)))});
      }
    }
  }
  RecordProperty("max_difference", std::to_string(worst));
  EXPECT_LE(worst, rotary_accuracy::oracle_error_bound);
}

// The dense oracle's rotations drift by less than 2^-100 over a block of 1024.
TEST(OracleSelfCheck, DenseOracleDriftBelowTwoToMinus100) {
  const std::vector<double> theta = {1.0, 0.7, 3.0, 1e-7, 2.5};
  dense_oracle dense(theta);
  for (int block = 0; block < 4; ++block) {
    for (int k = 0; k < 1023; ++k) dense.advance();
    dense_oracle rotated = dense;
    rotated.rotate();  // to a multiple of 1024 by rotation, where advance() would reseed
    for (std::size_t i = 0; i < theta.size(); ++i) {
      const auto [c, s] = oracle_cos_sin(rotated.position(), theta[i]);
      EXPECT_LE(static_cast<double>(fabsq(rotated.cos()[i] - c)), std::ldexp(1.0, -100)) << i;
      EXPECT_LE(static_cast<double>(fabsq(rotated.sin()[i] - s)), std::ldexp(1.0, -100)) << i;
    }
    dense.advance();
  }
}

// ---- on_the_fly_angles: the level path -----------------------------------------------------

constexpr std::int64_t kDense = 100001;  // positions 0 .. 100000

/// Level boundaries, random positions below 2^31 and log-uniform ones.
std::vector<std::int64_t> sparse_level_positions() {
  std::vector<std::int64_t> m = {(1 << 10) - 1,
                                 1 << 10,
                                 (1 << 10) + 1,
                                 (1 << 20) - 1,
                                 1 << 20,
                                 (1 << 20) + 1,
                                 (std::int64_t{1} << 31) - 1,
                                 (std::int64_t{1} << 31) - 2,
                                 (std::int64_t{1} << 31) - 1024,
                                 (std::int64_t{1} << 31) - (1 << 20)};
  std::mt19937_64 rng(2031);
  std::uniform_int_distribution<std::int64_t> uniform(0, (std::int64_t{1} << 31) - 1);
  std::uniform_real_distribution<double> log_uniform(17.0, 31.0);
  for (int k = 0; k < 400; ++k) m.push_back(uniform(rng));
  for (int k = 0; k < 200; ++k) m.push_back(static_cast<std::int64_t>(std::exp2(log_uniform(rng))));
  return m;
}

/// Float and double level paths against one oracle pass (the dense one is the slow part).
void expect_level_paths_within_bounds(const frequency_set& set) {
  const rotary::on_the_fly_angles<float> float_source(set.theta);
  const rotary::on_the_fly_angles<double> double_source(set.theta);
  row_checker<float> float_checker(float_source);
  row_checker<double> double_checker(double_source);
  auto check_both = [&](std::int64_t m, const std::vector<quad>& cos,
                        const std::vector<quad>& sin) {
    const float* fc = nullptr;
    const float* fs = nullptr;
    const double* dc = nullptr;
    const double* ds = nullptr;
    float_source.make_reader().coefficients(m, float_checker.scratch.data(), fc, fs);
    double_source.make_reader().coefficients(m, double_checker.scratch.data(), dc, ds);
    for (std::size_t i = 0; i < set.theta.size(); ++i) {
      float_checker.check(m, i, cos[i], sin[i], fc, fs);
      double_checker.check(m, i, cos[i], sin[i], dc, ds);
    }
  };
  dense_oracle dense(set.theta);
  for (std::int64_t m = 0; m < kDense; ++m, dense.advance()) {
    check_both(m, dense.cos(), dense.sin());
  }
  std::vector<quad> cos(set.theta.size()), sin(set.theta.size());
  for (std::int64_t m : sparse_level_positions()) {
    for (std::size_t i = 0; i < set.theta.size(); ++i) {
      std::tie(cos[i], sin[i]) = oracle_cos_sin(m, set.theta[i]);
    }
    check_both(m, cos, sin);
  }
  for (const auto* worst : {&float_checker.worst, &double_checker.worst}) {
    const bool is_float = worst == &float_checker.worst;
    ::testing::Test::RecordProperty(std::string(is_float ? "float " : "double ") + set.name,
                                    worst->where());
    std::printf("level path %-6s %-15s max error %s\n", is_float ? "float" : "double", set.name,
                worst->where().c_str());
  }
  EXPECT_LE(float_checker.worst.error, kFloatBound)
      << set.name << ": " << float_checker.worst.where();
  EXPECT_LE(double_checker.worst.error, kDoubleBound)
      << set.name << ": " << double_checker.worst.where();
}

TEST(LevelPathAccuracy, Rope128Base1e4) { expect_level_paths_within_bounds(frequency_sets()[0]); }
TEST(LevelPathAccuracy, Rope128Base5e5) { expect_level_paths_within_bounds(frequency_sets()[1]); }
TEST(LevelPathAccuracy, Rope80Base1e6) { expect_level_paths_within_bounds(frequency_sets()[2]); }
TEST(LevelPathAccuracy, CustomFrequencies) {
  expect_level_paths_within_bounds(frequency_sets()[3]);
}

// ---- on_the_fly_angles: the exact per-pair fallback ----------------------------------------

/// Positions outside [0, 2^31): 2^31 and its neighbours, random ones up to 2^60, j 2^k up to
/// 2^62 (j < 2^20, so the quad product stays exact), and negative ones.
std::vector<std::int64_t> fallback_positions() {
  std::vector<std::int64_t> m = {std::int64_t{1} << 31,
                                 (std::int64_t{1} << 31) + 1,
                                 (std::int64_t{1} << 32) - 1,
                                 std::int64_t{1} << 32,
                                 (std::int64_t{1} << 32) + 1,
                                 std::int64_t{1} << 62,
                                 -1,
                                 -2,
                                 -(1 << 10),
                                 -(std::int64_t{1} << 31),
                                 -(std::int64_t{1} << 31) - 1,
                                 -(std::int64_t{1} << 62)};
  std::mt19937_64 rng(62);
  std::uniform_int_distribution<std::int64_t> below_2_60(std::int64_t{1} << 31,
                                                         (std::int64_t{1} << 60) - 1);
  for (int k = 0; k < 150; ++k) m.push_back(below_2_60(rng));
  for (int k = 0; k < 150; ++k) {
    const auto j = static_cast<std::int64_t>(rng() >> 44) | 1;  // odd, < 2^20
    int bits = 0;
    while ((j >> bits) != 0) ++bits;
    m.push_back(j << (62 - bits - static_cast<int>(rng() % 8)));  // in [2^54, 2^62)
  }
  for (int k = 0; k < 150; ++k) {
    m.push_back(-below_2_60(rng) / static_cast<std::int64_t>(1 + rng() % 1000));
  }
  return m;
}

template <class C>
void expect_fallback_within(double bound) {
  for (const auto& set : frequency_sets()) {
    const rotary::on_the_fly_angles<C> source(set.theta);
    row_checker<C> checker(source);
    for (std::int64_t m : fallback_positions()) {
      for (double theta : set.theta) ASSERT_TRUE(oracle_exact_for(m, theta)) << m;
      checker.check_position(m);
    }
    ::testing::Test::RecordProperty(std::string("max_error ") + set.name, checker.worst.where());
    std::printf("fallback   %-6s %-15s max error %s\n", sizeof(C) == 4 ? "float" : "double",
                set.name, checker.worst.where().c_str());
    EXPECT_LE(checker.worst.error, bound) << set.name << ": " << checker.worst.where();
  }
}

TEST(FallbackAccuracy, FloatWithinTwoToMinus24) { expect_fallback_within<float>(kFloatBound); }
TEST(FallbackAccuracy, DoubleWithinTwoToMinus50) { expect_fallback_within<double>(kDoubleBound); }

// The exact path itself (before rounding to float): within its documented 1.5 double ulps,
// over the fallback and level positions and the large frequencies it supports.
TEST(FallbackAccuracy, ExactPathWithinOneAndAHalfUlps) {
  worst_error worst;
  std::vector<double> thetas = {1.0, 2.5, 3.0, 1e-7, 0.1, 1234.5, 1e9};
  for (const auto& set : frequency_sets()) {
    thetas.insert(thetas.end(), set.theta.begin(), set.theta.end());
  }
  auto positions = fallback_positions();
  for (std::int64_t m : sparse_level_positions()) positions.push_back(m);
  for (std::int64_t m : positions) {
    for (std::size_t i = 0; i < thetas.size(); ++i) {
      if (!oracle_exact_for(m, thetas[i])) continue;
      const auto [c, s] = rotary::detail::cos_sin_of_angle(m, thetas[i]);
      const auto [qc, qs] = oracle_cos_sin(m, thetas[i]);
      worst.update(std::max(distance(c, qc), distance(s, qs)), m, i);
    }
  }
  RecordProperty("max_error", worst.where());
  std::printf("exact path double all sets        max error %s\n", worst.where().c_str());
  EXPECT_LE(worst.error, kExactPathBound) << worst.where();
}

// ---- cos_sin_table rows ---------------------------------------------------------------------

template <class C>
void expect_table_within(double bound) {
  constexpr std::int64_t rows = 5000;
  for (const auto& set : frequency_sets()) {
    const rotary::cos_sin_table<C> table(set.theta, rows);
    const auto view = table.view();
    worst_error worst;
    dense_oracle exact(set.theta);
    for (std::int64_t m = 0; m < rows; ++m, exact.advance()) {
      for (std::size_t i = 0; i < set.theta.size(); ++i) {
        worst.update(std::max(distance(view.cos_row(m)[i], exact.cos()[i]),
                              distance(view.sin_row(m)[i], exact.sin()[i])),
                     m, i);
      }
    }
    ::testing::Test::RecordProperty(std::string("max_error ") + set.name, worst.where());
    EXPECT_LE(worst.error, bound) << set.name << ": " << worst.where();
  }
}

TEST(TableAccuracy, FloatRowsWithinTwoToMinus24) { expect_table_within<float>(kFloatBound); }
TEST(TableAccuracy, DoubleRowsWithinTwoToMinus50) { expect_table_within<double>(kDoubleBound); }

}  // namespace
