// SPDX-License-Identifier: MIT
// Hostile config.json files: each committed config with one of its RoPE keys (top level,
// text_config, rope_scaling / rope_parameters and their entries) replaced by a random JSON
// value (null, a string, a bool, 0, negative, huge, an array, an object). read_config either
// throws rotary::invalid_argument or gives every layer valid frequencies; an nlohmann
// exception escaping, a crash or a non-finite result fails. Fixed seed: repeatable.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <rotary/hf_config.hpp>

namespace {

using json = nlohmann::json;

json random_value(std::mt19937& gen) {
  std::uniform_int_distribution<int> pick(0, 11);
  switch (pick(gen)) {
    case 0: return nullptr;
    case 1: return "yarn";
    case 2: return true;
    case 3: return 0;
    case 4: return -3.5;
    case 5: return 1e300;
    case 6: return json::array({1, 2, 3});
    case 7: return json::object({{"rope_type", "linear"}, {"factor", 2.0}});
    case 8: return 9223372036854775807LL;
    case 9: return 0.5;
    case 10: return json::array();
    default: return 64;
  }
}

// The RoPE-related places of a config where a value can be replaced.
std::vector<json::json_pointer> rope_keys(const json& root) {
  static const char* names[] = {"rope_theta", "rope_scaling", "rope_parameters", "partial_rotary_factor",
                                "head_dim", "hidden_size", "num_attention_heads",
                                "max_position_embeddings", "original_max_position_embeddings",
                                "layer_types", "no_rope_layers", "num_hidden_layers",
                                "sliding_window_pattern", "rope_local_base_freq", "global_head_dim",
                                "qk_rope_head_dim", "attn_temperature_tuning", "floor_scale",
                                "attn_scale", "rotary_pct", "rotary_emb_base", "text_config"};
  std::vector<json::json_pointer> out;
  const auto add_dict = [&](const json::json_pointer& at) {
    if (!root.contains(at) || !root[at].is_object()) return;
    const json& d = root[at];
    for (auto it = d.begin(); it != d.end(); ++it) {
      out.push_back(at / it.key());
      if (it->is_object()) {  // per-layer-type dicts
        for (auto jt = it->begin(); jt != it->end(); ++jt) out.push_back(at / it.key() / jt.key());
      }
    }
  };
  for (const json::json_pointer& base : {json::json_pointer(""), json::json_pointer("/text_config")}) {
    if (!root.contains(base) || !root[base].is_object()) continue;
    for (const char* n : names) out.push_back(base / n);
    add_dict(base / "rope_scaling");
    add_dict(base / "rope_parameters");
  }
  return out;
}

void expect_valid(const rotary::hf::model_rope& m) {
  for (const auto& [name, p] : m.layer_types) {
    for (const std::int64_t seq : {std::int64_t{1}, std::int64_t{1} << 20}) {
      const rotary::scaled_frequencies f = p.frequencies(seq);
      ASSERT_FALSE(f.inv_freq.empty()) << name;
      for (const double t : f.inv_freq) ASSERT_TRUE(std::isfinite(t) && t >= 0.0) << name;
      ASSERT_TRUE(std::isfinite(f.attention_factor) && f.attention_factor > 0.0) << name;
      ASSERT_TRUE(std::isfinite(f.softmax_scale_factor) && f.softmax_scale_factor > 0.0) << name;
    }
  }
  // A query scale may be read with any beta; its contract is the call-time check of the
  // positions a call uses (query_scale.hpp), which either throws or vouches for s(m).
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const rotary::query_scale q = m.query_scale_for_layer(i);
    try {
      q.check_positions("fuzz", 0, 1 << 20);
    } catch (const rotary::invalid_argument&) {
      continue;
    }
    for (const std::int64_t p : {0, 1 << 20}) {
      const double s = q.at(p);
      ASSERT_TRUE(std::isfinite(s) && s > 0.0);
    }
  }
}

TEST(HfConfigFuzz, MutatedConfigsThrowTheLibrarysErrorOrReadValidly) {
  std::mt19937 gen(20261202);
  int files = 0, accepted = 0, rejected = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(ROTARY_TEST_DATA_DIR) + "/configs")) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    std::ifstream in(entry.path());
    const json original = json::parse(in);
    const std::vector<json::json_pointer> keys = rope_keys(original);
    for (int c = 0; c < 150; ++c) {
      json config = original;
      const int edits = 1 + static_cast<int>(gen() % 2);
      for (int e = 0; e < edits; ++e) {
        const json::json_pointer& k = keys[gen() % keys.size()];
        if (!config.contains(k.parent_pointer()) || !config[k.parent_pointer()].is_object()) continue;
        if (gen() % 5 == 0) {
          config[k.parent_pointer()].erase(k.back());
        } else {
          config[k] = random_value(gen);
        }
      }
      try {
        const rotary::hf::model_rope m = rotary::hf::read_config(config);
        ++accepted;
        expect_valid(m);
      } catch (const rotary::invalid_argument& e) {
        ++rejected;
        EXPECT_EQ(std::string(e.what()).rfind("hf config: ", 0), 0u) << e.what();
      } catch (const std::exception& e) {
        ADD_FAILURE() << entry.path().filename() << ": " << typeid(e).name() << ": " << e.what()
                      << "\n" << config.dump();
      }
      if (HasFatalFailure()) {
        ADD_FAILURE() << entry.path().filename() << "\n" << config.dump();
        return;
      }
    }
  }
  EXPECT_GE(files, 15);
  EXPECT_GT(accepted, 100);
  EXPECT_GT(rejected, 100);
}

}  // namespace
