// SPDX-License-Identifier: MIT
#pragma once
/// Compatibility header: execution now lives in execution.hpp and is a rope option
/// (rope_options::execution); the threaded free functions are deprecated.hpp's.

#include "deprecated.hpp"
#include "execution.hpp"
