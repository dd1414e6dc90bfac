// SPDX-License-Identifier: MIT
#pragma once
/// Element types the kernels accept, and the type they compute in.
/// A type is supported when element_traits<T> is specialized; float and double today,
/// 16-bit storage types later (they will compute in float). The check is a static_assert,
/// not std::is_floating_point, so that library-defined storage types can join.

#include <type_traits>

namespace rotary {

template <class T>
struct element_traits {
  static constexpr bool supported = false;
};

template <>
struct element_traits<float> {
  static constexpr bool supported = true;
  using compute_type = float;  ///< arithmetic and cos/sin table type
};

template <>
struct element_traits<double> {
  static constexpr bool supported = true;
  using compute_type = double;
};

/// The arithmetic type for element type T (const-ness ignored).
template <class T>
using compute_type_t = typename element_traits<std::remove_const_t<T>>::compute_type;

template <class T>
constexpr void static_check_element_type() {
  static_assert(element_traits<std::remove_const_t<T>>::supported,
                "rotary: unsupported element type; supported are float and double");
}

}  // namespace rotary
