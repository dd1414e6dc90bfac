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
///     rounded once. A token whose positions are all integer-valued takes the integer path
///     (the same bits as integer positions).
///
/// Checks: the map's (axis_map.hpp, at construction); per call, the positions' axis count
/// against the map's, and each position (>= 0; fractional ones finite and <= 2^53) before
/// anything is written. grow() must not run while a call reads the source.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
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

/// Tokens per kernel call for multi-axis positions: their rows assembled side by side in
/// the scratch (16 x rotary_dim values: 8 KiB of float rows at rotary_dim 128), so that the
/// per-call cost of the kernels is paid once per 16 tokens, not per token.
inline constexpr std::ptrdiff_t max_run_tokens = 16;

/// The per-call reader of a multi_axis_angles (see there). Rows: cos at [0, half), sin at
/// [half, 2 half) of table row p (table + p 2 half) or of the scratch.
template <class C>
struct multi_axis_reader {
  using value_type = C;
  static constexpr std::ptrdiff_t max_run_tokens = detail::max_run_tokens;
  const C* table;
  std::ptrdiff_t rows, half, axes;
  const frequency_turns* turns;
  const int* axis;  ///< per pair
  /// Unsigned integers of C's size: the bits the alternating maps' selects move.
  using bits = std::conditional_t<sizeof(C) == 4, std::uint32_t, std::uint64_t>;
  const bits* masks;  ///< [axes][2 half]: all ones where row element e is on axis k
  const axis_section* sections;
  std::ptrdiff_t section_count;

  /// Rows for the n <= max_run_tokens tokens t, ..., t + n - 1 of a run of one sequence (at
  /// 1-D positions m, ..., m + n - 1 when pos is 1-D): cos and sin of token u at
  /// cos + u row_stride, sin + u row_stride. Tokens on one position per axis, consecutive
  /// and inside the table (text) read the table in place; others are assembled in
  /// scratch[0, n 2 half).
  void coefficients_run(const positions& pos, std::ptrdiff_t t, std::ptrdiff_t n, std::int64_t m,
                        C* scratch, const C*& cos, const C*& sin,
                        std::ptrdiff_t& row_stride) const noexcept {
    row_stride = 2 * half;
    std::int64_t first[max_position_axes] = {};
    bool in_table = position_of(pos, t, m, first) && first[0] <= rows - n;
    for (std::ptrdiff_t u = 0; in_table && u < n; ++u) {
      std::int64_t p[max_position_axes] = {};
      in_table = position_of(pos, t + u, m + u, p);
      for (std::ptrdiff_t k = 0; in_table && k < axes; ++k) in_table = p[k] == first[0] + u;
    }
    if (in_table) {
      cos = table + first[0] * 2 * half;
    } else {
      for (std::ptrdiff_t u = 0; u < n; ++u) assemble(pos, t + u, m + u, scratch + u * 2 * half);
      cos = scratch;
    }
    sin = cos + half;
  }

 private:
  /// Token t's integer positions on every axis into p (false, p unset, when a fractional
  /// position is not integer-valued). 1-D positions: m on every axis.
  bool position_of(const positions& pos, std::ptrdiff_t t, std::int64_t m,
                   std::int64_t* p) const noexcept {
    for (std::ptrdiff_t k = 0; k < axes; ++k) {
      if (!pos.is_multi_axis()) {
        p[k] = m;
      } else if (pos.is_fractional()) {
        const double v = pos.real_axis_position(t, k);
        if (v != std::floor(v)) return false;
        p[k] = static_cast<std::int64_t>(v);  // v <= 2^53 (validated)
      } else {
        p[k] = pos.axis_position(t, k);
      }
    }
    return true;
  }

  /// Token t's row: cos at row[0, half), sin at row[half, 2 half).
  void assemble(const positions& pos, std::ptrdiff_t t, std::int64_t m, C* row) const noexcept {
    std::int64_t p[max_position_axes] = {};
    if (!position_of(pos, t, m, p)) {
      // A non-integer position: every pair from its exact real angle.
      for (std::ptrdiff_t i = 0; i < half; ++i) {
        const double v = pos.real_axis_position(t, axis[i]);
        store(row, i, cos_sin_of_turns(fractional_turns_of_real(v, turns[i])));
      }
      return;
    }
    bool cached = true;
    for (std::ptrdiff_t k = 0; k < axes; ++k) cached = cached && p[k] < rows;
    if (!cached) {
      for (std::ptrdiff_t i = 0; i < half; ++i) store(row, i, exact_cos_sin(p[axis[i]], turns[i]));
      return;
    }
    if (section_count <= max_copied_sections) {
      for (std::ptrdiff_t j = 0; j < section_count; ++j) {
        const axis_section& s = sections[j];
        const C* from = table + p[s.axis] * 2 * half;
        const std::size_t bytes = static_cast<std::size_t>(s.end - s.begin) * sizeof(C);
        std::memcpy(row + s.begin, from + s.begin, bytes);
        std::memcpy(row + half + s.begin, from + half + s.begin, bytes);
      }
      return;
    }
    // Alternating maps: one vectorized pass of bit selects (exact copies).
    const C* from[max_position_axes] = {};
    for (std::ptrdiff_t k = 0; k < axes; ++k) from[k] = table + p[k] * 2 * half;
    switch (axes) {
      case 1:
        return select_rows<1>(from, row);
      case 2:
        return select_rows<2>(from, row);
      case 3:
        return select_rows<3>(from, row);
      default:
        return select_rows<4>(from, row);
    }
  }

  /// row[e] = OR over k of (from[k][e] AND masks[k][e]): masks[k][e] is all ones where
  /// element e of a row (cos and sin halves alike) is on axis k, zero elsewhere.
  template <int K>
  void select_rows(const C* const* from, C* row) const noexcept {
    // Locals: the stores to row could otherwise alias from[], masks and half for the
    // compiler, which then reloads them every element and does not vectorize.
    const std::ptrdiff_t n = 2 * half;
    const C* f[static_cast<std::size_t>(K)];
    const bits* m[static_cast<std::size_t>(K)];
    for (int k = 0; k < K; ++k) f[k] = from[k], m[k] = masks + k * n;
    for (std::ptrdiff_t e = 0; e < n; ++e) {
      bits v = 0;
      for (int k = 0; k < K; ++k) {
        bits b;
        std::memcpy(&b, f[k] + e, sizeof b);
        v |= b & m[k][e];
      }
      std::memcpy(row + e, &v, sizeof v);
    }
  }

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
    masks_.assign(static_cast<std::size_t>(map_.axes() * 2 * half), 0);
    for (std::ptrdiff_t k = 0; k < map_.axes(); ++k) {
      for (std::ptrdiff_t e = 0; e < 2 * half; ++e) {
        if (map_.axis(e % half) == k) masks_[static_cast<std::size_t>(k * 2 * half + e)] = ~bits{0};
      }
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
    return {table_.data(), table_.rows(),    map_.pairs(),
            map_.axes(),   turns_.data(),    map_.axis_of_pairs().data(),
            masks_.data(), sections_.data(), static_cast<std::ptrdiff_t>(sections_.size())};
  }

 private:
  static std::vector<double> check_rows(const std::vector<double>& f, std::ptrdiff_t rows) {
    ROTARY_CHECK(rows >= 0, "multi_axis_angles: rows must be >= 0, got ", rows);
    return f;
  }

  axis_map map_;
  cos_sin_table<C> table_;
  std::vector<detail::frequency_turns> turns_;
  using bits = typename detail::multi_axis_reader<C>::bits;
  std::vector<bits> masks_;
  std::vector<detail::axis_section> sections_;
};

namespace detail {
/// The checks of a call's positions against its angle source: multi-axis sources take 1-D
/// positions and multi-axis positions of their axis count; others 1-D positions only.
template <class S>
std::pair<std::int64_t, std::int64_t> validate_positions_for(const char* function, const S& source,
                                                             const positions& pos,
                                                             std::ptrdiff_t batch,
                                                             std::ptrdiff_t seq) {
  if constexpr (has_axes<S>::value) {
    return pos.validate_axes(function, batch, seq, axes_of(source));
  } else {
    (void)source;
    return pos.validate(function, batch, seq);
  }
}
}  // namespace detail

}  // namespace rotary
