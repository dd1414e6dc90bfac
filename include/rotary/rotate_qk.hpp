// SPDX-License-Identifier: MIT
#pragma once
/// Compatibility header: queries and keys together are now one rope call,
///   rope.forward(rotary::query(q), rotary::key(k), pos);
/// the rotate_qk free functions are deprecated.hpp's.

#include "deprecated.hpp"
