// SPDX-License-Identifier: MIT
#pragma once
/// Exact cos/sin of the RoPE angle m * theta_i, and the table-free angle source.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/angle_levels.hpp"
#include "detail/exact_angle.hpp"
#include "element_type.hpp"
#include "error.hpp"
#include "frequencies.hpp"
#include "scaling/result.hpp"

namespace rotary {
namespace detail {

/// (cos(m theta), sin(m theta)) of the exact real product m * theta, rounded to double once
/// (detail/exact_angle.hpp): within 1.5 x 2^-53 (+ 2^-90) of the exact values for every int64
/// m and |theta| <= 2^32; the product is reduced with a 217-bit 1/(2 pi), never rounded
/// first. cos_sin_table rows and on_the_fly_angles' levels and fallback all come from it.
inline std::pair<double, double> cos_sin_of_angle(std::int64_t m, double theta) noexcept {
  return exact_cos_sin(m, frequency_turns_of(theta));
}

}  // namespace detail

/// Angles without a position table: each token's cos/sin row is computed when it is needed,
/// once per token, and the kernels share it across all heads of the token.
///
/// At construction it builds a three-level table of exact cos/sin (double) for positions
/// [0, 2^31) (detail/angle_levels.hpp: 4096 rows of rotary_dim doubles, 4 MiB at rotary_dim
/// 128, 256 KiB at 8; about 10 ms to build at rotary_dim 128). A token at m in [0, 2^31)
/// combines two rows (m < 2^20) or three by the angle-addition formula in double and rounds
/// once to C: float within 2^-24 and double within 2^-50 of cos/sin of the exact m * theta_i.
/// Any other position (m < 0 or m >= 2^31) computes each pair exactly
/// (detail::cos_sin_of_angle: within 2^-25 + 1.5 x 2^-53 for float, 1.5 x 2^-53 for double):
/// about 50x the instructions of a combined row, 7x those of a whole rotation at 32 heads x
/// 128. Every int64 position is valid.
///
/// Thread-safe: readers only read the table. Copying the source copies the table; a rope
/// built from a temporary moves it.
template <class C>
class on_the_fly_angles {
  static_assert(std::is_same_v<C, float> || std::is_same_v<C, double>,
                "on_the_fly_angles: C must be float or double");

 public:
  using value_type = C;

  /// theta_i = base^(-2i/rotary_dim).
  explicit on_the_fly_angles(std::ptrdiff_t rotary_dim, double base = default_base)
      : on_the_fly_angles(
            detail::rope_frequencies_for("on_the_fly_angles", "rotary_dim", rotary_dim, base),
            checked_tag{}) {}

  /// Caller-supplied frequencies theta_i (e.g. from a scaling scheme), one per pair.
  explicit on_the_fly_angles(std::vector<double> frequencies)
      : on_the_fly_angles(
            (detail::check_frequencies("on_the_fly_angles", frequencies), std::move(frequencies)),
            checked_tag{}) {}

  /// A scaling scheme's frequencies and its cos/sin factor A (scaling.hpp): every cos and
  /// sin is A cos(m theta_i), A sin(m theta_i), as in cos_sin_table(scaled_frequencies).
  explicit on_the_fly_angles(const scaled_frequencies& f)
      : on_the_fly_angles((detail::check_frequencies("on_the_fly_angles", f.inv_freq),
                           detail::check_positive_finite("on_the_fly_angles", "attention_factor",
                                                         f.attention_factor),
                           f.inv_freq),
                          checked_tag{}, f.attention_factor) {}

  /// The cos/sin factor A (1 unless built with one).
  double attention_factor() const noexcept { return attention_factor_; }

  std::ptrdiff_t rotary_dim() const noexcept {
    return static_cast<std::ptrdiff_t>(2 * theta_.size());
  }
  const std::vector<double>& frequencies() const noexcept { return theta_; }

  /// Every position is valid (outside [0, 2^31) each pair is computed exactly).
  void check_position_range(const char*, std::int64_t, std::int64_t) const noexcept {}

  /// What the kernels read per token: two pointers and a size, made per call.
  class reader {
   public:
    reader(const double* levels, const detail::frequency_turns* turns, std::size_t half,
           double attention_factor) noexcept
        : levels_(levels), turns_(turns), half_(half), attention_factor_(attention_factor) {}

    /// Writes cos(m theta_i) to scratch[0, h) and sin to scratch[h, 2h), h = rotary_dim/2,
    /// and points cos/sin there: for 0 <= m < 2^31 the level rows combined,
    ///   e^{i m theta} = e^{i a 2^20 theta} e^{i b 2^10 theta} e^{i c theta},
    /// otherwise cos_sin_of_angle per pair.
    void coefficients(std::int64_t m, C* scratch, const C*& cos, const C*& sin) const noexcept {
      using levels = detail::angle_levels;
      if (static_cast<std::uint64_t>(m) < static_cast<std::uint64_t>(levels::end)) {
        const double* fine = row(levels::fine_row(m));
        const double* middle = row(levels::middle_row(m));
        if (m < (std::int64_t{1} << levels::coarse_shift)) {
          detail::add_angles(middle, fine, half_, scratch);
        } else {
          detail::add_angles(row(levels::coarse_row(m)), middle, fine, half_, scratch);
        }
      } else {
        for (std::size_t i = 0; i < half_; ++i) {
          const auto [c, s] = detail::exact_cos_sin(m, turns_[i]);
          scratch[i] = static_cast<C>(attention_factor_ * c);  // A = 1: exactly c
          scratch[half_ + i] = static_cast<C>(attention_factor_ * s);
        }
      }
      cos = scratch;
      sin = scratch + half_;
    }

   private:
    const double* row(std::int64_t r) const noexcept {
      return levels_ + static_cast<std::size_t>(r) * 2 * half_;
    }
    const double* levels_;
    const detail::frequency_turns* turns_;
    std::size_t half_;
    double attention_factor_;
  };
  reader make_reader() const noexcept {
    return reader(levels_.data(), turns_.data(), theta_.size(), attention_factor_);
  }

 private:
  struct checked_tag {};
  on_the_fly_angles(std::vector<double> theta, checked_tag, double attention_factor = 1.0)
      : theta_(std::move(theta)),
        turns_(turns_of(theta_)),
        levels_(detail::make_angle_levels(turns_)),
        attention_factor_(attention_factor) {
    // Every combined row multiplies exactly one fine row: A in the fine rows is A in all.
    if (attention_factor_ != 1.0) {
      const std::size_t fine =
          static_cast<std::size_t>(detail::angle_levels::fine_rows) * 2 * theta_.size();
      for (std::size_t i = 0; i < fine; ++i) levels_[i] *= attention_factor_;
    }
  }

  static std::vector<detail::frequency_turns> turns_of(const std::vector<double>& theta) {
    std::vector<detail::frequency_turns> turns(theta.size());
    for (std::size_t i = 0; i < theta.size(); ++i) {
      turns[i] = detail::frequency_turns_of(theta[i]);
    }
    return turns;
  }

  std::vector<double> theta_;
  std::vector<detail::frequency_turns> turns_;
  detail::angle_level_table levels_;
  double attention_factor_ = 1.0;
};

}  // namespace rotary
