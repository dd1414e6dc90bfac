// SPDX-License-Identifier: MIT
// rotate_into_cache (cache_write.hpp): keys rotated straight into their cache rows and values
// copied beside them, bitwise the unfused sequence (rotate out of place, then copy each row
// to its slot), for paged and ring slot maps, float and 16-bit caches, 1-D and multi-axis
// positions; rows no slot names stay untouched; bad input throws before anything is written.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "test_util.hpp"

namespace {

using rotary::bfloat16;
using rotary::pairing;
using rotary::positions;
using rotary::tensor_view;

constexpr std::ptrdiff_t kv_heads = 2, dim = 64, rows = 40;

template <class Cache>
void check_against_unfused(const std::vector<std::int32_t>& slots, const positions& pos,
                           rotary::rope<rotary::angles_ref<rotary::cos_sin_table<float>>>& r) {
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(slots.size());
  const auto k = rotary_test::random_vector<float>(static_cast<std::size_t>(n * kv_heads * dim), 3);
  const auto v = rotary_test::random_vector<float>(static_cast<std::size_t>(n * kv_heads * dim), 4);
  std::vector<Cache> kc(static_cast<std::size_t>(rows * kv_heads * dim), Cache(0.125f)), vc = kc;
  std::vector<Cache> k_expect = kc, v_expect = vc, rotated(k.size());
  // Unfused: rotate out of place into a staging buffer, then copy rows to their slots.
  r.forward(tensor_view<const float, 3>(k.data(), {n, kv_heads, dim}),
            tensor_view<Cache, 3>(rotated.data(), {n, kv_heads, dim}), pos);
  for (std::ptrdiff_t t = 0; t < n; ++t) {
    const std::size_t row = static_cast<std::size_t>(slots[static_cast<std::size_t>(t)] * kv_heads * dim);
    for (std::ptrdiff_t e = 0; e < kv_heads * dim; ++e) {
      k_expect[row + static_cast<std::size_t>(e)] = rotated[static_cast<std::size_t>(t * kv_heads * dim + e)];
      v_expect[row + static_cast<std::size_t>(e)] = Cache(v[static_cast<std::size_t>(t * kv_heads * dim + e)]);
    }
  }
  rotary::rotate_into_cache(r, tensor_view<const float, 3>(k.data(), {n, kv_heads, dim}),
                            tensor_view<const float, 3>(v.data(), {n, kv_heads, dim}),
                            tensor_view<Cache, 3>(kc.data(), {rows, kv_heads, dim}),
                            tensor_view<Cache, 3>(vc.data(), {rows, kv_heads, dim}), slots.data(),
                            n, pos);
  EXPECT_TRUE(rotary_test::bitwise_equal(kc, k_expect));
  EXPECT_TRUE(rotary_test::bitwise_equal(vc, v_expect));
}

TEST(RotateIntoCache, IsBitwiseTheUnfusedRotateThenCopy) {
  rotary::cos_sin_table<float> table(48, 256);  // partial: 48 of 64 rotated, the rest copied
  for (pairing p : {pairing::half_split, pairing::interleaved}) {
    rotary::rope_options o;
    o.rotary_offset = 8;
    auto r = rotary::rope(table, p, o);
    const std::vector<std::int32_t> paged = {16, 17, 18, 19, 4, 5, 6, 30, 31, 0};  // blocks of 4
    const std::vector<std::int32_t> ring = {37, 38, 39, 0, 1, 2};                  // wrapped
    std::vector<std::int64_t> ids = {5, 9, 9, 200, 0, 1, 2, 3, 4, 7};
    check_against_unfused<float>(paged, positions::from_offset(100), r);
    check_against_unfused<bfloat16>(paged, positions::from_ids(ids.data(), 10), r);
    check_against_unfused<rotary::float16>(ring, positions::from_offset(37), r);
    check_against_unfused<float>(std::vector<std::int32_t>{12}, positions::from_offset(255), r);
  }
}

TEST(RotateIntoCache, TakesMultiAxisPositions) {
  const auto map = rotary::axis_map::mrope(rotary::rope_frequencies(dim, 1e6), {8, 12, 12});
  const rotary::multi_axis_angles<float> angles(map, 64);
  const rotary::rope r(angles, pairing::half_split);
  rotary::mrope_positions mp;
  mp.text(3).grid(1, 2, 3).text(2);  // 11 tokens
  const std::ptrdiff_t n = mp.tokens();
  std::vector<std::int32_t> slots;
  for (std::ptrdiff_t t = 0; t < n; ++t) slots.push_back(static_cast<std::int32_t>((t * 3 + 5) % rows));
  const auto k = rotary_test::random_vector<float>(static_cast<std::size_t>(n * kv_heads * dim), 8);
  std::vector<float> rotated(k.size()), kc(static_cast<std::size_t>(rows * kv_heads * dim)), vc = kc;
  r.forward(tensor_view<const float, 3>(k.data(), {n, kv_heads, dim}),
            tensor_view<float, 3>(rotated.data(), {n, kv_heads, dim}), mp.view());
  rotary::rotate_into_cache(r, tensor_view<const float, 3>(k.data(), {n, kv_heads, dim}),
                            tensor_view<const float, 3>(k.data(), {n, kv_heads, dim}),
                            tensor_view<float, 3>(kc.data(), {rows, kv_heads, dim}),
                            tensor_view<float, 3>(vc.data(), {rows, kv_heads, dim}), slots.data(), n,
                            mp.view());
  for (std::ptrdiff_t t = 0; t < n; ++t) {
    EXPECT_EQ(std::memcmp(kc.data() + slots[static_cast<std::size_t>(t)] * kv_heads * dim,
                          rotated.data() + t * kv_heads * dim, kv_heads * dim * sizeof(float)),
              0)
        << t;
  }
}

TEST(RotateIntoCache, BadInputThrowsBeforeAnythingIsWritten) {
  rotary::cos_sin_table<float> table(dim, 64);
  const auto r = rotary::rope(table, pairing::half_split);
  std::vector<float> k(static_cast<std::size_t>(3 * kv_heads * dim), 0.5f), v = k;
  std::vector<float> kc(static_cast<std::size_t>(rows * kv_heads * dim), 0.25f), vc = kc;
  const auto kc0 = kc, vc0 = vc;
  auto call = [&](std::vector<std::int32_t> slots, std::ptrdiff_t n_slots, const positions& p,
                  std::ptrdiff_t cache_heads = kv_heads) {
    rotary::rotate_into_cache(r, tensor_view<const float, 3>(k.data(), {3, kv_heads, dim}),
                              tensor_view<const float, 3>(v.data(), {3, kv_heads, dim}),
                              tensor_view<float, 3>(kc.data(), {rows * kv_heads / cache_heads, cache_heads, dim}),
                              tensor_view<float, 3>(vc.data(), {rows, kv_heads, dim}), slots.data(),
                              n_slots, p);
  };
  const auto p0 = positions::from_offset(0);
  rotary_test::expect_error([&] { call({1, 2, 2}, 3, p0); }, "rotate_into_cache: slot 2 is written by two tokens");
  rotary_test::expect_error([&] { call({1, 2, 40}, 3, p0); }, "rotate_into_cache: slots[2] must be in [0, 40)");
  rotary_test::expect_error([&] { call({1, -1, 3}, 3, p0); }, "slots[1] must be in [0, 40)");
  rotary_test::expect_error([&] { call({1, 2}, 2, p0); }, "rotate_into_cache: slots has 2 entries, expected one per token = 3");
  rotary_test::expect_error([&] { call({1, 2, 3}, 3, p0, 1); }, "k and k_cache extents differ in dimension 1");
  rotary_test::expect_range_error([&] { call({1, 2, 3}, 3, positions::from_offset(62)); },
                                  "rotate_into_cache: position 64 is past the end");
  // A value cache over the keys' own memory.
  rotary_test::expect_error([&] {
    rotary::rotate_into_cache(r, tensor_view<const float, 3>(k.data(), {3, kv_heads, dim}),
                              tensor_view<const float, 3>(v.data(), {3, kv_heads, dim}),
                              tensor_view<float, 3>(kc.data(), {rows, kv_heads, dim}),
                              tensor_view<float, 3>(k.data(), {3, kv_heads, dim}),
                              std::vector<std::int32_t>{0, 1, 2}.data(), 3, positions::from_offset(0));
  }, "the caches must share no element with k, v or each other");
  EXPECT_TRUE(rotary_test::bitwise_equal(kc, kc0));
  EXPECT_TRUE(rotary_test::bitwise_equal(vc, vc0));
}

}  // namespace

namespace {
TEST(RotateIntoCache, FindsADuplicateSlotInALongCall) {
  rotary::cos_sin_table<float> table(dim, 64);
  const auto r = rotary::rope(table, pairing::half_split);
  const std::ptrdiff_t n = 40;
  std::vector<float> k(static_cast<std::size_t>(n * kv_heads * dim), 0.5f);
  std::vector<float> kc(static_cast<std::size_t>(rows * kv_heads * dim), 0.25f), vc = kc;
  std::vector<std::int64_t> slots;
  for (std::ptrdiff_t t = 0; t < n; ++t) slots.push_back(n - 1 - t);
  slots[35] = slots[2];
  rotary_test::expect_error([&] {
    rotary::rotate_into_cache(r, tensor_view<const float, 3>(k.data(), {n, kv_heads, dim}),
                              tensor_view<const float, 3>(k.data(), {n, kv_heads, dim}),
                              tensor_view<float, 3>(kc.data(), {rows, kv_heads, dim}),
                              tensor_view<float, 3>(vc.data(), {rows, kv_heads, dim}), slots.data(), n,
                              positions::from_offset(0));
  }, "rotate_into_cache: slot 37 is written by two tokens");
}
}  // namespace

namespace {
// Checks that the per-run rope calls would make are all made before the first run writes:
// a key_norm of the wrong length, and xPos keys past a float16 cache's range (the last
// token only, in a run of its own).
TEST(RotateIntoCache, RunChecksComeBeforeAnyWrite) {
  const std::ptrdiff_t n = 3;
  std::vector<float> k(static_cast<std::size_t>(n * kv_heads * dim), 0.5f);
  std::vector<rotary::float16> kc(static_cast<std::size_t>(rows * kv_heads * dim), rotary::float16(0.25f));
  std::vector<rotary::float16> vc = kc;
  const auto kc0 = kc;
  const std::vector<std::int32_t> slots = {0, 1, 10};  // two runs
  auto call = [&](const auto& r, const positions& p) {
    rotary::rotate_into_cache(r, tensor_view<const float, 3>(k.data(), {n, kv_heads, dim}),
                              tensor_view<const float, 3>(k.data(), {n, kv_heads, dim}),
                              tensor_view<rotary::float16, 3>(kc.data(), {rows, kv_heads, dim}),
                              tensor_view<rotary::float16, 3>(vc.data(), {rows, kv_heads, dim}),
                              slots.data(), n, p);
  };
  rotary::cos_sin_table<float> table(dim, 8);
  rotary::rope_options o;
  o.key_norm = rotary::head_norm::rms(std::vector<double>(32, 1.0));
  rotary_test::expect_error([&] { call(rotary::rope(table, pairing::half_split, o), positions::from_offset(0)); },
                            "rotate_into_cache: key_norm weight has 32 values, expected head_dim = 64");
  const rotary::xpos_angles<float> xk(rotary::rope_frequencies(dim), rotary::xpos_role::key, 0.0);
  const std::int64_t ok = static_cast<std::int64_t>(xk.max_distance(65504.0));
  const std::vector<std::int64_t> ids = {0, 1, ok + 5};
  rotary_test::expect_range_error(
      [&] { call(rotary::rope(xk, pairing::half_split), positions::from_ids(ids.data(), n)); },
      "rotate_into_cache: xPos position");
  EXPECT_TRUE(rotary_test::bitwise_equal(kc, kc0));
}
}  // namespace

namespace {
// One buffer [rows][k | v][kv_heads][dim] holding both caches: strided views whose byte
// ranges meet but whose rows do not (the general overlap check) are accepted and give the
// separate caches' result; contiguous caches over one buffer, or strided ones whose rows
// do meet, are refused with nothing written.
TEST(RotateIntoCache, InterleavedKvBufferAndOverlaps) {
  rotary::cos_sin_table<float> table(dim, 64);
  const auto r = rotary::rope(table, pairing::interleaved);
  const std::ptrdiff_t n = 3, row = kv_heads * dim;
  const auto k = rotary_test::random_vector<float>(static_cast<std::size_t>(n * row), 8);
  const auto v = rotary_test::random_vector<float>(static_cast<std::size_t>(n * row), 9);
  const std::vector<std::int32_t> slots = {7, 8, 30};
  const tensor_view<const float, 3> kv(k.data(), {n, kv_heads, dim}), vv(v.data(), {n, kv_heads, dim});
  std::vector<float> kc(static_cast<std::size_t>(rows * row), 0.5f), vc = kc;
  rotary::rotate_into_cache(r, kv, vv, tensor_view<float, 3>(kc.data(), {rows, kv_heads, dim}),
                            tensor_view<float, 3>(vc.data(), {rows, kv_heads, dim}), slots.data(), n,
                            positions::from_offset(3));
  std::vector<float> both(static_cast<std::size_t>(2 * rows * row), 0.5f);
  const std::array<std::ptrdiff_t, 3> strides{2 * row, dim, 1};
  auto half = [&](std::ptrdiff_t at) { return tensor_view<float, 3>(both.data() + at, {rows, kv_heads, dim}, strides); };
  rotary::rotate_into_cache(r, kv, vv, half(0), half(row), slots.data(), n, positions::from_offset(3));
  for (std::ptrdiff_t s = 0; s < rows; ++s) {
    for (std::ptrdiff_t e = 0; e < row; ++e) {
      ASSERT_EQ(both[static_cast<std::size_t>(2 * s * row + e)], kc[static_cast<std::size_t>(s * row + e)]);
      ASSERT_EQ(both[static_cast<std::size_t>(2 * s * row + row + e)], vc[static_cast<std::size_t>(s * row + e)]);
    }
  }
  const auto before = both;
  rotary_test::expect_error([&] {
    rotary::rotate_into_cache(r, kv, vv, half(0), half(dim), slots.data(), n, positions::from_offset(3));
  }, "the caches must share no element with k, v or each other");
  rotary_test::expect_error([&] {
    rotary::rotate_into_cache(r, kv, vv, tensor_view<float, 3>(both.data(), {rows, kv_heads, dim}),
                              tensor_view<float, 3>(both.data() + row, {rows, kv_heads, dim}), slots.data(), n,
                              positions::from_offset(3));
  }, "the caches must share no element with k, v or each other");
  EXPECT_TRUE(rotary_test::bitwise_equal(both, before));
}
}  // namespace
