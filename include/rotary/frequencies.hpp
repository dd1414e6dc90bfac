// SPDX-License-Identifier: MIT
#pragma once
/// The rotation frequencies theta_i of RoPE.

#include <cmath>
#include <cstddef>
#include <vector>

#include "error.hpp"

namespace rotary {

/// Default base of RoFormer eq. (15).
inline constexpr double default_base = 10000.0;

/// The largest rotary_dim any frequency builder, table or angle source accepts (2^20
/// elements; real heads have at most a few thousand): a larger one is a broken size, e.g.
/// read from a corrupt config, and is rejected before it becomes an allocation.
inline constexpr std::ptrdiff_t max_rotary_dim = std::ptrdiff_t{1} << 20;

/// The largest |theta_i| a frequency may have: 2^32 radians per position. Up to it every
/// angle m theta_i is reduced exactly for any int64 m (detail/exact_angle.hpp, within
/// 1.5 x 2^-53); past it the reduction's error grows as 2^-122 |theta|, and from about 2^100
/// on the "cos" and "sin" it gives leave the unit circle (at 1e300: magnitudes of 1e249, found
/// by tests/fuzz/rope_fuzz.cpp). RoPE's frequencies are at most a few radians per position:
/// a larger one is a broken parameter (e.g. scaling::linear with a factor of 1e-300).
inline constexpr double max_frequency = 0x1p32;

namespace detail {

/// Checks a rotary dimension passed to `function` as the parameter `name` ("rotary_dim", or
/// "dim" for the encodings): positive, even and <= max_rotary_dim.
inline void check_rotary_dim(const char* function, const char* name, std::ptrdiff_t rotary_dim) {
  ROTARY_CHECK(rotary_dim > 0, function, ": ", name, " must be positive, got ", rotary_dim);
  ROTARY_CHECK(rotary_dim % 2 == 0, function, ": ", name, " must be even, got ", rotary_dim);
  ROTARY_CHECK(rotary_dim <= max_rotary_dim, function, ": ", name, " must be <= ", max_rotary_dim,
               " (max_rotary_dim), got ", rotary_dim);
}
inline void check_rotary_dim(const char* function, std::ptrdiff_t rotary_dim) {
  check_rotary_dim(function, "rotary_dim", rotary_dim);
}

inline void check_base(const char* function, double base) {
  // NOTE: -ffast-math lets the compiler assume finite values and drop the isfinite test.
  ROTARY_CHECK(std::isfinite(base) && base > 0.0, function, ": base must be finite and > 0, got ",
               base);
}

inline void check_frequencies(const char* function, const std::vector<double>& theta) {
  ROTARY_CHECK(!theta.empty(), function, ": frequencies must not be empty");
  // One pair per frequency: at most max_rotary_dim / 2, as for a rotary_dim.
  ROTARY_CHECK(theta.size() <= static_cast<std::size_t>(max_rotary_dim / 2), function,
               ": frequencies must hold at most ", max_rotary_dim / 2,
               " values (max_rotary_dim / 2 pairs), got ", theta.size());
  for (std::size_t i = 0; i < theta.size(); ++i) {
    ROTARY_CHECK(std::isfinite(theta[i]), function, ": frequencies[", i, "] must be finite, got ",
                 theta[i]);
    ROTARY_CHECK(std::fabs(theta[i]) <= max_frequency, function, ": frequencies[", i,
                 "] must be at most 2^32 (max_frequency) in magnitude, where the angles are "
                 "exact, got ",
                 theta[i]);
  }
}

}  // namespace detail

namespace detail {

/// rope_frequencies for a caller that takes (rotary_dim, base) itself: every message names
/// `function` (the function or constructor the caller called) and `name` (its parameter).
inline std::vector<double> rope_frequencies_for(const char* function, const char* name,
                                                std::ptrdiff_t rotary_dim, double base) {
  check_rotary_dim(function, name, rotary_dim);
  check_base(function, base);
  const std::size_t half = static_cast<std::size_t>(rotary_dim / 2);
  std::vector<double> theta(half);
  for (std::size_t i = 0; i < half; ++i) {
    // NOTE: pow(base, -2i/d) and not 1/pow(base, 2i/d) nor exp(-2i/d * log(base)):
    // one correctly-rounded-ish libm call, no extra rounding of a division.
    theta[i] = std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(rotary_dim));
  }
  return theta;
}

}  // namespace detail

/// theta_i = base^(-2i / rotary_dim), i in [0, rotary_dim/2), computed in double.
/// RoFormer eq. (15) (0-based). The exponent runs over the rotated dimensions only, as in
/// HF transformers' partial_rotary_factor and ggml's n_dims.
/// Throws rotary::invalid_argument for an odd or non-positive rotary_dim, one past
/// max_rotary_dim, or a base that is not finite and positive.
inline std::vector<double> rope_frequencies(std::ptrdiff_t rotary_dim, double base = default_base) {
  return detail::rope_frequencies_for("rope_frequencies", "rotary_dim", rotary_dim, base);
}

}  // namespace rotary
