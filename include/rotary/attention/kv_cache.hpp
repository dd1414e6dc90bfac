// SPDX-License-Identifier: MIT
#pragma once
/// kv_cache<T>: keys and values of the tokens decoded so far, for incremental decoding.
///
/// Keys are stored already rotated at their absolute position (RoPE is applied once, when a
/// token is appended; RoFormer eq. 16 makes q_t^T k_n depend on t - n only). The cached
/// tokens sit at the consecutive positions [first_position, first_position + size()).
///
/// Context shift (what llama.cpp does when the context is full): drop the oldest tokens and
/// move every remaining key back by delta positions. Since R_{m-delta} = R_delta^T R_m
/// (RoFormer eq. 16: R_a R_b = R_{a+b}, R^T = R^{-1}), the cached keys are re-rotated in
/// place with rotate_transpose at position delta instead of being recomputed.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../cache_write.hpp"
#include "../rerotate.hpp"
#include "sdpa.hpp"

namespace rotary {

// NOTE: kv_cache and attend_to_cache live in the ISA's inline namespace (config.hpp): their
// members call the rotation kernels compiled for the translation unit's instruction set.
ROTARY_ISA_NAMESPACE_BEGIN

template <class T>
class kv_cache {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "kv_cache: T must be float or double");

 public:
  /// Room for `capacity` tokens of num_kv_heads heads, values of head_dim elements.
  kv_cache(std::ptrdiff_t num_kv_heads, std::ptrdiff_t head_dim, std::ptrdiff_t capacity)
      : kv_cache(num_kv_heads, head_dim, capacity, head_dim) {}

  /// Room for `capacity` tokens of num_kv_heads heads, values of v_head_dim elements.
  /// Throws rotary::invalid_argument for a head count or dimension <= 0, a capacity < 0,
  /// or a capacity * num_kv_heads * (v_)head_dim that std::ptrdiff_t or the vector cannot
  /// hold.
  kv_cache(std::ptrdiff_t num_kv_heads, std::ptrdiff_t head_dim, std::ptrdiff_t capacity,
           std::ptrdiff_t v_head_dim)
      : heads_(num_kv_heads), dim_(head_dim), v_dim_(v_head_dim), capacity_(capacity) {
    constexpr const char* fn = "kv_cache";
    ROTARY_CHECK(num_kv_heads > 0, fn, ": num_kv_heads must be > 0, got ", num_kv_heads);
    ROTARY_CHECK(head_dim > 0, fn, ": head_dim must be > 0, got ", head_dim);
    ROTARY_CHECK(v_head_dim > 0, fn, ": v_head_dim must be > 0, got ", v_head_dim);
    ROTARY_CHECK(capacity >= 0, fn, ": capacity must be >= 0, got ", capacity);
    const std::size_t key_elements = storage_size(fn, "head_dim", head_dim);
    const std::size_t value_elements = storage_size(fn, "v_head_dim", v_head_dim);
    keys_.resize(key_elements);
    values_.resize(value_elements);
  }

  std::ptrdiff_t size() const noexcept { return size_; }
  std::ptrdiff_t capacity() const noexcept { return capacity_; }
  std::ptrdiff_t num_kv_heads() const noexcept { return heads_; }
  std::ptrdiff_t head_dim() const noexcept { return dim_; }
  /// Position of the oldest cached token; the next appended token goes at next_position().
  std::int64_t first_position() const noexcept { return first_; }
  std::int64_t next_position() const noexcept { return first_ + size_; }

  /// The cached keys [size()][num_kv_heads][head_dim] and values [size()][..][v_head_dim].
  tensor_view<const T, 3> keys() const noexcept {
    return tensor_view<const T, 3>(keys_.data(), {size_, heads_, dim_});
  }
  tensor_view<const T, 3> values() const noexcept {
    return tensor_view<const T, 3>(values_.data(), {size_, heads_, v_dim_});
  }

  /// Appends n tokens: k [n][num_kv_heads][head_dim], already rotated at positions
  /// next_position() .. + n - 1, and v [n][num_kv_heads][v_head_dim].
  /// Throws rotary::invalid_argument for mismatched extents or when the cache is full.
  void append(tensor_view<const T, 3> k, tensor_view<const T, 3> v) {
    constexpr const char* fn = "kv_cache::append";
    check_append(fn, k, v);
    for (std::ptrdiff_t t = 0; t < k.extent(0); ++t, ++size_) {
      for (std::ptrdiff_t h = 0; h < heads_; ++h) {
        T* kd = keys_.data() + (size_ * heads_ + h) * dim_;
        T* vd = values_.data() + (size_ * heads_ + h) * v_dim_;
        for (std::ptrdiff_t j = 0; j < dim_; ++j) kd[j] = k(t, h, j);
        for (std::ptrdiff_t j = 0; j < v_dim_; ++j) vd[j] = v(t, h, j);
      }
    }
  }

  /// Appends n tokens whose keys are not yet rotated: k [n][num_kv_heads][head_dim] is
  /// rotated at positions next_position() .. + n - 1 straight into the cache rows, v copied,
  /// in one pass (rotate_into_cache). angles and P as for every key of this cache.
  /// Throws as append does, and as a rope call does (naming kv_cache::append_rotated), before
  /// anything is written.
  template <pairing P, class Angles>
  void append_rotated(tensor_view<const T, 3> k, tensor_view<const T, 3> v, const Angles& angles,
                      std::ptrdiff_t rotary_offset = 0) {
    constexpr const char* fn = "kv_cache::append_rotated";
    check_append(fn, k, v);
    std::vector<std::int64_t> slots(static_cast<std::size_t>(k.extent(0)));
    for (std::size_t t = 0; t < slots.size(); ++t) slots[t] = size_ + static_cast<std::int64_t>(t);
    const auto r = detail::rope_access::make(fn, angles, P, {rotary_offset});
    detail::rotate_into_cache_as(
        fn, r, k, v, tensor_view<T, 3>(keys_.data(), {capacity_, heads_, dim_}),
        tensor_view<T, 3>(values_.data(), {capacity_, heads_, v_dim_}), slots.data(), k.extent(0),
        positions::from_offset(next_position()));
    size_ += k.extent(0);
  }

  /// Forgets the `count` oldest tokens; the others keep their keys and positions
  /// (first_position() grows by count). Throws if count is not in [0, size()].
  void drop_oldest(std::ptrdiff_t count) {
    ROTARY_CHECK(count >= 0 && count <= size_, "kv_cache::drop_oldest: count must be in [0, ",
                 size_, "], got ", count);
    drop_front(count);
  }

  /// Moves every cached key from position m to m - delta in place: k <- R_delta^T k
  /// = R_{m-delta} R_m^{-1} k (the transpose at position delta). angles and P must be
  /// those the keys were rotated with (a cos/sin factor in them is kept once, not applied
  /// again). Throws if delta is not in [0, first_position()], or as a rope call does,
  /// before anything is written.
  template <pairing P, class Angles>
  void shift_positions(std::int64_t delta, const Angles& angles, std::ptrdiff_t rotary_offset = 0) {
    constexpr const char* fn = "kv_cache::shift_positions";
    ROTARY_CHECK(delta >= 0 && delta <= first_, fn, ": delta must be in [0, ", first_,
                 "] (first_position), got ", delta);
    move_back<P>(fn, 0, delta, angles, rotary_offset);
    first_ -= delta;
  }

  /// Moves every cached key from one angle source to another in place (rerotate.hpp:
  /// LongRoPE's short -> long switch, a dynamic NTK band change): at its position m each
  /// key becomes (A_to / A_from) R(m (theta_to - theta_from)) k. from must be what the
  /// keys were rotated with. Checks before anything is written.
  template <pairing P>
  void rerotate_keys(const scaled_frequencies& from, const scaled_frequencies& to,
                     std::ptrdiff_t rotary_offset = 0) {
    constexpr const char* fn = "kv_cache::rerotate_keys";
    if (size_ == 0) {
      detail::rerotation_as(fn, from, to);  // the checks, also when there is nothing to move
      return;
    }
    rope_options options;
    options.rotary_offset = rotary_offset;
    detail::rerotate_keys_as(fn, tensor_view<T, 3>(keys_.data(), {size_, heads_, dim_}),
                             positions::from_offset(first_), from, to, P, options);
  }

  /// Context shift: drop the `count` oldest tokens and move the rest back by count
  /// positions, so they sit at [first_position(), ...) again as if decoded from there.
  /// Throws rotary::invalid_argument if count is not in [0, size()], or as a rope call
  /// does (wrong angles, odd head_dim...), before anything is changed: the cache keeps
  /// its tokens and positions.
  template <pairing P, class Angles>
  void context_shift(std::ptrdiff_t count, const Angles& angles, std::ptrdiff_t rotary_offset = 0) {
    constexpr const char* fn = "kv_cache::context_shift";
    ROTARY_CHECK(count >= 0 && count <= size_, fn, ": count must be in [0, ", size_, "], got ",
                 count);
    // The kept keys first, in place (all checks before they are written), then the drop,
    // which cannot fail: a throw leaves the cache as it was.
    move_back<P>(fn, count, count, angles, rotary_offset);
    drop_front(count);
    first_ -= count;
  }

 private:
  /// capacity * num_kv_heads * dim, checked against std::ptrdiff_t and the vector's limit.
  std::size_t storage_size(const char* fn, const char* dim_name, std::ptrdiff_t dim) const {
    std::ptrdiff_t n = 0;
    const bool fits = detail::checked_mul(capacity_, heads_, n) && detail::checked_mul(n, dim, n) &&
                      static_cast<std::size_t>(n) <= keys_.max_size();
    ROTARY_CHECK(fits, fn, ": capacity * num_kv_heads * ", dim_name, " is too large, got ",
                 capacity_, " * ", heads_, " * ", dim);
    return static_cast<std::size_t>(n);
  }

  /// Removes the count oldest tokens. \pre 0 <= count <= size_.
  void drop_front(std::ptrdiff_t count) noexcept {
    const auto shift_front = [&](std::vector<T>& data, std::ptrdiff_t row) {
      std::copy(data.begin() + count * heads_ * row, data.begin() + size_ * heads_ * row,
                data.begin());
    };
    shift_front(keys_, dim_);
    shift_front(values_, v_dim_);
    size_ -= count;
    first_ += count;
  }

  /// Keys of the cached tokens [begin, size()) moved back by delta positions in place
  /// (R_delta^T, the cos/sin factor divided out). The rope call checks everything (its
  /// errors naming fn) before it writes, also when there is nothing to move (delta 0 or
  /// no token): then it runs on an empty view.
  template <pairing P, class Angles>
  void move_back(const char* fn, std::ptrdiff_t begin, std::int64_t delta, const Angles& angles,
                 std::ptrdiff_t rotary_offset) {
    rope_options options;
    options.rotary_offset = rotary_offset;
    const auto rope = detail::rope_access::make(fn, angles, P, options);
    const std::ptrdiff_t tokens = delta > 0 ? size_ - begin : 0;
    // All moved heads as one [1][tokens * heads][head_dim] token: one angle row for all.
    const tensor_view<T, 3> rows(keys_.data() + begin * heads_ * dim_, {1, tokens * heads_, dim_});
    detail::rope_access::call(fn, rope, direction::transpose, key(rows),
                              positions::from_offset(delta));
    if (tokens == 0) return;
    // Angles with a cos/sin factor A (a scaling scheme's table) gave A R_delta^T k: the
    // keys already carry A once, so divide it out (one more rounding).
    const double a = detail::attention_factor_of(rope.angles());
    if (a != 1.0) {
      const std::ptrdiff_t pairs = rope.rotary_dim() / 2;
      detail::scale_rotated<compute_type_t<T>>(
          rows, detail::slice_geometry{rotary_offset, pairs, pairs}, P, 1.0 / a);
    }
  }

  /// The checks of append and append_rotated: shapes, and room for the new tokens.
  void check_append(const char* fn, tensor_view<const T, 3> k, tensor_view<const T, 3> v) const {
    detail::check_attention_view(fn, "k", k);
    detail::check_attention_view(fn, "v", v);
    ROTARY_CHECK(k.extent(1) == heads_ && k.extent(2) == dim_, fn, ": k is [", k.extent(0), "][",
                 k.extent(1), "][", k.extent(2), "], expected [n][num_kv_heads = ", heads_,
                 "][head_dim = ", dim_, "]");
    ROTARY_CHECK(v.extent(0) == k.extent(0) && v.extent(1) == heads_ && v.extent(2) == v_dim_, fn,
                 ": v is [", v.extent(0), "][", v.extent(1), "][", v.extent(2), "], expected [",
                 k.extent(0), "][", heads_, "][", v_dim_, "]");
    ROTARY_CHECK(k.extent(0) <= capacity_ - size_, fn, ": cache full: size ", size_, " + ",
                 k.extent(0), " new tokens > capacity ", capacity_);
  }

  std::ptrdiff_t heads_, dim_, v_dim_, capacity_;
  std::ptrdiff_t size_ = 0;
  std::int64_t first_ = 0;
  std::vector<T> keys_, values_;
};

/// Decode step(s): q [n][num_heads][head_dim] (rotated at its positions) attends to every
/// cached token, with the causal mask aligned to the end of the cache (so n > 1 query
/// tokens appended together see only their past). Same options and errors as
/// scaled_dot_product_attention (causal is forced on), naming attend_to_cache.
template <class T>
void attend_to_cache(tensor_view<const T, 3> q, const kv_cache<T>& cache, tensor_view<T, 3> out,
                     attention_options<T> options = {}) {
  constexpr const char* fn = "attend_to_cache";
  options.causal = true;
  const auto k = cache.keys(), v = cache.values();
  detail::check_qkv_out(fn, q, k, v, out);
  const T scale = detail::check_attention_options(fn, q, k, v, out, options);
  detail::attention_checked(q, k, v, out, options, scale);
}

ROTARY_ISA_NAMESPACE_END

}  // namespace rotary
