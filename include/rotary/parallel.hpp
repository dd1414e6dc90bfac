// SPDX-License-Identifier: MIT
#pragma once
/// Threaded rotation: the same entry points with an `execution` first argument.
///
///   rotate<P>(execution, x, angles, pos [, rotary_offset])          and (in, out, ...)
///   rotate_transpose<P>(execution, ...), unrotate<P>(execution, ...)
///   rotate_qk<P>(execution, q, k, ...)                              and (q_in, q_out, ...)
///   rotate(p, execution, ...), rotate_qk(p, execution, ...)         runtime pairing
///
/// The (token, head) pairs of the call, heads of q then k numbered across the groups, are
/// cut into `threads` contiguous ranges of nearly equal size: by tokens when there are many,
/// down to single heads when there are few (a handful of tokens with many heads). Each
/// (token, head) is computed exactly as in the single-threaded call, so the results are
/// bitwise identical for every thread count.
///
/// Small work stays on the calling thread: a fork/join costs a few microseconds, more than
/// a whole decode step (1 token x 32 heads x 128 takes well under a microsecond). The call
/// uses at most ceil(elements / min_elements_per_thread) threads, so a decode step with the
/// default threshold runs inline, exactly like the single-threaded entry point.
///
/// Threads: OpenMP (`#pragma omp parallel`) when the including translation unit is built
/// with OpenMP (_OPENMP), std::thread otherwise (the calling thread takes the first range;
/// link Threads::Threads, which rotary::rotary does). Checks run once, before any thread
/// starts; the workers perform no checks and throw nothing (NOTE: rotary_dim > 512 makes
/// each worker allocate its scratch row; a failed allocation there terminates).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#else
#include <thread>
#endif

#include "detail/rotate_impl.hpp"
#include "rotate.hpp"
#include "rotate_qk.hpp"

namespace rotary {

/// How a call may use threads. threads = 1 (the default) is the single-threaded path.
struct execution {
  /// Largest number of threads to use, the calling thread included (>= 1).
  int threads = 1;
  /// A thread is only worth starting for at least this many elements (num_tokens x heads x
  /// head_dim summed over q and k). 64 Ki floats = 256 KiB read + 256 KiB written, roughly
  /// 20-50 us of one core: well above the cost of starting and joining a thread.
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
  ROTARY_CHECK(ex.threads >= 1, function, ": execution threads must be >= 1, got ",
               ex.threads);
  ROTARY_CHECK(ex.min_elements_per_thread >= 0, function,
               ": execution min_elements_per_thread must be >= 0, got ",
               ex.min_elements_per_thread);
}

/// Number of workers for `elements` elements in `units` (token, head) pairs.
inline std::ptrdiff_t worker_count(const execution& ex, std::ptrdiff_t elements,
                                   std::ptrdiff_t units) {
  std::ptrdiff_t n = std::min<std::ptrdiff_t>(ex.threads, units);
  if (ex.min_elements_per_thread > 0) {
    const std::ptrdiff_t by_work =
        (elements + ex.min_elements_per_thread - 1) / ex.min_elements_per_thread;
    n = std::min(n, by_work);
  }
  return std::max<std::ptrdiff_t>(n, 1);
}

/// Runs body(w) for w in [0, n): w = 0 on the calling thread, the rest on other threads.
template <class Body>
void run_workers(std::ptrdiff_t n, const Body& body) {
  if (n <= 1) {
    body(std::ptrdiff_t{0});
    return;
  }
#if defined(_OPENMP)
  const long long count = static_cast<long long>(n);
#pragma omp parallel for num_threads(static_cast<int>(n)) schedule(static, 1)
  for (long long w = 0; w < count; ++w) body(static_cast<std::ptrdiff_t>(w));
#else
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(n - 1));
  for (std::ptrdiff_t w = 1; w < n; ++w) pool.emplace_back([&body, w] { body(w); });
  body(std::ptrdiff_t{0});
  for (std::thread& t : pool) t.join();
#endif
}

ROTARY_ISA_NAMESPACE_BEGIN

/// Splits the (token, head) pairs of checked head groups over the workers of `ex`.
template <pairing P, bool Transpose, class T, class Source>
void rotate_groups_parallel(const execution& ex, const Source& source, const positions& pos,
                            std::ptrdiff_t rotary_offset, const head_group<T>* groups,
                            std::size_t num_groups) {
  const std::ptrdiff_t tokens = num_groups > 0 ? groups[0].in.extent(0) : 0;
  std::ptrdiff_t heads = 0, elements = 0;
  for (std::size_t g = 0; g < num_groups; ++g) {
    heads += groups[g].in.extent(1);
    elements += tokens * groups[g].in.extent(1) * groups[g].in.extent(2);
  }
  const std::ptrdiff_t units = tokens * heads;
  if (units == 0) return;
  const std::ptrdiff_t n = worker_count(ex, elements, units);
  if (n == 1) {
    rotate_block<P, Transpose>(source, pos, rotary_offset, groups, num_groups, 0, tokens, 0,
                               heads);
    return;
  }
  run_workers(n, [&](std::ptrdiff_t w) {
    // Units [u0, u1), unit u = token u / heads, head u % heads.
    const std::ptrdiff_t u0 = units / n * w + std::min(w, units % n);
    const std::ptrdiff_t u1 = u0 + units / n + (w < units % n ? 1 : 0);
    std::ptrdiff_t t0 = u0 / heads, h0 = u0 % heads;
    const std::ptrdiff_t t1 = u1 / heads, h1 = u1 % heads;
    auto block = [&](std::ptrdiff_t tb, std::ptrdiff_t te, std::ptrdiff_t hb,
                     std::ptrdiff_t he) {
      rotate_block<P, Transpose>(source, pos, rotary_offset, groups, num_groups, tb, te, hb,
                                 he);
    };
    if (t0 == t1) {
      if (h0 < h1) block(t0, t0 + 1, h0, h1);
      return;
    }
    if (h0 > 0) {
      block(t0, t0 + 1, h0, heads);
      ++t0;
    }
    if (t0 < t1) block(t0, t1, 0, heads);
    if (h1 > 0) block(t1, t1 + 1, 0, h1);
  });
}

template <pairing P, bool Transpose, class In, class T, class Angles>
void run_rotation_parallel(const char* function, const execution& ex, tensor_view<In, 3> in,
                           tensor_view<T, 3> out, const Angles& angles, const positions& pos,
                           std::ptrdiff_t rotary_offset) {
  check_execution(function, ex);
  decltype(auto) source = angle_source(angles);
  using Source = std::remove_cv_t<std::remove_reference_t<decltype(source)>>;
  static_check_rotation<In, T, Source>();
  check_job(function, rotation_job<T, Source>{in, out, source, pos, rotary_offset});
  const head_group<T> group{in, out};
  rotate_groups_parallel<P, Transpose>(ex, source, pos, rotary_offset, &group, 1);
}

template <pairing P, bool Transpose, class QIn, class T, class KIn, class Angles>
void run_qk_parallel(const char* function, const execution& ex, tensor_view<QIn, 3> q_in,
                     tensor_view<T, 3> q_out, tensor_view<KIn, 3> k_in, tensor_view<T, 3> k_out,
                     const Angles& angles, const positions& pos, std::ptrdiff_t rotary_offset) {
  check_execution(function, ex);
  decltype(auto) source = angle_source(angles);
  const auto groups = checked_qk(function, q_in, q_out, k_in, k_out, source, pos, rotary_offset);
  const head_group<T> both[2] = {groups.first, groups.second};
  rotate_groups_parallel<P, Transpose>(ex, source, pos, rotary_offset, both, 2);
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail

ROTARY_ISA_NAMESPACE_BEGIN

/// rotate() on up to ex.threads threads; bitwise equal to the single-threaded call.
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate(const execution& ex, tensor_view<T, 3> x, const Angles& angles,
            const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation_parallel<P, false>("rotate", ex, tensor_view<const T, 3>(x), x, angles,
                                          pos, rotary_offset);
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate(const execution& ex, tensor_view<In, 3> in, tensor_view<T, 3> out,
            const Angles& angles, const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation_parallel<P, false>("rotate", ex, in, out, angles, pos, rotary_offset);
}

template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate_transpose(const execution& ex, tensor_view<T, 3> x, const Angles& angles,
                      const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation_parallel<P, true>("rotate_transpose", ex, tensor_view<const T, 3>(x), x,
                                         angles, pos, rotary_offset);
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate_transpose(const execution& ex, tensor_view<In, 3> in, tensor_view<T, 3> out,
                      const Angles& angles, const positions& pos,
                      std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation_parallel<P, true>("rotate_transpose", ex, in, out, angles, pos,
                                         rotary_offset);
}

template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void unrotate(const execution& ex, tensor_view<T, 3> x, const Angles& angles,
              const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation_parallel<P, true>("unrotate", ex, tensor_view<const T, 3>(x), x, angles,
                                         pos, rotary_offset);
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void unrotate(const execution& ex, tensor_view<In, 3> in, tensor_view<T, 3> out,
              const Angles& angles, const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_rotation_parallel<P, true>("unrotate", ex, in, out, angles, pos, rotary_offset);
}

/// rotate_qk() on up to ex.threads threads; bitwise equal to the single-threaded call.
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate_qk(const execution& ex, tensor_view<T, 3> q, tensor_view<T, 3> k,
               const Angles& angles, const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_qk_parallel<P, false>("rotate_qk", ex, tensor_view<const T, 3>(q), q,
                                    tensor_view<const T, 3>(k), k, angles, pos, rotary_offset);
}
template <pairing P, class QIn, class T, class KIn, class Angles,
          detail::enable_if_angles<Angles> = 0>
void rotate_qk(const execution& ex, tensor_view<QIn, 3> q_in, tensor_view<T, 3> q_out,
               tensor_view<KIn, 3> k_in, tensor_view<T, 3> k_out, const Angles& angles,
               const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_qk_parallel<P, false>("rotate_qk", ex, q_in, q_out, k_in, k_out, angles, pos,
                                    rotary_offset);
}

ROTARY_ISA_NAMESPACE_END
}  // namespace rotary
