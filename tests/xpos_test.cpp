// SPDX-License-Identifier: MIT
// xPos (xpos.hpp) against its definition written out here in long double: zeta_i, the
// scaled rotation of queries and keys, the m - n property with q and k rotated in separate
// calls (and a fixed centre), the decay with distance, the inverse by the other role's
// transpose, each storage type's range, and bad parameters. xPos is exempt from the norm
// test: it scales.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "expect_error.hpp"
#include "test_util.hpp"

namespace {

using rotary::pairing;
using rotary::positions;
using rotary::xpos_angles;
using rotary::xpos_role;

constexpr std::ptrdiff_t d = 32, half = 16;
constexpr double gamma_ = 0.4, scale_base = 512.0;

long double zeta(std::ptrdiff_t i) {
  return (2.0L * i / d + gamma_) / (1.0L + gamma_);
}

/// y = zeta^(+-(m - c) / S) R_m x per pair (interleaved), long double.
std::vector<long double> expected(const std::vector<float>& x, std::int64_t m, double c, bool query) {
  const auto theta = rotary::rope_frequencies(d);
  std::vector<long double> y(x.begin(), x.end());
  for (std::ptrdiff_t i = 0; i < half; ++i) {
    const long double e = (query ? 1 : -1) * (static_cast<long double>(m) - c) / scale_base;
    const long double f = std::pow(zeta(i), e);
    const long double a = static_cast<long double>(m) * static_cast<long double>(theta[static_cast<std::size_t>(i)]);
    const long double xa = x[static_cast<std::size_t>(2 * i)], xb = x[static_cast<std::size_t>(2 * i + 1)];
    y[static_cast<std::size_t>(2 * i)] = f * (xa * std::cos(a) - xb * std::sin(a));
    y[static_cast<std::size_t>(2 * i + 1)] = f * (xb * std::cos(a) + xa * std::sin(a));
  }
  return y;
}

std::vector<float> rotated(const xpos_angles<float>& a, std::vector<float> x, std::int64_t m) {
  rotary::rope(a, pairing::interleaved).forward(rotary_test::view3(x, 1, 1, d), positions::from_offset(m));
  return x;
}

TEST(Xpos, ZetaAndTheScaledRotationMatchTheDefinition) {
  const double c = 300.0;
  const xpos_angles<float> q(rotary::rope_frequencies(d), xpos_role::query, c);
  const xpos_angles<float> k(rotary::rope_frequencies(d), xpos_role::key, c);
  for (std::ptrdiff_t i = 0; i < half; ++i) EXPECT_NEAR(q.zeta(i), static_cast<double>(zeta(i)), 4e-16);
  const auto x = rotary_test::random_vector<float>(d, 3);
  for (std::int64_t m : {0, 1, 299, 300, 1000, 5000}) {
    for (bool is_query : {true, false}) {
      const auto y = rotated(is_query ? q : k, x, m);
      const auto e = expected(x, m, c, is_query);
      for (std::ptrdiff_t j = 0; j < d; ++j) {
        const double tol = 4 * std::ldexp(1.0, -24) * std::max(1.0L, std::fabs(e[static_cast<std::size_t>(j)]) * 4);
        EXPECT_NEAR(y[static_cast<std::size_t>(j)], static_cast<double>(e[static_cast<std::size_t>(j)]), tol) << m << " " << j;
      }
    }
  }
}

TEST(Xpos, ScoresDependOnlyOnTheDistanceAndDecay) {
  const double c = 2048.0;  // fixed for the sequence: queries now, keys cached long ago
  const xpos_angles<double> q(rotary::rope_frequencies(d), xpos_role::query, c);
  const xpos_angles<double> k(rotary::rope_frequencies(d), xpos_role::key, c);
  const auto xd = rotary_test::random_vector<double>(d, 5);
  auto score = [&](std::int64_t m, std::int64_t n) {
    std::vector<double> a = xd, b = xd;  // q = k: the decay of RoFormer's section 3.4.3 setting
    rotary::rope(q, pairing::interleaved).forward(rotary_test::view3(a, 1, 1, d), positions::from_offset(m));
    rotary::rope(k, pairing::interleaved).forward(rotary_test::view3(b, 1, 1, d), positions::from_offset(n));
    double s = 0;
    for (std::ptrdiff_t j = 0; j < d; ++j) s += a[static_cast<std::size_t>(j)] * b[static_cast<std::size_t>(j)];
    return s;
  };
  for (std::int64_t distance : {0, 3, 50, 700}) {
    const double s0 = score(100 + distance, 100);
    for (std::int64_t shift : {1, 999, 3900}) {
      EXPECT_NEAR(score(100 + distance + shift, 100 + shift), s0, 1e-12 * std::max(1.0, std::fabs(s0)))
          << distance << " " << shift;
    }
  }
  // The scale alone: with the rotation removed (all-zero frequencies) a pair contributes
  // zeta_i^(distance / S) |x_pair|^2, decreasing with the distance.
  const std::vector<double> zero(half, 0.0);
  const xpos_angles<double> q0(zero, xpos_role::query, c), k0(zero, xpos_role::key, c);
  double previous = 1e300;
  for (std::int64_t distance : {0, 10, 100, 1000, 4000}) {
    std::vector<double> a = xd, b = xd;
    rotary::rope(q0, pairing::interleaved).forward(rotary_test::view3(a, 1, 1, d), positions::from_offset(5000 + distance));
    rotary::rope(k0, pairing::interleaved).forward(rotary_test::view3(b, 1, 1, d), positions::from_offset(5000));
    double s = 0, e = 0;
    for (std::ptrdiff_t i = 0; i < half; ++i) {
      const double p2 = xd[2 * i] * xd[2 * i] + xd[2 * i + 1] * xd[2 * i + 1];
      e += static_cast<double>(std::pow(zeta(i), static_cast<long double>(distance) / scale_base)) * p2;
    }
    for (std::ptrdiff_t j = 0; j < d; ++j) s += a[static_cast<std::size_t>(j)] * b[static_cast<std::size_t>(j)];
    EXPECT_NEAR(s, e, 1e-12 * e) << distance;
    EXPECT_LT(s, previous);
    previous = s;
  }
}

TEST(Xpos, TheOtherRolesTransposeUndoesItAndInverseThrows) {
  const xpos_angles<float> q(rotary::rope_frequencies(d), xpos_role::query, 100.0);
  const xpos_angles<float> k(rotary::rope_frequencies(d), xpos_role::key, 100.0);
  const auto x = rotary_test::random_vector<float>(d, 7);
  std::vector<float> y = rotated(q, x, 900);
  rotary::rope(k, pairing::interleaved).transpose(rotary_test::view3(y, 1, 1, d), positions::from_offset(900));
  for (std::ptrdiff_t j = 0; j < d; ++j) EXPECT_NEAR(y[static_cast<std::size_t>(j)], x[static_cast<std::size_t>(j)], 1e-6);
  std::vector<float> z = x;
  rotary_test::expect_error([&] {
    rotary::rope(q, pairing::interleaved).inverse(rotary_test::view3(z, 1, 1, d), positions::from_offset(1));
  }, "rope::inverse: xPos is not a rotation");
}

TEST(Xpos, EachStorageTypeHasItsRange) {
  const xpos_angles<float> k(rotary::rope_frequencies(d), xpos_role::key, 0.0);
  const double float_max = k.max_distance(static_cast<double>(std::numeric_limits<float>::max()));
  const double half_max = k.max_distance(65504.0);
  // ln(max) / (ln(1.4 / 0.4) / 512): about 36,000 and 4,500.
  EXPECT_NEAR(float_max, 88.7228 / (std::log(3.5) / 512), 1.0);
  EXPECT_NEAR(half_max, std::log(65504.0) / (std::log(3.5) / 512), 1.0);
  std::vector<float> x(d, 0.5f);
  const auto before = x;
  rotary_test::expect_range_error([&] { rotated(k, x, static_cast<std::int64_t>(float_max) + 1); },
                     "the scale overflows the compute type");
  std::vector<rotary::float16> h(d, rotary::float16(0.5f)), out(d);
  const rotary::rope r(k, pairing::interleaved);
  const auto hin = rotary::tensor_view<const rotary::float16, 3>(h.data(), {1, 1, d});
  const auto hout = rotary::tensor_view<rotary::float16, 3>(out.data(), {1, 1, d});
  r.forward(hin, hout, positions::from_offset(static_cast<std::int64_t>(half_max)));  // fits
  for (const auto& v : out) EXPECT_TRUE(std::isfinite(static_cast<float>(v)));
  rotary_test::expect_range_error([&] { r.forward(hin, hout, positions::from_offset(static_cast<std::int64_t>(half_max) + 1)); },
                     "the scale overflows float16");
  EXPECT_TRUE(rotary_test::bitwise_equal(x, before));
  rotary_test::expect_error([] { xpos_angles<float>(rotary::rope_frequencies(8), xpos_role::query, 0.0, 0.0); },
                            "xpos_angles: gamma must be finite and > 0, got 0");
  rotary_test::expect_error([] { xpos_angles<float>(rotary::rope_frequencies(8), xpos_role::query, 0.0, 0.4, -1.0); },
                            "xpos_angles: scale_base must be finite and > 0");
  rotary_test::expect_error([] { xpos_angles<float>(rotary::rope_frequencies(8), xpos_role::query, std::nan("")); },
                            "xpos_angles: centre must be finite");
}

/// rotate_reference covers xPos: the rope against it on both pairings, 1-D and packed
/// positions, with the reference's own inverse and storage-range errors; a rope with a
/// head norm is refused by the reference rather than half-applied.
TEST(Xpos, RotateReferenceCoversIt) {
  constexpr std::ptrdiff_t tokens = 6, heads = 3;
  for (const auto role : {xpos_role::query, xpos_role::key}) {
    const xpos_angles<float> a(rotary::rope_frequencies(d), role, 2000.0);
    for (const auto p : {pairing::interleaved, pairing::half_split}) {
      const rotary::rope r(a, p);
      const auto x = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * heads * d), 11, -2, 2);
      std::vector<float> fast = x, ref(x.size());
      const std::vector<std::int64_t> ids{0, 5, 1999, 2000, 4100, 9000};
      const auto pos = positions::from_ids(ids.data(), tokens);
      r.forward(rotary_test::view3(fast, tokens, heads, d), pos);
      rotary::rotate_reference(r, rotary::direction::forward,
                               rotary::tensor_view<const float, 3>(x.data(), {tokens, heads, d}),
                               rotary_test::view3(ref, tokens, heads, d), pos);
      // Within a few roundings of the head's magnitude (the factors scale it).
      for (std::size_t h = 0; h < x.size(); h += d) {
        float scale = 0;
        for (std::size_t j = h; j < h + d; ++j) scale = std::fmax(scale, std::fabs(ref[j]));
        for (std::size_t j = h; j < h + d; ++j) EXPECT_NEAR(fast[j], ref[j], 4.8e-7 * scale) << j;
      }
    }
  }
  const xpos_angles<float> k(rotary::rope_frequencies(d), xpos_role::key, 0.0);
  const rotary::rope r(k, pairing::interleaved);
  std::vector<float> x(d, 0.5f), y(d, 7.0f);
  const auto in = rotary::tensor_view<const float, 3>(x.data(), {1, 1, d});
  rotary_test::expect_error([&] {
    rotary::rotate_reference(r, rotary::direction::inverse, in, rotary_test::view3(y, 1, 1, d),
                             positions::from_offset(1));
  }, "rotate_reference: xPos is not a rotation");
  std::vector<rotary::float16> h(d, rotary::float16(7.0f));
  const auto past = static_cast<std::int64_t>(k.max_distance(65504.0)) + 1;
  rotary_test::expect_range_error([&] {
    rotary::rotate_reference(r, rotary::direction::forward, in,
                             rotary::tensor_view<rotary::float16, 3>(h.data(), {1, 1, d}),
                             positions::from_offset(past));
  }, "rotate_reference: xPos position");
  for (const auto& v : h) EXPECT_EQ(static_cast<float>(v), 7.0f);
  rotary::rope_options o;
  o.key_norm = rotary::head_norm::unweighted();
  const rotary::cos_sin_table<float> table(8, d);
  rotary_test::expect_error([&] {
    rotary::rotate_reference(rotary::rope(table, pairing::interleaved, o), rotary::direction::forward,
                             in, rotary_test::view3(y, 1, 1, d), positions::from_offset(1));
  }, "rotate_reference: the rope has a query_norm, key_norm or query_scale");
  for (float v : y) EXPECT_EQ(v, 7.0f);
}

/// Random xPos parameters (gamma, scale_base, centre, role), rotary_dim, pairing, partial
/// rotary at an offset, heads and positions, some past the output type's range: the rope
/// against rotate_reference (float out) and two threads bitwise one; positions past the
/// range throw rotary::out_of_range from both, with nothing written.
TEST(Xpos, RandomParametersMatchTheReferenceOrThrowBeforeWriting) {
  std::mt19937_64 rng(1212);
  auto below = [&](std::uint64_t n) { return static_cast<std::int64_t>(rng() % n); };
  for (int trial = 0; trial < 60; ++trial) {
    SCOPED_TRACE(trial);
    const std::ptrdiff_t pairs = 1 + below(64), offset = 2 * below(3);
    const std::ptrdiff_t head_dim = offset + 2 * pairs + 2 * below(2);
    const double gamma = 0.05 + 0.1 * static_cast<double>(below(10));
    const double scale_base = 64.0 * static_cast<double>(1 + below(16));
    const double centre = static_cast<double>(below(5000)) + (below(2) ? 0.5 : 0.0);
    const auto role = below(2) ? xpos_role::query : xpos_role::key;
    const xpos_angles<float> a(rotary::rope_frequencies(2 * pairs), role, centre, gamma, scale_base);
    const pairing p = below(2) ? pairing::interleaved : pairing::half_split;
    rotary::rope_options o;
    o.rotary_offset = offset;
    const rotary::rope r(a, p, o);
    o.execution = rotary::execution{2, 1};
    const rotary::rope r2(a, p, o);
    const std::ptrdiff_t n = 1 + below(30), heads = 1 + below(4);
    const double reach = a.max_distance(65504.0);  // float16's: inside float's too
    const bool past = below(4) == 0;
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
    for (auto& m : ids) {
      const double lo = std::fmax(0.0, centre - reach), hi = centre + reach;
      m = static_cast<std::int64_t>(std::ceil(lo)) + below(static_cast<std::uint64_t>(hi - lo));
    }
    if (past) ids[static_cast<std::size_t>(below(static_cast<std::uint64_t>(n)))] = static_cast<std::int64_t>(centre + a.max_distance(static_cast<double>(std::numeric_limits<float>::max()))) + 1;
    const auto pos = positions::from_ids(ids.data(), n);
    const auto x = rotary_test::random_vector<float>(static_cast<std::size_t>(n * heads * head_dim), rng());
    const rotary::tensor_view<const float, 3> in(x.data(), {n, heads, head_dim});
    std::vector<float> fast(x.size(), 9.0f), threaded(x.size(), 9.0f), ref(x.size(), 9.0f);
    auto out = [&](std::vector<float>& v) { return rotary_test::view3(v, n, heads, head_dim); };
    std::vector<rotary::float16> h(x.size(), rotary::float16(9.0f));
    const rotary::tensor_view<rotary::float16, 3> hout(h.data(), {n, heads, head_dim});
    if (past) {
      rotary_test::expect_range_error([&] { r.forward(in, out(fast), pos); }, "the scale overflows");
      rotary_test::expect_range_error([&] {
        rotary::rotate_reference(r, rotary::direction::forward, in, out(ref), pos);
      }, "the scale overflows");
      rotary_test::expect_range_error([&] { r.forward(in, hout, pos); }, "the scale overflows");
      for (std::size_t j = 0; j < x.size(); ++j) {
        ASSERT_EQ(fast[j], 9.0f);
        ASSERT_EQ(ref[j], 9.0f);
        ASSERT_EQ(static_cast<float>(h[j]), 9.0f);
      }
      continue;
    }
    r.forward(in, out(fast), pos);
    r2.forward(in, out(threaded), pos);
    rotary::rotate_reference(r, rotary::direction::forward, in, out(ref), pos);
    r.forward(in, hout, pos);  // inside float16's range: finite
    ASSERT_TRUE(rotary_test::bitwise_equal(fast, threaded));
    for (std::size_t t = 0; t < x.size(); t += static_cast<std::size_t>(head_dim)) {
      float scale = 0;
      for (std::size_t j = t; j < t + static_cast<std::size_t>(head_dim); ++j) scale = std::fmax(scale, std::fabs(ref[j]));
      for (std::size_t j = t; j < t + static_cast<std::size_t>(head_dim); ++j) {
        ASSERT_NEAR(fast[j], ref[j], 4.8e-7 * scale) << j;
        ASSERT_TRUE(std::isfinite(static_cast<float>(h[j]))) << j;
      }
    }
  }
}

}  // namespace
