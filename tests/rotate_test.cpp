// SPDX-License-Identifier: MIT
// rotate / rotate_transpose / unrotate: the fast kernels against the scalar reference and
// against the dense rotation-matrix oracle (RoFormer eq. 15), and the algebraic properties
// of R_m (eq. 16: relative position; orthogonality; R_0 = I; R_a R_b = R_{a+b}).

// Also tests the rotary 0.1 entry points, now [[deprecated]] forwarders to the rope object
// (deprecated.hpp): they must keep giving the results they gave before.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "oracles/rotation_matrix.hpp"
#include "test_util.hpp"

namespace {

using rotary::pairing;
using rotary_test::cview3;
using rotary_test::view3;
using real = rotary_test::oracle::real;

template <class T>
class RotateTest : public ::testing::Test {};
using ElementTypes = ::testing::Types<float, double>;
/// Names the typed instances "float" and "double" (also passing a third argument keeps
/// clang's -Wpedantic quiet about an empty variadic macro argument).
struct ElementTypeNames {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, float> ? "float" : "double";
  }
};
TYPED_TEST_SUITE(RotateTest, ElementTypes, ElementTypeNames);

constexpr pairing kPairings[] = {pairing::interleaved, pairing::half_split};

struct Shape {
  std::ptrdiff_t tokens, heads, head_dim, rotary_dim, rotary_offset;
  std::size_t size() const { return static_cast<std::size_t>(tokens * heads * head_dim); }
  bool in_slice(std::ptrdiff_t e) const {
    return e >= rotary_offset && e < rotary_offset + rotary_dim;
  }
};

std::string describe(const Shape& s, pairing p) {
  std::ostringstream out;
  out << rotary::to_string(p) << " tokens=" << s.tokens << " heads=" << s.heads
      << " head_dim=" << s.head_dim << " rotary_dim=" << s.rotary_dim
      << " rotary_offset=" << s.rotary_offset;
  return out.str();
}

/// Head sizes on and off every vector width (2, 4, 8, 16 lanes), each with the full
/// rotary slice, and, where possible, a partial slice at the start, at the end and at an
/// odd (unaligned) offset.
std::vector<Shape> shapes() {
  std::vector<Shape> out;
  for (std::ptrdiff_t hd : {2, 6, 8, 10, 18, 34, 64, 80, 96, 128, 256}) {
    out.push_back({3, 2, hd, hd, 0});
    if (hd >= 6) {
      const std::ptrdiff_t rd = (hd / 2) / 2 * 2;
      out.push_back({3, 2, hd, rd, 0});
      out.push_back({2, 3, hd, rd, hd - rd});
      out.push_back({2, 3, hd, rd, 1});
    }
  }
  out.push_back({5, 4, 80, 64, 0});
  out.push_back({1, 7, 128, 32, 64});
  return out;
}

enum class op { rotate, transpose, unrotate };

/// Out-of-place call of the template entry point.
template <pairing P, class T, class Angles>
void call(op o, rotary::tensor_view<const T, 3> in, rotary::tensor_view<T, 3> out,
          const Angles& angles, const rotary::positions& pos, std::ptrdiff_t offset) {
  switch (o) {
    case op::rotate: rotary::rotate<P>(in, out, angles, pos, offset); break;
    case op::transpose: rotary::rotate_transpose<P>(in, out, angles, pos, offset); break;
    case op::unrotate: rotary::unrotate<P>(in, out, angles, pos, offset); break;
  }
}
/// In-place call of the template entry point.
template <pairing P, class T, class Angles>
void call(op o, rotary::tensor_view<T, 3> x, const Angles& angles, const rotary::positions& pos,
          std::ptrdiff_t offset) {
  switch (o) {
    case op::rotate: rotary::rotate<P>(x, angles, pos, offset); break;
    case op::transpose: rotary::rotate_transpose<P>(x, angles, pos, offset); break;
    case op::unrotate: rotary::unrotate<P>(x, angles, pos, offset); break;
  }
}
/// Runtime pairing to template, so that the tests below exercise the template entry points.
template <class... Args>
void call_p(pairing p, Args&&... args) {
  if (p == pairing::interleaved) {
    call<pairing::interleaved>(std::forward<Args>(args)...);
  } else {
    call<pairing::half_split>(std::forward<Args>(args)...);
  }
}

/// Rotates x (in place or into a fresh buffer) with the fast path.
template <class T, class Angles>
std::vector<T> fast(pairing p, op o, const Shape& s, const std::vector<T>& x,
                    const Angles& angles, const rotary::positions& pos, bool in_place) {
  if (in_place) {
    std::vector<T> y = x;
    call_p(p, o, view3(y, s.tokens, s.heads, s.head_dim), angles, pos, s.rotary_offset);
    return y;
  }
  std::vector<T> y(x.size(), T(12345));
  call_p(p, o, cview3(x, s.tokens, s.heads, s.head_dim),
         view3(y, s.tokens, s.heads, s.head_dim), angles, pos, s.rotary_offset);
  return y;
}

template <class T, class Angles>
std::vector<T> reference(pairing p, bool transpose, const Shape& s, const std::vector<T>& x,
                         const Angles& angles, const rotary::positions& pos) {
  std::vector<T> y(x.size(), T(-999));
  rotary::rotate_reference(p, cview3(x, s.tokens, s.heads, s.head_dim),
                           view3(y, s.tokens, s.heads, s.head_dim), angles, pos,
                           s.rotary_offset, transpose);
  return y;
}

/// Inside the rotary slice |got - want| <= tol; outside, got is bitwise the input.
template <class T>
void expect_close_with_passthrough(const Shape& s, const std::vector<T>& x,
                                   const std::vector<T>& got, const std::vector<T>& want,
                                   double tol, const std::string& what) {
  int failures = 0;
  for (std::size_t k = 0; k < x.size() && failures < 5; ++k) {
    const std::ptrdiff_t e = static_cast<std::ptrdiff_t>(k) % s.head_dim;
    if (s.in_slice(e)) {
      if (!(std::abs(static_cast<double>(got[k]) - static_cast<double>(want[k])) <= tol)) {
        ADD_FAILURE() << what << ": element " << k << " got " << got[k] << " want " << want[k]
                      << " tol " << tol;
        ++failures;
      }
    } else if (!rotary_test::bitwise_equal(got[k], x[k])) {
      ADD_FAILURE() << what << ": pass-through element " << k << " got " << got[k]
                    << " input " << x[k];
      ++failures;
    }
  }
}

TYPED_TEST(RotateTest, FastPathMatchesReference) {
  using T = TypeParam;
  std::uint64_t seed = 1;
  for (const Shape& s : shapes()) {
    const rotary::cos_sin_table<T> table(s.rotary_dim, 64);
    const auto pos = rotary::positions::from_offset(5);
    const double amplitude = std::pow(10.0, static_cast<double>(seed % 4) - 1.0);
    const auto x = rotary_test::random_vector<T>(s.size(), seed++, -amplitude, amplitude);
    const double tol = rotary_test::kernel_tolerance<T>(rotary_test::max_abs(x));
    for (pairing p : kPairings) {
      for (op o : {op::rotate, op::transpose, op::unrotate}) {
        const auto want = reference(p, o != op::rotate, s, x, table, pos);
        for (bool in_place : {false, true}) {
          const auto got = fast(p, o, s, x, table, pos, in_place);
          expect_close_with_passthrough(
              s, x, got, want, tol,
              describe(s, p) + " op=" + std::to_string(static_cast<int>(o)) +
                  (in_place ? " in place" : " out of place"));
        }
      }
    }
  }
}

/// Fast path and reference against the dense long-double matrix, for a source and a set
/// of positions (ids, one per token).
template <class T, class Angles>
void expect_matches_oracle(const Shape& s, const Angles& angles,
                           const std::vector<std::int64_t>& ids, std::uint64_t seed) {
  ASSERT_EQ(static_cast<std::ptrdiff_t>(ids.size()), s.tokens);
  const auto theta = rotary_test::oracle::frequencies(s.rotary_dim);
  const auto pos = rotary::positions::from_ids(ids.data(), s.tokens);
  const auto x = rotary_test::random_vector<T>(s.size(), seed);
  std::int64_t max_pos = 0;
  for (auto m : ids) max_pos = std::max(max_pos, m);
  const double tol =
      rotary_test::exact_tolerance<T>(rotary_test::max_abs(x), static_cast<double>(max_pos));
  for (pairing p : kPairings) {
    for (bool transpose : {false, true}) {
      std::vector<T> want(x.size());
      for (std::ptrdiff_t t = 0; t < s.tokens; ++t) {
        const rotary_test::oracle::rotation_matrix r(p, s.head_dim, s.rotary_offset, theta,
                                                     ids[static_cast<std::size_t>(t)]);
        for (std::ptrdiff_t h = 0; h < s.heads; ++h) {
          const std::size_t base = static_cast<std::size_t>((t * s.heads + h) * s.head_dim);
          const auto y = r.apply(x.data() + base, transpose);
          for (std::size_t e = 0; e < y.size(); ++e) want[base + e] = static_cast<T>(y[e]);
        }
      }
      const std::string what = describe(s, p) + (transpose ? " transpose" : " forward");
      const op o = transpose ? op::transpose : op::rotate;
      expect_close_with_passthrough(s, x, fast(p, o, s, x, angles, pos, false), want, tol,
                                    what + " fast out of place");
      expect_close_with_passthrough(s, x, fast(p, o, s, x, angles, pos, true), want, tol,
                                    what + " fast in place");
      expect_close_with_passthrough(s, x, reference(p, transpose, s, x, angles, pos), want, tol,
                                    what + " reference");
    }
  }
}

/// The shapes above, lighter for the O(head_dim^2) dense oracle (sanitizer builds too):
/// one head for head_dim >= 96, and no odd-offset variant there.
std::vector<Shape> oracle_shapes() {
  std::vector<Shape> out;
  for (Shape s : shapes()) {
    if (s.head_dim >= 96) {
      if (s.rotary_offset == 1) continue;
      s.heads = 1;
    }
    out.push_back(s);
  }
  return out;
}

TYPED_TEST(RotateTest, MatchesDenseRotationMatrixWithTable) {
  using T = TypeParam;
  std::uint64_t seed = 100;
  for (Shape s : oracle_shapes()) {
    s.tokens = 5;
    const rotary::cos_sin_table<T> table(s.rotary_dim, 1001);
    expect_matches_oracle<T>(s, table, {0, 1, 17, 1000, 999}, seed++);
  }
}

TYPED_TEST(RotateTest, MatchesDenseRotationMatrixOnTheFlyLargePositions) {
  using T = TypeParam;
  std::uint64_t seed = 200;
  for (Shape s : oracle_shapes()) {
    s.tokens = 4;
    const rotary::on_the_fly_angles<T> fly(s.rotary_dim);
    expect_matches_oracle<T>(s, fly, {0, 100000, 65537, (1 << 20) - 1}, seed++);
  }
}

// ---- properties of R_m --------------------------------------------------------------------

/// One head of head_dim = rotary_dim, rotated to position m (R_m^T when transpose).
template <class T>
std::vector<T> rotated(pairing p, const std::vector<T>& x, std::int64_t m, bool transpose,
                       const rotary::on_the_fly_angles<T>& fly) {
  const Shape s{1, 1, static_cast<std::ptrdiff_t>(x.size()), fly.rotary_dim(), 0};
  return fast(p, transpose ? op::transpose : op::rotate, s, x, fly,
              rotary::positions::from_offset(m), false);
}

template <class T>
real dot(const std::vector<T>& a, const std::vector<T>& b) {
  real sum = 0.0L;
  for (std::size_t i = 0; i < a.size(); ++i) sum += static_cast<real>(a[i]) * b[i];
  return sum;
}

// RoFormer eq. (16): <R_m q, R_n k> = <q, R_{n-m} k>, with R_{n-m} = R_{m-n}^T for n < m.
TYPED_TEST(RotateTest, InnerProductDependsOnRelativePositionOnly) {
  using T = TypeParam;
  const std::pair<std::int64_t, std::int64_t> mn[] = {
      {0, 0},          {5, 3},          {3, 5},          {0, 1000},     {1000, 0},
      {12345, 54321},  {54321, 12345}, {100000, 99990}, {99990, 100000}, {100000, 100000},
      {0, 100000},     {100000, 7},    {(1 << 20) - 1, 1}};
  std::uint64_t seed = 300;
  for (std::ptrdiff_t d : {8, 64, 128}) {
    const rotary::on_the_fly_angles<T> fly(d);
    for (pairing p : kPairings) {
      for (const auto& [m, n] : mn) {
        const auto q = rotary_test::random_vector<T>(static_cast<std::size_t>(d), seed++);
        const auto k = rotary_test::random_vector<T>(static_cast<std::size_t>(d), seed++);
        const real lhs = dot(rotated(p, q, m, false, fly), rotated(p, k, n, false, fly));
        const auto k_rel = n >= m ? rotated(p, k, n - m, false, fly)
                                  : rotated(p, k, m - n, true, fly);
        const real rhs = dot(q, k_rel);
        const double norm = std::sqrt(static_cast<double>(dot(q, q) * dot(k, k)));
        const double tol =
            norm * (16.0 * rotary_test::eps<T> +
                    2.0 * rotary_test::angle_error_bound(static_cast<double>(std::max(m, n))));
        EXPECT_NEAR(static_cast<double>(lhs), static_cast<double>(rhs), tol)
            << rotary::to_string(p) << " d=" << d << " m=" << m << " n=" << n;
      }
    }
  }
}

TYPED_TEST(RotateTest, PreservesNorm) {
  using T = TypeParam;
  std::uint64_t seed = 400;
  for (const Shape& s : {Shape{4, 3, 128, 128, 0}, Shape{4, 3, 80, 64, 8},
                         Shape{4, 2, 18, 18, 0}}) {
    const rotary::on_the_fly_angles<T> fly(s.rotary_dim);
    const std::int64_t ids[] = {0, 9, 4096, 100000};
    const auto pos = rotary::positions::from_ids(ids, 4);
    for (pairing p : kPairings) {
      const auto x = rotary_test::random_vector<T>(s.size(), seed++, -3.0, 3.0);
      const auto y = fast(p, op::rotate, s, x, fly, pos, false);
      for (std::size_t head = 0; head < x.size() / static_cast<std::size_t>(s.head_dim); ++head) {
        const auto first = static_cast<std::ptrdiff_t>(head) * s.head_dim;
        const std::vector<T> xh(x.begin() + first, x.begin() + first + s.head_dim);
        const std::vector<T> yh(y.begin() + first, y.begin() + first + s.head_dim);
        const real nx = std::sqrt(dot(xh, xh)), ny = std::sqrt(dot(yh, yh));
        EXPECT_NEAR(static_cast<double>(ny), static_cast<double>(nx),
                    static_cast<double>(nx) * 8.0 * rotary_test::eps<T>)
            << describe(s, p) << " head " << head;
      }
    }
  }
}

// R_m^T R_m = I: rotate, then rotate_transpose (or unrotate), gives back the input.
TYPED_TEST(RotateTest, TransposeAndUnrotateInvertRotate) {
  using T = TypeParam;
  std::uint64_t seed = 500;
  for (const Shape& s : shapes()) {
    const rotary::on_the_fly_angles<T> fly(s.rotary_dim);
    std::vector<std::int64_t> ids(static_cast<std::size_t>(s.tokens));
    for (std::size_t t = 0; t < ids.size(); ++t) ids[t] = 5 + static_cast<std::int64_t>(t) * 33331;
    const auto pos = rotary::positions::from_ids(ids.data(), s.tokens);
    const auto x = rotary_test::random_vector<T>(s.size(), seed++);
    const double tol = rotary_test::kernel_tolerance<T>(rotary_test::max_abs(x));
    for (pairing p : kPairings) {
      for (bool in_place : {false, true}) {
        const auto y = fast(p, op::rotate, s, x, fly, pos, in_place);
        ASSERT_FALSE(rotary_test::bitwise_equal(x, y));
        for (op back : {op::transpose, op::unrotate}) {
          expect_close_with_passthrough(s, x, fast(p, back, s, y, fly, pos, in_place), x, tol,
                                        describe(s, p) + " round trip");
        }
      }
    }
  }
}

TYPED_TEST(RotateTest, PositionZeroIsIdentity) {
  using T = TypeParam;
  for (const Shape& s : {Shape{3, 2, 64, 64, 0}, Shape{2, 2, 34, 16, 6}, Shape{1, 1, 2, 2, 0}}) {
    const rotary::cos_sin_table<T> table(s.rotary_dim, 1);
    const std::int32_t zeros[3] = {0, 0, 0};
    const auto pos = rotary::positions::from_ids(zeros, s.tokens);
    const auto x = rotary_test::random_vector<T>(s.size(), 600);
    for (pairing p : kPairings) {
      for (op o : {op::rotate, op::transpose}) {
        for (bool in_place : {false, true}) {
          EXPECT_TRUE(rotary_test::bitwise_equal(fast(p, o, s, x, table, pos, in_place), x))
              << describe(s, p);
        }
      }
    }
  }
}

// R_a R_b = R_{a+b}.
TYPED_TEST(RotateTest, CompositionAddsPositions) {
  using T = TypeParam;
  const Shape s{1, 3, 96, 96, 0};
  const rotary::on_the_fly_angles<T> fly(96);
  std::uint64_t seed = 700;
  for (pairing p : kPairings) {
    for (auto [a, b] : {std::pair<std::int64_t, std::int64_t>{3, 5}, {1000, 2024},
                        {70000, 30001}, {0, 9}}) {
      const auto x = rotary_test::random_vector<T>(s.size(), seed++);
      const auto twice =
          fast(p, op::rotate, s, fast(p, op::rotate, s, x, fly, rotary::positions::from_offset(b),
                                      false),
               fly, rotary::positions::from_offset(a), true);
      const auto once = fast(p, op::rotate, s, x, fly, rotary::positions::from_offset(a + b), false);
      const double tol =
          2.0 * rotary_test::exact_tolerance<T>(rotary_test::max_abs(x), static_cast<double>(a + b));
      expect_close_with_passthrough(s, x, twice, once, tol,
                                    describe(s, p) + " a=" + std::to_string(a) +
                                        " b=" + std::to_string(b));
    }
  }
}

// ---- API variants ----------------------------------------------------------------------------

TYPED_TEST(RotateTest, RuntimePairingMatchesTemplate) {
  using T = TypeParam;
  const Shape s{4, 3, 80, 64, 8};
  const rotary::cos_sin_table<T> table(64, 16);
  const auto pos = rotary::positions::from_offset(2);
  const auto x = rotary_test::random_vector<T>(s.size(), 800);
  for (pairing p : kPairings) {
    for (op o : {op::rotate, op::transpose, op::unrotate}) {
      const auto want_out = fast(p, o, s, x, table, pos, false);
      const auto want_in = fast(p, o, s, x, table, pos, true);
      std::vector<T> got_out(x.size()), got_in = x;
      const auto in = cview3(x, 4, 3, 80);
      const auto out = view3(got_out, 4, 3, 80);
      const auto inout = view3(got_in, 4, 3, 80);
      switch (o) {
        case op::rotate:
          rotary::rotate(p, in, out, table, pos, 8);
          rotary::rotate(p, inout, table, pos, 8);
          break;
        case op::transpose:
          rotary::rotate_transpose(p, in, out, table, pos, 8);
          rotary::rotate_transpose(p, inout, table, pos, 8);
          break;
        case op::unrotate:
          rotary::unrotate(p, in, out, table, pos, 8);
          rotary::unrotate(p, inout, table, pos, 8);
          break;
      }
      EXPECT_TRUE(rotary_test::bitwise_equal(got_out, want_out)) << rotary::to_string(p);
      EXPECT_TRUE(rotary_test::bitwise_equal(got_in, want_in)) << rotary::to_string(p);
    }
  }
  // The two pairings really differ.
  EXPECT_FALSE(rotary_test::bitwise_equal(fast(pairing::half_split, op::rotate, s, x, table, pos, true),
                                          fast(pairing::interleaved, op::rotate, s, x, table, pos,
                                               true)));
}

TYPED_TEST(RotateTest, OnTheFlyEqualsTable) {
  using T = TypeParam;
  std::uint64_t seed = 900;
  for (const Shape& s : shapes()) {
    const rotary::cos_sin_table<T> table(s.rotary_dim, 300);
    const rotary::on_the_fly_angles<T> fly(s.rotary_dim);
    const auto pos = rotary::positions::from_offset(250);
    const auto x = rotary_test::random_vector<T>(s.size(), seed++);
    for (pairing p : kPairings) {
      for (op o : {op::rotate, op::transpose}) {
        EXPECT_TRUE(rotary_test::bitwise_equal(fast(p, o, s, x, table, pos, false),
                                               fast(p, o, s, x, fly, pos, false)))
            << describe(s, p);
      }
    }
  }
}

// Strided views: padded heads and tokens on input, a differently padded output; the
// padding is never touched.
TYPED_TEST(RotateTest, StridedViews) {
  using T = TypeParam;
  const std::ptrdiff_t tokens = 3, heads = 2, hd = 34;
  const rotary::cos_sin_table<T> table(hd, 8);
  const auto pos = rotary::positions::from_offset(1);
  const std::vector<T> dense = rotary_test::random_vector<T>(tokens * heads * hd, 1000);
  // in: head stride 40, token stride 100; out: head stride 36, token stride 90.
  std::vector<T> in_buf(tokens * 100, T(-5)), out_buf(tokens * 90, T(-6));
  for (std::ptrdiff_t t = 0; t < tokens; ++t)
    for (std::ptrdiff_t h = 0; h < heads; ++h)
      for (std::ptrdiff_t e = 0; e < hd; ++e)
        in_buf[static_cast<std::size_t>(t * 100 + h * 40 + e)] =
            dense[static_cast<std::size_t>((t * heads + h) * hd + e)];
  const rotary::tensor_view<const T, 3> in(in_buf.data(), {tokens, heads, hd}, {100, 40, 1});
  const rotary::tensor_view<T, 3> out(out_buf.data(), {tokens, heads, hd}, {90, 36, 1});
  for (pairing p : kPairings) {
    std::vector<T> want(dense.size());
    rotary::rotate(p, cview3(dense, tokens, heads, hd), view3(want, tokens, heads, hd), table,
                   pos);
    rotary::rotate(p, in, out, table, pos);
    for (std::ptrdiff_t t = 0; t < tokens; ++t) {
      for (std::ptrdiff_t h = 0; h < heads; ++h) {
        for (std::ptrdiff_t e = 0; e < hd; ++e) {
          EXPECT_TRUE(rotary_test::bitwise_equal(
              out(t, h, e), want[static_cast<std::size_t>((t * heads + h) * hd + e)]));
        }
      }
    }
    for (std::size_t k = 0; k < out_buf.size(); ++k) {
      const std::ptrdiff_t r = static_cast<std::ptrdiff_t>(k) % 90;
      const bool padding = r >= 72 || r % 36 >= hd;
      if (padding) {
        EXPECT_EQ(out_buf[k], T(-6)) << k;
      }
    }
  }
}

// ---- positions (basic use; the layouts have their own tests) -------------------------------

/// Each token rotated on its own at the given position.
template <class T>
std::vector<T> token_by_token(pairing p, const Shape& s, const std::vector<T>& x,
                              const rotary::cos_sin_table<T>& table,
                              const std::vector<std::int64_t>& m) {
  std::vector<T> y(x.size());
  const std::ptrdiff_t per_token = s.heads * s.head_dim;
  for (std::ptrdiff_t t = 0; t < s.tokens; ++t) {
    const rotary::tensor_view<const T, 3> in(x.data() + t * per_token, {1, s.heads, s.head_dim});
    const rotary::tensor_view<T, 3> out(y.data() + t * per_token, {1, s.heads, s.head_dim});
    rotary::rotate(p, in, out, table, rotary::positions::from_offset(m[static_cast<std::size_t>(t)]),
                   s.rotary_offset);
  }
  return y;
}

TYPED_TEST(RotateTest, PositionsFromIds) {
  using T = TypeParam;
  const Shape s{5, 2, 18, 18, 0};
  const rotary::cos_sin_table<T> table(18, 64);
  const auto x = rotary_test::random_vector<T>(s.size(), 1100);
  const std::vector<std::int64_t> m = {5, 0, 5, 63, 2};
  const std::int32_t ids32[] = {5, 0, 5, 63, 2};
  for (pairing p : kPairings) {
    const auto want = token_by_token(p, s, x, table, m);
    EXPECT_TRUE(rotary_test::bitwise_equal(
        fast(p, op::rotate, s, x, table, rotary::positions::from_ids(m.data(), 5), false), want));
    EXPECT_TRUE(rotary_test::bitwise_equal(
        fast(p, op::rotate, s, x, table, rotary::positions::from_ids(ids32, 5), true), want));
  }
}

TYPED_TEST(RotateTest, PositionsPacked) {
  using T = TypeParam;
  const Shape s{5, 2, 8, 8, 0};
  const rotary::cos_sin_table<T> table(8, 64);
  const auto x = rotary_test::random_vector<T>(s.size(), 1200);
  // Three sequences of 3, 0 and 2 tokens.
  const std::int32_t cu32[] = {0, 3, 3, 5};
  const std::int64_t cu64[] = {0, 3, 3, 5};
  const std::int64_t starts[] = {10, 20, 30};
  for (pairing p : kPairings) {
    const auto plain = token_by_token(p, s, x, table, {0, 1, 2, 0, 1});
    EXPECT_TRUE(rotary_test::bitwise_equal(
        fast(p, op::rotate, s, x, table, rotary::positions::packed(cu32, 4), false), plain));
    EXPECT_TRUE(rotary_test::bitwise_equal(
        fast(p, op::rotate, s, x, table, rotary::positions::packed(cu64, 4), true), plain));
    const auto started = token_by_token(p, s, x, table, {10, 11, 12, 30, 31});
    EXPECT_TRUE(rotary_test::bitwise_equal(
        fast(p, op::rotate, s, x, table, rotary::positions::packed(cu32, 4, starts, 3), false),
        started));
  }
}

TYPED_TEST(RotateTest, EmptyViewsAreNoOps) {
  using T = TypeParam;
  const rotary::cos_sin_table<T> table(8, 4);
  const rotary::tensor_view<T, 3> none(nullptr, {0, 4, 8});
  EXPECT_NO_THROW(rotary::rotate<pairing::half_split>(none, table, rotary::positions::from_offset(0)));
  const rotary::tensor_view<T, 3> no_heads(nullptr, {3, 0, 8});
  EXPECT_NO_THROW(
      rotary::rotate<pairing::interleaved>(no_heads, table, rotary::positions::from_offset(0)));
}

}  // namespace
