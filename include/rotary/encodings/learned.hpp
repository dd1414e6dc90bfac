// SPDX-License-Identifier: MIT
#pragma once
/// Learned absolute position encoding (BERT, GPT-2): a trainable table P of
/// max_positions x dim rows, P[pos] added to the embedding of a token at position pos.
/// Its drawback, and the reason RoPE exists: a position >= max_positions has no row, so
/// such an input is an error (rotary::out_of_range), not an extrapolation.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "detail.hpp"

namespace rotary {

template <class C>
class learned_position_encoding {
  static_assert(std::is_same_v<C, float> || std::is_same_v<C, double>,
                "learned_position_encoding: C must be float or double");

 public:
  using value_type = C;

  /// Table initialised deterministically from `seed`: entries uniform in
  /// [-init_scale, init_scale) (the same values on every platform).
  learned_position_encoding(std::ptrdiff_t max_positions, std::ptrdiff_t dim,
                            std::uint64_t seed = 0, double init_scale = 0.02)
      : max_positions_(max_positions), dim_(dim) {
    ROTARY_CHECK(max_positions > 0, "learned_position_encoding: max_positions must be > 0, got ",
                 max_positions);
    ROTARY_CHECK(dim > 0, "learned_position_encoding: dim must be > 0, got ", dim);
    // max_positions x dim is computed only once it is known to fit (and so does every
    // position x dim offset below it that row() and add() form).
    ROTARY_CHECK(static_cast<std::size_t>(max_positions) <=
                     table_.max_size() / static_cast<std::size_t>(dim),
                 "learned_position_encoding: max_positions x dim must fit a std::vector, got ",
                 max_positions, " x ", dim);
    table_.resize(static_cast<std::size_t>(max_positions) * static_cast<std::size_t>(dim));
    detail::seeded_uniform rng(seed);
    for (C& w : table_) w = static_cast<C>(rng.next(init_scale));
  }

  std::ptrdiff_t max_positions() const noexcept { return max_positions_; }
  std::ptrdiff_t dim() const noexcept { return dim_; }
  /// The table, [max_positions][dim] row-major.
  const C* data() const noexcept { return table_.data(); }
  C* data() noexcept { return table_.data(); }

  /// Replaces the table with the caller's [max_positions][dim] row-major values.
  void load(const C* values) {
    ROTARY_CHECK(values != nullptr, "learned_position_encoding::load: values must not be null");
    std::copy(values, values + table_.size(), table_.begin());
  }

  /// Row of `position`. Throws rotary::out_of_range unless 0 <= position < max_positions.
  const C* row(std::int64_t position) const {
    check_position("learned_position_encoding::row", position);
    return table_.data() + position * dim_;
  }

  /// x[t][h][j] += P[pos_t][j] for every head h (x: [tokens][heads][dim]).
  /// Throws rotary::out_of_range for a position >= max_positions (before writing anything),
  /// rotary::invalid_argument for x.extent(2) != dim().
  template <class T>
  void add(tensor_view<T, 3> x, const positions& pos) const {
    static_assert(std::is_same_v<std::remove_const_t<T>, C>,
                  "learned_position_encoding::add: x must have the table's element type");
    const std::int64_t hi =
        detail::check_encoding_input("learned_position_encoding::add", x, dim_, pos);
    if (x.extent(0) > 0) check_position("learned_position_encoding::add", hi);
    pos.for_each(0, x.extent(0), [&](std::ptrdiff_t t, std::int64_t m) {
      const C* r = table_.data() + m * dim_;
      for (std::ptrdiff_t h = 0; h < x.extent(1); ++h) {
        for (std::ptrdiff_t j = 0; j < dim_; ++j) x(t, h, j) += r[j];
      }
    });
  }
  /// x[t][j] += P[pos_t][j]: embeddings [tokens][dim].
  template <class T>
  void add(tensor_view<T, 2> x, const positions& pos) const {
    add(detail::as_one_head(x), pos);
  }

 private:
  void check_position(const char* function, std::int64_t position) const {
    ROTARY_CHECK_RANGE(position >= 0, function, ": position must be >= 0, got ", position);
    ROTARY_CHECK_RANGE(position < max_positions_, function, ": position ", position,
                       " >= max_positions = ", max_positions_,
                       " (a learned table has no rows past its training length)");
  }

  std::ptrdiff_t max_positions_;
  std::ptrdiff_t dim_;
  std::vector<C> table_;
};

}  // namespace rotary
