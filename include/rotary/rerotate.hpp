// SPDX-License-Identifier: MIT
#pragma once
/// Keys across angle-source switches: cached keys rotated with one set of frequencies and
/// cos/sin factor (from) are moved in place to another (to), without the unrotated keys.
/// With R(phi) the rotation of a pair by phi, RoFormer eq. (16)'s R(a) R(b) = R(a + b) gives
///   A_to R(p theta_to_i) k = (A_to / A_from) R(p (theta_to_i - theta_from_i)) A_from R(p theta_from_i) k
/// so each cached key at position p is rotated once more, by p (theta_to_i - theta_from_i),
/// and scaled by A_to / A_from. LongRoPE's short -> long switch and dynamic NTK's base change
/// then need no re-prefill and leave no key rotated with the old frequencies (the stale keys
/// of transformers #25104).
///
///   const auto s = model.frequencies(4096), l = model.frequencies(4097);   // LongRoPE
///   rotary::rerotate_keys(cache_keys, rotary::positions::from_offset(0), s, l,
///                         rotary::pairing::half_split);
///
/// The angle of the re-rotation is p x (theta_to_i - theta_from_i) in double (on the fly,
/// exact as on_the_fly_angles is), so one switch costs one rounding of the stored keys:
/// 2^-9 relative for bfloat16, 2^-24 for float. The softmax-scale multiplier
/// (scaled_frequencies::softmax_scale_factor) is the attention's, not the keys': switch it
/// there. Queries are rotated with `to` from the switch on.
///
/// dynamic_ntk_schedule (scaling): HF's dynamic NTK changes the base at every length past
/// max_position_embeddings L; re-rotating the whole cache per token would cost a pass over
/// it per token. The schedule keeps one base per length band instead: a sequence of n > L
/// tokens uses the base HF gives a sequence of the band's end L x growth^k (the smallest
/// one >= n), so the base changes, and the cache is re-rotated, only when the length crosses
/// a band end (growth 2: when it doubles). How it differs from HF: inside a band the base is
/// the band end's, slightly larger than HF's base at n (more interpolation, never less than
/// the length needs); HF's cache keeps every key at the base of the step that wrote it,
/// the schedule keeps all keys and queries at one base. growth -> 1 approaches HF's per-step
/// base with no stale keys.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "angles.hpp"
#include "error.hpp"
#include "operand.hpp"
#include "pairing.hpp"
#include "positions.hpp"
#include "rope.hpp"
#include "scaling.hpp"
#include "view.hpp"

namespace rotary {

namespace detail {

/// rerotation, its errors naming `function` (rerotation, rerotate_keys,
/// kv_cache::rerotate_keys).
inline scaled_frequencies rerotation_as(const char* function, const scaled_frequencies& from,
                                        const scaled_frequencies& to) {
  ROTARY_CHECK(from.inv_freq.size() == to.inv_freq.size(), function,
               ": from and to must rotate the same number of pairs, got ", from.inv_freq.size(),
               " and ", to.inv_freq.size());
  ROTARY_CHECK(from.pair_distance == to.pair_distance, function,
               ": from and to must have the same pair_distance, got ", from.pair_distance, " and ",
               to.pair_distance);
  check_positive_finite(function, "from.attention_factor", from.attention_factor);
  check_positive_finite(function, "to.attention_factor", to.attention_factor);
  check_frequencies(function, from.inv_freq);
  check_frequencies(function, to.inv_freq);
  scaled_frequencies r;
  r.inv_freq.resize(from.inv_freq.size());
  for (std::size_t i = 0; i < r.inv_freq.size(); ++i) {
    r.inv_freq[i] = to.inv_freq[i] - from.inv_freq[i];
  }
  r.attention_factor = to.attention_factor / from.attention_factor;
  r.pair_distance = from.pair_distance;
  return r;
}

}  // namespace detail

/// The re-rotation from `from` to `to`: inv_freq theta_to_i - theta_from_i and the cos/sin
/// factor A_to / A_from (softmax_scale_factor 1, pair_distance that of both). Throws
/// rotary::invalid_argument (naming "rerotation") when the pair counts or pair distances
/// differ or a factor is not finite and positive.
inline scaled_frequencies rerotation(const scaled_frequencies& from, const scaled_frequencies& to) {
  return detail::rerotation_as("rerotation", from, to);
}

// NOTE: rerotate_keys runs the rotation kernels, so it lives in the ISA's inline namespace
// (config.hpp), as rope does.
namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN

/// rerotate_keys, its errors naming `function`.
template <class T>
void rerotate_keys_as(const char* function, tensor_view<T, 3> keys, const positions& p,
                      const scaled_frequencies& from, const scaled_frequencies& to,
                      pairing pairing_kind, rope_options options) {
  const scaled_frequencies delta = rerotation_as(function, from, to);
  options.pair_distance = delta.pair_distance;
  options.query_scale = {};
  const on_the_fly_angles<compute_type_t<T>> angles(delta);
  const auto r = rope_access::make(function, angles, pairing_kind, options);
  rope_access::call(function, r, direction::forward, key(keys), p);
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail

ROTARY_ISA_NAMESPACE_BEGIN

/// Moves keys [tokens][heads][head_dim] at positions p from `from` to `to` in place (see
/// the top of this file). options.rotary_offset and execution as for a rope;
/// options.pair_distance is taken from the frequencies. Checks as a rope call does, naming
/// rerotate_keys, before anything is written.
template <class T>
void rerotate_keys(tensor_view<T, 3> keys, const positions& p, const scaled_frequencies& from,
                   const scaled_frequencies& to, pairing pairing_kind, rope_options options = {}) {
  detail::rerotate_keys_as("rerotate_keys", keys, p, from, to, pairing_kind, options);
}

ROTARY_ISA_NAMESPACE_END

namespace scaling {

/// Dynamic NTK with one base per length band (see the top of this file).
struct dynamic_ntk_schedule {
  std::ptrdiff_t rotary_dim = 0;
  double base = default_base;
  double factor = 1.0;
  std::int64_t max_position_embeddings = 0;  ///< L
  double growth = 2.0;                       ///< band ends L x growth^k; > 1

  /// The length whose HF frequencies serve n tokens: L for n <= L (the default
  /// frequencies), else the smallest L x growth^k >= n (each band end rounded up to a whole
  /// length).
  std::int64_t band_end(std::int64_t n) const {
    constexpr const char* function = "scaling::dynamic_ntk_schedule";
    ROTARY_CHECK(max_position_embeddings >= 1, function,
                 ": max_position_embeddings must be >= 1, got ", max_position_embeddings);
    ROTARY_CHECK(std::isfinite(growth) && growth > 1.0, function,
                 ": growth must be finite and > 1, got ", growth);
    ROTARY_CHECK(n >= 0, function, ": length must be >= 0, got ", n);
    if (n <= max_position_embeddings) return max_position_embeddings;
    double end = static_cast<double>(max_position_embeddings);
    while (end < static_cast<double>(n)) {
      const double next = std::ceil(end * growth);
      end = next > end ? next : end + 1.0;  // a growth near 1 still advances
    }
    constexpr std::int64_t half_range = std::numeric_limits<std::int64_t>::max() / 2;
    ROTARY_CHECK(end <= static_cast<double>(half_range), function, ": length ", n,
                 " is past the schedule's range");
    return static_cast<std::int64_t>(end);
  }
  /// The frequencies for a sequence of n tokens: HF's dynamic NTK at band_end(n).
  scaled_frequencies frequencies(std::int64_t n) const {
    return dynamic_ntk(rotary_dim, base, factor, max_position_embeddings, band_end(n));
  }
  /// True when growing from old_length to new_length tokens changes the frequencies (the
  /// cached keys are then re-rotated with rerotate_keys).
  bool switches(std::int64_t old_length, std::int64_t new_length) const {
    return band_end(old_length) != band_end(new_length);
  }
};

}  // namespace scaling
}  // namespace rotary
