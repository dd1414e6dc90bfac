// Sinusoidal absolute encoding, Vaswani et al. 2017 §3.5.
#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "expect_error.hpp"

#include <cmath>
#include <vector>

namespace {

using rotary::positions;
using rotary::tensor_view;

TEST(SinusoidalTest, MatchesFormula) {
  const std::ptrdiff_t d = 10;
  const rotary::sinusoidal_encoding pe(d);
  std::vector<double> row(d);
  for (std::int64_t pos : {0, 1, 7, 513, 100000}) {
    pe.row(pos, row.data());
    for (std::ptrdiff_t i = 0; i < d / 2; ++i) {
      const double angle = double(pos) / std::pow(10000.0, 2.0 * double(i) / double(d));
      EXPECT_NEAR(row[2 * i], std::sin(angle), 1e-9) << pos << " " << i;
      EXPECT_NEAR(row[2 * i + 1], std::cos(angle), 1e-9) << pos << " " << i;
    }
  }
}

TEST(SinusoidalTest, AddsToEmbeddingsAndToEveryHead) {
  const std::ptrdiff_t n = 3, h = 2, d = 4;
  const rotary::sinusoidal_encoding pe(d);
  std::vector<float> x(n * h * d, 1.0f), row(d);
  pe.add(tensor_view<float, 3>(x.data(), {n, h, d}), positions::from_offset(5));
  for (std::ptrdiff_t t = 0; t < n; ++t) {
    pe.row(5 + t, row.data());
    for (std::ptrdiff_t hh = 0; hh < h; ++hh)
      for (std::ptrdiff_t j = 0; j < d; ++j) EXPECT_FLOAT_EQ(x[(t * h + hh) * d + j], 1 + row[j]);
  }
  std::vector<double> e(n * d, 0.0);  // [tokens][d] embeddings
  const std::int32_t ids[3] = {9, 0, 4};
  pe.add(tensor_view<double, 2>(e.data(), {n, d}), positions::from_ids(ids, 3));
  EXPECT_DOUBLE_EQ(e[0], std::sin(9.0));
  EXPECT_DOUBLE_EQ(e[d + 1], 1.0);
}

TEST(SinusoidalTest, Errors) {
  EXPECT_THROW(rotary::sinusoidal_encoding(7), rotary::invalid_argument);
  EXPECT_THROW(rotary::sinusoidal_encoding(8, -1.0), rotary::invalid_argument);
  const rotary::sinusoidal_encoding pe(8);
  std::vector<float> x(16);
  EXPECT_THROW(pe.add(tensor_view<float, 2>(x.data(), {4, 4}), positions::from_offset(0)),
               rotary::invalid_argument);
}

// The constructor used to report its errors as "rope_frequencies: rotary_dim": they name
// sinusoidal_encoding and its parameter, dim.
TEST(SinusoidalErrorTest, MessagesNameSinusoidalEncodingAndDim) {
  rotary_test::expect_error([] { rotary::sinusoidal_encoding e(7); },
                            "sinusoidal_encoding: dim must be even, got 7");
  rotary_test::expect_error([] { rotary::sinusoidal_encoding e(0); },
                            "sinusoidal_encoding: dim must be positive, got 0");
  rotary_test::expect_error([] { rotary::sinusoidal_encoding e(rotary::max_rotary_dim + 2); },
                            "sinusoidal_encoding: dim must be <= 1048576 (max_rotary_dim), got "
                            "1048578");
  rotary_test::expect_error([] { rotary::sinusoidal_encoding e(8, 0.0); },
                            "sinusoidal_encoding: base must be finite and > 0, got 0");
}

}  // namespace
