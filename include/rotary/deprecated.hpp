// SPDX-License-Identifier: MIT
#pragma once
/// The entry points of rotary 0.1, kept for one release as thin [[deprecated]] forwarders
/// to the rope object (rope.hpp). README.md maps each to its replacement.
///
///   rotate_transpose<P>, unrotate<P>              rope.transpose / rope.inverse
///   rotate(p, ...), rotate_transpose(p, ...), unrotate(p, ...), rotate_qk(p, ...)
///                                                 a rope with run-time pairing p
///   rotate<P>(execution, ...) and the others      rope_options::execution
///   rotate_qk<P>, rotate_qk_transpose<P>          rope.forward(query(q), key(k), pos)
///   rank-4 calls with batch_positions             rank-4 views with positions
///   batch_positions                               positions (from_offset, from_starts,
///                                                 from_ids)
///   pairing::half                                 pairing::half_split

#include <cstddef>
#include <cstdint>
#include <utility>

#include "execution.hpp"
#include "operand.hpp"
#include "positions.hpp"
#include "rope.hpp"
#include "rotate.hpp"
#include "view.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

namespace rotary {

/// Positions of a batch of sequences [batch][seq]; now positions itself.
class [[deprecated(
    "rotary: use rotary::positions (from_offset, from_starts, from_ids)")]] batch_positions {
 public:
  static batch_positions from_offset(std::int64_t offset = 0) {
    return batch_positions(positions::from_offset(offset));
  }
  template <class Int>
  static batch_positions from_starts(const Int* starts, std::ptrdiff_t count) {
    return batch_positions(positions::from_starts(starts, count));
  }
  template <class Int>
  static batch_positions from_ids(const Int* ids, std::ptrdiff_t count) {
    return batch_positions(positions::from_ids(ids, count));
  }
  const positions& get() const noexcept { return pos_; }

 private:
  explicit batch_positions(const positions& p) : pos_(p) {}
  positions pos_;
};

namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN
/// One old call: a rope with the call's parameters, the call's name in its errors.
template <pairing P, class Angles, class... Args>
void old_call(const char* function, direction d, const execution& ex, const Angles& angles,
              std::ptrdiff_t rotary_offset, const Args&... args) {
  rope_options options;
  options.rotary_offset = rotary_offset;
  options.execution = ex;
  const auto r = rope_access::make(function, angles, P, options);
  rope_access::call(function, r, d, args...);
}
ROTARY_ISA_NAMESPACE_END
}  // namespace detail

ROTARY_ISA_NAMESPACE_BEGIN

#define ROTARY_OLD(what) [[deprecated("rotary: " what " (see README.md, Migration)")]]

// ---- rank 3, one thread ------------------------------------------------------------------
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use rope.transpose(x, pos)")
void rotate_transpose(tensor_view<T, 3> x, const Angles& angles, const positions& pos,
                      std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate_transpose", direction::transpose, {}, angles, rotary_offset, x, pos);
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use rope.transpose(in, out, pos)")
void rotate_transpose(tensor_view<In, 3> in, tensor_view<T, 3> out, const Angles& angles,
                      const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate_transpose", direction::transpose, {}, angles, rotary_offset, in, out,
                      pos);
}
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use rope.inverse(x, pos)")
void unrotate(tensor_view<T, 3> x, const Angles& angles, const positions& pos,
              std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("unrotate", direction::inverse, {}, angles, rotary_offset, x, pos);
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use rope.inverse(in, out, pos)")
void unrotate(tensor_view<In, 3> in, tensor_view<T, 3> out, const Angles& angles,
              const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("unrotate", direction::inverse, {}, angles, rotary_offset, in, out, pos);
}

// ---- q and k -----------------------------------------------------------------------------
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use rope.forward(query(q), key(k), pos)")
void rotate_qk(tensor_view<T, 3> q, tensor_view<T, 3> k, const Angles& angles, const positions& pos,
               std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate_qk", direction::forward, {}, angles, rotary_offset, query(q), key(k),
                      pos);
}
template <pairing P, class QIn, class T, class KIn, class Angles,
          detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use rope.forward(query(q_in, q_out), key(k_in, k_out), pos)")
void rotate_qk(tensor_view<QIn, 3> q_in, tensor_view<T, 3> q_out, tensor_view<KIn, 3> k_in,
               tensor_view<T, 3> k_out, const Angles& angles, const positions& pos,
               std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate_qk", direction::forward, {}, angles, rotary_offset,
                      query(q_in, q_out), key(k_in, k_out), pos);
}
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use rope.transpose(query(q), key(k), pos)")
void rotate_qk_transpose(tensor_view<T, 3> q, tensor_view<T, 3> k, const Angles& angles,
                         const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate_qk_transpose", direction::transpose, {}, angles, rotary_offset,
                      query(q), key(k), pos);
}

// ---- threads -----------------------------------------------------------------------------
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use a rope with rope_options::execution")
void rotate(const execution& ex, tensor_view<T, 3> x, const Angles& angles, const positions& pos,
            std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate", direction::forward, ex, angles, rotary_offset, x, pos);
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use a rope with rope_options::execution")
void rotate(const execution& ex, tensor_view<In, 3> in, tensor_view<T, 3> out, const Angles& angles,
            const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate", direction::forward, ex, angles, rotary_offset, in, out, pos);
}
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use a rope with rope_options::execution")
void rotate_transpose(const execution& ex, tensor_view<T, 3> x, const Angles& angles,
                      const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate_transpose", direction::transpose, ex, angles, rotary_offset, x, pos);
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use a rope with rope_options::execution")
void rotate_transpose(const execution& ex, tensor_view<In, 3> in, tensor_view<T, 3> out,
                      const Angles& angles, const positions& pos,
                      std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate_transpose", direction::transpose, ex, angles, rotary_offset, in, out,
                      pos);
}
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use a rope with rope_options::execution")
void unrotate(const execution& ex, tensor_view<T, 3> x, const Angles& angles, const positions& pos,
              std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("unrotate", direction::inverse, ex, angles, rotary_offset, x, pos);
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use a rope with rope_options::execution")
void unrotate(const execution& ex, tensor_view<In, 3> in, tensor_view<T, 3> out,
              const Angles& angles, const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("unrotate", direction::inverse, ex, angles, rotary_offset, in, out, pos);
}
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use a rope with rope_options::execution")
void rotate_qk(const execution& ex, tensor_view<T, 3> q, tensor_view<T, 3> k, const Angles& angles,
               const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate_qk", direction::forward, ex, angles, rotary_offset, query(q), key(k),
                      pos);
}
template <pairing P, class QIn, class T, class KIn, class Angles,
          detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use a rope with rope_options::execution")
void rotate_qk(const execution& ex, tensor_view<QIn, 3> q_in, tensor_view<T, 3> q_out,
               tensor_view<KIn, 3> k_in, tensor_view<T, 3> k_out, const Angles& angles,
               const positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate_qk", direction::forward, ex, angles, rotary_offset,
                      query(q_in, q_out), key(k_in, k_out), pos);
}

// ---- rank 4 with batch_positions ---------------------------------------------------------
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use rotate<P>(x4, angles, positions) or a rope")
void rotate(tensor_view<T, 4> x, const Angles& angles, const batch_positions& pos,
            std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate", direction::forward, {}, angles, rotary_offset, x, pos.get());
}
template <pairing P, class In, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use rotate<P>(in4, out4, angles, positions) or a rope")
void rotate(tensor_view<In, 4> in, tensor_view<T, 4> out, const Angles& angles,
            const batch_positions& pos, std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate", direction::forward, {}, angles, rotary_offset, in, out, pos.get());
}
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use rope.transpose(x4, positions)")
void rotate_transpose(tensor_view<T, 4> x, const Angles& angles, const batch_positions& pos,
                      std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("rotate_transpose", direction::transpose, {}, angles, rotary_offset, x,
                      pos.get());
}
template <pairing P, class T, class Angles, detail::enable_if_angles<Angles> = 0>
ROTARY_OLD("use rope.inverse(x4, positions)")
void unrotate(tensor_view<T, 4> x, const Angles& angles, const batch_positions& pos,
              std::ptrdiff_t rotary_offset = 0) {
  detail::old_call<P>("unrotate", direction::inverse, {}, angles, rotary_offset, x, pos.get());
}

// ---- run-time pairing --------------------------------------------------------------------
template <class... Args>
ROTARY_OLD("use a rope: rope(angles, p, options).forward(...)")
void rotate(pairing p, Args&&... args) {
  p == pairing::interleaved ? rotate<pairing::interleaved>(std::forward<Args>(args)...)
                            : rotate<pairing::half_split>(std::forward<Args>(args)...);
}
template <class... Args>
ROTARY_OLD("use a rope: rope(angles, p, options).transpose(...)")
void rotate_transpose(pairing p, Args&&... args) {
  p == pairing::interleaved ? rotate_transpose<pairing::interleaved>(std::forward<Args>(args)...)
                            : rotate_transpose<pairing::half_split>(std::forward<Args>(args)...);
}
template <class... Args>
ROTARY_OLD("use a rope: rope(angles, p, options).inverse(...)")
void unrotate(pairing p, Args&&... args) {
  p == pairing::interleaved ? unrotate<pairing::interleaved>(std::forward<Args>(args)...)
                            : unrotate<pairing::half_split>(std::forward<Args>(args)...);
}
template <class... Args>
ROTARY_OLD("use a rope: rope(angles, p, options).forward(query(q), key(k), pos)")
void rotate_qk(pairing p, Args&&... args) {
  p == pairing::interleaved ? rotate_qk<pairing::interleaved>(std::forward<Args>(args)...)
                            : rotate_qk<pairing::half_split>(std::forward<Args>(args)...);
}

#undef ROTARY_OLD

ROTARY_ISA_NAMESPACE_END
}  // namespace rotary

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
