// SPDX-License-Identifier: MIT
#pragma once
/// What every frequency builder of <rotary/scaling.hpp> returns, and the checks they share.
///
/// Two attention factors exist, and a model applies exactly one of them (README: models):
///   - attention_factor, the cos/sin factor: HF transformers multiplies both cos and sin by
///     it, so q.k logits scale by its square (YaRN's sqrt(1/t), LongRoPE's scaling);
///   - softmax_scale_factor: a multiplier of the softmax scale 1/sqrt(d) that some
///     attentions apply instead (DeepSeek V2/V3: g(s, mscale_all_dim)^2, with the cos/sin
///     factor exactly 1 when mscale == mscale_all_dim).
/// A builder fills both; which one the model's attention uses is the model's choice.

#include <cmath>
#include <cstddef>
#include <vector>

#include "../error.hpp"

namespace rotary {

/// Per-pair inverse frequencies theta_i (double, rad per position) and the factors.
struct scaled_frequencies {
  /// theta_i, one per rotated pair (rotary_dim / 2 entries); a cos_sin_table or
  /// on_the_fly_angles takes them as they are.
  std::vector<double> inv_freq;
  /// The cos/sin factor A: cos and sin multiplied by A (1 for most schemes).
  double attention_factor = 1.0;
  /// The softmax-scale multiplier some attentions apply instead of A (1 unless given).
  double softmax_scale_factor = 1.0;
  /// half_split pair distance for rope_options::pair_distance: 0 = rotary_dim / 2 (the
  /// usual layout); proportional RoPE sets head_dim / 2.
  std::ptrdiff_t pair_distance = 0;

  std::ptrdiff_t rotary_dim() const noexcept {
    return 2 * static_cast<std::ptrdiff_t>(inv_freq.size());
  }
};

namespace detail {

inline void check_positive_finite(const char* function, const char* name, double value) {
  // NOTE: -ffast-math lets the compiler assume finite values and drop the isfinite test.
  ROTARY_CHECK(std::isfinite(value) && value > 0.0, function, ": ", name,
               " must be finite and > 0, got ", value);
}

inline void check_positive_length(const char* function, const char* name, double value) {
  ROTARY_CHECK(std::isfinite(value) && value >= 1.0, function, ": ", name,
               " must be a finite length >= 1, got ", value);
}

/// theta_i = base^(-2i / exponent_dim) for i in [0, pairs): RoFormer eq. (15) with the
/// exponent's denominator separate from the pair count (proportional RoPE divides by the
/// whole head_dim while rotating fewer pairs).
inline std::vector<double> power_frequencies(std::ptrdiff_t pairs, double exponent_dim,
                                             double base) {
  std::vector<double> theta(static_cast<std::size_t>(pairs));
  for (std::size_t i = 0; i < theta.size(); ++i) {
    theta[i] = std::pow(base, -2.0 * static_cast<double>(i) / exponent_dim);
  }
  return theta;
}

}  // namespace detail
}  // namespace rotary
