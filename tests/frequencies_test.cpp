// SPDX-License-Identifier: MIT
// rope_frequencies (theta_i = base^(-2i/rotary_dim), RoFormer eq. 15) and caller-supplied
// frequencies.

// Also tests the rotary 0.1 entry points, now [[deprecated]] forwarders to the rope object
// (deprecated.hpp): they must keep giving the results they gave before.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "oracles/rotation_matrix.hpp"
#include "test_util.hpp"

namespace {

using rotary_test::oracle::real;

TEST(FrequenciesTest, MatchLongDoublePow) {
  for (std::ptrdiff_t d : {2, 4, 8, 64, 80, 96, 128, 256}) {
    for (double base : {10000.0, 500000.0, 1000000.0, 2.0, 1.5, 0.5}) {
      const std::vector<double> theta = rotary::rope_frequencies(d, base);
      ASSERT_EQ(theta.size(), static_cast<std::size_t>(d / 2)) << "d=" << d;
      for (std::size_t i = 0; i < theta.size(); ++i) {
        const real exact = std::pow(static_cast<real>(base),
                                    -2.0L * static_cast<real>(i) / static_cast<real>(d));
        const real rel = std::fabs((static_cast<real>(theta[i]) - exact) / exact);
        // The exponent -2i/d is rounded to double first (not exact for d = 80, 96), which
        // moves pow's result by up to |exponent * ln(base)| * eps relative; pow itself
        // contributes about an ulp. (Measured: up to ~3 ulp for d = 80, base 1e6.)
        const real bound = (2.0L + std::fabs(std::log(static_cast<real>(base)))) *
                           std::numeric_limits<double>::epsilon();
        EXPECT_LE(rel, bound)
            << "d=" << d << " base=" << base << " i=" << i << " theta=" << theta[i];
      }
    }
  }
}

TEST(FrequenciesTest, FirstIsOneAndDecreasing) {
  const std::vector<double> theta = rotary::rope_frequencies(128);
  EXPECT_EQ(theta.front(), 1.0);
  for (std::size_t i = 1; i < theta.size(); ++i) EXPECT_LT(theta[i], theta[i - 1]) << i;
  // Last pair: 10000^(-126/128).
  EXPECT_NEAR(theta.back(), std::pow(10000.0, -126.0 / 128.0), 1e-18);
}

TEST(FrequenciesTest, DefaultBaseIsTenThousand) {
  EXPECT_EQ(rotary::default_base, 10000.0);
  EXPECT_EQ(rotary::rope_frequencies(64), rotary::rope_frequencies(64, 10000.0));
}

TEST(FrequenciesTest, TableAndOnTheFlyUseRopeFrequencies) {
  const rotary::cos_sin_table<float> table(96, 3, 500000.0);
  const rotary::on_the_fly_angles<double> fly(96, 500000.0);
  EXPECT_EQ(table.frequencies(), rotary::rope_frequencies(96, 500000.0));
  EXPECT_EQ(fly.frequencies(), rotary::rope_frequencies(96, 500000.0));
  EXPECT_EQ(table.rotary_dim(), 96);
  EXPECT_EQ(fly.rotary_dim(), 96);
}

// Caller-supplied frequencies (as a scaling scheme would produce) are used as given.
const std::vector<double> kCustomTheta = {1.0, 0.3, 0.0625, 1e-3, 2.5};

TEST(FrequenciesTest, CallerFrequenciesAcceptedByTable) {
  const rotary::cos_sin_table<double> table(kCustomTheta, 50);
  EXPECT_EQ(table.frequencies(), kCustomTheta);
  EXPECT_EQ(table.rotary_dim(), 10);
  EXPECT_EQ(table.rows(), 50);
  const auto view = table.view();
  for (std::int64_t m = 0; m < 50; ++m) {
    for (std::size_t i = 0; i < kCustomTheta.size(); ++i) {
      const real angle = static_cast<real>(m) * static_cast<real>(kCustomTheta[i]);
      EXPECT_NEAR(view.cos_row(m)[i], static_cast<double>(std::cos(angle)), 1e-15)
          << m << " " << i;
      EXPECT_NEAR(view.sin_row(m)[i], static_cast<double>(std::sin(angle)), 1e-15)
          << m << " " << i;
    }
  }
}

TEST(FrequenciesTest, CallerFrequenciesAcceptedByOnTheFly) {
  const rotary::on_the_fly_angles<float> fly(kCustomTheta);
  EXPECT_EQ(fly.frequencies(), kCustomTheta);
  EXPECT_EQ(fly.rotary_dim(), 10);
  std::vector<float> scratch(10);
  for (std::int64_t m : {0, 1, 7, 1000, 123456}) {
    const float* c = nullptr;
    const float* s = nullptr;
    fly.make_reader().coefficients(m, scratch.data(), c, s);
    for (std::size_t i = 0; i < kCustomTheta.size(); ++i) {
      const real angle = static_cast<real>(m) * static_cast<real>(kCustomTheta[i]);
      EXPECT_NEAR(c[i], static_cast<double>(std::cos(angle)), std::ldexp(1.0, -24))
          << m << " " << i;
      EXPECT_NEAR(s[i], static_cast<double>(std::sin(angle)), std::ldexp(1.0, -24))
          << m << " " << i;
    }
  }
}

// A rotation with caller frequencies equals the dense-matrix oracle built from them.
TEST(FrequenciesTest, CallerFrequenciesDriveTheRotation) {
  const std::ptrdiff_t head_dim = 12, tokens = 4;
  std::vector<real> theta_l(kCustomTheta.begin(), kCustomTheta.end());
  const rotary::cos_sin_table<double> table(kCustomTheta, 64);
  const rotary::on_the_fly_angles<double> fly(kCustomTheta);
  for (rotary::pairing p : {rotary::pairing::interleaved, rotary::pairing::half_split}) {
    const auto x = rotary_test::random_vector<double>(tokens * head_dim, 11);
    std::vector<double> y_table(x.size()), y_fly(x.size());
    const auto pos = rotary::positions::from_offset(20);
    rotary::rotate(p, rotary_test::cview3(x, tokens, 1, head_dim),
                   rotary_test::view3(y_table, tokens, 1, head_dim), table, pos, 1);
    rotary::rotate(p, rotary_test::cview3(x, tokens, 1, head_dim),
                   rotary_test::view3(y_fly, tokens, 1, head_dim), fly, pos, 1);
    EXPECT_TRUE(rotary_test::bitwise_equal(y_table, y_fly));
    for (std::ptrdiff_t t = 0; t < tokens; ++t) {
      const rotary_test::oracle::rotation_matrix r(p, head_dim, 1, theta_l, 20 + t);
      const auto expected = r.apply(x.data() + t * head_dim);
      for (std::ptrdiff_t e = 0; e < head_dim; ++e) {
        EXPECT_NEAR(y_table[static_cast<std::size_t>(t * head_dim + e)],
                    static_cast<double>(expected[static_cast<std::size_t>(e)]), 1e-14)
            << rotary::to_string(p) << " t=" << t << " e=" << e;
      }
    }
  }
}

}  // namespace
