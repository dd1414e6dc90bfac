// SPDX-License-Identifier: MIT
#pragma once
/// shift_axes: moves cached keys of multi-axis RoPE along its position axes, in place.
///
/// Keys rotated at positions (p_0, p_1, ...) become keys rotated at (p_0 + d_0, p_1 + d_1,
/// ...) without the unrotated keys: by RoFormer eq. (16), R(a) R(b) = R(a + b), so pair i
/// of every key is rotated once more by d_{axis(i)} theta_i. A context shift that drops the
/// first n tokens of an M-RoPE cache moves the rest by d = (-n, -n, -n) (every axis: text
/// tokens sit at equal positions on all three); a shift of the time axis alone (a video
/// clip moved in time) is d = (delta, 0, 0). The pairs of an axis with d_k = 0 are left as
/// they are (rotated by the angle 0: cos 1, sin 0, exact for finite keys).
///
///   rotary::shift_axes(cache_keys, map, {-n, -n, -n}, rotary::pairing::half_split);
///
/// The angles are cos and sin of the exact products d_k theta_i (any int64 d_k, negative
/// included), rounded once: one shift costs one rounding of the stored keys.
///
/// fixed_angles: the angle source behind it, one cos/sin row for every token (any
/// position): a rope over it rotates every token by the same angles.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "axis_map.hpp"
#include "config.hpp"
#include "detail/exact_angle.hpp"
#include "error.hpp"
#include "operand.hpp"
#include "pairing.hpp"
#include "positions.hpp"
#include "rope.hpp"
#include "view.hpp"

namespace rotary {

/// One cos/sin row, the same for every token: cos[i], sin[i] for pair i. A cheap view
/// reads it (row stride 0), so a whole sequence is one kernel run.
template <class C>
class fixed_angles {
  static_assert(std::is_same_v<C, float> || std::is_same_v<C, double>,
                "fixed_angles: C must be float or double");

 public:
  using value_type = C;

  struct reader {
    const C* row;
    std::ptrdiff_t half;
    std::ptrdiff_t rows() const noexcept { return std::numeric_limits<std::ptrdiff_t>::max(); }
    std::ptrdiff_t row_stride() const noexcept { return 0; }
    void coefficients(std::int64_t, C*, const C*& cos, const C*& sin) const noexcept {
      cos = row;
      sin = row + half;
    }
  };

  /// Pair i rotated by the angle whose cosine is cos[i] and sine sin[i]. Throws
  /// rotary::invalid_argument for lengths that differ or are 0.
  fixed_angles(const std::vector<C>& cos, const std::vector<C>& sin) : row_(cos) {
    ROTARY_CHECK(!cos.empty() && cos.size() == sin.size(),
                 "fixed_angles: cos and sin must have "
                 "the same non-zero length, got ",
                 cos.size(), " and ", sin.size());
    detail::check_rotary_dim("fixed_angles", 2 * static_cast<std::ptrdiff_t>(cos.size()));
    row_.insert(row_.end(), sin.begin(), sin.end());
  }

  std::ptrdiff_t rotary_dim() const noexcept { return static_cast<std::ptrdiff_t>(row_.size()); }
  /// Every position reads the same row.
  void check_position_range(const char*, std::int64_t, std::int64_t) const noexcept {}
  reader make_reader() const noexcept { return {row_.data(), rotary_dim() / 2}; }

 private:
  std::vector<C> row_;  ///< [cos_0 .. cos_{h-1} | sin_0 .. sin_{h-1}]
};

// NOTE: in the ISA's inline namespace, like rope (config.hpp).
ROTARY_ISA_NAMESPACE_BEGIN
/// Moves keys [tokens][heads][head_dim] (rotated with a multi_axis_angles of `map`) by
/// deltas[k] on axis k, in place. options as for a rope (rotary_offset, execution; no
/// query_scale). Throws rotary::invalid_argument, naming "shift_axes", for a deltas count
/// other than map.axes(), and as a rope call does for the view, before anything is written.
template <class T>
void shift_axes(tensor_view<T, 3> keys, const axis_map& map,
                const std::vector<std::int64_t>& deltas, pairing pairing_kind,
                rope_options options = {}) {
  static_assert(!std::is_const_v<T>, "shift_axes: keys are rotated in place");
  using C = compute_type_t<T>;
  ROTARY_CHECK(static_cast<std::ptrdiff_t>(deltas.size()) == map.axes(),
               "shift_axes: ", deltas.size(), " deltas for an axis map of ", map.axes(), " axes");
  ROTARY_CHECK(!options.query_scale.active(), "shift_axes: keys take no query_scale");
  const std::ptrdiff_t half = map.pairs();
  std::vector<C> cos(static_cast<std::size_t>(half)), sin(static_cast<std::size_t>(half));
  for (std::ptrdiff_t i = 0; i < half; ++i) {
    const auto [c, s] = detail::exact_cos_sin(deltas[static_cast<std::size_t>(map.axis(i))],
                                              detail::frequency_turns_of(map.frequency(i)));
    cos[static_cast<std::size_t>(i)] = static_cast<C>(c);
    sin[static_cast<std::size_t>(i)] = static_cast<C>(s);
  }
  const auto r =
      detail::rope_access::make("shift_axes", fixed_angles<C>(cos, sin), pairing_kind, options);
  detail::rope_access::call("shift_axes", r, direction::forward, key(keys),
                            positions::from_offset(0));
}
ROTARY_ISA_NAMESPACE_END

}  // namespace rotary
