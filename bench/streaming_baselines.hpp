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
/// Each pass is a plain loop the compiler vectorizes (check: build with -fopt-info-vec),
/// except float16 narrowing, which no plain loop vectorizes: it uses F16C (AVX-512 where
/// enabled), the same instructions the kernels use, with the scalar conversion of
/// storage.hpp only for the tail.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <rotary/storage.hpp>
#include <thread>
#include <type_traits>
#include <vector>

#if defined(__F16C__) && defined(__AVX__)
#include <immintrin.h>
#endif

namespace rotary_bench {

/// x[0, n) *= c (float or double).
template <class T>
void scale_contiguous(T* __restrict x, std::ptrdiff_t n, T c) {
  for (std::ptrdiff_t i = 0; i < n; ++i) x[i] *= c;
}

/// bfloat16 bits x[0, n): widen (bits << 16), multiply, round to nearest even (NaN quieted,
/// as the kernels do), store.
inline void scale_contiguous_bf16(std::uint16_t* __restrict x, std::ptrdiff_t n, float c) {
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const std::uint32_t wide = static_cast<std::uint32_t>(x[i]) << 16;
    float f;
    std::memcpy(&f, &wide, sizeof f);
    f *= c;
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    const std::uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    const std::uint32_t quiet_nan = (u >> 16) | 0x0040u;
    x[i] = static_cast<std::uint16_t>((u & 0x7FFFFFFFu) > 0x7F800000u ? quiet_nan : rounded);
  }
}

/// float16 bits x[0, n): widen, multiply, round to nearest even, store.
inline void scale_contiguous_fp16(std::uint16_t* __restrict x, std::ptrdiff_t n, float c) {
  std::ptrdiff_t i = 0;
#if defined(__AVX512F__)
  // The maskz forms with every lane set: GCC 12 warns (-Wmaybe-uninitialized) on the
  // _mm512_undefined_ps() operand of the plain ones.
  const __m512 c16 = _mm512_set1_ps(c);
  const __mmask16 all = 0xFFFF;
  for (; i + 16 <= n; i += 16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    const __m512 f = _mm512_mul_ps(_mm512_maskz_cvtph_ps(all, h), c16);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(x + i),
                        _mm512_maskz_cvtps_ph(all, f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
#endif
#if defined(__F16C__) && defined(__AVX__)
  const __m256 c8 = _mm256_set1_ps(c);
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    const __m256 f = _mm256_mul_ps(_mm256_cvtph_ps(h), c8);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(x + i),
                     _mm256_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
#endif
  for (; i < n; ++i) {
    x[i] = rotary::detail::fp16_bits_from_float(rotary::detail::float_from_fp16_bits(x[i]) * c);
  }
}

/// x *= c in T's storage over x[0, n).
template <class T>
void scale_storage(T* x, std::ptrdiff_t n, float c) {
  if constexpr (std::is_same_v<T, rotary::bfloat16>) {
    scale_contiguous_bf16(reinterpret_cast<std::uint16_t*>(x), n, c);
  } else if constexpr (std::is_same_v<T, rotary::float16>) {
    scale_contiguous_fp16(reinterpret_cast<std::uint16_t*>(x), n, c);
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
