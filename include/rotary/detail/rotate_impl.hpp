// SPDX-License-Identifier: MIT
#pragma once
/// The driver behind the public rotate functions: argument checks, then the loop over
/// tokens (coefficients fetched once per token) and heads (one kernel call per head).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>

#include "../angles.hpp"
#include "../config.hpp"
#include "../element_type.hpp"
#include "../error.hpp"
#include "../pairing.hpp"
#include "../positions.hpp"
#include "../table.hpp"
#include "../view.hpp"
#include "kernels.hpp"
#include "scratch.hpp"

namespace rotary {
namespace detail {

/// Angle sources the kernels accept: a cos_sin_view, or on_the_fly_angles. A cos_sin_table
/// is passed as its view.
template <class C>
cos_sin_view<const C> angle_source(const cos_sin_table<C>& table) {
  return table.view();
}
template <class C>
const cos_sin_view<const C>& angle_source(const cos_sin_view<const C>& view) {
  return view;
}
template <class C>
const on_the_fly_angles<C>& angle_source(const on_the_fly_angles<C>& angles) {
  return angles;
}

template <class A, class = void>
struct is_angle_source : std::false_type {};
template <class A>
struct is_angle_source<A, std::void_t<decltype(angle_source(std::declval<const A&>()))>>
    : std::true_type {};

/// The compile-time checks of every rotation entry point: in and out hold the same
/// supported element type, and the cos/sin source holds that type's compute type.
template <class In, class T, class Source>
constexpr void static_check_rotation() {
  static_assert(std::is_same_v<std::remove_const_t<In>, T>,
                "rotary: in and out (q and k) must have the same element type");
  static_check_element_type<T>();
  static_assert(std::is_same_v<typename Source::value_type, compute_type_t<T>>,
                "rotary: the cos/sin source must hold the compute type of the data "
                "(float tables for float data, double for double)");
}

/// Address range [lo, hi) of the elements a non-empty view touches.
template <class T, std::size_t Rank>
std::pair<const void*, const void*> address_span(const tensor_view<T, Rank>& v) {
  std::ptrdiff_t lo = 0, hi = 0;
  for (std::size_t r = 0; r < Rank; ++r) {
    const std::ptrdiff_t reach = (v.extent(r) - 1) * v.stride(r);
    (reach < 0 ? lo : hi) += reach;
  }
  const auto* base = reinterpret_cast<const char*>(v.data());
  return {base + lo * static_cast<std::ptrdiff_t>(sizeof(T)),
          base + (hi + 1) * static_cast<std::ptrdiff_t>(sizeof(T))};
}

/// Throws rotary::invalid_argument unless in and out (same extents) are the same view
/// (in place) or their address ranges are disjoint.
template <class In, class Out, std::size_t Rank>
void check_same_or_disjoint(const char* function, const tensor_view<In, Rank>& in,
                            const tensor_view<Out, Rank>& out) {
  const bool same = static_cast<const void*>(in.data()) == static_cast<const void*>(out.data()) &&
                    in.strides() == out.strides();
  if (same || in.size() == 0) return;
  const auto a = address_span(in);
  const auto b = address_span(out);
  const bool disjoint =
      std::less_equal<>()(a.second, b.first) || std::less_equal<>()(b.second, a.first);
  ROTARY_CHECK(disjoint, function,
               ": in and out must be the same view (in place) or disjoint, but they overlap");
}

/// Checks one [tokens][heads][head_dim] view; `name` is the parameter's name.
template <class T>
void check_view(const char* function, const char* name, const tensor_view<T, 3>& v) {
  static_check_element_type<T>();
  ROTARY_CHECK(v.extent(0) >= 0, function, ": ", name, " num_tokens must be >= 0, got ",
               v.extent(0));
  ROTARY_CHECK(v.extent(1) >= 0, function, ": ", name, " num_heads must be >= 0, got ",
               v.extent(1));
  const std::ptrdiff_t head_dim = v.extent(2);
  ROTARY_CHECK(head_dim > 0 && head_dim % 2 == 0, function, ": ", name,
               " head_dim must be even and > 0, got ", head_dim);
  ROTARY_CHECK(v.stride(2) == 1, function, ": ", name,
               " head_dim stride must be 1 (contiguous heads), got ", v.stride(2));
  // An empty view touches no memory: its strides cannot overlap anything (a contiguous
  // view of 0 heads has token stride 0).
  for (std::size_t r = 0; r < 2 && v.size() > 0; ++r) {
    ROTARY_CHECK(v.extent(r) <= 1 || v.stride(r) >= head_dim || v.stride(r) <= -head_dim,
                 function, ": ", name, (r == 0 ? " token" : " head"), " stride ", v.stride(r),
                 " is smaller than head_dim = ", head_dim, ", so rows would overlap");
  }
  ROTARY_CHECK(v.data() != nullptr || v.size() == 0, function, ": ", name,
               " data must not be null for a non-empty view (", v.extent(0), " x ",
               v.extent(1), " x ", v.extent(2), ")");
}

/// Everything a rotation needs, checked once; rotate_tokens() runs a range of tokens.
template <class T, class Source>
struct rotation_job {
  tensor_view<const T, 3> in;
  tensor_view<T, 3> out;
  const Source& source;
  const positions& pos;
  std::ptrdiff_t rotary_offset;
};

template <class T, class Source>
void check_job(const char* function, const rotation_job<T, Source>& job) {
  check_view(function, "in", job.in);
  check_view(function, "out", job.out);
  for (std::size_t r = 0; r < 3; ++r) {
    ROTARY_CHECK(job.in.extent(r) == job.out.extent(r), function, ": in and out extents differ",
                 " in dimension ", r, ": ", job.in.extent(r), " vs ", job.out.extent(r));
  }
  check_same_or_disjoint(function, job.in, job.out);
  const std::ptrdiff_t rotary_dim = job.source.rotary_dim();
  const std::ptrdiff_t head_dim = job.in.extent(2);
  ROTARY_CHECK(job.rotary_offset >= 0, function, ": rotary_offset must be >= 0, got ",
               job.rotary_offset);
  ROTARY_CHECK(job.rotary_offset + rotary_dim <= head_dim, function,
               ": rotary_offset + rotary_dim must be <= head_dim, got ", job.rotary_offset,
               " + ", rotary_dim, " > ", head_dim);
  const auto [lo, hi] = job.pos.validate(function, job.in.extent(0));
  if (job.in.extent(0) > 0) job.source.check_position_range(function, lo, hi);
}

/// One set of heads that shares the per-token coefficients of a rotation: the queries,
/// the keys, ... Heads of all groups of one call are numbered consecutively (group 0's
/// heads first), which is how rotate_block() and the parallel driver split the work.
template <class T>
struct head_group {
  tensor_view<const T, 3> in;
  tensor_view<T, 3> out;
};

ROTARY_ISA_NAMESPACE_BEGIN

/// Rotates the (token, head) block [token_begin, token_end) x [head_begin, head_end) of
/// checked head groups, the heads numbered across the groups in order. Per token the
/// coefficients are fetched (and, for the interleaved pairing, expanded) once and applied
/// to every head of every group (detail::rotate_heads keeps it in registers across heads). Each (token, head) is
/// computed the same way whatever the block, so any split of the work gives bitwise the
/// same result.
/// \pre every group checked (check_job) against `source`, `pos` and `rotary_offset`, all
///      groups with the same number of tokens.
template <pairing P, bool Transpose, class T, class Source>
void rotate_block(const Source& source, const positions& pos, std::ptrdiff_t rotary_offset,
                  const head_group<T>* groups, std::size_t num_groups,
                  std::ptrdiff_t token_begin, std::ptrdiff_t token_end,
                  std::ptrdiff_t head_begin, std::ptrdiff_t head_end) {
  using C = compute_type_t<T>;
  static_assert(std::is_same_v<C, std::remove_const_t<T>>,
                "rotate: element types other than the compute type are not supported yet");
  const std::ptrdiff_t rotary_dim = source.rotary_dim();
  const std::ptrdiff_t half = rotary_dim / 2;
  const std::ptrdiff_t offset = rotary_offset;

  // scratch: [cos h | sin h] from an on-the-fly source, then [cos_dup rd | sin_signed rd].
  scratch_buffer<C> scratch(3 * static_cast<std::size_t>(rotary_dim));
  C* computed = scratch.data();
  C* cos_dup = computed + rotary_dim;
  C* sin_signed = cos_dup + rotary_dim;

  pos.for_each(token_begin, token_end, [&](std::ptrdiff_t t, std::int64_t m) {
    const C* cos = nullptr;
    const C* sin = nullptr;
    source.coefficients(m, computed, cos, sin);
    if constexpr (P == pairing::interleaved) {
      expand_interleaved<Transpose>(cos, sin, half, cos_dup, sin_signed);
    }
    std::ptrdiff_t first_head = 0;  // number of the group's head 0 across the groups
    for (std::size_t g = 0; g < num_groups; ++g) {
      const head_group<T>& group = groups[g];
      const std::ptrdiff_t num_heads = group.in.extent(1);
      const std::ptrdiff_t h_begin = std::max<std::ptrdiff_t>(head_begin - first_head, 0);
      const std::ptrdiff_t h_end = std::min<std::ptrdiff_t>(head_end - first_head, num_heads);
      first_head += num_heads;
      if (h_begin >= h_end) continue;
      const std::ptrdiff_t head_dim = group.in.extent(2);
      const bool copy_rest = group.in.data() != group.out.data() && rotary_dim < head_dim;
      const T* in_token = group.in.data() + t * group.in.stride(0);
      T* out_token = group.out.data() + t * group.out.stride(0);
      rotate_heads<P, Transpose>(in_token + h_begin * group.in.stride(1) + offset,
                                 group.in.stride(1),
                                 out_token + h_begin * group.out.stride(1) + offset,
                                 group.out.stride(1), h_end - h_begin, rotary_dim, cos, sin,
                                 cos_dup, sin_signed);
      if (copy_rest) {
        for (std::ptrdiff_t h = h_begin; h < h_end; ++h) {
          const T* x = in_token + h * group.in.stride(1);
          T* y = out_token + h * group.out.stride(1);
          std::copy(x, x + offset, y);
          std::copy(x + offset + rotary_dim, x + head_dim, y + offset + rotary_dim);
        }
      }
    }
  });
}

/// Rotates tokens [begin, end) of a checked job (all heads).
template <pairing P, bool Transpose, class T, class Source>
void rotate_tokens(const rotation_job<T, Source>& job, std::ptrdiff_t begin,
                   std::ptrdiff_t end) {
  const head_group<T> group{job.in, job.out};
  rotate_block<P, Transpose>(job.source, job.pos, job.rotary_offset, &group, 1, begin, end, 0,
                             job.in.extent(1));
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
