// The scaling schemes' frequency builders (<rotary/scaling.hpp>):
//   - against reference vectors from an independent numpy float64 script (HF's formulas,
//     tests/data/make_scaling_reference.py) to 1e-12 relative, factors included;
//   - against the published formulas evaluated here in long double at real configurations;
//   - the identities: factor 1 gives plain RoPE (linear, NTK, YaRN, Llama 3.1), dynamic NTK
//     up to max_position_embeddings is the default table, p-RoPE with fraction 1 and factor 1
//     is plain half-split RoPE over the head;
//   - a scheme's frequencies through the rope object against the dense rotation matrix;
//   - bad parameters: an error naming the builder, the parameter and the value.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <rotary/rope.hpp>
#include <rotary/scaling.hpp>
#include <rotary/storage.hpp>
#include <rotary/table.hpp>

#include "oracles/rotation_matrix.hpp"
#include "data/scaling_reference.hpp"
#include "expect_error.hpp"
#include "test_util.hpp"

namespace {

namespace scaling = rotary::scaling;


std::vector<double> ramp_list(double first, double step, std::size_t n) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = first + step * static_cast<double>(i);
  return v;
}

scaling::longrope_parameters phi3_like() {
  scaling::longrope_parameters p;
  p.rotary_dim = 96;
  p.base = 10000.0;
  p.short_factor = ramp_list(1.0, 0.01, 48);
  p.long_factor = ramp_list(1.0, 0.5, 48);
  p.max_position_embeddings = 131072;
  p.original_max_position_embeddings = 4096;
  return p;
}

scaling::yarn_parameters yarn_of(std::ptrdiff_t d, double base, double factor,
                                 std::int64_t original) {
  scaling::yarn_parameters p;
  p.rotary_dim = d;
  p.base = base;
  p.factor = factor;
  p.original_max_position_embeddings = original;
  return p;
}

scaling::llama3_parameters llama31() {
  scaling::llama3_parameters p;
  p.rotary_dim = 128;
  p.base = 500000.0;
  p.factor = 8.0;
  p.low_freq_factor = 1.0;
  p.high_freq_factor = 4.0;
  p.original_max_position_embeddings = 8192;
  return p;
}

/// The builder call of each reference case (same parameters as the script's CASES).
std::map<std::string, std::function<rotary::scaled_frequencies()>> builders() {
  std::map<std::string, std::function<rotary::scaled_frequencies()>> b;
  b["default_llama2"] = [] { return scaling::default_rope(128, 10000.0); };
  b["default_partial_phi2"] = [] { return scaling::default_rope(32, 10000.0); };
  b["linear_x4"] = [] { return scaling::linear(128, 10000.0, 4.0); };
  b["ntk_x4"] = [] { return scaling::ntk(128, 10000.0, 4.0); };
  b["ntk_alpha_1000"] = [] { return scaling::ntk_alpha(128, 10000.0, 1000.0); };
  b["dynamic_at_max"] = [] { return scaling::dynamic_ntk(128, 10000.0, 2.0, 4096, 4096); };
  b["dynamic_past_max"] = [] { return scaling::dynamic_ntk(128, 10000.0, 2.0, 4096, 10000); };
  b["yarn_qwen25"] = [] { return scaling::yarn(yarn_of(128, 1e6, 4.0, 32768)); };
  b["yarn_gpt_oss"] = [] {
    auto p = yarn_of(64, 150000.0, 32.0, 4096);
    p.beta_fast = 32.0;
    p.beta_slow = 1.0;
    p.truncate = false;
    return scaling::yarn(p);
  };
  b["yarn_deepseek_v3"] = [] {
    auto p = yarn_of(64, 10000.0, 40.0, 4096);
    p.mscale = 1.0;
    p.mscale_all_dim = 1.0;
    return scaling::yarn(p);
  };
  b["yarn_mscale_ratio"] = [] {
    auto p = yarn_of(64, 10000.0, 40.0, 4096);
    p.mscale = 0.707;
    p.mscale_all_dim = 1.0;
    return scaling::yarn(p);
  };
  b["yarn_given_factor"] = [] {
    auto p = yarn_of(128, 10000.0, 8.0, 2048);
    p.attention_factor = 0.8;
    return scaling::yarn(p);
  };
  b["llama31"] = [] { return scaling::llama3(llama31()); };
  b["longrope_short"] = [] { return scaling::longrope(phi3_like(), 4096); };
  b["longrope_long"] = [] { return scaling::longrope(phi3_like(), 4097); };
  b["proportional_quarter"] = [] {
    scaling::proportional_parameters p;
    p.head_dim = 512;
    p.base = 1e6;
    p.partial_rotary_factor = 0.25;
    return scaling::proportional(p);
  };
  b["proportional_factor"] = [] {
    scaling::proportional_parameters p;
    p.head_dim = 256;
    p.base = 10000.0;
    p.factor = 8.0;
    p.partial_rotary_factor = 0.5;
    return scaling::proportional(p);
  };
  return b;
}

double relative(double a, double b) { return std::abs(a - b) / std::abs(b); }

TEST(Scaling, MatchesIndependentNumpyFloat64) {
  const auto b = builders();
  std::size_t checked = 0;
  for (const ScalingReference& ref : kScalingReferences) {
    SCOPED_TRACE(ref.name);
    // Cases whose parameters are a model's config.json: config/hf_config_test.cpp reads them.
    const std::string name = ref.name;
    bool from_config = false;
    for (const char* prefix : {"longrope_phi3", "longrope_phi4", "default_qwen3", "default_partial_gpt_neox",
                               "llama3_llama4", "yarn_devstral", "default_gemma4"}) {
      from_config = from_config || name.rfind(prefix, 0) == 0;
    }
    if (from_config) continue;
    ASSERT_TRUE(b.count(ref.name));
    ++checked;
    const rotary::scaled_frequencies f = b.at(ref.name)();
    ASSERT_EQ(f.inv_freq.size(), ref.pairs);
    for (std::size_t i = 0; i < ref.pairs; ++i) {
      EXPECT_LE(relative(f.inv_freq[i], ref.inv_freq[i]), 1e-12) << "pair " << i;
    }
    EXPECT_LE(relative(f.attention_factor, ref.attention_factor), 1e-14);
    EXPECT_LE(relative(f.softmax_scale_factor, ref.softmax_scale_factor), 1e-14);
  }
  EXPECT_EQ(checked, b.size()) << "every builder case has a reference vector";
}

// ---- The published formulas, here in long double ----------------------------------------

using real = long double;
const real two_pi = 6.283185307179586476925286766559005768L;

real theta(std::size_t i, real d, real base) {
  return std::pow(base, -2.0L * static_cast<real>(i) / d);
}

void expect_near_all(const std::vector<double>& got, const std::vector<real>& want,
                     double tolerance) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const real err = std::abs(static_cast<real>(got[i]) - want[i]) / std::abs(want[i]);
    EXPECT_LE(static_cast<double>(err), tolerance) << "pair " << i;
  }
}

TEST(Scaling, YarnMatchesItsFormulaInLongDouble) {
  // Qwen2.5 with YaRN: rope_theta 1e6, factor 4, original_max_position_embeddings 32768.
  const real d = 128, base = 1e6L, s = 4, L = 32768;
  auto c = [&](real r) { return d * std::log(L / (r * two_pi)) / (2 * std::log(base)); };
  const real low = std::max<real>(std::floor(c(32)), 0);
  const real high = std::min<real>(std::ceil(c(1)), d - 1);
  std::vector<real> want(64);
  for (std::size_t i = 0; i < 64; ++i) {
    const real g = std::clamp((static_cast<real>(i) - low) / (high - low), 0.0L, 1.0L);
    want[i] = theta(i, d, base) * (g / s + (1 - g));
  }
  const auto f = scaling::yarn(yarn_of(128, 1e6, 4.0, 32768));
  expect_near_all(f.inv_freq, want, 1e-14);
  EXPECT_NEAR(f.attention_factor, static_cast<double>(0.1L * std::log(s) + 1), 1e-15);
  EXPECT_EQ(f.softmax_scale_factor, 1.0);
  // The fast pairs keep theta, the slow ones are interpolated by s, in between a ramp.
  EXPECT_EQ(f.inv_freq[0], scaling::default_rope(128, 1e6).inv_freq[0]);
  EXPECT_NEAR(f.inv_freq[63], scaling::default_rope(128, 1e6).inv_freq[63] / 4.0, 1e-18);
}

TEST(Scaling, YarnTruncateFalseKeepsFractionalBounds) {
  // GPT-OSS: rope_theta 150000, factor 32, original 4096, beta 32 / 1, truncate false.
  const real d = 64, base = 150000, L = 4096;
  auto c = [&](real r) { return d * std::log(L / (r * two_pi)) / (2 * std::log(base)); };
  const real low = std::max<real>(c(32), 0), high = std::min<real>(c(1), d - 1);
  ASSERT_NE(low, std::floor(low));  // the case tells truncate true from false
  auto p = yarn_of(64, 150000.0, 32.0, 4096);
  p.truncate = false;
  const auto f = scaling::yarn(p);
  std::vector<real> want(32);
  for (std::size_t i = 0; i < 32; ++i) {
    const real g = std::clamp((static_cast<real>(i) - low) / (high - low), 0.0L, 1.0L);
    want[i] = theta(i, d, base) * (g / 32 + (1 - g));
  }
  expect_near_all(f.inv_freq, want, 1e-14);
  p.truncate = true;
  const auto truncated = scaling::yarn(p);
  EXPECT_NE(truncated.inv_freq, f.inv_freq) << "truncate must change the frequencies here";
}

TEST(Scaling, YarnDefaultsAsHfReadsThem) {
  // beta 0 means the default (Python `or`); factor missing: max / original.
  auto p = yarn_of(128, 10000.0, 4.0, 4096);
  const auto defaults = scaling::yarn(p);
  p.beta_fast = 32;
  p.beta_slow = 1;
  EXPECT_EQ(scaling::yarn(p).inv_freq, defaults.inv_freq);
  p.factor.reset();
  p.max_position_embeddings = 16384;
  EXPECT_EQ(scaling::yarn(p).inv_freq, defaults.inv_freq);
  EXPECT_EQ(scaling::yarn(p).attention_factor, defaults.attention_factor);
  // original missing: max_position_embeddings; with factor given.
  auto q = yarn_of(128, 10000.0, 4.0, 4096);
  q.original_max_position_embeddings.reset();
  q.max_position_embeddings = 4096;
  EXPECT_EQ(scaling::yarn(q).inv_freq, defaults.inv_freq);
  // mscale alone is ignored; both set give the ratio; DeepSeek's equal pair gives 1.
  auto m = yarn_of(64, 10000.0, 40.0, 4096);
  m.mscale = 0.707;
  EXPECT_DOUBLE_EQ(scaling::yarn(m).attention_factor, 0.1 * std::log(40.0) + 1.0);
  m.mscale_all_dim = 0.707;
  EXPECT_EQ(scaling::yarn(m).attention_factor, 1.0);
  const double g = 0.1 * 0.707 * std::log(40.0) + 1.0;
  EXPECT_DOUBLE_EQ(scaling::yarn(m).softmax_scale_factor, g * g);
}

TEST(Scaling, YarnLowEqualsHighMovesHighByAThousandth) {
  // beta_fast == beta_slow puts both bounds on one pair: HF moves high by 0.001.
  auto p = yarn_of(64, 10000.0, 8.0, 4096);
  p.beta_fast = 4;
  p.beta_slow = 4;
  p.truncate = false;
  const auto f = scaling::yarn(p);
  const real c = 64 * std::log(4096.0L / (4 * two_pi)) / (2 * std::log(10000.0L));
  for (std::size_t i = 0; i < 32; ++i) {
    const real g = std::clamp((static_cast<real>(i) - c) / 0.001L, 0.0L, 1.0L);
    const real want = theta(i, 64, 10000) * (g / 8 + (1 - g));
    EXPECT_LE(static_cast<double>(std::abs(f.inv_freq[i] - want) / want), 1e-12) << i;
  }
}

TEST(Scaling, Llama31MatchesItsFormulaInLongDouble) {
  const real d = 128, base = 500000, s = 8, lo = 1, hi = 4, L = 8192;
  std::vector<real> want(64);
  int low_band = 0, high_band = 0, medium = 0;
  for (std::size_t i = 0; i < 64; ++i) {
    const real t = theta(i, d, base), wavelength = two_pi / t;
    if (wavelength < L / hi) {
      want[i] = t, ++high_band;
    } else if (wavelength > L / lo) {
      want[i] = t / s, ++low_band;
    } else {
      const real a = (L / wavelength - lo) / (hi - lo);
      want[i] = (1 - a) * t / s + a * t, ++medium;
    }
  }
  EXPECT_GT(low_band, 0);  // the configuration reaches all three bands
  EXPECT_GT(high_band, 0);
  EXPECT_GT(medium, 0);
  expect_near_all(scaling::llama3(llama31()).inv_freq, want, 1e-14);
}

TEST(Scaling, NtkAndDynamicMatchTheirFormulaInLongDouble) {
  const real d = 128;
  std::vector<real> ntk(64), alpha(64), dyn(64);
  const real dynamic_base = 10000 * std::pow(2.0L * 10000 / 4096 - 1, d / (d - 2));
  for (std::size_t i = 0; i < 64; ++i) {
    ntk[i] = theta(i, d, 10000 * std::pow(4.0L, d / (d - 2)));
    alpha[i] = theta(i, d, 10000 * std::pow(1000.0L, d / (d - 2)));
    dyn[i] = theta(i, d, dynamic_base);
  }
  expect_near_all(scaling::ntk(128, 10000.0, 4.0).inv_freq, ntk, 1e-14);
  expect_near_all(scaling::ntk_alpha(128, 10000.0, 1000.0).inv_freq, alpha, 1e-14);
  expect_near_all(scaling::dynamic_ntk(128, 10000.0, 2.0, 4096, 10000).inv_freq, dyn, 1e-14);
}

TEST(Scaling, LongRopeChoosesItsListBySequenceLength) {
  const auto p = phi3_like();
  const auto s = scaling::longrope(p, 4096), l = scaling::longrope(p, 4097);
  for (std::size_t i = 0; i < 48; ++i) {
    const real t = theta(i, 96, 10000);
    EXPECT_LE(static_cast<double>(std::abs(s.inv_freq[i] - t / p.short_factor[i]) / t), 1e-14);
    EXPECT_LE(static_cast<double>(std::abs(l.inv_freq[i] - t / p.long_factor[i]) / t), 1e-14);
  }
  // sqrt(1 + ln s / ln L), s = 131072 / 4096 = 32, the same for both lists.
  const double a = std::sqrt(1.0 + std::log(32.0) / std::log(4096.0));
  EXPECT_DOUBLE_EQ(s.attention_factor, a);
  EXPECT_DOUBLE_EQ(l.attention_factor, a);
  auto given = p;
  given.factor = 16.0;  // a factor wins over the lengths' ratio
  EXPECT_DOUBLE_EQ(scaling::longrope(given, 1).attention_factor,
                   std::sqrt(1.0 + std::log(16.0) / std::log(4096.0)));
  given.attention_factor = 1.25;
  EXPECT_EQ(scaling::longrope(given, 1).attention_factor, 1.25);
  auto unscaled = p;
  unscaled.max_position_embeddings = 4096;
  EXPECT_EQ(scaling::longrope(unscaled, 1).attention_factor, 1.0);
}

TEST(Scaling, ProportionalRotatesAPairSubsetWithTheHeadsExponent) {
  scaling::proportional_parameters p;
  p.head_dim = 512;
  p.base = 1e6;
  p.partial_rotary_factor = 0.25;
  p.factor = 2.0;
  const auto f = scaling::proportional(p);
  ASSERT_EQ(f.inv_freq.size(), 64u);  // floor(0.25 x 512 / 2)
  EXPECT_EQ(f.pair_distance, 256);
  for (std::size_t j = 0; j < 64; ++j) {
    const real want = theta(j, 512, 1e6L) / 2;
    EXPECT_LE(static_cast<double>(std::abs(f.inv_freq[j] - want) / want), 1e-14) << j;
  }
}

// ---- Identities -------------------------------------------------------------------------

void expect_ulps(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_LE(relative(a[i], b[i]), 4e-16) << i;
}

TEST(Scaling, FactorOneIsPlainRope) {
  for (std::ptrdiff_t d : {32, 64, 128}) {
    SCOPED_TRACE(d);
    const auto plain = scaling::default_rope(d, 10000.0).inv_freq;
    EXPECT_EQ(plain, rotary::rope_frequencies(d, 10000.0));
    EXPECT_EQ(scaling::linear(d, 10000.0, 1.0).inv_freq, plain);
    EXPECT_EQ(scaling::ntk(d, 10000.0, 1.0).inv_freq, plain);
    const auto y = scaling::yarn(yarn_of(d, 10000.0, 1.0, 4096));
    expect_ulps(y.inv_freq, plain);
    EXPECT_EQ(y.attention_factor, 1.0);
    auto l = llama31();
    l.rotary_dim = d;
    l.base = 10000.0;
    l.factor = 1.0;
    expect_ulps(scaling::llama3(l).inv_freq, plain);
    for (std::int64_t seq : {0, 1, 4095, 4096}) {
      EXPECT_EQ(scaling::dynamic_ntk(d, 10000.0, 4.0, 4096, seq).inv_freq, plain) << seq;
    }
    EXPECT_NE(scaling::dynamic_ntk(d, 10000.0, 4.0, 4096, 4097).inv_freq, plain);
    scaling::proportional_parameters pr;
    pr.head_dim = d;
    pr.base = 10000.0;
    const auto whole = scaling::proportional(pr);
    EXPECT_EQ(whole.inv_freq, plain);
    EXPECT_EQ(whole.pair_distance, d / 2);  // = rotary_dim / 2: plain half split
  }
}

// ---- Through the rope object -------------------------------------------------------------

TEST(Scaling, SchemesThroughTheRopeMatchTheRotationMatrix) {
  // Every reference scheme's frequencies, both pairings, partial rotary at an offset
  // (proportional: its pair subset), against the dense rotation matrix in long double.
  for (const auto& [name, build] : builders()) {
    SCOPED_TRACE(name);
    const rotary::scaled_frequencies f = build();
    const std::ptrdiff_t rotary_dim = f.rotary_dim();
    const std::ptrdiff_t pair_distance = f.pair_distance ? f.pair_distance : rotary_dim / 2;
    const bool subset = pair_distance != rotary_dim / 2;
    const std::ptrdiff_t offset = subset ? 0 : 2;
    const std::ptrdiff_t head_dim = subset ? 2 * pair_distance : rotary_dim + 4;
    const rotary::cos_sin_table<double> table(f.inv_freq, 5000);
    std::vector<rotary_test::oracle::real> theta(f.inv_freq.begin(), f.inv_freq.end());
    for (rotary::pairing p : {rotary::pairing::interleaved, rotary::pairing::half_split}) {
      if (subset && p == rotary::pairing::interleaved) continue;
      rotary::rope_options options;
      options.rotary_offset = offset;
      options.pair_distance = p == rotary::pairing::half_split ? pair_distance : 0;
      const rotary::rope r(table, p, options);
      const std::int64_t positions[] = {0, 1, 777, 4999};
      const std::ptrdiff_t heads = 2;
      std::vector<double> x = rotary_test::random_vector<double>(
          static_cast<std::size_t>(4 * heads * head_dim), 11);
      const std::vector<double> in = x;
      r.forward(rotary_test::view3(x, 4, heads, head_dim), rotary::positions::from_ids(positions, 4));
      for (std::ptrdiff_t t = 0; t < 4; ++t) {
        // The pair subset as a rotation matrix: zero frequencies on the identity pairs.
        std::vector<rotary_test::oracle::real> all = theta;
        if (subset) all.resize(static_cast<std::size_t>(head_dim / 2), 0.0L);
        const rotary_test::oracle::rotation_matrix R(p, head_dim, offset, all, positions[t]);
        for (std::ptrdiff_t h = 0; h < heads; ++h) {
          const std::size_t base = static_cast<std::size_t>((t * heads + h) * head_dim);
          const auto want = R.apply(in.data() + base);
          for (std::ptrdiff_t e = 0; e < head_dim; ++e) {
            EXPECT_NEAR(x[base + static_cast<std::size_t>(e)], static_cast<double>(want[e]), 1e-13)
                << rotary::to_string(p) << " token " << t << " head " << h << " element " << e;
          }
        }
      }
    }
  }
}

// Every scheme out of place and in 16-bit storage, with its cos/sin factor in the table:
// y = A R_m x against the rotation matrix in long double, to the storage's rounding.
template <class In, class Out>
void check_scheme_storage(const rotary::scaled_frequencies& f, const rotary::cos_sin_table<float>& table,
                          rotary::pairing p, double tolerance) {
  const std::ptrdiff_t rotary_dim = f.rotary_dim();
  const std::ptrdiff_t pair_distance = f.pair_distance ? f.pair_distance : rotary_dim / 2;
  const bool subset = pair_distance != rotary_dim / 2;
  const std::ptrdiff_t offset = subset ? 0 : 2;
  const std::ptrdiff_t head_dim = subset ? 2 * pair_distance : rotary_dim + 4;
  const std::ptrdiff_t tokens = 3, heads = 2;
  rotary::rope_options options;
  options.rotary_offset = offset;
  options.pair_distance = p == rotary::pairing::half_split ? pair_distance : 0;
  const rotary::rope r(table, p, options);
  const std::int64_t positions[] = {3, 1000, 4999};
  const auto x = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * heads * head_dim), 5);
  std::vector<In> in(x.begin(), x.end());
  std::vector<Out> out(in.size());
  r.forward(rotary_test::cview3(in, tokens, heads, head_dim), rotary_test::view3(out, tokens, heads, head_dim),
            rotary::positions::from_ids(positions, tokens));
  std::vector<rotary_test::oracle::real> theta(f.inv_freq.begin(), f.inv_freq.end());
  if (subset) theta.resize(static_cast<std::size_t>(head_dim / 2), 0.0L);
  for (std::ptrdiff_t t = 0; t < tokens; ++t) {
    const rotary_test::oracle::rotation_matrix R(p, head_dim, offset, theta, positions[t]);
    for (std::ptrdiff_t h = 0; h < heads; ++h) {
      const std::size_t base = static_cast<std::size_t>((t * heads + h) * head_dim);
      std::vector<rotary_test::oracle::real> widened(static_cast<std::size_t>(head_dim));
      for (std::ptrdiff_t e = 0; e < head_dim; ++e) widened[std::size_t(e)] = float(in[base + std::size_t(e)]);
      const auto want = R.apply(widened.data());
      for (std::ptrdiff_t e = 0; e < head_dim; ++e) {
        // Rotated elements carry A; pass-through ones are copied.
        const bool rotated = e >= offset && e < offset + (subset ? head_dim : rotary_dim) &&
                             (!subset || (e % pair_distance) < rotary_dim / 2);
        const double a = rotated ? f.attention_factor : 1.0;
        EXPECT_NEAR(double(float(out[base + std::size_t(e)])), a * static_cast<double>(want[e]),
                    tolerance * std::max(1.0, std::fabs(a * static_cast<double>(want[e]))))
            << rotary::to_string(p) << " token " << t << " head " << h << " element " << e;
      }
    }
  }
}

TEST(Scaling, SchemesOutOfPlaceAndIn16BitStorageCarryTheirFactor) {
  for (const auto& [name, build] : builders()) {
    SCOPED_TRACE(name);
    const rotary::scaled_frequencies f = build();
    const rotary::cos_sin_table<float> table(f, 5000);  // A cos, A sin
    for (rotary::pairing p : {rotary::pairing::interleaved, rotary::pairing::half_split}) {
      if (f.pair_distance && p == rotary::pairing::interleaved) continue;
      check_scheme_storage<float, float>(f, table, p, 4e-6);
      check_scheme_storage<rotary::bfloat16, rotary::bfloat16>(f, table, p, std::ldexp(1.0, -8));
      check_scheme_storage<rotary::float16, float>(f, table, p, 4e-6);
      check_scheme_storage<float, rotary::float16>(f, table, p, std::ldexp(1.0, -10));
    }
  }
}

// ---- Bad parameters ----------------------------------------------------------------------

using rotary_test::expect_error;

TEST(Scaling, BadParametersNameTheBuilderAndTheValue) {
  expect_error([] { scaling::linear(128, 10000.0, 0.0); }, "scaling::linear: factor must be finite and > 0, got 0");
  expect_error([] { scaling::linear(127, 10000.0, 2.0); }, "scaling::linear: rotary_dim must be even, got 127");
  expect_error([] { scaling::ntk(2, 10000.0, 2.0); }, "scaling::ntk: rotary_dim must be > 2");
  expect_error([] { scaling::ntk_alpha(64, 10000.0, -1.0); }, "scaling::ntk_alpha: alpha must be finite and > 0, got -1");
  expect_error([] { scaling::dynamic_ntk(64, 10000.0, 2.0, 0, 10); }, "scaling::dynamic_ntk: max_position_embeddings must be >= 1, got 0");
  expect_error([] { scaling::dynamic_ntk(64, -5.0, 2.0, 10, 10); }, "scaling::dynamic_ntk: base must be finite and > 0, got -5");
  expect_error([] { scaling::yarn(yarn_of(64, 10000.0, -2.0, 4096)); }, "scaling::yarn: factor must be finite and > 0, got -2");
  expect_error([] {
    auto p = yarn_of(64, 10000.0, 2.0, 4096);
    p.factor.reset();
    scaling::yarn(p);
  }, "scaling::yarn: max_position_embeddings must be >= 1");
  expect_error([] {
    auto p = yarn_of(64, 10000.0, 2.0, 4096);
    p.beta_fast = -1;
    scaling::yarn(p);
  }, "scaling::yarn: beta_fast must be finite and >= 0");
  expect_error([] {
    auto p = llama31();
    p.low_freq_factor = 5.0;
    scaling::llama3(p);
  }, "scaling::llama3: low_freq_factor must be <= high_freq_factor, got 5 > 4");
  expect_error([] {
    auto p = llama31();
    p.original_max_position_embeddings = 0;
    scaling::llama3(p);
  }, "scaling::llama3: original_max_position_embeddings must be >= 1, got 0");
  expect_error([] {
    auto p = phi3_like();
    p.long_factor.pop_back();
    scaling::longrope(p, 1);
  }, "scaling::longrope: long_factor must have rotary_dim / 2 = 48 entries, got 47");
  expect_error([] {
    auto p = phi3_like();
    p.short_factor[3] = 0.0;
    scaling::longrope(p, 1);
  }, "scaling::longrope: short_factor[3] must be finite and > 0, got 0");
  expect_error([] {
    scaling::proportional_parameters p;
    p.head_dim = 64;
    p.partial_rotary_factor = 1.5;
    scaling::proportional(p);
  }, "scaling::proportional: partial_rotary_factor must be in (0, 1], got 1.5");
  expect_error([] {
    scaling::proportional_parameters p;
    p.head_dim = 64;
    p.partial_rotary_factor = 0.01;
    scaling::proportional(p);
  }, "scaling::proportional: partial_rotary_factor x head_dim / 2 rotates no pair");
}

}  // namespace
