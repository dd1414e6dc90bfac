// SPDX-License-Identifier: MIT
// RoFormer's long-term decay (section 3.4.3, Fig. 2) as CSV on stdout, for bench/report.py:
//   distance, bound, random_mean, all_ones
// bound       the relative upper bound (1/(d/2)) sum_j |S_j| (long_term_decay_bound, d 128)
// random_mean the mean of q_m . k_n = q^T R_{n-m} q over 4096 random unit vectors q = k
//             (Gaussian, normalized), each rotated by the library at position r = m - n
// all_ones    the same for q = k = (1, ..., 1), as the paper's figure takes it
// for r = 0 .. 1024 (usage: rotary_decay_curve [max_distance] [samples]). Interleaved
// pairing, base 10000. Deterministic (fixed seed).
#include <rotary/rotary.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

int main(int argc, char** argv) {
  const long max = argc > 1 ? std::atol(argv[1]) : 1024;
  const long samples = argc > 2 ? std::atol(argv[2]) : 4096;
  if (max < 0 || samples < 1) {
    std::fprintf(stderr, "usage: %s [max_distance >= 0] [samples >= 1]\n", argv[0]);
    return 1;
  }
  constexpr std::ptrdiff_t d = 128;
  const std::ptrdiff_t n = samples + 1;  // the random vectors, then the all-ones vector
  std::vector<float> q(static_cast<std::size_t>(n * d), 1.0f);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> gauss;
  for (std::ptrdiff_t s = 0; s < samples; ++s) {
    double norm = 0;
    std::vector<double> v(d);
    for (double& x : v) {
      x = gauss(rng);
      norm += x * x;
    }
    for (std::ptrdiff_t e = 0; e < d; ++e) q[static_cast<std::size_t>(s * d + e)] = static_cast<float>(v[static_cast<std::size_t>(e)] / std::sqrt(norm));
  }
  const rotary::cos_sin_table<float> table(d, max + 1);
  const rotary::rope r(table, rotary::pairing::interleaved);
  std::vector<float> k(q.size());
  std::printf("distance,bound,random_mean,all_ones\n");
  for (long m = 0; m <= max; ++m) {
    // One token at position m whose heads are the vectors; k stays at 0 (unrotated).
    r.forward(rotary::tensor_view<const float, 3>(q.data(), {1, n, d}), rotary::tensor_view<float, 3>(k.data(), {1, n, d}),
              rotary::positions::from_offset(m));
    double mean = 0, ones = 0;
    for (std::ptrdiff_t s = 0; s < n; ++s) {
      double dot = 0;
      for (std::ptrdiff_t e = 0; e < d; ++e) dot += static_cast<double>(q[static_cast<std::size_t>(s * d + e)]) * k[static_cast<std::size_t>(s * d + e)];
      if (s < samples) {
        mean += dot;
      } else {
        ones = dot;
      }
    }
    std::printf("%ld,%.6f,%.6f,%.6f\n", m, rotary::long_term_decay_bound(m, d), mean / static_cast<double>(samples), ones);
  }
  return 0;
}
