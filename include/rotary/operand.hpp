// SPDX-License-Identifier: MIT
#pragma once
/// operand: one tensor a rope call rotates (an input view, an output view, and its role).
///
///   rotary::query(q)            q rotated in place, as queries
///   rotary::query(q_in, q_out)  q_out = R q_in
///   rotary::key(k), rotary::key(k_in, k_out)
///
/// Views are [tokens][heads][head_dim] (rank 3) or [batch][seq][heads][head_dim] (rank 4),
/// head_dim stride 1. In and out may hold different storage types with one compute type
/// (float in, bfloat16 out: write a 16-bit KV cache from float keys).

#include <cstddef>
#include <type_traits>

#include "pairing.hpp"
#include "view.hpp"

namespace rotary {

template <class In, class Out, std::size_t Rank>
struct operand {
  static_assert(!std::is_const_v<Out>,
                "rotary: the output view is read-only (tensor_view<const T>); rotating in place "
                "or into it needs a mutable view");
  using in_type = const std::remove_const_t<In>;
  using out_type = Out;
  static constexpr std::size_t rank = Rank;

  tensor_view<in_type, Rank> in;
  tensor_view<Out, Rank> out;
  rotary::role role = role::unspecified;
};

template <class T, std::size_t Rank>
operand<T, T, Rank> in_place(tensor_view<T, Rank> x, role r = role::unspecified) {
  return {x, x, r};
}
template <class In, class Out, std::size_t Rank>
operand<In, Out, Rank> out_of_place(tensor_view<In, Rank> in, tensor_view<Out, Rank> out,
                                    role r = role::unspecified) {
  return {in, out, r};
}

template <class T, std::size_t Rank>
operand<T, T, Rank> query(tensor_view<T, Rank> q) {
  return in_place(q, role::query);
}
template <class In, class Out, std::size_t Rank>
operand<In, Out, Rank> query(tensor_view<In, Rank> q_in, tensor_view<Out, Rank> q_out) {
  return out_of_place(q_in, q_out, role::query);
}
template <class T, std::size_t Rank>
operand<T, T, Rank> key(tensor_view<T, Rank> k) {
  return in_place(k, role::key);
}
template <class In, class Out, std::size_t Rank>
operand<In, Out, Rank> key(tensor_view<In, Rank> k_in, tensor_view<Out, Rank> k_out) {
  return out_of_place(k_in, k_out, role::key);
}

namespace detail {
template <class X>
struct is_operand : std::false_type {};
template <class In, class Out, std::size_t Rank>
struct is_operand<operand<In, Out, Rank>> : std::true_type {};
}  // namespace detail

}  // namespace rotary
