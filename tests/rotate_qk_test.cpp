// rotate_qk: queries and keys in one call (GQA, MQA) against two separate rotate calls,
// bit for bit; fused QKV buffers; bad head counts and overlapping q/k.
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
#include <vector>

namespace {

using rotary::pairing;
using rotary::positions;
using rotary::tensor_view;

struct QkCase {
  pairing p;
  std::ptrdiff_t kv_heads;
};

class RotateQkTest : public ::testing::TestWithParam<QkCase> {};

TEST_P(RotateQkTest, MatchesSeparateCalls) {
  const auto [p, kv_heads] = GetParam();
  const std::ptrdiff_t tokens = 6, heads = 32, head_dim = 128;
  const auto q0 = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * heads * head_dim), 1);
  const auto k0 = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * kv_heads * head_dim), 2);
  rotary::cos_sin_table<float> table(head_dim, 64);
  rotary::on_the_fly_angles<float> fly(64);  // partial rotary: 64 of 128
  const std::int32_t ids[6] = {3, 9, 0, 41, 41, 7};
  const positions pos = positions::from_ids(ids, tokens);

  for (int source = 0; source < 2; ++source) {
    const std::ptrdiff_t rotary_offset = source == 0 ? 0 : 32;
    auto q_sep = q0, k_sep = k0, q = q0, k = k0;
    const tensor_view<float, 3> vq_sep(q_sep.data(), {tokens, heads, head_dim});
    const tensor_view<float, 3> vk_sep(k_sep.data(), {tokens, kv_heads, head_dim});
    const tensor_view<float, 3> vq(q.data(), {tokens, heads, head_dim});
    const tensor_view<float, 3> vk(k.data(), {tokens, kv_heads, head_dim});
    if (source == 0) {
      rotary::rotate(p, vq_sep, table, pos);
      rotary::rotate(p, vk_sep, table, pos);
      rotary::rotate_qk(p, vq, vk, table, pos);
    } else {
      rotary::rotate(p, vq_sep, fly, pos, rotary_offset);
      rotary::rotate(p, vk_sep, fly, pos, rotary_offset);
      rotary::rotate_qk(p, vq, vk, fly, pos, rotary_offset);
    }
    EXPECT_EQ(q, q_sep);
    EXPECT_EQ(k, k_sep);

    // Out of place.
    std::vector<float> q_out(q0.size(), 9.0f), k_out(k0.size(), 9.0f);
    const tensor_view<const float, 3> q_in(q0.data(), {tokens, heads, head_dim});
    const tensor_view<const float, 3> k_in(k0.data(), {tokens, kv_heads, head_dim});
    const tensor_view<float, 3> vq_out(q_out.data(), {tokens, heads, head_dim});
    const tensor_view<float, 3> vk_out(k_out.data(), {tokens, kv_heads, head_dim});
    if (source == 0) {
      rotary::rotate_qk(p, q_in, vq_out, k_in, vk_out, table, pos);
    } else {
      rotary::rotate_qk(p, q_in, vq_out, k_in, vk_out, fly, pos, rotary_offset);
    }
    EXPECT_EQ(q_out, q_sep);
    EXPECT_EQ(k_out, k_sep);
  }
}

INSTANTIATE_TEST_SUITE_P(GqaMqa, RotateQkTest,
                         ::testing::Values(QkCase{pairing::interleaved, 8},
                                           QkCase{pairing::half_split, 8},
                                           QkCase{pairing::interleaved, 1},
                                           QkCase{pairing::half_split, 1},
                                           QkCase{pairing::half_split, 32}));

TEST(RotateQkTest, TransposeUndoesRotate) {
  const std::ptrdiff_t tokens = 5, heads = 4, kv = 2, head_dim = 16;
  const auto q0 = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * heads * head_dim), 3);
  const auto k0 = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * kv * head_dim), 4);
  auto q = q0, k = k0;
  rotary::cos_sin_table<float> table(head_dim, 16);
  const tensor_view<float, 3> vq(q.data(), {tokens, heads, head_dim});
  const tensor_view<float, 3> vk(k.data(), {tokens, kv, head_dim});
  rotary::rotate_qk<pairing::interleaved>(vq, vk, table, positions::from_offset(3));
  rotary::rotate_qk_transpose<pairing::interleaved>(vq, vk, table, positions::from_offset(3));
  for (std::size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(q[i], q0[i], 1e-6f);
  for (std::size_t i = 0; i < k.size(); ++i) EXPECT_NEAR(k[i], k0[i], 1e-6f);
}

TEST(RotateQkTest, FusedQkvBufferViews) {
  // One buffer [tokens][(H + 2 H_kv) * head_dim]: q, k and v of a token side by side.
  const std::ptrdiff_t tokens = 7, heads = 8, kv = 2, head_dim = 64;
  const std::ptrdiff_t row = (heads + 2 * kv) * head_dim;
  const auto qkv0 = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * row), 5);
  auto qkv = qkv0;
  const tensor_view<float, 3> q(qkv.data(), {tokens, heads, head_dim}, {row, head_dim, 1});
  const tensor_view<float, 3> k(qkv.data() + heads * head_dim, {tokens, kv, head_dim},
                                {row, head_dim, 1});
  rotary::cos_sin_table<float> table(head_dim, 16);
  rotary::rotate_qk<pairing::half_split>(q, k, table, positions::from_offset(0));

  auto sep = qkv0;
  rotary::rotate<pairing::half_split>(
      tensor_view<float, 3>(sep.data(), {tokens, heads, head_dim}, {row, head_dim, 1}), table,
      positions::from_offset(0));
  rotary::rotate<pairing::half_split>(tensor_view<float, 3>(sep.data() + heads * head_dim,
                                                      {tokens, kv, head_dim}, {row, head_dim, 1}),
                                table, positions::from_offset(0));
  EXPECT_EQ(qkv, sep);  // v untouched in both
}

TEST(RotateQkErrorTest, KvHeadsMustDivideHeads) {
  std::vector<float> q(2 * 32 * 16), k(2 * 6 * 16);
  rotary::cos_sin_table<float> table(16, 8);
  EXPECT_THROW(rotary::rotate_qk<pairing::half_split>(tensor_view<float, 3>(q.data(), {2, 32, 16}),
                                                tensor_view<float, 3>(k.data(), {2, 6, 16}), table,
                                                positions::from_offset(0)),
               rotary::invalid_argument);
}

TEST(RotateQkErrorTest, TokenCountsMustMatch) {
  std::vector<float> q(3 * 4 * 16), k(2 * 2 * 16);
  rotary::cos_sin_table<float> table(16, 8);
  EXPECT_THROW(rotary::rotate_qk<pairing::half_split>(tensor_view<float, 3>(q.data(), {3, 4, 16}),
                                                tensor_view<float, 3>(k.data(), {2, 2, 16}), table,
                                                positions::from_offset(0)),
               rotary::invalid_argument);
}

TEST(RotateQkErrorTest, OverlappingQAndKRejected) {
  std::vector<float> buf(4 * 4 * 16);
  rotary::cos_sin_table<float> table(16, 8);
  const tensor_view<float, 3> q(buf.data(), {4, 4, 16});
  const tensor_view<float, 3> k(buf.data() + 16, {4, 2, 16});  // k head 0 = q head 1
  const auto before = buf;
  EXPECT_THROW(rotary::rotate_qk<pairing::half_split>(q, k, table, positions::from_offset(0)),
               rotary::invalid_argument);
  EXPECT_EQ(buf, before);
  // The same view as q and k would rotate it twice.
  EXPECT_THROW(rotary::rotate_qk<pairing::interleaved>(q, q, table, positions::from_offset(0)),
               rotary::invalid_argument);
}

TEST(RotateQkErrorTest, OutputOverlappingOtherInputRejected) {
  std::vector<float> q(2 * 4 * 16), shared(2 * 4 * 16), k_out(2 * 2 * 16);
  rotary::cos_sin_table<float> table(16, 8);
  const tensor_view<const float, 3> q_in(q.data(), {2, 4, 16});
  const tensor_view<const float, 3> k_in(shared.data(), {2, 2, 16});
  const tensor_view<float, 3> q_out(shared.data(), {2, 4, 16});  // written over k_in
  EXPECT_THROW(rotary::rotate_qk<pairing::half_split>(q_in, q_out, k_in,
                                                tensor_view<float, 3>(k_out.data(), {2, 2, 16}),
                                                table, positions::from_offset(0)),
               rotary::invalid_argument);
}

}  // namespace
