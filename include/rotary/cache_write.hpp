// SPDX-License-Identifier: MIT
#pragma once
/// rotate_into_cache: RoPE fused with the KV-cache write. Token t's key is rotated straight
/// into its cache row and its value copied beside it, one pass over k and v:
///   k_cache[slots[t]] = R_{m_t} k[t],   v_cache[slots[t]] = v[t]      (t < tokens)
/// slots[t] is the cache row of token t: consecutive rows (a contiguous cache), vLLM's
/// slot_mapping over a paged cache viewed as [num_blocks x block_size][kv_heads][head_dim],
/// or a ring buffer's wrapped rows. Storage may narrow (float keys and values into a
/// bfloat16 or float16 cache: rounded once). The rotated elements follow the rope (pairing,
/// rotary_offset); the others are copied.
///
///   rotary::rotate_into_cache(rope, k, v, k_cache, v_cache, slots, tokens,
///                             rotary::positions::from_offset(p));
///
/// Runs of consecutive slots are written as one rope call (the kernels' token runs); each
/// value row is copied right after its keys' run. A rope with a key_norm normalizes the keys
/// in the same pass; xPos keys (xpos_role::key) are checked against the cache's storage type.
/// Checks (rotary::invalid_argument naming "rotate_into_cache", or out_of_range for
/// positions past a table), all before anything is written: the views as a rope call checks
/// them (k and v [tokens][kv_heads][dim], the caches [rows][kv_heads][dim], head dims and
/// head counts equal), slot count = tokens, every slot in [0, rows) of both caches and no
/// slot twice, the positions, and no cache sharing memory with k, v or the other cache.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "config.hpp"
#include "detail/checks.hpp"
#include "detail/contiguous_call.hpp"
#include "detail/kernels.hpp"
#include "element_type.hpp"
#include "error.hpp"
#include "operand.hpp"
#include "positions.hpp"
#include "rope.hpp"
#include "view.hpp"

namespace rotary {
namespace detail {

/// The positions of tokens [begin, begin + count) of a checked rank-3 call, as positions of
/// their own: offsets and multi-axis positions directly, anything else through `ids`.
inline positions positions_of_tokens(const positions& pos, const std::vector<std::int64_t>& ids,
                                     std::ptrdiff_t begin, std::ptrdiff_t count) noexcept {
  if (pos.is_offset()) return positions::from_offset(pos.offset() + begin);
  if (pos.is_multi_axis()) return pos.tokens(begin, count);
  return positions::from_ids(ids.data() + begin, count);
}

}  // namespace detail

namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN

/// rotate_into_cache, its errors naming `fn` (kv_cache::append_rotated calls it too).
template <class Source, class KI, class VI, class KO, class VO, class Slot>
void rotate_into_cache_as(const char* fn, const rope<Source>& r, tensor_view<KI, 3> k,
                          tensor_view<VI, 3> v, tensor_view<KO, 3> k_cache,
                          tensor_view<VO, 3> v_cache, const Slot* slots, std::ptrdiff_t slot_count,
                          const positions& pos) {
  detail::static_check_index_type<Slot>();
  static_check_element_type<KI>();
  static_check_element_type<VI>();
  static_assert(std::is_same_v<compute_type_t<VI>, compute_type_t<VO>>,
                "rotate_into_cache: v and v_cache must share a compute type");
  // Contiguous views (the common case; decode pays for every instruction here) pass every
  // view check by construction, and share an element exactly when their byte ranges meet.
  std::ptrdiff_t k_bytes = 0, v_bytes = 0, kc_bytes = 0, vc_bytes = 0;
  const bool contiguous =
      detail::contiguous_view(k, k_bytes) && detail::contiguous_view(v, v_bytes) &&
      detail::contiguous_view(k_cache, kc_bytes) && detail::contiguous_view(v_cache, vc_bytes);
  if (!contiguous) {
    detail::check_view(fn, "k", k, false);
    detail::check_view(fn, "v", v, false);
    detail::check_view(fn, "k_cache", k_cache, true);
    detail::check_view(fn, "v_cache", v_cache, true);
  }
  const std::ptrdiff_t tokens = k.extent(0);
  ROTARY_CHECK(v.extent(0) == tokens, fn, ": k and v must have the same token count, got ", tokens,
               " and ", v.extent(0));
  ROTARY_CHECK(slot_count == tokens, fn, ": slots has ", slot_count,
               " entries, expected one per token = ", tokens);
  ROTARY_CHECK(slots != nullptr || tokens == 0, fn, ": slots must not be null (", tokens,
               " tokens)");
  for (std::size_t d = 1; d < 3; ++d) {
    ROTARY_CHECK(k.extent(d) == k_cache.extent(d), fn,
                 ": k and k_cache extents differ in dimension ", d, ": ", k.extent(d), " vs ",
                 k_cache.extent(d));
    ROTARY_CHECK(v.extent(d) == v_cache.extent(d), fn,
                 ": v and v_cache extents differ in dimension ", d, ": ", v.extent(d), " vs ",
                 v_cache.extent(d));
  }
  detail::check_footprint(fn, "k", k.extent(2), r.options().rotary_offset, r.footprint());
  ROTARY_CHECK(!r.options().query_scale.active(), fn, ": keys take no query_scale");
  r.options().key_norm.check(fn, "key_norm", k.extent(2));  // a k-norm is fused in too
  const std::ptrdiff_t rows = std::min(k_cache.extent(0), v_cache.extent(0));
  for (std::ptrdiff_t t = 0; t < tokens; ++t) {
    ROTARY_CHECK(slots[t] >= 0 && slots[t] < rows, fn, ": slots[", t, "] must be in [0, ", rows,
                 ") (rows of k_cache and v_cache), got ", slots[t]);
  }
  // No slot twice: pairwise for a few tokens (decode: no allocation), sorted otherwise.
  std::int64_t twice = -1;
  if (tokens <= 32) {
    for (std::ptrdiff_t t = 1; t < tokens && twice < 0; ++t) {
      for (std::ptrdiff_t u = 0; u < t; ++u) {
        if (slots[u] == slots[t]) twice = slots[t];
      }
    }
  } else {
    std::vector<std::int64_t> sorted(static_cast<std::size_t>(tokens));
    for (std::ptrdiff_t t = 0; t < tokens; ++t) sorted[static_cast<std::size_t>(t)] = slots[t];
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 1; i < sorted.size() && twice < 0; ++i) {
      if (sorted[i] == sorted[i - 1]) twice = sorted[i];
    }
  }
  ROTARY_CHECK(twice < 0, fn, ": slot ", twice, " is written by two tokens");
  bool shared = false;
  if (contiguous) {
    const auto ks = detail::contiguous_span(k, k_bytes), vs = detail::contiguous_span(v, v_bytes);
    const auto kcs = detail::contiguous_span(k_cache, kc_bytes);
    const auto vcs = detail::contiguous_span(v_cache, vc_bytes);
    shared = detail::spans_meet(ks, kcs) || detail::spans_meet(vs, kcs) ||
             detail::spans_meet(ks, vcs) || detail::spans_meet(vs, vcs) ||
             detail::spans_meet(kcs, vcs);
  } else {
    shared = detail::views_share_element(k, k_cache) || detail::views_share_element(v, k_cache) ||
             detail::views_share_element(k, v_cache) || detail::views_share_element(v, v_cache) ||
             detail::views_share_element(k_cache, v_cache);
  }
  ROTARY_CHECK(!shared, fn, ": the caches must share no element with k, v or each other");
  const auto [lo, hi] = detail::validate_positions_for(fn, r.angles(), pos, 1, tokens);
  if (tokens == 0) return;
  r.angles().check_position_range(fn, lo, hi);
  if constexpr (detail::is_xpos<Source>::value) {  // every run's range, before the first run
    detail::xpos_of(r.angles()).template check_storage<storage_type_t<KO>>(fn, lo, hi);
  }
  std::vector<std::int64_t> ids;  // positions other than offsets and multi-axis, per token
  if (!pos.is_offset() && !pos.is_multi_axis()) {
    ids.resize(static_cast<std::size_t>(tokens));
    pos.for_each(0, tokens,
                 [&](std::ptrdiff_t t, std::int64_t m) { ids[static_cast<std::size_t>(t)] = m; });
  }

  using KIn = std::remove_const_t<KI>;
  using VIn = std::remove_const_t<storage_type_t<VI>>;
  using VOut = storage_type_t<VO>;
  auto rows_of = [](auto view, std::ptrdiff_t first, std::ptrdiff_t n) {
    using V = decltype(view);
    return V(view.data() + first * view.stride(0), {n, view.extent(1), view.extent(2)},
             view.strides());
  };
  const bool v_rows_contiguous = v.stride(1) == v.extent(2) && v_cache.stride(1) == v.extent(2);
  for (std::ptrdiff_t t = 0; t < tokens;) {
    std::ptrdiff_t n = 1;
    while (t + n < tokens && slots[t + n] == slots[t] + n) ++n;
    const tensor_view<const KIn, 3> k_run = rows_of(tensor_view<const KIn, 3>(k), t, n);
    detail::rope_access::call(
        fn, r, direction::forward,
        key(k_run, rows_of(k_cache, static_cast<std::ptrdiff_t>(slots[t]), n)),
        detail::positions_of_tokens(pos, ids, t, n));
    if constexpr (std::is_same_v<VIn, VOut>) {
      // The run's value rows as one block when they are one block in v and in the cache.
      const std::ptrdiff_t row = v.extent(1) * v.extent(2);
      if (v_rows_contiguous && (n == 1 || (v.stride(0) == row && v_cache.stride(0) == row))) {
        std::memcpy(&v_cache(static_cast<std::ptrdiff_t>(slots[t]), 0, 0), &v(t, 0, 0),
                    static_cast<std::size_t>(n * row) * sizeof(VIn));
        t += n;
        continue;
      }
    }
    for (std::ptrdiff_t u = t; u < t + n; ++u) {
      if (v_rows_contiguous) {  // one copy of the token's heads
        detail::copy_elements(
            reinterpret_cast<const VIn*>(&v(u, 0, 0)),
            reinterpret_cast<VOut*>(&v_cache(static_cast<std::ptrdiff_t>(slots[u]), 0, 0)),
            v.extent(1) * v.extent(2));
        continue;
      }
      for (std::ptrdiff_t h = 0; h < v.extent(1); ++h) {
        detail::copy_elements(
            reinterpret_cast<const VIn*>(&v(u, h, 0)),
            reinterpret_cast<VOut*>(&v_cache(static_cast<std::ptrdiff_t>(slots[u]), h, 0)),
            v.extent(2));
      }
    }
    t += n;
  }
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail

ROTARY_ISA_NAMESPACE_BEGIN

template <class Source, class KI, class VI, class KO, class VO, class Slot>
void rotate_into_cache(const rope<Source>& r, tensor_view<KI, 3> k, tensor_view<VI, 3> v,
                       tensor_view<KO, 3> k_cache, tensor_view<VO, 3> v_cache, const Slot* slots,
                       std::ptrdiff_t slot_count, const positions& pos) {
  detail::rotate_into_cache_as("rotate_into_cache", r, k, v, k_cache, v_cache, slots, slot_count,
                               pos);
}

ROTARY_ISA_NAMESPACE_END
}  // namespace rotary
