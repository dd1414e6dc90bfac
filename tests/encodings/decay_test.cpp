// RoPE's long-term decay, RoFormer section 3.4.3 and Fig. 2 (d = 128).
#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include <algorithm>
#include <numeric>
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

}  // namespace
