// KV cache: decoding token by token equals full causal attention over the whole sequence
// (RoPE, 72 tokens, GQA); context shift by re-rotation equals recomputing from scratch, and
// so does re-rotating the cache to other frequencies (rerotate_keys).
// Also tests the rotary 0.1 entry points, now [[deprecated]] forwarders to the rope object
// (deprecated.hpp): they must keep giving the results they gave before.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#include <gtest/gtest.h>

#include <string>
#include <type_traits>
#include <typeinfo>

#include "attention/attention_test_util.hpp"
#include "expect_error.hpp"
#include "oracles/rotated_keys.hpp"

namespace {

using rotary::attention_options;
using rotary::kv_cache;
using rotary::pairing;
using rotary::positions;
using rotary::tensor_view;
using namespace rotary_test;

constexpr std::ptrdiff_t kTokens = 72, kHeads = 4, kKvHeads = 2, kDim = 16;

template <class T>
class KvCacheTest : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KvCacheTest, Scalars, ScalarNames);

TYPED_TEST(KvCacheTest, DecodeEqualsFullCausalAttention) {
  using T = TypeParam;
  rotary::cos_sin_table<T> table(kDim, kTokens);
  auto q = random_vector<T>(kTokens * kHeads * kDim, 11);
  auto k = random_vector<T>(kTokens * kKvHeads * kDim, 12);
  auto v = random_vector<T>(kTokens * kKvHeads * kDim, 13);
  // Full: rotate q, k at 0..T-1, causal attention over the whole sequence.
  auto qr = q, kr = k;
  rotary::rotate<pairing::half_split>(tensor_view<T, 3>(qr.data(), {kTokens, kHeads, kDim}), table,
                                positions::from_offset(0));
  rotary::rotate<pairing::half_split>(tensor_view<T, 3>(kr.data(), {kTokens, kKvHeads, kDim}), table,
                                positions::from_offset(0));
  std::vector<T> full(q.size());
  attention_options<T> causal;
  causal.causal = true;
  rotary::scaled_dot_product_attention<T>(
      tensor_view<const T, 3>(qr.data(), {kTokens, kHeads, kDim}),
      tensor_view<const T, 3>(kr.data(), {kTokens, kKvHeads, kDim}),
      tensor_view<const T, 3>(v.data(), {kTokens, kKvHeads, kDim}),
      tensor_view<T, 3>(full.data(), {kTokens, kHeads, kDim}), causal);
  // Decode: token t rotated at t, appended, attends to the cache.
  kv_cache<T> cache(kKvHeads, kDim, kTokens);
  std::vector<T> step(kHeads * kDim);
  double worst = 0;
  for (std::ptrdiff_t t = 0; t < kTokens; ++t) {
    std::vector<T> qt(q.begin() + t * kHeads * kDim, q.begin() + (t + 1) * kHeads * kDim);
    std::vector<T> kt(k.begin() + t * kKvHeads * kDim, k.begin() + (t + 1) * kKvHeads * kDim);
    const auto at = positions::from_offset(cache.next_position());
    rotary::rotate<pairing::half_split>(tensor_view<T, 3>(qt.data(), {1, kHeads, kDim}), table, at);
    rotary::rotate<pairing::half_split>(tensor_view<T, 3>(kt.data(), {1, kKvHeads, kDim}), table, at);
    cache.append(tensor_view<const T, 3>(kt.data(), {1, kKvHeads, kDim}),
                 tensor_view<const T, 3>(v.data() + t * kKvHeads * kDim, {1, kKvHeads, kDim}));
    rotary::attend_to_cache<T>(tensor_view<const T, 3>(qt.data(), {1, kHeads, kDim}), cache,
                               tensor_view<T, 3>(step.data(), {1, kHeads, kDim}));
    for (std::ptrdiff_t e = 0; e < kHeads * kDim; ++e)
      worst = std::max(worst, std::abs(double(step[e]) - double(full[t * kHeads * kDim + e])));
  }
  EXPECT_EQ(cache.size(), kTokens);
  EXPECT_LT(worst, tolerance<T>());
}

TYPED_TEST(KvCacheTest, ContextShiftEqualsRecomputing) {
  using T = TypeParam;
  const std::ptrdiff_t n = 40, drop = 13;
  rotary::cos_sin_table<T> table(kDim, n);
  auto k = random_vector<T>(n * kKvHeads * kDim, 21);
  auto v = random_vector<T>(n * kKvHeads * kDim, 22);
  kv_cache<T> cache(kKvHeads, kDim, n);
  auto kr = k;
  rotary::rotate<pairing::interleaved>(tensor_view<T, 3>(kr.data(), {n, kKvHeads, kDim}), table,
                                       positions::from_offset(0));
  cache.append(tensor_view<const T, 3>(kr.data(), {n, kKvHeads, kDim}),
               tensor_view<const T, 3>(v.data(), {n, kKvHeads, kDim}));
  cache.template context_shift<pairing::interleaved>(drop, table);
  EXPECT_EQ(cache.size(), n - drop);
  EXPECT_EQ(cache.first_position(), 0);
  // From scratch: the unrotated keys drop.. rotated at 0 .. n-drop-1.
  std::vector<T> fresh(k.begin() + drop * kKvHeads * kDim, k.end());
  rotary::rotate<pairing::interleaved>(tensor_view<T, 3>(fresh.data(), {n - drop, kKvHeads, kDim}),
                                       table, positions::from_offset(0));
  const auto keys = cache.keys();
  std::vector<T> cached(keys.data(), keys.data() + keys.size());
  EXPECT_LT(max_abs_diff(cached, fresh), 4 * tolerance<T>());
  const auto values = cache.values();
  EXPECT_EQ(std::vector<T>(values.data(), values.data() + values.size()),
            std::vector<T>(v.begin() + drop * kKvHeads * kDim, v.end()));
  // The next token decodes as if the sequence had started at the first kept token.
  EXPECT_EQ(cache.next_position(), n - drop);
}

// Keys rotated with a scaling scheme's table (cos/sin factor A in the rows) carry A once;
// the shift must keep it once, not multiply by A again.
TYPED_TEST(KvCacheTest, ContextShiftKeepsTheCosSinFactorOnce) {
  using T = TypeParam;
  const std::ptrdiff_t n = 40, drop = 13;
  rotary::scaled_frequencies f = rotary::scaling::default_rope(kDim);
  f.attention_factor = 1.3;
  const rotary::cos_sin_table<T> table(f, n);
  auto k = random_vector<T>(n * kKvHeads * kDim, 23);
  auto v = random_vector<T>(n * kKvHeads * kDim, 24);
  kv_cache<T> cache(kKvHeads, kDim, n);
  auto kr = k;
  const rotary::rope r(table, pairing::half_split);
  r.forward(tensor_view<T, 3>(kr.data(), {n, kKvHeads, kDim}), positions::from_offset(0));
  cache.append(tensor_view<const T, 3>(kr.data(), {n, kKvHeads, kDim}),
               tensor_view<const T, 3>(v.data(), {n, kKvHeads, kDim}));
  cache.template context_shift<pairing::half_split>(drop, table);
  std::vector<T> fresh(k.begin() + drop * kKvHeads * kDim, k.end());
  r.forward(tensor_view<T, 3>(fresh.data(), {n - drop, kKvHeads, kDim}), positions::from_offset(0));
  const auto keys = cache.keys();
  std::vector<T> cached(keys.data(), keys.data() + keys.size());
  EXPECT_LT(max_abs_diff(cached, fresh), 8 * tolerance<T>());  // A^2 would be off by 30%
}

TEST(KvCacheTest, DropOldestKeepsPositions) {
  kv_cache<double> cache(1, 2, 4);
  std::vector<double> kv = {1, 2, 3, 4, 5, 6};
  cache.append(tensor_view<const double, 3>(kv.data(), {3, 1, 2}),
               tensor_view<const double, 3>(kv.data(), {3, 1, 2}));
  cache.drop_oldest(2);
  EXPECT_EQ(cache.size(), 1);
  EXPECT_EQ(cache.first_position(), 2);
  EXPECT_EQ(cache.keys()(0, 0, 0), 5);
}

TEST(KvCacheTest, Errors) {
  kv_cache<float> cache(2, 4, 2);
  std::vector<float> x(32, 1.0f);
  tensor_view<const float, 3> three(x.data(), {3, 2, 4}), one(x.data(), {1, 2, 4});
  tensor_view<const float, 3> wrong_heads(x.data(), {1, 1, 4});
  EXPECT_THROW(cache.append(three, three), rotary::invalid_argument);        // full
  EXPECT_THROW(cache.append(wrong_heads, wrong_heads), rotary::invalid_argument);
  EXPECT_THROW(cache.append(one, three), rotary::invalid_argument);          // v tokens
  EXPECT_THROW(cache.drop_oldest(1), rotary::invalid_argument);              // empty
  rotary::cos_sin_table<float> table(4, 8);
  EXPECT_THROW(cache.shift_positions<pairing::half_split>(1, table), rotary::invalid_argument);
  EXPECT_THROW(kv_cache<float>(3, 0, 4), rotary::invalid_argument);
}

TEST(KvCacheRerotate, MovesEveryKeyAtItsPosition) {
  const shape s{40, 2, 32, 0};
  const auto raw = random_keys(s, 11);
  // A LongRoPE-like short -> long switch, with a cos/sin factor change.
  const auto from = longrope_like(0.01, 32, 1.0), to = longrope_like(0.7, 32, 1.3);
  rotary::kv_cache<float> cache(s.heads, s.head_dim, 64);
  const std::vector<float> keys = stored<float>(rotated(raw, s, 0, from, pairing::interleaved));
  const std::vector<float> values(keys.size(), 1.0f);
  cache.append(rotary::tensor_view<const float, 3>(keys.data(), {s.tokens, s.heads, s.head_dim}),
               rotary::tensor_view<const float, 3>(values.data(), {s.tokens, s.heads, s.head_dim}));
  cache.drop_oldest(10);  // the cached tokens now sit at positions 10 .. 39
  cache.rerotate_keys<pairing::interleaved>(from, to);
  const shape rest{30, 2, 32, 0};
  const std::vector<float> raw_rest(raw.begin() + 10 * 64, raw.end());
  const auto want = rotated(raw_rest, rest, 10, to, pairing::interleaved);
  const auto k = cache.keys();
  std::vector<float> got(k.data(), k.data() + want.size());
  EXPECT_LT(max_error(got, want), 2e-5);
  expect_error([&] { cache.rerotate_keys<pairing::interleaved>(from, longrope_like(0.1, 16, 1.0)); },
               "kv_cache::rerotate_keys: from and to must rotate the same number of pairs");
}

// context_shift checks everything (count, the angle source against head_dim, the positions
// the keys move by) before it drops a token: after a throw the cache holds the same tokens,
// keys, values and positions. The messages name context_shift.
TEST(KvCacheTest, ContextShiftThrowsBeforeDroppingTokens) {
  const std::ptrdiff_t n = 4;
  const auto k = random_vector<float>(n * 2 * 4, 51), v = random_vector<float>(n * 2 * 4, 52);
  kv_cache<float> cache(2, 4, 8);
  cache.append(tensor_view<const float, 3>(k.data(), {n, 2, 4}),
               tensor_view<const float, 3>(v.data(), {n, 2, 4}));
  cache.drop_oldest(1);
  const auto contents = [&cache] {
    const auto keys = cache.keys(), values = cache.values();
    return std::vector<std::vector<float>>{
        std::vector<float>(keys.data(), keys.data() + keys.size()),
        std::vector<float>(values.data(), values.data() + values.size())};
  };
  const auto before = contents();
  const auto unchanged = [&](const char* what) {
    EXPECT_EQ(cache.size(), n - 1) << what;
    EXPECT_EQ(cache.first_position(), 1) << what;
    EXPECT_EQ(contents(), before) << what;
  };
  const rotary::cos_sin_table<float> wide(8, 16);  // rotary_dim 8 > head_dim 4
  for (std::ptrdiff_t count : {0, 2, 3}) {  // also with nothing to move: checked all the same
    expect_error([&] { cache.context_shift<pairing::half_split>(count, wide); },
                 "kv_cache::context_shift: rotary_offset + rotary_dim must be <= head_dim");
    unchanged("wide table");
  }
  const rotary::cos_sin_table<float> table(4, 16);
  expect_error([&] { cache.context_shift<pairing::half_split>(1, table, 2); },
               "kv_cache::context_shift: rotary_offset + rotary_dim must be <= head_dim");
  unchanged("rotary_offset");
  expect_error([&] { cache.context_shift<pairing::half_split>(4, table); },
               "kv_cache::context_shift: count must be in [0, 3], got 4");
  unchanged("count");
  const rotary::cos_sin_table<float> short_table(4, 2);  // positions 0 and 1 only
  EXPECT_THROW(cache.context_shift<pairing::half_split>(2, short_table), rotary::out_of_range);
  unchanged("position past the table");

  kv_cache<double> odd(1, 3, 4);  // odd head_dim: no RoPE pairs
  const std::vector<double> x(9, 1.0);
  odd.append(tensor_view<const double, 3>(x.data(), {3, 1, 3}),
             tensor_view<const double, 3>(x.data(), {3, 1, 3}));
  const rotary::cos_sin_table<double> t2(2, 8);
  expect_error([&] { odd.context_shift<pairing::interleaved>(2, t2); },
               "kv_cache::context_shift: k head_dim must be even and > 0, got 3");
  EXPECT_EQ(odd.size(), 3);
  EXPECT_EQ(odd.first_position(), 0);
  expect_error([&] { odd.shift_positions<pairing::interleaved>(0, t2); },
               "kv_cache::shift_positions: k head_dim must be even and > 0, got 3");
}

TEST(KvCacheTest, ConstructorRejectsBadValueDimAndOverflowingSizes) {
  expect_error([] { kv_cache<float>(2, 4, 8, -1); }, "kv_cache: v_head_dim must be > 0, got -1");
  expect_error([] { kv_cache<float>(2, 4, 8, -5); }, "kv_cache: v_head_dim must be > 0, got -5");
  expect_error([] { kv_cache<float>(2, 4, 8, 0); }, "kv_cache: v_head_dim must be > 0, got 0");
  EXPECT_EQ(kv_cache<float>(2, 4, 8).values().extent(2), 4);  // the default: head_dim
  kv_cache<float> narrow(2, 4, 8, 6);
  std::vector<float> x(2 * 6, 1.0f);
  narrow.append(tensor_view<const float, 3>(x.data(), {1, 2, 4}),
                tensor_view<const float, 3>(x.data(), {1, 2, 6}));
  EXPECT_EQ(narrow.values().extent(2), 6);
  // 2^32 * 2^32 * 2^16 wraps to 0 in 64 bits; 2^61 floats fit ptrdiff_t but not a vector.
  const std::ptrdiff_t big = std::ptrdiff_t(1) << 32;
  expect_error([&] { kv_cache<float>(big, std::ptrdiff_t(1) << 16, big); },
               "kv_cache: capacity * num_kv_heads * head_dim is too large");
  expect_error([&] { kv_cache<float>(1, 1, std::ptrdiff_t(1) << 61); },
               "kv_cache: capacity * num_kv_heads * head_dim is too large");
  expect_error([&] { kv_cache<float>(1, 1, std::ptrdiff_t(1) << 20, std::ptrdiff_t(1) << 62); },
               "kv_cache: capacity * num_kv_heads * v_head_dim is too large");
}

TEST(KvCacheTest, AttendToCacheErrorsNameIt) {
  kv_cache<float> cache(1, 4, 4);
  std::vector<float> x(8, 1.0f), out(8, -3.0f);
  cache.append(tensor_view<const float, 3>(x.data(), {2, 1, 4}),
               tensor_view<const float, 3>(x.data(), {2, 1, 4}));
  // Two heads of out at one address.
  expect_error([&] {
    rotary::attend_to_cache<float>(tensor_view<const float, 3>(x.data(), {1, 2, 4}), cache,
                                   tensor_view<float, 3>(out.data(), {1, 2, 4}, {8, 0, 1}));
  }, "attend_to_cache: out has (token, head) rows that share elements");
  EXPECT_EQ(out, std::vector<float>(8, -3.0f));
}

// kv_cache and attend_to_cache live in the ISA's inline namespace (config.hpp).
TEST(KvCacheTest, LivesInTheIsaNamespace) {
  static_assert(std::is_same_v<rotary::ROTARY_ISA_NAMESPACE::kv_cache<float>, kv_cache<float>>);
  EXPECT_NE(std::string(typeid(kv_cache<double>).name())
                .find(ROTARY_STRINGIFY(ROTARY_ISA_NAMESPACE)),
            std::string::npos)
      << typeid(kv_cache<double>).name();
  void (*f)(tensor_view<const float, 3>, const kv_cache<float>&, tensor_view<float, 3>,
            attention_options<float>) = &rotary::ROTARY_ISA_NAMESPACE::attend_to_cache<float>;
  EXPECT_NE(f, nullptr);
}

}  // namespace

// append_rotated (the fused RoPE + cache write) is bitwise rotate-then-append, token by
// token across a prefill and decode steps, and checks before writing.
TYPED_TEST(KvCacheTest, AppendRotatedIsRotateThenAppend) {
  using T = TypeParam;
  const std::ptrdiff_t n = 21;
  rotary::cos_sin_table<T> table(kDim, 64);
  const auto k = random_vector<T>(n * kKvHeads * kDim, 31);
  const auto v = random_vector<T>(n * kKvHeads * kDim, 32);
  kv_cache<T> fused(kKvHeads, kDim, 32), plain(kKvHeads, kDim, 32);
  auto kr = k;
  rotary::rotate<pairing::half_split>(tensor_view<T, 3>(kr.data(), {n, kKvHeads, kDim}), table,
                                      positions::from_offset(0));
  plain.append(tensor_view<const T, 3>(kr.data(), {n, kKvHeads, kDim}),
               tensor_view<const T, 3>(v.data(), {n, kKvHeads, kDim}));
  const std::ptrdiff_t prefill = 17, row = kKvHeads * kDim;
  fused.template append_rotated<pairing::half_split>(
      tensor_view<const T, 3>(k.data(), {prefill, kKvHeads, kDim}),
      tensor_view<const T, 3>(v.data(), {prefill, kKvHeads, kDim}), table);
  for (std::ptrdiff_t t = prefill; t < n; ++t) {
    fused.template append_rotated<pairing::half_split>(
        tensor_view<const T, 3>(k.data() + t * row, {1, kKvHeads, kDim}),
        tensor_view<const T, 3>(v.data() + t * row, {1, kKvHeads, kDim}), table);
  }
  const auto a = fused.keys(), b = plain.keys();
  EXPECT_EQ(std::vector<T>(a.data(), a.data() + a.size()), std::vector<T>(b.data(), b.data() + b.size()));
  const auto va = fused.values(), vb = plain.values();
  EXPECT_EQ(std::vector<T>(va.data(), va.data() + va.size()), std::vector<T>(vb.data(), vb.data() + vb.size()));
  kv_cache<T> full(kKvHeads, kDim, 4);
  EXPECT_THROW(full.template append_rotated<pairing::half_split>(
                   tensor_view<const T, 3>(k.data(), {5, kKvHeads, kDim}),
                   tensor_view<const T, 3>(v.data(), {5, kKvHeads, kDim}), table),
               rotary::invalid_argument);
  EXPECT_EQ(full.size(), 0);
  // The rotation's errors name append_rotated too: a 16-row table past its end.
  kv_cache<T> big(kKvHeads, kDim, 32);
  const rotary::cos_sin_table<T> short_table(kDim, 16);
  try {
    big.template append_rotated<pairing::half_split>(
        tensor_view<const T, 3>(k.data(), {n, kKvHeads, kDim}),
        tensor_view<const T, 3>(v.data(), {n, kKvHeads, kDim}), short_table);
    ADD_FAILURE() << "no error for positions 0..20 in a 16-row table";
  } catch (const rotary::out_of_range& e) {
    EXPECT_EQ(std::string(e.what()).rfind("kv_cache::append_rotated: ", 0), 0u) << e.what();
  }
  EXPECT_EQ(big.size(), 0);
  const rotary::cos_sin_table<T> wide_table(kDim + 2, 64);  // rotary_dim past head_dim
  expect_error(
      [&] {
        big.template append_rotated<pairing::half_split>(
            tensor_view<const T, 3>(k.data(), {1, kKvHeads, kDim}),
            tensor_view<const T, 3>(v.data(), {1, kKvHeads, kDim}), wide_table);
      },
      "kv_cache::append_rotated: ");
  EXPECT_EQ(big.size(), 0);
}
