// Conformance of the standard kernels in kernels/*.tile. Each kernel is parsed
// from its file, bound for every dtype with its default config and a
// small-block config (so the row loops run several iterations and every mask
// has work to do), run by the CPU reference interpreter, and compared with
// plain C++ loops (reference_loops.h) on the same dtype-rounded inputs. A
// second suite binds every kernel's whole tuning space.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <numeric>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "codegen/interp/interpreter.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/dtype.h"
#include "codegen/ir/expr.h"
#include "codegen/ir/ir.h"
#include "codegen/ir/text.h"
#include "kernels/testing/host_tensor.h"
#include "kernels/testing/load_kernel.h"
#include "kernels/testing/reference_loops.h"

namespace hrt {
namespace {

using testing::HostTensor;
using testing::kSentinel;
using testing::LoadAndBind;
using testing::LoadKernelModule;
using testing::Rng;

using ir::DType;

interp::Arg F32Arg(double v) {
  interp::Arg a;
  a.f = v;
  return a;
}

// The value an f32 scalar argument has inside the kernel.
double AsF32(double v) {
  return ir::RoundToFloat(DType::kF32, v);
}

//===----------------------------------------------------------------------===//
// Loading and checking
//===----------------------------------------------------------------------===//

void ExpectClose(DType dtype, const std::vector<double>& got, const ref::RefOutput& want) {
  ASSERT_EQ(got.size(), want.value.size());
  int64_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = ref::Tolerance(dtype, want.value[i], want.scale[i]);
    if (!(std::fabs(got[i] - want.value[i]) <= tol)) {  // also catches NaN
      if (++bad <= 5) {
        ADD_FAILURE() << "element " << i << ": got " << got[i] << ", want " << want.value[i]
                      << " (tolerance " << tol << ")";
      }
    }
  }
  EXPECT_EQ(bad, 0) << "of " << got.size() << " elements";
}

void RunOrFail(const ir::BoundKernel& bound, const std::vector<interp::Arg>& args) {
  const Status status = interp::Run(bound, args);
  ASSERT_TRUE(status.ok()) << CodeName(status.code()) << ": " << status.message();
}

// One dtype and one config (overrides of the kernel's defaults; "" = the
// defaults).
struct Case {
  DType dtype;
  std::string config;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << ir::DTypeName(c.dtype) << " " << (c.config.empty() ? "default" : c.config);
}

std::vector<Case> Cases(const std::vector<std::string>& configs) {
  std::vector<Case> cases;
  for (DType t : {DType::kF16, DType::kBF16, DType::kF32}) {
    for (const std::string& c : configs) cases.push_back({t, c});
  }
  return cases;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = std::string(ir::DTypeName(info.param.dtype)) + "_";
  if (info.param.config.empty()) return name + "default";
  for (char c : info.param.config) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

//===----------------------------------------------------------------------===//
// vector_add
//===----------------------------------------------------------------------===//

class VectorAddTest : public ::testing::TestWithParam<Case> {};

TEST_P(VectorAddTest, MatchesReference) {
  const Case& c = GetParam();
  auto bound = LoadAndBind("vector_add", c.dtype, c.config);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  Rng rng(101);
  for (int64_t n : {1, 7, 100, 1000, 4097}) {
    SCOPED_TRACE("N=" + std::to_string(n));
    HostTensor x = HostTensor::RowMajor(c.dtype, {n});
    HostTensor y = HostTensor::RowMajor(c.dtype, {n});
    HostTensor out = HostTensor::RowMajor(c.dtype, {n}, /*pad=*/5);
    const auto xv = x.FillUniform(rng, -4, 4);
    const auto yv = y.FillUniform(rng, -4, 4);
    ASSERT_NO_FATAL_FAILURE(RunOrFail(*bound, {x.ToArg(), y.ToArg(), out.ToArg()}));
    ExpectClose(c.dtype, out.Values(), ref::VectorAddRef(xv, yv));
    EXPECT_EQ(out.ClobberedPadding(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, VectorAddTest,
                         ::testing::ValuesIn(Cases({"", "BLOCK=64,WARPS=1"})), CaseName);

//===----------------------------------------------------------------------===//
// silu_mul
//===----------------------------------------------------------------------===//

class SiluMulTest : public ::testing::TestWithParam<Case> {};

TEST_P(SiluMulTest, MatchesReference) {
  const Case& c = GetParam();
  auto bound = LoadAndBind("silu_mul", c.dtype, c.config);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  Rng rng(202);
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {3, 7}, {2, 100}, {5, 1000}, {2, 129}};
  for (auto [m, h] : shapes) {
    SCOPED_TRACE("M=" + std::to_string(m) + " H=" + std::to_string(h));
    HostTensor gate = HostTensor::RowMajor(c.dtype, {m, h});
    HostTensor up = HostTensor::RowMajor(c.dtype, {m, h});
    HostTensor out = HostTensor::RowMajor(c.dtype, {m, h}, /*pad=*/3);
    const auto gv = gate.FillUniform(rng, -6, 6);
    const auto uv = up.FillUniform(rng, -2, 2);
    ASSERT_NO_FATAL_FAILURE(RunOrFail(*bound, {gate.ToArg(), up.ToArg(), out.ToArg()}));
    ExpectClose(c.dtype, out.Values(), ref::SiluMulRef(gv, uv));
    EXPECT_EQ(out.ClobberedPadding(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, SiluMulTest,
                         ::testing::ValuesIn(Cases({"", "BLOCK_H=64,WARPS=2"})), CaseName);

//===----------------------------------------------------------------------===//
// Row kernels: softmax, rms_norm, layer_norm
//===----------------------------------------------------------------------===//

// N = 1 and 7 fit in one masked chunk; with BLOCK_N = 64, N = 100, 129 and
// 1000 take 2, 3 and 16 chunks, the last one partial.
const std::pair<int64_t, int64_t> kRowShapes[] = {{1, 1}, {3, 7}, {2, 100}, {4, 129}, {3, 1000}};
const std::vector<std::string> kRowConfigs = {"", "BLOCK_N=64,WARPS=1"};

class SoftmaxTest : public ::testing::TestWithParam<Case> {};

TEST_P(SoftmaxTest, MatchesReference) {
  const Case& c = GetParam();
  auto bound = LoadAndBind("softmax", c.dtype, c.config);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  Rng rng(303);
  for (auto [m, n] : kRowShapes) {
    SCOPED_TRACE("M=" + std::to_string(m) + " N=" + std::to_string(n));
    HostTensor x = HostTensor::RowMajor(c.dtype, {m, n});
    HostTensor y = HostTensor::RowMajor(c.dtype, {m, n}, /*pad=*/3);
    // Rows shifted by +-100 overflow exp() in f32 (and in f16 inputs' range
    // of exp) unless the kernel subtracts the row max.
    const double shifts[] = {0.0, 100.0, -100.0};
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) x.Set(i * n + j, shifts[i % 3] + rng.Uniform(-4, 4));
    }
    const auto xv = x.Values();
    ASSERT_NO_FATAL_FAILURE(RunOrFail(*bound, {x.ToArg(), y.ToArg()}));
    ExpectClose(c.dtype, y.Values(), ref::SoftmaxRef(xv, m, n));
    EXPECT_EQ(y.ClobberedPadding(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, SoftmaxTest, ::testing::ValuesIn(Cases(kRowConfigs)), CaseName);

class RmsNormTest : public ::testing::TestWithParam<Case> {};

TEST_P(RmsNormTest, MatchesReference) {
  const Case& c = GetParam();
  auto bound = LoadAndBind("rms_norm", c.dtype, c.config);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  Rng rng(404);
  const double eps = 1e-6;
  for (auto [m, n] : kRowShapes) {
    SCOPED_TRACE("M=" + std::to_string(m) + " N=" + std::to_string(n));
    HostTensor x = HostTensor::RowMajor(c.dtype, {m, n});
    HostTensor w = HostTensor::RowMajor(c.dtype, {n});
    HostTensor y = HostTensor::RowMajor(c.dtype, {m, n}, /*pad=*/3);
    const auto xv = x.FillUniform(rng, -2, 2);
    const auto wv = w.FillUniform(rng, 0.5, 1.5);
    ASSERT_NO_FATAL_FAILURE(RunOrFail(*bound, {x.ToArg(), w.ToArg(), y.ToArg(), F32Arg(eps)}));
    ExpectClose(c.dtype, y.Values(), ref::RmsNormRef(xv, wv, m, n, AsF32(eps)));
    EXPECT_EQ(y.ClobberedPadding(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, RmsNormTest, ::testing::ValuesIn(Cases(kRowConfigs)), CaseName);

class LayerNormTest : public ::testing::TestWithParam<Case> {};

TEST_P(LayerNormTest, MatchesReference) {
  const Case& c = GetParam();
  auto bound = LoadAndBind("layer_norm", c.dtype, c.config);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  Rng rng(505);
  const double eps = 1e-5;
  for (auto [m, n] : kRowShapes) {
    SCOPED_TRACE("M=" + std::to_string(m) + " N=" + std::to_string(n));
    HostTensor x = HostTensor::RowMajor(c.dtype, {m, n});
    HostTensor w = HostTensor::RowMajor(c.dtype, {n});
    HostTensor b = HostTensor::RowMajor(c.dtype, {n});
    HostTensor y = HostTensor::RowMajor(c.dtype, {m, n}, /*pad=*/3);
    // A mean well away from 0 makes a kernel that forgets to subtract it,
    // or masks the variance pass wrongly, fail clearly.
    const auto xv = x.FillUniform(rng, 3, 7);
    const auto wv = w.FillUniform(rng, 0.5, 1.5);
    const auto bv = b.FillUniform(rng, -1, 1);
    ASSERT_NO_FATAL_FAILURE(
        RunOrFail(*bound, {x.ToArg(), w.ToArg(), b.ToArg(), y.ToArg(), F32Arg(eps)}));
    ExpectClose(c.dtype, y.Values(), ref::LayerNormRef(xv, wv, bv, m, n, AsF32(eps)));
    EXPECT_EQ(y.ClobberedPadding(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, LayerNormTest, ::testing::ValuesIn(Cases(kRowConfigs)), CaseName);

//===----------------------------------------------------------------------===//
// gemm
//===----------------------------------------------------------------------===//

struct GemmShape {
  int64_t m, n, k;
};
const GemmShape kGemmShapes[] = {{1, 1, 1}, {17, 33, 65}, {64, 64, 64}, {100, 37, 129}};

class GemmTest : public ::testing::TestWithParam<Case> {};

// Runs C = A @ B (+ bias) on fresh inputs. With |b_transposed| B is passed as
// a column-major view (a row-major [N, K] weight with strides [1, K]).
void CheckGemm(const ir::BoundKernel& bound, DType dtype, GemmShape s, bool with_bias,
               bool b_transposed, Rng& rng) {
  SCOPED_TRACE("M=" + std::to_string(s.m) + " N=" + std::to_string(s.n) +
               " K=" + std::to_string(s.k) + (with_bias ? " bias" : " no bias") +
               (b_transposed ? " B^T" : ""));
  HostTensor a = HostTensor::RowMajor(dtype, {s.m, s.k});
  HostTensor b = b_transposed ? HostTensor(dtype, {s.k, s.n}, {1, s.k}, 0)
                              : HostTensor::RowMajor(dtype, {s.k, s.n});
  // No bias: an empty tensor (NB = 0) with no storage at all.
  HostTensor bias = HostTensor::RowMajor(dtype, {with_bias ? s.n : 0});
  HostTensor c = HostTensor::RowMajor(dtype, {s.m, s.n}, /*pad=*/3);
  const auto av = a.FillUniform(rng, -1, 1);
  const auto bv = b.FillUniform(rng, -1, 1);
  const auto biasv = bias.FillUniform(rng, -1, 1);
  ASSERT_NO_FATAL_FAILURE(RunOrFail(bound, {a.ToArg(), b.ToArg(), bias.ToArg(), c.ToArg()}));
  ExpectClose(dtype, c.Values(), ref::GemmRef(av, bv, biasv, s.m, s.n, s.k));
  EXPECT_EQ(c.ClobberedPadding(), 0);
}

TEST_P(GemmTest, MatchesReference) {
  const Case& c = GetParam();
  auto bound = LoadAndBind("gemm", c.dtype, c.config);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  Rng rng(606);
  for (const GemmShape& s : kGemmShapes) {
    for (bool with_bias : {false, true}) {
      CheckGemm(*bound, c.dtype, s, with_bias, /*b_transposed=*/false, rng);
    }
  }
  CheckGemm(*bound, c.dtype, {100, 37, 129}, /*with_bias=*/true, /*b_transposed=*/true, rng);
}

// Default (one 128x128 tile, K in 64-chunks), all-16 blocks (many tiles, K
// loop of up to 9 iterations), and unequal blocks that would expose M and N
// or K roles mixed up.
INSTANTIATE_TEST_SUITE_P(
    Configs, GemmTest,
    ::testing::ValuesIn(Cases({"", "BLOCK_M=16,BLOCK_N=16,BLOCK_K=16,WARPS=1,STAGES=1",
                               "BLOCK_M=64,BLOCK_N=16,BLOCK_K=32,WARPS=2,STAGES=2"})),
    CaseName);

//===----------------------------------------------------------------------===//
// Tuning spaces
//===----------------------------------------------------------------------===//

// Above this many valid (tunables, dtype) combinations a seeded sample of
// kSampledConfigs is bound instead of all of them.
constexpr size_t kMaxExhaustiveConfigs = 256;
constexpr size_t kSampledConfigs = 20;

class TuningSpaceTest : public ::testing::TestWithParam<const char*> {};

ir::Config MakeConfig(const ir::Kernel& kernel, const std::vector<int64_t>& tunables, DType t) {
  ir::Config config;
  for (size_t i = 0; i < tunables.size(); ++i) config.Set(kernel.tunables[i].name, tunables[i]);
  config.Set("T", static_cast<int64_t>(t));
  return config;
}

TEST_P(TuningSpaceTest, EveryValidConfigBinds) {
  const std::string name = GetParam();
  auto module = LoadKernelModule(name);
  ASSERT_TRUE(module.ok()) << module.status().message();
  ASSERT_EQ(module->kernels.size(), 1u) << "one kernel per file";
  const ir::Kernel& kernel = module->kernels[0];
  ASSERT_EQ(kernel.name, name) << "the file is named after its kernel";
  ASSERT_EQ(kernel.dtype_params.size(), 1u);
  EXPECT_EQ(kernel.dtype_params[0].name, "T");
  const std::vector<DType> dtypes = {DType::kF16, DType::kBF16, DType::kF32};
  EXPECT_EQ(kernel.dtype_params[0].candidates, dtypes);

  // Walk the cartesian product of the tunables' candidates, deciding each
  // combination by the kernel's own constraints.
  std::vector<std::vector<int64_t>> valid, rejected;
  std::vector<size_t> pos(kernel.tunables.size(), 0);
  std::vector<int64_t> defaults;
  for (const ir::Tunable& t : kernel.tunables) defaults.push_back(t.default_value);
  bool default_valid = false;
  for (bool done = kernel.tunables.empty(); !done;) {
    std::vector<int64_t> values;
    for (size_t i = 0; i < pos.size(); ++i) values.push_back(kernel.tunables[i].candidates[pos[i]]);
    bool ok = true;
    for (const ir::Expr& e : kernel.constraints) {
      auto v = ir::EvalExpr(e, ir::ExprEnv{values, {}});
      ASSERT_TRUE(v.ok()) << v.status().message();
      ok = ok && *v != 0;
    }
    if (ok && values == defaults) default_valid = true;
    (ok ? valid : rejected).push_back(values);
    done = true;
    for (size_t i = 0; i < pos.size() && done; ++i) {
      if (++pos[i] < kernel.tunables[i].candidates.size()) {
        done = false;
      } else {
        pos[i] = 0;
      }
    }
  }
  EXPECT_TRUE(default_valid) << "the default config violates a constraint";
  ASSERT_FALSE(valid.empty());

  // (tunables index, dtype) pairs to bind.
  std::vector<std::pair<size_t, DType>> picks;
  for (size_t i = 0; i < valid.size(); ++i) {
    for (DType t : dtypes) picks.emplace_back(i, t);
  }
  Rng rng(707);
  if (picks.size() > kMaxExhaustiveConfigs) {
    for (size_t i = 0; i < kSampledConfigs; ++i) {  // partial Fisher-Yates
      std::swap(picks[i], picks[i + rng.Next() % (picks.size() - i)]);
    }
    picks.resize(kSampledConfigs);
  }
  for (const auto& [index, t] : picks) {
    const ir::Config config = MakeConfig(kernel, valid[index], t);
    auto bound = ir::Bind(kernel, config);
    EXPECT_TRUE(bound.ok()) << config.ToString() << ": " << bound.status().message();
  }

  // The constraints are enforced: a sample of rejected combinations fails.
  for (size_t i = 0; i < rejected.size() && i < kSampledConfigs; ++i) {
    const auto& values = rejected[(i * 7919) % rejected.size()];
    const ir::Config config = MakeConfig(kernel, values, DType::kF32);
    EXPECT_FALSE(ir::Bind(kernel, config).ok()) << config.ToString() << " should be rejected";
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, TuningSpaceTest,
                         ::testing::Values("vector_add", "silu_mul", "softmax", "rms_norm",
                                           "layer_norm", "gemm"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           return std::string(p.param);
                         });

}  // namespace
}  // namespace hrt
