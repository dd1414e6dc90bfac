// SPDX-License-Identifier: MIT
// RoPE against the streaming limit, every row next to its baseline in the same process:
// out of place against memcpy of the same bytes, in place against x *= c over exactly the
// elements the rotation rewrites (streaming_baselines.hpp). One fixture for every row
// (bench_fixture.hpp): in and out in one allocation, 256 bytes apart modulo 4 KiB.
// bench/ratio_table.py turns the JSON (--benchmark_out=F --benchmark_out_format=json, one
// or more runs) into the tables: ratio = baseline time / RoPE time, 1.00 = at the limit.
//
// Rows (Google Benchmark appends /real_time: every row is timed in wall-clock time, so
// that the two-thread rows compare with the others):
//   matrix/<type>/<shape>/memcpy                           the out-of-place limit
//   matrix/<type>/<shape>/scale                            the in-place limit
//   matrix/<type>/<shape>/<pairing>/<in_place|out_of_place>
//   decode/float/<shape>/...                               the same for one token, with the
//                                                          counter instructions_per_call
//   angles/float/<shape>/<pairing>/<table|on_the_fly>      cos/sin read from the table or
//                                                          computed per token; out of place
//   threads/float/<shape>/memcpy/<n>                       memcpy on n = 1, 2 threads
//   threads/float/<shape>/<pairing>/<n>                    out of place, rotary::threads(n)
//   kv_cache/float_to_bfloat16/<shape>/memcpy              float keys written into a bf16
//   kv_cache/float_to_bfloat16/<shape>/<pairing>/out_of_place   cache; memcpy of (4 + 2) / 2
//                                                          bytes per element
// <type>: float, double, bfloat16, float16. <shape>: tokens x heads x head_dim, then
// r<rotary_dim> for partial rotary and o<rotary_offset> when the slice does not start at 0:
// 512x32x128, 1024x16x192r64, 512x32x128r32o96. Positions 0 .. tokens - 1; the table holds
// exactly those rows. Counters: bytes_per_second (bytes read + written by the row) and
// elements_per_second (the tensor's tokens x heads x head_dim, whatever the row touches).
#include <benchmark/benchmark.h>

#include <rotary/rotary.hpp>
#include <string>
#include <vector>

#include "bench_rows.hpp"
#include "callgrind_counts.hpp"
#include "decode_cases.hpp"

namespace {

using rotary::pairing;
using namespace rotary_bench;

constexpr pairing pairings[] = {pairing::interleaved, pairing::half_split};

/// Registers one row, timed on the shared fixture of (In, Out, spec.s).
template <class In, class Out = In>
void add_row(const std::string& name, const row_spec& spec) {
  benchmark::RegisterBenchmark(name.c_str(), [spec](benchmark::State& state) {
    run_row<In, Out>(spec, timed(state, spec.s));
  })->UseRealTime();
}

// --- the matrix --------------------------------------------------------------------------

/// Prefill and decode shapes of common models; head_dim 80 and 96 off the vector width;
/// partial rotary: GPT-NeoX-style rotary_pct (192/64, 256/64) and an MLA-style slice at
/// the end of the head (32 at 96).
std::vector<shape> matrix_shapes() {
  return {full(1, 32, 128),         full(16, 32, 128),         full(512, 32, 128),
          full(4096, 32, 128),      full(4096, 8, 64),         full(16384, 8, 128),
          full(512, 32, 80),        full(512, 32, 96),         full(1024, 8, 256),
          partial(1024, 16, 192, 64), partial(1024, 8, 256, 64), partial(512, 32, 128, 32, 96)};
}

/// One cell: its two baselines, then RoPE both pairings in place and out of place, all on
/// one fixture.
template <class T>
void add_matrix_cell(const shape& s) {
  const std::string prefix = std::string("matrix/") + type_name<T>() + "/" + s.name() + "/";
  add_row<T>(prefix + "memcpy", {s, pass::memcpy});
  add_row<T>(prefix + "scale", {s, pass::scale});
  for (pairing p : pairings) {
    for (pass w : {pass::in_place, pass::out_of_place}) {
      add_row<T>(prefix + pairing_name(p) + "/" + pass_name(w), {s, w, p});
    }
  }
}

template <class T>
void add_matrix() {
  for (const shape& s : matrix_shapes()) add_matrix_cell<T>(s);
}

// --- decode: the fixed cost of a call ---------------------------------------------------

/// The decode rows' instruction counts, from callgrind, measured once, when the first
/// decode row runs (so a filter without decode rows never starts valgrind).
const instruction_counts& decode_counts() {
  static const instruction_counts counts = count_decode_instructions(1000);
  return counts;
}

void add_decode() {
  for (const named_row& row : decode_rows()) {
    benchmark::RegisterBenchmark(row.name.c_str(), [row](benchmark::State& state) {
      const instruction_counts& counts = decode_counts();
      run_row<float>(row.spec, timed(state, row.spec.s));
      const auto found = counts.per_call.find(row.name);
      if (found != counts.per_call.end()) {
        state.counters["instructions_per_call"] = found->second;
        state.SetLabel("instructions: callgrind, " + counts.isa + " build, " +
                       std::to_string(counts.calls) + " calls");
      } else {
        state.SetLabel("instructions: not counted (" + counts.note + ")");
      }
    })->UseRealTime();
  }
}

// --- table-free angles ---------------------------------------------------------------------

/// on_the_fly_angles computes each token's cos/sin row (in double) once and shares it
/// across the heads: its cost per element falls with the head count (32 heads vs 8).
void add_angles() {
  for (const shape& s : {full(512, 32, 128), full(4096, 8, 64)}) {
    const std::string prefix = "angles/float/" + s.name() + "/";
    for (pairing p : pairings) {
      const std::string name = prefix + pairing_name(p) + "/";
      add_row<float>(name + "table", {s, pass::out_of_place, p});
      add_row<float>(name + "on_the_fly", {s, pass::out_of_place, p, true});
    }
  }
}

// --- threads ---------------------------------------------------------------------------------

/// 1 and 2 threads, out of place, next to memcpy's own speed-up from a second thread
/// (started per call, as rotary starts them): the speed-up a streaming pass can get.
void add_threads() {
  for (const shape& s : {full(4096, 32, 128), full(16384, 8, 128)}) {
    const std::string prefix = "threads/float/" + s.name() + "/";
    for (int n : {1, 2}) {
      add_row<float>(prefix + "memcpy/" + std::to_string(n),
                     {s, pass::memcpy, pairing::interleaved, false, n});
    }
    for (pairing p : pairings) {
      for (int n : {1, 2}) {
        add_row<float>(prefix + pairing_name(p) + "/" + std::to_string(n),
                       {s, pass::out_of_place, p, false, n});
      }
    }
  }
}

// --- float keys into a bfloat16 KV cache ----------------------------------------------------

void add_kv_cache() {
  for (const shape& s : {full(1, 32, 128), full(4096, 32, 128), full(4096, 8, 64)}) {
    const std::string prefix = "kv_cache/float_to_bfloat16/" + s.name() + "/";
    add_row<float, rotary::bfloat16>(prefix + "memcpy", {s, pass::memcpy});
    for (pairing p : pairings) {
      add_row<float, rotary::bfloat16>(prefix + pairing_name(p) + "/out_of_place",
                                       {s, pass::out_of_place, p});
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("rotary_simd", rotary::simd_instruction_set());
  add_decode();
  add_angles();
  add_threads();
  add_kv_cache();
  add_matrix<float>();
  add_matrix<double>();
  add_matrix<rotary::bfloat16>();
  add_matrix<rotary::float16>();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
