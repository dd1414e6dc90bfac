// SPDX-License-Identifier: MIT
#pragma once
/// Includes Eigen/Core for the attention headers.
/// NOTE: GCC 12 reports -Wmaybe-uninitialized (-Wuninitialized at -O1) inside its own
/// avx512fintrin.h (_mm512_undefined_pd, GCC bug 105593) when Eigen's AVX-512 GEMM packing
/// is instantiated with -march=native; the warning is a false positive, silenced for
/// Eigen's code only.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <Eigen/Core>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
