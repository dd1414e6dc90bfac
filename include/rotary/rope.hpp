// SPDX-License-Identifier: MIT
#pragma once
/// rope: a RoPE plan, built once, applied to any number of calls.
///
///   rotary::cos_sin_table<float> table(128, 4096);                 // theta_i = 10000^(-2i/128)
///   rotary::rope rope(table, rotary::pairing::half_split);          // holds a reference
///   rope.forward(x, rotary::positions::from_offset(p));            // x <- R_m x, in place
///   rope.forward(in, out, pos);                                     // out <- R_m in
///   rope.forward(rotary::query(q), rotary::key(k_in, k_cache), pos); // q and k, one fetch
///   rope.transpose(dy, pos);   rope.inverse(y, pos);                // R_m^T, R_m^{-1}
///
/// Built from an angle source (angle_source.hpp: a cos_sin_table, a cos_sin_view over the
/// caller's cache, on_the_fly_angles), the pairing, and rope_options (rotary_offset, the
/// half_split pair distance, threads). A named source is referenced (it must outlive the
/// rope; a table may grow between calls, the rope takes its view per call); a temporary is
/// moved into the rope. The parameters are checked once, at construction.
///
/// Calls: views are rank 3 [tokens][heads][head_dim] or rank 4 [batch][seq][heads][head_dim]
/// (any strides, head_dim stride 1; layouts.hpp builds them for BSHD, BHSD, SBHD, THD);
/// storage float, double, bfloat16 or float16, in and out may differ (same compute type as
/// the angle source); one or two operands (q and k: GQA/MQA, fused QKV buffers). Each call
/// checks its views and positions (detail/checks.hpp) before anything is written, then
/// runs the token loop specialized for (pairing, direction, storage types) once.
/// Each pair (a, b) of the rotated elements of every head of a token at position m becomes
///   forward:  (a cos - b sin, b cos + a sin),  transpose / inverse: (a cos + b sin, b cos - a sin)
/// with cos, sin = cos(m theta_i), sin(m theta_i) (RoFormer eq. 13, 34); the other
/// elements pass through (copied when out of place).

#include <cstddef>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>

#include "angle_source.hpp"
#include "angles.hpp"
#include "config.hpp"
#include "detail/checks.hpp"
#include "detail/contiguous_call.hpp"
#include "detail/driver.hpp"
#include "detail/scale_rotated.hpp"
#include "element_type.hpp"
#include "error.hpp"
#include "execution.hpp"
#include "multi_axis.hpp"
#include "operand.hpp"
#include "pairing.hpp"
#include "positions.hpp"
#include "query_scale.hpp"
#include "table.hpp"
#include "view.hpp"
#include "xpos.hpp"

namespace rotary {

/// The optional parameters of a rope.
struct rope_options {
  /// First rotated element of each head (partial rotary: the rotated elements are
  /// [rotary_offset, rotary_offset + footprint), the rest pass through).
  std::ptrdiff_t rotary_offset = 0;
  /// half_split only: index distance between a pair's two elements; 0 = rotary_dim / 2
  /// (the usual layout). A larger value rotates a pair subset that is not one contiguous
  /// slice: Gemma's proportional RoPE rotates (j, j + head_dim/2) for j < rotary_dim/2
  /// only, i.e. pair_distance = head_dim / 2.
  std::ptrdiff_t pair_distance = 0;
  /// Threads (execution.hpp).
  rotary::execution execution{};
  /// A position-dependent factor on the queries, fused into their pass (query_scale.hpp:
  /// Ministral 3's llama_4_scaling_beta). When active, every operand of a call must name
  /// its role (rotary::query(...) or rotary::key(...)); only queries are scaled.
  rotary::query_scale query_scale{};
  /// Per-head RMS norms of the queries and the keys, fused into the pass (head_norm.hpp:
  /// Qwen3's q_norm / k_norm, Gemma 3's, Llama 4's unweighted norm after RoPE). When
  /// either is active, every operand of a call must name its role.
  head_norm query_norm{};
  head_norm key_norm{};
};

namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN
struct rope_access;
ROTARY_ISA_NAMESPACE_END
}  // namespace detail

// NOTE: rope (like every function whose code depends on the instruction set) lives in the
// ISA's inline namespace, so that translation units built for different instruction sets
// never share one definition of its members (config.hpp).
ROTARY_ISA_NAMESPACE_BEGIN

template <class Source>
class rope {
  static_assert(detail::is_angle_source<Source>::value,
                "rotary::rope: not an angle source (a cos_sin_table, cos_sin_view, "
                "on_the_fly_angles, or a class with value_type, rotary_dim(), "
                "check_position_range() and make_reader(); see angle_source.hpp)");

 public:
  using angles_type = Source;
  using compute_type = typename Source::value_type;

  /// Throws rotary::invalid_argument for a bad pairing, rotary_offset, pair_distance or
  /// execution.
  template <class A, std::enable_if_t<std::is_same_v<detail::held_angles_t<A&&>, Source>, int> = 0>
  rope(A&& angles, rotary::pairing p, const rope_options& options = {})
      : rope("rope", std::forward<A>(angles), p, options) {}

  rotary::pairing pairing() const noexcept { return pairing_; }
  const rope_options& options() const noexcept { return options_; }
  std::ptrdiff_t rotary_dim() const noexcept { return 2 * geometry_.pairs; }
  /// Elements of a head the rotation reads, from rotary_offset on (<= head_dim).
  std::ptrdiff_t footprint() const noexcept { return geometry_.end(pairing_) - geometry_.offset; }
  const Source& angles() const noexcept { return source_; }
  Source& angles() noexcept { return source_; }

  /// y = R_m x. Arguments: (x, pos) in place, (in, out, pos), (operand, pos) or
  /// (query operand, key operand, pos); see operand.hpp.
  template <class... Args>
  void forward(const Args&... args) const {
    call("rope::forward", direction::forward, args...);
  }
  /// y = R_m^T x: the backward pass (dL/dx = R_m^T dL/dy). Same arguments.
  template <class... Args>
  void transpose(const Args&... args) const {
    call("rope::transpose", direction::transpose, args...);
  }
  /// y = R_m^{-1} x: undoes forward. Same arguments.
  template <class... Args>
  void inverse(const Args&... args) const {
    call("rope::inverse", direction::inverse, args...);
  }
  /// The direction as a run-time value.
  template <class... Args>
  void apply(direction d, const Args&... args) const {
    call("rope::apply", d, args...);
  }

 private:
  friend struct detail::rope_access;

  template <class A>
  rope(const char* function, A&& angles, rotary::pairing p, const rope_options& options)
      : source_(std::forward<A>(angles)), pairing_(p), options_(options) {
    ROTARY_CHECK(p == pairing::interleaved || p == pairing::half_split, function,
                 ": pairing must be interleaved or half_split, got ", static_cast<int>(p));
    detail::check_execution(function, options.execution);
    const std::ptrdiff_t rotary_dim = source_.rotary_dim();
    detail::check_rotary_dim(function, rotary_dim);
    const std::ptrdiff_t pairs = rotary_dim / 2;
    ROTARY_CHECK(options.rotary_offset >= 0, function, ": rotary_offset must be >= 0, got ",
                 options.rotary_offset);
    ROTARY_CHECK(options.pair_distance >= 0, function, ": pair_distance must be >= 0, got ",
                 options.pair_distance);
    ROTARY_CHECK(p == pairing::half_split || options.pair_distance == 0, function,
                 ": pair_distance applies to the half_split pairing only, got ",
                 options.pair_distance, " with interleaved");
    const std::ptrdiff_t distance = options.pair_distance == 0 ? pairs : options.pair_distance;
    ROTARY_CHECK(distance >= pairs, function, ": pair_distance must be >= rotary_dim / 2 = ", pairs,
                 " (pairs would overlap), got ", distance);
    constexpr std::ptrdiff_t max = std::numeric_limits<std::ptrdiff_t>::max();
    ROTARY_CHECK(distance <= max - pairs, function,
                 ": pair_distance + rotary_dim / 2 overflows, got ", distance, " + ", pairs);
    ROTARY_CHECK(options.rotary_offset <= max - (distance + pairs), function,
                 ": rotary_offset + rotary_dim overflows, got ", options.rotary_offset, " + ",
                 distance + pairs);
    geometry_ = detail::slice_geometry{options.rotary_offset, pairs, distance};
  }

  template <class T, std::size_t R>
  void call(const char* function, direction d, tensor_view<T, R> x, const positions& p) const {
    run(function, d, p, in_place(x));
  }
  template <class I, class O, std::size_t R>
  void call(const char* function, direction d, tensor_view<I, R> in, tensor_view<O, R> out,
            const positions& p) const {
    run(function, d, p, out_of_place(in, out));
  }
  template <class I, class O, std::size_t R>
  void call(const char* function, direction d, const operand<I, O, R>& a,
            const positions& p) const {
    run(function, d, p, a);
  }
  template <class I1, class O1, class I2, class O2, std::size_t R>
  void call(const char* function, direction d, const operand<I1, O1, R>& a,
            const operand<I2, O2, R>& b, const positions& p) const {
    run(function, d, p, a, b);
  }
  template <class... Args>
  void call(const char*, direction, const Args&...) const {
    static_assert(sizeof...(Args) < 0,
                  "rotary::rope: a call takes (x, pos), (in, out, pos), (operand, pos) or "
                  "(query operand, key operand, pos); views tensor_view<T, 3 or 4> of one rank, "
                  "pos a rotary::positions");
  }

  /// The compile-time checks of one operand; true when it can be rotated (so that a bad
  /// call stops at its static_assert message, without follow-on errors).
  template <class Op>
  static constexpr bool static_check_operand() {
    using I = std::remove_const_t<typename Op::in_type>;
    using O = typename Op::out_type;
    constexpr bool supported = element_traits<I>::supported && element_traits<O>::supported;
    static_assert(supported,
                  "rotary: unsupported element type; supported are float, double, "
                  "rotary::bfloat16 and rotary::float16 (and, with <rotary/interop.hpp>, "
                  "Eigen::half, Eigen::bfloat16, _Float16, __bf16)");
    if constexpr (supported) {
      constexpr bool same = std::is_same_v<compute_type_t<I>, compute_type_t<O>>;
      static_assert(same,
                    "rotary::rope: in and out must share a compute type (float, bfloat16 and "
                    "float16 compute in float; double in double)");
      constexpr bool table = std::is_same_v<compute_type_t<I>, compute_type>;
      static_assert(!same || table,
                    "rotary::rope: the angle source must hold the data's compute type (float "
                    "tables for float, bfloat16 and float16 data; double tables for double)");
      return same && table;
    } else {
      return false;
    }
  }

  /// Checks, then the token loop specialized for (pairing, direction, storage types).
  template <class... Ops>
  void run(const char* function, direction d, const positions& p, const Ops&... ops) const {
    if constexpr ((static_check_operand<Ops>() && ...)) {
      if (options_.query_norm.active() || options_.key_norm.active()) {
        ROTARY_CHECK(d == direction::forward, function,
                     ": a rope with a query_norm or key_norm runs forward only (the norm is not "
                     "an orthogonal map: no transpose or inverse)");
        ROTARY_CHECK(((ops.role != role::unspecified) && ...), function,
                     ": the rope has a query_norm or key_norm, so each operand must name its "
                     "role (rotary::query(...) or rotary::key(...)); got an operand without one");
      }
      if (options_.query_scale.active()) {
        ROTARY_CHECK(((ops.role != role::unspecified) && ...), function,
                     ": the rope has a query_scale, so each operand must name its role "
                     "(rotary::query(...) or rotary::key(...)); got an operand without one");
      }
      if constexpr (detail::is_xpos<Source>::value) {
        ROTARY_CHECK(d != direction::inverse, function,
                     ": xPos is not a rotation, so it has no inverse here; the inverse of the "
                     "query transform is the transpose with xpos_role::key (and vice versa)");
      }
      rotate(function, d, p, ops...);
      // R_m^{-1} with a cos/sin factor A in the angles (a scaling scheme's table): the
      // transpose applied A R_m^T; (A R_m)^{-1} = R_m^T / A, so the rotated elements are
      // divided by A^2 (one more rounding), after the checks and the rotation.
      const double a = detail::attention_factor_of(source_);
      if (d == direction::inverse && a != 1.0) {
        (detail::scale_rotated<compute_type>(ops.out, geometry_, pairing_, 1.0 / (a * a)), ...);
      }
    }
  }

  template <class... Ops>
  void rotate(const char* function, direction d, const positions& p, const Ops&... ops) const {
    using reader_type = std::decay_t<decltype(source_.make_reader())>;
    const bool scales_queries = options_.query_scale.active() && ((ops.role == role::query) || ...);
    if constexpr (detail::has_row_stride<reader_type>::value) {
      // Contiguous operands: the checks in a few comparisons (contiguous_call.hpp);
      // anything else, bad input included, goes on to the general path below (and so does
      // a query scale: the general path fuses it).
      if (!scales_queries && !options_.query_norm.active() && !options_.key_norm.active()) {
        const auto reader = source_.make_reader();
        bool done = false;
        with_tags(d, [&](auto pair_tag, auto transpose_tag) {
          done = detail::rotate_contiguous<decltype(pair_tag)::value,
                                           decltype(transpose_tag)::value, compute_type>(
              options_.execution, reader, p, geometry_, ops...);
        });
        if (done) return;
      }
    }
    (detail::check_operand(function, ops, detail::names_for(ops)), ...);
    check_pair(function, ops...);
    (detail::check_footprint(function, detail::names_for(ops).in, ops.in.extent(Ops::rank - 1),
                             geometry_.offset, footprint()),
     ...);
    (check_norm(function, ops), ...);
    const auto& first = std::get<0>(std::forward_as_tuple(ops...));
    constexpr std::size_t rank = std::decay_t<decltype(first)>::rank;
    const std::ptrdiff_t batch = rank == 4 ? first.in.extent(0) : 1;
    const std::ptrdiff_t seq = first.in.extent(rank == 4 ? 1 : 0);
    const auto [lo, hi] = detail::validate_positions_for(function, source_, p, batch, seq);
    ROTARY_CHECK(!(scales_queries && p.is_multi_axis()), function,
                 ": a query_scale needs 1-D positions, got multi-axis ones");
    if (batch > 0 && seq > 0) {
      source_.check_position_range(function, lo, hi);
      if constexpr (detail::is_xpos<Source>::value) {
        (detail::xpos_of(source_).template check_storage<storage_type_t<typename Ops::out_type>>(
             function, lo, hi),
         ...);
      }
      if (scales_queries) options_.query_scale.check_positions(function, lo, hi);
    }
    const detail::query_scale_step step{scales_queries ? &options_.query_scale : nullptr,
                                        d == direction::inverse};
    const auto reader = source_.make_reader();
    with_tags(d, [&](auto pair_tag, auto transpose_tag) {
      detail::rotate_operands<decltype(pair_tag)::value, decltype(transpose_tag)::value,
                              compute_type>(
          options_.execution, reader, p, batch, seq, geometry_, step, &options_.query_norm,
          &options_.key_norm, detail::rows_for_loop<decltype(pair_tag)::value>(ops, geometry_)...);
    });
  }

  /// f(pairing tag, transpose tag) for the rope's pairing and direction d: the token loop
  /// is specialized for both.
  template <class F>
  void with_tags(direction d, F&& f) const {
    using interleaved = std::integral_constant<rotary::pairing, pairing::interleaved>;
    using half_split = std::integral_constant<rotary::pairing, pairing::half_split>;
    const bool transposed = d != direction::forward;
    if (pairing_ == pairing::interleaved) {
      transposed ? f(interleaved{}, std::true_type{}) : f(interleaved{}, std::false_type{});
    } else {
      transposed ? f(half_split{}, std::true_type{}) : f(half_split{}, std::false_type{});
    }
  }

  /// The head norm of an operand's role fits its heads.
  template <class Op>
  void check_norm(const char* function, const Op& op) const {
    const std::ptrdiff_t head_dim = op.in.extent(Op::rank - 1);
    if (op.role == role::query) options_.query_norm.check(function, "query_norm", head_dim);
    if (op.role == role::key) options_.key_norm.check(function, "key_norm", head_dim);
  }

  template <class A>
  static void check_pair(const char*, const A&) {}
  template <class A, class B>
  static void check_pair(const char* function, const A& a, const B& b) {
    detail::check_operand_pair(function, a, detail::names_for(a), b, detail::names_for(b));
  }

  Source source_;
  rotary::pairing pairing_;
  rope_options options_;
  detail::slice_geometry geometry_{};
};

template <class A>
rope(A&&, pairing) -> rope<detail::held_angles_t<A&&>>;
template <class A>
rope(A&&, pairing, const rope_options&) -> rope<detail::held_angles_t<A&&>>;

/// The same as the constructor, for code that names the type.
template <class A>
rope<detail::held_angles_t<A&&>> make_rope(A&& angles, pairing p,
                                           const rope_options& options = {}) {
  return rope<detail::held_angles_t<A&&>>(std::forward<A>(angles), p, options);
}

ROTARY_ISA_NAMESPACE_END

namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN
/// For the library's free functions: a rope whose errors name `function`, and calls that
/// name it too.
struct rope_access {
  template <class A>
  static rope<held_angles_t<A&&>> make(const char* function, A&& angles, pairing p,
                                       const rope_options& options = {}) {
    return rope<held_angles_t<A&&>>(function, std::forward<A>(angles), p, options);
  }
  template <class Source, class... Args>
  static void call(const char* function, const rope<Source>& r, direction d, const Args&... args) {
    r.call(function, d, args...);
  }
};
ROTARY_ISA_NAMESPACE_END
}  // namespace detail

}  // namespace rotary
