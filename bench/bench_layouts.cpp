// Throughput of the layout, position, q+k and thread variants against memcpy of the same
// bytes, at a decode step (1 x 32 x 128) and a prefill (4096 x 32 x 128), float.
//
// Args: {num_tokens, num_heads, head_dim[, threads]}. Bytes processed = bytes read + bytes
// written (2 x the rotated tensors, in place or not), the same count for the memcpy rows,
// so the bytes/s columns compare directly. Run with --benchmark_min_time=0.2 for a quick
// pass; see the ratios with --benchmark_format=json or by eye.
//
// Each benchmark builds its rope object once, outside the timing loop (a model builds one
// per layer); bench_rotate's BM_RopePerCall shows what building it per call costs.
#include <benchmark/benchmark.h>
#include <rotary/rotary.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace {

using rotary::pairing;
using rotary::tensor_view;

/// n random values: a copy of the front of one shared random buffer (generated once, so
/// that the setup of each benchmark costs a copy, not 16 M draws).
std::vector<float> random_tensor(std::size_t n) {
  static std::vector<float> pool;
  if (pool.size() < n) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    pool.resize(n);
    for (auto& v : pool) v = dist(rng);
  }
  return std::vector<float>(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(n));
}

/// in (random) and out (zero), n floats each, in one allocation, out placed 256 bytes past
/// a 4 KiB boundary relative to in: two buffers allocated separately tend to agree mod
/// 4 KiB, and then loads wait on unrelated stores (4K aliasing; it made the decode memcpy
/// ~20x slower than bench_rotate's), which would measure the allocator, not the kernel.
struct in_out {
  static constexpr std::size_t page = 4096 / sizeof(float), skew = 256 / sizeof(float);
  std::vector<float> buffer;
  float* in;
  float* out;
  explicit in_out(std::size_t n)
      : buffer(2 * padded(n) + skew), in(buffer.data()), out(buffer.data() + padded(n) + skew) {
    const std::vector<float> r = random_tensor(n);
    std::copy(r.begin(), r.end(), in);
  }
  static std::size_t padded(std::size_t n) { return (n + page - 1) / page * page; }
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
  std::vector<float> q = random_tensor(s.elements());
  std::vector<float> k = random_tensor(static_cast<std::size_t>(s.tokens * kv * s.head_dim));
  const auto& table = table_128();
  const tensor_view<float, 3> qv(q.data(), {s.tokens, s.heads, s.head_dim});
  const tensor_view<float, 3> kv_view(k.data(), {s.tokens, kv, s.head_dim});
  const auto pos = rotary::positions::from_offset(0);
  const rotary::rope rope(table, P);
  for (auto _ : state) {
    if constexpr (Fused) {
      rope.forward(rotary::query(qv), rotary::key(kv_view), pos);
    } else {
      rope.forward(qv, pos);
      rope.forward(kv_view, pos);
    }
    benchmark::DoNotOptimize(q.data());
    benchmark::DoNotOptimize(k.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, q.size() + k.size());
}

/// Out of place with a rope of state.range(3) threads (default threshold).
template <pairing P>
void BM_RotateThreads(benchmark::State& state) {
  const shape s(state);
  rotary::rope_options options;
  options.execution = rotary::threads(static_cast<int>(state.range(3)));
  in_out d(s.elements());
  const auto& table = table_128();
  const tensor_view<const float, 3> iv(d.in, {s.tokens, s.heads, s.head_dim});
  const tensor_view<float, 3> ov(d.out, {s.tokens, s.heads, s.head_dim});
  const rotary::rope rope(table, P, options);
  for (auto _ : state) {
    rope.forward(iv, ov, rotary::positions::from_offset(0));
    benchmark::DoNotOptimize(d.out);
    benchmark::ClobberMemory();
  }
  set_bytes(state, s.elements());
}

/// A BHSD batch (rank-4 view, 4 sequences at their own start offsets), in place.
template <pairing P>
void BM_RotateBhsd(benchmark::State& state) {
  const shape s(state);
  const std::ptrdiff_t batch = 4, seq = s.tokens / batch;
  std::vector<float> x = random_tensor(s.elements());
  const auto& table = table_128();
  const std::int64_t starts[4] = {0, 17, 33, 64};
  const auto v = rotary::bhsd_view(x.data(), batch, s.heads, seq, s.head_dim);
  const rotary::rope rope(table, P);
  for (auto _ : state) {
    rope.forward(v, rotary::positions::from_starts(starts, batch));
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, s.elements());
}

// MinTime keeps the whole program near a minute with default flags.
#define SHAPES ->Args({1, 32, 128})->Args({4096, 32, 128})->MinTime(0.2)

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

BENCHMARK_TEMPLATE(BM_RotateBhsd, pairing::interleaved)->Args({4096, 32, 128})->MinTime(0.2);
BENCHMARK_TEMPLATE(BM_RotateBhsd, pairing::half_split)->Args({4096, 32, 128})->MinTime(0.2);

#define THREAD_SHAPES \
  ->Args({1, 32, 128, 1})->Args({1, 32, 128, 2})->Args({4096, 32, 128, 1})->Args({4096, 32, 128, 2})->MinTime(0.2)
BENCHMARK_TEMPLATE(BM_RotateThreads, pairing::interleaved) THREAD_SHAPES->UseRealTime();
BENCHMARK_TEMPLATE(BM_RotateThreads, pairing::half_split) THREAD_SHAPES->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
