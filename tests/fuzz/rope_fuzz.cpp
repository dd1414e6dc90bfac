// SPDX-License-Identifier: MIT
// Differential libFuzzer target over rotary's entry points (bash .ci/fuzz builds and runs it).
//
// Each input is decoded (byte_reader: bytes that run out read as 0, and 0 is always the
// common, valid choice) into one call of the library:
//   mode 0  one operand: rope::apply(direction, x | in, out | operand, pos), rotate<P>(...)
//   mode 1  two operands: rope::apply(direction, operand, operand, pos) (q + k, GQA)
//   mode 2  rotate_into_cache(rope, k, v, k_cache, v_cache, slots, n, pos)
// over tiny shapes (tokens 0..5, heads 1..4, head_dim 0..40 incl. odd and invalid ones), any
// strides (padded, permuted, zero, negative, overlapping, past ptrdiff_t), in and out views
// that alias, every storage pair the library takes (float, double, bfloat16, float16), every
// kind of positions (offsets incl. huge and negative ones, int32 / int64 ids and starts,
// packed cu_seqlens incl. malformed ones, multi-axis int32 / int64 / double), every angle
// source (cos_sin_table with few rows, owned or referenced, cos_sin_view over a caller's
// cache, on_the_fly_angles, multi_axis_angles over the axis_map builders, xpos_angles),
// frequencies from the scaling builders (default, linear, NTK, NTK-alpha, dynamic NTK, YaRN,
// Llama 3, LongRoPE, proportional) or caller lists, rope options (pairing, rotary_offset,
// pair_distance, threads, query_scale, query_norm / key_norm).
//
// What is checked:
//   - validity is decided here, independently of the library, from the README's rules
//     (Errors table; overlaps by brute force over the rows' byte ranges; positions against
//     the table's rows; xPos ranges from the formula): an invalid call must throw
//     rotary::invalid_argument (or rotary::out_of_range for a position past a table or an
//     xPos scale past the storage type), a valid one must not throw;
//   - any call that throws leaves every byte of the arena (inputs, outputs and the bytes
//     around and between the views) as it was;
//   - a valid call's outputs match an oracle computed here in long double from the inputs
//     (cos/sin of the exact angle: cosl/sinl where |m theta| <= 2^8, else
//     rotary::detail::cos_sin_of_angle, which tests/accuracy checks against __float128),
//     within the tolerance below; pass-through elements are bit-exact copies (same type) or
//     the correctly rounded conversion (computed here, not by the library); no other byte
//     of the arena changes;
//   - one-operand calls are run again through rotate_reference (the library's scalar twin)
//     on a copy of the arena: it must throw the same type, or agree with the oracle;
//   - the inverse (forward <-> inverse; transpose -> forward where it is orthogonal; xPos:
//     forward with one role, transpose with the other) restores the input.
// Anything else (another exception type, a mismatch, a crash, a sanitizer report) prints
// what differed and calls __builtin_trap().
//
// Tolerance of an output element y against the oracle value Y (long double):
//   |y - Y| <= mag * (4 eps_C + 2 e_cs + n_S eps_S + e_x) + floor
// with mag = (|a| + |b|) F s (the pair's inputs, its cos/sin factor F = A or the xPos scale,
// the query scale s), eps_C the compute type's unit roundoff (float 2^-24, double 2^-53),
// e_cs the error of the angle source's cos/sin (float 2^-24, double 2^-50), eps_S the output
// storage's unit roundoff (float 2^-24, double 2^-53, bfloat16 2^-8, float16 2^-11) times the
// number n_S of roundings to it (1; +1 for the inverse's division by A^2, a query scale, a head
// norm), e_x = (|ln f| + 1) 2^-50 for xPos, and floor = 16 x the smallest subnormal of C plus
// that of the storage type. Where mag comes within a factor 4 of the storage type's (or C's)
// largest finite value the element may overflow: any value or infinity is accepted there.
// NaN must give NaN, an infinite oracle value the same infinity.
//
// Speed: sources that are costly to build (on_the_fly_angles: a 3-level table of exact
// angles) are built once per (type, rotary_dim, variant) and cached; nothing creates threads
// unless ROTARY_FUZZ_THREADS=1 is set in the environment (then threads(2..3) with a zero
// work threshold are decoded too).

#include <rotary/rotary.hpp>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace {

using rotary::direction;
using rotary::pairing;
using rotary::role;
using i128 = __int128;
using ld = long double;
constexpr std::ptrdiff_t kPtrMax = std::numeric_limits<std::ptrdiff_t>::max();
constexpr std::ptrdiff_t kPtrMin = std::numeric_limits<std::ptrdiff_t>::min();
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();

// ==== failure ===============================================================================

std::string g_case;  // what the current input decoded to (filled only when it fails)
std::string (*g_describe)() = nullptr;

[[noreturn]] void die(const char* fmt, ...) {
  std::va_list args;
  va_start(args, fmt);
  std::fprintf(stderr, "\n==== rope_fuzz: ");
  std::vfprintf(stderr, fmt, args);
  va_end(args);
  std::fprintf(stderr, "\n");
  if (g_describe != nullptr) std::fprintf(stderr, "case: %s\n", g_describe().c_str());
  std::fflush(stderr);
  __builtin_trap();
}

// ==== input decoding =======================================================================

class byte_reader {
 public:
  byte_reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(u16()) | (static_cast<std::uint32_t>(u16()) << 16); }
  std::uint64_t u64() { return static_cast<std::uint64_t>(u32()) | (static_cast<std::uint64_t>(u32()) << 32); }
  /// 0 .. n-1 (0 when the bytes ran out).
  unsigned pick(unsigned n) { return u8() % n; }
  /// True about once in n (never when the bytes ran out).
  bool rare(unsigned n) { return u8() % n == n - 1; }
  bool coin() { return (u8() & 1) != 0; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

/// The element values: a splitmix64 stream seeded from the input (data bytes would make
/// the inputs long; the structure bytes are what the fuzzer should mutate).
struct splitmix {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// ==== storage types, independently of rotary's conversions ================================

/// Exact decode of an IEEE binary16 bit pattern.
ld fp16_value(std::uint16_t h) {
  const int e = (h >> 10) & 31;
  const int m = h & 1023;
  const ld sign = (h & 0x8000) ? -1.0L : 1.0L;
  if (e == 31) return m ? std::numeric_limits<ld>::quiet_NaN() : sign * HUGE_VALL;
  if (e == 0) return sign * std::ldexp(static_cast<ld>(m), -24);
  return sign * std::ldexp(static_cast<ld>(1024 + m), e - 25);
}
float f32_of_bits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
std::uint32_t bits_of_f32(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

/// Round a float to `mant` stored mantissa bits with minimum exponent emin (subnormals below
/// it) and largest finite value max, to nearest even; overflow gives infinity.
double round_to_format(float xf, int mant, int emin, double max) {
  const double x = xf;
  if (x == 0.0 || !std::isfinite(x)) return x;
  int e = std::ilogb(x);
  if (e < emin) e = emin;
  const double q = std::ldexp(1.0, e - mant);
  const double r = std::nearbyint(x / q) * q;  // x / q is exact; nearbyint rounds to even
  if (std::fabs(r) > max) return std::copysign(HUGE_VAL, x);
  return r;
}

/// The binary16 bits of a value it represents exactly (or +-inf).
std::uint16_t fp16_bits_exact(double r) {
  const std::uint16_t sign = std::signbit(r) ? 0x8000 : 0;
  const double a = std::fabs(r);
  if (a == 0.0) return sign;
  if (std::isinf(a)) return static_cast<std::uint16_t>(sign | 0x7C00);
  if (a < 0x1p-14) return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(a / 0x1p-24));
  const int e = std::ilogb(a);
  const auto m = static_cast<std::uint16_t>(a / std::ldexp(1.0, e - 10) - 1024.0);
  return static_cast<std::uint16_t>(sign | ((e + 15) << 10) | m);
}

/// Storage traits, all independent of rotary's code: value of a stored element, the bits of
/// a value rounded (once, to nearest even) from a float, unit roundoff, limits.
template <class T>
struct ty;
template <>
struct ty<float> {
  static constexpr const char* name = "float";
  static constexpr ld eps = 0x1p-24L, max = 3.40282346638528859812e+38L, sub = 0x1p-149L;
  static constexpr bool is16 = false;
  static ld get(const unsigned char* p) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  static std::uint64_t bits(const unsigned char* p) {
    std::uint32_t u;
    std::memcpy(&u, p, 4);
    return u;
  }
  /// The bits of float x stored as this type.
  static std::uint64_t from_float_bits(float x) { return bits_of_f32(x); }
  static void put(unsigned char* p, double v) {
    const float f = static_cast<float>(v);
    std::memcpy(p, &f, 4);
  }
};
template <>
struct ty<double> {
  static constexpr const char* name = "double";
  static constexpr ld eps = 0x1p-53L, max = 1.79769313486231570815e+308L, sub = 0x1p-1074L;
  static constexpr bool is16 = false;
  static ld get(const unsigned char* p) {
    double d;
    std::memcpy(&d, p, 8);
    return d;
  }
  static std::uint64_t bits(const unsigned char* p) {
    std::uint64_t u;
    std::memcpy(&u, p, 8);
    return u;
  }
  static void put(unsigned char* p, double v) { std::memcpy(p, &v, 8); }
};
template <>
struct ty<rotary::bfloat16> {
  static constexpr const char* name = "bfloat16";
  static constexpr ld eps = 0x1p-8L, max = 0x1.fep127L, sub = 0x1p-133L;
  static constexpr bool is16 = true;
  static ld get(const unsigned char* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return f32_of_bits(static_cast<std::uint32_t>(h) << 16);
  }
  static std::uint64_t bits(const unsigned char* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return h;
  }
  static std::uint64_t from_float_bits(float x) {
    const std::uint32_t u = bits_of_f32(x);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (u >> 16) | 0x0040u;  // NaN: quiet, payload cut
    return bits_of_f32(static_cast<float>(round_to_format(x, 7, -126, 0x1.fep127))) >> 16;
  }
  static void put(unsigned char* p, double v) {  // v representable (or inf / NaN)
    const auto h = static_cast<std::uint16_t>(bits_of_f32(static_cast<float>(v)) >> 16);
    std::memcpy(p, &h, 2);
  }
};
template <>
struct ty<rotary::float16> {
  static constexpr const char* name = "float16";
  static constexpr ld eps = 0x1p-11L, max = 65504.0L, sub = 0x1p-24L;
  static constexpr bool is16 = true;
  static ld get(const unsigned char* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return fp16_value(h);
  }
  static std::uint64_t bits(const unsigned char* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return h;
  }
  static std::uint64_t from_float_bits(float x) {
    const std::uint32_t u = bits_of_f32(x);
    const std::uint32_t a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u) return ((u >> 16) & 0x8000u) | 0x7E00u | ((a & 0x007FFFFFu) >> 13);
    return fp16_bits_exact(round_to_format(x, 10, -14, 65504.0));
  }
  static void put(unsigned char* p, double v) {
    const std::uint16_t h = std::isnan(v) ? 0x7E00 : fp16_bits_exact(v);
    std::memcpy(p, &h, 2);
  }
};

/// The float a stored float-compute element widens to (bfloat16 NaNs keep their bits,
/// float16 NaNs come back quiet: the documented widening).
template <class T>
float widen_float(const unsigned char* p) {
  if constexpr (std::is_same_v<T, float>) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  } else if constexpr (std::is_same_v<T, rotary::bfloat16>) {
    return f32_of_bits(static_cast<std::uint32_t>(ty<T>::bits(p)) << 16);
  } else {
    const auto h = static_cast<std::uint16_t>(ty<T>::bits(p));
    if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0) {
      return f32_of_bits(((static_cast<std::uint32_t>(h) & 0x8000u) << 16) | 0x7FC00000u |
                         ((static_cast<std::uint32_t>(h) & 0x3FFu) << 13));
    }
    return static_cast<float>(fp16_value(h));
  }
}

/// The bits a pass-through element of type I becomes in type O (same type: the same bits).
template <class I, class O>
std::uint64_t converted_bits(const unsigned char* p) {
  if constexpr (std::is_same_v<I, O>) {
    return ty<I>::bits(p);
  } else {
    return ty<O>::from_float_bits(widen_float<I>(p));
  }
}

/// Writes a generated value of type T: mostly k / 16 x 2^e (exact in every type), sometimes
/// a special value.
template <class T>
void generate(unsigned char* p, splitmix& g, unsigned special_one_in, bool allow_large) {
  const std::uint64_t r = g.next();
  double v;
  if (special_one_in != 0 && r % special_one_in == 0) {
    switch ((r >> 8) % 9) {
      case 0: v = 0.0; break;
      case 1: v = -0.0; break;
      case 2: v = HUGE_VAL; break;
      case 3: v = -HUGE_VAL; break;
      case 4: v = std::numeric_limits<double>::quiet_NaN(); break;
      case 5: v = static_cast<double>(ty<T>::sub) * static_cast<double>(1 + (r >> 16) % 7); break;
      case 6: v = allow_large ? static_cast<double>(ty<T>::max) / 8 : 4096.0; break;
      case 7: v = allow_large ? -static_cast<double>(ty<T>::max) / 3 : -3000.0; break;
      default: v = std::ldexp(static_cast<double>((r >> 20) % 2048), -10); break;
    }
    if (std::isnan(v) && (r >> 40) % 2 == 0) {
      // A NaN with a payload (signalling for float and bfloat16): its bits must survive a copy.
      if constexpr (std::is_same_v<T, float>) {
        const std::uint32_t u = 0x7F800001u | static_cast<std::uint32_t>((r >> 48) & 0x3FFFFF) |
                                ((r >> 47) & 1 ? 0x80000000u : 0u);
        std::memcpy(p, &u, 4);
        return;
      } else if constexpr (std::is_same_v<T, rotary::bfloat16>) {
        const std::uint16_t h = static_cast<std::uint16_t>(0x7F81u | ((r >> 48) & 0x3E));
        std::memcpy(p, &h, 2);
        return;
      } else if constexpr (std::is_same_v<T, rotary::float16>) {
        const std::uint16_t h = static_cast<std::uint16_t>(0x7C01u | ((r >> 48) & 0x1FE));
        std::memcpy(p, &h, 2);
        return;
      }
    }
  } else {
    const int k = static_cast<int>((r >> 16) % 255) - 127;
    const int e = static_cast<int>((r >> 32) % 13) - 6;
    v = std::ldexp(static_cast<double>(k), e - 4);
  }
  if constexpr (std::is_same_v<T, rotary::float16>) {
    if (std::isfinite(v) && std::fabs(v) > 65504.0) v = std::copysign(65504.0, v);
  }
  ty<T>::put(p, v);
}

// ==== views ================================================================================

/// A view as decoded: extents, element strides, element size, where its data is.
struct vdesc {
  int rank = 3;
  std::ptrdiff_t ext[4] = {};
  std::ptrdiff_t str[4] = {};
  std::size_t esize = 4;
  std::int64_t addr = 0;  ///< byte offset of data() in the arena
  bool null = false;
  bool placed = false;  ///< its reach lies inside the arena
  const char* type = "";

  std::ptrdiff_t hd() const { return ext[rank - 1]; }
  bool empty() const {
    for (int r = 0; r + 1 < rank; ++r) {
      if (ext[r] <= 0) return true;
    }
    return false;
  }
  std::string str_desc() const {
    char buf[256];
    if (rank == 3) {
      std::snprintf(buf, sizeof buf, "%s{%td,%td,%td}/{%td,%td,%td}@%lld%s", type, ext[0], ext[1],
                    ext[2], str[0], str[1], str[2], static_cast<long long>(addr), null ? " null" : "");
    } else {
      std::snprintf(buf, sizeof buf, "%s{%td,%td,%td,%td}/{%td,%td,%td,%td}@%lld%s", type, ext[0],
                    ext[1], ext[2], ext[3], str[0], str[1], str[2], str[3],
                    static_cast<long long>(addr), null ? " null" : "");
    }
    return buf;
  }
};

/// Reach of a non-empty view in elements relative to data(): [lo, hi] (a row counted as
/// at least head_dim contiguous elements, whatever the head_dim stride: rows_of's rows).
void reach(const vdesc& v, i128& lo, i128& hi) {
  lo = 0;
  hi = 0;
  for (int r = 0; r < v.rank; ++r) {
    if (v.ext[r] <= 0) continue;
    const std::ptrdiff_t s = r + 1 == v.rank ? std::max<std::ptrdiff_t>(v.str[r], 1) : v.str[r];
    const i128 d = static_cast<i128>(v.ext[r] - 1) * s;
    (d < 0 ? lo : hi) += d;
  }
}

/// Byte ranges [first, second) of the rows of a non-empty placed view.
void rows_of(const vdesc& v, std::vector<std::pair<std::int64_t, std::int64_t>>& rows) {
  rows.clear();
  const int n = v.rank - 1;
  std::ptrdiff_t idx[3] = {0, 0, 0};
  const auto w = static_cast<std::int64_t>(v.hd() * static_cast<std::ptrdiff_t>(v.esize));
  while (true) {
    std::int64_t off = 0;
    for (int r = 0; r < n; ++r) off += idx[r] * v.str[r];
    const std::int64_t b = v.addr + off * static_cast<std::int64_t>(v.esize);
    rows.emplace_back(b, b + w);
    int r = n - 1;
    while (r >= 0 && ++idx[r] == v.ext[r]) idx[r--] = 0;
    if (r < 0) break;
  }
}

bool rows_meet(const std::vector<std::pair<std::int64_t, std::int64_t>>& a,
               const std::vector<std::pair<std::int64_t, std::int64_t>>& b, bool self) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t j = self ? i + 1 : 0; j < b.size(); ++j) {
      if (a[i].first < b[j].second && b[j].first < a[i].second) return true;
    }
  }
  return false;
}

/// The README's rules for one view. `why` names the first broken one.
bool view_ok(const vdesc& v, bool written, const char*& why) {
  const int R = v.rank;
  for (int r = 0; r + 1 < R; ++r) {
    if (v.ext[r] < 0) return why = "negative extent", false;
  }
  const std::ptrdiff_t hd = v.hd();
  if (hd <= 0 || hd % 2 != 0) return why = "head_dim odd or <= 0", false;
  if (v.str[R - 1] != 1) return why = "head_dim stride != 1", false;
  // Element count (an extent 0 counts as 1, as the library multiplies it) and byte span.
  i128 count = hd, span = hd;
  const i128 cap = static_cast<i128>(1) << 100;
  for (int r = 0; r + 1 < R; ++r) {
    const std::ptrdiff_t e = v.ext[r];
    count = std::min(cap, count * (e == 0 ? 1 : e));
    if (e > 1) {
      if (v.str[r] == kPtrMin) return why = "stride PTRDIFF_MIN", false;
      const i128 s = v.str[r] < 0 ? -static_cast<i128>(v.str[r]) : static_cast<i128>(v.str[r]);
      span = std::min(cap, span + std::min(cap, static_cast<i128>(e - 1) * s));
    }
  }
  if (count > kPtrMax) return why = "element count overflows", false;
  if (span > kPtrMax || span * static_cast<i128>(v.esize) > kPtrMax) return why = "span overflows", false;
  if (v.empty()) return true;
  if (v.null) return why = "null data", false;
  if (written) {
    std::vector<std::pair<std::int64_t, std::int64_t>> rows;
    rows_of(v, rows);
    if (rows_meet(rows, rows, true)) return why = "written rows share elements", false;
  }
  return true;
}

bool views_share(const vdesc& a, const vdesc& b) {
  if (a.empty() || b.empty()) return false;
  std::vector<std::pair<std::int64_t, std::int64_t>> ra, rb;
  rows_of(a, ra);
  rows_of(b, rb);
  return rows_meet(ra, rb, false);
}

/// a * b + c, saturated to ptrdiff_t (strides from huge extents: such views are refused).
std::ptrdiff_t sat(i128 a, i128 b = 1, i128 c = 0) {
  const i128 cap = static_cast<i128>(1) << 100;
  a = std::max(-cap, std::min(cap, a));
  b = std::max(-cap, std::min(cap, b));
  const i128 r = std::max(-cap, std::min(cap, a * b)) + c;
  return r > kPtrMax ? kPtrMax : r < kPtrMin ? kPtrMin : static_cast<std::ptrdiff_t>(r);
}

/// Decodes the strides of a view of the given extents.
void decode_strides(byte_reader& in, vdesc& v) {
  const int R = v.rank;
  const std::ptrdiff_t hd = std::max<std::ptrdiff_t>(v.hd(), 0);
  auto natural = [&] {
    std::ptrdiff_t s = 1;
    for (int r = R; r-- > 0;) {
      v.str[r] = s;
      const std::ptrdiff_t e = std::max<std::ptrdiff_t>(v.ext[r], 0);
      s = (e != 0 && s > kPtrMax / e) ? kPtrMax : s * e;
    }
  };
  natural();
  switch (in.pick(10)) {
    case 0: case 1: case 2: case 3: break;  // contiguous (the fast path)
    case 4: {  // padded rows and tokens
      const std::ptrdiff_t heads = std::max<std::ptrdiff_t>(v.ext[R - 2], 0);
      v.str[R - 2] = sat(hd, 1, 2 * in.pick(5));
      v.str[R - 3] = sat(heads, v.str[R - 2], in.pick(9));
      if (R == 4) v.str[0] = sat(std::max<std::ptrdiff_t>(v.ext[1], 0), v.str[1], in.pick(5));
      break;
    }
    case 5: {  // heads outermost (BHSD, HSD)
      const std::ptrdiff_t seq = std::max<std::ptrdiff_t>(v.ext[R - 3], 0);
      const std::ptrdiff_t heads = std::max<std::ptrdiff_t>(v.ext[R - 2], 0);
      v.str[R - 3] = hd;
      v.str[R - 2] = sat(seq, hd);
      if (R == 4) v.str[0] = sat(heads, sat(seq, hd));
      if (in.coin()) std::swap(v.str[R - 3], v.str[R - 2]);
      break;
    }
    case 6: {  // small arbitrary strides, any sign
      for (int r = 0; r + 1 < R; ++r) v.str[r] = static_cast<std::int8_t>(in.u8()) / 2;
      break;
    }
    case 7: {  // one dimension reversed, zeroed or shrunk
      const int r = static_cast<int>(in.pick(static_cast<unsigned>(R - 1)));
      switch (in.pick(4)) {
        case 0: v.str[r] = v.str[r] == kPtrMin ? kPtrMax : -v.str[r]; break;
        case 1: v.str[r] = 0; break;
        case 2: v.str[r] = v.str[r] / 2; break;
        default: v.str[r] = v.str[r] == kPtrMin ? kPtrMin : v.str[r] - 1; break;
      }
      break;
    }
    case 8: {  // a stride whose reach cannot be addressed
      const int r = static_cast<int>(in.pick(static_cast<unsigned>(R - 1)));
      // (extent - 1) |stride| >= 2^62 elements of >= 2 bytes: never addressable (a smaller
      // huge stride could be valid, and no memory here backs it)
      const std::ptrdiff_t huge[] = {kPtrMax, kPtrMin, kPtrMax / 2 + 1, -(kPtrMax / 2 + 1)};
      v.str[r] = huge[in.pick(4)];
      break;
    }
    default: {  // the head_dim stride
      v.str[R - 1] = static_cast<std::ptrdiff_t>(in.pick(3)) * 2;  // 0 or 2 (or 4)
      break;
    }
  }
}

/// Where views go: a byte arena laid out as the views were decoded. Each view is placed at a
/// fresh region (after the previous one, with a gap) or at an anchor (another view's data
/// plus a decoded byte shift): in place, overlapping, interleaved.
struct layout {
  std::vector<vdesc*> views;
  std::int64_t cursor = 0;

  /// Places v: fresh region, or anchored at `anchor` (nullable) + shift elements of v.
  void place(byte_reader& in, vdesc& v, const vdesc* anchor, unsigned anchor_mode) {
    i128 lo = 0, hi = 0;
    const bool bounded = !v.empty() && [&] {
      reach(v, lo, hi);  // hi: the last element's index (the last dimension included)
      i128 rows = 1;  // few rows too (a stride 0 reaches nothing however many rows)
      for (int r = 0; r + 1 < v.rank; ++r) rows = std::min<i128>(rows * v.ext[r], 1 << 20);
      return lo > -(1 << 13) && hi < (1 << 13) && v.hd() > 0 && v.hd() < 4096 && rows <= 4096;
    }();
    v.placed = bounded && !v.null;
    const auto es = static_cast<std::int64_t>(v.esize);
    if (anchor != nullptr && anchor_mode != 0) {
      // anchor_mode 1: the same address; 2: shifted by a few elements of v; 3: shifted by
      // one head of the anchor (interleaved heads, fused buffers)
      std::int64_t shift = 0;
      if (anchor_mode == 2) shift = (static_cast<std::int64_t>(in.pick(9)) - 4) * es;
      if (anchor_mode == 3) shift = std::max<std::int64_t>(anchor->hd(), 0) * static_cast<std::int64_t>(anchor->esize);
      v.addr = anchor->addr + shift;
      // keep v aligned for its type
      v.addr -= ((v.addr % es) + es) % es;
    } else {
      const std::int64_t gap = static_cast<std::int64_t>(in.pick(3)) * 8;
      v.addr = cursor + gap - (bounded ? static_cast<std::int64_t>(lo) * es : 0);
      v.addr += (8 - v.addr % 8) % 8;
    }
    if (v.placed) {
      cursor = std::max<std::int64_t>(cursor, v.addr + (static_cast<std::int64_t>(hi) + 1) * es);
      cursor += (8 - cursor % 8) % 8;
    }
    views.push_back(&v);
  }

  /// Shifts every address so that the lowest touched byte is at 64; returns the arena size.
  std::size_t finish() {
    std::int64_t lo = 0, hi = 0;
    bool any = false;
    for (const vdesc* v : views) {
      if (!v->placed) continue;
      i128 a, b;
      reach(*v, a, b);
      const std::int64_t first = v->addr + static_cast<std::int64_t>(a) * static_cast<std::int64_t>(v->esize);
      const std::int64_t last = v->addr + (static_cast<std::int64_t>(b) + 1) * static_cast<std::int64_t>(v->esize);
      lo = any ? std::min(lo, first) : first;
      hi = any ? std::max(hi, last) : last;
      any = true;
    }
    std::int64_t shift = 64 - lo;
    shift += (64 - ((shift % 64) + 64) % 64) % 64;  // keep alignment: a multiple of 64
    for (vdesc* v : views) {
      if (v->placed) {
        v->addr += shift;
      } else {
        v->addr = 64;  // never read nor written by a correct library (invalid or empty)
      }
    }
    return static_cast<std::size_t>(std::max<std::int64_t>(hi + shift, 64) + 64);
  }
};

template <class T, std::size_t R>
rotary::tensor_view<T, R> make_view(const vdesc& v, unsigned char* base) {
  std::array<std::ptrdiff_t, R> e{}, s{};
  for (std::size_t r = 0; r < R; ++r) e[r] = v.ext[r], s[r] = v.str[r];
  T* p = v.null ? nullptr : reinterpret_cast<T*>(base + v.addr);
  return rotary::tensor_view<T, R>(p, e, s);
}

/// Element byte address of (b, s, h, e) (rank 3: b ignored).
std::int64_t elem_addr(const vdesc& v, std::ptrdiff_t b, std::ptrdiff_t s, std::ptrdiff_t h,
                       std::ptrdiff_t e) {
  std::int64_t off = 0;
  if (v.rank == 4) {
    off = b * v.str[0] + s * v.str[1] + h * v.str[2] + e * v.str[3];
  } else {
    off = s * v.str[0] + h * v.str[1] + e * v.str[2];
  }
  return v.addr + off * static_cast<std::int64_t>(v.esize);
}

// ==== positions ============================================================================

struct pdesc {
  enum kind_t { offset, starts, ids, packed, packed_starts, multi } kind = offset;
  std::int64_t off = 0;
  bool wide = false;             ///< int64 arrays (else int32)
  std::vector<std::int64_t> arr;  ///< starts / ids / packed starts, as decoded
  std::vector<std::int64_t> cu;
  bool arr_null = false, cu_null = false;
  std::ptrdiff_t arr_count = 0, cu_count = 0;
  // multi-axis
  int mtype = 0;  ///< 0 int32, 1 int64, 2 double
  std::ptrdiff_t axes = 1, mcount = 0, axis_stride = 0, token_stride = 0;
  std::vector<double> mval;  ///< the multi-axis data (as doubles; ints exact)
  bool m_null = false;
  // storage handed to the library
  std::vector<std::int32_t> a32, c32, m32;
  std::vector<std::int64_t> a64, c64, m64;
  std::vector<double> mreal;

  void materialize() {
    a32.assign(arr.begin(), arr.end());
    c32.assign(cu.begin(), cu.end());
    a64 = arr;
    c64 = cu;
    m32.clear();
    m64.clear();
    for (double v : mval) {  // only the array of the decoded type (values fit it)
      if (mtype == 0) m32.push_back(static_cast<std::int32_t>(v));
      if (mtype == 1) m64.push_back(static_cast<std::int64_t>(v));
    }
    mreal = mval;
  }
  template <class Int>
  const Int* ptr(const std::vector<Int>& v, bool null) const {
    return null ? nullptr : (v.empty() ? reinterpret_cast<const Int*>(&off) : v.data());
  }
  rotary::positions make() const {
    using P = rotary::positions;
    switch (kind) {
      case offset: return P::from_offset(off);
      case starts: return wide ? P::from_starts(ptr(a64, arr_null), arr_count) : P::from_starts(ptr(a32, arr_null), arr_count);
      case ids: return wide ? P::from_ids(ptr(a64, arr_null), arr_count) : P::from_ids(ptr(a32, arr_null), arr_count);
      case packed: return wide ? P::packed(ptr(c64, cu_null), cu_count) : P::packed(ptr(c32, cu_null), cu_count);
      case packed_starts:
        return wide ? P::packed(ptr(c64, cu_null), cu_count, ptr(a32, arr_null), arr_count)
                    : P::packed(ptr(c32, cu_null), cu_count, ptr(a64, arr_null), arr_count);
      case multi:
        if (mtype == 0) return P::multi_axis(ptr(m32, m_null), axes, mcount, axis_stride, token_stride);
        if (mtype == 1) return P::multi_axis(ptr(m64, m_null), axes, mcount, axis_stride, token_stride);
        return P::multi_axis(m_null ? nullptr : (mreal.empty() ? reinterpret_cast<const double*>(&off) : mreal.data()),
                             axes, mcount, axis_stride, token_stride);
    }
    return P::from_offset(0);
  }
  std::string describe() const {
    std::string s;
    char buf[128];
    const char* names[] = {"offset", "starts", "ids", "packed", "packed+starts", "multi"};
    std::snprintf(buf, sizeof buf, "pos %s%s off=%lld", names[kind], wide ? "(i64)" : "",
                  static_cast<long long>(off));
    s += buf;
    if (kind == starts || kind == ids || kind == packed_starts) {
      std::snprintf(buf, sizeof buf, " arr[%td]%s=", arr_count, arr_null ? "(null)" : "");
      s += buf;
      for (auto a : arr) s += std::to_string(a) + ",";
    }
    if (kind == packed || kind == packed_starts) {
      std::snprintf(buf, sizeof buf, " cu[%td]%s=", cu_count, cu_null ? "(null)" : "");
      s += buf;
      for (auto a : cu) s += std::to_string(a) + ",";
    }
    if (kind == multi) {
      std::snprintf(buf, sizeof buf, " multi type%d axes=%td n=%td as=%td ts=%td%s vals=", mtype, axes,
                    mcount, axis_stride, token_stride, m_null ? " null" : "");
      s += buf;
      for (double v : mval) {
        std::snprintf(buf, sizeof buf, "%g,", v);
        s += buf;
      }
    }
    return s;
  }
};

std::int64_t decode_position_value(byte_reader& in, std::int64_t rows) {
  switch (in.pick(12)) {
    case 0: case 1: case 2: case 3: case 4:
      return static_cast<std::int64_t>(in.pick(static_cast<unsigned>(std::max<std::int64_t>(rows, 1))));
    case 5: return rows + static_cast<std::int64_t>(in.pick(3));  // at or past the end
    case 6: return -static_cast<std::int64_t>(1 + in.pick(3));
    case 7: return kI64Max - static_cast<std::int64_t>(in.pick(4));
    case 8: return (std::int64_t{1} << 31) - 1 + static_cast<std::int64_t>(in.pick(3));  // otf's level end
    case 9: return std::numeric_limits<std::int64_t>::min() + static_cast<std::int64_t>(in.pick(2));
    case 10: return static_cast<std::int64_t>(in.u32());
    default: return (std::int64_t{1} << 20) + static_cast<std::int64_t>(in.pick(3)) - 1;
  }
}

/// Decodes positions for a call of batch B x seq S tokens (rows: the table's, to aim near).
/// source_axes: 0 for a 1-D source (multi-axis positions are then refused), else the map's.
void decode_positions(byte_reader& in, pdesc& p, std::ptrdiff_t B, std::ptrdiff_t S,
                      std::int64_t rows, std::ptrdiff_t source_axes) {
  const std::ptrdiff_t tokens = B > 0 && S > 0 ? B * S : 0;  // small: B <= 2, S <= 6
  const unsigned k = in.pick(10);
  p.wide = in.coin();
  auto count = [&](std::ptrdiff_t expected) {
    std::ptrdiff_t c = expected;
    if (in.rare(12)) c += static_cast<std::ptrdiff_t>(in.pick(3)) - 1;
    if (in.rare(40)) c = -1;
    return c;
  };
  const unsigned row_pick = static_cast<unsigned>(std::max<std::int64_t>(rows, 1));
  // n values (narrowed to int32 unless wide32 is false)
  auto fill = [&](std::ptrdiff_t n, bool narrow) {
    p.arr.clear();
    for (std::ptrdiff_t i = 0; i < std::max<std::ptrdiff_t>(n, 0); ++i) {
      std::int64_t v = in.rare(4) ? decode_position_value(in, rows) : static_cast<std::int64_t>(in.pick(row_pick));
      if (narrow) v = static_cast<std::int32_t>(v);
      p.arr.push_back(v);
    }
  };
  if (k <= 2) {
    p.kind = pdesc::offset;
    p.off = in.rare(3) ? decode_position_value(in, rows) : static_cast<std::int64_t>(in.pick(4));
  } else if (k == 3) {
    p.kind = pdesc::starts;
    p.arr_count = count(B);
    fill(p.arr_count, !p.wide);
    p.arr_null = in.rare(16);
  } else if (k <= 5) {
    p.kind = pdesc::ids;
    p.arr_count = count(tokens);
    fill(p.arr_count, !p.wide);
    p.arr_null = in.rare(16);
  } else if (k <= 7 || (source_axes == 0 && !in.rare(4))) {
    // packed sequences: cu_seqlens non-decreasing from 0 to the token count (sometimes not)
    p.kind = in.coin() ? pdesc::packed : pdesc::packed_starts;
    const std::ptrdiff_t seqs = static_cast<std::ptrdiff_t>(in.pick(4));
    const std::ptrdiff_t n_tokens = B == 0 ? 0 : S;
    p.cu.push_back(0);
    for (std::ptrdiff_t q = 1; q < seqs; ++q) {
      p.cu.push_back(std::min<std::int64_t>(n_tokens, p.cu.back() + static_cast<std::int64_t>(in.pick(3))));
    }
    if (seqs > 0) p.cu.push_back(n_tokens);
    if (in.rare(8)) {
      const std::size_t i = in.pick(static_cast<unsigned>(p.cu.size()));
      p.cu[i] += static_cast<std::int64_t>(in.pick(5)) - 2;  // starts at 1, decreases, wrong end
    }
    if (in.rare(30)) p.cu.back() = kI64Max;
    if (!p.wide) {
      for (auto& c : p.cu) c = static_cast<std::int32_t>(c);
    }
    p.cu_count = static_cast<std::ptrdiff_t>(p.cu.size());
    if (in.rare(20)) p.cu_count = 0;
    p.cu_null = in.rare(20);
    if (p.kind == pdesc::packed_starts) {
      // starts of the other index type than cu_seqlens (make() passes them so)
      p.arr_count = count(std::max<std::ptrdiff_t>(p.cu_count - 1, 0));
      fill(p.arr_count, p.wide);
      p.arr_null = in.rare(16);
    }
  } else {
    p.kind = pdesc::multi;
    p.mtype = static_cast<int>(in.pick(3));
    p.axes = source_axes;
    if (source_axes == 0 || in.rare(10)) p.axes = static_cast<std::ptrdiff_t>(in.pick(6));
    p.mcount = count(tokens);
    const unsigned lay = in.pick(4);
    const std::ptrdiff_t n = std::max<std::ptrdiff_t>(p.mcount, 0);
    if (lay <= 1) {  // [axes][tokens] (HF position_ids)
      p.axis_stride = n;
      p.token_stride = 1;
    } else if (lay == 2) {  // [tokens][axes] (FLUX ids)
      p.axis_stride = 1;
      p.token_stride = std::max<std::ptrdiff_t>(p.axes, 0);
    } else {  // anything else, sometimes negative, sometimes past ptrdiff_t
      p.axis_stride = static_cast<std::ptrdiff_t>(in.pick(5)) - (in.rare(8) ? 3 : 0);
      p.token_stride = static_cast<std::ptrdiff_t>(in.pick(6)) - (in.rare(8) ? 2 : 0);
      if (in.rare(16) && n >= 3) p.token_stride = kPtrMax / 2 + 1;  // 2 strides overflow
    }
    p.m_null = in.rare(20);
    // Back every position the library may read: for valid strides, all of them.
    std::ptrdiff_t need = 0;
    if (p.axes >= 1 && p.axis_stride >= 0 && p.token_stride >= 0) {
      const i128 reach_ = static_cast<i128>(n > 0 ? n - 1 : 0) * p.token_stride +
                          static_cast<i128>(p.axes - 1) * p.axis_stride;
      if (reach_ <= kPtrMax && reach_ >= 4096) {
        p.token_stride = 1;  // valid but not backed: not a case for this fuzzer
        p.axis_stride = n;
      }
      if (reach_ < 4096 || reach_ <= kPtrMax) {
        need = (n > 0 ? n - 1 : 0) * p.token_stride + (p.axes - 1) * p.axis_stride + 1;
      }
    }
    const bool text = in.rare(3);  // every axis at one position: the table row in place
    for (std::ptrdiff_t i = 0; i < need; ++i) {
      double v;
      if (text) {
        v = static_cast<double>(p.token_stride == 1 ? i % std::max<std::ptrdiff_t>(n, 1) : i / std::max<std::ptrdiff_t>(p.axes, 1));
      } else if (in.rare(5)) {
        v = static_cast<double>(decode_position_value(in, rows));
      } else {
        v = static_cast<double>(in.pick(row_pick + 2));
      }
      if (p.mtype == 2 && in.rare(3)) {
        const double fr[] = {0.5, 0.25, 0.125, 0.75, -0.5, 1e-9};
        v += fr[in.pick(6)];
        if (in.rare(10)) v = std::numeric_limits<double>::quiet_NaN();
        if (in.rare(10)) v = 0x1p53 + (in.coin() ? 2.0 : 0.0);
        if (in.rare(10)) v = HUGE_VAL;
      }
      if (p.mtype == 0) v = static_cast<double>(static_cast<std::int32_t>(std::isfinite(v) && std::fabs(v) < 2e9 ? v : -1.0));
      if (p.mtype == 1) v = std::isfinite(v) && std::fabs(v) < 9e18 ? std::trunc(v) : -1.0;
      p.mval.push_back(v);
    }
  }
  p.materialize();
}

/// The README's position rules for B sequences of S tokens. Returns whether they hold, and
/// the smallest and largest position (0, 0 without tokens or for fractional ones).
/// source_axes: 0 for a 1-D source (multi-axis positions refused), else the map's axes.
bool positions_ok(const pdesc& p, std::ptrdiff_t B, std::ptrdiff_t S, std::ptrdiff_t source_axes,
                  std::int64_t& lo, std::int64_t& hi, const char*& why) {
  lo = hi = 0;
  bool any = false;
  auto see = [&](std::int64_t a, std::int64_t b) {
    lo = any ? std::min(lo, a) : a;
    hi = any ? std::max(hi, b) : b;
    any = true;
  };
  const bool has = B > 0 && S > 0;
  const std::ptrdiff_t tokens = B * S;
  auto array_ok = [&](std::ptrdiff_t expected) {
    if (p.arr_null && p.arr_count != 0) return why = "null array", false;
    if (p.arr_count != expected) return why = "array length", false;
    return true;
  };
  switch (p.kind) {
    case pdesc::offset:
      if (p.off < 0) return why = "negative offset", false;
      if (has) {
        if (p.off > kI64Max - (S - 1)) return why = "offset overflows", false;
        see(p.off, p.off + (S - 1));
      }
      return true;
    case pdesc::starts:
      if (!array_ok(B)) return false;
      for (std::ptrdiff_t b = 0; b < B; ++b) {
        if (p.arr[static_cast<std::size_t>(b)] < 0) return why = "negative start", false;
        if (S > 0) {
          if (p.arr[static_cast<std::size_t>(b)] > kI64Max - (S - 1)) return why = "start overflows", false;
          see(p.arr[static_cast<std::size_t>(b)], p.arr[static_cast<std::size_t>(b)] + (S - 1));
        }
      }
      return true;
    case pdesc::ids:
      if (!array_ok(tokens)) return false;
      for (std::ptrdiff_t t = 0; t < tokens; ++t) {
        if (p.arr[static_cast<std::size_t>(t)] < 0) return why = "negative id", false;
        see(p.arr[static_cast<std::size_t>(t)], p.arr[static_cast<std::size_t>(t)]);
      }
      return true;
    case pdesc::packed:
    case pdesc::packed_starts: {
      if (B > 1) return why = "packed on a batch", false;
      const std::ptrdiff_t n_tokens = B == 0 ? 0 : S;
      const std::ptrdiff_t n = p.cu_count;
      if (p.cu_null || n < 1) return why = "cu_seqlens null or empty", false;
      if (p.cu[0] != 0) return why = "cu_seqlens[0] != 0", false;
      for (std::ptrdiff_t k = 0; k + 1 < n; ++k) {
        if (p.cu[static_cast<std::size_t>(k + 1)] < p.cu[static_cast<std::size_t>(k)]) return why = "cu_seqlens decreases", false;
      }
      if (p.cu[static_cast<std::size_t>(n - 1)] != n_tokens) return why = "cu_seqlens end", false;
      if (p.kind == pdesc::packed_starts && !array_ok(n - 1)) return false;
      for (std::ptrdiff_t k = 0; k + 1 < n; ++k) {
        const std::int64_t start = p.kind == pdesc::packed_starts ? p.arr[static_cast<std::size_t>(k)] : 0;
        if (start < 0) return why = "negative packed start", false;
        const std::int64_t len = p.cu[static_cast<std::size_t>(k + 1)] - p.cu[static_cast<std::size_t>(k)];
        if (len > 0) {
          if (start > kI64Max - (len - 1)) return why = "packed start overflows", false;
          see(start, start + (len - 1));
        }
      }
      return true;
    }
    case pdesc::multi: {
      if (source_axes == 0) return why = "multi-axis positions on a 1-D source", false;
      if (p.axes != source_axes) return why = "axis count", false;
      if (p.axes < 1) return why = "no axis", false;
      if (p.m_null && tokens != 0) return why = "null multi-axis data", false;
      if (p.mcount != tokens) return why = "multi-axis token count", false;
      if (p.axis_stride < 0 || p.token_stride < 0) return why = "negative multi-axis stride", false;
      const i128 reach_ = static_cast<i128>(tokens > 0 ? tokens - 1 : 0) * p.token_stride +
                          static_cast<i128>(p.axes - 1) * p.axis_stride;
      if (reach_ > kPtrMax) return why = "multi-axis strides overflow", false;
      for (std::ptrdiff_t t = 0; t < tokens; ++t) {
        for (std::ptrdiff_t k = 0; k < p.axes; ++k) {
          const double v = p.mval[static_cast<std::size_t>(t * p.token_stride + k * p.axis_stride)];
          if (p.mtype == 2) {
            if (!(std::isfinite(v) && v >= 0.0 && v <= 0x1p53)) return why = "bad fractional position", false;
          } else {
            if (v < 0) return why = "negative multi-axis position", false;
            see(static_cast<std::int64_t>(v), static_cast<std::int64_t>(v));
          }
        }
      }
      return true;
    }
  }
  return true;
}

/// Token t's (flat) position on axis k, as an integer or a double. \pre positions_ok.
struct token_pos {
  bool fractional = false;
  std::int64_t m[4] = {};
  double v[4] = {};
};
token_pos position_of(const pdesc& p, std::ptrdiff_t S, std::ptrdiff_t t, std::ptrdiff_t axes) {
  token_pos r;
  const std::ptrdiff_t b = S > 0 ? t / S : 0, s = S > 0 ? t % S : 0;
  std::int64_t m = 0;
  switch (p.kind) {
    case pdesc::offset: m = p.off + s; break;
    case pdesc::starts: m = p.arr[static_cast<std::size_t>(b)] + s; break;
    case pdesc::ids: m = p.arr[static_cast<std::size_t>(t)]; break;
    case pdesc::packed:
    case pdesc::packed_starts: {
      std::size_t k = 0;
      for (std::size_t j = 0; j + 1 < static_cast<std::size_t>(p.cu_count); ++j) {
        if (p.cu[j] <= t && t < p.cu[j + 1]) k = j;
      }
      m = (p.kind == pdesc::packed_starts ? p.arr[k] : 0) + (t - p.cu[k]);
      break;
    }
    case pdesc::multi:
      for (std::ptrdiff_t a = 0; a < p.axes && a < 4; ++a) {
        const double v = p.mval[static_cast<std::size_t>(t * p.token_stride + a * p.axis_stride)];
        r.v[a] = v;
        r.m[a] = static_cast<std::int64_t>(v);
        if (v != std::floor(v)) r.fractional = true;
      }
      return r;
  }
  for (std::ptrdiff_t a = 0; a < std::max<std::ptrdiff_t>(axes, 1) && a < 4; ++a) {
    r.m[a] = m;
    r.v[a] = static_cast<double>(m);
  }
  return r;
}

// ==== exact angles (the oracle) ============================================================

/// cos and sin of the exact m theta: long double where the product is small (exact to
/// 2^-56), else the library's exact reduction (checked against __float128 in tests/accuracy).
std::pair<ld, ld> cs_int(std::int64_t m, double theta) {
  const ld angle = static_cast<ld>(m) * static_cast<ld>(theta);
  if (std::fabs(angle) <= 256.0L) return {std::cos(angle), std::sin(angle)};
  const auto cs = rotary::detail::cos_sin_of_angle(m, theta);
  return {cs.first, cs.second};
}
/// The same for a fractional position v = n + f: e^{i n theta} e^{i f theta}.
std::pair<ld, ld> cs_real(double v, double theta) {
  const double n = std::floor(v);
  const auto a = cs_int(static_cast<std::int64_t>(n), theta);
  const ld f = static_cast<ld>(v - n) * static_cast<ld>(theta);
  const ld c2 = std::cos(f), s2 = std::sin(f);
  return {a.first * c2 - a.second * s2, a.second * c2 + a.first * s2};
}

// ==== angle sources ========================================================================

/// What the oracle knows about an angle source.
struct angles_info {
  enum kind_t { table, table_owned, view, otf, multi, xpos } kind = table;
  bool is_double = false;
  std::vector<double> theta;  ///< per pair
  double A = 1.0;             ///< the cos/sin factor
  std::int64_t rows = -1;     ///< table rows (-1: any position)
  std::ptrdiff_t axes = 0;    ///< multi-axis: the map's axes (0: 1-D)
  std::vector<int> axis;      ///< multi-axis: axis of each pair
  // xPos
  double xsign = 1, centre = 0, gamma = 0.4, scale_base = 512;
  // cos_sin_view: the coefficients as stored
  const void* vcos = nullptr;
  const void* vsin = nullptr;
  std::ptrdiff_t vstride = 0;

  std::ptrdiff_t pairs() const { return static_cast<std::ptrdiff_t>(theta.size()); }
  ld cs_err() const { return is_double ? 0x1p-50L : 0x1p-24L; }
  ld zeta(std::ptrdiff_t i) const {
    return (2.0L * i / (2.0L * pairs()) + gamma) / (1.0L + gamma);
  }
  /// cos, sin (factor included) of pair i of token position tp; F = the factor's size.
  void coeff(const token_pos& tp, std::ptrdiff_t i, ld& c, ld& s, ld& F) const {
    if (kind == view) {
      const std::int64_t m = tp.m[0];
      if (is_double) {
        c = static_cast<const double*>(vcos)[m * vstride + i];
        s = static_cast<const double*>(vsin)[m * vstride + i];
      } else {
        c = static_cast<const float*>(vcos)[m * vstride + i];
        s = static_cast<const float*>(vsin)[m * vstride + i];
      }
      F = 1;
      return;
    }
    const int a = axes > 0 ? axis[static_cast<std::size_t>(i)] : 0;
    std::pair<ld, ld> cs = tp.fractional ? cs_real(tp.v[a], theta[static_cast<std::size_t>(i)])
                                         : cs_int(tp.m[a], theta[static_cast<std::size_t>(i)]);
    F = A;
    if (kind == xpos) {
      F = std::exp(xsign * (static_cast<ld>(tp.m[0]) - static_cast<ld>(centre)) /
                   static_cast<ld>(scale_base) * std::log(zeta(i)));
    }
    c = cs.first * F;
    s = cs.second * F;
  }
  /// xPos: the largest |m - c| whose every factor fits below limit (the formula).
  double xpos_max_distance(double limit) const {
    double worst = 0;
    for (std::ptrdiff_t i = 0; i < pairs(); ++i) {
      worst = std::max(worst, std::fabs(std::log(static_cast<double>(zeta(i))) / scale_base));
    }
    return std::log(limit) / worst;
  }
};

// on_the_fly_angles are costly to build: one per (type, rotary_dim, variant), kept.
template <class C>
std::map<std::pair<int, int>, std::unique_ptr<rotary::on_the_fly_angles<C>>>& otf_cache() {
  static std::map<std::pair<int, int>, std::unique_ptr<rotary::on_the_fly_angles<C>>> cache;
  return cache;
}
std::vector<double> otf_frequencies(int rd, int variant, double& A) {
  A = 1.0;
  if (variant == 0) return rotary::rope_frequencies(rd, 10000.0);
  if (variant == 1) {
    rotary::scaling::yarn_parameters y;
    y.rotary_dim = rd;
    y.base = 10000.0;
    y.factor = 4.0;
    y.original_max_position_embeddings = 16;
    const auto f = rotary::scaling::yarn(y);
    A = f.attention_factor;
    return f.inv_freq;
  }
  // variant 2: caller frequencies of both signs, zero, and large ones
  std::vector<double> t;
  const double pool[] = {1.0, -0.5, 0.0, 3.0, 0x1p20, 1e-9, 2.5e-3, -7.0, 0x1p32, 0.7};
  for (int i = 0; i < rd / 2; ++i) t.push_back(pool[i % 10]);
  return t;
}
template <class C>
const rotary::on_the_fly_angles<C>& otf_source(int rd, int variant, double& A) {
  auto& cache = otf_cache<C>();
  auto& slot = cache[{rd, variant}];
  const std::vector<double> f = otf_frequencies(rd, variant, A);
  if (!slot) {
    if (variant == 1) {
      rotary::scaled_frequencies s;
      s.inv_freq = f;
      s.attention_factor = A;
      slot = std::make_unique<rotary::on_the_fly_angles<C>>(s);
    } else if (variant == 0) {
      slot = std::make_unique<rotary::on_the_fly_angles<C>>(rd, 10000.0);
    } else {
      slot = std::make_unique<rotary::on_the_fly_angles<C>>(f);
    }
  }
  return *slot;
}

double decode_base(byte_reader& in) {
  const double pool[] = {10000.0, 500000.0, 1e6, 2.0, 150000.0, 1.5, 0.0, -1.0,
                         std::numeric_limits<double>::quiet_NaN(), HUGE_VAL, 1.0, 1e-3};
  return in.rare(5) ? pool[in.pick(12)] : pool[in.pick(3)];
}
double decode_factor(byte_reader& in) {
  const double pool[] = {1.0, 2.0, 4.0, 8.0, 32.0, 0.5, 1.25, 40.0, 0.0, -1.0,
                         std::numeric_limits<double>::quiet_NaN(), HUGE_VAL, 1e300, 1e-300};
  return in.rare(5) ? pool[in.pick(14)] : pool[in.pick(8)];
}
std::ptrdiff_t decode_rotary_dim(byte_reader& in) {
  if (in.rare(10)) {
    const std::ptrdiff_t bad[] = {0, -2, 3, 7, 1, (std::ptrdiff_t{1} << 20) + 2, kPtrMax, -1};
    return bad[in.pick(8)];
  }
  return 2 * (1 + static_cast<std::ptrdiff_t>(in.pick(20)));  // 2 .. 40
}

/// Builder results must be sane: the right number of finite frequencies, finite positive
/// factors. Builders throw only rotary::invalid_argument.
void check_scaled(const rotary::scaled_frequencies& f, std::size_t pairs, const char* name) {
  if (f.inv_freq.size() != pairs) die("%s returned %zu frequencies, expected %zu", name, f.inv_freq.size(), pairs);
  for (double t : f.inv_freq) {
    if (!std::isfinite(t)) die("%s returned a non-finite frequency %g", name, t);
  }
  if (!(std::isfinite(f.attention_factor) && f.attention_factor > 0)) die("%s: attention_factor %g", name, f.attention_factor);
  if (!(std::isfinite(f.softmax_scale_factor) && f.softmax_scale_factor > 0)) die("%s: softmax_scale_factor %g", name, f.softmax_scale_factor);
}

/// Frequencies (and A, and a pair distance) from a scheme; nullopt when the builder refused
/// its parameters. Which builder refusals are right is tests/schemes' business; here only
/// the type of the exception and the sanity of the result are checked.
std::optional<rotary::scaled_frequencies> decode_frequencies(byte_reader& in, std::ptrdiff_t rd,
                                                             bool& predicted_ok) {
  namespace sc = rotary::scaling;
  const unsigned scheme = in.rare(2) ? in.pick(10) : 0;
  const double base = decode_base(in);
  predicted_ok = false;
  const bool rd_ok = rd > 0 && rd % 2 == 0 && rd <= (std::ptrdiff_t{1} << 20);
  const bool base_ok = std::isfinite(base) && base > 0;
  try {
    rotary::scaled_frequencies f;
    std::size_t pairs = static_cast<std::size_t>(std::max<std::ptrdiff_t>(rd, 0) / 2);
    const char* name = "";
    switch (scheme) {
      case 0:
        name = "scaling::default_rope";
        predicted_ok = rd_ok && base_ok;
        f = sc::default_rope(rd, base);
        break;
      case 1: {
        name = "scaling::linear";
        const double factor = decode_factor(in);
        predicted_ok = rd_ok && base_ok && std::isfinite(factor) && factor > 0;
        f = sc::linear(rd, base, factor);
        break;
      }
      case 2: {
        name = "scaling::ntk";
        const double factor = decode_factor(in);
        predicted_ok = rd_ok && rd > 2 && base_ok && std::isfinite(factor) && factor > 0 &&
                       std::isfinite(base * std::pow(factor, static_cast<double>(rd) / (rd - 2))) &&
                       base * std::pow(factor, static_cast<double>(rd) / (rd - 2)) > 0;
        f = in.coin() ? sc::ntk(rd, base, factor) : sc::ntk_alpha(rd, base, factor);
        break;
      }
      case 3: {
        name = "scaling::dynamic_ntk";
        const double factor = decode_factor(in);
        const std::int64_t L = static_cast<std::int64_t>(in.pick(40)) - 1;
        const std::int64_t seq = static_cast<std::int64_t>(in.pick(100)) - 1;
        f = sc::dynamic_ntk(rd, base, factor, L, seq);
        predicted_ok = true;  // not predicted: refusals only checked for their type
        break;
      }
      case 4: {
        name = "scaling::yarn";
        sc::yarn_parameters y;
        y.rotary_dim = rd;
        y.base = base;
        if (!in.rare(6)) y.factor = decode_factor(in);
        y.max_position_embeddings = static_cast<std::int64_t>(in.pick(64)) * 4;
        if (!in.rare(6)) y.original_max_position_embeddings = static_cast<std::int64_t>(in.pick(40)) - 2;
        y.beta_fast = in.rare(4) ? decode_factor(in) : 0.0;
        y.beta_slow = in.rare(4) ? decode_factor(in) : 0.0;
        y.truncate = !in.rare(3);
        if (in.rare(4)) y.attention_factor = decode_factor(in);
        y.mscale = in.rare(4) ? decode_factor(in) : 0.0;
        y.mscale_all_dim = in.rare(4) ? decode_factor(in) : 0.0;
        f = sc::yarn(y);
        predicted_ok = true;
        break;
      }
      case 5: {
        name = "scaling::llama3";
        sc::llama3_parameters l;
        l.rotary_dim = rd;
        l.base = base;
        l.factor = decode_factor(in);
        l.low_freq_factor = in.rare(3) ? decode_factor(in) : 1.0;
        l.high_freq_factor = in.rare(3) ? decode_factor(in) : 4.0;
        l.original_max_position_embeddings = static_cast<std::int64_t>(in.pick(64)) - 1;
        predicted_ok = rd_ok && base_ok && std::isfinite(l.factor) && l.factor > 0 &&
                       std::isfinite(l.low_freq_factor) && l.low_freq_factor > 0 &&
                       std::isfinite(l.high_freq_factor) && l.high_freq_factor > 0 &&
                       l.low_freq_factor <= l.high_freq_factor && l.original_max_position_embeddings >= 1;
        f = sc::llama3(l);
        break;
      }
      case 6: {
        name = "scaling::longrope";
        sc::longrope_parameters l;
        l.rotary_dim = rd;
        l.base = base;
        const std::size_t n = std::min<std::size_t>(pairs, 32) + (in.rare(8) ? 1 : 0);
        for (std::size_t i = 0; i < n; ++i) {
          l.short_factor.push_back(1.0 + static_cast<double>(in.pick(8)) / 4.0);
          l.long_factor.push_back(in.rare(16) ? decode_factor(in) : 1.0 + static_cast<double>(in.pick(40)));
        }
        if (in.coin()) l.factor = decode_factor(in);
        if (in.rare(4)) l.attention_factor = decode_factor(in);
        l.max_position_embeddings = static_cast<std::int64_t>(in.pick(64)) * 16;
        l.original_max_position_embeddings = static_cast<std::int64_t>(in.pick(20)) - 1;
        f = sc::longrope(l, static_cast<std::int64_t>(in.pick(64)) - 1);
        predicted_ok = true;
        break;
      }
      case 7: {
        name = "scaling::proportional";
        sc::proportional_parameters q;
        q.head_dim = rd;
        q.base = base;
        q.factor = in.rare(3) ? decode_factor(in) : 1.0;
        const double fr[] = {1.0, 0.5, 0.25, 0.75, 0.0, 1.5, 0.1};
        q.partial_rotary_factor = fr[in.pick(7)];
        f = sc::proportional(q);
        pairs = static_cast<std::size_t>(std::floor(q.partial_rotary_factor * static_cast<double>(rd) / 2.0));
        if (f.pair_distance != rd / 2) die("scaling::proportional: pair_distance %td, expected %td", f.pair_distance, rd / 2);
        predicted_ok = true;
        break;
      }
      default: {  // caller frequencies, hostile ones included
        name = "caller frequencies";
        f.inv_freq.clear();
        const double pool[] = {1.0, 0.5, 1e-4, 0.0, -1.0, 3.0, 1e300, 0x1p40, 4.9e-324,
                               std::numeric_limits<double>::quiet_NaN(), HUGE_VAL, 0.125};
        for (std::size_t i = 0; i < std::min<std::size_t>(pairs, 32); ++i) {
          f.inv_freq.push_back(in.rare(6) ? pool[in.pick(12)] : pool[in.pick(3)]);
        }
        if (in.rare(8)) f.attention_factor = in.rare(2) ? decode_factor(in) : 2.0;
        predicted_ok = true;
        return f;  // the sources check these themselves
      }
    }
    check_scaled(f, pairs, name);
    if (!predicted_ok) die("%s accepted parameters that the README refuses", name);
    return f;
  } catch (const rotary::invalid_argument&) {
    if (predicted_ok && (scheme == 0 || scheme == 1 || scheme == 2 || scheme == 5)) {
      // ntk and ntk_alpha share the prediction; both refuse the same parameters.
      die("scheme %u refused valid parameters (rotary_dim %td, base %g)", scheme, rd, base);
    }
    return std::nullopt;
  } catch (const std::exception& e) {
    die("a scaling builder threw %s: %s", typeid(e).name(), e.what());
  }
}

bool frequencies_ok(const std::vector<double>& f) {
  if (f.empty() || f.size() > (std::size_t{1} << 19)) return false;
  for (double t : f) {
    if (!std::isfinite(t) || std::fabs(t) > 0x1p32) return false;  // README: |theta| <= 2^32
  }
  return true;
}

// ==== options ==============================================================================

struct norm_desc {
  int kind = 0;  ///< 0 none, 1 rms, 2 gemma, 3 unweighted
  std::vector<double> w;
  double eps = 1e-6;
  bool after = false;
};

struct options_desc {
  int pairing_value = 0;
  std::ptrdiff_t offset = 0, distance = 0;
  int threads = 1;
  std::ptrdiff_t min_elements = std::ptrdiff_t{1} << 16;
  int qs_kind = 0;  ///< 0 none, 1 log_floor, 2 llama4_temperature
  double qs_beta = 0, qs_len = 1;
  norm_desc qn, kn;
};

bool g_threads_allowed = false;

/// ROTARY_FUZZ_STATS=1: how the inputs ended, per mode (printed at exit): the call checked
/// against the oracle, refused (invalid_argument / out_of_range, as predicted), or not made
/// (a source or a builder refused its parameters first, or the case was skipped).
struct stats_t {
  unsigned long n[3][4] = {};
  bool on = false;
  ~stats_t() {
    if (!on) return;
    const char* modes[] = {"one operand", "q + k", "rotate_into_cache"};
    for (int m = 0; m < 3; ++m) {
      if (n[m][0] + n[m][1] + n[m][2] + n[m][3] == 0) continue;  // another part's mode
      std::fprintf(stderr, "rope_fuzz %-18s checked %8lu  invalid_argument %8lu  out_of_range %8lu  not run %8lu\n",
                   modes[m], n[m][0], n[m][1], n[m][2], n[m][3]);
    }
  }
} g_stats;
void count(int mode, int what) { ++g_stats.n[mode][what]; }

double decode_eps(byte_reader& in) {
  const double pool[] = {1e-6, 1e-5, 0.0, 0.5, -1e-6, std::numeric_limits<double>::quiet_NaN(), HUGE_VAL};
  return in.rare(4) ? pool[in.pick(7)] : pool[in.pick(2)];
}

void decode_norm(byte_reader& in, norm_desc& n, std::ptrdiff_t hd) {
  n.kind = static_cast<int>(in.pick(4));
  n.eps = decode_eps(in);
  n.after = n.kind == 3 ? !in.rare(3) : false;
  if (n.kind == 1 || n.kind == 2) {
    std::ptrdiff_t len = std::max<std::ptrdiff_t>(hd, 0);
    if (in.rare(10)) len += static_cast<std::ptrdiff_t>(in.pick(3)) - 1;
    if (len > 64) len = 64;
    for (std::ptrdiff_t e = 0; e < std::max<std::ptrdiff_t>(len, 0); ++e) {
      const double pool[] = {1.0, 0.5, 2.0, -1.0, 0.0, 1.25};
      n.w.push_back(pool[in.pick(6)]);
    }
    if (in.rare(20) && !n.w.empty()) n.w[0] = std::numeric_limits<double>::quiet_NaN();
  }
}

/// Independent check of a head norm's construction.
bool norm_constructible(const norm_desc& n) {
  if (n.kind == 0) return true;
  if (!(std::isfinite(n.eps) && n.eps >= 0)) return false;
  if (n.kind != 3) {
    if (n.w.empty()) return false;
    for (double w : n.w) {
      if (!std::isfinite(w)) return false;
    }
  }
  return true;
}

rotary::head_norm make_norm(const norm_desc& n) {
  switch (n.kind) {
    case 1: return rotary::head_norm::rms(n.w, n.eps);
    case 2: return rotary::head_norm::gemma(n.w, n.eps);
    case 3: return rotary::head_norm::unweighted(n.eps, n.after);
    default: return {};
  }
}

double qs_at(const options_desc& o, std::int64_t m) {
  if (o.qs_kind == 1) return 1.0 + o.qs_beta * std::log1p(std::floor(static_cast<double>(m) / o.qs_len));
  if (o.qs_kind == 2) return 1.0 + o.qs_beta * std::log1p(std::floor((static_cast<double>(m) + 1.0) / o.qs_len));
  return 1.0;
}

// ==== the oracle for one operand ===========================================================

/// One checked output element.
struct expectation {
  std::int64_t addr;
  ld value;
  ld tol;
  bool bitwise;  ///< compare bits (pass-through copies and conversions)
  bool lenient;  ///< near overflow: any value accepted
  std::uint64_t bits;
};

/// The call's rope parameters, as the oracle sees them.
struct rope_params {
  bool interleaved = false;
  std::ptrdiff_t offset = 0, pairs = 0, distance = 0;
  direction dir = direction::forward;
  const options_desc* opts = nullptr;
};

/// Expected outputs of one operand of a valid call: every element of every out row.
template <class I, class O, class C>
void expect_operand(const unsigned char* snap, const vdesc& in_v, const vdesc& out_v, role r,
                    const angles_info& ang, const pdesc& pos, const rope_params& rp,
                    std::vector<expectation>& out) {
  const int R = in_v.rank;
  const std::ptrdiff_t B = R == 4 ? in_v.ext[0] : 1;
  const std::ptrdiff_t S = in_v.ext[R == 4 ? 1 : 0];
  const std::ptrdiff_t H = in_v.ext[R - 2];
  const std::ptrdiff_t D = in_v.hd();
  const norm_desc* norm = r == role::query ? &rp.opts->qn : r == role::key ? &rp.opts->kn : nullptr;
  if (norm != nullptr && norm->kind == 0) norm = nullptr;
  const bool scaled = rp.opts->qs_kind != 0 && r == role::query;
  const bool inverse = rp.dir == direction::inverse;
  const ld sign = rp.dir == direction::forward ? 1 : -1;
  const bool same_type = std::is_same_v<I, O>;
  const bool in_place = in_v.addr == out_v.addr && same_type && !in_v.null;
  constexpr ld eps_c = ty<C>::eps;
  const ld eps_s = ty<O>::eps;
  const ld floor_ = 16 * ty<C>::sub + ty<O>::sub;
  const ld limit = std::min<ld>(ty<O>::max, ty<C>::max) / 4;
  std::vector<ld> x(static_cast<std::size_t>(D)), y(static_cast<std::size_t>(D)), mag(static_cast<std::size_t>(D));
  std::vector<unsigned char> rotated(static_cast<std::size_t>(D));
  std::vector<ld> xf(static_cast<std::size_t>(D));
  std::vector<ld> cc(static_cast<std::size_t>(rp.pairs)), ss(cc.size()), ff(cc.size());
  for (std::ptrdiff_t i = 0; i < rp.pairs; ++i) {
    const std::ptrdiff_t ia = rp.offset + (rp.interleaved ? 2 * i : i);
    rotated[static_cast<std::size_t>(ia)] = rotated[static_cast<std::size_t>(ia + (rp.interleaved ? 1 : rp.distance))] = 1;
  }
  for (std::ptrdiff_t b = 0; b < B; ++b) {
    for (std::ptrdiff_t s = 0; s < S; ++s) {
      const std::ptrdiff_t t = b * S + s;
      const token_pos tp = position_of(pos, S, t, ang.axes);
      for (std::ptrdiff_t i = 0; i < rp.pairs; ++i) {  // the token's coefficients, once
        const auto u = static_cast<std::size_t>(i);
        ang.coeff(tp, i, cc[u], ss[u], ff[u]);
      }
      ld qs = 1;
      if (scaled) {
        const double sv = qs_at(*rp.opts, tp.m[0]);
        qs = inverse ? static_cast<ld>(static_cast<C>(1.0 / sv)) : static_cast<ld>(static_cast<C>(sv));
      }
      for (std::ptrdiff_t h = 0; h < H; ++h) {
        for (std::ptrdiff_t e = 0; e < D; ++e) x[static_cast<std::size_t>(e)] = ty<I>::get(snap + elem_addr(in_v, b, s, h, e));
        xf = x;
        int n_round = 1;
        // the head norm before the rotation (rounded to the output storage there)
        auto normalize = [&](std::vector<ld>& v) {
          ld sum = 0;
          for (ld a : v) sum += a * a;
          const ld rr = 1.0L / std::sqrt(sum / static_cast<ld>(D) + static_cast<ld>(norm->eps));
          for (std::ptrdiff_t e = 0; e < D; ++e) {
            ld w = 1;
            if (norm->kind == 1) w = static_cast<ld>(static_cast<C>(norm->w[static_cast<std::size_t>(e)]));
            if (norm->kind == 2) w = static_cast<ld>(static_cast<C>(1.0 + norm->w[static_cast<std::size_t>(e)]));
            v[static_cast<std::size_t>(e)] = v[static_cast<std::size_t>(e)] * rr * w;
          }
          return rr;
        };
        ld wmax = 1;
        if (norm != nullptr) {
          for (double w : norm->w) wmax = std::max<ld>(wmax, std::fabs(1.0L + std::fabs(w)));
        }
        if (norm != nullptr && !norm->after) {
          normalize(x);
          ++n_round;
        }
        y = x;
        for (std::ptrdiff_t e = 0; e < D; ++e) mag[static_cast<std::size_t>(e)] = std::fabs(x[static_cast<std::size_t>(e)]);
        ld xterm = 0;
        for (std::ptrdiff_t i = 0; i < rp.pairs; ++i) {
          const std::ptrdiff_t ia = rp.offset + (rp.interleaved ? 2 * i : i);
          const std::ptrdiff_t ib = ia + (rp.interleaved ? 1 : rp.distance);
          ld c = cc[static_cast<std::size_t>(i)], sn = ss[static_cast<std::size_t>(i)], F = ff[static_cast<std::size_t>(i)];
          if (inverse) {
            c /= ang.A * ang.A;
            sn /= ang.A * ang.A;
            F /= ang.A * ang.A;
          }
          const ld a = x[static_cast<std::size_t>(ia)], bb = x[static_cast<std::size_t>(ib)];
          y[static_cast<std::size_t>(ia)] = a * c - sign * bb * sn;
          y[static_cast<std::size_t>(ib)] = bb * c + sign * a * sn;
          ld m = (std::fabs(a) + std::fabs(bb)) * std::fabs(F);
          // The inverse with a factor A is the transpose over the A-scaled table, stored in
          // the output type, then divided by A^2 (README): the stored intermediate is A
          // times the pair, and may overflow a 16-bit output where the result would not.
          // (Known limitation, not checked: see the fuzzer's report.)
          if (inverse && ang.A != 1.0) m = std::max(m, (std::fabs(a) + std::fabs(bb)) * ang.A);
          mag[static_cast<std::size_t>(ia)] = mag[static_cast<std::size_t>(ib)] = m;
          if (ang.kind == angles_info::xpos) xterm = std::max<ld>(xterm, (std::fabs(std::log(F)) + 1) * 0x1p-50L);
        }
        if (inverse && ang.A != 1.0) ++n_round;
        // head_norm.hpp sums the squares in double: a head whose sum leaves double's range
        // (overflow to inf, or below the eps that matters) is normalized to 0 or inf there,
        // as documented; such heads are not compared.
        bool head_lenient = false;
        if (norm != nullptr) {
          ld sum = 0;
          for (ld a : (norm->after ? y : xf)) sum += a * a;
          head_lenient = !(sum < 1e300L) || (!(sum > 1e-290L) && norm->eps < 1e-290);
          // A norm after the rotation sees the rotated head in C: where an element of it may
          // overflow C (an xPos key scale near C's range), the whole head may be NaN or 0.
          if (norm->after) {
            for (ld m : mag) head_lenient = head_lenient || !(m < ty<C>::max / 4);
          }
        }
        ld floor_scale = 1;  // what multiplies the rotation's absolute (subnormal) errors
        if (norm != nullptr && !norm->after) {
          // The norm before the rotation is rounded to the storage type: a normalized element
          // that underflows there (a subnormal next to a huge one) is then amplified by the
          // pair's factor (an xPos scale far past 1).
          for (ld F : ff) floor_scale = std::max<ld>(floor_scale, std::fabs(F));
        }
        if (norm != nullptr && norm->after) {
          ld sum = 0;
          for (ld a : y) sum += a * a;
          const ld rr = 1.0L / std::sqrt(sum / static_cast<ld>(D) + static_cast<ld>(norm->eps));
          floor_scale = std::max<ld>(1, rr * wmax);
          normalize(y);
          for (std::ptrdiff_t e = 0; e < D; ++e) {
            mag[static_cast<std::size_t>(e)] = mag[static_cast<std::size_t>(e)] * rr * wmax + std::fabs(y[static_cast<std::size_t>(e)]);
          }
          ++n_round;
        }
        if (scaled) {
          for (std::ptrdiff_t e = 0; e < D; ++e) {
            y[static_cast<std::size_t>(e)] *= qs;
            mag[static_cast<std::size_t>(e)] *= std::fabs(qs);
          }
          floor_scale *= std::max<ld>(1, std::fabs(qs));
          ++n_round;
        }
        const ld rel = 4 * eps_c + 2 * ang.cs_err() + n_round * eps_s + xterm;
        for (std::ptrdiff_t e = 0; e < D; ++e) {
          expectation ex{};
          ex.addr = elem_addr(out_v, b, s, h, e);
          const bool through = !rotated[static_cast<std::size_t>(e)] && norm == nullptr && !scaled;
          if (through) {
            ex.bitwise = true;
            if (in_place && same_type) {
              ex.bits = ty<O>::bits(snap + ex.addr);  // untouched
            } else {
              ex.bits = converted_bits<I, O>(snap + elem_addr(in_v, b, s, h, e));
            }
          } else {
            ex.value = y[static_cast<std::size_t>(e)];
            ex.tol = mag[static_cast<std::size_t>(e)] * rel + floor_ * floor_scale;
            ex.lenient = head_lenient || !(mag[static_cast<std::size_t>(e)] < limit) ||
                         (norm != nullptr && !(mag[static_cast<std::size_t>(e)] * 64 < limit));
            // tiny heads under a norm: 1 / sqrt(mean + eps) can round to inf in C
            if (norm != nullptr) {
              ld sum = 0;
              for (ld a : xf) sum += a * a;
              if (!(sum / D + norm->eps > 1e-30L)) ex.lenient = true;
            }
          }
          out.push_back(ex);
        }
      }
    }
  }
}

template <class T>
bool check_element(const unsigned char* now, const expectation& ex, std::string& msg) {
  const unsigned char* p = now + ex.addr;
  if (ex.bitwise) {
    if (ty<T>::bits(p) == ex.bits) return true;
    char buf[160];
    std::snprintf(buf, sizeof buf, "byte %lld: bits %#llx, expected %#llx (a pass-through %s)",
                  static_cast<long long>(ex.addr), static_cast<unsigned long long>(ty<T>::bits(p)),
                  static_cast<unsigned long long>(ex.bits), ty<T>::name);
    msg = buf;
    return false;
  }
  const ld got = ty<T>::get(p);
  if (ex.lenient) return true;
  bool ok;
  if (std::isnan(ex.value)) {
    ok = std::isnan(got);
  } else if (std::isinf(ex.value)) {
    ok = got == ex.value;
  } else {
    ok = std::fabs(got - ex.value) <= ex.tol;
  }
  if (ok) return true;
  char buf[200];
  std::snprintf(buf, sizeof buf, "byte %lld (%s): got %.12Lg, expected %.12Lg, tolerance %.3Lg",
                static_cast<long long>(ex.addr), ty<T>::name, got, ex.value, ex.tol);
  msg = buf;
  return false;
}

// ==== the run of one case ==================================================================

struct arena {
  std::vector<unsigned char> bytes;
  std::vector<unsigned char> snap;
  unsigned char* base() { return bytes.data(); }
};

/// Every byte of the arena as in the snapshot, except the bytes of `written` rows.
void expect_unchanged(const arena& a, const std::vector<const vdesc*>& written, const char* when) {
  const std::size_t n = a.bytes.size();
  if (std::memcmp(a.bytes.data(), a.snap.data(), n) == 0) return;  // nothing changed
  std::vector<std::pair<std::int64_t, std::int64_t>> rows, all;
  for (const vdesc* v : written) {
    if (v->empty()) continue;
    rows_of(*v, rows);
    all.insert(all.end(), rows.begin(), rows.end());
  }
  std::sort(all.begin(), all.end());
  // the gaps between the written rows, compared a gap at a time
  std::size_t from = 0;
  auto gap = [&](std::size_t to) {
    if (to > from && std::memcmp(a.bytes.data() + from, a.snap.data() + from, to - from) != 0) {
      std::size_t i = from;
      while (a.bytes[i] == a.snap[i]) ++i;
      die("%s: byte %zu of the arena changed (%#x -> %#x) outside the written rows", when, i,
          a.snap[i], a.bytes[i]);
    }
  };
  for (const auto& r : all) {
    gap(static_cast<std::size_t>(r.first));
    from = std::max(from, static_cast<std::size_t>(r.second));
  }
  gap(n);
}

enum class outcome { ok, invalid, range, other };
const char* outcome_name(outcome o) {
  switch (o) {
    case outcome::ok: return "no exception";
    case outcome::invalid: return "rotary::invalid_argument";
    case outcome::range: return "rotary::out_of_range";
    default: return "another exception";
  }
}

/// Runs f; what it threw. Any exception other than rotary's two documented types traps.
template <class F>
outcome run_call(F&& f, std::string& what) {
  try {
    f();
    return outcome::ok;
  } catch (const rotary::invalid_argument& e) {
    if (typeid(e) != typeid(rotary::invalid_argument)) die("threw a type derived from invalid_argument");
    what = e.what();
    return outcome::invalid;
  } catch (const rotary::out_of_range& e) {
    what = e.what();
    return outcome::range;
  } catch (const std::exception& e) {
    die("threw %s (not a documented type): %s", typeid(e).name(), e.what());
  } catch (...) {
    die("threw a non-std exception");
  }
}

/// The prediction of a call: ok, or the exception types it may throw.
struct prediction {
  bool bad_arg = false;     ///< some invalid_argument rule is broken
  bool bad_range = false;   ///< some out_of_range rule is broken
  bool unsure = false;      ///< on a floating-point boundary: either outcome accepted
  const char* why = "";
  void arg(const char* w) {
    if (!bad_arg) why = w;
    bad_arg = true;
  }
  void range(const char* w) {
    if (!bad_arg && !bad_range) why = w;
    bad_range = true;
  }
  bool ok() const { return !bad_arg && !bad_range; }
};

bool g_judged = false;  ///< the case reached its call (for the statistics)
int g_mode = 0;

void judge(const prediction& p, outcome o, const std::string& what, const char* call) {
  g_judged = true;
  count(g_mode, o == outcome::ok ? 0 : o == outcome::invalid ? 1 : 2);
  if (p.unsure) return;
  if (o == outcome::ok) {
    if (!p.ok()) die("%s accepted an invalid call (%s)", call, p.why);
    return;
  }
  if (p.ok()) die("%s refused a valid call: %s: %s", call, outcome_name(o), what.c_str());
  if (p.bad_arg && p.bad_range) return;  // both broken: either type
  if (p.bad_arg && o != outcome::invalid) die("%s threw %s (%s), expected invalid_argument for: %s", call, outcome_name(o), what.c_str(), p.why);
  if (!p.bad_arg && p.bad_range && o != outcome::range) die("%s threw %s (%s), expected out_of_range for: %s", call, outcome_name(o), what.c_str(), p.why);
}

// ---- the decoded case, for the failure report --------------------------------------------

struct case_desc {
  int mode = 0, source = 0, combo = 0, form = 0;
  bool is_double = false;
  std::ptrdiff_t rd = 0;
  angles_info* ang = nullptr;
  options_desc opts;
  pdesc pos;
  std::vector<vdesc*> views;
  direction dir = direction::forward;
  role r1 = role::unspecified, r2 = role::unspecified;
  std::vector<std::int64_t> slots;
  std::string extra;
};
case_desc* g_cur = nullptr;

std::string describe_current() {
  if (g_cur == nullptr) return "";
  const case_desc& c = *g_cur;
  char buf[512];
  const char* src[] = {"table", "table(owned)", "cos_sin_view", "on_the_fly", "multi_axis", "xpos"};
  std::snprintf(buf, sizeof buf,
                "mode %d source %s<%s> combo %d form %d dir %s roles %d,%d pairing %d offset %td "
                "distance %td threads %d/%td qs %d(%g,%g) qn %d(%g%s) kn %d(%g%s) rd %td",
                c.mode, src[c.source], c.is_double ? "double" : "float", c.combo, c.form,
                rotary::to_string(c.dir), static_cast<int>(c.r1), static_cast<int>(c.r2),
                c.opts.pairing_value, c.opts.offset, c.opts.distance, c.opts.threads,
                c.opts.min_elements, c.opts.qs_kind, c.opts.qs_beta, c.opts.qs_len, c.opts.qn.kind,
                c.opts.qn.eps, c.opts.qn.after ? " after" : "", c.opts.kn.kind, c.opts.kn.eps,
                c.opts.kn.after ? " after" : "", c.rd);
  std::string s = buf;
  if (c.ang != nullptr) {
    std::snprintf(buf, sizeof buf, "\n  angles: pairs %td A %.17g rows %lld axes %td", c.ang->pairs(), c.ang->A,
                  static_cast<long long>(c.ang->rows), c.ang->axes);
    s += buf;
    if (c.ang->kind == angles_info::xpos) {
      std::snprintf(buf, sizeof buf, " xpos sign %g centre %g gamma %g scale_base %g", c.ang->xsign,
                    c.ang->centre, c.ang->gamma, c.ang->scale_base);
      s += buf;
    }
    s += " theta:";
    for (double t : c.ang->theta) {
      std::snprintf(buf, sizeof buf, " %.6g", t);
      s += buf;
    }
    if (c.ang->axes > 0) {
      s += " axis:";
      for (int a : c.ang->axis) s += " " + std::to_string(a);
    }
  }
  s += "\n  " + c.pos.describe();
  for (const vdesc* v : c.views) s += "\n  view " + v->str_desc();
  if (!c.slots.empty()) {
    s += "\n  slots:";
    for (auto sl : c.slots) s += " " + std::to_string(sl);
  }
  if (!c.extra.empty()) s += "\n  " + c.extra;
  return s;
}

// ---- storage combinations -------------------------------------------------------------------

template <class T>
struct tag {
  using type = T;
};
using f32 = float;
using f64 = double;
using bf = rotary::bfloat16;
using hf = rotary::float16;

/// (in, out) storage for one operand, by compute type. Full: all nine float-compute pairs
/// (the referenced table); otherwise four (the storage paths do not depend on the source,
/// and every instantiation costs build time).
template <bool Full, class F>
void with_combo(bool is_double, unsigned combo, F&& f) {
  if (is_double) return f(tag<f64>{}, tag<f64>{});
  if constexpr (!Full) {
    switch (combo % 4) {
      case 0: return f(tag<f32>{}, tag<f32>{});
      case 1: return f(tag<bf>{}, tag<bf>{});
      case 2: return f(tag<f32>{}, tag<hf>{});
      default: return f(tag<hf>{}, tag<bf>{});
    }
  } else {
    switch (combo % 9) {
      case 0: return f(tag<f32>{}, tag<f32>{});
      case 1: return f(tag<bf>{}, tag<bf>{});
      case 2: return f(tag<hf>{}, tag<hf>{});
      case 3: return f(tag<f32>{}, tag<bf>{});
      case 4: return f(tag<f32>{}, tag<hf>{});
      case 5: return f(tag<bf>{}, tag<f32>{});
      case 6: return f(tag<hf>{}, tag<f32>{});
      case 7: return f(tag<bf>{}, tag<hf>{});
      default: return f(tag<hf>{}, tag<bf>{});
    }
  }
}

/// (q in, q out, k in, k out) storage for two operands (Full: five, else two).
template <bool Full, class F>
void with_pair_combo(bool is_double, unsigned combo, F&& f) {
  if (is_double) return f(tag<f64>{}, tag<f64>{}, tag<f64>{}, tag<f64>{});
  if constexpr (!Full) {
    if (combo % 2 == 0) return f(tag<f32>{}, tag<f32>{}, tag<f32>{}, tag<f32>{});
    return f(tag<f32>{}, tag<f32>{}, tag<f32>{}, tag<bf>{});
  } else {
    switch (combo % 5) {
      case 0: return f(tag<f32>{}, tag<f32>{}, tag<f32>{}, tag<f32>{});
      case 1: return f(tag<bf>{}, tag<bf>{}, tag<bf>{}, tag<bf>{});
      case 2: return f(tag<f32>{}, tag<f32>{}, tag<f32>{}, tag<bf>{});  // float keys into a bf16 cache
      case 3: return f(tag<hf>{}, tag<hf>{}, tag<f32>{}, tag<hf>{});
      default: return f(tag<f32>{}, tag<bf>{}, tag<hf>{}, tag<f32>{});
    }
  }
}

// ---- the rope, from its options ----------------------------------------------------------

/// Independent check of a rope's construction: its options against the source's rotary_dim.
void predict_rope(const options_desc& o, std::ptrdiff_t pairs, prediction& p) {
  if (o.pairing_value != 0 && o.pairing_value != 1) p.arg("pairing out of range");
  if (o.threads < 1) p.arg("threads < 1");
  if (o.min_elements < 0) p.arg("min_elements_per_thread < 0");
  if (o.offset < 0) p.arg("rotary_offset < 0");
  if (o.distance < 0) p.arg("pair_distance < 0");
  if (o.pairing_value == 0 && o.distance != 0) p.arg("pair_distance with interleaved");
  const std::ptrdiff_t d = o.distance == 0 ? pairs : o.distance;
  if (o.distance > 0 && d < pairs) p.arg("pair_distance < rotary_dim / 2");
  if (d > kPtrMax - pairs) p.arg("pair_distance overflows");
  else if (o.offset > kPtrMax - (d + pairs)) p.arg("rotary_offset overflows");
  if (o.qs_kind != 0 && !(std::isfinite(o.qs_beta) && std::isfinite(o.qs_len) && o.qs_len >= 1)) p.arg("bad query_scale");
  if (!norm_constructible(o.qn) || !norm_constructible(o.kn)) p.arg("bad head norm");
}

/// The rope_options (the factories of query_scale and head_norm may throw: callers run this
/// inside run_call).
rotary::rope_options make_options(const options_desc& o) {
  rotary::rope_options r;
  r.rotary_offset = o.offset;
  r.pair_distance = o.distance;
  r.execution = rotary::threads(o.threads);
  r.execution.min_elements_per_thread = o.min_elements;
  if (o.qs_kind == 1) r.query_scale = rotary::query_scale::log_floor(o.qs_beta, o.qs_len);
  if (o.qs_kind == 2) r.query_scale = rotary::query_scale::llama4_temperature(o.qs_beta, o.qs_len);
  if (o.qn.kind != 0) r.query_norm = make_norm(o.qn);
  if (o.kn.kind != 0) r.key_norm = make_norm(o.kn);
  return r;
}

/// The rope's own options: pairing, rotary_offset, pair_distance, threads. suggested:
/// a scheme's pair distance (proportional RoPE), taken with half_split unless mutated.
void decode_core_options(byte_reader& in, options_desc& o, std::ptrdiff_t pairs,
                         std::ptrdiff_t suggested) {
  o.pairing_value = static_cast<int>(in.pick(2));
  if (suggested != 0 && !in.rare(8)) {
    o.pairing_value = 1;
    o.distance = suggested;
  }
  if (in.rare(40)) o.pairing_value = in.coin() ? 2 : -1;
  if (in.rare(3)) {
    switch (in.pick(6)) {
      case 0: case 1: case 2: case 3: o.offset = static_cast<std::ptrdiff_t>(in.pick(9)); break;
      case 4: o.offset = -static_cast<std::ptrdiff_t>(1 + in.pick(2)); break;
      default: o.offset = kPtrMax - static_cast<std::ptrdiff_t>(in.pick(40)); break;
    }
  }
  if (o.pairing_value == 1 && in.rare(3)) {
    switch (in.pick(6)) {
      case 0: case 1: case 2: o.distance = pairs + static_cast<std::ptrdiff_t>(in.pick(6)); break;
      case 3: o.distance = pairs - 1; break;
      case 4: o.distance = -1; break;
      default: o.distance = kPtrMax - static_cast<std::ptrdiff_t>(in.pick(8)); break;
    }
  } else if (in.rare(40)) {
    o.distance = pairs;  // with interleaved: refused
  }
  if (in.rare(8)) {
    switch (in.pick(5)) {
      case 0: o.threads = 0; break;
      case 1: o.threads = -1; break;
      case 2: o.min_elements = -1; break;
      case 3: o.threads = 2 + static_cast<int>(in.pick(3)); break;  // 64 Ki threshold: inline
      default:
        if (g_threads_allowed) {
          o.threads = 2 + static_cast<int>(in.pick(2));
          o.min_elements = static_cast<std::ptrdiff_t>(in.pick(2));
        }
        break;
    }
  }
}

/// The fused extras: a query scale, head norms (weights of hd values, sometimes not).
void decode_extras(byte_reader& in, options_desc& o, std::ptrdiff_t hd, unsigned one_in) {
  if (in.rare(one_in)) {
    o.qs_kind = 1 + static_cast<int>(in.pick(2));
    const double betas[] = {0.1, 0.5, -0.2, -3.0, 0.0, 2.0, std::numeric_limits<double>::quiet_NaN()};
    const double lens[] = {4.0, 1.0, 2.0, 8192.0, 0.5, 3.0, HUGE_VAL};
    o.qs_beta = betas[in.pick(in.rare(6) ? 7 : 6)];
    o.qs_len = lens[in.pick(in.rare(6) ? 7 : 4)];
  }
  if (in.rare(one_in)) decode_norm(in, o.qn, hd);
  if (in.rare(one_in)) decode_norm(in, o.kn, hd);
}

/// The checks of one call's options against its operands (roles, direction, norms).
void predict_call_options(const options_desc& o, direction d, bool xpos,
                          const std::vector<std::pair<role, std::ptrdiff_t>>& ops, prediction& p) {
  const bool norms = o.qn.kind != 0 || o.kn.kind != 0;
  bool unnamed = false, query = false;
  for (const auto& op : ops) {
    unnamed = unnamed || op.first == role::unspecified;
    query = query || op.first == role::query;
  }
  if (norms && d != direction::forward) p.arg("head norm with a direction other than forward");
  if ((norms || o.qs_kind != 0) && unnamed) p.arg("an operand without a role");
  if (xpos && d == direction::inverse) p.arg("xPos inverse");
  for (const auto& op : ops) {
    if (op.first == role::query && (o.qn.kind == 1 || o.qn.kind == 2) &&
        static_cast<std::ptrdiff_t>(o.qn.w.size()) != op.second) p.arg("query_norm weight length");
    if (op.first == role::key && (o.kn.kind == 1 || o.kn.kind == 2) &&
        static_cast<std::ptrdiff_t>(o.kn.w.size()) != op.second) p.arg("key_norm weight length");
  }
  (void)query;
}

/// The range checks of a valid set of positions [lo, hi] (tokens present).
template <class... Outs>
void predict_range(const angles_info& ang, const options_desc& o, bool scales_queries,
                   std::int64_t lo, std::int64_t hi, prediction& p) {
  if (ang.kind == angles_info::table || ang.kind == angles_info::table_owned || ang.kind == angles_info::view) {
    if (hi >= ang.rows) p.range("position past the table");
  }
  if (ang.kind == angles_info::xpos) {
    const double far = std::max(std::fabs(static_cast<double>(lo) - ang.centre),
                                std::fabs(static_cast<double>(hi) - ang.centre));
    auto limit_check = [&](double limit) {
      const double maxd = ang.xpos_max_distance(limit);
      if (std::fabs(far - maxd) <= 1e-9 * std::max(1.0, maxd)) p.unsure = true;
      if (!(far <= maxd)) p.range("xPos scale past the storage type");
    };
    limit_check(ang.is_double ? 1.7976931348623157e308 : 3.4028234663852886e38);
    (limit_check(static_cast<double>(ty<Outs>::max)), ...);
  }
  if (scales_queries) {
    for (std::int64_t m : {lo, hi}) {
      const double s = qs_at(o, m);
      if (!(std::isfinite(s) && s > 0)) p.arg("query scale not finite and > 0");
    }
  }
}

// ---- mode 0 and 1: rope calls ------------------------------------------------------------

/// Decodes extents for an operand: rank 3 {tokens, heads, hd} or rank 4 {B, S, heads, hd}.
void decode_extents(byte_reader& in, vdesc& v, int rank, std::ptrdiff_t B, std::ptrdiff_t S,
                    std::ptrdiff_t heads, std::ptrdiff_t hd) {
  v.rank = rank;
  if (rank == 4) {
    v.ext[0] = B;
    v.ext[1] = S;
    v.ext[2] = heads;
    v.ext[3] = hd;
  } else {
    v.ext[0] = S;
    v.ext[1] = heads;
    v.ext[2] = hd;
  }
  if (in.rare(40)) v.ext[in.pick(static_cast<unsigned>(rank))] = -1;
  if (in.rare(60)) v.ext[0] = (std::ptrdiff_t{1} << 62) + 1;
}

std::ptrdiff_t decode_head_dim(byte_reader& in, std::ptrdiff_t footprint_guess) {
  if (in.rare(12)) return static_cast<std::ptrdiff_t>(in.pick(41));  // anything 0 .. 40, odd too
  return std::max<std::ptrdiff_t>(footprint_guess, 0) + 2 * static_cast<std::ptrdiff_t>(in.rare(3) ? in.pick(5) : 0);
}


/// The rotated footprint of a rope with these options (saturating; only used when the rope
/// was built, where it does not overflow).
std::ptrdiff_t footprint_of(const options_desc& o, std::ptrdiff_t pairs) {
  if (o.pairing_value == 0) return 2 * pairs;
  const std::ptrdiff_t d = o.distance == 0 ? pairs : o.distance;
  return d > kPtrMax - pairs ? kPtrMax : d + pairs;
}

/// The common state of a rope case.
struct rope_case {
  byte_reader* in = nullptr;
  case_desc* cd = nullptr;
  angles_info ang;
  splitmix gen{0};
  unsigned special = 0;
  bool allow_large = true;
  std::ptrdiff_t suggested_distance = 0;  ///< a scheme's pair distance (proportional RoPE)
};

void fill_random(std::vector<unsigned char>& bytes, splitmix& g) {
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t r = g.next();
    std::memcpy(bytes.data() + i, &r, std::min<std::size_t>(8, bytes.size() - i));
  }
}

template <class T>
void fill_view(arena& a, const vdesc& v, splitmix& g, unsigned special, bool large) {
  if (!v.placed || v.empty()) return;
  std::vector<std::pair<std::int64_t, std::int64_t>> rows;
  rows_of(v, rows);
  for (const auto& r : rows) {
    for (std::int64_t b = r.first; b < r.second; b += static_cast<std::int64_t>(sizeof(T))) {
      generate<T>(a.base() + b, g, special, large);
    }
  }
}

template <class O>
void verify(const arena& a, const std::vector<expectation>& exps, const char* call) {
  std::string msg;
  for (const expectation& ex : exps) {
    if (!check_element<O>(a.bytes.data(), ex, msg)) die("%s: wrong result at %s", call, msg.c_str());
  }
}

struct operand_desc {
  vdesc in, out;
  role r = role::unspecified;
};

/// A valid view that lies outside the arena (a reach too large to back here): the call
/// would write memory the fuzzer does not own, so such a case is skipped.
bool unbacked(const vdesc& v) {
  const char* why = "";
  return !v.empty() && !v.null && !v.placed && view_ok(v, false, why);
}

/// Same data, same strides, same storage type: one view, in place (README: in and out are
/// the same view or share no element; views of two types over the same bytes share them).
bool same_view(const vdesc& a, const vdesc& b) {
  if (std::strcmp(a.type, b.type) != 0 || a.null != b.null || (!a.null && a.addr != b.addr)) return false;
  for (int r = 0; r < a.rank; ++r) {
    if (a.str[r] != b.str[r]) return false;
  }
  return true;
}

template <class Src, bool Owned>
using rope_of = rotary::rope<std::conditional_t<Owned, Src, rotary::detail::held_angles_t<const Src&>>>;

/// The rope over src: referencing it (a named source), or holding a copy of it (Owned).
template <bool Owned, class Rope, class Src>
void build_rope(std::optional<Rope>& r, const Src& src, pairing p, const options_desc& o) {
  if constexpr (Owned) {
    r.emplace(Src(src), p, make_options(o));
  } else {
    r.emplace(src, p, make_options(o));
  }
}

template <class Rope, class I, class O, std::size_t R>
void call_single(const Rope& rope, direction d, int form, unsigned char* base, const operand_desc& op,
                 const rotary::positions& pos) {
  const auto out = make_view<O, R>(op.out, base);
  if constexpr (std::is_same_v<I, O>) {
    if (form == 0) return rope.apply(d, out, pos);  // in place: the one view
  }
  const auto in = make_view<const I, R>(op.in, base);
  if (form == 2) {
    if (op.r == role::query) return rope.apply(d, rotary::query(in, out), pos);
    if (op.r == role::key) return rope.apply(d, rotary::key(in, out), pos);
    return rope.apply(d, rotary::out_of_place(in, out), pos);
  }
  rope.apply(d, in, out, pos);
}

rope_params params_of(const options_desc& o, std::ptrdiff_t pairs, direction d) {
  rope_params rp;
  rp.interleaved = o.pairing_value == 0;
  rp.offset = o.offset;
  rp.pairs = pairs;
  rp.distance = o.distance == 0 ? pairs : o.distance;
  rp.dir = d;
  rp.opts = &o;
  return rp;
}

void decode_shape(byte_reader& in, int R, std::ptrdiff_t& B, std::ptrdiff_t& S) {
  B = R == 4 ? (in.rare(12) ? 0 : 1 + static_cast<std::ptrdiff_t>(in.pick(2))) : 1;
  S = (in.rare(12) ? 0 : 1) + static_cast<std::ptrdiff_t>(in.pick(in.rare(4) ? 5 : 3));
}

/// The prediction for one operand's views against each other and the rope's footprint.
void predict_operand(const operand_desc& op, bool in_place, std::ptrdiff_t foot,
                     const options_desc& o, prediction& pred) {
  const char* why = "";
  if (!view_ok(op.in, in_place, why)) pred.arg(why);
  if (!in_place && !view_ok(op.out, true, why)) pred.arg(why);
  for (int r = 0; r < op.in.rank; ++r) {
    if (op.in.ext[r] != op.out.ext[r]) pred.arg("in and out extents differ");
  }
  if (!pred.bad_arg && !in_place && views_share(op.in, op.out)) pred.arg("in and out share an element");
  const std::ptrdiff_t D = op.in.hd();
  if (!pred.bad_arg && !(o.offset <= D && foot <= D - o.offset)) pred.arg("rotary_offset + rotary_dim > head_dim");
}

/// One-operand case: source Src (referenced, or held when Owned), storage I -> O, rank R.
template <class Src, bool Owned, class I, class O, std::size_t R>
void run_single_case(rope_case& rc, const Src& src) {
  byte_reader& in = *rc.in;
  case_desc& cd = *rc.cd;
  using C = rotary::compute_type_t<I>;
  const angles_info& ang = rc.ang;
  const std::ptrdiff_t pairs = ang.pairs();
  options_desc& o = cd.opts;
  decode_core_options(in, o, pairs, rc.suggested_distance);
  std::ptrdiff_t B, S;
  decode_shape(in, R, B, S);
  std::ptrdiff_t H = 1 + static_cast<std::ptrdiff_t>(in.pick(in.rare(3) ? 4 : 2));
  if (in.rare(20)) H = 0;
  const std::ptrdiff_t foot = footprint_of(o, pairs);
  const std::ptrdiff_t D = decode_head_dim(in, std::min<std::ptrdiff_t>(foot, 64) + std::min<std::ptrdiff_t>(std::max<std::ptrdiff_t>(o.offset, 0), 8));
  decode_extras(in, o, D, 6);
  operand_desc op;
  op.in.esize = sizeof(I);
  op.in.type = ty<I>::name;
  decode_extents(in, op.in, R, B, S, H, D);
  decode_strides(in, op.in);
  // out: the same view (in place), a fresh one, or one aliasing in
  const unsigned alias = in.pick(8);
  int form = static_cast<int>(in.pick(4));  // 0 in place, 1 (in, out), 2 operand, 3 rotate<P>
  if (alias <= 1) {
    op.out = op.in;
    if (!std::is_same_v<I, O> && form == 0) form = 1;
  } else {
    op.out.rank = R;
    for (int r = 0; r < static_cast<int>(R); ++r) op.out.ext[r] = op.in.ext[r];
    if (in.rare(20)) op.out.ext[in.pick(static_cast<unsigned>(R))] += 1;
    decode_strides(in, op.out);
    if (form == 0) form = 1;
  }
  op.out.esize = sizeof(O);
  op.out.type = ty<O>::name;
  const bool plain = o.qs_kind == 0 && o.qn.kind == 0 && o.kn.kind == 0 && o.threads == 1 &&
                     o.min_elements == (std::ptrdiff_t{1} << 16) && o.distance == 0 &&
                     (o.pairing_value == 0 || o.pairing_value == 1);
  if (form == 3 && !plain) form = 1;  // rotate<P>(...) takes only a rotary_offset
  op.r = form == 2 ? static_cast<role>(in.pick(3)) : role::unspecified;
  cd.form = form;
  cd.r1 = op.r;
  if (in.rare(30)) op.in.null = true;
  if (alias <= 1) {
    op.out.null = op.in.null;
  } else if (in.rare(30)) {
    op.out.null = true;
  }
  direction d = static_cast<direction>(in.pick(in.rare(2) ? 3 : 1));
  if (form == 3) d = direction::forward;
  cd.dir = d;
  decode_positions(in, cd.pos, B, S, ang.rows >= 0 ? ang.rows : 6, ang.axes);
  layout lay;
  lay.place(in, op.in, nullptr, 0);
  const unsigned anchor = alias <= 1 ? 1 : alias == 2 ? 2 : alias == 3 ? 1 : alias == 4 ? 3 : 0;
  lay.place(in, op.out, &op.in, anchor);
  cd.views = {&op.in, &op.out};
  if (unbacked(op.in) || unbacked(op.out)) return;
  arena a;
  a.bytes.resize(lay.finish());
  fill_random(a.bytes, rc.gen);
  const bool norms = o.qn.kind != 0 || o.kn.kind != 0;
  fill_view<I>(a, op.in, rc.gen, rc.special, rc.allow_large && !norms);
  a.snap = a.bytes;

  // ---- the prediction
  prediction pred;
  predict_rope(o, pairs, pred);
  const bool in_place = same_view(op.in, op.out);
  predict_call_options(o, d, ang.kind == angles_info::xpos, {{op.r, op.in.hd()}}, pred);
  predict_operand(op, in_place, foot, o, pred);
  std::int64_t lo = 0, hi = 0;
  const char* why = "";
  if (!pred.bad_arg && !positions_ok(cd.pos, B, S, ang.axes, lo, hi, why)) pred.arg(why);
  const bool scales = o.qs_kind != 0 && op.r == role::query;
  if (!pred.bad_arg && scales && cd.pos.kind == pdesc::multi) pred.arg("query_scale with multi-axis positions");
  if (!pred.bad_arg && B > 0 && S > 0) predict_range<O>(ang, o, scales, lo, hi, pred);

  // ---- the call
  std::string what;
  const rotary::positions pos = cd.pos.make();
  const pairing P = static_cast<pairing>(o.pairing_value);
  using rope_t = rope_of<Src, Owned>;
  std::optional<rope_t> rope;
  const outcome res = run_call(
      [&] {
        if (form == 3) {  // the free function (its rope is built inside)
          const auto x_out = make_view<O, R>(op.out, a.base());
          if constexpr (std::is_same_v<I, O>) {
            if (in_place && std::equal(op.in.ext, op.in.ext + R, op.out.ext)) {  // one view
              if (P == pairing::interleaved) return rotary::rotate<pairing::interleaved>(x_out, src, pos, o.offset);
              return rotary::rotate<pairing::half_split>(x_out, src, pos, o.offset);
            }
          }
          const auto x_in = make_view<const I, R>(op.in, a.base());
          if (P == pairing::interleaved) return rotary::rotate<pairing::interleaved>(x_in, x_out, src, pos, o.offset);
          return rotary::rotate<pairing::half_split>(x_in, x_out, src, pos, o.offset);
        }
        build_rope<Owned>(rope, src, P, o);
        call_single<rope_t, I, O, R>(*rope, d, form, a.base(), op, pos);
      },
      what);
  judge(pred, res, what, form == 3 ? "rotate<P>" : "rope");
  std::vector<expectation> exps;
  if (res != outcome::ok) {
    expect_unchanged(a, {}, "a call that threw");
  } else if (!pred.unsure) {
    expect_operand<I, O, C>(a.snap.data(), op.in, op.out, op.r, ang, cd.pos, params_of(o, pairs, d), exps);
    verify<O>(a, exps, "rope");
    expect_unchanged(a, {&op.out}, "rope");
  }
  if (!rope) return;  // the free function, or a rope that could not be built

  // ---- rotate_reference on a copy of the arena: the same outcome, the oracle's values
  {
    arena ref;
    ref.bytes = a.snap;
    ref.snap = a.snap;
    std::string rwhat;
    const outcome rres = run_call(
        [&] {
          rotary::rotate_reference(*rope, d, make_view<const I, R>(op.in, ref.base()),
                                   make_view<O, R>(op.out, ref.base()), pos);
        },
        rwhat);
    if (o.qs_kind != 0 || norms) {  // the reference covers the rotation only
      if (rres != outcome::invalid) die("rotate_reference: %s for a rope with a norm or a query scale", outcome_name(rres));
      expect_unchanged(ref, {}, "rotate_reference (refused)");
    } else if (!pred.unsure) {
      if (rres != res) {
        die("rotate_reference: %s (%s), the rope: %s (%s)", outcome_name(rres), rwhat.c_str(),
            outcome_name(res), what.c_str());
      }
      if (rres == outcome::ok) {
        verify<O>(ref, exps, "rotate_reference");
        expect_unchanged(ref, {&op.out}, "rotate_reference");
      } else {
        expect_unchanged(ref, {}, "rotate_reference (refused)");
      }
    }
  }

  // ---- the round trip: the inverse restores the input
  if (res != outcome::ok || pred.unsure || B * S == 0 || H == 0 || norms) return;
  if (ang.kind == angles_info::view) return;  // a caller's cache: rounded cos/sin, no inverse here
  constexpr bool is_xpos = std::is_same_v<Src, rotary::xpos_angles<C>>;
  direction back;
  if (is_xpos) {
    if (o.qs_kind != 0) return;
    back = d == direction::forward ? direction::transpose : direction::forward;  // with the other role
  } else if (d == direction::forward) {
    back = direction::inverse;
  } else if (d == direction::inverse) {
    back = direction::forward;
  } else if (ang.A == 1.0 && o.qs_kind == 0) {
    back = direction::forward;
  } else {
    return;
  }
  // the factors (A, the xPos scale) and every value in a range where precision is kept
  ld fmin = HUGE_VALL, fmax = 0;
  for (std::ptrdiff_t t = 0; t < B * S; ++t) {
    const token_pos tp = position_of(cd.pos, S, t, ang.axes);
    for (std::ptrdiff_t i = 0; i < pairs; ++i) {
      ld c, sn, F;
      ang.coeff(tp, i, c, sn, F);
      fmin = std::min(fmin, std::fabs(F));
      fmax = std::max(fmax, std::fabs(F));
    }
  }
  const ld frange = ty<O>::is16 || ty<I>::is16 ? 0x1p6L : 0x1p40L;
  if (!(fmin >= 1 / frange && fmax <= frange)) return;
  auto tame = [](ld v) { return std::isfinite(v) && std::fabs(v) <= 0x1p60L && (v == 0 || std::fabs(v) >= 0x1p-60L); };
  ld out_max = 0;
  for (const expectation& ex : exps) {
    const ld v = ty<O>::get(a.bytes.data() + ex.addr);
    if (!tame(v)) return;
    out_max = std::max(out_max, std::fabs(v));
  }
  // the inverse's stored intermediate (A times the pair, in the type it writes: I) must fit
  if (back == direction::inverse && ang.A != 1.0 && !(2 * out_max * ang.A < ty<I>::max / 4)) return;
  {
    std::vector<std::pair<std::int64_t, std::int64_t>> rows;
    rows_of(op.in, rows);
    for (const auto& r : rows) {
      for (std::int64_t b = r.first; b < r.second; b += static_cast<std::int64_t>(sizeof(I))) {
        if (!tame(ty<I>::get(a.snap.data() + b))) return;
      }
    }
  }
  // restored into a fresh contiguous buffer of the input type
  vdesc back_v = op.in;
  {
    std::ptrdiff_t s = 1;
    for (int r = R; r-- > 0;) back_v.str[r] = s, s *= back_v.ext[r];
    back_v.addr = 64;
    back_v.null = false;
    back_v.placed = true;
  }
  arena rt;
  rt.bytes.assign(static_cast<std::size_t>(64 + B * S * H * D) * sizeof(I) + 64, 0xA5);
  rt.snap = rt.bytes;
  std::string bwhat;
  auto back_call = [&](const auto& r) {
    const auto from = make_view<const O, R>(op.out, a.base());
    const auto to = make_view<I, R>(back_v, rt.base());
    if (op.r == role::query) return r.apply(back, rotary::query(from, to), pos);
    if (op.r == role::key) return r.apply(back, rotary::key(from, to), pos);
    r.apply(back, from, to, pos);
  };
  const outcome bres = run_call(
      [&] {
        if constexpr (is_xpos) {
          const rotary::xpos_angles<C> other(ang.theta, ang.xsign > 0 ? rotary::xpos_role::key : rotary::xpos_role::query,
                                             ang.centre, ang.gamma, ang.scale_base);
          back_call(rotary::rope(other, P, make_options(o)));
        } else {
          back_call(*rope);
        }
      },
      bwhat);
  if (bres != outcome::ok) {
    if (is_xpos && bres == outcome::range) return;  // the other role's range check (storage of I)
    die("the round trip's %s threw %s: %s", rotary::to_string(back), outcome_name(bres), bwhat.c_str());
  }
  const ld rel = 8 * ty<C>::eps + 4 * ang.cs_err() + 3 * ty<O>::eps + 3 * ty<I>::eps;
  const ld floor_ = 64 * (ty<I>::sub + ty<O>::sub + ty<C>::sub) / std::min<ld>(fmin, 1);
  const rope_params rp = params_of(o, pairs, d);
  for (std::ptrdiff_t b = 0; b < B; ++b) {
    for (std::ptrdiff_t s = 0; s < S; ++s) {
      for (std::ptrdiff_t h = 0; h < H; ++h) {
        for (std::ptrdiff_t e = 0; e < D; ++e) {
          const ld want = ty<I>::get(a.snap.data() + elem_addr(op.in, b, s, h, e));
          const ld got = ty<I>::get(rt.bytes.data() + elem_addr(back_v, b, s, h, e));
          // the pair's magnitude bounds the error
          std::ptrdiff_t partner = e;
          const std::ptrdiff_t k = e - o.offset;
          if (k >= 0) {
            if (rp.interleaved && k < 2 * pairs) partner = o.offset + (k ^ 1);
            if (!rp.interleaved && k < pairs) partner = e + rp.distance;
            if (!rp.interleaved && k >= rp.distance && k < rp.distance + pairs) partner = e - rp.distance;
          }
          const ld mag = std::fabs(want) + std::fabs(ty<I>::get(a.snap.data() + elem_addr(op.in, b, s, h, partner)));
          const ld tol = mag * rel + floor_;
          if (!(std::fabs(got - want) <= tol)) {
            die("round trip %s then %s: element (%td,%td,%td,%td) is %.12Lg, was %.12Lg (tolerance %.3Lg)",
                rotary::to_string(d), rotary::to_string(back), b, s, h, e, got, want, tol);
          }
        }
      }
    }
  }
}

// ---- the angle sources of a case ---------------------------------------------------------

/// Builds the case's angle source and runs body(source, owned) (owned: a std::bool_constant,
/// true for a rope that holds its own copy); fills rc.ang. The sources' construction errors
/// are predicted and checked here.
template <class C, class Body>
void with_source(rope_case& rc, unsigned kind, Body&& body) {
  byte_reader& in = *rc.in;
  case_desc& cd = *rc.cd;
  angles_info& ang = rc.ang;
  ang.is_double = std::is_same_v<C, double>;
  const std::ptrdiff_t rd = decode_rotary_dim(in);
  cd.rd = rd;
  const bool rd_ok = rd > 0 && rd % 2 == 0 && rd <= (std::ptrdiff_t{1} << 20);
  std::string what;
  switch (kind) {
    case 0:    // cos_sin_table, referenced by the rope
    case 1: {  // held by the rope (a copy moved in)
      ang.kind = kind == 0 ? angles_info::table : angles_info::table_owned;
      const std::ptrdiff_t rows = in.rare(12) ? -1 - static_cast<std::ptrdiff_t>(in.pick(2)) : static_cast<std::ptrdiff_t>(in.pick(9));
      ang.rows = rows;
      std::optional<rotary::cos_sin_table<C>> table;
      const unsigned ctor = in.pick(3);
      if (ctor == 0) {
        const double base = in.rare(4) ? decode_base(in) : 10000.0;
        const bool predicted = rd_ok && std::isfinite(base) && base > 0 && rows >= 0;
        const outcome o = run_call([&] { table.emplace(rd, rows, base); }, what);
        if ((o == outcome::ok) != predicted) die("cos_sin_table(%td, %td, %g): %s, predicted %s (%s)", rd, rows, base, outcome_name(o), predicted ? "success" : "invalid_argument", what.c_str());
        if (o != outcome::ok) return;
        if (rd > 64) return;
        ang.theta = rotary::rope_frequencies(rd, base);
      } else {
        bool builder_ok = false;
        auto f = decode_frequencies(in, rd, builder_ok);
        if (!f) return;
        cd.extra = "frequencies from a scheme";
        const bool with_a = ctor == 2;
        const bool predicted = frequencies_ok(f->inv_freq) && rows >= 0 &&
                               (!with_a || (std::isfinite(f->attention_factor) && f->attention_factor > 0));
        const outcome o = run_call(
            [&] {
              if (with_a) {
                table.emplace(*f, rows);
              } else {
                table.emplace(f->inv_freq, rows);
              }
            },
            what);
        if ((o == outcome::ok) != predicted) die("cos_sin_table(frequencies, %td): %s, predicted %s (%s)", rows, outcome_name(o), predicted ? "success" : "invalid_argument", what.c_str());
        if (o != outcome::ok) return;
        if (f->inv_freq.size() > 32) return;
        ang.theta = f->inv_freq;
        ang.A = with_a ? f->attention_factor : 1.0;
        rc.suggested_distance = f->pair_distance;
      }
      if (table->rows() != rows || table->rotary_dim() != 2 * static_cast<std::ptrdiff_t>(ang.theta.size())) die("cos_sin_table: rows or rotary_dim wrong");
      if (table->attention_factor() != ang.A) die("cos_sin_table: attention_factor %g, expected %g", table->attention_factor(), ang.A);
      if (kind == 0) {
        body(*table, std::false_type{});
      } else {
        body(*table, std::true_type{});
      }
      return;
    }
    case 2: {  // cos_sin_view over a caller's cache: vLLM [cos | sin] rows, or two HF arrays
      ang.kind = angles_info::view;
      const std::ptrdiff_t rows = in.rare(12) ? -1 : static_cast<std::ptrdiff_t>(in.pick(9));
      const std::ptrdiff_t half = rd / 2;
      const bool vllm = in.coin();
      std::ptrdiff_t stride = vllm ? rd : half + static_cast<std::ptrdiff_t>(in.pick(4)) * (in.coin() ? 1 : 2);
      if (in.rare(10)) stride = half - 1;
      if (in.rare(30)) stride = kPtrMax / 2;
      const bool null = in.rare(20);
      static std::vector<C> cache_a, cache_b;
      const bool sane = rd_ok && rows >= 0 && stride >= half && stride <= 64 && rd <= 64;
      cache_a.assign(sane ? static_cast<std::size_t>(rows * stride + rd) : 4, C(0));
      cache_b.assign(cache_a.size(), C(0));
      const std::vector<double> theta = rd_ok && rd <= 64 ? rotary::rope_frequencies(rd, 10000.0) : std::vector<double>{};
      if (sane) {
        for (std::ptrdiff_t m = 0; m < rows; ++m) {
          for (std::ptrdiff_t i = 0; i < half; ++i) {
            const auto cs = cs_int(m, theta[static_cast<std::size_t>(i)]);
            cache_a[static_cast<std::size_t>(m * stride + i)] = static_cast<C>(cs.first);
            (vllm ? cache_a : cache_b)[static_cast<std::size_t>(m * stride + i + (vllm ? half : 0))] = static_cast<C>(cs.second);
          }
        }
      }
      const C* cp = null ? nullptr : cache_a.data();
      const C* sp = null ? nullptr : (vllm ? cache_a.data() + (sane ? half : 0) : cache_b.data());
      const bool predicted = rd_ok && rows >= 0 && stride >= half && (rows == 0 || !null) &&
                             (stride <= 0 || rows <= kPtrMax / stride);
      std::optional<rotary::cos_sin_view<const C>> view;
      const outcome o = run_call([&] { view.emplace(cp, sp, rows, rd, stride); }, what);
      if ((o == outcome::ok) != predicted) die("cos_sin_view(rows %td, rotary_dim %td, row_stride %td, null %d): %s, predicted %s", rows, rd, stride, null, outcome_name(o), predicted ? "success" : "invalid_argument");
      if (o != outcome::ok || !sane) return;  // (a valid view not backed here: not run)
      ang.theta = theta;
      ang.rows = rows;
      ang.vcos = cp;
      ang.vsin = sp;
      ang.vstride = stride;
      body(*view, std::false_type{});
      return;
    }
    case 3: {  // on_the_fly_angles (cached: building one costs milliseconds)
      ang.kind = angles_info::otf;
      ang.rows = -1;
      if (!rd_ok) {
        const outcome o = run_call([&] { rotary::on_the_fly_angles<C> bad(rd); }, what);
        if (o != outcome::invalid) die("on_the_fly_angles(%td): %s, expected invalid_argument", rd, outcome_name(o));
        return;
      }
      // rotary_dim 2 .. 24 (every SIMD tail of the kernels is covered by the tables): each
      // (type, rotary_dim, variant) is built once, 2 x 12 x 3 sources in all
      const int otf_rd = static_cast<int>(2 + (rd - 2) % 24);
      cd.rd = otf_rd;
      const int variant = static_cast<int>(in.pick(3));
      double A = 1.0;
      const auto& src = otf_source<C>(otf_rd, variant, A);
      ang.theta = otf_frequencies(otf_rd, variant, A);
      ang.A = A;
      if (src.attention_factor() != A) die("on_the_fly_angles: attention_factor %g, expected %g", src.attention_factor(), A);
      body(src, std::false_type{});
      return;
    }
    case 4: {  // multi_axis_angles over an axis_map
      ang.kind = angles_info::multi;
      const std::ptrdiff_t rows = in.rare(12) ? -1 : static_cast<std::ptrdiff_t>(in.pick(9));
      ang.rows = -1;
      const unsigned mk = in.pick(7);
      std::vector<int> axis;
      std::vector<double> theta;
      std::ptrdiff_t axes = 0;
      bool predicted = true;
      std::optional<rotary::axis_map> map;
      const double base = in.rare(6) ? decode_base(in) : 10000.0;
      const bool base_ok = std::isfinite(base) && base > 0;
      const std::ptrdiff_t pairs = rd_ok && rd <= 64 ? rd / 2 : 0;
      // sections summing to the pairs (sometimes not)
      std::vector<int> sec;
      const std::size_t nsec = mk <= 2 ? 3 : 1 + in.pick(4);
      {
        std::ptrdiff_t left = pairs;
        for (std::size_t k = 0; k < nsec; ++k) {
          int v = k + 1 == nsec ? static_cast<int>(left)
                                : static_cast<int>(std::min<std::ptrdiff_t>(left, in.pick(static_cast<unsigned>(left + 1))));
          if (mk == 2 && k == 1) v = sec[0];  // ERNIE: h == w
          left -= v;
          sec.push_back(v);
        }
        if (mk == 2) sec[2] = static_cast<int>(pairs - sec[0] - sec[1]);
        if (in.rare(10)) sec[in.pick(static_cast<unsigned>(sec.size()))] += static_cast<int>(in.pick(3)) - 1;
        if (in.rare(30)) sec.push_back(0);
      }
      if (mk <= 2 && !(rd_ok && rd <= 64 && base_ok)) return;  // no 1-D frequencies to map
      const std::vector<double> f1 = mk <= 2 ? rotary::rope_frequencies(rd, base) : std::vector<double>{};
      auto sum_ok = [&](std::ptrdiff_t total) {
        long long t = 0;
        for (int v : sec) {
          if (v < 0) return false;
          t += v;
        }
        return t == total;
      };
      switch (mk) {
        case 0:  // Qwen2-VL M-RoPE: contiguous sections
          predicted = !sec.empty() && sec.size() <= 4 && sum_ok(pairs);
          if (predicted) {
            for (std::size_t k = 0; k < sec.size(); ++k) axis.insert(axis.end(), static_cast<std::size_t>(sec[k]), static_cast<int>(k));
            theta = f1;
            axes = static_cast<std::ptrdiff_t>(sec.size());
          }
          break;
        case 1:  // Qwen3-VL interleaved
          predicted = sec.size() == 3 && sum_ok(pairs) && 3 * sec[1] <= pairs + 1 && 3 * sec[2] <= pairs;
          if (predicted) {
            axis.assign(static_cast<std::size_t>(pairs), 0);
            for (std::ptrdiff_t i = 0; i < pairs; ++i) {
              if (i % 3 == 1 && i < 3 * sec[1]) axis[static_cast<std::size_t>(i)] = 1;
              if (i % 3 == 2 && i < 3 * sec[2]) axis[static_cast<std::size_t>(i)] = 2;
            }
            theta = f1;
            axes = 3;
          }
          break;
        case 2:  // ERNIE 4.5 VL: (h, w, t), h and w alternating
          predicted = sec.size() == 3 && sum_ok(pairs) && sec[0] == sec[1];
          if (predicted) {
            axis.assign(static_cast<std::size_t>(pairs), 0);
            for (std::ptrdiff_t i = 0; i < 2 * sec[0]; ++i) axis[static_cast<std::size_t>(i)] = i % 2 == 0 ? 1 : 2;
            theta = f1;
            axes = 3;
          }
          break;
        case 3: {  // FLUX axes_dim: element counts per axis
          std::vector<int> dims;
          for (int v : sec) dims.push_back(2 * v + (in.rare(12) ? 1 : 0));
          predicted = base_ok && !dims.empty() && dims.size() <= 4;
          for (int dm : dims) predicted = predicted && dm > 0 && dm % 2 == 0;
          if (predicted) {
            for (std::size_t k = 0; k < dims.size(); ++k) {
              for (int j = 0; j < dims[k] / 2; ++j) {
                axis.push_back(static_cast<int>(k));
                theta.push_back(std::pow(base, -2.0 * j / static_cast<double>(dims[k])));
              }
            }
            axes = static_cast<std::ptrdiff_t>(dims.size());
          }
          sec = dims;
          break;
        }
        case 4:    // Llama 4 vision: x, y halves
        case 5: {  // Pixtral: even / odd frequencies
          const std::ptrdiff_t hd = rd;
          predicted = hd > 0 && hd % 4 == 0 && hd <= (1 << 20) && base_ok;
          if (predicted && hd > 64) return;
          if (predicted) {
            axes = 2;
            if (mk == 4) {
              for (int k = 0; k < 2; ++k) {
                for (std::ptrdiff_t j = 0; j < hd / 4; ++j) {
                  axis.push_back(k);
                  theta.push_back(std::pow(base, -2.0 * static_cast<double>(j) / static_cast<double>(hd / 2)));
                }
              }
            } else {
              for (int parity = 0; parity < 2; ++parity) {
                for (std::ptrdiff_t k = parity; k < hd / 2; k += 2) {
                  axis.push_back(parity);
                  theta.push_back(std::pow(base, -2.0 * static_cast<double>(k) / static_cast<double>(hd)));
                }
              }
            }
          }
          break;
        }
        default: {  // any map, pair by pair
          axes = 1 + static_cast<std::ptrdiff_t>(in.pick(4));
          if (in.rare(20)) axes = in.coin() ? 0 : 5;
          for (std::ptrdiff_t i = 0; i < std::min<std::ptrdiff_t>(pairs, 20); ++i) {
            axis.push_back(static_cast<int>(in.pick(static_cast<unsigned>(std::max<std::ptrdiff_t>(axes, 1)))) - (in.rare(40) ? 7 : 0));
            const double pool[] = {1.0, 0.5, 0.01, 3.0, 0.0, -1.0, 1e-5};
            theta.push_back(pool[in.pick(7)]);
          }
          if (in.rare(20) && !axis.empty()) axis.pop_back();
          predicted = axes >= 1 && axes <= 4 && !theta.empty() && axis.size() == theta.size();
          for (int v : axis) predicted = predicted && v >= 0 && v < axes;
          break;
        }
      }
      const outcome o = run_call(
          [&] {
            switch (mk) {
              case 0: map.emplace(rotary::axis_map::mrope(f1, sec)); break;
              case 1: map.emplace(rotary::axis_map::mrope_interleaved(f1, sec)); break;
              case 2: map.emplace(rotary::axis_map::ernie_vl(f1, sec)); break;
              case 3: map.emplace(rotary::axis_map::axes_dim(sec, base)); break;
              case 4: map.emplace(rotary::axis_map::llama4_vision(rd, base)); break;
              case 5: map.emplace(rotary::axis_map::pixtral(rd, base)); break;
              default: map.emplace(axes, axis, theta); break;
            }
          },
          what);
      if ((o == outcome::ok) != predicted) {
        die("axis_map kind %u (rotary_dim %td, base %g): %s, predicted %s (%s)", mk, rd, base, outcome_name(o), predicted ? "success" : "invalid_argument", what.c_str());
      }
      if (o != outcome::ok) return;
      if (map->pairs() > 32) return;
      // the map is what the README says it is
      if (map->axes() != axes || map->pairs() != static_cast<std::ptrdiff_t>(theta.size())) die("axis_map kind %u: %td axes, %td pairs; expected %td, %zu", mk, map->axes(), map->pairs(), axes, theta.size());
      for (std::ptrdiff_t i = 0; i < map->pairs(); ++i) {
        if (map->axis(i) != axis[static_cast<std::size_t>(i)]) die("axis_map kind %u: pair %td on axis %d, expected %d", mk, i, map->axis(i), axis[static_cast<std::size_t>(i)]);
        const double f = map->frequency(i), g = theta[static_cast<std::size_t>(i)];
        if (!(std::fabs(f - g) <= 1e-15 * std::fabs(g))) die("axis_map kind %u: pair %td frequency %.17g, expected %.17g", mk, i, f, g);
      }
      std::optional<rotary::multi_axis_angles<C>> src;
      const outcome o2 = run_call([&] { src.emplace(*map, rows); }, what);
      if ((o2 == outcome::ok) != (rows >= 0)) die("multi_axis_angles(rows %td): %s", rows, outcome_name(o2));
      if (o2 != outcome::ok) return;
      ang.theta.assign(map->frequencies().begin(), map->frequencies().end());
      ang.axis = axis;
      ang.axes = axes;
      body(*src, std::false_type{});
      return;
    }
    default: {  // xpos_angles
      ang.kind = angles_info::xpos;
      ang.rows = -1;
      ang.xsign = in.coin() ? 1.0 : -1.0;
      const double centres[] = {0.0, 2.0, 1000.0, -5.0, 3.5e4, 1e18, std::numeric_limits<double>::quiet_NaN(), HUGE_VAL};
      const double gammas[] = {0.4, 0.1, 1.0, 0.0, -0.4, std::numeric_limits<double>::quiet_NaN()};
      const double bases[] = {512.0, 8.0, 1.0, 0.0, -512.0, HUGE_VAL};
      ang.centre = centres[in.rare(4) ? in.pick(8) : in.pick(3)];
      ang.gamma = gammas[in.rare(4) ? in.pick(6) : in.pick(3)];
      ang.scale_base = bases[in.rare(4) ? in.pick(6) : in.pick(3)];
      if (!rd_ok || rd > 64) return;
      const std::vector<double> f = rotary::rope_frequencies(rd, 10000.0);
      const bool predicted = std::isfinite(ang.gamma) && ang.gamma > 0 && std::isfinite(ang.scale_base) &&
                             ang.scale_base > 0 && std::isfinite(ang.centre);
      std::optional<rotary::xpos_angles<C>> src;
      const outcome o = run_call(
          [&] {
            src.emplace(f, ang.xsign > 0 ? rotary::xpos_role::query : rotary::xpos_role::key, ang.centre,
                        ang.gamma, ang.scale_base);
          },
          what);
      if ((o == outcome::ok) != predicted) die("xpos_angles(centre %g, gamma %g, scale_base %g): %s", ang.centre, ang.gamma, ang.scale_base, outcome_name(o));
      if (o != outcome::ok) return;
      ang.theta = f;
      body(*src, std::false_type{});
      return;
    }
  }
}

// ---- mode 1: two operands ------------------------------------------------------------------

template <class Src, bool Owned, class QI, class QO, class KI, class KO, std::size_t R>
void run_pair_case(rope_case& rc, const Src& src) {
  byte_reader& in = *rc.in;
  case_desc& cd = *rc.cd;
  using C = rotary::compute_type_t<QI>;
  const angles_info& ang = rc.ang;
  const std::ptrdiff_t pairs = ang.pairs();
  options_desc& o = cd.opts;
  decode_core_options(in, o, pairs, rc.suggested_distance);
  std::ptrdiff_t B, S;
  decode_shape(in, R, B, S);
  std::ptrdiff_t Hq = 1 + static_cast<std::ptrdiff_t>(in.pick(4));
  std::ptrdiff_t Hk = 1;
  switch (in.pick(4)) {
    case 0: Hk = Hq; break;
    case 1: Hk = 1; break;  // MQA
    case 2: Hk = Hq % 2 == 0 ? Hq / 2 : Hq; break;
    default: Hk = 1 + static_cast<std::ptrdiff_t>(in.pick(4)); break;  // sometimes not dividing
  }
  if (in.rare(25)) Hq = 0;
  if (in.rare(25)) Hk = 0;
  const std::ptrdiff_t foot = footprint_of(o, pairs);
  const std::ptrdiff_t guess = std::min<std::ptrdiff_t>(foot, 64) + std::min<std::ptrdiff_t>(std::max<std::ptrdiff_t>(o.offset, 0), 8);
  const std::ptrdiff_t Dq = decode_head_dim(in, guess);
  const std::ptrdiff_t Dk = in.rare(6) ? decode_head_dim(in, guess) : Dq;
  decode_extras(in, o, Dq, 4);
  operand_desc qa, kb;
  const unsigned roles = in.pick(6);
  const role role_pairs[6][2] = {{role::query, role::key},       {role::query, role::key},
                                 {role::key, role::query},       {role::query, role::query},
                                 {role::unspecified, role::key}, {role::unspecified, role::unspecified}};
  qa.r = role_pairs[roles][0];
  kb.r = role_pairs[roles][1];
  cd.r1 = qa.r;
  cd.r2 = kb.r;
  qa.in.esize = sizeof(QI), qa.in.type = ty<QI>::name;
  kb.in.esize = sizeof(KI), kb.in.type = ty<KI>::name;
  decode_extents(in, qa.in, R, B, S, Hq, Dq);
  decode_extents(in, kb.in, R, B, in.rare(20) ? S + 1 : S, Hk, Dk);
  decode_strides(in, qa.in);
  decode_strides(in, kb.in);
  const unsigned qalias = in.pick(4), kalias = in.pick(4);
  auto out_of = [&](operand_desc& op, unsigned alias, std::size_t es, const char* type) {
    if (alias <= 1) {
      op.out = op.in;
    } else {
      op.out.rank = R;
      for (int r = 0; r < static_cast<int>(R); ++r) op.out.ext[r] = op.in.ext[r];
      decode_strides(in, op.out);
    }
    op.out.esize = es;
    op.out.type = type;
  };
  out_of(qa, qalias, sizeof(QO), ty<QO>::name);
  out_of(kb, kalias, sizeof(KO), ty<KO>::name);
  if (in.rare(40)) qa.in.null = qa.out.null = true;
  const direction d = static_cast<direction>(in.pick(in.rare(2) ? 3 : 1));
  cd.dir = d;
  decode_positions(in, cd.pos, B, S, ang.rows >= 0 ? ang.rows : 6, ang.axes);
  layout lay;
  lay.place(in, qa.in, nullptr, 0);
  lay.place(in, qa.out, &qa.in, qalias <= 1 ? 1 : (qalias == 2 ? 0 : 2));
  // k: its own region, inside q's (fused QKV), or right after q's heads
  const unsigned kplace = in.pick(5);
  lay.place(in, kb.in, kplace >= 3 ? &qa.in : nullptr, kplace == 3 ? 3 : (kplace == 4 ? 2 : 0));
  lay.place(in, kb.out, &kb.in, kalias <= 1 ? 1 : (kalias == 2 ? 0 : 2));
  cd.views = {&qa.in, &qa.out, &kb.in, &kb.out};
  for (const vdesc* v : cd.views) {
    if (unbacked(*v)) return;
  }
  arena a;
  a.bytes.resize(lay.finish());
  fill_random(a.bytes, rc.gen);
  const bool norms = o.qn.kind != 0 || o.kn.kind != 0;
  fill_view<QI>(a, qa.in, rc.gen, rc.special, rc.allow_large && !norms);
  fill_view<KI>(a, kb.in, rc.gen, rc.special, rc.allow_large && !norms);
  a.snap = a.bytes;

  prediction pred;
  predict_rope(o, pairs, pred);
  const bool qip = same_view(qa.in, qa.out), kip = same_view(kb.in, kb.out);
  predict_call_options(o, d, ang.kind == angles_info::xpos, {{qa.r, qa.in.hd()}, {kb.r, kb.in.hd()}}, pred);
  predict_operand(qa, qip, foot, o, pred);
  predict_operand(kb, kip, foot, o, pred);
  if (!pred.bad_arg) {
    for (int r = 0; r + 2 < static_cast<int>(R); ++r) {
      if (qa.in.ext[r] != kb.in.ext[r]) pred.arg("q and k token counts differ");
    }
    const bool qk = (qa.r == role::query && kb.r == role::key) || (qa.r == role::key && kb.r == role::query);
    if (qk) {
      const std::ptrdiff_t h = qa.r == role::query ? qa.in.ext[R - 2] : kb.in.ext[R - 2];
      const std::ptrdiff_t hkv = qa.r == role::query ? kb.in.ext[R - 2] : qa.in.ext[R - 2];
      if (!((h == 0 && hkv == 0) || (hkv > 0 && h % hkv == 0))) pred.arg("num_kv_heads does not divide num_heads");
    }
    if (views_share(qa.out, kb.out)) pred.arg("q out and k out share");
    if (views_share(qa.out, kb.in)) pred.arg("q out and k in share");
    if (views_share(kb.out, qa.in)) pred.arg("k out and q in share");
  }
  std::int64_t lo = 0, hi = 0;
  const char* why = "";
  if (!pred.bad_arg && !positions_ok(cd.pos, B, S, ang.axes, lo, hi, why)) pred.arg(why);
  const bool scales = o.qs_kind != 0 && (qa.r == role::query || kb.r == role::query);
  if (!pred.bad_arg && scales && cd.pos.kind == pdesc::multi) pred.arg("query_scale with multi-axis positions");
  if (!pred.bad_arg && B > 0 && S > 0) predict_range<QO, KO>(ang, o, scales, lo, hi, pred);

  std::string what;
  const rotary::positions pos = cd.pos.make();
  const pairing P = static_cast<pairing>(o.pairing_value);
  using rope_t = rope_of<Src, Owned>;
  std::optional<rope_t> rope;
  const outcome res = run_call(
      [&] {
        build_rope<Owned>(rope, src, P, o);
        const rotary::operand<const QI, QO, R> first{make_view<const QI, R>(qa.in, a.base()),
                                                     make_view<QO, R>(qa.out, a.base()), qa.r};
        const rotary::operand<const KI, KO, R> second{make_view<const KI, R>(kb.in, a.base()),
                                                      make_view<KO, R>(kb.out, a.base()), kb.r};
        rope->apply(d, first, second, pos);
      },
      what);
  judge(pred, res, what, "rope (two operands)");
  if (res != outcome::ok) {
    expect_unchanged(a, {}, "a call that threw");
    return;
  }
  if (pred.unsure) return;
  const rope_params rp = params_of(o, pairs, d);
  std::vector<expectation> eq, ek;
  expect_operand<QI, QO, C>(a.snap.data(), qa.in, qa.out, qa.r, ang, cd.pos, rp, eq);
  expect_operand<KI, KO, C>(a.snap.data(), kb.in, kb.out, kb.r, ang, cd.pos, rp, ek);
  verify<QO>(a, eq, "rope (first operand)");
  verify<KO>(a, ek, "rope (second operand)");
  expect_unchanged(a, {&qa.out, &kb.out}, "rope (two operands)");
}

// ---- mode 2: rotate_into_cache ----------------------------------------------------------

template <class Src, bool Owned, class KI, class VI, class KO, class VO>
void run_cache_case(rope_case& rc, const Src& src) {
  byte_reader& in = *rc.in;
  case_desc& cd = *rc.cd;
  using C = rotary::compute_type_t<KI>;
  const angles_info& ang = rc.ang;
  const std::ptrdiff_t pairs = ang.pairs();
  options_desc& o = cd.opts;
  decode_core_options(in, o, pairs, rc.suggested_distance);
  const std::ptrdiff_t T = static_cast<std::ptrdiff_t>(in.pick(5));
  const std::ptrdiff_t H = 1 + static_cast<std::ptrdiff_t>(in.pick(3));
  const std::ptrdiff_t foot = footprint_of(o, pairs);
  const std::ptrdiff_t D = decode_head_dim(in, std::min<std::ptrdiff_t>(foot, 64) + std::min<std::ptrdiff_t>(std::max<std::ptrdiff_t>(o.offset, 0), 8));
  const std::ptrdiff_t Dv = in.rare(4) ? 2 * static_cast<std::ptrdiff_t>(in.pick(9)) + (in.rare(8) ? 1 : 0) : D;
  decode_extras(in, o, D, 8);
  const std::ptrdiff_t rows = T + static_cast<std::ptrdiff_t>(in.pick(6));
  vdesc k, v, kc, vc;
  k.esize = sizeof(KI), k.type = ty<KI>::name;
  v.esize = sizeof(VI), v.type = ty<VI>::name;
  kc.esize = sizeof(KO), kc.type = ty<KO>::name;
  vc.esize = sizeof(VO), vc.type = ty<VO>::name;
  decode_extents(in, k, 3, 1, T, H, D);
  decode_extents(in, v, 3, 1, in.rare(20) ? T + 1 : T, H, Dv);
  decode_extents(in, kc, 3, 1, rows, in.rare(20) ? H + 1 : H, D);
  decode_extents(in, vc, 3, 1, in.rare(8) ? std::max<std::ptrdiff_t>(rows - 2, 0) : rows, H, in.rare(20) ? Dv + 2 : Dv);
  decode_strides(in, k);
  decode_strides(in, v);
  decode_strides(in, kc);
  decode_strides(in, vc);
  // slots: a run of consecutive rows (a ring's wrap included), or scattered; sometimes
  // repeated or out of range
  std::vector<std::int64_t>& slots = cd.slots;
  const std::int64_t first = static_cast<std::int64_t>(in.pick(static_cast<unsigned>(std::max<std::ptrdiff_t>(rows, 1))));
  for (std::ptrdiff_t t = 0; t < T; ++t) {
    std::int64_t sl = in.pick(2) == 0 ? (first + t) % std::max<std::ptrdiff_t>(rows, 1)
                                      : static_cast<std::int64_t>(in.pick(static_cast<unsigned>(std::max<std::ptrdiff_t>(rows, 1))));
    if (in.rare(20)) sl = in.coin() ? -1 : rows;
    slots.push_back(sl);
  }
  const bool wide = in.coin();
  std::ptrdiff_t slot_count = T;
  if (in.rare(20)) {
    slot_count = T + 1;
    slots.push_back(0);
  }
  std::vector<std::int32_t> s32(slots.begin(), slots.end());
  const bool slots_null = in.rare(25);
  decode_positions(in, cd.pos, 1, T, ang.rows >= 0 ? ang.rows : 6, ang.axes);
  layout lay;
  lay.place(in, k, nullptr, 0);
  lay.place(in, v, in.rare(4) ? &k : nullptr, in.rare(2) ? 3 : 1);  // v may share k's memory
  lay.place(in, kc, in.rare(12) ? &k : nullptr, 2);
  lay.place(in, vc, in.rare(12) ? &kc : nullptr, 3);
  cd.views = {&k, &v, &kc, &vc};
  for (const vdesc* w : cd.views) {
    if (unbacked(*w)) return;
  }
  arena a;
  a.bytes.resize(lay.finish());
  fill_random(a.bytes, rc.gen);
  fill_view<KI>(a, k, rc.gen, rc.special, rc.allow_large && o.kn.kind == 0);
  fill_view<VI>(a, v, rc.gen, rc.special, true);
  a.snap = a.bytes;

  prediction pred;
  predict_rope(o, pairs, pred);
  const char* why = "";
  if (!view_ok(k, false, why)) pred.arg(why);
  if (!view_ok(v, false, why)) pred.arg(why);
  if (!view_ok(kc, true, why)) pred.arg(why);
  if (!view_ok(vc, true, why)) pred.arg(why);
  if (!pred.bad_arg) {
    if (k.ext[0] != v.ext[0]) pred.arg("k and v token counts differ");
    if (slot_count != T) pred.arg("slot count");
    if (slots_null && T != 0) pred.arg("null slots");
    for (int dd = 1; dd < 3; ++dd) {
      if (k.ext[dd] != kc.ext[dd]) pred.arg("k and k_cache extents differ");
      if (v.ext[dd] != vc.ext[dd]) pred.arg("v and v_cache extents differ");
    }
    if (!(o.offset <= D && foot <= D - o.offset)) pred.arg("rotary_offset + rotary_dim > head_dim");
    if (o.qs_kind != 0) pred.arg("a query_scale on keys");
    if ((o.kn.kind == 1 || o.kn.kind == 2) && static_cast<std::ptrdiff_t>(o.kn.w.size()) != D) pred.arg("key_norm weight length");
  }
  if (!pred.bad_arg && !slots_null) {
    const std::ptrdiff_t nrows = std::min(kc.ext[0], vc.ext[0]);
    for (std::ptrdiff_t t = 0; t < T; ++t) {
      const std::int64_t st = slots[static_cast<std::size_t>(t)];
      if (st < 0 || st >= nrows) pred.arg("slot out of range");
      for (std::ptrdiff_t u = 0; u < t; ++u) {
        if (slots[static_cast<std::size_t>(u)] == st) pred.arg("slot written twice");
      }
    }
  }
  if (!pred.bad_arg && (views_share(k, kc) || views_share(v, kc) || views_share(k, vc) ||
                        views_share(v, vc) || views_share(kc, vc))) {
    pred.arg("a cache shares memory with k, v or the other cache");
  }
  std::int64_t lo = 0, hi = 0;
  if (!pred.bad_arg && !positions_ok(cd.pos, 1, T, ang.axes, lo, hi, why)) pred.arg(why);
  if (!pred.bad_arg && T > 0) predict_range<KO>(ang, o, false, lo, hi, pred);

  std::string what;
  const rotary::positions pos = cd.pos.make();
  const pairing P = static_cast<pairing>(o.pairing_value);
  std::optional<rope_of<Src, Owned>> rope;
  const outcome res = run_call(
      [&] {
        build_rope<Owned>(rope, src, P, o);
        const auto kv = make_view<const KI, 3>(k, a.base());
        const auto vv = make_view<const VI, 3>(v, a.base());
        const auto kcv = make_view<KO, 3>(kc, a.base());
        const auto vcv = make_view<VO, 3>(vc, a.base());
        if (wide) {
          rotary::rotate_into_cache(*rope, kv, vv, kcv, vcv, slots_null ? nullptr : slots.data(), slot_count, pos);
        } else {
          rotary::rotate_into_cache(*rope, kv, vv, kcv, vcv, slots_null ? nullptr : s32.data(), slot_count, pos);
        }
      },
      what);
  judge(pred, res, what, "rotate_into_cache");
  if (res != outcome::ok) {
    expect_unchanged(a, {}, "a call that threw");
    return;
  }
  if (pred.unsure) return;
  // k_cache row slots[t] holds token t's key rotated; v_cache row slots[t] its value
  std::vector<vdesc> krow(static_cast<std::size_t>(T)), vrow(static_cast<std::size_t>(T));
  const rope_params rp = params_of(o, pairs, direction::forward);
  std::vector<const vdesc*> written;
  for (std::ptrdiff_t t = 0; t < T; ++t) {
    const std::size_t u = static_cast<std::size_t>(t);
    vdesc ksrc = k, vsrc = v;
    ksrc.ext[0] = vsrc.ext[0] = 1;
    ksrc.addr = k.addr + t * k.str[0] * static_cast<std::int64_t>(k.esize);
    vsrc.addr = v.addr + t * v.str[0] * static_cast<std::int64_t>(v.esize);
    krow[u] = kc;
    vrow[u] = vc;
    krow[u].ext[0] = vrow[u].ext[0] = 1;
    krow[u].addr = kc.addr + slots[u] * kc.str[0] * static_cast<std::int64_t>(kc.esize);
    vrow[u].addr = vc.addr + slots[u] * vc.str[0] * static_cast<std::int64_t>(vc.esize);
    written.push_back(&krow[u]);
    written.push_back(&vrow[u]);
    // token t's positions, as positions of a one-token call
    pdesc one;
    const token_pos tp = position_of(cd.pos, T, t, ang.axes);
    if (cd.pos.kind == pdesc::multi) {
      one.kind = pdesc::multi;
      one.mtype = cd.pos.mtype;
      one.axes = cd.pos.axes;
      one.mcount = 1;
      one.axis_stride = 1;
      one.token_stride = cd.pos.axes;
      for (std::ptrdiff_t ax = 0; ax < cd.pos.axes; ++ax) one.mval.push_back(tp.v[ax]);
    } else {
      one.kind = pdesc::offset;
      one.off = tp.m[0];
    }
    std::vector<expectation> ek;
    expect_operand<KI, KO, C>(a.snap.data(), ksrc, krow[u], role::key, ang, one, rp, ek);
    verify<KO>(a, ek, "rotate_into_cache (keys)");
    for (std::ptrdiff_t h = 0; h < H; ++h) {
      for (std::ptrdiff_t e = 0; e < v.ext[2]; ++e) {
        const std::int64_t from = elem_addr(vsrc, 0, 0, h, e), to = elem_addr(vrow[u], 0, 0, h, e);
        std::uint64_t want;
        if constexpr (std::is_same_v<VI, VO>) {
          want = ty<VI>::bits(a.snap.data() + from);
        } else {
          want = converted_bits<VI, VO>(a.snap.data() + from);
        }
        if (ty<VO>::bits(a.bytes.data() + to) != want) {
          die("rotate_into_cache: value of token %td, head %td, element %td: bits %#llx, expected %#llx", t, h, e,
              static_cast<unsigned long long>(ty<VO>::bits(a.bytes.data() + to)), static_cast<unsigned long long>(want));
        }
      }
    }
  }
  expect_unchanged(a, written, "rotate_into_cache");
}

// ---- dispatch ------------------------------------------------------------------------------

template <class C, unsigned Mode>
void run_mode(rope_case& rc, unsigned source, unsigned combo, bool rank4) {
  with_source<C>(rc, source, [&](const auto& src, auto owned) {
    using Src = std::decay_t<decltype(src)>;
    constexpr bool Owned = decltype(owned)::value;
    constexpr bool is_double = std::is_same_v<C, double>;
    // every storage pair and rank 4 with the referenced table; subsets with the others
    constexpr bool Full = !Owned && std::is_same_v<Src, rotary::cos_sin_table<C>>;
    if constexpr (Mode == 0) {
      with_combo<Full>(is_double, combo, [&](auto ti, auto to) {
        using I = typename decltype(ti)::type;
        using O = typename decltype(to)::type;
        if constexpr (std::is_same_v<rotary::compute_type_t<I>, C>) {
          if constexpr (Full || std::is_same_v<Src, rotary::multi_axis_angles<C>>) {
            if (rank4) return run_single_case<Src, Owned, I, O, 4>(rc, src);
          }
          run_single_case<Src, Owned, I, O, 3>(rc, src);
        }
      });
    } else if constexpr (Mode == 1) {
      with_pair_combo<Full>(is_double, combo, [&](auto a, auto b, auto c, auto d) {
        using QI = typename decltype(a)::type;
        using QO = typename decltype(b)::type;
        using KI = typename decltype(c)::type;
        using KO = typename decltype(d)::type;
        if constexpr (std::is_same_v<rotary::compute_type_t<QI>, C>) {
          if constexpr (Full) {
            if (rank4) return run_pair_case<Src, Owned, QI, QO, KI, KO, 4>(rc, src);
          }
          run_pair_case<Src, Owned, QI, QO, KI, KO, 3>(rc, src);
        }
      });
    } else if constexpr (is_double) {
      run_cache_case<Src, Owned, f64, f64, f64, f64>(rc, src);
    } else if constexpr (!Full) {
      if (combo % 2 == 0) return run_cache_case<Src, Owned, f32, f32, f32, f32>(rc, src);
      run_cache_case<Src, Owned, f32, f32, bf, bf>(rc, src);
    } else {
      switch (combo % 4) {
        case 0: return run_cache_case<Src, Owned, f32, f32, f32, f32>(rc, src);
        case 1: return run_cache_case<Src, Owned, f32, f32, bf, bf>(rc, src);
        case 2: return run_cache_case<Src, Owned, f32, f64, hf, f64>(rc, src);
        default: return run_cache_case<Src, Owned, bf, hf, bf, bf>(rc, src);
      }
    }
  });
}

/// One input of mode Mode (its first byte, mod 3): decoded and run.
template <unsigned Mode>
int test_one_input(const std::uint8_t* data, std::size_t size) {
  byte_reader in(data, size);
  case_desc cd;
  rope_case rc;
  rc.in = &in;
  rc.cd = &cd;
  const unsigned mode = in.pick(3);
  if (mode != Mode) die("input of mode %u given to mode %u", mode, Mode);
  const unsigned source = in.pick(6);
  const bool is_double = in.rare(4);
  const unsigned combo = in.pick(9);
  const bool rank4 = in.rare(3);
  rc.gen.state = in.u32();
  rc.special = in.rare(3) ? 2 + in.pick(12) : 0;
  rc.allow_large = in.rare(4);
  cd.mode = static_cast<int>(mode);
  cd.source = static_cast<int>(source);
  cd.combo = static_cast<int>(combo);
  cd.is_double = is_double;
  cd.ang = &rc.ang;
  g_cur = &cd;
  g_judged = false;
  g_mode = static_cast<int>(mode);
  if (is_double) {
    run_mode<double, Mode>(rc, source, combo, rank4);
  } else {
    run_mode<float, Mode>(rc, source, combo, rank4);
  }
  if (!g_judged) count(g_mode, 3);
  g_cur = nullptr;
  return 0;
}

void initialize_part() {
  const char* t = std::getenv("ROTARY_FUZZ_THREADS");
  g_threads_allowed = t != nullptr && t[0] == '1';
  const char* st = std::getenv("ROTARY_FUZZ_STATS");
  g_stats.on = st != nullptr && st[0] == '1';
  g_describe = describe_current;
}

/// A sanitizer report ends the process: say which case it was.
void print_case_of_part() {
  if (g_cur != nullptr) std::fprintf(stderr, "rope_fuzz case: %s\n", describe_current().c_str());
}

}  // namespace

// ---- the parts and libFuzzer's entry points ---------------------------------------------
// The three modes are three translation units, compiled in parallel (.ci/fuzz): the same
// file with -DROTARY_FUZZ_PART=0, 1 or 2 holds that mode's instantiations (part 0 also the
// entry points). Without ROTARY_FUZZ_PART one unit holds everything.

#ifdef ROTARY_FUZZ_PART
#define ROTARY_FUZZ_HAS_PART(k) (ROTARY_FUZZ_PART == (k))
#else
#define ROTARY_FUZZ_HAS_PART(k) 1
#endif

#define ROTARY_FUZZ_DEFINE_PART(k)                                                          \
  extern "C" int rope_fuzz_run_mode_##k(const std::uint8_t* data, std::size_t size) {      \
    return test_one_input<k>(data, size);                                                   \
  }                                                                                         \
  extern "C" void rope_fuzz_initialize_mode_##k() { initialize_part(); }                    \
  extern "C" void rope_fuzz_print_case_mode_##k() { print_case_of_part(); }

extern "C" int rope_fuzz_run_mode_0(const std::uint8_t*, std::size_t);
extern "C" int rope_fuzz_run_mode_1(const std::uint8_t*, std::size_t);
extern "C" int rope_fuzz_run_mode_2(const std::uint8_t*, std::size_t);
extern "C" void rope_fuzz_initialize_mode_0();
extern "C" void rope_fuzz_initialize_mode_1();
extern "C" void rope_fuzz_initialize_mode_2();
extern "C" void rope_fuzz_print_case_mode_0();
extern "C" void rope_fuzz_print_case_mode_1();
extern "C" void rope_fuzz_print_case_mode_2();

#if ROTARY_FUZZ_HAS_PART(0)
ROTARY_FUZZ_DEFINE_PART(0)
#endif
#if ROTARY_FUZZ_HAS_PART(1)
ROTARY_FUZZ_DEFINE_PART(1)
#endif
#if ROTARY_FUZZ_HAS_PART(2)
ROTARY_FUZZ_DEFINE_PART(2)
#endif

#if ROTARY_FUZZ_HAS_PART(0)
extern "C" void __sanitizer_set_death_callback(void (*)(void));

void print_case_on_death() {
  rope_fuzz_print_case_mode_0();
  rope_fuzz_print_case_mode_1();
  rope_fuzz_print_case_mode_2();
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  __sanitizer_set_death_callback(print_case_on_death);
  rope_fuzz_initialize_mode_0();
  rope_fuzz_initialize_mode_1();
  rope_fuzz_initialize_mode_2();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // the mode as byte_reader::pick(3) reads it: the first byte mod 3, 0 for an empty input
  switch (size > 0 ? data[0] % 3 : 0) {
    case 0: return rope_fuzz_run_mode_0(data, size);
    case 1: return rope_fuzz_run_mode_1(data, size);
    default: return rope_fuzz_run_mode_2(data, size);
  }
}
#endif
