// SPDX-License-Identifier: MIT
// decode_probe: the decode rows of bench_matrix (decode_cases.hpp), each call repeated
// under callgrind, which counts the instructions they execute: unlike a time, the count
// is the same on every run and on a busy machine. bench_matrix starts it as
//   valgrind --tool=callgrind --combine-dumps=yes --callgrind-out-file=F rotary_decode_probe N
// and reads F (callgrind_counts.hpp). Per row: a few warm-up calls, the counters zeroed,
// N calls, a dump named after the row. Valgrind runs no AVX-512 code, so this program is
// built without it (bench/CMakeLists.txt): on an AVX-512 machine its counts are those of
// the AVX2 kernels. Prints "isa <instruction set>" on stdout. Not a benchmark program (no
// bench_ prefix: .ci/bench does not run it on its own).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "decode_cases.hpp"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define ROTARY_PROBE_HAS_CALLGRIND 1
#endif

int main(int argc, char** argv) {
#if defined(ROTARY_PROBE_HAS_CALLGRIND)
  const long calls = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1000;
  if (calls < 1) {
    std::fprintf(stderr, "usage: %s [calls >= 1]\n", argv[0]);
    return 2;
  }
  std::printf("isa %s\n", rotary::simd_instruction_set());
  for (const rotary_bench::named_row& row : rotary_bench::decode_rows()) {
    rotary_bench::run_row<float>(row.spec, [&](std::size_t, const auto& call) {
      for (int i = 0; i < 16; ++i) call();
      benchmark::ClobberMemory();
      CALLGRIND_ZERO_STATS;
      for (long i = 0; i < calls; ++i) {
        call();
        benchmark::ClobberMemory();
      }
      CALLGRIND_DUMP_STATS_AT(row.name.c_str());
    });
  }
  return 0;
#else
  (void)argc;
  std::fprintf(stderr, "%s: built without <valgrind/callgrind.h>\n", argv[0]);
  return 2;
#endif
}
