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

/// Index of the first byte where a and b differ (a.size() when they are equal).
inline std::size_t first_difference(const std::vector<std::uint8_t>& a,
                                    const std::vector<std::uint8_t>& b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return i;
  }
  return a.size();
}
