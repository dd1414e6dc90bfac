// SPDX-License-Identifier: MIT
// Every argument check: one EXPECT_THROW per check with the exact exception type, and the
// message names the function, the parameter and the offending value. A rejected call
// writes nothing.

// Also tests the rotary 0.1 entry points, now [[deprecated]] forwarders to the rope object
// (deprecated.hpp): they must keep giving the results they gave before.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <typeinfo>
#include <vector>

#include <gtest/gtest.h>
#include <rotary/rerotate.hpp>
#include <rotary/rotary.hpp>

#include "test_util.hpp"

namespace {

using rotary::pairing;
using view = rotary::tensor_view<float, 3>;
using cview = rotary::tensor_view<const float, 3>;

/// Calls f, which must throw exactly E; every needle must occur in what().
template <class E, class F>
void expect_message(const F& f, std::initializer_list<const char*> needles) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    EXPECT_EQ(typeid(e), typeid(E)) << "threw " << typeid(e).name();
    const std::string message = e.what();
    for (const char* needle : needles) {
      EXPECT_NE(message.find(needle), std::string::npos)
          << "message \"" << message << "\" does not contain \"" << needle << "\"";
    }
  }
}

/// EXPECT_THROW on the lambda `call`, then the exact type and the message.
#define ROTARY_EXPECT_THROW(call, E, ...) \
  do {                                    \
    EXPECT_THROW(call(), E);              \
    expect_message<E>(call, {__VA_ARGS__}); \
  } while (false)

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

class ErrorsTest : public ::testing::Test {
 protected:
  // x: [2 tokens][2 heads][8], in a buffer large enough for the offset views below.
  std::vector<float> buffer = rotary_test::random_vector<float>(128, 1);
  std::vector<float> other = rotary_test::random_vector<float>(128, 2);
  view x{buffer.data(), {2, 2, 8}};
  view y{other.data(), {2, 2, 8}};
  rotary::cos_sin_table<float> table{8, 16};
  rotary::positions pos = rotary::positions::from_offset(0);
};

// ---- head_dim ----------------------------------------------------------------------------

TEST_F(ErrorsTest, OddHeadDim) {
  const rotary::cos_sin_table<float> t6(6, 16);
  auto call = [&] { rotary::rotate<pairing::half_split>(view(buffer.data(), {2, 2, 7}), t6, pos); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rotate", "head_dim", "got 7");
}

TEST_F(ErrorsTest, ZeroHeadDim) {
  auto call = [&] { rotary::rotate<pairing::half_split>(view(buffer.data(), {2, 2, 0}), table, pos); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rotate", "head_dim", "got 0");
}

TEST_F(ErrorsTest, HeadDimStrideNotOne) {
  auto call = [&] {
    rotary::rotate<pairing::interleaved>(view(buffer.data(), {2, 2, 8}, {32, 16, 2}), table,
                                         pos);
  };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rotate", "head_dim stride", "got 2");
}

// ---- rotary_dim and rotary_offset ----------------------------------------------------------

TEST_F(ErrorsTest, OddRotaryDimFrequencies) {
  auto call = [] { (void)rotary::rope_frequencies(7); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rope_frequencies", "rotary_dim", "7");
}

TEST_F(ErrorsTest, OddRotaryDimTable) {
  auto call = [] { rotary::cos_sin_table<float> t(9, 4); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "cos_sin_table: rotary_dim", "even", "9");
}

TEST_F(ErrorsTest, OddRotaryDimOnTheFly) {
  auto call = [] { rotary::on_the_fly_angles<double> a(5); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "on_the_fly_angles: rotary_dim", "even",
                      "5");
}

TEST_F(ErrorsTest, ZeroRotaryDim) {
  auto call = [] { (void)rotary::rope_frequencies(0); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rotary_dim", "positive", "0");
}

TEST_F(ErrorsTest, RotaryDimPlusOffsetPastHeadDim) {
  auto call = [&] { rotary::rotate<pairing::half_split>(x, table, pos, 2); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rotate", "rotary_offset + rotary_dim",
                      "2 + 8 > 8");
}

TEST_F(ErrorsTest, RotaryDimPastHeadDim) {
  const rotary::cos_sin_table<float> t10(10, 16);
  auto call = [&] { rotary::rotate<pairing::interleaved>(cview(x), y, t10, pos); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rotary_offset + rotary_dim",
                      "0 + 10 > 8");
}

TEST_F(ErrorsTest, NegativeRotaryOffset) {
  const rotary::cos_sin_table<float> t4(4, 16);
  auto call = [&] { rotary::rotate_transpose<pairing::half_split>(x, t4, pos, -2); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rotate_transpose", "rotary_offset",
                      "-2");
}

// ---- base -----------------------------------------------------------------------------------

TEST_F(ErrorsTest, BaseZero) {
  auto call = [] { (void)rotary::rope_frequencies(8, 0.0); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rope_frequencies", "base", "got 0");
}

TEST_F(ErrorsTest, BaseNegative) {
  auto call = [] { rotary::cos_sin_table<float> t(8, 4, -2.5); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "cos_sin_table: base", "-2.5");
}

TEST_F(ErrorsTest, BaseNaN) {
  auto call = [] { rotary::on_the_fly_angles<float> a(8, kNaN); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "on_the_fly_angles: base", "nan");
}

TEST_F(ErrorsTest, BaseInfinite) {
  auto call = [] { (void)rotary::rope_frequencies(8, kInf); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "base", "inf");
}

// ---- caller frequencies -------------------------------------------------------------------

TEST_F(ErrorsTest, EmptyFrequenciesTable) {
  auto call = [] { rotary::cos_sin_table<double> t(std::vector<double>{}, 4); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "cos_sin_table", "frequencies", "empty");
}

TEST_F(ErrorsTest, EmptyFrequenciesOnTheFly) {
  auto call = [] { rotary::on_the_fly_angles<double> a(std::vector<double>{}); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "on_the_fly_angles", "frequencies",
                      "empty");
}

TEST_F(ErrorsTest, NaNFrequency) {
  auto call = [] { rotary::cos_sin_table<float> t(std::vector<double>{1.0, kNaN}, 4); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "frequencies[1]", "finite", "nan");
}

TEST_F(ErrorsTest, InfiniteFrequency) {
  auto call = [] { rotary::on_the_fly_angles<float> a(std::vector<double>{kInf, 1.0}); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "frequencies[0]", "finite", "inf");
}

// Found by tests/fuzz/rope_fuzz.cpp: a finite frequency past 2^32 (here from scaling::linear
// with a factor of 1e-300) was accepted, and its "exact" cos and sin were not: at 1e300 they
// had magnitudes of 1e249. Every source and map refuses |theta| > max_frequency = 2^32, the
// range where the angles are exact; 2^32 itself still gives unit vectors.
TEST_F(ErrorsTest, FrequencyPastMaxFrequency) {
  const rotary::scaled_frequencies f = rotary::scaling::linear(8, 1e4, 1e-300);
  constexpr double k2p32 = 0x1p32;  // rotary::max_frequency
  ASSERT_GT(f.inv_freq[0], k2p32);
  auto table_call = [&] { rotary::cos_sin_table<float> t(f, 4); };
  ROTARY_EXPECT_THROW(table_call, rotary::invalid_argument, "cos_sin_table", "frequencies[0]",
                      "2^32", "max_frequency");
  auto on_the_fly = [] { rotary::on_the_fly_angles<double> a(std::vector<double>{1.0, -0x1p33}); };
  ROTARY_EXPECT_THROW(on_the_fly, rotary::invalid_argument, "on_the_fly_angles", "frequencies[1]",
                      "max_frequency");
  auto map = [] { (void)rotary::axis_map(2, {0, 1}, {1e20, 1.0}); };
  ROTARY_EXPECT_THROW(map, rotary::invalid_argument, "axis_map", "frequencies[0]", "max_frequency");
  auto xpos = [] {
    rotary::xpos_angles<float> x(std::vector<double>{1.0, 1e300}, rotary::xpos_role::query, 0.0);
  };
  ROTARY_EXPECT_THROW(xpos, rotary::invalid_argument, "xpos_angles", "frequencies[1]",
                      "max_frequency");
  rotary::scaled_frequencies to = f;
  to.inv_freq.assign(4, 1.0);
  auto rerotation = [&] { (void)rotary::rerotation(f, to); };
  ROTARY_EXPECT_THROW(rerotation, rotary::invalid_argument, "rerotation", "max_frequency");
  // The limit itself is accepted, and its rows are cos and sin.
  const rotary::cos_sin_table<double> edge(std::vector<double>{k2p32, -1.0}, 3);
  for (std::ptrdiff_t m = 0; m < 3; ++m) {
    const double c = edge.data()[4 * m], s = edge.data()[4 * m + 2];
    EXPECT_NEAR(c * c + s * s, 1.0, 1e-15) << m;
  }
}

// ---- tables and views ---------------------------------------------------------------------

TEST_F(ErrorsTest, GrowNegative) {
  auto call = [&] { table.grow(-1); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "grow", "rows", "-1");
  EXPECT_EQ(table.rows(), 16);
}

TEST_F(ErrorsTest, ConstructorNegativeRows) {
  auto call = [] { rotary::cos_sin_table<float> t(8, -5); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "cos_sin_table: rows", "got -5");
}

TEST_F(ErrorsTest, ConstructorRowsPastTheVectorLimit) {
  auto call = [] {
    rotary::cos_sin_table<float> t(64, std::numeric_limits<std::ptrdiff_t>::max() / 2);
  };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "cos_sin_table: rows x rotary_dim",
                      "4611686018427387903");
}

TEST_F(ErrorsTest, ViewOddRotaryDim) {
  auto call = [&] { rotary::cos_sin_view<const float> v(table.data(), table.data() + 4, 16, 7, 8); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "cos_sin_view", "rotary_dim", "7");
}

TEST_F(ErrorsTest, ViewNegativeRows) {
  auto call = [&] { rotary::cos_sin_view<const float> v(table.data(), table.data() + 4, -3, 8, 8); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "cos_sin_view", "rows", "-3");
}

TEST_F(ErrorsTest, ViewRowStrideTooSmall) {
  auto call = [&] { rotary::cos_sin_view<const float> v(table.data(), table.data() + 4, 16, 8, 3); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "cos_sin_view", "row_stride", "got 3");
}

TEST_F(ErrorsTest, ViewNullData) {
  auto call = [&] { rotary::cos_sin_view<const float> v(nullptr, table.data() + 4, 2, 8, 8); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "cos_sin_view", "null", "rows = 2");
}

TEST_F(ErrorsTest, PositionPastTableEnd) {
  auto call = [&] {
    rotary::rotate<pairing::half_split>(x, table, rotary::positions::from_offset(15));
  };
  ROTARY_EXPECT_THROW(call, rotary::out_of_range, "rotate", "position 16", "rows = 16");
}

TEST_F(ErrorsTest, PositionIdPastViewEnd) {
  const std::int64_t ids[] = {3, 40};
  const rotary::cos_sin_view<const float> v = table;
  auto call = [&] {
    rotary::unrotate<pairing::interleaved>(cview(x), y, v, rotary::positions::from_ids(ids, 2));
  };
  ROTARY_EXPECT_THROW(call, rotary::out_of_range, "unrotate", "position 40", "rows = 16");
}

// ---- views --------------------------------------------------------------------------------

TEST_F(ErrorsTest, NegativeTokens) {
  auto call = [&] { rotary::rotate<pairing::half_split>(view(buffer.data(), {-1, 2, 8}), table, pos); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "num_tokens", "-1");
}

TEST_F(ErrorsTest, NegativeHeads) {
  auto call = [&] { rotary::rotate<pairing::half_split>(view(buffer.data(), {2, -3, 8}), table, pos); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "num_heads", "-3");
}

TEST_F(ErrorsTest, MismatchedHeads) {
  auto call = [&] {
    rotary::rotate<pairing::half_split>(cview(x), view(other.data(), {2, 1, 8}), table, pos);
  };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "extents differ", "dimension 1", "2 vs 1");
}

TEST_F(ErrorsTest, MismatchedTokens) {
  auto call = [&] {
    rotary::rotate<pairing::interleaved>(cview(x), view(other.data(), {3, 2, 8}), table, pos);
  };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "extents differ", "dimension 0", "2 vs 3");
}

TEST_F(ErrorsTest, OverlappingViews) {
  auto call = [&] {
    rotary::rotate<pairing::half_split>(cview(x), view(buffer.data() + 2, {2, 2, 8}), table, pos);
  };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rotate", "in and out", "overlap");
}

TEST_F(ErrorsTest, SameDataDifferentStrides) {
  // Same first element, heads and tokens swapped: the views alias but are not the same.
  auto call = [&] {
    rotary::rotate<pairing::half_split>(cview(x), view(buffer.data(), {2, 2, 8}, {8, 16, 1}), table,
                                  pos);
  };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "overlap");
}

TEST_F(ErrorsTest, NullInData) {
  auto call = [&] { rotary::rotate<pairing::half_split>(cview(nullptr, {2, 2, 8}), y, table, pos); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "in data", "null", "2 x 2 x 8");
}

TEST_F(ErrorsTest, NullOutData) {
  auto call = [&] { rotary::rotate<pairing::half_split>(cview(x), view(nullptr, {2, 2, 8}), table, pos); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "out data", "null");
}

TEST_F(ErrorsTest, OverlappingHeadRows) {
  auto call = [&] {
    rotary::rotate<pairing::half_split>(view(buffer.data(), {2, 2, 8}, {16, 4, 1}), table, pos);
  };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rows that share elements", "strides {16, 4, 1}", "head_dim = 8");
}

// ---- positions ----------------------------------------------------------------------------

TEST_F(ErrorsTest, CuSeqlensNotEndingAtTokenCount) {
  const std::int32_t cu[] = {0, 1, 3};
  auto call = [&] { rotary::rotate<pairing::half_split>(x, table, rotary::positions::packed(cu, 3)); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "cu_seqlens", "num_tokens = 2",
                      "cu_seqlens[2] = 3");
}

TEST_F(ErrorsTest, CuSeqlensDecreasing) {
  const std::int64_t cu[] = {0, 2, 1, 2};
  auto call = [&] { rotary::rotate<pairing::half_split>(x, table, rotary::positions::packed(cu, 4)); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "non-decreasing", "cu_seqlens[2] = 1");
}

TEST_F(ErrorsTest, CuSeqlensNotStartingAtZero) {
  const std::int32_t cu[] = {1, 2};
  auto call = [&] { rotary::rotate<pairing::half_split>(x, table, rotary::positions::packed(cu, 2)); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "cu_seqlens[0]", "got 1");
}

TEST_F(ErrorsTest, PackedStartsWrongCount) {
  const std::int32_t cu[] = {0, 1, 2};
  const std::int32_t starts[] = {0, 1, 2};
  auto call = [&] {
    rotary::rotate<pairing::half_split>(x, table, rotary::positions::packed(cu, 3, starts, 3));
  };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "start offsets", "3 entries", "= 2");
}

TEST_F(ErrorsTest, IdsWrongLength) {
  const std::int32_t ids[] = {0, 1, 2};
  auto call = [&] { rotary::rotate<pairing::half_split>(x, table, rotary::positions::from_ids(ids, 3)); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "ids", "3 entries", "num_tokens = 2");
}

TEST_F(ErrorsTest, IdsNull) {
  auto call = [&] {
    rotary::rotate<pairing::half_split>(
        x, table, rotary::positions::from_ids(static_cast<const std::int64_t*>(nullptr), 2));
  };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "ids", "null");
}

TEST_F(ErrorsTest, NegativeId) {
  const std::int64_t ids[] = {0, -4};
  auto call = [&] { rotary::rotate<pairing::half_split>(x, table, rotary::positions::from_ids(ids, 2)); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "ids[1]", "-4");
}

TEST_F(ErrorsTest, NegativeOffset) {
  auto call = [&] { rotary::rotate<pairing::half_split>(x, table, rotary::positions::from_offset(-3)); };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "offset", "-3");
}

TEST_F(ErrorsTest, NegativePackedStart) {
  const std::int32_t cu[] = {0, 2};
  const std::int64_t starts[] = {-1};
  auto call = [&] {
    rotary::rotate<pairing::half_split>(x, table, rotary::positions::packed(cu, 2, starts, 1));
  };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "start offsets[0]", "-1");
}

TEST_F(ErrorsTest, ReferenceChecksToo) {
  auto call = [&] {
    rotary::rotate_reference(pairing::half_split, cview(x), y, table, pos, -2);
  };
  ROTARY_EXPECT_THROW(call, rotary::invalid_argument, "rotate_reference", "rotary_offset");
}

// ---- a rejected call writes nothing -------------------------------------------------------

TEST_F(ErrorsTest, RejectedCallWritesNothing) {
  const std::vector<float> x0 = buffer, y0 = other;
  const std::int64_t bad_last[] = {1, 16};  // token 1 is past the table
  const std::int32_t negative_last[] = {1, -1};
  const std::int32_t cu_bad[] = {0, 1, 3};
  const rotary::on_the_fly_angles<float> fly(8);
  const rotary::positions bad_positions[] = {
      rotary::positions::from_ids(bad_last, 2), rotary::positions::packed(cu_bad, 3)};
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    for (const auto& bad : bad_positions) {
      EXPECT_ANY_THROW(rotary::rotate(p, x, table, bad));
      EXPECT_ANY_THROW(rotary::rotate(p, cview(x), y, table, bad));
      EXPECT_ANY_THROW(rotary::rotate_transpose(p, cview(x), y, table, bad));
      EXPECT_ANY_THROW(rotary::rotate_reference(p, cview(x), y, table, bad));
    }
    // Valid positions, bad offset: in place and out of place, table and on the fly.
    EXPECT_ANY_THROW(rotary::rotate(p, x, table, pos, 1));
    EXPECT_ANY_THROW(rotary::unrotate(p, cview(x), y, fly, pos, 2));
    EXPECT_ANY_THROW(rotary::rotate(p, x, fly, rotary::positions::from_ids(negative_last, 2)));
  }
  EXPECT_TRUE(rotary_test::bitwise_equal(buffer, x0));
  EXPECT_TRUE(rotary_test::bitwise_equal(other, y0));
  // The same calls with valid arguments do write (so the test above can fail).
  rotary::rotate(pairing::half_split, cview(x), y, table, pos);
  EXPECT_FALSE(rotary_test::bitwise_equal(other, y0));
}

}  // namespace
