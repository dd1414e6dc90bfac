// SPDX-License-Identifier: MIT
#pragma once
/// A std::allocator that aligns every block to Alignment bytes (C++17 aligned new), so that
/// rows of a large table start on cache-line boundaries (malloc aligns to 16 bytes: a vector
/// load of 32 or 64 bytes from such a row would straddle two cache lines half the time or
/// always).

#include <cstddef>
#include <new>

namespace rotary {
namespace detail {

template <class T, std::size_t Alignment = 64>
struct aligned_allocator {
  static_assert(Alignment >= alignof(T) && (Alignment & (Alignment - 1)) == 0,
                "aligned_allocator: Alignment must be a power of two >= alignof(T)");
  using value_type = T;
  template <class U>
  struct rebind {
    using other = aligned_allocator<U, Alignment>;
  };

  aligned_allocator() noexcept = default;
  template <class U>
  aligned_allocator(const aligned_allocator<U, Alignment>&) noexcept {}  // NOLINT: rebinding

  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{Alignment}));
  }
  void deallocate(T* p, std::size_t) noexcept {
    ::operator delete (p, std::align_val_t{Alignment});
  }

  template <class U>
  bool operator==(const aligned_allocator<U, Alignment>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const aligned_allocator<U, Alignment>&) const noexcept {
    return false;
  }
};

}  // namespace detail
}  // namespace rotary
