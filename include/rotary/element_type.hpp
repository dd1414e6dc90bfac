// SPDX-License-Identifier: MIT
#pragma once
/// The element types rotations read and write, and the type they compute in.
///
///   element        compute (and cos/sin table) type    stored as
///   float          float                               float
///   double         double                              double
///   bfloat16       float                               bfloat16 (storage.hpp)
///   float16        float                               float16  (IEEE binary16)
///
/// 16-bit data is widened to float exactly, rotated in float, and rounded once on store to
/// nearest even. A type joins by specializing element_traits (interop.hpp maps
/// Eigen::half, Eigen::bfloat16, _Float16 and __bf16 onto the 16-bit storage types). The
/// check is a static_assert, so an unsupported type fails to compile with that message.

#include <type_traits>

#include "storage.hpp"

namespace rotary {

template <class T>
struct element_traits {
  static constexpr bool supported = false;
};

template <>
struct element_traits<float> {
  static constexpr bool supported = true;
  using compute_type = float;  ///< arithmetic and cos/sin table type
  using storage_type = float;  ///< the type the kernels read and write
};

template <>
struct element_traits<double> {
  static constexpr bool supported = true;
  using compute_type = double;
  using storage_type = double;
};

template <>
struct element_traits<bfloat16> {
  static constexpr bool supported = true;
  using compute_type = float;
  using storage_type = bfloat16;
};

template <>
struct element_traits<float16> {
  static constexpr bool supported = true;
  using compute_type = float;
  using storage_type = float16;
};

/// The arithmetic type for element type T (const-ness ignored).
template <class T>
using compute_type_t = typename element_traits<std::remove_const_t<T>>::compute_type;

/// The storage type the kernels see for T, with T's const-ness.
template <class T>
using storage_type_t =
    std::conditional_t<std::is_const_v<T>,
                       const typename element_traits<std::remove_const_t<T>>::storage_type,
                       typename element_traits<std::remove_const_t<T>>::storage_type>;

template <class T>
constexpr void static_check_element_type() {
  static_assert(element_traits<std::remove_const_t<T>>::supported,
                "rotary: unsupported element type; supported are float, double, "
                "rotary::bfloat16 and rotary::float16 (and, with <rotary/interop.hpp>, "
                "Eigen::half, Eigen::bfloat16, _Float16, __bf16)");
}

}  // namespace rotary
