// SPDX-License-Identifier: MIT
#pragma once
/// AArch64 NEON specializations of detail::batch (4 floats, 2 doubles). NEON has no
/// masked loads, so tails go through a small stack buffer.
/// CI cross-builds the core suite for AArch64 and runs it under qemu-user (.ci/aarch64).

#include <arm_neon.h>

#include "batch.hpp"

namespace rotary {
namespace detail {
ROTARY_ISA_NAMESPACE_BEGIN

template <>
struct batch<float> {
  static constexpr std::ptrdiff_t size = 4;
  float32x4_t v;

  static batch load(const float* p) noexcept { return {vld1q_f32(p)}; }
  static batch load_partial(const float* p, std::ptrdiff_t n) noexcept {
    float tmp[4] = {0, 0, 0, 0};
    std::memcpy(tmp, p, static_cast<std::size_t>(n) * sizeof(float));
    return load(tmp);
  }
  void store(float* p) const noexcept { vst1q_f32(p, v); }
  void store_partial(float* p, std::ptrdiff_t n) const noexcept {
    float tmp[4];
    store(tmp);
    std::memcpy(p, tmp, static_cast<std::size_t>(n) * sizeof(float));
  }
  friend batch operator*(batch a, batch b) noexcept { return {vmulq_f32(a.v, b.v)}; }
  friend batch fma(batch a, batch b, batch c) noexcept { return {vfmaq_f32(c.v, a.v, b.v)}; }
  friend batch fnma(batch a, batch b, batch c) noexcept { return {vfmsq_f32(c.v, a.v, b.v)}; }
  static batch load_dup(const float* p) noexcept {
    const float32x2_t two = vld1_f32(p);
    return {vcombine_f32(vzip1_f32(two, two), vzip2_f32(two, two))};
  }
  friend batch negate_even_lanes(batch x) noexcept {
    const float32x4_t sign = {-1.0f, 1.0f, -1.0f, 1.0f};
    return {vmulq_f32(x.v, sign)};
  }
  friend batch negate_odd_lanes(batch x) noexcept {
    const float32x4_t sign = {1.0f, -1.0f, 1.0f, -1.0f};
    return {vmulq_f32(x.v, sign)};
  }
  friend batch swap_pairs(batch x) noexcept { return {vrev64q_f32(x.v)}; }
};

template <>
struct batch<double> {
  static constexpr std::ptrdiff_t size = 2;
  float64x2_t v;

  static batch load(const double* p) noexcept { return {vld1q_f64(p)}; }
  static batch load_partial(const double* p, std::ptrdiff_t n) noexcept {
    double tmp[2] = {0, 0};
    std::memcpy(tmp, p, static_cast<std::size_t>(n) * sizeof(double));
    return load(tmp);
  }
  void store(double* p) const noexcept { vst1q_f64(p, v); }
  void store_partial(double* p, std::ptrdiff_t n) const noexcept {
    double tmp[2];
    store(tmp);
    std::memcpy(p, tmp, static_cast<std::size_t>(n) * sizeof(double));
  }
  friend batch operator*(batch a, batch b) noexcept { return {vmulq_f64(a.v, b.v)}; }
  friend batch fma(batch a, batch b, batch c) noexcept { return {vfmaq_f64(c.v, a.v, b.v)}; }
  friend batch fnma(batch a, batch b, batch c) noexcept { return {vfmsq_f64(c.v, a.v, b.v)}; }
  static batch load_dup(const double* p) noexcept { return {vld1q_dup_f64(p)}; }
  friend batch negate_even_lanes(batch x) noexcept {
    const float64x2_t sign = {-1.0, 1.0};
    return {vmulq_f64(x.v, sign)};
  }
  friend batch negate_odd_lanes(batch x) noexcept {
    const float64x2_t sign = {1.0, -1.0};
    return {vmulq_f64(x.v, sign)};
  }
  friend batch swap_pairs(batch x) noexcept { return {vextq_f64(x.v, x.v, 1)}; }
};

ROTARY_ISA_NAMESPACE_END
}  // namespace detail
}  // namespace rotary
