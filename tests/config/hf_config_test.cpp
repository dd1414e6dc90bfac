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
                      "low_freq_factor must be < high_freq_factor, got 4 >= 1");
  expect_config_error("{" + head + R"("rope_scaling": {"rope_type": "longrope",
      "short_factor": [1, 1], "long_factor": [1, 1]}})",
                      "short_factor must have rotary_dim / 2 = 64 entries, got 2");
  expect_config_error(R"({"num_attention_heads": 32})", "hf config: head_dim: missing");
  expect_config_error("{" + head + R"("partial_rotary_factor": 1.5})",
                      "hf config: rope_scaling.partial_rotary_factor: must be in (0, 1]");
  expect_config_error("{" + head + R"("rope_theta": "big"})", "hf config: rope_theta: must be a number, got \"big\"");
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
#endif

}  // namespace
