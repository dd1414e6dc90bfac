// SPDX-License-Identifier: MIT
#pragma once
/// positions: which position m each token of a [tokens][heads][head_dim] view is at.
///
///   positions::from_offset(p)              token t at p + t (prefill; decode step at p);
///   positions::from_ids(ids, n)            token t at ids[t] (any order, repeats allowed:
///                                          speculative-decoding trees, gathered tokens);
///   positions::packed(cu_seqlens, n + 1)   n sequences packed back to back (THD layout):
///                                          sequence s holds tokens [cu[s], cu[s+1]) at
///                                          positions 0, 1, ... (training on packed batches);
///   positions::packed(cu, n + 1, starts, n) the same, sequence s starting at starts[s]
///                                          (a batch of sequences decoding together, each
///                                          with its own cache length).
/// Index arrays may be int32_t or int64_t. A positions object only points at the caller's
/// arrays; it does not copy them.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "error.hpp"

namespace rotary {

namespace detail {

/// Read-only pointer to an int32_t or int64_t array.
class index_array {
 public:
  index_array() = default;
  index_array(const std::int32_t* data, std::ptrdiff_t size) noexcept
      : data_(data), size_(size), wide_(false) {}
  index_array(const std::int64_t* data, std::ptrdiff_t size) noexcept
      : data_(data), size_(size), wide_(true) {}

  std::int64_t operator[](std::ptrdiff_t i) const noexcept {
    return wide_ ? static_cast<const std::int64_t*>(data_)[i]
                 : static_cast<const std::int32_t*>(data_)[i];
  }
  std::ptrdiff_t size() const noexcept { return size_; }
  const void* data() const noexcept { return data_; }

 private:
  const void* data_ = nullptr;
  std::ptrdiff_t size_ = 0;
  bool wide_ = false;
};

}  // namespace detail

class positions {
 public:
  enum class kind { offset, ids, packed };

  /// Token t is at position offset + t.
  static positions from_offset(std::int64_t offset = 0) {
    positions p;
    p.kind_ = kind::offset;
    p.offset_ = offset;
    return p;
  }

  /// Token t is at position ids[t]; `count` must equal the number of tokens.
  template <class Int>
  static positions from_ids(const Int* ids, std::ptrdiff_t count) {
    check_index_type<Int>();
    positions p;
    p.kind_ = kind::ids;
    p.ids_ = detail::index_array(ids, count);
    return p;
  }

  /// Packed sequences: cu_seqlens has num_sequences + 1 non-decreasing entries from 0 to the
  /// number of tokens; sequence s covers tokens [cu_seqlens[s], cu_seqlens[s+1]) at positions
  /// starts[s] + 0, starts[s] + 1, ... (starts omitted: every sequence starts at 0).
  template <class Int>
  static positions packed(const Int* cu_seqlens, std::ptrdiff_t count) {
    check_index_type<Int>();
    positions p;
    p.kind_ = kind::packed;
    p.cu_seqlens_ = detail::index_array(cu_seqlens, count);
    return p;
  }
  template <class Int, class StartInt>
  static positions packed(const Int* cu_seqlens, std::ptrdiff_t count, const StartInt* starts,
                          std::ptrdiff_t starts_count) {
    positions p = packed(cu_seqlens, count);
    check_index_type<StartInt>();
    p.starts_ = detail::index_array(starts, starts_count);
    return p;
  }

  kind type() const noexcept { return kind_; }

  /// Checks the arrays against a view of num_tokens tokens and that every position is
  /// >= 0; returns the smallest and largest position (both 0 when num_tokens == 0).
  /// Throws rotary::invalid_argument, naming `function` and the offending parameter.
  std::pair<std::int64_t, std::int64_t> validate(const char* function,
                                                 std::ptrdiff_t num_tokens) const {
    std::int64_t lo = 0, hi = 0;
    bool any = false;
    auto see = [&](std::int64_t a, std::int64_t b) {
      lo = any ? std::min(lo, a) : a;
      hi = any ? std::max(hi, b) : b;
      any = true;
    };
    switch (kind_) {
      case kind::offset:
        ROTARY_CHECK(offset_ >= 0, function, ": position offset must be >= 0, got ", offset_);
        if (num_tokens > 0) see(offset_, offset_ + num_tokens - 1);
        break;
      case kind::ids:
        ROTARY_CHECK(ids_.data() != nullptr || ids_.size() == 0, function,
                     ": position ids must not be null");
        ROTARY_CHECK(ids_.size() == num_tokens, function, ": position ids has ", ids_.size(),
                     " entries, expected num_tokens = ", num_tokens);
        for (std::ptrdiff_t t = 0; t < num_tokens; ++t) {
          ROTARY_CHECK(ids_[t] >= 0, function, ": position ids[", t, "] must be >= 0, got ",
                       ids_[t]);
          see(ids_[t], ids_[t]);
        }
        break;
      case kind::packed:
        validate_packed(function, num_tokens, see);
        break;
    }
    return {lo, hi};
  }

  /// Calls f(token, position) for tokens [begin, end) in order. Assumes validate() passed.
  template <class F>
  void for_each(std::ptrdiff_t begin, std::ptrdiff_t end, F&& f) const {
    switch (kind_) {
      case kind::offset:
        for (std::ptrdiff_t t = begin; t < end; ++t) f(t, offset_ + t);
        break;
      case kind::ids:
        for (std::ptrdiff_t t = begin; t < end; ++t) f(t, ids_[t]);
        break;
      case kind::packed: {
        if (begin >= end) break;
        // First sequence containing token `begin`: the last s with cu[s] <= begin.
        std::ptrdiff_t lo = 0, hi = cu_seqlens_.size() - 1;  // cu[lo] <= begin < cu[hi]
        while (hi - lo > 1) {
          const std::ptrdiff_t mid = lo + (hi - lo) / 2;
          (cu_seqlens_[mid] <= begin ? lo : hi) = mid;
        }
        std::ptrdiff_t s = lo;
        std::ptrdiff_t t = begin;
        while (t < end) {
          const std::int64_t seq_end = std::min<std::int64_t>(cu_seqlens_[s + 1], end);
          const std::int64_t shift = start(s) - cu_seqlens_[s];
          for (; t < seq_end; ++t) f(t, t + shift);
          ++s;
        }
        break;
      }
    }
  }

 private:
  template <class Int>
  static constexpr void check_index_type() {
    static_assert(std::is_same_v<Int, std::int32_t> || std::is_same_v<Int, std::int64_t>,
                  "rotary::positions: index arrays must be int32_t or int64_t");
  }

  std::int64_t start(std::ptrdiff_t s) const noexcept {
    return starts_.data() ? starts_[s] : 0;
  }

  template <class See>
  void validate_packed(const char* function, std::ptrdiff_t num_tokens, See& see) const {
    const std::ptrdiff_t n = cu_seqlens_.size();
    ROTARY_CHECK(cu_seqlens_.data() != nullptr && n >= 1, function,
                 ": cu_seqlens must be non-null with at least one entry, got ", n, " entries");
    ROTARY_CHECK(cu_seqlens_[0] == 0, function, ": cu_seqlens[0] must be 0, got ",
                 cu_seqlens_[0]);
    for (std::ptrdiff_t s = 0; s + 1 < n; ++s) {
      ROTARY_CHECK(cu_seqlens_[s + 1] >= cu_seqlens_[s], function,
                   ": cu_seqlens must be non-decreasing, but cu_seqlens[", s + 1, "] = ",
                   cu_seqlens_[s + 1], " < cu_seqlens[", s, "] = ", cu_seqlens_[s]);
    }
    ROTARY_CHECK(cu_seqlens_[n - 1] == num_tokens, function, ": cu_seqlens must end at num_tokens = ",
                 num_tokens, ", but cu_seqlens[", n - 1, "] = ", cu_seqlens_[n - 1]);
    if (starts_.data() != nullptr) {
      ROTARY_CHECK(starts_.size() == n - 1, function, ": start offsets has ", starts_.size(),
                   " entries, expected one per sequence = ", n - 1);
    }
    for (std::ptrdiff_t s = 0; s + 1 < n; ++s) {
      ROTARY_CHECK(start(s) >= 0, function, ": start offsets[", s, "] must be >= 0, got ",
                   start(s));
      const std::int64_t length = cu_seqlens_[s + 1] - cu_seqlens_[s];
      if (length > 0) see(start(s), start(s) + length - 1);
    }
  }

  kind kind_ = kind::offset;
  std::int64_t offset_ = 0;
  detail::index_array ids_;
  detail::index_array cu_seqlens_;
  detail::index_array starts_;
};

}  // namespace rotary
