// Reference attention (Eigen) with each position encoding, at a moderate size:
// causal self-attention over [tokens][heads][head_dim] float data through
// attention_with_positions (q and k are copied, encoded, then attended). Also the plain
// scaled_dot_product_attention (no copies) and RoPE linear attention (RoFormer eq. 19).
// Args: {num_tokens, num_heads, head_dim}. Bytes processed = bytes of q, k, v read and of
// out written, so the columns compare the same work.
#include <benchmark/benchmark.h>
#include <rotary/attention.hpp>

#include <cstdint>
#include <random>
#include <vector>

namespace {

using rotary::pairing;
using rotary::positions;
using rotary::tensor_view;

struct problem {
  std::ptrdiff_t n, h, d;
  std::vector<float> q, k, v, out;
  explicit problem(const benchmark::State& s)
      : n(s.range(0)), h(s.range(1)), d(s.range(2)), q(size()), k(size()), v(size()), out(size()) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (auto* x : {&q, &k, &v})
      for (auto& e : *x) e = dist(rng);
  }
  std::size_t size() const { return static_cast<std::size_t>(n * h * d); }
  tensor_view<const float, 3> in(const std::vector<float>& x) const {
    return tensor_view<const float, 3>(x.data(), {n, h, d});
  }
  tensor_view<float, 3> result() { return tensor_view<float, 3>(out.data(), {n, h, d}); }
};

template <class Hook>
void attend(benchmark::State& state, problem& p, const Hook& hook) {
  rotary::attention_options<float> options;
  options.causal = true;
  for (auto _ : state) {
    rotary::attention_with_positions<float>(hook, p.in(p.q), positions::from_offset(0), p.in(p.k),
                                            positions::from_offset(0), p.in(p.v), p.result(),
                                            options);
    benchmark::DoNotOptimize(p.out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 4 *
                          static_cast<std::int64_t>(p.size() * sizeof(float)));
}

void BM_AttentionNone(benchmark::State& state) {
  problem p(state);
  attend(state, p, rotary::no_position_hook{});
}
void BM_AttentionRope(benchmark::State& state) {
  problem p(state);
  const rotary::cos_sin_table<float> table(p.d, p.n);
  attend(state, p, rotary::make_rope_hook<pairing::half_split>(table));
}
void BM_AttentionSinusoidal(benchmark::State& state) {
  problem p(state);
  const rotary::sinusoidal_encoding pe(p.d);
  attend(state, p, rotary::absolute_hook(pe));
}
void BM_AttentionLearned(benchmark::State& state) {
  problem p(state);
  const rotary::learned_position_encoding<float> pe(p.n, p.d, 1);
  attend(state, p, rotary::absolute_hook(pe));
}
void BM_AttentionRelativeBias(benchmark::State& state) {
  problem p(state);
  const rotary::relative_position_bias<float> rpb(p.h, rotary::relative_buckets::t5());
  attend(state, p, rotary::relative_bias_hook(rpb));
}
void BM_SdpaNoCopies(benchmark::State& state) {
  problem p(state);
  rotary::attention_options<float> options;
  options.causal = true;
  for (auto _ : state) {
    rotary::scaled_dot_product_attention<float>(p.in(p.q), p.in(p.k), p.in(p.v), p.result(),
                                                options);
    benchmark::DoNotOptimize(p.out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 4 *
                          static_cast<std::int64_t>(p.size() * sizeof(float)));
}
void BM_LinearAttentionRope(benchmark::State& state) {
  problem p(state);
  const rotary::cos_sin_table<float> table(p.d, p.n);
  for (auto _ : state) {
    rotary::linear_attention<pairing::half_split>(p.in(p.q), positions::from_offset(0), p.in(p.k),
                                            positions::from_offset(0), p.in(p.v), p.result(),
                                            table, {true});
    benchmark::DoNotOptimize(p.out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 4 *
                          static_cast<std::int64_t>(p.size() * sizeof(float)));
}

void shapes(benchmark::internal::Benchmark* b) {
  b->Args({16, 1, 64});
  b->Args({512, 8, 64});
  b->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK(BM_SdpaNoCopies)->Apply(shapes);
BENCHMARK(BM_AttentionNone)->Apply(shapes);
BENCHMARK(BM_AttentionRope)->Apply(shapes);
BENCHMARK(BM_AttentionSinusoidal)->Apply(shapes);
BENCHMARK(BM_AttentionLearned)->Apply(shapes);
BENCHMARK(BM_AttentionRelativeBias)->Apply(shapes);
BENCHMARK(BM_LinearAttentionRope)->Apply(shapes);

BENCHMARK_MAIN();
