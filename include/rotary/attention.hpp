// SPDX-License-Identifier: MIT
#pragma once
/// rotary attention: reference attention with RoPE and the encodings it is compared with.
/// Needs Eigen 3.3+ (link rotary::attention); rotary.hpp does not include it.
///
///   scaled_dot_product_attention(q, k, v, out, options)        softmax(QK^T/sqrt(d)+B)V
///   attention_with_positions(hook, q, q_pos, k, k_pos, v, out) the same, positions via a
///       hook: no_position_hook, rope_hook, absolute_hook, relative_bias_hook
///   kv_cache<T> + attend_to_cache(q, cache, out)               incremental decoding,
///       context shift by re-rotation
///   linear_attention<P>(q, q_pos, k, k_pos, v, out, angles)    RoFormer eq. (19)

#include "attention/kv_cache.hpp"
#include "attention/linear_attention.hpp"
#include "attention/position_hooks.hpp"
#include "attention/sdpa.hpp"
#include "rotary.hpp"
