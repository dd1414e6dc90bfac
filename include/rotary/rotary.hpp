// SPDX-License-Identifier: MIT
#pragma once
/// rotary: header-only Rotary Position Embedding (RoPE) kernels.
/// Su et al., "RoFormer: Enhanced Transformer with Rotary Position Embedding",
/// arXiv:2104.09864. Everything that needs only the standard library.

#include "version.hpp"
#include "config.hpp"
#include "error.hpp"
#include "element_type.hpp"
#include "pairing.hpp"
#include "view.hpp"
#include "frequencies.hpp"
#include "scaling.hpp"
#include "gguf.hpp"
#include "angles.hpp"
#include "table.hpp"
#include "positions.hpp"
#include "operand.hpp"
#include "execution.hpp"
#include "rotate.hpp"
#include "rope.hpp"
#include "query_scale.hpp"
#include "scale_queries.hpp"
#include "rotate_qk.hpp"
#include "layouts.hpp"
#include "permute.hpp"
#include "parallel.hpp"
#include "deprecated.hpp"
#include "reference.hpp"
#include "encodings/sinusoidal.hpp"
#include "encodings/learned.hpp"
#include "encodings/relative_bias.hpp"
#include "decay.hpp"
