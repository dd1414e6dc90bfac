// SPDX-License-Identifier: MIT
#pragma once
/// Per-call scratch memory for one token's coefficient rows: on the stack up to a fixed
/// size (no allocation on the decode path), on the heap beyond it.

#include <cstddef>
#include <memory>

namespace rotary {
namespace detail {

template <class C>
class scratch_buffer {
 public:
  static constexpr std::size_t inline_capacity =
      std::size_t{3} * 512;  // 3 rows of rotary_dim <= 512

  explicit scratch_buffer(std::size_t size) {
    if (size > inline_capacity) heap_ = std::make_unique<C[]>(size);
  }
  scratch_buffer(const scratch_buffer&) = delete;
  scratch_buffer& operator=(const scratch_buffer&) = delete;

  C* data() noexcept { return heap_ ? heap_.get() : inline_; }

 private:
  alignas(64) C inline_[inline_capacity];
  std::unique_ptr<C[]> heap_;
};

}  // namespace detail
}  // namespace rotary
