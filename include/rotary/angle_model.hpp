// SPDX-License-Identifier: MIT
#pragma once
/// Angle models: how a cos/sin table's rows are computed. The default is exact; the others
/// reproduce a reference implementation's float32 rounding, so that a port can be compared
/// with its reference to an ulp or two (instead of ~1e-2 at long positions), then switched
/// to exact.
///
///   exact     cos and sin of the exact product m x theta_i (theta_i the double the table
///             holds), reduced without rounding the product, rounded once (table.hpp).
///   hf_f32    HF transformers' float32 RotaryEmbedding.forward: theta_f = float(theta_i),
///             angle = fl32(theta_f x fl32(m)) (the float32 matmul of inv_freq and the
///             positions), cos and sin in float32, then fl32(cos x fl32(A)) with the
///             cos/sin factor A (attention_scaling). With hf_f32_frequencies(d, base) the
///             table's theta_i are HF's own float32 inv_freq of the default RoPE.
///   ggml      ggml's CPU rope cache (ggml_rope_cache_init, rope_yarn): theta_scale =
///             powf(freq_base, -2 / n_dims); per position theta_0 = float(p), theta_{i+1} =
///             fl32(theta_i x theta_scale), divided by the freq_factors entry (rope_freqs),
///             YaRN's ramp mix when ext_factor != 0, cosf / sinf times mscale; all float.
///             Built from ggml_rope_parameters (cos_sin_table(ggml_rope_parameters, rows)).
///
/// cos/sin are taken from the C library's cosf/sinf (glibc's are correctly rounded in
/// nearly all cases, and ggml calls the same functions); PyTorch's vectorized float32 cos
/// may differ from it by an ulp, HF's float32 pow in inv_freq likewise. The 16-bit cast
/// HF applies to cos and sin for a bf16 model is what a float table with 16-bit storage
/// does anyway (the rotation reads cos/sin in float: it is more exact than HF there, and
/// the data, not the table, is rounded to bf16).
///
/// Errors against exact (max |cos, sin error| over 64 positions just below 2^e, rotary_dim
/// 128, theta 10000, measured; tests/schemes/angle_model_test.cpp holds them to these bands):
///            2^12     2^16     2^20
///   hf_f32   2.4e-4   3.9e-3   6.1e-2    (the float product is rounded at the angle's size)
///   ggml     5.8e-4   9.8e-3   0.15      (plus theta_scale^i's ~i x 2^-24 relative error)
/// With theta 500000: hf_f32 2.8e-4 / 4.5e-3 / 7.5e-2, ggml 3.5e-4 / 5.6e-3 / 8.8e-2.
/// exact stays within 2^-24 (float) at every position. The on-the-fly angle sources are
/// always exact; the models are tables only.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "error.hpp"
#include "frequencies.hpp"

namespace rotary {

/// How a table's cos/sin are computed from its frequencies (see above).
enum class angle_model { exact, hf_f32, ggml };

inline const char* to_string(angle_model m) noexcept {
  switch (m) {
    case angle_model::exact:
      return "exact";
    case angle_model::hf_f32:
      return "hf_f32";
    case angle_model::ggml:
      return "ggml";
  }
  return "?";
}

/// HF transformers' default inv_freq as its float32 arithmetic computes it:
///   1.0 / (base ** (arange(0, d, 2).float() / d)),  every step in float32,
/// returned as doubles (each exactly a float).
inline std::vector<double> hf_f32_frequencies(std::ptrdiff_t rotary_dim,
                                              double base = default_base) {
  detail::check_rotary_dim("hf_f32_frequencies", rotary_dim);
  ROTARY_CHECK(std::isfinite(base) && base > 1.0,
               "hf_f32_frequencies: base must be finite and > 1, got ", base);
  std::vector<double> theta(static_cast<std::size_t>(rotary_dim / 2));
  const float b = static_cast<float>(base), d = static_cast<float>(rotary_dim);
  for (std::size_t i = 0; i < theta.size(); ++i) {
    const float exponent = static_cast<float>(2 * i) / d;
    theta[i] = static_cast<double>(1.0f / std::pow(b, exponent));
  }
  return theta;
}

/// ggml's rope parameters (GGML_OP_ROPE's op params, as llama.cpp sets them).
struct ggml_rope_parameters {
  int n_dims = 0;              ///< rotated elements (rotary_dim)
  float freq_base = 10000.0f;  ///< {arch}.rope.freq_base
  float freq_scale = 1.0f;     ///< 1 / scaling factor (linear and YaRN)
  float ext_factor = 0.0f;     ///< YaRN's extrapolation mix (llama.cpp: 1 for YaRN, else 0)
  float attn_factor = 1.0f;    ///< mscale: multiplies cos and sin
  float beta_fast = 32.0f, beta_slow = 1.0f;
  int n_ctx_orig = 0;               ///< original context (YaRN's correction dims)
  std::vector<float> freq_factors;  ///< rope_freqs: one divisor per pair, or empty
};

namespace detail {

/// cos/sin of row m of the hf_f32 model for one frequency, times the factor A.
inline void hf_f32_cos_sin(std::int64_t m, double theta, double attention_factor, float& c,
                           float& s) noexcept {
  const float angle = static_cast<float>(theta) * static_cast<float>(m);
  const float a = static_cast<float>(attention_factor);
  c = std::cos(angle) * a;
  s = std::sin(angle) * a;
}

/// ggml's per-position state: theta_scale, the YaRN correction dims and the row's mscale.
struct ggml_rope_plan {
  ggml_rope_parameters p;
  float theta_scale = 1.0f;
  float corr_low = 0.0f, corr_high = 0.0f;
  float mscale = 1.0f;  ///< attn_factor, times YaRN's 1 + 0.1 ln(1 / freq_scale) with ext_factor

  /// ggml_rope_yarn_corr_dim, in float as ggml computes it.
  static float corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base) noexcept {
    return static_cast<float>(n_dims) *
           std::log(static_cast<float>(n_ctx_orig) / (n_rot * 2.0f * 3.14159265358979323846f)) /
           (2.0f * std::log(base));
  }

  explicit ggml_rope_plan(const ggml_rope_parameters& params) : p(params) {
    constexpr const char* f = "cos_sin_table(ggml_rope_parameters)";
    ROTARY_CHECK(p.n_dims > 0 && p.n_dims % 2 == 0 && p.n_dims <= max_rotary_dim, f,
                 ": n_dims must be even, > 0 and <= max_rotary_dim (", max_rotary_dim, "), got ",
                 p.n_dims);
    ROTARY_CHECK(std::isfinite(p.freq_base) && p.freq_base > 1.0f, f,
                 ": freq_base must be finite and > 1, got ", p.freq_base);
    ROTARY_CHECK(std::isfinite(p.freq_scale) && p.freq_scale > 0.0f, f,
                 ": freq_scale must be finite and > 0, got ", p.freq_scale);
    ROTARY_CHECK(std::isfinite(p.ext_factor) && p.ext_factor >= 0.0f, f,
                 ": ext_factor must be finite and >= 0, got ", p.ext_factor);
    ROTARY_CHECK(std::isfinite(p.attn_factor) && p.attn_factor > 0.0f, f,
                 ": attn_factor must be finite and > 0, got ", p.attn_factor);
    ROTARY_CHECK(
        p.freq_factors.empty() || p.freq_factors.size() == static_cast<std::size_t>(p.n_dims / 2),
        f, ": freq_factors must be empty or hold n_dims / 2 = ", p.n_dims / 2, " entries, got ",
        p.freq_factors.size());
    for (std::size_t i = 0; i < p.freq_factors.size(); ++i) {
      ROTARY_CHECK(std::isfinite(p.freq_factors[i]) && p.freq_factors[i] > 0.0f, f,
                   ": freq_factors[", i, "] must be finite and > 0, got ", p.freq_factors[i]);
    }
    theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_dims));
    mscale = p.attn_factor;
    if (p.ext_factor != 0.0f) {
      ROTARY_CHECK(
          p.n_ctx_orig > 0 && std::isfinite(p.beta_fast) && p.beta_fast > 0.0f &&
              std::isfinite(p.beta_slow) && p.beta_slow > 0.0f,
          f, ": YaRN (ext_factor != 0) needs n_ctx_orig > 0 and beta_fast, beta_slow > 0, got ",
          p.n_ctx_orig, ", ", p.beta_fast, ", ", p.beta_slow);
      const float start = std::floor(corr_dim(p.n_dims, p.n_ctx_orig, p.beta_fast, p.freq_base));
      const float end = std::ceil(corr_dim(p.n_dims, p.n_ctx_orig, p.beta_slow, p.freq_base));
      corr_low = start > 0.0f ? start : 0.0f;
      corr_high = end < static_cast<float>(p.n_dims - 1) ? end : static_cast<float>(p.n_dims - 1);
      mscale *= 1.0f + 0.1f * std::log(1.0f / p.freq_scale);
    }
  }

  /// The nominal frequencies (double) of the model: theta_scale^i x freq_scale / ff_i,
  /// for the table's frequencies() (re-rotation and on-the-fly angles use them).
  std::vector<double> frequencies() const {
    std::vector<double> theta(static_cast<std::size_t>(p.n_dims / 2));
    for (std::size_t i = 0; i < theta.size(); ++i) {
      double t = std::pow(static_cast<double>(theta_scale), static_cast<double>(i));
      if (!p.freq_factors.empty()) t /= p.freq_factors[i];
      if (p.ext_factor != 0.0f) {
        const double ramp = ramp_mix(static_cast<std::int64_t>(2 * i));
        t = t * p.freq_scale * (1.0 - ramp) + t * ramp;
      } else {
        t *= p.freq_scale;
      }
      theta[i] = t;
    }
    return theta;
  }

  /// rope_yarn_ramp(low, high, i0) x ext_factor.
  float ramp_mix(std::int64_t i0) const noexcept {
    const float span = corr_high - corr_low > 0.001f ? corr_high - corr_low : 0.001f;
    const std::int64_t pair = i0 / 2;  // ggml's i0 / 2: the pair index, an integer
    const float y = (static_cast<float>(pair) - corr_low) / span;
    const float clamped = y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    return (1.0f - clamped) * p.ext_factor;
  }

  /// Row m: cos[i], sin[i] for i < n_dims / 2, by ggml's float recurrence.
  void row(std::int64_t m, float* cos, float* sin) const noexcept {
    float theta = static_cast<float>(m);
    for (int i0 = 0; i0 < p.n_dims; i0 += 2) {
      const float ff =
          p.freq_factors.empty() ? 1.0f : p.freq_factors[static_cast<std::size_t>(i0 / 2)];
      const float extrap = theta / ff;
      const float interp = p.freq_scale * extrap;
      float angle = interp;
      if (p.ext_factor != 0.0f) {
        const float mix = ramp_mix(i0);
        angle = interp * (1.0f - mix) + extrap * mix;
      }
      cos[i0 / 2] = std::cos(angle) * mscale;
      sin[i0 / 2] = std::sin(angle) * mscale;
      theta *= theta_scale;
    }
  }
};

}  // namespace detail
}  // namespace rotary
