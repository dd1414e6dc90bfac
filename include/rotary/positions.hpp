// SPDX-License-Identifier: MIT
#pragma once
/// positions: the position m of every token a rotation touches.
///
/// A call rotates one sequence ([tokens][heads][head_dim], rank 3) or a batch of equal-length
/// sequences ([batch][seq][heads][head_dim], rank 4; a rank-3 call is a batch of 1).
/// Token s of sequence b (flat token number t = b * seq + s) is at position
///
///   positions::from_offset(p)              p + s          (prefill; a decode step at p)
///   positions::from_starts(starts, batch)  starts[b] + s  (sequences decoding together,
///                                                          each at its own cache length)
///   positions::from_ids(ids, batch * seq)  ids[t]         (any order, repeats allowed:
///                                                          speculative-decoding trees)
///   positions::packed(cu_seqlens, n + 1)   t - cu[k]      n sequences packed back to back
///                                          in one rank-3 view (THD): sequence k holds
///                                          tokens [cu[k], cu[k+1]) at positions 0, 1, ...
///   positions::packed(cu, n + 1, starts, n) starts[k] + t - cu[k]
///
/// Several position axes per token (multi-axis RoPE: a rope over a multi_axis_angles source
/// only; axis_map.hpp says which pair takes which axis):
///   positions::axes_major(p, axes, n)      token t, axis k at p[k * n + t]   (HF's
///                                          position_ids of shape [3][batch * seq])
///   positions::token_major(p, n, axes)     token t, axis k at p[t * axes + k] (FLUX's ids)
///   positions::multi_axis(p, axes, n, axis_stride, token_stride)  any other layout
/// p is int32_t, int64_t or double (fractional positions, e.g. a time axis of
/// tokens_per_second x seconds: finite, in [0, 2^53]). Any other call (rotate_reference,
/// the encodings) throws for multi-axis positions.
///
/// Index arrays are int32_t or int64_t (static_assert otherwise). A positions object only
/// points at the caller's arrays; it does not copy them. Every check (lengths, null
/// arrays, negative positions, and positions that would overflow int64) runs before a call
/// writes anything.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "error.hpp"

namespace rotary {

namespace detail {

template <class Int>
constexpr void static_check_index_type() {
  static_assert(std::is_same_v<Int, std::int32_t> || std::is_same_v<Int, std::int64_t>,
                "rotary::positions: index arrays must be int32_t or int64_t");
}

/// Read-only pointer to an int32_t or int64_t array.
class index_array {
 public:
  index_array() = default;
  template <class Int>
  index_array(const Int* data, std::ptrdiff_t size) noexcept
      : data_(data), size_(size), wide_(std::is_same_v<Int, std::int64_t>) {
    static_check_index_type<Int>();
  }

  std::int64_t operator[](std::ptrdiff_t i) const noexcept {
    return wide_ ? static_cast<const std::int64_t*>(data_)[i]
                 : static_cast<const std::int32_t*>(data_)[i];
  }
  std::ptrdiff_t size() const noexcept { return size_; }
  const void* data() const noexcept { return data_; }
  /// Entries [offset, offset + size) as an array of their own.
  index_array subarray(std::ptrdiff_t offset, std::ptrdiff_t size) const noexcept {
    index_array a = *this;
    a.data_ =
        static_cast<const char*>(data_) +
        offset * static_cast<std::ptrdiff_t>(wide_ ? sizeof(std::int64_t) : sizeof(std::int32_t));
    a.size_ = size;
    return a;
  }

 private:
  const void* data_ = nullptr;
  std::ptrdiff_t size_ = 0;
  bool wide_ = false;
};

/// Largest position p + n - 1 of a run of n >= 1 tokens starting at p >= 0, or a
/// rotary::invalid_argument naming `what` when it does not fit in int64.
inline std::int64_t last_position(const char* function, const char* what, std::int64_t p,
                                  std::int64_t n) {
  ROTARY_CHECK(p <= std::numeric_limits<std::int64_t>::max() - (n - 1), function, ": ", what, " ",
               p, " + ", n - 1, " tokens overflows int64");
  return p + (n - 1);
}

}  // namespace detail

class positions {
 public:
  /// Token s of every sequence is at offset + s.
  static positions from_offset(std::int64_t offset = 0) noexcept {
    positions p;
    p.kind_ = kind::offset;
    p.offset_ = offset;
    return p;
  }

  /// The offset when these are from_offset positions (every sequence at offset + s).
  bool is_offset() const noexcept { return kind_ == kind::offset; }
  std::int64_t offset() const noexcept { return offset_; }

  /// Token s of sequence b is at starts[b] + s; `count` must equal the batch size.
  template <class Int>
  static positions from_starts(const Int* starts, std::ptrdiff_t count) noexcept {
    positions p;
    p.kind_ = kind::starts;
    p.array_ = detail::index_array(starts, count);
    return p;
  }

  /// Flat token t is at ids[t]; `count` must equal the number of tokens (batch * seq).
  template <class Int>
  static positions from_ids(const Int* ids, std::ptrdiff_t count) noexcept {
    positions p;
    p.kind_ = kind::ids;
    p.array_ = detail::index_array(ids, count);
    return p;
  }

  /// Packed sequences: cu_seqlens has num_sequences + 1 non-decreasing entries from 0 to the
  /// number of tokens; sequence k covers tokens [cu_seqlens[k], cu_seqlens[k+1]) at
  /// positions starts[k] + 0, starts[k] + 1, ... (starts omitted: every sequence at 0).
  template <class Int>
  static positions packed(const Int* cu_seqlens, std::ptrdiff_t count) noexcept {
    positions p;
    p.kind_ = kind::packed;
    p.cu_seqlens_ = detail::index_array(cu_seqlens, count);
    return p;
  }
  template <class Int, class StartInt>
  static positions packed(const Int* cu_seqlens, std::ptrdiff_t count, const StartInt* starts,
                          std::ptrdiff_t starts_count) noexcept {
    positions p = packed(cu_seqlens, count);
    p.array_ = detail::index_array(starts, starts_count);
    p.packed_starts_ = true;
    return p;
  }

  /// Multi-axis positions: token t (flat, t < tokens) has position data[t token_stride +
  /// k axis_stride] on axis k < axes (strides in elements, >= 0).
  template <class T>
  static positions multi_axis(const T* data, std::ptrdiff_t axes, std::ptrdiff_t tokens,
                              std::ptrdiff_t axis_stride, std::ptrdiff_t token_stride) noexcept {
    positions p;
    p.kind_ = kind::axes;
    p.axes_ = axes;
    p.axis_stride_ = axis_stride;
    p.token_stride_ = token_stride;
    if constexpr (std::is_same_v<T, double>) {
      p.fractional_ = true;
      p.real_ = data;
      p.real_count_ = tokens;
    } else {
      p.array_ = detail::index_array(data, tokens);
    }
    return p;
  }
  /// [axes][tokens] (HF's position_ids, batch and seq flattened).
  template <class T>
  static positions axes_major(const T* data, std::ptrdiff_t axes, std::ptrdiff_t tokens) noexcept {
    return multi_axis(data, axes, tokens, tokens, 1);
  }
  /// [tokens][axes] (FLUX's img_ids / txt_ids).
  template <class T>
  static positions token_major(const T* data, std::ptrdiff_t tokens, std::ptrdiff_t axes) noexcept {
    return multi_axis(data, axes, tokens, 1, axes);
  }

  bool is_multi_axis() const noexcept { return kind_ == kind::axes; }
  /// Multi-axis positions of tokens [begin, begin + count) (\pre is_multi_axis(), and the
  /// tokens exist).
  positions tokens(std::ptrdiff_t begin, std::ptrdiff_t count) const noexcept {
    positions p = *this;
    if (fractional_) {
      p.real_ = real_ + begin * token_stride_;
      p.real_count_ = count;
    } else {
      p.array_ = array_.subarray(begin * token_stride_, count);
    }
    return p;
  }
  /// The number of position axes: 1 except for multi-axis positions.
  std::ptrdiff_t axes() const noexcept { return kind_ == kind::axes ? axes_ : 1; }
  /// Multi-axis positions given as doubles.
  bool is_fractional() const noexcept { return kind_ == kind::axes && fractional_; }
  /// Token t's position on axis k (integer multi-axis positions). \pre validated.
  std::int64_t axis_position(std::ptrdiff_t t, std::ptrdiff_t k) const noexcept {
    return array_[t * token_stride_ + k * axis_stride_];
  }
  /// Token t's position on axis k (fractional multi-axis positions). \pre validated.
  double real_axis_position(std::ptrdiff_t t, std::ptrdiff_t k) const noexcept {
    return real_[t * token_stride_ + k * axis_stride_];
  }

  /// Checks the arrays against `batch` sequences of `seq` tokens; returns the smallest and
  /// largest position (both 0 when there is no token). Throws rotary::invalid_argument
  /// naming `function` and the offending parameter. Multi-axis positions throw here: only
  /// a multi-axis angle source takes them (validate_axes).
  std::pair<std::int64_t, std::int64_t> validate(const char* function, std::ptrdiff_t batch,
                                                 std::ptrdiff_t seq) const {
    ROTARY_CHECK(kind_ != kind::axes, function, ": multi-axis positions (", axes_,
                 " axes) need a rope over a multi-axis angle source (rotary::multi_axis_angles)");
    return validate_any(function, batch, seq);
  }

  /// validate() for a source of `source_axes` position axes: 1-D positions (every axis at
  /// the same position) or multi-axis positions with that many axes. Returns the smallest
  /// and largest integer position on any axis ({0, 0} for fractional positions).
  std::pair<std::int64_t, std::int64_t> validate_axes(const char* function, std::ptrdiff_t batch,
                                                      std::ptrdiff_t seq,
                                                      std::ptrdiff_t source_axes) const {
    if (kind_ == kind::axes) {
      ROTARY_CHECK(axes_ == source_axes, function, ": positions have ", axes_,
                   " axes, the angle source's axis map has ", source_axes);
    }
    return validate_any(function, batch, seq);
  }

 private:
  std::pair<std::int64_t, std::int64_t> validate_any(const char* function, std::ptrdiff_t batch,
                                                     std::ptrdiff_t seq) const {
    range r;
    switch (kind_) {
      case kind::axes:
        validate_axes_data(function, batch * seq, r);
        break;
      case kind::offset:
        ROTARY_CHECK(offset_ >= 0, function, ": position offset must be >= 0, got ", offset_);
        if (batch > 0 && seq > 0) {
          r.see(offset_, detail::last_position(function, "position offset", offset_, seq));
        }
        break;
      case kind::starts:
        check_array(function, "start offsets", array_, batch, "one per sequence = ");
        for (std::ptrdiff_t b = 0; b < batch; ++b) {
          ROTARY_CHECK(array_[b] >= 0, function, ": start offsets[", b, "] must be >= 0, got ",
                       array_[b]);
          if (seq > 0) {
            r.see(array_[b], detail::last_position(function, "start offset", array_[b], seq));
          }
        }
        break;
      case kind::ids: {
        const std::ptrdiff_t tokens = batch * seq;  // the caller checked that it fits
        check_array(function, "position ids", array_, tokens, "num_tokens = ");
        for (std::ptrdiff_t t = 0; t < tokens; ++t) {
          ROTARY_CHECK(array_[t] >= 0, function, ": position ids[", t, "] must be >= 0, got ",
                       array_[t]);
          r.see(array_[t], array_[t]);
        }
        break;
      }
      case kind::packed:
        ROTARY_CHECK(batch <= 1, function,
                     ": packed positions describe one rank-3 (THD) view, got a batch of ", batch,
                     " sequences");
        validate_packed(function, batch == 0 ? 0 : seq, r);
        break;
    }
    return {r.lo, r.hi};
  }

 public:
  /// validate() for one sequence of num_tokens tokens (a rank-3 view).
  std::pair<std::int64_t, std::int64_t> validate(const char* function,
                                                 std::ptrdiff_t num_tokens) const {
    return validate(function, 1, num_tokens);
  }

  /// Calls f(t, m) for tokens [begin, end) of one sequence, in order.
  template <class F>
  void for_each(std::ptrdiff_t begin, std::ptrdiff_t end, F&& f) const {
    for_each(end, begin, end,
             [&](std::ptrdiff_t t, std::ptrdiff_t, std::ptrdiff_t, std::int64_t m) { f(t, m); });
  }

  /// Calls f(t, b, s, n, m) for runs of n tokens t, ..., t + n - 1 of one sequence (b) at
  /// consecutive positions m, ..., m + n - 1, covering flat tokens [begin, end) in order:
  /// one run per sequence for offsets, starts and packed sequences, runs of one token for
  /// position ids, one run per sequence for multi-axis positions (m = s there: unused, the
  /// angle source reads each token's positions). \pre validate() passed for these sequences.
  template <class F>
  void for_each_run(std::ptrdiff_t seq, std::ptrdiff_t begin, std::ptrdiff_t end, F&& f) const {
    if (begin >= end) return;
    if (kind_ == kind::packed) {
      // First sequence containing token `begin`: the last k with cu[k] <= begin.
      std::ptrdiff_t lo = 0, hi = cu_seqlens_.size() - 1;  // cu[lo] <= begin < cu[hi]
      while (hi - lo > 1) {
        const std::ptrdiff_t mid = lo + (hi - lo) / 2;
        (cu_seqlens_[mid] <= begin ? lo : hi) = mid;
      }
      for (std::ptrdiff_t t = begin, k = lo; t < end; ++k) {
        const std::ptrdiff_t run_end = std::min<std::ptrdiff_t>(cu_seqlens_[k + 1], end);
        if (run_end <= t) continue;  // an empty sequence
        // NOTE: start + (t - cu[k]), not (t + start) - cu[k]: validate() bounds
        // start + length - 1, and t + start alone may overflow int64 for a start near
        // INT64_MAX (undefined behaviour, found by tests/fuzz/rope_fuzz.cpp under UBSan).
        f(t, std::ptrdiff_t{0}, t, run_end - t, packed_start(k) + (t - cu_seqlens_[k]));
        t = run_end;
      }
      return;
    }
    std::ptrdiff_t b = 0, s = begin;  // no division for the usual begin = 0
    if (begin >= seq) b = begin / seq, s = begin % seq;
    if (kind_ == kind::ids) {
      for (std::ptrdiff_t t = begin; t < end; ++t) {
        f(t, b, s, std::ptrdiff_t{1}, array_[t]);
        if (++s == seq) s = 0, ++b;
      }
      return;
    }
    for (std::ptrdiff_t t = begin; t < end; ++b, s = 0) {
      const std::ptrdiff_t n = std::min<std::ptrdiff_t>(seq - s, end - t);
      // Multi-axis positions: one run per sequence, m unused (0 + s); the source reads
      // each token's positions itself.
      const std::int64_t start = kind_ == kind::offset ? offset_
                                 : kind_ == kind::axes ? 0
                                                       : array_[b];
      f(t, b, s, n, start + s);
      t += n;
    }
  }

  /// Calls f(t, b, s, m) for flat tokens t in [begin, end) in order: token s of sequence b
  /// (t = b * seq + s) at position m. \pre validate() passed for these sequences.
  template <class F>
  void for_each(std::ptrdiff_t seq, std::ptrdiff_t begin, std::ptrdiff_t end, F&& f) const {
    for_each_run(seq, begin, end,
                 [&](std::ptrdiff_t t, std::ptrdiff_t b, std::ptrdiff_t s, std::ptrdiff_t n,
                     std::int64_t m) {
                   for (std::ptrdiff_t i = 0; i < n; ++i) f(t + i, b, s + i, m + i);
                 });
  }

 private:
  enum class kind { offset, starts, ids, packed, axes };

  struct range {
    std::int64_t lo = 0, hi = 0;
    bool any = false;
    void see(std::int64_t a, std::int64_t b) {
      lo = any ? std::min(lo, a) : a;
      hi = any ? std::max(hi, b) : b;
      any = true;
    }
  };

  static void check_array(const char* function, const char* name, const detail::index_array& a,
                          std::ptrdiff_t expected, const char* expectation) {
    ROTARY_CHECK(a.data() != nullptr || a.size() == 0, function, ": ", name, " must not be null (",
                 a.size(), " entries)");
    ROTARY_CHECK(a.size() == expected, function, ": ", name, " has ", a.size(),
                 " entries, expected ", expectation, expected);
  }

  std::int64_t packed_start(std::ptrdiff_t k) const noexcept {
    return packed_starts_ ? array_[k] : 0;
  }

  void validate_packed(const char* function, std::ptrdiff_t num_tokens, range& r) const {
    const std::ptrdiff_t n = cu_seqlens_.size();
    ROTARY_CHECK(cu_seqlens_.data() != nullptr && n >= 1, function,
                 ": cu_seqlens must be non-null with at least one entry, got ", n, " entries");
    ROTARY_CHECK(cu_seqlens_[0] == 0, function, ": cu_seqlens[0] must be 0, got ", cu_seqlens_[0]);
    for (std::ptrdiff_t k = 0; k + 1 < n; ++k) {
      ROTARY_CHECK(cu_seqlens_[k + 1] >= cu_seqlens_[k], function,
                   ": cu_seqlens must be non-decreasing, but cu_seqlens[", k + 1,
                   "] = ", cu_seqlens_[k + 1], " < cu_seqlens[", k, "] = ", cu_seqlens_[k]);
    }
    ROTARY_CHECK(cu_seqlens_[n - 1] == num_tokens, function,
                 ": cu_seqlens must end at num_tokens = ", num_tokens, ", but cu_seqlens[", n - 1,
                 "] = ", cu_seqlens_[n - 1]);
    if (packed_starts_)
      check_array(function, "start offsets", array_, n - 1, "one per sequence = ");
    for (std::ptrdiff_t k = 0; k + 1 < n; ++k) {
      const std::int64_t start = packed_start(k);
      ROTARY_CHECK(start >= 0, function, ": start offsets[", k, "] must be >= 0, got ", start);
      const std::int64_t length = cu_seqlens_[k + 1] - cu_seqlens_[k];
      if (length > 0) {
        r.see(start, detail::last_position(function, "start offset", start, length));
      }
    }
  }

  void validate_axes_data(const char* function, std::ptrdiff_t tokens, range& r) const {
    const bool real = fractional_;  // NOTE: not real_ != nullptr: null doubles are checked too
    const std::ptrdiff_t count = real ? real_count_ : array_.size();
    const void* data = real ? static_cast<const void*>(real_) : array_.data();
    ROTARY_CHECK(axes_ >= 1, function, ": multi-axis positions must have >= 1 axis, got ", axes_);
    ROTARY_CHECK(data != nullptr || tokens == 0, function,
                 ": multi-axis positions must not be null (", tokens, " tokens)");
    ROTARY_CHECK(count == tokens, function, ": multi-axis positions cover ", count,
                 " tokens, expected num_tokens = ", tokens);
    ROTARY_CHECK(axis_stride_ >= 0 && token_stride_ >= 0, function,
                 ": multi-axis position strides must be >= 0, got axis_stride ", axis_stride_,
                 ", token_stride ", token_stride_);
    constexpr std::ptrdiff_t max = std::numeric_limits<std::ptrdiff_t>::max();
    const std::ptrdiff_t a = axes_ - 1, n = tokens > 0 ? tokens - 1 : 0;
    ROTARY_CHECK((token_stride_ == 0 || n <= max / token_stride_) &&
                     (axis_stride_ == 0 || a <= max / axis_stride_) &&
                     n * token_stride_ <= max - a * axis_stride_,
                 function, ": multi-axis position strides overflow (", tokens, " tokens x ",
                 token_stride_, ", ", axes_, " axes x ", axis_stride_, ")");
    for (std::ptrdiff_t t = 0; t < tokens; ++t) {
      for (std::ptrdiff_t k = 0; k < axes_; ++k) {
        if (real) {
          const double p = real_axis_position(t, k);
          ROTARY_CHECK(std::isfinite(p) && p >= 0.0 && p <= 0x1p53, function,
                       ": fractional position of token ", t, ", axis ", k,
                       " must be finite and in [0, 2^53], got ", p);
        } else {
          const std::int64_t p = axis_position(t, k);
          ROTARY_CHECK(p >= 0, function, ": position of token ", t, ", axis ", k,
                       " must be >= 0, got ", p);
          r.see(p, p);
        }
      }
    }
  }

  kind kind_ = kind::offset;
  std::ptrdiff_t axes_ = 1;
  std::ptrdiff_t axis_stride_ = 0, token_stride_ = 0;
  bool fractional_ = false;  ///< multi-axis positions given as doubles (real_, real_count_)
  const double* real_ = nullptr;
  std::ptrdiff_t real_count_ = 0;
  bool packed_starts_ = false;
  std::int64_t offset_ = 0;
  detail::index_array array_;  ///< starts or ids (and the starts of packed sequences)
  detail::index_array cu_seqlens_;
};

}  // namespace rotary
