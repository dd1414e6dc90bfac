// SPDX-License-Identifier: MIT
#pragma once
/// Precomputed cos/sin tables: cos_sin_table (owning, growable) and cos_sin_view
/// (read-only view over a table or over the caller's own cache).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "angle_model.hpp"
#include "angle_source.hpp"
#include "angles.hpp"
#include "error.hpp"
#include "frequencies.hpp"
#include "scaling/result.hpp"

namespace rotary {

/// Read-only view of a cos/sin table: for position m (a row) and pair i < rotary_dim/2,
///   cos(m theta_i) = cos_data[m * row_stride + i],  sin(m theta_i) = sin_data[m * row_stride + i].
/// Layouts of common caches, all [rows][rotary_dim] row-major:
///   - rotary's own table and vLLM's cos_sin_cache: each row is [cos_0..cos_{h-1} | sin_0..sin_{h-1}]
///     -> cos_sin_view(cache, cache + h, rows, rotary_dim, rotary_dim)   (h = rotary_dim/2);
///   - HF transformers' cos and sin caches (emb = cat(freqs, freqs), so each half repeats)
///     -> cos_sin_view(cos, sin, rows, rotary_dim, rotary_dim): only the first half is read.
template <class C>
class cos_sin_view {
  static_assert(std::is_same_v<C, const float> || std::is_same_v<C, const double>,
                "cos_sin_view: C must be const float or const double");

 public:
  using value_type = std::remove_const_t<C>;

  cos_sin_view() = default;

  /// Throws rotary::invalid_argument for an odd or non-positive rotary_dim, negative rows,
  /// a row_stride smaller than rotary_dim/2, or null data with rows > 0.
  cos_sin_view(C* cos_data, C* sin_data, std::ptrdiff_t rows, std::ptrdiff_t rotary_dim,
               std::ptrdiff_t row_stride)
      : cos_(cos_data), sin_(sin_data), rows_(rows), half_(rotary_dim / 2), stride_(row_stride) {
    detail::check_rotary_dim("cos_sin_view", rotary_dim);
    ROTARY_CHECK(rows >= 0, "cos_sin_view: rows must be >= 0, got ", rows);
    ROTARY_CHECK(row_stride >= half_, "cos_sin_view: row_stride must be >= rotary_dim/2 = ", half_,
                 ", got ", row_stride);
    ROTARY_CHECK(rows == 0 || (cos_data != nullptr && sin_data != nullptr),
                 "cos_sin_view: cos and sin data must not be null when rows = ", rows);
    ROTARY_CHECK(rows <= std::numeric_limits<std::ptrdiff_t>::max() / row_stride,
                 "cos_sin_view: rows x row_stride overflows, got ", rows, " x ", row_stride);
  }

  /// For views a cos_sin_table makes of itself: already valid, so no checks per call.
  struct unchecked_tag {};
  cos_sin_view(unchecked_tag, C* cos_data, C* sin_data, std::ptrdiff_t rows,
               std::ptrdiff_t half) noexcept
      : cos_(cos_data), sin_(sin_data), rows_(rows), half_(half), stride_(2 * half) {}

  std::ptrdiff_t rows() const noexcept { return rows_; }
  std::ptrdiff_t rotary_dim() const noexcept { return 2 * half_; }
  std::ptrdiff_t row_stride() const noexcept { return stride_; }
  C* cos_row(std::int64_t m) const noexcept { return cos_ + m * stride_; }
  C* sin_row(std::int64_t m) const noexcept { return sin_ + m * stride_; }

  /// Throws rotary::out_of_range unless 0 <= min_position and max_position < rows().
  void check_position_range(const char* function, std::int64_t min_position,
                            std::int64_t max_position) const {
    ROTARY_CHECK_RANGE(min_position >= 0, function, ": position must be >= 0, got ", min_position);
    ROTARY_CHECK_RANGE(max_position < rows_, function, ": position ", max_position,
                       " is past the end of the cos/sin table (rows = ", rows_, ")");
  }

  /// What the kernels read per token: a view reads its rows in place.
  void coefficients(std::int64_t m, value_type*, C*& cos, C*& sin) const noexcept {
    cos = cos_row(m);
    sin = sin_row(m);
  }
  const cos_sin_view& make_reader() const noexcept { return *this; }

 private:
  C* cos_ = nullptr;
  C* sin_ = nullptr;
  std::ptrdiff_t rows_ = 0;
  std::ptrdiff_t half_ = 0;
  std::ptrdiff_t stride_ = 0;
};

namespace detail {
template <class C>
struct is_angle_view<cos_sin_view<C>> : std::true_type {};
}  // namespace detail

/// Owning cos/sin table for positions [0, rows), built once and reused; row m holds
/// [cos(m theta_0) .. cos(m theta_{h-1}) | sin(m theta_0) .. sin(m theta_{h-1})].
/// Every cos/sin is of the exact angle m * theta_i, reduced without rounding the product and
/// rounded to C only at the end (see detail::cos_sin_of_angle): |error| <= 2^-24 for float,
/// 1.5 x 2^-53 for double, against cos/sin of the exact m * theta_i.
///
/// Other angle models (angle_model.hpp) reproduce HF's or ggml's float32 rounding instead.
///
/// RoPE has no maximum length: grow() extends the table. The rotation kernels read a table
/// through a const view and never grow it. grow() reallocates, so it must not run while
/// another thread reads the table or holds a view of it (views are invalidated).
template <class C>
class cos_sin_table {
  static_assert(std::is_same_v<C, float> || std::is_same_v<C, double>,
                "cos_sin_table: C must be float or double");

 public:
  using value_type = C;

  /// Table of `rows` positions with theta_i = base^(-2i/rotary_dim).
  /// Throws rotary::invalid_argument (naming cos_sin_table) for an odd, non-positive or too
  /// large rotary_dim, a bad base, negative rows, or rows x rotary_dim values past what a
  /// std::vector<C> can hold, before anything is allocated.
  cos_sin_table(std::ptrdiff_t rotary_dim, std::ptrdiff_t rows, double base = default_base)
      : cos_sin_table(checked_frequencies(rotary_dim, rows, base), rows) {}

  /// Table of `rows` positions with caller-supplied frequencies theta_i (one per pair).
  cos_sin_table(std::vector<double> frequencies, std::ptrdiff_t rows)
      : cos_sin_table(std::move(frequencies), rows, 1.0) {}

  /// Table of a scaling scheme (scaling.hpp): its frequencies, and its cos/sin factor A in
  /// every row (A cos(m theta_i), A sin(m theta_i), rounded once), so that forward gives
  /// A R_m x and transpose A R_m^T x, as HF's cos and sin caches do; a rope's inverse
  /// divides by A (rope.hpp). The softmax-scale multiplier is the attention's to apply.
  cos_sin_table(const scaled_frequencies& f, std::ptrdiff_t rows)
      : cos_sin_table(f.inv_freq, rows, f.attention_factor) {}

  /// Frequencies and a cos/sin factor (finite, > 0) given separately.
  cos_sin_table(std::vector<double> frequencies, std::ptrdiff_t rows, double attention_factor)
      : cos_sin_table(std::move(frequencies), rows, attention_factor, rotary::angle_model::exact) {}

  /// Rows computed by an angle model (angle_model.hpp): exact, or hf_f32 (HF's float32
  /// arithmetic; with hf_f32_frequencies for HF's float32 inv_freq). ggml's model is built
  /// from its own parameters (the next constructor).
  cos_sin_table(std::vector<double> frequencies, std::ptrdiff_t rows, double attention_factor,
                rotary::angle_model model)
      : theta_(std::move(frequencies)), attention_factor_(attention_factor), model_(model) {
    detail::check_frequencies("cos_sin_table", theta_);
    detail::check_positive_finite("cos_sin_table", "attention_factor", attention_factor);
    ROTARY_CHECK(model == rotary::angle_model::exact || model == rotary::angle_model::hf_f32,
                 "cos_sin_table: angle_model ", to_string(model),
                 " is built from ggml_rope_parameters, not from frequencies");
    grow_to("cos_sin_table", rows);
  }
  cos_sin_table(const scaled_frequencies& f, std::ptrdiff_t rows, rotary::angle_model model)
      : cos_sin_table(f.inv_freq, rows, f.attention_factor, model) {}

  /// ggml's rope cache (angle_model::ggml): rows by ggml's float recurrence. frequencies()
  /// are its nominal frequencies in double, attention_factor() its mscale.
  cos_sin_table(const ggml_rope_parameters& p, std::ptrdiff_t rows)
      : ggml_((check_rows("cos_sin_table", rows), detail::ggml_rope_plan(p))),
        model_(rotary::angle_model::ggml) {
    theta_ = ggml_->frequencies();
    attention_factor_ = static_cast<double>(ggml_->mscale);
    grow_to("cos_sin_table", rows);
  }

  /// Extends the table to at least `rows` positions; computes only the new rows.
  /// Not safe against concurrent readers; invalidates views.
  /// Throws rotary::invalid_argument for negative rows or rows x rotary_dim values past what
  /// a std::vector<C> can hold (nothing changes then).
  void grow(std::ptrdiff_t rows) { grow_to("cos_sin_table::grow", rows); }

  std::ptrdiff_t rows() const noexcept { return rows_; }
  std::ptrdiff_t rotary_dim() const noexcept {
    return static_cast<std::ptrdiff_t>(2 * theta_.size());
  }
  const std::vector<double>& frequencies() const noexcept { return theta_; }
  /// The cos/sin factor A in every row (1 unless the table was built with one).
  double attention_factor() const noexcept { return attention_factor_; }
  /// How the rows were computed.
  rotary::angle_model angle_model() const noexcept { return model_; }
  const C* data() const noexcept { return data_.data(); }

  /// A view of the current rows. grow() invalidates it; a rope object that holds the table
  /// takes a fresh view on every call.
  cos_sin_view<const C> view() const {
    using view_type = cos_sin_view<const C>;
    const std::ptrdiff_t half = rotary_dim() / 2;
    if (rows_ == 0)
      return view_type(typename view_type::unchecked_tag{}, nullptr, nullptr, 0, half);
    return view_type(typename view_type::unchecked_tag{}, data_.data(), data_.data() + half, rows_,
                     half);
  }
  void check_position_range(const char* function, std::int64_t min_position,
                            std::int64_t max_position) const {
    view().check_position_range(function, min_position, max_position);
  }
  cos_sin_view<const C> make_reader() const { return view(); }
  operator cos_sin_view<const C>() const { return view(); }  // NOLINT: implicit by design

 private:
  static void check_rows(const char* function, std::ptrdiff_t rows) {
    ROTARY_CHECK(rows >= 0, function, ": rows must be >= 0, got ", rows);
  }
  /// rows x (2 half) values fit a std::vector<C> (checked by division: never overflows).
  static void check_size(const char* function, std::ptrdiff_t rows, std::size_t half) {
    ROTARY_CHECK(static_cast<std::size_t>(rows) <= std::vector<C>().max_size() / (2 * half),
                 function, ": rows x rotary_dim must fit a std::vector, got rows = ", rows,
                 " x rotary_dim = ", 2 * half);
  }
  /// The (rotary_dim, rows, base) constructor's checks, all made before its frequencies
  /// are allocated, then its frequencies.
  static std::vector<double> checked_frequencies(std::ptrdiff_t rotary_dim, std::ptrdiff_t rows,
                                                 double base) {
    detail::check_rotary_dim("cos_sin_table", rotary_dim);
    detail::check_base("cos_sin_table", base);
    check_rows("cos_sin_table", rows);
    check_size("cos_sin_table", rows, static_cast<std::size_t>(rotary_dim / 2));
    return detail::rope_frequencies_for("cos_sin_table", "rotary_dim", rotary_dim, base);
  }

  /// grow(rows) for `function` (a constructor or grow), which the messages name.
  void grow_to(const char* function, std::ptrdiff_t rows) {
    check_rows(function, rows);
    if (rows <= rows_) return;
    const std::size_t half = theta_.size();
    check_size(function, rows, half);
    data_.resize(static_cast<std::size_t>(rows) * 2 * half);
    if (model_ != rotary::angle_model::exact) {
      grow_modeled(rows);
      return;
    }
    std::vector<detail::frequency_turns> turns(half);  // theta_i / (2 pi), once per grow
    for (std::size_t i = 0; i < half; ++i) turns[i] = detail::frequency_turns_of(theta_[i]);
    for (std::ptrdiff_t m = rows_; m < rows; ++m) {
      C* row = data_.data() + static_cast<std::size_t>(m) * 2 * half;
      for (std::size_t i = 0; i < half; ++i) {
        // = detail::cos_sin_of_angle(m, theta_[i])
        const auto [c, s] = detail::exact_cos_sin(m, turns[i]);
        row[i] = static_cast<C>(attention_factor_ * c);  // A = 1: exactly c
        row[half + i] = static_cast<C>(attention_factor_ * s);
      }
    }
    rows_ = rows;
  }

  /// Rows [rows_, rows) of the hf_f32 or ggml model (data_ already sized).
  void grow_modeled(std::ptrdiff_t rows) {
    const std::size_t half = theta_.size();
    std::vector<float> c(half), s(half);
    for (std::ptrdiff_t m = rows_; m < rows; ++m) {
      if (model_ == rotary::angle_model::ggml) {
        ggml_->row(m, c.data(), s.data());
      } else {
        for (std::size_t i = 0; i < half; ++i) {
          detail::hf_f32_cos_sin(m, theta_[i], attention_factor_, c[i], s[i]);
        }
      }
      C* row = data_.data() + static_cast<std::size_t>(m) * 2 * half;
      for (std::size_t i = 0; i < half; ++i) {
        row[i] = static_cast<C>(c[i]);
        row[half + i] = static_cast<C>(s[i]);
      }
    }
    rows_ = rows;
  }

  std::vector<double> theta_;
  std::optional<detail::ggml_rope_plan> ggml_;
  double attention_factor_ = 1.0;
  rotary::angle_model model_ = rotary::angle_model::exact;
  std::vector<C> data_;
  std::ptrdiff_t rows_ = 0;
};

}  // namespace rotary
