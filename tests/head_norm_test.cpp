// SPDX-License-Identifier: MIT
// QK-norm (head_norm.hpp): the norm against HF's definitions written out here (Qwen3RMSNorm,
// Gemma3RMSNorm, Llama 4's L2 norm), and the fused rope pass bitwise the unfused sequence
// (apply_head_norm, then the rope; or the rope, then apply_head_norm) for q and k with GQA,
// in place and out of place, partial rotary, float and bfloat16; bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "expect_error.hpp"
#include "test_util.hpp"

namespace {

using rotary::head_norm;
using rotary::pairing;
using rotary::positions;
using rotary::tensor_view;

constexpr std::ptrdiff_t tokens = 19, q_heads = 4, k_heads = 2, dim = 64;

std::vector<double> weight(std::uint64_t seed) {
  return rotary_test::random_vector<double>(dim, seed, 0.5, 1.5);
}

TEST(HeadNorm, MatchesTheDefinitions) {
  const auto x = rotary_test::random_vector<float>(dim, 3, -4.0, 4.0);
  const auto w = weight(4);
  long double ms = 0;
  for (float v : x) ms += static_cast<long double>(v) * v;
  ms /= dim;
  for (const auto& [norm, kind] : {std::pair{head_norm::rms(w, 1e-6), 0}, std::pair{head_norm::gemma(w, 1e-6), 1},
                                   std::pair{head_norm::unweighted(1e-6), 2}}) {
    std::vector<float> y = x;
    rotary::apply_head_norm(rotary_test::view3(y, 1, 1, dim), norm);
    for (std::ptrdiff_t e = 0; e < dim; ++e) {
      const long double scale = kind == 0 ? w[e] : kind == 1 ? 1 + w[e] : 1;
      const long double expect = x[static_cast<std::size_t>(e)] / std::sqrt(ms + 1e-6L) * scale;
      EXPECT_NEAR(y[static_cast<std::size_t>(e)], static_cast<double>(expect), 4e-7 * std::fabs(static_cast<double>(expect)) + 1e-30) << kind << " " << e;
    }
  }
}

template <class T>
void check_fused(pairing p, const rotary::rope_options& base, const head_norm& qn, const head_norm& kn,
                 bool in_place) {
  rotary::cos_sin_table<float> table(48, 64);
  rotary::rope_options fused_opts = base;
  fused_opts.query_norm = qn;
  fused_opts.key_norm = kn;
  const rotary::rope fused(table, p, fused_opts);
  const rotary::rope plain(table, p, base);
  auto data = [](std::ptrdiff_t heads, std::uint64_t seed) {
    const auto d = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * heads * dim), seed, -3, 3);
    return std::vector<T>(d.begin(), d.end());
  };
  const auto q = data(q_heads, 5), k = data(k_heads, 6);
  const auto pos = positions::from_offset(7);
  // Unfused: the norms, then the rope, or the rope, then the norms.
  std::vector<T> q_ref = q, k_ref = k;
  auto qv = [&](std::vector<T>& v) { return tensor_view<T, 3>(v.data(), {tokens, q_heads, dim}); };
  auto kv = [&](std::vector<T>& v) { return tensor_view<T, 3>(v.data(), {tokens, k_heads, dim}); };
  if (!qn.after_rope) rotary::apply_head_norm(qv(q_ref), qn);
  if (!kn.after_rope) rotary::apply_head_norm(kv(k_ref), kn);
  plain.forward(rotary::query(qv(q_ref)), rotary::key(kv(k_ref)), pos);
  if (qn.after_rope) rotary::apply_head_norm(qv(q_ref), qn);
  if (kn.after_rope) rotary::apply_head_norm(kv(k_ref), kn);
  std::vector<T> q_out = q, k_out = k;
  if (in_place) {
    fused.forward(rotary::query(qv(q_out)), rotary::key(kv(k_out)), pos);
  } else {
    std::vector<T> q_in = q, k_in = k;
    fused.forward(rotary::query(tensor_view<const T, 3>(qv(q_in)), qv(q_out)),
                  rotary::key(tensor_view<const T, 3>(kv(k_in)), kv(k_out)), pos);
  }
  EXPECT_TRUE(rotary_test::bitwise_equal(q_out, q_ref));
  EXPECT_TRUE(rotary_test::bitwise_equal(k_out, k_ref));
}

TEST(HeadNorm, FusedIsBitwiseTheUnfusedSequence) {
  rotary::rope_options partial;
  partial.rotary_offset = 8;  // 48 of 64 rotated from 8 on: pass-through elements normalized too
  const auto qw = weight(11), kw = weight(12);
  for (pairing p : {pairing::half_split, pairing::interleaved}) {
    for (bool in_place : {true, false}) {
      SCOPED_TRACE(in_place);
      check_fused<float>(p, partial, head_norm::rms(qw), head_norm::rms(kw), in_place);          // Qwen3
      check_fused<float>(p, partial, head_norm::gemma(qw), head_norm::gemma(kw), in_place);      // Gemma 3
      check_fused<float>(p, partial, head_norm::unweighted(), head_norm::unweighted(), in_place);  // Llama 4
      check_fused<rotary::bfloat16>(p, partial, head_norm::rms(qw), head_norm::unweighted(), in_place);
      check_fused<float>(p, partial, head_norm{}, head_norm::rms(kw), in_place);  // keys only
    }
  }
}

/// Random shapes (head_dim 2 to 258 even, 1 to 3 key heads, 1 to 3 query heads per key head, 1 to 40 tokens), both
/// pairings, partial rotary at any offset, random norm kinds, eps and order, a table or
/// table-free source, random positions: the fused pass bitwise the unfused sequence, two
/// threads bitwise one; a weight of the wrong length throws before anything is written.
TEST(HeadNorm, RandomShapesAndNormsAreBitwiseTheUnfusedSequence) {
  std::mt19937_64 rng(77);
  auto below = [&](std::uint64_t n) { return static_cast<std::ptrdiff_t>(rng() % n); };
  for (int trial = 0; trial < 80; ++trial) {
    SCOPED_TRACE(trial);
    const std::ptrdiff_t head_dim = 2 * (1 + below(129));
    const std::ptrdiff_t rotary_dim = 2 * (1 + below(static_cast<std::uint64_t>(head_dim / 2)));
    const std::ptrdiff_t offset = below(static_cast<std::uint64_t>(head_dim - rotary_dim + 1));
    const std::ptrdiff_t n = 1 + below(40), hk = 1 + below(3), hq = hk * (1 + below(3));
    const pairing p = below(2) ? pairing::interleaved : pairing::half_split;
    auto random_norm = [&]() {
      const double eps = below(4) == 0 ? 0.0 : std::ldexp(1.0, -static_cast<int>(below(30)));
      const auto w = rotary_test::random_vector<double>(static_cast<std::size_t>(head_dim), rng(), -1.5, 1.5);
      switch (below(4)) {
        case 0: return head_norm{};
        case 1: return head_norm::rms(w, eps);
        case 2: return head_norm::gemma(w, eps);
        default: return head_norm::unweighted(eps, below(2) == 0);
      }
    };
    head_norm qn = random_norm(), kn = random_norm();
    if (!qn.active() && !kn.active()) kn = head_norm::unweighted();
    rotary::rope_options o;
    o.rotary_offset = offset;
    rotary::rope_options fused_o = o;
    fused_o.query_norm = qn;
    fused_o.key_norm = kn;
    rotary::rope_options threaded_o = fused_o;
    threaded_o.execution = rotary::execution{2, 1};
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
    for (auto& m : ids) m = below(4) == 0 ? below(4096) : below(300);
    const auto pos = positions::from_ids(ids.data(), n);
    const auto q = rotary_test::random_vector<float>(static_cast<std::size_t>(n * hq * head_dim), rng(), -3, 3);
    const auto k = rotary_test::random_vector<float>(static_cast<std::size_t>(n * hk * head_dim), rng(), -3, 3);
    auto qv = [&](std::vector<float>& v) { return tensor_view<float, 3>(v.data(), {n, hq, head_dim}); };
    auto kv = [&](std::vector<float>& v) { return tensor_view<float, 3>(v.data(), {n, hk, head_dim}); };
    auto run = [&](const auto& angles) {
      std::vector<float> q_ref = q, k_ref = k, q_fused = q, k_fused = k, q_thr = q, k_thr = k;
      if (!qn.after_rope) rotary::apply_head_norm(qv(q_ref), qn);
      if (!kn.after_rope) rotary::apply_head_norm(kv(k_ref), kn);
      rotary::rope(angles, p, o).forward(rotary::query(qv(q_ref)), rotary::key(kv(k_ref)), pos);
      if (qn.after_rope) rotary::apply_head_norm(qv(q_ref), qn);
      if (kn.after_rope) rotary::apply_head_norm(kv(k_ref), kn);
      rotary::rope(angles, p, fused_o).forward(rotary::query(qv(q_fused)), rotary::key(kv(k_fused)), pos);
      rotary::rope(angles, p, threaded_o).forward(rotary::query(qv(q_thr)), rotary::key(kv(k_thr)), pos);
      ASSERT_TRUE(rotary_test::bitwise_equal(q_fused, q_ref));
      ASSERT_TRUE(rotary_test::bitwise_equal(k_fused, k_ref));
      ASSERT_TRUE(rotary_test::bitwise_equal(q_thr, q_ref));
      ASSERT_TRUE(rotary_test::bitwise_equal(k_thr, k_ref));
      // A weight one value short: refused before the first write.
      rotary::rope_options bad = fused_o;
      bad.key_norm = head_norm::rms(std::vector<double>(static_cast<std::size_t>(head_dim + 1), 1.0));
      std::vector<float> q_bad = q, k_bad = k;
      rotary_test::expect_error([&] {
        rotary::rope(angles, p, bad).forward(rotary::query(qv(q_bad)), rotary::key(kv(k_bad)), pos);
      }, "key_norm weight has");
      ASSERT_TRUE(rotary_test::bitwise_equal(q_bad, q));
      ASSERT_TRUE(rotary_test::bitwise_equal(k_bad, k));
    };
    if (below(2)) {
      run(rotary::cos_sin_table<float>(rotary_dim, 4096));
    } else {
      run(rotary::on_the_fly_angles<float>(rotary_dim));
    }
  }
}

TEST(HeadNorm, BadInputThrows) {
  rotary_test::expect_error([] { head_norm::rms({1.0, 2.0}, -1.0); }, "head_norm::rms: eps must be finite and >= 0, got -1");
  rotary_test::expect_error([] { head_norm::gemma({}); }, "head_norm::gemma: the weight must not be empty");
  rotary_test::expect_error([] { head_norm::rms({1.0, std::nan("")}); }, "weight[1] must be finite");
  rotary::cos_sin_table<float> table(dim, 64);
  rotary::rope_options o;
  o.query_norm = head_norm::rms(std::vector<double>(32, 1.0));
  const rotary::rope r(table, pairing::half_split, o);
  std::vector<float> x(static_cast<std::size_t>(2 * dim), 1.0f);
  const auto before = x;
  auto v = rotary_test::view3(x, 2, 1, dim);
  rotary_test::expect_error([&] { r.forward(rotary::query(v), positions::from_offset(0)); },
                            "rope::forward: query_norm weight has 32 values, expected head_dim = 64");
  rotary_test::expect_error([&] { r.forward(v, positions::from_offset(0)); },
                            "so each operand must name its role");
  rotary_test::expect_error([&] { r.transpose(rotary::query(v), positions::from_offset(0)); },
                            "rope::transpose: a rope with a query_norm or key_norm runs forward only");
  rotary_test::expect_error([&] { rotary::apply_head_norm(v, o.query_norm); },
                            "apply_head_norm: the norm's weight has 32 values, expected head_dim = 64");
  EXPECT_TRUE(rotary_test::bitwise_equal(x, before));
}

}  // namespace
