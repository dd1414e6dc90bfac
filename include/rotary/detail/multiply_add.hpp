// SPDX-License-Identifier: MIT
#pragma once
/// detail::multiply_add(a, b, c) = a * b + c, rounded the same way in every build.

#include <cmath>

namespace rotary {
namespace detail {

/// a * b + c: one rounding where the target has hardware FMA (an explicit std::fma, one
/// instruction, so that every instantiation and every inlined copy rounds alike: left to
/// -ffp-contract, a * b + c was fused in some inlined copies and not in others), two
/// without (there std::fma would be a slow library call and nothing contracts a * b + c).
template <class T>
inline T multiply_add(T a, T b, T c) noexcept {
#if defined(__FP_FAST_FMA) || defined(__FMA__) || defined(__ARM_FEATURE_FMA)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

}  // namespace detail
}  // namespace rotary
