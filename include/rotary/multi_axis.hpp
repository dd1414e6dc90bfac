// SPDX-License-Identifier: MIT
#pragma once
/// multi_axis_angles: the angle source of multi-axis RoPE (M-RoPE, 2-D vision RoPE, FLUX).
///
///   rotary::multi_axis_angles<float> angles(
///       rotary::axis_map::mrope(rotary::rope_frequencies(128, 1e6), {16, 24, 24}), 32768);
///   rotary::rope rope(angles, rotary::pairing::half_split);
///   rope.forward(rotary::query(q), rotary::key(k),
///                rotary::positions::axes_major(position_ids, 3, tokens));  // [3][tokens]
///
/// Pair i of a token whose position on axis k is p_k is rotated by the angle
///   p_{axis(i)} x theta_i                   (axis(i), theta_i: the axis_map)
/// with cos and sin of the exact real product, rounded once (as cos_sin_table's rows).
///
/// How each token's cos/sin row is found (never a per-element axis lookup in the rotation):
///   - integer positions below rows(): from one table over the map's frequencies, row p
///     holding cos/sin(p theta_i) for every pair. Every axis at the same p (text tokens, and
///     every token of 1-D positions) reads row p in place: bitwise the 1-D rope over a
///     cos_sin_table of the same frequencies. Otherwise the row is assembled in the call's
///     scratch, per axis from its own position's row: copied section by section (maps with
///     few contiguous sections: M-RoPE, axes_dim, Pixtral) or by a lane-wise select over the
///     pairs (maps that alternate: Qwen3-VL).
///   - integer positions at or past rows(): computed per pair with the same exact formula
///     (the same bits as a table row, slower; grow() extends the table).
///   - fractional positions (positions::axes_major and friends over doubles, e.g. a time
///     axis at tokens_per_second x seconds): computed per pair, cos and sin of the exact real
///     product p x theta_i (the product never rounded; detail::fractional_turns_of_real),
///     rounded once; an integer-valued p gives the integer position's bits.
///
/// Checks: the map's (axis_map.hpp, at construction); per call, the positions' axis count
/// against the map's, and each position (>= 0; fractional ones finite and <= 2^53) before
/// anything is written. grow() must not run while a call reads the source.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "angle_source.hpp"
#include "axis_map.hpp"
#include "detail/exact_angle.hpp"
#include "error.hpp"
#include "positions.hpp"
#include "table.hpp"

namespace rotary {

namespace detail {

/// Pairs [begin, end) of a map, all on one axis.
struct axis_section {
  std::ptrdiff_t begin, end;
  int axis;
};

/// Maps with at most this many sections are assembled by copies, others by selects.
inline constexpr std::ptrdiff_t max_copied_sections = 8;

/// The per-call reader of a multi_axis_angles (see there). Rows: cos at [0, half), sin at
/// [half, 2 half) of table row p (table + p 2 half) or of the scratch.
template <class C>
struct multi_axis_reader {
  using value_type = C;
  const C* table;
  std::ptrdiff_t rows, half, axes;
  const frequency_turns* turns;
  const int* axis;
  const axis_section* sections;
  std::ptrdiff_t section_count;

  /// 1-D position m on every axis.
  void coefficients(std::int64_t m, C* scratch, const C*& cos, const C*& sin) const noexcept {
    if (m < rows) {
      cos = table + m * 2 * half;
    } else {
      for (std::ptrdiff_t i = 0; i < half; ++i) store(scratch, i, exact_cos_sin(m, turns[i]));
      cos = scratch;
    }
    sin = cos + half;
  }

  /// Token t of pos (any positions kind; m is its 1-D position when it has one).
  void coefficients_at(const positions& pos, std::ptrdiff_t t, std::int64_t m, C* scratch,
                       const C*& cos, const C*& sin) const noexcept {
    if (!pos.is_multi_axis()) return coefficients(m, scratch, cos, sin);
    cos = scratch;
    sin = scratch + half;
    if (pos.is_fractional()) {
      for (std::ptrdiff_t i = 0; i < half; ++i) {
        const double p = pos.real_axis_position(t, axis[i]);
        store(scratch, i, cos_sin_of_turns(fractional_turns_of_real(p, turns[i])));
      }
      return;
    }
    std::int64_t p[max_position_axes] = {};
    bool same = true, cached = true;
    for (std::ptrdiff_t k = 0; k < axes; ++k) {
      p[k] = pos.axis_position(t, k);
      same = same && p[k] == p[0];
      cached = cached && p[k] < rows;
    }
    if (same) return coefficients(p[0], scratch, cos, sin);
    if (!cached) {
      for (std::ptrdiff_t i = 0; i < half; ++i) {
        store(scratch, i, exact_cos_sin(p[axis[i]], turns[i]));
      }
      return;
    }
    if (section_count <= max_copied_sections) {
      for (std::ptrdiff_t j = 0; j < section_count; ++j) {
        const axis_section& s = sections[j];
        const C* row = table + p[s.axis] * 2 * half;
        const std::size_t bytes = static_cast<std::size_t>(s.end - s.begin) * sizeof(C);
        std::memcpy(scratch + s.begin, row + s.begin, bytes);
        std::memcpy(scratch + half + s.begin, row + half + s.begin, bytes);
      }
      return;
    }
    // Alternating maps: per axis, a select over all pairs (vectorized; exact copies).
    for (std::ptrdiff_t k = 0; k < axes; ++k) {
      const C* row = table + p[k] * 2 * half;
      for (std::ptrdiff_t i = 0; i < 2 * half; ++i) {
        const int a = axis[i < half ? i : i - half];
        scratch[i] = a == k ? row[i] : scratch[i];
      }
    }
  }

 private:
  void store(C* row, std::ptrdiff_t i, std::pair<double, double> cs) const noexcept {
    row[i] = static_cast<C>(cs.first);
    row[half + i] = static_cast<C>(cs.second);
  }
};

}  // namespace detail

template <class C>
class multi_axis_angles {
  static_assert(std::is_same_v<C, float> || std::is_same_v<C, double>,
                "multi_axis_angles: C must be float or double");

 public:
  using value_type = C;

  /// A table of `rows` integer positions [0, rows) over the map's frequencies (positions
  /// past it are computed exactly per pair). Throws rotary::invalid_argument for rows < 0.
  explicit multi_axis_angles(axis_map map, std::ptrdiff_t rows = 0)
      : map_(std::move(map)), table_(check_rows(map_.frequencies(), rows), rows) {
    const std::ptrdiff_t half = map_.pairs();
    turns_.resize(static_cast<std::size_t>(half));
    for (std::ptrdiff_t i = 0; i < half; ++i) {
      turns_[static_cast<std::size_t>(i)] = detail::frequency_turns_of(map_.frequency(i));
    }
    for (std::ptrdiff_t i = 0; i < half; ++i) {
      if (sections_.empty() || sections_.back().axis != map_.axis(i)) {
        sections_.push_back({i, i + 1, map_.axis(i)});
      } else {
        sections_.back().end = i + 1;
      }
    }
  }

  /// Extends the table to at least `rows` positions. Not safe against concurrent calls.
  void grow(std::ptrdiff_t rows) { table_.grow(rows); }

  const axis_map& map() const noexcept { return map_; }
  std::ptrdiff_t axes() const noexcept { return map_.axes(); }
  std::ptrdiff_t rotary_dim() const noexcept { return map_.rotary_dim(); }
  std::ptrdiff_t rows() const noexcept { return table_.rows(); }

  /// Every integer position >= 0 is served (the table's range, then exact per pair).
  void check_position_range(const char* function, std::int64_t lo, std::int64_t) const {
    ROTARY_CHECK_RANGE(lo >= 0, function, ": position must be >= 0, got ", lo);
  }

  detail::multi_axis_reader<C> make_reader() const noexcept {
    return {table_.data(),         table_.rows(),    map_.pairs(),
            map_.axes(),           turns_.data(),    map_.axis_of_pairs().data(),
            sections_.data(),      static_cast<std::ptrdiff_t>(sections_.size())};
  }

 private:
  static std::vector<double> check_rows(const std::vector<double>& f, std::ptrdiff_t rows) {
    ROTARY_CHECK(rows >= 0, "multi_axis_angles: rows must be >= 0, got ", rows);
    return f;
  }

  axis_map map_;
  cos_sin_table<C> table_;
  std::vector<detail::frequency_turns> turns_;
  std::vector<detail::axis_section> sections_;
};

}  // namespace rotary
