// The scalar twin linked into rotary_avx512_test (same body as odr_scalar.cpp).
#include "odr_scalar.cpp"
