// SPDX-License-Identifier: MIT
#pragma once
/// Other libraries' and compilers' 16-bit types as rotary element types. Not included by
/// <rotary/rotary.hpp>: include it after the headers that define the types you use.
///
///   Eigen::half       -> stored as rotary::float16   (Eigen 3.3+: include <Eigen/Core> first)
///   Eigen::bfloat16   -> stored as rotary::bfloat16  (Eigen 3.4+)
///   _Float16          -> stored as rotary::float16   (where the compiler has it)
///   __bf16            -> stored as rotary::bfloat16  (where the compiler has it as a type
///                        that converts to and from float: GCC 13+)
///
/// Each is bit-compatible with the rotary type it maps to (static_assert). The kernels read
/// and write such data through the rotary type's conversions (memcpy and intrinsics, never
/// through a dereferenced rotary::float16), so the results are bitwise those of the rotary
/// type; rotate_reference converts through the type's own operators.

#include <cstdint>
#include <type_traits>

#include "element_type.hpp"

namespace rotary {
namespace detail {
template <class T, class Storage>
struct storage16_traits {
  static_assert(sizeof(T) == 2 && sizeof(Storage) == 2 && std::is_trivially_copyable_v<T>,
                "rotary/interop.hpp: a 16-bit type must be 2 trivially copyable bytes");
  static constexpr bool supported = true;
  using compute_type = float;
  using storage_type = Storage;
};
}  // namespace detail

#if defined(EIGEN_WORLD_VERSION)
template <>
struct element_traits<Eigen::half> : detail::storage16_traits<Eigen::half, float16> {};
#if EIGEN_VERSION_AT_LEAST(3, 4, 0)
template <>
struct element_traits<Eigen::bfloat16> : detail::storage16_traits<Eigen::bfloat16, bfloat16> {};
#endif
#endif

#if defined(__FLT16_MAX__)
template <>
struct element_traits<_Float16> : detail::storage16_traits<_Float16, float16> {};
#endif

#if defined(__BFLT16_MAX__)
template <>
struct element_traits<__bf16> : detail::storage16_traits<__bf16, bfloat16> {};
#endif

}  // namespace rotary
