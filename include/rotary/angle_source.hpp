// SPDX-License-Identifier: MIT
#pragma once
/// What a rope object reads its cos/sin from: an angle source.
///
/// An angle source is a class S with
///   using value_type = C;                               // float or double: the compute type
///   std::ptrdiff_t rotary_dim() const;                  // 2 x the number of pairs
///   void check_position_range(const char* function, std::int64_t lo, std::int64_t hi) const;
///                                                       // throws for positions it lacks
///   R make_reader() const;                              // taken once per call
/// where the reader R has
///   void coefficients(std::int64_t m, C* scratch, const C*& cos, const C*& sin) const noexcept;
/// pointing cos and sin at the rotary_dim/2 values cos(m theta_i), sin(m theta_i) (in a
/// table row, or computed into scratch[0, rotary_dim)). The library's sources:
/// cos_sin_table (owning), cos_sin_view (a caller's cache), on_the_fly_angles (no table),
/// multi_axis_angles (several position axes; its reader has coefficients_run(pos, t, n, m,
/// scratch, cos, sin, row_stride) instead, called per run of up to max_run_tokens tokens with
/// the call's positions: detail/driver.hpp).
/// A new scheme (scaled frequencies, several position axes, ...) is a new angle source.
///
/// angles_ref<S> refers to a source the caller owns: a rope built from a named table keeps
/// a reference (so one table serves every layer, and grow() between calls is safe because
/// the reader is taken per call); the table must outlive the rope.

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace rotary {

template <class S>
class angles_ref {
 public:
  using value_type = typename S::value_type;
  using source_type = S;

  explicit angles_ref(const S& source) noexcept : source_(&source) {}

  std::ptrdiff_t rotary_dim() const { return source_->rotary_dim(); }
  void check_position_range(const char* function, std::int64_t lo, std::int64_t hi) const {
    source_->check_position_range(function, lo, hi);
  }
  decltype(auto) make_reader() const { return source_->make_reader(); }
  const S& get() const noexcept { return *source_; }

 private:
  const S* source_;
};

namespace detail {

template <class S, class = void>
struct is_angle_source : std::false_type {};
template <class S>
struct is_angle_source<
    S, std::void_t<typename S::value_type, decltype(std::declval<const S&>().rotary_dim()),
                   decltype(std::declval<const S&>().check_position_range("", std::int64_t{},
                                                                          std::int64_t{})),
                   decltype(std::declval<const S&>().make_reader())>> : std::true_type {};

template <class S>
constexpr void static_check_angle_source() {
  static_assert(is_angle_source<S>::value,
                "rotary: not an angle source (a cos_sin_table, cos_sin_view, on_the_fly_angles, "
                "or a class with value_type, rotary_dim(), check_position_range() and "
                "make_reader(); see angle_source.hpp)");
}

/// The cos/sin factor A a source builds into its cos and sin (a scaling scheme's
/// attention_factor: cos_sin_table, on_the_fly_angles); 1 for sources without one.
template <class S, class = void>
struct has_attention_factor : std::false_type {};
template <class S>
struct has_attention_factor<S, std::void_t<decltype(std::declval<const S&>().attention_factor())>>
    : std::true_type {};
template <class S>
double attention_factor_of(const S& s) noexcept {
  if constexpr (has_attention_factor<S>::value) {
    return s.attention_factor();
  } else {
    return 1.0;
  }
}
template <class S>
double attention_factor_of(const angles_ref<S>& r) noexcept {
  return attention_factor_of(r.get());
}

/// Multi-axis sources (multi_axis_angles) have axes(): the position axes their map reads.
/// A rope over one takes multi-axis positions; a rope over any other source rejects them.
template <class S, class = void>
struct has_axes : std::false_type {};
template <class S>
struct has_axes<S, std::void_t<decltype(std::declval<const S&>().axes())>> : std::true_type {};
template <class S>
struct has_axes<angles_ref<S>> : has_axes<S> {};
template <class S>
std::ptrdiff_t axes_of(const S& s) {
  if constexpr (has_axes<S>::value) {
    return s.axes();
  } else {
    return 1;
  }
}
template <class S>
std::ptrdiff_t axes_of(const angles_ref<S>& r) {
  return axes_of(r.get());
}

/// Sources that are themselves cheap views (copied, never referenced): specialize to true.
template <class S>
struct is_angle_view : std::false_type {};
template <class S>
struct is_angle_view<angles_ref<S>> : std::true_type {};

/// The type a rope holds for an angle argument of type A (as forwarded): a reference to a
/// named (lvalue) source, the object itself for a temporary (moved in) or a view.
template <class A, class S = std::remove_cv_t<std::remove_reference_t<A>>>
using held_angles_t =
    std::conditional_t<std::is_lvalue_reference_v<A> && !is_angle_view<S>::value, angles_ref<S>, S>;

}  // namespace detail
}  // namespace rotary
