// Linear attention with RoPE equals the explicit sum of RoFormer eq. (19), causal and not.
#include <gtest/gtest.h>

#include "attention/attention_test_util.hpp"

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

}  // namespace
