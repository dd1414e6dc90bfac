// SPDX-License-Identifier: MIT
#pragma once
/// Views for the common memory layouts of q and k.
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
/// sequences of one batch entry and the batch entries: pass the rank-4 view.
/// A rope object (and rotate<P>) takes these rank-4 views with positions (positions.hpp):
/// the same offset for all (a padded prefill), one start per sequence (sequences decoding
/// together, each at its own cache length), or explicit ids [batch][seq].

#include <cstddef>

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
tensor_view<T, 4> bshd_view(T* data, std::ptrdiff_t batch, std::ptrdiff_t seq, std::ptrdiff_t heads,
                            std::ptrdiff_t head_dim) {
  return tensor_view<T, 4>(data, {batch, seq, heads, head_dim});
}

/// Memory [batch][heads][seq][head_dim] as a [batch][seq][heads][head_dim] view.
template <class T>
tensor_view<T, 4> bhsd_view(T* data, std::ptrdiff_t batch, std::ptrdiff_t heads, std::ptrdiff_t seq,
                            std::ptrdiff_t head_dim) {
  return tensor_view<T, 4>(data, {batch, seq, heads, head_dim},
                           {heads * seq * head_dim, head_dim, seq * head_dim, 1});
}

/// Memory [seq][batch][heads][head_dim] as a [batch][seq][heads][head_dim] view.
template <class T>
tensor_view<T, 4> sbhd_view(T* data, std::ptrdiff_t seq, std::ptrdiff_t batch, std::ptrdiff_t heads,
                            std::ptrdiff_t head_dim) {
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

}  // namespace rotary

// Compatibility: the rank-4 free functions with batch_positions used to live here.
#include "deprecated.hpp"
