// SPDX-License-Identifier: MIT
// What the design card warns against, measured against the fast path on the same fixture
// (bench_fixture.hpp's tensor_pair: in and out skewed modulo 4 KiB), float, out of place:
//   design/<shape>/memcpy                     memcpy of the same bytes (the limit)
//   design/<shape>/<pairing>/fast             rope.forward(in, out, pos), the rope built once
//   design/<shape>/<pairing>/rope_per_call    the same with the rope built inside the loop
//   design/<shape>/<pairing>/plain_loop       a contiguous scalar loop over the table (what
//                                             one writes by hand)
//   design/<shape>/<pairing>/scalar_reference rotate_reference, one pair at a time
//   design/<shape>/half_split/dense_matrix    R_m (d x d, RoFormer eq. 15) filled per token and
//                                             applied to each head by a scalar mat-vec
//   design/<shape>/half_split/eigen_dense     the same R_m as one Eigen product per token,
//                                             Y = X R_m^T over the token's [heads x d] block
//   design/<shape>/half_split/eigen_sparse    R_m as an Eigen::SparseMatrix (2d non-zeros,
//                                             structure built once, values set per token)
// Bytes processed = bytes read + written of the tensor for every row, so bytes/s compare
// directly. The matrix rows need Eigen (the rotary::attention target); without it they are
// not registered.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <rotary/rotary.hpp>
#include <string>
#include <vector>

#include "bench_fixture.hpp"

#if __has_include(<Eigen/Dense>)
#include "bench_eigen.hpp"
#if defined(ROTARY_BENCH_EIGEN_SPARSE)
#define ROTARY_BENCH_EIGEN 1
#endif
#endif

namespace {

using rotary::pairing;
using rotary_bench::shape;
using fixture = rotary_bench::tensor_pair<float>;

const char* name_of(pairing p) { return p == pairing::interleaved ? "interleaved" : "half_split"; }

/// Pair i of a head: elements (a(i), b(i)).
struct pair_index {
  std::ptrdiff_t half;
  bool interleaved;
  std::ptrdiff_t a(std::ptrdiff_t i) const { return interleaved ? 2 * i : i; }
  std::ptrdiff_t b(std::ptrdiff_t i) const { return interleaved ? 2 * i + 1 : i + half; }
};

/// Registers `name`, timing body(d) on the shared fixture of `s`.
template <class Body>
void add(const std::string& name, const shape& s, Body body) {
  benchmark::RegisterBenchmark(name.c_str(), [s, body](benchmark::State& state) {
    fixture& d = rotary_bench::shared_fixture<float>(s);
    auto run = body(d);  // setup outside the loop; returns the call
    for (auto _ : state) {
      run();
      benchmark::DoNotOptimize(d.out());
      benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 2 *
                            static_cast<std::int64_t>(d.elements() * sizeof(float)));
  });
}

void add_shape(const shape& s) {
  const std::string prefix = "design/" + s.name() + "/";
  const std::ptrdiff_t d_ = s.head_dim, half = s.head_dim / 2;
  add(prefix + "memcpy", s, [](fixture& d) {
    return [&d] { std::memcpy(d.out(), d.in(), d.elements() * sizeof(float)); };
  });
  for (pairing p : {pairing::interleaved, pairing::half_split}) {
    const std::string row = prefix + name_of(p) + "/";
    add(row + "fast", s, [p](fixture& d) {
      return [&d, r = rotary::rope(d.table(), p)] { r.forward(d.input(), d.output(), rotary::positions::from_offset(0)); };
    });
    add(row + "rope_per_call", s, [p](fixture& d) {
      return [&d, p] { rotary::rope(d.table(), p).forward(d.input(), d.output(), rotary::positions::from_offset(0)); };
    });
    add(row + "plain_loop", s, [p, s, half](fixture& d) {
      return [&d, s, ix = pair_index{half, p == pairing::interleaved}] {
        for (std::ptrdiff_t t = 0; t < s.tokens; ++t) {
          const float* c = d.table().data() + t * s.head_dim;
          const float* sn = c + ix.half;
          for (std::ptrdiff_t h = 0; h < s.heads; ++h) {
            const float* x = d.in() + (t * s.heads + h) * s.head_dim;
            float* y = d.out() + (t * s.heads + h) * s.head_dim;
            for (std::ptrdiff_t i = 0; i < ix.half; ++i) {
              const std::ptrdiff_t a = ix.a(i), b = ix.b(i);
              y[a] = x[a] * c[i] - x[b] * sn[i];
              y[b] = x[b] * c[i] + x[a] * sn[i];
            }
          }
        }
      };
    });
    add(row + "scalar_reference", s, [p](fixture& d) {
      return [&d, r = rotary::rope(d.table(), p)] {
        rotary::rotate_reference(r, rotary::direction::forward, d.input(), d.output(),
                                 rotary::positions::from_offset(0));
      };
    });
  }
  const pair_index ix{half, false};
  const std::string row = prefix + "half_split/";
  // R_m of token t: R[a][a] = R[b][b] = cos, R[a][b] = -sin, R[b][a] = sin per pair (a, b).
  auto fill_rotation = [ix, d_](const fixture& d, std::ptrdiff_t t, float* r) {
    const float* c = d.table().data() + t * d_;
    const float* sn = c + ix.half;
    for (std::ptrdiff_t i = 0; i < ix.half; ++i) {
      const std::ptrdiff_t a = ix.a(i), b = ix.b(i);
      r[a * d_ + a] = c[i], r[a * d_ + b] = -sn[i];
      r[b * d_ + a] = sn[i], r[b * d_ + b] = c[i];
    }
  };
  add(row + "dense_matrix", s, [s, d_, fill_rotation](fixture& d) {
    return [&d, s, d_, fill_rotation, r = std::vector<float>(static_cast<std::size_t>(d_ * d_), 0.0f)]() mutable {
      for (std::ptrdiff_t t = 0; t < s.tokens; ++t) {
        fill_rotation(d, t, r.data());
        for (std::ptrdiff_t h = 0; h < s.heads; ++h) {
          const float* x = d.in() + (t * s.heads + h) * d_;
          float* y = d.out() + (t * s.heads + h) * d_;
          for (std::ptrdiff_t i = 0; i < d_; ++i) {
            float sum = 0.0f;
            for (std::ptrdiff_t j = 0; j < d_; ++j) sum += r[static_cast<std::size_t>(i * d_ + j)] * x[j];
            y[i] = sum;
          }
        }
      }
    };
  });
#ifdef ROTARY_BENCH_EIGEN
  using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  add(row + "eigen_dense", s, [s, d_, fill_rotation](fixture& d) {
    return [&d, s, d_, fill_rotation, r = row_major(row_major::Zero(d_, d_))]() mutable {
      for (std::ptrdiff_t t = 0; t < s.tokens; ++t) {
        fill_rotation(d, t, r.data());
        const Eigen::Map<const row_major> x(d.in() + t * s.heads * d_, s.heads, d_);
        Eigen::Map<row_major> y(d.out() + t * s.heads * d_, s.heads, d_);
        y.noalias() = x * r.transpose();
      }
    };
  });
  add(row + "eigen_sparse", s, [s, d_, ix](fixture& d) {
    // Column-major [d x heads] views of a token's block: Y^T = R X^T.
    using col_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
    struct state {
      Eigen::SparseMatrix<float, Eigen::RowMajor> r;
      std::vector<std::ptrdiff_t> cos_at, sin_at, neg_sin_at;  // value slots
    } st;
    std::vector<Eigen::Triplet<float>> entries;
    for (std::ptrdiff_t i = 0; i < ix.half; ++i) {
      const auto a = static_cast<int>(ix.a(i)), b = static_cast<int>(ix.b(i));
      entries.insert(entries.end(), {{a, a, 1.0f}, {a, b, 1.0f}, {b, a, 1.0f}, {b, b, 1.0f}});
    }
    st.r.resize(static_cast<int>(d_), static_cast<int>(d_));
    st.r.setFromTriplets(entries.begin(), entries.end());
    st.r.makeCompressed();
    const float* base = st.r.valuePtr();
    for (std::ptrdiff_t i = 0; i < ix.half; ++i) {
      const auto a = static_cast<int>(ix.a(i)), b = static_cast<int>(ix.b(i));
      st.cos_at.push_back(&st.r.coeffRef(a, a) - base);
      st.cos_at.push_back(&st.r.coeffRef(b, b) - base);
      st.neg_sin_at.push_back(&st.r.coeffRef(a, b) - base);
      st.sin_at.push_back(&st.r.coeffRef(b, a) - base);
    }
    return [&d, s, d_, ix, st]() mutable {
      float* v = st.r.valuePtr();
      for (std::ptrdiff_t t = 0; t < s.tokens; ++t) {
        const float* c = d.table().data() + t * d_;
        const float* sn = c + ix.half;
        for (std::ptrdiff_t i = 0; i < ix.half; ++i) {
          const auto u = static_cast<std::size_t>(i);
          v[st.cos_at[2 * u]] = v[st.cos_at[2 * u + 1]] = c[i];
          v[st.neg_sin_at[u]] = -sn[i];
          v[st.sin_at[u]] = sn[i];
        }
        const Eigen::Map<const col_major> x(d.in() + t * s.heads * d_, d_, s.heads);
        Eigen::Map<col_major> y(d.out() + t * s.heads * d_, d_, s.heads);
        y.noalias() = st.r * x;
      }
    };
  });
#endif
}

}  // namespace

int main(int argc, char** argv) {
  // A decode step (16 KiB: in L1) and a prefill block of 512 tokens (8 MiB: past L2).
  for (const shape& s : {rotary_bench::full(1, 32, 128), rotary_bench::full(512, 32, 128)}) add_shape(s);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("rotary_simd", rotary::simd_instruction_set());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
