// SPDX-License-Identifier: MIT
// The scaling schemes and angle sources against plain RoPE, float, one thread:
//   schemes/table_build/<positions>/<scheme>   building a cos_sin_table of rotary_dim 128
//                                              for 4096 and 131072 positions (default,
//                                              linear, YaRN, Llama 3, LongRoPE frequencies;
//                                              cos and sin of the exact angle in double)
//   schemes/512x32x128/<source>                one q + k call (q 32 heads, k 8) out of place,
//                                              half_split, positions 0..511:
//     default       a table of the default frequencies
//     yarn          a YaRN table (its attention factor folded into cos and sin)
//     query_scale   the default table with Llama 4's attention temperature on q
//     on_the_fly    on_the_fly_angles (no table)
//     xpos          xpos_angles for q and k (two calls: each role its own source)
// Buffers from skewed_arena (bench_fixture.hpp).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <rotary/rotary.hpp>
#include <string>
#include <vector>

#include "bench_fixture.hpp"

namespace {

using rotary::pairing;
constexpr std::ptrdiff_t dim = 128, tokens = 512, q_heads = 32, k_heads = 8;

rotary::scaled_frequencies scheme(const std::string& name) {
  if (name == "linear") return rotary::scaling::linear(dim, 10000.0, 4.0);
  if (name == "yarn") {
    rotary::scaling::yarn_parameters p;
    p.rotary_dim = dim;
    p.factor = 4.0;
    p.max_position_embeddings = 131072;
    p.original_max_position_embeddings = 32768;
    return rotary::scaling::yarn(p);
  }
  if (name == "llama3") {
    rotary::scaling::llama3_parameters p{dim, 500000.0, 8.0, 1.0, 4.0, 8192};
    return rotary::scaling::llama3(p);
  }
  if (name == "longrope") {
    rotary::scaling::longrope_parameters p;
    p.rotary_dim = dim;
    p.short_factor.assign(dim / 2, 1.0);
    p.long_factor.assign(dim / 2, 4.0);
    p.max_position_embeddings = 131072;
    p.original_max_position_embeddings = 4096;
    return rotary::scaling::longrope(p, 131072);
  }
  return rotary::scaling::default_rope(dim);
}

void add_table_builds() {
  for (std::ptrdiff_t rows : {4096, 131072}) {
    for (const char* name : {"default", "linear", "yarn", "llama3", "longrope"}) {
      const std::string row = "schemes/table_build/" + std::to_string(rows) + "/" + name;
      benchmark::RegisterBenchmark(row.c_str(), [rows, f = scheme(name)](benchmark::State& st) {
        for (auto _ : st) {
          rotary::cos_sin_table<float> t(f, rows);
          benchmark::DoNotOptimize(t.data());
        }
        st.counters["positions"] = static_cast<double>(rows);
      })->Unit(benchmark::kMillisecond);
    }
  }
}

/// q and k in, q and k out (out of place: a factor such as YaRN's or xPos's never
/// compounds over the iterations).
struct qk {
  static constexpr std::size_t q_bytes = tokens * q_heads * dim * 4, k_bytes = tokens * k_heads * dim * 4;
  rotary_bench::skewed_arena arena{{q_bytes, k_bytes, q_bytes, k_bytes}};
  rotary::tensor_view<const float, 3> q{arena.get<float>(0), {tokens, q_heads, dim}};
  rotary::tensor_view<const float, 3> k{arena.get<float>(1), {tokens, k_heads, dim}};
  rotary::tensor_view<float, 3> q_out{arena.get<float>(2), {tokens, q_heads, dim}};
  rotary::tensor_view<float, 3> k_out{arena.get<float>(3), {tokens, k_heads, dim}};
  qk() {
    rotary_bench::fill(arena.get<float>(0), static_cast<std::size_t>(q.size()));
    rotary_bench::fill(arena.get<float>(1), static_cast<std::size_t>(k.size()));
  }
  auto query() const { return rotary::query(q, q_out); }
  auto key() const { return rotary::key(k, k_out); }
};

template <class Call>
void add_source(const char* name, Call call) {
  const std::string row = "schemes/512x32x128/" + std::string(name);
  benchmark::RegisterBenchmark(row.c_str(), [call](benchmark::State& st) {
    qk d;
    auto run = call(d);
    for (auto _ : st) {
      run();
      benchmark::ClobberMemory();
    }
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * 2 * (d.q.size() + d.k.size()) * 4);
  });
}

void add_sources() {
  const auto pos = rotary::positions::from_offset(0);
  add_source("default", [pos](qk& d) {
    return [&d, pos, t = std::make_shared<rotary::cos_sin_table<float>>(dim, tokens)] {
      rotary::rope(*t, pairing::half_split).forward(d.query(), d.key(), pos);
    };
  });
  add_source("yarn", [pos](qk& d) {
    return [&d, pos, t = std::make_shared<rotary::cos_sin_table<float>>(scheme("yarn"), tokens)] {
      rotary::rope(*t, pairing::half_split).forward(d.query(), d.key(), pos);
    };
  });
  add_source("query_scale", [pos](qk& d) {
    rotary::rope_options o;
    o.query_scale = rotary::query_scale::llama4_temperature();
    return [&d, pos, o, t = std::make_shared<rotary::cos_sin_table<float>>(dim, tokens)] {
      rotary::rope(*t, pairing::half_split, o).forward(d.query(), d.key(), pos);
    };
  });
  add_source("on_the_fly", [pos](qk& d) {
    return [&d, pos, a = rotary::on_the_fly_angles<float>(dim)] {
      rotary::rope(a, pairing::half_split).forward(d.query(), d.key(), pos);
    };
  });
  add_source("xpos", [pos](qk& d) {
    const auto f = rotary::rope_frequencies(dim);
    return [&d, pos, qa = rotary::xpos_angles<float>(f, rotary::xpos_role::query, 256.0),
            ka = rotary::xpos_angles<float>(f, rotary::xpos_role::key, 256.0)] {
      rotary::rope(qa, pairing::half_split).forward(d.q, d.q_out, pos);
      rotary::rope(ka, pairing::half_split).forward(d.k, d.k_out, pos);
    };
  });
}

}  // namespace

int main(int argc, char** argv) {
  add_sources();
  add_table_builds();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("rotary_simd", rotary::simd_instruction_set());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
