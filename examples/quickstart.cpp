// The smallest program that rotates a query and a key with RoPE (README quick start).
#include <rotary/rotary.hpp>

#include <cstdio>

int main() {
  constexpr int head_dim = 8;
  // cos/sin of m * theta_i, theta_i = 10000^(-2i/8), for positions 0..15.
  rotary::cos_sin_table<float> table(/*rotary_dim=*/head_dim, /*rows=*/16);
  // The plan: angles, pairing (and options: partial rotary, threads). Built once, per layer.
  const rotary::rope rope(table, rotary::pairing::interleaved);

  float q[head_dim] = {1, 0, 1, 0, 1, 0, 1, 0};
  float k[head_dim] = {1, 0, 1, 0, 1, 0, 1, 0};
  // One token, one head each: the query at position 5, the key at position 3.
  rope.forward(rotary::query(rotary::tensor_view<float, 3>(q, {1, 1, head_dim})),
               rotary::positions::from_offset(5));
  rope.forward(rotary::key(rotary::tensor_view<float, 3>(k, {1, 1, head_dim})),
               rotary::positions::from_offset(3));

  float dot = 0;
  for (int i = 0; i < head_dim; ++i) dot += q[i] * k[i];
  std::printf("q at 5:");
  for (float v : q) std::printf(" %+.4f", v);
  std::printf("\nk at 3:");
  for (float v : k) std::printf(" %+.4f", v);
  // Depends only on 5 - 3 = 2: sum_i cos(2 theta_i).
  std::printf("\nq.k = %.6f (only m - n = 2 matters)\n", dot);
}
