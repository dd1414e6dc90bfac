// Layouts: BSHD, BHSD, SBHD and packed THD views of the same data give the same result as
// the contiguous [tokens][heads][head_dim] rotation of each sequence; strided views skip
// padding between heads and between tokens without touching it.
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
using rotary::tensor_view;

struct dims {
  std::ptrdiff_t batch = 3, seq = 5, heads = 3, head_dim = 20, rotary_dim = 16;
  std::size_t size() const { return static_cast<std::size_t>(batch * seq * heads * head_dim); }
  // Canonical index of element (b, s, h, d): [b][s][h][d] contiguous.
  std::size_t at(std::ptrdiff_t b, std::ptrdiff_t s, std::ptrdiff_t h, std::ptrdiff_t d) const {
    return static_cast<std::size_t>(((b * seq + s) * heads + h) * head_dim + d);
  }
};

const std::int64_t kStarts[3] = {0, 7, 2};

/// Expected: each sequence rotated on its own, contiguous, from its start offset.
std::vector<float> expected(pairing p, const dims& n, const std::vector<float>& x,
                            std::ptrdiff_t rotary_offset) {
  std::vector<float> y = x;
  rotary::cos_sin_table<float> table(n.rotary_dim, 64);
  for (std::ptrdiff_t b = 0; b < n.batch; ++b) {
    tensor_view<float, 3> v(y.data() + n.at(b, 0, 0, 0), {n.seq, n.heads, n.head_dim});
    rotary::rotate(p, v, table, rotary::positions::from_offset(kStarts[b]), rotary_offset);
  }
  return y;
}

/// Copies canonical data into memory laid out by `view` and back.
void scatter(const dims& n, const std::vector<float>& x, const tensor_view<float, 4>& v) {
  for (std::ptrdiff_t b = 0; b < n.batch; ++b)
    for (std::ptrdiff_t s = 0; s < n.seq; ++s)
      for (std::ptrdiff_t h = 0; h < n.heads; ++h)
        for (std::ptrdiff_t d = 0; d < n.head_dim; ++d) v(b, s, h, d) = x[n.at(b, s, h, d)];
}
std::vector<float> gather(const dims& n, const tensor_view<float, 4>& v) {
  std::vector<float> x(n.size());
  for (std::ptrdiff_t b = 0; b < n.batch; ++b)
    for (std::ptrdiff_t s = 0; s < n.seq; ++s)
      for (std::ptrdiff_t h = 0; h < n.heads; ++h)
        for (std::ptrdiff_t d = 0; d < n.head_dim; ++d) x[n.at(b, s, h, d)] = v(b, s, h, d);
  return x;
}

class LayoutsTest : public ::testing::TestWithParam<pairing> {};

TEST_P(LayoutsTest, EveryLayoutMatchesContiguousPerSequence) {
  const pairing p = GetParam();
  const dims n;
  const std::vector<float> x = rotary_test::random_vector<float>(n.size(), 1);
  rotary::cos_sin_table<float> table(n.rotary_dim, 64);
  const auto bpos = rotary::batch_positions::from_starts(kStarts, n.batch);
  for (std::ptrdiff_t rotary_offset : {0, 4}) {
    const std::vector<float> want = expected(p, n, x, rotary_offset);
    std::vector<float> memory(n.size());
    const tensor_view<float, 4> layouts[] = {
        rotary::bshd_view(memory.data(), n.batch, n.seq, n.heads, n.head_dim),
        rotary::bhsd_view(memory.data(), n.batch, n.heads, n.seq, n.head_dim),
        rotary::sbhd_view(memory.data(), n.seq, n.batch, n.heads, n.head_dim)};
    for (const auto& v : layouts) {
      scatter(n, x, v);
      rotary::rotate(p, v, table, bpos, rotary_offset);
      EXPECT_EQ(gather(n, v), want) << "strides " << v.stride(0) << " " << v.stride(1);
      // Out of place into a second buffer of the same layout.
      scatter(n, x, v);
      std::vector<float> out_memory(n.size(), -5.0f);
      const tensor_view<float, 4> out(out_memory.data(), v.extents(), v.strides());
      rotary::rotate(p, tensor_view<const float, 4>(v), out, table, bpos, rotary_offset);
      EXPECT_EQ(gather(n, out), want);
      EXPECT_EQ(gather(n, v), x) << "input changed by an out-of-place rotation";
    }
  }
}

TEST_P(LayoutsTest, PackedThdMatchesPerSequence) {
  const pairing p = GetParam();
  const dims n;
  const std::vector<float> x = rotary_test::random_vector<float>(n.size(), 2);
  rotary::cos_sin_table<float> table(n.rotary_dim, 64);
  const std::vector<float> want = expected(p, n, x, 0);
  std::vector<float> y = x;  // BSHD memory is THD memory with equal lengths
  const std::int32_t cu[4] = {0, 5, 10, 15};
  rotary::rotate(p, rotary::thd_view(y.data(), n.batch * n.seq, n.heads, n.head_dim), table,
                 rotary::positions::packed(cu, 4, kStarts, 3));
  EXPECT_EQ(y, want);
}

TEST_P(LayoutsTest, SequenceLoopMatchesBatchCall) {
  const pairing p = GetParam();
  const dims n;
  std::vector<float> a = rotary_test::random_vector<float>(n.size(), 3), b = a;
  rotary::cos_sin_table<float> table(n.rotary_dim, 64);
  const auto va = rotary::bhsd_view(a.data(), n.batch, n.heads, n.seq, n.head_dim);
  const auto vb = rotary::bhsd_view(b.data(), n.batch, n.heads, n.seq, n.head_dim);
  rotary::rotate(p, va, table, rotary::batch_positions::from_offset(3));
  for (std::ptrdiff_t s = 0; s < n.batch; ++s) {
    rotary::rotate(p, rotary::sequence(vb, s), table, rotary::positions::from_offset(3));
  }
  EXPECT_EQ(a, b);
  // Explicit ids [batch][seq] equal to the offsets give the same result.
  std::vector<float> c = rotary_test::random_vector<float>(n.size(), 3);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n.batch * n.seq));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = 3 + static_cast<std::int64_t>(i) % n.seq;
  rotary::rotate(p, rotary::bhsd_view(c.data(), n.batch, n.heads, n.seq, n.head_dim), table,
                 rotary::batch_positions::from_ids(ids.data(), n.batch * n.seq));
  EXPECT_EQ(c, a);
}

TEST_P(LayoutsTest, PaddedStridesSkipPaddingBetweenHeadsAndTokens) {
  const pairing p = GetParam();
  const std::ptrdiff_t tokens = 7, heads = 5, head_dim = 24;
  const std::ptrdiff_t head_stride = head_dim + 3, token_stride = heads * head_stride + 11;
  const std::vector<float> x = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * heads * head_dim), 4);
  rotary::cos_sin_table<float> table(head_dim, 32);
  std::vector<float> want = x;
  rotary::rotate(p, rotary::thd_view(want.data(), tokens, heads, head_dim), table,
                 rotary::positions::from_offset(2));

  const float pad = 12345.0f;
  std::vector<float> memory(static_cast<std::size_t>(tokens * token_stride), pad);
  const tensor_view<float, 3> v(memory.data(), {tokens, heads, head_dim},
                                {token_stride, head_stride, 1});
  for (std::ptrdiff_t t = 0; t < tokens; ++t)
    for (std::ptrdiff_t h = 0; h < heads; ++h)
      for (std::ptrdiff_t d = 0; d < head_dim; ++d)
        v(t, h, d) = x[static_cast<std::size_t>((t * heads + h) * head_dim + d)];
  rotary::rotate(p, v, table, rotary::positions::from_offset(2));
  std::size_t touched_padding = 0;
  for (std::ptrdiff_t t = 0; t < tokens; ++t)
    for (std::ptrdiff_t h = 0; h < heads; ++h)
      for (std::ptrdiff_t d = 0; d < head_dim; ++d)
        EXPECT_EQ(v(t, h, d), want[static_cast<std::size_t>((t * heads + h) * head_dim + d)]);
  std::size_t real = 0;
  for (float value : memory) (value == pad ? touched_padding : real) += 1;
  EXPECT_EQ(real, static_cast<std::size_t>(tokens * heads * head_dim));
  EXPECT_EQ(touched_padding, memory.size() - real);
}

INSTANTIATE_TEST_SUITE_P(BothPairings, LayoutsTest,
                         ::testing::Values(pairing::interleaved, pairing::half_split),
                         [](const auto& info) { return std::string(rotary::to_string(info.param)); });

TEST(LayoutsErrorTest, BatchPositionsWrongLength) {
  const dims n;
  std::vector<float> x(n.size());
  rotary::cos_sin_table<float> table(n.rotary_dim, 64);
  const auto v = rotary::bshd_view(x.data(), n.batch, n.seq, n.heads, n.head_dim);
  const std::int64_t starts[2] = {0, 1};
  EXPECT_THROW(rotary::rotate<pairing::half_split>(v, table, rotary::batch_positions::from_starts(starts, 2)),
               rotary::invalid_argument);
  const std::int32_t ids[4] = {0, 1, 2, 3};
  EXPECT_THROW(rotary::rotate<pairing::half_split>(v, table, rotary::batch_positions::from_ids(ids, 4)),
               rotary::invalid_argument);
}

TEST(LayoutsErrorTest, OverlappingBatchViewsRejected) {
  const dims n;
  std::vector<float> x(2 * n.size());
  rotary::cos_sin_table<float> table(n.rotary_dim, 64);
  const auto in = rotary::bshd_view(x.data(), n.batch, n.seq, n.heads, n.head_dim);
  const auto out = rotary::bshd_view(x.data() + n.head_dim, n.batch, n.seq, n.heads, n.head_dim);
  EXPECT_THROW(rotary::rotate<pairing::half_split>(tensor_view<const float, 4>(in), out, table,
                                             rotary::batch_positions::from_offset(0)),
               rotary::invalid_argument);
}

TEST(LayoutsErrorTest, PositionPastTableCheckedBeforeAnyWrite) {
  const dims n;
  std::vector<float> x = rotary_test::random_vector<float>(n.size(), 5), before = x;
  rotary::cos_sin_table<float> table(n.rotary_dim, 8);
  const std::int64_t starts[3] = {0, 0, 4};  // the last sequence reaches position 8
  EXPECT_THROW(rotary::rotate<pairing::interleaved>(
                   rotary::bshd_view(x.data(), n.batch, n.seq, n.heads, n.head_dim), table,
                   rotary::batch_positions::from_starts(starts, 3)),
               rotary::out_of_range);
  EXPECT_EQ(x, before);
}

}  // namespace
