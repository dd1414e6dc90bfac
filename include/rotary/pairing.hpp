// SPDX-License-Identifier: MIT
#pragma once
/// The run-time choices of a rotation: which elements form the 2-D pairs (pairing), which
/// matrix is applied (direction), and what a tensor is to the attention (role).

namespace rotary {

/// Which elements of a head form the 2-D pairs that RoPE rotates.
enum class pairing {
  /// (x[2i], x[2i+1]): RoFormer eq. (34), GPT-J, ggml's NORMAL mode, Meta's LLaMA code.
  interleaved,
  /// (x[i], x[i + rotary_dim/2]): GPT-NeoX, HF transformers' rotate_half, ggml's NEOX mode.
  half_split,
  /// The old name of half_split (it reads as 16-bit storage); removed in the next release.
  half [[deprecated("rotary: pairing::half is now pairing::half_split")]] = half_split,
};

constexpr const char* to_string(pairing p) noexcept {
  return p == pairing::interleaved ? "interleaved" : "half_split";
}

/// Which matrix a rotation applies to each pair, R_m being RoFormer's eq. (13) rotation by
/// m * theta_i:
///   forward    y = R_m x        encode queries and keys;
///   transpose  y = R_m^T x      the backward pass: dL/dx = R_m^T dL/dy;
///   inverse    y = R_m^{-1} x   recover x from y (e.g. re-rotate a cached key).
/// For plain RoPE R_m is orthogonal and transpose == inverse. They stay distinct because a
/// scaled rotation (YaRN's attention factor a R_m) keeps the factor in its transpose and
/// divides by it in its inverse.
enum class direction { forward, transpose, inverse };

constexpr const char* to_string(direction d) noexcept {
  return d == direction::forward ? "forward" : d == direction::transpose ? "transpose" : "inverse";
}

/// What a rotated tensor is to the attention. Plain RoPE treats queries and keys alike;
/// role-specific schemes (a query temperature, xPos's opposite scales on q and k) read it.
enum class role { unspecified, query, key };

}  // namespace rotary
