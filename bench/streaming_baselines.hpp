// SPDX-License-Identifier: MIT
#pragma once
/// The streaming passes RoPE is measured against, in the same process:
///   out of place: memcpy of the same bytes (RoPE reads all of in and writes all of out,
///                 pass-through elements included);
///   in place:     x *= c over exactly the elements an in-place rotation rewrites (the rotary
///                 slice of every row, with the tensor's strides), in the storage type:
///                 16-bit storage is loaded, widened to float, multiplied, rounded to nearest
///                 even and stored, as the kernels do;
///   two threads:  memcpy split in two halves, the second on a thread started and joined per
///                 call, as rotary starts its threads (detail/threads.hpp).
/// The in-place pass is written with the kernels' own vector loads and stores
/// (storage_io.hpp), for every storage type (scale_storage says why).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <rotary/detail/storage_io.hpp>
#include <rotary/storage.hpp>
#include <thread>
#include <vector>

namespace rotary_bench {

/// x[0, n) *= c in T's storage, with the kernels' own loads and stores
/// (detail/storage_io.hpp): 16-bit storage is loaded and widened, multiplied, rounded to
/// nearest even (NaN quieted) and stored, so that the limit runs the same instructions per
/// element as the rotation's loads and stores. Four vectors per iteration, then one at a
/// time, then a masked tail.
/// Why not a plain loop: GCC 12 vectorizes `x[i] *= c` for float and double, but its speed
/// depended on where the loop landed in the binary: two builds of this program that differed
/// only in an unrelated kernel ran it at 327 and 167 ns for 4096 floats from L1 (Zen 3
/// AVX2), reproducibly, which halved or doubled every in-place ratio. It vectorizes the
/// plain bfloat16 loop too, at 12 GB/s from L1 on that host (slower than the rotation
/// itself), and no plain float16 loop.
template <class T>
void scale_storage(T* x, std::ptrdiff_t n, float c) {
  using io = rotary::detail::storage_io<T>;
  using B = typename io::batch_type;
  using C = rotary::compute_type_t<T>;
  constexpr std::ptrdiff_t N = B::size;
  C c_lanes[N];
  for (C& l : c_lanes) l = static_cast<C>(c);
  const B factor = B::load(c_lanes);
  std::ptrdiff_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    const B a = io::load(x + i), b = io::load(x + i + N);
    const B d = io::load(x + i + 2 * N), e = io::load(x + i + 3 * N);
    io::store(x + i, a * factor);
    io::store(x + i + N, b * factor);
    io::store(x + i + 2 * N, d * factor);
    io::store(x + i + 3 * N, e * factor);
  }
  for (; i + N <= n; i += N) io::store(x + i, io::load(x + i) * factor);
  if (i < n) io::store_partial(x + i, io::load_partial(x + i, n - i) * factor, n - i);
}

/// The in-place baseline: x[r * row_stride + offset + j] *= c for r < rows, j < width.
/// A full-width slice (width == row_stride) is one contiguous pass.
template <class T>
void scale_slice(T* x, std::ptrdiff_t rows, std::ptrdiff_t row_stride, std::ptrdiff_t offset,
                 std::ptrdiff_t width, float c) {
  if (width == row_stride) {
    scale_storage(x, rows * width, c);
    return;
  }
  for (std::ptrdiff_t r = 0; r < rows; ++r) scale_storage(x + r * row_stride + offset, width, c);
}

/// The out-of-place baseline.
inline void copy_bytes(void* out, const void* in, std::size_t bytes) {
  std::memcpy(out, in, bytes);
}

/// memcpy on `threads` threads, each copying one contiguous share (cut at 64-byte
/// boundaries). Started and joined on every call the way rotary's std::thread path does
/// (detail/threads.hpp): a vector of threads reserved, threads 1 .. n-1 started, share 0
/// copied on the calling thread, then all joined.
inline void copy_bytes_on_threads(void* out, const void* in, std::size_t bytes, int threads) {
  const std::size_t n = threads > 1 ? static_cast<std::size_t>(threads) : 1;
  auto share = [&](std::size_t w) {
    const std::size_t begin = bytes * w / n / 64 * 64;
    const std::size_t end = w + 1 == n ? bytes : bytes * (w + 1) / n / 64 * 64;
    std::memcpy(static_cast<unsigned char*>(out) + begin,
                static_cast<const unsigned char*>(in) + begin, end - begin);
  };
  if (n == 1) {
    share(0);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(n - 1);
  for (std::size_t w = 1; w < n; ++w) pool.emplace_back([&share, w] { share(w); });
  share(0);
  for (std::thread& t : pool) t.join();
}

}  // namespace rotary_bench
