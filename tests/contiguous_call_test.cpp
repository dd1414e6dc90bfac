// The contiguous-call path (detail/contiguous_call.hpp): it takes exactly the calls it is
// for (one contiguous operand, from_offset positions inside the table, one thread, no
// pass-through copy) and declines every other (the general path then checks and throws);
// what it writes is bitwise what the general path writes.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

using rotary::pairing;
using rotary::positions;
using namespace rotary::detail;

template <class T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

template <pairing P, class I, class O, std::size_t R>
bool taken(const rotary::cos_sin_table<float>& table, const positions& pos,
           const slice_geometry& g, const rotary::operand<I, O, R>& op, int threads = 1) {
  rotary::execution ex;
  ex.threads = threads;
  return rotate_contiguous<P, false, float>(ex, table.view(), pos, g, op);
}

TEST(ContiguousCall, TakesItsCallsAndDeclinesTheRest) {
  const rotary::cos_sin_table<float> table(64, 16);
  const slice_geometry whole{0, 32, 32};
  std::vector<float> a(4 * 3 * 64, 0.5f), b(a.size() + 64, 0.0f);
  const auto x = rotary_test::view3(a, 4, 3, 64);
  const auto y = rotary_test::view3(b, 4, 3, 64);
  constexpr pairing H = pairing::half_split;
  EXPECT_TRUE(taken<H>(table, positions::from_offset(12), whole, rotary::in_place(x)));
  EXPECT_TRUE(taken<H>(table, positions::from_offset(0), whole, rotary::out_of_place(x, y)));
  // Declined: positions past the table, negative, not an offset; threads; a strided view;
  // overlapping in and out; a pass-through copy; an empty view; an odd head_dim.
  EXPECT_FALSE(taken<H>(table, positions::from_offset(13), whole, rotary::in_place(x)));
  EXPECT_FALSE(taken<H>(table, positions::from_offset(-1), whole, rotary::in_place(x)));
  const std::int64_t ids[] = {0, 1, 2, 3};
  EXPECT_FALSE(taken<H>(table, positions::from_ids(ids, 4), whole, rotary::in_place(x)));
  EXPECT_FALSE(taken<H>(table, positions::from_offset(0), whole, rotary::in_place(x), 2));
  const rotary::tensor_view<float, 3> strided(a.data(), {4, 2, 64}, {192, 96, 1});
  EXPECT_FALSE(taken<H>(table, positions::from_offset(0), whole, rotary::in_place(strided)));
  const auto shifted = rotary::tensor_view<float, 3>(a.data() + 64, {3, 3, 64});
  EXPECT_FALSE(taken<H>(table, positions::from_offset(0), whole,
                        rotary::out_of_place(rotary_test::view3(a, 3, 3, 64), shifted)));
  std::vector<float> c(4 * 3 * 96, 0.5f), e(c.size(), 0.0f);
  EXPECT_FALSE(taken<H>(table, positions::from_offset(0), whole,
                        rotary::out_of_place(rotary_test::view3(c, 4, 3, 96),
                                             rotary_test::view3(e, 4, 3, 96))));
  EXPECT_TRUE(taken<H>(table, positions::from_offset(0), whole,
                       rotary::in_place(rotary_test::view3(c, 4, 3, 96))));  // partial in place
  EXPECT_FALSE(taken<H>(table, positions::from_offset(0), whole,
                        rotary::in_place(rotary_test::view3(a, 0, 3, 64))));
  EXPECT_FALSE(taken<H>(table, positions::from_offset(0), whole,
                        rotary::in_place(rotary::tensor_view<float, 3>(a.data(), {2, 3, 63}))));
  EXPECT_FALSE(taken<H>(table, positions::from_offset(0), slice_geometry{8, 32, 32},
                        rotary::in_place(x)));  // the slice past head_dim
}

TEST(ContiguousCall, QueryKeyPairs) {
  const rotary::cos_sin_table<float> table(64, 16);
  const slice_geometry whole{0, 32, 32};
  constexpr pairing H = pairing::half_split;
  std::vector<float> q(4 * 8 * 64, 0.5f), k(4 * 2 * 64, 0.25f), k2(k.size() + 64, 0.0f);
  const auto qv = rotary_test::view3(q, 4, 8, 64);
  const auto kv = rotary_test::view3(k, 4, 2, 64);
  rotary::execution ex;
  auto pair_taken = [&](const auto& a, const auto& b) {
    return rotate_contiguous<H, false, float>(ex, table.view(), positions::from_offset(3), whole, a, b);
  };
  EXPECT_TRUE(pair_taken(rotary::query(qv), rotary::key(kv)));
  EXPECT_TRUE(pair_taken(rotary::key(kv), rotary::query(qv)));
  EXPECT_TRUE(pair_taken(rotary::query(qv), rotary::key(kv, rotary_test::view3(k2, 4, 2, 64))));
  // Declined: 3 kv heads do not divide 8; k written over q; a different token count.
  std::vector<float> k3(4 * 3 * 64, 0.25f);
  EXPECT_FALSE(pair_taken(rotary::query(qv), rotary::key(rotary_test::view3(k3, 4, 3, 64))));
  EXPECT_FALSE(pair_taken(rotary::query(qv), rotary::key(kv, rotary_test::view3(q, 4, 2, 64))));
  EXPECT_FALSE(pair_taken(rotary::query(qv), rotary::key(rotary_test::view3(k, 2, 4, 64))));
  // The same bytes as the general path (position ids 3, 4, 5, 6).
  const std::int64_t ids[] = {3, 4, 5, 6};
  const rotary::rope r(table, H);
  std::vector<float> q_fast = rotary_test::random_vector<float>(q.size(), 3), k_fast = rotary_test::random_vector<float>(k.size(), 4);
  std::vector<float> q_general = q_fast, k_general = k_fast;
  r.forward(rotary::query(rotary_test::view3(q_fast, 4, 8, 64)), rotary::key(rotary_test::view3(k_fast, 4, 2, 64)),
            positions::from_offset(3));
  r.forward(rotary::query(rotary_test::view3(q_general, 4, 8, 64)),
            rotary::key(rotary_test::view3(k_general, 4, 2, 64)), positions::from_ids(ids, 4));
  EXPECT_TRUE(same_bytes(q_fast, q_general));
  EXPECT_TRUE(same_bytes(k_fast, k_general));
}

template <class T>
void expect_same_as_general_path(std::ptrdiff_t tokens, std::ptrdiff_t heads,
                                 std::ptrdiff_t head_dim, std::ptrdiff_t rotary_dim,
                                 std::ptrdiff_t offset) {
  const rotary::cos_sin_table<float> table(rotary_dim, 64);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(tokens));
  std::iota(ids.begin(), ids.end(), std::int64_t{9});
  const std::vector<double> d = rotary_test::random_vector<double>(
      static_cast<std::size_t>(tokens * heads * head_dim), 5);
  std::vector<T> in(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) in[i] = static_cast<T>(static_cast<float>(d[i]));
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    for (rotary::direction dir : {rotary::direction::forward, rotary::direction::inverse}) {
      rotary::rope_options options;
      options.rotary_offset = offset;
      const rotary::rope r(table, p, options);
      const std::string what = std::string(rotary::to_string(p)) + " " + rotary::to_string(dir) +
                               " " + std::to_string(tokens) + "x" + std::to_string(heads) + "x" +
                               std::to_string(head_dim);
      std::vector<T> fast = in, general = in;
      r.apply(dir, rotary_test::view3(fast, tokens, heads, head_dim), positions::from_offset(9));
      r.apply(dir, rotary_test::view3(general, tokens, heads, head_dim),
              positions::from_ids(ids.data(), tokens));
      EXPECT_TRUE(same_bytes(fast, general)) << what << " in place";
      if (offset == 0 && rotary_dim == head_dim) {
        std::vector<T> out(in.size()), out_general(in.size());
        r.apply(dir, rotary_test::cview3(in, tokens, heads, head_dim),
                rotary_test::view3(out, tokens, heads, head_dim), positions::from_offset(9));
        r.apply(dir, rotary_test::cview3(in, tokens, heads, head_dim),
                rotary_test::view3(out_general, tokens, heads, head_dim),
                positions::from_ids(ids.data(), tokens));
        EXPECT_TRUE(same_bytes(out, out_general)) << what << " out of place";
      }
    }
  }
}

TEST(ContiguousCall, BitwiseTheGeneralPath) {
  expect_same_as_general_path<float>(1, 8, 64, 64, 0);
  expect_same_as_general_path<float>(5, 3, 80, 80, 0);
  expect_same_as_general_path<float>(3, 2, 96, 32, 16);  // partial, in place
  expect_same_as_general_path<rotary::bfloat16>(4, 4, 128, 128, 0);
}

}  // namespace
