// Scaled-dot-product attention against a naive triple loop: float and double, causal or
// not, MHA / GQA / MQA, with and without an additive bias, strided inputs; masking edge
// cases; one EXPECT_THROW per argument check.
#include <gtest/gtest.h>

#include "attention/attention_test_util.hpp"
#include "expect_error.hpp"

namespace {

using rotary::attention_options;
using rotary::scaled_dot_product_attention;
using rotary::tensor_view;
using namespace rotary_test;

template <class T>
class SdpaTest : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(SdpaTest, Scalars, ScalarNames);

struct config {
  std::ptrdiff_t nq, nk, heads, kv_heads, d, dv;
  bool causal, bias;
};

template <class T>
void check_against_naive(const config& c) {
  SCOPED_TRACE(::testing::Message() << "nq=" << c.nq << " nk=" << c.nk << " heads=" << c.heads
                                    << " kv_heads=" << c.kv_heads << " causal=" << c.causal
                                    << " bias=" << c.bias);
  // q with a padded token stride (strided view), k and v contiguous.
  const std::ptrdiff_t q_stride = c.heads * c.d + 3;
  auto qd = random_vector<T>(static_cast<std::size_t>(c.nq * q_stride), 1);
  auto kd = random_vector<T>(static_cast<std::size_t>(c.nk * c.kv_heads * c.d), 2);
  auto vd = random_vector<T>(static_cast<std::size_t>(c.nk * c.kv_heads * c.dv), 3);
  auto bd = random_vector<T>(static_cast<std::size_t>(c.heads * c.nq * c.nk), 4, -2.0, 2.0);
  tensor_view<const T, 3> q(qd.data(), {c.nq, c.heads, c.d}, {q_stride, c.d, 1});
  tensor_view<const T, 3> k(kd.data(), {c.nk, c.kv_heads, c.d});
  tensor_view<const T, 3> v(vd.data(), {c.nk, c.kv_heads, c.dv});
  tensor_view<const T, 3> b(bd.data(), {c.heads, c.nq, c.nk});
  std::vector<T> out(static_cast<std::size_t>(c.nq * c.heads * c.dv));
  attention_options<T> options;
  options.causal = c.causal;
  if (c.bias) options.bias = b;
  scaled_dot_product_attention<T>(q, k, v, tensor_view<T, 3>(out.data(), {c.nq, c.heads, c.dv}),
                                  options);
  const auto expected = naive_attention<T>(q, k, v, c.causal, c.bias ? &b : nullptr);
  EXPECT_LT(max_abs_diff(out, expected), tolerance<T>());
}

TYPED_TEST(SdpaTest, MatchesNaiveTripleLoop) {
  for (bool causal : {false, true}) {
    for (bool bias : {false, true}) {
      for (std::ptrdiff_t kv_heads : {4, 2, 1}) {  // MHA, GQA, MQA
        check_against_naive<TypeParam>({7, 7, 4, kv_heads, 16, 16, causal, bias});
        check_against_naive<TypeParam>({3, 9, 4, kv_heads, 10, 6, causal, bias});
      }
    }
  }
}

TYPED_TEST(SdpaTest, WeightsAreAProbabilityDistribution) {
  using T = TypeParam;
  const std::ptrdiff_t n = 5, h = 2, d = 8;
  auto x = random_vector<T>(static_cast<std::size_t>(n * h * d), 7);
  tensor_view<const T, 3> qkv(x.data(), {n, h, d});
  std::vector<T> out(x.size()), w(static_cast<std::size_t>(h * n * n));
  attention_options<T> options;
  options.causal = true;
  options.weights = tensor_view<T, 3>(w.data(), {h, n, n});
  scaled_dot_product_attention<T>(qkv, qkv, qkv, tensor_view<T, 3>(out.data(), {n, h, d}),
                                  options);
  for (std::ptrdiff_t hh = 0; hh < h; ++hh) {
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      T sum = 0;
      for (std::ptrdiff_t j = 0; j < n; ++j) {
        sum += w[(hh * n + i) * n + j];
        if (j > i) {
          EXPECT_EQ(w[(hh * n + i) * n + j], T(0));
        }
      }
      EXPECT_NEAR(sum, T(1), tolerance<T>());
    }
  }
}

TYPED_TEST(SdpaTest, FullyMaskedRowGivesZerosNotNaN) {
  using T = TypeParam;
  const std::ptrdiff_t nq = 4, nk = 2, d = 4;  // causal with nq > nk: rows 0, 1 see nothing
  auto x = random_vector<T>(static_cast<std::size_t>(nq * d), 8);
  std::vector<T> bias(static_cast<std::size_t>(nq * nk), T(0));
  bias[3 * nk + 0] = bias[3 * nk + 1] = -std::numeric_limits<T>::infinity();  // row 3 by bias
  std::vector<T> out(x.size(), T(7));
  attention_options<T> options;
  options.causal = true;
  options.bias = tensor_view<const T, 3>(bias.data(), {1, nq, nk});
  scaled_dot_product_attention<T>(tensor_view<const T, 3>(x.data(), {nq, 1, d}),
                                  tensor_view<const T, 3>(x.data(), {nk, 1, d}),
                                  tensor_view<const T, 3>(x.data(), {nk, 1, d}),
                                  tensor_view<T, 3>(out.data(), {nq, 1, d}), options);
  for (std::ptrdiff_t i : {0, 1, 3})
    for (std::ptrdiff_t e = 0; e < d; ++e) EXPECT_EQ(out[i * d + e], T(0)) << i;
  for (std::ptrdiff_t e = 0; e < d; ++e) EXPECT_TRUE(std::isfinite(out[2 * d + e]));
}

TEST(SdpaTest, LargeLogitsStayFinite) {
  std::vector<float> q = {100, 0, 0, 0}, k = {100, 0, -100, 0}, v = {1, 2, 3, 4}, out(2);
  scaled_dot_product_attention<float>(tensor_view<const float, 3>(q.data(), {1, 1, 2}),
                                      tensor_view<const float, 3>(k.data(), {2, 1, 2}),
                                      tensor_view<const float, 3>(v.data(), {2, 1, 2}),
                                      tensor_view<float, 3>(out.data(), {1, 1, 2}));
  EXPECT_FLOAT_EQ(out[0], 1.0f);
  EXPECT_FLOAT_EQ(out[1], 2.0f);
}

class SdpaErrorTest : public ::testing::Test {
 protected:
  std::vector<double> a = std::vector<double>(64, 0.5), b = std::vector<double>(64, 0.5),
                      o = std::vector<double>(64);
  tensor_view<const double, 3> view(const std::vector<double>& x, std::ptrdiff_t n,
                                    std::ptrdiff_t h, std::ptrdiff_t d) {
    return tensor_view<const double, 3>(x.data(), {n, h, d});
  }
  tensor_view<double, 3> out(std::ptrdiff_t n, std::ptrdiff_t h, std::ptrdiff_t d) {
    return tensor_view<double, 3>(o.data(), {n, h, d});
  }
};

TEST_F(SdpaErrorTest, KvHeadsMustDivideHeads) {
  EXPECT_THROW(scaled_dot_product_attention<double>(view(a, 2, 3, 4), view(b, 2, 2, 4),
                                                    view(b, 2, 2, 4), out(2, 3, 4)),
               rotary::invalid_argument);
}
TEST_F(SdpaErrorTest, HeadDimMismatch) {
  EXPECT_THROW(scaled_dot_product_attention<double>(view(a, 2, 2, 4), view(b, 2, 2, 6),
                                                    view(b, 2, 2, 6), out(2, 2, 6)),
               rotary::invalid_argument);
}
TEST_F(SdpaErrorTest, ValueTokensMismatch) {
  EXPECT_THROW(scaled_dot_product_attention<double>(view(a, 2, 2, 4), view(b, 3, 2, 4),
                                                    view(b, 2, 2, 4), out(2, 2, 4)),
               rotary::invalid_argument);
}
TEST_F(SdpaErrorTest, OutExtents) {
  EXPECT_THROW(scaled_dot_product_attention<double>(view(a, 2, 2, 4), view(b, 2, 2, 4),
                                                    view(b, 2, 2, 4), out(2, 1, 4)),
               rotary::invalid_argument);
}
TEST_F(SdpaErrorTest, BiasExtents) {
  attention_options<double> options;
  options.bias = view(b, 2, 2, 3);
  EXPECT_THROW(scaled_dot_product_attention<double>(view(a, 2, 2, 4), view(b, 2, 2, 4),
                                                    view(b, 2, 2, 4), out(2, 2, 4), options),
               rotary::invalid_argument);
}
TEST_F(SdpaErrorTest, OutOverlapsInput) {
  EXPECT_THROW(scaled_dot_product_attention<double>(
                   view(o, 2, 2, 4), view(b, 2, 2, 4), view(b, 2, 2, 4), out(2, 2, 4)),
               rotary::invalid_argument);
}
// head_dim 0: the logits are all 0 (an empty dot product), so attention is the mean of v;
// with no scale given, the default 1 / sqrt(head_dim) would be infinite and is refused.
TEST_F(SdpaErrorTest, ZeroHeadDimNeedsAnExplicitScale) {
  rotary_test::expect_error(
      [&] {
        scaled_dot_product_attention<double>(view(a, 1, 1, 0), view(b, 2, 1, 0),
                                             view(b, 2, 1, 2), out(1, 1, 2));
      },
      "scaled_dot_product_attention: q head_dim is 0, so the default scale 1 / sqrt(head_dim) "
      "is infinite; pass attention_options::scale");
  std::vector<double> values = {1, 2, 3, 6};
  attention_options<double> options;
  options.scale = 1.0;
  scaled_dot_product_attention<double>(view(a, 1, 1, 0), view(b, 2, 1, 0), view(values, 2, 1, 2),
                                       out(1, 1, 2), options);
  EXPECT_DOUBLE_EQ(o[0], 2.0);
  EXPECT_DOUBLE_EQ(o[1], 4.0);
}

TEST_F(SdpaErrorTest, HeadDimStrideMustBeOne) {
  tensor_view<const double, 3> strided(a.data(), {2, 2, 4}, {16, 8, 2});
  EXPECT_THROW(scaled_dot_product_attention<double>(strided, view(b, 2, 2, 4),
                                                    view(b, 2, 2, 4), out(2, 2, 4)),
               rotary::invalid_argument);
}

// Written views that alias something: weights over q, k, v, out or bias, weights whose
// elements share memory, out over bias, out whose heads or rows share memory. Each throws
// before anything is written (out and every input keep their bytes).
class SdpaAliasTest : public ::testing::Test {
 protected:
  static constexpr std::ptrdiff_t nq = 2, nk = 3, heads = 2, d = 4;
  std::vector<double> q = random_vector<double>(nq * heads * d, 71),
                      k = random_vector<double>(nk * heads * d, 72),
                      v = random_vector<double>(nk * heads * d, 73),
                      bias = random_vector<double>(heads * nq * nk, 74),
                      o = std::vector<double>(nq * heads * d, -7.0),
                      w = std::vector<double>(heads * nq * nk, -9.0);
  tensor_view<const double, 3> qv() const { return {q.data(), {nq, heads, d}}; }
  tensor_view<const double, 3> kv() const { return {k.data(), {nk, heads, d}}; }
  tensor_view<const double, 3> vv() const { return {v.data(), {nk, heads, d}}; }
  tensor_view<double, 3> ov() { return {o.data(), {nq, heads, d}}; }
  /// A [heads][nq][nk] logit view over the first heads * nq * nk elements of x.
  static tensor_view<double, 3> logits(std::vector<double>& x) {
    return {x.data(), {heads, nq, nk}};
  }
  void expect_rejected(const attention_options<double>& options, tensor_view<double, 3> out,
                       const std::string& needle) {
    const auto before = std::vector<std::vector<double>>{q, k, v, bias, o, w};
    expect_error([&] { scaled_dot_product_attention<double>(qv(), kv(), vv(), out, options); },
                 needle);
    EXPECT_EQ((std::vector<std::vector<double>>{q, k, v, bias, o, w}), before) << needle;
  }
};

TEST_F(SdpaAliasTest, WeightsOverlappingAnInputThrowBeforeWriting) {
  attention_options<double> options;
  options.weights = logits(k);
  expect_rejected(options, ov(), "scaled_dot_product_attention: weights must not overlap q, k or v");
  options.weights = logits(q);
  expect_rejected(options, ov(), "scaled_dot_product_attention: weights must not overlap q, k or v");
  // Only the last element of v under the weights.
  std::vector<double> tail_of_v(v.size() + heads * nq * nk);
  v.swap(tail_of_v);
  options.weights = tensor_view<double, 3>(v.data() + nk * heads * d - 1, {heads, nq, nk});
  expect_rejected(options, ov(), "scaled_dot_product_attention: weights must not overlap q, k or v");
  options.weights = tensor_view<double, 3>(o.data(), {heads, nq, nk}, {1, 1, 1});
  expect_rejected(options, ov(), "weights has elements that share memory");
  options.weights = tensor_view<double, 3>(w.data(), {heads, nq, nk}, {0, nk, 1});  // one head
  expect_rejected(options, ov(), "scaled_dot_product_attention: weights has elements that share");
  options.weights = tensor_view<double, 3>(o.data(), {heads, nq, nk});
  expect_rejected(options, ov(), "scaled_dot_product_attention: weights must not overlap out");
  options.weights = logits(bias);
  options.bias = logits(bias);
  expect_rejected(options, ov(), "scaled_dot_product_attention: weights must not overlap bias");
}

TEST_F(SdpaAliasTest, OutSharingMemoryThrowsBeforeWriting) {
  attention_options<double> options;
  // Heads of out at one address (head stride 0): both heads would write the same row.
  expect_rejected(options, tensor_view<double, 3>(o.data(), {nq, heads, d}, {d, 0, 1}),
                  "scaled_dot_product_attention: out has (token, head) rows that share elements");
  // Token rows overlapping by half a head.
  expect_rejected(options, tensor_view<double, 3>(o.data(), {nq, heads, d}, {d / 2, d, 1}),
                  "scaled_dot_product_attention: out has (token, head) rows that share elements");
  // out over the bias it reads.
  std::vector<double> big(heads * nq * nk + nq * heads * d);
  bias.swap(big);
  options.bias = tensor_view<const double, 3>(bias.data(), {heads, nq, nk});
  expect_rejected(options, tensor_view<double, 3>(bias.data() + 1, {nq, heads, d}),
                  "scaled_dot_product_attention: out must not overlap bias");
}

// Non-contiguous weights that share nothing are accepted: a transposed [heads][nq][nk]
// view (key stride nq), and weights interleaved with a zero bias (both with stride 2).
TYPED_TEST(SdpaTest, StridedWeightsThatShareNothingAreWritten) {
  using T = TypeParam;
  const std::ptrdiff_t nq = 3, nk = 5, heads = 2, d = 4;
  const auto q = random_vector<T>(nq * heads * d, 81), k = random_vector<T>(nk * heads * d, 82),
             v = random_vector<T>(nk * heads * d, 83);
  const tensor_view<const T, 3> qv(q.data(), {nq, heads, d}), kv(k.data(), {nk, heads, d}),
      vv(v.data(), {nk, heads, d});
  std::vector<T> out(nq * heads * d), want(heads * nq * nk), out2(out.size());
  attention_options<T> options;
  options.weights = tensor_view<T, 3>(want.data(), {heads, nq, nk});
  scaled_dot_product_attention<T>(qv, kv, vv, tensor_view<T, 3>(out.data(), {nq, heads, d}),
                                  options);
  std::vector<T> transposed(want.size());
  options.weights = tensor_view<T, 3>(transposed.data(), {heads, nq, nk}, {nq * nk, 1, nq});
  scaled_dot_product_attention<T>(qv, kv, vv, tensor_view<T, 3>(out2.data(), {nq, heads, d}),
                                  options);
  std::vector<T> interleaved(2 * want.size());
  options.bias = tensor_view<const T, 3>(interleaved.data() + 1, {heads, nq, nk},
                                         {2 * nq * nk, 2 * nk, 2});
  options.weights = tensor_view<T, 3>(interleaved.data(), {heads, nq, nk}, {2 * nq * nk, 2 * nk, 2});
  scaled_dot_product_attention<T>(qv, kv, vv, tensor_view<T, 3>(out2.data(), {nq, heads, d}),
                                  options);
  for (std::ptrdiff_t h = 0; h < heads; ++h) {
    for (std::ptrdiff_t i = 0; i < nq; ++i) {
      for (std::ptrdiff_t j = 0; j < nk; ++j) {
        const T expected = want[static_cast<std::size_t>((h * nq + i) * nk + j)];
        EXPECT_EQ(transposed[static_cast<std::size_t>(h * nq * nk + j * nq + i)], expected);
        EXPECT_EQ(interleaved[static_cast<std::size_t>(2 * ((h * nq + i) * nk + j))], expected);
      }
    }
  }
}

// The attention templates live in the ISA's inline namespace (config.hpp), so translation
// units built with different -march flags do not share one definition of them.
TEST(SdpaTest, LivesInTheIsaNamespace) {
  void (*f)(tensor_view<const float, 3>, tensor_view<const float, 3>, tensor_view<const float, 3>,
            tensor_view<float, 3>, const attention_options<float>&) =
      &rotary::ROTARY_ISA_NAMESPACE::scaled_dot_product_attention<float>;
  EXPECT_EQ(f, &rotary::scaled_dot_product_attention<float>);
}

}  // namespace
