// RoPE into 16-bit storage: a decode loop that rotates float queries and keys in one call,
// writing the keys straight into a bfloat16 KV cache (float in, bfloat16 out: rounded once),
// then scores the query against the cache. It prints how far the bf16 cache's scores are
// from an all-float cache: bf16 keeps 8 significant bits, so about 2^-9 relative per key
// element, and the scores keep RoPE's relative-position property to that accuracy.
#include <rotary/rotary.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

int main() {
  constexpr std::ptrdiff_t tokens = 64, heads = 8, kv_heads = 2, head_dim = 128;
  rotary::cos_sin_table<float> table(head_dim, tokens);
  const rotary::rope rope(table, rotary::pairing::half_split);

  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<rotary::bfloat16> cache16(tokens * kv_heads * head_dim);
  std::vector<float> cache32(cache16.size());
  double worst = 0.0;
  for (std::ptrdiff_t t = 0; t < tokens; ++t) {
    std::vector<float> q(heads * head_dim), k(kv_heads * head_dim);
    for (float& x : q) x = normal(rng);
    for (float& x : k) x = normal(rng);
    const auto at = rotary::positions::from_offset(t);
    rotary::tensor_view<float, 3> q_view(q.data(), {1, heads, head_dim});
    rotary::tensor_view<const float, 3> k_view(k.data(), {1, kv_heads, head_dim});
    // One call: q rotated in place (float), k rotated into the bf16 cache row of token t.
    rope.forward(rotary::query(q_view),
                 rotary::key(k_view, rotary::tensor_view<rotary::bfloat16, 3>(
                                         cache16.data() + t * kv_heads * head_dim,
                                         {1, kv_heads, head_dim})),
                 at);
    // The all-float reference cache, for comparison.
    rope.forward(k_view,
                 rotary::tensor_view<float, 3>(cache32.data() + t * kv_heads * head_dim,
                                               {1, kv_heads, head_dim}),
                 at);
    // Scores of query head 0 (GQA group 0) against every cached key of kv head 0.
    for (std::ptrdiff_t s = 0; s <= t; ++s) {
      double score16 = 0.0, score32 = 0.0, norm = 0.0;
      for (std::ptrdiff_t i = 0; i < head_dim; ++i) {
        const std::size_t key = static_cast<std::size_t>((s * kv_heads) * head_dim + i);
        score16 += q[static_cast<std::size_t>(i)] * static_cast<float>(cache16[key]);
        score32 += q[static_cast<std::size_t>(i)] * cache32[key];
        norm += std::abs(q[static_cast<std::size_t>(i)] * cache32[key]);
      }
      worst = std::max(worst, std::abs(score16 - score32) / norm);
    }
  }
  std::printf("bf16 KV cache, %td tokens, head_dim %td: cache is %zu bytes instead of %zu\n",
              tokens, head_dim, cache16.size() * sizeof(rotary::bfloat16),
              cache32.size() * sizeof(float));
  std::printf("largest score error relative to sum |q_i k_i|: %.2e (bf16 rounding: 2^-9 = %.2e)\n",
              worst, std::ldexp(1.0, -9));
}
