// rotary::hf (hf_config.hpp): real models' config.json files (tests/data/configs, each
// citing where its numbers come from) read into RoPE parameters, and their frequencies and
// factors against the independent numpy float64 vectors (tests/data/scaling_reference.inc)
// to 1e-12 relative; layer types and layers; the example rope_config's JSON; bad configs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include <rotary/hf_config.hpp>

#include "data/scaling_reference.hpp"

namespace {


const ScalingReference& reference(const std::string& name) {
  for (const ScalingReference& r : kScalingReferences) {
    if (name == r.name) return r;
  }
  throw std::runtime_error("no reference named " + name);
}

std::string config_path(const std::string& name) {
  return std::string(ROTARY_TEST_DATA_DIR) + "/configs/" + name;
}

void expect_matches(const rotary::scaled_frequencies& f, const std::string& ref_name) {
  SCOPED_TRACE(ref_name);
  const ScalingReference& ref = reference(ref_name);
  ASSERT_EQ(f.inv_freq.size(), ref.pairs);
  for (std::size_t i = 0; i < ref.pairs; ++i) {
    EXPECT_LE(std::abs(f.inv_freq[i] - ref.inv_freq[i]) / ref.inv_freq[i], 1e-12) << "pair " << i;
  }
  EXPECT_NEAR(f.attention_factor, ref.attention_factor, 1e-14 * ref.attention_factor);
  EXPECT_NEAR(f.softmax_scale_factor, ref.softmax_scale_factor, 1e-14 * ref.softmax_scale_factor);
}

TEST(HfConfig, RealConfigsGiveHfsFloat64Frequencies) {
  struct config_case {
    const char* file;
    std::int64_t seq_len;
    const char* reference;
    const char* rope_type;
  };
  const config_case cases[] = {
      {"llama2_7b.json", 0, "default_llama2", "default"},
      {"phi2.json", 0, "default_partial_phi2", "default"},  // partial: 0.4 x 80 = 32
      {"linear_x4.json", 0, "linear_x4", "linear"},
      {"dynamic_ntk.json", 4096, "dynamic_at_max", "dynamic"},
      {"dynamic_ntk.json", 10000, "dynamic_past_max", "dynamic"},
      {"qwen25_7b_yarn.json", 0, "yarn_qwen25", "yarn"},
      {"gpt_oss_20b.json", 0, "yarn_gpt_oss", "yarn"},  // truncate false
      {"deepseek_v3.json", 0, "yarn_deepseek_v3", "yarn"},
      {"llama31_8b.json", 0, "llama31", "llama3"},
      {"phi35_mini.json", 4096, "longrope_phi35_short", "longrope"},
      {"phi35_mini.json", 131072, "longrope_phi35_long", "longrope"},
      {"qwen3_8b.json", 0, "default_qwen3", "default"},
      {"gpt_neox_20b.json", 0, "default_partial_gpt_neox", "default"},  // rotary_pct, rotary_emb_base
      {"llama4_scout.json", 0, "llama3_llama4_scout", "llama3"},        // low = high = 1
      {"phi3_mini_128k.json", 4096, "longrope_phi3_mini_short", "longrope"},  // "su"
      {"phi3_mini_128k.json", 8192, "longrope_phi3_mini_long", "longrope"},
      {"phi4_mini.json", 4096, "longrope_phi4_mini_short", "longrope"},  // partial 0.75
      {"phi4_mini.json", 131072, "longrope_phi4_mini_long", "longrope"},
      {"devstral_small2.json", 0, "yarn_devstral_small2", "yarn"},
  };
  for (const config_case& c : cases) {
    SCOPED_TRACE(c.file);
    const rotary::hf::model_rope m = rotary::hf::read_config_file(config_path(c.file));
    EXPECT_EQ(m.main().rope_type, c.rope_type);
    expect_matches(m.main().frequencies(c.seq_len), c.reference);
  }
}

TEST(HfConfig, Gemma3LayerTypes) {
  const rotary::hf::model_rope m = rotary::hf::read_config_file(config_path("gemma3_4b.json"));
  ASSERT_EQ(m.layer_types.size(), 2u);
  const auto& full = m.layer_types.at("full_attention");
  const auto& sliding = m.layer_types.at("sliding_attention");
  EXPECT_EQ(full.rope_type, "linear");
  EXPECT_EQ(full.rope_theta, 1e6);
  EXPECT_EQ(sliding.rope_type, "default");  // local layers unscaled
  EXPECT_EQ(sliding.rope_theta, 1e4);
  EXPECT_EQ(full.frequencies().inv_freq, rotary::scaling::linear(256, 1e6, 8.0).inv_freq);
  EXPECT_EQ(sliding.frequencies().inv_freq, rotary::scaling::default_rope(256, 1e4).inv_freq);
  ASSERT_EQ(m.layers.size(), 34u);
  for (std::size_t i = 0; i < 34; ++i) {
    EXPECT_EQ(m.layers[i], (i + 1) % 6 == 0 ? "full_attention" : "sliding_attention") << i;
  }
  EXPECT_EQ(&m.for_layer(5), &full);
  EXPECT_EQ(&m.for_layer(0), &sliding);
}

TEST(HfConfig, V5PerLayerTypeDictsAndNoRopeLayers) {
  const auto j = nlohmann::json::parse(R"({
    "hidden_size": 1024, "num_attention_heads": 8, "num_hidden_layers": 4,
    "max_position_embeddings": 65536,
    "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
    "rope_parameters": {
      "full_attention": {"rope_type": "yarn", "factor": 8.0, "rope_theta": 500000.0,
                         "original_max_position_embeddings": 8192},
      "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}
    },
    "no_rope_layers": [1, 1, 0, 1]
  })");
  const rotary::hf::model_rope m = rotary::hf::read_config(j);
  EXPECT_EQ(m.layers, (std::vector<std::string>{"sliding_attention", "full_attention", "",
                                                "full_attention"}));
  EXPECT_EQ(m.for_layer(1).rope_type, "yarn");
  EXPECT_EQ(m.for_layer(0).rope_theta, 1e4);
  EXPECT_THROW(m.for_layer(2), rotary::invalid_argument);  // no RoPE on layer 2
  rotary::scaling::yarn_parameters y;
  y.rotary_dim = 128;
  y.base = 500000.0;
  y.factor = 8.0;
  y.original_max_position_embeddings = 8192;
  EXPECT_EQ(m.for_layer(3).frequencies().inv_freq, rotary::scaling::yarn(y).inv_freq);
}

TEST(HfConfig, Gemma4ProportionalOnFullLayers) {
  const rotary::hf::model_rope m = rotary::hf::read_config_file(config_path("gemma4.json"));
  ASSERT_EQ(m.layers.size(), 60u);
  for (std::size_t i = 0; i < 60; ++i) {
    EXPECT_EQ(m.layers[i], (i + 1) % 6 == 0 ? "full_attention" : "sliding_attention") << i;
  }
  const auto& full = m.for_layer(5);
  EXPECT_EQ(full.rope_type, "proportional");
  EXPECT_EQ(full.head_dim, 512);  // global_head_dim
  EXPECT_EQ(full.rotary_dim, 128);  // 2 floor(0.25 x 512 / 2)
  const rotary::scaled_frequencies f = full.frequencies();
  EXPECT_EQ(f.pair_distance, 256);  // pairs (j, j + 256), j < 64
  expect_matches(f, "proportional_quarter");
  EXPECT_EQ(m.for_layer(0).head_dim, 256);
  expect_matches(m.for_layer(0).frequencies(), "default_gemma4_sliding");
}

TEST(HfConfig, QueryScalesPerLayer) {
  // Llama 4 Scout: no_rope_layers [] derived as HF does (every 4th layer NoPE), the
  // attention temperature on those layers with HF's defaults (0.1, 8192).
  const rotary::hf::model_rope l4 = rotary::hf::read_config_file(config_path("llama4_scout.json"));
  ASSERT_EQ(l4.layers.size(), 48u);
  for (std::size_t i = 0; i < 48; ++i) {
    SCOPED_TRACE(i);
    const bool nope = (i + 1) % 4 == 0;
    EXPECT_EQ(l4.uses_rope(i), !nope);
    const rotary::query_scale s = l4.query_scale_for_layer(i);
    EXPECT_EQ(s.active(), nope);
    if (nope) {
      EXPECT_EQ(s.type(), rotary::query_scale::kind::llama4_temperature);
      EXPECT_EQ(s.beta(), 0.1);
      EXPECT_EQ(s.length(), 8192.0);
    }
  }
  // Devstral Small 2 (Mistral 3): 1 + 0.1 ln(1 + floor(m / 8192)) on every layer.
  const rotary::hf::model_rope d = rotary::hf::read_config_file(config_path("devstral_small2.json"));
  ASSERT_EQ(d.layers.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) {
    const rotary::query_scale s = d.query_scale_for_layer(i);
    ASSERT_EQ(s.type(), rotary::query_scale::kind::log_floor) << i;
    EXPECT_EQ(s.beta(), 0.1);
    EXPECT_EQ(s.length(), 8192.0);
  }
  EXPECT_EQ(d.query_scale_for_layer(0).at(8191), 1.0);
  EXPECT_EQ(d.query_scale_for_layer(0).at(8192), 1.0 + 0.1 * std::log(2.0));
  EXPECT_FALSE(d.no_rope_query_scale.active());
  // Explicit keys: a numeric attn_temperature_tuning (4, as older configs write) is true;
  // 0 or false turns it off.
  const auto explicit_keys = nlohmann::json::parse(R"({"hidden_size": 1024, "num_attention_heads": 8,
      "num_hidden_layers": 4, "no_rope_layers": [1, 0, 1, 0], "attn_temperature_tuning": 4,
      "attn_scale": 0.2, "floor_scale": 100})");
  const auto e = rotary::hf::read_config(explicit_keys);
  EXPECT_FALSE(e.query_scale_for_layer(0).active());
  EXPECT_EQ(e.query_scale_for_layer(1).beta(), 0.2);
  EXPECT_EQ(e.query_scale_for_layer(3).length(), 100.0);
  auto off = explicit_keys;
  off["attn_temperature_tuning"] = false;
  EXPECT_FALSE(rotary::hf::read_config(off).query_scale_for_layer(1).active());
  EXPECT_THROW(e.query_scale_for_layer(4), rotary::invalid_argument);
}

TEST(HfConfig, AliasesAndDefaults) {
  // "su" is longrope; {"type": "dynamic", "alpha": a} is Hunyuan's NTK alpha; head_dim null.
  const auto alpha = nlohmann::json::parse(R"({"hidden_size": 4096, "num_attention_heads": 32,
      "head_dim": null, "rope_theta": 10000.0, "rope_scaling": {"type": "dynamic", "alpha": 1000.0}})");
  const auto m = rotary::hf::read_config(alpha);
  EXPECT_EQ(m.main().rope_type, "ntk_alpha");
  expect_matches(m.main().frequencies(), "ntk_alpha_1000");
  auto su = nlohmann::json::parse(R"({"hidden_size": 3072, "num_attention_heads": 32,
      "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
      "rope_scaling": {"type": "su"}})");
  su["rope_scaling"]["short_factor"] = std::vector<double>(48, 1.0);
  su["rope_scaling"]["long_factor"] = std::vector<double>(48, 2.0);
  EXPECT_EQ(rotary::hf::read_config(su).main().rope_type, "longrope");
}

void expect_config_error(const std::string& text, const std::string& needle) {
  try {
    rotary::hf::read_config(nlohmann::json::parse(text));
    ADD_FAILURE() << "no error; expected: " << needle;
  } catch (const rotary::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(HfConfig, BadConfigsNameTheKeyAndValue) {
  const std::string head = R"("hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 4096, )";
  expect_config_error("{" + head + R"("rope_scaling": {"rope_type": "foo"}})",
                      "hf config: rope_scaling.rope_type: unknown rope type \"foo\"");
  expect_config_error("{" + head + R"("rope_scaling": {"rope_type": "linear", "factor": 0}})",
                      "hf config: rope_scaling: scaling::linear: factor must be finite and > 0, got 0");
  expect_config_error("{" + head + R"("rope_scaling": {"rope_type": "linear"}})",
                      "hf config: rope_scaling: factor: missing (linear needs it)");
  expect_config_error("{" + head + R"("rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3",
      "factor": 8, "low_freq_factor": 4, "high_freq_factor": 1, "original_max_position_embeddings": 8192}})",
                      "low_freq_factor must be <= high_freq_factor, got 4 > 1");
  expect_config_error("{" + head + R"("rope_scaling": {"rope_type": "longrope",
      "short_factor": [1, 1], "long_factor": [1, 1]}})",
                      "short_factor must have rotary_dim / 2 = 64 entries, got 2");
  expect_config_error(R"({"num_attention_heads": 32})", "hf config: head_dim: missing");
  expect_config_error("{" + head + R"("partial_rotary_factor": 1.5})",
                      "hf config: rope_scaling.partial_rotary_factor: must be in (0, 1]");
  expect_config_error("{" + head + R"("rope_theta": "big"})", "hf config: rope_theta: must be a number, got \"big\"");
  expect_config_error("{" + head + R"("rope_parameters": {"rope_type": "default", "llama_4_scaling_beta": 0.1}})",
                      "hf config: rope_parameters.llama_4_scaling_beta: needs "
                      "rope_parameters.original_max_position_embeddings, which is missing");
  expect_config_error("{" + head + R"("num_hidden_layers": 4, "no_rope_layer_interval": 0})",
                      "hf config: no_rope_layer_interval: must be > 0, got 0");
  expect_config_error("{" + head + R"("attn_temperature_tuning": true, "floor_scale": 0})",
                      "hf config: attn_temperature_tuning: query_scale::llama4_temperature: "
                      "floor_scale must be finite and >= 1, got 0");
}

#if defined(ROTARY_ROPE_CONFIG_EXAMPLE)
std::string run(const std::string& args, int& status) {
  std::string out;
  FILE* p = popen((std::string(ROTARY_ROPE_CONFIG_EXAMPLE) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, p)) out += buffer;
  status = pclose(p);
  return out;
}

TEST(HfConfig, RopeConfigExampleJson) {
  struct example_case {
    const char* file;
    const char* args;
    const char* reference;
  };
  const example_case cases[] = {
      {"llama2_7b.json", "", "default_llama2"},
      {"phi2.json", "", "default_partial_phi2"},
      {"linear_x4.json", "", "linear_x4"},
      {"dynamic_ntk.json", "--seq-len 10000", "dynamic_past_max"},
      {"qwen25_7b_yarn.json", "", "yarn_qwen25"},
      {"gpt_oss_20b.json", "", "yarn_gpt_oss"},
      {"llama31_8b.json", "", "llama31"},
      {"phi35_mini.json", "--seq-len 4096", "longrope_phi35_short"},
      {"phi35_mini.json", "--seq-len 8192", "longrope_phi35_long"},
      {"llama4_scout.json", "", "llama3_llama4_scout"},
      {"phi4_mini.json", "--seq-len 131072", "longrope_phi4_mini_long"},
      {"devstral_small2.json", "", "yarn_devstral_small2"},
  };
  for (const example_case& c : cases) {
    SCOPED_TRACE(c.file);
    int status = -1;
    const std::string out = run(config_path(c.file) + " --json " + c.args, status);
    ASSERT_EQ(status, 0) << out;
    const auto j = nlohmann::json::parse(out);
    rotary::scaled_frequencies f;
    f.inv_freq = j.at("inv_freq").get<std::vector<double>>();
    f.attention_factor = j.at("attention_factor").get<double>();
    f.softmax_scale_factor = j.at("softmax_scale_factor").get<double>();
    EXPECT_EQ(j.at("rotary_dim").get<std::ptrdiff_t>(), f.rotary_dim());
    expect_matches(f, c.reference);
  }
  int status = 0;
  const std::string bad = run(config_path("../configs_bad/unknown_type.json"), status);
  EXPECT_NE(status, 0);
  EXPECT_NE(bad.find("rope_scaling.rope_type: unknown rope type \"ntk_by_parts\""), std::string::npos) << bad;
}

TEST(HfConfig, RopeConfigExampleArgumentErrors) {
  const std::string good = config_path("llama2_7b.json");
  struct bad_call {
    std::string args;
    const char* message;
  };
  const bad_call calls[] = {
      {"", "usage: "},
      {good + " --bogus", "usage: "},
      {good + " " + good, "usage: "},
      {good + " --seq-len", "usage: "},
      {good + " --seq-len -5", "rope_config: --seq-len: not a length >= 0: -5"},
      {good + " --seq-len 12x", "rope_config: --seq-len: not a length >= 0: 12x"},
      {good + " --seq-len ''", "rope_config: --seq-len: not a length >= 0: "},
      {good + " --seq-len 99999999999999999999", "not a length >= 0: 99999999999999999999"},
      {config_path("no_such_file.json"), "rope_config: hf config: cannot open \""},
      {std::string(ROTARY_TEST_DATA_DIR) + "/make_scaling_reference.py", "is not JSON"},
  };
  for (const bad_call& c : calls) {
    SCOPED_TRACE(c.args);
    int status = 0;
    const std::string out = run(c.args, status);
    EXPECT_NE(status, 0) << out;
    EXPECT_NE(out.find(c.message), std::string::npos) << out;
  }
}
#endif

}  // namespace
