// Built with ROTARY_NO_SIMD (and -mfma where available: the scalar batch then fuses like the
// SIMD ones, which makes its results bitwise those of every SIMD build).
#include "odr_isa.hpp"
#include "odr_tu.inc"

std::string isa_of_scalar_tu() { return rotary::simd_instruction_set(); }
std::vector<float> rotate_in_scalar_tu(std::vector<float> x) { return rotate_here(x); }
std::vector<std::uint8_t> sample_rotations_in_scalar_tu() { return sample_rotations_here(); }
