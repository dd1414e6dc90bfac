// SPDX-License-Identifier: MIT
#pragma once
/// xpos_angles: xPos (Sun et al. 2022, "A Length-Extrapolatable Transformer",
/// arXiv:2212.10554), RoPE with a per-pair exponential scale that makes the score decay
/// with distance by construction.
///
/// Pair i (of rotary_dim / 2) has zeta_i = (2i / rotary_dim + gamma) / (1 + gamma) in
/// [gamma / (1 + gamma), 1). A query at position m and a key at n are rotated as RoPE and
/// scaled:
///   query:  zeta_i^(+(m - c) / scale_base) R_m,     key:  zeta_i^(-(n - c) / scale_base) R_n
/// so each pair's contribution to q_m . k_n is zeta_i^((m - n) / scale_base) times the
/// RoPE term: it depends on m - n only, and decays as the query moves past the key (m > n).
/// The centre c is a parameter fixed per sequence: torchscale centres the exponent on the
/// current length at every call, which with a cache of keys scaled at earlier calls breaks
/// the m - n property; here queries and keys of one sequence share c, and the cached keys
/// stay valid.
///
///   rotary::xpos_angles<float> q_angles(rotary::rope_frequencies(128), rotary::xpos_role::query, c);
///   rotary::xpos_angles<float> k_angles(rotary::rope_frequencies(128), rotary::xpos_role::key, c);
///   rotary::rope(q_angles, rotary::pairing::interleaved).forward(q, pos);
///   rotary::rope(k_angles, rotary::pairing::interleaved).forward(k, pos);
///
/// The scale is computed in double per pair and token, zeta_i^e = exp(e ln zeta_i), and
/// multiplied into cos and sin before their one rounding to C (cos and sin of the exact
/// angle, as a cos_sin_table's). Range: the largest factor, zeta_0^(-|m - c| / scale_base),
/// must fit the storage type of the call's output (and C): with gamma 0.4 and scale_base
/// 512, |m - c| up to about 36,000 for float and bfloat16 (factor < 2^127), about 4,500 for
/// float16 (< 2^15), about 290,000 for double (< 2^1023); positions farther from c throw
/// rotary::out_of_range before anything is written (max_distance() gives the exact bound).
/// xPos is not a rotation: the norm is not preserved, and inverse throws (the inverse of a
/// query's transform is the transpose with the key role, and vice versa).
/// Cost: one exp per pair and token (rows are not cached): a prefill pays about as much
/// again as a table-free rope.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "angle_source.hpp"
#include "detail/exact_angle.hpp"
#include "element_type.hpp"
#include "error.hpp"
#include "frequencies.hpp"
#include "storage.hpp"

namespace rotary {

enum class xpos_role { query, key };

template <class C>
class xpos_angles {
  static_assert(std::is_same_v<C, float> || std::is_same_v<C, double>,
                "xpos_angles: C must be float or double");

 public:
  using value_type = C;

  struct reader {
    const detail::frequency_turns* turns;
    const double* log_zeta;  ///< ln zeta_i / scale_base, signed for the role
    std::ptrdiff_t half;
    double centre;
    void coefficients(std::int64_t m, C* scratch, const C*& cos, const C*& sin) const noexcept {
      const double e = static_cast<double>(m) - centre;
      for (std::ptrdiff_t i = 0; i < half; ++i) {
        const auto [c, s] = detail::exact_cos_sin(m, turns[i]);
        const double f = std::exp(e * log_zeta[i]);
        scratch[i] = static_cast<C>(c * f);
        scratch[half + i] = static_cast<C>(s * f);
      }
      cos = scratch;
      sin = scratch + half;
    }
  };

  /// Throws rotary::invalid_argument for bad frequencies, a gamma that is not finite and
  /// > 0, a scale_base that is not finite and > 0, or a centre that is not finite.
  xpos_angles(std::vector<double> frequencies, xpos_role role, double centre, double gamma = 0.4,
              double scale_base = 512.0)
      : theta_(std::move(frequencies)), role_(role), centre_(centre) {
    constexpr const char* fn = "xpos_angles";
    detail::check_frequencies(fn, theta_);
    detail::check_rotary_dim(fn, 2 * static_cast<std::ptrdiff_t>(theta_.size()));
    ROTARY_CHECK(std::isfinite(gamma) && gamma > 0.0, fn, ": gamma must be finite and > 0, got ",
                 gamma);
    ROTARY_CHECK(std::isfinite(scale_base) && scale_base > 0.0, fn,
                 ": scale_base must be finite and > 0, got ", scale_base);
    ROTARY_CHECK(std::isfinite(centre), fn, ": centre must be finite, got ", centre);
    const double d = 2.0 * static_cast<double>(theta_.size());
    const double sign = role == xpos_role::query ? 1.0 : -1.0;
    for (std::size_t i = 0; i < theta_.size(); ++i) {
      turns_.push_back(detail::frequency_turns_of(theta_[i]));
      const double zeta = (2.0 * static_cast<double>(i) / d + gamma) / (1.0 + gamma);
      zeta_.push_back(zeta);
      log_zeta_.push_back(sign * std::log(zeta) / scale_base);
    }
  }

  std::ptrdiff_t rotary_dim() const noexcept {
    return static_cast<std::ptrdiff_t>(2 * theta_.size());
  }
  xpos_role role() const noexcept { return role_; }
  double centre() const noexcept { return centre_; }
  /// zeta_i of pair i.
  double zeta(std::ptrdiff_t i) const noexcept { return zeta_[static_cast<std::size_t>(i)]; }

  /// The largest |m - c| whose every factor stays below `limit` (a storage type's largest
  /// finite value): ln(limit) / max_i |ln zeta_i / scale_base|.
  double max_distance(double limit) const noexcept {
    double worst = 0.0;
    for (double l : log_zeta_) worst = std::fmax(worst, std::fabs(l));
    return std::log(limit) / worst;
  }

  /// Positions >= 0 whose factors fit C (the rope checks each output type: check_storage).
  void check_position_range(const char* function, std::int64_t lo, std::int64_t hi) const {
    ROTARY_CHECK_RANGE(lo >= 0, function, ": position must be >= 0, got ", lo);
    check_limit(function, lo, hi, static_cast<double>(std::numeric_limits<C>::max()),
                "the compute type");
  }
  /// The factors of positions [lo, hi] fit the storage type S of an output.
  template <class S>
  void check_storage(const char* function, std::int64_t lo, std::int64_t hi) const {
    if constexpr (std::is_same_v<S, float16>) {
      check_limit(function, lo, hi, 65504.0, "float16");
    } else if constexpr (std::is_same_v<S, bfloat16>) {
      check_limit(function, lo, hi, 0x1.fep127, "bfloat16");
    } else {
      check_limit(function, lo, hi, static_cast<double>(std::numeric_limits<S>::max()),
                  std::is_same_v<S, float> ? "float" : "double");
    }
  }

  reader make_reader() const noexcept {
    return {turns_.data(), log_zeta_.data(), rotary_dim() / 2, centre_};
  }

 private:
  void check_limit(const char* function, std::int64_t lo, std::int64_t hi, double limit,
                   const char* type) const {
    const double far = std::fmax(std::fabs(static_cast<double>(lo) - centre_),
                                 std::fabs(static_cast<double>(hi) - centre_));
    const double max = max_distance(limit);
    const std::int64_t p = far == std::fabs(static_cast<double>(lo) - centre_) ? lo : hi;
    ROTARY_CHECK_RANGE(far <= max, function, ": xPos position ", p, " is ", far,
                       " from the centre ", centre_, "; the scale overflows ", type, " past ", max);
  }

  std::vector<double> theta_;
  xpos_role role_;
  double centre_;
  std::vector<detail::frequency_turns> turns_;
  std::vector<double> zeta_;
  std::vector<double> log_zeta_;
};

namespace detail {
/// Sources whose factors differ per pair (xPos): no inverse by the attention-factor route.
template <class S>
struct is_xpos : std::false_type {};
template <class C>
struct is_xpos<xpos_angles<C>> : std::true_type {};
template <class S>
struct is_xpos<angles_ref<S>> : is_xpos<S> {};
template <class C>
const xpos_angles<C>& xpos_of(const xpos_angles<C>& s) noexcept {
  return s;
}
template <class S>
const S& xpos_of(const angles_ref<S>& r) noexcept {
  return r.get();
}
}  // namespace detail

}  // namespace rotary
