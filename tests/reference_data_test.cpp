// SPDX-License-Identifier: MIT
// The library against RoPE outputs computed independently in numpy (float64):
// tests/data/make_rope_reference.py writes tests/data/rope_reference.inc.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "test_util.hpp"

namespace {

struct ReferenceCase {
  const char* name;
  rotary::pairing pairing;
  std::ptrdiff_t tokens, heads, head_dim, rotary_dim, rotary_offset;
  double base;
  const std::int64_t* positions;
  const double* input;
  const double* expected;
};

#include "data/rope_reference.inc"

template <class T>
void check_case(const ReferenceCase& c) {
  SCOPED_TRACE(std::string(c.name) + (sizeof(T) == 4 ? " float" : " double"));
  const std::size_t n = static_cast<std::size_t>(c.tokens * c.heads * c.head_dim);
  const std::vector<T> x(c.input, c.input + n);
  const std::int64_t max_pos = *std::max_element(c.positions, c.positions + c.tokens);
  const auto pos = rotary::positions::from_ids(c.positions, c.tokens);
  const rotary::cos_sin_table<T> table(c.rotary_dim, max_pos + 1, c.base);
  const rotary::on_the_fly_angles<T> fly(c.rotary_dim, c.base);
  // numpy forms its own frequencies (1 / base**(2i/d)) and its own cos/sin: a few ulp of
  // each, plus the angle term at larger positions.
  const double tol = 2.0 * rotary_test::exact_tolerance<T>(rotary_test::max_abs(x),
                                                           static_cast<double>(max_pos));
  rotary::rope_options options;
  options.rotary_offset = c.rotary_offset;
  std::vector<std::vector<T>> results;
  for (int variant = 0; variant < 4; ++variant) {
    std::vector<T> y(n, T(777));
    const auto in = rotary_test::cview3(x, c.tokens, c.heads, c.head_dim);
    const auto out = rotary_test::view3(y, c.tokens, c.heads, c.head_dim);
    switch (variant) {
      case 0: rotary::rope(table, c.pairing, options).forward(in, out, pos); break;
      case 1: rotary::rope(fly, c.pairing, options).forward(in, out, pos); break;
      case 2: rotary::rotate_reference(c.pairing, in, out, table, pos, c.rotary_offset); break;
      case 3:
        y = x;
        rotary::rope(table, c.pairing, options).forward(out, pos);
        break;
    }
    for (std::size_t k = 0; k < n; ++k) {
      const std::ptrdiff_t e = static_cast<std::ptrdiff_t>(k) % c.head_dim;
      if (e >= c.rotary_offset && e < c.rotary_offset + c.rotary_dim) {
        EXPECT_NEAR(static_cast<double>(y[k]), c.expected[k], tol)
            << "variant " << variant << " element " << k;
      } else {
        EXPECT_EQ(y[k], static_cast<T>(c.expected[k])) << "variant " << variant << " element "
                                                         << k;
      }
    }
  }
}

TEST(ReferenceDataTest, CasesArePresent) {
  EXPECT_EQ(sizeof(kReferenceCases) / sizeof(kReferenceCases[0]), 4u);
}

TEST(ReferenceDataTest, DoubleMatchesNumpy) {
  for (const ReferenceCase& c : kReferenceCases) check_case<double>(c);
}

TEST(ReferenceDataTest, FloatMatchesNumpy) {
  for (const ReferenceCase& c : kReferenceCases) check_case<float>(c);
}

}  // namespace
