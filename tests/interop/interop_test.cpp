// Eigen's and the compiler's 16-bit types rotate exactly like rotary's own storage types.
#include <Eigen/Core>
#include <gtest/gtest.h>

#include <cstring>
#include <rotary/rotary.hpp>
#include <rotary/interop.hpp>
#include <vector>

namespace {

const rotary::cos_sin_table<float> table(48, 64);

/// The rope both paths use: rotary_dim 48 at offset 8 of head_dim 64.
auto test_rope(rotary::pairing p) {
  rotary::rope_options options;
  options.rotary_offset = 8;
  return rotary::rope(table, p, options);
}

/// values stored as T, through T's own conversion from float.
template <class T>
std::vector<T> stored_as(const std::vector<float>& values) {
  std::vector<T> x(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) x[i] = static_cast<T>(values[i]);
  return x;
}

/// Rotates values stored as T and returns the raw bits of the result.
template <class T>
std::vector<std::uint16_t> rotate_as(const std::vector<float>& values, rotary::pairing p) {
  const std::vector<T> x = stored_as<T>(values);
  const auto r = test_rope(p);
  std::vector<T> y(x.size());
  r.forward(rotary::tensor_view<const T, 3>(x.data(), {3, 4, 64}),
            rotary::tensor_view<T, 3>(y.data(), {3, 4, 64}), rotary::positions::from_offset(40));
  std::vector<std::uint16_t> bits(y.size());
  std::memcpy(bits.data(), static_cast<const void*>(y.data()), y.size() * 2);
  return bits;
}

/// The same rotation by rotate_reference, which converts through T's own operators.
template <class T>
std::vector<float> reference_as(const std::vector<float>& values, rotary::pairing p) {
  const std::vector<T> x = stored_as<T>(values);
  const auto r = test_rope(p);
  std::vector<T> y(x.size());
  rotary::rotate_reference(r, rotary::direction::forward,
                           rotary::tensor_view<const T, 3>(x.data(), {3, 4, 64}),
                           rotary::tensor_view<T, 3>(y.data(), {3, 4, 64}),
                           rotary::positions::from_offset(40));
  std::vector<float> out(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) out[i] = static_cast<float>(y[i]);
  return out;
}

std::vector<float> sample_values() {
  std::vector<float> v(3 * 4 * 64);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.91f * static_cast<float>(i)) * 3;
  return v;
}

template <class T, class Rotary>
void expect_same_as_rotary_type() {
  const std::vector<float> v = sample_values();
  for (rotary::pairing p : {rotary::pairing::interleaved, rotary::pairing::half_split}) {
    EXPECT_EQ(rotate_as<T>(v, p), rotate_as<Rotary>(v, p)) << rotary::to_string(p);
    const std::vector<float> ref = reference_as<T>(v, p);
    const std::vector<std::uint16_t> fast = rotate_as<T>(v, p);
    for (std::size_t i = 0; i < ref.size(); ++i) {
      T t;
      std::memcpy(static_cast<void*>(&t), &fast[i], 2);
      EXPECT_NEAR(static_cast<float>(t), ref[i], std::abs(ref[i]) * 0.01f + 1e-6f) << i;
    }
  }
}

TEST(Interop, EigenHalfIsFloat16) { expect_same_as_rotary_type<Eigen::half, rotary::float16>(); }
TEST(Interop, EigenBfloat16IsBfloat16) {
  expect_same_as_rotary_type<Eigen::bfloat16, rotary::bfloat16>();
}
#if defined(__FLT16_MAX__)
TEST(Interop, Float16TypeIsFloat16) { expect_same_as_rotary_type<_Float16, rotary::float16>(); }
#endif
#if defined(__BFLT16_MAX__)
TEST(Interop, Bf16TypeIsBfloat16) { expect_same_as_rotary_type<__bf16, rotary::bfloat16>(); }
#endif

}  // namespace
