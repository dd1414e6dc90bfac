// SPDX-License-Identifier: MIT
#pragma once
/// Accurate cos/sin of the RoPE angle m * theta_i, and the on-the-fly angle source.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "element_type.hpp"
#include "error.hpp"
#include "frequencies.hpp"

namespace rotary {
namespace detail {

/// cos and sin of angle = m * theta in double precision, after reducing the angle to
/// [-pi, pi] with a two-part 2*pi (Cody-Waite), so that the result does not depend on how
/// well the platform's libm reduces large arguments. For m <= 2^20 and theta <= 1 the
/// product m * theta carries an absolute error below 2^-33, far below a float ulp.
inline std::pair<double, double> cos_sin_of_angle(std::int64_t m, double theta) noexcept {
  constexpr double two_pi_hi = 6.28318530717958623200e+00;  // 2*pi rounded to double
  constexpr double two_pi_lo = 2.44929359829470635445e-16;  // 2*pi - two_pi_hi
  const double angle = static_cast<double>(m) * theta;
  const double k = std::nearbyint(angle / two_pi_hi);
  const double reduced = (angle - k * two_pi_hi) - k * two_pi_lo;
  return {std::cos(reduced), std::sin(reduced)};
}

}  // namespace detail

/// Computes each token's cos/sin row when it is needed instead of reading a table: for
/// positions too large to tabulate. Per token it evaluates rotary_dim/2 cos/sin pairs in
/// double once, and the kernels share that row across all heads of the token (no
/// trigonometry per element). Thread-safe: it holds only the frequencies.
template <class C>
class on_the_fly_angles {
  static_assert(std::is_same_v<C, float> || std::is_same_v<C, double>,
                "on_the_fly_angles: C must be float or double");

 public:
  using value_type = C;

  /// theta_i = base^(-2i/rotary_dim).
  explicit on_the_fly_angles(std::ptrdiff_t rotary_dim, double base = default_base)
      : theta_(rope_frequencies(rotary_dim, base)) {}

  /// Caller-supplied frequencies theta_i (e.g. from a scaling scheme), one per pair.
  explicit on_the_fly_angles(std::vector<double> frequencies) : theta_(std::move(frequencies)) {
    detail::check_frequencies("on_the_fly_angles", theta_);
  }

  std::ptrdiff_t rotary_dim() const noexcept {
    return static_cast<std::ptrdiff_t>(2 * theta_.size());
  }
  const std::vector<double>& frequencies() const noexcept { return theta_; }

  /// Every non-negative position is valid.
  void check_position_range(const char*, std::int64_t, std::int64_t) const noexcept {}

  /// What the kernels read per token: computes each row into the caller's scratch.
  class reader {
   public:
    explicit reader(const std::vector<double>& theta) noexcept
        : theta_(theta.data()), half_(theta.size()) {}
    /// Writes cos(m theta_i) to scratch[0, h) and sin to scratch[h, 2h), h = rotary_dim/2,
    /// and points cos/sin there.
    void coefficients(std::int64_t m, C* scratch, const C*& cos, const C*& sin) const noexcept {
      for (std::size_t i = 0; i < half_; ++i) {
        const auto [c, s] = detail::cos_sin_of_angle(m, theta_[i]);
        scratch[i] = static_cast<C>(c);
        scratch[half_ + i] = static_cast<C>(s);
      }
      cos = scratch;
      sin = scratch + half_;
    }

   private:
    const double* theta_;
    std::size_t half_;
  };
  reader make_reader() const noexcept { return reader(theta_); }

 private:
  std::vector<double> theta_;
};

}  // namespace rotary
