// helionrt demo: loads the standard kernels (embedded in this binary), runs
// each on the best device present through the public C API, checks the
// results against plain C++ loops, and reports the path each kernel took.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "helionrt/helionrt.h"
#include "kernels/testing/host_tensor.h"
#include "kernels/testing/reference_loops.h"
#include "runtime/select/fingerprint.h"
#include "tools/commands.h"

extern const char kHrtDefaultKernels[];

namespace hrt::cli {
namespace {

using ir::DType;
using select::BackendName;
using testing::HostTensor;
using testing::Rng;

// One demo launch: builds its tensors, names the shape, and computes the
// expected output with the plain loops.
struct DemoCase {
  const char* kernel;
  DType dtype;
  std::string shape;
  std::vector<HostTensor> tensors;  // in parameter order
  std::vector<hrt_arg_t> scalars;   // appended after the tensors
  size_t output;                    // index of the output tensor
  ref::RefOutput expected;
};

hrt_arg_t FloatArg(double v) {
  hrt_arg_t a{};
  a.kind = HRT_ARG_KIND_FLOAT;
  a.value.f = v;
  return a;
}

std::vector<DemoCase> MakeCases() {
  Rng rng(20261125);
  std::vector<DemoCase> cases;
  {
    const int64_t n = 100003;  // not a multiple of any block size
    DemoCase c{"vector_add", DType::kF32, "N=" + std::to_string(n), {}, {}, 2, {}};
    c.tensors = {HostTensor::RowMajor(c.dtype, {n}), HostTensor::RowMajor(c.dtype, {n}),
                 HostTensor::RowMajor(c.dtype, {n})};
    const auto x = c.tensors[0].FillUniform(rng, -4, 4);
    const auto y = c.tensors[1].FillUniform(rng, -4, 4);
    c.expected = ref::VectorAddRef(x, y);
    cases.push_back(std::move(c));
  }
  {
    const int64_t m = 48, h = 1376;
    DemoCase c{"silu_mul", DType::kBF16, "M=48 H=1376", {}, {}, 2, {}};
    c.tensors = {HostTensor::RowMajor(c.dtype, {m, h}), HostTensor::RowMajor(c.dtype, {m, h}),
                 HostTensor::RowMajor(c.dtype, {m, h})};
    const auto g = c.tensors[0].FillUniform(rng, -6, 6);
    const auto u = c.tensors[1].FillUniform(rng, -2, 2);
    c.expected = ref::SiluMulRef(g, u);
    cases.push_back(std::move(c));
  }
  {
    const int64_t m = 32, n = 3000;
    DemoCase c{"softmax", DType::kF16, "M=32 N=3000", {}, {}, 1, {}};
    c.tensors = {HostTensor::RowMajor(c.dtype, {m, n}), HostTensor::RowMajor(c.dtype, {m, n})};
    const auto x = c.tensors[0].FillUniform(rng, -8, 8);
    c.expected = ref::SoftmaxRef(x, m, n);
    cases.push_back(std::move(c));
  }
  {
    const int64_t m = 16, n = 4096;
    DemoCase c{"rms_norm", DType::kBF16, "M=16 N=4096", {}, {}, 2, {}};
    c.tensors = {HostTensor::RowMajor(c.dtype, {m, n}), HostTensor::RowMajor(c.dtype, {n}),
                 HostTensor::RowMajor(c.dtype, {m, n})};
    const auto x = c.tensors[0].FillUniform(rng, -3, 3);
    const auto w = c.tensors[1].FillUniform(rng, 0.5, 1.5);
    c.scalars = {FloatArg(1e-6)};
    c.expected = ref::RmsNormRef(x, w, m, n, static_cast<float>(1e-6));
    cases.push_back(std::move(c));
  }
  {
    const int64_t m = 24, n = 1000;
    DemoCase c{"layer_norm", DType::kF32, "M=24 N=1000", {}, {}, 3, {}};
    c.tensors = {HostTensor::RowMajor(c.dtype, {m, n}), HostTensor::RowMajor(c.dtype, {n}),
                 HostTensor::RowMajor(c.dtype, {n}), HostTensor::RowMajor(c.dtype, {m, n})};
    const auto x = c.tensors[0].FillUniform(rng, -3, 5);
    const auto w = c.tensors[1].FillUniform(rng, 0.5, 1.5);
    const auto b = c.tensors[2].FillUniform(rng, -1, 1);
    c.scalars = {FloatArg(1e-5)};
    c.expected = ref::LayerNormRef(x, w, b, m, n, static_cast<float>(1e-5));
    cases.push_back(std::move(c));
  }
  {
    const int64_t m = 100, n = 96, k = 130;
    DemoCase c{"gemm", DType::kF16, "M=100 N=96 K=130 +bias", {}, {}, 3, {}};
    c.tensors = {HostTensor::RowMajor(c.dtype, {m, k}), HostTensor::RowMajor(c.dtype, {k, n}),
                 HostTensor::RowMajor(c.dtype, {n}), HostTensor::RowMajor(c.dtype, {m, n})};
    const auto a = c.tensors[0].FillUniform(rng, -1, 1);
    const auto b = c.tensors[1].FillUniform(rng, -1, 1);
    const auto bias = c.tensors[2].FillUniform(rng, -1, 1);
    c.expected = ref::GemmRef(a, b, bias, m, n, k);
    cases.push_back(std::move(c));
  }
  return cases;
}

// The path a launch takes on a device of this backend. Only the reference
// interpreter exists in this version; GPU backends will report whether the
// kernel came from a bundle variant, the cache, or codegen + JIT.
const char* PathFor(hrt_backend_t b) {
  return b == HRT_BACKEND_CPU_REFERENCE ? "tile-IR reference interpreter" : "?";
}

int Fail(const char* what, hrt_status_t s) {
  std::fprintf(stderr, "helionrt demo: %s failed: %s: %s\n", what, hrt_status_string(s),
               hrt_last_error_message());
  return 1;
}

}  // namespace

int CmdDemo(Args args) {
  if (!args.empty()) {
    std::fprintf(stderr, "usage: helionrt demo\n");
    return 2;
  }
  std::printf("helionrt %s demo\n", hrt_version_string());
  hrt_runtime_t* rt = nullptr;
  if (hrt_status_t s = hrt_runtime_create(nullptr, &rt); s != HRT_OK) {
    return Fail("hrt_runtime_create", s);
  }
  uint32_t count = 0;
  (void)hrt_device_count(rt, &count);
  std::printf("devices:\n");
  // Devices are listed best first, the reference device last. The demo keeps
  // its tensors in host memory, which only the reference device can read, so
  // it runs there until it learns to stage data in GPU memory.
  hrt_device_properties_t best{};
  uint32_t run_index = 0;
  for (uint32_t i = 0; i < count; ++i) {
    hrt_device_properties_t p{};
    p.struct_size = sizeof(p);
    if (hrt_device_get_properties(rt, i, &p) != HRT_OK) continue;
    char fp[512] = {0};
    (void)hrt_device_get_fingerprint(rt, i, fp, sizeof(fp), nullptr);
    std::printf("  [%u] %-13s %s\n      fingerprint: %s\n", i, BackendName(p.backend), p.name, fp);
    if (p.backend == HRT_BACKEND_CPU_REFERENCE) {
      best = p;
      run_index = i;
    }
  }
  if (count == 0) {
    std::fprintf(stderr, "helionrt demo: no device\n");
    hrt_runtime_destroy(rt);
    return 1;
  }
  std::printf("running on device [%u] (%s): ", run_index, BackendName(best.backend));
  if (run_index == 0) {
    std::printf(
        "no GPU was found, so every kernel runs on the CPU reference\n"
        "interpreter of the tile IR (the oracle GPU backends are tested against), not on a "
        "GPU.\n");
  } else {
    std::printf(
        "a GPU is present, but this demo keeps its tensors in host memory and does\n"
        "not yet stage them in GPU memory, so every kernel runs on the CPU reference "
        "interpreter.\n");
  }

  hrt_module_t* module = nullptr;
  if (hrt_status_t s =
          hrt_module_load(rt, kHrtDefaultKernels, std::strlen(kHrtDefaultKernels), &module);
      s != HRT_OK) {
    hrt_runtime_destroy(rt);
    return Fail("loading the embedded standard kernels", s);
  }

  std::printf("\n%-11s %-5s %-24s %-31s %-21s %s\n", "kernel", "dtype", "shape", "path",
              "max err (x tol)", "result");
  size_t failures = 0;
  std::vector<DemoCase> cases = MakeCases();
  for (DemoCase& c : cases) {
    hrt_kernel_t* kernel = nullptr;
    hrt_status_t s = hrt_module_get_kernel(module, c.kernel, &kernel);
    std::vector<hrt_arg_t> launch_args;
    for (HostTensor& t : c.tensors) launch_args.push_back(t.ToApiArg());
    launch_args.insert(launch_args.end(), c.scalars.begin(), c.scalars.end());
    if (s == HRT_OK) {
      hrt_launch_params_t params;
      hrt_launch_params_init(&params);
      params.device_index = run_index;
      params.args = launch_args.data();
      params.arg_count = launch_args.size();
      s = hrt_kernel_launch(kernel, &params);
    }
    if (s != HRT_OK) {
      std::printf("%-11s %-5s %-24s launch failed: %s: %s\n", c.kernel, ir::DTypeName(c.dtype),
                  c.shape.c_str(), hrt_status_string(s), hrt_last_error_message());
      ++failures;
      continue;
    }
    // Worst error as a fraction of the tolerance allowed for that element.
    double worst = 0.0;
    const HostTensor& out = c.tensors[c.output];
    for (int64_t i = 0; i < out.numel(); ++i) {
      const double tol = ref::Tolerance(c.dtype, c.expected.value[i], c.expected.scale[i]);
      const double err = std::fabs(out.Get(i) - c.expected.value[i]);
      const double ratio = err / tol;
      if (!(ratio <= worst)) worst = ratio;  // NaN sticks
    }
    const bool ok = worst <= 1.0;
    failures += ok ? 0 : 1;
    char err[32];
    std::snprintf(err, sizeof(err), "%.3f", worst);
    std::printf("%-11s %-5s %-24s %-31s %-21s %s\n", c.kernel, ir::DTypeName(c.dtype),
                c.shape.c_str(), PathFor(best.backend), err, ok ? "ok" : "MISMATCH");
  }
  std::printf("\n%zu of %zu kernels matched the plain C++ loops.\n", cases.size() - failures,
              cases.size());
  hrt_module_destroy(module);
  hrt_runtime_destroy(rt);
  return failures == 0 ? 0 : 1;
}

}  // namespace hrt::cli
