// rotary: header-only Rotary Position Embedding (RoPE) kernels.
// SPDX-License-Identifier: MIT
#pragma once

/// Library version; CMakeLists.txt reads these three lines.
#define ROTARY_VERSION_MAJOR 0
#define ROTARY_VERSION_MINOR 1
#define ROTARY_VERSION_PATCH 0

#define ROTARY_VERSION \
  (ROTARY_VERSION_MAJOR * 10000 + ROTARY_VERSION_MINOR * 100 + ROTARY_VERSION_PATCH)
