// SPDX-License-Identifier: MIT
// Multi-axis RoPE on a small image + text sequence, as Qwen2.5-VL sees it: prints each
// token's (t, h, w) positions, which axis and frequency each pair of a head takes under
// M-RoPE and under Qwen3-VL's interleaved map, then rotates q and k and checks the property
// RoPE is built for, axis by axis: q_m . k_n depends only on the differences of positions.
#include <rotary/rotary.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  // 3 text tokens, a 2 x 3 grid of image patches (after the spatial merge), 2 text tokens.
  rotary::mrope_positions pos;
  pos.text(3).grid(1, 2, 3).text(2);
  std::printf("token   t   h   w\n");
  for (std::ptrdiff_t t = 0; t < pos.tokens(); ++t) {
    const double* p = pos.token_major().data() + 3 * t;
    std::printf("%5td %3.0f %3.0f %3.0f%s\n", t, p[0], p[1], p[2],
                t >= 3 && t < 9 ? "   (image)" : "");
  }

  // head_dim 16 (8 pairs) to keep the print short: sections [2, 3, 3] count pairs.
  const std::ptrdiff_t head_dim = 16;
  const auto frequencies = rotary::rope_frequencies(head_dim, 1e6);
  const auto mrope = rotary::axis_map::mrope(frequencies, {2, 3, 3});
  const auto qwen3 = rotary::axis_map::mrope_interleaved(frequencies, {3, 3, 2});
  const char* axis_name = "thw";
  std::printf("\npair  theta_i      M-RoPE axis  Qwen3-VL axis\n");
  for (std::ptrdiff_t i = 0; i < mrope.pairs(); ++i) {
    std::printf("%4td  %.6e  %c            %c\n", i, mrope.frequency(i), axis_name[mrope.axis(i)],
                axis_name[qwen3.axis(i)]);
  }

  // Rotate one query and one key head per token with M-RoPE, half_split pairing.
  const rotary::multi_axis_angles<float> angles(mrope, 64);
  const rotary::rope rope(angles, rotary::pairing::half_split);
  const std::ptrdiff_t n = pos.tokens();
  std::vector<float> q(static_cast<std::size_t>(n * head_dim)), k(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    q[i] = static_cast<float>(std::sin(0.7 * static_cast<double>(i % head_dim) + 1.0));
    k[i] = static_cast<float>(std::cos(0.3 * static_cast<double>(i % head_dim)));
  }
  rope.forward(rotary::query(rotary::tensor_view<float, 3>(q.data(), {n, 1, head_dim})),
               rotary::key(rotary::tensor_view<float, 3>(k.data(), {n, 1, head_dim})),
               pos.view());
  auto dot = [&](std::ptrdiff_t a, std::ptrdiff_t b) {
    double s = 0;
    for (std::ptrdiff_t e = 0; e < head_dim; ++e) s += double(q[a * head_dim + e]) * k[b * head_dim + e];
    return s;
  };
  // Patches 3 (row 0, col 0) -> 4 (row 0, col 1) and 6 (row 1, col 0) -> 7 (row 1, col 1)
  // are the same step (0, 0, +1): the same score, although their 1-D indices differ.
  std::printf("\nq_3 . k_4 = %.6f, q_6 . k_7 = %.6f (the same step (0, 0, 1))\n", dot(3, 4), dot(6, 7));
  std::printf("q_3 . k_6 = %.6f, q_4 . k_7 = %.6f (the same step (0, 1, 0))\n", dot(3, 6), dot(4, 7));
  const bool same = std::fabs(dot(3, 4) - dot(6, 7)) < 1e-5 && std::fabs(dot(3, 6) - dot(4, 7)) < 1e-5;
  std::printf("%s\n", same ? "relative positions hold per axis" : "MISMATCH");
  return same ? 0 : 1;
}
