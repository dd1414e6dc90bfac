// SPDX-License-Identifier: MIT
#pragma once
/// The position-encoding hook: one attention, five ways for positions to enter it.
///
///   no_position_hook                    positions are ignored (a bag of tokens);
///   rope_hook<P, Angles>                q_m <- R_m q_m, k_n <- R_n k_n (RoFormer eqs. 14-16),
///                                       with the core kernels (rotate<P>); any angle source,
///                                       multi-axis ones with multi-axis positions;
///   rope_pair_hook<P, QA, KA>           queries and keys from two sources (xPos);
///   absolute_hook<Encoding>             q_m <- q_m + p_m, k_n <- k_n + p_n with a
///                                       sinusoidal_encoding (Vaswani 2017 §3.5) or a
///                                       learned_position_encoding;
///   relative_bias_hook<C>               logit_ij += B[h][bucket(n_j - m_i)] (Shaw 2018,
///                                       arXiv:1803.02155; T5, arXiv:1910.10683).
///
/// A hook has encode_queries(q, pos), encode_keys(k, pos) (in place) and, when
/// has_logit_bias, logit_bias(bias, q_pos, k_pos) filling [heads][queries][keys].
/// NOTE: absolute encodings are added to q and k, the attention inputs, rather than to an
/// embedding before learned projections: with identity projections (q = k = x) this is
/// exactly Vaswani's x + p, and it keeps the comparison about where position enters the
/// logits. The same p (of dimension head_dim) is added to every head.
/// Hooks hold a reference to their encoding or angles; those must outlive the hook.

#include <cstddef>
#include <vector>

#include "../encodings/learned.hpp"
#include "../encodings/relative_bias.hpp"
#include "../encodings/sinusoidal.hpp"
#include "sdpa.hpp"

namespace rotary {

struct no_position_hook {
  static constexpr bool has_logit_bias = false;
  template <class T>
  void encode_queries(tensor_view<T, 3>, const positions&) const noexcept {}
  template <class T>
  void encode_keys(tensor_view<T, 3>, const positions&) const noexcept {}
};

namespace detail {

/// Runs a hook's step inside `caller`; an error the step throws is rethrown, of the same
/// type, as "caller: step: <the step's own message>", so that it names the function the
/// caller called (the step's message names the hook's encoding: rope::forward,
/// sinusoidal_encoding::add, ...). With ROTARY_NO_EXCEPTIONS the step's own check aborts.
template <class Step>
void run_hook_step(const char* caller, const char* step_name, Step&& step) {
#if defined(ROTARY_NO_EXCEPTIONS)
  (void)caller;
  (void)step_name;
  step();
#else
  try {
    step();
  } catch (const rotary::out_of_range& e) {
    throw rotary::out_of_range(concat(caller, ": ", step_name, ": ", e.what()));
  } catch (const rotary::invalid_argument& e) {
    throw rotary::invalid_argument(concat(caller, ": ", step_name, ": ", e.what()));
  }
#endif
}

}  // namespace detail

// NOTE: the hooks that encode and attention_with_positions live in the ISA's inline
// namespace (config.hpp): they call the rotation kernels, or vectorized loops, compiled for
// the translation unit's instruction set.
ROTARY_ISA_NAMESPACE_BEGIN

template <pairing P, class Angles>
class rope_hook {
 public:
  static constexpr bool has_logit_bias = false;
  explicit rope_hook(const Angles& angles, std::ptrdiff_t rotary_offset = 0)
      : angles_(&angles), rotary_offset_(rotary_offset) {}
  template <class T>
  void encode_queries(tensor_view<T, 3> q, const positions& pos) const {
    plan().forward(query(q), pos);
  }
  template <class T>
  void encode_keys(tensor_view<T, 3> k, const positions& pos) const {
    plan().forward(key(k), pos);
  }

 private:
  auto plan() const {
    rope_options options;
    options.rotary_offset = rotary_offset_;
    return make_rope(*angles_, P, options);
  }

  const Angles* angles_;
  std::ptrdiff_t rotary_offset_;
};

/// rope_hook with the pairing given and the angle source deduced.
template <pairing P, class Angles>
rope_hook<P, Angles> make_rope_hook(const Angles& angles, std::ptrdiff_t rotary_offset = 0) {
  return rope_hook<P, Angles>(angles, rotary_offset);
}

/// RoPE with one angle source for the queries and another for the keys: xPos
/// (xpos_angles of xpos_role::query and ::key, one centre).
template <pairing P, class QueryAngles, class KeyAngles>
class rope_pair_hook {
 public:
  static constexpr bool has_logit_bias = false;
  rope_pair_hook(const QueryAngles& q_angles, const KeyAngles& k_angles,
                 std::ptrdiff_t rotary_offset = 0)
      : q_(&q_angles), k_(&k_angles), rotary_offset_(rotary_offset) {}
  template <class T>
  void encode_queries(tensor_view<T, 3> q, const positions& pos) const {
    make_rope(*q_, P, rope_options{rotary_offset_}).forward(query(q), pos);
  }
  template <class T>
  void encode_keys(tensor_view<T, 3> k, const positions& pos) const {
    make_rope(*k_, P, rope_options{rotary_offset_}).forward(key(k), pos);
  }

 private:
  const QueryAngles* q_;
  const KeyAngles* k_;
  std::ptrdiff_t rotary_offset_;
};

template <pairing P, class QueryAngles, class KeyAngles>
rope_pair_hook<P, QueryAngles, KeyAngles> make_rope_pair_hook(const QueryAngles& q_angles,
                                                              const KeyAngles& k_angles,
                                                              std::ptrdiff_t rotary_offset = 0) {
  return rope_pair_hook<P, QueryAngles, KeyAngles>(q_angles, k_angles, rotary_offset);
}

template <class Encoding>
class absolute_hook {
 public:
  static constexpr bool has_logit_bias = false;
  explicit absolute_hook(const Encoding& encoding) : encoding_(&encoding) {}
  template <class T>
  void encode_queries(tensor_view<T, 3> q, const positions& pos) const {
    encoding_->add(q, pos);
  }
  template <class T>
  void encode_keys(tensor_view<T, 3> k, const positions& pos) const {
    encoding_->add(k, pos);
  }

 private:
  const Encoding* encoding_;
};

template <class C>
class relative_bias_hook {
 public:
  static constexpr bool has_logit_bias = true;
  explicit relative_bias_hook(const relative_position_bias<C>& bias) : bias_(&bias) {}
  template <class T>
  void encode_queries(tensor_view<T, 3>, const positions&) const noexcept {}
  template <class T>
  void encode_keys(tensor_view<T, 3>, const positions&) const noexcept {}
  template <class T>
  void logit_bias(tensor_view<T, 3> bias, const positions& q_pos, const positions& k_pos) const {
    bias_->fill(bias, q_pos, k_pos);
  }

 private:
  const relative_position_bias<C>* bias_;
};

/// Attention with positions supplied through a hook: copies q and k (the inputs are not
/// modified), lets the hook encode them at q_pos / k_pos, adds the hook's logit bias to
/// options.bias if it has one, then runs scaled_dot_product_attention. Shapes, options and
/// errors as scaled_dot_product_attention, checked (naming attention_with_positions) before
/// the hook runs; positions as in rotate (offset, ids, packed). An error of the hook's own
/// (a position past a table, positions of the wrong length, a head_dim the angles do not
/// fit) is rethrown as "attention_with_positions: encoding the queries: <the hook's
/// message>" (or "encoding the keys", "the logit bias"), before out is written.
template <class T, class Hook>
void attention_with_positions(const Hook& hook, tensor_view<const T, 3> q, const positions& q_pos,
                              tensor_view<const T, 3> k, const positions& k_pos,
                              tensor_view<const T, 3> v, tensor_view<T, 3> out,
                              attention_options<T> options = {}) {
  constexpr const char* fn = "attention_with_positions";
  detail::check_qkv_out(fn, q, k, v, out);
  const T scale = detail::check_attention_options(fn, q, k, v, out, options);
  const std::ptrdiff_t heads = q.extent(1), nq = q.extent(0), nk = k.extent(0);
  std::ptrdiff_t logits = 0;
  ROTARY_CHECK(detail::checked_mul(heads, nq, logits) && detail::checked_mul(logits, nk, logits),
               fn, ": num_heads * num_queries * num_keys overflows std::ptrdiff_t, got ", heads,
               " * ", nq, " * ", nk);
  std::vector<T> q_copy = detail::contiguous_copy(q);
  std::vector<T> k_copy = detail::contiguous_copy(k);
  const tensor_view<T, 3> qe(q_copy.data(), q.extents());
  const tensor_view<T, 3> ke(k_copy.data(), k.extents());
  // The hook works on copies: an error it throws leaves out (and q, k) untouched.
  detail::run_hook_step(fn, "encoding the queries", [&] { hook.encode_queries(qe, q_pos); });
  detail::run_hook_step(fn, "encoding the keys", [&] { hook.encode_keys(ke, k_pos); });

  std::vector<T> bias;
  if constexpr (Hook::has_logit_bias) {
    bias.resize(static_cast<std::size_t>(logits));
    const tensor_view<T, 3> b(bias.data(), {heads, nq, nk});
    detail::run_hook_step(fn, "the logit bias", [&] { hook.logit_bias(b, q_pos, k_pos); });
    if (options.bias.data() != nullptr) {
      for (std::ptrdiff_t h = 0; h < heads; ++h)
        for (std::ptrdiff_t i = 0; i < nq; ++i)
          for (std::ptrdiff_t j = 0; j < nk; ++j) b(h, i, j) += options.bias(h, i, j);
    }
    options.bias = b;
  }
  detail::attention_checked<T>(qe, ke, v, out, options, scale);
}

ROTARY_ISA_NAMESPACE_END

}  // namespace rotary
