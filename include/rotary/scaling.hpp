// SPDX-License-Identifier: MIT
#pragma once
/// RoPE scaling schemes: frequency builders that return per-pair inverse frequencies (double)
/// and the attention factors (scaling/result.hpp), each matching HF transformers'
/// modeling_rope_utils.py evaluated in float64:
///   scaling::default_rope, linear, ntk, ntk_alpha, dynamic_ntk   scaling/uniform.hpp
///   scaling::yarn                                                 scaling/yarn.hpp
///   scaling::llama3                                               scaling/llama3.hpp
///   scaling::longrope                                             scaling/longrope.hpp
///   scaling::proportional                                         scaling/proportional.hpp
/// The frequencies go to any angle source:
///   auto f = rotary::scaling::yarn({.rotary_dim = 128, ...});    // C++20 designated init
///   rotary::cos_sin_table<float> table(f.inv_freq, 4096);
///   rotary::rope rope(table, rotary::pairing::half_split, {0, f.pair_distance});
/// Every builder checks its parameters and throws rotary::invalid_argument naming
/// "scaling::<builder>", the parameter and its value.

#include "scaling/llama3.hpp"
#include "scaling/longrope.hpp"
#include "scaling/proportional.hpp"
#include "scaling/result.hpp"
#include "scaling/uniform.hpp"
#include "scaling/yarn.hpp"
