#include <gtest/gtest.h>
#include <rotary/rotary.hpp>
TEST(SmokeTest, Compiles) { EXPECT_NE(rotary::simd_instruction_set(), nullptr); }
