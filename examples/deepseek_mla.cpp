// SPDX-License-Identifier: MIT
// DeepSeek V3's multi-head latent attention (MLA), the RoPE part: each query head is
// [128 "nope" dims | 64 rope dims]; the key's rope part is one 64-dim head shared by every
// query head (the "decoupled" key k_pe, stored after the 512-dim compressed kv of each
// token). Both slices are rotated in one rope call over views that start at the slices
// (rotary_offset 0 within them), with DeepSeek V3's YaRN frequencies (factor 40 over 4096
// positions) and the interleaved pairing of its complex-number RoPE. The score of the rope
// parts then depends on the distance between the tokens only.
#include <rotary/rotary.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  constexpr std::ptrdiff_t tokens = 6, heads = 4, nope = 128, rope_dim = 64;
  constexpr std::ptrdiff_t q_dim = nope + rope_dim, kv_lora = 512, kv_dim = kv_lora + rope_dim;

  rotary::scaling::yarn_parameters p;
  p.rotary_dim = rope_dim;
  p.base = 10000.0;
  p.factor = 40.0;
  p.max_position_embeddings = 163840;
  p.original_max_position_embeddings = 4096;
  p.beta_fast = 32.0;
  p.beta_slow = 1.0;
  p.mscale = 1.0;
  p.mscale_all_dim = 1.0;
  const rotary::scaled_frequencies f = rotary::scaling::yarn(p);
  const rotary::cos_sin_table<float> table(f, 8192);
  const rotary::rope rope(table, rotary::pairing::interleaved);
  std::printf("YaRN: cos/sin factor %.4f, softmax scale factor %.4f\n", f.attention_factor,
              f.softmax_scale_factor);

  // Every token's query heads and k_pe hold the same vector, so scores show positions only.
  std::vector<float> q(tokens * heads * q_dim), kv(tokens * kv_dim);
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = std::sin(0.37f * static_cast<float>(i % q_dim));
  for (std::size_t i = 0; i < kv.size(); ++i) kv[i] = std::cos(0.11f * static_cast<float>(i % kv_dim));
  const rotary::tensor_view<float, 3> q_pe(q.data() + nope, {tokens, heads, rope_dim},
                                           {heads * q_dim, q_dim, 1});
  const rotary::tensor_view<float, 3> k_pe(kv.data() + kv_lora, {tokens, 1, rope_dim},
                                           {kv_dim, kv_dim, 1});
  rope.forward(rotary::query(q_pe), rotary::key(k_pe), rotary::positions::from_offset(1000));

  auto score = [&](std::ptrdiff_t m, std::ptrdiff_t n) {  // head 0's rope part
    double s = 0;
    for (std::ptrdiff_t e = 0; e < rope_dim; ++e) s += double(q_pe(m, 0, e)) * k_pe(n, 0, e);
    return s;
  };
  std::printf("rope-part scores q_m . k_pe_n by distance m - n:\n");
  bool relative = true;
  for (std::ptrdiff_t d = 0; d < 3; ++d) {
    std::printf("  m - n = %td:", d);
    for (std::ptrdiff_t n = 0; n + d < tokens; ++n) std::printf(" %9.5f", score(n + d, n));
    std::printf("\n");
    for (std::ptrdiff_t n = 1; n + d < tokens; ++n) {
      relative = relative && std::fabs(score(n + d, n) - score(d, 0)) < 1e-4;
    }
  }
  std::printf("the nope dims are untouched: q[0][0][0] = %.6f\n", q[0]);
  std::printf("%s\n", relative ? "each row is constant: the scores depend on m - n only" : "MISMATCH");
  return relative ? 0 : 1;
}
