// SPDX-License-Identifier: MIT
#pragma once
/// RoPE's long-term decay, RoFormer section 3.4.3 (eqs. 35-37, Fig. 2). Abel summation of
/// q^T R_{m-n} k = Re[sum_i h_i e^{i (m-n) theta_i}] bounds it by
///   (max_i |h_{i+1} - h_i|) * sum_{j=1..d/2} |S_j|,   S_j = sum_{k=0..j-1} e^{i (m-n) theta_k},
/// and the paper plots the relative upper bound (1/(d/2)) sum_{j=1..d/2} |S_j| against m - n.
/// At distance 0 every |S_j| = j, so the bound is (d/2 + 1)/2; it then decays with bumps.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "angles.hpp"
#include "frequencies.hpp"

namespace rotary {
namespace detail {

/// long_term_decay_bound for frequencies theta (already checked).
inline double long_term_decay_bound_of(std::int64_t distance, const std::vector<double>& theta) {
  double re = 0.0, im = 0.0, total = 0.0;  // S_j = re + i im, accumulated over k
  for (double t : theta) {
    const auto [c, s] = detail::cos_sin_of_angle(distance, t);
    re += c;
    im += s;
    total += std::hypot(re, im);
  }
  return total / static_cast<double>(theta.size());
}

}  // namespace detail

/// (1/(d/2)) sum_{j=1..d/2} |S_j| at relative distance m - n, theta_k = base^(-2k/d)
/// (RoFormer eq. 37 and Fig. 2, which uses d = 128). Throws rotary::invalid_argument for an
/// odd or non-positive dim, one past max_rotary_dim, or a bad base.
inline double long_term_decay_bound(std::int64_t distance, std::ptrdiff_t dim = 128,
                                    double base = default_base) {
  return detail::long_term_decay_bound_of(
      distance, detail::rope_frequencies_for("long_term_decay_bound", "dim", dim, base));
}

/// The curve of long_term_decay_bound over distances 0, 1, ..., max_distance.
/// Throws rotary::invalid_argument for a negative max_distance, max_distance + 1 values
/// past what a std::vector<double> can hold, or a bad dim or base, before allocating.
inline std::vector<double> long_term_decay_curve(std::int64_t max_distance,
                                                 std::ptrdiff_t dim = 128,
                                                 double base = default_base) {
  constexpr const char* fn = "long_term_decay_curve";
  ROTARY_CHECK(max_distance >= 0, fn, ": max_distance must be >= 0, got ", max_distance);
  // max_size() < 2^63 - 1, so max_distance + 1 below cannot overflow.
  ROTARY_CHECK(
      static_cast<std::uint64_t>(max_distance) < std::vector<double>().max_size(), fn,
      ": max_distance + 1 values must fit a std::vector, got max_distance = ", max_distance);
  const std::vector<double> theta = detail::rope_frequencies_for(fn, "dim", dim, base);
  std::vector<double> curve(static_cast<std::size_t>(max_distance + 1));
  for (std::int64_t r = 0; r <= max_distance; ++r) {
    curve[static_cast<std::size_t>(r)] = detail::long_term_decay_bound_of(r, theta);
  }
  return curve;
}

}  // namespace rotary
