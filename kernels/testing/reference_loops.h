// Plain C++ reference implementations of the kernels in kernels/*.tile, used
// by kernels_test.cc and `helionrt demo` as the oracle. They compute in double on inputs already
// rounded to the kernel's dtype, so the only differences from a correct
// kernel are the kernel's f32 arithmetic and the rounding of its output.
//
// Each returns, per output element, the exact value and a |scale|: the size
// of the terms the value is computed from (e.g. sum |a_ik * b_kj| for a dot
// product). f32 arithmetic error is proportional to the scale, not to the
// value, which can be much smaller after cancellation.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "codegen/ir/dtype.h"

namespace hrt::ref {

struct RefOutput {
  std::vector<double> value;
  std::vector<double> scale;
};

// out = x + y over N elements.
inline RefOutput VectorAddRef(const std::vector<double>& x, const std::vector<double>& y) {
  RefOutput r;
  for (size_t i = 0; i < x.size(); ++i) {
    r.value.push_back(x[i] + y[i]);
    r.scale.push_back(std::fabs(x[i]) + std::fabs(y[i]));
  }
  return r;
}

// out = gate * sigmoid(gate) * up, elementwise.
inline RefOutput SiluMulRef(const std::vector<double>& gate, const std::vector<double>& up) {
  RefOutput r;
  for (size_t i = 0; i < gate.size(); ++i) {
    const double g = gate[i];
    const double v = g / (1.0 + std::exp(-g)) * up[i];
    r.value.push_back(v);
    r.scale.push_back(std::fabs(v));
  }
  return r;
}

// Row softmax of a row-major [M, N] matrix.
inline RefOutput SoftmaxRef(const std::vector<double>& x, int64_t m, int64_t n) {
  RefOutput r;
  r.value.resize(x.size());
  r.scale.resize(x.size());
  for (int64_t i = 0; i < m; ++i) {
    const double* row = x.data() + i * n;
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < n; ++j) mx = std::max(mx, row[j]);
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j) sum += std::exp(row[j] - mx);
    for (int64_t j = 0; j < n; ++j) {
      const double v = std::exp(row[j] - mx) / sum;
      r.value[i * n + j] = v;
      r.scale[i * n + j] = v;
    }
  }
  return r;
}

// y = x * rsqrt(mean(x^2) + eps) * w per row of a row-major [M, N] matrix.
inline RefOutput RmsNormRef(const std::vector<double>& x, const std::vector<double>& w, int64_t m,
                            int64_t n, double eps) {
  RefOutput r;
  r.value.resize(x.size());
  r.scale.resize(x.size());
  for (int64_t i = 0; i < m; ++i) {
    const double* row = x.data() + i * n;
    double ss = 0.0;
    for (int64_t j = 0; j < n; ++j) ss += row[j] * row[j];
    const double rstd = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
    for (int64_t j = 0; j < n; ++j) {
      const double v = row[j] * rstd * w[j];
      r.value[i * n + j] = v;
      r.scale[i * n + j] = std::fabs(v);
    }
  }
  return r;
}

// y = (x - mean) * rsqrt(var + eps) * w + b per row, biased variance.
inline RefOutput LayerNormRef(const std::vector<double>& x, const std::vector<double>& w,
                              const std::vector<double>& b, int64_t m, int64_t n, double eps) {
  RefOutput r;
  r.value.resize(x.size());
  r.scale.resize(x.size());
  for (int64_t i = 0; i < m; ++i) {
    const double* row = x.data() + i * n;
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j) sum += row[j];
    const double mean = sum / static_cast<double>(n);
    double sq = 0.0;
    for (int64_t j = 0; j < n; ++j) sq += (row[j] - mean) * (row[j] - mean);
    const double rstd = 1.0 / std::sqrt(sq / static_cast<double>(n) + eps);
    for (int64_t j = 0; j < n; ++j) {
      r.value[i * n + j] = (row[j] - mean) * rstd * w[j] + b[j];
      // x - mean is formed from two f32 numbers of size |x| and |mean|.
      r.scale[i * n + j] =
          (std::fabs(row[j]) + std::fabs(mean)) * rstd * std::fabs(w[j]) + std::fabs(b[j]);
    }
  }
  return r;
}

// C = A @ B (+ bias) for row-major A [M, K], B [K, N], bias [N] or empty.
inline RefOutput GemmRef(const std::vector<double>& a, const std::vector<double>& b,
                         const std::vector<double>& bias, int64_t m, int64_t n, int64_t k) {
  RefOutput r;
  r.value.assign(static_cast<size_t>(m * n), 0.0);
  r.scale.assign(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      double mag = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        acc += a[i * k + p] * b[p * n + j];
        mag += std::fabs(a[i * k + p] * b[p * n + j]);
      }
      if (!bias.empty()) {
        acc += bias[j];
        mag += std::fabs(bias[j]);
      }
      r.value[i * n + j] = acc;
      r.scale[i * n + j] = mag;
    }
  }
  return r;
}

//===----------------------------------------------------------------------===//
// Tolerances
//===----------------------------------------------------------------------===//
// Every kernel computes in f32 and rounds its output to T once. An output is
// accepted when
//   |got - want| <= RelTol(T) * |want| + kF32ComputeTol * scale + AbsTol(T)
// where |scale| (from the reference) is the size of the terms the output is
// computed from.

// f32 output: a handful of f32 operations and reductions of up to ~1000 terms
// in an unspecified order; 1e-5 (~170 ulp) covers that and still rejects a
// wrong formula, a lost term or a missing rescale by orders of magnitude.
constexpr double kF32RelTol = 1e-5;
// bf16 keeps 8 significant bits: rounding costs up to 2^-9 relative, and an
// f32 result next to a rounding boundary may land one bf16 ulp (2^-7) away.
constexpr double kBF16RelTol = 0x1p-7;
// f16 keeps 11 significant bits: one ulp is at most 2^-10 relative.
constexpr double kF16RelTol = 0x1p-10;
// The f32 arithmetic inside a kernel, whatever T is, errs relative to the
// terms rather than the result: a K = 129 f32 dot product is within
// K * 2^-24 ~ 7.7e-6 of sum |a * b| in the worst case.
constexpr double kF32ComputeTol = 1e-5;
// f16 values below 2^-14 are subnormal, spaced 2^-24 apart, so relative
// rounding no longer holds there (tiny softmax probabilities). bf16 and f32
// reach subnormals only near 1e-38, which no test produces.
constexpr double kF16AbsTol = 0x1p-24;

inline double RelTol(ir::DType t) {
  switch (t) {
    case ir::DType::kF16: return kF16RelTol;
    case ir::DType::kBF16: return kBF16RelTol;
    default: return kF32RelTol;
  }
}

inline double AbsTol(ir::DType t) {
  return t == ir::DType::kF16 ? kF16AbsTol : 0.0;
}

// Largest error accepted for an output element of dtype |t| whose exact
// value is |want| and whose terms have size |scale| (see RefOutput):
//   RelTol(t) * |want| + kF32ComputeTol * scale + AbsTol(t).
inline double Tolerance(ir::DType t, double want, double scale) {
  return RelTol(t) * std::fabs(want) + kF32ComputeTol * scale + AbsTol(t);
}

}  // namespace hrt::ref
