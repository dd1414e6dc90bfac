// expect: a call takes
// SPDX-License-Identifier: MIT
// A rope call without a view: r.forward(pos).
#include <rotary/rotary.hpp>

int main() {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, rotary::pairing::half_split);
  float data[16] = {};
  const rotary::tensor_view<float, 3> x(data, {1, 2, 8});
  const rotary::positions pos = rotary::positions::from_offset(0);
#if defined(ROTARY_COMPILE_FAIL_CONTROL)
  r.forward(x, pos);
#else
  r.forward(pos);
#endif
  (void)x;
}
