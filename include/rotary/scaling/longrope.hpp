// SPDX-License-Identifier: MIT
#pragma once
/// LongRoPE (Ding et al. 2024, arXiv 2402.13753; Phi-3 / Phi-4 "longrope", legacy "su") as
/// HF transformers' _compute_longrope_parameters computes it, in double:
///   theta_i = base^(-2i/d) / f_i,  f = long_factor if seq_len > L else short_factor,
/// L = original_max_position_embeddings, one f_i per rotated pair (rotary_dim / 2 entries:
/// with partial rotary, Phi-4-mini's 0.75 x 128 = 96 -> 48). The cos/sin factor (the same for
/// both lists): attention_factor if given, else 1 when s <= 1, else
/// sqrt(1 + ln s / ln L), s = factor if given (non-zero), else max_position_embeddings / L.
/// The lists switch at seq_len = L: keys cached with the short list are rotated with other
/// frequencies than the long list's (README: keys across table switches).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "../frequencies.hpp"
#include "result.hpp"

namespace rotary {
namespace scaling {

struct longrope_parameters {
  std::ptrdiff_t rotary_dim = 0;
  double base = default_base;
  std::vector<double> short_factor;  ///< rotary_dim / 2 entries
  std::vector<double> long_factor;   ///< rotary_dim / 2 entries
  std::optional<double> factor;      ///< missing or 0: max_position_embeddings / L
  std::optional<double> attention_factor;
  std::int64_t max_position_embeddings = 0;
  /// L; Phi-3 configs hold it at the top level, which overrides one in rope_scaling.
  std::int64_t original_max_position_embeddings = 0;
};

/// The cos/sin factor of p (the same for both lists).
inline double longrope_attention_factor(const longrope_parameters& p) {
  constexpr const char* function = "scaling::longrope";
  if (p.attention_factor) {
    rotary::detail::check_positive_finite(function, "attention_factor", *p.attention_factor);
    return *p.attention_factor;
  }
  ROTARY_CHECK(p.original_max_position_embeddings >= 1, function,
               ": original_max_position_embeddings must be >= 1, got ",
               p.original_max_position_embeddings);
  const double L = static_cast<double>(p.original_max_position_embeddings);
  double s = 0.0;
  if (p.factor && *p.factor != 0.0) {
    s = *p.factor;
  } else {
    ROTARY_CHECK(p.max_position_embeddings >= 1, function,
                 ": max_position_embeddings must be >= 1 when factor is missing, got ",
                 p.max_position_embeddings);
    s = static_cast<double>(p.max_position_embeddings) / L;
  }
  rotary::detail::check_positive_finite(function, "factor", s);
  if (s <= 1.0) return 1.0;
  // L = 1 would divide by ln 1 = 0.
  ROTARY_CHECK(p.original_max_position_embeddings >= 2, function,
               ": original_max_position_embeddings must be >= 2 (ln L divides), got ",
               p.original_max_position_embeddings);
  return std::sqrt(1.0 + std::log(s) / std::log(L));
}

/// The frequencies for a sequence of seq_len tokens (short list up to L, long past it).
inline scaled_frequencies longrope(const longrope_parameters& p, std::int64_t seq_len) {
  constexpr const char* function = "scaling::longrope";
  rotary::detail::check_rotary_dim(function, p.rotary_dim);
  rotary::detail::check_base(function, p.base);
  ROTARY_CHECK(seq_len >= 0, function, ": seq_len must be >= 0, got ", seq_len);
  ROTARY_CHECK(p.original_max_position_embeddings >= 1, function,
               ": original_max_position_embeddings must be >= 1, got ",
               p.original_max_position_embeddings);
  const std::size_t pairs = static_cast<std::size_t>(p.rotary_dim / 2);
  for (const auto* list : {&p.short_factor, &p.long_factor}) {
    const char* name = list == &p.short_factor ? "short_factor" : "long_factor";
    ROTARY_CHECK(list->size() == pairs, function, ": ", name, " must have rotary_dim / 2 = ", pairs,
                 " entries, got ", list->size());
    for (std::size_t i = 0; i < pairs; ++i) {
      ROTARY_CHECK(std::isfinite((*list)[i]) && (*list)[i] > 0.0, function, ": ", name, "[", i,
                   "] must be finite and > 0, got ", (*list)[i]);
    }
  }
  scaled_frequencies r;
  r.attention_factor = longrope_attention_factor(p);
  const std::vector<double>& f =
      seq_len > p.original_max_position_embeddings ? p.long_factor : p.short_factor;
  r.inv_freq = rotary::detail::power_frequencies(static_cast<std::ptrdiff_t>(pairs),
                                                 static_cast<double>(p.rotary_dim), p.base);
  for (std::size_t i = 0; i < pairs; ++i) r.inv_freq[i] /= f[i];
  return r;
}

}  // namespace scaling
}  // namespace rotary
