// SPDX-License-Identifier: MIT
// Recipes of the README, proven: DeepSeek's MLA (the decoupled rope key: one shared key head
// of 64 dims, and the rope slice of each 192-dim query head at offset 128) in one call over
// views of the slices, bitwise the rope on copied contiguous slices, the other elements
// untouched; and DeepSeek V4's output de-rotation (the transpose at the query's position
// over the last 64 of 512 dims), which leaves the rope part of an output depending on
// key position - query position only.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "test_util.hpp"

namespace {

using rotary::pairing;
using rotary::positions;
using rotary::tensor_view;

TEST(Recipes, DeepSeekMlaRopesTheSlicesInOneCall) {
  constexpr std::ptrdiff_t tokens = 9, heads = 4, nope = 128, rope_dim = 64, q_dim = nope + rope_dim;
  constexpr std::ptrdiff_t kv_lora = 512, kv_dim = kv_lora + rope_dim;  // [compressed kv | k_pe]
  auto q = rotary_test::random_vector<float>(tokens * heads * q_dim, 1);
  auto kv = rotary_test::random_vector<float>(tokens * kv_dim, 2);
  const auto q0 = q, kv0 = kv;
  const rotary::cos_sin_table<float> table(rope_dim, 64);
  const rotary::rope r(table, pairing::interleaved);  // DeepSeek's complex pairs
  // Views that start at the rope slices: q's last 64 of each head, k_pe the last 64 of each
  // token's compressed row (one head shared by every query head: MQA).
  const tensor_view<float, 3> q_pe(q.data() + nope, {tokens, heads, rope_dim}, {heads * q_dim, q_dim, 1});
  const tensor_view<float, 3> k_pe(kv.data() + kv_lora, {tokens, 1, rope_dim}, {kv_dim, kv_dim, 1});
  r.forward(rotary::query(q_pe), rotary::key(k_pe), positions::from_offset(30));
  // Against contiguous copies of the slices.
  std::vector<float> qs, ks;
  for (std::ptrdiff_t t = 0; t < tokens; ++t) {
    for (std::ptrdiff_t h = 0; h < heads; ++h) {
      qs.insert(qs.end(), q0.begin() + (t * heads + h) * q_dim + nope, q0.begin() + (t * heads + h + 1) * q_dim);
    }
    ks.insert(ks.end(), kv0.begin() + t * kv_dim + kv_lora, kv0.begin() + (t + 1) * kv_dim);
  }
  r.forward(rotary_test::view3(qs, tokens, heads, rope_dim), positions::from_offset(30));
  r.forward(rotary_test::view3(ks, tokens, 1, rope_dim), positions::from_offset(30));
  for (std::ptrdiff_t t = 0; t < tokens; ++t) {
    for (std::ptrdiff_t h = 0; h < heads; ++h) {
      for (std::ptrdiff_t e = 0; e < q_dim; ++e) {
        const float got = q[static_cast<std::size_t>((t * heads + h) * q_dim + e)];
        const float want = e < nope ? q0[static_cast<std::size_t>((t * heads + h) * q_dim + e)]
                                    : qs[static_cast<std::size_t>((t * heads + h) * rope_dim + e - nope)];
        ASSERT_TRUE(rotary_test::bitwise_equal(got, want)) << t << " " << h << " " << e;
      }
    }
    for (std::ptrdiff_t e = 0; e < kv_dim; ++e) {
      const float got = kv[static_cast<std::size_t>(t * kv_dim + e)];
      const float want = e < kv_lora ? kv0[static_cast<std::size_t>(t * kv_dim + e)]
                                     : ks[static_cast<std::size_t>(t * rope_dim + e - kv_lora)];
      ASSERT_TRUE(rotary_test::bitwise_equal(got, want)) << t << " " << e;
    }
  }
}

TEST(Recipes, DeepSeekV4OutputDerotationLeavesTheRelativePosition) {
  // An output whose rope part is a value rotated at its key position n (V4 shares the
  // rotated key as the value), de-rotated at the query's position m: R_m^T R_n v = R_(n-m) v.
  constexpr std::ptrdiff_t heads = 2, dim = 512, rope_dim = 64;
  const rotary::cos_sin_table<double> table(rope_dim, 4096);
  const rotary::rope r(table, pairing::interleaved);
  const auto v = rotary_test::random_vector<double>(heads * dim, 3);
  auto output = [&](std::int64_t n, std::int64_t m) {
    std::vector<double> o = v;
    const tensor_view<double, 3> pe(o.data() + dim - rope_dim, {1, heads, rope_dim}, {heads * dim, dim, 1});
    r.forward(pe, positions::from_offset(n));    // the value at its key position
    r.transpose(pe, positions::from_offset(m));  // HF: (cos, -sin) at the query's position
    return o;
  };
  const auto a = output(100, 40), b = output(2100, 2040), c = output(100, 41);
  double same = 0, differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    same = std::max(same, std::fabs(a[i] - b[i]));
    differ = std::max(differ, std::fabs(a[i] - c[i]));
    if (i % dim < dim - rope_dim) {
      ASSERT_EQ(a[i], v[i]);  // the other 448 dims untouched
    }
  }
  EXPECT_LT(same, 1e-13);
  EXPECT_GT(differ, 1e-3);
}

}  // namespace
