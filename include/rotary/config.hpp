// SPDX-License-Identifier: MIT
#pragma once
/// Build-time configuration of rotary.
///
///   ROTARY_NO_SIMD        use the portable scalar batch (no intrinsics) even where
///                         AVX-512, AVX2+FMA or NEON is enabled by the compiler flags.
///   ROTARY_NO_EXCEPTIONS  a failed check prints its message and calls std::abort().
///
/// The instruction set is chosen statically from the compiler's macros (__AVX512F__,
/// __AVX2__ + __FMA__, __ARM_NEON); there is no runtime dispatch.

// One inline namespace per instruction set. Every function whose code depends on the
// instruction set (the SIMD batch, the kernels and the public entry points that call them)
// is declared inside it, so two translation units built with different -march flags get
// differently mangled symbols and never share one definition (Highway's HWY_NAMESPACE idea).
#if defined(ROTARY_NO_SIMD)
#define ROTARY_ISA scalar
#elif defined(__AVX512F__)
#define ROTARY_ISA avx512
#elif defined(__AVX2__) && defined(__FMA__)
#define ROTARY_ISA avx2
#elif defined(__ARM_NEON) && defined(__aarch64__)
#define ROTARY_ISA neon
#else
#define ROTARY_ISA scalar
#endif

#define ROTARY_ISA_NAMESPACE_CONCAT2(a, b) a##b
#define ROTARY_ISA_NAMESPACE_CONCAT(a, b) ROTARY_ISA_NAMESPACE_CONCAT2(a, b)
#define ROTARY_ISA_NAMESPACE ROTARY_ISA_NAMESPACE_CONCAT(isa_, ROTARY_ISA)
#define ROTARY_ISA_NAMESPACE_BEGIN inline namespace ROTARY_ISA_NAMESPACE {
#define ROTARY_ISA_NAMESPACE_END }

#define ROTARY_STRINGIFY2(x) #x
#define ROTARY_STRINGIFY(x) ROTARY_STRINGIFY2(x)
