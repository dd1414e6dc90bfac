// SPDX-License-Identifier: MIT
// Multi-axis RoPE (axis_map.hpp, multi_axis.hpp): each built-in map against its definition
// written out here pair by pair; rotations against an independent long double evaluation
// of p_{axis(i)} theta_i; the 1-D equivalence (every axis at one position is bitwise the
// 1-D rope over the same frequencies); the table path, the exact per-pair path and
// fractional positions against each other; threads; position layouts; bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "test_util.hpp"

namespace {

using rotary::axis_map;
using rotary::multi_axis_angles;
using rotary::pairing;
using rotary::positions;

// ---- the maps, pair by pair --------------------------------------------------------------

TEST(AxisMap, MropeIsContiguousSectionsOverTheOneDimensionalFrequencies) {
  const std::vector<double> f = rotary::rope_frequencies(128, 1e6);
  const axis_map m = axis_map::mrope(f, {16, 24, 24});
  ASSERT_EQ(m.axes(), 3);
  ASSERT_EQ(m.pairs(), 64);
  for (int i = 0; i < 64; ++i) {
    const int expected = i < 16 ? 0 : i < 40 ? 1 : 2;  // t, h, w
    EXPECT_EQ(m.axis(i), expected) << i;
    EXPECT_EQ(m.frequency(i), std::pow(1e6, -2.0 * i / 128.0)) << i;
  }
}

TEST(AxisMap, Qwen3VlInterleavesTheAxisPerFrequencyIndex) {
  const std::vector<double> f = rotary::rope_frequencies(128, 5e6);
  const axis_map m = axis_map::mrope_interleaved(f, {24, 20, 20});
  int count[3] = {0, 0, 0};
  for (int i = 0; i < 64; ++i) {
    const int expected = (i % 3 == 1 && i < 60) ? 1 : (i % 3 == 2 && i < 60) ? 2 : 0;
    EXPECT_EQ(m.axis(i), expected) << i;
    EXPECT_EQ(m.frequency(i), f[static_cast<std::size_t>(i)]) << i;
    ++count[m.axis(i)];
  }
  EXPECT_EQ(count[0], 24);
  EXPECT_EQ(count[1], 20);
  EXPECT_EQ(count[2], 20);
  // Qwen3.5: [11, 11, 10] over a 64-dim slice (32 pairs): h at 1, 4, ..., 31; w at 2, ..., 29.
  const axis_map q = axis_map::mrope_interleaved(rotary::rope_frequencies(64, 1e7), {11, 11, 10});
  for (int i = 0; i < 32; ++i) {
    const int expected = (i % 3 == 1 && i < 33) ? 1 : (i % 3 == 2 && i < 30) ? 2 : 0;
    EXPECT_EQ(q.axis(i), expected) << i;
  }
}

TEST(AxisMap, ErnieVlAlternatesHeightAndWidthThenTime) {
  const std::vector<double> f = rotary::rope_frequencies(128, 5e5);
  const axis_map m = axis_map::ernie_vl(f, {22, 22, 20});
  for (int p = 0; p < 64; ++p) {
    EXPECT_EQ(m.axis(p), p < 44 ? (p % 2 == 0 ? 1 : 2) : 0) << p;  // [h w h w ... t t t]
    EXPECT_EQ(m.frequency(p), f[static_cast<std::size_t>(p)]) << p;
  }
  rotary_test::expect_error([&] { axis_map::ernie_vl(f, {24, 20, 20}); },
                            "axis_map::ernie_vl: the h and w sections alternate, so they must be equal");
}

TEST(AxisMap, AxesDimRestartsTheFrequenciesPerAxis) {
  const axis_map m = axis_map::axes_dim({16, 56, 56}, 10000.0);  // FLUX
  ASSERT_EQ(m.rotary_dim(), 128);
  const int dims[3] = {16, 56, 56};
  int i = 0;
  for (int k = 0; k < 3; ++k) {
    for (int j = 0; j < dims[k] / 2; ++j, ++i) {
      EXPECT_EQ(m.axis(i), k) << i;
      EXPECT_EQ(m.frequency(i), std::pow(10000.0, -2.0 * j / dims[k])) << i;
    }
  }
  // Qwen2-VL's vision encoder, head_dim 80: h and w each take 20 pairs of the table whose
  // exponent denominator is head_dim / 2 = 40.
  const axis_map v = axis_map::axes_dim({40, 40});
  for (int p = 0; p < 40; ++p) {
    EXPECT_EQ(v.axis(p), p < 20 ? 0 : 1);
    EXPECT_EQ(v.frequency(p), std::pow(10000.0, -2.0 * (p % 20) / 40.0));
  }
}

/// Llama 4 vision, as HF builds it: rope_freq_j = theta^(-(2j) / freq_dim) for j <
/// freq_dim / 2 (freq_dim = head_dim / 2); angles (x + 1) rope_freq and (y + 1) rope_freq,
/// each repeated twice, concatenated, every other one kept: pair p < head_dim/4 is
/// (x + 1) rope_freq_p, pair head_dim/4 + j is (y + 1) rope_freq_j. The CLS token's angles
/// are 0: positions (0, 0).
TEST(AxisMap, Llama4VisionIsHfsRepeatAndStride) {
  const std::ptrdiff_t head_dim = 88, freq_dim = head_dim / 2;  // Llama 4 Scout's vision head_dim
  const axis_map m = axis_map::llama4_vision(head_dim, 10000.0);
  std::vector<double> rope_freq;
  for (std::ptrdiff_t j = 0; j < freq_dim / 2; ++j) rope_freq.push_back(std::pow(10000.0, -2.0 * j / freq_dim));
  std::vector<int> axis_of_repeat;  // the HF construction, index by index
  std::vector<double> freq_of_repeat;
  for (int axis = 0; axis < 2; ++axis) {
    for (double f : rope_freq) {
      for (int r = 0; r < 2; ++r) axis_of_repeat.push_back(axis), freq_of_repeat.push_back(f);
    }
  }
  for (std::ptrdiff_t p = 0; p < head_dim / 2; ++p) {  // [..., ::2]
    EXPECT_EQ(m.axis(p), axis_of_repeat[static_cast<std::size_t>(2 * p)]) << p;
    EXPECT_DOUBLE_EQ(m.frequency(p), freq_of_repeat[static_cast<std::size_t>(2 * p)]) << p;
  }
  // The CLS token at (0, 0) passes through unchanged (its angles are 0).
  const multi_axis_angles<float> angles(m, 64);
  std::vector<float> x = rotary_test::random_vector<float>(static_cast<std::size_t>(head_dim), 5);
  const auto before = x;
  const std::int32_t cls[2] = {0, 0};
  rotary::rope(angles, pairing::interleaved)
      .forward(rotary_test::view3(x, 1, 1, head_dim), positions::token_major(cls, 1, 2));
  EXPECT_TRUE(rotary_test::bitwise_equal(x, before));
}

TEST(AxisMap, PixtralSplitsOneFrequencyListByParity) {
  const axis_map m = axis_map::pixtral(64, 10000.0);
  for (int i = 0; i < 32; ++i) {
    const int k = i < 16 ? 2 * i : 2 * (i - 16) + 1;  // rows: f0, f2, ...; columns: f1, f3, ...
    EXPECT_EQ(m.axis(i), i < 16 ? 0 : 1) << i;
    EXPECT_EQ(m.frequency(i), std::pow(10000.0, -2.0 * k / 64.0)) << i;
  }
}

TEST(AxisMap, BadMapsNameTheBuilderAndTheValue) {
  const std::vector<double> f = rotary::rope_frequencies(128);
  rotary_test::expect_error([&] { axis_map::mrope(f, {16, 24, 20}); },
                            "axis_map::mrope: sections sum to 60, expected rotary_dim / 2 = 64");
  rotary_test::expect_error([&] { axis_map::mrope(f, {}); }, "axis_map::mrope: sections must have");
  rotary_test::expect_error([&] { axis_map::mrope(f, {80, -16}); }, "sections[1] must be >= 0");
  rotary_test::expect_error([&] { axis_map::mrope_interleaved(f, {32, 32}); },
                            "axis_map::mrope_interleaved: sections must have 3 entries");
  rotary_test::expect_error([&] { axis_map::mrope_interleaved(f, {0, 32, 32}); },
                            "do not fit interleaved in 64 pairs");
  rotary_test::expect_error([&] { axis_map::axes_dim({16, 55}); },
                            "axis_map::axes_dim: dims[1] must be a positive even element count");
  rotary_test::expect_error([&] { axis_map::axes_dim({8, 8, 8, 8, 8}); }, "dims must have 1 to 4");
  rotary_test::expect_error([&] { axis_map::pixtral(66); },
                            "axis_map::pixtral: head_dim must be a positive multiple of 4");
  rotary_test::expect_error([&] { axis_map(2, {0, 2}, {1.0, 0.5}); },
                            "axis_map: axis of pair 1 must be in [0, 2), got 2");
  rotary_test::expect_error([&] { axis_map(2, {0}, {1.0, 0.5}); },
                            "axis_map: 1 axis indices for 2 frequencies");
  rotary_test::expect_error([&] { multi_axis_angles<float>(axis_map::pixtral(64), -1); },
                            "multi_axis_angles: rows must be >= 0, got -1");
}

// ---- rotations against the definition -------------------------------------------------

constexpr std::ptrdiff_t heads = 3;

/// Random axis positions [tokens][axes] (token-major) in [0, max_position].
std::vector<std::int64_t> random_positions(std::ptrdiff_t tokens, std::ptrdiff_t axes,
                                           std::int64_t max_position, std::uint64_t seed) {
  const auto r = rotary_test::random_vector<double>(static_cast<std::size_t>(tokens * axes), seed,
                                                    0.0, static_cast<double>(max_position) + 1);
  std::vector<std::int64_t> p;
  for (double v : r) p.push_back(static_cast<std::int64_t>(v));
  return p;
}

/// y = R x for one head, pair i rotated by pos[axis(i)] theta_i, in long double: written
/// from the definition (pairing and axis map), sharing no code with the library.
std::vector<long double> rotate_expected(const axis_map& m, pairing p, const float* x,
                                         const long double* pos, std::ptrdiff_t head_dim) {
  std::vector<long double> y(x, x + head_dim);
  const std::ptrdiff_t half = m.pairs();
  for (std::ptrdiff_t i = 0; i < half; ++i) {
    const long double angle = pos[m.axis(i)] * static_cast<long double>(m.frequency(i));
    const long double c = std::cos(angle), s = std::sin(angle);
    const std::ptrdiff_t ia = p == pairing::interleaved ? 2 * i : i;
    const std::ptrdiff_t ib = p == pairing::interleaved ? 2 * i + 1 : i + half;
    const long double a = x[ia], b = x[ib];
    y[static_cast<std::size_t>(ia)] = a * c - b * s;
    y[static_cast<std::size_t>(ib)] = b * c + a * s;
  }
  return y;
}

struct map_case {
  const char* name;
  axis_map map;
  pairing pair;
};

std::vector<map_case> map_cases() {
  return {
      {"mrope", axis_map::mrope(rotary::rope_frequencies(128, 1e6), {16, 24, 24}),
       pairing::half_split},
      {"qwen3_vl", axis_map::mrope_interleaved(rotary::rope_frequencies(128, 5e6), {24, 20, 20}),
       pairing::half_split},
      {"flux", axis_map::axes_dim({16, 56, 56}), pairing::interleaved},
      {"qwen2_vl_vision", axis_map::axes_dim({40, 40}), pairing::half_split},
      {"pixtral", axis_map::pixtral(64), pairing::half_split},
      {"ernie_vl", axis_map::ernie_vl(rotary::rope_frequencies(128, 5e5), {22, 22, 20}), pairing::interleaved},
  };
}

/// Every map, both table and exact paths (positions inside and past the table), against
/// the definition; tolerance: the float result of exact cos/sin, rounded a few times.
TEST(MultiAxisRope, EveryMapMatchesItsDefinition) {
  for (const map_case& mc : map_cases()) {
    SCOPED_TRACE(mc.name);
    const std::ptrdiff_t d = mc.map.rotary_dim(), axes = mc.map.axes(), tokens = 37;
    multi_axis_angles<float> angles(mc.map, 64);  // positions up to 100: both paths
    const rotary::rope r(angles, mc.pair);
    const auto pos = random_positions(tokens, axes, 100, 7);
    const auto x = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * heads * d), 8);
    std::vector<float> y(x.size());
    r.forward(rotary_test::cview3(x, tokens, heads, d), rotary_test::view3(y, tokens, heads, d),
              positions::token_major(pos.data(), tokens, axes));
    double worst = 0;
    for (std::ptrdiff_t t = 0; t < tokens; ++t) {
      long double p[4];
      for (std::ptrdiff_t k = 0; k < axes; ++k) p[k] = static_cast<long double>(pos[t * axes + k]);
      for (std::ptrdiff_t h = 0; h < heads; ++h) {
        const std::ptrdiff_t o = (t * heads + h) * d;
        const auto e = rotate_expected(mc.map, mc.pair, x.data() + o, p, d);
        for (std::ptrdiff_t j = 0; j < d; ++j) {
          worst = std::max(worst, static_cast<double>(std::fabs(e[j] - y[o + j])));
        }
      }
    }
    EXPECT_LE(worst, 4 * std::ldexp(1.0, -24)) << worst;
  }
}

/// Every axis at one position: bitwise the 1-D rope over a cos_sin_table of the map's
/// frequencies, whether given as multi-axis positions or as 1-D positions.
TEST(MultiAxisRope, EqualAxesAreBitwiseTheOneDimensionalRope) {
  for (const map_case& mc : map_cases()) {
    SCOPED_TRACE(mc.name);
    const std::ptrdiff_t d = mc.map.rotary_dim(), axes = mc.map.axes(), tokens = 29;
    multi_axis_angles<float> angles(mc.map, 40);
    rotary::cos_sin_table<float> table(mc.map.frequencies(), 80);
    std::vector<std::int32_t> ids(static_cast<std::size_t>(tokens)), pos;
    for (std::ptrdiff_t t = 0; t < tokens; ++t) {
      ids[static_cast<std::size_t>(t)] = static_cast<std::int32_t>((t * 7) % 79);  // some >= 40
    }
    for (std::ptrdiff_t k = 0; k < axes; ++k) pos.insert(pos.end(), ids.begin(), ids.end());
    const auto x = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * heads * d), 9);
    for (auto dir : {rotary::direction::forward, rotary::direction::inverse}) {
      std::vector<float> one_d = x, multi = x, multi_1d = x;
      rotary::rope(table, mc.pair)
          .apply(dir, rotary_test::view3(one_d, tokens, heads, d),
                 positions::from_ids(ids.data(), tokens));
      const rotary::rope r(angles, mc.pair);
      r.apply(dir, rotary_test::view3(multi, tokens, heads, d),
              positions::axes_major(pos.data(), axes, tokens));
      r.apply(dir, rotary_test::view3(multi_1d, tokens, heads, d),
              positions::from_ids(ids.data(), tokens));
      EXPECT_TRUE(rotary_test::bitwise_equal(one_d, multi));
      EXPECT_TRUE(rotary_test::bitwise_equal(one_d, multi_1d));
    }
  }
}

/// The table rows, the exact per-pair path (no table) and integer-valued fractional
/// positions give the same bits; 2 threads give one thread's bits; the layouts agree.
TEST(MultiAxisRope, TableExactFractionalThreadsAndLayoutsAgreeBitwise) {
  for (const map_case& mc : map_cases()) {
    SCOPED_TRACE(mc.name);
    const std::ptrdiff_t d = mc.map.rotary_dim(), axes = mc.map.axes(), tokens = 41;
    const auto tm = random_positions(tokens, axes, 300, 11);  // token-major
    std::vector<std::int64_t> am(tm.size());                  // axes-major
    std::vector<double> real(tm.size());
    for (std::ptrdiff_t t = 0; t < tokens; ++t) {
      for (std::ptrdiff_t k = 0; k < axes; ++k) {
        am[static_cast<std::size_t>(k * tokens + t)] = tm[static_cast<std::size_t>(t * axes + k)];
        real[static_cast<std::size_t>(t * axes + k)] =
            static_cast<double>(tm[static_cast<std::size_t>(t * axes + k)]);
      }
    }
    const auto x = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * heads * d), 12);
    auto run = [&](const multi_axis_angles<float>& a, const positions& p, int threads) {
      std::vector<float> y = x;
      rotary::rope_options o;
      o.execution = rotary::execution{threads, 1};  // threads even for this small call
      rotary::rope(a, mc.pair, o).forward(rotary_test::view3(y, tokens, heads, d), p);
      return y;
    };
    const multi_axis_angles<float> cached(mc.map, 301), none(mc.map, 0);
    const auto ref = run(cached, positions::token_major(tm.data(), tokens, axes), 1);
    EXPECT_TRUE(rotary_test::bitwise_equal(ref, run(none, positions::token_major(tm.data(), tokens, axes), 1)));
    EXPECT_TRUE(rotary_test::bitwise_equal(ref, run(cached, positions::axes_major(am.data(), axes, tokens), 1)));
    EXPECT_TRUE(rotary_test::bitwise_equal(ref, run(cached, positions::token_major(real.data(), tokens, axes), 1)));
    EXPECT_TRUE(rotary_test::bitwise_equal(ref, run(cached, positions::token_major(tm.data(), tokens, axes), 2)));
  }
}

/// Fractional positions (a time axis at 0.5 s steps x tokens_per_second, and arbitrary
/// reals) against the long double definition, float and double.
template <class C>
void check_fractional(double tolerance) {
  const axis_map m = axis_map::mrope(rotary::rope_frequencies(64, 1e6), {8, 12, 12});
  const std::ptrdiff_t d = 64, tokens = 24;
  std::vector<double> pos;  // token-major [tokens][3]
  const auto r = rotary_test::random_vector<double>(static_cast<std::size_t>(tokens), 13, 0.0, 1e6);
  for (std::ptrdiff_t t = 0; t < tokens; ++t) {
    const double time = t < 12 ? 0.5 * static_cast<double>(t) * 25.0 : r[static_cast<std::size_t>(t)];
    pos.insert(pos.end(), {time, static_cast<double>(t % 5), static_cast<double>(t % 7) + 0.25});
  }
  const auto xd = rotary_test::random_vector<double>(static_cast<std::size_t>(tokens * heads * d), 14);
  std::vector<C> x(xd.begin(), xd.end()), y = x;
  rotary::rope(multi_axis_angles<C>(m, 16), pairing::half_split)
      .forward(rotary_test::view3(y, tokens, heads, d), positions::token_major(pos.data(), tokens, 3));
  std::vector<float> xf(x.begin(), x.end());
  double worst = 0;
  for (std::ptrdiff_t t = 0; t < tokens; ++t) {
    long double p[3];
    for (int k = 0; k < 3; ++k) p[k] = static_cast<long double>(pos[static_cast<std::size_t>(t * 3 + k)]);
    for (std::ptrdiff_t h = 0; h < heads; ++h) {
      const std::ptrdiff_t o = (t * heads + h) * d;
      // The definition in long double over the C inputs (float inputs are exact in float).
      std::vector<long double> e(x.begin() + o, x.begin() + o + d);
      for (std::ptrdiff_t i = 0; i < 32; ++i) {
        const long double a = e[i], b = e[i + 32];
        const long double angle = p[m.axis(i)] * static_cast<long double>(m.frequency(i));
        e[i] = a * std::cos(angle) - b * std::sin(angle);
        e[i + 32] = b * std::cos(angle) + a * std::sin(angle);
      }
      for (std::ptrdiff_t j = 0; j < d; ++j) {
        worst = std::max(worst, static_cast<double>(std::fabs(e[j] - y[o + j])));
      }
    }
  }
  EXPECT_LE(worst, tolerance) << worst;
}
TEST(MultiAxisRope, FractionalPositionsMatchTheDefinition) {
  check_fractional<float>(4 * std::ldexp(1.0, -24));
  // long double's cos/sin of an angle near 1e6 rad carries ~1e6 x 2^-64 of rounding.
  check_fractional<double>(std::ldexp(1.0, -44));
}

/// A text + image + video + text sequence (runs of table rows and assembled rows, across
/// the 16-token runs of the kernels), rank 4 with 2 sequences: the rope against
/// rotate_reference (the scalar twin), and 1-D offsets bitwise against the 1-D rope.
TEST(MultiAxisRope, MixedSequencesMatchTheReference) {
  rotary::mrope_positions seq_pos(12.5);
  seq_pos.text(19).grid(1, 4, 5).grid(2, 3, 3).text(23);  // 80 tokens
  const std::ptrdiff_t seq = seq_pos.tokens(), d = 128, h = 2;
  std::vector<double> both = seq_pos.token_major();
  both.insert(both.end(), seq_pos.token_major().begin(), seq_pos.token_major().end());
  std::vector<std::int64_t> integral(both.begin(), both.end());
  for (const map_case& mc : map_cases()) {
    if (mc.map.axes() != 3 || mc.map.rotary_dim() != d) continue;
    SCOPED_TRACE(mc.name);
    const multi_axis_angles<float> angles(mc.map, 64);
    const rotary::rope r(angles, mc.pair);
    const auto x = rotary_test::random_vector<float>(static_cast<std::size_t>(2 * seq * h * d), 21);
    for (const positions& p : {positions::token_major(both.data(), 2 * seq, 3),
                               positions::token_major(integral.data(), 2 * seq, 3),
                               positions::from_offset(40)}) {
      std::vector<float> fast(x.size()), ref(x.size());
      const rotary::tensor_view<const float, 4> in(x.data(), {2, seq, h, d});
      r.forward(in, rotary::tensor_view<float, 4>(fast.data(), {2, seq, h, d}), p);
      rotary::rotate_reference(r, rotary::direction::forward, in,
                               rotary::tensor_view<float, 4>(ref.data(), {2, seq, h, d}), p);
      double worst = 0;
      for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(double(fast[i]) - ref[i]));
      EXPECT_LE(worst, rotary_test::kernel_tolerance<float>(1.0));
    }
    rotary::cos_sin_table<float> table(mc.map.frequencies(), 200);
    std::vector<float> a = x, b = x;
    rotary::rope(table, mc.pair).forward(rotary::tensor_view<float, 4>(a.data(), {2, seq, h, d}), positions::from_offset(40));
    r.forward(rotary::tensor_view<float, 4>(b.data(), {2, seq, h, d}), positions::from_offset(40));
    EXPECT_TRUE(rotary_test::bitwise_equal(a, b));  // rows 40.. past the 64-row table included
  }
}

/// Keys rotated at P and shifted by d equal keys rotated at P + d (one more rounding):
/// a context shift on every axis, and the time axis alone, with negative deltas.
TEST(ShiftAxes, ShiftedKeysAreKeysRotatedAtTheShiftedPositions) {
  for (const map_case& mc : map_cases()) {
    SCOPED_TRACE(mc.name);
    const std::ptrdiff_t d = mc.map.rotary_dim(), axes = mc.map.axes(), tokens = 33;
    const multi_axis_angles<float> angles(mc.map, 512);
    const rotary::rope r(angles, mc.pair);
    const auto pos = random_positions(tokens, axes, 200, 31);
    const auto x = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * heads * d), 32);
    std::vector<std::int64_t> every(static_cast<std::size_t>(axes), -57), time(static_cast<std::size_t>(axes), 0);
    time[0] = 111;
    for (const auto& delta : {every, time}) {
      std::vector<std::int64_t> moved = pos;
      for (std::ptrdiff_t t = 0; t < tokens; ++t) {
        for (std::ptrdiff_t k = 0; k < axes; ++k) moved[t * axes + k] += 100 + delta[k];
      }
      std::vector<std::int64_t> start = pos;
      for (auto& v : start) v += 100;
      std::vector<float> shifted = x, direct = x;
      r.forward(rotary_test::view3(shifted, tokens, heads, d), positions::token_major(start.data(), tokens, axes));
      rotary::shift_axes(rotary_test::view3(shifted, tokens, heads, d), mc.map, delta, mc.pair);
      r.forward(rotary_test::view3(direct, tokens, heads, d), positions::token_major(moved.data(), tokens, axes));
      double worst = 0;
      for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(double(shifted[i]) - direct[i]));
      EXPECT_LE(worst, 8 * std::ldexp(1.0, -24)) << worst;
    }
  }
  const axis_map m = axis_map::pixtral(16);
  std::vector<float> k(16, 1.0f);
  rotary_test::expect_error([&] { rotary::shift_axes(rotary_test::view3(k, 1, 1, 16), m, {1, 2, 3}, pairing::half_split); },
                            "shift_axes: 3 deltas for an axis map of 2 axes");
  rotary_test::expect_error([&] { rotary::shift_axes(rotary_test::view3(k, 1, 1, 8), m, {1, 2}, pairing::half_split); },
                            "shift_axes");
}

/// Random maps (1 to 4 axes, any axis per pair, random frequencies), random integer and
/// fractional positions inside and past the table, both pairings, partial rotary at an
/// offset, rank 3 and 4: the rope against rotate_reference, and 2 threads bitwise 1.
TEST(MultiAxisRope, RandomMapsAndPositionsMatchTheReference) {
  std::mt19937_64 rng(2026);
  for (int trial = 0; trial < 60; ++trial) {
    const std::ptrdiff_t axes = 1 + static_cast<std::ptrdiff_t>(rng() % 4);
    const std::ptrdiff_t pairs = 1 + static_cast<std::ptrdiff_t>(rng() % 40);
    std::vector<int> axis(static_cast<std::size_t>(pairs));
    std::vector<double> theta(static_cast<std::size_t>(pairs));
    for (std::ptrdiff_t i = 0; i < pairs; ++i) {
      axis[static_cast<std::size_t>(i)] = static_cast<int>(rng() % static_cast<std::uint64_t>(axes));
      theta[static_cast<std::size_t>(i)] = std::ldexp(static_cast<double>(rng() % 1000) / 1000.0, -static_cast<int>(rng() % 20));
    }
    const axis_map m(axes, axis, theta);
    const pairing p = rng() % 2 ? pairing::interleaved : pairing::half_split;
    const std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(rng() % 3) * 2;
    const std::ptrdiff_t head_dim = offset + 2 * pairs + static_cast<std::ptrdiff_t>(rng() % 3) * 2;
    const std::ptrdiff_t batch = 1 + static_cast<std::ptrdiff_t>(rng() % 2), seq = 1 + static_cast<std::ptrdiff_t>(rng() % 40), h = 1 + static_cast<std::ptrdiff_t>(rng() % 3);
    const std::ptrdiff_t tokens = batch * seq;
    const bool fractional = rng() % 3 == 0;
    std::vector<std::int64_t> ip(static_cast<std::size_t>(tokens * axes));
    std::vector<double> fp(ip.size());
    for (std::size_t i = 0; i < ip.size(); ++i) {
      ip[i] = static_cast<std::int64_t>(rng() % 120);  // the table holds 64
      fp[i] = static_cast<double>(ip[i]) + (rng() % 2 ? 0.25 * static_cast<double>(rng() % 4) : 0.0);
    }
    const positions pos = fractional ? positions::axes_major(fp.data(), axes, tokens)
                                     : positions::axes_major(ip.data(), axes, tokens);
    const multi_axis_angles<float> angles(m, 64);
    rotary::rope_options o;
    o.rotary_offset = offset;
    const rotary::rope r(angles, p, o);
    o.execution = rotary::execution{2, 1};
    const rotary::rope r2(angles, p, o);
    const auto x = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * h * head_dim), 100 + static_cast<std::uint64_t>(trial));
    std::vector<float> fast(x.size()), threaded(x.size()), ref(x.size());
    const rotary::tensor_view<const float, 4> in(x.data(), {batch, seq, h, head_dim});
    r.forward(in, rotary::tensor_view<float, 4>(fast.data(), {batch, seq, h, head_dim}), pos);
    r2.forward(in, rotary::tensor_view<float, 4>(threaded.data(), {batch, seq, h, head_dim}), pos);
    rotary::rotate_reference(r, rotary::direction::forward, in,
                             rotary::tensor_view<float, 4>(ref.data(), {batch, seq, h, head_dim}), pos);
    double worst = 0;
    for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(double(fast[i]) - ref[i]));
    ASSERT_LE(worst, rotary_test::kernel_tolerance<float>(1.0)) << "trial " << trial;
    ASSERT_TRUE(rotary_test::bitwise_equal(fast, threaded)) << "trial " << trial;
  }
}

// ---- Qwen2-VL numbering and the fractional angle ------------------------------------------

TEST(MropePositions, NumbersTextAndGridsAsGetRopeIndex) {
  rotary::mrope_positions p(12.5);  // Qwen2.5-VL: 25 tokens per second x 0.5 s per grid step
  p.text(2).grid(2, 2, 3).text(1);
  std::vector<double> expected = {0, 0, 0, 1, 1, 1};
  for (int f = 0; f < 2; ++f) {
    for (int r = 0; r < 2; ++r) {
      for (int c = 0; c < 3; ++c) expected.insert(expected.end(), {2 + 12.5 * f, 2.0 + r, 2.0 + c});
    }
  }
  expected.insert(expected.end(), {15, 15, 15});  // 1 + floor(14.5)
  EXPECT_EQ(p.tokens(), 15);
  EXPECT_EQ(p.token_major(), expected);
  rotary::mrope_positions hf(12.5, true);  // HF's truncation to integers
  hf.grid(2, 1, 1);
  EXPECT_EQ(hf.token_major(), (std::vector<double>{0, 0, 0, 12, 0, 0}));
  rotary_test::expect_error([] { rotary::mrope_positions(-1.0); },
                            "mrope_positions: time_step must be finite and >= 0, got -1");
  rotary_test::expect_error([] { rotary::mrope_positions().grid(1, -2, 3); },
                            "mrope_positions::grid: frames, rows and cols must be >= 0");
}

TEST(MultiAxisRope, RealTurnsOfAnIntegerAreTheIntegerTurns) {
  for (double theta : {1.0, 0.5, 1e-4, 3.7e-9}) {
    const auto w = rotary::detail::frequency_turns_of(theta);
    for (std::int64_t m : {std::int64_t{0}, std::int64_t{1}, std::int64_t{12345},
                           std::int64_t{1} << 31, (std::int64_t{1} << 32) - 1}) {
      const auto a = rotary::detail::fractional_turns(m, w);
      const auto b = rotary::detail::fractional_turns_of_real(static_cast<double>(m), w);
      EXPECT_TRUE(rotary_test::bitwise_equal(a.hi, b.hi) && rotary_test::bitwise_equal(a.lo, b.lo))
          << theta << " " << m;
    }
  }
}

TEST(MultiAxisRope, BadPositionsThrowBeforeAnythingIsWritten) {
  const axis_map m = axis_map::mrope(rotary::rope_frequencies(16), {2, 3, 3});
  multi_axis_angles<float> angles(m, 8);
  const rotary::rope r(angles, pairing::half_split);
  std::vector<float> x(2 * 16, 0.5f);
  const auto before = x;
  auto v = rotary_test::view3(x, 2, 1, 16);
  const std::int32_t two_axes[4] = {0, 1, 2, 3};
  rotary_test::expect_error([&] { r.forward(v, positions::axes_major(two_axes, 2, 2)); },
                            "rope::forward: positions have 2 axes, the angle source's axis map has 3");
  const std::int32_t negative[6] = {0, 1, 2, 3, -4, 5};
  rotary_test::expect_error([&] { r.forward(v, positions::token_major(negative, 2, 3)); },
                            "rope::forward: position of token 1, axis 1 must be >= 0, got -4");
  const std::int32_t three[9] = {};
  rotary_test::expect_error([&] { r.forward(v, positions::token_major(three, 3, 3)); },
                            "multi-axis positions cover 3 tokens, expected num_tokens = 2");
  const double nan[6] = {0, 1, 2, 3, std::nan(""), 5};
  rotary_test::expect_error([&] { r.forward(v, positions::token_major(nan, 2, 3)); },
                            "fractional position of token 1, axis 1 must be finite");
  const double huge[6] = {0, 1, 2, 3, 1e300, 5};
  rotary_test::expect_error([&] { r.forward(v, positions::token_major(huge, 2, 3)); },
                            "in [0, 2^53]");
  rotary_test::expect_error(
      [&] { r.forward(v, positions::multi_axis(three, 3, 2, -1, 3)); },
      "multi-axis position strides must be >= 0");
  rotary_test::expect_error(
      [&] { r.forward(v, positions::axes_major(static_cast<const std::int32_t*>(nullptr), 3, 2)); },
      "multi-axis positions must not be null");
  rotary_test::expect_error(
      [&] { r.forward(v, positions::axes_major(static_cast<const double*>(nullptr), 3, 2)); },
      "multi-axis positions must not be null");
  // Found by tests/fuzz/rope_fuzz.cpp: null fractional positions were taken for integer ones
  // (the kind was told by the double pointer), so their token count went unchecked: a view
  // of 0 tokens accepted a count of -1.
  std::vector<float> none;
  const auto empty = rotary_test::view3(none, 0, 1, 16);
  const auto* no_doubles = static_cast<const double*>(nullptr);
  rotary_test::expect_error(
      [&] { r.forward(empty, positions::multi_axis(no_doubles, 3, -1, 0, 1)); },
      "rope::forward: multi-axis positions cover -1 tokens, expected num_tokens = 0");
  EXPECT_TRUE(positions::multi_axis(no_doubles, 3, 0, 0, 1).is_fractional());
  r.forward(empty, positions::multi_axis(no_doubles, 3, 0, 0, 1));  // 0 tokens: null is fine
  // A 1-D source takes no multi-axis positions; nor do the other entry points.
  rotary::cos_sin_table<float> table(16, 8);
  const std::int32_t ok[6] = {0, 1, 2, 3, 4, 5};
  rotary_test::expect_error(
      [&] { rotary::rope(table, pairing::half_split).forward(v, positions::token_major(ok, 2, 3)); },
      "rope::forward: multi-axis positions (3 axes) need a rope over a multi-axis angle source");
  EXPECT_TRUE(rotary_test::bitwise_equal(x, before));
}

}  // namespace
