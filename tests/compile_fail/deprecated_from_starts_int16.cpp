// expect: int32_t or int64_t
// SPDX-License-Identifier: MIT
// The rotary 0.1 batch_positions::from_starts (deprecated) with an int16_t array.
#include <cstdint>

#include <rotary/rotary.hpp>

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

int main() {
#if defined(ROTARY_COMPILE_FAIL_CONTROL)
  const std::int64_t starts[] = {0, 4};
#else
  const std::int16_t starts[] = {0, 4};
#endif
  const rotary::batch_positions pos = rotary::batch_positions::from_starts(starts, 2);
  (void)pos;
}
