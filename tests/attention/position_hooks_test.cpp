// The same attention with each position encoding: RoPE's relative property end to end
// (shifting every position leaves outputs unchanged) against sinusoidal and learned (they
// change), relative bias (unchanged); length flexibility at 4x the longest length seen.
#include <gtest/gtest.h>

#include "attention/attention_test_util.hpp"
#include "expect_error.hpp"

#include <limits>
#include <string>
#include <type_traits>
#include <typeinfo>

namespace {

using rotary::pairing;
using rotary::positions;
using rotary::tensor_view;
using namespace rotary_test;

constexpr std::ptrdiff_t kHeads = 4, kKvHeads = 2, kDim = 16;

struct inputs {
  std::ptrdiff_t n;
  std::vector<double> q, k, v;
  explicit inputs(std::ptrdiff_t tokens)
      : n(tokens),
        q(random_vector<double>(tokens * kHeads * kDim, 41)),
        k(random_vector<double>(tokens * kKvHeads * kDim, 42)),
        v(random_vector<double>(tokens * kKvHeads * kDim, 43)) {}

  template <class Hook>
  std::vector<double> attend(const Hook& hook, std::int64_t offset, bool causal = true) const {
    std::vector<double> out(q.size());
    rotary::attention_options<double> options;
    options.causal = causal;
    rotary::attention_with_positions<double>(
        hook, tensor_view<const double, 3>(q.data(), {n, kHeads, kDim}),
        positions::from_offset(offset), tensor_view<const double, 3>(k.data(), {n, kKvHeads, kDim}),
        positions::from_offset(offset), tensor_view<const double, 3>(v.data(), {n, kKvHeads, kDim}),
        tensor_view<double, 3>(out.data(), {n, kHeads, kDim}), options);
    return out;
  }
};

TEST(PositionHooksTest, ShiftingAllPositionsLeavesRopeUnchanged) {
  const inputs in(24);
  rotary::on_the_fly_angles<double> angles(kDim);
  const auto rope = rotary::make_rope_hook<pairing::half_split>(angles);
  for (std::int64_t shift : {1, 37, 1000}) {
    EXPECT_LT(max_abs_diff(in.attend(rope, 0), in.attend(rope, shift)), 1e-12) << shift;
  }
  // ... and RoPE does depend on positions: a different relative layout changes the output.
  EXPECT_GT(max_abs_diff(in.attend(rope, 0), in.attend(rotary::no_position_hook{}, 0)), 1e-3);
}

TEST(PositionHooksTest, ShiftingAllPositionsChangesAbsoluteEncodings) {
  const inputs in(24);
  const rotary::sinusoidal_encoding sinusoidal(kDim);
  const rotary::learned_position_encoding<double> learned(128, kDim, /*seed=*/7, /*scale=*/1.0);
  const rotary::absolute_hook sin_hook(sinusoidal);
  const rotary::absolute_hook learned_hook(learned);
  EXPECT_GT(max_abs_diff(in.attend(sin_hook, 0), in.attend(sin_hook, 37)), 1e-3);
  EXPECT_GT(max_abs_diff(in.attend(learned_hook, 0), in.attend(learned_hook, 37)), 1e-3);
}

TEST(PositionHooksTest, RelativeBiasIsShiftInvariant) {
  const inputs in(24);
  for (const auto& buckets : {rotary::relative_buckets::t5(32, 128, true),
                              rotary::relative_buckets::t5(16, 64, false),
                              rotary::relative_buckets::clipped(5)}) {
    const rotary::relative_position_bias<double> table(kHeads, buckets, 3, 2.0);
    const rotary::relative_bias_hook hook(table);
    EXPECT_LT(max_abs_diff(in.attend(hook, 0), in.attend(hook, 37)), 1e-12);
    EXPECT_GT(max_abs_diff(in.attend(hook, 0), in.attend(rotary::no_position_hook{}, 0)), 1e-3);
  }
}

TEST(PositionHooksTest, RelativeBiasHookEqualsExplicitBias) {
  const inputs in(10);
  const rotary::relative_position_bias<double> table(kHeads, rotary::relative_buckets::clipped(3),
                                                     9, 1.0);
  std::vector<double> bias(kHeads * in.n * in.n);
  const std::int64_t ids[10] = {4, 0, 9, 2, 2, 7, 1, 3, 8, 5};
  table.fill(tensor_view<double, 3>(bias.data(), {kHeads, in.n, in.n}),
             positions::from_ids(ids, 10), positions::from_ids(ids, 10));
  EXPECT_EQ(bias[0 * in.n + 2], table.bias(0, 9 - 4));
  std::vector<double> a(in.q.size()), b(in.q.size());
  const tensor_view<const double, 3> q(in.q.data(), {in.n, kHeads, kDim});
  const tensor_view<const double, 3> k(in.k.data(), {in.n, kKvHeads, kDim});
  const tensor_view<const double, 3> v(in.v.data(), {in.n, kKvHeads, kDim});
  rotary::attention_with_positions<double>(rotary::relative_bias_hook(table), q,
                                           positions::from_ids(ids, 10), k,
                                           positions::from_ids(ids, 10), v,
                                           tensor_view<double, 3>(a.data(), {in.n, kHeads, kDim}));
  rotary::attention_options<double> options;
  options.bias = tensor_view<const double, 3>(bias.data(), {kHeads, in.n, in.n});
  rotary::scaled_dot_product_attention<double>(q, k, v, tensor_view<double, 3>(b.data(), {in.n, kHeads, kDim}),
                                               options);
  EXPECT_LT(max_abs_diff(a, b), 1e-15);
}

TEST(PositionHooksTest, LengthFlexibility) {
  // The longest sequence "seen" (the learned table's length) is 32 tokens; run at 4x.
  constexpr std::ptrdiff_t seen = 32, longer = 4 * seen;
  const inputs in(longer);
  // RoPE: a table grown on demand, or angles computed on the fly: no maximum length.
  rotary::cos_sin_table<double> table(kDim, seen);
  table.grow(longer);
  rotary::on_the_fly_angles<double> angles(kDim);
  const auto from_table = in.attend(rotary::make_rope_hook<pairing::interleaved>(table), 0);
  const auto on_the_fly = in.attend(rotary::make_rope_hook<pairing::interleaved>(angles), 0);
  EXPECT_LT(max_abs_diff(from_table, on_the_fly), 1e-12);
  for (double x : from_table) ASSERT_TRUE(std::isfinite(x));
  // Sinusoidal: no table, any length.
  const rotary::sinusoidal_encoding sinusoidal(kDim);
  for (double x : in.attend(rotary::absolute_hook(sinusoidal), 0)) ASSERT_TRUE(std::isfinite(x));
  // Learned: the documented error past max_positions.
  const rotary::learned_position_encoding<double> learned(seen, kDim);
  EXPECT_NO_THROW(inputs(seen).attend(rotary::absolute_hook(learned), 0));
  EXPECT_THROW(in.attend(rotary::absolute_hook(learned), 0), rotary::out_of_range);
}

TEST(PositionHooksTest, InputsAreNotModified) {
  const inputs in(8);
  const auto q = in.q, k = in.k;
  rotary::on_the_fly_angles<double> angles(kDim);
  in.attend(rotary::make_rope_hook<pairing::half_split>(angles), 3);
  EXPECT_EQ(in.q, q);
  EXPECT_EQ(in.k, k);
}

// attention_with_positions checks the options itself, before the hook runs, and its
// messages name it (not the scaled_dot_product_attention it runs).
TEST(PositionHooksTest, ErrorsNameAttentionWithPositions) {
  inputs in(4);
  std::vector<double> out(in.q.size(), -3.0), weights(kHeads * in.n * in.n);
  const tensor_view<const double, 3> q(in.q.data(), {in.n, kHeads, kDim});
  const tensor_view<const double, 3> k(in.k.data(), {in.n, kKvHeads, kDim});
  const tensor_view<const double, 3> v(in.v.data(), {in.n, kKvHeads, kDim});
  const tensor_view<double, 3> o(out.data(), {in.n, kHeads, kDim});
  rotary::on_the_fly_angles<double> angles(kDim);
  const auto hook = rotary::make_rope_hook<pairing::half_split>(angles);
  const auto run = [&](const rotary::attention_options<double>& options, tensor_view<double, 3> dst) {
    rotary::attention_with_positions<double>(hook, q, positions::from_offset(0), k,
                                             positions::from_offset(0), v, dst, options);
  };
  rotary::attention_options<double> options;
  options.weights = tensor_view<double, 3>(in.v.data(), {kHeads, in.n, in.n});
  expect_error([&] { run(options, o); }, "attention_with_positions: weights must not overlap q, k or v");
  options.weights = tensor_view<double, 3>(weights.data(), {kHeads, in.n, in.n + 1});
  expect_error([&] { run(options, o); }, "attention_with_positions: weights extents");
  options.weights = tensor_view<double, 3>(weights.data(), {kHeads, in.n, in.n}, {0, in.n, 1});
  expect_error([&] { run(options, o); }, "attention_with_positions: weights has elements that share");
  options = {};
  options.scale = std::numeric_limits<double>::infinity();
  expect_error([&] { run(options, o); }, "attention_with_positions: scale must be finite");
  options = {};
  expect_error([&] { run(options, tensor_view<double, 3>(out.data(), {in.n, kHeads, kDim}, {kDim, 0, 1})); },
               "attention_with_positions: out has (token, head) rows that share elements");
  EXPECT_EQ(out, std::vector<double>(out.size(), -3.0));
}

// The hook's own errors (a position past a table, positions of the wrong length, a
// sinusoidal dim that is not head_dim) are rethrown, of the same type, naming
// attention_with_positions and the step, with the hook's message after; out is untouched.
TEST(PositionHooksTest, HookErrorsNameAttentionWithPositions) {
  inputs in(4);
  std::vector<double> out(in.q.size(), -3.0);
  const tensor_view<const double, 3> q(in.q.data(), {in.n, kHeads, kDim});
  const tensor_view<const double, 3> k(in.k.data(), {in.n, kKvHeads, kDim});
  const tensor_view<const double, 3> v(in.v.data(), {in.n, kKvHeads, kDim});
  const tensor_view<double, 3> o(out.data(), {in.n, kHeads, kDim});
  const rotary::cos_sin_table<double> table(kDim, 6);  // positions 0..5
  const auto rope = rotary::make_rope_hook<pairing::half_split>(table);
  try {
    rotary::attention_with_positions<double>(rope, q, positions::from_offset(0), k,
                                             positions::from_offset(4), v, o);
    ADD_FAILURE() << "no error for key positions 4..7 past a 6-row table";
  } catch (const rotary::out_of_range& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("attention_with_positions: encoding the keys: rope::forward: ", 0), 0u)
        << message;
  }
  const std::vector<std::int64_t> ids = {0, 1, 2};  // three ids for four queries
  expect_error(
      [&] {
        rotary::attention_with_positions<double>(rope, q, positions::from_ids(ids.data(), 3), k,
                                                 positions::from_offset(0), v, o);
      },
      "attention_with_positions: encoding the queries: rope::forward: ");
  const rotary::sinusoidal_encoding wrong_dim(kDim + 2);
  expect_error(
      [&] {
        rotary::attention_with_positions<double>(rotary::absolute_hook(wrong_dim), q,
                                                 positions::from_offset(0), k,
                                                 positions::from_offset(0), v, o);
      },
      "attention_with_positions: encoding the queries: ");
  EXPECT_EQ(out, std::vector<double>(out.size(), -3.0));
}

// The hooks and attention_with_positions live in the ISA's inline namespace (config.hpp).
TEST(PositionHooksTest, LiveInTheIsaNamespace) {
  using angles = rotary::cos_sin_table<double>;
  static_assert(std::is_same_v<rotary::ROTARY_ISA_NAMESPACE::rope_hook<pairing::interleaved, angles>,
                               rotary::rope_hook<pairing::interleaved, angles>>);
  static_assert(std::is_same_v<rotary::ROTARY_ISA_NAMESPACE::rope_pair_hook<pairing::interleaved, angles, angles>,
                               rotary::rope_pair_hook<pairing::interleaved, angles, angles>>);
  using hook = rotary::rope_hook<pairing::interleaved, angles>;
  EXPECT_NE(std::string(typeid(hook).name()).find(ROTARY_STRINGIFY(ROTARY_ISA_NAMESPACE)),
            std::string::npos)
      << typeid(hook).name();
  void (*f)(const hook&, tensor_view<const double, 3>, const positions&,
            tensor_view<const double, 3>, const positions&, tensor_view<const double, 3>,
            tensor_view<double, 3>, rotary::attention_options<double>) =
      &rotary::ROTARY_ISA_NAMESPACE::attention_with_positions<double, hook>;
  EXPECT_NE(f, nullptr);
}

}  // namespace

// Multi-axis RoPE through the same hook: an image + text sequence, (t, h, w) positions.
// Shifting every token by the same amount on any one axis leaves the attention unchanged
// (the score depends on position differences per axis); moving one token does not.
TEST(PositionHooksTest, MultiAxisRopeIsRelativeOnEveryAxis) {
  rotary::mrope_positions layout;
  layout.text(5).grid(1, 3, 4).text(7);  // 24 tokens
  const inputs in(layout.tokens());
  const rotary::multi_axis_angles<double> angles(
      rotary::axis_map::mrope(rotary::rope_frequencies(kDim, 1e4), {2, 3, 3}), 64);
  const auto hook = rotary::make_rope_hook<pairing::half_split>(angles);
  auto attend = [&](const std::vector<double>& pos) {
    std::vector<double> out(in.q.size());
    rotary::attention_options<double> options;
    options.causal = true;
    const auto p = positions::token_major(pos.data(), in.n, 3);
    rotary::attention_with_positions<double>(
        hook, tensor_view<const double, 3>(in.q.data(), {in.n, kHeads, kDim}), p,
        tensor_view<const double, 3>(in.k.data(), {in.n, kKvHeads, kDim}), p,
        tensor_view<const double, 3>(in.v.data(), {in.n, kKvHeads, kDim}),
        tensor_view<double, 3>(out.data(), {in.n, kHeads, kDim}), options);
    return out;
  };
  const std::vector<double> base = layout.token_major();
  const auto reference = attend(base);
  for (int axis = 0; axis < 3; ++axis) {
    std::vector<double> shifted = base;
    for (std::size_t t = 0; t < shifted.size() / 3; ++t) shifted[3 * t + axis] += 29.0;
    EXPECT_LT(max_abs_diff(reference, attend(shifted)), 1e-12) << axis;
  }
  std::vector<double> moved = base;
  moved[3 * 8 + 0] += 5.0;  // one image patch to another time
  EXPECT_GT(max_abs_diff(reference, attend(moved)), 1e-3);
}

// xPos through the pair hook: shifting every position leaves the attention unchanged (the
// centre is fixed, so q.k depends on m - n only), and xPos differs from plain RoPE.
TEST(PositionHooksTest, XposIsRelativeThroughThePairHook) {
  const inputs in(24);
  const auto f = rotary::rope_frequencies(kDim);
  const rotary::xpos_angles<double> qa(f, rotary::xpos_role::query, 500.0);
  const rotary::xpos_angles<double> ka(f, rotary::xpos_role::key, 500.0);
  const auto xpos = rotary::make_rope_pair_hook<pairing::half_split>(qa, ka);
  for (std::int64_t shift : {1, 37, 1000}) {
    EXPECT_LT(max_abs_diff(in.attend(xpos, 0), in.attend(xpos, shift)), 1e-12) << shift;
  }
  rotary::on_the_fly_angles<double> plain(kDim);
  EXPECT_GT(max_abs_diff(in.attend(xpos, 0), in.attend(rotary::make_rope_hook<pairing::half_split>(plain), 0)), 1e-4);
}
