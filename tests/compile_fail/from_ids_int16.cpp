// expect: int32_t or int64_t
// SPDX-License-Identifier: MIT
// Position ids in an int16_t array.
#include <cstdint>

#include <rotary/rotary.hpp>

int main() {
#if defined(ROTARY_COMPILE_FAIL_CONTROL)
  const std::int32_t ids[] = {0, 1};
#else
  const std::int16_t ids[] = {0, 1};
#endif
  const rotary::positions pos = rotary::positions::from_ids(ids, 2);
  (void)pos;
}
