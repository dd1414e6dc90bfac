// SPDX-License-Identifier: MIT
#pragma once
/// tensor_view<T, Rank>: a non-owning view of caller memory with explicit element strides
/// (mdspan's layout_stride in miniature). Const-ness lives in T: tensor_view<const float, 3>
/// is read-only. Extents and strides are signed (std::ptrdiff_t) so that a negative value is
/// a reportable error rather than a wrapped-around size.

#include <array>
#include <cstddef>
#include <limits>
#include <type_traits>

namespace rotary {

template <class T, std::size_t Rank>
class tensor_view {
 public:
  using element_type = T;
  using index_type = std::ptrdiff_t;
  static constexpr std::size_t rank = Rank;

  constexpr tensor_view() = default;

  /// A view with explicit strides, in elements.
  constexpr tensor_view(T* data, const std::array<index_type, Rank>& extents,
                        const std::array<index_type, Rank>& strides) noexcept
      : data_(data), extents_(extents), strides_(strides) {}

  /// A contiguous row-major view (the last index varies fastest).
  constexpr tensor_view(T* data, const std::array<index_type, Rank>& extents) noexcept
      : data_(data), extents_(extents), strides_(row_major_strides(extents)) {}

  /// A mutable view converts to a read-only one.
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T>>>
  constexpr tensor_view(const tensor_view<U, Rank>& other) noexcept  // NOLINT: implicit
      : data_(other.data()), extents_(other.extents()), strides_(other.strides()) {}

  constexpr T* data() const noexcept { return data_; }
  constexpr index_type extent(std::size_t r) const noexcept { return extents_[r]; }
  constexpr index_type stride(std::size_t r) const noexcept { return strides_[r]; }
  constexpr const std::array<index_type, Rank>& extents() const noexcept { return extents_; }
  constexpr const std::array<index_type, Rank>& strides() const noexcept { return strides_; }

  /// Number of elements (product of the extents; 0 when any extent is 0). Saturates at
  /// PTRDIFF_MAX (and treats negative extents as 0) rather than overflow: such a view is
  /// rejected by every rotary call, with a message.
  constexpr index_type size() const noexcept {
    index_type n = 1;
    for (index_type e : extents_) {
      if (e <= 0) return 0;
    }
    for (index_type e : extents_) n = n > max_index / e ? max_index : n * e;
    return n;
  }

  /// Element at the given indices; no bounds checks.
  template <class... Indices>
  constexpr T& operator()(Indices... indices) const noexcept {
    static_assert(sizeof...(Indices) == Rank, "tensor_view: wrong number of indices");
    const std::array<index_type, Rank> idx{static_cast<index_type>(indices)...};
    index_type offset = 0;
    for (std::size_t r = 0; r < Rank; ++r) offset += idx[r] * strides_[r];
    return data_[offset];
  }

 private:
  static constexpr index_type max_index = std::numeric_limits<index_type>::max();

  static constexpr std::array<index_type, Rank> row_major_strides(
      const std::array<index_type, Rank>& extents) noexcept {
    // Saturating (never overflowing): a stride that does not fit becomes PTRDIFF_MAX, and
    // the view is rejected by the calls' span checks.
    std::array<index_type, Rank> strides{};
    index_type s = 1;
    for (std::size_t r = Rank; r-- > 0;) {
      strides[r] = s;
      const index_type e = extents[r] > 0 ? extents[r] : 0;
      s = e != 0 && s > max_index / e ? max_index : s * e;
    }
    return strides;
  }

  T* data_ = nullptr;
  std::array<index_type, Rank> extents_{};
  std::array<index_type, Rank> strides_{};
};

}  // namespace rotary
