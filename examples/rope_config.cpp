// rope_config: a model's RoPE as its config.json configures it, printed for a person or as
// JSON for scripts.
//
//   rotary_example_rope_config config.json [--seq-len N] [--json]
//
// Per layer type: the rope type, head_dim and rotary_dim, the pairing HF's model files use
// (half_split, rotate_half), theta, the attention factors, and per pair the inverse
// frequency, the wavelength in tokens (2 pi / theta_i) and its ratio to the unscaled one.
// --seq-len N: the sequence length that length-dependent schemes (dynamic NTK, LongRoPE)
// are evaluated at (default 0: their short / unscaled form).
// --json: one JSON object: "rope_type", "rotary_dim", "attention_factor" (the cos/sin factor),
// "softmax_scale_factor", "inv_freq" (17 significant digits) of the full-attention layers'
// RoPE, and "layer_types" with the same keys for every layer type, "layers" per layer;
// "query_scale" (per layer type) and "no_rope_query_scale": null, or the scale's "formula",
// "beta" and "length" (query_scale.hpp).
// A bad config prints one message naming the key and value, and exits with status 1.
#include <rotary/hf_config.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

/// The query scale's formula with its numbers, or an empty string for none.
std::string formula(const rotary::query_scale& s) {
  if (!s.active()) return "";
  char text[160];
  const bool llama4 = s.type() == rotary::query_scale::kind::llama4_temperature;
  std::snprintf(text, sizeof text, "1 + %.17g ln(1 + floor(%s / %.17g))", s.beta(),
                llama4 ? "(m + 1)" : "m", s.length());
  return text;
}

nlohmann::json describe(const rotary::query_scale& s) {
  if (!s.active()) return nullptr;
  return {{"formula", formula(s)}, {"beta", s.beta()}, {"length", s.length()}};
}

nlohmann::json describe(const rotary::hf::rope_parameters& p, std::int64_t seq_len) {
  const rotary::scaled_frequencies f = p.frequencies(seq_len);
  nlohmann::json j;
  j["rope_type"] = p.rope_type;
  j["head_dim"] = p.head_dim;
  j["rotary_dim"] = f.rotary_dim();
  j["rope_theta"] = p.rope_theta;
  j["pair_distance"] = f.pair_distance ? f.pair_distance : f.rotary_dim() / 2;
  j["attention_factor"] = f.attention_factor;
  j["softmax_scale_factor"] = f.softmax_scale_factor;
  j["inv_freq"] = f.inv_freq;
  j["query_scale"] = describe(p.query_scale());
  return j;
}

void print_table(const std::string& name, const rotary::hf::rope_parameters& p,
                 std::int64_t seq_len) {
  const rotary::scaled_frequencies f = p.frequencies(seq_len);
  const rotary::scaled_frequencies plain = rotary::scaling::default_rope(p.rotary_dim, p.rope_theta);
  std::printf("layer type %s: rope_type %s, head_dim %td, rotary_dim %td, pairing half_split",
              name.c_str(), p.rope_type.c_str(), p.head_dim, f.rotary_dim());
  if (f.pair_distance != 0 && f.pair_distance != f.rotary_dim() / 2) {
    std::printf(" with pairs (j, j + %td)", f.pair_distance);
  }
  std::printf(", theta %.17g\n", p.rope_theta);
  std::printf("  cos/sin factor %.17g, softmax-scale multiplier %.17g\n", f.attention_factor,
              f.softmax_scale_factor);
  if (p.query_scale().active()) {
    std::printf("  queries scaled by s(m) = %s\n", formula(p.query_scale()).c_str());
  }
  std::printf("  %5s  %24s  %16s  %10s\n", "pair", "inv_freq", "wavelength", "x unscaled");
  const double two_pi = 6.283185307179586;
  for (std::size_t i = 0; i < f.inv_freq.size(); ++i) {
    const double wavelength = two_pi / f.inv_freq[i];
    // Proportional RoPE's exponent runs over the head, not 2r: no unscaled table to compare.
    const bool comparable = p.rope_type != "proportional" && i < plain.inv_freq.size();
    std::printf("  %5zu  %24.17g  %16.6g", i, f.inv_freq[i], wavelength);
    if (comparable) std::printf("  %10.6g", plain.inv_freq[i] / f.inv_freq[i]);
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* path = nullptr;
  bool as_json = false;
  std::int64_t seq_len = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      as_json = true;
    } else if (std::strcmp(argv[i], "--seq-len") == 0 && i + 1 < argc) {
      char* end = nullptr;
      errno = 0;
      seq_len = std::strtoll(argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || errno == ERANGE || seq_len < 0) {
        std::fprintf(stderr, "rope_config: --seq-len: not a length >= 0: %s\n", argv[i]);
        return 2;
      }
    } else if (!path && argv[i][0] != '-') {
      path = argv[i];
    } else {
      std::fprintf(stderr, "usage: %s config.json [--seq-len N] [--json]\n", argv[0]);
      return 2;
    }
  }
  if (!path) {
    std::fprintf(stderr, "usage: %s config.json [--seq-len N] [--json]\n", argv[0]);
    return 2;
  }
  try {
    const rotary::hf::model_rope m = rotary::hf::read_config_file(path);
    if (as_json) {
      nlohmann::json out = describe(m.main(), seq_len);
      for (const auto& [name, p] : m.layer_types) out["layer_types"][name] = describe(p, seq_len);
      out["layers"] = m.layers;
      out["no_rope_query_scale"] = describe(m.no_rope_query_scale);
      std::cout << out.dump() << "\n";
      return 0;
    }
    std::printf("%s: %zu layer type(s)", path, m.layer_types.size());
    if (!m.layers.empty()) std::printf(", %zu layers", m.layers.size());
    std::printf("\n");
    for (const auto& [name, p] : m.layer_types) print_table(name, p, seq_len);
    if (m.no_rope_query_scale.active()) {
      std::printf("layers without RoPE: queries scaled by s(m) = %s\n",
                  formula(m.no_rope_query_scale).c_str());
    }
    bool uniform = m.layer_types.size() == 1;
    for (const std::string& l : m.layers) uniform = uniform && !l.empty();
    if (!m.layers.empty() && !uniform) {  // one type on every layer: nothing to list
      std::printf("layers:");
      for (std::size_t i = 0; i < m.layers.size(); ++i) {
        std::printf(" %zu:%s", i, m.layers[i].empty() ? "no-rope" : m.layers[i].c_str());
      }
      std::printf("\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rope_config: %s\n", e.what());
    return 1;
  }
  return 0;
}
