// expect: a call takes
// SPDX-License-Identifier: MIT
// In and out of different ranks: a rank-3 input into a rank-4 output.
#include <rotary/rotary.hpp>

int main() {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, rotary::pairing::interleaved);
  const float in[16] = {};
  float out[16] = {};
  const rotary::tensor_view<const float, 3> x(in, {1, 2, 8});
#if defined(ROTARY_COMPILE_FAIL_CONTROL)
  const rotary::tensor_view<float, 3> y(out, {1, 2, 8});
#else
  const rotary::tensor_view<float, 4> y(out, {1, 1, 2, 8});
#endif
  r.forward(x, y, rotary::positions::from_offset(0));
}
