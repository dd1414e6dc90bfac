// SPDX-License-Identifier: MIT
// Multi-axis RoPE against 1-D RoPE on the same tensor (float, half_split, in place, one
// thread), at prefill shapes of a vision-language model: a sequence of 16 text tokens, one
// image of R x R patches (after the spatial merge) and text after it, numbered as Qwen2-VL
// numbers it (mrope_positions). Rows, in one process:
//   multi_axis/<shape>/one_d            a cos_sin_table of the same frequencies, positions 0..n-1
//   multi_axis/<shape>/text             the multi-axis source, every axis at one position
//   multi_axis/<shape>/mrope_image      Qwen2.5-VL's map [16, 24, 24], integer positions
//   multi_axis/<shape>/qwen3_vl_image   Qwen3-VL's interleaved map [24, 20, 20], integer
//   multi_axis/<shape>/fractional_video mrope with 4 frames 12.5 t apart and half-integer
//                                       t: every video token computed pair by pair
// The target: multi-axis with integer positions >= 0.9x the 1-D rate (time ratio).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <rotary/rotary.hpp>
#include <string>
#include <vector>

#include "bench_fixture.hpp"

namespace {

using rotary::pairing;

struct bench_shape {
  std::ptrdiff_t tokens, heads, head_dim;
};

/// 16 text tokens, an R x R image (R the largest that leaves room), then text.
rotary::mrope_positions image_sequence(std::ptrdiff_t tokens) {
  const auto r = static_cast<std::ptrdiff_t>(std::sqrt(static_cast<double>(tokens - 32)));
  rotary::mrope_positions p;
  p.text(16).grid(1, r, r).text(tokens - 16 - r * r);
  return p;
}

/// 16 text tokens, 4 frames of video at t steps of 12.5 (+0.5: no frame is integral), text.
std::vector<double> video_sequence(std::ptrdiff_t tokens) {
  const auto r = static_cast<std::ptrdiff_t>(std::sqrt(static_cast<double>(tokens - 32) / 4));
  rotary::mrope_positions p(12.5);
  p.text(16).grid(4, r, r).text(tokens - 16 - 4 * r * r);
  std::vector<double> v = p.token_major();
  for (std::size_t t = 16; t < 16 + static_cast<std::size_t>(4 * r * r); ++t) v[3 * t] += 0.5;
  return v;
}

std::vector<std::int64_t> integer(const std::vector<double>& v) {
  return std::vector<std::int64_t>(v.begin(), v.end());
}

/// The tensor of one shape, shared by all its rows: the same memory for every variant (rows
/// that each allocated their own 8 MiB differed by 10-20% with the allocation order alone).
struct tensor {
  rotary_bench::skewed_arena arena;
  float* data;
  explicit tensor(std::size_t n) : arena({n * sizeof(float)}), data(arena.get<float>(0)) {
    rotary_bench::fill(data, n);
  }
};

template <class Rope>
void run(benchmark::State& state, const bench_shape& s, const tensor& x, const Rope& rope,
         const rotary::positions& pos) {
  const rotary::tensor_view<float, 3> view(x.data, {s.tokens, s.heads, s.head_dim});
  // Untimed passes first (caches, clock).
  for (int i = 0; i < 20; ++i) rope.forward(view, pos);
  for (auto _ : state) {
    rope.forward(view, pos);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 2 *
                          static_cast<std::int64_t>(view.size() * sizeof(float)));
}

void register_shape(const bench_shape& s) {
  const std::string prefix = "multi_axis/" + std::to_string(s.tokens) + "x" +
                             std::to_string(s.heads) + "x" + std::to_string(s.head_dim) + "/";
  const std::vector<double> freqs = rotary::rope_frequencies(s.head_dim, 1e6);
  const auto mrope = rotary::axis_map::mrope(freqs, {16, 24, 24});
  const auto qwen3 = rotary::axis_map::mrope_interleaved(freqs, {24, 20, 20});
  const auto x = std::make_shared<tensor>(static_cast<std::size_t>(s.tokens * s.heads * s.head_dim));
  benchmark::RegisterBenchmark((prefix + "one_d").c_str(), [=](benchmark::State& st) {
    const rotary::cos_sin_table<float> table(freqs, s.tokens);
    run(st, s, *x, rotary::rope(table, pairing::half_split), rotary::positions::from_offset(0));
  });
  benchmark::RegisterBenchmark((prefix + "one_d_ids").c_str(), [=](benchmark::State& st) {
    const rotary::cos_sin_table<float> table(freqs, s.tokens);
    std::vector<std::int64_t> ids;
    for (std::ptrdiff_t t = 0; t < s.tokens; ++t) ids.push_back(t);
    run(st, s, *x, rotary::rope(table, pairing::half_split), rotary::positions::from_ids(ids.data(), s.tokens));
  });
  benchmark::RegisterBenchmark((prefix + "text").c_str(), [=](benchmark::State& st) {
    const rotary::multi_axis_angles<float> angles(mrope, s.tokens);
    std::vector<std::int64_t> p;
    for (std::ptrdiff_t t = 0; t < s.tokens; ++t) p.insert(p.end(), {t, t, t});
    run(st, s, *x, rotary::rope(angles, pairing::half_split),
        rotary::positions::token_major(p.data(), s.tokens, 3));
  });
  for (const auto& [name, map] : {std::pair{"mrope_image", mrope}, std::pair{"qwen3_vl_image", qwen3}}) {
    benchmark::RegisterBenchmark((prefix + name).c_str(), [=, m = map](benchmark::State& st) {
      const rotary::multi_axis_angles<float> angles(m, s.tokens);
      const auto p = integer(image_sequence(s.tokens).token_major());
      run(st, s, *x, rotary::rope(angles, pairing::half_split),
          rotary::positions::token_major(p.data(), s.tokens, 3));
    });
  }
  benchmark::RegisterBenchmark((prefix + "fractional_video").c_str(), [=](benchmark::State& st) {
    const rotary::multi_axis_angles<float> angles(mrope, s.tokens);
    const auto p = video_sequence(s.tokens);
    run(st, s, *x, rotary::rope(angles, pairing::half_split),
        rotary::positions::token_major(p.data(), s.tokens, 3));
  });
}

}  // namespace

int main(int argc, char** argv) {
  for (const bench_shape& s : {bench_shape{512, 32, 128}, bench_shape{4096, 8, 128},
                               bench_shape{2048, 28, 128}}) {
    register_shape(s);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("rotary_simd", rotary::simd_instruction_set());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
