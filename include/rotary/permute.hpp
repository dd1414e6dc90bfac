// SPDX-License-Identifier: MIT
#pragma once
/// The permutation between the two pairing conventions.
///
/// The interleaved pairing rotates (x[2i], x[2i+1]) by m theta_i, the half pairing
/// (x[i], x[i + d/2]), d = rotary_dim. Moving element 2i to slot i and 2i+1 to slot i + d/2
/// (interleaved -> half) turns one into the other: for every head vector x,
///   rotate<half>(permute(x)) = permute(rotate<interleaved>(x))
/// (RoFormer eq. 34 against GPT-NeoX's rotate_half). Applied to the rows of the q and k
/// projection weights W_q, W_k, it turns a checkpoint written for one convention into one
/// for the other: this is what converting LLaMA weights from Meta's layout (interleaved)
/// to HF transformers' (half) does, and the inverse permutation converts back. Only the
/// rotary slice [rotary_offset, rotary_offset + rotary_dim) of each head moves (partial
/// rotary: the rest passes through); the heads keep their order.
///
///   pairing_permutation(from, to, head_dim, rotary_dim [, rotary_offset])  index map
///   permute_pairing(from, to, in, out, rotary_dim [, rotary_offset])       head vectors
///   permute_pairing(from, to, x, rotary_dim [, rotary_offset])             in place
///   permute_weight_rows(from, to, in, out, head_dim, rotary_dim [, rotary_offset])
///   permute_weight_rows(from, to, w, head_dim, rotary_dim [, rotary_offset]) in place
///
/// Vectors are [tokens][heads][head_dim] views (a bias: [1][num_heads][head_dim]); weights
/// are [num_heads * head_dim][in_features] views, rows in head-major order (nn.Linear's
/// weight, PyTorch's [out_features][in_features]). Plain copies: exact for every type.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/checks.hpp"
#include "error.hpp"
#include "frequencies.hpp"
#include "pairing.hpp"
#include "view.hpp"

namespace rotary {

namespace detail {

/// The checks of pairing_permutation's arguments, for `function` (the function the caller
/// called, which the messages name). Overflow-safe: rotary_offset + rotary_dim is never
/// formed. Allocates nothing.
inline void check_pairing_permutation(const char* function, pairing from, pairing to,
                                      std::ptrdiff_t head_dim, std::ptrdiff_t rotary_dim,
                                      std::ptrdiff_t rotary_offset) {
  for (const pairing p : {from, to}) {
    ROTARY_CHECK(p == pairing::interleaved || p == pairing::half_split, function,
                 ": pairing must be interleaved or half_split, got ", static_cast<int>(p));
  }
  check_rotary_dim(function, rotary_dim);
  ROTARY_CHECK(rotary_offset >= 0, function, ": rotary_offset must be >= 0, got ", rotary_offset);
  ROTARY_CHECK(rotary_offset <= head_dim && rotary_dim <= head_dim - rotary_offset, function,
               ": rotary_offset + rotary_dim must be <= head_dim, got ", rotary_offset, " + ",
               rotary_dim, " > ", head_dim);
  ROTARY_CHECK(static_cast<std::size_t>(head_dim) <= std::vector<std::ptrdiff_t>().max_size(),
               function, ": head_dim must fit a std::vector, got ", head_dim);
}

/// pairing_permutation once check_pairing_permutation passed.
inline std::vector<std::ptrdiff_t> pairing_permutation_unchecked(pairing from, pairing to,
                                                                 std::ptrdiff_t head_dim,
                                                                 std::ptrdiff_t rotary_dim,
                                                                 std::ptrdiff_t rotary_offset) {
  std::vector<std::ptrdiff_t> perm(static_cast<std::size_t>(head_dim));
  for (std::ptrdiff_t j = 0; j < head_dim; ++j) perm[static_cast<std::size_t>(j)] = j;
  if (from == to) return perm;
  const std::ptrdiff_t half = rotary_dim / 2;
  for (std::ptrdiff_t i = 0; i < half; ++i) {
    const std::ptrdiff_t a_half = rotary_offset + i, b_half = rotary_offset + i + half;
    const std::ptrdiff_t a_inter = rotary_offset + 2 * i, b_inter = a_inter + 1;
    if (from == pairing::interleaved) {  // -> half: slot i takes 2i, slot i + h takes 2i + 1
      perm[static_cast<std::size_t>(a_half)] = a_inter;
      perm[static_cast<std::size_t>(b_half)] = b_inter;
    } else {  // half -> interleaved: slot 2i takes i, slot 2i + 1 takes i + h
      perm[static_cast<std::size_t>(a_inter)] = a_half;
      perm[static_cast<std::size_t>(b_inter)] = b_half;
    }
  }
  return perm;
}

}  // namespace detail

/// The index map of one head: out[j] = in[perm[j]] converts a head vector (or the block of
/// one head's weight rows) from pairing `from` to pairing `to`; perm has head_dim entries.
/// Identity when from == to. Throws rotary::invalid_argument for an odd, non-positive or
/// too large rotary_dim, a negative rotary_offset, rotary_offset + rotary_dim > head_dim
/// (overflow-safe), or a pairing value out of range.
inline std::vector<std::ptrdiff_t> pairing_permutation(pairing from, pairing to,
                                                       std::ptrdiff_t head_dim,
                                                       std::ptrdiff_t rotary_dim,
                                                       std::ptrdiff_t rotary_offset = 0) {
  detail::check_pairing_permutation("pairing_permutation", from, to, head_dim, rotary_dim,
                                    rotary_offset);
  return detail::pairing_permutation_unchecked(from, to, head_dim, rotary_dim, rotary_offset);
}

namespace detail {

template <class In, class T>
void check_permute_views(const char* function, const tensor_view<In, 3>& in,
                         const tensor_view<T, 3>& out) {
  static_assert(std::is_same_v<std::remove_const_t<In>, T>,
                "permute_pairing: in and out must have the same element type");
  check_operand(function, operand<In, T, 3>{in, out, role::unspecified},
                names_of(role::unspecified));
}

/// Checks a [rows][cols] weight view (any strides): extents >= 0, an element count and a
/// byte span that fit std::ptrdiff_t, non-null data when non-empty.
template <class T>
void check_weight_view(const char* function, const char* name, const tensor_view<T, 2>& v) {
  const std::ptrdiff_t rows = v.extent(0), cols = v.extent(1);
  ROTARY_CHECK(rows >= 0 && cols >= 0, function, ": ", name, " extents must be >= 0, got ", rows,
               " x ", cols);
  std::ptrdiff_t count = 0, span = 1;
  ROTARY_CHECK(checked_mul(rows, cols, count), function, ": ", name,
               " has more elements than std::ptrdiff_t holds (", rows, " x ", cols, ")");
  if (rows == 0 || cols == 0) return;  // touches no memory: data and strides are never used
  for (std::size_t r = 0; r < 2; ++r) {
    const std::ptrdiff_t e = v.extent(r), s = v.stride(r);
    add_dimension_reach(function, name, e, s, r, span);
  }
  check_byte_span<T>(function, name, span);
  ROTARY_CHECK(v.data() != nullptr, function, ": ", name,
               " data must not be null for a non-empty view (", rows, " x ", cols, ")");
}

/// Throws unless the rank-2 views in and out (same extents, any strides, both passed
/// check_weight_view) are the same view or their address ranges are disjoint.
template <class In, class Out>
void check_same_or_disjoint(const char* function, const tensor_view<In, 2>& in,
                            const tensor_view<Out, 2>& out) {
  if (in.size() == 0 || same_view(in, out)) return;
  const auto a = byte_span(in);
  const auto b = byte_span(out);
  ROTARY_CHECK(a.second <= b.first || b.second <= a.first, function,
               ": in and out must be the same view (in place) or disjoint, but they overlap");
}

}  // namespace detail

/// out <- the head vectors of `in` converted from pairing `from` to pairing `to`.
/// in and out: [tokens][heads][head_dim], the same view (in place) or disjoint. Throws
/// rotary::invalid_argument (naming permute_pairing) for a view the rope would refuse and for
/// pairing_permutation's errors, before anything is written.
template <class In, class T>
void permute_pairing(pairing from, pairing to, tensor_view<In, 3> in, tensor_view<T, 3> out,
                     std::ptrdiff_t rotary_dim, std::ptrdiff_t rotary_offset = 0) {
  constexpr const char* function = "permute_pairing";
  detail::check_permute_views(function, in, out);
  const std::ptrdiff_t head_dim = in.extent(2);
  detail::check_pairing_permutation(function, from, to, head_dim, rotary_dim, rotary_offset);
  if (detail::is_empty(in)) return;
  const std::vector<std::ptrdiff_t> perm =
      detail::pairing_permutation_unchecked(from, to, head_dim, rotary_dim, rotary_offset);
  std::vector<T> row(static_cast<std::size_t>(head_dim));
  for (std::ptrdiff_t t = 0; t < in.extent(0); ++t) {
    for (std::ptrdiff_t h = 0; h < in.extent(1); ++h) {
      const In* x = &in(t, h, 0);
      for (std::ptrdiff_t j = 0; j < head_dim; ++j) {
        row[static_cast<std::size_t>(j)] = x[perm[static_cast<std::size_t>(j)]];
      }
      std::copy(row.begin(), row.end(), &out(t, h, 0));
    }
  }
}
/// In place.
template <class T>
void permute_pairing(pairing from, pairing to, tensor_view<T, 3> x, std::ptrdiff_t rotary_dim,
                     std::ptrdiff_t rotary_offset = 0) {
  permute_pairing(from, to, tensor_view<const T, 3>(x), x, rotary_dim, rotary_offset);
}

/// out <- the rows of a q or k projection weight w: [num_heads * head_dim][in_features]
/// reordered from pairing `from` to pairing `to` (each head's block of head_dim rows
/// permuted by pairing_permutation). Then x W_out^T = permute(x W_in^T) for every input x.
/// in and out: the same view (in place) or disjoint; in_features stride may be anything.
/// Throws rotary::invalid_argument (naming permute_weight_rows) for a non-positive head_dim,
/// negative extents, null data with a non-zero size, extents or strides whose count or span
/// overflows std::ptrdiff_t, rows not a multiple of head_dim, and pairing_permutation's
/// errors, before anything is written.
template <class In, class T>
void permute_weight_rows(pairing from, pairing to, tensor_view<In, 2> in, tensor_view<T, 2> out,
                         std::ptrdiff_t head_dim, std::ptrdiff_t rotary_dim,
                         std::ptrdiff_t rotary_offset = 0) {
  static_assert(std::is_same_v<std::remove_const_t<In>, T>,
                "permute_weight_rows: in and out must have the same element type");
  constexpr const char* function = "permute_weight_rows";
  ROTARY_CHECK(head_dim > 0, function, ": head_dim must be > 0, got ", head_dim);
  const bool in_place = detail::same_view(in, out);
  detail::check_weight_view(function, in_place ? "w" : "in", in);
  if (!in_place) detail::check_weight_view(function, "out", out);
  const std::ptrdiff_t rows = in.extent(0), cols = in.extent(1);
  ROTARY_CHECK(rows % head_dim == 0, function, ": rows = ", rows,
               " is not a multiple of head_dim = ", head_dim);
  ROTARY_CHECK(out.extent(0) == rows && out.extent(1) == cols, function,
               ": in and out extents differ: ", rows, " x ", cols, " vs ", out.extent(0), " x ",
               out.extent(1));
  detail::check_same_or_disjoint(function, in, out);
  detail::check_pairing_permutation(function, from, to, head_dim, rotary_dim, rotary_offset);
  if (rows == 0 || cols == 0) return;
  const std::vector<std::ptrdiff_t> perm =
      detail::pairing_permutation_unchecked(from, to, head_dim, rotary_dim, rotary_offset);
  // One head's block at a time through a buffer, so that in place works. head_dim <= rows,
  // so head_dim x cols <= rows x cols, which check_weight_view found to fit.
  std::vector<T> block(static_cast<std::size_t>(head_dim * cols));
  for (std::ptrdiff_t h = 0; h < rows / head_dim; ++h) {
    for (std::ptrdiff_t j = 0; j < head_dim; ++j) {
      const std::ptrdiff_t src = h * head_dim + perm[static_cast<std::size_t>(j)];
      for (std::ptrdiff_t c = 0; c < cols; ++c) {
        block[static_cast<std::size_t>(j * cols + c)] = in(src, c);
      }
    }
    for (std::ptrdiff_t j = 0; j < head_dim; ++j) {
      for (std::ptrdiff_t c = 0; c < cols; ++c) {
        out(h * head_dim + j, c) = block[static_cast<std::size_t>(j * cols + c)];
      }
    }
  }
}
/// In place.
template <class T>
void permute_weight_rows(pairing from, pairing to, tensor_view<T, 2> w, std::ptrdiff_t head_dim,
                         std::ptrdiff_t rotary_dim, std::ptrdiff_t rotary_offset = 0) {
  permute_weight_rows(from, to, tensor_view<const T, 2>(w), w, head_dim, rotary_dim, rotary_offset);
}

}  // namespace rotary
