// Throughput of the layout, position and q+k variants against memcpy of the same
// bytes, at a decode step (1 x 32 x 128) and a prefill (4096 x 32 x 128), float.
//
// Args: {num_tokens, num_heads, head_dim}. Bytes processed = bytes read + bytes
// written (2 x the rotated tensors, in place or not), the same count for the memcpy rows,
// so the bytes/s columns compare directly (bench/report.py takes the ratios).
//
// Each benchmark builds its rope object once, outside the timing loop (a model builds one
// per layer); bench_design's per-call row shows what building it per call costs. Threads
// are bench_matrix's threads/ rows.
#include <benchmark/benchmark.h>
#include <rotary/rotary.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

#include "bench_fixture.hpp"

namespace {

using rotary::pairing;
using rotary::tensor_view;

/// in and out, n floats each, at offsets 256 bytes apart modulo 4 KiB (skewed_arena: two
/// buffers allocated separately tend to agree mod 4 KiB, and then loads wait on unrelated
/// stores, which would measure the allocator, not the kernel); in filled, out zero.
struct in_out {
  rotary_bench::skewed_arena arena;
  float* in;
  float* out;
  explicit in_out(std::size_t n, std::size_t out_n = 0)
      : arena({n * sizeof(float), (out_n ? out_n : n) * sizeof(float)}), in(arena.get<float>(0)),
        out(arena.get<float>(1)) {
    rotary_bench::fill(in, n);
    if (out_n) rotary_bench::fill(out, out_n);
  }
};

/// One shared table for head_dim 128 and 4096 + 64 positions.
const rotary::cos_sin_table<float>& table_128() {
  static const rotary::cos_sin_table<float> table(128, 4096 + 64);
  return table;
}

struct shape {
  std::ptrdiff_t tokens, heads, head_dim;
  explicit shape(const benchmark::State& state)
      : tokens(state.range(0)), heads(state.range(1)), head_dim(state.range(2)) {}
  std::size_t elements() const { return static_cast<std::size_t>(tokens * heads * head_dim); }
};

void set_bytes(benchmark::State& state, std::size_t elements) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 2 *
                          static_cast<std::int64_t>(elements * sizeof(float)));
}

enum class mode { offset, ids, packed };

/// Positions for `tokens` tokens: offset 0; ids 0..T-1; four packed sequences (one if T < 4).
struct position_data {
  std::vector<std::int32_t> ids, cu;
  position_data(std::ptrdiff_t tokens) : ids(static_cast<std::size_t>(tokens)) {
    std::iota(ids.begin(), ids.end(), 0);
    const std::ptrdiff_t n = tokens >= 4 ? 4 : 1;
    for (std::ptrdiff_t s = 0; s <= n; ++s) cu.push_back(static_cast<std::int32_t>(tokens * s / n));
  }
  rotary::positions get(mode m) const {
    switch (m) {
      case mode::ids: return rotary::positions::from_ids(ids.data(), static_cast<std::ptrdiff_t>(ids.size()));
      case mode::packed: return rotary::positions::packed(cu.data(), static_cast<std::ptrdiff_t>(cu.size()));
      case mode::offset: break;
    }
    return rotary::positions::from_offset(0);
  }
};

/// memcpy of the same bytes: the streaming bound.
void BM_Memcpy(benchmark::State& state) {
  const shape s(state);
  in_out d(s.elements());
  for (auto _ : state) {
    std::memcpy(d.out, d.in, s.elements() * sizeof(float));
    benchmark::DoNotOptimize(d.out);
    benchmark::ClobberMemory();
  }
  set_bytes(state, s.elements());
}

template <pairing P, bool InPlace, mode M>
void BM_Rotate(benchmark::State& state) {
  const shape s(state);
  in_out d(s.elements());
  const auto& table = table_128();
  const position_data pd(s.tokens);
  const rotary::positions pos = pd.get(M);
  const tensor_view<float, 3> iv(d.in, {s.tokens, s.heads, s.head_dim});
  const tensor_view<float, 3> ov(d.out, {s.tokens, s.heads, s.head_dim});
  const rotary::rope rope(table, P);
  for (auto _ : state) {
    if constexpr (InPlace) {
      rope.forward(iv, pos);  // NOTE: rotates the same data again every time
    } else {
      rope.forward(tensor_view<const float, 3>(iv), ov, pos);
    }
    benchmark::DoNotOptimize(InPlace ? d.in : d.out);
    benchmark::ClobberMemory();
  }
  set_bytes(state, s.elements());
}

/// q [T][heads][d] and k [T][heads/4][d] (32/8), in place: one call (query and key
/// operands), or two calls.
template <pairing P, bool Fused>
void BM_RotateQk(benchmark::State& state) {
  const shape s(state);
  const std::ptrdiff_t kv = s.heads / 4;
  const std::size_t k_elements = static_cast<std::size_t>(s.tokens * kv * s.head_dim);
  in_out d(s.elements(), k_elements);  // q in the first buffer, k in the second
  const auto& table = table_128();
  const tensor_view<float, 3> qv(d.in, {s.tokens, s.heads, s.head_dim});
  const tensor_view<float, 3> kv_view(d.out, {s.tokens, kv, s.head_dim});
  const auto pos = rotary::positions::from_offset(0);
  const rotary::rope rope(table, P);
  for (auto _ : state) {
    if constexpr (Fused) {
      rope.forward(rotary::query(qv), rotary::key(kv_view), pos);
    } else {
      rope.forward(qv, pos);
      rope.forward(kv_view, pos);
    }
    benchmark::DoNotOptimize(d.in);
    benchmark::DoNotOptimize(d.out);
    benchmark::ClobberMemory();
  }
  set_bytes(state, s.elements() + k_elements);
}

/// A BHSD batch (rank-4 view, 4 sequences at their own start offsets), in place.
template <pairing P>
void BM_RotateBhsd(benchmark::State& state) {
  const shape s(state);
  const std::ptrdiff_t batch = 4, seq = s.tokens / batch;
  in_out d(s.elements());
  const auto& table = table_128();
  const std::int64_t starts[4] = {0, 17, 33, 64};
  const auto v = rotary::bhsd_view(d.in, batch, s.heads, seq, s.head_dim);
  const rotary::rope rope(table, P);
  for (auto _ : state) {
    rope.forward(v, rotary::positions::from_starts(starts, batch));
    benchmark::DoNotOptimize(d.in);
    benchmark::ClobberMemory();
  }
  set_bytes(state, s.elements());
}

#define SHAPES ->Args({1, 32, 128})->Args({4096, 32, 128})

BENCHMARK(BM_Memcpy) SHAPES->Args({1, 40, 128})->Args({4096, 40, 128});

#define ROTATE_MODES(P, IN)                                  \
  BENCHMARK_TEMPLATE(BM_Rotate, P, IN, mode::offset) SHAPES; \
  BENCHMARK_TEMPLATE(BM_Rotate, P, IN, mode::ids) SHAPES;    \
  BENCHMARK_TEMPLATE(BM_Rotate, P, IN, mode::packed) SHAPES
ROTATE_MODES(pairing::interleaved, false);
ROTATE_MODES(pairing::interleaved, true);
ROTATE_MODES(pairing::half_split, false);
ROTATE_MODES(pairing::half_split, true);

BENCHMARK_TEMPLATE(BM_RotateQk, pairing::interleaved, true) SHAPES;
BENCHMARK_TEMPLATE(BM_RotateQk, pairing::interleaved, false) SHAPES;
BENCHMARK_TEMPLATE(BM_RotateQk, pairing::half_split, true) SHAPES;
BENCHMARK_TEMPLATE(BM_RotateQk, pairing::half_split, false) SHAPES;

BENCHMARK_TEMPLATE(BM_RotateBhsd, pairing::interleaved)->Args({4096, 32, 128});
BENCHMARK_TEMPLATE(BM_RotateBhsd, pairing::half_split)->Args({4096, 32, 128});

}  // namespace

BENCHMARK_MAIN();
