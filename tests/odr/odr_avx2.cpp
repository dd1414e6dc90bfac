// Built with -mavx2 -mfma (and AVX-512 when the project flags enable it).
#include "odr_isa.hpp"
#include "odr_tu.inc"

std::string isa_of_avx2_tu() { return rotary::simd_instruction_set(); }
std::vector<float> rotate_in_avx2_tu(std::vector<float> x) { return rotate_here(x); }
