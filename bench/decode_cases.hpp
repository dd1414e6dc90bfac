// SPDX-License-Identifier: MIT
#pragma once
/// The decode rows: one token, the per-call fixed cost (argument checks, dispatch, the
/// token's cos/sin fetch) next to memcpy and the scale pass over the same bytes (float).
/// bench_matrix.cpp times them; decode_probe.cpp counts their instructions per call under
/// callgrind. Named decode/float/<shape>/memcpy, .../scale, .../<pairing>/<in_place|out_of_place>.

#include <string>
#include <vector>

#include "bench_rows.hpp"

namespace rotary_bench {

struct named_row {
  std::string name;
  row_spec spec;
};

inline std::vector<named_row> decode_rows() {
  std::vector<named_row> rows;
  for (const shape& s : {full(1, 8, 64), full(1, 32, 128)}) {
    const std::string prefix = std::string("decode/float/") + s.name() + "/";
    rows.push_back({prefix + "memcpy", {s, pass::memcpy}});
    rows.push_back({prefix + "scale", {s, pass::scale}});
    for (rotary::pairing p : {rotary::pairing::interleaved, rotary::pairing::half_split}) {
      for (pass w : {pass::in_place, pass::out_of_place}) {
        rows.push_back({prefix + pairing_name(p) + "/" + pass_name(w), {s, w, p}});
      }
    }
  }
  return rows;
}

}  // namespace rotary_bench
