// SPDX-License-Identifier: MIT
#pragma once
/// head_norm: per-head RMS normalization of queries and keys (QK-norm), fused into the
/// rope's pass (rope_options::query_norm, key_norm) or applied on its own (apply_head_norm).
///
/// Over the head_dim elements x_e of one head (every element, rotated or not):
///   r   = 1 / sqrt(mean_e(x_e^2) + eps)            (the sum of squares in double, 8
///                                                  partial sums in a fixed order)
///   y_e = x_e r w_e                                head_norm::rms(w, eps): Qwen3's q_norm,
///                                                  k_norm (HF Qwen3RMSNorm)
///   y_e = x_e r (1 + w_e)                          head_norm::gemma(w, eps): Gemma 3's
///                                                  (HF Gemma3RMSNorm)
///   y_e = x_e r                                    head_norm::unweighted(eps): Llama 4's
///                                                  "L2 norm" (eps 1e-6), after RoPE
/// in the data's compute type (x_e r rounded, then times the weight, rounded: HF's order).
/// `after_rope` chooses the order: Qwen3 and Gemma 3 normalize, then rotate; Llama 4
/// rotates, then normalizes. Fused, each chunk of tokens is normalized and rotated while it
/// is in L1, one pass over q and k; the results are bitwise those of apply_head_norm and the
/// rope call in sequence (tests/head_norm_test.cpp).
/// Checks (rotary::invalid_argument): eps finite and >= 0, the weight's length = head_dim
/// of each call's operands (at the call), the roles named (rotary::query / rotary::key)
/// when a rope has a norm.

#include <cmath>
#include <cstddef>
#include <vector>

#include "element_type.hpp"
#include "error.hpp"
#include "view.hpp"

namespace rotary {

struct head_norm {
  enum class kind { none, rms, gemma, unweighted };
  kind type = kind::none;
  std::vector<double> weight;  ///< head_dim values (rms, gemma)
  double eps = 1e-6;
  bool after_rope = false;

  static head_norm rms(std::vector<double> w, double eps = 1e-6) {
    return make("head_norm::rms", kind::rms, std::move(w), eps, false);
  }
  static head_norm gemma(std::vector<double> w, double eps = 1e-6) {
    return make("head_norm::gemma", kind::gemma, std::move(w), eps, false);
  }
  static head_norm unweighted(double eps = 1e-6, bool after_rope = true) {
    return make("head_norm::unweighted", kind::unweighted, {}, eps, after_rope);
  }

  bool active() const noexcept { return type != kind::none; }

  /// Throws unless the norm fits heads of head_dim elements (the weight's length).
  void check(const char* function, const char* name, std::ptrdiff_t head_dim) const {
    if (type == kind::rms || type == kind::gemma) {
      ROTARY_CHECK(static_cast<std::ptrdiff_t>(weight.size()) == head_dim, function, ": ", name,
                   " weight has ", weight.size(), " values, expected head_dim = ", head_dim);
    }
  }

 private:
  static head_norm make(const char* fn, kind k, std::vector<double> w, double eps, bool after) {
    ROTARY_CHECK(std::isfinite(eps) && eps >= 0.0, fn, ": eps must be finite and >= 0, got ", eps);
    if (k != kind::unweighted) {
      ROTARY_CHECK(!w.empty(), fn, ": the weight must not be empty");
      for (std::size_t e = 0; e < w.size(); ++e) {
        ROTARY_CHECK(std::isfinite(w[e]), fn, ": weight[", e, "] must be finite, got ", w[e]);
      }
    }
    head_norm h;
    h.type = k;
    h.weight = std::move(w);
    h.eps = eps;
    h.after_rope = after;
    return h;
  }
};

namespace detail {

/// y[0, n) = the normalized head x[0, n) (see the top of the file); in place when x == y.
/// In and Out are storage types of compute type C.
template <class C, class In, class Out>
void normalize_head(const In* x, Out* y, std::ptrdiff_t n, const head_norm& h) noexcept {
  // The sum of squares in 8 interleaved double partial sums (a fixed order: the same bits
  // fused or not; vectorized), added pairwise at the end.
  double part[8] = {};
  std::ptrdiff_t e = 0;
  for (; e + 8 <= n; e += 8) {
    for (int j = 0; j < 8; ++j) {
      const double v = static_cast<double>(static_cast<C>(x[e + j]));
      part[j] += v * v;
    }
  }
  for (; e < n; ++e) {
    const double v = static_cast<double>(static_cast<C>(x[e]));
    part[0] += v * v;
  }
  const double sum =
      ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
  const C r = static_cast<C>(1.0 / std::sqrt(sum / static_cast<double>(n) + h.eps));
  const double* w = h.weight.data();
  switch (h.type) {
    case head_norm::kind::rms:
      for (e = 0; e < n; ++e) {
        y[e] = static_cast<Out>(
            static_cast<C>(static_cast<C>(static_cast<C>(x[e]) * r) * static_cast<C>(w[e])));
      }
      break;
    case head_norm::kind::gemma:
      for (e = 0; e < n; ++e) {
        y[e] = static_cast<Out>(
            static_cast<C>(static_cast<C>(static_cast<C>(x[e]) * r) * static_cast<C>(1.0 + w[e])));
      }
      break;
    default:
      for (e = 0; e < n; ++e) y[e] = static_cast<Out>(static_cast<C>(static_cast<C>(x[e]) * r));
      break;
  }
}

}  // namespace detail

/// x <- the normalized heads of x [tokens][heads][head_dim] (any strides, head_dim stride 1),
/// unfused. Throws rotary::invalid_argument for a weight of another length than head_dim or
/// a head_dim stride other than 1.
template <class T>
void apply_head_norm(tensor_view<T, 3> x, const head_norm& h) {
  static_check_element_type<T>();
  using C = compute_type_t<T>;
  using S = storage_type_t<T>;
  ROTARY_CHECK(x.extent(2) <= 1 || x.stride(2) == 1,
               "apply_head_norm: head_dim stride must be 1, got ", x.stride(2));
  h.check("apply_head_norm", "the norm's", x.extent(2));
  if (!h.active()) return;
  for (std::ptrdiff_t t = 0; t < x.extent(0); ++t) {
    for (std::ptrdiff_t k = 0; k < x.extent(1); ++k) {
      S* row = reinterpret_cast<S*>(&x(t, k, 0));
      detail::normalize_head<C>(row, row, x.extent(2), h);
    }
  }
}

}  // namespace rotary
