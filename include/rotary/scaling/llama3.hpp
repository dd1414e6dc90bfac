// SPDX-License-Identifier: MIT
#pragma once
/// Llama 3.1's frequency-dependent interpolation (HF transformers'
/// _compute_llama3_parameters, Meta's apply_scaling), in double. With theta_i = base^(-2i/d),
/// its wavelength lambda_i = 2 pi / theta_i, L = original_max_position_embeddings,
/// lambda_low = L / low_freq_factor and lambda_high = L / high_freq_factor:
///   lambda_i < lambda_high:  theta_i                               (fast pairs unchanged)
///   lambda_i > lambda_low:   theta_i / factor                      (slow pairs interpolated)
///   otherwise:               (1 - a) theta_i / factor + a theta_i,
///                            a = (L / lambda_i - low_freq_factor) / (high_freq_factor - low_freq_factor)
/// The cos/sin factor is 1. factor 1 gives plain RoPE. low_freq_factor == high_freq_factor
/// (Llama 4: both 1) leaves no band between: a hard cutoff at lambda = L / low_freq_factor
/// (HF divides 0 by 0 for a wavelength exactly at it, which no real frequency is).

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../frequencies.hpp"
#include "result.hpp"

namespace rotary {
namespace scaling {

struct llama3_parameters {
  std::ptrdiff_t rotary_dim = 0;
  double base = default_base;                         ///< rope_theta (500000 for Llama 3.1)
  double factor = 0.0;                                ///< 8 for Llama 3.1
  double low_freq_factor = 0.0;                       ///< 1
  double high_freq_factor = 0.0;                      ///< 4
  std::int64_t original_max_position_embeddings = 0;  ///< 8192
};

inline scaled_frequencies llama3(const llama3_parameters& p) {
  constexpr const char* function = "scaling::llama3";
  rotary::detail::check_rotary_dim(function, p.rotary_dim);
  rotary::detail::check_base(function, p.base);
  rotary::detail::check_positive_finite(function, "factor", p.factor);
  rotary::detail::check_positive_finite(function, "low_freq_factor", p.low_freq_factor);
  rotary::detail::check_positive_finite(function, "high_freq_factor", p.high_freq_factor);
  ROTARY_CHECK(p.low_freq_factor <= p.high_freq_factor, function,
               ": low_freq_factor must be <= high_freq_factor, got ", p.low_freq_factor, " > ",
               p.high_freq_factor);
  ROTARY_CHECK(p.original_max_position_embeddings >= 1, function,
               ": original_max_position_embeddings must be >= 1, got ",
               p.original_max_position_embeddings);
  const double two_pi = 6.283185307179586476925286766559;
  const double L = static_cast<double>(p.original_max_position_embeddings);
  const double low_wavelength = L / p.low_freq_factor;
  const double high_wavelength = L / p.high_freq_factor;
  scaled_frequencies r;
  r.inv_freq = rotary::detail::power_frequencies(p.rotary_dim / 2,
                                                 static_cast<double>(p.rotary_dim), p.base);
  for (double& theta : r.inv_freq) {
    const double wavelength = two_pi / theta;
    if (wavelength < high_wavelength) continue;
    if (wavelength > low_wavelength) {
      theta /= p.factor;
      continue;
    }
    if (p.low_freq_factor == p.high_freq_factor) continue;  // no band: the cutoff
    const double a =
        (L / wavelength - p.low_freq_factor) / (p.high_freq_factor - p.low_freq_factor);
    theta = (1.0 - a) * theta / p.factor + a * theta;
  }
  return r;
}

}  // namespace scaling
}  // namespace rotary
