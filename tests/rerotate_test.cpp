// SPDX-License-Identifier: MIT
// Re-rotation of cached keys between angle sources (rerotate.hpp) and the dynamic NTK
// schedule: every switch checked against rotating the unrotated keys with the new
// frequencies from scratch, written out here in long double.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <rotary/rerotate.hpp>
#include <rotary/rope.hpp>
#include <rotary/storage.hpp>

#include "expect_error.hpp"
#include "oracles/rotated_keys.hpp"

namespace {

using rotary::pairing;
using rotary::scaled_frequencies;
using rotary_test::expect_error;
using rotary_test::max_error;
using rotary_test::random_keys;
using rotary_test::rotated;
using rotary_test::shape;
using rotary_test::stored;

scaled_frequencies longrope(double scale, std::ptrdiff_t rotary_dim, double a) {
  return rotary_test::longrope_like(scale, rotary_dim, a);
}

TEST(Rerotation, IsTheDifferenceOfFrequenciesAndTheRatioOfFactors) {
  const auto from = longrope(0.01, 8, 1.25), to = longrope(0.5, 8, 1.5);
  const auto r = rotary::rerotation(from, to);
  ASSERT_EQ(r.inv_freq.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(r.inv_freq[i], to.inv_freq[i] - from.inv_freq[i]);
  EXPECT_EQ(r.attention_factor, 1.5 / 1.25);
  EXPECT_EQ(r.softmax_scale_factor, 1.0);
}

TEST(Rerotation, BadPairsGiveErrors) {
  const auto a = longrope(0.1, 8, 1.0);
  expect_error([&] { rotary::rerotation(a, longrope(0.1, 16, 1.0)); },
               "rerotation: from and to must rotate the same number of pairs, got 4 and 8");
  auto b = a;
  b.pair_distance = 64;
  expect_error([&] { rotary::rerotation(a, b); },
               "rerotation: from and to must have the same pair_distance, got 0 and 64");
  b = a;
  b.attention_factor = 0.0;
  expect_error([&] { rotary::rerotation(a, b); }, "rerotation: to.attention_factor must be finite and > 0");
  b = a;
  b.inv_freq[2] = NAN;
  expect_error([&] { rotary::rerotation(a, b); }, "rerotation: frequencies[2] must be finite");
}

// rerotate_keys's errors name rerotate_keys: the frequencies' checks and the rotation's
// (a rotary_dim past head_dim), before a key is written. It lives in the ISA namespace.
TEST(Rerotation, RerotateKeysErrorsNameIt) {
  std::vector<float> keys(2 * 16, 0.25f);
  const rotary::tensor_view<float, 3> k(keys.data(), {2, 1, 16});
  const auto p = rotary::positions::from_offset(3);
  expect_error([&] { rotary::rerotate_keys(k, p, longrope(0.1, 8, 1.0), longrope(0.1, 16, 1.0),
                                           pairing::half_split); },
               "rerotate_keys: from and to must rotate the same number of pairs, got 4 and 8");
  expect_error([&] { rotary::rerotate_keys(k, p, longrope(0.1, 32, 1.0), longrope(0.5, 32, 1.0),
                                           pairing::half_split); },
               "rerotate_keys: ");
  EXPECT_EQ(keys, std::vector<float>(keys.size(), 0.25f));
  void (*f)(rotary::tensor_view<float, 3>, const rotary::positions&, const scaled_frequencies&,
            const scaled_frequencies&, pairing, rotary::rope_options) =
      &rotary::ROTARY_ISA_NAMESPACE::rerotate_keys<float>;
  EXPECT_EQ(f, &rotary::rerotate_keys<float>);
}

// LongRoPE short -> long on a cache, both pairings, partial rotary at an offset: equal to
// rotating the raw keys with the long factors, to one rounding of the storage type.
template <class T>
void check_switch(pairing p, const shape& s, double tol_relative) {
  const auto raw = random_keys(s, 7);
  const std::ptrdiff_t rotary_dim = 32;
  const auto from = longrope(0.01, rotary_dim, 1.19), to = longrope(0.7, rotary_dim, 1.19);
  std::vector<T> cache = stored<T>(rotated(raw, s, 100, from, p));
  rotary::rope_options options;
  options.rotary_offset = s.rotary_offset;
  rotary::rerotate_keys(rotary::tensor_view<T, 3>(cache.data(), {s.tokens, s.heads, s.head_dim}),
                        rotary::positions::from_offset(100), from, to, p, options);
  const auto want = rotated(raw, s, 100, to, p);
  double scale = 0;
  for (const long double v : want) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  EXPECT_LT(max_error(cache, want), tol_relative * scale);
}

TEST(RerotateKeys, LongRopeShortToLongEqualsRecomputing) {
  for (const pairing p : {pairing::half_split, pairing::interleaved}) {
    SCOPED_TRACE(static_cast<int>(p));
    check_switch<float>(p, {300, 4, 32, 0}, 4e-6);
    check_switch<float>(p, {300, 2, 80, 16}, 4e-6);  // a 32-wide slice at offset 16
    // bfloat16: the stored keys and the result each round once (2^-9 relative each).
    check_switch<rotary::bfloat16>(p, {300, 4, 32, 0}, 2 * std::ldexp(1.0, -8));
    check_switch<double>(p, {300, 4, 32, 0}, 1e-13);
  }
}

TEST(RerotateKeys, AppliesTheFactorRatioOnce) {
  // From plain RoPE (A = 1) to YaRN (A = 1 + 0.1 ln 4): the keys end with A once.
  const shape s{64, 2, 64, 0};
  const auto raw = random_keys(s, 3);
  const auto from = rotary::scaling::default_rope(64, 1e6);
  rotary::scaling::yarn_parameters y;
  y.rotary_dim = 64;
  y.base = 1e6;
  y.factor = 4;
  y.original_max_position_embeddings = 32;
  const auto to = rotary::scaling::yarn(y);
  ASSERT_GT(to.attention_factor, 1.1);
  std::vector<float> cache = stored<float>(rotated(raw, s, 0, from, pairing::half_split));
  rotary::rerotate_keys(rotary::tensor_view<float, 3>(cache.data(), {s.tokens, s.heads, s.head_dim}),
                        rotary::positions::from_offset(0), from, to, pairing::half_split);
  EXPECT_LT(max_error(cache, rotated(raw, s, 0, to, pairing::half_split)), 1e-5);
}

TEST(DynamicNtkSchedule, BandsDoubleAndFrequenciesAreHfsAtTheBandEnd) {
  rotary::scaling::dynamic_ntk_schedule s{128, 10000.0, 2.0, 4096, 2.0};
  EXPECT_EQ(s.band_end(1), 4096);
  EXPECT_EQ(s.band_end(4096), 4096);
  EXPECT_EQ(s.band_end(4097), 8192);
  EXPECT_EQ(s.band_end(8192), 8192);
  EXPECT_EQ(s.band_end(8193), 16384);
  EXPECT_FALSE(s.switches(100, 4096));
  EXPECT_TRUE(s.switches(4096, 4097));
  EXPECT_FALSE(s.switches(4097, 8192));
  EXPECT_EQ(s.frequencies(4000).inv_freq, rotary::scaling::default_rope(128, 10000.0).inv_freq);
  EXPECT_EQ(s.frequencies(5000).inv_freq,
            rotary::scaling::dynamic_ntk(128, 10000.0, 2.0, 4096, 8192).inv_freq);
  rotary::scaling::dynamic_ntk_schedule fine{128, 10000.0, 2.0, 4096, 1.0000001};
  EXPECT_EQ(fine.band_end(4097), 4097);  // growth near 1: HF's per-length base
  expect_error([] { rotary::scaling::dynamic_ntk_schedule{128, 1e4, 2.0, 4096, 1.0}.band_end(5000); },
               "scaling::dynamic_ntk_schedule: growth must be finite and > 1, got 1");
  expect_error([] { rotary::scaling::dynamic_ntk_schedule{128, 1e4, 2.0, 0, 2.0}.band_end(5000); },
               "max_position_embeddings must be >= 1, got 0");
}

// Decoding with dynamic NTK past L: at every band change the cache is re-rotated in place.
// The error against recomputing every key with the final base grows with the number of
// switches (one rounding of the stored keys each); the stale keys HF's cache would keep
// are off by O(1).
template <class T>
void decode_with_switches(double growth, double per_switch, int& switch_count, double& error,
                          double& stale_error) {
  const std::ptrdiff_t heads = 2, d = 64;
  rotary::scaling::dynamic_ntk_schedule schedule{d, 10000.0, 4.0, 64, growth};
  const shape all{2048, heads, d, 0};
  const auto raw = random_keys(all, 5);
  std::vector<T> cache;
  std::vector<T> stale;  // each key at the base of its own step, never re-rotated
  scaled_frequencies current = schedule.frequencies(1);
  switch_count = 0;
  for (std::ptrdiff_t t = 0; t < all.tokens; ++t) {
    const std::int64_t length = t + 1;
    if (schedule.switches(length - 1, length)) {
      const scaled_frequencies next = schedule.frequencies(length);
      rotary::rerotate_keys(rotary::tensor_view<T, 3>(cache.data(), {t, heads, d}),
                            rotary::positions::from_offset(0), current, next, pairing::half_split);
      current = next;
      ++switch_count;
    }
    const shape one{1, heads, d, 0};
    const std::vector<float> k(raw.begin() + t * heads * d, raw.begin() + (t + 1) * heads * d);
    const auto key = stored<T>(rotated(k, one, t, current, pairing::half_split));
    cache.insert(cache.end(), key.begin(), key.end());
    const auto hf_key = stored<T>(rotated(
        k, one, t, rotary::scaling::dynamic_ntk(d, 10000.0, 4.0, 64, length), pairing::half_split));
    stale.insert(stale.end(), hf_key.begin(), hf_key.end());
  }
  const auto want = rotated(raw, all, 0, current, pairing::half_split);
  const auto hf_final = rotated(raw, all, 0, rotary::scaling::dynamic_ntk(d, 10000.0, 4.0, 64, 2048),
                                pairing::half_split);
  double scale = 0;
  for (const long double v : want) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  error = max_error(cache, want) / scale;
  stale_error = max_error(stale, hf_final) / scale;
  EXPECT_LT(error, (switch_count + 1) * per_switch) << switch_count << " switches";
}

TEST(DynamicNtkSchedule, ManySwitchesWithABfloat16CacheStayWithinOneRoundingEach) {
  int switches = 0;
  double error = 0, stale = 0;
  // growth 1.1 from 64 to 2048 tokens: 36 band changes (64 x 1.1^k, each rounded up, until
  // >= 2048). bf16 rounds to 2^-9 relative: the errors add as a random walk, measured
  // 0.041 of max |k| (bounded here by one rounding per switch).
  decode_with_switches<rotary::bfloat16>(1.1, std::ldexp(1.0, -9), switches, error, stale);
  EXPECT_EQ(switches, 36);
  EXPECT_GT(stale, 0.1);  // HF's stale keys: wrong by more than a tenth of the key
  RecordProperty("bf16_switches", switches);
  RecordProperty("bf16_error", std::to_string(error));
  RecordProperty("bf16_stale_error", std::to_string(stale));
  std::printf("bf16 cache, %d switches: max error %.3g of max |k|; stale keys %.3g\n", switches,
              error, stale);
  // growth 2 (the default): one switch per doubling, 5 from 64 to 2048 tokens.
  decode_with_switches<rotary::bfloat16>(2.0, std::ldexp(1.0, -9), switches, error, stale);
  EXPECT_EQ(switches, 5);
  std::printf("bf16 cache, %d switches: max error %.3g of max |k|\n", switches, error);
  decode_with_switches<float>(2.0, std::ldexp(1.0, -22), switches, error, stale);
  EXPECT_EQ(switches, 5);
  std::printf("float cache, %d switches: max error %.3g of max |k|\n", switches, error);
}

}  // namespace
