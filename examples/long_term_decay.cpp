// RoPE's long-term decay (RoFormer section 3.4.3, Fig. 2): the relative upper bound
// (1/(d/2)) sum_{j=1..d/2} |S_j|, S_j = sum_{k<j} e^{i r theta_k}, against the relative
// distance r, for d = 128. Prints "distance bound" pairs (every 16th distance up to 1024,
// or every `step`-th up to `max` from the command line: long_term_decay [max] [step]) for
// plotting, then the average over windows of 128 distances.
#include <rotary/rotary.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const long max = argc > 1 ? std::atol(argv[1]) : 1024;
  const long step = argc > 2 ? std::atol(argv[2]) : 16;
  if (max < 0 || step <= 0) {
    std::fprintf(stderr, "usage: %s [max_distance >= 0] [step > 0]\n", argv[0]);
    return 1;
  }
  const auto curve = rotary::long_term_decay_curve(max, 128);
  std::printf("# distance  relative upper bound (d = 128; (d/2+1)/2 = 32.5 at 0)\n");
  for (long r = 0; r <= max; r += step) std::printf("%6ld  %8.4f\n", r, curve[static_cast<std::size_t>(r)]);
  std::printf("# window averages over 128 distances:\n");
  for (long w = 0; (w + 1) * 128 <= max + 1; ++w) {
    double sum = 0;
    for (long r = w * 128; r < (w + 1) * 128; ++r) sum += curve[static_cast<std::size_t>(r)];
    std::printf("# [%5ld, %5ld)  %.4f\n", w * 128, (w + 1) * 128, sum / 128);
  }
}
