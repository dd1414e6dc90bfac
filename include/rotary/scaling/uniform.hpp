// SPDX-License-Identifier: MIT
#pragma once
/// Schemes that change every frequency alike: default, linear (position interpolation),
/// NTK-aware base change (fixed, Hunyuan's alpha, and dynamic). With d = rotary_dim and
/// theta_i(b) = b^(-2i/d) (RoFormer eq. 15), each returns
///   default      theta_i(base)
///   linear       theta_i(base) / factor                     (Chen et al. 2023; HF "linear")
///   ntk          theta_i(base * factor^(d / (d - 2)))       (bloc97's NTK-aware change)
///   ntk_alpha    theta_i(base * alpha^(d / (d - 2)))        (Hunyuan: a config
///                {"type": "dynamic", "alpha": a} means this, not dynamic NTK)
///   dynamic_ntk  theta_i(base * (factor L' / L - (factor - 1))^(d / (d - 2))),
///                L' = max(seq_len, L), L = max_position_embeddings  (HF "dynamic")
/// in double; the cos/sin factor is 1 for all of them. Matches HF transformers'
/// _compute_default_rope_parameters, _compute_linear_scaling_rope_parameters and
/// _compute_dynamic_ntk_parameters evaluated in float64 (HF computes in float32).
/// dynamic_ntk returns the default frequencies exactly when seq_len <= L (HF's formula gives
/// base * 1^(...) there, up to the rounding of factor L / L).

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../frequencies.hpp"
#include "result.hpp"

namespace rotary {
namespace scaling {

namespace detail {
inline double ntk_exponent(const char* function, std::ptrdiff_t rotary_dim) {
  ROTARY_CHECK(rotary_dim > 2, function,
               ": rotary_dim must be > 2 (the base change has exponent d / (d - 2)), got ",
               rotary_dim);
  const double d = static_cast<double>(rotary_dim);
  return d / (d - 2.0);
}

inline scaled_frequencies with_base(const char* function, std::ptrdiff_t rotary_dim, double base) {
  rotary::detail::check_base(function, base);
  scaled_frequencies r;
  r.inv_freq =
      rotary::detail::power_frequencies(rotary_dim / 2, static_cast<double>(rotary_dim), base);
  return r;
}
}  // namespace detail

/// Plain RoPE: theta_i = base^(-2i/d).
inline scaled_frequencies default_rope(std::ptrdiff_t rotary_dim, double base = default_base) {
  rotary::detail::check_rotary_dim("scaling::default_rope", rotary_dim);
  return detail::with_base("scaling::default_rope", rotary_dim, base);
}

/// Position interpolation: theta_i / factor (positions m / factor).
inline scaled_frequencies linear(std::ptrdiff_t rotary_dim, double base, double factor) {
  constexpr const char* function = "scaling::linear";
  rotary::detail::check_rotary_dim(function, rotary_dim);
  rotary::detail::check_positive_finite(function, "factor", factor);
  scaled_frequencies r = detail::with_base(function, rotary_dim, base);
  for (double& t : r.inv_freq) t /= factor;
  return r;
}

/// NTK-aware fixed base change: base' = base * factor^(d / (d - 2)).
inline scaled_frequencies ntk(std::ptrdiff_t rotary_dim, double base, double factor) {
  constexpr const char* function = "scaling::ntk";
  rotary::detail::check_rotary_dim(function, rotary_dim);
  rotary::detail::check_positive_finite(function, "factor", factor);
  rotary::detail::check_base(function, base);
  return detail::with_base(function, rotary_dim,
                           base * std::pow(factor, detail::ntk_exponent(function, rotary_dim)));
}

/// Hunyuan's NTK alpha: base' = base * alpha^(d / (d - 2)).
inline scaled_frequencies ntk_alpha(std::ptrdiff_t rotary_dim, double base, double alpha) {
  constexpr const char* function = "scaling::ntk_alpha";
  rotary::detail::check_rotary_dim(function, rotary_dim);
  rotary::detail::check_positive_finite(function, "alpha", alpha);
  rotary::detail::check_base(function, base);
  return detail::with_base(function, rotary_dim,
                           base * std::pow(alpha, detail::ntk_exponent(function, rotary_dim)));
}

/// Dynamic NTK with HF's semantics, for a sequence of seq_len tokens: unchanged up to
/// L = max_position_embeddings, then base' = base * (factor seq_len / L - (factor - 1))^(d/(d-2)).
/// The frequencies depend on seq_len: keys cached under one length were rotated with
/// another base (README: dynamic NTK and the KV cache).
inline scaled_frequencies dynamic_ntk(std::ptrdiff_t rotary_dim, double base, double factor,
                                      std::int64_t max_position_embeddings, std::int64_t seq_len) {
  constexpr const char* function = "scaling::dynamic_ntk";
  rotary::detail::check_rotary_dim(function, rotary_dim);
  rotary::detail::check_positive_finite(function, "factor", factor);
  rotary::detail::check_base(function, base);
  ROTARY_CHECK(max_position_embeddings >= 1, function,
               ": max_position_embeddings must be >= 1, got ", max_position_embeddings);
  ROTARY_CHECK(seq_len >= 0, function, ": seq_len must be >= 0, got ", seq_len);
  const double exponent = detail::ntk_exponent(function, rotary_dim);
  if (seq_len <= max_position_embeddings) return detail::with_base(function, rotary_dim, base);
  const double ratio =
      factor * static_cast<double>(seq_len) / static_cast<double>(max_position_embeddings) -
      (factor - 1.0);
  return detail::with_base(function, rotary_dim, base * std::pow(ratio, exponent));
}

}  // namespace scaling
}  // namespace rotary
