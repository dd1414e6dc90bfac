// Built with -mavx2 -mfma -mf16c, without AVX-512.
#include "odr_isa.hpp"
#include "odr_tu.inc"

std::string isa_of_avx2_tu() { return rotary::simd_instruction_set(); }
std::vector<float> rotate_in_avx2_tu(std::vector<float> x) { return rotate_here(x); }
std::vector<std::uint8_t> sample_rotations_in_avx2_tu() { return sample_rotations_here(); }
