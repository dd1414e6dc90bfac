// SPDX-License-Identifier: MIT
#pragma once
// Keys rotated from scratch in long double, the oracle of the re-rotation tests: A R(m theta_i)
// on each pair of the rotated slice, token t at position first + t.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

#include <rotary/pairing.hpp>
#include <rotary/scaling/result.hpp>

namespace rotary_test {

using rotary::pairing;
using rotary::scaled_frequencies;

struct shape {
  std::ptrdiff_t tokens, heads, head_dim, rotary_offset;
};

inline std::vector<float> random_keys(const shape& s, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist;
  std::vector<float> k(static_cast<std::size_t>(s.tokens * s.heads * s.head_dim));
  for (float& x : k) x = dist(gen);
  return k;
}

inline std::vector<long double> rotated(const std::vector<float>& raw, const shape& s, std::int64_t first,
                                 const scaled_frequencies& f, pairing p) {
  std::vector<long double> out(raw.begin(), raw.end());
  const std::ptrdiff_t pairs = f.rotary_dim() / 2;
  const std::ptrdiff_t distance = f.pair_distance ? f.pair_distance : pairs;
  for (std::ptrdiff_t t = 0; t < s.tokens; ++t) {
    for (std::ptrdiff_t h = 0; h < s.heads; ++h) {
      long double* x = out.data() + (t * s.heads + h) * s.head_dim + s.rotary_offset;
      for (std::ptrdiff_t i = 0; i < pairs; ++i) {
        const long double angle = static_cast<long double>(first + t) * f.inv_freq[std::size_t(i)];
        const long double c = std::cos(angle) * f.attention_factor,
                          sn = std::sin(angle) * f.attention_factor;
        long double& a = p == pairing::interleaved ? x[2 * i] : x[i];
        long double& b = p == pairing::interleaved ? x[2 * i + 1] : x[i + distance];
        const long double a0 = a, b0 = b;
        a = a0 * c - b0 * sn;
        b = b0 * c + a0 * sn;
      }
    }
  }
  return out;
}

template <class T>
std::vector<T> stored(const std::vector<long double>& x) {
  std::vector<T> out;
  for (const long double v : x) {
    if constexpr (std::is_same_v<T, double>) {
      out.push_back(static_cast<double>(v));
    } else {
      out.push_back(T(static_cast<float>(v)));
    }
  }
  return out;
}

template <class T>
long double widened(T x) {
  if constexpr (std::is_same_v<T, double>) {
    return x;
  } else {
    return static_cast<float>(x);
  }
}

template <class T>
double max_error(const std::vector<T>& got, const std::vector<long double>& want) {
  double worst = 0;
  for (std::size_t e = 0; e < got.size(); ++e) {
    worst = std::max(worst, static_cast<double>(std::fabs(
                                widened(got[e]) - want[e])));
  }
  return worst;
}

inline scaled_frequencies longrope_like(double scale, std::ptrdiff_t rotary_dim, double attention_factor) {
  scaled_frequencies f;
  for (std::ptrdiff_t i = 0; i < rotary_dim / 2; ++i) {
    f.inv_freq.push_back(std::pow(10000.0, -2.0 * static_cast<double>(i) / static_cast<double>(rotary_dim)) /
                         (1.0 + scale * static_cast<double>(i)));
  }
  f.attention_factor = attention_factor;
  return f;
}

}  // namespace rotary_test
