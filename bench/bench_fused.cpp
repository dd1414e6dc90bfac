// SPDX-License-Identifier: MIT
// Fused passes against what they replace, one thread, in one process:
//   fused_kv/<shape>/<cache>/copy      the copy alone: k and v rows into their cache slots
//                                      (memcpy for a float cache, the kernels' conversion
//                                      for bfloat16)
//   fused_kv/<shape>/<cache>/fused     rotate_into_cache: k rotated into the slots, v copied
//   fused_kv/<shape>/<cache>/unfused   rope out of place into a staging buffer, then the copy
// shape: tokens x kv_heads x head_dim, float keys and values, half_split, slots of a paged
// cache (blocks of 16 rows, every other block: the rows are not one run). The issue's
// target: fused <= 1.05x the copy's time.
//   qk_norm/<shape>/unfused, fused     QK-norm + RoPE as two passes and as one (see below)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <random>
#include <rotary/rotary.hpp>
#include <string>
#include <vector>

namespace {

using rotary::pairing;

struct kv_shape {
  std::ptrdiff_t tokens, heads, dim;
};

/// n values of T in `storage`, starting `skew` bytes past a 4 KiB boundary: every buffer of a
/// row gets its own skew, so that no two streams agree modulo 4 KiB (4K aliasing: a copy
/// from a buffer 16 bytes off its destination modulo 4 KiB measured 8x slower here).
template <class T>
T* skewed(std::vector<T>& storage, std::size_t n, std::size_t skew) {
  storage.assign(n + (4096 + skew) / sizeof(T) + 1, T(0));
  const auto base = reinterpret_cast<std::uintptr_t>(storage.data());
  const std::uintptr_t aligned = (base + 4095) / 4096 * 4096 + skew;
  return reinterpret_cast<T*>(aligned);
}

template <class Cache>
struct kv_data {
  kv_shape s;
  std::vector<float> k_store, v_store, staging_store;
  std::vector<Cache> k_cache_store, v_cache_store;
  float *k, *v, *staging;
  Cache *k_cache, *v_cache;
  std::ptrdiff_t rows = 0;
  std::vector<std::int32_t> slots;
  rotary::cos_sin_table<float> table;

  explicit kv_data(const kv_shape& shape) : s(shape), table(shape.dim, shape.tokens + 1) {
    const std::size_t n = static_cast<std::size_t>(s.tokens * s.heads * s.dim);
    for (std::ptrdiff_t t = 0; t < s.tokens; ++t) {
      slots.push_back(static_cast<std::int32_t>((t / 16) * 32 + t % 16));  // every other block
    }
    rows = slots.back() + 1;
    k = skewed(k_store, n, 0);
    v = skewed(v_store, n, 768);
    staging = skewed(staging_store, n, 1536);
    k_cache = skewed(k_cache_store, static_cast<std::size_t>(rows * row()), 2304);
    v_cache = skewed(v_cache_store, static_cast<std::size_t>(rows * row()), 3072);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (std::size_t i = 0; i < n; ++i) k[i] = dist(rng), v[i] = dist(rng);
  }
  std::ptrdiff_t row() const { return s.heads * s.dim; }
  rotary::tensor_view<Cache, 3> cache(Cache* c) const { return {c, {rows, s.heads, s.dim}}; }
  /// dst row of each token = src row (converted).
  void copy_rows(const float* src, Cache* dst) const {
    for (std::ptrdiff_t t = 0; t < s.tokens; ++t) {
      Cache* out = dst + slots[static_cast<std::size_t>(t)] * row();
      if constexpr (std::is_same_v<Cache, float>) {
        std::memcpy(out, src + t * row(), static_cast<std::size_t>(row()) * sizeof(float));
      } else {
        rotary::detail::copy_elements(src + t * row(), out, row());
      }
    }
  }
};

template <class Cache>
void register_rows(const kv_shape& s, const char* cache_name) {
  const std::string prefix = "fused_kv/" + std::to_string(s.tokens) + "x" + std::to_string(s.heads) +
                             "x" + std::to_string(s.dim) + "/" + cache_name + "/";
  auto bytes = [s](benchmark::State& st) {
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * 2 * 2 * s.tokens * s.heads *
                         s.dim * static_cast<std::int64_t>(sizeof(float) + sizeof(Cache)) / 2);
  };
  benchmark::RegisterBenchmark((prefix + "copy").c_str(), [=](benchmark::State& st) {
    kv_data<Cache> d(s);
    for (auto _ : st) {
      d.copy_rows(d.k, d.k_cache);
      d.copy_rows(d.v, d.v_cache);
      benchmark::ClobberMemory();
    }
    bytes(st);
  });
  benchmark::RegisterBenchmark((prefix + "fused").c_str(), [=](benchmark::State& st) {
    kv_data<Cache> d(s);
    const rotary::rope r(d.table, pairing::half_split);
    const rotary::tensor_view<const float, 3> k(d.k, {s.tokens, s.heads, s.dim});
    const rotary::tensor_view<const float, 3> v(d.v, {s.tokens, s.heads, s.dim});
    for (auto _ : st) {
      rotary::rotate_into_cache(r, k, v, d.cache(d.k_cache), d.cache(d.v_cache), d.slots.data(),
                                s.tokens, rotary::positions::from_offset(1));
      benchmark::ClobberMemory();
    }
    bytes(st);
  });
  benchmark::RegisterBenchmark((prefix + "unfused").c_str(), [=](benchmark::State& st) {
    kv_data<Cache> d(s);
    const rotary::rope r(d.table, pairing::half_split);
    const rotary::tensor_view<const float, 3> k(d.k, {s.tokens, s.heads, s.dim});
    const rotary::tensor_view<float, 3> staged(d.staging, {s.tokens, s.heads, s.dim});
    for (auto _ : st) {
      r.forward(k, staged, rotary::positions::from_offset(1));
      d.copy_rows(d.staging, d.k_cache);
      d.copy_rows(d.v, d.v_cache);
      benchmark::ClobberMemory();
    }
    bytes(st);
  });
}

/// QK-norm + RoPE (Qwen3: RMSNorm with a weight, then RoPE) on q [tokens][32][128] and
/// k [tokens][8][128], in place: the two passes (apply_head_norm on q and k, then the rope)
/// against the fused pass (rope_options::query_norm / key_norm).
void register_qk_norm(std::ptrdiff_t tokens) {
  const std::string prefix = "qk_norm/" + std::to_string(tokens) + "x32+8x128/";
  struct data {
    std::vector<float> q, k;
    rotary::cos_sin_table<float> table;
    explicit data(std::ptrdiff_t n) : q(static_cast<std::size_t>(n * 32 * 128)), k(static_cast<std::size_t>(n * 8 * 128)), table(128, n + 1) {
      std::mt19937 rng(5);
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      for (auto& x : q) x = dist(rng);
      for (auto& x : k) x = dist(rng);
    }
  };
  const std::vector<double> w(128, 1.0);  // weight 1: the values stay bounded over iterations
  auto bytes = [tokens](benchmark::State& st) {
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * 2 * tokens * 40 * 128 * 4);
  };
  benchmark::RegisterBenchmark((prefix + "unfused").c_str(), [=](benchmark::State& st) {
    data d(tokens);
    const rotary::rope r(d.table, pairing::half_split);
    const auto qn = rotary::head_norm::rms(w), kn = rotary::head_norm::rms(w);
    const rotary::tensor_view<float, 3> q(d.q.data(), {tokens, 32, 128}), k(d.k.data(), {tokens, 8, 128});
    for (auto _ : st) {
      rotary::apply_head_norm(q, qn);
      rotary::apply_head_norm(k, kn);
      r.forward(rotary::query(q), rotary::key(k), rotary::positions::from_offset(1));
      benchmark::ClobberMemory();
    }
    bytes(st);
  });
  benchmark::RegisterBenchmark((prefix + "fused").c_str(), [=](benchmark::State& st) {
    data d(tokens);
    rotary::rope_options o;
    o.query_norm = rotary::head_norm::rms(w);
    o.key_norm = rotary::head_norm::rms(w);
    const rotary::rope r(d.table, pairing::half_split, o);
    const rotary::tensor_view<float, 3> q(d.q.data(), {tokens, 32, 128}), k(d.k.data(), {tokens, 8, 128});
    for (auto _ : st) {
      r.forward(rotary::query(q), rotary::key(k), rotary::positions::from_offset(1));
      benchmark::ClobberMemory();
    }
    bytes(st);
  });
}

}  // namespace

int main(int argc, char** argv) {
  for (std::ptrdiff_t tokens : {1, 512, 4096}) register_qk_norm(tokens);
  for (const kv_shape& s : {kv_shape{1, 8, 128}, kv_shape{1, 32, 128}, kv_shape{512, 8, 128},
                            kv_shape{4096, 8, 128}}) {
    register_rows<float>(s, "float");
    register_rows<rotary::bfloat16>(s, "bfloat16");
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
