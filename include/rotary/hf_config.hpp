// SPDX-License-Identifier: MIT
#pragma once
/// A model's RoPE read from a Hugging Face config.json (the rotary::config component: needs
/// nlohmann-json, Debian's nlohmann-json3-dev; the core headers stay standard-library only).
///
///   const rotary::hf::model_rope m = rotary::hf::read_config_file("config.json");
///   const rotary::hf::rope_parameters& full = m.for_layer(0);
///   const rotary::scaled_frequencies f = full.frequencies(seq_len);
///   rotary::cos_sin_table<float> table(f.inv_freq, rows);
///
/// What it reads (keys of the config, or of its "text_config" where it has one: Gemma 3/4,
/// Llama 4, Qwen-VL, Mistral 3):
///   - head_dim (absent or null: hidden_size / num_attention_heads; DeepSeek's MLA:
///     qk_rope_head_dim), partial_rotary_factor
///     (rotary_dim = int(head_dim x factor), as HF), rope_theta (default 10000),
///     max_position_embeddings, a top-level original_max_position_embeddings (Phi-3: it
///     overrides the one in rope_scaling);
///   - legacy "rope_scaling" or v5 "rope_parameters": one dict, or one per layer type
///     ({"full_attention": {...}, "sliding_attention": {...}}); its "rope_type" or "type":
///     default, linear, dynamic (with "alpha": Hunyuan's NTK alpha, not dynamic NTK), yarn,
///     llama3, longrope ("su" is longrope), proportional, mrope (the text RoPE is default;
///     "mrope_section" is kept for the multi-axis maps);
///   - GPT-NeoX's names "rotary_emb_base" (rope_theta) and "rotary_pct"
///     (partial_rotary_factor);
///   - per layer: "layer_types", or Gemma 3's "sliding_window_pattern" with
///     "rope_local_base_freq" (sliding layers unscaled at that theta), Llama 4's and
///     SmolLM3's "no_rope_layers" (1 means the layer USES RoPE; absent or empty for
///     model_type llama4 / llama4_text / smollm3 or with "no_rope_layer_interval", derived
///     as HF does: every interval-th layer (default 4) without RoPE), num_hidden_layers;
///   - Gemma 4's "global_head_dim" for full-attention layers;
///   - query scales (query_scale.hpp): "llama_4_scaling_beta" in the RoPE dict (Ministral 3:
///     every layer with that RoPE), Llama 4's "attn_temperature_tuning" (true or a non-zero
///     number; HF's default for model_type llama4 / llama4_text is true), "attn_scale"
///     (default 0.1) and "floor_scale" (default 8192), on its layers without RoPE.
/// Every error throws rotary::invalid_argument naming the key and the value:
///   "hf config: rope_scaling.rope_type: unknown rope type \"foo\"".

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "query_scale.hpp"
#include "scaling.hpp"

namespace rotary {
namespace hf {

/// One RoPE configuration: what a config gives one layer type.
struct rope_parameters {
  std::string rope_type =
      "default";  ///< after aliases: "su" -> longrope, dynamic+alpha -> ntk_alpha
  std::ptrdiff_t head_dim = 0;
  double partial_rotary_factor = 1.0;
  std::ptrdiff_t rotary_dim = 0;  ///< int(head_dim x partial_rotary_factor); proportional: 2r
  double rope_theta = default_base;
  std::optional<double> factor;
  std::optional<double> alpha;
  std::int64_t max_position_embeddings = 0;
  std::optional<std::int64_t> original_max_position_embeddings;
  std::optional<double> attention_factor;
  double beta_fast = 0.0, beta_slow = 0.0;
  bool truncate = true;
  double mscale = 0.0, mscale_all_dim = 0.0;
  double low_freq_factor = 0.0, high_freq_factor = 0.0;
  std::vector<double> short_factor, long_factor;
  std::vector<std::int64_t> mrope_section;
  /// Ministral 3: the query scale 1 + beta ln(1 + floor(m / original_max)).
  std::optional<double> llama_4_scaling_beta;
  /// Where the parameters were read ("rope_scaling", "rope_parameters.full_attention", ...),
  /// for messages.
  std::string key = "rope_scaling";

  /// The scheme's frequencies and factors for a sequence of seq_len tokens (dynamic NTK and
  /// LongRoPE depend on it; the others ignore it).
  scaled_frequencies frequencies(std::int64_t seq_len = 0) const;
  /// The query scale of the layers with this RoPE (none unless llama_4_scaling_beta).
  rotary::query_scale query_scale() const;
};

/// A model's RoPE: its configurations by layer type and each layer's type.
struct model_rope {
  /// "default" for a model with one RoPE; else the config's layer type names.
  std::map<std::string, rope_parameters> layer_types;
  /// Per layer, its layer type; an empty name for a layer without RoPE (Llama 4's
  /// no_rope_layers). Empty when the config gives no layer count.
  std::vector<std::string> layers;

  /// Llama 4's attention temperature, on the layers without RoPE (none if not configured).
  rotary::query_scale no_rope_query_scale;

  /// The RoPE of layer i (throws for a layer without RoPE or past the last layer).
  const rope_parameters& for_layer(std::size_t i) const;
  /// True when layer i rotates (false for a no-RoPE layer; throws past the last layer).
  bool uses_rope(std::size_t i) const;
  /// The query scale of layer i: its RoPE's (Ministral 3), or on a layer without RoPE the
  /// model's no_rope_query_scale (Llama 4). Throws past the last layer.
  rotary::query_scale query_scale_for_layer(std::size_t i) const;
  /// The configuration that full-attention layers use (the only one, or "full_attention").
  /// (clang-tidy's bugprone-exception-escape takes any function named main for ::main.)
  const rope_parameters& main() const;  // NOLINT(bugprone-exception-escape)
};

namespace detail {

using json = nlohmann::json;

[[noreturn]] inline void config_error(const std::string& key, const std::string& what) {
  rotary::detail::fail<rotary::invalid_argument>("hf config: ", key, ": ", what);
}

/// The config's key k, from the text_config where there is one, else from the top level.
class config_reader {
 public:
  explicit config_reader(const json& root) : root_(root) {
    if (root.contains("text_config") && root["text_config"].is_object()) {
      text_ = &root["text_config"];
    }
  }
  const json* find(const std::string& k) const {
    if (text_ && text_->contains(k) && !(*text_)[k].is_null()) return &(*text_)[k];
    if (root_.contains(k) && !root_[k].is_null()) return &root_[k];
    return nullptr;
  }

 private:
  const json& root_;
  const json* text_ = nullptr;
};

inline double number_at(const json& v, const std::string& key) {
  if (!v.is_number()) config_error(key, "must be a number, got " + v.dump());
  return v.get<double>();
}
inline std::int64_t integer_at(const json& v, const std::string& key) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::floor(d) == d && std::abs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  }
  config_error(key, "must be an integer, got " + v.dump());
}
/// Sizes a config gives (head_dim, layer counts) are bounded: a value past the bound is a
/// broken file, not a model, and must not become a huge allocation.
constexpr std::int64_t max_config_size = std::int64_t{1} << 20;
inline std::int64_t size_at(const json& v, const std::string& key) {
  const std::int64_t n = integer_at(v, key);
  if (n < 0 || n > max_config_size) {
    config_error(
        key, "must be in [0, " + std::to_string(max_config_size) + "], got " + std::to_string(n));
  }
  return n;
}
inline std::optional<double> optional_number(const json& d, const std::string& k,
                                             const std::string& where) {
  if (!d.contains(k) || d[k].is_null()) return std::nullopt;
  return number_at(d[k], where + "." + k);
}
inline std::vector<double> number_list(const json& d, const std::string& k,
                                       const std::string& where) {
  std::vector<double> out;
  if (!d.contains(k) || d[k].is_null()) return out;
  if (!d[k].is_array()) config_error(where + "." + k, "must be a list, got " + d[k].dump());
  const std::string list = where + "." + k;
  for (std::size_t i = 0; i < d[k].size(); ++i) {
    std::string at = list + "[";  // where.k[i]
    at += std::to_string(i);
    at += ']';
    out.push_back(number_at(d[k][i], at));
  }
  return out;
}

/// One RoPE dict (d may be empty: plain RoPE) into parameters, with the model's
/// head_dim, theta and lengths as defaults.
inline rope_parameters parse_rope_dict(const config_reader& c, const json& d,
                                       const std::string& where, std::ptrdiff_t head_dim) {
  rope_parameters p;
  p.key = where;
  p.head_dim = head_dim;
  std::string type = "default";
  for (const char* k : {"rope_type", "type"}) {
    if (d.contains(k) && !d[k].is_null()) {
      if (!d[k].is_string()) config_error(where + "." + k, "must be a string, got " + d[k].dump());
      type = d[k].get<std::string>();
      break;
    }
  }
  if (type == "su") type = "longrope";
  if (type == "dynamic" && d.contains("alpha") && !d["alpha"].is_null()) type = "ntk_alpha";
  static const char* const known[] = {"default", "linear",   "dynamic",      "ntk_alpha", "yarn",
                                      "llama3",  "longrope", "proportional", "mrope"};
  bool ok = false;
  for (const char* k : known) ok = ok || type == k;
  if (!ok) config_error(where + ".rope_type", "unknown rope type \"" + type + "\"");
  p.rope_type = type;

  // GPT-NeoX (and Pythia, StableLM 1) name them rotary_emb_base and rotary_pct.
  if (const auto t = optional_number(d, "rope_theta", where)) {
    p.rope_theta = *t;
  } else if (const json* t2 = c.find("rope_theta")) {
    p.rope_theta = number_at(*t2, "rope_theta");
  } else if (const json* t3 = c.find("rotary_emb_base")) {
    p.rope_theta = number_at(*t3, "rotary_emb_base");
  }
  if (const auto f = optional_number(d, "partial_rotary_factor", where)) {
    p.partial_rotary_factor = *f;
  } else if (const json* f2 = c.find("partial_rotary_factor")) {
    p.partial_rotary_factor = number_at(*f2, "partial_rotary_factor");
  } else if (const json* f3 = c.find("rotary_pct")) {
    p.partial_rotary_factor = number_at(*f3, "rotary_pct");
  }
  if (!(p.partial_rotary_factor > 0.0 && p.partial_rotary_factor <= 1.0)) {
    config_error(where + ".partial_rotary_factor",
                 "must be in (0, 1], got " + std::to_string(p.partial_rotary_factor));
  }
  // HF: int(head_dim * partial_rotary_factor).
  p.rotary_dim =
      static_cast<std::ptrdiff_t>(static_cast<double>(head_dim) * p.partial_rotary_factor);
  if (const json* m = c.find("max_position_embeddings")) {
    p.max_position_embeddings = integer_at(*m, "max_position_embeddings");
  }
  p.factor = optional_number(d, "factor", where);
  p.alpha = optional_number(d, "alpha", where);
  p.attention_factor = optional_number(d, "attention_factor", where);
  if (d.contains("original_max_position_embeddings") &&
      !d["original_max_position_embeddings"].is_null()) {
    p.original_max_position_embeddings = integer_at(d["original_max_position_embeddings"],
                                                    where + ".original_max_position_embeddings");
  }
  if (type == "longrope") {
    if (const json* o = c.find("original_max_position_embeddings")) {  // Phi-3: top level wins
      p.original_max_position_embeddings = integer_at(*o, "original_max_position_embeddings");
    }
  }
  p.beta_fast = optional_number(d, "beta_fast", where).value_or(0.0);
  p.beta_slow = optional_number(d, "beta_slow", where).value_or(0.0);
  if (d.contains("truncate") && !d["truncate"].is_null()) {
    if (!d["truncate"].is_boolean()) {
      config_error(where + ".truncate", "must be true or false, got " + d["truncate"].dump());
    }
    p.truncate = d["truncate"].get<bool>();
  }
  p.mscale = optional_number(d, "mscale", where).value_or(0.0);
  p.mscale_all_dim = optional_number(d, "mscale_all_dim", where).value_or(0.0);
  p.low_freq_factor = optional_number(d, "low_freq_factor", where).value_or(0.0);
  p.high_freq_factor = optional_number(d, "high_freq_factor", where).value_or(0.0);
  p.short_factor = number_list(d, "short_factor", where);
  p.long_factor = number_list(d, "long_factor", where);
  for (double v : number_list(d, "mrope_section", where)) {
    p.mrope_section.push_back(static_cast<std::int64_t>(v));
  }
  p.llama_4_scaling_beta = optional_number(d, "llama_4_scaling_beta", where);
  if (p.llama_4_scaling_beta) (void)p.query_scale();  // its checks, now
  if (type == "proportional") {
    p.rotary_dim = 2 * static_cast<std::ptrdiff_t>(std::floor(p.partial_rotary_factor *
                                                              static_cast<double>(head_dim) / 2.0));
  }
  // The scheme's own checks, now, so that a bad config fails when read.
  (void)p.frequencies(0);
  return p;
}

inline std::ptrdiff_t head_dim_of(const config_reader& c, const char* key) {
  if (const json* h = c.find(key)) return static_cast<std::ptrdiff_t>(size_at(*h, key));
  const json* hidden = c.find("hidden_size");
  const json* heads = c.find("num_attention_heads");
  if (!hidden || !heads) {
    config_error("head_dim", "missing, and hidden_size / num_attention_heads cannot replace it");
  }
  const std::int64_t n = integer_at(*heads, "num_attention_heads");
  if (n <= 0) config_error("num_attention_heads", "must be > 0, got " + std::to_string(n));
  return static_cast<std::ptrdiff_t>(integer_at(*hidden, "hidden_size") /
                                     n);  // checked by the scheme
}

}  // namespace detail

inline scaled_frequencies rope_parameters::frequencies(std::int64_t seq_len) const {
  const std::string where = "hf config: " + key + ": ";
  auto need = [&](bool has, const char* k) {
    if (!has)
      rotary::detail::fail<rotary::invalid_argument>(where, k, ": missing (", rope_type,
                                                     " needs it)");
  };
  try {
    if (rope_type == "default" || rope_type == "mrope") {
      return scaling::default_rope(rotary_dim, rope_theta);
    }
    if (rope_type == "linear") {
      need(factor.has_value(), "factor");
      return scaling::linear(rotary_dim, rope_theta, *factor);
    }
    if (rope_type == "ntk_alpha") {
      return scaling::ntk_alpha(rotary_dim, rope_theta, *alpha);
    }
    if (rope_type == "dynamic") {
      need(factor.has_value(), "factor");
      return scaling::dynamic_ntk(rotary_dim, rope_theta, *factor, max_position_embeddings,
                                  seq_len);
    }
    if (rope_type == "yarn") {
      scaling::yarn_parameters y;
      y.rotary_dim = rotary_dim;
      y.base = rope_theta;
      y.factor = factor;
      y.max_position_embeddings = max_position_embeddings;
      y.original_max_position_embeddings = original_max_position_embeddings;
      y.beta_fast = beta_fast;
      y.beta_slow = beta_slow;
      y.truncate = truncate;
      y.attention_factor = attention_factor;
      y.mscale = mscale;
      y.mscale_all_dim = mscale_all_dim;
      return scaling::yarn(y);
    }
    if (rope_type == "llama3") {
      need(factor.has_value(), "factor");
      need(original_max_position_embeddings.has_value(), "original_max_position_embeddings");
      scaling::llama3_parameters l;
      l.rotary_dim = rotary_dim;
      l.base = rope_theta;
      l.factor = *factor;
      l.low_freq_factor = low_freq_factor;
      l.high_freq_factor = high_freq_factor;
      l.original_max_position_embeddings = *original_max_position_embeddings;
      return scaling::llama3(l);
    }
    if (rope_type == "longrope") {
      need(!short_factor.empty(), "short_factor");
      need(!long_factor.empty(), "long_factor");
      scaling::longrope_parameters l;
      l.rotary_dim = rotary_dim;
      l.base = rope_theta;
      l.short_factor = short_factor;
      l.long_factor = long_factor;
      l.factor = factor;
      l.attention_factor = attention_factor;
      l.max_position_embeddings = max_position_embeddings;
      l.original_max_position_embeddings =
          original_max_position_embeddings.value_or(max_position_embeddings);
      return scaling::longrope(l, seq_len);
    }
    // proportional
    scaling::proportional_parameters pr;
    pr.head_dim = head_dim;
    pr.base = rope_theta;
    pr.factor = factor.value_or(1.0);
    pr.partial_rotary_factor = partial_rotary_factor;
    return scaling::proportional(pr);
  } catch (const rotary::invalid_argument& e) {
    const std::string message = e.what();
    if (message.rfind("hf config: ", 0) == 0) throw;
    rotary::detail::fail<rotary::invalid_argument>(where, message);
  }
}

inline query_scale rope_parameters::query_scale() const {
  if (!llama_4_scaling_beta) return rotary::query_scale{};
  const std::string k = key + ".llama_4_scaling_beta";
  if (!original_max_position_embeddings) {
    detail::config_error(k, "needs " + key + ".original_max_position_embeddings, which is missing");
  }
  try {
    return rotary::query_scale::log_floor(*llama_4_scaling_beta,
                                          static_cast<double>(*original_max_position_embeddings));
  } catch (const rotary::invalid_argument& e) {
    detail::config_error(k, e.what());
  }
}

inline bool model_rope::uses_rope(std::size_t i) const {
  if (layers.empty()) return true;
  ROTARY_CHECK(i < layers.size(), "hf config: layer ", i, " is past the last layer (",
               layers.size(), " layers)");
  return !layers[i].empty();
}

inline rotary::query_scale model_rope::query_scale_for_layer(std::size_t i) const {
  return uses_rope(i) ? for_layer(i).query_scale() : no_rope_query_scale;
}

inline const rope_parameters& model_rope::for_layer(std::size_t i) const {
  if (layers.empty()) return main();
  ROTARY_CHECK(i < layers.size(), "hf config: layer ", i, " is past the last layer (",
               layers.size(), " layers)");
  ROTARY_CHECK(!layers[i].empty(), "hf config: layer ", i, " has no RoPE");
  return layer_types.at(layers[i]);
}

inline const rope_parameters& model_rope::main() const {  // NOLINT(bugprone-exception-escape)
  if (layer_types.size() == 1) return layer_types.begin()->second;
  const auto full = layer_types.find("full_attention");
  ROTARY_CHECK(full != layer_types.end(),
               "hf config: several layer types and none named full_attention");
  return full->second;
}

/// Reads the RoPE of a parsed config.json.
inline model_rope read_config(const nlohmann::json& root) {
  using detail::json;
  if (!root.is_object()) detail::config_error("(root)", "must be a JSON object");
  const detail::config_reader c(root);
  // MLA (DeepSeek V2/V3): the rotated part of each head is qk_rope_head_dim wide.
  const std::ptrdiff_t head_dim =
      detail::head_dim_of(c, c.find("qk_rope_head_dim") ? "qk_rope_head_dim" : "head_dim");
  model_rope m;
  const json* dict = c.find("rope_parameters");
  std::string dict_key = "rope_parameters";
  if (!dict) {
    dict = c.find("rope_scaling");
    dict_key = "rope_scaling";
  }
  const json empty = json::object();
  if (dict && !dict->is_object())
    detail::config_error(dict_key, "must be an object, got " + dict->dump());
  bool per_type = dict && !dict->empty();
  if (per_type) {
    for (const auto& item : dict->items()) per_type = per_type && item.value().is_object();
  }
  if (per_type) {
    for (const auto& item : dict->items()) {
      const bool global = item.key() == "full_attention" && c.find("global_head_dim");
      const std::ptrdiff_t d = global ? detail::head_dim_of(c, "global_head_dim") : head_dim;
      m.layer_types[item.key()] =
          detail::parse_rope_dict(c, item.value(), dict_key + "." + item.key(), d);
    }
  } else {
    m.layer_types["default"] = detail::parse_rope_dict(c, dict ? *dict : empty, dict_key, head_dim);
  }
  // Gemma 3 (legacy keys): sliding layers at rope_local_base_freq, unscaled.
  if (const json* local = c.find("rope_local_base_freq")) {
    if (!per_type) {
      rope_parameters full = m.layer_types["default"];
      m.layer_types.erase("default");
      m.layer_types["full_attention"] = full;
      rope_parameters sliding = detail::parse_rope_dict(c, empty, "rope_local_base_freq", head_dim);
      sliding.rope_theta = detail::number_at(*local, "rope_local_base_freq");
      (void)sliding.frequencies(0);
      m.layer_types["sliding_attention"] = sliding;
    }
  }
  // Per layer.
  std::int64_t count = 0;
  if (const json* n = c.find("num_hidden_layers")) count = detail::size_at(*n, "num_hidden_layers");
  if (const json* types = c.find("layer_types")) {
    if (!types->is_array())
      detail::config_error("layer_types", "must be a list, got " + types->dump());
    for (std::size_t i = 0; i < types->size(); ++i) {
      const std::string key = "layer_types[" + std::to_string(i) + "]";
      if (!(*types)[i].is_string()) detail::config_error(key, "must be a string");
      const std::string t = (*types)[i].get<std::string>();
      m.layers.push_back(m.layer_types.count(t)           ? t
                         : m.layer_types.count("default") ? "default"
                                                          : "");
      if (m.layers.back().empty()) {
        detail::config_error(key, "layer type \"" + t + "\" has no RoPE parameters");
      }
    }
  } else if (const json* pattern = c.find("sliding_window_pattern");
             pattern && m.layer_types.count("sliding_attention")) {
    const std::int64_t n = detail::integer_at(*pattern, "sliding_window_pattern");
    if (n <= 0)
      detail::config_error("sliding_window_pattern", "must be > 0, got " + std::to_string(n));
    for (std::int64_t i = 0; i < count; ++i) {
      m.layers.emplace_back((i + 1) % n == 0 ? "full_attention" : "sliding_attention");
    }
  } else if (count > 0 && m.layer_types.size() == 1) {
    m.layers.assign(static_cast<std::size_t>(count), m.layer_types.begin()->first);
  }
  // Llama 4, SmolLM3: no_rope_layers[i] == 1 means layer i uses RoPE. Absent or empty, HF's
  // config classes of those models derive it: [int((i + 1) % interval != 0) for i < layers],
  // no_rope_layer_interval 4 by default.
  json derived;
  const json* no_rope = c.find("no_rope_layers");
  if (!no_rope || (no_rope->is_array() && no_rope->empty())) {
    const json* type = c.find("model_type");
    const bool derives = c.find("no_rope_layer_interval") ||
                         (type && type->is_string() &&
                          (*type == "llama4_text" || *type == "llama4" || *type == "smollm3"));
    if (derives && count > 0) {
      std::int64_t interval = 4;
      if (const json* n = c.find("no_rope_layer_interval")) {
        interval = detail::integer_at(*n, "no_rope_layer_interval");
        if (interval <= 0) {
          detail::config_error("no_rope_layer_interval",
                               "must be > 0, got " + std::to_string(interval));
        }
      }
      derived = json::array();
      for (std::int64_t i = 0; i < count; ++i) derived.push_back((i + 1) % interval != 0 ? 1 : 0);
      no_rope = &derived;
    }
  }
  if (no_rope && no_rope->is_array() && !no_rope->empty()) {
    if (m.layers.empty()) m.layers.assign(no_rope->size(), m.layer_types.begin()->first);
    if (no_rope->size() != m.layers.size()) {
      detail::config_error("no_rope_layers", "has " + std::to_string(no_rope->size()) +
                                                 " entries for " + std::to_string(m.layers.size()) +
                                                 " layers");
    }
    for (std::size_t i = 0; i < no_rope->size(); ++i) {
      if (detail::integer_at((*no_rope)[i], "no_rope_layers[" + std::to_string(i) + "]") == 0) {
        m.layers[i].clear();
      }
    }
  }
  // Llama 4: the attention temperature on the layers without RoPE.
  bool tuning = false;
  if (const json* t = c.find("attn_temperature_tuning")) {
    if (t->is_boolean()) {
      tuning = t->get<bool>();
    } else {
      tuning = detail::number_at(*t, "attn_temperature_tuning") != 0.0;
    }
  } else if (const json* type = c.find("model_type")) {
    tuning = type->is_string() && (*type == "llama4_text" || *type == "llama4");
  }
  if (tuning) {
    double attn_scale = 0.1, floor_scale = 8192.0;
    if (const json* a = c.find("attn_scale")) attn_scale = detail::number_at(*a, "attn_scale");
    if (const json* f = c.find("floor_scale")) floor_scale = detail::number_at(*f, "floor_scale");
    try {
      m.no_rope_query_scale = rotary::query_scale::llama4_temperature(attn_scale, floor_scale);
    } catch (const rotary::invalid_argument& e) {
      detail::config_error("attn_temperature_tuning", e.what());
    }
  }
  return m;
}

/// Reads the RoPE of the config.json at path.
inline model_rope read_config_file(const std::string& path) {
  std::ifstream in(path);
  ROTARY_CHECK(in.good(), "hf config: cannot open \"", path, "\"");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    rotary::detail::fail<rotary::invalid_argument>("hf config: \"", path,
                                                   "\" is not JSON: ", e.what());
  }
  return read_config(j);
}

}  // namespace hf
}  // namespace rotary
