// A scaling scheme's cos/sin factor A (scaled_frequencies::attention_factor) in the angle
// sources: every path of the rope object applies it exactly once (forward A R_m x,
// transpose A R_m^T x: the factor is in the table's cos and sin, as in HF's caches), the
// inverse undoes it ((A R_m)^{-1} = R_m^T / A), on_the_fly_angles agrees with the table,
// rotate_reference agrees with the rope, and a bad factor is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <rotary/scaling.hpp>

#include "oracles/rotation_matrix.hpp"
#include "test_util.hpp"

namespace {

using rotary::direction;
using rotary::pairing;
using rotary::positions;

rotary::scaled_frequencies yarn_qwen() {
  rotary::scaling::yarn_parameters p;
  p.rotary_dim = 64;
  p.base = 1e6;
  p.factor = 4.0;
  p.original_max_position_embeddings = 32768;
  return rotary::scaling::yarn(p);  // A = 0.1 ln 4 + 1
}

TEST(AttentionFactor, ForwardAndTransposeScaleByAOnEveryPath) {
  const rotary::scaled_frequencies f = yarn_qwen();
  const double A = f.attention_factor;
  ASSERT_GT(A, 1.1);
  const rotary::cos_sin_table<double> table(f, 64);
  EXPECT_EQ(table.attention_factor(), A);
  const std::vector<rotary_test::oracle::real> theta(f.inv_freq.begin(), f.inv_freq.end());
  const std::ptrdiff_t T = 5, H = 3, D = 64;
  const std::vector<double> in = rotary_test::random_vector<double>(T * H * D, 2);
  std::vector<std::int64_t> ids(T);
  for (std::ptrdiff_t t = 0; t < T; ++t) ids[static_cast<std::size_t>(t)] = 40 + t;
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    for (direction d : {direction::forward, direction::transpose}) {
      const rotary::rope r(table, p);
      rotary::rope_options two;
      two.execution.threads = 2;
      two.execution.min_elements_per_thread = 0;
      const rotary::rope threaded(table, p, two);
      // The contiguous path, the general path (ids; strided views; threads), q + k.
      std::vector<double> a = in, b = in, c = in, q = in, k = in;
      r.apply(d, rotary_test::view3(a, T, H, D), positions::from_offset(40));
      r.apply(d, rotary_test::view3(b, T, H, D), positions::from_ids(ids.data(), T));
      threaded.apply(d, rotary_test::view3(c, T, H, D), positions::from_offset(40));
      r.apply(d, rotary::query(rotary_test::view3(q, T, H, D)),
              rotary::key(rotary_test::view3(k, T, H, D)), positions::from_offset(40));
      for (std::ptrdiff_t t = 0; t < T; ++t) {
        const rotary_test::oracle::rotation_matrix R(p, D, 0, theta, 40 + t);
        for (std::ptrdiff_t h = 0; h < H; ++h) {
          const std::size_t o = static_cast<std::size_t>((t * H + h) * D);
          const auto want = R.apply(in.data() + o, d == direction::transpose);
          for (std::ptrdiff_t e = 0; e < D; ++e) {
            const double w = static_cast<double>(static_cast<rotary_test::oracle::real>(A) * want[e]);
            const std::size_t i = o + static_cast<std::size_t>(e);
            const std::string what = std::string(rotary::to_string(p)) + " " + rotary::to_string(d);
            EXPECT_NEAR(a[i], w, 1e-14) << what << " contiguous";
            EXPECT_NEAR(b[i], w, 1e-14) << what << " ids";
            EXPECT_NEAR(c[i], w, 1e-14) << what << " threads";
            EXPECT_NEAR(q[i], w, 1e-14) << what << " q";
            EXPECT_NEAR(k[i], w, 1e-14) << what << " k";
          }
        }
      }
    }
  }
}

template <class T>
void expect_inverse_undoes_forward(double tolerance) {
  const rotary::scaled_frequencies f = yarn_qwen();
  using C = rotary::compute_type_t<T>;
  const rotary::cos_sin_table<C> table(f, 300);
  const std::ptrdiff_t tokens = 7, heads = 4, D = 80;  // partial: 64 of 80 at offset 8
  const std::vector<double> d = rotary_test::random_vector<double>(tokens * heads * D, 9);
  std::vector<T> x(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) x[i] = static_cast<T>(static_cast<C>(d[i]));
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    rotary::rope_options options;
    options.rotary_offset = 8;
    const rotary::rope r(table, p, options);
    std::vector<T> y = x, back(x.size());
    r.forward(rotary_test::view3(y, tokens, heads, D), positions::from_offset(250));
    r.inverse(rotary_test::cview3(y, tokens, heads, D), rotary_test::view3(back, tokens, heads, D),
              positions::from_offset(250));
    std::vector<T> ref(x.size());
    rotary::rotate_reference(r, direction::inverse, rotary_test::cview3(y, tokens, heads, D),
                             rotary_test::view3(ref, tokens, heads, D), positions::from_offset(250));
    double worst = 0.0, worst_ref = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double xi = static_cast<double>(static_cast<C>(x[i]));
      worst = std::max(worst, std::abs(static_cast<double>(static_cast<C>(back[i])) - xi));
      worst_ref = std::max(worst_ref, std::abs(static_cast<double>(static_cast<C>(ref[i])) -
                                               static_cast<double>(static_cast<C>(back[i]))));
    }
    EXPECT_LE(worst, tolerance) << rotary::to_string(p);
    EXPECT_LE(worst_ref, tolerance) << rotary::to_string(p) << " reference vs rope";
    // Without the division the result would be off by A^2 (> 1.29): the test can fail.
  }
}

TEST(AttentionFactor, InverseUndoesForward) {
  expect_inverse_undoes_forward<double>(1e-14);
  expect_inverse_undoes_forward<float>(4e-6);
  expect_inverse_undoes_forward<rotary::bfloat16>(2e-2);
}

TEST(AttentionFactor, OnTheFlyAgreesWithTheTable) {
  const rotary::scaled_frequencies f = yarn_qwen();
  const rotary::cos_sin_table<float> table(f, 1 << 12);
  const rotary::on_the_fly_angles<float> angles(f);
  EXPECT_EQ(angles.attention_factor(), f.attention_factor);
  std::vector<float> scratch(4 * 64);
  const auto reader = angles.make_reader();
  for (std::int64_t m : {0, 1, 1023, 1024, 4095}) {
    const float* c = nullptr;
    const float* s = nullptr;
    reader.coefficients(m, scratch.data(), c, s);
    for (std::size_t i = 0; i < 32; ++i) {
      EXPECT_NEAR(c[i], table.view().cos_row(m)[i], 3e-7f) << m << " " << i;
      EXPECT_NEAR(s[i], table.view().sin_row(m)[i], 3e-7f) << m << " " << i;
    }
  }
  // Past the level rows (the exact per-pair fallback) the factor is there too.
  const float* c = nullptr;
  const float* s = nullptr;
  reader.coefficients(std::int64_t{1} << 40, scratch.data(), c, s);
  for (std::size_t i = 0; i < 32; ++i) {
    EXPECT_NEAR(std::hypot(c[i], s[i]), f.attention_factor, 1e-6) << i;
  }
}

TEST(AttentionFactor, FactorOneIsBitwisePlain) {
  const std::vector<double> theta = rotary::rope_frequencies(64);
  const rotary::cos_sin_table<float> plain(theta, 100), with_one(theta, 100, 1.0);
  for (std::ptrdiff_t i = 0; i < 100 * 64; ++i) {
    EXPECT_TRUE(rotary_test::bitwise_equal(plain.data()[i], with_one.data()[i]));
  }
}

TEST(AttentionFactor, BadFactorIsRefused) {
  rotary::scaled_frequencies f = yarn_qwen();
  f.attention_factor = 0.0;
  try {
    rotary::cos_sin_table<float> t(f, 10);
    ADD_FAILURE() << "no exception";
  } catch (const rotary::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cos_sin_table: attention_factor must be finite and > 0, got 0"),
              std::string::npos) << e.what();
  }
  f.attention_factor = std::nan("");
  EXPECT_THROW(rotary::on_the_fly_angles<float>{f}, rotary::invalid_argument);
}

}  // namespace
