// RoPE's long-term decay, RoFormer section 3.4.3 and Fig. 2 (d = 128).
#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "expect_error.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace {

TEST(DecayTest, MaximumAtDistanceZero) {
  const auto curve = rotary::long_term_decay_curve(1024, 128);
  ASSERT_EQ(curve.size(), 1025u);
  EXPECT_NEAR(curve[0], (128 / 2 + 1) / 2.0, 1e-12);  // (d/2 + 1)/2 = 32.5
  EXPECT_EQ(std::max_element(curve.begin(), curve.end()) - curve.begin(), 0);
  EXPECT_NEAR(rotary::long_term_decay_bound(0, 8), 2.5, 1e-12);
}

TEST(DecayTest, WindowAveragesDecreaseUpTo1024) {
  const auto curve = rotary::long_term_decay_curve(1023, 128);
  std::vector<double> averages;
  for (std::size_t w = 0; w < 8; ++w) {
    averages.push_back(std::accumulate(curve.begin() + 128 * w, curve.begin() + 128 * (w + 1), 0.0) /
                       128.0);
  }
  for (std::size_t w = 1; w < averages.size(); ++w) {
    EXPECT_LT(averages[w], averages[w - 1]) << "window " << w;
  }
  // Not monotone: the curve has bumps.
  bool bump = false;
  for (std::size_t r = 1; r < curve.size(); ++r) bump = bump || curve[r] > curve[r - 1];
  EXPECT_TRUE(bump);
  ::testing::Test::RecordProperty("window_averages_first", std::to_string(averages.front()));
  ::testing::Test::RecordProperty("window_averages_last", std::to_string(averages.back()));
}

TEST(DecayTest, Errors) {
  EXPECT_THROW(rotary::long_term_decay_bound(3, 7), rotary::invalid_argument);
  EXPECT_THROW(rotary::long_term_decay_curve(-1), rotary::invalid_argument);
}

// The messages name the function called and its parameter dim (they used to say
// "rope_frequencies: rotary_dim"), and long_term_decay_curve checks dim before allocating.
TEST(DecayTest, MessagesNameTheCalledFunction) {
  rotary_test::expect_error([] { (void)rotary::long_term_decay_bound(3, 7); },
                            "long_term_decay_bound: dim must be even, got 7");
  rotary_test::expect_error([] { (void)rotary::long_term_decay_bound(3, 8, -1.0); },
                            "long_term_decay_bound: base must be finite and > 0, got -1");
  rotary_test::expect_error([] { (void)rotary::long_term_decay_curve(10, 7); },
                            "long_term_decay_curve: dim must be even, got 7");
  rotary_test::expect_error([] { (void)rotary::long_term_decay_curve(10, 0); },
                            "long_term_decay_curve: dim must be positive, got 0");
  rotary_test::expect_error([] { (void)rotary::long_term_decay_curve(-1); },
                            "long_term_decay_curve: max_distance must be >= 0, got -1");
}

// max_distance + 1 used to overflow int64 at INT64_MAX; past the vector limit it threw
// std::length_error. Both are rotary::invalid_argument, with the value passed.
TEST(DecayTest, CurveLengthPastTheVectorLimit) {
  rotary_test::expect_error(
      [] { (void)rotary::long_term_decay_curve(std::numeric_limits<std::int64_t>::max()); },
      "long_term_decay_curve: max_distance + 1 values must fit a std::vector, got "
      "max_distance = 9223372036854775807");
  const auto too_far = static_cast<std::int64_t>(std::vector<double>().max_size());
  rotary_test::expect_error([&] { (void)rotary::long_term_decay_curve(too_far); },
                            "got max_distance = " + std::to_string(too_far));
}

TEST(DecayTest, CurveIsTheBoundAtEachDistance) {
  const std::vector<double> curve = rotary::long_term_decay_curve(40, 64, 500000.0);
  ASSERT_EQ(curve.size(), 41u);
  for (std::int64_t r = 0; r <= 40; ++r) {
    EXPECT_EQ(curve[static_cast<std::size_t>(r)], rotary::long_term_decay_bound(r, 64, 500000.0));
  }
}

}  // namespace
