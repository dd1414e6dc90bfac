// SPDX-License-Identifier: MIT
#pragma once
/// What one benchmark row does per call, built once on the shared fixture
/// (bench_fixture.hpp), and the timed loop that runs it. bench_matrix.cpp times rows;
/// decode_probe.cpp counts their instructions under callgrind; both build them here, so the
/// two measure the same calls.
///
/// A row is run as run(bytes, call): `call` is one call of the pass (no arguments), `bytes`
/// the bytes it reads plus the bytes it writes. Everything else (the rope, its angle
/// source, the positions' owner) is built before `run` and outside the loop.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <rotary/rotary.hpp>
#include <type_traits>

#include "bench_fixture.hpp"
#include "streaming_baselines.hpp"

namespace rotary_bench {

enum class pass {
  memcpy,        ///< memcpy of the tensor's bytes (in to out): the out-of-place limit
  scale,         ///< x *= c over the rotary slice, in the storage type: the in-place limit
  in_place,      ///< rope.forward(x, pos)
  out_of_place,  ///< rope.forward(in, out, pos)
};

struct row_spec {
  shape s;
  pass what;
  rotary::pairing pairing = rotary::pairing::interleaved;
  bool on_the_fly = false;  ///< angles from on_the_fly_angles instead of the table
  int threads = 1;          ///< rope_options::execution, or memcpy's threads
};

inline const char* pairing_name(rotary::pairing p) {
  return p == rotary::pairing::interleaved ? "interleaved" : "half_split";
}
inline const char* pass_name(pass p) {
  switch (p) {
    case pass::memcpy: return "memcpy";
    case pass::scale: return "scale";
    case pass::in_place: return "in_place";
    case pass::out_of_place: return "out_of_place";
  }
  return "?";
}

/// The rope row: built here, once, from `angles` (a table or on_the_fly_angles, referenced).
template <class In, class Out, class Source, class Run>
void run_rope(const tensor_pair<In, Out>& d, const Source& angles, const row_spec& r, Run&& run) {
  rotary::rope_options options;
  options.rotary_offset = r.s.rotary_offset;
  options.execution = rotary::threads(r.threads);
  const rotary::rope rope(angles, r.pairing, options);
  if constexpr (std::is_same_v<In, Out>) {
    if (r.what == pass::in_place) {
      // Reads and writes the rotary slice of each row only.
      run(2 * static_cast<std::size_t>(r.s.rotated()) * sizeof(In),
          [&] { rope.forward(d.in_place(), rotary::positions::from_offset(0)); });
      return;
    }
  }
  // Reads all of in, writes all of out (pass-through elements copied).
  run(d.in_bytes() + d.out_bytes(),
      [&] { rope.forward(d.input(), d.output(), rotary::positions::from_offset(0)); });
}

/// Builds row r on the fixture for (In, Out, r.s) and hands it to run. In-place passes
/// (scale, in_place) need In == Out.
template <class In, class Out = In, class Run>
void run_row(const row_spec& r, Run&& run) {
  const tensor_pair<In, Out>& d = shared_fixture<In, Out>(r.s);
  // The tensors escape: the ClobberMemory after each call (timed loop) then forces every
  // pass to really read and write them.
  benchmark::DoNotOptimize(d.in());
  benchmark::DoNotOptimize(d.out());
  switch (r.what) {
    case pass::memcpy: {
      // In != Out (float keys into a bf16 cache): memcpy of (in + out) / 2 bytes, the same
      // read + write traffic split evenly.
      const std::size_t n = d.memcpy_bytes();
      if (r.threads == 1) {
        run(2 * n, [&d, n] { copy_bytes(d.out(), d.in(), n); });
      } else {
        run(2 * n, [&d, n, t = r.threads] { copy_bytes_on_threads(d.out(), d.in(), n, t); });
      }
      return;
    }
    case pass::scale:
      if constexpr (std::is_same_v<In, Out>) {
        // c alternates between 1.0001 and its inverse: the data stays bounded however many
        // iterations run.
        float c = 1.0001f;
        const shape s = r.s;
        run(2 * static_cast<std::size_t>(s.rotated()) * sizeof(In), [&d, &c, s] {
          scale_slice(d.in(), s.rows(), s.head_dim, s.rotary_offset, s.rotary_dim, c);
          c = 1.0f / c;
        });
      }
      return;
    case pass::in_place:
    case pass::out_of_place:
      if (r.on_the_fly) {
        const rotary::on_the_fly_angles<rotary::compute_type_t<In>> angles(r.s.rotary_dim);
        run_rope(d, angles, r, run);
      } else {
        run_rope(d, d.table(), r, run);
      }
      return;
  }
}

/// The timed loop of a benchmark row. Reports bytes_per_second (read + write bytes of
/// the pass) and elements_per_second (elements of the tensor, tokens x heads x head_dim,
/// for every row of a shape, partial slices included: the rate a model sees).
inline auto timed(benchmark::State& state, const shape& s) {
  return [&state, s](std::size_t bytes, const auto& call) {
    for (auto _ : state) {
      call();
      benchmark::ClobberMemory();  // the pass's stores happen in every iteration
    }
    const auto iterations = static_cast<double>(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(bytes));
    state.counters["elements_per_second"] =
        benchmark::Counter(iterations * static_cast<double>(s.elements()),
                           benchmark::Counter::kIsRate);
  };
}

}  // namespace rotary_bench
