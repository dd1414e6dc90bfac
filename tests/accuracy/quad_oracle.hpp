// SPDX-License-Identifier: MIT
// The oracle of the accuracy tests: cos and sin of the exact real product m * theta in
// __float128 (GCC's libquadmath, 113-bit significand).
//
//   x = m theta                exact: bits(m) + 53 <= 113 (|m| < 2^60, or m = j 2^k, j small)
//   k = nearest(x / 2 pi)      any nearby integer does; |x| < 2^67 keeps |k| < 2^65
//   r = x - k P1 - k P2 - ... - k P6,  2 pi = P1 + ... + P6 + O(2^-306), P_j of 48 bits,
// so every k P_j is exact (|k| < 2^65), x - k P1 and the next subtraction are exact (Sterbenz)
// or round below 2^-109, the later ones round at ulp(pi) / 2 = 2^-112: |r - (x - 2 pi k)|
// <= 2^-107. cosq and sinq are within a few quad ulps (2^-112): the oracle's error is below
// 2^-105, far below the 2^-50 double and 2^-24 float bounds it checks
// (oracle_error_bound; the OracleSelfCheck tests check the constants and agree with
// libquadmath's own reduction inside cosq/sinq to that bound).
#pragma once

#include <quadmath.h>

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

namespace rotary_accuracy {

__extension__ typedef __float128 quad;

/// 2 pi = sum of these + O(2^-306); each has 48 significant bits.
inline constexpr double two_pi_chunks[6] = {
    0x1.921fb54442d20p+2,   -0x1.ee59d9cceba40p-48,  0x1.b839a252049c0p-102,
    0x1.114cf98e80420p-154, -0x1.1056713b19380p-203, 0x1.28a5043cc71a0p-252};

inline constexpr double oracle_error_bound = 0x1p-105;

/// Significant bits of |m| (from its highest to its lowest set bit).
inline int significant_bits(std::int64_t m) {
  std::uint64_t u = m < 0 ? 0 - static_cast<std::uint64_t>(m) : static_cast<std::uint64_t>(m);
  if (u == 0) return 0;
  while ((u & 1) == 0) u >>= 1;
  int bits = 0;
  while (u != 0) u >>= 1, ++bits;
  return bits;
}

/// True when the oracle below is exact for m theta: the product has no rounding and the
/// multiple k of 2 pi has at most 65 bits (each k P_j exact).
inline bool oracle_exact_for(std::int64_t m, double theta) {
  return significant_bits(m) + 53 <= 113 &&
         fabsq(static_cast<quad>(m) * static_cast<quad>(theta)) < static_cast<quad>(0x1p67);
}

/// 2 pi rounded to quad (the chunks summed from the smallest).
inline quad two_pi_quad() {
  quad sum = 0;
  for (int j = 5; j >= 0; --j) sum += static_cast<quad>(two_pi_chunks[j]);
  return sum;
}

/// x - 2 pi k for the exact quad x, k the integer nearest x / (2 pi).
inline quad reduce_exact(quad x) {
  const quad k = nearbyintq(x / two_pi_quad());
  quad r = x;
  for (double chunk : two_pi_chunks) r -= k * static_cast<quad>(chunk);
  return r;
}

/// (cos(m theta), sin(m theta)) of the exact real product. \pre oracle_exact_for(m, theta).
inline std::pair<quad, quad> oracle_cos_sin(std::int64_t m, double theta) {
  const quad r = reduce_exact(static_cast<quad>(m) * static_cast<quad>(theta));
  return {cosq(r), sinq(r)};
}

/// cos and sin of m theta_i for m = 0, 1, 2, ... in turn, every i at once, in quad: the
/// oracle at every multiple of 1024, rotated by e^{i theta_i} (the oracle at m = 1) in
/// between. Each step rounds at a few quad ulps, so after at most 1023 steps the drift is
/// below 2^-100 (OracleSelfCheck checks it against the oracle at the next multiple).
class dense_oracle {
 public:
  explicit dense_oracle(std::vector<double> theta)
      : theta_(std::move(theta)), cos_(theta_.size()), sin_(theta_.size()),
        step_cos_(theta_.size()), step_sin_(theta_.size()) {
    for (std::size_t i = 0; i < theta_.size(); ++i) {
      std::tie(step_cos_[i], step_sin_[i]) = oracle_cos_sin(1, theta_[i]);
    }
    seed();
  }
  std::int64_t position() const { return m_; }
  const std::vector<quad>& cos() const { return cos_; }
  const std::vector<quad>& sin() const { return sin_; }
  /// Rotates every value by one more position, without reseeding.
  void rotate() {
    ++m_;
    for (std::size_t i = 0; i < theta_.size(); ++i) {
      const quad c = cos_[i] * step_cos_[i] - sin_[i] * step_sin_[i];
      sin_[i] = sin_[i] * step_cos_[i] + cos_[i] * step_sin_[i];
      cos_[i] = c;
    }
  }
  /// The next position: rotated, or the oracle itself at multiples of 1024.
  void advance() {
    if ((m_ + 1) % 1024 == 0) {
      ++m_;
      seed();
    } else {
      rotate();
    }
  }

 private:
  void seed() {
    for (std::size_t i = 0; i < theta_.size(); ++i) {
      std::tie(cos_[i], sin_[i]) = oracle_cos_sin(m_, theta_[i]);
    }
  }
  std::vector<double> theta_;
  std::vector<quad> cos_, sin_, step_cos_, step_sin_;
  std::int64_t m_ = 0;
};

}  // namespace rotary_accuracy
