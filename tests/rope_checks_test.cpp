// SPDX-License-Identifier: MIT
// The run-time checks of the rope object (rope.hpp, detail/checks.hpp, positions.hpp) at
// the edges a hostile review found slipping through earlier versions: rows of one view
// that overlap, views that interleave without sharing an element (must be accepted),
// position ranges and rotary_offset + rotary_dim that overflow, extents whose product or
// span wraps, empty tables and empty views, null or miscounted position arrays, GQA
// head counts, bad pairings and thread counts, and in/out views of different element
// sizes over the same bytes.
//
// Every rejection is checked for the exact exception type, for message substrings naming
// the function, the parameter and the value, and for leaving every output untouched (the
// outputs hold a sentinel before the call; positions are non-zero where an in-place
// rotation would otherwise rewrite the same values).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <limits>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "test_util.hpp"

namespace {

using rotary::pairing;
using view3 = rotary::tensor_view<float, 3>;
using cview3 = rotary::tensor_view<const float, 3>;
using view4 = rotary::tensor_view<float, 4>;
using cview4 = rotary::tensor_view<const float, 4>;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::ptrdiff_t kPtrdiffMax = std::numeric_limits<std::ptrdiff_t>::max();
constexpr std::ptrdiff_t kPtrdiffMin = std::numeric_limits<std::ptrdiff_t>::min();

/// Runs call, which must throw exactly E (neither a base nor a derived class) with every
/// needle somewhere in what().
template <class E, class F>
void expect_error(const F& call, std::initializer_list<const char*> needles) {
  try {
    call();
  } catch (const std::exception& e) {
    EXPECT_EQ(std::type_index(typeid(e)), std::type_index(typeid(E)))
        << "threw " << typeid(e).name() << ": " << e.what();
    const std::string message = e.what();
    for (const char* needle : needles) {
      EXPECT_NE(message.find(needle), std::string::npos)
          << "message \"" << message << "\" does not contain \"" << needle << "\"";
    }
    return;
  } catch (...) {
    ADD_FAILURE() << "threw something that is not a std::exception";
    return;
  }
  ADD_FAILURE() << "no exception";
}

#define EXPECT_ROPE_ERROR(E, call, ...)        \
  do {                                         \
    SCOPED_TRACE(#call);                       \
    expect_error<E>(call, {__VA_ARGS__});      \
  } while (false)

/// n floats of a recognisable pattern that no rotation of other data reproduces.
std::vector<float> sentinel(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = -1000.0f - static_cast<float>(i);
  return v;
}

template <class T>
bool unchanged(const std::vector<T>& now, const std::vector<T>& before) {
  return rotary_test::bitwise_equal(now, before);
}

/// Copies head h of token t of a [tokens][heads][head_dim] layout with strides
/// (token_stride, head_stride, 1) into a contiguous [tokens][heads_out][head_dim] vector.
void gather_heads(const float* src, std::ptrdiff_t token_stride, std::ptrdiff_t head_stride,
                  std::ptrdiff_t tokens, std::ptrdiff_t heads, std::ptrdiff_t head_dim,
                  std::vector<float>& dst) {
  dst.assign(static_cast<std::size_t>(tokens * heads * head_dim), 0.0f);
  for (std::ptrdiff_t t = 0; t < tokens; ++t)
    for (std::ptrdiff_t h = 0; h < heads; ++h)
      for (std::ptrdiff_t i = 0; i < head_dim; ++i)
        dst[static_cast<std::size_t>((t * heads + h) * head_dim + i)] =
            src[t * token_stride + h * head_stride + i];
}

/// True when every element of the strided layout equals the contiguous expected one.
bool heads_equal(const float* got, std::ptrdiff_t token_stride, std::ptrdiff_t head_stride,
                 std::ptrdiff_t tokens, std::ptrdiff_t heads, std::ptrdiff_t head_dim,
                 const std::vector<float>& expected) {
  for (std::ptrdiff_t t = 0; t < tokens; ++t)
    for (std::ptrdiff_t h = 0; h < heads; ++h)
      for (std::ptrdiff_t i = 0; i < head_dim; ++i) {
        const float a = got[t * token_stride + h * head_stride + i];
        const float b = expected[static_cast<std::size_t>((t * heads + h) * head_dim + i)];
        if (!rotary_test::bitwise_equal(a, b)) return false;
      }
  return true;
}

const rotary::positions kPos3 = rotary::positions::from_offset(3);

// ==== rows of one written view that overlap ================================================

TEST(RopeChecks, InPlaceViewWithOverlappingRows) {
  // Token stride = head_dim instead of heads * head_dim: row (1, 0) is row (0, 1).
  const rotary::cos_sin_table<float> table(8, 16);
  std::vector<float> buf = rotary_test::random_vector<float>(64, 1);
  const std::vector<float> before = buf;
  const view3 x(buf.data(), {2, 2, 8}, {8, 8, 1});
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    const rotary::rope r(table, p);
    auto forward = [&] { r.forward(x, kPos3); };
    EXPECT_ROPE_ERROR(rotary::invalid_argument, forward, "rope::forward", "x has (token, head) rows",
                      "share elements", "strides {8, 8, 1}", "head_dim = 8");
    auto inverse = [&] { r.inverse(x, kPos3); };
    EXPECT_ROPE_ERROR(rotary::invalid_argument, inverse, "rope::inverse", "x has (token, head) rows",
                      "share elements", "strides {8, 8, 1}");
  }
  auto free_function = [&] { rotary::rotate<pairing::half_split>(x, table, kPos3); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, free_function, "rotate:", "x has (token, head) rows",
                    "share elements", "strides {8, 8, 1}");
  EXPECT_TRUE(unchanged(buf, before));
}

TEST(RopeChecks, OutViewWithOverlappingRows) {
  const rotary::cos_sin_table<float> table(8, 16);
  const std::vector<float> in = rotary_test::random_vector<float>(32, 2);
  std::vector<float> out = sentinel(64);
  const std::vector<float> before = out;
  const rotary::rope r(table, pairing::half_split);
  auto plain = [&] {
    r.forward(cview3(in.data(), {2, 2, 8}), view3(out.data(), {2, 2, 8}, {8, 8, 1}), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, plain, "rope::forward", "out has (token, head) rows",
                    "share elements", "strides {8, 8, 1}", "head_dim = 8");
  auto as_key = [&] {
    r.transpose(rotary::key(cview3(in.data(), {2, 2, 8}), view3(out.data(), {2, 2, 8}, {8, 8, 1})),
                kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, as_key, "rope::transpose",
                    "k_out has (token, head) rows", "strides {8, 8, 1}");
  EXPECT_TRUE(unchanged(out, before));
}

TEST(RopeChecks, Rank4ViewWithOverlappingRows) {
  // [2][2][2][8] with batch stride = seq stride: sequence 1 token 0 is sequence 0 token 1.
  const rotary::cos_sin_table<float> table(8, 16);
  std::vector<float> buf = rotary_test::random_vector<float>(64, 3);
  const std::vector<float> before = buf;
  const rotary::rope r(table, pairing::interleaved);
  auto call = [&] { r.forward(view4(buf.data(), {2, 2, 2, 8}, {16, 16, 8, 1}), kPos3); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, call, "rope::forward", "x has (token, head) rows",
                    "share elements", "strides {16, 16, 8, 1}", "head_dim = 8");
  // The same rows through an out view.
  const std::vector<float> in = rotary_test::random_vector<float>(64, 4);
  auto out_of_place = [&] {
    r.forward(cview4(in.data(), {2, 2, 2, 8}), view4(buf.data(), {2, 2, 2, 8}, {16, 16, 8, 1}),
              kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, out_of_place, "rope::forward",
                    "out has (token, head) rows", "strides {16, 16, 8, 1}");
  EXPECT_TRUE(unchanged(buf, before));
}

// ==== rows that interleave but share no element: accepted ==================================

TEST(RopeChecks, EvenHeadsIntoOddHeadsOutOfPlace) {
  constexpr std::ptrdiff_t T = 3, H = 4, D = 8;
  const rotary::cos_sin_table<float> table(D, 16);
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    std::vector<float> buf = rotary_test::random_vector<float>(T * H * D, 5);
    const std::vector<float> before = buf;
    const cview3 even(buf.data(), {T, H / 2, D}, {H * D, 2 * D, 1});
    const view3 odd(buf.data() + D, {T, H / 2, D}, {H * D, 2 * D, 1});
    std::vector<float> expected;
    gather_heads(before.data(), H * D, 2 * D, T, H / 2, D, expected);
    const rotary::rope r(table, p);
    r.forward(rotary_test::view3(expected, T, H / 2, D), kPos3);

    ASSERT_NO_THROW(r.forward(even, odd, kPos3)) << rotary::to_string(p);
    EXPECT_TRUE(heads_equal(buf.data() + D, H * D, 2 * D, T, H / 2, D, expected))
        << rotary::to_string(p);
    std::vector<float> even_now, even_before;
    gather_heads(buf.data(), H * D, 2 * D, T, H / 2, D, even_now);
    gather_heads(before.data(), H * D, 2 * D, T, H / 2, D, even_before);
    EXPECT_TRUE(unchanged(even_now, even_before)) << "the input heads were written";
  }
}

TEST(RopeChecks, QueryAndKeyOnInterleavedHeadsAccepted) {
  // q = even heads, k = odd heads of one [T][H][D] tensor, both in place.
  constexpr std::ptrdiff_t T = 3, H = 4, D = 8;
  const rotary::cos_sin_table<float> table(D, 16);
  std::vector<float> buf = rotary_test::random_vector<float>(T * H * D, 6);
  std::vector<float> q_expected, k_expected;
  gather_heads(buf.data(), H * D, 2 * D, T, H / 2, D, q_expected);
  gather_heads(buf.data() + D, H * D, 2 * D, T, H / 2, D, k_expected);
  const rotary::rope r(table, pairing::half_split);
  r.forward(rotary_test::view3(q_expected, T, H / 2, D), kPos3);
  r.forward(rotary_test::view3(k_expected, T, H / 2, D), kPos3);

  const view3 q(buf.data(), {T, H / 2, D}, {H * D, 2 * D, 1});
  const view3 k(buf.data() + D, {T, H / 2, D}, {H * D, 2 * D, 1});
  ASSERT_NO_THROW(r.forward(rotary::query(q), rotary::key(k), kPos3));
  EXPECT_TRUE(heads_equal(buf.data(), H * D, 2 * D, T, H / 2, D, q_expected));
  EXPECT_TRUE(heads_equal(buf.data() + D, H * D, 2 * D, T, H / 2, D, k_expected));
}

TEST(RopeChecks, KeyOutSharingOneElementWithQueryInRejected) {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, pairing::half_split);
  std::vector<float> q_buf = rotary_test::random_vector<float>(64, 7);  // q_in: [0, 32)
  for (std::size_t i = 32; i < q_buf.size(); ++i) q_buf[i] = -7.0f;
  std::vector<float> q_out = sentinel(32);
  const std::vector<float> k_in = rotary_test::random_vector<float>(16, 8);
  const std::vector<float> q_buf0 = q_buf, q_out0 = q_out;
  const cview3 q_in_view(q_buf.data(), {2, 2, 8});
  const view3 q_out_view(q_out.data(), {2, 2, 8});
  const cview3 k_in_view(k_in.data(), {2, 1, 8});

  // k_out = q_buf[31, 47): its first element is the last element of q_in.
  auto one_shared = [&] {
    r.forward(rotary::query(q_in_view, q_out_view),
              rotary::key(k_in_view, view3(q_buf.data() + 31, {2, 1, 8})), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, one_shared, "rope::forward",
                    "k_out shares an element with q_in");
  EXPECT_TRUE(unchanged(q_buf, q_buf0));
  EXPECT_TRUE(unchanged(q_out, q_out0));

  // The other way round: q_out's last element is k_in's first.
  std::vector<float> k_buf = sentinel(64);
  const std::vector<float> k_buf0 = k_buf;
  auto reverse = [&] {
    r.forward(rotary::query(q_in_view, view3(k_buf.data(), {2, 2, 8})),
              rotary::key(cview3(k_buf.data() + 31, {2, 1, 8}), view3(q_out.data(), {2, 1, 8})),
              kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, reverse, "rope::forward",
                    "q_out shares an element with k_in");
  EXPECT_TRUE(unchanged(k_buf, k_buf0));
  EXPECT_TRUE(unchanged(q_out, q_out0));

  // One element further on, nothing is shared: accepted, and both results are right.
  std::vector<float> q_expected(q_buf.begin(), q_buf.begin() + 32);
  std::vector<float> k_expected = k_in;
  r.forward(rotary_test::view3(q_expected, 2, 2, 8), kPos3);
  r.forward(rotary_test::view3(k_expected, 2, 1, 8), kPos3);
  ASSERT_NO_THROW(r.forward(rotary::query(q_in_view, q_out_view),
                            rotary::key(k_in_view, view3(q_buf.data() + 32, {2, 1, 8})), kPos3));
  EXPECT_TRUE(heads_equal(q_out.data(), 16, 8, 2, 2, 8, q_expected));
  EXPECT_TRUE(heads_equal(q_buf.data() + 32, 8, 8, 2, 1, 8, k_expected));
}

TEST(RopeChecks, FusedQkvSlicesAccepted) {
  // One [T][(H + 2 Hkv) D] buffer: q heads, then k heads, then v heads of each token.
  constexpr std::ptrdiff_t T = 5, H = 4, Hkv = 2, D = 8, W = (H + 2 * Hkv) * D;
  const rotary::on_the_fly_angles<float> fly(D);
  const rotary::positions pos = rotary::positions::from_offset(11);
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    std::vector<float> qkv = rotary_test::random_vector<float>(T * W, 9);
    const std::vector<float> before = qkv;
    std::vector<float> q_expected, k_expected, v_before, v_now;
    gather_heads(before.data(), W, D, T, H, D, q_expected);
    gather_heads(before.data() + H * D, W, D, T, Hkv, D, k_expected);
    const rotary::rope r(fly, p);
    r.forward(rotary_test::view3(q_expected, T, H, D), pos);
    r.forward(rotary_test::view3(k_expected, T, Hkv, D), pos);

    const view3 q(qkv.data(), {T, H, D}, {W, D, 1});
    const view3 k(qkv.data() + H * D, {T, Hkv, D}, {W, D, 1});
    ASSERT_NO_THROW(r.forward(rotary::query(q), rotary::key(k), pos)) << rotary::to_string(p);
    EXPECT_TRUE(heads_equal(qkv.data(), W, D, T, H, D, q_expected));
    EXPECT_TRUE(heads_equal(qkv.data() + H * D, W, D, T, Hkv, D, k_expected));
    gather_heads(before.data() + (H + Hkv) * D, W, D, T, Hkv, D, v_before);
    gather_heads(qkv.data() + (H + Hkv) * D, W, D, T, Hkv, D, v_now);
    EXPECT_TRUE(unchanged(v_now, v_before)) << "v was written";
  }
}

// ==== position ranges that overflow int64 ==================================================

TEST(RopeChecks, OffsetPlusTokensOverflowsInt64) {
  // on_the_fly_angles accepts every position, so no table bound can hide the overflow.
  const rotary::on_the_fly_angles<float> fly(8);
  const rotary::rope r(fly, pairing::half_split);
  std::vector<float> buf = sentinel(16);
  const std::vector<float> before = buf;
  const rotary::positions pos = rotary::positions::from_offset(kInt64Max);
  auto rank3 = [&] { r.forward(view3(buf.data(), {2, 1, 8}), pos); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, rank3, "rope::forward",
                    "position offset 9223372036854775807", "+ 1 tokens", "overflows int64");
  auto rank4 = [&] { r.forward(view4(buf.data(), {1, 2, 1, 8}), pos); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, rank4, "rope::forward",
                    "position offset 9223372036854775807", "overflows int64");
  auto free_function = [&] { rotary::rotate<pairing::interleaved>(view3(buf.data(), {2, 1, 8}), fly, pos); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, free_function, "rotate:",
                    "position offset 9223372036854775807", "overflows int64");
  EXPECT_TRUE(unchanged(buf, before));
}

TEST(RopeChecks, OffsetInt64MaxWithOneTokenOnTheFly) {
  const rotary::on_the_fly_angles<float> fly(8);
  const rotary::rope r(fly, pairing::half_split);
  std::vector<float> buf = rotary_test::random_vector<float>(16, 10);
  const std::vector<float> before = buf;
  ASSERT_NO_THROW(r.forward(view3(buf.data(), {1, 2, 8}), rotary::positions::from_offset(kInt64Max)));
  for (float v : buf) EXPECT_TRUE(std::isfinite(v)) << v;
  // A rotation: every pair (i, i + 4) of every head keeps its length.
  for (std::size_t h = 0; h < 2; ++h) {
    for (std::size_t i = 0; i < 4; ++i) {
      const std::size_t a = h * 8 + i, b = a + 4;
      const double n0 = double(before[a]) * before[a] + double(before[b]) * before[b];
      const double n1 = double(buf[a]) * buf[a] + double(buf[b]) * buf[b];
      EXPECT_NEAR(n1, n0, 1e-5) << "head " << h << " pair " << i;
    }
  }
  // Rank 4: one token per sequence at INT64_MAX, three sequences.
  std::vector<float> buf4 = rotary_test::random_vector<float>(24, 11);
  ASSERT_NO_THROW(r.forward(view4(buf4.data(), {3, 1, 1, 8}), rotary::positions::from_offset(kInt64Max)));
  for (float v : buf4) EXPECT_TRUE(std::isfinite(v)) << v;
}

TEST(RopeChecks, PackedStartNearInt64MaxOverflows) {
  const rotary::on_the_fly_angles<float> fly(8);
  const rotary::rope r(fly, pairing::interleaved);
  const std::int32_t cu[] = {0, 3};
  const std::int64_t starts[] = {kInt64Max - 1};  // positions MAX - 1, MAX, MAX + 1
  std::vector<float> buf = sentinel(24);
  const std::vector<float> before = buf;
  auto call = [&] { r.forward(view3(buf.data(), {3, 1, 8}), rotary::positions::packed(cu, 2, starts, 1)); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, call, "rope::forward",
                    "start offset 9223372036854775806", "+ 2 tokens", "overflows int64");
  EXPECT_TRUE(unchanged(buf, before));
  // The last position exactly INT64_MAX is fine.
  const std::int64_t fits[] = {kInt64Max - 2};
  std::vector<float> ok = rotary_test::random_vector<float>(24, 12);
  EXPECT_NO_THROW(r.forward(view3(ok.data(), {3, 1, 8}), rotary::positions::packed(cu, 2, fits, 1)));
  for (float v : ok) EXPECT_TRUE(std::isfinite(v));
}

TEST(RopeChecks, StartsNearInt64MaxRank4Overflows) {
  const rotary::on_the_fly_angles<float> fly(8);
  const rotary::rope r(fly, pairing::half_split);
  const std::int64_t starts[] = {0, kInt64Max};  // sequence 1: positions MAX, MAX + 1
  std::vector<float> buf = sentinel(32);
  const std::vector<float> before = buf;
  auto call = [&] {
    r.forward(view4(buf.data(), {2, 2, 1, 8}), rotary::positions::from_starts(starts, 2));
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, call, "rope::forward",
                    "start offset 9223372036854775807", "+ 1 tokens", "overflows int64");
  EXPECT_TRUE(unchanged(buf, before));
  const std::int64_t fits[] = {0, kInt64Max - 1};
  EXPECT_NO_THROW(r.forward(view4(buf.data(), {2, 2, 1, 8}), rotary::positions::from_starts(fits, 2)));
}

// ==== rotary_offset + rotary_dim, pair_distance ============================================

TEST(RopeChecks, RotaryOffsetOverflowAtConstruction) {
  const rotary::cos_sin_table<float> table(64, 16);
  rotary::rope_options options;
  options.rotary_offset = kPtrdiffMax - 10;
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    auto construct = [&] { rotary::rope r(table, p, options); };
    EXPECT_ROPE_ERROR(rotary::invalid_argument, construct, "rope: rotary_offset + rotary_dim overflows",
                      "9223372036854775797", "+ 64");
    auto make = [&] { (void)rotary::make_rope(table, p, options); };
    EXPECT_ROPE_ERROR(rotary::invalid_argument, make, "rope: rotary_offset + rotary_dim overflows",
                      "9223372036854775797");
  }
}

TEST(RopeChecks, RotaryOffsetOverflowInRotate) {
  const rotary::cos_sin_table<float> table(64, 16);
  std::vector<float> buf = rotary_test::random_vector<float>(128, 13);
  std::vector<float> out = sentinel(128);
  const std::vector<float> buf0 = buf, out0 = out;
  auto in_place = [&] {
    rotary::rotate<pairing::half_split>(view3(buf.data(), {2, 1, 64}), table, kPos3,
                                        kPtrdiffMax - 10);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, in_place, "rotate: rotary_offset + rotary_dim overflows",
                    "9223372036854775797", "+ 64");
  auto out_of_place = [&] {
    rotary::rotate<pairing::interleaved>(cview3(buf.data(), {2, 1, 64}),
                                         view3(out.data(), {2, 1, 64}), table, kPos3,
                                         kPtrdiffMax - 10);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, out_of_place,
                    "rotate: rotary_offset + rotary_dim overflows", "9223372036854775797");
  EXPECT_TRUE(unchanged(buf, buf0));
  EXPECT_TRUE(unchanged(out, out0));
}

TEST(RopeChecks, PairDistanceErrors) {
  const rotary::cos_sin_table<float> table(64, 16);
  rotary::rope_options options;
  options.pair_distance = 40;
  auto interleaved = [&] { rotary::rope r(table, pairing::interleaved, options); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, interleaved, "rope: pair_distance",
                    "half_split pairing only", "got 40", "interleaved");
  options.pair_distance = 16;
  auto too_small = [&] { rotary::rope r(table, pairing::half_split, options); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, too_small, "rope: pair_distance",
                    ">= rotary_dim / 2 = 32", "got 16");
  options.pair_distance = 31;
  EXPECT_ROPE_ERROR(rotary::invalid_argument, too_small, "rope: pair_distance", "got 31");
  options.pair_distance = -1;
  EXPECT_ROPE_ERROR(rotary::invalid_argument, too_small, "rope: pair_distance must be >= 0",
                    "got -1");
  EXPECT_ROPE_ERROR(rotary::invalid_argument, interleaved, "rope: pair_distance must be >= 0",
                    "got -1");
  options.pair_distance = 32;  // = rotary_dim / 2: the usual layout, accepted
  EXPECT_NO_THROW((void)rotary::rope(table, pairing::half_split, options));
  options.pair_distance = 48;  // a larger distance (Gemma's proportional RoPE), accepted
  EXPECT_NO_THROW((void)rotary::rope(table, pairing::half_split, options));
}

TEST(RopeChecks, PairDistanceOverflow) {
  // distance + rotary_dim / 2 past PTRDIFF_MAX: rejected at construction. (rope.hpp forms
  // the message's "distance + pairs" with signed overflow: UBSan reports it here until
  // that is fixed.)
  const rotary::cos_sin_table<float> table(64, 16);
  rotary::rope_options options;
  options.pair_distance = kPtrdiffMax - 10;
  auto construct = [&] { rotary::rope r(table, pairing::half_split, options); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, construct, "rope:", "overflows");
}

// ==== extents whose product wraps, spans that overflow ptrdiff_t ===========================

TEST(RopeChecks, ExtentProductWrapsToZero) {
  // 2^31 x 2^31 x 4 = 2^64 elements: the product is 0 modulo 2^64. Row-major strides are
  // passed explicitly (tensor_view's contiguous constructor forms the full product).
  const rotary::cos_sin_table<float> table(4, 16);
  const rotary::rope r(table, pairing::half_split);
  constexpr std::ptrdiff_t n = std::ptrdiff_t{1} << 31;
  auto null_data = [&] { r.forward(view3(nullptr, {n, n, 4}, {4 * n, 4, 1}), kPos3); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, null_data, "rope::forward", "x stride 8589934592",
                    "dimension 0", "spans more memory");
  std::vector<float> buf = sentinel(16);
  const std::vector<float> before = buf;
  auto real_data = [&] {
    r.forward(cview3(buf.data(), {n, n, 4}, {4 * n, 4, 1}), view3(buf.data(), {n, n, 4}, {4 * n, 4, 1}), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, real_data, "rope::forward", "stride 8589934592",
                    "dimension 0");
  EXPECT_TRUE(unchanged(buf, before));
}

TEST(RopeChecks, ExtentProductOverflowsPtrdiff) {
  const rotary::cos_sin_table<float> table(2, 16);
  const rotary::rope r(table, pairing::interleaved);
  constexpr std::ptrdiff_t big = std::ptrdiff_t{1} << 62;
  std::vector<float> buf = sentinel(16);
  std::vector<float> out = sentinel(16);
  const std::vector<float> buf0 = buf, out0 = out;
  // {2^62, 4, 2}, row-major: the span overflows first.
  auto rowmajor = [&] { r.forward(view3(buf.data(), {big, 4, 2}, {8, 2, 1}), kPos3); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, rowmajor, "rope::forward", "x stride 8",
                    "dimension 0", "spans more memory");
  // A broadcast (stride 0) input spans 2 elements, but still has 2^64 of them.
  auto broadcast = [&] {
    r.forward(cview3(buf.data(), {big, 4, 2}, {0, 0, 1}), view3(out.data(), {big, 4, 2}, {8, 2, 1}), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, broadcast, "rope::forward", "in has more elements",
                    "extent 4 in dimension 1");
  // 2^61 rows of 8 elements: the row count fits, the element count does not.
  auto elements = [&] {
    r.forward(cview3(buf.data(), {big / 2, 1, 8}, {0, 0, 1}), view3(out.data(), {1, 1, 8}), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, elements, "rope::forward", "in has more elements", "2305843009213693952 x 1 x 8");
  EXPECT_TRUE(unchanged(buf, buf0));
  EXPECT_TRUE(unchanged(out, out0));
}

TEST(RopeChecks, StrideSpanOverflowsPtrdiff) {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, pairing::half_split);
  std::vector<float> buf = sentinel(32);
  std::vector<float> out = sentinel(32);
  const std::vector<float> buf0 = buf, out0 = out;
  // 2 x (PTRDIFF_MAX / 2) + 8 elements.
  auto elements = [&] { r.forward(view3(buf.data(), {3, 1, 8}, {kPtrdiffMax / 2, 8, 1}), kPos3); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, elements, "rope::forward",
                    "x stride 4611686018427387903", "dimension 0", "spans more memory");
  // PTRDIFF_MAX / 4 + 8 elements fit, their bytes do not.
  auto bytes = [&] { r.forward(view3(buf.data(), {2, 1, 8}, {kPtrdiffMax / 4, 8, 1}), kPos3); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, bytes, "rope::forward", "x spans more bytes");
  // The most negative stride (its magnitude is not a ptrdiff_t).
  auto most_negative = [&] { r.forward(view3(buf.data(), {2, 1, 8}, {kPtrdiffMin, 8, 1}), kPos3); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, most_negative, "rope::forward",
                    "x stride -9223372036854775808", "dimension 0");
  // The same through an out view (a negative stride), and the heads of a rank-4 view.
  auto out_view = [&] {
    r.forward(cview3(buf.data(), {3, 1, 8}), view3(out.data(), {3, 1, 8}, {-(kPtrdiffMax / 2), 8, 1}),
              kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, out_view, "rope::forward",
                    "out stride -4611686018427387903", "dimension 0", "spans more memory");
  auto rank4 = [&] {
    r.forward(view4(buf.data(), {1, 1, 3, 8}, {8, 8, kPtrdiffMax / 2, 1}), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, rank4, "rope::forward",
                    "x stride 4611686018427387903", "dimension 2");
  EXPECT_TRUE(unchanged(buf, buf0));
  EXPECT_TRUE(unchanged(out, out0));
}

// ==== empty tables and empty views =========================================================

TEST(RopeChecks, ZeroRowTableWithZeroTokens) {
  const rotary::cos_sin_table<float> table(64, 0);
  ASSERT_EQ(table.rows(), 0);
  const rotary::rope r(table, pairing::half_split);
  std::vector<float> buf = sentinel(128);
  const std::vector<float> before = buf;
  EXPECT_NO_THROW(r.forward(view3(buf.data(), {0, 2, 64}), rotary::positions::from_offset(0)));
  EXPECT_NO_THROW(r.forward(view3(nullptr, {0, 2, 64}), rotary::positions::from_offset(5)));
  EXPECT_NO_THROW(r.inverse(cview3(buf.data(), {0, 2, 64}), view3(nullptr, {0, 2, 64}),
                            rotary::positions::from_offset(0)));
  EXPECT_NO_THROW(rotary::rotate<pairing::interleaved>(view3(nullptr, {0, 2, 64}), table,
                                                       rotary::positions::from_offset(0)));
  const std::int32_t cu[] = {0};
  EXPECT_NO_THROW(r.forward(view3(nullptr, {0, 2, 64}), rotary::positions::packed(cu, 1)));
  EXPECT_TRUE(unchanged(buf, before));
}

TEST(RopeChecks, ZeroRowTableWithOneToken) {
  const rotary::cos_sin_table<float> table(64, 0);
  const rotary::rope r(table, pairing::half_split);
  std::vector<float> buf = sentinel(128);
  std::vector<float> out = sentinel(128);
  const std::vector<float> buf0 = buf, out0 = out;
  auto in_place = [&] { r.forward(view3(buf.data(), {1, 2, 64}), rotary::positions::from_offset(0)); };
  EXPECT_ROPE_ERROR(rotary::out_of_range, in_place, "rope::forward", "position 0",
                    "past the end of the cos/sin table", "rows = 0");
  auto out_of_place = [&] {
    r.forward(cview3(buf.data(), {1, 2, 64}), view3(out.data(), {1, 2, 64}), rotary::positions::from_offset(0));
  };
  EXPECT_ROPE_ERROR(rotary::out_of_range, out_of_place, "rope::forward", "position 0", "rows = 0");
  auto free_function = [&] {
    rotary::rotate<pairing::interleaved>(view3(buf.data(), {1, 2, 64}), table, rotary::positions::from_offset(0));
  };
  EXPECT_ROPE_ERROR(rotary::out_of_range, free_function, "rotate:", "position 0", "rows = 0");
  EXPECT_TRUE(unchanged(buf, buf0));
  EXPECT_TRUE(unchanged(out, out0));
}

TEST(RopeChecks, Rank4WithZeroSeqAndNullData) {
  const rotary::cos_sin_table<float> empty_table(64, 0), table(64, 16);
  const std::int64_t starts[] = {5, 7};
  for (const rotary::cos_sin_table<float>* t : {&empty_table, &table}) {
    const rotary::rope r(*t, pairing::half_split);
    EXPECT_NO_THROW(r.forward(view4(nullptr, {2, 0, 2, 64}), rotary::positions::from_offset(0)));
    EXPECT_NO_THROW(r.forward(view4(nullptr, {2, 0, 2, 64}), rotary::positions::from_starts(starts, 2)));
    EXPECT_NO_THROW(r.transpose(cview4(nullptr, {2, 0, 2, 64}), view4(nullptr, {2, 0, 2, 64}),
                                rotary::positions::from_ids(static_cast<const std::int32_t*>(nullptr), 0)));
    EXPECT_NO_THROW(r.forward(rotary::query(view4(nullptr, {2, 0, 4, 64})),
                              rotary::key(view4(nullptr, {2, 0, 2, 64})), rotary::positions::from_offset(1)));
  }
}

TEST(RopeChecks, Rank4WithZeroBatch) {
  const rotary::cos_sin_table<float> empty_table(64, 0), table(64, 16);
  for (const rotary::cos_sin_table<float>* t : {&empty_table, &table}) {
    const rotary::rope r(*t, pairing::interleaved);
    EXPECT_NO_THROW(r.forward(view4(nullptr, {0, 3, 2, 64}), rotary::positions::from_offset(0)));
    EXPECT_NO_THROW(r.forward(view4(nullptr, {0, 3, 2, 64}),
                              rotary::positions::from_starts(static_cast<const std::int64_t*>(nullptr), 0)));
    EXPECT_NO_THROW(r.forward(view4(nullptr, {0, 3, 2, 64}),
                              rotary::positions::from_ids(static_cast<const std::int64_t*>(nullptr), 0)));
    const std::int32_t cu[] = {0};
    EXPECT_NO_THROW(r.forward(view4(nullptr, {0, 3, 2, 64}), rotary::positions::packed(cu, 1)));
  }
  // A batch of 0 still checks the start array against it.
  const std::int64_t starts[] = {1};
  const rotary::rope r(table, pairing::interleaved);
  auto wrong_count = [&] {
    r.forward(view4(nullptr, {0, 3, 2, 64}), rotary::positions::from_starts(starts, 1));
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, wrong_count, "rope::forward", "start offsets has 1 entries",
                    "one per sequence = 0");
}

// ==== position arrays: null, wrong count, packed with a batch ==============================

TEST(RopeChecks, PackedStartsNull) {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, pairing::half_split);
  const std::int32_t cu[] = {0, 1, 2};
  std::vector<float> buf = sentinel(16);
  const std::vector<float> before = buf;
  auto call = [&] {
    r.forward(view3(buf.data(), {2, 1, 8}),
              rotary::positions::packed(cu, 3, static_cast<const std::int64_t*>(nullptr), 2));
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, call, "rope::forward", "start offsets", "null",
                    "2 entries");
  EXPECT_TRUE(unchanged(buf, before));
}

TEST(RopeChecks, IdsNullWithThreeTokens) {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, pairing::interleaved);
  std::vector<float> buf = sentinel(24);
  const std::vector<float> before = buf;
  auto call = [&] {
    r.forward(view3(buf.data(), {3, 1, 8}),
              rotary::positions::from_ids(static_cast<const std::int32_t*>(nullptr), 3));
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, call, "rope::forward", "position ids", "null",
                    "3 entries");
  EXPECT_TRUE(unchanged(buf, before));
}

TEST(RopeChecks, StartsCountNotBatch) {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, pairing::half_split);
  const std::int32_t starts[] = {1, 2, 3};
  std::vector<float> buf = sentinel(32);
  const std::vector<float> before = buf;
  auto too_many = [&] {
    r.forward(view4(buf.data(), {2, 2, 1, 8}), rotary::positions::from_starts(starts, 3));
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, too_many, "rope::forward", "start offsets has 3 entries",
                    "one per sequence = 2");
  auto too_few = [&] {
    r.forward(view4(buf.data(), {2, 2, 1, 8}), rotary::positions::from_starts(starts, 1));
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, too_few, "rope::forward", "start offsets has 1 entries",
                    "one per sequence = 2");
  // A rank-3 view is one sequence.
  auto rank3 = [&] { r.forward(view3(buf.data(), {2, 1, 8}), rotary::positions::from_starts(starts, 2)); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, rank3, "rope::forward", "start offsets has 2 entries",
                    "one per sequence = 1");
  EXPECT_TRUE(unchanged(buf, before));
}

TEST(RopeChecks, PackedWithRank4Batch) {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, pairing::half_split);
  const std::int32_t cu[] = {0, 2, 4};
  std::vector<float> buf = sentinel(32);
  const std::vector<float> before = buf;
  auto call = [&] { r.forward(view4(buf.data(), {2, 2, 1, 8}), rotary::positions::packed(cu, 3)); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, call, "rope::forward", "packed positions",
                    "rank-3 (THD)", "batch of 2");
  EXPECT_TRUE(unchanged(buf, before));
}

// ==== q and k: GQA head counts, token counts ===============================================

TEST(RopeChecks, KvHeadsNotDividingHeads) {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, pairing::half_split);
  std::vector<float> q = sentinel(64), k = sentinel(48);
  const std::vector<float> q0 = q, k0 = k;
  auto call = [&] {
    r.forward(rotary::query(view3(q.data(), {2, 4, 8})), rotary::key(view3(k.data(), {2, 3, 8})), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, call, "rope::forward", "num_kv_heads must divide num_heads",
                    "num_heads = 4", "num_kv_heads = 3");
  // The key first: still a query and key pair.
  auto key_first = [&] {
    r.forward(rotary::key(view3(k.data(), {2, 3, 8})), rotary::query(view3(q.data(), {2, 4, 8})), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, key_first, "rope::forward",
                    "num_kv_heads must divide num_heads", "num_heads = 4", "num_kv_heads = 3");
  // No kv heads for 4 query heads.
  auto no_kv = [&] {
    r.forward(rotary::query(view3(q.data(), {2, 4, 8})), rotary::key(view3(k.data(), {2, 0, 8})), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, no_kv, "rope::forward", "num_kv_heads = 0");
  EXPECT_TRUE(unchanged(q, q0));
  EXPECT_TRUE(unchanged(k, k0));
}

TEST(RopeChecks, QueryAndKeyTokenCountsDiffer) {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, pairing::interleaved);
  std::vector<float> q = sentinel(96), k = sentinel(96);
  const std::vector<float> q0 = q, k0 = k;
  auto rank3 = [&] {
    r.forward(rotary::query(view3(q.data(), {2, 4, 8})), rotary::key(view3(k.data(), {3, 2, 8})), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, rank3, "rope::forward", "num_tokens", "got 2 and 3");
  auto rank4_seq = [&] {
    r.forward(rotary::query(view4(q.data(), {1, 3, 4, 8})), rotary::key(view4(k.data(), {1, 2, 2, 8})), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, rank4_seq, "rope::forward", "seq", "got 3 and 2");
  auto rank4_batch = [&] {
    r.forward(rotary::query(view4(q.data(), {2, 1, 4, 8})), rotary::key(view4(k.data(), {1, 1, 2, 8})), kPos3);
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, rank4_batch, "rope::forward", "batch", "got 2 and 1");
  EXPECT_TRUE(unchanged(q, q0));
  EXPECT_TRUE(unchanged(k, k0));
}

// ==== construction: pairing, execution =====================================================

TEST(RopeChecks, PairingOutOfRange) {
  const rotary::cos_sin_table<float> table(8, 16);
  auto construct = [&] { rotary::rope r(table, static_cast<rotary::pairing>(7)); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, construct, "rope: pairing", "interleaved or half_split",
                    "got 7");
  auto on_the_fly = [] {
    rotary::rope r(rotary::on_the_fly_angles<double>(8), static_cast<rotary::pairing>(-1));
  };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, on_the_fly, "rope: pairing", "got -1");
}

TEST(RopeChecks, ExecutionThreadsZero) {
  const rotary::cos_sin_table<float> table(8, 16);
  rotary::rope_options options;
  options.execution = rotary::threads(0);
  auto construct = [&] { rotary::rope r(table, pairing::half_split, options); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, construct, "rope: execution threads", ">= 1", "got 0");
  options.execution.threads = -3;
  EXPECT_ROPE_ERROR(rotary::invalid_argument, construct, "rope: execution threads", "got -3");
  options.execution.threads = 2;
  options.execution.min_elements_per_thread = -1;
  EXPECT_ROPE_ERROR(rotary::invalid_argument, construct, "rope: execution min_elements_per_thread",
                    "got -1");
}

// ==== in and out of different element sizes over the same bytes ===========================

TEST(RopeChecks, FloatInBfloat16OutSameBytes) {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, pairing::half_split);
  std::vector<float> buf = rotary_test::random_vector<float>(32, 14);
  const std::vector<float> before = buf;
  // Same address and the same element strides; the bfloat16 rows cover the first half of
  // the float rows' bytes.
  const cview3 in(buf.data(), {2, 2, 8});
  const rotary::tensor_view<rotary::bfloat16, 3> out(reinterpret_cast<rotary::bfloat16*>(buf.data()),
                                                     {2, 2, 8});
  auto call = [&] { r.forward(in, out, kPos3); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, call, "rope::forward", "in and out",
                    "share no element", "overlap");
  auto as_query = [&] { r.forward(rotary::query(in, out), kPos3); };
  EXPECT_ROPE_ERROR(rotary::invalid_argument, as_query, "rope::forward", "q_in and q_out", "overlap");
  EXPECT_TRUE(unchanged(buf, before));
  // Into bytes of their own, the same call works.
  std::vector<rotary::bfloat16> own(32);
  EXPECT_NO_THROW(r.forward(in, rotary::tensor_view<rotary::bfloat16, 3>(own.data(), {2, 2, 8}), kPos3));
  EXPECT_TRUE(unchanged(buf, before));
}

}  // namespace

// Found by tests/fuzz/rope_fuzz.cpp: a bfloat16 input and a float16 output over the same
// bytes (same element size, address and strides) were taken as one in-place view, so the
// elements outside the rotated slice kept their bfloat16 bits in the float16 output, where
// rotate_reference converts them. Views of different storage types are never the same view:
// they share elements, and the overlap rule refuses them, on the contiguous fast path (whole
// heads rotated) and on the general path (partial rotary) alike.
TEST(RopeChecks, Bfloat16InFloat16OutSameBytes) {
  const rotary::cos_sin_table<float> table(4, 16);
  std::vector<std::uint16_t> buf(2 * 2 * 8);
  for (std::size_t i = 0; i < buf.size(); ++i) {
    buf[i] = rotary::bfloat16(1.5f + static_cast<float>(i)).bits;
  }
  const std::vector<std::uint16_t> before = buf;
  const rotary::tensor_view<const rotary::bfloat16, 3> in(
      reinterpret_cast<const rotary::bfloat16*>(buf.data()), {2, 2, 8});
  const rotary::tensor_view<rotary::float16, 3> out(reinterpret_cast<rotary::float16*>(buf.data()),
                                                    {2, 2, 8});
  const rotary::tensor_view<const rotary::bfloat16, 3> in4(
      reinterpret_cast<const rotary::bfloat16*>(buf.data()), {2, 2, 4}, {16, 8, 1});
  const rotary::tensor_view<rotary::float16, 3> out4(reinterpret_cast<rotary::float16*>(buf.data()),
                                                     {2, 2, 4}, {16, 8, 1});
  for (const pairing p : {pairing::interleaved, pairing::half_split}) {
    SCOPED_TRACE(rotary::to_string(p));
    const rotary::rope partial(table, p, {2});  // elements 0, 1, 6, 7 pass through
    auto partial_call = [&] { partial.forward(in, out, kPos3); };
    EXPECT_ROPE_ERROR(rotary::invalid_argument, partial_call, "rope::forward", "in and out",
                      "share no element", "overlap");
    auto as_key = [&] { partial.forward(rotary::key(in, out), kPos3); };
    EXPECT_ROPE_ERROR(rotary::invalid_argument, as_key, "rope::forward", "k_in and k_out", "overlap");
    const rotary::rope whole(table, p);  // head_dim 4 = rotary_dim: the contiguous path's form
    auto whole_call = [&] { whole.forward(in4, out4, kPos3); };
    EXPECT_ROPE_ERROR(rotary::invalid_argument, whole_call, "rope::forward", "in and out", "overlap");
    const rotary::tensor_view<const rotary::bfloat16, 3> dense(
        reinterpret_cast<const rotary::bfloat16*>(buf.data()), {2, 2, 4});
    const rotary::tensor_view<rotary::float16, 3> dense_out(
        reinterpret_cast<rotary::float16*>(buf.data()), {2, 2, 4});
    auto contiguous_call = [&] { whole.forward(dense, dense_out, kPos3); };
    EXPECT_ROPE_ERROR(rotary::invalid_argument, contiguous_call, "rope::forward", "overlap");
    auto reference = [&] {
      rotary::rotate_reference(partial, rotary::direction::forward, in, out, kPos3);
    };
    EXPECT_ROPE_ERROR(rotary::invalid_argument, reference, "rotate_reference", "overlap");
    EXPECT_TRUE(unchanged(buf, before));
  }
  // The same storage type over the same bytes stays in place, const or not.
  std::vector<rotary::bfloat16> x(16);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = rotary::bfloat16(1.0f + static_cast<float>(i));
  const rotary::rope r(table, pairing::half_split, {2});
  EXPECT_NO_THROW(r.forward(rotary::tensor_view<const rotary::bfloat16, 3>(x.data(), {2, 1, 8}),
                            rotary::tensor_view<rotary::bfloat16, 3>(x.data(), {2, 1, 8}), kPos3));
}

// Found by tests/fuzz/rope_fuzz.cpp under UBSan: the stride of a dimension of extent 1 is
// never used to reach an element, so a view of one token may have any token stride (and a
// cos_sin_view of one row any row stride); the kernels' token loop stepped its pointers once
// more after the last token, and a step of PTRDIFF_MAX elements overflowed the pointer
// arithmetic (undefined behaviour: the clang ASan + UBSan stage of .ci/run fails this test
// without the fix). The results are those of the same call with the usual strides.
TEST(RopeChecks, OneTokenWithAnyTokenStride) {
  const rotary::cos_sin_table<float> table(8, 16);
  std::vector<float> in = rotary_test::random_vector<float>(2 * 8, 21);
  for (const pairing p : {pairing::interleaved, pairing::half_split}) {
    const rotary::rope r(table, p);
    std::vector<float> expected(2 * 8, 0.0f);
    r.forward(cview3(in.data(), {1, 2, 8}), view3(expected.data(), {1, 2, 8}), kPos3);
    for (const std::ptrdiff_t stride : {kPtrdiffMax, kPtrdiffMin, kPtrdiffMax / 2 + 1}) {
      SCOPED_TRACE(stride);
      std::vector<float> out(2 * 8, 0.0f);
      const cview3 x(in.data(), {1, 2, 8}, {stride, 8, 1});
      r.forward(x, view3(out.data(), {1, 2, 8}, {stride, 8, 1}), kPos3);  // out of place
      EXPECT_TRUE(unchanged(out, expected));
      std::vector<float> y = in;  // in place, q and k
      std::vector<float> k = in;
      r.forward(rotary::query(view3(y.data(), {1, 2, 8}, {stride, 8, 1})),
                rotary::key(view3(k.data(), {1, 1, 8}, {stride, stride, 1})), kPos3);
      EXPECT_TRUE(unchanged(y, expected));
      EXPECT_TRUE(rotary_test::bitwise_equal(k[7], expected[7]));
      // rank 4: batch and seq of one
      std::vector<float> out4(2 * 8, 0.0f);
      r.forward(cview4(in.data(), {1, 1, 2, 8}, {stride, stride, 8, 1}),
                view4(out4.data(), {1, 1, 2, 8}, {stride, stride, 8, 1}), kPos3);
      EXPECT_TRUE(unchanged(out4, expected));
    }
    // A caller's cache of one row, with a row stride nothing reads (rows x stride fits).
    // cos 1, sin 0, filled at run time. NOTE: not from a brace list: g++ 12.2 with
    // -mavx512f at -O2 stores the constant {1, 1, 1, 1, 0, 0, 0, 0} as eight ones (a
    // vpbroadcastd over the whole ymm; a GCC bug, not rotary's: see the README's Compiler
    // notes). Its reproducer, without rotary:
    //   #include <cstdio>
    //   #include <vector>
    //   __attribute__((noinline)) void show(const float* p) {
    //     for (int i = 0; i < 8; ++i) std::printf("%g ", p[i]);
    //   }
    //   int main() {
    //     const std::vector<float> row = {1, 1, 1, 1, 0, 0, 0, 0};
    //     show(row.data());  // g++-12 -O2 -mavx512f: 1 1 1 1 1 1 1 1
    //   }
    std::vector<float> row(8, 0.0f);
    std::fill(row.begin(), row.begin() + 4, rotary_test::opaque(1.0f));
    const rotary::cos_sin_view<const float> one_row(row.data(), row.data() + 4, 1, 8, kPtrdiffMax);
    const rotary::rope identity(one_row, p);  // position 0: cos 1, sin 0
    std::vector<float> z = in;
    identity.forward(view3(z.data(), {1, 2, 8}), rotary::positions::from_offset(0));
    EXPECT_TRUE(unchanged(z, in));
  }
}

// Found by tests/fuzz/rope_fuzz.cpp: a view with tokens but no heads still has positions,
// and the rope checks them against the table (out_of_range past its end); rotate_reference,
// which makes the same checks as the rope, returned before that check for 0 heads and
// accepted the call.
TEST(RopeChecks, TokensWithoutHeadsPastTheTable) {
  const rotary::cos_sin_table<float> table(8, 0);
  const rotary::rope r(table, pairing::interleaved);
  std::vector<float> buf = sentinel(16);
  const std::vector<float> before = buf;
  const rotary::positions pos = rotary::positions::from_offset(0);
  auto rope_call = [&] { r.forward(cview3(buf.data(), {1, 0, 8}), view3(buf.data() + 8, {1, 0, 8}), pos); };
  EXPECT_ROPE_ERROR(rotary::out_of_range, rope_call, "rope::forward", "position 0", "rows = 0");
  auto reference = [&] {
    rotary::rotate_reference(r, rotary::direction::forward, cview3(buf.data(), {1, 0, 8}),
                             view3(buf.data() + 8, {1, 0, 8}), pos);
  };
  EXPECT_ROPE_ERROR(rotary::out_of_range, reference, "rotate_reference", "position 0", "rows = 0");
  // xPos: the output type's range is checked the same way (a float16 output, far from c)
  const rotary::xpos_angles<float> xpos(rotary::rope_frequencies(8), rotary::xpos_role::query, 0.0);
  const rotary::rope rx(xpos, pairing::interleaved);
  std::vector<rotary::float16> half(8);
  const rotary::positions far = rotary::positions::from_offset(10000);
  auto xpos_rope = [&] {
    rx.forward(cview3(buf.data(), {1, 0, 8}), rotary::tensor_view<rotary::float16, 3>(half.data(), {1, 0, 8}), far);
  };
  EXPECT_ROPE_ERROR(rotary::out_of_range, xpos_rope, "rope::forward", "float16");
  auto xpos_reference = [&] {
    rotary::rotate_reference(rx, rotary::direction::forward, cview3(buf.data(), {1, 0, 8}),
                             rotary::tensor_view<rotary::float16, 3>(half.data(), {1, 0, 8}), far);
  };
  EXPECT_ROPE_ERROR(rotary::out_of_range, xpos_reference, "rotate_reference", "float16");
  EXPECT_TRUE(unchanged(buf, before));
}

// Found by tests/fuzz/rope_fuzz.cpp under UBSan: the position of a packed sequence's first
// token was computed as (t + start) - cu_seqlens[k], which overflows int64 for a later
// sequence whose start is near INT64_MAX although every position fits (undefined behaviour:
// the clang ASan + UBSan stage of .ci/run fails this test without the fix). The positions
// are those of the same tokens given as ids.
TEST(RopeChecks, PackedLaterSequenceStartingNearInt64Max) {
  const rotary::on_the_fly_angles<float> fly(8);
  const rotary::rope r(fly, pairing::interleaved);
  const std::int32_t cu[] = {0, 2, 4};
  const std::int64_t starts[] = {5, kInt64Max - 1};  // tokens 2, 3 at MAX - 1, MAX
  const std::int64_t ids[] = {5, 6, kInt64Max - 1, kInt64Max};
  const std::vector<float> in = rotary_test::random_vector<float>(4 * 2 * 8, 31);
  std::vector<float> packed(in.size()), by_ids(in.size());
  r.forward(cview3(in.data(), {4, 2, 8}), view3(packed.data(), {4, 2, 8}),
            rotary::positions::packed(cu, 3, starts, 2));
  r.forward(cview3(in.data(), {4, 2, 8}), view3(by_ids.data(), {4, 2, 8}),
            rotary::positions::from_ids(ids, 4));
  EXPECT_TRUE(unchanged(packed, by_ids));
}
