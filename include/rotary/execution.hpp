// SPDX-License-Identifier: MIT
#pragma once
/// execution: how many threads a rope object may use.
///
/// The (token, head) pairs of a call, heads of q then k numbered across the operands, are
/// cut into contiguous ranges of nearly equal size: by tokens when there are many, down to
/// single heads when there are few. Each (token, head) is computed exactly as with one
/// thread, so the results are bitwise identical for every thread count. Small work stays on
/// the calling thread: a call uses at most ceil(elements / min_elements_per_thread)
/// threads, so a decode step runs inline with the default threshold.
///
/// Threads: OpenMP when the including translation unit is built with it (_OPENMP),
/// std::thread otherwise (link Threads::Threads, which rotary::rotary does). All checks and
/// allocations happen before any thread starts; if the system refuses a thread, its range
/// runs on the calling thread.

#include <cstddef>

#include "error.hpp"

namespace rotary {

struct execution {
  /// Largest number of threads to use, the calling thread included (>= 1).
  int threads = 1;
  /// A thread is only worth starting for at least this many elements (tokens x heads x
  /// head_dim summed over the operands). 64 Ki floats = 256 KiB read + 256 KiB written,
  /// roughly 20-50 us of one core: well above the cost of starting and joining a thread.
  std::ptrdiff_t min_elements_per_thread = std::ptrdiff_t{1} << 16;
};

/// execution{n}: up to n threads, default threshold.
inline execution threads(int n) {
  execution e;
  e.threads = n;
  return e;
}

namespace detail {
inline void check_execution(const char* function, const execution& ex) {
  ROTARY_CHECK(ex.threads >= 1, function, ": execution threads must be >= 1, got ", ex.threads);
  ROTARY_CHECK(ex.min_elements_per_thread >= 0, function,
               ": execution min_elements_per_thread must be >= 0, got ",
               ex.min_elements_per_thread);
}
}  // namespace detail

}  // namespace rotary
