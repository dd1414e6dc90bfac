// Relative position bias: Shaw 2018 clipping and T5 log buckets; the bias depends on
// key - query only.
#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include <cstdint>
#include <limits>
#include <vector>

#include "expect_error.hpp"

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

/// out[h][i][j] == B[h][bucket(k_j - q_i)], one pair at a time.
template <class C>
void expect_per_pair(const rotary::relative_position_bias<C>& rpb, const std::vector<C>& out,
                     const std::vector<std::int64_t>& q, const std::vector<std::int64_t>& k) {
  const std::size_t nq = q.size(), nk = k.size();
  for (std::ptrdiff_t h = 0; h < rpb.num_heads(); ++h) {
    for (std::size_t i = 0; i < nq; ++i) {
      for (std::size_t j = 0; j < nk; ++j) {
        ASSERT_EQ(out[(static_cast<std::size_t>(h) * nq + i) * nk + j], rpb.bias(h, k[j] - q[i]))
            << "h=" << h << " q=" << q[i] << " k=" << k[j];
      }
    }
  }
}

// Memory in proportion to the tokens, not to the spread of their positions: two tokens at
// 0 and 2^40 (a table over every distance in between would take 8 TiB).
TEST(RelativeBiasTest, FillWithFarApartPositions) {
  for (const auto& buckets : {relative_buckets::t5(32, 128, true), relative_buckets::t5(16, 64, false),
                              relative_buckets::clipped(5)}) {
    const rotary::relative_position_bias<float> rpb(3, buckets, 7, 1.0);
    for (const std::vector<std::int64_t>& ids :
         {std::vector<std::int64_t>{0, std::int64_t(1) << 40},
          std::vector<std::int64_t>{std::int64_t(1) << 26, 0, 5, std::int64_t(1) << 62}}) {
      const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(ids.size());
      std::vector<float> out(static_cast<std::size_t>(3 * n * n), -1.0f);
      rpb.fill(tensor_view<float, 3>(out.data(), {3, n, n}), positions::from_ids(ids.data(), n),
               positions::from_ids(ids.data(), n));
      expect_per_pair(rpb, out, ids, ids);
    }
  }
}

// Both ways of bucketing (once per distinct distance, once per pair) give the per-pair
// values, for query and key counts that differ.
TEST(RelativeBiasTest, FillMatchesPerPairBuckets) {
  const rotary::relative_position_bias<double> rpb(2, relative_buckets::t5(8, 32, true), 5, 1.0);
  const std::vector<std::int64_t> q = {3, 9, 1}, near = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
                                  far = {0, 40, 500, 7, 12};
  for (const auto& k : {near, far}) {
    const std::ptrdiff_t nq = 3, nk = static_cast<std::ptrdiff_t>(k.size());
    std::vector<double> out(static_cast<std::size_t>(2 * nq * nk));
    rpb.fill(tensor_view<double, 3>(out.data(), {2, nq, nk}), positions::from_ids(q.data(), nq),
             positions::from_ids(k.data(), nk));
    expect_per_pair(rpb, out, q, k);
  }
}

// Bucket counts whose products overflow throw instead of sizing a wrapped table.
TEST(RelativeBiasTest, HugeBucketCountsThrow) {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  rotary_test::expect_error([&] { relative_buckets::clipped(max); },
                            "relative_buckets::clipped: max_distance must be <= ");
  rotary_test::expect_error([&] { relative_buckets::clipped(max / 2 + 1); },
                            "relative_buckets::clipped: max_distance must be <= ");
  const auto widest = relative_buckets::clipped((max - 1) / 2);  // PTRDIFF_MAX buckets
  EXPECT_EQ(widest.count(), std::numeric_limits<std::ptrdiff_t>::max());
  EXPECT_EQ(widest(max), widest.count() - 1);
  EXPECT_EQ(widest(-max), 0);
  rotary_test::expect_error([&] { rotary::relative_position_bias<float>(2, widest); },
                            "relative_position_bias: the table of num_heads * buckets.count()");
  rotary_test::expect_error(
      [&] { rotary::relative_position_bias<float>(4, relative_buckets::clipped(max / 8)); },
      "is too large");
  // Distances at the ends of int64 fall in the last buckets (no overflow in -r).
  const auto t5 = relative_buckets::t5(32, 128, true), causal = relative_buckets::t5(32, 128, false);
  EXPECT_EQ(t5(std::numeric_limits<std::int64_t>::min()), 15);
  EXPECT_EQ(t5(max), 31);
  EXPECT_EQ(causal(std::numeric_limits<std::int64_t>::min()), 31);
}

}  // namespace
