// SPDX-License-Identifier: MIT
#pragma once
/// The three-level table behind on_the_fly_angles: exact cos/sin (double) of the angles of
/// positions m = a 2^20 + b 2^10 + c, 0 <= m < 2^31, combined per token by the angle-addition
/// formula
///   e^{i m theta} = e^{i a 2^20 theta} (e^{i b 2^10 theta} e^{i c theta}).
///
/// Rows (each [cos_0 .. cos_{h-1} | sin_0 .. sin_{h-1}], h = rotary_dim / 2, in double):
///   fine    2^10 rows, c 2^0 theta    1 KiB a row at rotary_dim 128: 1 MiB
///   middle  2^10 rows, b 2^10 theta   1 MiB
///   coarse  2^11 rows, a 2^20 theta   2 MiB      (4096 rows, 4 MiB in all at rotary_dim 128)
/// The fine row changes every token and sequential positions walk the fine level in order;
/// the smallest level is the fine one so that it stays in a 1-2 MiB L2 cache across the
/// layers of a model (its working set at rotary_dim 64 is 512 KiB). The middle row changes
/// every 1024 tokens, the coarse one every 2^20: positions below 2^20 skip the coarse level
/// (a = 0), which is exactly the product by cos = 1, sin = 0.
///
/// Error of a combined value against the exact cos/sin (u = 2^-53, t the error of a table
/// entry, t <= 1.5 u (detail::exact_cos_sin)): each complex product z w of unit-modulus
/// operands with errors |dz|, |dw| (2-norm over cos and sin) errs by |dz| + |dw| plus its own
/// rounding, u per component with FMA (two roundings of at most u/2; 1.5 u without FMA):
///   2 levels: |d| <= 2 sqrt(2) t + u                    <= 5.3 u  for t = 1.5 u,
///   3 levels: |d| <= 3 sqrt(2) t + (sqrt(2) + 1) u      <= 8.8 u  for t = 1.5 u,
/// and <= 6.7 u for t = u (libm's cos and sin correctly rounded). So double is within
/// 2^-50 = 8 u wherever t <= 1.3 u (tests/accuracy measures t <= 1.0 u with glibc, and 2.9 u
/// for the combined values), and float within 2^-25 + 8.8 u < 2^-24 for any t <= 1.5 u
/// (measured: 2^-25). Without hardware FMA each product rounds (1.5 u a component):
/// 3 levels <= 3 sqrt(2) t + 3.6 u (measured 3.3 u).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "aligned_allocator.hpp"
#include "exact_angle.hpp"
#include "multiply_add.hpp"

namespace rotary {
namespace detail {

struct angle_levels {
  static constexpr int fine_bits = 10;
  static constexpr int middle_bits = 10;
  static constexpr int coarse_bits = 11;
  static constexpr std::int64_t fine_rows = std::int64_t{1} << fine_bits;
  static constexpr std::int64_t middle_rows = std::int64_t{1} << middle_bits;
  static constexpr std::int64_t coarse_rows = std::int64_t{1} << coarse_bits;
  static constexpr std::int64_t rows = fine_rows + middle_rows + coarse_rows;
  /// Positions [0, end) are combined from the levels.
  static constexpr std::int64_t end = std::int64_t{1} << (fine_bits + middle_bits + coarse_bits);
  static constexpr int middle_shift = fine_bits;
  static constexpr int coarse_shift = fine_bits + middle_bits;

  /// The table's rows (2h doubles each) for 0 <= m < end: fine rows first, then middle,
  /// then coarse. fine_row(m) = c = m mod 2^10.
  static std::int64_t fine_row(std::int64_t m) noexcept { return m & (fine_rows - 1); }
  /// 2^10 + b, b = floor(m / 2^10) mod 2^10.
  static std::int64_t middle_row(std::int64_t m) noexcept {
    return fine_rows + ((m >> middle_shift) & (middle_rows - 1));
  }
  /// 2^11 + a, a = floor(m / 2^20).
  static std::int64_t coarse_row(std::int64_t m) noexcept {
    return fine_rows + middle_rows + (m >> coarse_shift);
  }
  /// The position whose angles row r holds: r, (r - 2^10) 2^10 or (r - 2^11) 2^20.
  static std::int64_t position_of_row(std::int64_t r) noexcept {
    if (r < fine_rows) return r;
    if (r < fine_rows + middle_rows) return (r - fine_rows) << middle_shift;
    return (r - fine_rows - middle_rows) << coarse_shift;
  }
};

/// Rows start on 64-byte boundaries where 2h is a multiple of 8 (rotary_dim 8, 16, ...).
using angle_level_table = std::vector<double, aligned_allocator<double>>;

/// The level table for frequencies with turns[i] = theta_i / (2 pi):
///   row r, pair i: cos and sin of the exact position_of_row(r) * theta_i, in double.
inline angle_level_table make_angle_levels(const std::vector<frequency_turns>& turns) {
  const std::size_t half = turns.size();
  angle_level_table table(static_cast<std::size_t>(angle_levels::rows) * 2 * half);
  for (std::int64_t r = 0; r < angle_levels::rows; ++r) {
    const std::int64_t m = angle_levels::position_of_row(r);
    double* row = table.data() + static_cast<std::size_t>(r) * 2 * half;
    for (std::size_t i = 0; i < half; ++i) {
      const auto [c, s] = exact_cos_sin(m, turns[i]);
      row[i] = c;
      row[half + i] = s;
    }
  }
  return table;
}

/// out = (cos, sin) of the angles of rows x and y added, rounded to C:
///   cos = cos_x cos_y - sin_x sin_y,  sin = cos_x sin_y + sin_x cos_y.
/// Plain loops over contiguous doubles: GCC and Clang vectorize them (-O2 -march=...).
template <class C>
inline void add_angles(const double* x, const double* y, std::size_t half, C* out) noexcept {
  const double* x_sin = x + half;
  const double* y_sin = y + half;
  C* out_sin = out + half;
  for (std::size_t i = 0; i < half; ++i) {
    out[i] = static_cast<C>(multiply_add(x[i], y[i], -(x_sin[i] * y_sin[i])));
    out_sin[i] = static_cast<C>(multiply_add(x[i], y_sin[i], x_sin[i] * y[i]));
  }
}

/// out = the angles of rows x, y and z added (y + z first), rounded to C.
template <class C>
inline void add_angles(const double* x, const double* y, const double* z, std::size_t half,
                       C* out) noexcept {
  const double* x_sin = x + half;
  const double* y_sin = y + half;
  const double* z_sin = z + half;
  C* out_sin = out + half;
  for (std::size_t i = 0; i < half; ++i) {
    const double c = multiply_add(y[i], z[i], -(y_sin[i] * z_sin[i]));
    const double s = multiply_add(y[i], z_sin[i], y_sin[i] * z[i]);
    out[i] = static_cast<C>(multiply_add(x[i], c, -(x_sin[i] * s)));
    out_sin[i] = static_cast<C>(multiply_add(x[i], s, x_sin[i] * c));
  }
}

}  // namespace detail
}  // namespace rotary
