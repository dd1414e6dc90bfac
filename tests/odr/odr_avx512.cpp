// Built with AVX-512 (F, BW, VL). Only called after the CPU was checked for them.
#include "odr_isa.hpp"
#include "odr_tu.inc"

std::string isa_of_avx512_tu() { return rotary::simd_instruction_set(); }
std::vector<std::uint8_t> sample_rotations_in_avx512_tu() { return sample_rotations_here(); }
