// SPDX-License-Identifier: MIT
#pragma once
/// Which elements of a head form the 2-D pairs that RoPE rotates.

namespace rotary {

enum class pairing {
  /// (x[2i], x[2i+1]): RoFormer eq. (34), GPT-J, ggml's NORMAL mode, Meta's LLaMA code.
  interleaved,
  /// (x[i], x[i + rotary_dim/2]): GPT-NeoX, HF transformers' rotate_half, ggml's NEOX mode.
  half,
};

constexpr const char* to_string(pairing p) noexcept {
  return p == pairing::interleaved ? "interleaved" : "half";
}

}  // namespace rotary
