// SPDX-License-Identifier: MIT
#pragma once
/// The token loop behind every rope call: per token, the coefficients are fetched (and, for
/// the interleaved pairing, expanded) once and applied to every head of every operand; the
/// (token, head) pairs are split over the threads of the call's execution policy.
/// Everything here runs after the checks (detail/checks.hpp) and throws nothing.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "../element_type.hpp"
#include "../execution.hpp"
#include "../head_norm.hpp"
#include "../operand.hpp"
#include "../pairing.hpp"
#include "../positions.hpp"
#include "../query_scale.hpp"
#include "kernels.hpp"
#include "scratch.hpp"
#include "threads.hpp"

namespace rotary {
namespace detail {

/// Where the rotated elements of a head are: pairs (a, b) with a at offset + i and b at
/// offset + distance + i (half_split), or at offset + 2i and offset + 2i + 1 (interleaved).
struct slice_geometry {
  std::ptrdiff_t offset;
  std::ptrdiff_t pairs;
  std::ptrdiff_t distance;  ///< half_split only (>= pairs)

  /// One past the last rotated element, relative to the head.
  std::ptrdiff_t end(pairing p) const noexcept {
    return offset + (p == pairing::interleaved ? 2 * pairs : distance + pairs);
  }
  /// True when the rotated elements are the whole head (nothing passes through).
  bool covers(pairing p, std::ptrdiff_t head_dim) const noexcept {
    return offset == 0 && end(p) == head_dim && (p == pairing::interleaved || distance == pairs);
  }
};

/// An operand as the token loop sees it: storage pointers and element strides of a
/// [batch][seq][heads][head_dim] view (a rank-3 view is a batch of one).
template <class In, class Out>
struct operand_rows {
  const In* in;
  Out* out;
  std::ptrdiff_t in_batch, in_token, in_head;
  std::ptrdiff_t out_batch, out_token, out_head;
  std::ptrdiff_t heads, head_dim;
  bool in_place;
  bool pass_through;  ///< out of place, with elements outside the rotated ones
  rotary::role role;
};

/// The token loop's view of a checked operand, for a rope of pairing P and geometry g.
template <pairing P, class I, class O, std::size_t Rank>
auto rows_for_loop(const operand<I, O, Rank>& op, const slice_geometry& g) noexcept {
  using In = std::remove_const_t<storage_type_t<I>>;
  using Out = storage_type_t<O>;
  constexpr std::size_t b = Rank == 4 ? 1 : 0;  // index of the token dimension
  const bool same =
      static_cast<const void*>(op.in.data()) == static_cast<const void*>(op.out.data());
  const std::ptrdiff_t head_dim = op.in.extent(b + 2);
  return operand_rows<In, Out>{reinterpret_cast<const In*>(op.in.data()),
                               reinterpret_cast<Out*>(op.out.data()),
                               Rank == 4 ? op.in.stride(0) : 0,
                               op.in.stride(b),
                               op.in.stride(b + 1),
                               Rank == 4 ? op.out.stride(0) : 0,
                               op.out.stride(b),
                               op.out.stride(b + 1),
                               op.in.extent(b + 1),
                               head_dim,
                               same,
                               !same && !g.covers(P, head_dim),
                               op.role};
}

/// The query scale of a call (query_scale.hpp): each query token at position m is
/// multiplied by s(m), or by 1 / s(m) for the inverse, after its rotation.
struct query_scale_step {
  const query_scale* scale = nullptr;  ///< null: no scale
  bool reciprocal = false;

  template <class C>
  C factor(std::int64_t m) const noexcept {
    const double s = scale->at(m);
    return static_cast<C>(reciprocal ? 1.0 / s : s);
  }
};

ROTARY_ISA_NAMESPACE_BEGIN

/// An operand in the token loop: its rows, the heads kernel chosen for the call, and the
/// query scale that applies to it (none for keys and unnamed operands).
template <class In, class Out, class C>
struct token_operand {
  operand_rows<In, Out> rows;
  heads_kernel<In, Out, C> kernel;
  query_scale_step scale;
  const head_norm* norm = nullptr;  ///< its role's head norm; null: none
  /// With a norm before the rotation: the kernel that rotates the normalized heads in place
  /// in out (chosen once per call, like kernel).
  heads_kernel<Out, Out, C> kernel_on_out = nullptr;
};

/// y <- f(m + u) y over whole heads: tokens u in [0, tokens) of a run whose first token is
/// at position m, `count` heads from y, each head_dim elements. Runs after the rotation
/// wrote them (they are in L1).
template <class Out, class C>
inline void scale_query_tokens(Out* y, std::ptrdiff_t token_stride, std::ptrdiff_t head_stride,
                               std::ptrdiff_t count, std::ptrdiff_t head_dim, std::int64_t m,
                               std::ptrdiff_t tokens, const query_scale_step& step) noexcept {
  for (std::ptrdiff_t u = 0; u < tokens; ++u) {
    const C f = step.factor<C>(m + u);
    for (std::ptrdiff_t h = 0; h < count; ++h) {
      Out* row = y + u * token_stride + h * head_stride;
      for (std::ptrdiff_t e = 0; e < head_dim; ++e) {
        row[e] = static_cast<Out>(static_cast<C>(row[e]) * f);
      }
    }
  }
}

/// Out of place with pass-through elements: the copy runs ahead of the rotation by at most
/// this many bytes of output, so that the rotation's second write hits L1 (48 KiB here).
inline constexpr std::ptrdiff_t pass_through_chunk_bytes = std::ptrdiff_t{16} * 1024;

/// Heads [head_begin, head_end) (numbered across the operands, this one's first head being
/// `first_head`) of the n tokens s, ..., s + n - 1 of sequence b, at positions m, ...,
/// m + n - 1, with the first token's cos/sin row and the distance between consecutive
/// tokens' rows.
template <pairing P, class In, class Out, class C>
inline void rotate_operand_run(const token_operand<In, Out, C>& top, std::ptrdiff_t b,
                               std::ptrdiff_t s, std::ptrdiff_t n, std::int64_t m,
                               std::ptrdiff_t& first_head, std::ptrdiff_t head_begin,
                               std::ptrdiff_t head_end, const slice_geometry& g,
                               const head_plan& plan, const C* cos, const C* sin,
                               std::ptrdiff_t row_stride, C* block) noexcept {
  const operand_rows<In, Out>& op = top.rows;
  const std::ptrdiff_t h0 = head_begin - first_head > 0 ? head_begin - first_head : 0;
  const std::ptrdiff_t h1 = head_end - first_head < op.heads ? head_end - first_head : op.heads;
  first_head += op.heads;
  if (h0 >= h1) return;
  const In* x = op.in + b * op.in_batch + s * op.in_token + h0 * op.in_head;
  Out* y = op.out + b * op.out_batch + s * op.out_token + h0 * op.out_head;
  const std::ptrdiff_t count = h1 - h0;
  const bool rows_contiguous = op.in_head == op.head_dim && op.out_head == op.head_dim;
  const auto run = [&](std::ptrdiff_t t, std::ptrdiff_t tokens) {
    top.kernel(token_run<In, Out, C>{{x + t * op.in_token + g.offset, op.in_head,
                                      y + t * op.out_token + g.offset, op.out_head, count,
                                      cos + t * row_stride, sin + t * row_stride, block},
                                     tokens,
                                     op.in_token,
                                     op.out_token,
                                     row_stride},
               plan);
  };
  const bool scaled = top.scale.scale != nullptr;
  const head_norm* norm = top.norm;
  if (!op.pass_through && !scaled && norm == nullptr) return run(0, n);
  const bool norm_first = norm != nullptr && !norm->after_rope;
  // Out of place with elements outside the rotated ones (they pass through), a head norm or
  // a query scale: a chunk of tokens at a time (at most pass_through_chunk_bytes of output, at least
  // one token), so that the copy, the rotation and the scale meet the chunk's lines in L1.
  const std::ptrdiff_t token_bytes = count * op.head_dim * static_cast<std::ptrdiff_t>(sizeof(Out));
  const std::ptrdiff_t chunk =
      token_bytes >= pass_through_chunk_bytes ? 1 : pass_through_chunk_bytes / token_bytes;
  const std::ptrdiff_t end = g.end(P);
  for (std::ptrdiff_t t = 0; t < n; t += chunk) {
    const std::ptrdiff_t tokens = n - t < chunk ? n - t : chunk;
    if (norm_first) {
      // Normalize every head of the chunk into out (all of its elements), then rotate them
      // there in place.
      for (std::ptrdiff_t u = t; u < t + tokens; ++u) {
        for (std::ptrdiff_t h = 0; h < count; ++h) {
          normalize_head<C>(x + u * op.in_token + h * op.in_head,
                            y + u * op.out_token + h * op.out_head, op.head_dim, *norm);
        }
      }
      top.kernel_on_out(token_run<Out, Out, C>{{y + t * op.out_token + g.offset, op.out_head,
                                                y + t * op.out_token + g.offset, op.out_head, count,
                                                cos + t * row_stride, sin + t * row_stride, block},
                                               tokens,
                                               op.out_token,
                                               op.out_token,
                                               row_stride},
                        plan);
    } else if (op.pass_through && rows_contiguous) {
      // Heads back to back in both views: one copy of each token's heads, then the
      // rotation overwrites the rotated elements.
      for (std::ptrdiff_t u = t; u < t + tokens; ++u) {
        copy_elements(x + u * op.in_token, y + u * op.out_token, count * op.head_dim);
      }
    } else if (op.pass_through) {
      for (std::ptrdiff_t u = t; u < t + tokens; ++u) {
        for (std::ptrdiff_t h = 0; h < count; ++h) {
          const In* xh = x + u * op.in_token + h * op.in_head;
          Out* yh = y + u * op.out_token + h * op.out_head;
          copy_elements(xh, yh, g.offset);
          if (P == pairing::half_split) {
            copy_elements(xh + g.offset + g.pairs, yh + g.offset + g.pairs, g.distance - g.pairs);
          }
          copy_elements(xh + end, yh + end, op.head_dim - end);
        }
      }
    }
    if (!norm_first) run(t, tokens);
    if (norm != nullptr && norm->after_rope) {
      for (std::ptrdiff_t u = t; u < t + tokens; ++u) {
        for (std::ptrdiff_t h = 0; h < count; ++h) {
          Out* yh = y + u * op.out_token + h * op.out_head;
          normalize_head<C>(yh, yh, op.head_dim, *norm);
        }
      }
    }
    if (scaled) {
      scale_query_tokens<Out, C>(y + t * op.out_token, op.out_token, op.out_head, count,
                                 op.head_dim, m + t, tokens, top.scale);
    }
  }
}

/// Readers whose rows are evenly spaced in memory (tables: row m at m row_stride()): runs
/// of consecutive positions are handed to the kernels whole.
template <class Reader, class = void>
struct has_row_stride : std::false_type {};
template <class Reader>
struct has_row_stride<Reader, std::void_t<decltype(std::declval<const Reader&>().row_stride())>>
    : std::true_type {};

/// Readers that take the call's positions (multi-axis sources), a run of up to
/// max_run_tokens tokens at a time: coefficients_run(pos, t, n, m, scratch, cos, sin,
/// row_stride) gives rows for tokens t, ..., t + n - 1 at a row_stride.
template <class Reader, class = void>
struct has_token_coefficients : std::false_type {};
template <class Reader>
struct has_token_coefficients<
    Reader,
    std::void_t<decltype(std::declval<const Reader&>().coefficients_run(
        std::declval<const positions&>(), std::ptrdiff_t{}, std::ptrdiff_t{}, std::int64_t{},
        static_cast<typename Reader::value_type*>(nullptr),
        std::declval<const typename Reader::value_type*&>(),
        std::declval<const typename Reader::value_type*&>(), std::declval<std::ptrdiff_t&>()))>>
    : std::true_type {};

/// One token's cos/sin from either kind of reader (the reference paths).
template <class Reader, class C>
void token_coefficients(const Reader& reader, const positions& pos, std::ptrdiff_t t,
                        std::int64_t m, C* scratch, const C*& cos, const C*& sin) noexcept {
  if constexpr (has_token_coefficients<Reader>::value) {
    std::ptrdiff_t row_stride = 0;
    reader.coefficients_run(pos, t, 1, m, scratch, cos, sin, row_stride);
  } else {
    (void)pos;
    (void)t;
    reader.coefficients(m, scratch, cos, sin);
  }
}

/// Scratch values of C per worker: the source's row and the kernels' expanded block
/// (3 x rotary_dim), and for readers of positions, the rows of a run of tokens.
template <class Reader>
std::size_t scratch_per_worker(std::ptrdiff_t rotary_dim) noexcept {
  std::ptrdiff_t rows = 3;
  if constexpr (has_token_coefficients<Reader>::value) rows += Reader::max_run_tokens;
  return static_cast<std::size_t>(rows * rotary_dim);
}

/// Rotates the (token, head) block [token_begin, token_end) x [head_begin, head_end), the
/// heads numbered across the operands in order. Each (token, head) is computed the same way
/// whatever the block, so any split of the work gives bitwise the same result.
/// scratch: scratch_per_worker<Reader> values of C.
template <pairing P, class Reader, class C, class... Ops>
void rotate_block(const Reader& reader, const positions& pos, std::ptrdiff_t seq,
                  const slice_geometry& g, const head_plan& plan, C* scratch,
                  std::ptrdiff_t token_begin, std::ptrdiff_t token_end, std::ptrdiff_t head_begin,
                  std::ptrdiff_t head_end, const Ops&... ops) noexcept {
  C* block = scratch + 2 * g.pairs;
  auto rotate_run = [&](std::ptrdiff_t b, std::ptrdiff_t s, std::ptrdiff_t n, std::int64_t m,
                        const C* cos, const C* sin, std::ptrdiff_t row_stride) {
    std::ptrdiff_t first_head = 0;
    (rotate_operand_run<P>(ops, b, s, n, m, first_head, head_begin, head_end, g, plan, cos, sin,
                           row_stride, block),
     ...);
  };
  const C* cos = nullptr;
  const C* sin = nullptr;
  if constexpr (has_token_coefficients<Reader>::value) {
    C* rows = scratch + 6 * g.pairs;  // a run's rows, after the row and the block
    pos.for_each_run(seq, token_begin, token_end,
                     [&](std::ptrdiff_t t, std::ptrdiff_t b, std::ptrdiff_t s, std::ptrdiff_t n,
                         std::int64_t m) {
                       for (std::ptrdiff_t u = 0; u < n; u += Reader::max_run_tokens) {
                         const std::ptrdiff_t k =
                             n - u < Reader::max_run_tokens ? n - u : Reader::max_run_tokens;
                         std::ptrdiff_t row_stride = 0;
                         reader.coefficients_run(pos, t + u, k, m + u, rows, cos, sin, row_stride);
                         rotate_run(b, s + u, k, m + u, cos, sin, row_stride);
                       }
                     });
  } else if constexpr (has_row_stride<Reader>::value) {
    pos.for_each_run(
        seq, token_begin, token_end,
        [&](std::ptrdiff_t, std::ptrdiff_t b, std::ptrdiff_t s, std::ptrdiff_t n, std::int64_t m) {
          reader.coefficients(m, scratch, cos, sin);
          rotate_run(b, s, n, m, cos, sin, reader.row_stride());
        });
  } else {
    // Rows computed per token into the scratch: one token per kernel call.
    pos.for_each(seq, token_begin, token_end,
                 [&](std::ptrdiff_t, std::ptrdiff_t b, std::ptrdiff_t s, std::int64_t m) {
                   reader.coefficients(m, scratch, cos, sin);
                   rotate_run(b, s, 1, m, cos, sin, 0);
                 });
  }
}

/// The thread split of rotate_operands.
template <pairing P, class C, class Reader, class... Ops>
void rotate_token_operands(const execution& ex, const Reader& reader, const positions& pos,
                           std::ptrdiff_t seq, std::ptrdiff_t tokens, std::ptrdiff_t heads,
                           const slice_geometry& g, const head_plan& plan, const Ops&... ops) {
  // tokens x heads_i x head_dim_i fits for each operand (checked), and head_dim >= 2, so
  // the unit count fits; the element count saturates.
  const std::ptrdiff_t units = tokens * heads;
  constexpr std::ptrdiff_t max = std::numeric_limits<std::ptrdiff_t>::max();
  std::ptrdiff_t elements = 0;
  ((elements = max - elements < tokens * ops.rows.heads * ops.rows.head_dim
                   ? max
                   : elements + tokens * ops.rows.heads * ops.rows.head_dim),
   ...);
  const std::ptrdiff_t n = worker_count(ex, elements, units);
  const std::size_t per_worker = scratch_per_worker<Reader>(2 * g.pairs);
  scratch_buffer<C> scratch(static_cast<std::size_t>(n) * per_worker);
  if (n == 1) {
    rotate_block<P>(reader, pos, seq, g, plan, scratch.data(), 0, tokens, 0, heads, ops...);
    return;
  }
  run_workers(n, [&](std::ptrdiff_t w) {
    C* own = scratch.data() + static_cast<std::size_t>(w) * per_worker;
    auto block = [&](std::ptrdiff_t tb, std::ptrdiff_t te, std::ptrdiff_t hb, std::ptrdiff_t he) {
      rotate_block<P>(reader, pos, seq, g, plan, own, tb, te, hb, he, ops...);
    };
    // Units [u0, u1), unit u = token u / heads, head u % heads.
    const std::ptrdiff_t u0 = units / n * w + (w < units % n ? w : units % n);
    const std::ptrdiff_t u1 = u0 + units / n + (w < units % n ? 1 : 0);
    std::ptrdiff_t t0 = u0 / heads;
    const std::ptrdiff_t h0 = u0 % heads, t1 = u1 / heads, h1 = u1 % heads;
    if (t0 == t1) {
      if (h0 < h1) block(t0, t0 + 1, h0, h1);
      return;
    }
    if (h0 > 0) block(t0, t0 + 1, h0, heads), ++t0;
    if (t0 < t1) block(t0, t1, 0, heads);
    if (h1 > 0) block(t1, t1 + 1, 0, h1);
  });
}

/// Rotates every (token, head) of checked operands (rows_for_loop), on up to ex.threads
/// threads, and scales the query operands by `scale` (none when its scale is null). The
/// heads kernel is chosen here, once per call, not per token.
template <pairing P, bool Transpose, class C, class Reader, class... Rows>
void rotate_operands(const execution& ex, const Reader& reader, const positions& pos,
                     std::ptrdiff_t batch, std::ptrdiff_t seq, const slice_geometry& g,
                     const query_scale_step& scale, const head_norm* query_norm,
                     const head_norm* key_norm, const Rows&... rows) {
  const std::ptrdiff_t tokens = batch * seq;
  const std::ptrdiff_t heads = (std::ptrdiff_t{0} + ... + rows.heads);
  if (tokens == 0 || heads == 0) return;
  const head_plan plan = head_plan::make<P, C>(g.pairs, g.distance);
  auto with_kernel = [&](const auto& r) {
    using R = std::remove_cv_t<std::remove_reference_t<decltype(r)>>;
    using In = std::remove_const_t<std::remove_pointer_t<decltype(R::in)>>;
    using Out = std::remove_pointer_t<decltype(R::out)>;
    const query_scale_step none{};
    const head_norm* norm = r.role == role::query ? query_norm
                            : r.role == role::key ? key_norm
                                                  : nullptr;
    if (norm != nullptr && !norm->active()) norm = nullptr;
    heads_kernel<Out, Out, C> on_out = nullptr;
    if (norm != nullptr && !norm->after_rope) {
      on_out = choose_heads_kernel<P, Transpose, Out, Out, C>(plan);
    }
    return token_operand<In, Out, C>{r, choose_heads_kernel<P, Transpose, In, Out, C>(plan),
                                     r.role == role::query ? scale : none, norm, on_out};
  };
  rotate_token_operands<P, C>(ex, reader, pos, seq, tokens, heads, g, plan, with_kernel(rows)...);
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
