// SPDX-License-Identifier: MIT
#pragma once
/// Small helpers shared by the core tests: seeded random data, views over vectors,
/// tolerances and bitwise comparison.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <rotary/rotary.hpp>

#if defined(ROTARY_TEST_SHARED_KERNELS)
#include "shared_kernels.hpp"  // CI time: the heads kernels compiled once per executable
#endif

namespace rotary_test {

/// v, hidden from the optimizer: a bad-argument test passes its constants through this so
/// that GCC does not propagate them into the code past the check that throws (it warns
/// there, -Warray-bounds / -Waggressive-loop-optimizations, about a path never taken).
template <class T>
T opaque(T v) noexcept {
  volatile T hidden = v;
  return hidden;
}

/// n values uniform in [lo, hi), reproducible from the seed.
template <class T>
std::vector<T> random_vector(std::size_t n, std::uint64_t seed, double lo = -1.0,
                             double hi = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(dist(rng));
  return v;
}

template <class T>
double max_abs(const std::vector<T>& v) {
  double m = 0.0;
  for (T x : v) m = std::max(m, std::abs(static_cast<double>(x)));
  return m;
}

template <class T>
constexpr double eps = std::numeric_limits<T>::epsilon();

/// Tolerance of the fast kernels against the scalar reference (same cos/sin values, only
/// the order of the operations and FMA contraction differ): 8 eps max|x|.
template <class T>
double kernel_tolerance(double max_abs_input) {
  return 8.0 * eps<T> * max_abs_input;
}

/// Relative error of the angle m * theta formed in double, against the exact angle: the
/// frequency and the product each carry a relative error of about 2^-53, so the absolute
/// error grows like m * 2^-52. Negligible for float up to m = 2^20 (2^-32), but it
/// dominates double's eps at large positions.
inline double angle_error_bound(double max_position) {
  return (max_position + 1.0) * std::ldexp(1.0, -50);
}

/// Tolerance of a kernel result against an exact (long double) oracle.
template <class T>
double exact_tolerance(double max_abs_input, double max_position) {
  return (8.0 * eps<T> + angle_error_bound(max_position)) * max_abs_input;
}

template <class T>
bool bitwise_equal(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

template <class T>
bool bitwise_equal(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

/// Contiguous [tokens][heads][head_dim] view over a vector.
template <class T>
rotary::tensor_view<T, 3> view3(std::vector<T>& v, std::ptrdiff_t tokens, std::ptrdiff_t heads,
                                std::ptrdiff_t head_dim) {
  return rotary::tensor_view<T, 3>(v.data(), {tokens, heads, head_dim});
}
template <class T>
rotary::tensor_view<const T, 3> cview3(const std::vector<T>& v, std::ptrdiff_t tokens,
                                       std::ptrdiff_t heads, std::ptrdiff_t head_dim) {
  return rotary::tensor_view<const T, 3>(v.data(), {tokens, heads, head_dim});
}

}  // namespace rotary_test
