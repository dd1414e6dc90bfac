// Every rotary 0.1 entry point (deprecated.hpp) gives bitwise the result of the rope call
// README's migration table maps it to, and names itself in its errors.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "test_util.hpp"

namespace {

using rotary::pairing;
using rotary::positions;

constexpr std::ptrdiff_t T = 6, H = 4, HKV = 2, D = 40, RD = 32, OFF = 4;

struct fixture {
  rotary::cos_sin_table<float> table{RD, 64};
  std::vector<float> q = rotary_test::random_vector<float>(T * H * D, 1);
  std::vector<float> k = rotary_test::random_vector<float>(T * HKV * D, 2);
  positions pos = positions::from_offset(9);
  rotary::rope_options options() const {
    rotary::rope_options o;
    o.rotary_offset = OFF;
    return o;
  }
  rotary::tensor_view<float, 3> qv(std::vector<float>& v) const { return {v.data(), {T, H, D}}; }
  rotary::tensor_view<float, 3> kv(std::vector<float>& v) const { return {v.data(), {T, HKV, D}}; }
};

template <pairing P>
void expect_forwarders_match_the_rope() {
  fixture f;
  const rotary::rope r(f.table, P, f.options());
  auto twin = [](std::vector<float> v) { return v; };
  {  // rotate_transpose, unrotate: in place and out of place
    std::vector<float> a = f.q, b = f.q, c(f.q.size()), d(f.q.size());
    rotary::rotate_transpose<P>(f.qv(a), f.table, f.pos, OFF);
    r.transpose(f.qv(b), f.pos);
    EXPECT_TRUE(rotary_test::bitwise_equal(a, b));
    std::vector<float> in = twin(f.q);
    rotary::unrotate<P>(rotary::tensor_view<const float, 3>(f.qv(in)), f.qv(c), f.table, f.pos,
                        OFF);
    r.inverse(rotary::tensor_view<const float, 3>(f.qv(in)), f.qv(d), f.pos);
    EXPECT_TRUE(rotary_test::bitwise_equal(c, d));
  }
  {  // rotate_qk, rotate_qk_transpose, threaded rotate_qk
    std::vector<float> q1 = f.q, k1 = f.k, q2 = f.q, k2 = f.k, q3 = f.q, k3 = f.k;
    rotary::rotate_qk<P>(f.qv(q1), f.kv(k1), f.table, f.pos, OFF);
    r.forward(rotary::query(f.qv(q2)), rotary::key(f.kv(k2)), f.pos);
    EXPECT_TRUE(rotary_test::bitwise_equal(q1, q2) && rotary_test::bitwise_equal(k1, k2));
    rotary::execution ex = rotary::threads(3);
    ex.min_elements_per_thread = 0;
    rotary::rotate_qk<P>(ex, f.qv(q3), f.kv(k3), f.table, f.pos, OFF);
    EXPECT_TRUE(rotary_test::bitwise_equal(q1, q3) && rotary_test::bitwise_equal(k1, k3));
    rotary::rotate_qk_transpose<P>(f.qv(q1), f.kv(k1), f.table, f.pos, OFF);
    r.transpose(rotary::query(f.qv(q2)), rotary::key(f.kv(k2)), f.pos);
    EXPECT_TRUE(rotary_test::bitwise_equal(q1, q2) && rotary_test::bitwise_equal(k1, k2));
  }
  {  // run-time pairing and threads
    std::vector<float> a = f.q, b = f.q, c = f.q;
    rotary::rotate(P, f.qv(a), f.table, f.pos, OFF);
    rotary::rotate<P>(rotary::threads(2), f.qv(b), f.table, f.pos, OFF);
    r.forward(f.qv(c), f.pos);
    EXPECT_TRUE(rotary_test::bitwise_equal(a, c) && rotary_test::bitwise_equal(b, c));
  }
  {  // rank 4 with batch_positions
    std::vector<float> a = f.q, b = f.q;
    const std::int64_t starts[2] = {3, 20};
    rotary::rotate<P>(rotary::bshd_view(a.data(), 2, T / 2, H, D), f.table,
                      rotary::batch_positions::from_starts(starts, 2), OFF);
    r.forward(rotary::bshd_view(b.data(), 2, T / 2, H, D), positions::from_starts(starts, 2));
    EXPECT_TRUE(rotary_test::bitwise_equal(a, b));
  }
}

TEST(Deprecated, ForwardersMatchTheRopeInterleaved) {
  expect_forwarders_match_the_rope<pairing::interleaved>();
}
TEST(Deprecated, ForwardersMatchTheRopeHalfSplit) {
  expect_forwarders_match_the_rope<pairing::half_split>();
}

TEST(Deprecated, HalfIsHalfSplitAndErrorsNameTheOldCall) {
  static_assert(pairing::half == pairing::half_split);
  fixture f;
  std::vector<float> x = f.q;
  try {
    rotary::rotate_transpose<pairing::half>(f.qv(x), f.table, positions::from_offset(100), OFF);
    FAIL() << "no throw";
  } catch (const rotary::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("rotate_transpose"), std::string::npos) << e.what();
  }
}

}  // namespace
