// SPDX-License-Identifier: MIT
#pragma once
/// YaRN (Peng et al. 2023, arXiv 2309.00071) as HF transformers' _compute_yarn_parameters
/// computes it, in double. With d = rotary_dim, s = factor, L = original_max_position_embeddings,
/// theta_i = base^(-2i/d), and the pair index at which a frequency turns r times over L,
///   c(r) = d ln(L / (2 pi r)) / (2 ln base),
///   low  = max(floor(c(beta_fast)), 0),  high = min(ceil(c(beta_slow)), d - 1)
///          (no floor / ceil when truncate is false; high += 0.001 when low == high),
///   ramp_i = clamp((i - low) / (high - low), 0, 1),
///   theta'_i = theta_i / s * ramp_i + theta_i * (1 - ramp_i)
/// so fast pairs (i < low) keep theta_i and slow pairs (i > high) are interpolated by s.
/// The cos/sin factor: attention_factor if given, else g(s, mscale) / g(s, mscale_all_dim)
/// when both are set (non-zero), else g(s, 1), with g(s, m) = 1 for s <= 1 and
/// 0.1 m ln s + 1 otherwise (mscale alone is ignored). The softmax-scale multiplier
/// (DeepSeek V2/V3's attention applies it): g(s, mscale_all_dim)^2 when mscale_all_dim is set.
///
/// Where HF and the paper differ (HF is followed):
///   - the paper's ramp gamma(r) is linear in r = L / lambda_i (the rotations over L); HF's
///     is linear in the pair index i, i.e. in ln r;
///   - HF rounds the bounds outward to whole pairs (truncate, the default; GPT-OSS sets
///     truncate: false and keeps them fractional);
///   - HF clamps high to d - 1, not to the last pair d/2 - 1 (a bound past the last pair
///     stretches the ramp instead of saturating it);
///   - the paper scales the logits by 1/t with sqrt(1/t) = 0.1 ln s + 1 on q and k; HF's
///     cos/sin factor is that sqrt(1/t) (and the mscale ratio for DeepSeek's configs).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "../frequencies.hpp"
#include "result.hpp"

namespace rotary {
namespace scaling {

/// YaRN's parameters as a config holds them (rope_scaling / rope_parameters keys).
struct yarn_parameters {
  std::ptrdiff_t rotary_dim = 0;
  double base = default_base;                ///< rope_theta
  std::optional<double> factor;              ///< missing: max / original_max
  std::int64_t max_position_embeddings = 0;  ///< the config's top level
  std::optional<std::int64_t>
      original_max_position_embeddings;  ///< missing: max_position_embeddings
  double beta_fast = 0.0;                ///< 0 or missing: 32 (HF: `or 32`)
  double beta_slow = 0.0;                ///< 0 or missing: 1
  bool truncate = true;
  std::optional<double> attention_factor;  ///< given: the cos/sin factor as is
  double mscale = 0.0;                     ///< 0 = not set
  double mscale_all_dim = 0.0;             ///< 0 = not set
};

namespace detail {
/// g(s, m) = 1 for s <= 1, 0.1 m ln s + 1 otherwise (YaRN's sqrt(1/t) generalized by mscale).
inline double yarn_mscale(double s, double m) noexcept {
  return s <= 1.0 ? 1.0 : 0.1 * m * std::log(s) + 1.0;
}
}  // namespace detail

/// The resolved factor and original length of p (after the defaults).
inline double yarn_factor(const yarn_parameters& p) {
  constexpr const char* function = "scaling::yarn";
  ROTARY_CHECK(p.max_position_embeddings >= 1 || (p.factor && p.original_max_position_embeddings),
               function,
               ": max_position_embeddings must be >= 1 when factor or "
               "original_max_position_embeddings is missing, got ",
               p.max_position_embeddings);
  const double original =
      static_cast<double>(p.original_max_position_embeddings ? *p.original_max_position_embeddings
                                                             : p.max_position_embeddings);
  return p.factor ? *p.factor : static_cast<double>(p.max_position_embeddings) / original;
}

inline scaled_frequencies yarn(const yarn_parameters& p) {
  constexpr const char* function = "scaling::yarn";
  rotary::detail::check_rotary_dim(function, p.rotary_dim);
  rotary::detail::check_base(function, p.base);
  ROTARY_CHECK(p.base != 1.0, function, ": base must not be 1 (ln base divides), got ", p.base);
  if (p.original_max_position_embeddings) {
    ROTARY_CHECK(*p.original_max_position_embeddings >= 1, function,
                 ": original_max_position_embeddings must be >= 1, got ",
                 *p.original_max_position_embeddings);
  }
  const double s = yarn_factor(p);
  rotary::detail::check_positive_finite(function, "factor", s);
  ROTARY_CHECK(std::isfinite(p.beta_fast) && p.beta_fast >= 0.0, function,
               ": beta_fast must be finite and >= 0 (0: the default 32), got ", p.beta_fast);
  ROTARY_CHECK(std::isfinite(p.beta_slow) && p.beta_slow >= 0.0, function,
               ": beta_slow must be finite and >= 0 (0: the default 1), got ", p.beta_slow);
  if (p.attention_factor) {
    rotary::detail::check_positive_finite(function, "attention_factor", *p.attention_factor);
  }
  // g(s, m) = 0.1 m ln s + 1 > 0 for every m >= 0: the factors stay finite and positive.
  ROTARY_CHECK(std::isfinite(p.mscale) && p.mscale >= 0.0, function,
               ": mscale must be finite and >= 0 (0: not set), got ", p.mscale);
  ROTARY_CHECK(std::isfinite(p.mscale_all_dim) && p.mscale_all_dim >= 0.0, function,
               ": mscale_all_dim must be finite and >= 0 (0: not set), got ", p.mscale_all_dim);

  const double d = static_cast<double>(p.rotary_dim);
  const double original =
      static_cast<double>(p.original_max_position_embeddings ? *p.original_max_position_embeddings
                                                             : p.max_position_embeddings);
  const double beta_fast = p.beta_fast != 0.0 ? p.beta_fast : 32.0;
  const double beta_slow = p.beta_slow != 0.0 ? p.beta_slow : 1.0;
  const double two_pi = 6.283185307179586476925286766559;
  const auto correction_pair = [&](double rotations) {
    return d * std::log(original / (rotations * two_pi)) / (2.0 * std::log(p.base));
  };
  double low = correction_pair(beta_fast), high = correction_pair(beta_slow);
  if (p.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, d - 1.0);
  if (low == high) high += 0.001;  // HF: "prevent singularity"

  scaled_frequencies r;
  r.inv_freq = rotary::detail::power_frequencies(p.rotary_dim / 2, d, p.base);
  for (std::size_t i = 0; i < r.inv_freq.size(); ++i) {
    const double ramp = std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
    const double extrapolated = r.inv_freq[i];
    const double interpolated = extrapolated / s;
    // HF: interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor,
    // extrapolation_factor = 1 - ramp.
    r.inv_freq[i] = interpolated * ramp + extrapolated * (1.0 - ramp);
  }
  if (p.attention_factor) {
    r.attention_factor = *p.attention_factor;
  } else if (p.mscale != 0.0 && p.mscale_all_dim != 0.0) {
    r.attention_factor =
        detail::yarn_mscale(s, p.mscale) / detail::yarn_mscale(s, p.mscale_all_dim);
  } else {
    r.attention_factor = detail::yarn_mscale(s, 1.0);
  }
  if (p.mscale_all_dim != 0.0) {
    const double g = detail::yarn_mscale(s, p.mscale_all_dim);
    r.softmax_scale_factor = g * g;
  }
  ROTARY_CHECK(std::isfinite(r.attention_factor) && std::isfinite(r.softmax_scale_factor), function,
               ": the attention factors overflow (factor ", s, ", mscale ", p.mscale,
               ", mscale_all_dim ", p.mscale_all_dim, ")");
  return r;
}

}  // namespace scaling
}  // namespace rotary
