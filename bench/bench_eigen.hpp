// SPDX-License-Identifier: MIT
#pragma once
/// Eigen/Dense (and Eigen/Sparse where present) for the benchmarks that compare with dense
/// and sparse matrix products. NOTE: as in include/rotary/attention/eigen.hpp, GCC 12
/// reports -Wmaybe-uninitialized (-Wuninitialized at -O1) inside its own avx512fintrin.h
/// when Eigen's AVX-512 GEMM packing is instantiated with -march=native
/// (_mm512_undefined_ps, GCC bug 105593); the false positive is silenced for Eigen's code.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <Eigen/Dense>
#if __has_include(<Eigen/Sparse>)
#include <Eigen/Sparse>
#define ROTARY_BENCH_EIGEN_SPARSE 1
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
