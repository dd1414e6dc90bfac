// SPDX-License-Identifier: MIT
#pragma once
/// The fixed cost of a rope call, cut for its most common forms: one operand, or a q + k
/// pair, whose views are contiguous ([tokens][heads][head_dim] or [batch][seq][heads][head_dim] with the
/// row-major strides of their extents), from_offset positions, a table, one thread, no
/// pass-through copy. For such views the checks of detail/checks.hpp reduce to a few
/// comparisons (no two rows of a contiguous view share an element, and two contiguous
/// views share one exactly when their byte ranges meet), so this path tests those and
/// calls the kernel for the whole call in one run per sequence. It throws nothing: when any
/// condition fails, or the input is bad in any way, it returns false and the general path
/// checks (and throws its documented message) as always. The results are bitwise those of
/// the general path: the same kernel, the same rows.
/// Measured (callgrind, AVX2 build, 1 x 8 x 64 half_split in place): about 745 instructions
/// per call against 1240 on the general path; in bench/decode_probe.cpp (its harness
/// included) 793, of which the kernel is about 445 (837 before the byte ranges came from
/// contiguous_view's byte count instead of byte_span).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "../operand.hpp"
#include "../pairing.hpp"
#include "../positions.hpp"
#include "checks.hpp"
#include "driver.hpp"
#include "kernels.hpp"
#include "scratch.hpp"

namespace rotary {
namespace detail {

ROTARY_ISA_NAMESPACE_BEGIN

/// True when v's strides are the row-major strides of its extents, every extent >= 1,
/// head_dim is even, the data is not null, and its byte count fits std::ptrdiff_t; then
/// `bytes` is that byte count, so that its byte range is [data, data + bytes) (what
/// byte_span computes for any strides, without a second pass over the ranks).
template <class T, std::size_t Rank>
inline bool contiguous_view(const tensor_view<T, Rank>& v, std::ptrdiff_t& bytes) noexcept {
  std::ptrdiff_t expected = 1;
  for (std::size_t r = Rank; r-- > 0;) {
    const std::ptrdiff_t e = v.extent(r);
    if (e < 1 || v.stride(r) != expected) return false;
    if (!checked_mul(expected, e, expected)) return false;
  }
  if (!checked_mul(expected, static_cast<std::ptrdiff_t>(sizeof(T)), bytes)) return false;
  return v.extent(Rank - 1) % 2 == 0 && v.data() != nullptr;
}

/// The byte range of a view contiguous_view accepted, with the byte count it gave.
template <class T, std::size_t Rank>
inline std::pair<std::uintptr_t, std::uintptr_t> contiguous_span(const tensor_view<T, Rank>& v,
                                                                 std::ptrdiff_t bytes) noexcept {
  const auto base = reinterpret_cast<std::uintptr_t>(v.data());
  return {base, base + static_cast<std::uintptr_t>(bytes)};
}

/// The byte ranges of an operand whose checks passed.
struct contiguous_operand {
  std::pair<std::uintptr_t, std::uintptr_t> in, out;
};

/// The checks of one operand (see above); false when the call is not of the path's form.
template <pairing P, class I, class O, std::size_t Rank>
inline bool contiguous_operand_of(const operand<I, O, Rank>& op, const slice_geometry& g,
                                  contiguous_operand& c) noexcept {
  using In = std::remove_const_t<storage_type_t<I>>;
  using Out = storage_type_t<O>;
  std::ptrdiff_t in_bytes = 0, out_bytes = 0;
  if (!contiguous_view(op.in, in_bytes) || !contiguous_view(op.out, out_bytes)) return false;
  for (std::size_t r = 0; r < Rank; ++r) {
    if (op.in.extent(r) != op.out.extent(r)) return false;
  }
  c.in = contiguous_span(op.in, in_bytes);
  c.out = contiguous_span(op.out, out_bytes);
  const bool in_place = c.in.first == c.out.first;
  // In place means the same storage type (checks.hpp: same_view); other views over the same
  // bytes overlap, and the general path says so.
  if (in_place && !std::is_same_v<In, Out>) return false;
  if (!in_place && spans_meet(c.in, c.out)) return false;  // overlap: the general path says so
  const std::ptrdiff_t head_dim = op.in.extent(Rank - 1);
  if (g.end(P) > head_dim) return false;
  return in_place || g.covers(P, head_dim);  // pass-through copies: the general path
}

/// The checks between the two operands of a q + k call (checks.hpp: check_operand_pair).
template <class A, class B>
inline bool contiguous_pair(const A& a, const contiguous_operand& ca, const B& b,
                            const contiguous_operand& cb) noexcept {
  constexpr std::size_t Rank = A::rank;
  for (std::size_t r = 0; r + 2 < Rank; ++r) {
    if (a.in.extent(r) != b.in.extent(r)) return false;
  }
  std::ptrdiff_t h = 0, h_kv = 0;  // both >= 1 here (contiguous_view)
  if (query_key_heads(a, b, h, h_kv) && h % h_kv != 0) return false;
  return !spans_meet(ca.out, cb.out) && !spans_meet(ca.out, cb.in) && !spans_meet(cb.out, ca.in);
}

template <class A>
inline bool contiguous_pair_of(const A&, const contiguous_operand*) noexcept {
  return true;
}
template <class A, class B>
inline bool contiguous_pair_of(const A& a, const B& b, const contiguous_operand* c) noexcept {
  return contiguous_pair(a, c[0], b, c[1]);
}

/// Rotates every operand (one, or a q + k pair) and returns true when the call has the
/// form above and is valid; returns false, having written nothing, otherwise.
/// Reader: a table's (rows evenly spaced, rows() of them).
template <pairing P, bool Transpose, class C, class Reader, class... Ops>
bool rotate_contiguous(const execution& ex, const Reader& reader, const positions& pos,
                       const slice_geometry& g, const Ops&... ops) noexcept {
  static_assert(sizeof...(Ops) == 1 || sizeof...(Ops) == 2, "one operand or a pair");
  if (!pos.is_offset() || ex.threads > 1) return false;
  contiguous_operand c[sizeof...(Ops)] = {};
  std::size_t i = 0;
  if (!(contiguous_operand_of<P>(ops, g, c[i++]) && ...)) return false;
  if (!contiguous_pair_of(ops..., c)) return false;
  const auto& first_op = std::get<0>(std::forward_as_tuple(ops...));
  constexpr std::size_t Rank = std::decay_t<decltype(first_op)>::rank;
  const std::ptrdiff_t batch = Rank == 4 ? first_op.in.extent(0) : 1;
  const std::ptrdiff_t seq = first_op.in.extent(Rank == 4 ? 1 : 0);
  const std::int64_t first = pos.offset();
  // Positions [first, first + seq) of the table's rows: first >= 0, no overflow.
  if (first < 0 || first > static_cast<std::int64_t>(reader.rows()) - seq) return false;

  const head_plan plan = head_plan::make<P, C>(g.pairs, g.distance);
  scratch_buffer<C> scratch(3 * static_cast<std::size_t>(2 * g.pairs));
  const C* cos = nullptr;
  const C* sin = nullptr;
  reader.coefficients(first, scratch.data(), cos, sin);
  auto rotate = [&](const auto& op) {
    using Op = std::decay_t<decltype(op)>;
    using In = std::remove_const_t<storage_type_t<typename Op::in_type>>;
    using Out = storage_type_t<typename Op::out_type>;
    const heads_kernel<In, Out, C> kernel = choose_heads_kernel<P, Transpose, In, Out, C>(plan);
    const std::ptrdiff_t heads = op.in.extent(Rank - 2), head_dim = op.in.extent(Rank - 1);
    const std::ptrdiff_t token = heads * head_dim;
    const In* x = reinterpret_cast<const In*>(op.in.data());
    Out* y = reinterpret_cast<Out*>(op.out.data());
    for (std::ptrdiff_t b = 0; b < batch; ++b) {
      kernel(token_run<In, Out, C>{{x + b * seq * token + g.offset, head_dim,
                                    y + b * seq * token + g.offset, head_dim, heads, cos, sin,
                                    scratch.data() + 2 * g.pairs},
                                   seq,
                                   token,
                                   token,
                                   reader.row_stride()},
             plan);
    }
  };
  (rotate(ops), ...);
  return true;
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
