// expect: unsupported element type
// SPDX-License-Identifier: MIT
// int data: not a storage type rotary rotates.
#include <rotary/rotary.hpp>

int main() {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, rotary::pairing::half_split);
#if defined(ROTARY_COMPILE_FAIL_CONTROL)
  using element = float;
#else
  using element = int;
#endif
  element data[16] = {};
  r.forward(rotary::tensor_view<element, 3>(data, {1, 2, 8}), rotary::positions::from_offset(0));
}
