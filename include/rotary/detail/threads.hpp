// SPDX-License-Identifier: MIT
#pragma once
/// run_workers: runs body(w) for w in [0, n) on n threads (w = 0 on the calling thread).

#include <cstddef>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#else
#include <system_error>
#include <thread>
#endif

#include "../execution.hpp"

namespace rotary {
namespace detail {

/// Number of workers for `elements` elements in `units` (token, head) pairs.
inline std::ptrdiff_t worker_count(const execution& ex, std::ptrdiff_t elements,
                                   std::ptrdiff_t units) noexcept {
  if (ex.threads <= 1 || units <= 1) return 1;  // the decode path: no division
  std::ptrdiff_t n = ex.threads < units ? ex.threads : units;
  if (ex.min_elements_per_thread > 0) {
    const std::ptrdiff_t by_work =
        elements / ex.min_elements_per_thread + (elements % ex.min_elements_per_thread != 0);
    n = n < by_work ? n : by_work;
  }
  return n > 1 ? n : 1;
}

/// body must not throw. A thread the system refuses runs its w on the calling thread.
///
/// std::thread build: never leaves a joinable thread behind and never calls std::terminate
/// on a refused thread. reserve() happens before the first thread starts, so emplace_back
/// never reallocates: when std::thread's constructor throws (std::system_error, e.g.
/// EAGAIN) or reserve throws (std::bad_alloc), the pool holds exactly the threads that
/// started, `started` is the first w without one, and workers [started, n) run here after
/// w = 0; then every started thread is joined. tests/parallel_test.cpp injects the failure
/// (RefusedThreads*: an RLIMIT_AS cap in a fresh child process, so that no 8 MiB stack
/// fits, with none or one thread started).
///
/// OpenMP build (_OPENMP): the threads are libgomp's, and libgomp has no recoverable
/// failure: when it cannot create a thread it prints "libgomp: Thread creation failed:
/// <reason>" and ends the process with exit(EXIT_FAILURE) (gomp_fatal), inside the
/// parallel region, before any body runs there. rotary cannot catch or fall back from
/// that; callers who need the fallback build without OpenMP or pass threads(1).
template <class Body>
void run_workers(std::ptrdiff_t n, const Body& body) noexcept {
  if (n <= 1) {
    body(std::ptrdiff_t{0});
    return;
  }
#if defined(_OPENMP)
  const long long count = static_cast<long long>(n);
#pragma omp parallel for num_threads(static_cast <int>(n)) schedule(static, 1)
  for (long long w = 0; w < count; ++w) body(static_cast<std::ptrdiff_t>(w));
#else
  std::vector<std::thread> pool;
  std::ptrdiff_t started = 1;
  try {
    pool.reserve(static_cast<std::size_t>(n - 1));
    for (; started < n; ++started) pool.emplace_back([&body, started] { body(started); });
  } catch (...) {  // std::system_error or std::bad_alloc: do the rest here
  }
  body(std::ptrdiff_t{0});
  for (std::ptrdiff_t w = started; w < n; ++w) body(w);
  for (std::thread& t : pool) t.join();
#endif
}

}  // namespace detail
}  // namespace rotary
