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
  std::vector<hrt_config_entry_t> config = {};  // tunables; the rest take defaults
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
    // Tiles whose staging fits the 32 KiB of workgroup memory lavapipe (and
    // 48 KiB other Vulkan drivers) allow; the default 128x128x64 needs 65 KiB.
    c.config = {{"BLOCK_M", 64}, {"BLOCK_N", 64}, {"BLOCK_K", 32}, {"WARPS", 4}};
    cases.push_back(std::move(c));
  }
  return cases;
}

int Fail(const char* what, hrt_status_t s) {
  std::fprintf(stderr, "helionrt demo: %s failed: %s: %s\n", what, hrt_status_string(s),
               hrt_last_error_message());
  return 1;
}

// Device memory for one case's tensors, freed on every path out.
class DeviceTensors {
 public:
  DeviceTensors(hrt_runtime_t* rt, uint32_t device) : rt_(rt), device_(device) {}
  ~DeviceTensors() {
    for (uint64_t a : addresses_) (void)hrt_device_free(rt_, device_, a);
  }
  DeviceTensors(const DeviceTensors&) = delete;
  DeviceTensors& operator=(const DeviceTensors&) = delete;

  // Copies |t| (its whole storage) to the device; appends its launch arg.
  hrt_status_t Upload(HostTensor& t, std::vector<hrt_arg_t>* args) {
    uint64_t address = 0;
    hrt_status_t s = hrt_device_alloc(rt_, device_, t.byte_size(), &address);
    if (s != HRT_OK) return s;
    addresses_.push_back(address);
    s = hrt_device_write(rt_, device_, address, t.bytes(), t.byte_size(), nullptr);
    if (s == HRT_OK) args->push_back(t.ToApiArgAt(address));
    return s;
  }
  // Copies tensor |index| back into |t|.
  hrt_status_t Download(size_t index, HostTensor& t) {
    return hrt_device_read(rt_, device_, t.bytes(), addresses_[index], t.byte_size(), nullptr);
  }

 private:
  hrt_runtime_t* rt_;
  uint32_t device_;
  std::vector<uint64_t> addresses_;
};

// Runs |c| on |device|: upload, launch, wait, download. On failure returns
// the status and leaves |what| naming the step.
hrt_status_t RunCase(hrt_runtime_t* rt, uint32_t device, hrt_kernel_t* kernel, DemoCase& c,
                     std::string* path, const char** what) {
  DeviceTensors memory(rt, device);
  std::vector<hrt_arg_t> args;
  *what = "copying the inputs to the device";
  for (HostTensor& t : c.tensors) {
    if (hrt_status_t s = memory.Upload(t, &args); s != HRT_OK) return s;
  }
  args.insert(args.end(), c.scalars.begin(), c.scalars.end());
  hrt_launch_params_t params;
  hrt_launch_params_init(&params);
  params.device_index = device;
  params.args = args.data();
  params.arg_count = args.size();
  params.config = c.config.data();
  params.config_count = c.config.size();
  *what = "launch";
  if (hrt_status_t s = hrt_kernel_launch(kernel, &params); s != HRT_OK) return s;
  *what = "waiting for the device";
  if (hrt_status_t s = hrt_device_synchronize(rt, device, nullptr); s != HRT_OK) return s;
  *what = "copying the output back";
  if (hrt_status_t s = memory.Download(c.output, c.tensors[c.output]); s != HRT_OK) return s;
  size_t length = 0;
  (void)hrt_kernel_describe_launch(kernel, &params, nullptr, 0, &length);
  std::string text(length + 1, '\0');
  if (hrt_kernel_describe_launch(kernel, &params, text.data(), text.size(), nullptr) == HRT_OK) {
    text.resize(length);
    // Only the part after the device label: the table names the device once.
    const size_t colon = text.find("): ");
    *path = colon == std::string::npos ? text : text.substr(colon + 3);
  }
  return HRT_OK;
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
  // Devices are listed best first (GPUs, then CPU implementations of GPU
  // APIs such as Mesa's lavapipe, then the reference interpreter last): the
  // demo runs on the first one.
  for (uint32_t i = 0; i < count; ++i) {
    hrt_device_properties_t p{};
    p.struct_size = sizeof(p);
    if (hrt_device_get_properties(rt, i, &p) != HRT_OK) continue;
    char fp[512] = {0};
    (void)hrt_device_get_fingerprint(rt, i, fp, sizeof(fp), nullptr);
    std::printf("  [%u] %-13s %s\n      fingerprint: %s\n", i, BackendName(p.backend), p.name, fp);
  }
  if (count == 0) {
    std::fprintf(stderr, "helionrt demo: no device\n");
    hrt_runtime_destroy(rt);
    return 1;
  }
  const uint32_t run_index = 0;
  hrt_device_properties_t best{};
  best.struct_size = sizeof(best);
  (void)hrt_device_get_properties(rt, run_index, &best);
  std::printf("running on device [%u] (%s, %s)", run_index, BackendName(best.backend), best.name);
  if (best.backend == HRT_BACKEND_CPU_REFERENCE) {
    std::printf(
        ":\nno GPU and no Vulkan device was found, so every kernel runs on the CPU reference\n"
        "interpreter of the tile IR (the oracle GPU backends are tested against).\n");
  } else if (best.backend == HRT_BACKEND_VULKAN && std::strncmp(best.name, "llvmpipe", 8) == 0) {
    std::printf(
        ":\nno GPU was found, so the kernels run through the Vulkan backend on Mesa's lavapipe,\n"
        "a CPU implementation of Vulkan (the same SPIR-V a GPU's Vulkan driver would run).\n");
  } else {
    std::printf("\n");
  }

  hrt_module_t* module = nullptr;
  if (hrt_status_t s =
          hrt_module_load(rt, kHrtDefaultKernels, std::strlen(kHrtDefaultKernels), &module);
      s != HRT_OK) {
    hrt_runtime_destroy(rt);
    return Fail("loading the embedded standard kernels", s);
  }

  std::printf("\n%-11s %-5s %-24s %-16s %-7s %s\n", "kernel", "dtype", "shape", "max err (x tol)",
              "result", "path");
  size_t failures = 0;
  std::vector<DemoCase> cases = MakeCases();
  for (DemoCase& c : cases) {
    hrt_kernel_t* kernel = nullptr;
    hrt_status_t s = hrt_module_get_kernel(module, c.kernel, &kernel);
    const char* what = "finding the kernel";
    std::string path = "?";
    if (s == HRT_OK) s = RunCase(rt, run_index, kernel, c, &path, &what);
    if (s != HRT_OK) {
      std::printf("%-11s %-5s %-24s %s failed: %s: %s\n", c.kernel, ir::DTypeName(c.dtype),
                  c.shape.c_str(), what, hrt_status_string(s), hrt_last_error_message());
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
    std::printf("%-11s %-5s %-24s %-16s %-7s %s\n", c.kernel, ir::DTypeName(c.dtype),
                c.shape.c_str(), err, ok ? "ok" : "MISMATCH", path.c_str());
  }
  std::printf("\n%zu of %zu kernels matched the plain C++ loops.\n", cases.size() - failures,
              cases.size());
  hrt_module_destroy(module);
  hrt_runtime_destroy(rt);
  return failures == 0 ? 0 : 1;
}

}  // namespace hrt::cli
