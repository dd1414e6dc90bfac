// SPDX-License-Identifier: MIT
#pragma once
/// scale_queries: q_m <- s(m) q_m with no rotation, the query pass of a layer without RoPE
/// (Llama 4's NoPE layers with attn_temperature_tuning; query_scale.hpp has the formulas).
///
///   const auto s = rotary::query_scale::llama4_temperature(0.1, 8192);
///   rotary::scale_queries(q, rotary::positions::from_offset(cache_len), s);   // in place
///   rotary::scale_queries(q_in, q_out, pos, s);                               // out of place
///
/// Views as a rope's ([tokens][heads][head_dim] or [batch][seq][heads][head_dim], head_dim
/// stride 1, even head_dim), any storage type (computed in its compute type). Everything is
/// checked before anything is written; errors name scale_queries and the parameter.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "config.hpp"
#include "detail/checks.hpp"
#include "element_type.hpp"
#include "operand.hpp"
#include "positions.hpp"
#include "query_scale.hpp"
#include "view.hpp"

namespace rotary {
// NOTE: in the ISA's inline namespace: the compiler vectorizes the loop for the translation
// unit's instruction set (config.hpp).
namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN
template <class In, class Out, std::size_t Rank>
void scale_queries_checked(const operand<In, Out, Rank>& op, const positions& pos,
                           const query_scale& s) {
  constexpr const char* function = "scale_queries";
  static_check_element_type<std::remove_const_t<In>>();
  static_check_element_type<Out>();
  static_assert(std::is_same_v<compute_type_t<In>, compute_type_t<Out>>,
                "rotary::scale_queries: in and out must share a compute type");
  check_operand(function, op, names_for(op));
  constexpr std::size_t b = Rank == 4 ? 1 : 0;
  const std::ptrdiff_t batch = Rank == 4 ? op.in.extent(0) : 1;
  const std::ptrdiff_t seq = op.in.extent(b);
  const auto [lo, hi] = pos.validate(function, batch, seq);
  if (batch == 0 || seq == 0 || op.in.extent(b + 1) == 0) return;
  s.check_positions(function, lo, hi);

  using C = compute_type_t<Out>;
  using SI = std::remove_const_t<storage_type_t<In>>;
  using SO = storage_type_t<Out>;
  const SI* x = reinterpret_cast<const SI*>(op.in.data());
  SO* y = reinterpret_cast<SO*>(op.out.data());
  const std::ptrdiff_t heads = op.in.extent(b + 1), head_dim = op.in.extent(b + 2);
  pos.for_each(seq, 0, batch * seq,
               [&](std::ptrdiff_t, std::ptrdiff_t bi, std::ptrdiff_t si, std::int64_t m) {
                 const C f = static_cast<C>(s.at(m));
                 for (std::ptrdiff_t h = 0; h < heads; ++h) {
                   const SI* xr = x + (Rank == 4 ? bi * op.in.stride(0) : 0) +
                                  si * op.in.stride(b) + h * op.in.stride(b + 1);
                   SO* yr = y + (Rank == 4 ? bi * op.out.stride(0) : 0) + si * op.out.stride(b) +
                            h * op.out.stride(b + 1);
                   for (std::ptrdiff_t e = 0; e < head_dim; ++e) {
                     yr[e] = static_cast<SO>(static_cast<C>(xr[e]) * f);
                   }
                 }
               });
}
ROTARY_ISA_NAMESPACE_END
}  // namespace detail

ROTARY_ISA_NAMESPACE_BEGIN

/// q <- s(m) q in place.
template <class T, std::size_t Rank>
void scale_queries(tensor_view<T, Rank> q, const positions& pos, const query_scale& s) {
  detail::scale_queries_checked(query(q), pos, s);
}
/// q_out <- s(m) q_in (q_in and q_out share no element).
template <class In, class Out, std::size_t Rank>
void scale_queries(tensor_view<In, Rank> q_in, tensor_view<Out, Rank> q_out, const positions& pos,
                   const query_scale& s) {
  detail::scale_queries_checked(query(q_in, q_out), pos, s);
}

ROTARY_ISA_NAMESPACE_END
}  // namespace rotary
