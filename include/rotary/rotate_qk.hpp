// SPDX-License-Identifier: MIT
#pragma once
/// Queries and keys in one call, sharing each token's cos/sin row.
///
///   rotate_qk<P>(q, k, angles, pos [, rotary_offset])                 in place
///   rotate_qk<P>(q_in, q_out, k_in, k_out, angles, pos [, rotary_offset])
///   rotate_qk(p, ...)                                                  runtime pairing
///
/// q: [num_tokens][num_heads][head_dim], k: [num_tokens][num_kv_heads][head_dim_k]; the same
/// tokens at the same positions, so the coefficients of token t (a table row, or cos/sin
/// computed on the fly) are fetched once and applied to the num_heads + num_kv_heads heads.
/// Grouped-query and multi-query attention (Ainslie et al., arXiv:2305.13245): num_kv_heads
/// must divide num_heads (MQA: num_kv_heads = 1). The result equals rotate<P>(q, ...) and
/// rotate<P>(k, ...) called separately, bit for bit.
///
/// q and k may be views into one fused QKV buffer ([tokens][(H + 2 H_kv) * head_dim]): the
/// views interleave in memory but share no element, which is accepted. A q view that shares
/// an element with a k view (where one of them is written) is rejected.
/// Checks (always on, before any element is written): those of rotate() for (q_in, q_out)
/// and (k_in, k_out), equal token counts, num_kv_heads divides num_heads, and no output
/// overlapping the other group's input or output.

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "detail/rotate_impl.hpp"

namespace rotary {
namespace detail {

/// True when the two views certainly share no element. Exact for views whose address spans
/// are disjoint, and for views with the same positive token stride whose per-token
/// footprints sit in disjoint slots of that stride (q and k of a fused QKV buffer); false
/// (reported as overlap) otherwise.
template <class A, class B>
bool views_disjoint(const tensor_view<A, 3>& a, const tensor_view<B, 3>& b) {
  if (a.size() == 0 || b.size() == 0) return true;
  const auto sa = address_span(a);
  const auto sb = address_span(b);
  const auto lo_a = reinterpret_cast<std::uintptr_t>(sa.first);
  const auto hi_a = reinterpret_cast<std::uintptr_t>(sa.second);
  const auto lo_b = reinterpret_cast<std::uintptr_t>(sb.first);
  const auto hi_b = reinterpret_cast<std::uintptr_t>(sb.second);
  if (hi_a <= lo_b || hi_b <= lo_a) return true;
  // Same token stride s (bytes): token t of a covers [lo_a + t s, lo_a + t s + width_a).
  const std::ptrdiff_t sa0 = a.stride(0) * static_cast<std::ptrdiff_t>(sizeof(A));
  const std::ptrdiff_t sb0 = b.stride(0) * static_cast<std::ptrdiff_t>(sizeof(B));
  if (a.extent(0) < 2 || b.extent(0) < 2 || sa0 != sb0 || sa0 <= 0) return false;
  if (a.stride(1) < 0 || b.stride(1) < 0) return false;
  const auto s = static_cast<std::uintptr_t>(sa0);
  const std::uintptr_t width_a = hi_a - lo_a - (static_cast<std::uintptr_t>(a.extent(0)) - 1) * s;
  const std::uintptr_t width_b = hi_b - lo_b - (static_cast<std::uintptr_t>(b.extent(0)) - 1) * s;
  if (width_a > s || width_b > s) return false;
  // Place b's footprint relative to a's on the circle of circumference s.
  const std::uintptr_t r = lo_b >= lo_a ? (lo_b - lo_a) % s : (s - (lo_a - lo_b) % s) % s;
  return width_a <= r && r + width_b <= s;
}

template <class QIn, class T, class KIn>
void check_qk(const char* function, const tensor_view<QIn, 3>& q_in,
              const tensor_view<T, 3>& q_out, const tensor_view<KIn, 3>& k_in,
              const tensor_view<T, 3>& k_out) {
  ROTARY_CHECK(q_in.extent(0) == k_in.extent(0), function,
               ": q and k must have the same number of tokens, got ", q_in.extent(0), " and ",
               k_in.extent(0));
  const std::ptrdiff_t h = q_in.extent(1), h_kv = k_in.extent(1);
  ROTARY_CHECK(h_kv > 0 && h % h_kv == 0, function,
               ": num_kv_heads must divide num_heads (GQA/MQA), got num_heads = ", h,
               " and num_kv_heads = ", h_kv);
  ROTARY_CHECK(views_disjoint(q_out, k_out), function,
               ": q_out and k_out overlap; they must not share an element");
  ROTARY_CHECK(views_disjoint(q_out, k_in), function,
               ": q_out overlaps k_in; writing q would corrupt k");
  ROTARY_CHECK(views_disjoint(k_out, q_in), function,
               ": k_out overlaps q_in; writing k would corrupt q");
}

/// Checks a q+k call completely and returns the two head groups.
template <class QIn, class T, class KIn, class Source>
std::pair<head_group<T>, head_group<T>> checked_qk(const char* function,
                                                   tensor_view<QIn, 3> q_in,
                                                   tensor_view<T, 3> q_out,
                                                   tensor_view<KIn, 3> k_in,
                                                   tensor_view<T, 3> k_out, const Source& source,
                                                   const positions& pos,
                                                   std::ptrdiff_t rotary_offset) {
  static_check_rotation<QIn, T, Source>();
  static_check_rotation<KIn, T, Source>();
  // Heads and extents first, so that a head-count mismatch is reported as such.
  check_view(function, "q_in", q_in);
  check_view(function, "k_in", k_in);
  check_qk(function, q_in, q_out, k_in, k_out);
  check_job(function, rotation_job<T, Source>{q_in, q_out, source, pos, rotary_offset});
  // Positions were validated against the same token count; the k job repeats only the
  // view checks, the range check is cheap for offsets and O(tokens) for ids.
  check_job(function, rotation_job<T, Source>{k_in, k_out, source, pos, rotary_offset});
  return {head_group<T>{q_in, q_out}, head_group<T>{k_in, k_out}};
}

ROTARY_ISA_NAMESPACE_BEGIN

template <pairing P, bool Transpose, class QIn, class T, class KIn, class Angles>
void run_qk(const char* function, tensor_view<QIn, 3> q_in, tensor_view<T, 3> q_out,
            tensor_view<KIn, 3> k_in, tensor_view<T, 3> k_out, const Angles& angles,
            const positions& pos, std::ptrdiff_t rotary_offset) {
  decltype(auto) source = angle_source(angles);
  const auto groups = checked_qk(function, q_in, q_out, k_in, k_out, source, pos, rotary_offset);
  const head_group<T> both[2] = {groups.first, groups.second};
  rotate_block<P, Transpose>(source, pos, rotary_offset, both, 2, 0, q_in.extent(0), 0,
                             q_in.extent(1) + k_in.extent(1));
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail

ROTARY_ISA_NAMESPACE_BEGIN

/// q <- R_m q, k <- R_m k in place, one coefficient fetch per token.
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate_qk(tensor_view<T, 3> q, tensor_view<T, 3> k, const Angles& angles,
               const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_qk<P, false>("rotate_qk", tensor_view<const T, 3>(q), q,
                           tensor_view<const T, 3>(k), k, angles, pos, rotary_offset);
}
/// q_out <- R_m q_in, k_out <- R_m k_in; each in/out pair the same view or disjoint.
template <pairing P, class QIn, class T, class KIn, class Angles,
          detail::enable_if_angles<Angles> = 0>
void rotate_qk(tensor_view<QIn, 3> q_in, tensor_view<T, 3> q_out, tensor_view<KIn, 3> k_in,
               tensor_view<T, 3> k_out, const Angles& angles, const positions& pos,
               std::ptrdiff_t rotary_offset = 0) {
  detail::run_qk<P, false>("rotate_qk", q_in, q_out, k_in, k_out, angles, pos, rotary_offset);
}

/// The backward pass: dq <- R_m^T dq, dk <- R_m^T dk.
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
void rotate_qk_transpose(tensor_view<T, 3> q, tensor_view<T, 3> k, const Angles& angles,
                         const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::run_qk<P, true>("rotate_qk_transpose", tensor_view<const T, 3>(q), q,
                          tensor_view<const T, 3>(k), k, angles, pos, rotary_offset);
}

/// Runtime pairing: dispatches to the templates above.
template <class... Args>
void rotate_qk(pairing p, Args&&... args) {
  p == pairing::interleaved ? rotate_qk<pairing::interleaved>(std::forward<Args>(args)...)
                            : rotate_qk<pairing::half>(std::forward<Args>(args)...);
}

ROTARY_ISA_NAMESPACE_END
}  // namespace rotary
