// expect: the output view is read-only
// SPDX-License-Identifier: MIT
// Rotating a read-only view in place: r.forward(x, pos) with a tensor_view<const float, 3>.
#include <rotary/rotary.hpp>

int main() {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, rotary::pairing::half_split);
#if defined(ROTARY_COMPILE_FAIL_CONTROL)
  float data[16] = {};
  const rotary::tensor_view<float, 3> x(data, {1, 2, 8});
#else
  const float data[16] = {};
  const rotary::tensor_view<const float, 3> x(data, {1, 2, 8});
#endif
  r.forward(x, rotary::positions::from_offset(0));
}
