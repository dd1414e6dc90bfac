// SPDX-License-Identifier: MIT
// Random parameters, valid and hostile (0, negative, NaN, inf, huge, odd sizes), for every
// frequency builder, the query scales, the GGUF reader, re-rotation and the ggml angle
// model: each call either throws rotary::invalid_argument or returns what its contract says
// (the right number of finite frequencies, finite positive factors). A crash, a sanitizer
// report, another exception type or a non-finite result fails. Fixed seeds: repeatable.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <rotary/gguf.hpp>
#include <rotary/query_scale.hpp>
#include <rotary/rerotate.hpp>
#include <rotary/scaling.hpp>
#include <rotary/table.hpp>

namespace {

constexpr int kCases = 3000;

class hostile {
 public:
  explicit hostile(unsigned seed) : gen_(seed) {}
  // Mostly plausible, sometimes hostile.
  double number(double lo, double hi) {
    switch (pick(12)) {
      case 0: return 0.0;
      case 1: return -uniform(0.0, hi);
      case 2: return std::numeric_limits<double>::quiet_NaN();
      case 3: return std::numeric_limits<double>::infinity();
      case 4: return 1e300;
      case 5: return 1.0;
      default: return uniform(lo, hi);
    }
  }
  std::int64_t integer(std::int64_t lo, std::int64_t hi) {
    switch (pick(10)) {
      case 0: return 0;
      case 1: return -1;
      case 2: return std::numeric_limits<std::int64_t>::max();
      case 3: return std::numeric_limits<std::int64_t>::min();
      default: return std::uniform_int_distribution<std::int64_t>(lo, hi)(gen_);
    }
  }
  std::ptrdiff_t rotary_dim() {
    switch (pick(8)) {
      case 0: return 0;
      case 1: return -2;
      case 2: return 3 + 2 * pick(60);  // odd
      case 3: return 2;
      default: return 2 * (1 + pick(128));
    }
  }
  std::vector<double> list(std::ptrdiff_t expected_size) {
    const std::size_t n = pick(6) == 0 ? static_cast<std::size_t>(pick(10))
                                       : static_cast<std::size_t>(std::max<std::ptrdiff_t>(expected_size, 0));
    std::vector<double> v(n);
    for (double& x : v) x = pick(40) == 0 ? number(0.5, 80.0) : uniform(1.0, 80.0);
    return v;
  }
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(gen_); }
  bool coin() { return pick(2) == 0; }
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(gen_); }

 private:
  std::mt19937_64 gen_;
};

void expect_valid(const rotary::scaled_frequencies& f, std::ptrdiff_t pairs, const std::string& what) {
  ASSERT_EQ(static_cast<std::ptrdiff_t>(f.inv_freq.size()), pairs) << what;
  for (const double t : f.inv_freq) ASSERT_TRUE(std::isfinite(t) && t >= 0.0) << what << " " << t;
  ASSERT_TRUE(std::isfinite(f.attention_factor) && f.attention_factor > 0.0) << what;
  ASSERT_TRUE(std::isfinite(f.softmax_scale_factor) && f.softmax_scale_factor > 0.0) << what;
}

// Runs f; counts a rotary::invalid_argument as a rejection; anything else propagates.
template <class F>
bool accepted(F&& f) {
  try {
    f();
    return true;
  } catch (const rotary::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(':'), std::string::npos) << e.what();
    return false;
  }
}

TEST(SchemeFuzz, EveryBuilderThrowsOrReturnsValidFrequencies) {
  hostile h(20261202);
  int accepted_count = 0;
  for (int c = 0; c < kCases; ++c) {
    const std::ptrdiff_t d = h.rotary_dim();
    const double base = h.number(2.0, 1e7), factor = h.number(0.5, 64.0);
    const std::int64_t L = h.integer(1, 1 << 17), seq = h.integer(0, 1 << 20);
    switch (c % 8) {
      case 0: accepted_count += accepted([&] { expect_valid(rotary::scaling::linear(d, base, factor), d / 2, "linear"); }); break;
      case 1: accepted_count += accepted([&] { expect_valid(rotary::scaling::ntk(d, base, factor), d / 2, "ntk"); }); break;
      case 2: accepted_count += accepted([&] { expect_valid(rotary::scaling::ntk_alpha(d, base, factor), d / 2, "ntk_alpha"); }); break;
      case 3:
        accepted_count += accepted([&] {
          expect_valid(rotary::scaling::dynamic_ntk(d, base, factor, L, seq), d / 2, "dynamic_ntk");
        });
        break;
      case 4: {
        rotary::scaling::yarn_parameters p;
        p.rotary_dim = d;
        p.base = base;
        if (h.coin()) p.factor = factor;
        p.max_position_embeddings = h.integer(1, 1 << 18);
        if (h.coin()) p.original_max_position_embeddings = L;
        p.beta_fast = h.number(1.0, 64.0);
        p.beta_slow = h.number(0.5, 4.0);
        p.truncate = h.coin();
        if (h.pick(4) == 0) p.attention_factor = h.number(0.5, 2.0);
        p.mscale = h.coin() ? h.number(0.1, 2.0) : 0.0;
        p.mscale_all_dim = h.coin() ? h.number(0.1, 2.0) : 0.0;
        accepted_count += accepted([&] { expect_valid(rotary::scaling::yarn(p), d / 2, "yarn"); });
        break;
      }
      case 5: {
        rotary::scaling::llama3_parameters p{d, base, factor, h.number(0.5, 2.0), h.number(1.0, 8.0), L};
        accepted_count += accepted([&] { expect_valid(rotary::scaling::llama3(p), d / 2, "llama3"); });
        break;
      }
      case 6: {
        rotary::scaling::longrope_parameters p;
        p.rotary_dim = d;
        p.base = base;
        p.short_factor = h.list(d / 2);
        p.long_factor = h.list(d / 2);
        if (h.coin()) p.factor = factor;
        if (h.pick(4) == 0) p.attention_factor = h.number(0.5, 2.0);
        p.max_position_embeddings = h.integer(1, 1 << 18);
        p.original_max_position_embeddings = L;
        accepted_count += accepted([&] { expect_valid(rotary::scaling::longrope(p, seq), d / 2, "longrope"); });
        break;
      }
      case 7: {
        rotary::scaling::proportional_parameters p{d, base, factor, h.number(0.05, 1.0)};
        accepted_count += accepted([&] {
          const auto f = rotary::scaling::proportional(p);
          expect_valid(f, static_cast<std::ptrdiff_t>(f.inv_freq.size()), "proportional");
          ASSERT_LE(static_cast<std::ptrdiff_t>(f.inv_freq.size()), d / 2);
        });
        break;
      }
    }
    if (HasFatalFailure()) return;
  }
  // Both outcomes are exercised.
  EXPECT_GT(accepted_count, kCases / 10);
  EXPECT_LT(accepted_count, kCases - kCases / 10);
}

TEST(SchemeFuzz, QueryScalesThrowOrGiveFiniteFactors) {
  hostile h(7);
  for (int c = 0; c < kCases; ++c) {
    const double beta = h.number(0.01, 1.0), length = h.number(1.0, 1e5);
    const std::int64_t lo = h.integer(0, 1 << 20), hi = h.integer(0, 1 << 30);
    accepted([&] {
      const auto s = h.coin() ? rotary::query_scale::log_floor(beta, length)
                              : rotary::query_scale::llama4_temperature(beta, length);
      s.check_positions("fuzz", lo, hi);
      for (const std::int64_t m : {lo, hi}) {
        const double v = s.at(m);
        ASSERT_TRUE(std::isfinite(v) && v > 0.0) << beta << " " << length << " " << m;
      }
    });
    if (HasFatalFailure()) return;
  }
}

TEST(SchemeFuzz, GgufReaderThrowsOrGivesValidFrequencies) {
  hostile h(11);
  const char* types[] = {"none", "linear", "yarn", "longrope", "foo", ""};
  int accepted_count = 0;
  for (int c = 0; c < kCases; ++c) {
    rotary::gguf::metadata md;
    const std::string arch = h.pick(3) == 0 ? "deepseek2" : "llama";
    if (h.pick(20) != 0) md.values["general.architecture"] = arch;
    const auto put_number = [&](const char* k, double lo, double hi) {
      switch (h.pick(24)) {  // each key: mostly absent or plausible, sometimes hostile
        case 0: md.values[arch + k] = std::string("x"); return;
        case 1: md.values[arch + k] = h.integer(0, 100000); return;
        case 2: md.values[arch + k] = h.number(lo, hi); return;
        default:
          if (h.coin()) md.values[arch + k] = h.uniform(lo, hi);
      }
    };
    const std::ptrdiff_t d = h.pick(4) ? 2 * (1 + h.pick(64)) : h.rotary_dim();
    if (h.pick(8) != 0) md.values[arch + ".rope.dimension_count"] = static_cast<std::int64_t>(d);
    put_number(".rope.freq_base", 2.0, 1e7);
    put_number(".rope.freq_base_swa", 2.0, 1e5);
    put_number(".rope.scaling.factor", 0.5, 64.0);
    put_number(".rope.scaling.attn_factor", 0.5, 2.0);
    put_number(".rope.scaling.yarn_log_multiplier", 0.0, 0.2);
    put_number(".rope.scaling.yarn_ext_factor", 0.0, 1.0);
    put_number(".rope.scaling.yarn_beta_fast", 1.0, 64.0);
    if (h.coin()) md.values[arch + ".rope.scaling.type"] = std::string(types[h.pick(h.pick(10) ? 4 : 6)]);
    if (h.pick(4)) md.values[arch + ".rope.scaling.original_context_length"] = h.integer(1, 1 << 17);
    if (h.pick(4) == 0) {
      const auto l = h.list(d / 2);
      md.rope_freqs.assign(l.begin(), l.end());
    }
    if (h.pick(6) == 0) {
      const auto s = h.list(d / 2), l = h.list(d / 2);
      md.rope_factors_short.assign(s.begin(), s.end());
      md.rope_factors_long.assign(l.begin(), l.end());
    }
    const std::int64_t n_ctx = h.integer(0, 1 << 20);
    accepted_count += accepted([&] {
      const auto r = rotary::gguf::read_rope_metadata(md);
      for (const auto kind : {rotary::gguf::layer_kind::full, rotary::gguf::layer_kind::sliding}) {
        expect_valid(r.frequencies(n_ctx, kind), r.rotary_dim / 2, "gguf");
        // The ggml plan rejects what it cannot run (e.g. a base below 1) with its own error.
        accepted([&] { rotary::cos_sin_table<float> t(r.ggml_parameters(n_ctx, kind), 2); });
      }
    });
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(accepted_count, kCases / 20);
  EXPECT_LT(accepted_count, kCases - kCases / 10);
}

TEST(SchemeFuzz, RerotationThrowsOrGivesFiniteDeltas) {
  hostile h(13);
  for (int c = 0; c < kCases; ++c) {
    rotary::scaled_frequencies a, b;
    a.inv_freq = h.list(4);
    b.inv_freq = h.list(4);
    a.attention_factor = h.number(0.5, 2.0);
    b.attention_factor = h.number(0.5, 2.0);
    if (h.pick(10) == 0) b.pair_distance = 8;
    accepted([&] {
      const auto r = rotary::rerotation(a, b);
      for (const double t : r.inv_freq) ASSERT_TRUE(std::isfinite(t));
      ASSERT_TRUE(std::isfinite(r.attention_factor) && r.attention_factor > 0.0);
    });
    if (HasFatalFailure()) return;
  }
}

}  // namespace
