// RoPE attention with a KV cache, decoding a short sequence token by token.
// Each step rotates the new query and key at their position (RoFormer eqs. 14-15), appends
// the rotated key and the value to the cache, and attends to the cache. It prints the
// attention weights of each new token over the cache, then checks that the last step equals
// full causal attention over the whole sequence.
#include <rotary/attention.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  using rotary::pairing;
  using rotary::positions;
  using rotary::tensor_view;
  constexpr std::ptrdiff_t tokens = 6, heads = 1, head_dim = 8;

  // Deterministic toy projections: token t's q, k and v.
  std::vector<float> q(tokens * heads * head_dim), k(q.size()), v(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    q[i] = std::sin(0.7f * float(i));
    k[i] = std::cos(0.3f * float(i));
    v[i] = float(i % head_dim) / head_dim;
  }

  rotary::cos_sin_table<float> table(head_dim, tokens);
  const rotary::rope rope(table, pairing::interleaved);  // the layer's RoPE plan
  rotary::kv_cache<float> cache(heads, head_dim, tokens);
  std::vector<float> out(heads * head_dim), weights(tokens);

  std::printf("attention weights of each new token over the cache (RoPE, d = %td):\n",
              head_dim);
  for (std::ptrdiff_t t = 0; t < tokens; ++t) {
    std::vector<float> qt(q.begin() + t * head_dim, q.begin() + (t + 1) * head_dim);
    std::vector<float> kt(k.begin() + t * head_dim, k.begin() + (t + 1) * head_dim);
    const auto at = positions::from_offset(cache.next_position());
    // The new query and key at their position, one cos/sin fetch for both.
    rope.forward(rotary::query(tensor_view<float, 3>(qt.data(), {1, heads, head_dim})),
                 rotary::key(tensor_view<float, 3>(kt.data(), {1, heads, head_dim})), at);
    cache.append(tensor_view<const float, 3>(kt.data(), {1, heads, head_dim}),
                 tensor_view<const float, 3>(v.data() + t * head_dim, {1, heads, head_dim}));
    rotary::attention_options<float> options;
    options.weights = tensor_view<float, 3>(weights.data(), {heads, 1, cache.size()});
    rotary::attend_to_cache<float>(tensor_view<const float, 3>(qt.data(), {1, heads, head_dim}),
                                   cache, tensor_view<float, 3>(out.data(), {1, heads, head_dim}),
                                   options);
    std::printf("  token %td:", t);
    for (std::ptrdiff_t j = 0; j < cache.size(); ++j) std::printf(" %.4f", weights[j]);
    std::printf("\n");
  }

  // The same last output from full causal attention over all tokens at once.
  std::vector<float> full(q.size());
  rotary::attention_options<float> causal;
  causal.causal = true;
  rotary::attention_with_positions<float>(
      rotary::make_rope_hook<pairing::interleaved>(table),
      tensor_view<const float, 3>(q.data(), {tokens, heads, head_dim}), positions::from_offset(0),
      tensor_view<const float, 3>(k.data(), {tokens, heads, head_dim}), positions::from_offset(0),
      tensor_view<const float, 3>(v.data(), {tokens, heads, head_dim}),
      tensor_view<float, 3>(full.data(), {tokens, heads, head_dim}), causal);
  float diff = 0;
  for (std::ptrdiff_t e = 0; e < head_dim; ++e)
    diff = std::fmax(diff, std::fabs(out[e] - full[(tokens - 1) * head_dim + e]));
  std::printf("last output, decoded vs full causal attention: max |diff| = %.2g\n", diff);
  return diff < 1e-5f ? 0 : 1;
}
