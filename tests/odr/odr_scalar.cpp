// Built with ROTARY_NO_SIMD.
#include "odr_isa.hpp"
#include "odr_tu.inc"

std::string isa_of_scalar_tu() { return rotary::simd_instruction_set(); }
std::vector<float> rotate_in_scalar_tu(std::vector<float> x) { return rotate_here(x); }
