// 16-bit storage against the streaming limit, in the same process: RoPE on bfloat16 and
// float16 tensors (computed in float, float tables) against memcpy of the same bytes.
// Both pairings, the shapes of bench_memory_limit: a decode step (1 x 32 x 128, in L1),
// a prefill (4096 x 32 x 128, 32 MiB of 16-bit storage, DRAM) and a small-head GQA prefill
// (4096 x 8 x 64).
//
//   bf16 -> bf16, fp16 -> fp16   out of place and in place (2 + 2 bytes per element)
//   float -> bf16                out of place: float keys written into a bfloat16 KV cache
//                                (4 + 2 bytes per element)
//
// Bytes processed = bytes read + bytes written. Each conversion has its own BM_Memcpy row
// with the same count: memcpy of (sizeof(In) + sizeof(Out)) / 2 bytes per element, so
// 2 bytes per element for 16 -> 16 and 3 for float -> bf16 (same total traffic, an even
// read/write split). Ratio = memcpy time / RoPE time (1.0 = at the limit); take it from
// the same run, never from lone times on a shared machine. In place, the baseline is the
// out-of-place memcpy row (same byte count, two buffers).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <rotary/rotary.hpp>
#include <vector>

namespace {

using rotary::pairing;
using bf16 = rotary::bfloat16;
using fp16 = rotary::float16;

/// in ([tokens][heads][head_dim] of In) and out (of Out) in one allocation, out starting
/// 256 bytes past a 4 KiB boundary relative to in: two buffers whose addresses agree mod
/// 4 KiB make loads wait on unrelated stores (4K aliasing), which would measure the
/// allocator rather than the kernel. The 16-bit elements are written with std::memcpy (the
/// buffer holds bytes; see storage.hpp on aliasing).
template <class In, class Out>
struct tensor_pair {
  static constexpr std::size_t page = 4096, skew = 256;
  std::ptrdiff_t tokens, heads, head_dim;
  std::vector<unsigned char> buffer;
  In* in;
  Out* out;
  rotary::cos_sin_table<float> table;

  explicit tensor_pair(const benchmark::State& state)
      : tokens(state.range(0)), heads(state.range(1)), head_dim(state.range(2)),
        buffer(padded(in_bytes()) + skew + padded(std::max(out_bytes(), memcpy_bytes()))),
        in(reinterpret_cast<In*>(buffer.data())),
        out(reinterpret_cast<Out*>(buffer.data() + padded(in_bytes()) + skew)),
        table(head_dim, tokens) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    unsigned char* p = buffer.data();
    for (std::size_t i = 0; i < elements(); ++i) {
      const In v(dist(rng));
      std::memcpy(p + i * sizeof(In), &v, sizeof v);
    }
  }
  std::size_t elements() const { return static_cast<std::size_t>(tokens * heads * head_dim); }
  std::size_t in_bytes() const { return elements() * sizeof(In); }
  std::size_t out_bytes() const { return elements() * sizeof(Out); }
  /// memcpy size with the same read + write traffic as one out-of-place rotation.
  std::size_t memcpy_bytes() const { return (in_bytes() + out_bytes()) / 2; }
  static std::size_t padded(std::size_t bytes) { return (bytes + page - 1) / page * page; }

  rotary::tensor_view<const In, 3> input() const { return {in, {tokens, heads, head_dim}}; }
  rotary::tensor_view<Out, 3> output() { return {out, {tokens, heads, head_dim}}; }
  rotary::tensor_view<In, 3> in_place() { return {in, {tokens, heads, head_dim}}; }

  void count(benchmark::State& state, std::size_t bytes_per_iteration) const {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(bytes_per_iteration));
  }
};

/// memcpy of the bytes an In -> Out rotation moves (read + write).
template <class In, class Out>
void BM_Memcpy(benchmark::State& state) {
  tensor_pair<In, Out> d(state);
  const std::size_t n = d.memcpy_bytes();
  for (auto _ : state) {
    std::memcpy(static_cast<void*>(d.out), static_cast<const void*>(d.in), n);
    benchmark::ClobberMemory();
  }
  d.count(state, 2 * n);
}

/// out = R in, in In storage, out in Out storage; the rope built once, outside the loop.
template <class In, class Out, pairing P>
void BM_RopeOutOfPlace(benchmark::State& state) {
  tensor_pair<In, Out> d(state);
  const rotary::rope rope(d.table, P);
  for (auto _ : state) {
    rope.forward(d.input(), d.output(), rotary::positions::from_offset(0));
    benchmark::ClobberMemory();
  }
  d.count(state, d.in_bytes() + d.out_bytes());
}

/// x = R x in T storage (read and write one buffer).
template <class T, pairing P>
void BM_RopeInPlace(benchmark::State& state) {
  tensor_pair<T, T> d(state);
  const rotary::rope rope(d.table, P);
  for (auto _ : state) {
    rope.forward(d.in_place(), rotary::positions::from_offset(0));
    benchmark::ClobberMemory();
  }
  d.count(state, 2 * d.in_bytes());
}

#define ROTARY_SHAPES                        \
  ->ArgNames({"tokens", "heads", "head_dim"}) \
      ->Args({1, 32, 128})                    \
      ->Args({4096, 32, 128})                 \
      ->Args({4096, 8, 64})

BENCHMARK_TEMPLATE(BM_Memcpy, bf16, bf16) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeOutOfPlace, bf16, bf16, pairing::interleaved) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeInPlace, bf16, pairing::interleaved) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeOutOfPlace, bf16, bf16, pairing::half_split) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeInPlace, bf16, pairing::half_split) ROTARY_SHAPES;

BENCHMARK_TEMPLATE(BM_Memcpy, fp16, fp16) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeOutOfPlace, fp16, fp16, pairing::interleaved) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeInPlace, fp16, pairing::interleaved) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeOutOfPlace, fp16, fp16, pairing::half_split) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeInPlace, fp16, pairing::half_split) ROTARY_SHAPES;

BENCHMARK_TEMPLATE(BM_Memcpy, float, bf16) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeOutOfPlace, float, bf16, pairing::interleaved) ROTARY_SHAPES;
BENCHMARK_TEMPLATE(BM_RopeOutOfPlace, float, bf16, pairing::half_split) ROTARY_SHAPES;

}  // namespace

BENCHMARK_MAIN();
