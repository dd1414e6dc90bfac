// SPDX-License-Identifier: MIT
#pragma once
/// Relative position bias: a learned scalar per head and per (bucketed) relative distance,
/// added to the attention logits, logit_ij += B[h][bucket(n_j - m_i)] (m_i the query's
/// position, n_j the key's). It depends on n - m only, so it is shift-invariant.
///
/// Two bucketings of the relative distance r = n - m:
///   - clipped (Shaw, Uszkoreit, Vaswani 2018, arXiv:1803.02155, §3.2): r clipped to
///     [-k, k], 2k + 1 buckets; every distance beyond k shares one bias.
///   - t5 (Raffel et al. 2019, arXiv:1910.10683, §2.1): half the buckets hold the exact
///     distances 0 .. b/2 - 1, the other half cover b/2 .. max_distance on a log scale,
///     everything farther shares the last bucket; bidirectional splits the buckets between
///     keys before and after the query. T5 uses 32 buckets and max_distance 128.
/// The attention hook (rotary/attention/position_hooks.hpp) takes either; t5 is the
/// default of the examples and benches: it is the scheme of the best-known model with a
/// relative bias and covers long distances with few parameters.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "detail.hpp"

namespace rotary {

/// Maps a relative distance r = key position - query position to a bucket in [0, count()).
class relative_buckets {
 public:
  enum class scheme { clipped, t5 };

  /// Shaw 2018: bucket = clamp(r, -max_distance, max_distance) + max_distance.
  static relative_buckets clipped(std::int64_t max_distance) {
    ROTARY_CHECK(max_distance >= 0, "relative_buckets::clipped: max_distance must be >= 0, got ",
                 max_distance);
    // 2 max_distance + 1 buckets, and clamp(r) + max_distance, must fit std::ptrdiff_t.
    constexpr std::int64_t max_count =
        static_cast<std::int64_t>(std::numeric_limits<std::ptrdiff_t>::max());
    ROTARY_CHECK(max_distance <= (max_count - 1) / 2,
                 "relative_buckets::clipped: max_distance must be <= ", (max_count - 1) / 2,
                 " (2 max_distance + 1 buckets), got ", max_distance);
    return relative_buckets(scheme::clipped, 2 * max_distance + 1, max_distance, true);
  }

  /// T5: num_buckets buckets (split in two halves when bidirectional), log-spaced from
  /// num_buckets/2 (per direction) exact distances up to max_distance.
  static relative_buckets t5(std::int64_t num_buckets = 32, std::int64_t max_distance = 128,
                             bool bidirectional = true) {
    const std::int64_t per_side = bidirectional ? num_buckets / 2 : num_buckets;
    ROTARY_CHECK(per_side >= 2 && (!bidirectional || num_buckets % 2 == 0),
                 "relative_buckets::t5: num_buckets must be >= 2 (even and >= 4 when "
                 "bidirectional), got ",
                 num_buckets);
    ROTARY_CHECK(max_distance > per_side / 2, "relative_buckets::t5: max_distance must be > ",
                 per_side / 2, " (the exact range), got ", max_distance);
    return relative_buckets(scheme::t5, num_buckets, max_distance, bidirectional);
  }

  scheme kind() const noexcept { return scheme_; }
  std::ptrdiff_t count() const noexcept { return static_cast<std::ptrdiff_t>(count_); }
  std::int64_t max_distance() const noexcept { return max_distance_; }
  bool bidirectional() const noexcept { return bidirectional_; }

  std::ptrdiff_t operator()(std::int64_t r) const noexcept {
    if (scheme_ == scheme::clipped) {
      return static_cast<std::ptrdiff_t>(std::clamp(r, -max_distance_, max_distance_) +
                                         max_distance_);
    }
    std::int64_t per_side = count_;
    std::int64_t offset = 0;
    std::int64_t n = 0;  // distance in the bucketed direction
    if (bidirectional_) {
      per_side /= 2;
      if (r > 0) offset = per_side;  // keys after the query use the upper half
      n = r < 0 ? negate(r) : r;
    } else {
      n = r < 0 ? negate(r) : 0;  // causal: only keys before the query matter
    }
    const std::int64_t exact = per_side / 2;
    if (n < exact) return static_cast<std::ptrdiff_t>(offset + n);
    const double ratio = std::log(static_cast<double>(n) / static_cast<double>(exact)) /
                         std::log(static_cast<double>(max_distance_) / static_cast<double>(exact));
    const auto log_bucket =
        exact + static_cast<std::int64_t>(ratio * static_cast<double>(per_side - exact));
    return static_cast<std::ptrdiff_t>(offset + std::min(log_bucket, per_side - 1));
  }

 private:
  /// -r for r < 0, INT64_MAX for INT64_MIN (same bucket: the farthest).
  static std::int64_t negate(std::int64_t r) noexcept {
    return r == std::numeric_limits<std::int64_t>::min() ? std::numeric_limits<std::int64_t>::max()
                                                         : -r;
  }

  relative_buckets(scheme s, std::int64_t count, std::int64_t max_distance, bool bidirectional)
      : scheme_(s), count_(count), max_distance_(max_distance), bidirectional_(bidirectional) {}

  scheme scheme_;
  std::int64_t count_;
  std::int64_t max_distance_;
  bool bidirectional_;
};

/// The learned table B[num_heads][buckets.count()] and the logits bias it produces.
template <class C>
class relative_position_bias {
  static_assert(std::is_same_v<C, float> || std::is_same_v<C, double>,
                "relative_position_bias: C must be float or double");

 public:
  using value_type = C;

  /// Table initialised deterministically from `seed`, uniform in [-init_scale, init_scale).
  relative_position_bias(std::ptrdiff_t num_heads, relative_buckets buckets, std::uint64_t seed = 0,
                         double init_scale = 0.02)
      : num_heads_(num_heads), buckets_(buckets) {
    ROTARY_CHECK(num_heads > 0, "relative_position_bias: num_heads must be > 0, got ", num_heads);
    const std::ptrdiff_t count = buckets_.count();
    const std::size_t limit = std::min<std::size_t>(
        table_.max_size(), static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max()));
    ROTARY_CHECK(static_cast<std::size_t>(count) <= limit / static_cast<std::size_t>(num_heads),
                 "relative_position_bias: the table of num_heads * buckets.count() = ", num_heads,
                 " * ", count, " entries is too large");
    table_.resize(static_cast<std::size_t>(num_heads * count));
    detail::seeded_uniform rng(seed);
    for (C& w : table_) w = static_cast<C>(rng.next(init_scale));
  }

  std::ptrdiff_t num_heads() const noexcept { return num_heads_; }
  const relative_buckets& buckets() const noexcept { return buckets_; }
  /// The table, [num_heads][buckets().count()] row-major.
  const C* data() const noexcept { return table_.data(); }
  C* data() noexcept { return table_.data(); }

  /// Replaces the table with the caller's [num_heads][buckets().count()] values.
  void load(const C* values) {
    ROTARY_CHECK(values != nullptr, "relative_position_bias::load: values must not be null");
    std::copy(values, values + table_.size(), table_.begin());
  }

  /// B for head h and relative distance r = key position - query position.
  C bias(std::ptrdiff_t head, std::int64_t r) const noexcept {
    return table_[static_cast<std::size_t>(head * buckets_.count() + buckets_(r))];
  }

  /// out[h][i][j] = B[h][bucket(n_j - m_i)]: out is [num_heads][num_queries][num_keys]
  /// (any strides), m_i = q_pos of query i, n_j = k_pos of key j. Plug it into attention as
  /// the additive bias (attention_options::bias).
  template <class T>
  void fill(tensor_view<T, 3> out, const positions& q_pos, const positions& k_pos) const {
    static_check_element_type<T>();
    constexpr const char* fn = "relative_position_bias::fill";
    ROTARY_CHECK(out.extent(0) == num_heads_, fn, ": out extent 0 (heads) is ", out.extent(0),
                 ", the table has num_heads = ", num_heads_);
    ROTARY_CHECK(out.extent(1) >= 0 && out.extent(2) >= 0, fn, ": out extents must be >= 0, got ",
                 out.extent(1), " x ", out.extent(2));
    ROTARY_CHECK(out.data() != nullptr || out.size() == 0, fn, ": out data must not be null");
    const std::vector<std::int64_t> m = list(fn, q_pos, out.extent(1));
    const std::vector<std::int64_t> n = list(fn, k_pos, out.extent(2));
    if (m.empty() || n.empty()) return;
    // Positions are in [0, INT64_MAX] (validated), so every n - m fits std::int64_t.
    // Bucketing needs a log: when the distinct distances r in [lo, hi] are not many more
    // than the tokens (consecutive positions), bucket each r once; otherwise (positions
    // far apart) bucket each (query, key) pair. Memory O(num_queries + num_keys) either way.
    const std::int64_t lo =
        *std::min_element(n.begin(), n.end()) - *std::max_element(m.begin(), m.end());
    const std::int64_t hi =
        *std::max_element(n.begin(), n.end()) - *std::min_element(m.begin(), m.end());
    const auto distances = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
    const std::uint64_t tokens = static_cast<std::uint64_t>(m.size()) + n.size();
    using U = std::remove_const_t<T>;
    if (distances < 2 * tokens) {
      std::vector<std::ptrdiff_t> bucket(static_cast<std::size_t>(distances + 1));
      for (std::size_t e = 0; e < bucket.size(); ++e) {
        bucket[e] = buckets_(lo + static_cast<std::int64_t>(e));
      }
      for (std::ptrdiff_t h = 0; h < num_heads_; ++h) {
        const C* row = table_.data() + h * buckets_.count();
        for (std::size_t i = 0; i < m.size(); ++i) {
          for (std::size_t j = 0; j < n.size(); ++j) {
            out(h, i, j) = static_cast<U>(row[bucket[static_cast<std::size_t>(n[j] - m[i] - lo)]]);
          }
        }
      }
      return;
    }
    for (std::size_t i = 0; i < m.size(); ++i) {
      for (std::size_t j = 0; j < n.size(); ++j) {
        const std::ptrdiff_t b = buckets_(n[j] - m[i]);
        for (std::ptrdiff_t h = 0; h < num_heads_; ++h) {
          out(h, i, j) = static_cast<U>(table_[static_cast<std::size_t>(h * buckets_.count() + b)]);
        }
      }
    }
  }

 private:
  static std::vector<std::int64_t> list(const char* fn, const positions& pos, std::ptrdiff_t n) {
    pos.validate(fn, n);
    std::vector<std::int64_t> out(static_cast<std::size_t>(n));
    pos.for_each(0, n,
                 [&](std::ptrdiff_t t, std::int64_t m) { out[static_cast<std::size_t>(t)] = m; });
    return out;
  }

  std::ptrdiff_t num_heads_;
  relative_buckets buckets_;
  std::vector<C> table_;
};

}  // namespace rotary
