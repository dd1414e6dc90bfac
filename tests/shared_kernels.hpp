// SPDX-License-Identifier: MIT
#pragma once
/// Test builds only, for CI time: the heads kernels (detail/kernels.hpp: over_tokens of
/// each heads_* kernel) for the storage combinations the tests call, compiled once per test
/// executable (shared_kernels.cpp) instead of in every translation unit that calls a rope
/// (they were half of each unit's code and of its compile time). The code is the library's
/// own and the same in every unit; only where it is compiled changes. A combination or
/// kernel not listed here is instantiated where it is used, as without this file.
/// test_util.hpp includes this file where ROTARY_TEST_SHARED_KERNELS is defined, which
/// tests/CMakeLists.txt does for each executable it links shared_kernels.cpp into.

#include <rotary/rotary.hpp>

/// One over_tokens instance: `X` is `extern` (a declaration) or empty (the definition).
/// The kernel's template arguments come last (they hold commas).
#define ROTARY_TEST_OVER_TOKENS(X, In, Out, C, ...)                                          \
  X template void rotary::detail::over_tokens<&rotary::detail::__VA_ARGS__, In, Out, C>(    \
      const rotary::detail::token_run<In, Out, C>&, const rotary::detail::head_plan&) noexcept;

#define ROTARY_TEST_REGISTERS(X, P, T, NV, In, Out, C) \
  ROTARY_TEST_OVER_TOKENS(X, In, Out, C, heads_in_registers<P, T, NV, In, Out, C>)
#define ROTARY_TEST_UNROLLED(X, P, T, NV, In, Out, C) \
  ROTARY_TEST_OVER_TOKENS(X, In, Out, C, heads_unrolled<P, T, NV, In, Out, C>)

/// Every kernel choose_heads_kernel can return for (P, T, In, Out, C), with the library's
/// register budget of 8 and max_unrolled_vectors of 16 (static_asserts in the .cpp).
#define ROTARY_TEST_HEADS_KERNELS(X, P, T, In, Out, C)                     \
  ROTARY_TEST_REGISTERS(X, P, T, 1, In, Out, C)                            \
  ROTARY_TEST_REGISTERS(X, P, T, 2, In, Out, C)                            \
  ROTARY_TEST_REGISTERS(X, P, T, 3, In, Out, C)                            \
  ROTARY_TEST_REGISTERS(X, P, T, 4, In, Out, C)                            \
  ROTARY_TEST_REGISTERS(X, P, T, 5, In, Out, C)                            \
  ROTARY_TEST_REGISTERS(X, P, T, 6, In, Out, C)                            \
  ROTARY_TEST_REGISTERS(X, P, T, 7, In, Out, C)                            \
  ROTARY_TEST_REGISTERS(X, P, T, 8, In, Out, C)                            \
  ROTARY_TEST_UNROLLED(X, P, T, 8, In, Out, C)                             \
  ROTARY_TEST_UNROLLED(X, P, T, 9, In, Out, C)                             \
  ROTARY_TEST_UNROLLED(X, P, T, 10, In, Out, C)                            \
  ROTARY_TEST_UNROLLED(X, P, T, 11, In, Out, C)                            \
  ROTARY_TEST_UNROLLED(X, P, T, 12, In, Out, C)                            \
  ROTARY_TEST_UNROLLED(X, P, T, 13, In, Out, C)                            \
  ROTARY_TEST_UNROLLED(X, P, T, 14, In, Out, C)                            \
  ROTARY_TEST_UNROLLED(X, P, T, 15, In, Out, C)                            \
  ROTARY_TEST_UNROLLED(X, P, T, 16, In, Out, C)                            \
  ROTARY_TEST_OVER_TOKENS(X, In, Out, C, heads_reloaded<P, T, In, Out, C>)

#define ROTARY_TEST_BOTH_DIRECTIONS(X, P, In, Out, C) \
  ROTARY_TEST_HEADS_KERNELS(X, P, false, In, Out, C)  \
  ROTARY_TEST_HEADS_KERNELS(X, P, true, In, Out, C)

#define ROTARY_TEST_BOTH_PAIRINGS(X, In, Out, C)                                \
  ROTARY_TEST_BOTH_DIRECTIONS(X, rotary::pairing::interleaved, In, Out, C)     \
  ROTARY_TEST_BOTH_DIRECTIONS(X, rotary::pairing::half_split, In, Out, C)

/// The (storage in, storage out, compute) combinations of the tests' call grids.
#define ROTARY_TEST_SHARED_KERNEL_INSTANCES(X)                                          \
  ROTARY_TEST_BOTH_PAIRINGS(X, float, float, float)                                     \
  ROTARY_TEST_BOTH_PAIRINGS(X, double, double, double)                                  \
  ROTARY_TEST_BOTH_PAIRINGS(X, rotary::bfloat16, rotary::bfloat16, float)              \
  ROTARY_TEST_BOTH_PAIRINGS(X, rotary::float16, rotary::float16, float)                \
  ROTARY_TEST_BOTH_PAIRINGS(X, float, rotary::bfloat16, float)                          \
  ROTARY_TEST_BOTH_PAIRINGS(X, float, rotary::float16, float)                           \
  ROTARY_TEST_BOTH_PAIRINGS(X, rotary::bfloat16, float, float)                          \
  ROTARY_TEST_BOTH_PAIRINGS(X, rotary::float16, float, float)

ROTARY_TEST_SHARED_KERNEL_INSTANCES(extern)
