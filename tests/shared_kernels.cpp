// SPDX-License-Identifier: MIT
// The one definition of the heads kernels that shared_kernels.hpp declares extern in the
// other translation units of a test executable.
#include "shared_kernels.hpp"

static_assert(rotary::detail::register_budget<float> == 8 &&
                  rotary::detail::register_budget<double> == 8 &&
                  rotary::detail::max_unrolled_vectors == 16,
              "shared_kernels.hpp lists the kernels of a budget of 8 and 16 unrolled vectors");

ROTARY_TEST_SHARED_KERNEL_INSTANCES()
