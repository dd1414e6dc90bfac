// SPDX-License-Identifier: MIT
// GGUF metadata -> RoPE (gguf.hpp): what llama.cpp derives from the keys, checked against
// the HF builders for the models whose converter output is known (the keys written here are
// those llama.cpp's convert_hf_to_gguf.py writes for each model), and llama.cpp's own
// formulas written out independently for the factors.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <rotary/gguf.hpp>
#include <rotary/table.hpp>

#include "expect_error.hpp"

namespace {

constexpr long double kPi = 3.141592653589793238462643383279502884L;

using rotary::gguf::layer_kind;
using rotary::gguf::metadata;
using rotary::gguf::read_rope_metadata;
using rotary_test::expect_error;

metadata model(const std::string& arch, std::int64_t rotary_dim, double base) {
  metadata md;
  md.values["general.architecture"] = arch;
  md.values[arch + ".rope.dimension_count"] = rotary_dim;
  md.values[arch + ".rope.freq_base"] = base;
  return md;
}

void expect_relative(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], tol * std::fabs(want[i])) << "pair " << i;
  }
}

long double theta(std::size_t i, std::int64_t d, long double base) {
  return std::pow(base, -2.0L * static_cast<long double>(i) / static_cast<long double>(d));
}

// g(s, m) = 0.1 m ln s + 1 (s > 1): YaRN's mscale, written out here.
double g(double s, double m) { return s <= 1.0 ? 1.0 : 0.1 * m * std::log(s) + 1.0; }

TEST(Gguf, PlainFileIsDefaultRope) {
  const auto r = read_rope_metadata(model("llama", 128, 10000.0));
  EXPECT_EQ(r.scaling_type, "linear");  // llama.cpp's default, with factor 1
  EXPECT_EQ(r.factor, 1.0);
  const auto f = r.frequencies();
  EXPECT_EQ(f.attention_factor, 1.0);
  for (std::size_t i = 0; i < f.inv_freq.size(); ++i) {
    EXPECT_NEAR(f.inv_freq[i], static_cast<double>(theta(i, 128, 10000.0L)), 1e-15);
  }
}

TEST(Gguf, RotaryDimFallsBackToKeyLengthThenEmbeddingPerHead) {
  metadata md;
  md.values["general.architecture"] = std::string("qwen2");
  md.values["qwen2.embedding_length"] = std::int64_t{3584};
  md.values["qwen2.attention.head_count"] = std::int64_t{28};
  EXPECT_EQ(read_rope_metadata(md).rotary_dim, 128);
  md.values["qwen2.attention.key_length"] = std::int64_t{64};
  EXPECT_EQ(read_rope_metadata(md).rotary_dim, 64);
  md.values["qwen2.rope.dimension_count"] = std::int64_t{32};  // partial rotary (Phi-2, NeoX)
  EXPECT_EQ(read_rope_metadata(md).rotary_dim, 32);
}

TEST(Gguf, LinearFactorAndItsOldKeyAndNone) {
  metadata md = model("gemma3", 256, 1e6);
  md.values["gemma3.rope.scale_linear"] = 8.0;  // the old key name
  expect_relative(read_rope_metadata(md).frequencies().inv_freq,
                  rotary::scaling::linear(256, 1e6, 8.0).inv_freq, 1e-15);
  md.values["gemma3.rope.scaling.factor"] = 4.0;  // the new one wins
  EXPECT_EQ(read_rope_metadata(md).factor, 4.0);
  md.values["gemma3.rope.scaling.factor"] = 0.0;  // 0 means 1 (llama.cpp)
  EXPECT_EQ(read_rope_metadata(md).factor, 1.0);
  md.values["gemma3.rope.scaling.factor"] = 8.0;
  md.values["gemma3.rope.scaling.type"] = std::string("none");  // never scale
  EXPECT_EQ(read_rope_metadata(md).factor, 1.0);
}

TEST(Gguf, Gemma3SlidingLayersUseTheirBaseUnscaled) {
  // Gemma 3: rope_theta 1e6 with linear x8 on global layers, rope_local_base_freq 1e4.
  metadata md = model("gemma3", 256, 1e6);
  md.values["gemma3.rope.scaling.type"] = std::string("linear");
  md.values["gemma3.rope.scaling.factor"] = 8.0;
  const auto without_swa = read_rope_metadata(md);
  // No freq_base_swa: sliding layers are configured as the full ones (llama.cpp's default).
  expect_relative(without_swa.frequencies(0, layer_kind::sliding).inv_freq,
                  without_swa.frequencies(0, layer_kind::full).inv_freq, 0.0);
  md.values["gemma3.rope.freq_base_swa"] = 10000.0;
  const auto r = read_rope_metadata(md);
  expect_relative(r.frequencies(0, layer_kind::full).inv_freq,
                  rotary::scaling::linear(256, 1e6, 8.0).inv_freq, 1e-15);
  const auto sliding = r.frequencies(0, layer_kind::sliding);
  expect_relative(sliding.inv_freq, rotary::scaling::default_rope(256, 1e4).inv_freq, 1e-15);
  EXPECT_EQ(sliding.attention_factor, 1.0);
  const auto p = r.ggml_parameters(0, layer_kind::sliding);
  EXPECT_EQ(p.freq_base, 10000.0f);
  EXPECT_EQ(p.freq_scale, 1.0f);
  EXPECT_EQ(r.ggml_parameters().freq_scale, 0.125f);
}

// Llama 3.1: the converter folds the llama3 scaling into rope_freqs, the factors computed
// as convert_hf_to_gguf.py does (written out here in double), stored as float32.
std::vector<float> llama31_rope_freqs(std::int64_t d, double base) {
  const double factor = 8, low = 1, high = 4, old_ctx = 8192;
  const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
  std::vector<float> ff;
  for (std::int64_t i = 0; i < d / 2; ++i) {
    const double freq = std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(d));
    const double wavelen = 2 * static_cast<double>(kPi) / freq;
    double f = 1.0;
    if (wavelen > low_wavelen) {
      f = factor;
    } else if (wavelen >= high_wavelen) {
      const double smooth = (old_ctx / wavelen - low) / (high - low);
      f = 1.0 / ((1 - smooth) / factor + smooth);
    }
    ff.push_back(static_cast<float>(f));
  }
  return ff;
}

TEST(Gguf, Llama31RopeFreqsGiveHfLlama3WithinFloat32) {
  metadata md = model("llama", 128, 500000.0);
  md.rope_freqs = llama31_rope_freqs(128, 500000.0);
  const auto r = read_rope_metadata(md);
  rotary::scaling::llama3_parameters p;
  p.rotary_dim = 128;
  p.base = 500000.0;
  p.factor = 8;
  p.low_freq_factor = 1;
  p.high_freq_factor = 4;
  p.original_max_position_embeddings = 8192;
  // The float32 factors carry 2^-24 relative each.
  expect_relative(r.frequencies().inv_freq, rotary::scaling::llama3(p).inv_freq, 1.2e-7);
  EXPECT_EQ(r.frequencies().attention_factor, 1.0);
  EXPECT_EQ(r.ggml_parameters().freq_factors, md.rope_freqs);
}

metadata qwen25_yarn() {
  // Qwen2.5-7B-Instruct with rope_scaling {"type": "yarn", "factor": 4.0,
  // "original_max_position_embeddings": 32768}.
  metadata md = model("qwen2", 128, 1e6);
  md.values["qwen2.context_length"] = std::int64_t{32768};
  md.values["qwen2.rope.scaling.type"] = std::string("yarn");
  md.values["qwen2.rope.scaling.factor"] = 4.0;
  md.values["qwen2.rope.scaling.original_context_length"] = std::int64_t{32768};
  return md;
}

TEST(Gguf, YarnIsHfYarnWithTheSameFactor) {
  const auto r = read_rope_metadata(qwen25_yarn());
  EXPECT_EQ(r.yarn_ext_factor, 1.0);  // llama.cpp's default for yarn
  rotary::scaling::yarn_parameters y;
  y.rotary_dim = 128;
  y.base = 1e6;
  y.factor = 4.0;
  y.original_max_position_embeddings = 32768;
  const auto hf = rotary::scaling::yarn(y);
  const auto f = r.frequencies();
  expect_relative(f.inv_freq, hf.inv_freq, 1e-15);
  EXPECT_NEAR(f.attention_factor, hf.attention_factor, 1e-15);
  EXPECT_NEAR(f.attention_factor, 1 + 0.1 * std::log(4.0), 1e-15);
  EXPECT_EQ(f.softmax_scale_factor, 1.0);
}

TEST(Gguf, YarnParametersForGgmlCancelItsOwnFactor) {
  const auto r = read_rope_metadata(qwen25_yarn());
  const auto p = r.ggml_parameters();
  EXPECT_EQ(p.ext_factor, 1.0f);
  EXPECT_EQ(p.n_ctx_orig, 32768);
  EXPECT_EQ(p.freq_scale, 0.25f);
  // llama.cpp: yarn_attn_factor = g(s, 1) / (1 + 0.1 ln s) in float, which ggml multiplies by
  // 1 + 0.1 ln(1 / freq_scale): here exactly 1 up to float rounding.
  EXPECT_NEAR(p.attn_factor, 1.0f, 2e-7f);
  // The ggml-model table then matches the exact one to ggml's float error (no extra factor:
  // a double-applied 1 + 0.1 ln 4 = 1.139 would be off by 0.14).
  const std::ptrdiff_t rows = 4096;
  const rotary::cos_sin_table<float> exact(r.frequencies(), rows);
  const rotary::cos_sin_table<float> ggml(p, rows);
  // Rows are [cos 0..63 | sin 0..63].
  double worst = 0;
  for (std::ptrdiff_t e = 0; e < rows * 128; ++e) {
    worst = std::max(worst, static_cast<double>(std::fabs(exact.data()[e] - ggml.data()[e])));
  }
  EXPECT_LT(worst, 1e-3);
  EXPECT_NEAR(ggml.data()[0], 1 + 0.1 * std::log(4.0), 1e-6);  // A on the table (cos 0)
}

TEST(Gguf, YarnExtFactorMixesTheRamp) {
  metadata md = qwen25_yarn();
  md.values["qwen2.rope.scaling.yarn_ext_factor"] = 0.5;
  md.values["qwen2.rope.scaling.yarn_beta_fast"] = 16.0;
  const auto r = read_rope_metadata(md);
  // ggml's rope_yarn: theta' = theta/s (1 - ext ramp) + theta ext ramp with ramp_i =
  // 1 - clamp((i - low) / (high - low)), low = floor(c(16)), high = ceil(c(1)) (clamped).
  const long double d = 128, L = 32768, base = 1e6L, s = 4;
  const auto c = [&](long double r) { return d * std::log(L / (r * 2 * kPi)) / (2 * std::log(base)); };
  const long double low = std::max(0.0L, std::floor(c(16))), high = std::min(d - 1, std::ceil(c(1)));
  const auto f = r.frequencies();
  for (std::size_t i = 0; i < f.inv_freq.size(); ++i) {
    const long double y = std::clamp((static_cast<long double>(i) - low) / (high - low), 0.0L, 1.0L);
    const long double ramp = (1 - y) * 0.5L;
    const long double t = theta(i, 128, base);
    const long double want = t / s * (1 - ramp) + t * ramp;
    EXPECT_NEAR(f.inv_freq[i], static_cast<double>(want), 1e-14 * static_cast<double>(want)) << i;
  }
}

metadata deepseek(double mscale_all_dim) {
  // DeepSeek V3 / V2-Lite: the converter writes yarn_log_multiplier = 0.1 x mscale_all_dim.
  metadata md = model("deepseek2", 64, 10000.0);
  md.values["deepseek2.rope.scaling.type"] = std::string("yarn");
  md.values["deepseek2.rope.scaling.factor"] = 40.0;
  md.values["deepseek2.rope.scaling.original_context_length"] = std::int64_t{4096};
  md.values["deepseek2.rope.scaling.yarn_log_multiplier"] = 0.1 * mscale_all_dim;
  return md;
}

TEST(Gguf, DeepSeekPutsMscaleOnTheSoftmaxScaleAsHf) {
  for (const double m : {1.0, 0.707}) {
    SCOPED_TRACE(m);
    const auto f = read_rope_metadata(deepseek(m)).frequencies();
    rotary::scaling::yarn_parameters y;  // HF: mscale == mscale_all_dim == m
    y.rotary_dim = 64;
    y.base = 10000.0;
    y.factor = 40.0;
    y.original_max_position_embeddings = 4096;
    y.mscale = m;
    y.mscale_all_dim = m;
    const auto hf = rotary::scaling::yarn(y);
    expect_relative(f.inv_freq, hf.inv_freq, 1e-15);
    EXPECT_EQ(f.attention_factor, 1.0);
    EXPECT_NEAR(f.attention_factor, hf.attention_factor, 1e-15);
    EXPECT_NEAR(f.softmax_scale_factor, g(40, m) * g(40, m), 1e-14);
    EXPECT_NEAR(f.softmax_scale_factor, hf.softmax_scale_factor, 1e-14);
    // ggml rotates with 1 / (1 + 0.1 ln s), which it multiplies back: net 1.
    const auto p = read_rope_metadata(deepseek(m)).ggml_parameters();
    EXPECT_NEAR(p.attn_factor * (1.0f + 0.1f * std::log(40.0f)), 1.0f, 2e-7f);
  }
}

TEST(Gguf, LogMultiplierOutsideDeepSeekAssumesMscaleOne) {
  // llama.cpp (not HF): another architecture with yarn_log_multiplier gets the cos/sin
  // factor g(s, 1) / g(s, m); HF would give g(s, 1) when only mscale_all_dim is set.
  metadata md = model("glm4", 64, 10000.0);
  md.values["glm4.rope.scaling.type"] = std::string("yarn");
  md.values["glm4.rope.scaling.factor"] = 40.0;
  md.values["glm4.rope.scaling.original_context_length"] = std::int64_t{4096};
  md.values["glm4.rope.scaling.yarn_log_multiplier"] = 0.0707;
  const auto f = read_rope_metadata(md).frequencies();
  EXPECT_NEAR(f.attention_factor, g(40, 1) / g(40, 0.707), 1e-14);
  EXPECT_EQ(f.softmax_scale_factor, 1.0);
}

TEST(Gguf, AttnFactorMultipliesTheCosSinFactor) {
  metadata md = qwen25_yarn();
  md.values["qwen2.rope.scaling.attn_factor"] = 0.5;
  EXPECT_NEAR(read_rope_metadata(md).frequencies().attention_factor, 0.5 * g(4, 1), 1e-15);
  metadata plain = model("llama", 64, 10000.0);
  plain.values["llama.rope.scaling.attn_factor"] = 1.25;
  EXPECT_EQ(read_rope_metadata(plain).frequencies().attention_factor, 1.25);
  EXPECT_EQ(read_rope_metadata(plain).ggml_parameters().attn_factor, 1.25f);
}

TEST(Gguf, LongRopePicksItsListByContext) {
  // Phi-3-mini-128k: rope_factors_short / _long (48 entries for rotary_dim 96) and the
  // converter's attn_factor = sqrt(1 + ln(131072 / 4096) / ln 4096).
  metadata md = model("phi3", 96, 10000.0);
  md.values["phi3.context_length"] = std::int64_t{131072};
  md.values["phi3.rope.scaling.type"] = std::string("longrope");
  md.values["phi3.rope.scaling.original_context_length"] = std::int64_t{4096};
  const double a = std::sqrt(1 + std::log(32.0) / std::log(4096.0));
  md.values["phi3.rope.scaling.attn_factor"] = static_cast<double>(static_cast<float>(a));
  for (int i = 0; i < 48; ++i) {
    md.rope_factors_short.push_back(1.0f + 0.01f * static_cast<float>(i));
    md.rope_factors_long.push_back(1.0f + 0.5f * static_cast<float>(i));
  }
  const auto r = read_rope_metadata(md);
  const auto short_f = r.frequencies(4096), long_f = r.frequencies(4097);
  for (std::size_t i = 0; i < 48; ++i) {
    const double t = static_cast<double>(theta(i, 96, 10000.0L));
    EXPECT_NEAR(short_f.inv_freq[i], t / md.rope_factors_short[i], 1e-16);
    EXPECT_NEAR(long_f.inv_freq[i], t / md.rope_factors_long[i], 1e-16);
  }
  EXPECT_NEAR(short_f.attention_factor, a, 1e-7);  // the same factor for both lists
  EXPECT_EQ(short_f.attention_factor, long_f.attention_factor);
  EXPECT_EQ(r.ggml_parameters(4097).freq_factors, md.rope_factors_long);
  EXPECT_EQ(r.ggml_parameters(100).ext_factor, 0.0f);
}

TEST(Gguf, HunyuanAlphaIsReportedNotApplied) {
  // The converter folds alpha into freq_base; applying it again would be the bug.
  metadata md = model("hunyuan-moe", 128, 10000.0 * std::pow(1000.0, 128.0 / 126.0));
  md.values["hunyuan-moe.rope.scaling.alpha"] = 1000.0;
  const auto r = read_rope_metadata(md);
  ASSERT_TRUE(r.alpha.has_value());
  EXPECT_EQ(*r.alpha, 1000.0);
  expect_relative(r.frequencies().inv_freq, rotary::scaling::ntk_alpha(128, 10000.0, 1000.0).inv_freq,
                  1e-13);
}

TEST(Gguf, DimensionSectionsAreKept) {
  metadata md = model("qwen2vl", 128, 1e6);
  md.values["qwen2vl.rope.dimension_sections"] = std::vector<std::int64_t>{16, 24, 24, 0};
  EXPECT_EQ(read_rope_metadata(md).dimension_sections, (std::vector<std::int64_t>{16, 24, 24, 0}));
}

TEST(Gguf, BadMetadataNamesTheKey) {
  expect_error([] { read_rope_metadata(metadata{}); }, "gguf: general.architecture: missing");
  {
    metadata md;
    md.values["general.architecture"] = std::int64_t{3};
    expect_error([&] { read_rope_metadata(md); }, "general.architecture: must be a non-empty string");
  }
  {
    metadata md = model("llama", 128, 10000.0);
    md.values["llama.rope.scaling.type"] = std::string("foo");
    expect_error([&] { read_rope_metadata(md); },
                 "gguf: llama.rope.scaling.type: unknown scaling type \"foo\"");
  }
  {
    metadata md = model("llama", 127, 10000.0);
    expect_error([&] { read_rope_metadata(md); }, "llama.rope.dimension_count: rotary_dim must be even");
  }
  {
    metadata md = model("llama", 128, -5.0);
    expect_error([&] { read_rope_metadata(md); }, "llama.rope.freq_base: must be > 0, got -5");
  }
  {
    metadata md = model("llama", 128, 10000.0);
    md.values["llama.rope.freq_base"] = std::string("1e4");
    expect_error([&] { read_rope_metadata(md); }, "llama.rope.freq_base: must be a number");
  }
  {
    metadata md = model("llama", 128, 10000.0);
    md.values["llama.rope.scaling.factor"] = -2.0;
    expect_error([&] { read_rope_metadata(md); }, "llama.rope.scaling.factor: must be > 0, got -2");
  }
  {
    metadata md = model("llama", 128, 10000.0);
    md.values["llama.rope.dimension_count"] = 128.0;
    expect_error([&] { read_rope_metadata(md); }, "llama.rope.dimension_count: must be an integer");
  }
  {
    metadata md = model("llama", 128, 10000.0);
    md.values["llama.rope.scaling.type"] = std::string("yarn");
    md.values["llama.rope.scaling.factor"] = 4.0;
    expect_error([&] { read_rope_metadata(md); },
                 "llama.rope.scaling.original_context_length: YaRN needs it");
  }
  {
    metadata md = model("llama", 128, 10000.0);
    md.rope_freqs.assign(63, 1.0f);
    expect_error([&] { read_rope_metadata(md); },
                 "gguf: rope_freqs.weight: must hold rotary_dim / 2 = 64 entries, got 63");
    md.rope_freqs.assign(64, 1.0f);
    md.rope_freqs[5] = 0.0f;
    expect_error([&] { read_rope_metadata(md); }, "rope_freqs.weight: [5] must be finite and > 0");
  }
  {
    metadata md = model("phi3", 96, 10000.0);
    md.rope_factors_short.assign(48, 1.0f);
    expect_error([&] { read_rope_metadata(md); }, "LongRoPE needs both factor tensors");
  }
  {
    metadata md = model("qwen2vl", 128, 1e6);
    md.values["qwen2vl.rope.dimension_sections"] = 3.0;
    expect_error([&] { read_rope_metadata(md); }, "must be an array of integers");
  }
}

}  // namespace
