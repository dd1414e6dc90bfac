// Position modes: offsets, packed sequences (with and without start offsets), int32 and
// int64 arrays, each against explicit per-token ids; packed sequences against rotating each
// sequence separately; a decode step against the matching row of a full prefill; bad arrays.
// Also tests the rotary 0.1 entry points, now [[deprecated]] forwarders to the rope object
// (deprecated.hpp): they must keep giving the results they gave before.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "test_util.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using rotary::pairing;
using rotary::positions;
using rotary::tensor_view;

constexpr std::ptrdiff_t kHeads = 4, kHeadDim = 32;

template <class T>
struct PositionsTest : ::testing::Test {};
using ElementTypes = ::testing::Types<float, double>;
struct TypeNames {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, float> ? "float" : "double";
  }
};
TYPED_TEST_SUITE(PositionsTest, ElementTypes, TypeNames);

/// Rotates a copy of x ([tokens][kHeads][kHeadDim]) with the given positions.
template <class T, class Angles>
std::vector<T> rotated(pairing p, std::vector<T> x, const Angles& angles, const positions& pos) {
  const auto tokens = static_cast<std::ptrdiff_t>(x.size()) / (kHeads * kHeadDim);
  rotary::rotate(p, tensor_view<T, 3>(x.data(), {tokens, kHeads, kHeadDim}), angles, pos);
  return x;
}

TYPED_TEST(PositionsTest, EveryModeMatchesExplicitIds) {
  using T = TypeParam;
  const std::ptrdiff_t tokens = 11;
  const auto x = rotary_test::random_vector<T>(static_cast<std::size_t>(tokens * kHeads * kHeadDim), 1);
  rotary::cos_sin_table<T> table(kHeadDim, 64);
  rotary::on_the_fly_angles<T> fly(kHeadDim);
  // Three packed sequences of lengths 4, 0, 7 starting at 5, 9, 30.
  const std::int32_t cu32[4] = {0, 4, 4, 11};
  const std::int64_t cu64[4] = {0, 4, 4, 11};
  const std::int32_t starts32[3] = {5, 9, 30};
  std::vector<std::int64_t> ids_offset, ids_packed, ids_started;
  for (std::int64_t t = 0; t < tokens; ++t) {
    ids_offset.push_back(13 + t);
    ids_packed.push_back(t < 4 ? t : t - 4);
    ids_started.push_back(t < 4 ? 5 + t : 30 + t - 4);
  }
  std::vector<std::int32_t> ids32(ids_offset.begin(), ids_offset.end());
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    const auto by_ids = [&](const std::vector<std::int64_t>& ids) {
      return rotated(p, x, table, positions::from_ids(ids.data(), tokens));
    };
    EXPECT_EQ(rotated(p, x, table, positions::from_offset(13)), by_ids(ids_offset));
    EXPECT_EQ(rotated(p, x, table, positions::from_ids(ids32.data(), tokens)), by_ids(ids_offset));
    EXPECT_EQ(rotated(p, x, table, positions::packed(cu32, 4)), by_ids(ids_packed));
    EXPECT_EQ(rotated(p, x, table, positions::packed(cu64, 4)), by_ids(ids_packed));
    EXPECT_EQ(rotated(p, x, table, positions::packed(cu64, 4, starts32, 3)), by_ids(ids_started));
    EXPECT_EQ(rotated(p, x, fly, positions::packed(cu32, 4, starts32, 3)),
              rotated(p, x, fly, positions::from_ids(ids_started.data(), tokens)));
  }
}

TYPED_TEST(PositionsTest, PackedMatchesEachSequenceSeparately) {
  using T = TypeParam;
  const std::int64_t cu[5] = {0, 3, 10, 11, 24};
  const std::ptrdiff_t tokens = 24, per_token = kHeads * kHeadDim;
  const auto x = rotary_test::random_vector<T>(static_cast<std::size_t>(tokens * per_token), 2);
  rotary::cos_sin_table<T> table(kHeadDim, 32);
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    const std::vector<T> packed = rotated(p, x, table, positions::packed(cu, 5));
    for (int s = 0; s < 4; ++s) {
      const std::vector<T> one(x.begin() + cu[s] * per_token, x.begin() + cu[s + 1] * per_token);
      const std::vector<T> want = rotated(p, one, table, positions::from_offset(0));
      EXPECT_TRUE(std::equal(want.begin(), want.end(), packed.begin() + cu[s] * per_token))
          << "sequence " << s;
    }
  }
}

TYPED_TEST(PositionsTest, DecodeStepMatchesRowOfPrefill) {
  using T = TypeParam;
  const std::ptrdiff_t tokens = 17, per_token = kHeads * kHeadDim;
  const auto x = rotary_test::random_vector<T>(static_cast<std::size_t>(tokens * per_token), 3);
  rotary::cos_sin_table<T> table(kHeadDim, tokens);
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    const std::vector<T> prefill = rotated(p, x, table, positions::from_offset(0));
    for (std::ptrdiff_t m : {0, 1, 9, 16}) {
      const std::vector<T> row(x.begin() + m * per_token, x.begin() + (m + 1) * per_token);
      const std::vector<T> step = rotated(p, row, table, positions::from_offset(m));
      EXPECT_TRUE(std::equal(step.begin(), step.end(), prefill.begin() + m * per_token))
          << "position " << m;
    }
  }
}

TEST(PositionsErrorTest, IdsOfWrongLength) {
  std::vector<float> x(5 * kHeads * kHeadDim);
  rotary::cos_sin_table<float> table(kHeadDim, 16);
  const std::int32_t ids[4] = {0, 1, 2, 3};
  EXPECT_THROW(rotary::rotate<pairing::half_split>(tensor_view<float, 3>(x.data(), {5, kHeads, kHeadDim}),
                                             table, positions::from_ids(ids, 4)),
               rotary::invalid_argument);
}

TEST(PositionsErrorTest, NegativeId) {
  std::vector<float> x(2 * kHeads * kHeadDim);
  rotary::cos_sin_table<float> table(kHeadDim, 16);
  const std::int64_t ids[2] = {0, -1};
  EXPECT_THROW(rotary::rotate<pairing::half_split>(tensor_view<float, 3>(x.data(), {2, kHeads, kHeadDim}),
                                             table, positions::from_ids(ids, 2)),
               rotary::invalid_argument);
}

TEST(PositionsErrorTest, CuSeqlensNotEndingAtTokenCount) {
  std::vector<float> x(6 * kHeads * kHeadDim);
  rotary::cos_sin_table<float> table(kHeadDim, 16);
  const std::int32_t cu[3] = {0, 2, 5};
  EXPECT_THROW(rotary::rotate<pairing::interleaved>(
                   tensor_view<float, 3>(x.data(), {6, kHeads, kHeadDim}), table,
                   positions::packed(cu, 3)),
               rotary::invalid_argument);
}

TEST(PositionsErrorTest, CuSeqlensDecreasing) {
  std::vector<float> x(6 * kHeads * kHeadDim);
  rotary::cos_sin_table<float> table(kHeadDim, 16);
  const std::int64_t cu[4] = {0, 4, 2, 6};
  EXPECT_THROW(rotary::rotate<pairing::interleaved>(
                   tensor_view<float, 3>(x.data(), {6, kHeads, kHeadDim}), table,
                   positions::packed(cu, 4)),
               rotary::invalid_argument);
}

TEST(PositionsErrorTest, CuSeqlensNotStartingAtZero) {
  std::vector<float> x(6 * kHeads * kHeadDim);
  rotary::cos_sin_table<float> table(kHeadDim, 16);
  const std::int64_t cu[3] = {1, 4, 6};
  EXPECT_THROW(rotary::rotate<pairing::half_split>(tensor_view<float, 3>(x.data(), {6, kHeads, kHeadDim}),
                                             table, positions::packed(cu, 3)),
               rotary::invalid_argument);
}

TEST(PositionsErrorTest, StartsOfWrongLength) {
  std::vector<float> x(6 * kHeads * kHeadDim);
  rotary::cos_sin_table<float> table(kHeadDim, 16);
  const std::int64_t cu[3] = {0, 4, 6};
  const std::int32_t starts[1] = {3};
  EXPECT_THROW(rotary::rotate<pairing::half_split>(tensor_view<float, 3>(x.data(), {6, kHeads, kHeadDim}),
                                             table, positions::packed(cu, 3, starts, 1)),
               rotary::invalid_argument);
}

TEST(PositionsErrorTest, StartPastTableIsOutOfRange) {
  std::vector<float> x(6 * kHeads * kHeadDim);
  rotary::cos_sin_table<float> table(kHeadDim, 16);
  const std::int64_t cu[3] = {0, 4, 6};
  const std::int32_t starts[2] = {3, 15};  // second sequence reaches position 16
  EXPECT_THROW(rotary::rotate<pairing::half_split>(tensor_view<float, 3>(x.data(), {6, kHeads, kHeadDim}),
                                             table, positions::packed(cu, 3, starts, 2)),
               rotary::out_of_range);
}

}  // namespace
