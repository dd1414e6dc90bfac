// SPDX-License-Identifier: MIT
#pragma once
/// Test oracle: the dense block-diagonal rotation matrix R^d_{Theta,m} of RoFormer eq. (15),
/// built in long double and applied as a plain matrix-vector product. It shares no code with
/// the library: its own frequencies (powl), its own angles (cosl/sinl of m * theta in long
/// double) and no sparsity tricks.
///
/// For a head of head_dim elements, the rotated slice is [offset, offset + rotary_dim);
/// pair i (i < rotary_dim/2) is the element pair
///   interleaved: (offset + 2i, offset + 2i + 1)     (RoFormer eq. 15 as written)
///   half:        (offset + i,  offset + i + d/2)    (GPT-NeoX / HF rotate_half)
/// and its 2x2 block is [cos -sin; sin cos] of the angle m * theta_i. Every other element
/// has a 1 on the diagonal (passes through).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <rotary/pairing.hpp>

namespace rotary_test {
namespace oracle {

using real = long double;

/// theta_i = base^(-2i/rotary_dim), i in [0, rotary_dim/2), in long double.
inline std::vector<real> frequencies(std::ptrdiff_t rotary_dim, real base = 10000.0L) {
  std::vector<real> theta(static_cast<std::size_t>(rotary_dim / 2));
  for (std::size_t i = 0; i < theta.size(); ++i) {
    theta[i] = std::pow(base, -2.0L * static_cast<real>(i) / static_cast<real>(rotary_dim));
  }
  return theta;
}

/// Dense head_dim x head_dim matrix, row-major: R[r * head_dim + c].
class rotation_matrix {
 public:
  rotation_matrix(rotary::pairing p, std::ptrdiff_t head_dim, std::ptrdiff_t rotary_offset,
                  const std::vector<real>& theta, std::int64_t m)
      : n_(head_dim), r_(static_cast<std::size_t>(head_dim * head_dim), 0.0L) {
    for (std::ptrdiff_t e = 0; e < n_; ++e) at(e, e) = 1.0L;
    const std::ptrdiff_t half = static_cast<std::ptrdiff_t>(theta.size());
    for (std::ptrdiff_t i = 0; i < half; ++i) {
      const std::ptrdiff_t a =
          rotary_offset + (p == rotary::pairing::interleaved ? 2 * i : i);
      const std::ptrdiff_t b = a + (p == rotary::pairing::interleaved ? 1 : half);
      const real angle = static_cast<real>(m) * theta[static_cast<std::size_t>(i)];
      const real c = std::cos(angle), s = std::sin(angle);
      at(a, a) = c;
      at(a, b) = -s;
      at(b, a) = s;
      at(b, b) = c;
    }
  }

  real& at(std::ptrdiff_t row, std::ptrdiff_t col) {
    return r_[static_cast<std::size_t>(row * n_ + col)];
  }
  real at(std::ptrdiff_t row, std::ptrdiff_t col) const {
    return r_[static_cast<std::size_t>(row * n_ + col)];
  }

  /// y = R x (or R^T x), x of head_dim elements.
  template <class T>
  std::vector<real> apply(const T* x, bool transpose = false) const {
    std::vector<real> y(static_cast<std::size_t>(n_), 0.0L);
    for (std::ptrdiff_t row = 0; row < n_; ++row) {
      real sum = 0.0L;
      for (std::ptrdiff_t col = 0; col < n_; ++col) {
        sum += (transpose ? at(col, row) : at(row, col)) * static_cast<real>(x[col]);
      }
      y[static_cast<std::size_t>(row)] = sum;
    }
    return y;
  }

 private:
  std::ptrdiff_t n_;
  std::vector<real> r_;
};

}  // namespace oracle
}  // namespace rotary_test
