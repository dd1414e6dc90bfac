// SPDX-License-Identifier: MIT
// The scaling schemes through the reference attention: q and k rotated by the rope object
// over a table of the scheme (its cos/sin factor A in the table), then SDPA, against the
// naive attention over q and k rotated in long double with A applied once to each (logits
// scaled by A^2) and, for DeepSeek's YaRN, the softmax-scale multiplier on the logit scale.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <rotary/rope.hpp>
#include <rotary/scaling.hpp>
#include <rotary/table.hpp>

#include "attention/attention_test_util.hpp"
#include "oracles/rotated_keys.hpp"
#include "test_util.hpp"

namespace {

using rotary::pairing;
using rotary::scaled_frequencies;

struct scheme {
  std::string name;
  scaled_frequencies f;
  std::ptrdiff_t head_dim;
};

std::vector<scheme> schemes() {
  namespace s = rotary::scaling;
  std::vector<scheme> out;
  s::yarn_parameters y;
  y.rotary_dim = 64;
  y.base = 1e6;
  y.factor = 4;
  y.original_max_position_embeddings = 32;
  out.push_back({"yarn", s::yarn(y), 64});  // A = 1.1386
  y.mscale = 1;
  y.mscale_all_dim = 1;
  out.push_back({"yarn_deepseek", s::yarn(y), 64});  // A = 1, softmax multiplier g^2
  s::longrope_parameters l;
  l.rotary_dim = 48;
  l.base = 1e4;
  for (int i = 0; i < 24; ++i) {
    l.short_factor.push_back(1.0 + 0.05 * i);
    l.long_factor.push_back(1.0 + 2.0 * i);
  }
  l.max_position_embeddings = 256;
  l.original_max_position_embeddings = 16;
  out.push_back({"longrope_long_partial", s::longrope(l, 64), 64});  // 48 of 64 rotated
  out.push_back({"llama3", s::llama3({64, 5e5, 8, 1, 4, 16}), 64});
  out.push_back({"proportional", s::proportional({64, 1e4, 2.0, 0.25}), 64});
  out.push_back({"dynamic_ntk", s::dynamic_ntk(64, 1e4, 2.0, 8, 20), 64});
  return out;
}

TEST(ScaledRopeAttention, EverySchemeAppliesItsFactorsOnce) {
  const std::ptrdiff_t tokens = 20, heads = 4, kv_heads = 2;
  for (const scheme& sc : schemes()) {
    SCOPED_TRACE(sc.name);
    const std::ptrdiff_t d = sc.head_dim;
    const scaled_frequencies& f = sc.f;
    const bool subset = f.pair_distance != 0 && f.pair_distance != f.rotary_dim() / 2;
    for (const pairing p : {pairing::half_split, pairing::interleaved}) {
      if (subset && p == pairing::interleaved) continue;
      const rotary_test::shape qs{tokens, heads, d, 0}, ks{tokens, kv_heads, d, 0};
      const auto q_raw = rotary_test::random_keys(qs, 1), k_raw = rotary_test::random_keys(ks, 2);
      const auto v = rotary_test::random_keys(ks, 3);
      // The library: one rope pass over q and k, then SDPA with the scheme's softmax multiplier.
      std::vector<float> q = q_raw, k = k_raw, out(q.size());
      const rotary::cos_sin_table<float> table(f, tokens);
      rotary::rope_options options;
      options.pair_distance = p == pairing::half_split ? f.pair_distance : 0;
      const rotary::rope rope(table, p, options);
      rope.forward(rotary::query(rotary_test::view3(q, tokens, heads, d)),
                   rotary::key(rotary_test::view3(k, tokens, kv_heads, d)),
                   rotary::positions::from_offset(0));
      rotary::attention_options<float> ao;
      ao.causal = true;
      ao.scale = static_cast<float>(f.softmax_scale_factor / std::sqrt(static_cast<double>(d)));
      rotary::scaled_dot_product_attention<float>(
          rotary_test::cview3(q, tokens, heads, d), rotary_test::cview3(k, tokens, kv_heads, d),
          rotary_test::cview3(v, tokens, kv_heads, d), rotary_test::view3(out, tokens, heads, d), ao);
      // The oracle: A R_m on each of q and k in long double (the multiplier folded into q).
      std::vector<float> q_want, k_want;
      for (const long double x : rotary_test::rotated(q_raw, qs, 0, f, p)) {
        q_want.push_back(static_cast<float>(x * f.softmax_scale_factor));
      }
      for (const long double x : rotary_test::rotated(k_raw, ks, 0, f, p)) k_want.push_back(static_cast<float>(x));
      const auto want = rotary_test::naive_attention<float>(
          rotary_test::cview3(q_want, tokens, heads, d), rotary_test::cview3(k_want, tokens, kv_heads, d),
          rotary_test::cview3(v, tokens, kv_heads, d), true);
      EXPECT_LT(rotary_test::max_abs_diff(out, want), 2e-5) << rotary::to_string(p);
    }
  }
}

}  // namespace
