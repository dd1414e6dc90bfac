// Rotation throughput: the fast path against the scalar reference kernel and against
// memcpy of the same bytes, for both pairings, float and double, in one run.
//
// Args: {num_tokens, num_heads, head_dim}. Bytes processed = bytes read + bytes written
// (2 x the tensor), the same count for memcpy, so the bytes/s columns compare directly:
// RoPE on a large tensor is a streaming pass, bounded by memcpy's bandwidth.
//
// The rope object is built once, outside the timing loop, as a model builds it once per
// layer; BM_RopePerCall (decode shape only) builds it inside the loop, so the difference
// to BM_Rotate at 1 x 32 x 128 is the construction cost (what the one-line free function
// rotate<P>(...) pays on every call).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <rotary/rotary.hpp>
#include <vector>

namespace {

using rotary::pairing;

template <class T>
std::vector<T> random_tensor(std::size_t n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> x(n);
  for (auto& v : x) v = static_cast<T>(dist(rng));
  return x;
}

struct shape {
  std::ptrdiff_t tokens, heads, head_dim;
  explicit shape(const benchmark::State& state)
      : tokens(state.range(0)), heads(state.range(1)), head_dim(state.range(2)) {}
  std::size_t elements() const { return static_cast<std::size_t>(tokens * heads * head_dim); }
};

template <class T>
void set_bytes(benchmark::State& state, const shape& s) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 2 *
                          static_cast<std::int64_t>(s.elements() * sizeof(T)));
}

/// One benchmark's data: a random [tokens][heads][head_dim] input, an output of the same
/// shape and a table for positions [0, tokens). in and out share one allocation, out placed
/// 256 bytes past a 4 KiB boundary relative to in: two buffers whose addresses agree mod
/// 4 KiB make loads wait on unrelated stores (4K aliasing), which would measure the
/// allocator rather than the kernel. memcpy uses the same two buffers.
template <class T>
struct rotation_data {
  static constexpr std::size_t page = 4096 / sizeof(T), skew = 256 / sizeof(T);
  shape s;
  std::vector<T> buffer;
  T* in;
  T* out;
  rotary::cos_sin_table<T> table;

  explicit rotation_data(const benchmark::State& state)
      : s(state),
        buffer(random_tensor<T>(2 * padded() + skew)),
        in(buffer.data()),
        out(buffer.data() + padded() + skew),
        table(s.head_dim, s.tokens) {}
  std::size_t padded() const { return (s.elements() + page - 1) / page * page; }
  rotary::tensor_view<const T, 3> input() const { return {in, {s.tokens, s.heads, s.head_dim}}; }
  rotary::tensor_view<T, 3> output() { return {out, {s.tokens, s.heads, s.head_dim}}; }
};

/// Times body() and reports read + write bytes of the tensor.
template <class T, class Body>
void run(benchmark::State& state, rotation_data<T>& d, Body body) {
  for (auto _ : state) {
    body();
    benchmark::DoNotOptimize(d.out);
    benchmark::ClobberMemory();
  }
  set_bytes<T>(state, d.s);
}

/// memcpy of the same bytes: the streaming bound.
template <class T>
void BM_Memcpy(benchmark::State& state) {
  rotation_data<T> d(state);
  run(state, d, [&] { std::memcpy(d.out, d.in, d.s.elements() * sizeof(T)); });
}

/// The library's fast path, out of place (reads in, writes out: same traffic as memcpy).
template <class T, pairing P>
void BM_Rotate(benchmark::State& state) {
  rotation_data<T> d(state);
  const rotary::rope rope(d.table, P);
  run(state, d, [&] { rope.forward(d.input(), d.output(), rotary::positions::from_offset(0)); });
}

/// BM_Rotate with the rope built inside the timing loop: a plan per call (its checks and
/// setup) instead of one per layer.
template <class T, pairing P>
void BM_RopePerCall(benchmark::State& state) {
  rotation_data<T> d(state);
  run(state, d, [&] {
    const rotary::rope rope(d.table, P);
    rope.forward(d.input(), d.output(), rotary::positions::from_offset(0));
  });
}

/// The fast path in place (reads and writes the same buffer).
template <class T, pairing P>
void BM_RotateInPlace(benchmark::State& state) {
  rotation_data<T> d(state);
  std::copy(d.in, d.in + d.s.elements(), d.out);
  const rotary::rope rope(d.table, P);
  run(state, d, [&] { rope.forward(d.output(), rotary::positions::from_offset(0)); });
}

/// The shipped scalar reference kernel (one pair at a time, strided element access).
template <class T, pairing P>
void BM_RotateReference(benchmark::State& state) {
  rotation_data<T> d(state);
  const rotary::rope rope(d.table, P);
  run(state, d, [&] {
    rotary::rotate_reference(rope, rotary::direction::forward, d.input(), d.output(),
                             rotary::positions::from_offset(0));
  });
}

/// A plain contiguous scalar loop over a table (what one writes by hand), for the ratio
/// "SIMD kernel / plain loop"; out of place. Pair i is (x[a(i)], x[b(i)]).
template <class T, pairing P>
void BM_PlainLoop(benchmark::State& state) {
  rotation_data<T> d(state);
  const shape& s = d.s;
  const std::ptrdiff_t half = s.head_dim / 2;
  constexpr bool interleaved = P == pairing::interleaved;
  run(state, d, [&] {
    for (std::ptrdiff_t t = 0; t < s.tokens; ++t) {
      const T* c = d.table.data() + t * s.head_dim;
      const T* sn = c + half;
      for (std::ptrdiff_t h = 0; h < s.heads; ++h) {
        const T* x = d.in + (t * s.heads + h) * s.head_dim;
        T* y = d.out + (t * s.heads + h) * s.head_dim;
        for (std::ptrdiff_t i = 0; i < half; ++i) {
          const std::ptrdiff_t a = interleaved ? 2 * i : i;
          const std::ptrdiff_t b = interleaved ? 2 * i + 1 : i + half;
          y[a] = x[a] * c[i] - x[b] * sn[i];
          y[b] = x[b] * c[i] + x[a] * sn[i];
        }
      }
    }
  });
}

// Shapes: decode step (1 token, 32 heads: in L1), a block that fits L2 (16 tokens = 256 KiB
// of float), and a prefill that streams from memory (1024 tokens = 16 MiB of float).
void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"tokens", "heads", "head_dim"});
  b->Args({1, 32, 128});
  b->Args({16, 32, 128});
  b->Args({1024, 32, 128});
  b->Args({16, 32, 80});  // head_dim off the vector width (tails)
}

#define ROTARY_BENCH_TYPE(T)                                                      \
  BENCHMARK_TEMPLATE(BM_Memcpy, T)->Apply(shapes);                                \
  BENCHMARK_TEMPLATE(BM_Rotate, T, pairing::interleaved)->Apply(shapes);          \
  BENCHMARK_TEMPLATE(BM_Rotate, T, pairing::half_split)->Apply(shapes);           \
  BENCHMARK_TEMPLATE(BM_RotateInPlace, T, pairing::interleaved)->Apply(shapes);   \
  BENCHMARK_TEMPLATE(BM_RotateInPlace, T, pairing::half_split)->Apply(shapes);    \
  BENCHMARK_TEMPLATE(BM_PlainLoop, T, pairing::interleaved)->Apply(shapes);       \
  BENCHMARK_TEMPLATE(BM_PlainLoop, T, pairing::half_split)->Apply(shapes);        \
  BENCHMARK_TEMPLATE(BM_RotateReference, T, pairing::interleaved)->Apply(shapes); \
  BENCHMARK_TEMPLATE(BM_RotateReference, T, pairing::half_split)->Apply(shapes)

ROTARY_BENCH_TYPE(float);
ROTARY_BENCH_TYPE(double);

// Construction cost: where it could show, a decode step (in L1, the call itself is short).
BENCHMARK_TEMPLATE(BM_RopePerCall, float, pairing::interleaved)
    ->ArgNames({"tokens", "heads", "head_dim"})->Args({1, 32, 128});
BENCHMARK_TEMPLATE(BM_RopePerCall, float, pairing::half_split)
    ->ArgNames({"tokens", "heads", "head_dim"})->Args({1, 32, 128});

}  // namespace

BENCHMARK_MAIN();
