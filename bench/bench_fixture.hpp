// SPDX-License-Identifier: MIT
#pragma once
/// The memory of every benchmark program: skewed_arena (any number of buffers in one
/// allocation, each at its own offset modulo 4 KiB), the deterministic fill, and
/// tensor_pair, the fixture of the streaming benchmarks (bench_matrix.cpp, bench_design.cpp,
/// decode_probe.cpp): a shape, an input and an output tensor in an arena and the cos/sin
/// table for the shape's tokens. The baselines it is measured against are in
/// streaming_baselines.hpp, the timed loop in bench_rows.hpp.
///
/// Layout of an arena (page aligned): buffer i starts one page + 256 i bytes past the page
/// boundary after buffer i - 1's end, so buffers i and j differ by 256 (i - j) modulo 4 KiB.
/// Two streams whose addresses agree modulo 4 KiB make a load wait on an unrelated earlier
/// store to the "same" address (4K aliasing; a copy 16 bytes off its destination modulo
/// 4 KiB measured 8x slower here); that measures the allocator, not the kernel. The gap page
/// also keeps the buffers off each other's cache lines and hardware-prefetch streams.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <rotary/rotary.hpp>
#include <string>
#include <type_traits>
#include <vector>

namespace rotary_bench {

/// tokens x heads x head_dim, rotating rotary_dim elements of each head from rotary_offset
/// on (partial rotary when rotary_dim < head_dim; the rest passes through).
struct shape {
  std::ptrdiff_t tokens, heads, head_dim, rotary_dim, rotary_offset;

  /// (token, head) rows.
  std::ptrdiff_t rows() const { return tokens * heads; }
  /// Elements of the tensor.
  std::ptrdiff_t elements() const { return rows() * head_dim; }
  /// Elements an in-place rotation rewrites (the rotary slice of every row).
  std::ptrdiff_t rotated() const { return rows() * rotary_dim; }

  /// "512x32x128"; partial: "1024x16x192r64" (rotary_dim 64), "512x32x128r32o96" (at 96).
  std::string name() const {
    std::string s = std::to_string(tokens) + "x" + std::to_string(heads) + "x" +
                    std::to_string(head_dim);
    if (rotary_dim != head_dim || rotary_offset != 0) s += "r" + std::to_string(rotary_dim);
    if (rotary_offset != 0) s += "o" + std::to_string(rotary_offset);
    return s;
  }
};

/// Full-width RoPE.
inline shape full(std::ptrdiff_t tokens, std::ptrdiff_t heads, std::ptrdiff_t head_dim) {
  return {tokens, heads, head_dim, head_dim, 0};
}
/// Partial rotary: rotary_dim elements from rotary_offset on.
inline shape partial(std::ptrdiff_t tokens, std::ptrdiff_t heads, std::ptrdiff_t head_dim,
                     std::ptrdiff_t rotary_dim, std::ptrdiff_t rotary_offset = 0) {
  return {tokens, heads, head_dim, rotary_dim, rotary_offset};
}

/// The name an element type has in benchmark names.
template <class T>
const char* type_name();
template <>
inline const char* type_name<float>() { return "float"; }
template <>
inline const char* type_name<double>() { return "double"; }
template <>
inline const char* type_name<rotary::bfloat16>() { return "bfloat16"; }
template <>
inline const char* type_name<rotary::float16>() { return "float16"; }

/// 16-bit storage: the benchmarks read and write its bit patterns as std::uint16_t (the
/// library itself uses memcpy and SIMD loads: storage.hpp).
template <class T>
constexpr bool is_16bit = std::is_same_v<T, rotary::bfloat16> || std::is_same_v<T, rotary::float16>;

/// A value in [-1, 1) for element i: a multiplicative hash of i (cheap, vectorizable,
/// deterministic; no generator state).
inline float fill_value(std::size_t i) {
  const std::uint32_t h = static_cast<std::uint32_t>(i) * 0x9E3779B9u;
  return static_cast<float>(static_cast<std::int32_t>(h >> 8)) * (1.0f / 8388608.0f) - 1.0f;
}

/// Writes fill_value(0 .. n) into p in T's storage.
template <class T>
void fill(T* p, std::size_t n) {
  if constexpr (std::is_same_v<T, rotary::bfloat16>) {
    auto* bits = reinterpret_cast<std::uint16_t*>(p);
    for (std::size_t i = 0; i < n; ++i) bits[i] = rotary::bfloat16(fill_value(i)).bits;
  } else if constexpr (std::is_same_v<T, rotary::float16>) {
    auto* bits = reinterpret_cast<std::uint16_t*>(p);
    for (std::size_t i = 0; i < n; ++i) bits[i] = rotary::float16(fill_value(i)).bits;
  } else {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<T>(fill_value(i));
  }
}

/// Buffers of the given byte sizes in one page-aligned allocation (layout: the top of the
/// file), every page touched before any timing. Up to 16 buffers (16 x 256 = 4 KiB).
class skewed_arena {
 public:
  static constexpr std::size_t page = 4096, skew = 256;

  explicit skewed_arena(const std::vector<std::size_t>& bytes) {
    std::size_t end = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      const std::size_t at = i == 0 ? 0 : round_up(end) + page + skew * (i % 16);
      offsets_.push_back(at);
      end = at + bytes[i];
    }
    const std::size_t total = round_up(end) + page;
    buffer_.reset(static_cast<unsigned char*>(::operator new(total, std::align_val_t{page})));
    std::memset(buffer_.get(), 0, total);
  }

  /// Buffer i as an array of T.
  template <class T>
  T* get(std::size_t i) const {
    return reinterpret_cast<T*>(buffer_.get() + offsets_.at(i));
  }

 private:
  struct aligned_delete {
    void operator()(unsigned char* p) const { ::operator delete(p, std::align_val_t{page}); }
  };
  static std::size_t round_up(std::size_t bytes) { return (bytes + page - 1) / page * page; }

  std::vector<std::size_t> offsets_;
  std::unique_ptr<unsigned char, aligned_delete> buffer_;
};

/// Base of every fixture, so that one slot can hold any of them (shared_fixture below).
class fixture_base {
 public:
  virtual ~fixture_base() = default;
};

/// in ([tokens][heads][head_dim] of In) and out (of Out), the table for positions
/// [0, tokens) over rotary_dim, in the compute type. Built outside every timed loop.
template <class In, class Out = In>
class tensor_pair : public fixture_base {
  static_assert(std::is_same_v<rotary::compute_type_t<In>, rotary::compute_type_t<Out>>,
                "in and out must share a compute type");

 public:
  using compute_type = rotary::compute_type_t<In>;

  explicit tensor_pair(const shape& s)
      : s_(s), arena_({in_bytes(), std::max(out_bytes(), memcpy_bytes())}), table_(s.rotary_dim, s.tokens) {
    fill(in(), elements());
    fill(out(), elements());
  }

  const shape& dims() const { return s_; }
  std::size_t elements() const { return static_cast<std::size_t>(s_.elements()); }
  std::size_t in_bytes() const { return elements() * sizeof(In); }
  std::size_t out_bytes() const { return elements() * sizeof(Out); }
  /// The memcpy baseline's size: the same read + write traffic as an out-of-place rotation,
  /// split evenly ((in + out) / 2; in_bytes() when In == Out). out has room for it.
  std::size_t memcpy_bytes() const { return (in_bytes() + out_bytes()) / 2; }

  In* in() const { return arena_.get<In>(0); }
  Out* out() const { return arena_.get<Out>(1); }

  rotary::tensor_view<const In, 3> input() const { return {in(), extents()}; }
  rotary::tensor_view<Out, 3> output() const { return {out(), extents()}; }
  rotary::tensor_view<In, 3> in_place() const { return {in(), extents()}; }
  const rotary::cos_sin_table<compute_type>& table() const { return table_; }

 private:
  std::array<std::ptrdiff_t, 3> extents() const { return {s_.tokens, s_.heads, s_.head_dim}; }

  shape s_;
  skewed_arena arena_;
  rotary::cos_sin_table<compute_type> table_;
};

/// The slot that holds the current fixture, whatever its types (one for the program).
struct fixture_slot {
  std::string key;
  std::unique_ptr<fixture_base> data;
};
inline fixture_slot& current_fixture() {
  static fixture_slot slot;
  return slot;
}

/// The fixture for (In, Out, shape), shared by the consecutive rows that name it (memcpy,
/// scale and the RoPE rows of one cell): built when the key changes, after the previous
/// one is freed, so at most one pair of tensors is allocated at a time (the largest,
/// 16384 x 8 x 128 double, is 2 x 128 MiB) and a large fill is not repeated for each of
/// Google Benchmark's calls of a row.
template <class In, class Out = In>
tensor_pair<In, Out>& shared_fixture(const shape& s) {
  fixture_slot& slot = current_fixture();
  const std::string key = std::string(type_name<In>()) + ">" + type_name<Out>() + "/" + s.name();
  if (slot.key != key) {
    slot.data.reset();
    slot.key.clear();
    slot.data = std::make_unique<tensor_pair<In, Out>>(s);
    slot.key = key;
  }
  return static_cast<tensor_pair<In, Out>&>(*slot.data);
}

}  // namespace rotary_bench
