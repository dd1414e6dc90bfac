// SPDX-License-Identifier: MIT
// on_the_fly_angles: its level path (positions [0, 2^31), rows combined in double) against
// the exact per-pair path (detail::cos_sin_of_angle) rounded to C, its fallback outside that
// range, and the same results across calls, copies and threads. Accuracy against an exact
// oracle is in tests/accuracy (it needs __float128).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "expect_error.hpp"

namespace {

using levels = rotary::detail::angle_levels;

/// Level boundaries, runs of consecutive positions across them, and random positions
/// below 2^31 (uniform and log-uniform): about 3000 in all.
std::vector<std::int64_t> level_positions() {
  std::vector<std::int64_t> m;
  for (std::int64_t edge : {std::int64_t{0}, std::int64_t{1} << 10, std::int64_t{1} << 20,
                            std::int64_t{3} << 20, (std::int64_t{1} << 31) - 64}) {
    for (std::int64_t d = -64; d < 64; ++d) {
      if (edge + d >= 0 && edge + d < levels::end) m.push_back(edge + d);
    }
  }
  m.push_back(levels::end - 1);
  std::mt19937_64 rng(8);
  std::uniform_int_distribution<std::int64_t> uniform(0, levels::end - 1);
  std::uniform_real_distribution<double> log_uniform(0.0, 31.0);
  for (int k = 0; k < 1200; ++k) m.push_back(uniform(rng));
  for (int k = 0; k < 1200; ++k) {
    m.push_back(static_cast<std::int64_t>(std::exp2(log_uniform(rng))));
  }
  return m;
}

std::vector<std::vector<double>> frequency_sets() {
  return {rotary::rope_frequencies(128), rotary::rope_frequencies(128, 500000.0),
          rotary::rope_frequencies(80, 1e6), {2.5, 1e-7, 3.0, 1.0}};
}

template <class C>
struct row {
  std::vector<C> cos, sin;
};

/// The source's row for m, through a fresh reader into a scratch of exactly rotary_dim.
template <class C>
row<C> source_row(const rotary::on_the_fly_angles<C>& source, std::int64_t m) {
  const std::size_t h = source.frequencies().size();
  std::vector<C> scratch(2 * h);
  const C* c = nullptr;
  const C* s = nullptr;
  source.make_reader().coefficients(m, scratch.data(), c, s);
  return {std::vector<C>(c, c + h), std::vector<C>(s, s + h)};
}

/// cos_sin_of_angle (the exact per-pair path) rounded to C.
template <class C>
row<C> exact_row(const std::vector<double>& theta, std::int64_t m) {
  row<C> r{std::vector<C>(theta.size()), std::vector<C>(theta.size())};
  for (std::size_t i = 0; i < theta.size(); ++i) {
    const auto [c, s] = rotary::detail::cos_sin_of_angle(m, theta[i]);
    r.cos[i] = static_cast<C>(c);
    r.sin[i] = static_cast<C>(s);
  }
  return r;
}

template <class C>
bool same_bits(C a, C b) {
  return std::memcmp(&a, &b, sizeof(C)) == 0;
}

/// Before rounding to float, the level path and the exact path agree to 2^-50 = 8 u
/// (u = 2^-53; measured 3.5 u, see the double test below), so their floats differ only where
/// the exact path's double lies within 8 u of the midpoint between two adjacent floats: a
/// probability of about 16 u / 2^-24 = 2^-25 per value (0.03 expected among the 10^6 values
/// here; none seen). So: bitwise equal but for such values, and there the two floats are
/// neighbours with the exact path's double within 8 u of their midpoint.
TEST(OnTheFlyTest, FloatLevelPathEqualsExactPathRoundedToFloat) {
  const double u = std::ldexp(1.0, -53);
  std::size_t values = 0, differing = 0;
  for (const auto& theta : frequency_sets()) {
    const rotary::on_the_fly_angles<float> source(theta);
    for (std::int64_t m : level_positions()) {
      const row<float> got = source_row(source, m);
      for (std::size_t i = 0; i < theta.size(); ++i) {
        const auto [c, s] = rotary::detail::cos_sin_of_angle(m, theta[i]);
        for (auto [value, exact] : {std::pair<float, double>{got.cos[i], c}, {got.sin[i], s}}) {
          ++values;
          if (same_bits(value, static_cast<float>(exact))) continue;
          ++differing;
          const float rounded = static_cast<float>(exact);
          EXPECT_EQ(value, std::nextafter(rounded, value)) << "m = " << m << ", i = " << i;
          const double midpoint = (static_cast<double>(value) + static_cast<double>(rounded)) / 2;
          EXPECT_LE(std::fabs(exact - midpoint), 8 * u) << "m = " << m << ", i = " << i;
        }
      }
    }
  }
  RecordProperty("values", std::to_string(values));
  RecordProperty("differing", std::to_string(differing));
  EXPECT_LE(differing, values / 100000) << differing << " of " << values;
}

/// Double: the two paths differ by a few ulps (each is within 2^-50 of the exact value).
TEST(OnTheFlyTest, DoubleLevelPathWithinTwoToMinus50OfExactPath) {
  double worst = 0.0;
  std::size_t values = 0, equal = 0;
  for (const auto& theta : frequency_sets()) {
    const rotary::on_the_fly_angles<double> source(theta);
    for (std::int64_t m : level_positions()) {
      const row<double> got = source_row(source, m);
      const row<double> exact = exact_row<double>(theta, m);
      for (std::size_t i = 0; i < theta.size(); ++i) {
        worst = std::max({worst, std::fabs(got.cos[i] - exact.cos[i]),
                          std::fabs(got.sin[i] - exact.sin[i])});
        equal += (got.cos[i] == exact.cos[i]) + (got.sin[i] == exact.sin[i]);
        values += 2;
      }
    }
  }
  RecordProperty("max_difference_ulps", std::to_string(std::ldexp(worst, 53)));
  RecordProperty("bitwise_equal_fraction",
                 std::to_string(static_cast<double>(equal) / static_cast<double>(values)));
  EXPECT_LE(worst, std::ldexp(1.0, -50));
}

/// Positions below 2^10 read one fine row, combined with the middle row 0 = (1, 0): the
/// product by 1 and 0 is exact, so they are the exact path rounded to C, bit for bit.
template <class C>
void expect_first_rows_exact() {
  for (const auto& theta : frequency_sets()) {
    const rotary::on_the_fly_angles<C> source(theta);
    for (std::int64_t m = 0; m < levels::fine_rows; ++m) {
      const row<C> got = source_row(source, m);
      const row<C> exact = exact_row<C>(theta, m);
      ASSERT_EQ(std::memcmp(got.cos.data(), exact.cos.data(), theta.size() * sizeof(C)), 0) << m;
      ASSERT_EQ(std::memcmp(got.sin.data(), exact.sin.data(), theta.size() * sizeof(C)), 0) << m;
    }
  }
}

TEST(OnTheFlyTest, FirstRowsAreTheExactPathFloat) { expect_first_rows_exact<float>(); }
TEST(OnTheFlyTest, FirstRowsAreTheExactPathDouble) { expect_first_rows_exact<double>(); }

/// Outside [0, 2^31): the exact per-pair path, bit for bit.
template <class C>
void expect_fallback_is_exact_path() {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::vector<std::int64_t> positions = {levels::end, levels::end + 1, levels::end + 1023,
                                         std::int64_t{1} << 32, (std::int64_t{1} << 32) + 5,
                                         std::int64_t{1} << 40, std::int64_t{1} << 62,
                                         max, max - 1, -1, -2, -1024, -(std::int64_t{1} << 31),
                                         -(std::int64_t{1} << 40), min, min + 1};
  std::mt19937_64 rng(31);
  for (int k = 0; k < 200; ++k) {
    const auto r = static_cast<std::int64_t>(rng() >> (rng() % 33));
    positions.push_back(r < levels::end ? -r - 1 : r);
  }
  for (const auto& theta : frequency_sets()) {
    const rotary::on_the_fly_angles<C> source(theta);
    for (std::int64_t m : positions) {
      const row<C> got = source_row(source, m);
      const row<C> exact = exact_row<C>(theta, m);
      ASSERT_EQ(std::memcmp(got.cos.data(), exact.cos.data(), theta.size() * sizeof(C)), 0) << m;
      ASSERT_EQ(std::memcmp(got.sin.data(), exact.sin.data(), theta.size() * sizeof(C)), 0) << m;
    }
  }
}

TEST(OnTheFlyTest, FallbackIsTheExactPathFloat) { expect_fallback_is_exact_path<float>(); }
TEST(OnTheFlyTest, FallbackIsTheExactPathDouble) { expect_fallback_is_exact_path<double>(); }

/// Skipping the coarse level below 2^20 is exact: its row 0 is (1, 0), and the three-level
/// combination with it equals the two-level one bit for bit.
TEST(OnTheFlyTest, CoarseRowZeroChangesNothing) {
  const auto theta = rotary::rope_frequencies(64);
  std::vector<rotary::detail::frequency_turns> turns;
  for (double t : theta) turns.push_back(rotary::detail::frequency_turns_of(t));
  const auto table = rotary::detail::make_angle_levels(turns);
  const std::size_t h = theta.size();
  auto row_at = [&](std::int64_t r) { return table.data() + static_cast<std::size_t>(r) * 2 * h; };
  for (std::int64_t m : {std::int64_t{0}, std::int64_t{1}, std::int64_t{1023}, std::int64_t{1024},
                         std::int64_t{777777}, (std::int64_t{1} << 20) - 1}) {
    ASSERT_EQ(levels::coarse_row(m), levels::fine_rows + levels::middle_rows);
    for (bool as_float : {false, true}) {
      const double* coarse = row_at(levels::coarse_row(m));
      const double* middle = row_at(levels::middle_row(m));
      const double* fine = row_at(levels::fine_row(m));
      if (as_float) {
        std::vector<float> two(2 * h), three(2 * h);
        rotary::detail::add_angles(middle, fine, h, two.data());
        rotary::detail::add_angles(coarse, middle, fine, h, three.data());
        EXPECT_EQ(std::memcmp(two.data(), three.data(), two.size() * sizeof(float)), 0) << m;
      } else {
        std::vector<double> two(2 * h), three(2 * h);
        rotary::detail::add_angles(middle, fine, h, two.data());
        rotary::detail::add_angles(coarse, middle, fine, h, three.data());
        EXPECT_EQ(std::memcmp(two.data(), three.data(), two.size() * sizeof(double)), 0) << m;
      }
    }
  }
}

/// The reader writes scratch[0, rotary_dim) and nothing past it, on both paths.
TEST(OnTheFlyTest, WritesOnlyItsScratch) {
  const rotary::on_the_fly_angles<float> source(10);
  for (std::int64_t m : {std::int64_t{5}, std::int64_t{5000}, std::int64_t{5} << 20,
                         std::int64_t{-5}, std::int64_t{5} << 40}) {
    std::vector<float> scratch(10 + 16, -7.0f);
    const float* c = nullptr;
    const float* s = nullptr;
    source.make_reader().coefficients(m, scratch.data(), c, s);
    EXPECT_EQ(c, scratch.data());
    EXPECT_EQ(s, scratch.data() + 5);
    for (std::size_t k = 10; k < scratch.size(); ++k) EXPECT_EQ(scratch[k], -7.0f) << m;
  }
}

/// The same rows from every call, every reader, a copy, a second source and 4 threads.
TEST(OnTheFlyTest, SameRowsAcrossCallsCopiesAndThreads) {
  const rotary::on_the_fly_angles<float> source(96, 500000.0);
  const rotary::on_the_fly_angles<float> copy = source;  // NOLINT: the copy is the test
  const rotary::on_the_fly_angles<float> again(96, 500000.0);
  std::vector<std::int64_t> positions = level_positions();
  positions.push_back(-3);
  positions.push_back(std::int64_t{1} << 45);
  const std::size_t n = positions.size();
  auto rows_of = [&](const rotary::on_the_fly_angles<float>& s, std::vector<float>& out) {
    const auto reader = s.make_reader();
    std::vector<float> scratch(96);
    out.assign(n * 96, 0.0f);
    for (std::size_t k = 0; k < n; ++k) {
      const float* c = nullptr;
      const float* sn = nullptr;
      reader.coefficients(positions[k], scratch.data(), c, sn);
      std::memcpy(out.data() + k * 96, c, 48 * sizeof(float));
      std::memcpy(out.data() + k * 96 + 48, sn, 48 * sizeof(float));
    }
  };
  std::vector<float> expected, second, from_copy, from_again;
  rows_of(source, expected);
  rows_of(source, second);
  rows_of(copy, from_copy);
  rows_of(again, from_again);
  EXPECT_EQ(std::memcmp(expected.data(), second.data(), expected.size() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(expected.data(), from_copy.data(), expected.size() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(expected.data(), from_again.data(), expected.size() * sizeof(float)), 0);
  std::vector<std::vector<float>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) threads.emplace_back([&] { rows_of(source, out); });
  for (auto& t : threads) t.join();
  for (const auto& out : per_thread) {
    EXPECT_EQ(std::memcmp(expected.data(), out.data(), expected.size() * sizeof(float)), 0);
  }
}

/// A rope over on_the_fly_angles gives the same bits with 1 and 4 threads, at positions on
/// the level path and past it.
TEST(OnTheFlyTest, RopeBitwiseEqualAcrossThreadCounts) {
  const std::ptrdiff_t tokens = 40, heads = 6, head_dim = 64;
  const rotary::on_the_fly_angles<float> source(head_dim);
  std::vector<float> x(static_cast<std::size_t>(tokens * heads * head_dim));
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : x) v = dist(rng);
  for (std::int64_t offset : {std::int64_t{1000}, (std::int64_t{1} << 31) - 20}) {
    std::vector<float> one = x, four = x;
    rotary::rope_options options;
    const rotary::rope single(source, rotary::pairing::half_split, options);
    options.execution = rotary::threads(4);
    options.execution.min_elements_per_thread = 0;
    const rotary::rope threaded(source, rotary::pairing::half_split, options);
    single.forward(rotary::tensor_view<float, 3>(one.data(), {tokens, heads, head_dim}),
                   rotary::positions::from_offset(offset));
    threaded.forward(rotary::tensor_view<float, 3>(four.data(), {tokens, heads, head_dim}),
                     rotary::positions::from_offset(offset));
    EXPECT_EQ(std::memcmp(one.data(), four.data(), one.size() * sizeof(float)), 0) << offset;
  }
}

// The (rotary_dim, base) constructor used to report its errors as "rope_frequencies".
TEST(OnTheFlyErrorTest, MessagesNameOnTheFlyAngles) {
  rotary_test::expect_error([] { rotary::on_the_fly_angles<float> a(7); },
                            "on_the_fly_angles: rotary_dim must be even, got 7");
  rotary_test::expect_error([] { rotary::on_the_fly_angles<double> a(-4); },
                            "on_the_fly_angles: rotary_dim must be positive, got -4");
  rotary_test::expect_error(
      [] { rotary::on_the_fly_angles<float> a(rotary::max_rotary_dim + 2); },
      "on_the_fly_angles: rotary_dim must be <= 1048576 (max_rotary_dim), got 1048578");
  rotary_test::expect_error(
      [] { rotary::on_the_fly_angles<float> a(8, std::numeric_limits<double>::quiet_NaN()); },
      "on_the_fly_angles: base must be finite and > 0, got nan");
}

// Caller frequencies obey max_rotary_dim / 2 pairs, as a rotary_dim does: more used to
// build a 4096-row level table of them (32 GiB at 2^19 pairs already).
TEST(OnTheFlyErrorTest, TooManyCallerFrequencies) {
  const std::size_t limit = static_cast<std::size_t>(rotary::max_rotary_dim / 2);
  rotary_test::expect_error(
      [&] { rotary::on_the_fly_angles<float> a(std::vector<double>(limit + 1, 0.5)); },
      "on_the_fly_angles: frequencies must hold at most 524288 values (max_rotary_dim / 2 "
      "pairs), got 524289");
}

}  // namespace
