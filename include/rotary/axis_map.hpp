// SPDX-License-Identifier: MIT
#pragma once
/// axis_map: which position axis, and which frequency, each rotated pair takes.
///
/// Multi-axis RoPE (vision-language and video models) gives a token several positions
/// (time, row, column, ...). Pair i of a head is rotated by the angle p[axis(i)] x theta_i:
/// the position of its own axis times its own frequency. The pairing (which elements form
/// pair i) stays the rope's: half_split (x[i], x[i + rotary_dim/2]) or interleaved
/// (x[2i], x[2i+1]). With every axis at the same position p the rotation is 1-D RoPE by p
/// over the map's frequencies.
///
/// Built-in maps (pairs i in [0, rotary_dim/2); base^(-2i/rotary_dim) is the 1-D table):
///
///   axis_map::mrope(frequencies, sections)          Qwen2-VL / Qwen2.5-VL M-RoPE
///       sections count pairs ([16, 24, 24] for head_dim 128, summing to rotary_dim/2);
///       contiguous: pairs [0, 16) take axis 0 (t), [16, 40) axis 1 (h), [40, 64) axis 2 (w);
///       frequency theta_i of the 1-D table. HF: mrope_section; half_split.
///   axis_map::mrope_interleaved(frequencies, sections)  Qwen3-VL, Qwen3.5
///       the axis alternates per frequency index: pair i takes axis 1 (h) if i % 3 == 1 and
///       i < 3 sections[1], axis 2 (w) if i % 3 == 2 and i < 3 sections[2], axis 0 (t)
///       otherwise ([24, 20, 20]: h and w at i < 60, then t). Frequencies of the 1-D table.
///       Half_split: "interleaved" names the axis order, not the pairing.
///   axis_map::ernie_vl(frequencies, {22, 22, 20})   ERNIE 4.5 VL: sections (h, w, t);
///       pairs [0, 44) alternate h (even) and w (odd), [44, 64) take t; 1-D frequencies;
///       interleaved pairing.
///   axis_map::axes_dim(dims, base)                  FLUX's axes_dim, Qwen2-VL's vision encoder
///       dims count elements per axis ([16, 56, 56] sums to 128 = rotary_dim); axis k has
///       dims[k]/2 consecutive pairs with theta_j = base^(-2j / dims[k]), j restarting at 0
///       for each axis. FLUX (base 10000, interleaved pairing); Qwen2-VL's vision encoder is
///       axes_dim({head_dim / 2, head_dim / 2}, 10000) with the half_split pairing (h, w).
///   axis_map::llama4_vision(head_dim, theta)        Llama 4's vision encoder: axes_dim with
///       two halves (x, y), positions (column + 1, row + 1), CLS at (0, 0); interleaved.
///   axis_map::pixtral(head_dim, base)               Pixtral's 2-D patch RoPE
///       the 1-D frequencies f_k = base^(-2k / head_dim), k < head_dim/2, split by parity:
///       pairs [0, head_dim/4) take axis 0 (row) with f_0, f_2, f_4, ...; pairs
///       [head_dim/4, head_dim/2) take axis 1 (column) with f_1, f_3, ...
///       (HF's PixtralRotaryEmbedding; half_split).
///   axis_map(axes, axis_of_pair, frequencies)       any other map, pair by pair.
///
/// Every builder throws rotary::invalid_argument, naming itself, for sections or dims that do
/// not sum to their unit's total, negative or odd counts, or a bad axis index.

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "error.hpp"
#include "frequencies.hpp"

namespace rotary {

/// Most axes a map may have (t, h, w and one spare: ERNIE-VL and FLUX use 3).
inline constexpr std::ptrdiff_t max_position_axes = 4;

class axis_map {
 public:
  /// Pair i takes axis axis_of_pair[i] (in [0, axes)) and frequency frequencies[i].
  axis_map(std::ptrdiff_t axes, std::vector<int> axis_of_pair, std::vector<double> frequencies)
      : axis_map("axis_map", axes, std::move(axis_of_pair), std::move(frequencies)) {}

  /// Qwen2-VL / Qwen2.5-VL M-RoPE: contiguous sections of pairs over the 1-D frequencies.
  static axis_map mrope(const std::vector<double>& frequencies, const std::vector<int>& sections) {
    const char* fn = "axis_map::mrope";
    check_sections(fn, "sections", sections, frequencies.size(), "rotary_dim / 2");
    std::vector<int> axis;
    for (std::size_t k = 0; k < sections.size(); ++k) {
      axis.insert(axis.end(), static_cast<std::size_t>(sections[k]), static_cast<int>(k));
    }
    return axis_map(fn, static_cast<std::ptrdiff_t>(sections.size()), std::move(axis), frequencies);
  }

  /// Qwen3-VL's interleaved M-RoPE: axis 1 at i % 3 == 1 (i < 3 sections[1]), axis 2 at
  /// i % 3 == 2 (i < 3 sections[2]), axis 0 elsewhere. Exactly three sections.
  static axis_map mrope_interleaved(const std::vector<double>& frequencies,
                                    const std::vector<int>& sections) {
    const char* fn = "axis_map::mrope_interleaved";
    ROTARY_CHECK(sections.size() == 3, fn, ": sections must have 3 entries (t, h, w), got ",
                 sections.size());
    check_sections(fn, "sections", sections, frequencies.size(), "rotary_dim / 2");
    const std::size_t pairs = frequencies.size();
    ROTARY_CHECK(3 * static_cast<std::size_t>(sections[1]) <= pairs + 1 &&
                     3 * static_cast<std::size_t>(sections[2]) <= pairs,
                 fn, ": sections [", sections[0], ", ", sections[1], ", ", sections[2],
                 "] do not fit interleaved in ", pairs, " pairs");
    std::vector<int> axis(pairs, 0);
    for (std::size_t i = 0; i < pairs; ++i) {
      if (i % 3 == 1 && i < 3 * static_cast<std::size_t>(sections[1])) axis[i] = 1;
      if (i % 3 == 2 && i < 3 * static_cast<std::size_t>(sections[2])) axis[i] = 2;
    }
    axis_map m(fn, 3, std::move(axis), frequencies);
    // The t pairs are those left over: their count must be sections[0].
    ROTARY_CHECK(m.pairs_of_axis(0) == sections[0], fn, ": sections [", sections[0], ", ",
                 sections[1], ", ", sections[2], "] leave ", m.pairs_of_axis(0),
                 " pairs to t, not ", sections[0]);
    return m;
  }

  /// ERNIE 4.5 VL: sections (h, w, t) in pairs ([22, 22, 20] for head_dim 128), h == w;
  /// pairs [0, 2h) alternate h (even p) and w (odd p), pairs [2h, rotary_dim/2) take t; the
  /// frequency of pair p is f[p] of the 1-D table; axes (t, h, w) = (0, 1, 2); interleaved
  /// pairing. (HF pre-permutes inv_freq and restacks cos/sin; per pair this is the map.)
  static axis_map ernie_vl(const std::vector<double>& frequencies,
                           const std::vector<int>& sections) {
    const char* fn = "axis_map::ernie_vl";
    ROTARY_CHECK(sections.size() == 3, fn, ": sections must have 3 entries (h, w, t), got ",
                 sections.size());
    check_sections(fn, "sections", sections, frequencies.size(), "rotary_dim / 2");
    ROTARY_CHECK(sections[0] == sections[1], fn,
                 ": the h and w sections alternate, so they must be equal, got ", sections[0],
                 " and ", sections[1]);
    std::vector<int> axis(frequencies.size(), 0);
    for (std::size_t p = 0; p < 2 * static_cast<std::size_t>(sections[0]); ++p)
      axis[p] = p % 2 == 0 ? 1 : 2;
    return axis_map(fn, 3, std::move(axis), frequencies);
  }

  /// FLUX-style axes_dim: axis k owns dims[k] elements (dims[k]/2 pairs) with frequencies
  /// base^(-2j / dims[k]), j = 0, 1, ... restarting per axis.
  static axis_map axes_dim(const std::vector<int>& dims, double base = default_base) {
    const char* fn = "axis_map::axes_dim";
    detail::check_base(fn, base);
    ROTARY_CHECK(!dims.empty() && static_cast<std::ptrdiff_t>(dims.size()) <= max_position_axes, fn,
                 ": dims must have 1 to ", max_position_axes, " entries, got ", dims.size());
    std::vector<int> axis;
    std::vector<double> theta;
    for (std::size_t k = 0; k < dims.size(); ++k) {
      ROTARY_CHECK(dims[k] > 0 && dims[k] % 2 == 0 && dims[k] <= max_rotary_dim, fn, ": dims[", k,
                   "] must be a positive even element count <= ", max_rotary_dim, ", got ",
                   dims[k]);
      for (int j = 0; j < dims[k] / 2; ++j) {
        axis.push_back(static_cast<int>(k));
        theta.push_back(std::pow(base, -2.0 * j / static_cast<double>(dims[k])));
      }
    }
    return axis_map(fn, static_cast<std::ptrdiff_t>(dims.size()), std::move(axis),
                    std::move(theta));
  }

  /// Llama 4's vision encoder: axes (x, y) = (column + 1, row + 1) of a patch, the CLS token
  /// at (0, 0) (the identity: HF sets its angles to 0); pairs [0, head_dim/4) take x and
  /// [head_dim/4, head_dim/2) take y, each with theta^(-2j / (head_dim/2)), j restarting:
  /// axes_dim({head_dim/2, head_dim/2}, theta) with the interleaved pairing (HF's complex
  /// product). HF's Llama4VisionRotaryEmbedding builds the same angles through a
  /// repeat_interleave and a stride-2 slice.
  static axis_map llama4_vision(std::ptrdiff_t head_dim, double theta = default_base) {
    ROTARY_CHECK(head_dim > 0 && head_dim % 4 == 0 && head_dim <= max_rotary_dim,
                 "axis_map::llama4_vision: head_dim must be a positive multiple of 4 <= ",
                 max_rotary_dim, ", got ", head_dim);
    const int half = static_cast<int>(head_dim / 2);
    return axes_dim({half, half}, theta);
  }

  /// Pixtral: the 1-D frequencies of head_dim, even indices to axis 0, odd to axis 1.
  static axis_map pixtral(std::ptrdiff_t head_dim, double base = default_base) {
    const char* fn = "axis_map::pixtral";
    ROTARY_CHECK(head_dim > 0 && head_dim % 4 == 0 && head_dim <= max_rotary_dim, fn,
                 ": head_dim must be a positive multiple of 4 <= ", max_rotary_dim, ", got ",
                 head_dim);
    detail::check_base(fn, base);
    const std::vector<double> f = rope_frequencies(head_dim, base);
    std::vector<int> axis;
    std::vector<double> theta;
    for (int parity = 0; parity < 2; ++parity) {
      for (std::size_t k = static_cast<std::size_t>(parity); k < f.size(); k += 2) {
        axis.push_back(parity);
        theta.push_back(f[k]);
      }
    }
    return axis_map(fn, 2, std::move(axis), std::move(theta));
  }

  std::ptrdiff_t axes() const noexcept { return axes_; }
  std::ptrdiff_t pairs() const noexcept { return static_cast<std::ptrdiff_t>(axis_.size()); }
  std::ptrdiff_t rotary_dim() const noexcept { return 2 * pairs(); }
  int axis(std::ptrdiff_t i) const noexcept { return axis_[static_cast<std::size_t>(i)]; }
  double frequency(std::ptrdiff_t i) const noexcept { return theta_[static_cast<std::size_t>(i)]; }
  const std::vector<int>& axis_of_pairs() const noexcept { return axis_; }
  const std::vector<double>& frequencies() const noexcept { return theta_; }
  std::ptrdiff_t pairs_of_axis(int k) const noexcept {
    std::ptrdiff_t n = 0;
    for (int a : axis_) n += a == k ? 1 : 0;
    return n;
  }

 private:
  axis_map(const char* fn, std::ptrdiff_t axes, std::vector<int> axis_of_pair,
           std::vector<double> frequencies)
      : axes_(axes), axis_(std::move(axis_of_pair)), theta_(std::move(frequencies)) {
    ROTARY_CHECK(axes >= 1 && axes <= max_position_axes, fn, ": axes must be in [1, ",
                 max_position_axes, "], got ", axes);
    detail::check_frequencies(fn, theta_);
    detail::check_rotary_dim(fn, 2 * static_cast<std::ptrdiff_t>(theta_.size()));
    ROTARY_CHECK(axis_.size() == theta_.size(), fn, ": ", axis_.size(), " axis indices for ",
                 theta_.size(), " frequencies (one per pair)");
    for (std::size_t i = 0; i < axis_.size(); ++i) {
      ROTARY_CHECK(axis_[i] >= 0 && axis_[i] < axes, fn, ": axis of pair ", i, " must be in [0, ",
                   axes, "), got ", axis_[i]);
    }
  }

  static void check_sections(const char* fn, const char* name, const std::vector<int>& sections,
                             std::size_t total, const char* unit) {
    ROTARY_CHECK(
        !sections.empty() && static_cast<std::ptrdiff_t>(sections.size()) <= max_position_axes, fn,
        ": ", name, " must have 1 to ", max_position_axes, " entries, got ", sections.size());
    detail::check_rotary_dim(fn, 2 * static_cast<std::ptrdiff_t>(total));
    long long sum = 0;
    for (std::size_t k = 0; k < sections.size(); ++k) {
      ROTARY_CHECK(sections[k] >= 0, fn, ": ", name, "[", k, "] must be >= 0, got ", sections[k]);
      sum += sections[k];
    }
    ROTARY_CHECK(sum == static_cast<long long>(total), fn, ": ", name, " sum to ", sum,
                 ", expected ", unit, " = ", total);
  }

  std::ptrdiff_t axes_;
  std::vector<int> axis_;
  std::vector<double> theta_;
};

}  // namespace rotary
