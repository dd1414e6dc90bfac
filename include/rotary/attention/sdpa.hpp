// SPDX-License-Identifier: MIT
#pragma once
/// Reference multi-head scaled-dot-product attention (Vaswani et al. 2017, arXiv:1706.03762,
/// §3.2.1) over [tokens][heads][head_dim] data, on Eigen maps of the caller's memory:
///   out_h = softmax(scale * Q_h K_g^T + B_h + mask) V_g,   g = h / (num_heads / num_kv_heads).
/// Grouped-query attention (GQA) when num_kv_heads divides num_heads, multi-query (MQA) when
/// num_kv_heads = 1. No input is copied: each head is an Eigen::Map with an OuterStride
/// (the token stride), so any [tokens][heads][head_dim] layout with head_dim stride 1 works.

#include <vector>

#include "eigen.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <optional>

#include "../detail/checks.hpp"
#include "../element_type.hpp"
#include "../error.hpp"
#include "../rotate.hpp"
#include "../view.hpp"

namespace rotary {

template <class T>
struct attention_options {
  /// Causal mask, aligned to the last key: query i sees key j iff
  /// j <= i + (num_keys - num_queries). With num_queries == num_keys this is j <= i; for a
  /// decode step (one query over a cache of num_keys) every key is visible.
  bool causal = false;
  /// Logit scale; 1/sqrt(head_dim) when empty.
  std::optional<T> scale{};
  /// Additive logit bias B[num_heads][num_queries][num_keys] (relative position bias,
  /// ALiBi, or a mask with -infinity entries); a null view means none. A head stride of 0
  /// shares one [num_queries][num_keys] bias among the heads.
  tensor_view<const T, 3> bias{};
  /// Optional output: the softmax weights P[num_heads][num_queries][num_keys].
  tensor_view<T, 3> weights{};
};

namespace detail {
// NOTE: in the ISA's inline namespace (config.hpp): Eigen vectorizes these for the
// translation unit's instruction set, and the kernels they call live there too.
ROTARY_ISA_NAMESPACE_BEGIN

template <class T>
using row_matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using head_map = Eigen::Map<row_matrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using const_head_map = Eigen::Map<const row_matrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

/// Head h of x as a [tokens x head_dim] matrix over x's memory (token stride = outer stride).
template <class T>
const_head_map<T> head_of(const tensor_view<const T, 3>& x, std::ptrdiff_t h) {
  return const_head_map<T>(x.data() + h * x.stride(1), x.extent(0), x.extent(2),
                           Eigen::OuterStride<>(x.stride(0)));
}
template <class T>
head_map<T> head_of(const tensor_view<T, 3>& x, std::ptrdiff_t h) {
  return head_map<T>(x.data() + h * x.stride(1), x.extent(0), x.extent(2),
                     Eigen::OuterStride<>(x.stride(0)));
}

/// A contiguous [tokens][heads][head_dim] copy of x, each element passed through f.
template <class T, class F = T (*)(T)>
std::vector<T> contiguous_copy(
    const tensor_view<const T, 3>& x, F f = [](T value) { return value; }) {
  std::vector<T> copy(static_cast<std::size_t>(x.size()));
  std::size_t e = 0;
  for (std::ptrdiff_t t = 0; t < x.extent(0); ++t)
    for (std::ptrdiff_t h = 0; h < x.extent(1); ++h)
      for (std::ptrdiff_t j = 0; j < x.extent(2); ++j) copy[e++] = f(x(t, h, j));
  return copy;
}

/// A view of x's elements as rows of one element: [e0][e1][e2][1] with x's strides. Its
/// rows are exactly x's elements whatever x's last stride, so the exact row-overlap tests
/// (detail/overlap.hpp) apply to logit views (bias, weights), whose strides are free.
template <class T>
tensor_view<T, 4> element_rows(const tensor_view<T, 3>& x) noexcept {
  return tensor_view<T, 4>(x.data(), {x.extent(0), x.extent(1), x.extent(2), 1},
                           {x.stride(0), x.stride(1), x.stride(2), 1});
}

/// The element count and the span of x, sum (extent - 1) |stride| + 1 elements, fit in
/// std::ptrdiff_t, in elements and in bytes (the precondition of the overlap tests).
template <class T>
void check_view_size(const char* function, const char* name, const tensor_view<T, 3>& x) {
  for (std::size_t r = 0; r < 3; ++r) {
    if (x.extent(r) == 0) return;  // empty: touches no memory
  }
  std::ptrdiff_t count = 1, span = 1;
  for (std::size_t r = 0; r < 3; ++r) {
    const std::ptrdiff_t e = x.extent(r), s = x.stride(r);
    ROTARY_CHECK(checked_mul(count, e, count), function, ": ", name,
                 " has more elements than std::ptrdiff_t holds (", extents_string(x), ")");
    add_dimension_reach(function, name, e, s, r, span);
  }
  check_byte_span<T>(function, name, span);
}

/// A [tokens][heads][head_dim] attention operand: extents >= 0, head_dim stride 1, a size
/// that fits std::ptrdiff_t, data non-null unless empty.
template <class T>
void check_attention_view(const char* function, const char* name, const tensor_view<T, 3>& x) {
  static_check_element_type<T>();
  for (std::size_t r = 0; r < 3; ++r) {
    ROTARY_CHECK(x.extent(r) >= 0, function, ": ", name, " extent ", r, " must be >= 0, got ",
                 x.extent(r));
  }
  ROTARY_CHECK(x.stride(2) == 1 || x.extent(2) <= 1, function, ": ", name,
               " head_dim stride must be 1, got ", x.stride(2));
  check_view_size(function, name, x);
  ROTARY_CHECK(x.data() != nullptr || x.size() == 0, function, ": ", name,
               " data must not be null");
}

/// True when a row of a shares an element with a row of b (exact, detail/overlap.hpp).
/// \pre both passed check_attention_view.
template <class A, class B>
bool overlaps(const tensor_view<A, 3>& a, const tensor_view<B, 3>& b) {
  return views_share_element(a, b);
}

/// True when an element of the logit view a ([heads][queries][keys], any strides) is an
/// element of the attention operand b. \pre a passed check_view_size, b check_attention_view.
template <class A, class B>
bool logits_overlap(const tensor_view<A, 3>& a, const tensor_view<B, 3>& b) {
  return rows_overlap(rows_of(element_rows(a)), rows_of(b));
}

/// True when two different rows of a written attention operand share an element (a head
/// stride 0, rows that alias). \pre x passed check_attention_view.
template <class T>
bool rows_alias(const tensor_view<T, 3>& x) {
  return rows_overlap_self(rows_of(x));
}

/// The common checks of every attention entry point: q [nq][H][d], k [nk][Hkv][d],
/// v [nk][Hkv][dv], out [nq][H][dv]; Hkv > 0 divides H; out disjoint from q, k, v and no
/// two of its rows sharing an element.
template <class T>
void check_qkv_out(const char* function, const tensor_view<const T, 3>& q,
                   const tensor_view<const T, 3>& k, const tensor_view<const T, 3>& v,
                   const tensor_view<T, 3>& out) {
  check_attention_view(function, "q", q);
  check_attention_view(function, "k", k);
  check_attention_view(function, "v", v);
  check_attention_view(function, "out", out);
  const std::ptrdiff_t heads = q.extent(1), kv_heads = k.extent(1);
  ROTARY_CHECK(kv_heads > 0, function, ": k num_kv_heads must be > 0, got ", kv_heads);
  ROTARY_CHECK(heads % kv_heads == 0, function, ": num_kv_heads (k extent 1) must divide ",
               "num_heads (q extent 1), got num_heads = ", heads, ", num_kv_heads = ", kv_heads);
  ROTARY_CHECK(k.extent(2) == q.extent(2), function, ": k head_dim ", k.extent(2),
               " != q head_dim ", q.extent(2));
  ROTARY_CHECK(v.extent(0) == k.extent(0), function, ": v num_tokens ", v.extent(0),
               " != k num_tokens ", k.extent(0));
  ROTARY_CHECK(v.extent(1) == kv_heads, function, ": v num_kv_heads ", v.extent(1),
               " != k num_kv_heads ", kv_heads);
  ROTARY_CHECK(
      out.extent(0) == q.extent(0) && out.extent(1) == heads && out.extent(2) == v.extent(2),
      function, ": out extents ", out.extent(0), " x ", out.extent(1), " x ", out.extent(2),
      " must be [q num_tokens = ", q.extent(0), "][num_heads = ", heads,
      "][v head_dim = ", v.extent(2), "]");
  ROTARY_CHECK(!rows_alias(out), function,
               ": out has (token, head) rows that share elements: ", "strides ",
               strides_string(out), " with v head_dim = ", out.extent(2),
               "; each written row must be distinct");
  ROTARY_CHECK(!overlaps(out, q) && !overlaps(out, k) && !overlaps(out, v), function,
               ": out must not overlap q, k or v");
}

template <class A>
void check_logit_extents(const char* function, const char* name, const tensor_view<A, 3>& b,
                         std::ptrdiff_t heads, std::ptrdiff_t nq, std::ptrdiff_t nk) {
  ROTARY_CHECK(b.extent(0) == heads && b.extent(1) == nq && b.extent(2) == nk, function, ": ", name,
               " extents ", b.extent(0), " x ", b.extent(1), " x ", b.extent(2),
               " must be [num_heads = ", heads, "][num_queries = ", nq, "][num_keys = ", nk, "]");
  check_view_size(function, name, b);
}

/// The checks of attention_options against the operands (after check_qkv_out): bias and
/// weights extents; weights, which are written, with distinct elements and disjoint from
/// q, k, v, out and bias; out disjoint from bias; a finite scale. Returns the scale.
template <class T>
T check_attention_options(const char* function, const tensor_view<const T, 3>& q,
                          const tensor_view<const T, 3>& k, const tensor_view<const T, 3>& v,
                          const tensor_view<T, 3>& out, const attention_options<T>& options) {
  const std::ptrdiff_t nq = q.extent(0), nk = k.extent(0), heads = q.extent(1);
  const bool has_bias = options.bias.data() != nullptr;
  if (has_bias) {
    check_logit_extents(function, "bias", options.bias, heads, nq, nk);
    ROTARY_CHECK(!logits_overlap(options.bias, out), function, ": out must not overlap bias");
  }
  if (options.weights.data() != nullptr) {
    const auto& w = options.weights;
    check_logit_extents(function, "weights", w, heads, nq, nk);
    ROTARY_CHECK(!rows_overlap_self(rows_of(element_rows(w))), function,
                 ": weights has elements that share memory: strides ", strides_string(w),
                 "; each written weight must be distinct");
    ROTARY_CHECK(!logits_overlap(w, out), function, ": weights must not overlap out");
    ROTARY_CHECK(!logits_overlap(w, q) && !logits_overlap(w, k) && !logits_overlap(w, v), function,
                 ": weights must not overlap q, k or v");
    ROTARY_CHECK(
        !has_bias || !rows_overlap(rows_of(element_rows(w)), rows_of(element_rows(options.bias))),
        function, ": weights must not overlap bias");
  }
  ROTARY_CHECK(options.scale.has_value() || q.extent(2) > 0, function,
               ": q head_dim is 0, so the default scale 1 / sqrt(head_dim) is infinite; ",
               "pass attention_options::scale");
  const T scale = options.scale.value_or(T(1) / std::sqrt(static_cast<T>(q.extent(2))));
  ROTARY_CHECK(std::isfinite(scale), function, ": scale must be finite, got ", scale);
  return scale;
}

/// Number of keys query i may see: all, or those up to i + (nk - nq) when causal (may be 0).
inline std::ptrdiff_t visible_keys(bool causal, std::ptrdiff_t i, std::ptrdiff_t nq,
                                   std::ptrdiff_t nk) noexcept {
  return causal ? std::clamp<std::ptrdiff_t>(i + (nk - nq) + 1, 0, nk) : nk;
}

/// In place over the first `count` entries of row: p = exp(x - max) / sum; entries past
/// count are set to 0. A row with nothing visible (count 0, or every logit -infinity)
/// becomes all zeros instead of 0/0 = NaN.
template <class Row>
void stable_softmax(Row&& row, std::ptrdiff_t count) {
  using T = typename std::decay_t<Row>::Scalar;
  row.tail(row.size() - count).setZero();
  if (count == 0) return;
  auto visible = row.head(count).array();
  const T max = visible.maxCoeff();
  if (max == -std::numeric_limits<T>::infinity()) {
    visible.setZero();
    return;
  }
  visible = (visible - max).exp();
  visible /= visible.sum();
}

/// scaled_dot_product_attention once every check passed (check_qkv_out and
/// check_attention_options, which gave scale).
template <class T>
void attention_checked(const tensor_view<const T, 3>& q, const tensor_view<const T, 3>& k,
                       const tensor_view<const T, 3>& v, const tensor_view<T, 3>& out,
                       const attention_options<T>& options, T scale) {
  const std::ptrdiff_t nq = q.extent(0), nk = k.extent(0);
  const std::ptrdiff_t heads = q.extent(1), group = heads / k.extent(1);
  const bool has_bias = options.bias.data() != nullptr;
  const bool has_weights = options.weights.data() != nullptr;
  row_matrix<T> p(nq, nk);  // logits, then weights, of one head
  for (std::ptrdiff_t h = 0; h < heads; ++h) {
    const std::ptrdiff_t g = h / group;
    p.noalias() = scale * (head_of(q, h) * head_of(k, g).transpose());
    for (std::ptrdiff_t i = 0; i < nq; ++i) {
      const std::ptrdiff_t count = visible_keys(options.causal, i, nq, nk);
      if (has_bias) {
        for (std::ptrdiff_t j = 0; j < count; ++j) p(i, j) += options.bias(h, i, j);
      }
      stable_softmax(p.row(i), count);
    }
    auto out_h = head_of(out, h);
    out_h.noalias() = p * head_of(v, g);
    if (has_weights) {
      for (std::ptrdiff_t i = 0; i < nq; ++i) {
        for (std::ptrdiff_t j = 0; j < nk; ++j) options.weights(h, i, j) = p(i, j);
      }
    }
  }
}

ROTARY_ISA_NAMESPACE_END
}  // namespace detail

ROTARY_ISA_NAMESPACE_BEGIN

/// out = softmax(scale Q K^T + bias + causal mask) V, per head (GQA/MQA by head groups).
///   q   [num_queries][num_heads][head_dim]      k [num_keys][num_kv_heads][head_dim]
///   v   [num_keys][num_kv_heads][v_head_dim]  out [num_queries][num_heads][v_head_dim]
/// head_dim stride 1 everywhere; other strides free. out must not overlap q, k, v or bias,
/// and its (token, head) rows must be distinct; options.weights (any strides) must not
/// overlap q, k, v, out or bias, and its elements must be distinct.
/// The softmax subtracts the row max; a query that sees no key (fully masked row) gets zero
/// weights and a zero output, never NaN.
/// Throws rotary::invalid_argument naming the parameter for any mismatch, before anything
/// is written.
template <class T>
void scaled_dot_product_attention(tensor_view<const T, 3> q, tensor_view<const T, 3> k,
                                  tensor_view<const T, 3> v, tensor_view<T, 3> out,
                                  const attention_options<T>& options = {}) {
  constexpr const char* fn = "scaled_dot_product_attention";
  detail::check_qkv_out(fn, q, k, v, out);
  const T scale = detail::check_attention_options(fn, q, k, v, out, options);
  detail::attention_checked(q, k, v, out, options, scale);
}

ROTARY_ISA_NAMESPACE_END

}  // namespace rotary
