// expect: not an angle source
// SPDX-License-Identifier: MIT
// A rope built from an int instead of a cos_sin_table, cos_sin_view or on_the_fly_angles.
#include <rotary/rotary.hpp>

int main() {
#if defined(ROTARY_COMPILE_FAIL_CONTROL)
  const rotary::rope r(rotary::on_the_fly_angles<float>(8), rotary::pairing::half_split);
#else
  const rotary::rope r(8, rotary::pairing::half_split);
#endif
  (void)r;
}
