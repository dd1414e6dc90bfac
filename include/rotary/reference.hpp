// SPDX-License-Identifier: MIT
#pragma once
/// rotate_reference: the plain scalar twin of every rope call, one pair at a time, no SIMD,
/// no per-token tricks, no threads. It is shipped so that users can check their own kernels
/// (or ours, on their platform) against it; the tests check every fast path against it.
///
///   rotate_reference(rope, direction, in, out, pos)
///       out = the rope's rotation of in: rank 3 or 4, any storage types, the rope's
///       pairing, rotary_offset and pair_distance; same checks and errors as the rope.
///   rotate_reference(pairing, in, out, angles, pos [, rotary_offset, transpose])
///       the same for a rope built from (angles, pairing, {rotary_offset}).
///
/// For each token at position m, head h, pair i in [0, rotary_dim/2), C the compute type:
///   (a, b) = (x[off + 2i], x[off + 2i + 1])              interleaved
///          = (x[off + i],  x[off + distance + i])        half_split
///   a' = a cos(m theta_i) - s b sin(m theta_i),   b' = b cos(m theta_i) + s a sin(m theta_i)
/// in C (no FMA: each product rounded), s = +1 forward, -1 transpose and inverse; a' and b'
/// are rounded once to the output type. Other elements are copied (same type: bit for bit).
/// The angles may be any source, multi-axis positions and xPos included (xPos's factors are
/// in its cos and sin; its inverse throws, and each output's storage range is checked, as
/// the rope does). A rope with a query_norm, key_norm or query_scale throws: the reference
/// covers the rotation only (head_norm.hpp's apply_head_norm is the norm's own reference).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "config.hpp"
#include "detail/checks.hpp"
#include "rope.hpp"
#include "xpos.hpp"

namespace rotary {
ROTARY_ISA_NAMESPACE_BEGIN

template <class Source, class In, class Out, std::size_t R>
void rotate_reference(const rope<Source>& r, direction d, tensor_view<In, R> in,
                      tensor_view<Out, R> out, const positions& pos) {
  using C = typename Source::value_type;
  static_check_element_type<In>();
  static_check_element_type<Out>();
  static_assert(std::is_same_v<compute_type_t<In>, C> && std::is_same_v<compute_type_t<Out>, C>,
                "rotate_reference: in, out and the angles must share a compute type");
  const char* function = "rotate_reference";
  ROTARY_CHECK(!r.options().query_norm.active() && !r.options().key_norm.active() &&
                   !r.options().query_scale.active(),
               function,
               ": the rope has a query_norm, key_norm or query_scale; the reference "
               "covers the rotation only (apply_head_norm is the norm's reference)");
  if constexpr (detail::is_xpos<Source>::value) {
    ROTARY_CHECK(d != direction::inverse, function,
                 ": xPos is not a rotation, so it has no inverse here; the inverse of the "
                 "query transform is the transpose with xpos_role::key (and vice versa)");
  }
  const operand<In, Out, R> op{in, out, role::unspecified};
  detail::check_operand(function, op, detail::names_of(op.role));
  const std::ptrdiff_t head_dim = in.extent(R - 1);
  const std::ptrdiff_t offset = r.options().rotary_offset;
  detail::check_footprint(function, "in", head_dim, offset, r.footprint());
  const std::ptrdiff_t batch = R == 4 ? in.extent(0) : 1;
  const std::ptrdiff_t seq = in.extent(R == 4 ? 1 : 0);
  const std::ptrdiff_t heads = in.extent(R - 2);
  const auto [lo, hi] = detail::validate_positions_for(function, r.angles(), pos, batch, seq);
  if (batch == 0 || seq == 0) return;
  // NOTE: the positions are checked against the source whenever there are tokens, also for
  // views without heads, as the rope does (it used to return first for heads == 0 and accept
  // positions past a table that the rope refuses; found by tests/fuzz/rope_fuzz.cpp).
  r.angles().check_position_range(function, lo, hi);
  if constexpr (detail::is_xpos<Source>::value) {
    detail::xpos_of(r.angles()).template check_storage<storage_type_t<Out>>(function, lo, hi);
  }
  if (heads == 0) return;

  const std::ptrdiff_t half = r.rotary_dim() / 2;
  const bool interleaved = r.pairing() == pairing::interleaved;
  const std::ptrdiff_t distance = interleaved                 ? 1
                                  : r.options().pair_distance ? r.options().pair_distance
                                                              : half;
  const C sign = d == direction::forward ? C(1) : C(-1);
  // (A R_m)^{-1} = R_m^T / A for angles with a cos/sin factor A (already in cos and sin).
  const double factor = detail::attention_factor_of(r.angles());
  const C undo = d == direction::inverse ? static_cast<C>(1.0 / (factor * factor)) : C(1);
  std::vector<C> scratch(static_cast<std::size_t>(2 * half));
  auto at = [](auto& v, std::ptrdiff_t b, std::ptrdiff_t s, std::ptrdiff_t h,
               std::ptrdiff_t e) -> decltype(auto) {
    if constexpr (R == 4) {
      return v(b, s, h, e);
    } else {
      (void)b;
      return v(s, h, e);
    }
  };
  const auto reader = r.angles().make_reader();
  // Which elements of a head the pairs cover: the same for every head of every token.
  std::vector<unsigned char> rotated(static_cast<std::size_t>(head_dim), 0);
  for (std::ptrdiff_t i = 0; i < half; ++i) {
    const std::ptrdiff_t ia = offset + (interleaved ? 2 * i : i);
    rotated[static_cast<std::size_t>(ia)] = rotated[static_cast<std::size_t>(ia + distance)] = 1;
  }
  std::vector<std::remove_const_t<In>> x(static_cast<std::size_t>(head_dim));  // one head
  pos.for_each(
      seq, 0, batch * seq,
      [&](std::ptrdiff_t t, std::ptrdiff_t b, std::ptrdiff_t s, std::int64_t m) {
        const C* cos = nullptr;
        const C* sin = nullptr;
        detail::token_coefficients(reader, pos, t, m, scratch.data(), cos, sin);
        for (std::ptrdiff_t h = 0; h < heads; ++h) {
          // Read the whole head first: in place, in and out are the same elements.
          for (std::ptrdiff_t e = 0; e < head_dim; ++e) {
            std::memcpy(static_cast<void*>(&x[static_cast<std::size_t>(e)]), &at(in, b, s, h, e),
                        sizeof(In));
          }
          for (std::ptrdiff_t i = 0; i < half; ++i) {
            const std::ptrdiff_t ia = offset + (interleaved ? 2 * i : i);
            const std::ptrdiff_t ib = ia + distance;
            const C a = static_cast<C>(x[static_cast<std::size_t>(ia)]);
            const C bb = static_cast<C>(x[static_cast<std::size_t>(ib)]);
            const C a_cos = a * cos[i], b_sin = bb * sin[i];
            const C b_cos = bb * cos[i], a_sin = a * sin[i];
            at(out, b, s, h, ia) =
                static_cast<std::remove_const_t<Out>>(C(C(a_cos - sign * b_sin) * undo));
            at(out, b, s, h, ib) =
                static_cast<std::remove_const_t<Out>>(C(C(b_cos + sign * a_sin) * undo));
          }
          for (std::ptrdiff_t e = 0; e < head_dim; ++e) {
            if (rotated[static_cast<std::size_t>(e)]) continue;
            const auto& v = x[static_cast<std::size_t>(e)];
            if constexpr (std::is_same_v<std::remove_const_t<In>, std::remove_const_t<Out>>) {
              at(out, b, s, h, e) = v;
            } else {
              at(out, b, s, h, e) = static_cast<std::remove_const_t<Out>>(static_cast<C>(v));
            }
          }
        }
      });
}

/// The same for a rope built from (angles, p, {rotary_offset}); transpose selects R_m^T.
template <class In, class T, class Angles, std::size_t R>
void rotate_reference(pairing p, tensor_view<In, R> in, tensor_view<T, R> out, const Angles& angles,
                      const positions& pos, std::ptrdiff_t rotary_offset = 0,
                      bool transpose = false) {
  const auto r = detail::rope_access::make("rotate_reference", angles, p, {rotary_offset});
  rotate_reference(r, transpose ? direction::transpose : direction::forward, in, out, pos);
}

ROTARY_ISA_NAMESPACE_END
}  // namespace rotary
