// Relative position bias: Shaw 2018 clipping and T5 log buckets; the bias depends on
// key - query only.
#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include <vector>

namespace {

using rotary::positions;
using rotary::relative_buckets;
using rotary::tensor_view;

TEST(RelativeBiasTest, ClippedBuckets) {
  const auto b = relative_buckets::clipped(3);
  EXPECT_EQ(b.count(), 7);
  EXPECT_EQ(b(0), 3);
  EXPECT_EQ(b(-2), 1);
  EXPECT_EQ(b(2), 5);
  EXPECT_EQ(b(-100), 0);
  EXPECT_EQ(b(100), 6);
}

TEST(RelativeBiasTest, T5Buckets) {
  const auto b = relative_buckets::t5(32, 128, true);  // T5's defaults
  EXPECT_EQ(b(0), 0);
  EXPECT_EQ(b(-1), 1);
  EXPECT_EQ(b(1), 17);       // keys after the query: upper half
  EXPECT_EQ(b(-7), 7);       // exact up to 16/2 - 1
  EXPECT_EQ(b(-8), 8);       // first log bucket
  EXPECT_EQ(b(-127), 15);    // floor(log(127/8)/log(16) * 8) = 7 -> 8 + 7
  EXPECT_EQ(b(-5000), 15);   // everything farther shares the last bucket
  EXPECT_EQ(b(5000), 31);
  const auto causal = relative_buckets::t5(32, 128, false);
  EXPECT_EQ(causal(5), 0);   // future keys fold onto distance 0
  EXPECT_EQ(causal(-15), 15);
  EXPECT_EQ(causal(-16), 16);
  EXPECT_EQ(causal(-100000), 31);
  for (std::int64_t r = -300; r < 0; ++r) EXPECT_LE(b(r), b(r - 1) ) << r;  // monotone
}

TEST(RelativeBiasTest, FillDependsOnRelativeDistanceOnly) {
  const rotary::relative_position_bias<float> rpb(2, relative_buckets::t5(8, 32, true), 5, 1.0);
  std::vector<float> a(2 * 6 * 6), b(2 * 6 * 6);
  rpb.fill(tensor_view<float, 3>(a.data(), {2, 6, 6}), positions::from_offset(0),
           positions::from_offset(0));
  rpb.fill(tensor_view<float, 3>(b.data(), {2, 6, 6}), positions::from_offset(40),
           positions::from_offset(40));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a[(1 * 6 + 4) * 6 + 1], rpb.bias(1, 1 - 4));
}

TEST(RelativeBiasTest, LoadAndErrors) {
  rotary::relative_position_bias<double> rpb(2, relative_buckets::clipped(1));
  const std::vector<double> table = {1, 2, 3, 4, 5, 6};
  rpb.load(table.data());
  EXPECT_EQ(rpb.bias(1, -9), 4);
  EXPECT_EQ(rpb.bias(0, 0), 2);
  EXPECT_THROW(relative_buckets::clipped(-1), rotary::invalid_argument);
  EXPECT_THROW(relative_buckets::t5(3, 128, true), rotary::invalid_argument);
  EXPECT_THROW(relative_buckets::t5(32, 4, true), rotary::invalid_argument);
  EXPECT_THROW(rotary::relative_position_bias<float>(0, relative_buckets::clipped(1)),
               rotary::invalid_argument);
  std::vector<double> out(3 * 2 * 2);
  EXPECT_THROW(rpb.fill(tensor_view<double, 3>(out.data(), {3, 2, 2}), positions::from_offset(0),
                        positions::from_offset(0)),
               rotary::invalid_argument);
}

}  // namespace
