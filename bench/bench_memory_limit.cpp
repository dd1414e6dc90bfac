// RoPE against the streaming limit, in the same process: out of place against memcpy of
// the same bytes (read in, write out), in place against x *= c over the same buffer (read
// and write one buffer). Float, both pairings, the shapes models run: a decode step
// (1 x 32 x 128, in L1), a prefill (4096 x 32 x 128, 64 MiB, DRAM) and a small-head GQA
// prefill (4096 x 8 x 64). Ratio = baseline time / RoPE time (1.0 = at the limit); take
// it from the same run, never from lone times on this shared machine.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <rotary/rotary.hpp>
#include <vector>

namespace {

using rotary::pairing;

struct tensor_pair {
  std::ptrdiff_t tokens, heads, head_dim;
  std::vector<float> buffer;
  float* in;
  float* out;
  rotary::cos_sin_table<float> table;

  explicit tensor_pair(const benchmark::State& state)
      : tokens(state.range(0)), heads(state.range(1)), head_dim(state.range(2)),
        buffer(2 * padded() + 64), in(buffer.data()), out(buffer.data() + padded() + 64),
        table(head_dim, tokens) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float& v : buffer) v = dist(rng);
  }
  // in and out 256 bytes apart modulo 4 KiB (no 4K aliasing between them).
  std::size_t elements() const { return static_cast<std::size_t>(tokens * heads * head_dim); }
  std::size_t padded() const { return (elements() + 1023) / 1024 * 1024; }
  rotary::tensor_view<const float, 3> input() const { return {in, {tokens, heads, head_dim}}; }
  rotary::tensor_view<float, 3> output() { return {out, {tokens, heads, head_dim}}; }
  rotary::tensor_view<float, 3> in_place() { return {in, {tokens, heads, head_dim}}; }
  void count(benchmark::State& state) const {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 2 *
                            static_cast<std::int64_t>(elements() * sizeof(float)));
  }
};

void BM_Memcpy(benchmark::State& state) {
  tensor_pair d(state);
  for (auto _ : state) {
    std::memcpy(d.out, d.in, d.elements() * sizeof(float));
    benchmark::ClobberMemory();
  }
  d.count(state);
}

void BM_Scale(benchmark::State& state) {
  tensor_pair d(state);
  const std::size_t n = d.elements();
  // c alternates between r and 1/r so that the data stays bounded over many iterations.
  float c = 1.0001f;
  for (auto _ : state) {
    float* x = d.in;
    for (std::size_t i = 0; i < n; ++i) x[i] *= c;
    c = 1.0f / c;
    benchmark::ClobberMemory();
  }
  d.count(state);
}

template <pairing P>
void BM_RopeOutOfPlace(benchmark::State& state) {
  tensor_pair d(state);
  for (auto _ : state) {
    rotary::rotate<P>(d.input(), d.output(), d.table, rotary::positions::from_offset(0));
    benchmark::ClobberMemory();
  }
  d.count(state);
}

template <pairing P>
void BM_RopeInPlace(benchmark::State& state) {
  tensor_pair d(state);
  for (auto _ : state) {
    rotary::rotate<P>(d.in_place(), d.table, rotary::positions::from_offset(0));
    benchmark::ClobberMemory();
  }
  d.count(state);
}

#define ROTARY_SHAPES ->Args({1, 32, 128})->Args({4096, 32, 128})->Args({4096, 8, 64})

BENCHMARK(BM_Memcpy) ROTARY_SHAPES;
BENCHMARK(BM_Scale) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeOutOfPlace, pairing::interleaved) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeInPlace, pairing::interleaved) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeOutOfPlace, pairing::half_split) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeInPlace, pairing::half_split) ROTARY_SHAPES;

}  // namespace

BENCHMARK_MAIN();
