// SPDX-License-Identifier: MIT
#pragma once
/// cos and sin of the exact real product m * theta (m any int64, theta a finite double),
/// rounded to double at the end: the angle m * theta is never rounded before it is reduced.
///
///   1. frequency_turns_of(theta): w = w0 + w1 + w2 + w3 = theta / (2 pi), theta times a
///      four-double expansion of 1 / (2 pi) (about 217 bits), relative error <= 2^-205.
///   2. fractional_turns(m, w): f = m w - n, n the nearest integer, as a double-double in
///      [-1/2, 1/2]. m = m1 + m0 (m1 a multiple of 2^32) splits into two exact doubles, every
///      product m_j w_k that matters is split exactly by a two-product (std::fma) and every
///      fractional part x - nearbyint(x) is exact, so the only errors are the truncations
///      (1/(2 pi) after four parts, the smallest products rounded) and the double-double sum:
///      for every int64 m, |f - frac(m theta / (2 pi))| <= 2^-97 + 2^-125 |theta|.
///   3. cos_sin_of_turns(f): r = 2 pi f as a double-double r_hi + r_lo (|r_hi| <= pi + 2^-40,
///      |r_lo| <= 2^-52, |r - 2 pi f| <= 2^-100), then cos r = cos r_hi - r_lo sin r_hi and
///      sin r = sin r_hi + r_lo cos r_hi (the dropped r_lo^2 / 2 is below 2^-105).
///
/// Error bound of the result against cos and sin of the exact real m * theta: the libm error
/// of cos(r_hi), sin(r_hi) (lambda ulp; glibc documents at most 1 ulp, tests/accuracy
/// measures the whole result within 1.0 ulp), plus half an ulp for the final fused add, plus
/// 2 pi times the turn error for the angle: (lambda + 1/2) ulp + 2^-94 + 2^-122 |theta|, i.e.
/// at most 1.5 x 2^-53 (+ 2^-90) absolute for |theta| <= 2^32, every int64 m (|m theta| up
/// to 2^95), as every |cos|, |sin| <= 1. The angle term grows with |theta| (2^-62 at
/// |theta| = 2^60) and past |theta| ~ 2^960 the products overflow (NaN).
///
/// NOTE: this needs IEEE double arithmetic as written. -ffast-math (-fassociative-math)
/// rewrites two_sum's (a - (s - b)) into 0 and loses every correction term, so the angle is
/// rounded again (errors of 2^-53 |m theta| come back); -ffinite-math-only is harmless here.
/// Doubles must be evaluated in double (FLT_EVAL_METHOD 0, as on x86-64 and AArch64): x87
/// excess precision (32-bit x86 without SSE2) would break two_sum the same way.
/// FMA contraction (-ffp-contract=fast, the GCC default) changes nothing: every product that
/// rounds is an explicit std::fma or an exact two-product, so every build gives the same bits
/// (for the same libm cos and sin).

#include <cmath>
#include <cstdint>
#include <utility>

namespace rotary {
namespace detail {

/// hi + lo, |lo| <= ulp(hi) / 2 where it comes from two_sum or two_product.
struct double_double {
  double hi;
  double lo;
};

/// hi + lo = a + b exactly, hi = fl(a + b) (Knuth's TwoSum, any a, b).
/// NOTE: -ffast-math (-fassociative-math) simplifies lo to 0, and every exact sum here
/// becomes a rounded one: the angle error returns to 2^-53 |m theta|. Not supported.
inline double_double two_sum(double a, double b) noexcept {
  const double s = a + b;
  const double b_part = s - a;
  const double a_part = s - b_part;
  return {s, (a - a_part) + (b - b_part)};
}

/// hi + lo = a + b exactly, hi = fl(a + b), for |a| >= |b| or a = 0 (Dekker's Fast2Sum).
/// NOTE: like two_sum, broken by -ffast-math.
inline double_double fast_two_sum(double a, double b) noexcept {
  const double s = a + b;
  return {s, b - (s - a)};
}

/// hi + lo = a * b exactly, hi = fl(a * b) (no underflow). std::fma is exact everywhere: one
/// instruction with hardware FMA, a (slower) correctly rounded library call without.
inline double_double two_product(double a, double b) noexcept {
  const double p = a * b;
  return {p, std::fma(a, b, -p)};
}

/// x - nearest_integer(x): exact, in [-1/2, 1/2] (0 for |x| >= 2^52, which are integers).
inline double fractional_part(double x) noexcept { return x - std::nearbyint(x); }

/// theta / (2 pi) = w[0] + w[1] + w[2] + w[3], with |w[1]| <= 2^-52 |w[0]|,
/// |w[2]| <= 2^-104 |w[0]| and |w[3]| <= 2^-156 |w[0]|.
struct frequency_turns {
  double w[4];
};

/// w = theta * (p0 + p1 + p2 + p3), p the four-double expansion of 1 / (2 pi):
///   theta p_k = h_k + l_k exactly (k < 3), and
///   w0 = h0,  w1 + e1 = l0 + h1,  w2 + e3 = e1 + (t = fl(l1 + h2)), e2 = l1 + h2 - t,
///   w3 = fl(theta p3 + fl(fl(e2 + e3) + l2))   (every split exact; only w3's sum rounds).
/// Relative error <= 2^-205: 1/(2 pi) - (p0 + ... + p3) is 2^-217 relative, and w3 rounds
/// at 2^-53 of terms below 2^-155 |theta / (2 pi)|.
inline frequency_turns frequency_turns_of(double theta) noexcept {
  // 1 / (2 pi) = p0 + p1 + p2 + p3 + O(2^-219), each p_k the double nearest to the rest.
  constexpr double p0 = 0x1.45f306dc9c883p-3;
  constexpr double p1 = -0x1.6b01ec5417056p-57;
  constexpr double p2 = -0x1.6447e493ad4cep-111;
  constexpr double p3 = 0x1.e21c820ff28b2p-165;
  const double_double t0 = two_product(theta, p0);
  const double_double t1 = two_product(theta, p1);
  const double_double t2 = two_product(theta, p2);
  const double_double w1 = two_sum(t0.lo, t1.hi);
  const double_double t = two_sum(t1.lo, t2.hi);
  const double_double w2 = two_sum(w1.lo, t.hi);
  return {{t0.hi, w1.hi, w2.hi, std::fma(theta, p3, (t.lo + w2.lo) + t2.lo)}};
}

/// A sum of doubles kept as an unevaluated double-double hi + lo: each add() is exact into
/// hi (two_sum) with its error gathered in lo; add_small() goes to lo directly.
class turn_sum {
 public:
  explicit turn_sum(double first) noexcept : hi_(first) {}
  /// sum += v.
  void add(double v) noexcept {
    const double_double s = two_sum(hi_, v);
    hi_ = s.hi;
    lo_ += s.lo;
  }
  /// sum += v for |v| far below 1 (rounded into lo at 2^-53 |lo|).
  void add_small(double v) noexcept { lo_ += v; }
  /// sum += frac(a b) for the exact product a b: frac(hi) + frac(lo) of its two-product,
  /// frac(x) = x - nearest integer (each exact; the dropped integers are whole turns).
  void add_fraction_of_product(double a, double b) noexcept {
    const double_double p = two_product(a, b);
    add(fractional_part(p.hi));
    add(fractional_part(p.lo));
  }
  /// sum - n, n the integer nearest to hi: |result| <= 1/2 + |lo|, normalized.
  double_double fraction() const noexcept { return two_sum(fractional_part(hi_), lo_); }

 private:
  double hi_;
  double lo_ = 0.0;
};

/// f = m (w0 + w1 + w2 + w3) - n, n an integer, |f| <= 1/2 + 2^-48: the turns of m theta
/// with the whole turns dropped. m = m1 + m0, m1 = 2^32 trunc(m / 2^32), m0 = m - m1 (both
/// exact doubles: |m1| <= 2^63 with 31 significant bits, |m0| < 2^32), and mod 1
///   f = frac(m0 w0) + frac(m0 w1) + [m0 w2 + fl(m) w3]                       (m1 = 0)
///     + frac(m1 w0) + frac(m1 w1) + frac(m1 w2)                            (m1 != 0),
/// each frac(a b) of an exact two-product; the bracket is below 2^-71 |w0| and summed plainly.
/// Error, for every int64 m: |f - frac(m theta / (2 pi))| <= 2^-97 + 2^-125 |theta| (the
/// bracket's roundings 2^-123 |w0|, the sum's roundings 2^-98, the truncation of w
/// 2^-142 |w0|); 2^-94 for |theta| <= 2^28. Past |theta| ~ 2^960 the products overflow.
inline double_double fractional_turns(std::int64_t m, const frequency_turns& turns) noexcept {
  constexpr std::int64_t two_32 = std::int64_t{1} << 32;
  const std::int64_t high = m / two_32;  // m = high 2^32 + low, |low| < 2^32, both exact
  const double m1 = static_cast<double>(high) * 0x1p32;
  const double m0 = static_cast<double>(m % two_32);
  const double_double p0 = two_product(m0, turns.w[0]);
  const double_double p1 = two_product(m0, turns.w[1]);  // |p1| <= 2^-20 |w0|
  turn_sum sum(fractional_part(p0.hi));
  sum.add(fractional_part(p0.lo));
  sum.add(fractional_part(p1.hi));
  // |p1.lo| <= 2^-73 |w0|, |m0 w2| <= 2^-72 |w0|, |m w3| <= 2^-93 |w0|: no whole turns.
  sum.add_small(p1.lo + std::fma(m0, turns.w[2], static_cast<double>(m) * turns.w[3]));
  if (m1 != 0.0) {  // |m| >= 2^32; for the others these terms are 0
    sum.add_fraction_of_product(m1, turns.w[0]);
    sum.add_fraction_of_product(m1, turns.w[1]);
    const double_double p2 = two_product(m1, turns.w[2]);  // |p2| <= 2^-41 |w0|
    sum.add(fractional_part(p2.hi));
    sum.add_small(p2.lo);
  }
  return sum.fraction();
}

/// The largest |p| fractional_turns_of_real accepts (the rope checks it): 2^53, where
/// doubles stop holding every integer.
inline constexpr double max_real_position = 0x1p53;

/// f = p (w0 + w1 + w2 + w3) - n for a real position p (a double, |p| <= 2^53): the turns of
/// the exact real product p theta, whole turns dropped. The same steps as fractional_turns
/// with m0 = p (exact: p is a double), so an integer-valued p below 2^32 gives bitwise the
/// same f as the integer m = p:
///   f = frac(p w0) + frac(p w1) + [p w2 + p w3],  |p w2| <= 2^-51 |w0|, summed plainly.
/// Error: |f - frac(p theta / (2 pi))| <= 2^-97 + 2^-104 |theta| (the bracket's rounding is
/// 2^-53 of 2^-51 |w0| = 2^-104 |w0| at |p| = 2^53; below 2^32 it is fractional_turns').
inline double_double fractional_turns_of_real(double p, const frequency_turns& turns) noexcept {
  const double_double p0 = two_product(p, turns.w[0]);
  const double_double p1 = two_product(p, turns.w[1]);
  turn_sum sum(fractional_part(p0.hi));
  sum.add(fractional_part(p0.lo));
  sum.add(fractional_part(p1.hi));
  sum.add_small(p1.lo + std::fma(p, turns.w[2], p * turns.w[3]));
  return sum.fraction();
}

/// (cos 2 pi f, sin 2 pi f) for f = f.hi + f.lo, |f| <= 1/2 + 2^-48:
///   r_hi + r_lo = 2 pi f  (2 pi = c0 + c1 + O(2^-107); c0 f.hi split exactly),
///   cos = cos(r_hi) - r_lo sin(r_hi),  sin = sin(r_hi) + r_lo cos(r_hi)  (one fused rounding).
inline std::pair<double, double> cos_sin_of_turns(double_double f) noexcept {
  constexpr double c0 = 0x1.921fb54442d18p+2;   // 2 pi rounded to double
  constexpr double c1 = 0x1.1a62633145c07p-52;  // 2 pi - c0, rounded
  const double_double p = two_product(c0, f.hi);
  const double tail = std::fma(c0, f.lo, std::fma(c1, f.hi, p.lo));
  const double_double r = fast_two_sum(p.hi, tail);  // |p.hi| >= |tail| or p.hi = 0
  const double c = std::cos(r.hi);
  const double s = std::sin(r.hi);
  return {std::fma(-s, r.lo, c), std::fma(c, r.lo, s)};
}

/// (cos(m theta), sin(m theta)) of the exact real product m theta, theta = turns * 2 pi.
inline std::pair<double, double> exact_cos_sin(std::int64_t m,
                                               const frequency_turns& turns) noexcept {
  return cos_sin_of_turns(fractional_turns(m, turns));
}

}  // namespace detail
}  // namespace rotary
