// Threaded rotation: bitwise equal to the single-threaded call for 1, 2, 3 and 7 threads,
// shapes that do not divide evenly, every position mode, q+k; small work stays inline.
// Also tests the rotary 0.1 entry points, now [[deprecated]] forwarders to the rope object
// (deprecated.hpp): they must keep giving the results they gave before.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#include <gtest/gtest.h>
#include <rotary/rotary.hpp>

#include "test_util.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <random>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace {

using rotary::pairing;
using rotary::positions;
using rotary::tensor_view;

rotary::execution forced(int threads) {
  rotary::execution ex = rotary::threads(threads);
  ex.min_elements_per_thread = 0;  // split even tiny work, to exercise every boundary
  return ex;
}

struct shape {
  std::ptrdiff_t tokens, heads, head_dim;
};

TEST(ParallelTest, BitwiseEqualToSingleThread) {
  for (const shape s : {shape{37, 5, 24}, shape{1, 7, 32}, shape{2, 3, 16}, shape{13, 1, 8}}) {
    const auto x = rotary_test::random_vector<float>(static_cast<std::size_t>(s.tokens * s.heads * s.head_dim), 1);
    rotary::cos_sin_table<float> table(s.head_dim, 64);
    rotary::on_the_fly_angles<float> fly(s.head_dim / 2);
    std::vector<std::int64_t> ids(static_cast<std::size_t>(s.tokens));
    for (std::size_t t = 0; t < ids.size(); ++t) ids[t] = static_cast<std::int64_t>((t * 7) % 50);
    const std::int32_t cu[3] = {0, static_cast<std::int32_t>(s.tokens / 2),
                                static_cast<std::int32_t>(s.tokens)};
    const std::int32_t starts[2] = {4, 20};
    const positions modes[] = {positions::from_offset(3), positions::from_ids(ids.data(), s.tokens),
                               positions::packed(cu, 3), positions::packed(cu, 3, starts, 2)};
    for (pairing p : {pairing::interleaved, pairing::half_split}) {
      for (const positions& pos : modes) {
        auto single = x;
        const tensor_view<float, 3> vs(single.data(), {s.tokens, s.heads, s.head_dim});
        rotary::rotate(p, vs, table, pos);
        auto single_fly = x;
        rotary::rotate(p, tensor_view<float, 3>(single_fly.data(), {s.tokens, s.heads, s.head_dim}),
                       fly, pos, 2);
        for (int threads : {1, 2, 3, 7}) {
          auto y = x;
          rotary::rotate(p, forced(threads),
                         tensor_view<float, 3>(y.data(), {s.tokens, s.heads, s.head_dim}), table,
                         pos);
          EXPECT_EQ(y, single) << threads << " threads, " << s.tokens << "x" << s.heads;
          std::vector<float> out(x.size());
          rotary::rotate(p, forced(threads),
                         tensor_view<const float, 3>(x.data(), {s.tokens, s.heads, s.head_dim}),
                         tensor_view<float, 3>(out.data(), {s.tokens, s.heads, s.head_dim}), fly,
                         pos, 2);
          EXPECT_EQ(out, single_fly) << threads << " threads, on the fly, out of place";
        }
      }
    }
  }
}

TEST(ParallelTest, QkBitwiseEqualToSingleThread) {
  for (const shape s : {shape{11, 32, 64}, shape{1, 32, 64}, shape{3, 4, 16}}) {
    for (std::ptrdiff_t kv : {std::ptrdiff_t{1}, s.heads / 4}) {
      const auto q0 = rotary_test::random_vector<float>(static_cast<std::size_t>(s.tokens * s.heads * s.head_dim), 2);
      const auto k0 = rotary_test::random_vector<float>(static_cast<std::size_t>(s.tokens * kv * s.head_dim), 3);
      rotary::cos_sin_table<float> table(s.head_dim, 64);
      for (pairing p : {pairing::interleaved, pairing::half_split}) {
        auto q1 = q0, k1 = k0;
        rotary::rotate_qk(p, tensor_view<float, 3>(q1.data(), {s.tokens, s.heads, s.head_dim}),
                          tensor_view<float, 3>(k1.data(), {s.tokens, kv, s.head_dim}), table,
                          positions::from_offset(9));
        for (int threads : {2, 3, 7}) {
          auto q = q0, k = k0;
          rotary::rotate_qk(p, forced(threads),
                            tensor_view<float, 3>(q.data(), {s.tokens, s.heads, s.head_dim}),
                            tensor_view<float, 3>(k.data(), {s.tokens, kv, s.head_dim}), table,
                            positions::from_offset(9));
          EXPECT_EQ(q, q1) << threads << " threads";
          EXPECT_EQ(k, k1) << threads << " threads";
        }
      }
    }
  }
}

TEST(ParallelTest, TransposeAndUnrotateThreaded) {
  const std::ptrdiff_t tokens = 19, heads = 3, head_dim = 32;
  const auto x = rotary_test::random_vector<float>(static_cast<std::size_t>(tokens * heads * head_dim), 4);
  rotary::cos_sin_table<float> table(head_dim, 32);
  auto a = x, b = x;
  const tensor_view<float, 3> va(a.data(), {tokens, heads, head_dim});
  const tensor_view<float, 3> vb(b.data(), {tokens, heads, head_dim});
  rotary::rotate_transpose<pairing::half_split>(va, table, positions::from_offset(1));
  rotary::rotate_transpose<pairing::half_split>(forced(3), vb, table, positions::from_offset(1));
  EXPECT_EQ(a, b);
  rotary::unrotate<pairing::interleaved>(va, table, positions::from_offset(1));
  rotary::unrotate<pairing::interleaved>(forced(2), vb, table, positions::from_offset(1));
  EXPECT_EQ(a, b);
}

TEST(ParallelTest, DecodeStepStaysOnCallingThread) {
  const rotary::execution ex = rotary::threads(8);
  // 1 x 32 x 128 (one decode step) and q+k with 32 + 8 heads: one worker.
  EXPECT_EQ(rotary::detail::worker_count(ex, 1 * 32 * 128, 32), 1);
  EXPECT_EQ(rotary::detail::worker_count(ex, 1 * 40 * 128, 40), 1);
  // A prefill uses every thread; never more workers than (token, head) pairs.
  EXPECT_EQ(rotary::detail::worker_count(ex, 4096 * 32 * 128, 4096 * 32), 8);
  EXPECT_EQ(rotary::detail::worker_count(forced(8), 3 * 128, 3), 3);
  EXPECT_EQ(rotary::detail::worker_count(rotary::execution{}, 4096 * 32 * 128, 4096 * 32), 1);
}

TEST(ParallelErrorTest, BadThreadCountAndChecksBeforeThreads) {
  std::vector<float> x(4 * 2 * 8);
  rotary::cos_sin_table<float> table(8, 4);
  const tensor_view<float, 3> v(x.data(), {4, 2, 8});
  EXPECT_THROW(rotary::rotate<pairing::half_split>(rotary::threads(0), v, table, positions::from_offset(0)),
               rotary::invalid_argument);
  EXPECT_THROW(rotary::rotate<pairing::half_split>(forced(2), v, table, positions::from_offset(1)),
               rotary::out_of_range);
  std::vector<float> k(4 * 3 * 8);
  EXPECT_THROW(rotary::rotate_qk<pairing::half_split>(forced(2), v,
                                                tensor_view<float, 3>(k.data(), {4, 3, 8}), table,
                                                positions::from_offset(0)),
               rotary::invalid_argument);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ROTARY_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define ROTARY_TEST_SANITIZED 1
#endif
#endif

#if defined(__linux__) && !defined(_OPENMP) && !defined(ROTARY_TEST_SANITIZED)
/// The default stack size of a new thread (8 MiB on most Linux systems).
std::size_t default_thread_stack() {
  pthread_attr_t attr;
  std::size_t size = 0;
  if (pthread_attr_init(&attr) != 0) return 0;
  if (pthread_attr_getstacksize(&attr, &size) != 0) size = 0;
  pthread_attr_destroy(&attr);
  return size;
}

/// Caps this process's address space at its current size plus `margin` bytes, so that a
/// thread whose stack does not fit is refused and std::thread throws std::system_error
/// (RLIMIT_NPROC would not do: root ignores it). Then returns f(): 0 for success; 3 when
/// the cap could not be set, 4 when no thread was refused (the cap proves nothing).
/// Run only in a fresh death-test child: the cap is for good, and glibc would reuse the
/// cached stacks of threads that earlier tests joined, which the cap does not stop.
template <class F>
int capped(std::size_t margin, const F& f) {
  long pages = 0;
  if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%ld", &pages) != 1) pages = 0;
    std::fclose(statm);
  }
  const rlim_t cap = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) +
                     static_cast<rlim_t>(margin);
  const rlimit limit{cap, cap};
  if (pages <= 0 || setrlimit(RLIMIT_AS, &limit) != 0) return 3;
  return f();
}

/// Starts up to n threads at once and reports whether one was refused (then joins them).
bool some_thread_refused(std::size_t n) {
  std::atomic<bool> release{false};
  std::vector<std::thread> probes;
  probes.reserve(n);
  try {
    while (probes.size() < n) {
      probes.emplace_back([&release] {
        while (!release.load()) std::this_thread::yield();
      });
    }
  } catch (const std::system_error&) {
  }
  const bool refused = probes.size() < n;
  release = true;
  for (std::thread& t : probes) t.join();
  return refused;
}

constexpr std::ptrdiff_t kRefusedWorkers = 6;

int run_workers_under_cap(std::size_t margin) {
  return capped(margin, [] {
    if (!some_thread_refused(kRefusedWorkers - 1)) return 4;
    std::atomic<int> runs[kRefusedWorkers] = {};
    rotary::detail::run_workers(kRefusedWorkers, [&runs](std::ptrdiff_t w) {
      runs[w].fetch_add(1, std::memory_order_relaxed);
    });
    for (const std::atomic<int>& r : runs) {
      if (r.load() != 1) return 1;
    }
    return 0;
  });
}

// std::thread build: when the system refuses threads (all of them, or all but the first),
// run_workers does the refused workers' work on the calling thread, joins every thread it
// started (none is left joinable: no std::terminate, which would be a SIGABRT here), and
// each worker runs exactly once. Exit codes: 1 a worker ran other than once, 3 no cap,
// 4 no thread refused.
TEST(ParallelTest, RefusedThreadsRunOnTheCallingThread) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process: no cached stacks
  const std::size_t stack = default_thread_stack();
  if (stack < (std::size_t{1} << 20)) GTEST_SKIP() << "default thread stack " << stack;
  EXPECT_EXIT(_exit(run_workers_under_cap(stack / 4)), ::testing::ExitedWithCode(0), "")
      << "no thread fits";
  EXPECT_EXIT(_exit(run_workers_under_cap(stack + stack / 2)), ::testing::ExitedWithCode(0), "")
      << "one thread fits";
}

// The same through a rope call: refused threads give the single-threaded result, bitwise.
TEST(ParallelTest, RefusedThreadsGiveTheSingleThreadResult) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::size_t stack = default_thread_stack();
  if (stack < (std::size_t{1} << 20)) GTEST_SKIP() << "default thread stack " << stack;
  const shape s{37, 5, 24};
  const auto x = rotary_test::random_vector<float>(
      static_cast<std::size_t>(s.tokens * s.heads * s.head_dim), 3);
  const rotary::cos_sin_table<float> table(s.head_dim, 64);
  auto single = x;
  rotary::rotate(pairing::half_split,
                 tensor_view<float, 3>(single.data(), {s.tokens, s.heads, s.head_dim}), table,
                 positions::from_offset(2));
  auto y = x;  // allocated before the cap: the capped call only writes it
  const auto rotate_capped = [&] {
    return capped(stack / 4, [&] {
      if (!some_thread_refused(3)) return 4;
      rotary::rotate(pairing::half_split, forced(4),
                     tensor_view<float, 3>(y.data(), {s.tokens, s.heads, s.head_dim}), table,
                     positions::from_offset(2));
      return y == single ? 0 : 1;
    });
  };
  EXPECT_EXIT(_exit(rotate_capped()), ::testing::ExitedWithCode(0), "")
      << "1: a result differs from the single-threaded one";
}
#endif

}  // namespace
