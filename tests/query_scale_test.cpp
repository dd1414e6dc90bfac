// query_scale (Ministral 3's llama_4_scaling_beta, Llama 4's attn_temperature_tuning): the
// formulas against their definitions evaluated here in long double; fused into the rope's
// query pass on every path (contiguous and strided views, position ids, threads, q + k,
// partial rotary with pass-through elements, 16-bit storage) against s(m) times the
// rotation-matrix oracle; keys never scaled; transpose and inverse; scale_queries for layers
// without RoPE; bad input refused before anything is written.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <rotary/rotary.hpp>

#include "oracles/rotation_matrix.hpp"
#include "expect_error.hpp"
#include "test_util.hpp"

namespace {

using rotary::direction;
using rotary::pairing;
using rotary::positions;
using rotary::query_scale;
using real = rotary_test::oracle::real;

// Ministral 3 (HF modeling_ministral3._get_llama_4_attn_scale):
//   1 + beta * log(1 + floor(position / original_max_position_embeddings))
real ministral_scale(real beta, real original_max, std::int64_t m) {
  return 1.0L + beta * std::log(1.0L + std::floor(static_cast<real>(m) / original_max));
}
// Llama 4 (HF modeling_llama4.Llama4TextAttention.forward, NoPE layers):
//   log1p(floor((cache_position + 1) / floor_scale)) * attn_scale + 1
real llama4_scale(real attn_scale, real floor_scale, std::int64_t m) {
  return std::log1p(std::floor((static_cast<real>(m) + 1.0L) / floor_scale)) * attn_scale + 1.0L;
}

using rotary_test::expect_error;

TEST(QueryScale, FormulasAtTheirSteps) {
  const query_scale none;
  EXPECT_FALSE(none.active());
  EXPECT_EQ(none.at(123456789), 1.0);
  const query_scale ministral = query_scale::log_floor(0.1, 16384);
  const query_scale llama4 = query_scale::llama4_temperature();  // 0.1, 8192
  EXPECT_EQ(llama4.beta(), 0.1);
  EXPECT_EQ(llama4.length(), 8192.0);
  for (std::int64_t m : {0LL, 1LL, 8190LL, 8191LL, 8192LL, 16383LL, 16384LL, 49151LL, 49152LL,
                         1000000LL, 2147483647LL, 1LL << 40}) {
    SCOPED_TRACE(m);
    EXPECT_NEAR(ministral.at(m), static_cast<double>(ministral_scale(0.1L, 16384.0L, m)), 1e-15);
    EXPECT_NEAR(llama4.at(m), static_cast<double>(llama4_scale(0.1L, 8192.0L, m)), 1e-15);
  }
  // The steps: unchanged below the first one.
  EXPECT_EQ(ministral.at(16383), 1.0);
  EXPECT_GT(ministral.at(16384), 1.0);
  EXPECT_EQ(llama4.at(8190), 1.0);
  EXPECT_GT(llama4.at(8191), 1.0);
  // A length that is not a power of two: floor of the exact quotient.
  const query_scale odd = query_scale::log_floor(0.5, 3);
  for (std::int64_t m = 0; m < 40; ++m) {
    EXPECT_EQ(odd.at(m), 1.0 + 0.5 * std::log1p(static_cast<double>(m / 3))) << m;
  }
}

TEST(QueryScale, BadParametersAreRefused) {
  expect_error([] { query_scale::log_floor(std::nan(""), 4096); },
               "query_scale::log_floor: beta must be finite, got nan");
  expect_error([] { query_scale::log_floor(0.1, 0); },
               "query_scale::log_floor: original_max_position_embeddings must be finite and >= 1, got 0");
  expect_error([] { query_scale::llama4_temperature(0.1, -8192); },
               "query_scale::llama4_temperature: floor_scale must be finite and >= 1, got -8192");
  expect_error([] { query_scale::llama4_temperature(INFINITY, 8192); },
               "query_scale::llama4_temperature: beta must be finite, got inf");
}

// s(m) R_m x (forward, transpose) of one head, from the oracle.
std::vector<real> expected_head(pairing p, std::ptrdiff_t head_dim, std::ptrdiff_t offset,
                                std::ptrdiff_t rotary_dim, std::int64_t m, const double* x,
                                direction d, real s) {
  const rotary_test::oracle::rotation_matrix R(p, head_dim, offset,
                                               rotary_test::oracle::frequencies(rotary_dim), m);
  std::vector<real> y = R.apply(x, d == direction::transpose);
  for (real& v : y) v *= s;
  return y;
}

TEST(QueryScale, FusedIntoTheQueryPassOnEveryPath) {
  // Positions 0..25 with a length of 4 cross six steps of the scale.
  const std::ptrdiff_t T = 26, H = 4, Hkv = 2, D = 32;
  const double beta = 0.3, length = 4;
  const query_scale s = query_scale::log_floor(beta, length);
  const rotary::cos_sin_table<double> full(D, 64), partial(16, 64);
  const std::vector<double> q0 = rotary_test::random_vector<double>(T * H * D, 7);
  const std::vector<double> k0 = rotary_test::random_vector<double>(T * Hkv * D, 8);
  std::vector<std::int64_t> ids(T);
  for (std::ptrdiff_t t = 0; t < T; ++t) ids[static_cast<std::size_t>(t)] = (t * 7) % 30;
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    for (direction d : {direction::forward, direction::transpose}) {
      for (bool is_partial : {false, true}) {
        const std::ptrdiff_t rotary_dim = is_partial ? 16 : D, offset = is_partial ? 8 : 0;
        const std::string what = std::string(rotary::to_string(p)) + " " +
                                 rotary::to_string(d) + (is_partial ? " partial" : "");
        SCOPED_TRACE(what);
        rotary::rope_options o;
        o.rotary_offset = offset;
        o.query_scale = s;
        rotary::rope_options o2 = o;
        o2.execution.threads = 2;
        o2.execution.min_elements_per_thread = 0;
        const auto& table = is_partial ? partial : full;
        const rotary::rope r(table, p, o), threaded(table, p, o2);
        // in place, offsets (the contiguous form), q + k
        std::vector<double> qa = q0, ka = k0;
        r.apply(d, rotary::query(rotary_test::view3(qa, T, H, D)),
                rotary::key(rotary_test::view3(ka, T, Hkv, D)), positions::from_offset(3));
        // out of place (pass-through copies), position ids, key first
        std::vector<double> qb(q0.size()), kb(k0.size());
        r.apply(d, rotary::key(rotary_test::cview3(k0, T, Hkv, D), rotary_test::view3(kb, T, Hkv, D)),
                rotary::query(rotary_test::cview3(q0, T, H, D), rotary_test::view3(qb, T, H, D)),
                positions::from_ids(ids.data(), T));
        // threads, in place, offsets
        std::vector<double> qc = q0;
        threaded.apply(d, rotary::query(rotary_test::view3(qc, T, H, D)), positions::from_offset(3));
        for (std::ptrdiff_t t = 0; t < T; ++t) {
          for (std::ptrdiff_t h = 0; h < H; ++h) {
            const std::size_t at = static_cast<std::size_t>((t * H + h) * D);
            const auto wa = expected_head(p, D, offset, rotary_dim, 3 + t, q0.data() + at, d,
                                          ministral_scale(beta, length, 3 + t));
            const std::int64_t m = ids[static_cast<std::size_t>(t)];
            const auto wb = expected_head(p, D, offset, rotary_dim, m, q0.data() + at, d,
                                          ministral_scale(beta, length, m));
            for (std::ptrdiff_t e = 0; e < D; ++e) {
              const std::size_t i = at + static_cast<std::size_t>(e);
              EXPECT_NEAR(qa[i], static_cast<double>(wa[e]), 1e-14) << "offsets t " << t << " e " << e;
              EXPECT_NEAR(qb[i], static_cast<double>(wb[e]), 1e-14) << "ids t " << t << " e " << e;
            }
          }
          for (std::ptrdiff_t h = 0; h < Hkv; ++h) {  // keys: rotated, never scaled
            const std::size_t at = static_cast<std::size_t>((t * Hkv + h) * D);
            const auto wa = expected_head(p, D, offset, rotary_dim, 3 + t, k0.data() + at, d, 1.0L);
            const auto wb = expected_head(p, D, offset, rotary_dim, ids[static_cast<std::size_t>(t)],
                                          k0.data() + at, d, 1.0L);
            for (std::ptrdiff_t e = 0; e < D; ++e) {
              const std::size_t i = at + static_cast<std::size_t>(e);
              EXPECT_NEAR(ka[i], static_cast<double>(wa[e]), 1e-14);
              EXPECT_NEAR(kb[i], static_cast<double>(wb[e]), 1e-14);
            }
          }
        }
        EXPECT_TRUE(rotary_test::bitwise_equal(qa, qc)) << "threads";
      }
    }
  }
}

TEST(QueryScale, InverseUndoesForward) {
  const std::ptrdiff_t T = 40, H = 2, D = 64;
  rotary::rope_options o;
  o.query_scale = query_scale::llama4_temperature(0.1, 8);
  const rotary::cos_sin_table<float> table(D, 64);
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    const rotary::rope r(table, p, o);
    const std::vector<float> q0 = rotary_test::random_vector<float>(T * H * D, 3);
    std::vector<float> q = q0;
    r.forward(rotary::query(rotary_test::view3(q, T, H, D)), positions::from_offset(0));
    // Rotations keep norms: each token's norm grows by s(m) (1 + 0.1 ln 6 for the last).
    for (std::ptrdiff_t t = 0; t < T; ++t) {
      double before = 0, after = 0;
      for (std::size_t i = static_cast<std::size_t>(t * H * D); i < static_cast<std::size_t>((t + 1) * H * D); ++i) {
        before += static_cast<double>(q0[i]) * q0[i];
        after += static_cast<double>(q[i]) * q[i];
      }
      EXPECT_NEAR(std::sqrt(after / before), static_cast<double>(llama4_scale(0.1L, 8.0L, t)), 1e-6) << t;
    }
    r.inverse(rotary::query(rotary_test::view3(q, T, H, D)), positions::from_offset(0));
    for (std::size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(q[i], q0[i], 4e-7) << i;
  }
}

TEST(QueryScale, SixteenBitStorage) {
  // float in, bfloat16 out: one rounding of s(m) R_m q (the rotation is rounded to bf16,
  // then the product: two roundings of at most 2^-9 relative each).
  const std::ptrdiff_t T = 20, H = 3, D = 64;
  const query_scale s = query_scale::log_floor(0.5, 2);
  rotary::rope_options o;
  o.query_scale = s;
  const rotary::cos_sin_table<float> table(D, 32);
  const rotary::rope r(table, pairing::half_split, o);
  const std::vector<float> q0 = rotary_test::random_vector<float>(T * H * D, 11);
  std::vector<rotary::bfloat16> out(q0.size());
  r.forward(rotary::query(rotary_test::cview3(q0, T, H, D), rotary_test::view3(out, T, H, D)),
            positions::from_offset(1));
  std::vector<double> qd(q0.begin(), q0.end());
  for (std::ptrdiff_t t = 0; t < T; ++t) {
    for (std::ptrdiff_t h = 0; h < H; ++h) {
      const std::size_t at = static_cast<std::size_t>((t * H + h) * D);
      const auto w = expected_head(pairing::half_split, D, 0, D, 1 + t, qd.data() + at,
                                   direction::forward, ministral_scale(0.5L, 2.0L, 1 + t));
      for (std::ptrdiff_t e = 0; e < D; ++e) {
        const double got = static_cast<float>(out[at + static_cast<std::size_t>(e)]);
        EXPECT_NEAR(got, static_cast<double>(w[e]), 2.5 * std::ldexp(std::abs(static_cast<double>(w[e])), -8) + 1e-6);
      }
    }
  }
}

TEST(QueryScale, OperandsMustNameTheirRole) {
  rotary::rope_options o;
  o.query_scale = query_scale::log_floor(0.1, 4);
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, pairing::half_split, o);
  std::vector<float> x = rotary_test::random_vector<float>(2 * 8, 1);
  const std::vector<float> before = x;
  expect_error([&] { r.forward(rotary_test::view3(x, 2, 1, 8), positions::from_offset(0)); },
               "rope::forward: the rope has a query_scale, so each operand must name its role");
  EXPECT_TRUE(rotary_test::bitwise_equal(x, before));
  // A key alone: rotated, not scaled (the same as a rope without the scale).
  std::vector<float> k = x, plain = x;
  r.forward(rotary::key(rotary_test::view3(k, 2, 1, 8)), positions::from_offset(9));
  rotary::rope(table, pairing::half_split).forward(rotary_test::view3(plain, 2, 1, 8),
                                                   positions::from_offset(9));
  EXPECT_TRUE(rotary_test::bitwise_equal(k, plain));
}

TEST(QueryScale, AScaleThatIsNotPositiveIsRefusedBeforeAnyWrite) {
  // beta = -1, length 1: s(m) = 1 - ln(1 + m) <= 0 from m = e - 1 on.
  rotary::rope_options o;
  o.query_scale = query_scale::log_floor(-1.0, 1);
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, pairing::interleaved, o);
  std::vector<float> q = rotary_test::random_vector<float>(3 * 8, 1);
  const std::vector<float> before = q;
  expect_error([&] { r.forward(rotary::query(rotary_test::view3(q, 3, 1, 8)), positions::from_offset(0)); },
               "rope::forward: the query scale is not a finite positive number at position 2");
  EXPECT_TRUE(rotary_test::bitwise_equal(q, before));
  expect_error([&] { rotary::scale_queries(rotary_test::view3(q, 3, 1, 8), positions::from_offset(0), o.query_scale); },
               "scale_queries: the query scale is not a finite positive number at position 2");
  EXPECT_TRUE(rotary_test::bitwise_equal(q, before));
}

TEST(ScaleQueries, LayersWithoutRope) {
  const std::ptrdiff_t B = 2, S = 9, H = 3, D = 10;  // head_dim 10: no whole vectors
  const query_scale s = query_scale::llama4_temperature(0.1, 4);
  const std::vector<float> q0 = rotary_test::random_vector<float>(B * S * H * D, 5);
  std::vector<float> in_place = q0, out(q0.size());
  const std::int64_t starts[] = {0, 20};
  const auto pos = positions::from_starts(starts, 2);
  rotary::tensor_view<float, 4> v(in_place.data(), {B, S, H, D});
  rotary::scale_queries(v, pos, s);
  rotary::scale_queries(rotary::tensor_view<const float, 4>(q0.data(), {B, S, H, D}),
                        rotary::tensor_view<float, 4>(out.data(), {B, S, H, D}), pos, s);
  EXPECT_TRUE(rotary_test::bitwise_equal(in_place, out));
  for (std::ptrdiff_t b = 0; b < B; ++b) {
    for (std::ptrdiff_t t = 0; t < S; ++t) {
      const float f = static_cast<float>(llama4_scale(0.1L, 4.0L, starts[b] + t));
      for (std::ptrdiff_t e = 0; e < H * D; ++e) {
        const std::size_t i = static_cast<std::size_t>((b * S + t) * H * D + e);
        EXPECT_EQ(out[i], q0[i] * f) << b << " " << t << " " << e;
      }
    }
  }
  expect_error([&] {
    rotary::scale_queries(rotary::tensor_view<float, 3>(in_place.data(), {S, H, 7}),
                          positions::from_offset(0), s);
  }, "scale_queries: q head_dim must be even and > 0, got 7");
  expect_error([&] { rotary::scale_queries(v, positions::from_offset(-1), s); },
               "scale_queries: position offset must be >= 0, got -1");
}

}  // namespace
