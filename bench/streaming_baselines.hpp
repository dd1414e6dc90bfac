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
/// float and double passes are plain loops the compiler vectorizes (check: build with
/// -fopt-info-vec); the 16-bit passes use the kernels' own conversions (storage_io.hpp).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <rotary/detail/storage_io.hpp>
#include <rotary/storage.hpp>
#include <thread>
#include <type_traits>
#include <vector>

namespace rotary_bench {

/// x[0, n) *= c (float or double).
template <class T>
void scale_contiguous(T* __restrict x, std::ptrdiff_t n, T c) {
  for (std::ptrdiff_t i = 0; i < n; ++i) x[i] *= c;
}

/// 16-bit storage S over x[0, n): load and widen, multiply, round to nearest even (NaN
/// quieted), store, with the kernels' own conversions (detail/storage_io.hpp), so that the
/// limit runs the same instructions per element as the rotation's loads and stores. (GCC 12
/// vectorizes the plain bfloat16 loop, but that ran at 12 GB/s from L1 on a Zen 3 AVX2 host,
/// slower than the in-place rotation itself; no plain float16 loop vectorizes.)
template <class S>
void scale_contiguous_16bit(S* x, std::ptrdiff_t n, float c) {
  using io = rotary::detail::storage_io<S>;
  using B = typename io::batch_type;
  constexpr std::ptrdiff_t N = B::size;
  float c_lanes[N];
  for (float& l : c_lanes) l = c;
  const B factor = B::load(c_lanes);
  std::ptrdiff_t i = 0;
  for (; i + N <= n; i += N) io::store(x + i, io::load(x + i) * factor);
  if (i < n) io::store_partial(x + i, io::load_partial(x + i, n - i) * factor, n - i);
}

/// x *= c in T's storage over x[0, n).
template <class T>
void scale_storage(T* x, std::ptrdiff_t n, float c) {
  if constexpr (std::is_same_v<T, rotary::bfloat16> || std::is_same_v<T, rotary::float16>) {
    scale_contiguous_16bit(x, n, c);
  } else {
    scale_contiguous(x, n, static_cast<T>(c));
  }
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
