// The AVX-512 build against the scalar one, bitwise; skipped where the CPU lacks AVX-512.
#include <gtest/gtest.h>

#include "odr_isa.hpp"

namespace {
bool cpu_has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl");
}
}  // namespace

TEST(CrossIsaTest, ScalarAndAvx512AreBitwiseEqual) {
  if (!cpu_has_avx512()) GTEST_SKIP() << "this CPU has no AVX-512 (F, BW, VL)";
  EXPECT_EQ(isa_of_avx512_tu(), "avx512");
  const std::vector<std::uint8_t> a = sample_rotations_in_scalar_tu();
  const std::vector<std::uint8_t> b = sample_rotations_in_avx512_tu();
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(first_difference(a, b), a.size()) << "bytes differ, of " << a.size();
}
