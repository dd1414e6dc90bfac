// The rope object's call grid against rotate_reference (its plain scalar twin):
// storage types x pairing x direction x rank x in place / out of place x threads x q+k,
// and the properties that tie the fast paths together: threads are bitwise one thread,
// 16-bit results are the float path rounded once, a pair subset is RoPE with zero
// frequencies (HF's formulation of Gemma's proportional RoPE), tables may grow under a rope.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

using rotary::bfloat16;
using rotary::direction;
using rotary::float16;
using rotary::pairing;
using rotary::positions;

// ---- values of any storage type --------------------------------------------------------

template <class T>
double to_double(T v) {
  return static_cast<double>(static_cast<rotary::compute_type_t<T>>(v));
}
template <class T>
T from_double(double v) {
  return static_cast<T>(static_cast<rotary::compute_type_t<T>>(v));
}
/// Significand bits of T (for the one-rounding tolerance of its results).
template <class T>
constexpr int significand_bits() {
  if constexpr (std::is_same_v<T, bfloat16>) return 8;
  if constexpr (std::is_same_v<T, float16>) return 11;
  return std::numeric_limits<T>::digits;
}
template <class T>
std::vector<T> random_data(std::size_t n, std::uint64_t seed) {
  const std::vector<double> d = rotary_test::random_vector<double>(n, seed);
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = from_double<T>(d[i]);
  return v;
}
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

/// |fast - reference| <= both computed in C from the same inputs (a few C ulp of the
/// input scale), plus one rounding of Out where Out is narrower than C.
template <class Out>
void expect_close(const std::vector<Out>& fast, const std::vector<Out>& ref,
                  const std::string& what) {
  using C = rotary::compute_type_t<Out>;
  ASSERT_EQ(fast.size(), ref.size());
  for (std::size_t i = 0; i < fast.size(); ++i) {
    const double r = to_double(ref[i]);
    const double ulp_out = std::ldexp(std::abs(r) + 1e-30, 1 - significand_bits<Out>());
    const double tol = 8.0 * std::numeric_limits<C>::epsilon() +
                       (significand_bits<Out>() < std::numeric_limits<C>::digits ? ulp_out : 0.0);
    ASSERT_NEAR(to_double(fast[i]), r, tol) << what << " at element " << i;
  }
}

// ---- the grid --------------------------------------------------------------------------

struct shape {
  std::ptrdiff_t batch, seq, heads, kv_heads, head_dim;
};

/// A BHSD-strided rank-4 view (memory [batch][heads][seq][head_dim]) or a rank-3 view with
/// padded tokens, over v.
template <std::size_t R, class T>
rotary::tensor_view<T, R> make_view(T* data, const shape& s, std::ptrdiff_t heads) {
  if constexpr (R == 4) {
    return rotary::bhsd_view(data, s.batch, heads, s.seq, s.head_dim);
  } else {
    // [tokens][heads][head_dim] with 2 elements of padding per token.
    return rotary::tensor_view<T, 3>(data, {s.seq, heads, s.head_dim},
                                     {heads * s.head_dim + 2, s.head_dim, 1});
  }
}
std::size_t storage_size(const shape& s, std::ptrdiff_t heads) {
  return static_cast<std::size_t>(s.batch * s.seq * (heads * s.head_dim + 2));
}

template <std::size_t R>
positions grid_positions(const shape& s, std::vector<std::int64_t>& storage) {
  if constexpr (R == 4) {
    storage = {3, 0, 11};
    storage.resize(static_cast<std::size_t>(s.batch), 5);
    return positions::from_starts(storage.data(), s.batch);
  } else {
    storage.clear();
    for (std::ptrdiff_t t = 0; t < s.seq; ++t) storage.push_back((t * 7) % 29);
    return positions::from_ids(storage.data(), s.seq);
  }
}

/// An output buffer: a copy of the input where the types agree (so that padding, which no
/// call writes, compares equal between in place and out of place), zeros otherwise.
template <class Out, class In>
std::vector<Out> initial_output(const std::vector<In>& in) {
  if constexpr (std::is_same_v<In, Out>) {
    return in;
  } else {
    return std::vector<Out>(in.size(), from_double<Out>(0.0));
  }
}

template <class In, class Out, std::size_t R>
void run_grid(const shape& s) {
  using C = rotary::compute_type_t<In>;
  const rotary::cos_sin_table<C> table(s.head_dim - 4, 40);  // partial: offset 2 + 2 spare
  std::vector<std::int64_t> pos_storage;
  const positions pos = grid_positions<R>(s, pos_storage);
  const std::vector<In> q_in = random_data<In>(storage_size(s, s.heads), 1);
  const std::vector<In> k_in = random_data<In>(storage_size(s, s.kv_heads), 2);
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    for (direction d : {direction::forward, direction::transpose, direction::inverse}) {
      for (int threads : {1, 3}) {
        rotary::rope_options options;
        options.rotary_offset = 2;
        options.execution.threads = threads;
        options.execution.min_elements_per_thread = 0;  // threads even for tiny work
        const rotary::rope r(table, p, options);
        const std::string what = std::string(rotary::to_string(p)) + " " +
                                 rotary::to_string(d) + " rank " + std::to_string(R) +
                                 " threads " + std::to_string(threads);
        auto q_view = [&](auto* data) { return make_view<R>(data, s, s.heads); };
        auto k_view = [&](auto* data) { return make_view<R>(data, s, s.kv_heads); };

        // Reference, out of place.
        std::vector<Out> q_ref = initial_output<Out>(q_in), k_ref = initial_output<Out>(k_in);
        rotary::rotate_reference(r, d, q_view(q_in.data()), q_view(q_ref.data()), pos);
        rotary::rotate_reference(r, d, k_view(k_in.data()), k_view(k_ref.data()), pos);

        // One operand, out of place.
        std::vector<Out> q_out = initial_output<Out>(q_in);
        r.apply(d, q_view(q_in.data()), q_view(q_out.data()), pos);
        expect_close(q_out, q_ref, what + " out of place");

        // q and k together, out of place, with roles.
        std::vector<Out> q2 = initial_output<Out>(q_in), k2 = initial_output<Out>(k_in);
        r.apply(d, rotary::query(q_view(q_in.data()), q_view(q2.data())),
                rotary::key(k_view(k_in.data()), k_view(k2.data())), pos);
        EXPECT_TRUE(same_bits(q2, q_out)) << what << " q+k: q differs from q alone";
        expect_close(k2, k_ref, what + " q+k: k");

        if constexpr (std::is_same_v<In, Out>) {
          // In place, one operand and q+k.
          std::vector<In> x = q_in;
          r.apply(d, q_view(x.data()), pos);
          EXPECT_TRUE(same_bits(x, q_out)) << what << " in place differs from out of place";
          std::vector<In> qx = q_in, kx = k_in;
          r.apply(d, rotary::query(q_view(qx.data())), rotary::key(k_view(kx.data())), pos);
          EXPECT_TRUE(same_bits(qx, q_out)) << what << " q+k in place";
          EXPECT_TRUE(same_bits(kx, k2)) << what << " q+k in place: k";
        }
        if (threads > 1) {
          rotary::rope_options one = options;
          one.execution.threads = 1;
          std::vector<Out> single = initial_output<Out>(q_in);
          rotary::rope(table, p, one).apply(d, q_view(q_in.data()), q_view(single.data()), pos);
          EXPECT_TRUE(same_bits(single, q_out)) << what << " threads differ from one thread";
        }
      }
    }
  }
}

const shape grid_shape{3, 5, 4, 2, 20};  // rotary_dim 16 at offset 2 of head_dim 20

TEST(RopeGrid, Float) {
  run_grid<float, float, 3>(grid_shape);
  run_grid<float, float, 4>(grid_shape);
}
TEST(RopeGrid, Double) {
  run_grid<double, double, 3>(grid_shape);
  run_grid<double, double, 4>(grid_shape);
}
TEST(RopeGrid, BFloat16) {
  run_grid<bfloat16, bfloat16, 3>(grid_shape);
  run_grid<bfloat16, bfloat16, 4>(grid_shape);
}
TEST(RopeGrid, Float16) {
  run_grid<float16, float16, 3>(grid_shape);
  run_grid<float16, float16, 4>(grid_shape);
}
TEST(RopeGrid, MixedStorage) {
  run_grid<float, bfloat16, 3>(grid_shape);  // a 16-bit KV cache written from float keys
  run_grid<bfloat16, float, 4>(grid_shape);
  run_grid<float, float16, 4>(grid_shape);
  run_grid<float16, float, 3>(grid_shape);
}
TEST(RopeGrid, HeadDimsModelsUse) {
  // Register-resident widths (whole vectors) and tails, both pairings, a decode token.
  for (std::ptrdiff_t head_dim : {64, 80, 96, 128, 256}) {
    run_grid<float, float, 3>(shape{1, 1, 8, 2, head_dim + 4});
    run_grid<bfloat16, bfloat16, 3>(shape{1, 2, 8, 8, head_dim + 4});
  }
}

// ---- 16-bit results are the float path rounded once --------------------------------------

template <class S>
void expect_float_path_rounded_once(pairing p) {
  const std::ptrdiff_t tokens = 7, heads = 5, head_dim = 72;
  const rotary::cos_sin_table<float> table(64, 64);
  rotary::rope_options options;
  options.rotary_offset = 4;
  const rotary::rope r(table, p, options);
  const std::size_t n = static_cast<std::size_t>(tokens * heads * head_dim);
  // Inputs spanning the 16-bit range, with subnormals, zeros of both signs.
  std::vector<S> in = random_data<S>(n, 9);
  for (std::size_t i = 0; i < n; i += 5) in[i] = from_double<S>(to_double(in[i]) * 1e-6);
  in[0] = from_double<S>(-0.0);
  std::vector<float> widened(n);
  for (std::size_t i = 0; i < n; ++i) widened[i] = static_cast<float>(in[i]);
  const auto pos = positions::from_offset(50);
  for (direction d : {direction::forward, direction::transpose}) {
    std::vector<float> f(n);
    r.apply(d, rotary_test::cview3(widened, tokens, heads, head_dim),
            rotary_test::view3(f, tokens, heads, head_dim), pos);
    std::vector<S> expected(n);
    for (std::size_t i = 0; i < n; ++i) expected[i] = S(f[i]);
    std::vector<S> out(n);
    r.apply(d, rotary_test::cview3(in, tokens, heads, head_dim),
            rotary_test::view3(out, tokens, heads, head_dim), pos);
    EXPECT_TRUE(same_bits(out, expected)) << "16-bit in, 16-bit out";
    std::vector<S> from_float(n);
    r.apply(d, rotary_test::cview3(widened, tokens, heads, head_dim),
            rotary_test::view3(from_float, tokens, heads, head_dim), pos);
    EXPECT_TRUE(same_bits(from_float, expected)) << "float in, 16-bit out";
    std::vector<float> to_float(n);
    r.apply(d, rotary_test::cview3(in, tokens, heads, head_dim),
            rotary_test::view3(to_float, tokens, heads, head_dim), pos);
    EXPECT_TRUE(rotary_test::bitwise_equal(to_float, f)) << "16-bit in, float out";
  }
}

TEST(RopeStorage, BFloat16IsTheFloatPathRoundedOnce) {
  expect_float_path_rounded_once<bfloat16>(pairing::interleaved);
  expect_float_path_rounded_once<bfloat16>(pairing::half_split);
}
TEST(RopeStorage, Float16IsTheFloatPathRoundedOnce) {
  expect_float_path_rounded_once<float16>(pairing::interleaved);
  expect_float_path_rounded_once<float16>(pairing::half_split);
}

TEST(RopeStorage, NanStaysNanAndFloat16OverflowIsInf) {
  const rotary::cos_sin_table<float> table(8, 8);
  const rotary::rope r(table, pairing::half_split);
  // Position 1 rotates pair 0 by 1 radian: (a, b) = (60000, 60000) -> b' = a sin + b cos
  // = 60000 * 1.38 > 65504: Inf, as IEEE rounding of the float result gives.
  std::vector<float16> h(8, float16(0.5f));
  h[0] = float16(60000.0f);
  h[4] = float16(60000.0f);
  h[1] = float16::from_bits(0x7D01);  // a signalling NaN (quiet bit clear)
  r.forward(rotary_test::view3(h, 1, 1, 8), positions::from_offset(1));
  EXPECT_TRUE(std::isinf(static_cast<float>(h[4])) && static_cast<float>(h[4]) > 0);
  EXPECT_TRUE(std::isnan(static_cast<float>(h[1])));
  EXPECT_EQ(h[1].bits & 0x0200, 0x0200) << "NaN must come out quiet";
  EXPECT_TRUE(std::isnan(static_cast<float>(h[5])));  // its partner
  EXPECT_FALSE(std::isnan(static_cast<float>(h[2])));  // other pairs are untouched by it

  std::vector<bfloat16> b(8, bfloat16(0.25f));
  b[2] = bfloat16::from_bits(0xFF81);  // negative signalling NaN
  r.forward(rotary_test::view3(b, 1, 1, 8), positions::from_offset(3));
  EXPECT_TRUE(std::isnan(static_cast<float>(b[2])));
  EXPECT_EQ(b[2].bits & 0x0040, 0x0040);
  EXPECT_TRUE(std::isnan(static_cast<float>(b[6])));
}

TEST(RopeStorage, PassThroughIsBitExact) {
  // Elements outside the rotated slice are copied bit for bit, NaN payloads included.
  const rotary::cos_sin_table<float> table(4, 4);
  rotary::rope_options options;
  options.rotary_offset = 2;
  const rotary::rope r(table, pairing::interleaved, options);
  std::vector<bfloat16> in(8, bfloat16(1.0f)), out(8, bfloat16(0.0f));
  in[0] = bfloat16::from_bits(0x7F81);  // signalling NaN outside the slice
  in[7] = bfloat16::from_bits(0x0001);  // smallest subnormal
  r.forward(rotary_test::cview3(in, 1, 1, 8), rotary_test::view3(out, 1, 1, 8),
            positions::from_offset(2));
  EXPECT_EQ(out[0].bits, 0x7F81);
  EXPECT_EQ(out[7].bits, 0x0001);
}

// ---- pair subsets: Gemma's proportional RoPE ----------------------------------------------

TEST(RopePairSubset, IsRopeWithZeroFrequenciesBeyondTheSubset) {
  // HF's proportional RoPE pads inv_freq with zeros: pairs (j, j + head_dim/2) for
  // j >= rotary_dim/2 get angle 0. rotary rotates the subset only (pair_distance =
  // head_dim/2); the zero-frequency full-width rotation is the independent formula.
  const std::ptrdiff_t head_dim = 32, rotary_dim = 12, tokens = 6, heads = 3;
  std::vector<double> theta = rotary::rope_frequencies(rotary_dim, 10000.0);
  const rotary::cos_sin_table<float> subset(theta, 64);
  theta.resize(static_cast<std::size_t>(head_dim / 2), 0.0);
  const rotary::cos_sin_table<float> padded(theta, 64);
  rotary::rope_options options;
  options.pair_distance = head_dim / 2;
  const rotary::rope r(subset, pairing::half_split, options);
  const rotary::rope full(padded, pairing::half_split);
  const std::size_t n = static_cast<std::size_t>(tokens * heads * head_dim);
  const std::vector<float> x = rotary_test::random_vector<float>(n, 4);
  const auto pos = positions::from_offset(17);
  for (direction d : {direction::forward, direction::inverse}) {
    std::vector<float> a(n), b(n), ref(n);
    r.apply(d, rotary_test::cview3(x, tokens, heads, head_dim),
            rotary_test::view3(a, tokens, heads, head_dim), pos);
    full.apply(d, rotary_test::cview3(x, tokens, heads, head_dim),
               rotary_test::view3(b, tokens, heads, head_dim), pos);
    EXPECT_TRUE(rotary_test::bitwise_equal(a, b));  // cos 0 = 1, sin 0 = 0: exact
    rotary::rotate_reference(r, d, rotary_test::cview3(x, tokens, heads, head_dim),
                             rotary_test::view3(ref, tokens, heads, head_dim), pos);
    expect_close(a, ref, "pair subset vs reference");
  }
  EXPECT_EQ(r.footprint(), head_dim / 2 + rotary_dim / 2);
}

// ---- angle sources: held by reference or owned --------------------------------------------

TEST(RopeAngles, AReferencedTableMayGrowBetweenCalls) {
  rotary::cos_sin_table<float> table(16, 4);
  const rotary::rope r(table, pairing::interleaved);
  std::vector<float> x = rotary_test::random_vector<float>(2 * 16, 5), y = x;
  EXPECT_THROW(r.forward(rotary_test::view3(x, 1, 2, 16), positions::from_offset(100)),
               rotary::out_of_range);
  table.grow(200);  // reallocates: the rope takes a fresh view per call
  r.forward(rotary_test::view3(x, 1, 2, 16), positions::from_offset(100));
  rotary::rope(rotary::on_the_fly_angles<float>(16), pairing::interleaved)
      .forward(rotary_test::view3(y, 1, 2, 16), positions::from_offset(100));
  EXPECT_TRUE(rotary_test::bitwise_equal(x, y));
}

TEST(RopeAngles, AnOwnedTableGrowsThroughTheRope) {
  rotary::rope r(rotary::cos_sin_table<double>(8, 2), pairing::half_split);
  static_assert(std::is_same_v<decltype(r)::angles_type, rotary::cos_sin_table<double>>);
  r.angles().grow(10);
  std::vector<double> x(8, 1.0);
  r.forward(rotary_test::view3(x, 1, 1, 8), positions::from_offset(9));
  EXPECT_NEAR(x[0], std::cos(9.0) - std::sin(9.0), 1e-15);
}

TEST(RopeAngles, ViewsAreCopiedNamedSourcesReferenced) {
  const rotary::cos_sin_table<float> table(8, 4);
  const rotary::cos_sin_view<const float> view = table.view();
  const rotary::on_the_fly_angles<float> fly(8);
  static_assert(std::is_same_v<decltype(rotary::rope(view, pairing::half_split))::angles_type,
                               rotary::cos_sin_view<const float>>);
  static_assert(std::is_same_v<decltype(rotary::rope(table, pairing::half_split))::angles_type,
                               rotary::angles_ref<rotary::cos_sin_table<float>>>);
  static_assert(std::is_same_v<decltype(rotary::rope(fly, pairing::half_split))::angles_type,
                               rotary::angles_ref<rotary::on_the_fly_angles<float>>>);
  const auto r = rotary::make_rope(fly, pairing::interleaved);
  EXPECT_EQ(&r.angles().get(), &fly);
  EXPECT_EQ(r.rotary_dim(), 8);
}

// ---- roles and the free functions --------------------------------------------------------

TEST(RopeCalls, RolesAndFreeFunctionsGiveTheSameRotation) {
  const rotary::cos_sin_table<float> table(32, 16);
  const std::vector<float> x = rotary_test::random_vector<float>(4 * 3 * 32, 6);
  const auto pos = positions::from_offset(5);
  std::vector<float> a = x, b = x, c = x, d(x.size());
  const rotary::rope r(table, pairing::interleaved);
  r.forward(rotary_test::view3(a, 4, 3, 32), pos);
  r.forward(rotary::key(rotary_test::view3(b, 4, 3, 32)), pos);
  rotary::rotate<pairing::interleaved>(rotary_test::view3(c, 4, 3, 32), table, pos);
  rotary::rotate<pairing::interleaved>(rotary_test::cview3(x, 4, 3, 32),
                                       rotary_test::view3(d, 4, 3, 32), table, pos);
  EXPECT_TRUE(rotary_test::bitwise_equal(a, b));
  EXPECT_TRUE(rotary_test::bitwise_equal(a, c));
  EXPECT_TRUE(rotary_test::bitwise_equal(a, d));
  // inverse undoes forward (to rounding), transpose == inverse for plain RoPE.
  std::vector<float> e = a, f = a;
  r.inverse(rotary_test::view3(e, 4, 3, 32), pos);
  r.transpose(rotary_test::view3(f, 4, 3, 32), pos);
  EXPECT_TRUE(rotary_test::bitwise_equal(e, f));
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(e[i], x[i], 1e-6);
}

}  // namespace
