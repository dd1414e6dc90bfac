// SPDX-License-Identifier: MIT
#pragma once
/// Linear attention with RoPE, RoFormer section 3.3, eq. (19):
///   out_m = sum_n (R_m phi(q_m))^T (R_n phi(k_n)) v_n  /  sum_n phi(q_m)^T phi(k_n),
/// phi(x) = elu(x) + 1 (Katharopoulos et al. 2020, arXiv:2006.16236) elementwise. The
/// rotation enters the numerator only; the denominator stays unrotated so that it is
/// positive (the numerator may be negative; the paper accepts that).
/// Cost O(tokens * head_dim * v_head_dim) per head: with S = sum_n (R_n phi(k_n)) v_n^T and
/// z = sum_n phi(k_n), out_m = (R_m phi(q_m))^T S / (phi(q_m)^T z). The causal form keeps
/// S and z as prefix sums over the keys a query may see.

#include <cmath>
#include <cstddef>
#include <vector>

#include "sdpa.hpp"

namespace rotary {

struct linear_attention_options {
  /// Query i sees key j iff j <= i + (num_keys - num_queries), as in attention_options.
  bool causal = false;
};

// NOTE: in the ISA's inline namespace (config.hpp): linear_attention calls the rotation
// kernels compiled for the translation unit's instruction set.
ROTARY_ISA_NAMESPACE_BEGIN

/// phi(x) = elu(x) + 1 = x + 1 for x > 0, exp(x) otherwise: positive everywhere.
template <class T>
T elu_plus_one(T x) noexcept {
  return x > T(0) ? x + T(1) : std::exp(x);
}

/// RoFormer eq. (19) with rotations R_m at q_pos and R_n at k_pos (pairing P, angles as in
/// rotate). Shapes as scaled_dot_product_attention (GQA by head groups); out must not
/// overlap the inputs. A query that sees no key gets a zero output. Throws
/// rotary::invalid_argument (rotary::out_of_range for a position past a table) naming
/// linear_attention, before out is written.
template <pairing P, class T, class Angles>
void linear_attention(tensor_view<const T, 3> q, const positions& q_pos, tensor_view<const T, 3> k,
                      const positions& k_pos, tensor_view<const T, 3> v, tensor_view<T, 3> out,
                      const Angles& angles, linear_attention_options options = {}) {
  constexpr const char* fn = "linear_attention";
  detail::check_qkv_out(fn, q, k, v, out);
  const std::ptrdiff_t nq = q.extent(0), nk = k.extent(0), heads = q.extent(1);
  const std::ptrdiff_t group = heads / k.extent(1), dim = q.extent(2), v_dim = v.extent(2);

  // phi(q), phi(k) and their rotations R phi, all [tokens][heads][head_dim] contiguous.
  const std::vector<T> fq = detail::contiguous_copy(q, elu_plus_one<T>),
                       fk = detail::contiguous_copy(k, elu_plus_one<T>);
  std::vector<T> rq(fq.size()), rk(fk.size());
  const tensor_view<const T, 3> fq_v(fq.data(), q.extents()), fk_v(fk.data(), k.extents());
  const tensor_view<T, 3> rq_v(rq.data(), q.extents()), rk_v(rk.data(), k.extents());
  // The rotations' errors (odd head_dim, wrong angles, bad positions) name linear_attention.
  const auto plan = detail::rope_access::make(fn, angles, P);
  detail::rope_access::call(fn, plan, direction::forward, query(fq_v, rq_v), q_pos);
  detail::rope_access::call(fn, plan, direction::forward, key(fk_v, rk_v), k_pos);
  const tensor_view<const T, 3> rq_c(rq_v), rk_c(rk_v);

  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> s(dim, v_dim);  // sum_n (R_n phi k_n) v_n^T
  Eigen::Matrix<T, 1, Eigen::Dynamic> z(dim);                      // sum_n phi(k_n)
  for (std::ptrdiff_t h = 0; h < heads; ++h) {
    const std::ptrdiff_t g = h / group;
    const auto fq_h = detail::head_of(fq_v, h), rq_h = detail::head_of(rq_c, h);
    const auto fk_g = detail::head_of(fk_v, g), rk_g = detail::head_of(rk_c, g);
    const auto v_g = detail::head_of(v, g);
    auto out_h = detail::head_of(out, h);
    s.setZero();
    z.setZero();
    std::ptrdiff_t seen = 0;  // keys accumulated into s and z
    for (std::ptrdiff_t i = 0; i < nq; ++i) {
      const std::ptrdiff_t count = detail::visible_keys(options.causal, i, nq, nk);
      for (; seen < count; ++seen) {
        s.noalias() += rk_g.row(seen).transpose() * v_g.row(seen);
        z += fk_g.row(seen);
      }
      if (count == 0) {
        out_h.row(i).setZero();
        continue;
      }
      out_h.row(i).noalias() = (rq_h.row(i) * s) / fq_h.row(i).dot(z);
    }
  }
}

ROTARY_ISA_NAMESPACE_END

}  // namespace rotary
