// Angle models (angle_model.hpp): hf_f32 and ggml tables reproduce the float32 chains of
// HF transformers' RotaryEmbedding and ggml's rope cache, written out again here step by
// step, bitwise; ggml's YaRN agrees with scaling::yarn (HF's formula) to float rounding;
// each model's error against the exact angle at positions 2^12 .. 2^20 stays in the band
// angle_model.hpp documents (and is not zero: the models do differ from exact); a rope over
// such a table undoes itself; bad parameters are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <rotary/rotary.hpp>

#include "expect_error.hpp"
#include "test_util.hpp"

namespace {

using rotary::angle_model;

using rotary_test::expect_error;

TEST(AngleModel, HfF32RowsAreHfsFloat32Chain) {
  const int d = 64;
  const std::vector<double> theta = rotary::hf_f32_frequencies(d, 10000.0);
  for (int i = 0; i < d / 2; ++i) {
    // inv_freq = 1.0 / (base ** (arange(0, d, 2).float() / d)), in float32
    const float e = static_cast<float>(2 * i) / static_cast<float>(d);
    EXPECT_EQ(theta[static_cast<std::size_t>(i)], static_cast<double>(1.0f / std::pow(10000.0f, e)));
  }
  const double A = 1.25;
  const rotary::cos_sin_table<float> t(theta, 3000, A, angle_model::hf_f32);
  EXPECT_EQ(t.angle_model(), angle_model::hf_f32);
  for (std::int64_t m : {0, 1, 7, 1000, 2999}) {
    for (int i = 0; i < d / 2; ++i) {
      // freqs = inv_freq.float() @ position_ids.float(); cos = freqs.cos() * attention_scaling
      const float angle = static_cast<float>(theta[static_cast<std::size_t>(i)]) * static_cast<float>(m);
      EXPECT_EQ(t.data()[m * d + i], std::cos(angle) * 1.25f) << m << " " << i;
      EXPECT_EQ(t.data()[m * d + d / 2 + i], std::sin(angle) * 1.25f) << m << " " << i;
    }
  }
}

// A double table with a float32 model holds the model's float values exactly (the model is
// float32 arithmetic whatever the storage): its error against an exact double table is the
// float model's, the bands above, not double's 2^-53.
TEST(AngleModel, DoubleTablesHoldTheFloat32ModelsValues) {
  const std::vector<double> theta = rotary::hf_f32_frequencies(64, 10000.0);
  const rotary::cos_sin_table<float> f(theta, 1 << 12, 1.0, angle_model::hf_f32);
  const rotary::cos_sin_table<double> d(theta, 1 << 12, 1.0, angle_model::hf_f32);
  const rotary::cos_sin_table<double> exact(theta, 1 << 12, 1.0);
  double worst = 0;
  for (std::ptrdiff_t e = 0; e < (1 << 12) * 64; ++e) {
    ASSERT_EQ(d.data()[e], static_cast<double>(f.data()[e])) << e;
    worst = std::max(worst, std::fabs(d.data()[e] - exact.data()[e]));
  }
  EXPECT_GT(worst, 1e-5);  // the float model's error, not double's
  EXPECT_LT(worst, 2.4e-4 * 1.1);
  rotary::ggml_rope_parameters p;
  p.n_dims = 64;
  const rotary::cos_sin_table<float> gf(p, 512);
  const rotary::cos_sin_table<double> gd(p, 512);
  for (std::ptrdiff_t e = 0; e < 512 * 64; ++e) ASSERT_EQ(gd.data()[e], static_cast<double>(gf.data()[e]));
}

/// ggml_rope_cache_init with rope_yarn, written out (float throughout).
std::vector<float> ggml_row(const rotary::ggml_rope_parameters& p, std::int64_t pos) {
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_dims));
  float low = 0, high = 0, mscale = p.attn_factor;
  if (p.ext_factor != 0.0f) {
    auto corr = [&](float rot) {
      return static_cast<float>(p.n_dims) *
             std::log(static_cast<float>(p.n_ctx_orig) / (rot * 2.0f * static_cast<float>(M_PI))) /
             (2.0f * std::log(p.freq_base));
    };
    low = std::max(0.0f, std::floor(corr(p.beta_fast)));
    high = std::min(static_cast<float>(p.n_dims - 1), std::ceil(corr(p.beta_slow)));
    mscale *= 1.0f + 0.1f * std::log(1.0f / p.freq_scale);
  }
  std::vector<float> row(static_cast<std::size_t>(p.n_dims));  // [cos | sin]
  float theta = static_cast<float>(pos);
  for (int i0 = 0; i0 < p.n_dims; i0 += 2) {
    const float ff = p.freq_factors.empty() ? 1.0f : p.freq_factors[static_cast<std::size_t>(i0 / 2)];
    const float extrap = theta / ff;
    const float interp = p.freq_scale * extrap;
    float angle = interp;
    if (p.ext_factor != 0.0f) {
      const float y = (static_cast<float>(i0 / 2) - low) / std::max(0.001f, high - low);
      const float mix = (1.0f - std::min(1.0f, std::max(0.0f, y))) * p.ext_factor;
      angle = interp * (1.0f - mix) + extrap * mix;
    }
    row[static_cast<std::size_t>(i0 / 2)] = std::cos(angle) * mscale;
    row[static_cast<std::size_t>(p.n_dims / 2 + i0 / 2)] = std::sin(angle) * mscale;
    theta *= theta_scale;
  }
  return row;
}

TEST(AngleModel, GgmlRowsAreGgmlsRecurrence) {
  rotary::ggml_rope_parameters plain;
  plain.n_dims = 128;
  plain.freq_base = 500000.0f;
  rotary::ggml_rope_parameters factors = plain;  // Llama 3.1's rope_freqs
  for (int i = 0; i < 64; ++i) factors.freq_factors.push_back(i < 20 ? 1.0f : 1.0f + 0.25f * static_cast<float>(i - 20));
  rotary::ggml_rope_parameters yarn;  // Qwen2.5 with YaRN x4, as llama.cpp sets it
  yarn.n_dims = 128;
  yarn.freq_base = 1000000.0f;
  yarn.freq_scale = 0.25f;
  yarn.ext_factor = 1.0f;
  yarn.n_ctx_orig = 32768;
  for (const auto* p : {&plain, &factors, &yarn}) {
    const rotary::cos_sin_table<float> t(*p, 5000);
    EXPECT_EQ(t.angle_model(), angle_model::ggml);
    for (std::int64_t m : {0, 1, 3, 4095, 4999}) {
      const std::vector<float> want = ggml_row(*p, m);
      for (int i = 0; i < p->n_dims; ++i) {
        EXPECT_EQ(t.data()[m * p->n_dims + i], want[static_cast<std::size_t>(i)]) << m << " " << i;
      }
    }
  }
  // ggml's YaRN is HF's (truncate true) in float: nominal frequencies and mscale agree, up
  // to theta_scale = powf(base, -2/d) rounded to float and raised to the i-th power (about
  // i x 2^-24 relative: ggml's own error, not the emulation's).
  rotary::scaling::yarn_parameters y;
  y.rotary_dim = 128;
  y.base = 1000000.0;
  y.factor = 4.0;
  y.original_max_position_embeddings = 32768;
  const rotary::scaled_frequencies hf = rotary::scaling::yarn(y);
  const rotary::cos_sin_table<float> t(yarn, 1);
  ASSERT_EQ(t.frequencies().size(), hf.inv_freq.size());
  for (std::size_t i = 0; i < hf.inv_freq.size(); ++i) {
    EXPECT_NEAR(t.frequencies()[i], hf.inv_freq[i], 1.2e-7 * static_cast<double>(i + 1) * hf.inv_freq[i]) << i;
  }
  EXPECT_NEAR(t.attention_factor(), hf.attention_factor, 1e-6);
}

TEST(AngleModel, ErrorAgainstExactIsTheDocumentedBand) {
  // Max |cos, sin error| over 64 positions below 2^e and 64 pairs, rotary_dim 128, theta 1e4
  // (measured here: hf_f32 2.4e-4 / 3.9e-3 / 6.1e-2, ggml 5.8e-4 / 9.8e-3 / 0.15 at 2^12,
  // 2^16, 2^20: the float product is rounded at the angle's magnitude).
  const int d = 128;
  const std::vector<double> exact_theta = rotary::rope_frequencies(d, 10000.0);
  const std::vector<double> hf_theta = rotary::hf_f32_frequencies(d, 10000.0);
  rotary::ggml_rope_parameters gp;
  gp.n_dims = d;
  const rotary::detail::ggml_rope_plan plan(gp);
  struct band {
    int exponent;
    double hf_lo, hf_hi, ggml_lo, ggml_hi;
  };
  for (const band& b : {band{12, 1e-4, 5e-4, 2e-4, 1.2e-3}, band{16, 1.5e-3, 8e-3, 4e-3, 2e-2},
                        band{20, 2.5e-2, 0.12, 6e-2, 0.3}}) {
    double hf_err = 0, ggml_err = 0;
    std::vector<float> gc(d / 2), gs(d / 2);
    for (std::int64_t m = (std::int64_t{1} << b.exponent) - 64; m < (std::int64_t{1} << b.exponent); ++m) {
      plan.row(m, gc.data(), gs.data());
      for (int i = 0; i < d / 2; ++i) {
        const long double angle = static_cast<long double>(m) * exact_theta[static_cast<std::size_t>(i)];
        const double c = static_cast<double>(std::cos(angle)), s = static_cast<double>(std::sin(angle));
        float hc = 0, hs = 0;
        rotary::detail::hf_f32_cos_sin(m, hf_theta[static_cast<std::size_t>(i)], 1.0, hc, hs);
        hf_err = std::max({hf_err, std::abs(hc - c), std::abs(hs - s)});
        ggml_err = std::max({ggml_err, std::abs(gc[static_cast<std::size_t>(i)] - c),
                             std::abs(gs[static_cast<std::size_t>(i)] - s)});
      }
    }
    SCOPED_TRACE(b.exponent);
    EXPECT_GT(hf_err, b.hf_lo);
    EXPECT_LT(hf_err, b.hf_hi);
    EXPECT_GT(ggml_err, b.ggml_lo);
    EXPECT_LT(ggml_err, b.ggml_hi);
  }
}

TEST(AngleModel, RopeOverAModeledTableUndoesItself) {
  rotary::ggml_rope_parameters gp;
  gp.n_dims = 64;
  gp.attn_factor = 1.5f;
  const rotary::cos_sin_table<float> ggml_table(gp, 128);
  EXPECT_EQ(ggml_table.attention_factor(), 1.5);
  const rotary::cos_sin_table<float> hf_table(rotary::hf_f32_frequencies(64), 128, 1.0,
                                              angle_model::hf_f32);
  for (const auto* t : {&ggml_table, &hf_table}) {
    for (rotary::pairing p : {rotary::pairing::interleaved, rotary::pairing::half_split}) {
      const rotary::rope r(*t, p);
      const std::vector<float> x0 = rotary_test::random_vector<float>(100 * 2 * 64, 4);
      std::vector<float> x = x0;
      r.forward(rotary_test::view3(x, 100, 2, 64), rotary::positions::from_offset(20));
      r.inverse(rotary_test::view3(x, 100, 2, 64), rotary::positions::from_offset(20));
      for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], x0[i], 2e-6) << i;
    }
  }
}

TEST(AngleModel, BadParameters) {
  expect_error([] { rotary::cos_sin_table<float>(std::vector<double>(4, 0.5), 8, 1.0, angle_model::ggml); },
               "cos_sin_table: angle_model ggml is built from ggml_rope_parameters");
  rotary::ggml_rope_parameters p;
  p.n_dims = 7;
  expect_error([&] { rotary::cos_sin_table<float>(p, 8); },
               "cos_sin_table(ggml_rope_parameters): n_dims must be even, > 0 and <= "
               "max_rotary_dim (1048576), got 7");
  p.n_dims = (1 << 20) + 2;  // past max_rotary_dim: refused before any n_dims / 2 allocation
  expect_error([&] { rotary::cos_sin_table<float>(p, 8); },
               "n_dims must be even, > 0 and <= max_rotary_dim (1048576), got 1048578");
  p.n_dims = 8;
  p.freq_factors = {1.0f, 2.0f};
  expect_error([&] { rotary::cos_sin_table<float>(p, 8); },
               "freq_factors must be empty or hold n_dims / 2 = 4 entries, got 2");
  p.freq_factors = {1.0f, 2.0f, 0.0f, 1.0f};
  expect_error([&] { rotary::cos_sin_table<float>(p, 8); }, "freq_factors[2] must be finite and > 0, got 0");
  p.freq_factors.clear();
  p.ext_factor = 1.0f;
  expect_error([&] { rotary::cos_sin_table<float>(p, 8); }, "YaRN (ext_factor != 0) needs n_ctx_orig > 0");
  expect_error([] { rotary::hf_f32_frequencies(6, 1.0); },
               "hf_f32_frequencies: base must be finite and > 1, got 1");
}

}  // namespace
