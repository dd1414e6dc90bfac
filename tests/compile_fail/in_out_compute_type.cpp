// expect: in and out must share a compute type
// SPDX-License-Identifier: MIT
// Float in, double out: the two views of one operand compute in different types.
#include <type_traits>

#include <rotary/rotary.hpp>

int main() {
  const rotary::cos_sin_table<float> table(8, 16);
  const rotary::rope r(table, rotary::pairing::half_split);
  const float in[16] = {};
#if defined(ROTARY_COMPILE_FAIL_CONTROL)
  rotary::bfloat16 out[16] = {};  // bfloat16 computes in float, like the input
#else
  double out[16] = {};
#endif
  r.forward(rotary::tensor_view<const float, 3>(in, {1, 2, 8}),
            rotary::tensor_view<std::remove_extent_t<decltype(out)>, 3>(out, {1, 2, 8}),
            rotary::positions::from_offset(0));
}
