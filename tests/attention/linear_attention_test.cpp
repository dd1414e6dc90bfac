// Linear attention with RoPE equals the explicit sum of RoFormer eq. (19), causal and not.
#include <gtest/gtest.h>

#include "attention/attention_test_util.hpp"
#include "expect_error.hpp"

namespace {

using rotary::pairing;
using rotary::positions;
using rotary::tensor_view;
using namespace rotary_test;

/// out_m = sum_n (R_m phi q_m).(R_n phi k_n) v_n / sum_n phi q_m . phi k_n, in double,
/// rotations by explicit 2x2 blocks; q at q0 + i, k at k0 + j.
template <class T>
std::vector<double> eq19(pairing p, const std::vector<T>& q, const std::vector<T>& k,
                         const std::vector<T>& v, std::ptrdiff_t nq, std::ptrdiff_t nk,
                         std::ptrdiff_t heads, std::ptrdiff_t kv_heads, std::ptrdiff_t d,
                         std::int64_t q0, std::int64_t k0, bool causal) {
  const auto phi = [](double x) { return x > 0 ? x + 1 : std::exp(x); };
  std::vector<double> out(static_cast<std::size_t>(nq * heads * d), 0.0);
  for (std::ptrdiff_t h = 0; h < heads; ++h) {
    const std::ptrdiff_t g = h / (heads / kv_heads);
    for (std::ptrdiff_t i = 0; i < nq; ++i) {
      std::vector<double> fq(d), rq(d);
      for (std::ptrdiff_t e = 0; e < d; ++e) fq[e] = rq[e] = phi(q[(i * heads + h) * d + e]);
      rotate_oracle(p, rq.data(), d, q0 + i);
      double den = 0;
      std::vector<double> num(d, 0.0);
      for (std::ptrdiff_t j = 0; j < nk; ++j) {
        if (causal && j > i + (nk - nq)) continue;
        std::vector<double> fk(d), rk(d);
        for (std::ptrdiff_t e = 0; e < d; ++e) fk[e] = rk[e] = phi(k[(j * kv_heads + g) * d + e]);
        rotate_oracle(p, rk.data(), d, k0 + j);
        double a = 0, b = 0;
        for (std::ptrdiff_t e = 0; e < d; ++e) {
          a += rq[e] * rk[e];
          b += fq[e] * fk[e];
        }
        den += b;
        for (std::ptrdiff_t e = 0; e < d; ++e) num[e] += a * v[(j * kv_heads + g) * d + e];
      }
      if (den == 0) continue;
      for (std::ptrdiff_t e = 0; e < d; ++e) out[(i * heads + h) * d + e] = num[e] / den;
    }
  }
  return out;
}

template <class T>
class LinearAttentionTest : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(LinearAttentionTest, Scalars, ScalarNames);

TYPED_TEST(LinearAttentionTest, MatchesExplicitSumOfEq19) {
  using T = TypeParam;
  const std::ptrdiff_t heads = 4, kv_heads = 2, d = 12;
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    for (bool causal : {false, true}) {
      for (auto [nq, nk] : {std::pair<std::ptrdiff_t, std::ptrdiff_t>{9, 9}, {3, 8}}) {
        SCOPED_TRACE(::testing::Message() << rotary::to_string(p) << " causal=" << causal
                                          << " nq=" << nq << " nk=" << nk);
        const auto q = random_vector<T>(nq * heads * d, 31, -2, 2);
        const auto k = random_vector<T>(nk * kv_heads * d, 32, -2, 2);
        const auto v = random_vector<T>(nk * kv_heads * d, 33);
        const std::int64_t q0 = 5 + nk - nq, k0 = 5;  // queries at the end of the keys
        rotary::on_the_fly_angles<T> angles(d);
        std::vector<T> out(q.size());
        const tensor_view<const T, 3> qv(q.data(), {nq, heads, d});
        const tensor_view<const T, 3> kv(k.data(), {nk, kv_heads, d});
        const tensor_view<const T, 3> vv(v.data(), {nk, kv_heads, d});
        const tensor_view<T, 3> ov(out.data(), {nq, heads, d});
        const auto q_pos = positions::from_offset(q0), k_pos = positions::from_offset(k0);
        if (p == pairing::interleaved) {
          rotary::linear_attention<pairing::interleaved>(qv, q_pos, kv, k_pos, vv, ov, angles,
                                                         {causal});
        } else {
          rotary::linear_attention<pairing::half_split>(qv, q_pos, kv, k_pos, vv, ov, angles, {causal});
        }
        const auto expected = eq19(p, q, k, v, nq, nk, heads, kv_heads, d, q0, k0, causal);
        EXPECT_LT(max_abs_diff(out, expected), 20 * tolerance<T>());
      }
    }
  }
}

TEST(LinearAttentionTest, FeatureMapIsPositive) {
  EXPECT_DOUBLE_EQ(rotary::elu_plus_one(2.0), 3.0);
  EXPECT_DOUBLE_EQ(rotary::elu_plus_one(0.0), 1.0);
  EXPECT_DOUBLE_EQ(rotary::elu_plus_one(-1.0), std::exp(-1.0));
  EXPECT_GT(rotary::elu_plus_one(-30.0f), 0.0f);
}

// The rotation's errors name linear_attention (not the rope call inside it), and out is
// not written.
TEST(LinearAttentionTest, ErrorsNameLinearAttention) {
  std::vector<float> x(2 * 2 * 6, 0.5f), out(2 * 2 * 6, -3.0f);
  const auto run = [&](std::ptrdiff_t d, const auto& angles, tensor_view<float, 3> o,
                       const positions& q_pos = positions::from_offset(0)) {
    const tensor_view<const float, 3> q(x.data(), {2, 2, d});
    rotary::linear_attention<pairing::interleaved>(q, q_pos, q, positions::from_offset(0), q, o,
                                                   angles);
  };
  const rotary::cos_sin_table<float> table(4, 8), wide(8, 8);
  try {
    run(3, table, tensor_view<float, 3>(out.data(), {2, 2, 3}));
    ADD_FAILURE() << "odd head_dim accepted";
  } catch (const rotary::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("linear_attention: ", 0), 0u) << what;
    EXPECT_NE(what.find("head_dim must be even and > 0, got 3"), std::string::npos) << what;
  }
  expect_error([&] { run(4, wide, tensor_view<float, 3>(out.data(), {2, 2, 4})); },
               "linear_attention: rotary_offset + rotary_dim must be <= head_dim");
  const std::int64_t far[2] = {0, 100};
  EXPECT_THROW(run(4, table, tensor_view<float, 3>(out.data(), {2, 2, 4}),
                   positions::from_ids(far, 2)),
               rotary::out_of_range);
  expect_error([&] { run(4, table, tensor_view<float, 3>(out.data(), {2, 2, 4}, {8, 0, 1})); },
               "linear_attention: out has (token, head) rows that share elements");
  EXPECT_EQ(out, std::vector<float>(out.size(), -3.0f));
}

// linear_attention lives in the ISA's inline namespace (config.hpp).
TEST(LinearAttentionTest, LivesInTheIsaNamespace) {
  using angles = rotary::cos_sin_table<float>;
  void (*f)(tensor_view<const float, 3>, const positions&, tensor_view<const float, 3>,
            const positions&, tensor_view<const float, 3>, tensor_view<float, 3>, const angles&,
            rotary::linear_attention_options) =
      &rotary::ROTARY_ISA_NAMESPACE::linear_attention<pairing::interleaved, float, angles>;
  EXPECT_EQ(f, (&rotary::linear_attention<pairing::interleaved, float, angles>));
}

}  // namespace
