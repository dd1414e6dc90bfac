// SPDX-License-Identifier: MIT
#pragma once
/// Views for the common memory layouts of q and k, and rotation of a batch of sequences.
///
/// The kernels take [tokens][heads][head_dim] views (rank 3); a batch of equal-length
/// sequences is a rank-4 view [batch][seq][heads][head_dim] in that logical order, whatever
/// the order in memory. Helpers (contiguous tensors; for padded ones build the view with
/// explicit strides):
///
///   thd_view(p, tokens, heads, head_dim)        packed tokens (varlen; with positions::packed)
///   bshd_view(p, batch, seq, heads, head_dim)   memory [b][s][h][d]  (HF, flash-attn)
///   bhsd_view(p, batch, heads, seq, head_dim)   memory [b][h][s][d]  (PyTorch SDPA)
///   sbhd_view(p, seq, batch, heads, head_dim)   memory [s][b][h][d]  (Megatron)
///   sequence(x, b)                              rank-3 view of sequence b of a rank-4 view
///
/// All return [batch][seq][heads][head_dim] views over the caller's memory (no copy).
/// BHSD with batch > 1 cannot be one rank-3 view: no single token stride walks both the
/// sequences of one batch entry and the batch entries. Use the rank-4 entry points, or
/// sequence(x, b) in a loop.
///
///   rotate<P>(x4, angles, batch_positions [, rotary_offset])       and (in4, out4, ...)
///   rotate_transpose<P>(...), unrotate<P>(...), rotate(p, ...)   as for rank 3
///
/// batch_positions says where each sequence starts: the same offset for all (a padded
/// prefill), one start per sequence (sequences decoding together, each at its own cache
/// length), or explicit ids [batch][seq]. Every sequence is checked before any is written.

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/rotate_impl.hpp"
#include "positions.hpp"
#include "rotate.hpp"
#include "view.hpp"

namespace rotary {

/// [tokens][heads][head_dim], contiguous: packed (THD) tokens.
template <class T>
tensor_view<T, 3> thd_view(T* data, std::ptrdiff_t tokens, std::ptrdiff_t heads,
                           std::ptrdiff_t head_dim) {
  return tensor_view<T, 3>(data, {tokens, heads, head_dim});
}

/// Memory [batch][seq][heads][head_dim] as a [batch][seq][heads][head_dim] view.
template <class T>
tensor_view<T, 4> bshd_view(T* data, std::ptrdiff_t batch, std::ptrdiff_t seq,
                            std::ptrdiff_t heads, std::ptrdiff_t head_dim) {
  return tensor_view<T, 4>(data, {batch, seq, heads, head_dim});
}

/// Memory [batch][heads][seq][head_dim] as a [batch][seq][heads][head_dim] view.
template <class T>
tensor_view<T, 4> bhsd_view(T* data, std::ptrdiff_t batch, std::ptrdiff_t heads,
                            std::ptrdiff_t seq, std::ptrdiff_t head_dim) {
  return tensor_view<T, 4>(data, {batch, seq, heads, head_dim},
                           {heads * seq * head_dim, head_dim, seq * head_dim, 1});
}

/// Memory [seq][batch][heads][head_dim] as a [batch][seq][heads][head_dim] view.
template <class T>
tensor_view<T, 4> sbhd_view(T* data, std::ptrdiff_t seq, std::ptrdiff_t batch,
                            std::ptrdiff_t heads, std::ptrdiff_t head_dim) {
  return tensor_view<T, 4>(data, {batch, seq, heads, head_dim},
                           {heads * head_dim, batch * heads * head_dim, head_dim, 1});
}

/// Sequence b of a [batch][seq][heads][head_dim] view: [seq][heads][head_dim].
/// \pre 0 <= b < x.extent(0) (unchecked).
template <class T>
tensor_view<T, 3> sequence(const tensor_view<T, 4>& x, std::ptrdiff_t b) {
  return tensor_view<T, 3>(x.data() + b * x.stride(0), {x.extent(1), x.extent(2), x.extent(3)},
                           {x.stride(1), x.stride(2), x.stride(3)});
}

/// Positions of a batch of sequences [batch][seq]: token s of sequence b is at
///   offset + s            from_offset(offset)
///   starts[b] + s         from_starts(starts, batch)       int32_t or int64_t
///   ids[b * seq + s]      from_ids(ids, batch * seq)       int32_t or int64_t
class batch_positions {
 public:
  static batch_positions from_offset(std::int64_t offset = 0) {
    batch_positions p;
    p.offset_ = offset;
    return p;
  }
  template <class Int>
  static batch_positions from_starts(const Int* starts, std::ptrdiff_t count) {
    batch_positions p;
    p.kind_ = kind::starts;
    p.array_ = detail::index_array(starts, count);
    return p;
  }
  template <class Int>
  static batch_positions from_ids(const Int* ids, std::ptrdiff_t count) {
    batch_positions p;
    p.kind_ = kind::ids;
    p.array_ = detail::index_array(ids, count);
    if constexpr (std::is_same_v<Int, std::int32_t>) p.ids32_ = ids;
    if constexpr (std::is_same_v<Int, std::int64_t>) p.ids64_ = ids;
    return p;
  }

  /// Checks the array length against a batch of `batch` sequences of `seq` tokens.
  void validate(const char* function, std::ptrdiff_t batch, std::ptrdiff_t seq) const {
    if (kind_ == kind::offset) return;
    const std::ptrdiff_t expected = kind_ == kind::starts ? batch : batch * seq;
    ROTARY_CHECK(array_.data() != nullptr || expected == 0, function, ": ",
                 kind_ == kind::starts ? "start offsets" : "position ids", " must not be null");
    ROTARY_CHECK(array_.size() == expected, function, ": ",
                 kind_ == kind::starts ? "start offsets" : "position ids", " has ",
                 array_.size(), " entries, expected ",
                 kind_ == kind::starts ? "one per sequence = " : "batch * seq = ", expected);
  }

  /// The positions of sequence b (seq tokens). Assumes validate() passed.
  positions of_sequence(std::ptrdiff_t b, std::ptrdiff_t seq) const {
    switch (kind_) {
      case kind::starts:
        return positions::from_offset(array_[b]);
      case kind::ids:
        return ids32_ ? positions::from_ids(ids32_ + b * seq, seq)
                      : positions::from_ids(ids64_ + b * seq, seq);
      case kind::offset:
        break;
    }
    return positions::from_offset(offset_);
  }

 private:
  enum class kind { offset, starts, ids };
  kind kind_ = kind::offset;
  std::int64_t offset_ = 0;
  detail::index_array array_;
  const std::int32_t* ids32_ = nullptr;
  const std::int64_t* ids64_ = nullptr;
};

namespace detail {

ROTARY_ISA_NAMESPACE_BEGIN

template <pairing P, bool Transpose, class In, class T, class Angles>
void run_batch_rotation(const char* function, tensor_view<In, 4> in, tensor_view<T, 4> out,
                        const Angles& angles, const batch_positions& bpos,
                        std::ptrdiff_t rotary_offset) {
  decltype(auto) source = angle_source(angles);
  using Source = std::remove_cv_t<std::remove_reference_t<decltype(source)>>;
  static_check_rotation<In, T, Source>();
  const std::ptrdiff_t batch = in.extent(0), seq = in.extent(1);
  ROTARY_CHECK(batch >= 0 && seq >= 0, function, ": batch and seq must be >= 0, got ", batch,
               " and ", seq);
  for (std::size_t r = 0; r < 2; ++r) {
    ROTARY_CHECK(in.extent(r) == out.extent(r), function, ": in and out extents differ",
                 " in dimension ", r, ": ", in.extent(r), " vs ", out.extent(r));
  }
  bpos.validate(function, batch, seq);
  if (batch == 0) return;
  // in and out as a whole: the same view or disjoint (per-sequence checks would miss
  // sequence b of out overlapping sequence b' != b of in).
  check_same_or_disjoint(function, in, out);
  std::vector<positions> pos;
  pos.reserve(static_cast<std::size_t>(batch));
  for (std::ptrdiff_t b = 0; b < batch; ++b) {
    pos.push_back(bpos.of_sequence(b, seq));
    check_job(function, rotation_job<T, Source>{sequence(tensor_view<const T, 4>(in), b),
                                                sequence(out, b), source, pos.back(),
                                                rotary_offset});
  }
  for (std::ptrdiff_t b = 0; b < batch; ++b) {
    const rotation_job<T, Source> job{sequence(tensor_view<const T, 4>(in), b),
                                      sequence(out, b), source,
                                      pos[static_cast<std::size_t>(b)], rotary_offset};
    rotate_tokens<P, Transpose>(job, 0, seq);
  }
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail

ROTARY_ISA_NAMESPACE_BEGIN

/// x <- R_m x for a batch of sequences, x: [batch][seq][heads][head_dim] (any strides,
/// head_dim stride 1), in place.
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate(tensor_view<T, 4> x, const Angles& angles, const batch_positions& pos,
            std::ptrdiff_t rotary_offset = 0) {
  detail::run_batch_rotation<P, false>("rotate", tensor_view<const T, 4>(x), x, angles, pos,
                                       rotary_offset);
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate(tensor_view<In, 4> in, tensor_view<T, 4> out, const Angles& angles,
            const batch_positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_batch_rotation<P, false>("rotate", in, out, angles, pos, rotary_offset);
}
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate_transpose(tensor_view<T, 4> x, const Angles& angles, const batch_positions& pos,
                      std::ptrdiff_t rotary_offset = 0) {
  detail::run_batch_rotation<P, true>("rotate_transpose", tensor_view<const T, 4>(x), x,
                                      angles, pos, rotary_offset);
}
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void unrotate(tensor_view<T, 4> x, const Angles& angles, const batch_positions& pos,
              std::ptrdiff_t rotary_offset = 0) {
  detail::run_batch_rotation<P, true>("unrotate", tensor_view<const T, 4>(x), x, angles, pos,
                                      rotary_offset);
}

ROTARY_ISA_NAMESPACE_END
}  // namespace rotary
