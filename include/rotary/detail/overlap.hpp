// SPDX-License-Identifier: MIT
#pragma once
/// Exact, cheap overlap tests for the sets of rows the kernels read and write.
///
/// A view of rank 3 ([tokens][heads][head_dim]) or 4 ([batch][seq][heads][head_dim]) with
/// head_dim stride 1 is a set of rows: row i = (i_0, .., i_{k-1}), 0 <= i_j < n_j, occupies
/// the bytes [base + o(i), base + o(i) + w), where o(i) = sum_j i_j s_j (s_j: the stride of
/// dimension j in bytes, any sign, possibly 0) and w = head_dim * sizeof(element).
///
///   rows_overlap_self(s)  do two different rows of s share a byte?
///   rows_overlap(a, b)    does a row of a share a byte with a row of b?
///
/// Both are exact (no false positive, no false negative) and never touch the memory.
///
/// THE LATTICE-POINT FORMULATION. Two byte intervals [x, x + wx) and [y, y + wy) meet iff
/// x < y + wy and y < x + wx, i.e. 1 - wy <= y - x <= wx - 1. So
///   self:  rows i != i' meet iff the difference vector d = i - i' (d != 0, |d_j| <= n_j - 1)
///          has |sum_j d_j s_j| <= w - 1;
///   cross: rows i of a and i' of b meet iff
///          sum_j i'_j sb_j - sum_j i_j sa_j  is in  [1 - wb - delta, wa - 1 - delta],
///          delta = (lowest row start of b) - (lowest row start of a).
/// Both ask whether a box of integer points, mapped by a linear form with positive
/// coefficients (after flipping negative strides: i -> n - 1 - i), hits an interval: a
/// bounded linear Diophantine feasibility problem (NP-hard in general, but here with at most
/// 3 or 6 variables). lattice_search below solves it exactly; the fast paths decide every
/// common layout in O(1) before it is needed.
///
/// FAST PATHS (exact, O(1)):
///   self:  "nested": take the dims of extent >= 2 in some order; if each |stride| is at
///          least the reach of the block of the dims taken before it
///          (|s_j| >= w + sum_{k before j} (n_k - 1) |s_k|), the block of the dims up to j is
///          n_j translates of the previous block that do not meet, so by induction all rows
///          are disjoint (any order will do). First in the dims' own order, innermost first,
///          without sorting: every row-major layout (contiguous, BSHD, THD, padding, slices)
///          passes in a few instructions per dim. Otherwise: a stride 0 with extent >= 2
///          overlaps (two rows at the same address); the |strides| are sorted ascending and
///          the nested test repeated (BHSD, SBHD: any nested layout passes in sorted order).
///          When that fails too, three exact "overlap" certificates: s_min < w (neighbours
///          in that dimension meet), two equal strides (rows e_j and e_k coincide), and
///          pigeonhole (rows * w > span).
///   cross: first the address spans (O(1), unsigned addresses); disjoint spans share
///          nothing. Then each set is normalised into the same byte set with fewer
///          dimensions: zero strides and extent-1 dimensions dropped (same bytes), negative
///          strides flipped, equal strides merged (i s + i' s covers exactly the indices
///          0 .. n + n' - 2), contiguous dimensions merged (s' = n s, unless the other
///          set has a dimension of stride s': see finish_cross_form), and every dimension
///          with s <= w absorbed into the row (rows that touch or overlap form one interval
///          [0, (n - 1) s + w)). A contiguous view becomes one interval; a fused QKV slice
///          becomes (tokens, row stride) with w = heads * head_dim bytes. Then the
///          sets are compared block by block from the outermost stride S (cross_fast): if both
///          have outer stride S and nested blocks (inner reach <= S), rows of a's block t and
///          b's block u can only meet through k = u - t, and an inner block at offset
///          delta + k S can meet the other inner block only if delta + k S lies in an open
///          interval of length <= 2 S, so at most 2 values of k, each compared recursively
///          one level down; otherwise the set with the larger outer stride S is split into
///          its blocks, and only the <= 2 blocks that meet the other's span are compared
///          (if the other is a single interval and 3 or more blocks meet its span, the middle
///          one lies inside it: overlap). One integer division per level, each level
///          removes a dimension (at most 6), at most 2 branches per level; the layouts
///          above take 1 to 3 levels and 1 branch. Slices of one nested tensor (any
///          dimension order, padding, index sub-ranges) are always decided here: their
///          strides come from one nested chain, so the block of the set with the smaller
///          outer stride always fits in one period of the larger.
/// FALLBACK (only when the fast paths are inconclusive: interleaved lattices such as
///   strides 2w and 3w, sliding-window inputs with stride < reach, or two large sets with
///   unrelated outer strides): lattice_search. Equal strides are merged, the dimension
///   with the largest range (hi - lo) * s is solved in closed form by integer division
///   (x in [ceil((L - c) / s), floor((U - c) / s)]), and the others are enumerated with
///   pruning: at each level only the values compatible with the range still reachable by
///   the remaining dimensions. Cost: at most the product of the enumerated ranges (for
///   self, about half of it: d and -d are the same pair), each step O(1); in practice the
///   pruning leaves much less. rows_overlap stops at the first shared byte.
///
/// PRECONDITIONS (the callers check them first, with overflow-safe arithmetic):
///   - 0 <= rank <= 3; extents >= 0 (a set with an extent 0, or with row_bytes <= 0, is
///     empty and overlaps nothing);
///   - row_bytes > 0 for a non-empty set;
///   - the byte span of each set, sum_j (n_j - 1) |s_j| + row_bytes, fits in std::ptrdiff_t,
///     and the bytes [lowest row start, lowest row start + span) do not wrap around the
///     address space (true for memory that exists);
///   - addresses compare as their std::uintptr_t values (a flat address space; pointers
///     carrying tags in their high bits, as with ARM MTE/HWASan, must be stripped first).
/// Under these, no arithmetic here overflows: every product (n - 1) * |s| is bounded by the
/// span, every partial sum of the linear form lies in [-span_a, span_b], and differences of
/// addresses are formed only once the spans are known to intersect (then they are bounded by
/// the spans). rows_overlap answers "overlap" without searching when span_a + span_b exceeds
/// 2^61 bytes (impossible for memory that exists; path too_large), which keeps every
/// intermediate of the fast paths and of the exact search below 2^63.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "../view.hpp"

namespace rotary {
namespace detail {

/// One row dimension: extent and stride in bytes.
struct row_dim {
  std::ptrdiff_t extent;
  std::ptrdiff_t stride_bytes;
};

/// A set of rows (see the top of this file).
struct row_set {
  const void* base;             ///< address of row (0, ..., 0)
  std::array<row_dim, 3> dims;  ///< the row dimensions (unused ones: extent 1, stride 0)
  int rank;                     ///< number of used dims, 0..3
  std::ptrdiff_t row_bytes;     ///< > 0 (a non-empty set)
};

/// The rows of a view: its first Rank - 1 dimensions are the row dimensions, the last one
/// (stride 1 is the caller's business) the row, row_bytes = extent(Rank - 1) * sizeof(T).
/// The strides of dimensions of extent <= 1, and all strides and row_bytes of an empty view,
/// are set to 0: they do not contribute to the span, so their products with sizeof(T) are
/// not covered by the caller's span check and must not be formed.
/// \pre the view's byte span fits in std::ptrdiff_t (unless it is empty).
template <class T, std::size_t Rank>
inline row_set rows_of(const tensor_view<T, Rank>& v) noexcept {
  static_assert(Rank >= 1 && Rank <= 4, "rows_of: views of rank 1 to 4 (at most 3 row dims)");
  constexpr std::ptrdiff_t elem = static_cast<std::ptrdiff_t>(sizeof(T));
  bool empty = v.extent(Rank - 1) <= 0;
  for (std::size_t r = 0; r + 1 < Rank; ++r) empty = empty || v.extent(r) <= 0;
  row_set s{static_cast<const void*>(v.data()),
            {{{1, 0}, {1, 0}, {1, 0}}},
            static_cast<int>(Rank - 1),
            empty ? 0 : v.extent(Rank - 1) * elem};
  for (std::size_t r = 0; r + 1 < Rank; ++r) {
    const std::ptrdiff_t n = v.extent(r);
    s.dims[r] = row_dim{n, (!empty && n >= 2) ? v.stride(r) * elem : 0};
  }
  return s;
}

/// Which test decided (exposed so that tests can see a regression to the slow path).
enum class overlap_path {
  empty,           ///< a set is empty
  disjoint_spans,  ///< the address spans do not intersect (rows_overlap only)
  fast,            ///< an O(1) structural test
  search,          ///< the exact lattice search (lattice_search)
  too_large,       ///< span_a + span_b > 2^61 bytes: reported as overlap, not searched
};

struct overlap_result {
  bool overlap;
  overlap_path path;
  std::int64_t steps;  ///< closed-form solves and enumerated values of the search (0 otherwise)
};

namespace overlap_impl {

// Keeps the rarely needed parts (certificates, search) out of the hot inline code.
#if defined(__GNUC__) || defined(__clang__)
#define ROTARY_OVERLAP_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define ROTARY_OVERLAP_NOINLINE __declspec(noinline)
#else
#define ROTARY_OVERLAP_NOINLINE
#endif

using i64 = std::int64_t;
static_assert(sizeof(std::ptrdiff_t) <= sizeof(i64), "rotary: ptrdiff_t wider than 64 bits");

constexpr i64 max_i64 = std::numeric_limits<i64>::max();

/// floor(a / b) and ceil(a / b) for b > 0 (C++ division truncates toward zero).
constexpr i64 floor_div(i64 a, i64 b) noexcept {
  const i64 q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
constexpr i64 ceil_div(i64 a, i64 b) noexcept {
  const i64 q = a / b;
  return (a % b != 0 && a > 0) ? q + 1 : q;
}
constexpr i64 max_of(i64 a, i64 b) noexcept { return a < b ? b : a; }
constexpr i64 min_of(i64 a, i64 b) noexcept { return a < b ? a : b; }

// ------------------------------------------------------------------------------------------
// The exact search: is there an integer x with lo_j <= x_j <= hi_j and
// L <= sum_j x_j s_j <= U (s_j > 0)?
// ------------------------------------------------------------------------------------------

struct lattice_term {
  i64 lo, hi, s;  // x in [lo, hi], lo <= hi, contributes x * s; s > 0
};

constexpr int max_terms = 6;

/// Depth-first enumeration of t[0 .. m-2] with pruning, t[m-1] (the pivot) solved in closed
/// form. suf_lo[j] / suf_hi[j]: the least / greatest value of sum_{k >= j} x_k s_k.
/// Magnitudes: every partial sum c + suf_*[j] is a sum of values x_k s_k with x_k in its
/// range, hence within [sum lo_k s_k, sum hi_k s_k], which the callers bound (see the top of
/// the file), and L, U are bounded likewise, so L - (...) and U - (...) do not overflow.
struct lattice_search {
  const lattice_term* t;
  int m;
  i64 L, U;
  i64 suf_lo[max_terms + 1];
  i64 suf_hi[max_terms + 1];
  i64 steps;

  bool from(int j, i64 c) noexcept {
    ++steps;
    const lattice_term& x = t[j];
    // Values of x_j that leave [L, U] reachable by the remaining terms (exact for the
    // pivot, where nothing remains: suf_*[m] = 0).
    const i64 lo = max_of(x.lo, ceil_div(L - (c + suf_hi[j + 1]), x.s));
    const i64 hi = min_of(x.hi, floor_div(U - (c + suf_lo[j + 1]), x.s));
    if (j == m - 1) return lo <= hi;
    for (i64 v = lo; v <= hi; ++v) {
      if (from(j + 1, c + v * x.s)) return true;
    }
    return false;
  }
};

/// \pre 0 <= m <= max_terms, the bounds discussed at lattice_search. Reorders/merges t.
inline bool lattice_hits(lattice_term* t, int m, i64 L, i64 U, i64& steps) noexcept {
  if (L > U) return false;
  // Merge equal strides: x s + x' s = (x + x') s with x + x' covering [lo + lo', hi + hi']
  // without gaps (a sum of integer intervals is an integer interval).
  int k = 0;
  for (int j = 0; j < m; ++j) {
    int e = 0;
    while (e < k && t[e].s != t[j].s) ++e;
    if (e < k) {
      t[e].lo += t[j].lo;
      t[e].hi += t[j].hi;
    } else {
      t[k++] = t[j];
    }
  }
  m = k;
  if (m == 0) return L <= 0 && 0 <= U;
  // Order by range (hi - lo) * s, descending, then rotate the largest to the end: it is
  // the pivot, solved in closed form, so the enumerated product is the smallest possible.
  // The range hi s - lo s can reach 2 * span (self: x in [-(n - 1), n - 1]), which may
  // not fit in i64 but always fits in u64, where the subtraction is exact.
  const auto range = [](const lattice_term& x) noexcept {
    return static_cast<std::uint64_t>(x.hi * x.s) - static_cast<std::uint64_t>(x.lo * x.s);
  };
  for (int j = 1; j < m; ++j) {
    const lattice_term x = t[j];
    const std::uint64_t rx = range(x);
    int e = j;
    while (e > 0 && range(t[e - 1]) < rx) {
      t[e] = t[e - 1];
      --e;
    }
    t[e] = x;
  }
  const lattice_term pivot = t[0];
  for (int j = 1; j < m; ++j) t[j - 1] = t[j];
  t[m - 1] = pivot;

  lattice_search search{t, m, L, U, {}, {}, 0};
  search.suf_lo[m] = search.suf_hi[m] = 0;
  for (int j = m; j-- > 0;) {
    search.suf_lo[j] = search.suf_lo[j + 1] + t[j].lo * t[j].s;
    search.suf_hi[j] = search.suf_hi[j + 1] + t[j].hi * t[j].s;
  }
  const bool hit = search.from(0, 0);
  steps += search.steps;
  return hit;
}

// ------------------------------------------------------------------------------------------
// Self overlap.
// ------------------------------------------------------------------------------------------

/// Sorts m <= 3 dims by stride, ascending (a sorting network: no loops, no memmove).
inline void sort_dims(i64* n, i64* s, int m) noexcept {
  const auto order = [n, s](int i, int k) noexcept {
    if (s[k] < s[i]) {
      const i64 ts = s[i], tn = n[i];
      s[i] = s[k];
      n[i] = n[k];
      s[k] = ts;
      n[k] = tn;
    }
  };
  if (m >= 2) order(0, 1);
  if (m >= 3) {
    order(1, 2);
    order(0, 1);
  }
}

inline bool is_empty(const row_set& s) noexcept {
  if (s.row_bytes <= 0) return true;
  for (int j = 0; j < s.rank; ++j) {
    if (s.dims[static_cast<std::size_t>(j)].extent <= 0) return true;
  }
  return false;
}

/// The part of the self test after the nested test failed (kept out of line so that the
/// common, nested case stays small): certificates of overlap, then the search.
/// n, s: the m dims of extent >= 2, s ascending (> 0), not nested.
ROTARY_OVERLAP_NOINLINE inline overlap_result self_overlap_rest(const i64* n, const i64* s, int m,
                                                                i64 w) noexcept {
  if (s[0] < w) return {true, overlap_path::fast, 0};  // rows 0 and e_0 meet
  for (int e = 1; e < m; ++e) {
    if (s[e] == s[e - 1]) return {true, overlap_path::fast, 0};  // rows e_k and e_{k-1}
  }
  {
    // Pigeonhole: rows * w > span means two rows share a byte. rows * w > span iff
    // rows > floor(span / w); the running product stops as soon as it exceeds that.
    i64 span = w;
    for (int e = 0; e < m; ++e) span += (n[e] - 1) * s[e];
    const i64 limit = span / w;
    i64 rows = 1;
    bool more = false;
    for (int e = 0; e < m && !more; ++e) {
      if (rows > limit / n[e]) {
        more = true;
      } else {
        rows *= n[e];
      }
    }
    if (more || rows > limit) return {true, overlap_path::fast, 0};
  }
  // Exact search over the difference vectors d != 0, |d_k| <= n_k - 1, with
  // |sum d_k s_k| <= w - 1. d and -d describe the same pair, so only d whose first nonzero
  // coordinate (in the order e = m - 1, m - 2, .., 0) is positive is searched: split by that
  // coordinate e, d_k = 0 for k > e, d_e in [1, n_e - 1], d_k free for k < e. Strides are
  // distinct here, so the merge in lattice_hits is a no-op. Bounds: sums within
  // [-(span - w), span - w], L and U within [-(w - 1), w - 1]: all within the span.
  i64 steps = 0;
  for (int e = m - 1; e >= 0; --e) {
    lattice_term t[max_terms];
    int k = 0;
    t[k++] = lattice_term{1, n[e] - 1, s[e]};
    for (int f = e - 1; f >= 0; --f) t[k++] = lattice_term{-(n[f] - 1), n[f] - 1, s[f]};
    if (lattice_hits(t, k, -(w - 1), w - 1, steps)) return {true, overlap_path::search, steps};
  }
  return {false, overlap_path::search, steps};
}

/// The general self test: dims sorted by |stride|, nested test, then self_overlap_rest.
inline overlap_result self_overlap_sorted(const row_set& rs) noexcept {
  if (is_empty(rs)) return {false, overlap_path::empty, 0};
  const i64 w = rs.row_bytes;
  // Dimensions of extent >= 2, |stride| ascending (extent-1 dimensions index one row).
  i64 n[3], s[3];
  int m = 0;
  for (int j = 0; j < rs.rank; ++j) {
    const row_dim& d = rs.dims[static_cast<std::size_t>(j)];
    if (d.extent == 1) continue;
    if (d.stride_bytes == 0) return {true, overlap_path::fast, 0};  // rows e_j and 0 coincide
    // |stride| <= span <= PTRDIFF_MAX since extent >= 2: the negation cannot overflow.
    s[m] = d.stride_bytes < 0 ? -static_cast<i64>(d.stride_bytes) : d.stride_bytes;
    n[m] = d.extent;
    ++m;
  }
  sort_dims(n, s, m);
  // Nested: s_j >= reach of the block below, reach_j = w + sum_{k<j} (n_k - 1) s_k. The
  // block of dims <= j is then n_j disjoint translates of the block below: no overlap.
  i64 reach = w;
  for (int j = 0; j < m; ++j) {
    if (s[j] < reach) return self_overlap_rest(n, s, m, w);
    reach += (n[j] - 1) * s[j];
  }
  return {false, overlap_path::fast, 0};
}

/// The nested test in the dims' own order, innermost (last) first: the argument does not
/// need sorted strides, only that each stride covers the block built so far, and the views
/// of every row-major layout pass it without a sort (a few instructions per dim). Anything
/// else (BHSD-like orders, zero strides, overlaps, empty sets) goes to the sorted test.
inline overlap_result self_overlap(const row_set& rs) noexcept {
  if (rs.row_bytes <= 0) return {false, overlap_path::empty, 0};
  i64 reach = rs.row_bytes;
  for (int j = rs.rank; j-- > 0;) {
    const row_dim& d = rs.dims[static_cast<std::size_t>(j)];
    if (d.extent <= 1) {
      if (d.extent <= 0) return {false, overlap_path::empty, 0};
      continue;
    }
    const i64 a = d.stride_bytes < 0 ? -static_cast<i64>(d.stride_bytes) : d.stride_bytes;
    if (a < reach) return self_overlap_sorted(rs);
    reach += (d.extent - 1) * a;
  }
  return {false, overlap_path::fast, 0};
}

// ------------------------------------------------------------------------------------------
// Cross overlap.
// ------------------------------------------------------------------------------------------

/// Step 1 of the normalisation of a row set for the cross test (the set of bytes is kept):
/// dims of extent 1 or stride 0 dropped (the same rows, or the same bytes, without them),
/// negative strides flipped (i -> n - 1 - i: lo moves to the row at (n - 1) s), equal
/// strides merged (i s + i' s covers exactly 0 .. n + n' - 2 times s), strides ascending,
/// and every dim with s <= w absorbed into the row: [0, w) + {0, s, .., (n - 1) s} is the
/// interval [0, (n - 1) s + w) when s <= w (ascending order: once one stays, all do).
/// Left: dims s[first..m), s[first] > w; span = w + sum (n - 1) s.
struct cross_dims {
  std::uintptr_t lo;  // the lowest row start
  i64 w;              // row width after absorption
  i64 span;
  int first, m;
  i64 n[3], s[3];
};

/// False for an empty set.
inline bool gather_cross_dims(const row_set& rs, cross_dims& c) noexcept {
  if (is_empty(rs)) return false;
  int m = 0;
  std::uintptr_t below = 0;  // how far the lowest row start lies below base
  for (int j = 0; j < rs.rank; ++j) {
    const row_dim& d = rs.dims[static_cast<std::size_t>(j)];
    if (d.extent == 1 || d.stride_bytes == 0) continue;
    i64 a = d.stride_bytes;
    if (a < 0) {
      a = -a;  // |stride| <= span <= PTRDIFF_MAX since extent >= 2
      below += static_cast<std::uintptr_t>((d.extent - 1) * a);
    }
    c.s[m] = a;
    c.n[m] = d.extent;
    ++m;
  }
  sort_dims(c.n, c.s, m);
  int k = 0;
  for (int j = 0; j < m; ++j) {
    if (k > 0 && c.s[k - 1] == c.s[j]) {
      c.n[k - 1] += c.n[j] - 1;
    } else {
      c.s[k] = c.s[j];
      c.n[k] = c.n[j];
      ++k;
    }
  }
  m = k;
  c.lo = reinterpret_cast<std::uintptr_t>(rs.base) - below;
  c.m = m;
  i64 w = rs.row_bytes;
  int first = 0;
  while (first < m && c.s[first] <= w) {
    w += (c.n[first] - 1) * c.s[first];
    ++first;
  }
  c.first = first;
  c.w = w;
  i64 span = w;
  for (int j = first; j < m; ++j) span += (c.n[j] - 1) * c.s[j];
  c.span = span;
  return true;
}

/// The byte set of a row set, normalised: rows of width w at lo + sum_j i_j s_j,
/// 0 <= i_j < n_j, n_j >= 2, s_0 > s_1 > ... > 0 (outermost first), s_{rank-1} > w.
/// reach[j] = w + sum_{k >= j} (n_k - 1) s_k: the length of the block of dims j.. (one
/// block per index of the dims above); reach[0] is the span, reach[rank] = w.
struct cross_form {
  int rank;
  i64 n[3];
  i64 s[3];
  i64 reach[4];
  bool nested(int j) const noexcept { return s[j] >= reach[j + 1]; }
};

/// Step 2: contiguous dims merged, s' = n s giving {i s + i' n s} = {0 .. n n' - 1} s (the
/// test s' - s == (n - 1) s avoids forming n s, which may exceed the span), except where the
/// other set has a dim of stride s': the blocks of stride s' are then the common structure
/// cross_fast compares level by level (two slices of one tensor have strides from one
/// nested chain; merging in one only would hide that), while a merge the other set does not
/// share lets a [T][H][D] view meet a [B][S][H][D] view of the same tokens at one level.
inline void finish_cross_form(const cross_dims& c, const cross_dims& other,
                              cross_form& f) noexcept {
  const auto other_has = [&other](i64 stride) noexcept {
    for (int j = other.first; j < other.m; ++j) {
      if (other.s[j] == stride) return true;
    }
    return false;
  };
  int r = 0;  // f.n, f.s ascending first, reversed below
  for (int j = c.first; j < c.m; ++j) {
    if (r > 0 && c.s[j] - f.s[r - 1] == (f.n[r - 1] - 1) * f.s[r - 1] && !other_has(c.s[j])) {
      f.n[r - 1] *= c.n[j];
      continue;
    }
    f.n[r] = c.n[j];
    f.s[r] = c.s[j];
    ++r;
  }
  if (r == 3) {  // outermost first
    const i64 tn = f.n[0], ts = f.s[0];
    f.n[0] = f.n[2];
    f.s[0] = f.s[2];
    f.n[2] = tn;
    f.s[2] = ts;
  } else if (r == 2) {
    const i64 tn = f.n[0], ts = f.s[0];
    f.n[0] = f.n[1];
    f.s[0] = f.s[1];
    f.n[1] = tn;
    f.s[1] = ts;
  }
  f.rank = r;
  f.reach[r] = c.w;
  for (int j = r; j-- > 0;) f.reach[j] = f.reach[j + 1] + (f.n[j] - 1) * f.s[j];
}

enum class tri { no, yes, unknown };

/// Does the block of a's dims ja.. (at offset 0) meet the block of b's dims jb.. at offset d?
/// Exact where it answers yes/no; unknown where its O(1) arguments do not apply. Offsets
/// stay within (-reach_b, reach_a) of the blocks compared, so all values are bounded by
/// span_a + span_b.
inline tri cross_fast(const cross_form& a, int ja, const cross_form& b, int jb, i64 d) noexcept {
  const i64 ra = a.reach[ja], rb = b.reach[jb];
  if (d >= ra || d + rb <= 0) return tri::no;  // [0, ra) and [d, d + rb) are disjoint
  const bool a_dims = ja < a.rank, b_dims = jb < b.rank;
  if (!a_dims && !b_dims) return tri::yes;  // two intervals that meet
  tri result = tri::no;
  if (a_dims && b_dims && a.s[ja] == b.s[jb] && a.nested(ja) && b.nested(jb)) {
    // Same outer stride S: block t of a is A' + t S, block u of b is B' + d + u S; they
    // meet iff A' meets B' + d + k S, k = u - t in [-(na - 1), nb - 1]. A' spans [0, ia),
    // B' [0, ib), ia, ib <= S (nested), so d + k S must lie in (-ib, ia), inside (-S, S).
    // With -d = q S + r, 0 <= r < S, only k = q (offset -r) and k = q + 1 (offset S - r)
    // fall in (-S, S): one division.
    const i64 S = a.s[ja], ia = a.reach[ja + 1], ib = b.reach[jb + 1];
    const i64 q = floor_div(-d, S), r = -d - q * S;
    const i64 k_lo = -(a.n[ja] - 1), k_hi = b.n[jb] - 1;
    if (r < ib && q >= k_lo && q <= k_hi) {
      result = cross_fast(a, ja + 1, b, jb + 1, -r);
      if (result == tri::yes) return result;
    }
    if (S - r < ia && q + 1 >= k_lo && q + 1 <= k_hi) {
      const tri next = cross_fast(a, ja + 1, b, jb + 1, S - r);
      if (next != tri::no) return next;
    }
    return result;
  }
  // Split the set with the larger outer stride S into its blocks X' + t S (t < n); only
  // blocks meeting the other's span [e, e + R) matter: t S in (e - ix, e + R).
  const bool split_a = a_dims && (!b_dims || a.s[ja] >= b.s[jb]);
  const cross_form& x = split_a ? a : b;
  const int jx = split_a ? ja : jb;
  if (!x.nested(jx)) return tri::unknown;
  const i64 S = x.s[jx], ix = x.reach[jx + 1], n = x.n[jx];
  const i64 e = split_a ? d : -d;   // the other block's offset from x's block
  const i64 R = split_a ? rb : ra;  // the other block's reach
  const i64 t_lo = max_of(0, floor_div(e - ix, S) + 1);
  // The candidates t_lo, t_lo + 1, ..: t <= n - 1 and t S < e + R (t S <= span: no overflow).
  int count = 0;
  while (count < 3 && t_lo + count <= n - 1 && (t_lo + count) * S < e + R) ++count;
  if (count == 3) {
    // Block t_lo + 1 spans [(t_lo + 1) S, (t_lo + 1) S + ix) with (t_lo + 1) S > e
    // ((t_lo + 1) S > e - ix + S >= e) and (t_lo + 1) S + ix <= (t_lo + 2) S < e + R: inside
    // the other's span. If that is a single interval, the block's rows are in it.
    return (split_a ? !b_dims : !a_dims) ? tri::yes : tri::unknown;
  }
  for (int c = 0; c < count; ++c) {
    const i64 t = t_lo + c;
    const tri r =
        split_a ? cross_fast(a, ja + 1, b, jb, d - t * S) : cross_fast(a, ja, b, jb + 1, d + t * S);
    if (r == tri::yes) return r;
    if (r == tri::unknown) result = r;
  }
  return result;
}

/// The exact search for the cross test, out of line.
ROTARY_OVERLAP_NOINLINE inline overlap_result cross_search(const cross_form& a, const cross_form& b,
                                                           i64 d) noexcept {
  // Exact search: rows a + sum i_j sa_j (width wa) and b + d + sum i'_j sb_j (width wb)
  // meet iff  sum i'_j sb_j - sum i_j sa_j  in [1 - wb - d, wa - 1 - d]. Terms of a have
  // x = -i in [-(n - 1), 0], terms of b x = i' in [0, n - 1]; partial sums lie in
  // [-(span_a - wa), span_b - wb].
  lattice_term t[max_terms];
  int m = 0;
  for (int j = 0; j < a.rank; ++j) t[m++] = lattice_term{-(a.n[j] - 1), 0, a.s[j]};
  for (int j = 0; j < b.rank; ++j) t[m++] = lattice_term{0, b.n[j] - 1, b.s[j]};
  const i64 wa = a.reach[a.rank], wb = b.reach[b.rank];
  i64 steps = 0;
  const bool hit = lattice_hits(t, m, 1 - wb - d, wa - 1 - d, steps);
  return {hit, overlap_path::search, steps};
}

/// The cross test once the spans are known to intersect (normalisation, fast, search).
inline overlap_result cross_overlap_intersecting(const row_set& ra, const row_set& rb) noexcept {
  cross_dims ca, cb;
  if (!gather_cross_dims(ra, ca) || !gather_cross_dims(rb, cb)) {
    return {false, overlap_path::empty, 0};
  }
  // Beyond here values up to 2 (span_a + span_b) + 1 are formed (the search's
  // L - (c + suf)); keep span_a + span_b <= 2^61.
  if (ca.span > max_i64 / 4 - cb.span) return {true, overlap_path::too_large, 0};
  // The spans intersect: b.lo - a.lo lies in (-span_b, span_a).
  const i64 d = cb.lo >= ca.lo ? static_cast<i64>(cb.lo - ca.lo) : -static_cast<i64>(ca.lo - cb.lo);
  cross_form a, b;
  finish_cross_form(ca, cb, a);
  finish_cross_form(cb, ca, b);
  const tri fast = cross_fast(a, 0, b, 0, d);
  if (fast != tri::unknown) return {fast == tri::yes, overlap_path::fast, 0};
  return cross_search(a, b, d);
}

/// The byte span [lo, end) of a set as unsigned addresses (no pointer arithmetic); false
/// for an empty set. Each (n - 1) * stride is bounded by the span: no overflow.
inline bool span_of(const row_set& s, std::uintptr_t& lo, std::uintptr_t& end) noexcept {
  if (s.row_bytes <= 0) return false;
  std::uintptr_t below = 0, above = static_cast<std::uintptr_t>(s.row_bytes);
  for (int j = 0; j < s.rank; ++j) {
    const row_dim& d = s.dims[static_cast<std::size_t>(j)];
    if (d.extent <= 1) {
      if (d.extent <= 0) return false;
      continue;
    }
    const i64 reach = (d.extent - 1) * d.stride_bytes;
    if (reach < 0) {
      below += static_cast<std::uintptr_t>(-reach);
    } else {
      above += static_cast<std::uintptr_t>(reach);
    }
  }
  const std::uintptr_t base = reinterpret_cast<std::uintptr_t>(s.base);
  lo = base - below;
  end = base + above;
  return true;
}

inline overlap_result cross_overlap(const row_set& ra, const row_set& rb) noexcept {
  // First the spans (separate buffers, or neighbouring slices of one token): no
  // normalisation needed, and no signed difference of unrelated addresses.
  std::uintptr_t a_lo, a_end, b_lo, b_end;
  if (!span_of(ra, a_lo, a_end) || !span_of(rb, b_lo, b_end)) {
    return {false, overlap_path::empty, 0};
  }
  if (a_end <= b_lo || b_end <= a_lo) return {false, overlap_path::disjoint_spans, 0};
  return cross_overlap_intersecting(ra, rb);
}

#undef ROTARY_OVERLAP_NOINLINE

}  // namespace overlap_impl

/// rows_overlap_self with the path that decided (for tests).
inline overlap_result analyze_self_overlap(const row_set& s) noexcept {
  return overlap_impl::self_overlap(s);
}

/// rows_overlap with the path that decided (for tests).
inline overlap_result analyze_overlap(const row_set& a, const row_set& b) noexcept {
  return overlap_impl::cross_overlap(a, b);
}

/// True iff two different rows of s share a byte. An empty set overlaps nothing.
/// \pre see the top of this file.
inline bool rows_overlap_self(const row_set& s) noexcept {
  return overlap_impl::self_overlap(s).overlap;
}

/// True iff a row of a and a row of b share a byte (a and b may have different row_bytes).
/// An empty set overlaps nothing. \pre see the top of this file.
inline bool rows_overlap(const row_set& a, const row_set& b) noexcept {
  return overlap_impl::cross_overlap(a, b).overlap;
}

}  // namespace detail
}  // namespace rotary
