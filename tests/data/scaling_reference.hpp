// The numpy float64 reference vectors of the scaling schemes (scaling_reference.inc, made
// by make_scaling_reference.py), for scaling_test.cpp and config/hf_config_test.cpp.
#pragma once

#include <cstddef>

namespace {

struct ScalingReference {
  const char* name;
  const double* inv_freq;
  std::size_t pairs;
  double attention_factor;
  double softmax_scale_factor;
};

#include "scaling_reference.inc"

}  // namespace
