// SPDX-License-Identifier: MIT
#pragma once
/// mrope_positions: the (t, h, w) positions of a text + image + video sequence, as Qwen2-VL
/// and Qwen2.5-VL number them (HF's get_rope_index), for a rope over multi_axis_angles.
///
///   rotary::mrope_positions pos;          // time_step 1: Qwen2-VL
///   pos.text(5).grid(1, 2, 3).text(2);    // 5 text tokens, a 2 x 3 image, 2 text tokens
///   rope.forward(x, pos.view());          // x: [pos.tokens()][heads][head_dim]
///
/// Numbering (each segment starts at s = 1 + the largest position so far, 0 at first):
///   text(n):          token j at (s + j, s + j, s + j)
///   grid(T, H, W):    frame f, row r, column c (LLM tokens, after the vision encoder's
///                     spatial merge; row-major within a frame) at
///                     (s + f x time_step, s + r, s + c)
/// time_step is the t distance between frames: 1 for Qwen2-VL; Qwen2.5-VL uses
/// tokens_per_second x second_per_grid_t (its vision config's tokens_per_second, e.g.
/// 2 x 0.25 s = 0.5). HF truncates the product to an integer, so a step below 1 gives every
/// frame the same t (transformers PR #48669); here it stays fractional unless integer_time
/// is set.
/// Throws rotary::invalid_argument for a non-finite or negative time_step or a negative
/// count; positions are doubles (exact integers below 2^53).

#include <cmath>
#include <cstddef>
#include <vector>

#include "error.hpp"
#include "positions.hpp"

namespace rotary {

class mrope_positions {
 public:
  explicit mrope_positions(double time_step = 1.0, bool integer_time = false)
      : step_(time_step), integer_time_(integer_time) {
    ROTARY_CHECK(std::isfinite(time_step) && time_step >= 0.0,
                 "mrope_positions: time_step must be finite and >= 0, got ", time_step);
  }

  /// n text tokens.
  mrope_positions& text(std::ptrdiff_t n) {
    ROTARY_CHECK(n >= 0, "mrope_positions::text: n must be >= 0, got ", n);
    const double s = next_start();
    for (std::ptrdiff_t j = 0; j < n; ++j) {
      const double p = s + static_cast<double>(j);
      add(p, p, p);
    }
    return *this;
  }

  /// A grid of frames x rows x cols tokens (an image is one frame).
  mrope_positions& grid(std::ptrdiff_t frames, std::ptrdiff_t rows, std::ptrdiff_t cols) {
    ROTARY_CHECK(frames >= 0 && rows >= 0 && cols >= 0,
                 "mrope_positions::grid: frames, rows and cols must be >= 0, got ", frames, ", ",
                 rows, ", ", cols);
    const double s = next_start();
    for (std::ptrdiff_t f = 0; f < frames; ++f) {
      double t = static_cast<double>(f) * step_;
      if (integer_time_) t = std::trunc(t);
      for (std::ptrdiff_t r = 0; r < rows; ++r) {
        for (std::ptrdiff_t c = 0; c < cols; ++c) {
          add(s + t, s + static_cast<double>(r), s + static_cast<double>(c));
        }
      }
    }
    return *this;
  }

  std::ptrdiff_t tokens() const noexcept { return static_cast<std::ptrdiff_t>(data_.size() / 3); }
  /// [tokens][3] (t, h, w) per token.
  const std::vector<double>& token_major() const noexcept { return data_; }
  /// The positions of every token so far (valid while this object lives and is unchanged).
  rotary::positions view() const noexcept {
    return rotary::positions::token_major(data_.data(), tokens(), 3);
  }

 private:
  double next_start() const noexcept { return data_.empty() ? 0.0 : std::floor(max_) + 1.0; }
  void add(double t, double h, double w) {
    data_.insert(data_.end(), {t, h, w});
    max_ = std::fmax(max_, std::fmax(t, std::fmax(h, w)));
  }

  double step_;
  bool integer_time_;
  double max_ = 0.0;
  std::vector<double> data_;
};

}  // namespace rotary
