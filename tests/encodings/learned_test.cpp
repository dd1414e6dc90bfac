// Learned absolute encoding: deterministic seeded table, loadable, and its length limit.
#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "expect_error.hpp"

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace {

using rotary::learned_position_encoding;
using rotary::positions;
using rotary::tensor_view;

TEST(LearnedTest, SeededInitialisationIsDeterministic) {
  const learned_position_encoding<float> a(16, 8, 42), b(16, 8, 42), c(16, 8, 43);
  EXPECT_EQ(std::vector<float>(a.data(), a.data() + 128), std::vector<float>(b.data(), b.data() + 128));
  EXPECT_NE(std::vector<float>(a.data(), a.data() + 128), std::vector<float>(c.data(), c.data() + 128));
  for (int i = 0; i < 128; ++i) EXPECT_LE(std::abs(a.data()[i]), 0.02f);
}

TEST(LearnedTest, LoadAndAdd) {
  learned_position_encoding<double> pe(4, 2);
  const std::vector<double> table = {0, 1, 10, 11, 20, 21, 30, 31};
  pe.load(table.data());
  std::vector<double> x(2 * 3 * 2, 0.5);  // [2 tokens][3 heads][2]
  pe.add(tensor_view<double, 3>(x.data(), {2, 3, 2}), positions::from_offset(2));
  EXPECT_DOUBLE_EQ(x[0], 20.5);
  EXPECT_DOUBLE_EQ(x[5], 21.5);
  EXPECT_DOUBLE_EQ(x[6], 30.5);
  EXPECT_EQ(pe.row(1)[1], 11);
}

TEST(LearnedTest, PositionPastTheTableIsOutOfRange) {
  const learned_position_encoding<float> pe(8, 4);
  std::vector<float> x(4 * 4, 0.0f);
  const auto before = x;
  try {
    pe.add(tensor_view<float, 2>(x.data(), {4, 4}), positions::from_offset(5));  // 5..8
    FAIL() << "expected rotary::out_of_range";
  } catch (const rotary::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("max_positions = 8"), std::string::npos) << e.what();
  }
  EXPECT_EQ(x, before);  // nothing written
  EXPECT_THROW(pe.row(8), rotary::out_of_range);
  EXPECT_NO_THROW(pe.row(7));
}

TEST(LearnedTest, Errors) {
  EXPECT_THROW(learned_position_encoding<float>(0, 4), rotary::invalid_argument);
  EXPECT_THROW(learned_position_encoding<float>(4, 0), rotary::invalid_argument);
  const learned_position_encoding<float> pe(8, 4);
  std::vector<float> x(8);
  EXPECT_THROW(pe.add(tensor_view<float, 2>(x.data(), {2, 3}), positions::from_offset(0)),
               rotary::invalid_argument);
}

// max_positions x dim used to be multiplied unchecked: 2^62 + 1 rows of 4 wrapped to a
// 4-value table that row() and add() then read 2^64 bytes past.
TEST(LearnedTest, TableSizeOverflowIsRefused) {
  constexpr std::ptrdiff_t kMax = std::numeric_limits<std::ptrdiff_t>::max();
  rotary_test::expect_error(
      [] { learned_position_encoding<float> pe((std::ptrdiff_t{1} << 62) + 1, 4); },
      "learned_position_encoding: max_positions x dim must fit a std::vector, got "
      "4611686018427387905 x 4");
  rotary_test::expect_error([] { learned_position_encoding<double> pe(kMax / 2, 4); },
                            "got 4611686018427387903 x 4");
  rotary_test::expect_error([] { learned_position_encoding<float> pe(3, kMax); },
                            "got 3 x 9223372036854775807");
  // One row more than a vector of rows x 16 floats can hold.
  const std::ptrdiff_t too_many =
      static_cast<std::ptrdiff_t>(std::vector<float>().max_size() / 16) + 1;
  rotary_test::expect_error([&] { learned_position_encoding<float> pe(too_many, 16); },
                            "learned_position_encoding: max_positions x dim must fit a "
                            "std::vector, got " + std::to_string(too_many) + " x 16");
}

}  // namespace
