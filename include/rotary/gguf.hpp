// SPDX-License-Identifier: MIT
#pragma once
/// A model's RoPE from GGUF metadata (llama.cpp's model files), without a GGUF reader: the
/// caller fills a key -> value map from whatever reader it has, and gets back what
/// llama.cpp derives from those keys, as exact double frequencies (any angle source) or as
/// ggml's own rope parameters (the ggml angle model, angle_model.hpp). Standard library only.
///
///   rotary::gguf::metadata md;
///   md.values["general.architecture"] = std::string("llama");
///   md.values["llama.rope.freq_base"] = 500000.0;
///   md.values["llama.rope.dimension_count"] = std::int64_t{128};
///   md.rope_freqs = ...;                                  // the rope_freqs.weight tensor
///   const rotary::gguf::rope_metadata r = rotary::gguf::read_rope_metadata(md);
///   rotary::cos_sin_table<float> exact(r.frequencies(n_ctx), rows);
///   rotary::cos_sin_table<float> like_llama_cpp(r.ggml_parameters(n_ctx), rows);
///
/// Keys read ({arch} is general.architecture), as llama.cpp's loader and context read them:
///   {arch}.rope.dimension_count            rotary_dim (n_rot); absent: {arch}.attention.key_length,
///                                          else {arch}.embedding_length / {arch}.attention.head_count
///   {arch}.rope.freq_base                  base (default 10000)
///   {arch}.rope.freq_base_swa              base of the sliding-window layers, unscaled (absent:
///                                          they are configured as the full layers)
///   {arch}.rope.dimension_sections         M-RoPE sections (kept for the multi-axis maps)
///   {arch}.rope.scaling.type               none | linear | yarn | longrope (default linear)
///   {arch}.rope.scaling.factor             s (old name {arch}.rope.scale_linear); 0 or absent: 1
///   {arch}.rope.scaling.original_context_length   YaRN's L (absent: {arch}.context_length)
///   {arch}.rope.scaling.attn_factor        an extra cos/sin factor (default 1)
///   {arch}.rope.scaling.yarn_log_multiplier   0.1 x mscale_all_dim (DeepSeek; the converter's value)
///   {arch}.rope.scaling.yarn_ext_factor, .yarn_attn_factor, .yarn_beta_fast, .yarn_beta_slow
///                                          YaRN overrides (defaults: 1 for yarn else 0, 1, 32, 1)
///   {arch}.rope.scaling.alpha              read, not applied (see below)
///   {arch}.rope.scaling.finetuned          informational
/// and the tensors rope_freqs.weight (one divisor per pair), rope_factors_short.weight /
/// rope_factors_long.weight (LongRoPE: long when n_ctx > original_context_length).
///
/// What llama.cpp's converter (convert_hf_to_gguf.py) folds in, so the keys alone are not the
/// HF config: Llama 3.1/3.2/4's llama3 scaling becomes rope_freqs (ff_i = theta_i / theta'_i,
/// stored as float32; no scaling keys); Hunyuan's NTK alpha is folded into freq_base
/// (base x alpha^(d / (d - 2))) or, for hunyuan-dense / hunyuan-vl, applied by llama.cpp at
/// load from {arch}.rope.scaling.alpha: this reader takes freq_base as the final base and
/// reports alpha (rope_metadata::alpha) without applying it; Phi-3's LongRoPE becomes the two
/// factor tensors plus attn_factor = HF's attention factor; DeepSeek's mscale_all_dim
/// becomes yarn_log_multiplier = 0.1 x mscale_all_dim.
///
/// The attention factors, as llama.cpp's llama_context computes them (cparams.yarn_attn_factor)
/// and what ggml then applies: with YaRN (ext_factor != 0), A = g(s, 1), or with
/// yarn_log_multiplier = 0.1 m set, g(s, mscale) / g(s, m) where mscale = 1, except for
/// architecture deepseek2 with m != 1 where mscale = m; A is multiplied by attn_factor.
/// llama.cpp hands ggml A / (1 + 0.1 ln s) because ggml multiplies by 1 + 0.1 ln s whenever
/// ext_factor != 0: the net cos/sin factor is A (frequencies().attention_factor). Where HF
/// differs: HF uses g(s, 1) when only mscale_all_dim is set; llama.cpp assumes mscale = 1.
/// DeepSeek's graph (architecture deepseek2) rotates with net factor 1 and puts
/// (A g(s, m))^2 on the softmax scale (frequencies().softmax_scale_factor), as HF's
/// DeepSeek V2/V3 attention does.
///
/// Every error throws rotary::invalid_argument naming the key and the value:
///   "gguf: llama.rope.scaling.type: unknown scaling type \"foo\"".

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "angle_model.hpp"
#include "error.hpp"
#include "scaling.hpp"

namespace rotary {
namespace gguf {

/// One metadata value as a GGUF reader returns it (integers of any width as int64, floats as
/// double, arrays of integers as a vector).
using value = std::variant<bool, std::int64_t, double, std::string, std::vector<std::int64_t>>;

/// The caller's view of a GGUF file: its metadata and the RoPE factor tensors it holds.
struct metadata {
  std::map<std::string, value> values;
  std::vector<float> rope_freqs;          ///< rope_freqs.weight, if the file has it
  std::vector<float> rope_factors_short;  ///< rope_factors_short.weight (LongRoPE)
  std::vector<float> rope_factors_long;   ///< rope_factors_long.weight (LongRoPE)
};

/// Which layers: full attention, or the sliding-window layers with {arch}.rope.freq_base_swa.
enum class layer_kind { full, sliding };

/// The RoPE a GGUF file configures, after llama.cpp's defaults.
struct rope_metadata {
  std::string architecture;
  std::ptrdiff_t rotary_dim = 0;
  double freq_base = default_base;
  /// {arch}.rope.freq_base_swa, when the file sets it: the sliding-window layers then use it
  /// unscaled; without it they are configured as the full layers (llama.cpp's default).
  std::optional<double> freq_base_swa;
  std::string scaling_type = "linear";  ///< none, linear, yarn, longrope
  double factor = 1.0;                  ///< s; 1 when absent or 0
  std::int64_t context_length = 0;      ///< {arch}.context_length (0 if absent)
  std::int64_t original_context_length = 0;
  double attn_factor = 1.0;
  double yarn_log_multiplier = 0.0;  ///< as stored: 0.1 x mscale_all_dim
  double yarn_ext_factor = 0.0;      ///< after the default (1 for yarn, else 0)
  double yarn_attn_factor = 1.0;     ///< the base of A before YaRN's own factor (default 1)
  double yarn_beta_fast = 32.0, yarn_beta_slow = 1.0;
  std::optional<double> alpha;  ///< {arch}.rope.scaling.alpha, reported, not applied
  std::vector<std::int64_t> dimension_sections;
  std::vector<float> rope_freqs, rope_factors_short, rope_factors_long;

  /// Exact frequencies and factors for a context of n_ctx tokens (LongRoPE picks its list by
  /// it; the others ignore it). Sliding layers of a file with freq_base_swa: default RoPE at
  /// that base, cos/sin factor 1 (llama.cpp sets rope_freq_scale_train_swa = 1 for every
  /// architecture that reads freq_base_swa; HF's Gemma 3 and OLMo 3 leave them unscaled);
  /// rope_freqs applies to every layer.
  scaled_frequencies frequencies(std::int64_t n_ctx = 0, layer_kind kind = layer_kind::full) const;
  /// ggml's rope parameters as llama.cpp passes them to ggml_rope_ext, for
  /// cos_sin_table(ggml_rope_parameters, rows): the angle model that reproduces llama.cpp.
  ggml_rope_parameters ggml_parameters(std::int64_t n_ctx = 0,
                                       layer_kind kind = layer_kind::full) const;

  /// The factor tensor a context of n_ctx tokens uses (empty if none).
  const std::vector<float>& freq_factors(std::int64_t n_ctx) const noexcept {
    if (scaling_type == "longrope" && !rope_factors_long.empty()) {
      return n_ctx > original_context_length ? rope_factors_long : rope_factors_short;
    }
    return rope_freqs;
  }
  bool is_yarn() const noexcept { return yarn_ext_factor != 0.0; }
  /// YaRN's cos/sin factor (g(s, 1) or the mscale ratio, see above; yarn_attn_factor without
  /// YaRN), before attn_factor and before llama.cpp's cancel.
  double yarn_mscale() const;
  /// The net cos/sin factor A of the full layers: yarn_mscale() x attn_factor.
  double attention_factor() const { return yarn_mscale() * attn_factor; }

 private:
  bool unscaled(layer_kind kind) const noexcept {
    return kind == layer_kind::sliding && freq_base_swa.has_value();
  }
};

namespace detail {

[[noreturn]] inline void gguf_error(const std::string& key, const std::string& what) {
  rotary::detail::fail<rotary::invalid_argument>("gguf: ", key, ": ", what);
}

class key_reader {
 public:
  key_reader(const metadata& md, std::string arch) : md_(md), arch_(std::move(arch)) {}
  std::string key(const char* suffix) const { return arch_ + "." + suffix; }
  const value* find(const std::string& k) const {
    const auto it = md_.values.find(k);
    return it == md_.values.end() ? nullptr : &it->second;
  }
  std::optional<double> number(const char* suffix) const {
    const std::string k = key(suffix);
    const value* v = find(k);
    if (!v) return std::nullopt;
    double x = 0.0;
    if (const auto* d = std::get_if<double>(v)) {
      x = *d;
    } else if (const auto* i = std::get_if<std::int64_t>(v)) {
      x = static_cast<double>(*i);
    } else {
      gguf_error(k, "must be a number");
    }
    if (!std::isfinite(x)) gguf_error(k, "must be finite, got " + std::to_string(x));
    return x;
  }
  std::optional<std::int64_t> integer(const char* suffix) const {
    const std::string k = key(suffix);
    const value* v = find(k);
    if (!v) return std::nullopt;
    const auto* i = std::get_if<std::int64_t>(v);
    if (!i) gguf_error(k, "must be an integer");
    return *i;
  }
  std::optional<std::string> text(const char* suffix) const {
    const std::string k = key(suffix);
    const value* v = find(k);
    if (!v) return std::nullopt;
    const auto* s = std::get_if<std::string>(v);
    if (!s) gguf_error(k, "must be a string");
    return *s;
  }

 private:
  const metadata& md_;
  std::string arch_;
};

inline void check_factor_tensor(const char* name, const std::vector<float>& f,
                                std::ptrdiff_t rotary_dim) {
  if (f.empty()) return;
  if (f.size() != static_cast<std::size_t>(rotary_dim / 2)) {
    gguf_error(name, "must hold rotary_dim / 2 = " + std::to_string(rotary_dim / 2) +
                         " entries, got " + std::to_string(f.size()));
  }
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (!(std::isfinite(f[i]) && f[i] > 0.0f)) {
      gguf_error(name,
                 "[" + std::to_string(i) + "] must be finite and > 0, got " + std::to_string(f[i]));
    }
  }
}

inline double positive(const std::string& key, double x) {
  if (!(x > 0.0)) gguf_error(key, "must be > 0, got " + std::to_string(x));
  return x;
}

}  // namespace detail

/// Reads the RoPE keys of md (see the top of this file). Throws rotary::invalid_argument
/// naming the key for a missing architecture, a wrong type, an unknown scaling type, a
/// non-positive base, factor or length, an odd rotary_dim, or a factor tensor of the wrong
/// length.
inline rope_metadata read_rope_metadata(const metadata& md) {
  using detail::gguf_error;
  rope_metadata r;
  {
    const auto it = md.values.find("general.architecture");
    if (it == md.values.end()) gguf_error("general.architecture", "missing");
    const auto* s = std::get_if<std::string>(&it->second);
    if (!s || s->empty()) gguf_error("general.architecture", "must be a non-empty string");
    r.architecture = *s;
  }
  const detail::key_reader k(md, r.architecture);

  if (auto n = k.integer("rope.dimension_count")) {
    r.rotary_dim = static_cast<std::ptrdiff_t>(*n);
  } else if (auto kl = k.integer("attention.key_length")) {
    r.rotary_dim = static_cast<std::ptrdiff_t>(*kl);
  } else {
    const auto embd = k.integer("embedding_length");
    const auto heads = k.integer("attention.head_count");
    if (!embd || !heads || *heads <= 0) {
      gguf_error(k.key("rope.dimension_count"),
                 "missing (and no attention.key_length or embedding_length / head_count)");
    }
    r.rotary_dim = static_cast<std::ptrdiff_t>(*embd / *heads);
  }
  if (r.rotary_dim <= 0 || r.rotary_dim % 2 != 0) {
    gguf_error(k.key("rope.dimension_count"),
               "rotary_dim must be even and > 0, got " + std::to_string(r.rotary_dim));
  }

  r.freq_base =
      detail::positive(k.key("rope.freq_base"), k.number("rope.freq_base").value_or(default_base));
  if (r.freq_base == 1.0) gguf_error(k.key("rope.freq_base"), "must not be 1 (ln base divides)");
  if (auto swa = k.number("rope.freq_base_swa")) {
    r.freq_base_swa = detail::positive(k.key("rope.freq_base_swa"), *swa);
  }

  r.scaling_type = k.text("rope.scaling.type").value_or("linear");
  if (r.scaling_type != "none" && r.scaling_type != "linear" && r.scaling_type != "yarn" &&
      r.scaling_type != "longrope") {
    gguf_error(k.key("rope.scaling.type"),
               "unknown scaling type \"" + r.scaling_type + "\" (none, linear, yarn, longrope)");
  }
  // llama.cpp: factor 0 (or absent) means 1; the old key name is rope.scale_linear.
  std::optional<double> factor = k.number("rope.scaling.factor");
  const char* factor_key = "rope.scaling.factor";
  if (!factor) {
    factor = k.number("rope.scale_linear");
    factor_key = "rope.scale_linear";
  }
  r.factor = factor && *factor != 0.0 ? detail::positive(k.key(factor_key), *factor) : 1.0;
  if (r.scaling_type == "none") r.factor = 1.0;  // llama.cpp: never scale if type is none

  r.context_length = k.integer("context_length").value_or(0);
  r.original_context_length =
      k.integer("rope.scaling.original_context_length").value_or(r.context_length);
  if (r.original_context_length < 0) {
    gguf_error(k.key("rope.scaling.original_context_length"),
               "must be >= 0, got " + std::to_string(r.original_context_length));
  }
  r.attn_factor = detail::positive(k.key("rope.scaling.attn_factor"),
                                   k.number("rope.scaling.attn_factor").value_or(1.0));
  r.yarn_log_multiplier = k.number("rope.scaling.yarn_log_multiplier").value_or(0.0);
  if (r.yarn_log_multiplier < 0.0) {
    gguf_error(k.key("rope.scaling.yarn_log_multiplier"),
               "must be >= 0, got " + std::to_string(r.yarn_log_multiplier));
  }
  // llama.cpp's "not set" is a negative value; absent or negative: 1 for yarn, else 0.
  const double ext = k.number("rope.scaling.yarn_ext_factor").value_or(-1.0);
  r.yarn_ext_factor = ext >= 0.0 ? ext : (r.scaling_type == "yarn" ? 1.0 : 0.0);
  const double base_attn = k.number("rope.scaling.yarn_attn_factor").value_or(-1.0);
  r.yarn_attn_factor = base_attn >= 0.0 ? base_attn : 1.0;
  const double fast = k.number("rope.scaling.yarn_beta_fast").value_or(-1.0);
  const double slow = k.number("rope.scaling.yarn_beta_slow").value_or(-1.0);
  r.yarn_beta_fast = fast >= 0.0 ? fast : 32.0;
  r.yarn_beta_slow = slow >= 0.0 ? slow : 1.0;
  if (r.is_yarn()) {
    if (r.original_context_length <= 0) {
      gguf_error(k.key("rope.scaling.original_context_length"),
                 "YaRN needs it (or context_length) > 0, got " +
                     std::to_string(r.original_context_length));
    }
    detail::positive(k.key("rope.scaling.yarn_beta_fast"), r.yarn_beta_fast);
    detail::positive(k.key("rope.scaling.yarn_beta_slow"), r.yarn_beta_slow);
  }
  r.alpha = k.number("rope.scaling.alpha");

  if (const value* v = k.find(k.key("rope.dimension_sections"))) {
    const auto* s = std::get_if<std::vector<std::int64_t>>(v);
    if (!s) gguf_error(k.key("rope.dimension_sections"), "must be an array of integers");
    r.dimension_sections = *s;
  }

  detail::check_factor_tensor("rope_freqs.weight", md.rope_freqs, r.rotary_dim);
  detail::check_factor_tensor("rope_factors_short.weight", md.rope_factors_short, r.rotary_dim);
  detail::check_factor_tensor("rope_factors_long.weight", md.rope_factors_long, r.rotary_dim);
  if (md.rope_factors_short.empty() != md.rope_factors_long.empty()) {
    gguf_error("rope_factors_long.weight", "LongRoPE needs both factor tensors, short and long");
  }
  r.rope_freqs = md.rope_freqs;
  r.rope_factors_short = md.rope_factors_short;
  r.rope_factors_long = md.rope_factors_long;
  return r;
}

inline double rope_metadata::yarn_mscale() const {
  if (!is_yarn()) return yarn_attn_factor;
  const double s = factor;
  if (yarn_log_multiplier == 0.0) return scaling::detail::yarn_mscale(s, 1.0);
  const double m_all = yarn_log_multiplier / 0.1;
  const double m = architecture == "deepseek2" && m_all != 1.0 ? m_all : 1.0;
  return scaling::detail::yarn_mscale(s, m) / scaling::detail::yarn_mscale(s, m_all);
}

inline scaled_frequencies rope_metadata::frequencies(std::int64_t n_ctx, layer_kind kind) const {
  const bool sliding = unscaled(kind);
  scaled_frequencies f;
  if (sliding) {
    f = scaling::default_rope(rotary_dim, *freq_base_swa);
  } else if (is_yarn()) {
    // ggml's ramp mix: theta' = theta/s + ext ramp (theta - theta/s), which for ext = 1 is
    // HF's YaRN (truncate true: ggml floors / ceils the correction dims and clamps high to
    // n_dims - 1 as HF does).
    scaling::yarn_parameters y;
    y.rotary_dim = rotary_dim;
    y.base = freq_base;
    y.factor = factor;
    y.original_max_position_embeddings = original_context_length;
    y.beta_fast = yarn_beta_fast;
    y.beta_slow = yarn_beta_slow;
    y.attention_factor = 1.0;
    f = scaling::yarn(y);
    const scaled_frequencies interpolated = scaling::linear(rotary_dim, freq_base, factor);
    for (std::size_t i = 0; i < f.inv_freq.size(); ++i) {
      const double t = interpolated.inv_freq[i];
      f.inv_freq[i] = t + yarn_ext_factor * (f.inv_freq[i] - t);
    }
  } else {
    f = scaling::linear(rotary_dim, freq_base, factor);
  }
  const std::vector<float>& ff = sliding ? rope_freqs : freq_factors(n_ctx);
  for (std::size_t i = 0; i < ff.size(); ++i) f.inv_freq[i] /= static_cast<double>(ff[i]);
  if (sliding) return f;  // cos/sin factor 1
  if (is_yarn() && architecture == "deepseek2") {
    // DeepSeek's graph: rotation with net factor 1, (A g(s, mscale_all_dim))^2 on the softmax.
    const double m =
        attention_factor() * scaling::detail::yarn_mscale(factor, yarn_log_multiplier / 0.1);
    f.softmax_scale_factor = m * m;
  } else {
    f.attention_factor = attention_factor();
  }
  return f;
}

inline ggml_rope_parameters rope_metadata::ggml_parameters(std::int64_t n_ctx,
                                                           layer_kind kind) const {
  ggml_rope_parameters p;
  p.n_dims = static_cast<int>(rotary_dim);
  p.beta_fast = static_cast<float>(yarn_beta_fast);
  p.beta_slow = static_cast<float>(yarn_beta_slow);
  p.n_ctx_orig = static_cast<int>(original_context_length);
  if (unscaled(kind)) {
    p.freq_base = static_cast<float>(*freq_base_swa);
    p.freq_factors = rope_freqs;
    return p;
  }
  p.freq_base = static_cast<float>(freq_base);
  p.freq_scale = static_cast<float>(1.0 / factor);
  p.ext_factor = static_cast<float>(yarn_ext_factor);
  p.freq_factors = freq_factors(n_ctx);
  // What llama.cpp hands ggml, in float as it computes it: with YaRN, A / (1 + 0.1 ln s)
  // (ggml multiplies by 1 + 0.1 ln s again); deepseek2 rotates with net factor 1.
  const float a = static_cast<float>(yarn_mscale()) * static_cast<float>(attn_factor);
  if (p.ext_factor != 0.0f) {
    const float cancel = 1.0f / (1.0f + 0.1f * std::log(static_cast<float>(factor)));
    p.attn_factor = architecture == "deepseek2" ? cancel : a * cancel;
  } else {
    p.attn_factor = a;
  }
  return p;
}

}  // namespace gguf
}  // namespace rotary
