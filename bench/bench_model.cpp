// SPDX-License-Identifier: MIT
// What RoPE costs a model, next to the encodings it replaces and next to attention: the
// rows of one forward pass of a 32-layer model with 32 heads x 128 (d_model 4096), float,
// one thread, at three prefill lengths and one decode step over a 4096-token cache:
//   model/<case>/rope_qk              RoPE on the new tokens' q and k, in place (one call):
//                                     every layer
//   model/<case>/sinusoidal_table     x[t] += PE[pos_t] from a precomputed sinusoidal table
//                                     (Vaswani 2017 section 3.5) on the embeddings: once
//   model/<case>/sinusoidal_on_the_fly  the same with sin/cos computed per token: once
//   model/<case>/learned              x[t] += P[pos_t], a learned table (GPT-2): once
//   model/<case>/t5_bias_fill         T5's bucketed relative bias [heads][queries][keys],
//                                     computed once per pass (T5 shares it across layers)
//   model/<case>/t5_bias_add          that bias added to the logits: every layer
//   model/<case>/attention            the reference SDPA (Eigen; exact, not optimized),
//                                     causal, over the case's keys: every layer
// Each row's counter per_forward is how many times a forward pass runs it (32 or 1); the
// attention rows carry their flops and the K and V bytes they read (counters flops,
// kv_bytes), from which bench/report.py forms a lower bound for attention time with:
//   machine/gemm      an Eigen float GEMM 512 x 512 x 512 (counter flops per iteration)
//   machine/read      a read-only pass over 256 MiB in 8 streams (bytes read per second)
// Buffers come from skewed_arena (bench_fixture.hpp). Built only with Eigen.
#include <benchmark/benchmark.h>

#include "bench_eigen.hpp"
#include <cstdint>
#ifdef __AVX__
#include <immintrin.h>
#endif
#include <cstring>
#include <rotary/attention.hpp>
#include <rotary/rotary.hpp>
#include <string>
#include <vector>

#include "bench_fixture.hpp"

namespace {

constexpr std::ptrdiff_t layers = 32, heads = 32, head_dim = 128, d_model = heads * head_dim;

/// A forward pass: `queries` new tokens at positions start, start + 1, ... attending to
/// `keys` keys (the cache and themselves).
struct pass_case {
  const char* name;
  std::ptrdiff_t queries, keys;
  std::int64_t start() const { return keys - queries; }
  rotary::positions q_positions() const { return rotary::positions::from_offset(start()); }
};

constexpr pass_case cases[] = {{"prefill_128", 128, 128},
                               {"prefill_512", 512, 512},
                               {"prefill_2048", 2048, 2048},
                               {"decode_4096", 1, 4097}};

using rotary::tensor_view;

std::size_t floats(std::ptrdiff_t n) { return static_cast<std::size_t>(n) * sizeof(float); }

/// Times call() `per_forward` times per forward pass.
template <class Call>
void timed(benchmark::State& state, int per_forward, Call&& call, void* out) {
  for (auto _ : state) {
    call();
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
  }
  state.counters["per_forward"] = per_forward;
}

const rotary::cos_sin_table<float>& table() {
  static const rotary::cos_sin_table<float> t(head_dim, 4097);
  return t;
}

void add_case(const pass_case& c) {
  const std::string prefix = std::string("model/") + c.name + "/";
  const std::ptrdiff_t nq = c.queries, nk = c.keys;
  benchmark::RegisterBenchmark((prefix + "rope_qk").c_str(), [c, nq](benchmark::State& st) {
    rotary_bench::skewed_arena a({floats(nq * d_model), floats(nq * d_model)});
    rotary_bench::fill(a.get<float>(0), static_cast<std::size_t>(nq * d_model));
    rotary_bench::fill(a.get<float>(1), static_cast<std::size_t>(nq * d_model));
    const tensor_view<float, 3> q(a.get<float>(0), {nq, heads, head_dim}), k(a.get<float>(1), {nq, heads, head_dim});
    const rotary::rope r(table(), rotary::pairing::half_split);
    timed(st, layers, [&] { r.forward(rotary::query(q), rotary::key(k), c.q_positions()); }, q.data());
  });
  // Absolute encodings on the embeddings [queries][d_model], once per pass.
  auto embeddings = [nq]() {
    rotary_bench::skewed_arena a({floats(nq * d_model)});
    return a;
  };
  benchmark::RegisterBenchmark((prefix + "sinusoidal_table").c_str(), [c, nq, embeddings](benchmark::State& st) {
    rotary::learned_position_encoding<float> pe(4097, d_model);
    const rotary::sinusoidal_encoding sin(d_model);
    std::vector<float> rows(static_cast<std::size_t>(4097 * d_model));
    for (std::int64_t p = 0; p < 4097; ++p) sin.row(p, rows.data() + p * d_model);
    pe.load(rows.data());
    auto a = embeddings();
    const tensor_view<float, 2> x(a.get<float>(0), {nq, d_model});
    timed(st, 1, [&] { pe.add(x, c.q_positions()); }, x.data());
  });
  benchmark::RegisterBenchmark((prefix + "sinusoidal_on_the_fly").c_str(), [c, nq, embeddings](benchmark::State& st) {
    const rotary::sinusoidal_encoding pe(d_model);
    auto a = embeddings();
    const tensor_view<float, 2> x(a.get<float>(0), {nq, d_model});
    timed(st, 1, [&] { pe.add(x, c.q_positions()); }, x.data());
  });
  benchmark::RegisterBenchmark((prefix + "learned").c_str(), [c, nq, embeddings](benchmark::State& st) {
    const rotary::learned_position_encoding<float> pe(4097, d_model, 1);
    auto a = embeddings();
    const tensor_view<float, 2> x(a.get<float>(0), {nq, d_model});
    timed(st, 1, [&] { pe.add(x, c.q_positions()); }, x.data());
  });
  const std::ptrdiff_t logits = heads * nq * nk;
  benchmark::RegisterBenchmark((prefix + "t5_bias_fill").c_str(), [c, nq, nk, logits](benchmark::State& st) {
    const rotary::relative_position_bias<float> rpb(heads, rotary::relative_buckets::t5());
    rotary_bench::skewed_arena a({floats(logits)});
    const tensor_view<float, 3> bias(a.get<float>(0), {heads, nq, nk});
    timed(st, 1, [&] { rpb.fill(bias, c.q_positions(), rotary::positions::from_offset(0)); }, bias.data());
  });
  benchmark::RegisterBenchmark((prefix + "t5_bias_add").c_str(), [logits](benchmark::State& st) {
    rotary_bench::skewed_arena a({floats(logits), floats(logits)});
    float* scores = a.get<float>(0);
    const float* bias = a.get<float>(1);
    rotary_bench::fill(a.get<float>(1), static_cast<std::size_t>(logits));
    timed(st, layers, [&] {
      for (std::ptrdiff_t i = 0; i < logits; ++i) scores[i] += bias[i];
    }, scores);
  });
  benchmark::RegisterBenchmark((prefix + "attention").c_str(), [nq, nk](benchmark::State& st) {
    rotary_bench::skewed_arena a({floats(nq * d_model), floats(nk * d_model), floats(nk * d_model), floats(nq * d_model)});
    for (std::size_t i = 0; i < 3; ++i) {
      rotary_bench::fill(a.get<float>(i), static_cast<std::size_t>((i == 0 ? nq : nk) * d_model));
    }
    const tensor_view<const float, 3> q(a.get<float>(0), {nq, heads, head_dim});
    const tensor_view<const float, 3> k(a.get<float>(1), {nk, heads, head_dim});
    const tensor_view<const float, 3> v(a.get<float>(2), {nk, heads, head_dim});
    const tensor_view<float, 3> out(a.get<float>(3), {nq, heads, head_dim});
    rotary::attention_options<float> o;
    o.causal = true;
    timed(st, layers, [&] { rotary::scaled_dot_product_attention<float>(q, k, v, out, o); }, out.data());
    // Query i sees keys [0, nk - nq + i]: QK^T and PV each 2 flops per (query, key, element).
    double visible = 0;
    for (std::ptrdiff_t i = 0; i < nq; ++i) visible += static_cast<double>(nk - nq + i + 1);
    st.counters["flops"] = 4.0 * heads * head_dim * visible;
    st.counters["kv_bytes"] = 2.0 * static_cast<double>(nk * d_model) * sizeof(float);
  });
}

void add_machine() {
  benchmark::RegisterBenchmark("machine/gemm", [](benchmark::State& st) {
    constexpr int n = 512;
    const Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n);
    Eigen::MatrixXf c(n, n);
    for (auto _ : st) {
      c.noalias() = a * b;
      benchmark::DoNotOptimize(c.data());
      benchmark::ClobberMemory();
    }
    st.counters["flops"] = 2.0 * n * n * n;
  });
  benchmark::RegisterBenchmark("machine/read", [](benchmark::State& st) {
    const std::size_t n = std::size_t{64} << 20;  // 256 MiB of float: DRAM
    rotary_bench::skewed_arena a({n * sizeof(float)});
    const float* x = a.get<float>(0);
    rotary_bench::fill(a.get<float>(0), n);
    // Eight streams at once (one stream is limited by its prefetcher: about half of this
    // machine's read bandwidth), each into its own vector of sums.
    constexpr std::size_t streams = 8;
    const std::size_t chunk = n / streams;
    for (auto _ : st) {
#ifdef __AVX__
      __m256 sum[streams];
      for (auto& v : sum) v = _mm256_setzero_ps();
      for (std::size_t i = 0; i < chunk; i += 8) {
        for (std::size_t s = 0; s < streams; ++s) sum[s] = _mm256_add_ps(sum[s], _mm256_loadu_ps(x + s * chunk + i));
      }
#else
      float sum[streams] = {};
      for (std::size_t i = 0; i < chunk; ++i) {
        for (std::size_t s = 0; s < streams; ++s) sum[s] += x[s * chunk + i];
      }
#endif
      benchmark::DoNotOptimize(sum);
    }
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(n * sizeof(float)));
  });
}

}  // namespace

int main(int argc, char** argv) {
  add_machine();
  for (const pass_case& c : cases) add_case(c);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("rotary_simd", rotary::simd_instruction_set());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
