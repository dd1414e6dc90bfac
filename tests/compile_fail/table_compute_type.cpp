// expect: the angle source must hold the data's compute type
// SPDX-License-Identifier: MIT
// A double table with float data (float data computes in float: it needs a float table).
#include <rotary/rotary.hpp>

int main() {
#if defined(ROTARY_COMPILE_FAIL_CONTROL)
  const rotary::cos_sin_table<float> table(8, 16);
#else
  const rotary::cos_sin_table<double> table(8, 16);
#endif
  const rotary::rope r(table, rotary::pairing::interleaved);
  float data[16] = {};
  r.forward(rotary::tensor_view<float, 3>(data, {1, 2, 8}), rotary::positions::from_offset(0));
}
