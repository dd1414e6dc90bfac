// SPDX-License-Identifier: MIT
#pragma once
/// Sinusoidal absolute position encoding, Vaswani et al. 2017 (arXiv:1706.03762), §3.5:
///   PE(pos, 2i) = sin(pos / base^(2i/d)),  PE(pos, 2i+1) = cos(pos / base^(2i/d)),
/// base = 10000, added to the token embeddings. It has no table and no maximum length.
/// Its frequencies base^(-2i/d) are RoPE's theta_i (RoFormer eq. 15), so the angles are
/// formed and reduced in double exactly as the RoPE tables do (detail::cos_sin_of_angle).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../angles.hpp"
#include "../frequencies.hpp"
#include "detail.hpp"

namespace rotary {

class sinusoidal_encoding {
 public:
  /// Throws rotary::invalid_argument (naming sinusoidal_encoding and dim) for an odd or
  /// non-positive dim, one past max_rotary_dim, or a bad base.
  explicit sinusoidal_encoding(std::ptrdiff_t dim, double base = default_base)
      : dim_(dim),
        base_(base),
        inv_freq_(detail::rope_frequencies_for("sinusoidal_encoding", "dim", dim, base)) {}

  std::ptrdiff_t dim() const noexcept { return dim_; }
  double base() const noexcept { return base_; }

  /// out[0, dim) = PE(position, 0..dim-1). \pre position >= 0 (any size).
  template <class C>
  void row(std::int64_t position, C* out) const noexcept {
    for (std::size_t i = 0; i < inv_freq_.size(); ++i) {
      const auto [c, s] = detail::cos_sin_of_angle(position, inv_freq_[i]);
      out[2 * i] = static_cast<C>(s);
      out[2 * i + 1] = static_cast<C>(c);
    }
  }

  /// x[t][h][j] += PE(pos_t, j) for every head h: the per-head form the attention hook uses
  /// (x: [tokens][heads][dim], any strides). Throws rotary::invalid_argument when
  /// x.extent(2) != dim() or for bad positions.
  template <class T>
  void add(tensor_view<T, 3> x, const positions& pos) const {
    detail::check_encoding_input("sinusoidal_encoding::add", x, dim_, pos);
    std::vector<compute_type_t<T>> buffer(static_cast<std::size_t>(dim_));
    detail::add_rows(x, pos, dim_, buffer.data(),
                     [this](std::int64_t m, compute_type_t<T>* r) { row(m, r); });
  }
  /// x[t][j] += PE(pos_t, j): embeddings [tokens][dim] (Vaswani §3.5).
  template <class T>
  void add(tensor_view<T, 2> x, const positions& pos) const {
    add(detail::as_one_head(x), pos);
  }

 private:
  std::ptrdiff_t dim_;
  double base_;
  std::vector<double> inv_freq_;
};

}  // namespace rotary
