// The pairing permutation: its index map, rotate-then-permute = permute-then-rotate with
// the other convention (vectors and projection-weight rows, partial rotary), round trips.
// Also tests the rotary 0.1 entry points, now [[deprecated]] forwarders to the rope object
// (deprecated.hpp): they must keep giving the results they gave before.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "expect_error.hpp"
#include "test_util.hpp"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using rotary::pairing;
using rotary::positions;
using rotary::tensor_view;

pairing other(pairing p) { return p == pairing::half_split ? pairing::interleaved : pairing::half_split; }

TEST(PermuteTest, IndexMapOfOneHead) {
  // head_dim 10, rotary slice [2, 10): interleaved -> half takes 2i to slot i, 2i+1 to i+4.
  const std::vector<std::ptrdiff_t> to_half =
      rotary::pairing_permutation(pairing::interleaved, pairing::half_split, 10, 8, 2);
  EXPECT_EQ(to_half, (std::vector<std::ptrdiff_t>{0, 1, 2, 4, 6, 8, 3, 5, 7, 9}));
  const std::vector<std::ptrdiff_t> to_inter =
      rotary::pairing_permutation(pairing::half_split, pairing::interleaved, 10, 8, 2);
  for (std::size_t j = 0; j < 10; ++j) {
    EXPECT_EQ(to_half[static_cast<std::size_t>(to_inter[j])], static_cast<std::ptrdiff_t>(j));
  }
  EXPECT_EQ(rotary::pairing_permutation(pairing::half_split, pairing::half_split, 4, 4),
            (std::vector<std::ptrdiff_t>{0, 1, 2, 3}));
}

template <class T>
struct PermuteTypedTest : ::testing::Test {};
using ElementTypes = ::testing::Types<float, double>;
struct TypeNames {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, float> ? "float" : "double";
  }
};
TYPED_TEST_SUITE(PermuteTypedTest, ElementTypes, TypeNames);

TYPED_TEST(PermuteTypedTest, RotateThenPermuteEqualsPermuteThenRotate) {
  using T = TypeParam;
  const std::ptrdiff_t tokens = 9, heads = 3;
  struct shape { std::ptrdiff_t head_dim, rotary_dim, offset; };
  for (const shape s : {shape{64, 64, 0}, shape{48, 16, 0}, shape{40, 24, 8}, shape{6, 2, 3}}) {
    const auto x = rotary_test::random_vector<T>(static_cast<std::size_t>(tokens * heads * s.head_dim), 7);
    rotary::cos_sin_table<T> table(s.rotary_dim, 32);
    for (pairing from : {pairing::interleaved, pairing::half_split}) {
      const pairing to = other(from);
      auto a = x, b = x;
      const tensor_view<T, 3> va(a.data(), {tokens, heads, s.head_dim});
      const tensor_view<T, 3> vb(b.data(), {tokens, heads, s.head_dim});
      const positions pos = positions::from_offset(5);
      rotary::rotate(from, va, table, pos, s.offset);  // rotate, then permute
      rotary::permute_pairing(from, to, va, s.rotary_dim, s.offset);
      rotary::permute_pairing(from, to, vb, s.rotary_dim, s.offset);  // permute, then rotate
      rotary::rotate(to, vb, table, pos, s.offset);
      EXPECT_EQ(a, b) << "from " << rotary::to_string(from) << " head_dim " << s.head_dim;
      // And back.
      rotary::permute_pairing(to, from, va, s.rotary_dim, s.offset);
      rotary::unrotate(from, va, table, pos, s.offset);
      for (std::size_t i = 0; i < x.size(); ++i) {
        ASSERT_NEAR(a[i], x[i], 16 * std::numeric_limits<T>::epsilon());
      }
    }
  }
}

TYPED_TEST(PermuteTypedTest, OutOfPlaceMatchesInPlace) {
  using T = TypeParam;
  const auto x = rotary_test::random_vector<T>(4 * 2 * 32, 8);
  auto in_place = x;
  std::vector<T> out(x.size());
  rotary::permute_pairing(pairing::half_split, pairing::interleaved,
                          tensor_view<T, 3>(in_place.data(), {4, 2, 32}), 32);
  rotary::permute_pairing(pairing::half_split, pairing::interleaved,
                          tensor_view<const T, 3>(x.data(), {4, 2, 32}),
                          tensor_view<T, 3>(out.data(), {4, 2, 32}), 32);
  EXPECT_EQ(in_place, out);
}

TEST(PermuteTest, WeightRowsCommuteWithProjection) {
  // y = W x for W: [heads * head_dim][in_features]; permuting W's rows permutes y, and the
  // rotation of the permuted y with the other pairing equals the permuted rotation of y.
  const std::ptrdiff_t heads = 4, head_dim = 16, rotary_dim = 8, offset = 4, in_features = 12;
  const std::ptrdiff_t rows = heads * head_dim;
  const auto w = rotary_test::random_vector<double>(static_cast<std::size_t>(rows * in_features), 9);
  const auto x = rotary_test::random_vector<double>(static_cast<std::size_t>(in_features), 10);
  const auto project = [&](const std::vector<double>& weight) {
    std::vector<double> y(static_cast<std::size_t>(rows), 0.0);
    for (std::ptrdiff_t r = 0; r < rows; ++r)
      for (std::ptrdiff_t c = 0; c < in_features; ++c)
        y[static_cast<std::size_t>(r)] +=
            weight[static_cast<std::size_t>(r * in_features + c)] * x[static_cast<std::size_t>(c)];
    return y;
  };
  rotary::cos_sin_table<double> table(rotary_dim, 16);
  for (pairing from : {pairing::interleaved, pairing::half_split}) {
    const pairing to = other(from);
    std::vector<double> w_to(w.size());
    rotary::permute_weight_rows(from, to, tensor_view<const double, 2>(w.data(), {rows, in_features}),
                                tensor_view<double, 2>(w_to.data(), {rows, in_features}), head_dim,
                                rotary_dim, offset);
    // Meta checkpoint (from) rotated with `from` vs converted checkpoint rotated with `to`.
    std::vector<double> y_from = project(w), y_to = project(w_to);
    const tensor_view<double, 3> v_from(y_from.data(), {1, heads, head_dim});
    const tensor_view<double, 3> v_to(y_to.data(), {1, heads, head_dim});
    rotary::rotate(from, v_from, table, positions::from_offset(11), offset);
    rotary::rotate(to, v_to, table, positions::from_offset(11), offset);
    rotary::permute_pairing(from, to, v_from, rotary_dim, offset);
    for (std::size_t i = 0; i < y_to.size(); ++i) EXPECT_NEAR(y_to[i], y_from[i], 1e-12);
    // In place, and back to the original rows exactly.
    auto w_round = w_to;
    rotary::permute_weight_rows(to, from, tensor_view<double, 2>(w_round.data(), {rows, in_features}),
                                head_dim, rotary_dim, offset);
    EXPECT_EQ(w_round, w);
  }
}

TEST(PermuteErrorTest, BadArguments) {
  std::vector<float> w(30 * 4), x(2 * 3 * 8);
  const tensor_view<float, 2> wv(w.data(), {30, 4});
  EXPECT_THROW(rotary::permute_weight_rows(pairing::half_split, pairing::interleaved, wv, 8, 8),
               rotary::invalid_argument);  // 30 rows, not a multiple of 8
  using rotary_test::opaque;  // constants GCC must not propagate past the throwing check
  EXPECT_THROW(rotary::pairing_permutation(pairing::half_split, pairing::interleaved, 8, opaque(7)),
               rotary::invalid_argument);  // odd rotary_dim
  EXPECT_THROW(rotary::pairing_permutation(pairing::half_split, pairing::interleaved, 8, 8,
                                           opaque(2)),
               rotary::invalid_argument);  // past head_dim
  const tensor_view<const float, 3> in(x.data(), {2, 3, 8});
  const tensor_view<float, 3> out(x.data() + 8, {2, 3, 8}, {24, 8, 1});
  EXPECT_THROW(rotary::permute_pairing(pairing::half_split, pairing::interleaved, in, out, 8),
               rotary::invalid_argument);  // overlapping in and out
}

// Every permute_* message names the function the caller called (not pairing_permutation,
// which they use inside), the parameter and the value passed.
TEST(PermuteErrorTest, MessagesNameTheCalledFunction) {
  std::vector<float> w(16 * 4), x(2 * 3 * 8);
  const tensor_view<float, 2> wv(w.data(), {16, 4});
  const tensor_view<float, 3> xv(x.data(), {2, 3, 8});
  const auto h = pairing::half_split, i = pairing::interleaved;
  rotary_test::expect_error([&] { rotary::permute_weight_rows(h, i, wv, 8, 7); },
                            "permute_weight_rows: rotary_dim must be even, got 7");
  rotary_test::expect_error([&] { rotary::permute_weight_rows(h, i, wv, 8, 8, 2); },
                            "permute_weight_rows: rotary_offset + rotary_dim must be <= head_dim, "
                            "got 2 + 8 > 8");
  rotary_test::expect_error([&] { rotary::permute_weight_rows(h, i, wv, 8, 4, -2); },
                            "permute_weight_rows: rotary_offset must be >= 0, got -2");
  rotary_test::expect_error([&] { rotary::permute_pairing(h, i, xv, 7); },
                            "permute_pairing: rotary_dim must be even, got 7");
  rotary_test::expect_error([&] { rotary::permute_pairing(h, i, xv, 8, 2); },
                            "permute_pairing: rotary_offset + rotary_dim must be <= head_dim, "
                            "got 2 + 8 > 8");
  rotary_test::expect_error([&] { rotary::permute_pairing(h, i, xv, 0); },
                            "permute_pairing: rotary_dim must be positive, got 0");
  rotary_test::expect_error([&] { (void)rotary::pairing_permutation(h, i, 8, 7); },
                            "pairing_permutation: rotary_dim must be even, got 7");
  rotary_test::expect_error(
      [&] { (void)rotary::pairing_permutation(static_cast<pairing>(7), i, 8, 8); },
      "pairing_permutation: pairing must be interleaved or half_split, got 7");
}

// rotary_offset + rotary_dim past PTRDIFF_MAX used to wrap negative, pass the check and
// write perm[] far outside its head_dim entries.
TEST(PermuteErrorTest, OffsetPlusRotaryDimOverflowIsRefused) {
  // Hidden from the optimizer (rotary_test::opaque): GCC would warn about the writes past
  // the check that throws.
  const std::ptrdiff_t kMax = rotary_test::opaque(std::numeric_limits<std::ptrdiff_t>::max());
  const auto h = pairing::half_split, i = pairing::interleaved;
  rotary_test::expect_error([&] { (void)rotary::pairing_permutation(h, i, 8, 4, kMax - 1); },
                            "pairing_permutation: rotary_offset + rotary_dim must be <= head_dim, "
                            "got 9223372036854775806 + 4 > 8");
  rotary_test::expect_error([&] { (void)rotary::pairing_permutation(i, h, 8, 8, kMax); },
                            "got 9223372036854775807 + 8 > 8");
  std::vector<float> w(16 * 4, 1.0f), x(2 * 3 * 8, 1.0f);
  const auto w_before = w, x_before = x;
  rotary_test::expect_error(
      [&] {
        rotary::permute_weight_rows(h, i, tensor_view<float, 2>(w.data(), {16, 4}), 8, 4,
                                    kMax - 1);
      },
      "permute_weight_rows: rotary_offset + rotary_dim must be <= head_dim, got "
      "9223372036854775806 + 4 > 8");
  rotary_test::expect_error(
      [&] {
        rotary::permute_pairing(h, i, tensor_view<float, 3>(x.data(), {2, 3, 8}), 4, kMax - 2);
      },
      "permute_pairing: rotary_offset + rotary_dim must be <= head_dim, got "
      "9223372036854775805 + 4 > 8");
  EXPECT_EQ(w, w_before);
  EXPECT_EQ(x, x_before);
}

// A null weight used to be read and written through (permute_pairing's views were checked,
// permute_weight_rows' were not).
TEST(PermuteErrorTest, NullDataIsRefused) {
  const auto h = pairing::half_split, i = pairing::interleaved;
  std::vector<float> w(16 * 4, 1.0f);
  rotary_test::expect_error(
      [&] { rotary::permute_weight_rows(h, i, tensor_view<float, 2>(nullptr, {16, 4}), 8, 8); },
      "permute_weight_rows: w data must not be null for a non-empty view (16 x 4)");
  rotary_test::expect_error(
      [&] {
        rotary::permute_weight_rows(h, i, tensor_view<const float, 2>(nullptr, {16, 4}),
                                    tensor_view<float, 2>(w.data(), {16, 4}), 8, 8);
      },
      "permute_weight_rows: in data must not be null");
  rotary_test::expect_error(
      [&] {
        rotary::permute_weight_rows(h, i, tensor_view<const float, 2>(w.data(), {16, 4}),
                                    tensor_view<float, 2>(nullptr, {16, 4}), 8, 8);
      },
      "permute_weight_rows: out data must not be null");
  rotary_test::expect_error(
      [&] { rotary::permute_pairing(h, i, tensor_view<float, 3>(nullptr, {2, 3, 8}), 8); },
      "permute_pairing: x data must not be null");
  // Empty views touch no memory: null is fine, and so is any head_dim.
  EXPECT_NO_THROW(
      rotary::permute_weight_rows(h, i, tensor_view<float, 2>(nullptr, {0, 4}), 8, 8));
  EXPECT_NO_THROW(
      rotary::permute_weight_rows(h, i, tensor_view<float, 2>(nullptr, {16, 0}), 8, 8));
  EXPECT_NO_THROW(rotary::permute_pairing(h, i, tensor_view<float, 3>(nullptr, {0, 3, 8}), 8));
}

// rows x in_features past PTRDIFF_MAX used to wrap the per-head buffer (head_dim x
// in_features) to 0 elements, which the copy loop then overran.
TEST(PermuteErrorTest, WeightElementCountOverflowIsRefused) {
  const auto h = pairing::half_split, i = pairing::interleaved;
  std::vector<float> w(16, 1.0f);
  const std::ptrdiff_t huge = rotary_test::opaque(std::ptrdiff_t{1} << 61);  // 8 x 2^61 = 2^64
  rotary_test::expect_error(
      [&] {
        rotary::permute_weight_rows(h, i, tensor_view<float, 2>(w.data(), {8, huge}, {0, 0}), 8,
                                    8);
      },
      "permute_weight_rows: w has more elements than std::ptrdiff_t holds (8 x "
      "2305843009213693952)");
  // The count fits, the span of the strides does not.
  rotary_test::expect_error(
      [&] {
        rotary::permute_weight_rows(
            h, i, tensor_view<float, 2>(w.data(), {8, 2}, {rotary_test::opaque(std::ptrdiff_t{1} << 62), 1}), 8, 8);
      },
      "permute_weight_rows: w stride 4611686018427387904 in dimension 0 spans more memory");
  EXPECT_EQ(w, std::vector<float>(16, 1.0f));
}

}  // namespace
