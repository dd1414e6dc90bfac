#include <gtest/gtest.h>

#include <cmath>

#include "odr_isa.hpp"

TEST(OdrTest, EachTranslationUnitKeepsItsInstructionSet) {
  EXPECT_EQ(isa_of_scalar_tu(), "scalar");
  EXPECT_EQ(isa_of_avx2_tu(), "avx2");
}

TEST(OdrTest, BothInstructionSetsRotateAlike) {
  std::vector<float> x(64 * 37);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i));
  const std::vector<float> a = rotate_in_scalar_tu(x);
  const std::vector<float> b = rotate_in_avx2_tu(x);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5f) << "at " << i;
}

// Every storage type, both pairings, both directions: the scalar batch and AVX2 + F16C give
// the same bits (16-bit rounding, NaN quieting, fp16 overflow and subnormals included).
TEST(CrossIsaTest, ScalarAndAvx2AreBitwiseEqual) {
  const std::vector<std::uint8_t> a = sample_rotations_in_scalar_tu();
  const std::vector<std::uint8_t> b = sample_rotations_in_avx2_tu();
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(first_difference(a, b), a.size()) << "bytes differ, of " << a.size();
}
