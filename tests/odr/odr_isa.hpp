// Functions compiled in translation units with different instruction sets.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

std::string isa_of_scalar_tu();
std::string isa_of_avx2_tu();
std::string isa_of_avx512_tu();
std::vector<float> rotate_in_scalar_tu(std::vector<float> x);
std::vector<float> rotate_in_avx2_tu(std::vector<float> x);
/// The bytes of a fixed set of rotations (every storage type, both pairings, forward and
/// transpose, whole vectors and tails, in place and out of place) in each TU's ISA.
std::vector<std::uint8_t> sample_rotations_in_scalar_tu();
std::vector<std::uint8_t> sample_rotations_in_avx2_tu();
std::vector<std::uint8_t> sample_rotations_in_avx512_tu();
