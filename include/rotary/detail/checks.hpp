// SPDX-License-Identifier: MIT
#pragma once
/// The run-time checks of a rope call, all made before anything is written:
///   - every view: extents >= 0, an even head_dim > 0 with stride 1, an element count and a
///     byte span that do not overflow std::ptrdiff_t, non-null data when non-empty;
///   - every written view: no two of its (token, head) rows share an element;
///   - in and out of an operand: the same view (in place) or no shared element;
///   - the operands of one call: the same batch and sequence length, no operand's output
///     sharing an element with another operand's input or output, and for a query and key
///     pair num_kv_heads dividing num_heads (GQA/MQA);
///   - the rotated elements inside head_dim (rotary_offset + footprint, overflow-safe).
/// Each failure throws rotary::invalid_argument naming the function, the parameter and
/// the value. Overlap tests are exact about rows (detail/overlap.hpp) and O(1) for every
/// common layout.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "../element_type.hpp"
#include "../error.hpp"
#include "../operand.hpp"
#include "../view.hpp"
#include "overlap.hpp"

namespace rotary {
namespace detail {

inline const char* extent_name(std::size_t rank, std::size_t r) noexcept {
  static const char* const rank3[] = {"num_tokens", "num_heads", "head_dim"};
  static const char* const rank4[] = {"batch", "seq", "num_heads", "head_dim"};
  return rank == 3 ? rank3[r] : rank4[r];
}

/// r = a * b (a, b >= 0) unless that overflows std::ptrdiff_t (then false, r unspecified).
/// No division: these run on every call, and a division costs tens of cycles.
inline bool checked_mul(std::ptrdiff_t a, std::ptrdiff_t b, std::ptrdiff_t& r) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return !__builtin_mul_overflow(a, b, &r);
#else
  if (b != 0 && a > std::numeric_limits<std::ptrdiff_t>::max() / b) return false;
  r = a * b;
  return true;
#endif
}
/// r = a + b (a, b >= 0) unless that overflows std::ptrdiff_t.
inline bool checked_add(std::ptrdiff_t a, std::ptrdiff_t b, std::ptrdiff_t& r) noexcept {
  if (a > std::numeric_limits<std::ptrdiff_t>::max() - b) return false;
  r = a + b;
  return true;
}

template <class T, std::size_t Rank>
std::string extents_string(const tensor_view<T, Rank>& v) {
  std::string s;
  for (std::size_t r = 0; r < Rank; ++r) s += (r ? " x " : "") + std::to_string(v.extent(r));
  return s;
}
template <class T, std::size_t Rank>
std::string strides_string(const tensor_view<T, Rank>& v) {
  std::string s = "{";
  for (std::size_t r = 0; r < Rank; ++r) s += (r ? ", " : "") + std::to_string(v.stride(r));
  return s + "}";
}

/// span += (extent - 1) |stride|, the elements dimension r of a view reaches past its first;
/// an overflow is refused naming the call, the view, the stride and the dimension.
inline void add_dimension_reach(const char* function, const char* name, std::ptrdiff_t extent,
                                std::ptrdiff_t stride, std::size_t r, std::ptrdiff_t& span) {
  std::ptrdiff_t reach = 0;
  ROTARY_CHECK(extent <= 1 || (stride != std::numeric_limits<std::ptrdiff_t>::min() &&
                               checked_mul(extent - 1, stride < 0 ? -stride : stride, reach) &&
                               checked_add(span, reach, span)),
               function, ": ", name, " stride ", stride, " in dimension ", r,
               " spans more memory than std::ptrdiff_t addresses");
}

/// A span of `span` elements of T fits std::ptrdiff_t in bytes.
template <class T>
void check_byte_span(const char* function, const char* name, std::ptrdiff_t span) {
  std::ptrdiff_t bytes = 0;
  ROTARY_CHECK(checked_mul(span, static_cast<std::ptrdiff_t>(sizeof(T)), bytes), function, ": ",
               name, " spans more bytes than std::ptrdiff_t holds");
}

/// Checks one view; `name` is the parameter's name ("in", "q_out", ...).
template <class T, std::size_t Rank>
void check_view(const char* function, const char* name, const tensor_view<T, Rank>& v,
                bool written) {
  static_assert(Rank == 3 || Rank == 4,
                "rotary: views are [tokens][heads][head_dim] (rank 3) or "
                "[batch][seq][heads][head_dim] (rank 4)");
  for (std::size_t r = 0; r + 1 < Rank; ++r) {
    ROTARY_CHECK(v.extent(r) >= 0, function, ": ", name, " ", extent_name(Rank, r),
                 " must be >= 0, got ", v.extent(r));
  }
  const std::ptrdiff_t head_dim = v.extent(Rank - 1);
  ROTARY_CHECK(head_dim > 0 && head_dim % 2 == 0, function, ": ", name,
               " head_dim must be even and > 0, got ", head_dim);
  ROTARY_CHECK(v.stride(Rank - 1) == 1, function, ": ", name,
               " head_dim stride must be 1 (contiguous heads), got ", v.stride(Rank - 1));
  // Element count and byte span, overflow-safe: span = sum (extent - 1) |stride| + head_dim.
  std::ptrdiff_t count = 1, span = head_dim;
  bool empty = false;
  for (std::size_t r = 0; r + 1 < Rank; ++r) {
    const std::ptrdiff_t e = v.extent(r), s = v.stride(r);
    empty = empty || e == 0;
    ROTARY_CHECK(checked_mul(count, e == 0 ? 1 : e, count), function, ": ", name,
                 " has more elements than std::ptrdiff_t holds (extent ", e, " in dimension ", r,
                 ")");
    add_dimension_reach(function, name, e, s, r, span);
  }
  ROTARY_CHECK(checked_mul(count, head_dim, count), function, ": ", name,
               " has more elements than std::ptrdiff_t holds (", extents_string(v), ")");
  check_byte_span<T>(function, name, span);
  if (empty) return;  // touches no memory: its data and strides are never used
  ROTARY_CHECK(v.data() != nullptr, function, ": ", name,
               " data must not be null for a non-empty view (", extents_string(v), ")");
  if (written) {
    ROTARY_CHECK(!rows_overlap_self(rows_of(v)), function, ": ", name,
                 " has (token, head) rows that share elements: strides ", strides_string(v),
                 " with head_dim = ", head_dim, "; each written row must be distinct");
  }
}

template <class T, std::size_t Rank>
bool is_empty(const tensor_view<T, Rank>& v) noexcept {
  for (std::size_t r = 0; r + 1 < Rank; ++r) {
    if (v.extent(r) == 0) return true;
  }
  return false;
}

/// The type a view's elements are stored as (the element type itself for types rotary
/// does not rotate, e.g. the permute functions' weights).
template <class T, bool = element_traits<std::remove_const_t<T>>::supported>
struct stored_as {
  using type = std::remove_const_t<T>;
};
template <class T>
struct stored_as<T, true> {
  using type = typename element_traits<std::remove_const_t<T>>::storage_type;
};

/// The same memory, strides and storage type: an in-place operand.
/// NOTE: the same storage type, not only the same element size: the kernels leave an in-place
/// operand's pass-through elements as they are, so a bfloat16 input and a float16 output over
/// the same bytes would keep bfloat16 bits in the float16 output (rotate_reference converts
/// them). Such views are two views that share elements, refused as any overlap is.
template <class A, class B, std::size_t Rank>
bool same_view(const tensor_view<A, Rank>& a, const tensor_view<B, Rank>& b) noexcept {
  return std::is_same_v<typename stored_as<A>::type, typename stored_as<B>::type> &&
         static_cast<const void*>(a.data()) == static_cast<const void*>(b.data()) &&
         a.strides() == b.strides();
}

/// Byte address range [lo, hi) a non-empty view touches (any strides, every dimension).
/// \pre its span fits std::ptrdiff_t (check_view checked it).
template <class T, std::size_t Rank>
std::pair<std::uintptr_t, std::uintptr_t> byte_span(const tensor_view<T, Rank>& v) noexcept {
  std::ptrdiff_t lo = 0, hi = 1;
  for (std::size_t r = 0; r < Rank; ++r) {
    const std::ptrdiff_t reach = (v.extent(r) - 1) * v.stride(r);
    (reach < 0 ? lo : hi) += reach;
  }
  const auto base = reinterpret_cast<std::uintptr_t>(v.data());
  const auto size = static_cast<std::uintptr_t>(sizeof(T));
  return {base - static_cast<std::uintptr_t>(-lo) * size,
          base + static_cast<std::uintptr_t>(hi) * size};
}

/// True when the byte ranges [a.first, a.second) and [b.first, b.second) meet.
inline bool spans_meet(const std::pair<std::uintptr_t, std::uintptr_t>& a,
                       const std::pair<std::uintptr_t, std::uintptr_t>& b) noexcept {
  return a.first < b.second && b.first < a.second;
}

/// True when a row of a shares an element with a row of b (empty views share none).
/// \pre both views passed check_view.
template <class A, class B, std::size_t Rank>
bool views_share_element(const tensor_view<A, Rank>& a, const tensor_view<B, Rank>& b) {
  if (is_empty(a) || is_empty(b)) return false;
  // Separate buffers, the common case, in a few instructions.
  if (!spans_meet(byte_span(a), byte_span(b))) return false;
  return rows_overlap(rows_of(a), rows_of(b));
}

/// Names of an operand's views in messages: x / in / out, q / q_in / q_out, k / ...
struct operand_names {
  const char* self;  ///< the view of an in-place operand
  const char* in;
  const char* out;
};

inline operand_names names_of(role r) noexcept {
  if (r == role::query) return {"q", "q_in", "q_out"};
  if (r == role::key) return {"k", "k_in", "k_out"};
  return {"x", "in", "out"};
}

/// The names of an operand's views: those of its role, and for an in-place operand its one
/// view's name throughout ("q", not "q_in" or "q_out").
template <class In, class Out, std::size_t Rank>
operand_names names_for(const operand<In, Out, Rank>& op) noexcept {
  const operand_names n = names_of(op.role);
  return same_view(op.in, op.out) ? operand_names{n.self, n.self, n.self} : n;
}

template <class In, class Out, std::size_t Rank>
void check_operand(const char* function, const operand<In, Out, Rank>& op, operand_names n) {
  const bool in_place = same_view(op.in, op.out);
  check_view(function, in_place ? n.self : n.in, op.in, in_place);
  if (!in_place) check_view(function, n.out, op.out, true);
  for (std::size_t r = 0; r < Rank; ++r) {
    ROTARY_CHECK(op.in.extent(r) == op.out.extent(r), function, ": ", n.in, " and ", n.out,
                 " extents differ in dimension ", r, ": ", op.in.extent(r), " vs ",
                 op.out.extent(r));
  }
  ROTARY_CHECK(in_place || !views_share_element(op.in, op.out), function, ": ", n.in, " and ",
               n.out, " must be the same view (in place) or share no element, but they overlap");
}

/// For a query and key pair in either order ((key(k), query(q)) is read like (query, key)):
/// true, with h = num_heads and h_kv = num_kv_heads; false for any other pair of roles.
template <class A, class B>
bool query_key_heads(const A& a, const B& b, std::ptrdiff_t& h, std::ptrdiff_t& h_kv) noexcept {
  constexpr std::size_t Rank = A::rank;
  const bool query_key = a.role == role::query && b.role == role::key;
  const bool key_query = a.role == role::key && b.role == role::query;
  if (!query_key && !key_query) return false;
  h = query_key ? a.in.extent(Rank - 2) : b.in.extent(Rank - 2);
  h_kv = query_key ? b.in.extent(Rank - 2) : a.in.extent(Rank - 2);
  return true;
}

/// Checks between two operands of one call (already checked one by one).
template <class I1, class O1, class I2, class O2, std::size_t Rank>
void check_operand_pair(const char* function, const operand<I1, O1, Rank>& a, operand_names na,
                        const operand<I2, O2, Rank>& b, operand_names nb) {
  for (std::size_t r = 0; r + 2 < Rank; ++r) {
    ROTARY_CHECK(a.in.extent(r) == b.in.extent(r), function, ": ", na.in, " and ", nb.in,
                 " must have the same ", extent_name(Rank, r), ", got ", a.in.extent(r), " and ",
                 b.in.extent(r));
  }
  std::ptrdiff_t h = 0, h_kv = 0;
  if (query_key_heads(a, b, h, h_kv)) {
    ROTARY_CHECK((h == 0 && h_kv == 0) || (h_kv > 0 && h % h_kv == 0), function,
                 ": num_kv_heads must divide num_heads (GQA/MQA), got num_heads = ", h,
                 " and num_kv_heads = ", h_kv);
  }
  ROTARY_CHECK(!views_share_element(a.out, b.out), function, ": ", na.out, " and ", nb.out,
               " share an element");
  ROTARY_CHECK(!views_share_element(a.out, b.in), function, ": ", na.out,
               " shares an element with ", nb.in, "; writing one would corrupt the other");
  ROTARY_CHECK(!views_share_element(b.out, a.in), function, ": ", nb.out,
               " shares an element with ", na.in, "; writing one would corrupt the other");
}

/// The rotated elements [offset, offset + footprint) of every head fit in head_dim.
inline void check_footprint(const char* function, const char* name, std::ptrdiff_t head_dim,
                            std::ptrdiff_t rotary_offset, std::ptrdiff_t footprint) {
  ROTARY_CHECK(rotary_offset <= head_dim && footprint <= head_dim - rotary_offset, function,
               ": rotary_offset + rotary_dim must be <= head_dim, got ", rotary_offset, " + ",
               footprint, " > ", head_dim, " (", name, ")");
}

}  // namespace detail
}  // namespace rotary
