// Bundles through the public C API on a real CUDA device: a bundle built in
// the test (PTX variants from the emitter; a cubin variant when ptxas is on
// the machine) is loaded with hrt_module_load, selection picks the variant
// for the device and the launch's dtypes, and the kernels run on a stream the
// test created (as an engine would). The log says which code ran; results
// are checked exactly (vector_add in f32 and f16 is exact).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "codegen/ir/bind.h"
#include "helionrt/helionrt.h"
#include "kernels/testing/load_kernel.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/triton_import.h"
#include "runtime/bundle/writer.h"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/select/arch.h"

namespace hrt {
namespace {

using namespace hrt::cuda;  // NOLINT: the driver types (CUcontext, CUDA_SUCCESS...)

std::string PtxasPath() {
  if (const char* env = std::getenv("HRT_PTXAS")) return env;
  for (const char* p : {"/usr/local/cuda/bin/ptxas", "/usr/bin/ptxas"}) {
    if (std::ifstream(p)) return p;
  }
  return "";
}

// Runs ptxas on |ptx| for |arch|; empty on failure (reported by the test).
std::vector<uint8_t> RunPtxas(const std::string& ptxas, const std::string& ptx,
                              const std::string& arch, std::string* log) {
  const std::string dir = ::testing::TempDir();
  const std::string in = dir + "/hrt_bundle_launch.ptx";
  const std::string out = dir + "/hrt_bundle_launch.cubin";
  const std::string err = dir + "/hrt_bundle_launch.log";
  std::ofstream(in) << ptx;
  const std::string cmd =
      ptxas + " -arch=" + arch + " -o " + out + " " + in + " > " + err + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream log_file(err);
  log->assign(std::istreambuf_iterator<char>(log_file), {});
  if (rc != 0) return {};
  std::ifstream file(out, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(file), {});
}

void CollectLog(void* user, hrt_log_level_t /*level*/, const char* message) {
  static_cast<std::vector<std::string>*>(user)->push_back(message);
}

class BundleLaunchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const cuda::Probe& probe = cuda::SharedProbe();
    if (probe.devices.empty()) GTEST_SKIP() << probe.unavailable_reason;
    driver_ = probe.driver.get();
    device_ = probe.devices[0];
    const DriverApi& api = driver_->api();
    ASSERT_EQ(api.DevicePrimaryCtxRetain(&context_, device_.device), CUDA_SUCCESS);
    ASSERT_EQ(api.CtxPushCurrent(context_), CUDA_SUCCESS);
    ASSERT_EQ(api.StreamCreate(&stream_, CU_STREAM_NON_BLOCKING), CUDA_SUCCESS);
  }

  void TearDown() override {
    if (driver_ == nullptr) return;
    const DriverApi& api = driver_->api();
    for (CUdeviceptr p : allocations_) (void)api.MemFree(p);
    if (stream_ != nullptr) (void)api.StreamDestroy(stream_);
    CUcontext popped = nullptr;
    (void)api.CtxPopCurrent(&popped);
    (void)api.DevicePrimaryCtxRelease(device_.device);
  }

  // A bundle holding vector_add with the given variants.
  std::vector<uint8_t> Bundle(std::vector<bundle::VariantEntry> variants) {
    auto module = testing::LoadKernelModule("vector_add");
    EXPECT_TRUE(module.ok()) << module.status().message();
    bundle::Contents contents;
    bundle::KernelEntry entry = bundle::KernelEntryFromIr(module->kernels[0]);
    entry.variants = std::move(variants);
    contents.kernels.push_back(std::move(entry));
    auto bytes = bundle::WriteBundle(contents, {});
    EXPECT_TRUE(bytes.ok()) << bytes.status().message();
    return bytes.ok() ? *bytes : std::vector<uint8_t>{};
  }

  // A PTX variant of vector_add for T = |dtype| with BLOCK=256, WARPS=2.
  bundle::VariantEntry PtxVariant(ir::DType dtype) {
    auto module = testing::LoadKernelModule("vector_add");
    EXPECT_TRUE(module.ok());
    ir::Config config;
    config.Set("BLOCK", 256);
    config.Set("WARPS", 2);
    config.Set("T", static_cast<int64_t>(dtype));
    ptx::EmitOptions options;  // sm_80, PTX ISA 8.0: runs on every sm_80+ device
    auto v = bundle::PtxVariantFromIr(module->kernels[0], config, options);
    EXPECT_TRUE(v.ok()) << v.status().message();
    return v.ok() ? *v : bundle::VariantEntry{};
  }

  // Runs vector_add from |bytes| on n elements of |dtype| (f32 or f16) on
  // the test's stream through the C API; checks the sums; returns the log.
  std::vector<std::string> RunVectorAdd(const std::vector<uint8_t>& bytes, hrt_dtype_t dtype,
                                        void* cuda_context = nullptr) {
    std::vector<std::string> log;
    hrt_runtime_options_t options;
    hrt_runtime_options_init(&options);
    options.log_callback = CollectLog;
    options.log_user_data = &log;
    options.log_min_level = HRT_LOG_LEVEL_INFO;
    options.cuda_context = cuda_context;
    hrt_runtime_t* runtime = nullptr;
    EXPECT_EQ(hrt_runtime_create(&options, &runtime), HRT_OK) << hrt_last_error_message();
    hrt_properties_check(runtime);
    hrt_module_t* module = nullptr;
    EXPECT_EQ(hrt_module_load(runtime, bytes.data(), bytes.size(), &module), HRT_OK)
        << hrt_last_error_message();
    hrt_kernel_t* kernel = nullptr;
    EXPECT_EQ(hrt_module_get_kernel(module, "vector_add", &kernel), HRT_OK);

    const int64_t n = 1000;  // ragged for BLOCK 256
    const size_t elem = dtype == HRT_DTYPE_F32 ? 4 : 2;
    std::vector<uint8_t> x(n * elem), y(n * elem), out(n * elem, 0xff);
    for (int64_t i = 0; i < n; ++i) {
      if (dtype == HRT_DTYPE_F32) {
        reinterpret_cast<float*>(x.data())[i] = static_cast<float>(i);
        reinterpret_cast<float*>(y.data())[i] = static_cast<float>(3 * i) + 0.5f;
      } else {  // f16 bit patterns of small integers: i and 2 (exact sums below 2048)
        reinterpret_cast<uint16_t*>(x.data())[i] = F16(static_cast<int>(i % 1000));
        reinterpret_cast<uint16_t*>(y.data())[i] = F16(2);
      }
    }
    const DriverApi& api = driver_->api();
    const CUdeviceptr dx = Alloc(x.size()), dy = Alloc(y.size()), dout = Alloc(out.size());
    EXPECT_EQ(api.MemcpyHtoD(dx, x.data(), x.size()), CUDA_SUCCESS);
    EXPECT_EQ(api.MemcpyHtoD(dy, y.data(), y.size()), CUDA_SUCCESS);
    hrt_arg_t args[3] = {};
    const CUdeviceptr addresses[3] = {dx, dy, dout};
    for (int i = 0; i < 3; ++i) {
      args[i].kind = HRT_ARG_KIND_TENSOR;
      args[i].value.tensor.address = addresses[i];
      args[i].value.tensor.dtype = dtype;
      args[i].value.tensor.rank = 1;
      args[i].value.tensor.shape[0] = n;
      args[i].value.tensor.strides[0] = 1;
    }
    hrt_launch_params_t params;
    hrt_launch_params_init(&params);
    params.device_index = 0;
    params.stream = stream_;
    params.args = args;
    params.arg_count = 3;
    for (int launch = 0; launch < 3; ++launch) {  // later launches take the fast path
      EXPECT_EQ(hrt_kernel_launch(kernel, &params), HRT_OK) << hrt_last_error_message();
    }
    EXPECT_EQ(api.StreamSynchronize(stream_), CUDA_SUCCESS);
    EXPECT_EQ(api.MemcpyDtoH(out.data(), dout, out.size()), CUDA_SUCCESS);
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; ++i) {
      const bool ok =
          dtype == HRT_DTYPE_F32
              ? reinterpret_cast<float*>(out.data())[i] == static_cast<float>(4 * i) + 0.5f
              : reinterpret_cast<uint16_t*>(out.data())[i] == F16(static_cast<int>(i % 1000) + 2);
      wrong += ok ? 0 : 1;
    }
    EXPECT_EQ(wrong, 0) << "elements differ from x + y";
    EXPECT_EQ(hrt_module_destroy(module), HRT_OK);
    EXPECT_EQ(hrt_runtime_destroy(runtime), HRT_OK);
    return log;
  }

  // The f16 bit pattern of a small non-negative integer (exact below 2048).
  static uint16_t F16(int v) {
    if (v == 0) return 0;
    int e = 0;
    while ((v >> (e + 1)) != 0) ++e;
    const uint32_t mantissa = (static_cast<uint32_t>(v) << (10 - e)) & 0x3ff;
    return static_cast<uint16_t>(((e + 15) << 10) | mantissa);
  }

  // Device 0 of the runtime is the CUDA device the test uses.
  static void hrt_properties_check(hrt_runtime_t* runtime) {
    hrt_device_properties_t props{};
    props.struct_size = sizeof(props);
    ASSERT_EQ(hrt_device_get_properties(runtime, 0, &props), HRT_OK);
    ASSERT_EQ(props.backend, HRT_BACKEND_CUDA);
  }

  CUdeviceptr Alloc(size_t bytes) {
    CUdeviceptr p = 0;
    EXPECT_EQ(driver_->api().MemAlloc(&p, bytes), CUDA_SUCCESS);
    allocations_.push_back(p);
    return p;
  }

  static bool LogHas(const std::vector<std::string>& log, const std::string& text) {
    for (const std::string& line : log) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  const cuda::Driver* driver_ = nullptr;
  cuda::DeviceInfo device_;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  std::vector<CUdeviceptr> allocations_;
};

TEST_F(BundleLaunchTest, PtxVariantRunsForItsDtypeAndCodegenServesTheOthers) {
  const std::vector<uint8_t> bytes = Bundle({PtxVariant(ir::DType::kF32)});
  const std::vector<std::string> f32_log = RunVectorAdd(bytes, HRT_DTYPE_F32);
  EXPECT_TRUE(LogHas(f32_log, "running bundle variant 0 (ptx)"))
      << ::testing::PrintToString(f32_log);
  // No f16 variant: selection rejects the f32 one (config mismatch on T) and
  // the kernel's IR is compiled instead.
  const std::vector<std::string> f16_log = RunVectorAdd(bytes, HRT_DTYPE_F16);
  EXPECT_TRUE(LogHas(f16_log, "generating code")) << ::testing::PrintToString(f16_log);
  EXPECT_TRUE(LogHas(f16_log, "compiled for T = ")) << ::testing::PrintToString(f16_log);
}

TEST_F(BundleLaunchTest, ExactArchCubinBeatsPtx) {
  const std::string ptxas = PtxasPath();
  if (ptxas.empty()) GTEST_SKIP() << "no ptxas (set HRT_PTXAS or install the CUDA toolkit)";
  const bundle::VariantEntry ptx = PtxVariant(ir::DType::kF32);
  const std::string arch = select::SmName(device_.fingerprint.arch);
  std::string ptxas_log;
  const std::vector<uint8_t> cubin = RunPtxas(
      ptxas, std::string(reinterpret_cast<const char*>(ptx.payload.data())), arch, &ptxas_log);
  ASSERT_FALSE(cubin.empty()) << ptxas_log;
  const bundle::VariantEntry cubin_variant =
      bundle::CubinVariantFromPtx(ptx, device_.fingerprint.arch, cubin, 0, 0);
  // The PTX first in file order: the tier, not the order, must decide.
  const std::vector<uint8_t> bytes = Bundle({ptx, cubin_variant});
  const std::vector<std::string> log = RunVectorAdd(bytes, HRT_DTYPE_F32);
  EXPECT_TRUE(LogHas(log, "running bundle variant 1 (cubin)")) << ::testing::PrintToString(log);
}

TEST_F(BundleLaunchTest, RunsInTheEnginesContext) {
  // The test's context stands in for an engine's: the runtime borrows it.
  const std::vector<uint8_t> bytes = Bundle({PtxVariant(ir::DType::kF32)});
  const std::vector<std::string> log = RunVectorAdd(bytes, HRT_DTYPE_F32, context_);
  EXPECT_TRUE(LogHas(log, "running bundle variant 0 (ptx)")) << ::testing::PrintToString(log);
}

// tests/fixtures/triton: the source tree's, else ./tests/fixtures/triton (a
// copy of the repository root, as on the device machine).
std::string TritonFixture(const std::string& name) {
  const std::string built_in = std::string(HRT_SOURCE_DIR) + "/tests/fixtures/triton/" + name;
  if (std::ifstream(built_in + "/signature.json")) return built_in;
  return "tests/fixtures/triton/" + name;
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(file), {});
}

// The kernels Triton compiled on the H100 (tests/fixtures/triton), imported
// into a bundle, launched through the C API with the grid Triton's launcher
// used, on inputs and against outputs PyTorch made (bitwise f32).
TEST_F(BundleLaunchTest, TritonImportedKernelsMatchPyTorch) {
  bundle::Contents contents;
  for (const char* name : {"vector_add", "row_scale"}) {
    auto k = bundle::ImportTritonKernel(TritonFixture(name));
    ASSERT_TRUE(k.ok()) << k.status().message();
    contents.kernels.push_back(std::move(*k));
  }
  auto bytes = bundle::WriteBundle(contents, {});
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  std::vector<std::string> log;
  hrt_runtime_options_t options;
  hrt_runtime_options_init(&options);
  options.log_callback = CollectLog;
  options.log_user_data = &log;
  options.log_min_level = HRT_LOG_LEVEL_INFO;
  hrt_runtime_t* runtime = nullptr;
  ASSERT_EQ(hrt_runtime_create(&options, &runtime), HRT_OK);
  hrt_module_t* module = nullptr;
  ASSERT_EQ(hrt_module_load(runtime, bytes->data(), bytes->size(), &module), HRT_OK)
      << hrt_last_error_message();
  const DriverApi& api = driver_->api();

  auto tensor_arg = [](CUdeviceptr address, int64_t n) {
    hrt_arg_t a{};
    a.kind = HRT_ARG_KIND_TENSOR;
    a.value.tensor.address = address;
    a.value.tensor.dtype = HRT_DTYPE_F32;
    a.value.tensor.rank = 1;
    a.value.tensor.shape[0] = n;
    a.value.tensor.strides[0] = 1;
    return a;
  };
  auto upload = [&](const std::vector<uint8_t>& host) {
    const CUdeviceptr d = Alloc(host.size());
    EXPECT_EQ(api.MemcpyHtoD(d, host.data(), host.size()), CUDA_SUCCESS);
    return d;
  };

  {  // add_kernel(x, y, out, n_elements), grid [cdiv(n, 1024)]
    const std::string dir = TritonFixture("vector_add");
    const std::vector<uint8_t> x = ReadBytes(dir + "/x.bin"), y = ReadBytes(dir + "/y.bin"),
                               want = ReadBytes(dir + "/out.bin");
    const int64_t n = 2500;
    ASSERT_EQ(want.size(), static_cast<size_t>(n) * 4);
    const std::vector<uint8_t> zeros(want.size(), 0);
    const CUdeviceptr dx = upload(x), dy = upload(y), dout = upload(zeros);
    hrt_kernel_t* kernel = nullptr;
    ASSERT_EQ(hrt_module_get_kernel(module, "add_kernel", &kernel), HRT_OK);
    hrt_arg_t args[4] = {tensor_arg(dx, n), tensor_arg(dy, n), tensor_arg(dout, n)};
    args[3].kind = HRT_ARG_KIND_INT;
    args[3].value.i = n;
    hrt_launch_params_t params;
    hrt_launch_params_init(&params);
    params.stream = stream_;
    params.args = args;
    params.arg_count = 4;
    params.grid[0] = static_cast<uint32_t>((n + 1023) / 1024);
    params.grid[1] = params.grid[2] = 1;
    for (int launch = 0; launch < 2; ++launch) {
      ASSERT_EQ(hrt_kernel_launch(kernel, &params), HRT_OK) << hrt_last_error_message();
    }
    ASSERT_EQ(api.StreamSynchronize(stream_), CUDA_SUCCESS);
    std::vector<uint8_t> got(want.size());
    ASSERT_EQ(api.MemcpyDtoH(got.data(), dout, got.size()), CUDA_SUCCESS);
    EXPECT_TRUE(got == want) << "add_kernel output differs from PyTorch's";
    EXPECT_TRUE(LogHas(log, "running bundle variant 0 (cubin)")) << ::testing::PrintToString(log);
  }
  {  // row_scale_kernel(x, out, s, stride, n), grid [rows]
    const std::string dir = TritonFixture("row_scale");
    const std::vector<uint8_t> x = ReadBytes(dir + "/x.bin"), want = ReadBytes(dir + "/out.bin");
    const int64_t rows = 6, stride = 320, n = 300;
    ASSERT_EQ(want.size(), static_cast<size_t>(rows * stride) * 4);
    const std::vector<uint8_t> zeros(want.size(), 0);
    const CUdeviceptr dx = upload(x), dout = upload(zeros);
    hrt_kernel_t* kernel = nullptr;
    ASSERT_EQ(hrt_module_get_kernel(module, "row_scale_kernel", &kernel), HRT_OK);
    hrt_arg_t args[5] = {tensor_arg(dx, rows * stride), tensor_arg(dout, rows * stride)};
    args[2].kind = HRT_ARG_KIND_FLOAT;
    args[2].value.f = -1.25;
    args[3].kind = HRT_ARG_KIND_INT;
    args[3].value.i = stride;
    args[4].kind = HRT_ARG_KIND_INT;
    args[4].value.i = n;
    hrt_launch_params_t params;
    hrt_launch_params_init(&params);
    params.stream = stream_;
    params.args = args;
    params.arg_count = 5;
    params.grid[0] = static_cast<uint32_t>(rows);
    params.grid[1] = params.grid[2] = 1;
    ASSERT_EQ(hrt_kernel_launch(kernel, &params), HRT_OK) << hrt_last_error_message();
    ASSERT_EQ(api.StreamSynchronize(stream_), CUDA_SUCCESS);
    std::vector<uint8_t> got(want.size());
    ASSERT_EQ(api.MemcpyDtoH(got.data(), dout, got.size()), CUDA_SUCCESS);
    EXPECT_TRUE(got == want) << "row_scale_kernel output differs from PyTorch's";
  }
  EXPECT_EQ(hrt_module_destroy(module), HRT_OK);
  EXPECT_EQ(hrt_runtime_destroy(runtime), HRT_OK);
}

}  // namespace
}  // namespace hrt
