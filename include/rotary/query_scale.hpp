// SPDX-License-Identifier: MIT
#pragma once
/// query_scale: a factor s(m) that multiplies every element of a query at position m, the
/// attention temperature some long-context models apply to queries after RoPE:
///
///   Ministral 3 / Mistral 3 ("llama_4_scaling_beta" in rope_parameters), on every layer:
///       s(m) = 1 + beta * ln(1 + floor(m / original_max_position_embeddings))
///   Llama 4 ("attn_temperature_tuning", "attn_scale", "floor_scale"), on its layers
///   without RoPE:
///       s(m) = 1 + attn_scale * ln(1 + floor((m + 1) / floor_scale))
///
/// m is the token's position (HF: cache_position). s(m) = 1 for every m below the first
/// step (original_max, resp. floor_scale - 1), so short contexts are unchanged.
///
/// As a field of a rope (rope_options::query_scale), the scale is fused into the pass that
/// rotates the operands named rotary::query(...): each token's heads are scaled as they
/// leave the rotation, while still in L1, whole heads (the pass-through elements of a
/// partial rotary too, as HF scales query_states whole). forward and transpose compute
/// s(m) R_m q (the transpose of s R_m is s R_m^T); inverse computes R_m^{-1} q / s(m).
/// Keys are never scaled. For a layer without RoPE, scale_queries(q, pos, s) is the pass.
///
/// Rounding: s(m) is computed in double and rounded once to the compute type; each element
/// is rounded to its storage type after the rotation and again after the multiplication (as
/// HF's query_states * scale; HF also rounds s to a 16-bit model's dtype first, which this
/// does not).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "error.hpp"

namespace rotary {

class query_scale {
 public:
  enum class kind {
    none,                ///< s = 1 (the default: no query scale)
    log_floor,           ///< 1 + beta ln(1 + floor(m / length))        (Ministral 3)
    llama4_temperature,  ///< 1 + beta ln(1 + floor((m + 1) / length))  (Llama 4 NoPE layers)
  };

  /// No scale.
  query_scale() = default;

  /// Ministral 3 / Mistral 3: beta = rope_parameters.llama_4_scaling_beta, length =
  /// rope_parameters.original_max_position_embeddings. Throws rotary::invalid_argument for a
  /// beta that is not finite or a length < 1.
  static query_scale log_floor(double beta, double original_max_position_embeddings) {
    return make("query_scale::log_floor", kind::log_floor, beta, original_max_position_embeddings,
                "original_max_position_embeddings");
  }
  /// Llama 4: attn_scale (config default 0.1) and floor_scale (config default 8192).
  static query_scale llama4_temperature(double attn_scale = 0.1, double floor_scale = 8192.0) {
    return make("query_scale::llama4_temperature", kind::llama4_temperature, attn_scale,
                floor_scale, "floor_scale");
  }

  kind type() const noexcept { return kind_; }
  bool active() const noexcept { return kind_ != kind::none; }
  double beta() const noexcept { return beta_; }
  double length() const noexcept { return length_; }

  /// s(m), in double. floor(a / length) of integers a < 2^53 is exact: a quotient that is not
  /// an integer lies at least 1/length below the next one, more than half an ulp.
  double at(std::int64_t m) const noexcept {
    switch (kind_) {
      case kind::log_floor:
        return 1.0 + beta_ * std::log1p(std::floor(static_cast<double>(m) / length_));
      case kind::llama4_temperature:
        return 1.0 + beta_ * std::log1p(std::floor((static_cast<double>(m) + 1.0) / length_));
      case kind::none:
        break;
    }
    return 1.0;
  }

  /// Throws rotary::invalid_argument, naming `function`, when s(m) is not finite and > 0 for
  /// some position m in [lo, hi] (s is monotone in m, so the ends decide; a negative
  /// position makes the logarithm's argument < 1 and may make it undefined).
  void check_positions(const char* function, std::int64_t lo, std::int64_t hi) const {
    if (!active()) return;
    for (const std::int64_t m : {lo, hi}) {
      const double s = at(m);
      ROTARY_CHECK(std::isfinite(s) && s > 0.0, function,
                   ": the query scale is not a finite positive number at position ", m, " (s = ", s,
                   ")");
    }
  }

 private:
  static query_scale make(const char* function, kind k, double beta, double length,
                          const char* length_name) {
    ROTARY_CHECK(std::isfinite(beta), function, ": beta must be finite, got ", beta);
    ROTARY_CHECK(std::isfinite(length) && length >= 1.0, function, ": ", length_name,
                 " must be finite and >= 1, got ", length);
    query_scale s;
    s.kind_ = k;
    s.beta_ = beta;
    s.length_ = length;
    return s;
  }

  kind kind_ = kind::none;
  double beta_ = 0.0;
  double length_ = 1.0;
};

}  // namespace rotary
