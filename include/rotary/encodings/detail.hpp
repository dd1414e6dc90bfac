// SPDX-License-Identifier: MIT
#pragma once
/// Helpers shared by the encodings: the per-token walk over [tokens][heads][dim] views and a
/// portable seeded initialiser for learned tables.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../element_type.hpp"
#include "../error.hpp"
#include "../positions.hpp"
#include "../view.hpp"

namespace rotary {
namespace detail {

/// A [tokens][d] embedding seen as [tokens][1][d], so one code path serves both forms.
template <class T>
tensor_view<T, 3> as_one_head(tensor_view<T, 2> x) noexcept {
  return tensor_view<T, 3>(x.data(), {x.extent(0), 1, x.extent(1)},
                           {x.stride(0), x.extent(1) * x.stride(1), x.stride(1)});
}

/// Checks x ([tokens][heads][dim]) against the encoding's dim and validates the positions.
/// Returns the largest position (-1 when there are no tokens).
template <class T>
std::int64_t check_encoding_input(const char* function, const tensor_view<T, 3>& x,
                                  std::ptrdiff_t dim, const positions& pos) {
  static_check_element_type<T>();
  for (std::size_t r = 0; r < 3; ++r) {
    ROTARY_CHECK(x.extent(r) >= 0, function, ": x extent ", r, " must be >= 0, got ", x.extent(r));
  }
  ROTARY_CHECK(x.extent(2) == dim, function, ": x has dim (last extent) ", x.extent(2),
               ", the encoding has dim ", dim);
  ROTARY_CHECK(x.data() != nullptr || x.size() == 0, function, ": x data must not be null");
  const auto range = pos.validate(function, x.extent(0));
  return x.extent(0) > 0 ? range.second : -1;
}

/// Adds row(m) (dim values, computed once per token) to every head of each token.
template <class T, class RowFn>
void add_rows(const tensor_view<T, 3>& x, const positions& pos, std::ptrdiff_t dim,
              compute_type_t<T>* row, RowFn&& fill_row) {
  pos.for_each(0, x.extent(0), [&](std::ptrdiff_t t, std::int64_t m) {
    fill_row(m, row);
    for (std::ptrdiff_t h = 0; h < x.extent(1); ++h) {
      for (std::ptrdiff_t j = 0; j < dim; ++j) x(t, h, j) += row[j];
    }
  });
}

/// splitmix64 (Steele, Lea, Flood 2014): a tiny generator whose output is the same on
/// every platform, unlike std::*_distribution. Used to initialise learned tables.
class seeded_uniform {
 public:
  explicit seeded_uniform(std::uint64_t seed) noexcept : state_(seed) {}
  /// Uniform in [-scale, scale), from the top 53 bits of the next output.
  double next(double scale) noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    const double unit = static_cast<double>(z >> 11) * 0x1.0p-53;  // [0, 1)
    return scale * (2.0 * unit - 1.0);
  }

 private:
  std::uint64_t state_;
};

}  // namespace detail
}  // namespace rotary
