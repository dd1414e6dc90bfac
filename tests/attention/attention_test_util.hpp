// SPDX-License-Identifier: MIT
#pragma once
// Shared helpers of the attention tests: random tensors, a naive triple-loop attention
// oracle, an explicit rotation oracle, and tolerances.

#include <rotary/attention.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace rotary_test {

using rotary::tensor_view;

template <class T>
std::vector<T> random_vector(std::size_t n, unsigned seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> x(n);
  for (auto& v : x) v = static_cast<T>(dist(rng));
  return x;
}

/// Names float/double typed tests (and gives TYPED_TEST_SUITE its third argument, which
/// clang -Wpedantic requires).
struct ScalarNames {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, float> ? "float" : "double";
  }
};

template <class T>
T tolerance() {
  return std::is_same_v<T, float> ? T(2e-5) : T(1e-12);
}

/// out[i][h][:] = sum_j softmax_j(scale q_i.k_j + bias_hij, masked) v_j, one scalar at a time.
template <class T>
std::vector<double> naive_attention(const tensor_view<const T, 3>& q,
                                    const tensor_view<const T, 3>& k,
                                    const tensor_view<const T, 3>& v, bool causal,
                                    const tensor_view<const T, 3>* bias = nullptr) {
  const std::ptrdiff_t nq = q.extent(0), nk = k.extent(0), heads = q.extent(1);
  const std::ptrdiff_t group = heads / k.extent(1), d = q.extent(2), dv = v.extent(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  std::vector<double> out(static_cast<std::size_t>(nq * heads * dv), 0.0);
  for (std::ptrdiff_t h = 0; h < heads; ++h) {
    for (std::ptrdiff_t i = 0; i < nq; ++i) {
      std::vector<double> logit(static_cast<std::size_t>(nk),
                                -std::numeric_limits<double>::infinity());
      double max = -std::numeric_limits<double>::infinity();
      for (std::ptrdiff_t j = 0; j < nk; ++j) {
        if (causal && j > i + (nk - nq)) continue;
        double dot = 0;
        for (std::ptrdiff_t e = 0; e < d; ++e) dot += double(q(i, h, e)) * double(k(j, h / group, e));
        logit[j] = scale * dot + (bias ? double((*bias)(h, i, j)) : 0.0);
        max = std::max(max, logit[j]);
      }
      if (max == -std::numeric_limits<double>::infinity()) continue;
      double sum = 0;
      for (auto& l : logit) sum += (l = std::exp(l - max));
      for (std::ptrdiff_t j = 0; j < nk; ++j)
        for (std::ptrdiff_t e = 0; e < dv; ++e)
          out[(i * heads + h) * dv + e] += logit[j] / sum * double(v(j, h / group, e));
    }
  }
  return out;
}

/// R_m x by explicit 2x2 rotations in double (RoFormer eqs. 13-15), pairing p, full head.
inline void rotate_oracle(rotary::pairing p, double* x, std::ptrdiff_t d, std::int64_t m,
                          double base = 10000.0) {
  for (std::ptrdiff_t i = 0; i < d / 2; ++i) {
    const double angle = double(m) * std::pow(base, -2.0 * double(i) / double(d));
    const std::ptrdiff_t a = p == rotary::pairing::interleaved ? 2 * i : i;
    const std::ptrdiff_t b = p == rotary::pairing::interleaved ? 2 * i + 1 : i + d / 2;
    const double xa = x[a], xb = x[b];
    x[a] = xa * std::cos(angle) - xb * std::sin(angle);
    x[b] = xa * std::sin(angle) + xb * std::cos(angle);
  }
}

template <class T, class U>
double max_abs_diff(const std::vector<T>& a, const std::vector<U>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

}  // namespace rotary_test
