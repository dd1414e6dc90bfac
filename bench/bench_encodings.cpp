// Cost of applying each position encoding to [tokens][heads][head_dim] float data:
//   RoPE         rotate<half> in place (RoFormer eq. 34) from a cos/sin table;
//   sinusoidal   x += PE(pos) (Vaswani 2017 §3.5), sin/cos computed per token;
//   learned      x += P[pos] from a max_positions x head_dim table;
//   relative     fill the [heads][tokens][tokens] logit bias (T5 buckets): its cost grows
//                with tokens^2, so it runs at smaller token counts.
// Args: {num_tokens, num_heads, head_dim}. Bytes processed = bytes read + written of the
// tensor (2x its size) for the first three, bytes of bias written for the relative bias.
#include <benchmark/benchmark.h>
#include <rotary/rotary.hpp>

#include <cstdint>
#include <vector>

namespace {

using rotary::positions;
using rotary::tensor_view;

struct shape {
  std::ptrdiff_t tokens, heads, dim;
  explicit shape(const benchmark::State& s) : tokens(s.range(0)), heads(s.range(1)), dim(s.range(2)) {}
  std::size_t size() const { return static_cast<std::size_t>(tokens * heads * dim); }
};

void set_bytes(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes));
}

template <class Apply>
void run(benchmark::State& state, Apply&& apply) {
  const shape s(state);
  std::vector<float> x(s.size(), 0.5f);
  const tensor_view<float, 3> view(x.data(), {s.tokens, s.heads, s.dim});
  for (auto _ : state) {
    apply(view);
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, 2 * s.size() * sizeof(float));
}

void BM_Rope(benchmark::State& state) {
  const shape s(state);
  const rotary::cos_sin_table<float> table(s.dim, s.tokens);
  run(state, [&](tensor_view<float, 3> x) {
    rotary::rotate<rotary::pairing::half_split>(x, table, positions::from_offset(0));
  });
}

void BM_Sinusoidal(benchmark::State& state) {
  const rotary::sinusoidal_encoding pe(shape(state).dim);
  run(state, [&](tensor_view<float, 3> x) { pe.add(x, positions::from_offset(0)); });
}

void BM_Learned(benchmark::State& state) {
  const shape s(state);
  const rotary::learned_position_encoding<float> pe(s.tokens, s.dim, 1);
  run(state, [&](tensor_view<float, 3> x) { pe.add(x, positions::from_offset(0)); });
}

void BM_RelativeBias(benchmark::State& state) {
  const shape s(state);
  const rotary::relative_position_bias<float> rpb(s.heads, rotary::relative_buckets::t5());
  std::vector<float> bias(static_cast<std::size_t>(s.heads * s.tokens * s.tokens));
  const tensor_view<float, 3> view(bias.data(), {s.heads, s.tokens, s.tokens});
  for (auto _ : state) {
    rpb.fill(view, positions::from_offset(0), positions::from_offset(0));
    benchmark::DoNotOptimize(bias.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, bias.size() * sizeof(float));
}

void shapes(benchmark::internal::Benchmark* b) {
  b->Args({16, 1, 128});
  b->Args({4096, 32, 128});
  b->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK(BM_Rope)->Apply(shapes);
BENCHMARK(BM_Sinusoidal)->Apply(shapes);
BENCHMARK(BM_Learned)->Apply(shapes);
BENCHMARK(BM_RelativeBias)->Args({16, 1, 128})->Args({512, 32, 128})->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
