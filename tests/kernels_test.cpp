// SPDX-License-Identifier: MIT
// The heads kernels a call chooses between (detail/kernels.hpp), run side by side on the
// same data: the register path, the unrolled path reading its coefficients from memory,
// and the loop. They must agree bit for bit, in place and out of place, for every width
// the plan splits differently: whole vectors only, whole vectors + an overlapping last
// vector, and heads narrower than one vector (masked lanes). The rope-level tests compare
// the chosen kernel against the reference; this file pins the paths to each other.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <utility>
#include <vector>

#include "test_util.hpp"

namespace {

using rotary::pairing;
using namespace rotary::detail;

/// One token of `heads` heads: a head stride larger than the rotated width, so that the
/// untouched elements around each head show any store outside it.
template <class T>
struct token_data {
  std::ptrdiff_t heads, stride;
  std::vector<T> in, out;
  std::vector<typename rotary::element_traits<T>::compute_type> cos, sin, block;
};

template <class T>
token_data<T> make_token(std::ptrdiff_t pairs, std::ptrdiff_t heads, std::uint64_t seed) {
  using C = typename rotary::element_traits<T>::compute_type;
  token_data<T> d;
  d.heads = heads;
  d.stride = 2 * pairs + 5;  // both pairings rotate 2 pairs elements (distance = pairs)
  const auto values = rotary_test::random_vector<float>(static_cast<std::size_t>(heads * d.stride), seed);
  for (float v : values) d.in.push_back(T(v));
  d.out.assign(d.in.size(), T(0.25f));
  const auto angles = rotary_test::random_vector<double>(static_cast<std::size_t>(pairs), seed + 1, -3.0, 3.0);
  for (double a : angles) {
    d.cos.push_back(static_cast<C>(std::cos(a)));
    d.sin.push_back(static_cast<C>(std::sin(a)));
  }
  d.block.assign(static_cast<std::size_t>(4 * pairs), C(0));
  return d;
}

template <class T>
std::vector<unsigned char> bytes_of(const std::vector<T>& v) {
  std::vector<unsigned char> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

/// Runs `kernel` on a fresh copy of d, out of place (in_place = false) or in place.
template <class T, class C>
std::vector<unsigned char> run(heads_kernel<T, T, C> kernel, token_data<T> d, const head_plan& plan,
                               bool in_place) {
  T* out = in_place ? d.in.data() : d.out.data();
  const token_heads<T, T, C> t{d.in.data(), d.stride, out, d.stride, d.heads, d.cos.data(),
                              d.sin.data(), d.block.data()};
  kernel(token_run<T, T, C>{t, 1, 0, 0, 0}, plan);
  return bytes_of(in_place ? d.in : d.out);
}

/// For pairs = NV whole vectors + `extra` lanes' worth: every kernel that handles the plan
/// gives the same bytes as the loop (heads_reloaded).
template <class T, pairing P, bool Transpose, int NV>
void expect_paths_agree(std::ptrdiff_t pairs) {
  using C = typename rotary::element_traits<T>::compute_type;
  const head_plan plan = head_plan::make<P, C>(pairs, pairs);
  ASSERT_EQ(plan.whole, NV) << "pairs " << pairs;
  const bool masked_rest = plan.rest > 0 && !plan.overlap_rest;
  for (const std::ptrdiff_t heads : {1, 3, 9}) {
    const auto d = make_token<T>(pairs, heads, static_cast<std::uint64_t>(pairs * 31 + heads));
    for (const bool in_place : {false, true}) {
      SCOPED_TRACE(testing::Message() << "pairs " << pairs << " heads " << heads << " in_place "
                                      << in_place << " transpose " << Transpose);
      const auto loop = run<T, C>(&over_tokens<&heads_reloaded<P, Transpose, T, T, C>, T, T, C>, d, plan, in_place);
      const heads_kernel<T, T, C> in_registers =
          &over_tokens<&heads_in_registers<P, Transpose, NV, T, T, C>, T, T, C>;
      const heads_kernel<T, T, C> unrolled =
          &over_tokens<&heads_unrolled<P, Transpose, NV, T, T, C>, T, T, C>;
      const heads_kernel<T, T, C> chosen = choose_heads_kernel<P, Transpose, T, T, C>(plan);
      if (!masked_rest) {
        EXPECT_EQ((run<T, C>(in_registers, d, plan, in_place)), loop);
        EXPECT_EQ((run<T, C>(unrolled, d, plan, in_place)), loop);
      }
      EXPECT_EQ((run<T, C>(chosen, d, plan, in_place)), loop);
      // Untouched: the elements between heads (out of place: the initial 0.25s).
      const std::vector<T>& ref = in_place ? d.in : d.out;
      std::vector<T> after(ref.size());
      std::memcpy(after.data(), loop.data(), loop.size());
      const std::ptrdiff_t span = 2 * pairs;
      for (std::ptrdiff_t h = 0; h < heads; ++h) {
        for (std::ptrdiff_t e = span; e < d.stride && h * d.stride + e < static_cast<std::ptrdiff_t>(ref.size()); ++e) {
          const auto i = static_cast<std::size_t>(h * d.stride + e);
          EXPECT_EQ(std::memcmp(&after[i], &ref[i], sizeof(T)), 0) << "element " << i;
        }
      }
    }
  }
}

/// Widths around NV whole vectors: exactly NV, NV + an overlapping rest of 1 pair and of
/// most of a vector (the smallest and the largest overlap).
template <class T, pairing P, int... NV>
void expect_all_widths(std::integer_sequence<int, NV...>) {
  using C = typename rotary::element_traits<T>::compute_type;
  constexpr std::ptrdiff_t N = batch<C>::size;
  constexpr std::ptrdiff_t lanes_per_pair = P == pairing::interleaved ? 2 : 1;
  auto widths_of = [&](auto nv) {
    constexpr int V = decltype(nv)::value;
    std::vector<std::ptrdiff_t> pairs = {V * N / lanes_per_pair};
    if (N > lanes_per_pair) {
      pairs.push_back((V * N + lanes_per_pair) / lanes_per_pair);
      pairs.push_back((V * N + N - lanes_per_pair) / lanes_per_pair);
    }
    for (std::ptrdiff_t p : pairs) {
      expect_paths_agree<T, P, false, V>(p);
      expect_paths_agree<T, P, true, V>(p);
    }
  };
  (widths_of(std::integral_constant<int, NV>{}), ...);
}

template <class T, pairing P>
void expect_narrow_heads() {
  using C = typename rotary::element_traits<T>::compute_type;
  constexpr std::ptrdiff_t N = batch<C>::size;
  constexpr std::ptrdiff_t lanes_per_pair = P == pairing::interleaved ? 2 : 1;
  for (std::ptrdiff_t pairs = 1; pairs * lanes_per_pair < N; ++pairs) {
    expect_paths_agree<T, P, false, 0>(pairs);
    expect_paths_agree<T, P, true, 0>(pairs);
  }
}

template <class T>
void expect_all() {
  // Whole vectors around the register budget (8), the unrolled limit (16) and one past it.
  constexpr auto widths = std::integer_sequence<int, 1, 2, 3, 7, 8, 9, 15, 16, 17>{};
  expect_all_widths<T, pairing::half_split>(widths);
  expect_all_widths<T, pairing::interleaved>(widths);
  expect_narrow_heads<T, pairing::half_split>();
  expect_narrow_heads<T, pairing::interleaved>();
}

TEST(Kernels, PathsAgreeBitwiseFloat) { expect_all<float>(); }
TEST(Kernels, PathsAgreeBitwiseDouble) { expect_all<double>(); }
// 16-bit storage: the same kernels with widening loads and rounding stores (bfloat16 stands
// for both; storage_test pins the conversions themselves).
TEST(Kernels, PathsAgreeBitwiseBfloat16) { expect_all<rotary::bfloat16>(); }

}  // namespace
