// Functions compiled in translation units with different instruction sets.
#pragma once
#include <string>
#include <vector>

std::string isa_of_scalar_tu();
std::string isa_of_avx2_tu();
std::vector<float> rotate_in_scalar_tu(std::vector<float> x);
std::vector<float> rotate_in_avx2_tu(std::vector<float> x);
