// Out of place with elements outside the rotated slice: every element of every head is
// written (the pass-through ones bit for bit from the input), in chunks of tokens that the
// driver copies then rotates (detail::pass_through_chunk_bytes). The output starts as a
// sentinel, so a skipped copy or a chunk handled twice or not at all fails; enough tokens
// for several chunks, heads back to back and strided (the two pass-through paths), a
// padding between heads that must stay untouched, both pairings, a pair subset.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

using rotary::pairing;

struct pass_through_case {
  pairing p;
  std::ptrdiff_t head_dim, rotary_dim, offset, pair_distance;
};

void check_case(const pass_through_case& c, std::ptrdiff_t head_stride, std::ptrdiff_t tokens,
                std::ptrdiff_t heads) {
  const std::string what = std::string(rotary::to_string(c.p)) + " head_dim " +
                           std::to_string(c.head_dim) + " rotary_dim " +
                           std::to_string(c.rotary_dim) + " offset " + std::to_string(c.offset) +
                           " head_stride " + std::to_string(head_stride) + " tokens " +
                           std::to_string(tokens);
  const rotary::cos_sin_table<float> table(c.rotary_dim, tokens + 3);
  rotary::rope_options options;
  options.rotary_offset = c.offset;
  options.pair_distance = c.pair_distance;
  const rotary::rope r(table, c.p, options);
  const std::ptrdiff_t token_stride = heads * head_stride;
  const std::size_t n = static_cast<std::size_t>(tokens * token_stride);
  const std::vector<float> in = rotary_test::random_vector<float>(n, 7);
  const float sentinel = 12345.0f;
  std::vector<float> out(n, sentinel), ref(n, sentinel);
  const std::array<std::ptrdiff_t, 3> extents{tokens, heads, c.head_dim};
  const std::array<std::ptrdiff_t, 3> strides{token_stride, head_stride, 1};
  const rotary::tensor_view<const float, 3> x(in.data(), extents, strides);
  r.forward(x, rotary::tensor_view<float, 3>(out.data(), extents, strides),
            rotary::positions::from_offset(3));
  rotary::rotate_reference(r, rotary::direction::forward, x,
                           rotary::tensor_view<float, 3>(ref.data(), extents, strides),
                           rotary::positions::from_offset(3));
  const std::ptrdiff_t distance = c.pair_distance ? c.pair_distance : c.rotary_dim / 2;
  auto rotated = [&](std::ptrdiff_t e) {
    if (c.p == pairing::interleaved) return e >= c.offset && e < c.offset + c.rotary_dim;
    const std::ptrdiff_t j = e - c.offset;
    return (j >= 0 && j < c.rotary_dim / 2) ||
           (j >= distance && j < distance + c.rotary_dim / 2);
  };
  int bad = 0;
  for (std::ptrdiff_t t = 0; t < tokens; ++t) {
    for (std::ptrdiff_t h = 0; h < heads; ++h) {
      for (std::ptrdiff_t e = 0; e < head_stride; ++e) {
        const std::size_t i = static_cast<std::size_t>(t * token_stride + h * head_stride + e);
        bool ok = true;
        if (e >= c.head_dim) {
          ok = rotary_test::bitwise_equal(out[i], sentinel);  // padding: never written
        } else if (rotated(e)) {
          ok = std::abs(out[i] - ref[i]) <= 4e-6f;
        } else {
          ok = rotary_test::bitwise_equal(out[i], in[i]);  // passed through bit for bit
        }
        if (!ok && ++bad <= 3) {
          ADD_FAILURE() << what << ": token " << t << " head " << h << " element " << e
                        << ": " << out[i] << " (in " << in[i] << ", reference " << ref[i]
                        << ")";
        }
      }
    }
  }
  EXPECT_EQ(bad, 0) << what;
}

TEST(PassThrough, EveryElementWrittenOnceAcrossChunks) {
  const pass_through_case cases[] = {
      {pairing::half_split, 192, 64, 0, 0},      // DeepSeek MLA-like: 64 of 192
      {pairing::interleaved, 192, 64, 0, 0},
      {pairing::half_split, 128, 32, 96, 0},     // 32 at offset 96
      {pairing::interleaved, 128, 32, 96, 0},
      {pairing::half_split, 80, 20, 6, 0},       // slice inside the head, both ends pass
      {pairing::interleaved, 40, 12, 10, 0},
      {pairing::half_split, 64, 16, 0, 32},      // a pair subset: (j, j + 32), j < 8
  };
  for (const pass_through_case& c : cases) {
    // 16 KiB chunks: 200 tokens of 8 heads x 192 floats are 38 chunks of 2 tokens and more;
    // 3 heads x 40 floats, 34 tokens a chunk.
    for (std::ptrdiff_t tokens : {1, 5, 200}) {
      check_case(c, c.head_dim, tokens, 8);      // heads back to back: one copy per token
      check_case(c, c.head_dim + 8, tokens, 3);  // strided heads: per-head segments
    }
  }
}

}  // namespace
