// SPDX-License-Identifier: MIT
#pragma once
/// Proportional RoPE (p-RoPE, Barbero et al. 2024, arXiv 2410.06205; Gemma 4's global
/// layers, HF transformers' _compute_proportional_rope_parameters, rope_type
/// "proportional"), in double. With D = head_dim (Gemma 4's global_head_dim) and
/// r = floor(partial_rotary_factor x D / 2):
///   theta_j = base^(-2j / D) / factor   for j < r,
/// the exponent over the whole head (not over 2r as ordinary partial rotary has it), and
/// the rotated pairs are (j, j + D/2): elements [0, r) and [D/2, D/2 + r), the other
/// D/2 - r pairs are the identity. HF fills their frequencies with 0 and rotates them by 0;
/// here they are left out (the rope object's pair subset: pair_distance = D/2), so no work
/// is spent on them. Fraction 1 and factor 1 give plain half-split RoPE over the head.

#include <cmath>
#include <cstddef>

#include "../frequencies.hpp"
#include "result.hpp"

namespace rotary {
namespace scaling {

struct proportional_parameters {
  std::ptrdiff_t head_dim = 0;
  double base = default_base;
  double factor = 1.0;
  double partial_rotary_factor = 1.0;  ///< in (0, 1]
};

/// inv_freq has r entries; pair_distance = head_dim / 2 (use it as
/// rope_options::pair_distance with the half_split pairing and rotary_offset 0).
inline scaled_frequencies proportional(const proportional_parameters& p) {
  constexpr const char* function = "scaling::proportional";
  ROTARY_CHECK(p.head_dim > 0 && p.head_dim % 2 == 0 && p.head_dim <= max_rotary_dim, function,
               ": head_dim must be even, > 0 and <= ", max_rotary_dim, " (max_rotary_dim), got ",
               p.head_dim);
  rotary::detail::check_base(function, p.base);
  rotary::detail::check_positive_finite(function, "factor", p.factor);
  ROTARY_CHECK(std::isfinite(p.partial_rotary_factor) && p.partial_rotary_factor > 0.0 &&
                   p.partial_rotary_factor <= 1.0,
               function, ": partial_rotary_factor must be in (0, 1], got ",
               p.partial_rotary_factor);
  const double D = static_cast<double>(p.head_dim);
  // Python's int(fraction * head_dim // 2): floor division of the float product.
  const auto pairs = static_cast<std::ptrdiff_t>(std::floor(p.partial_rotary_factor * D / 2.0));
  ROTARY_CHECK(pairs >= 1, function, ": partial_rotary_factor x head_dim / 2 rotates no pair (",
               p.partial_rotary_factor, " x ", p.head_dim, " / 2)");
  scaled_frequencies r;
  r.inv_freq = rotary::detail::power_frequencies(pairs, D, p.base);
  for (double& t : r.inv_freq) t /= p.factor;
  r.pair_distance = p.head_dim / 2;
  return r;
}

}  // namespace scaling
}  // namespace rotary
