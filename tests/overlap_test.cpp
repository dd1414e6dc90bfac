// detail/overlap.hpp: exact row-overlap tests (self and cross) against a brute-force
// oracle that marks every byte of every row, named layouts (contiguous, broadcast, fused
// QKV, BHSD/SBHD, even/odd heads, mixed element sizes, negative strides, decode), the O(1)
// path for the common layouts, the size of the fallback search, and no overflow for spans
// near PTRDIFF_MAX.
#include <gtest/gtest.h>
#include <rotary/detail/overlap.hpp>
#include <rotary/view.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

namespace {

using rotary::tensor_view;
using rotary::detail::analyze_overlap;
using rotary::detail::analyze_self_overlap;
using rotary::detail::overlap_path;
using rotary::detail::overlap_result;
using rotary::detail::row_dim;
using rotary::detail::row_set;
using rotary::detail::rows_of;
using rotary::detail::rows_overlap;
using rotary::detail::rows_overlap_self;

// ------------------------------------------------------------------------------------------
// The oracle: every byte of every row is marked in a std::vector<int> over an arena.
// ------------------------------------------------------------------------------------------

/// Offset of s's base from origin.
std::ptrdiff_t offset_of(const row_set& s, const unsigned char* origin) {
  return static_cast<std::ptrdiff_t>(reinterpret_cast<std::uintptr_t>(s.base) -
                                     reinterpret_cast<std::uintptr_t>(origin));
}

/// Calls f(first byte offset from `origin`) for every row of s.
template <class F>
void for_each_row(const row_set& s, const unsigned char* origin, F&& f) {
  const std::ptrdiff_t base = offset_of(s, origin);
  std::array<std::ptrdiff_t, 3> n{1, 1, 1}, st{0, 0, 0};
  for (int j = 0; j < s.rank; ++j) {
    n[static_cast<std::size_t>(j)] = s.dims[static_cast<std::size_t>(j)].extent;
    st[static_cast<std::size_t>(j)] = s.dims[static_cast<std::size_t>(j)].stride_bytes;
  }
  if (s.row_bytes <= 0) return;
  for (std::ptrdiff_t i0 = 0; i0 < n[0]; ++i0)
    for (std::ptrdiff_t i1 = 0; i1 < n[1]; ++i1)
      for (std::ptrdiff_t i2 = 0; i2 < n[2]; ++i2) f(base + i0 * st[0] + i1 * st[1] + i2 * st[2]);
}

/// Lowest and one-past-highest byte offset of the rows of s relative to its base.
std::pair<std::ptrdiff_t, std::ptrdiff_t> extent_range(const row_set& s) {
  std::ptrdiff_t lo = 0, hi = s.row_bytes;
  for (int j = 0; j < s.rank; ++j) {
    const row_dim& d = s.dims[static_cast<std::size_t>(j)];
    const std::ptrdiff_t reach = d.extent > 0 ? (d.extent - 1) * d.stride_bytes : 0;
    (reach < 0 ? lo : hi) += reach;
  }
  return {lo, hi};
}

/// Marks bytes [start, start + w) of the arena [0, size) in `marks`, which covers the
/// arena bytes [first, first + marks.size()); f(mark) for each byte.
template <class F>
void mark_row(std::vector<int>& marks, std::ptrdiff_t first, std::size_t size,
              std::ptrdiff_t start, std::ptrdiff_t w, F&& f) {
  for (std::ptrdiff_t b = start; b < start + w; ++b) {
    const bool inside = b >= 0 && static_cast<std::size_t>(b) < size;
    EXPECT_TRUE(inside) << "row outside the arena";
    if (!inside) return;
    f(marks[static_cast<std::size_t>(b - first)]);
  }
}

/// Brute force: do two different rows of s share a byte of [origin, origin + size)?
/// Every byte of every row is marked with the row's number in a std::vector<int>.
bool oracle_self(const row_set& s, const unsigned char* origin, std::size_t size) {
  const auto [lo, hi] = extent_range(s);
  const std::ptrdiff_t first = offset_of(s, origin) + lo;
  std::vector<int> owner(static_cast<std::size_t>(hi - lo), -1);  // -1: no row
  int row = 0;
  bool hit = false;
  for_each_row(s, origin, [&](std::ptrdiff_t start) {
    mark_row(owner, first, size, start, s.row_bytes, [&](int& o) {
      hit = hit || o != -1;  // a row never marks a byte twice: it is another row's
      o = row;
    });
    ++row;
  });
  return hit;
}

/// Brute force: does a row of a share a byte with a row of b?
bool oracle_cross(const row_set& a, const row_set& b, const unsigned char* origin,
                  std::size_t size) {
  const auto [alo, ahi] = extent_range(a);
  const auto [blo, bhi] = extent_range(b);
  const std::ptrdiff_t lo = std::min(offset_of(a, origin) + alo, offset_of(b, origin) + blo);
  const std::ptrdiff_t hi = std::max(offset_of(a, origin) + ahi, offset_of(b, origin) + bhi);
  std::vector<int> marks(static_cast<std::size_t>(hi - lo), 0);
  bool hit = false;
  for_each_row(a, origin, [&](std::ptrdiff_t start) {
    mark_row(marks, lo, size, start, a.row_bytes, [](int& m) { m = 1; });
  });
  for_each_row(b, origin, [&](std::ptrdiff_t start) {
    mark_row(marks, lo, size, start, b.row_bytes, [&](int& m) { hit = hit || m != 0; });
  });
  return hit;
}

/// Byte storage, aligned for any element type.
struct arena {
  explicit arena(std::size_t bytes) : storage((bytes + sizeof(double) - 1) / sizeof(double)) {}
  unsigned char* data() { return reinterpret_cast<unsigned char*>(storage.data()); }
  std::size_t size() const { return storage.size() * sizeof(double); }
  template <class T>
  T* at(std::ptrdiff_t byte_offset) {
    return reinterpret_cast<T*>(data() + byte_offset);
  }
  std::vector<double> storage;
};

// ------------------------------------------------------------------------------------------
// Random views.
// ------------------------------------------------------------------------------------------

using rng_t = std::mt19937_64;

std::ptrdiff_t uniform(rng_t& rng, std::ptrdiff_t lo, std::ptrdiff_t hi) {
  return std::uniform_int_distribution<std::ptrdiff_t>(lo, hi)(rng);
}

/// Byte offset for a set spanning [lo, hi) relative to its base: uniform over the arena, or
/// near `near` (in steps of `align`).
std::ptrdiff_t place(rng_t& rng, std::ptrdiff_t lo, std::ptrdiff_t hi, std::size_t size,
                     std::ptrdiff_t align, std::ptrdiff_t near) {
  const std::ptrdiff_t first = (-lo + align - 1) / align;
  const std::ptrdiff_t last = (static_cast<std::ptrdiff_t>(size) - hi) / align;
  std::ptrdiff_t k = uniform(rng, first, last);
  if (near >= 0) {
    k = near / align + uniform(rng, -12, 12);
    k = k < first ? first : (k > last ? last : k);
  }
  return k * align;
}

/// A random tensor_view<T, Rank> (extents 0..5, strides in [-40, 40] elements, head_dim
/// 1..8, head_dim stride 1) in the arena, as rows_of gives it.
template <class T, std::size_t Rank>
row_set random_view(rng_t& rng, arena& mem, std::ptrdiff_t near) {
  std::array<std::ptrdiff_t, Rank> ext{}, str{};
  for (std::size_t r = 0; r + 1 < Rank; ++r) {
    ext[r] = uniform(rng, 0, 5);
    str[r] = uniform(rng, -40, 40);
  }
  ext[Rank - 1] = uniform(rng, 1, 8);
  str[Rank - 1] = 1;
  const tensor_view<T, Rank> probe(mem.at<T>(0), ext, str);
  const auto [lo, hi] = extent_range(rows_of(probe));
  const std::ptrdiff_t off =
      place(rng, lo, hi, mem.size(), static_cast<std::ptrdiff_t>(sizeof(T)), near);
  const tensor_view<T, Rank> v(mem.at<T>(off), ext, str);
  const row_set s = rows_of(v);
  EXPECT_EQ(s.rank, static_cast<int>(Rank - 1));
  return s;
}

row_set random_typed_view(rng_t& rng, arena& mem, std::ptrdiff_t near) {
  const int rank4 = static_cast<int>(uniform(rng, 0, 1));
  switch (uniform(rng, 0, 2)) {
    case 0:
      return rank4 ? random_view<std::uint16_t, 4>(rng, mem, near)
                   : random_view<std::uint16_t, 3>(rng, mem, near);
    case 1:
      return rank4 ? random_view<float, 4>(rng, mem, near) : random_view<float, 3>(rng, mem, near);
    default:
      return rank4 ? random_view<double, 4>(rng, mem, near)
                   : random_view<double, 3>(rng, mem, near);
  }
}

/// A raw row set: any byte base, byte strides in [-max_stride, max_stride], row_bytes 1..24,
/// 0..3 dims with extents 0..max_extent.
row_set random_raw(rng_t& rng, arena& mem, std::ptrdiff_t max_extent, std::ptrdiff_t max_stride,
                   std::ptrdiff_t near) {
  row_set s{nullptr, {{{1, 0}, {1, 0}, {1, 0}}}, static_cast<int>(uniform(rng, 0, 3)),
            uniform(rng, 1, 24)};
  for (int j = 0; j < s.rank; ++j) {
    s.dims[static_cast<std::size_t>(j)] =
        row_dim{uniform(rng, 0, max_extent), uniform(rng, -max_stride, max_stride)};
  }
  const auto [lo, hi] = extent_range(s);
  s.base = mem.data() + place(rng, lo, hi, mem.size(), 1, near);
  return s;
}

struct path_counts {
  int by_path[5] = {};
  int overlaps = 0, total = 0;
  void add(const overlap_result& r) {
    ++by_path[static_cast<int>(r.path)];
    overlaps += r.overlap ? 1 : 0;
    ++total;
  }
  int operator[](overlap_path p) const { return by_path[static_cast<int>(p)]; }
};

void check_self(const row_set& s, arena& mem, path_counts& counts, int trial) {
  const overlap_result r = analyze_self_overlap(s);
  const bool expected = oracle_self(s, mem.data(), mem.size());
  ASSERT_EQ(r.overlap, expected) << "trial " << trial;
  ASSERT_EQ(rows_overlap_self(s), expected) << "trial " << trial;
  counts.add(r);
}

void check_cross(const row_set& a, const row_set& b, arena& mem, path_counts& counts,
                 int trial) {
  const overlap_result r = analyze_overlap(a, b);
  const bool expected = oracle_cross(a, b, mem.data(), mem.size());
  ASSERT_EQ(r.overlap, expected) << "trial " << trial;
  ASSERT_EQ(rows_overlap(a, b), expected) << "trial " << trial;
  ASSERT_EQ(rows_overlap(b, a), expected) << "trial " << trial << " (swapped)";
  counts.add(r);
}

TEST(OverlapRandom, SelfMatchesOracleForViews) {
  arena mem(8192);
  rng_t rng(1);
  path_counts counts;
  for (int trial = 0; trial < 20000; ++trial) {
    check_self(random_typed_view(rng, mem, -1), mem, counts, trial);
    if (HasFatalFailure()) return;
  }
  // The random views exercise every path and both answers.
  EXPECT_GT(counts[overlap_path::empty], 500);
  EXPECT_GT(counts[overlap_path::fast], 5000);
  EXPECT_GT(counts[overlap_path::search], 100);
  EXPECT_GT(counts.overlaps, 2000);
  EXPECT_GT(counts.total - counts.overlaps, 2000);
}

TEST(OverlapRandom, SelfMatchesOracleForRawSets) {
  arena mem(8192);
  rng_t rng(2);
  path_counts counts;
  for (int trial = 0; trial < 20000; ++trial) {
    // Odd byte strides and widths; longer extents with small strides reach the search.
    const bool long_dims = trial % 2 == 1;
    check_self(random_raw(rng, mem, long_dims ? 9 : 5, long_dims ? 24 : 80, -1), mem, counts,
               trial);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(counts[overlap_path::search], 500);
  EXPECT_GT(counts.overlaps, 2000);
  EXPECT_GT(counts.total - counts.overlaps, 2000);
}

TEST(OverlapRandom, CrossMatchesOracleForViews) {
  arena mem(8192);
  rng_t rng(3);
  path_counts counts;
  for (int trial = 0; trial < 20000; ++trial) {
    const row_set a = random_typed_view(rng, mem, -1);
    // Half of the pairs start within a few elements of each other: the interesting cases.
    const std::ptrdiff_t near =
        trial % 2 == 0 ? -1
                       : static_cast<std::ptrdiff_t>(reinterpret_cast<std::uintptr_t>(a.base) -
                                                     reinterpret_cast<std::uintptr_t>(mem.data()));
    const row_set b = random_typed_view(rng, mem, near);
    check_cross(a, b, mem, counts, trial);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(counts[overlap_path::empty], 500);
  EXPECT_GT(counts[overlap_path::disjoint_spans], 1000);
  EXPECT_GT(counts[overlap_path::fast], 500);
  EXPECT_GT(counts[overlap_path::search], 500);
  EXPECT_GT(counts.overlaps, 2000);
  EXPECT_GT(counts.total - counts.overlaps, 2000);
}

TEST(OverlapRandom, CrossMatchesOracleForRawSets) {
  arena mem(8192);
  rng_t rng(4);
  path_counts counts;
  for (int trial = 0; trial < 20000; ++trial) {
    const bool long_dims = trial % 2 == 1;
    const std::ptrdiff_t max_extent = long_dims ? 9 : 5, max_stride = long_dims ? 24 : 80;
    const row_set a = random_raw(rng, mem, max_extent, max_stride, -1);
    const std::ptrdiff_t near =
        trial % 4 < 2 ? -1
                      : static_cast<std::ptrdiff_t>(reinterpret_cast<std::uintptr_t>(a.base) -
                                                    reinterpret_cast<std::uintptr_t>(mem.data()));
    const row_set b = random_raw(rng, mem, max_extent, max_stride, near);
    check_cross(a, b, mem, counts, trial);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(counts[overlap_path::search], 500);
  EXPECT_GT(counts.overlaps, 2000);
  EXPECT_GT(counts.total - counts.overlaps, 2000);
}

/// Same strides, shifted bases: the lattices coincide up to a translation (the case of a
/// view against a shifted copy of itself, and of slices of one tensor).
TEST(OverlapRandom, CrossMatchesOracleForShiftedCopies) {
  arena mem(8192);
  rng_t rng(5);
  path_counts counts;
  for (int trial = 0; trial < 10000; ++trial) {
    const row_set a = random_raw(rng, mem, 5, 80, -1);
    row_set b = a;
    b.row_bytes = uniform(rng, 1, 24);
    for (int j = 0; j < b.rank; ++j) {
      row_dim& d = b.dims[static_cast<std::size_t>(j)];
      if (uniform(rng, 0, 3) == 0) d.extent = uniform(rng, 0, 5);
    }
    const auto [lo, hi] = extent_range(b);
    b.base = mem.data() +
             place(rng, lo, hi, mem.size(), 1,
                   static_cast<std::ptrdiff_t>(reinterpret_cast<std::uintptr_t>(a.base) -
                                               reinterpret_cast<std::uintptr_t>(mem.data())));
    check_cross(a, b, mem, counts, trial);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(counts.overlaps, 1000);
  EXPECT_GT(counts.total - counts.overlaps, 1000);
}

/// A random nested [B][S][H][D] layout of T (dimension order and padding random), sliced,
/// at a random element offset of the arena (near `near` when near >= 0).
template <class T>
row_set random_nested(rng_t& rng, arena& mem, std::ptrdiff_t near) {
  const std::array<std::ptrdiff_t, 4> ext{uniform(rng, 1, 3), uniform(rng, 1, 4),
                                          uniform(rng, 1, 4), uniform(rng, 1, 6)};
  std::array<std::size_t, 3> order{0, 1, 2};
  std::shuffle(order.begin(), order.end(), rng);
  std::array<std::ptrdiff_t, 4> str{0, 0, 0, 1}, count = ext;
  std::ptrdiff_t stride = ext[3] + uniform(rng, 0, 1) * uniform(rng, 0, 3);
  for (std::size_t r = 3; r-- > 0;) {
    str[order[r]] = uniform(rng, 0, 5) == 0 ? -stride : stride;
    stride = stride * ext[order[r]] + uniform(rng, 0, 1) * uniform(rng, 0, 5);
  }
  for (std::size_t r = 0; r < 3; ++r) count[r] = uniform(rng, 1, ext[r]);
  const tensor_view<T, 4> probe(mem.at<T>(0), count, str);
  const auto [lo, hi] = extent_range(rows_of(probe));
  const std::ptrdiff_t off =
      place(rng, lo, hi, mem.size(), static_cast<std::ptrdiff_t>(sizeof(T)), near);
  return rows_of(tensor_view<T, 4>(mem.at<T>(off), count, str));
}

row_set random_nested_any(rng_t& rng, arena& mem, std::ptrdiff_t near) {
  switch (uniform(rng, 0, 2)) {
    case 0: return random_nested<std::uint16_t>(rng, mem, near);
    case 1: return random_nested<float>(rng, mem, near);
    default: return random_nested<double>(rng, mem, near);
  }
}

/// Two unrelated nested layouts (different element sizes, strides and paddings) near each
/// other: the fast path's splitting of the larger outer stride, against the oracle.
TEST(OverlapRandom, CrossMatchesOracleForNestedLayouts) {
  arena mem(16384);
  rng_t rng(7);
  path_counts counts;
  for (int trial = 0; trial < 20000; ++trial) {
    const row_set a = random_nested_any(rng, mem, -1);
    const row_set b = random_nested_any(
        rng, mem,
        static_cast<std::ptrdiff_t>(reinterpret_cast<std::uintptr_t>(a.base) -
                                    reinterpret_cast<std::uintptr_t>(mem.data())));
    const overlap_result self = analyze_self_overlap(a);
    ASSERT_FALSE(self.overlap) << "trial " << trial;
    ASSERT_EQ(self.path, overlap_path::fast) << "trial " << trial;
    check_cross(a, b, mem, counts, trial);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(counts[overlap_path::fast], 10000);
  EXPECT_GT(counts.overlaps, 2000);
  EXPECT_GT(counts.total - counts.overlaps, 2000);
}

/// Slices (index sub-ranges) of one [B][S][H][D] tensor laid out in a random dimension order
/// with random padding: every such layout is nested, and two slices have the same strides,
/// so the O(1) paths must decide every pair, exactly.
TEST(OverlapRandom, SlicesOfOneTensorTakeTheFastPath) {
  rng_t rng(6);
  path_counts self_counts, cross_counts;
  for (int trial = 0; trial < 5000; ++trial) {
    const std::array<std::ptrdiff_t, 4> ext{uniform(rng, 1, 3), uniform(rng, 1, 4),
                                            uniform(rng, 1, 4), 2 * uniform(rng, 1, 4)};
    // Memory order of B, S, H (outermost first), D innermost; padding after each dim.
    std::array<std::size_t, 3> order{0, 1, 2};
    std::shuffle(order.begin(), order.end(), rng);
    std::array<std::ptrdiff_t, 4> str{0, 0, 0, 1};
    std::ptrdiff_t stride = ext[3] + uniform(rng, 0, 1) * uniform(rng, 0, 3);
    for (std::size_t r = 3; r-- > 0;) {
      str[order[r]] = stride;
      stride = stride * ext[order[r]] + uniform(rng, 0, 1) * uniform(rng, 0, 5);
    }
    arena mem(static_cast<std::size_t>(stride) * sizeof(float));
    const auto slice = [&]() {
      std::array<std::ptrdiff_t, 4> first{0, 0, 0, 0}, count = ext;
      for (std::size_t r = 0; r < 3; ++r) {
        first[r] = uniform(rng, 0, ext[r] - 1);
        count[r] = uniform(rng, 1, ext[r] - first[r]);
      }
      std::ptrdiff_t offset = 0;
      for (std::size_t r = 0; r < 3; ++r) offset += first[r] * str[r];
      return rows_of(tensor_view<float, 4>(mem.at<float>(0) + offset, count, str));
    };
    const row_set a = slice(), b = slice();
    const overlap_result sa = analyze_self_overlap(a);
    ASSERT_FALSE(sa.overlap) << "trial " << trial;
    ASSERT_EQ(sa.path, overlap_path::fast) << "trial " << trial;
    self_counts.add(sa);
    const overlap_result r = analyze_overlap(a, b);
    ASSERT_EQ(r.overlap, oracle_cross(a, b, mem.data(), mem.size())) << "trial " << trial;
    ASSERT_NE(r.path, overlap_path::search) << "trial " << trial;
    ASSERT_NE(r.path, overlap_path::too_large) << "trial " << trial;
    ASSERT_EQ(analyze_overlap(b, a).overlap, r.overlap) << "trial " << trial;
    cross_counts.add(r);
  }
  EXPECT_GT(cross_counts[overlap_path::fast], 1000);
  EXPECT_GT(cross_counts.overlaps, 1000);
  EXPECT_GT(cross_counts.total - cross_counts.overlaps, 1000);
}

// ------------------------------------------------------------------------------------------
// Named cases (checked against the oracle too, where they fit in memory).
// ------------------------------------------------------------------------------------------

template <class T, std::size_t R>
void expect_self(const tensor_view<T, R>& v, arena& mem, bool expected) {
  const row_set s = rows_of(v);
  EXPECT_EQ(rows_overlap_self(s), expected);
  EXPECT_EQ(oracle_self(s, mem.data(), mem.size()), expected);
}

template <class A, std::size_t RA, class B, std::size_t RB>
void expect_cross(const tensor_view<A, RA>& a, const tensor_view<B, RB>& b, arena& mem,
                  bool expected) {
  const row_set sa = rows_of(a), sb = rows_of(b);
  EXPECT_EQ(rows_overlap(sa, sb), expected);
  EXPECT_EQ(rows_overlap(sb, sa), expected);
  EXPECT_EQ(oracle_cross(sa, sb, mem.data(), mem.size()), expected);
}

TEST(OverlapNamed, Contiguous) {
  arena mem(6 * 4 * 16 * sizeof(float));
  const tensor_view<float, 3> v(mem.at<float>(0), {6, 4, 16});
  expect_self(v, mem, false);
  expect_cross(v, v, mem, true);  // in place
  const tensor_view<float, 4> v4(mem.at<float>(0), {2, 3, 4, 16});
  expect_self(v4, mem, false);
  // Tokens 0..2 and 3..5 of one buffer.
  const tensor_view<float, 3> first(mem.at<float>(0), {3, 4, 16});
  const tensor_view<float, 3> second(mem.at<float>(0) + 3 * 4 * 16, {3, 4, 16});
  expect_cross(first, second, mem, false);
}

TEST(OverlapNamed, TokenStrideEqualToHeadDimOverlaps) {
  // [2][2][8] with strides {8, 8, 1}: token 1 head 0 is token 0 head 1.
  arena mem(64 * sizeof(float));
  const tensor_view<float, 3> v(mem.at<float>(0), {2, 2, 8}, {8, 8, 1});
  expect_self(v, mem, true);
  EXPECT_EQ(analyze_self_overlap(rows_of(v)).path, overlap_path::fast);
  // Token stride 12 < heads * head_dim: rows of neighbouring tokens share 4 elements.
  expect_self(tensor_view<float, 3>(mem.at<float>(0), {2, 2, 8}, {12, 8, 1}), mem, true);
  // Token stride 16: exactly contiguous.
  expect_self(tensor_view<float, 3>(mem.at<float>(0), {2, 2, 8}, {16, 8, 1}), mem, false);
}

TEST(OverlapNamed, StrideZeroBroadcast) {
  arena mem(8 * 4 * 16 * sizeof(float));
  // Every token reads the same [4][16] block.
  const tensor_view<const float, 3> in(mem.at<float>(0), {8, 4, 16}, {0, 16, 1});
  expect_self(in, mem, true);
  const tensor_view<float, 3> out(mem.at<float>(0) + 4 * 16, {7, 4, 16});
  expect_cross(in, out, mem, false);  // the broadcast block is just before out
  const tensor_view<float, 3> over(mem.at<float>(0) + 3 * 16, {2, 4, 16});
  expect_cross(in, over, mem, true);  // out's first row is the block's last head
  // A broadcast dimension of extent 1 is no broadcast.
  expect_self(tensor_view<float, 3>(mem.at<float>(0), {1, 4, 16}, {0, 16, 1}), mem, false);
}

TEST(OverlapNamed, EvenAndOddHeadsDoNotOverlap) {
  const std::ptrdiff_t T = 5, H = 8, D = 16;
  arena mem(static_cast<std::size_t>(T * H * D) * sizeof(float));
  float* p = mem.at<float>(0);
  const tensor_view<float, 3> even(p, {T, H / 2, D}, {H * D, 2 * D, 1});
  const tensor_view<float, 3> odd(p + D, {T, H / 2, D}, {H * D, 2 * D, 1});
  expect_self(even, mem, false);
  expect_self(odd, mem, false);
  expect_cross(even, odd, mem, false);
  EXPECT_EQ(analyze_overlap(rows_of(even), rows_of(odd)).path, overlap_path::fast);
  // One element wider and the heads touch.
  const tensor_view<float, 3> wide(p + D - 1, {T, H / 2, D}, {H * D, 2 * D, 1});
  expect_cross(even, wide, mem, true);
  // Odd heads as 16-bit rows of the same bytes (twice the elements per row): disjoint.
  const tensor_view<std::uint16_t, 3> odd16(reinterpret_cast<std::uint16_t*>(p + D),
                                            {T, H / 2, 2 * D}, {2 * H * D, 4 * D, 1});
  expect_cross(even, odd16, mem, false);
}

TEST(OverlapNamed, FusedQkvSlices) {
  // [T][(32 + 2 * 8) * 128] 16-bit elements: q = heads 0..31, k = 32..39, v = 40..47.
  const std::ptrdiff_t T = 7, H = 32, Hkv = 8, D = 128, W = (H + 2 * Hkv) * D;
  arena mem(static_cast<std::size_t>(T * W) * sizeof(std::uint16_t));
  std::uint16_t* p = mem.at<std::uint16_t>(0);
  const tensor_view<std::uint16_t, 3> q(p, {T, H, D}, {W, D, 1});
  const tensor_view<std::uint16_t, 3> k(p + H * D, {T, Hkv, D}, {W, D, 1});
  const tensor_view<std::uint16_t, 3> v(p + (H + Hkv) * D, {T, Hkv, D}, {W, D, 1});
  expect_self(q, mem, false);
  expect_self(k, mem, false);
  expect_cross(q, k, mem, false);
  expect_cross(k, v, mem, false);
  expect_cross(q, v, mem, false);
  for (const auto* other : {&k, &v}) {
    EXPECT_EQ(analyze_overlap(rows_of(q), rows_of(*other)).path, overlap_path::fast);
  }
  // k shifted by one element into q: its first element is q's last of each token.
  const tensor_view<std::uint16_t, 3> k_shifted(p + H * D - 1, {T, Hkv, D}, {W, D, 1});
  expect_cross(q, k_shifted, mem, true);
  // ... and v shifted by one element into k (k's last head).
  const tensor_view<std::uint16_t, 3> v_shifted(p + (H + Hkv) * D - 1, {T, Hkv, D}, {W, D, 1});
  expect_cross(k, v_shifted, mem, true);
  expect_cross(q, v_shifted, mem, false);
  // Rank 4: [B][S][...], the same.
  const tensor_view<std::uint16_t, 4> q4(p, {1, T, H, D}, {T * W, W, D, 1});
  const tensor_view<std::uint16_t, 4> k4(p + H * D, {1, T, Hkv, D}, {T * W, W, D, 1});
  expect_cross(q4, k4, mem, false);
  // q as float rows over the same bytes (half the elements, float stride W / 2).
  const tensor_view<float, 3> qf(reinterpret_cast<float*>(p), {T, H, D / 2}, {W / 2, D / 2, 1});
  expect_cross(qf, k, mem, false);
  expect_cross(qf, q, mem, true);
}

TEST(OverlapNamed, BhsdAndSbhd) {
  const std::ptrdiff_t B = 2, S = 5, H = 4, D = 8;
  arena mem(static_cast<std::size_t>(B * S * H * D) * sizeof(float));
  float* p = mem.at<float>(0);
  // BHSD memory seen as [B][S][H][D].
  const tensor_view<float, 4> bhsd(p, {B, S, H, D}, {H * S * D, D, S * D, 1});
  expect_self(bhsd, mem, false);
  expect_cross(bhsd, bhsd, mem, true);
  // Positions 0..1 and 2..4 of every head: interleaved, disjoint.
  const tensor_view<float, 4> early(p, {B, 2, H, D}, {H * S * D, D, S * D, 1});
  const tensor_view<float, 4> late(p + 2 * D, {B, S - 2, H, D}, {H * S * D, D, S * D, 1});
  expect_cross(early, late, mem, false);
  EXPECT_EQ(analyze_overlap(rows_of(early), rows_of(late)).path, overlap_path::fast);
  const tensor_view<float, 4> late1(p + 1 * D, {B, S - 2, H, D}, {H * S * D, D, S * D, 1});
  expect_cross(early, late1, mem, true);
  // Batch 0 and batch 1.
  const tensor_view<float, 4> b0(p, {1, S, H, D}, {H * S * D, D, S * D, 1});
  const tensor_view<float, 4> b1(p + H * S * D, {1, S, H, D}, {H * S * D, D, S * D, 1});
  expect_cross(b0, b1, mem, false);
  // SBHD memory seen as [B][S][H][D].
  const tensor_view<float, 4> sbhd(p, {B, S, H, D}, {H * D, B * H * D, D, 1});
  expect_self(sbhd, mem, false);
  const tensor_view<float, 4> sb0(p, {1, S, H, D}, {H * D, B * H * D, D, 1});
  const tensor_view<float, 4> sb1(p + H * D, {1, S, H, D}, {H * D, B * H * D, D, 1});
  expect_cross(sb0, sb1, mem, false);
  EXPECT_EQ(analyze_overlap(rows_of(sb0), rows_of(sb1)).path, overlap_path::fast);
  // The same bytes as a BHSD and an SBHD view.
  expect_cross(bhsd, sbhd, mem, true);
}

TEST(OverlapNamed, OutputShiftedByOneRow) {
  const std::ptrdiff_t T = 6, H = 4, D = 8;
  arena mem(static_cast<std::size_t>((T * H + 1) * D) * sizeof(float));
  float* p = mem.at<float>(0);
  const tensor_view<const float, 3> in(p, {T, H, D});
  const tensor_view<float, 3> out(p + D, {T, H, D});
  expect_cross(in, out, mem, true);
  EXPECT_EQ(analyze_overlap(rows_of(in), rows_of(out)).path, overlap_path::fast);
  // Padded tokens (stride 40 > 32), out shifted by one row or by one token.
  arena pad(static_cast<std::size_t>((T + 1) * 40) * sizeof(float));
  float* q = pad.at<float>(0);
  const tensor_view<const float, 3> pin(q, {T, H, D}, {40, D, 1});
  expect_cross(pin, tensor_view<float, 3>(q + D, {T, H, D}, {40, D, 1}), pad, true);
  expect_cross(pin, tensor_view<float, 3>(q + 40, {T, H, D}, {40, D, 1}), pad, true);
  // Out in the padding of in: one row per token in elements 32..39.
  expect_cross(pin, tensor_view<float, 3>(q + 32, {T, 1, D}, {40, D, 1}), pad, false);
}

TEST(OverlapNamed, FloatRowsAgainstSixteenBitRows) {
  const std::ptrdiff_t T = 4, H = 2, D = 8;
  arena mem(static_cast<std::size_t>(2 * T * H * D) * sizeof(float));
  float* p = mem.at<float>(0);
  const tensor_view<const float, 3> in(p, {T, H, D});
  auto* p16 = reinterpret_cast<std::uint16_t*>(p);
  // 16-bit rows over the first half of the same bytes.
  expect_cross(in, tensor_view<std::uint16_t, 3>(p16, {T, H, D}), mem, true);
  // 16-bit rows right after the float rows.
  expect_cross(in, tensor_view<std::uint16_t, 3>(p16 + 2 * T * H * D, {T, H, D}), mem, false);
  // Float rows with a token stride of 2 H D: 16-bit rows in every token's padding.
  const tensor_view<const float, 3> padded(p, {T, H, D}, {2 * H * D, D, 1});
  const tensor_view<std::uint16_t, 3> in_padding(p16 + 2 * H * D, {T, H, D},
                                                 {4 * H * D, D, 1});
  expect_cross(padded, in_padding, mem, false);
  EXPECT_EQ(analyze_overlap(rows_of(padded), rows_of(in_padding)).path, overlap_path::fast);
  // One 16-bit element earlier: the last float of each token's last head is touched.
  const tensor_view<std::uint16_t, 3> touching(p16 + 2 * H * D - 1, {T, H, D},
                                               {4 * H * D, D, 1});
  expect_cross(padded, touching, mem, true);
}

TEST(OverlapNamed, NegativeStrides) {
  const std::ptrdiff_t T = 5, H = 3, D = 8;
  arena mem(static_cast<std::size_t>(2 * T * H * D) * sizeof(float));
  float* p = mem.at<float>(0);
  // Tokens in reverse order: the base is the last token.
  const tensor_view<float, 3> reversed(p + (T - 1) * H * D, {T, H, D}, {-H * D, D, 1});
  expect_self(reversed, mem, false);
  expect_cross(reversed, tensor_view<float, 3>(p, {T, H, D}), mem, true);
  expect_cross(reversed, tensor_view<float, 3>(p + T * H * D, {T, H, D}), mem, false);
  // Reversed heads, reversed tokens, in a padded layout (token stride 2 H D).
  const tensor_view<float, 3> both(p + (T - 1) * 2 * H * D + (H - 1) * D, {T, H, D},
                                   {-2 * H * D, -D, 1});
  expect_self(both, mem, false);
  const tensor_view<float, 3> gaps(p + H * D, {T, H, D}, {2 * H * D, D, 1});
  expect_cross(both, gaps, mem, false);
  expect_cross(both, tensor_view<float, 3>(p + H * D - 1, {T, H, D}, {2 * H * D, D, 1}), mem,
               true);
  // A negative token stride smaller than the token: overlapping rows.
  expect_self(tensor_view<float, 3>(p + 4 * H * D, {T, H, D}, {-(H * D - 1), D, 1}), mem, true);
}

TEST(OverlapNamed, DecodeOneToken) {
  const std::ptrdiff_t H = 32, Hkv = 8, D = 128;
  arena mem(static_cast<std::size_t>((H + 2 * Hkv) * D) * sizeof(float));
  float* p = mem.at<float>(0);
  const tensor_view<float, 3> q(p, {1, H, D});
  const tensor_view<float, 3> k(p + H * D, {1, Hkv, D});
  expect_self(q, mem, false);
  expect_cross(q, k, mem, false);
  expect_cross(q, tensor_view<float, 3>(p + H * D - 1, {1, Hkv, D}), mem, true);
  EXPECT_EQ(analyze_self_overlap(rows_of(q)).path, overlap_path::fast);
  EXPECT_EQ(analyze_overlap(rows_of(q), rows_of(k)).path, overlap_path::disjoint_spans);
  // Any token stride is irrelevant for one token.
  const tensor_view<float, 3> odd_stride(p, {1, H, D},
                                         {std::numeric_limits<std::ptrdiff_t>::max(), D, 1});
  expect_self(odd_stride, mem, false);
  EXPECT_EQ(rows_of(odd_stride).dims[0].stride_bytes, 0);
}

TEST(OverlapNamed, EmptySetsOverlapNothing) {
  arena mem(1024);
  float* p = mem.at<float>(0);
  const tensor_view<float, 3> full(p, {4, 4, 8});
  const tensor_view<float, 3> no_tokens(p, {0, 4, 8});
  const tensor_view<float, 3> no_heads(p, {4, 0, 8}, {0, 8, 1});
  const tensor_view<float, 3> no_dim(p, {4, 4, 0});
  for (const auto* e : {&no_tokens, &no_heads, &no_dim}) {
    EXPECT_FALSE(rows_overlap_self(rows_of(*e)));
    EXPECT_FALSE(rows_overlap(rows_of(*e), rows_of(full)));
    EXPECT_FALSE(rows_overlap(rows_of(full), rows_of(*e)));
    EXPECT_EQ(analyze_overlap(rows_of(*e), rows_of(full)).path, overlap_path::empty);
  }
  // Huge strides of an empty view are never multiplied by sizeof(T).
  const std::ptrdiff_t big = std::numeric_limits<std::ptrdiff_t>::max();
  const tensor_view<float, 3> empty_big(p, {0, 3, big}, {big, big, 1});
  EXPECT_FALSE(rows_overlap_self(rows_of(empty_big)));
  EXPECT_EQ(rows_of(empty_big).row_bytes, 0);
}

// ------------------------------------------------------------------------------------------
// The O(1) path decides the common layouts (no search), at realistic sizes. The addresses
// are made up: nothing is read.
// ------------------------------------------------------------------------------------------

template <class T>
T* fake(std::uintptr_t address) {
  return reinterpret_cast<T*>(address);
}

void expect_cheap_self(const row_set& s, bool expected) {
  const overlap_result r = analyze_self_overlap(s);
  EXPECT_EQ(r.overlap, expected);
  EXPECT_EQ(r.path, overlap_path::fast);
  EXPECT_EQ(r.steps, 0);
}

void expect_cheap_cross(const row_set& a, const row_set& b, bool expected) {
  for (const overlap_result r : {analyze_overlap(a, b), analyze_overlap(b, a)}) {
    EXPECT_EQ(r.overlap, expected);
    EXPECT_NE(r.path, overlap_path::search);
    EXPECT_NE(r.path, overlap_path::too_large);
    EXPECT_EQ(r.steps, 0);
  }
}

TEST(OverlapCheapPath, CommonLayouts) {
  const std::ptrdiff_t T = 4096, H = 32, Hkv = 8, D = 128, W = (H + 2 * Hkv) * D;
  const std::ptrdiff_t B = 4, S = 1024;
  const std::uintptr_t base = std::uintptr_t{1} << 32, other = std::uintptr_t{1} << 40;
  // Contiguous / THD, one buffer and two buffers.
  const auto thd = rows_of(tensor_view<float, 3>(fake<float>(base), {T, H, D}));
  const auto thd2 = rows_of(tensor_view<float, 3>(fake<float>(other), {T, H, D}));
  expect_cheap_self(thd, false);
  expect_cheap_cross(thd, thd2, false);
  expect_cheap_cross(thd, thd, true);
  // Per-token padding.
  const auto padded = rows_of(tensor_view<float, 3>(fake<float>(base), {T, H, D}, {H * D + 64, D, 1}));
  expect_cheap_self(padded, false);
  expect_cheap_cross(padded, thd, true);
  // Out shifted by one row, and by one token.
  const auto shifted_row = rows_of(tensor_view<float, 3>(fake<float>(base) + D, {T, H, D}));
  const auto shifted_token = rows_of(tensor_view<float, 3>(fake<float>(base) + H * D, {T, H, D}));
  expect_cheap_cross(thd, shifted_row, true);
  expect_cheap_cross(thd, shifted_token, true);
  // Float input, 16-bit output of the same bytes.
  const auto thd16 = rows_of(tensor_view<std::uint16_t, 3>(fake<std::uint16_t>(base), {T, H, D}));
  expect_cheap_self(thd16, false);
  expect_cheap_cross(thd, thd16, true);
  // BSHD, BHSD, SBHD as [B][S][H][D].
  const auto bshd = rows_of(tensor_view<float, 4>(fake<float>(base), {B, S, H, D}));
  const auto bhsd = rows_of(
      tensor_view<float, 4>(fake<float>(base), {B, S, H, D}, {H * S * D, D, S * D, 1}));
  const auto sbhd = rows_of(
      tensor_view<float, 4>(fake<float>(base), {B, S, H, D}, {H * D, B * H * D, D, 1}));
  for (const auto& s : {bshd, bhsd, sbhd}) expect_cheap_self(s, false);
  expect_cheap_cross(bshd, bhsd, true);
  expect_cheap_cross(bhsd, sbhd, true);
  // BHSD halves of the sequence (interleaved, disjoint) and batches.
  const auto bhsd_early = rows_of(
      tensor_view<float, 4>(fake<float>(base), {B, S / 2, H, D}, {H * S * D, D, S * D, 1}));
  const auto bhsd_late = rows_of(tensor_view<float, 4>(fake<float>(base) + S / 2 * D,
                                                       {B, S / 2, H, D}, {H * S * D, D, S * D, 1}));
  expect_cheap_cross(bhsd_early, bhsd_late, false);
  // Fused QKV, rank 3 and rank 4.
  const auto q = rows_of(tensor_view<std::uint16_t, 3>(fake<std::uint16_t>(base), {T, H, D}, {W, D, 1}));
  const auto k = rows_of(
      tensor_view<std::uint16_t, 3>(fake<std::uint16_t>(base) + H * D, {T, Hkv, D}, {W, D, 1}));
  const auto v = rows_of(tensor_view<std::uint16_t, 3>(fake<std::uint16_t>(base) + (H + Hkv) * D,
                                                       {T, Hkv, D}, {W, D, 1}));
  const auto k_in_q = rows_of(
      tensor_view<std::uint16_t, 3>(fake<std::uint16_t>(base) + H * D - 1, {T, Hkv, D}, {W, D, 1}));
  for (const auto& s : {q, k, v}) expect_cheap_self(s, false);
  expect_cheap_cross(q, k, false);
  expect_cheap_cross(q, v, false);
  expect_cheap_cross(k, v, false);
  expect_cheap_cross(q, k_in_q, true);
  const auto q4 = rows_of(tensor_view<std::uint16_t, 4>(fake<std::uint16_t>(base), {B, S, H, D},
                                                        {S * W, W, D, 1}));
  const auto k4 = rows_of(tensor_view<std::uint16_t, 4>(fake<std::uint16_t>(base) + H * D,
                                                        {B, S, Hkv, D}, {S * W, W, D, 1}));
  expect_cheap_self(q4, false);
  expect_cheap_cross(q4, k4, false);
  // The same tokens as [T][H][D] and as [B][S][H][D] (T = B S).
  const auto k3 = rows_of(tensor_view<std::uint16_t, 3>(fake<std::uint16_t>(base) + H * D,
                                                        {B * S, Hkv, D}, {W, D, 1}));
  expect_cheap_cross(q4, k3, false);
  expect_cheap_cross(k4, k3, true);
  // Separate output buffers against the fused input.
  const auto q_out = rows_of(tensor_view<std::uint16_t, 3>(fake<std::uint16_t>(other), {T, H, D}));
  expect_cheap_cross(q_out, k, false);
  EXPECT_EQ(analyze_overlap(q_out, k).path, overlap_path::disjoint_spans);
  // Even and odd heads.
  const auto even = rows_of(tensor_view<float, 3>(fake<float>(base), {T, H / 2, D}, {H * D, 2 * D, 1}));
  const auto odd = rows_of(tensor_view<float, 3>(fake<float>(base) + D, {T, H / 2, D}, {H * D, 2 * D, 1}));
  expect_cheap_self(even, false);
  expect_cheap_cross(even, odd, false);
  // Decode: one token, with q and k of a fused buffer or separate ones.
  const auto dq = rows_of(tensor_view<float, 3>(fake<float>(base), {1, H, D}));
  const auto dk = rows_of(tensor_view<float, 3>(fake<float>(base) + H * D, {1, Hkv, D}));
  const auto dk_sep = rows_of(tensor_view<float, 3>(fake<float>(other), {1, Hkv, D}));
  expect_cheap_self(dq, false);
  expect_cheap_cross(dq, dk, false);
  expect_cheap_cross(dq, dk_sep, false);
  // Broadcast input (stride 0 over tokens) against its output.
  const auto bcast = rows_of(tensor_view<float, 3>(fake<float>(base), {T, H, D}, {0, D, 1}));
  const auto bcast_out = rows_of(tensor_view<float, 3>(fake<float>(base) + H * D, {T, H, D}));
  expect_cheap_self(bcast, true);
  expect_cheap_cross(bcast, bcast_out, false);
  // The [2][2][8] {8, 8, 1} output.
  expect_cheap_self(rows_of(tensor_view<float, 3>(fake<float>(base), {2, 2, 8}, {8, 8, 1})), true);
}

// ------------------------------------------------------------------------------------------
// The fallback search: exact and small.
// ------------------------------------------------------------------------------------------

row_set raw(std::uintptr_t base, std::initializer_list<row_dim> dims, std::ptrdiff_t row_bytes) {
  row_set s{fake<const void>(base), {{{1, 0}, {1, 0}, {1, 0}}}, 0, row_bytes};
  for (const row_dim& d : dims) s.dims[static_cast<std::size_t>(s.rank++)] = d;
  return s;
}

TEST(OverlapSearch, InterleavedLatticeSelf) {
  // Rows at {0, 2, 4} + {0, 3}: 0 2 4 3 5 7, distinct, though the strides are not nested.
  const std::uintptr_t base = 4096;
  const overlap_result r = analyze_self_overlap(raw(base, {{3, 2}, {2, 3}}, 1));
  EXPECT_FALSE(r.overlap);
  EXPECT_EQ(r.path, overlap_path::search);
  EXPECT_GT(r.steps, 0);
  EXPECT_LE(r.steps, 8);
  // {0, 2, 4, 6} + {0, 3, 6}: rows (3, 0) and (0, 2) coincide.
  const overlap_result hit = analyze_self_overlap(raw(base, {{4, 2}, {3, 3}}, 1));
  EXPECT_TRUE(hit.overlap);
  EXPECT_EQ(hit.path, overlap_path::search);
}

TEST(OverlapSearch, InterleavedLatticesCross) {
  // a: bytes 0, 6, 12, ..; b: 1, 5, 9, ..: even against odd, 1000 rows each. The fast path
  // cannot decide (unrelated strides, long spans); the search enumerates one dimension and
  // solves the other by division: about 1000 steps, not 1000 * 1000.
  const std::uintptr_t base = 1 << 20;
  const row_set a = raw(base, {{1000, 6}}, 1);
  const row_set b = raw(base + 1, {{1000, 4}}, 1);
  const overlap_result r = analyze_overlap(a, b);
  EXPECT_FALSE(r.overlap);
  EXPECT_EQ(r.path, overlap_path::search);
  EXPECT_LE(r.steps, 1002);
  // b one byte earlier: byte 0 is shared.
  EXPECT_TRUE(rows_overlap(a, raw(base - 1, {{1000, 4}}, 2)));
  // b's rows 2 bytes wide: 5..6 meets 6.
  EXPECT_TRUE(rows_overlap(a, raw(base + 1, {{1000, 4}}, 2)));
}

TEST(OverlapSearch, HugeSpansDoNotOverflow) {
  // Spans near 2^62 bytes; made-up addresses, nothing read (run under UBSan).
  const std::ptrdiff_t p60 = std::ptrdiff_t{1} << 60, p61 = std::ptrdiff_t{1} << 61;
  const std::uintptr_t base = 4096;
  // Rows at {0, 2^61} + {0, 2^60 + 1, 2^61 + 2}: the closest pair 2^61, 2^61 + 2.
  const overlap_result r2 = analyze_self_overlap(raw(base, {{2, p61}, {3, p60 + 1}}, 2));
  EXPECT_FALSE(r2.overlap);
  EXPECT_EQ(r2.path, overlap_path::search);
  EXPECT_TRUE(rows_overlap_self(raw(base, {{2, p61}, {3, p60 + 1}}, 3)));
  // Rows {0, -2^61} + {0, 2^60 + 1, 2^61 + 2} + {0, 2^60}: 2^60 and 2^60 + 1 meet.
  const std::uintptr_t high = std::uintptr_t{1} << 62;
  EXPECT_TRUE(rows_overlap_self(raw(high, {{2, -p61}, {3, p60 + 1}, {2, p60}}, 2)));
  // Extent 2 with the largest stride a span allows.
  const std::ptrdiff_t most = std::numeric_limits<std::ptrdiff_t>::max() - 8;
  EXPECT_FALSE(rows_overlap_self(raw(base, {{2, most}}, 8)));
  // Cross: large but within the searched range.
  const row_set a = raw(base, {{2, p60 / 2}}, 1);           // rows at 0, 2^59
  const row_set b = raw(base + 1, {{3, p60 / 4 + 1}}, 1);   // rows at 1, 2^58 + 2, 2^59 + 3
  EXPECT_FALSE(rows_overlap(a, b));
  EXPECT_TRUE(rows_overlap(a, raw(base - 2, {{3, p60 / 4 + 1}}, 4)));
  // Beyond 2^61 bytes together: reported as overlap without searching.
  const row_set big_a = raw(base, {{2, p61}}, 8), big_b = raw(base + 8, {{2, p61}}, 8);
  EXPECT_EQ(analyze_overlap(big_a, big_b).path, overlap_path::too_large);
  EXPECT_TRUE(rows_overlap(big_a, big_b));
  // ... unless the spans are disjoint.
  EXPECT_FALSE(rows_overlap(raw(base, {{2, p60}}, 8), raw(base + p60 + 64, {{2, p60}}, 8)));
}

TEST(OverlapRowsOf, DimensionsAndBytes) {
  arena mem(4096);
  const tensor_view<double, 4> v(mem.at<double>(0), {2, 3, 4, 5}, {-60, 20, 5, 1});
  const row_set s = rows_of(v);
  EXPECT_EQ(s.rank, 3);
  EXPECT_EQ(s.base, static_cast<const void*>(v.data()));
  EXPECT_EQ(s.row_bytes, 40);
  EXPECT_EQ(s.dims[0].extent, 2);
  EXPECT_EQ(s.dims[0].stride_bytes, -480);
  EXPECT_EQ(s.dims[1].stride_bytes, 160);
  EXPECT_EQ(s.dims[2].stride_bytes, 40);
  const row_set s1 = rows_of(tensor_view<std::uint16_t, 1>(mem.at<std::uint16_t>(0), {6}));
  EXPECT_EQ(s1.rank, 0);
  EXPECT_EQ(s1.row_bytes, 12);
  EXPECT_FALSE(rows_overlap_self(s1));
  EXPECT_TRUE(rows_overlap(s1, s1));
}

}  // namespace
