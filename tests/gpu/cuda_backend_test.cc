// The CUDA backend: driver loading, discovery and fingerprints, PTX JIT, and
// kernels from kernels/*.tile emitted by the PTX emitter, launched on a
// stream the test creates (as an engine would) and compared with the CPU
// reference interpreter and the plain C++ loops of reference_loops.h.
//
// Tests that need a GPU skip with the reason the driver gave when there is
// none; the driver-loading tests run everywhere.
#include "runtime/cuda/cuda_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/interp/interpreter.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/dtype.h"
#include "codegen/ir/text.h"
#include "kernels/testing/host_tensor.h"
#include "kernels/testing/load_kernel.h"
#include "kernels/testing/reference_loops.h"
#include "runtime/cuda/cuda_device.h"
#include "runtime/cuda/cuda_driver.h"
#include "runtime/cuda/cuda_specialize.h"
#include "runtime/select/fingerprint.h"

namespace hrt::cuda {
namespace {

using ir::DType;
using testing::HostTensor;
using testing::LoadAndBind;
using testing::Rng;

//===----------------------------------------------------------------------===//
// CPU: no GPU needed
//===----------------------------------------------------------------------===//

constexpr const char* kMissingLibrary = "libhrt-test-no-such-cuda.so.1";

TEST(CudaDriverTest, MissingLibraryIsUnavailableWithThePathTried) {
  auto driver = Driver::Open(kMissingLibrary);
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().code(), Code::kUnavailable);
  EXPECT_NE(driver.status().message().find(std::string("tried ") + kMissingLibrary),
            std::string::npos)
      << driver.status().message();

  const Probe probe = ProbeDriver(kMissingLibrary);
  EXPECT_EQ(probe.driver, nullptr);
  EXPECT_TRUE(probe.devices.empty());
  EXPECT_NE(probe.unavailable_reason.find(kMissingLibrary), std::string::npos)
      << probe.unavailable_reason;
}

TEST(CudaDriverTest, EnvironmentOverridesTheLibraryName) {
  const char* old = std::getenv(kDriverLibraryEnv);
  const std::string saved = old != nullptr ? old : "";
  ASSERT_EQ(setenv(kDriverLibraryEnv, kMissingLibrary, 1), 0);
  EXPECT_EQ(Driver::LibraryToTry(""), kMissingLibrary);
  EXPECT_EQ(Driver::LibraryToTry("libexplicit.so"), "libexplicit.so");  // explicit wins
  const Probe probe = ProbeDriver();
  EXPECT_TRUE(probe.devices.empty());
  EXPECT_NE(probe.unavailable_reason.find(kMissingLibrary), std::string::npos)
      << probe.unavailable_reason;
  if (old != nullptr) {
    setenv(kDriverLibraryEnv, saved.c_str(), 1);
  } else {
    unsetenv(kDriverLibraryEnv);
  }
  EXPECT_EQ(Driver::LibraryToTry(""), old != nullptr ? saved : std::string(kDefaultDriverLibrary));
}

TEST(CudaDriverTest, ErrorsMapToStatusesWithTheCallAndCode) {
  DriverApi api;  // no error-string functions: the numeric code remains
  EXPECT_TRUE(CudaStatus(api, CUDA_SUCCESS, "cuFoo").ok());
  const Status oom = CudaStatus(api, CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc");
  EXPECT_EQ(oom.code(), Code::kOutOfMemory);
  EXPECT_NE(oom.message().find("cuMemAlloc"), std::string::npos) << oom.message();
  EXPECT_NE(oom.message().find("code 2"), std::string::npos) << oom.message();
  EXPECT_EQ(CudaStatus(api, CUDA_ERROR_NO_DEVICE, "cuInit").code(), Code::kUnavailable);
  EXPECT_EQ(CudaStatus(api, CUDA_ERROR_INVALID_PTX, "cuLinkAddData").code(), Code::kDeviceError);
}

TEST(CudaDriverTest, ArchVariantFromComputeCapability) {
  EXPECT_EQ(select::SmName(ArchForComputeCapability(8, 0)), "sm_80");
  EXPECT_EQ(select::SmName(ArchForComputeCapability(8, 6)), "sm_86");
  EXPECT_EQ(select::SmName(ArchForComputeCapability(9, 0)), "sm_90a");
  EXPECT_EQ(select::SmName(ArchForComputeCapability(10, 0)), "sm_100a");
  EXPECT_EQ(select::SmName(ArchForComputeCapability(12, 0)), "sm_120a");
}

//===----------------------------------------------------------------------===//
// GPU
//===----------------------------------------------------------------------===//

// Members are public: KernelRun, a helper outside the fixture, uses them.
class CudaGpuTest : public ::testing::Test {
 public:
  void SetUp() override {
    probe_ = ProbeDriver();
    if (probe_.devices.empty()) GTEST_SKIP() << probe_.unavailable_reason;
    auto device = CudaDevice::Create(probe_.driver, probe_.devices[0]);
    ASSERT_TRUE(device.ok()) << device.status().message();
    device_ = std::move(*device);
    const DriverApi& api = driver().api();
    ASSERT_TRUE(Ok(api.CtxPushCurrent(device_->context()), "cuCtxPushCurrent"));
    pushed_ = true;
    ASSERT_TRUE(Ok(api.StreamCreate(&stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate"));
  }

  void TearDown() override {
    if (device_ == nullptr) return;
    for (CUdeviceptr p : allocations_) (void)driver().api().MemFree(p);
    if (stream_ != nullptr) (void)driver().api().StreamDestroy(stream_);
    CUcontext popped = nullptr;
    if (pushed_) (void)driver().api().CtxPopCurrent(&popped);
    device_.reset();
  }

  const Driver& driver() const { return *probe_.driver; }

  ::testing::AssertionResult Ok(CUresult r, const char* what) const {
    const Status s = driver().Check(r, what);
    if (s.ok()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << s.message();
  }

  CUdeviceptr Alloc(size_t bytes) {
    CUdeviceptr p = 0;
    EXPECT_TRUE(Ok(driver().api().MemAlloc(&p, bytes == 0 ? 1 : bytes), "cuMemAlloc"));
    allocations_.push_back(p);
    return p;
  }

  // vector_add's three 1-D f32 arguments: device copies of |x| and |y| and
  // an output of their size, whose address goes to |*out|.
  std::vector<hrt_arg_t> VectorAddArgs(const std::vector<float>& x, const std::vector<float>& y,
                                       CUdeviceptr* out) {
    const size_t bytes = x.size() * sizeof(float);
    const CUdeviceptr dx = Alloc(bytes), dy = Alloc(bytes);
    *out = Alloc(bytes);
    EXPECT_TRUE(Ok(driver().api().MemcpyHtoD(dx, x.data(), bytes), "cuMemcpyHtoD"));
    EXPECT_TRUE(Ok(driver().api().MemcpyHtoD(dy, y.data(), bytes), "cuMemcpyHtoD"));
    std::vector<hrt_arg_t> args(3, hrt_arg_t{});
    const CUdeviceptr addresses[] = {dx, dy, *out};
    for (int i = 0; i < 3; ++i) {
      args[i].value.tensor.address = addresses[i];
      args[i].value.tensor.rank = 1;
      args[i].value.tensor.shape[0] = static_cast<int64_t>(x.size());
      args[i].value.tensor.strides[0] = 1;
    }
    return args;
  }

  Probe probe_;
  std::unique_ptr<CudaDevice> device_;
  CUstream stream_ = nullptr;
  bool pushed_ = false;
  std::vector<CUdeviceptr> allocations_;
};

TEST_F(CudaGpuTest, FingerprintIsSane) {
  const DeviceInfo& info = device_->info();
  const select::Fingerprint& fp = info.fingerprint;
  EXPECT_EQ(fp.backend, HRT_BACKEND_CUDA);
  EXPECT_FALSE(fp.name.empty());
  EXPECT_GE(fp.arch.cc(), 50u);
  EXPECT_EQ(fp.arch.variant == select::ArchVariant::kSpecific, fp.arch.major >= 9);
  EXPECT_GT(fp.sm_count, 0u);
  EXPECT_GE(fp.max_threads_per_block, 512u);
  EXPECT_EQ(fp.smem_per_block, 48u * 1024);
  EXPECT_GE(fp.smem_per_block_optin, fp.smem_per_block);
  EXPECT_GE(fp.regs_per_block, 32u * 1024);
  EXPECT_EQ(fp.warp_size, 32u);
  EXPECT_GE(fp.driver_version, 9000);
  EXPECT_EQ(fp.driver_version, driver().version());
  EXPECT_TRUE(fp.ptx_isa_max.known());
  EXPECT_GT(fp.memory_bytes, uint64_t{1} << 30);
  bool uuid_set = false;
  for (uint8_t b : fp.uuid) uuid_set = uuid_set || b != 0;
  EXPECT_TRUE(uuid_set);
  if (fp.arch.cc() == 90) {  // H100: the values the CUDA guide documents
    EXPECT_EQ(fp.smem_per_block_optin, 227u * 1024);
    EXPECT_EQ(info.desc.arch, "sm_90a");
  }
  // The descriptor's fingerprint string is the canonical form of the struct.
  auto parsed = select::ParseFingerprint(info.desc.fingerprint);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(*parsed, fp) << info.desc.fingerprint;
  EXPECT_EQ(info.desc.compute_units, fp.sm_count);
  EXPECT_EQ(info.desc.memory_bytes, fp.memory_bytes);
  EXPECT_EQ(info.desc.uuid, fp.uuid);
}

TEST_F(CudaGpuTest, SymbolTableResolves) {
  const auto& symbols = driver().symbols();
  ASSERT_GE(symbols.size(), 2u);
  // The error-string functions come first so later failures can be named.
  EXPECT_STREQ(symbols[0].symbol, "cuGetErrorName");
  EXPECT_STREQ(symbols[1].symbol, "cuGetErrorString");
  for (const DriverSymbol& s : symbols) {
    if (s.required) {
      EXPECT_TRUE(s.resolved) << s.symbol;
    }
  }
  // With a real driver the error text comes from the driver.
  const Status s = driver().Check(CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc");
  EXPECT_NE(s.message().find("CUDA_ERROR_OUT_OF_MEMORY"), std::string::npos) << s.message();
}

TEST_F(CudaGpuTest, BadPtxReturnsTheDriversLog) {
  ir::BoundKernel unused;
  const std::string bad_ptx =
      ".version 8.0\n.target sm_80\n.address_size 64\n"
      ".visible .entry bad_kernel()\n{\n  hrt_not_an_instruction %r1;\n  ret;\n}\n";
  auto compiled = device_->LoadPtx(unused, bad_ptx, KernelImage{"bad_kernel", 32, 0});
  ASSERT_FALSE(compiled.ok());
  const std::string& m = compiled.status().message();
  const size_t log = m.find("JIT error log:\n");
  ASSERT_NE(log, std::string::npos) << m;
  EXPECT_GT(m.size(), log + 16) << "empty log: " << m;
  EXPECT_NE(m.find("CUDA_ERROR"), std::string::npos) << m;
}

//===----------------------------------------------------------------------===//
// Kernels: emit, JIT, launch, compare
//===----------------------------------------------------------------------===//

// A host tensor with a device copy of all of its storage (padding included,
// so the sentinel check covers what the GPU kernel wrote).
struct Tensor {
  HostTensor host;
  int64_t pad = 0;
  CUdeviceptr device = 0;

  size_t StorageBytes() {
    const interp::Arg a = host.ToArg();
    if (a.data == nullptr) return 0;
    int64_t extent = 1 + pad;
    for (uint32_t d = 0; d < a.rank; ++d) extent += (a.shape[d] - 1) * a.strides[d];
    return static_cast<size_t>(extent) * ir::DTypeSize(dtype);
  }
  DType dtype;
};

class KernelRun {
 public:
  explicit KernelRun(CudaGpuTest* t) : t_(t) {}

  Tensor& Add(DType dtype, std::vector<int64_t> shape, int64_t pad = 0) {
    tensors_.push_back(std::make_unique<Tensor>(
        Tensor{HostTensor::RowMajor(dtype, std::move(shape), pad), pad, 0, dtype}));
    return *tensors_.back();
  }

  // A view with explicit (non-negative) strides over its own storage.
  Tensor& AddView(DType dtype, std::vector<int64_t> shape, std::vector<int64_t> strides) {
    tensors_.push_back(std::make_unique<Tensor>(
        Tensor{HostTensor(dtype, std::move(shape), std::move(strides), 0), 0, 0, dtype}));
    return *tensors_.back();
  }

  // Runs through the device's launch path (LaunchBound) instead of the
  // given compiled code: the code specialized to the arguments' facts
  // (cuda_specialize.h), compiled on first use.
  void Specialize() { specialize_ = true; }
  // The facts of the last Run's arguments, and how its code was made.
  const ptx::Assumptions& facts() const { return facts_; }
  const std::string& described() const { return described_; }

  // Runs |bound| on the GPU (on the test's stream) and on the interpreter
  // with the same inputs; |scalars| are appended after the tensors.
  void Run(const CompiledKernel& compiled, const ir::BoundKernel& bound,
           const std::vector<double>& scalars) {
    const DriverApi& api = t_->driver().api();
    std::vector<hrt_arg_t> args;
    std::vector<interp::Arg> interp_args;
    interp_expected_.clear();
    for (auto& tensor : tensors_) {
      const size_t bytes = tensor->StorageBytes();
      interp::Arg a = tensor->host.ToArg();
      if (bytes > 0) {
        tensor->device = t_->Alloc(bytes);
        ASSERT_TRUE(t_->Ok(api.MemcpyHtoDAsync(tensor->device, a.data, bytes, t_->stream_),
                           "cuMemcpyHtoDAsync"));
      }
      args.push_back(tensor->host.ToApiArgAt(bytes > 0 ? tensor->device : 0));
      // The interpreter works on its own copy of the storage.
      interp_storage_.emplace_back(static_cast<const uint8_t*>(a.data),
                                   static_cast<const uint8_t*>(a.data) + bytes);
      a.data = bytes > 0 ? interp_storage_.back().data() : nullptr;
      interp_args.push_back(a);
    }
    for (double s : scalars) {
      hrt_arg_t k{};
      k.kind = HRT_ARG_KIND_FLOAT;
      k.value.f = s;
      args.push_back(k);
      interp::Arg a;
      a.f = s;
      interp_args.push_back(a);
    }
    facts_ = ArgumentFacts(bound, args);
    const uint64_t code_id = 1;
    const Status launched =
        specialize_ ? t_->device_->LaunchBound(bound, args, t_->stream_, code_id, nullptr)
                    : t_->device_->Launch(compiled, args, t_->stream_);
    ASSERT_TRUE(launched.ok()) << launched.message();
    if (specialize_) described_ = t_->device_->DescribeCode(code_id, bound, nullptr, args);
    for (auto& tensor : tensors_) {
      const size_t bytes = tensor->StorageBytes();
      if (bytes == 0) continue;
      ASSERT_TRUE(
          t_->Ok(api.MemcpyDtoHAsync(tensor->host.ToArg().data, tensor->device, bytes, t_->stream_),
                 "cuMemcpyDtoHAsync"));
    }
    ASSERT_TRUE(t_->Ok(api.StreamSynchronize(t_->stream_), "cuStreamSynchronize"));
    const Status ran = interp::Run(bound, interp_args);
    ASSERT_TRUE(ran.ok()) << ran.message();
    for (size_t i = 0; i < interp_args.size() && i < tensors_.size(); ++i) {
      interp_expected_.push_back(ViewValues(*tensors_[i], interp_storage_[i]));
    }
  }

  // The interpreter's values of tensor |i| in row-major order of its view.
  const std::vector<double>& InterpValues(size_t i) const { return interp_expected_[i]; }

 private:
  static std::vector<double> ViewValues(Tensor& t, const std::vector<uint8_t>& storage) {
    const interp::Arg a = t.host.ToArg();
    const size_t elem = ir::DTypeSize(t.dtype);
    std::vector<double> out(static_cast<size_t>(t.host.numel()));
    for (int64_t i = 0; i < t.host.numel(); ++i) {
      int64_t off = 0, rem = i;
      for (uint32_t d = a.rank; d-- > 0;) {
        off += (rem % a.shape[d]) * a.strides[d];
        rem /= a.shape[d];
      }
      out[static_cast<size_t>(i)] = testing::ReadElem(t.dtype, &storage[off * elem]);
    }
    return out;
  }

  CudaGpuTest* t_;
  bool specialize_ = false;
  ptx::Assumptions facts_;
  std::string described_;
  std::vector<std::unique_ptr<Tensor>> tensors_;
  std::vector<std::vector<uint8_t>> interp_storage_;
  std::vector<std::vector<double>> interp_expected_;
};

// GPU output against the exact reference (the kernels' tolerance) and against
// the interpreter (each within that tolerance of the reference).
void ExpectClose(DType dtype, const std::vector<double>& gpu, const std::vector<double>& interp,
                 const ref::RefOutput& want) {
  ASSERT_EQ(gpu.size(), want.value.size());
  ASSERT_EQ(interp.size(), want.value.size());
  int64_t bad = 0;
  for (size_t i = 0; i < gpu.size(); ++i) {
    const double tol = ref::Tolerance(dtype, want.value[i], want.scale[i]);
    const bool ok = std::fabs(gpu[i] - want.value[i]) <= tol &&
                    std::fabs(gpu[i] - interp[i]) <= 2 * tol;  // false for NaN
    if (!ok && ++bad <= 5) {
      ADD_FAILURE() << "element " << i << ": gpu " << gpu[i] << ", interpreter " << interp[i]
                    << ", exact " << want.value[i] << " (tolerance " << tol << ")";
    }
  }
  EXPECT_EQ(bad, 0) << "of " << gpu.size() << " elements";
}

struct Case {
  DType dtype;
  std::string config;
};

std::vector<Case> Cases(const std::vector<std::string>& configs) {
  std::vector<Case> out;
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16}) {
    for (const std::string& c : configs) out.push_back({t, c});
  }
  return out;
}

std::string Label(const Case& c) {
  return std::string(ir::DTypeName(c.dtype)) + " " + (c.config.empty() ? "default" : c.config);
}

#define COMPILE_OR_FAIL(bound_var, compiled_var, name, c)            \
  auto bound_var = LoadAndBind(name, (c).dtype, (c).config);         \
  ASSERT_TRUE(bound_var.ok()) << bound_var.status().message();       \
  auto compiled_var = device_->Compile(*bound_var);                  \
  ASSERT_TRUE(compiled_var.ok()) << compiled_var.status().message(); \
  EXPECT_FALSE((*compiled_var)->cubin.empty());                      \
  EXPECT_FALSE((*compiled_var)->ptx.empty())

TEST_F(CudaGpuTest, VectorAddMatchesInterpreter) {
  for (const Case& c : Cases({"", "BLOCK=64,WARPS=1"})) {
    SCOPED_TRACE(Label(c));
    COMPILE_OR_FAIL(bound, compiled, "vector_add", c);
    Rng rng(11);
    for (int64_t n : {1, 1000, 4097}) {
      SCOPED_TRACE("N=" + std::to_string(n));
      KernelRun run(this);
      Tensor& x = run.Add(c.dtype, {n});
      Tensor& y = run.Add(c.dtype, {n});
      Tensor& out = run.Add(c.dtype, {n}, /*pad=*/5);
      const auto xv = x.host.FillUniform(rng, -4, 4);
      const auto yv = y.host.FillUniform(rng, -4, 4);
      ASSERT_NO_FATAL_FAILURE(run.Run(**compiled, *bound, {}));
      ExpectClose(c.dtype, out.host.Values(), run.InterpValues(2), ref::VectorAddRef(xv, yv));
      EXPECT_EQ(out.host.ClobberedPadding(), 0);
    }
  }
}

// Ragged rows (no size a multiple of 16: generic code), then rows whose
// size is a multiple of 16, which run code specialized to that and to the
// tensors' alignment: one chunk, several, and a last chunk cut short.
const std::pair<int64_t, int64_t> kRowShapes[] = {{1, 1},  {3, 7},    {4, 129},  {3, 1000},
                                                  {2, 64}, {3, 1024}, {2, 4096}, {5, 1040}};

// Sentinel elements after each output row: 8 keeps the rows of a size that
// is a multiple of 16 aligned to 16 bytes (so the output is specialized
// too), 3 does not.
int64_t RowPad(int64_t n) {
  return n % 16 == 0 ? 8 : 3;
}

// The launch of a row shape ran the code its facts call for: specialized to
// every tensor's alignment and N's divisibility when N is a multiple of 16.
void ExpectSpecializedWhenAligned(const KernelRun& run, int64_t n, size_t tensors) {
  if (n % 16 != 0) {
    EXPECT_EQ(run.facts().div16_syms & 2u, 0u);
    return;
  }
  EXPECT_EQ(run.facts().aligned_params, (uint64_t{1} << tensors) - 1);
  EXPECT_NE(run.described().find("(specialized: aligned / multiple of 16: "), std::string::npos)
      << run.described();
}

TEST_F(CudaGpuTest, RmsNormMatchesInterpreter) {
  // PRELOAD=2: rows of up to 1024 run one trip, so the last walk's loads
  // are issued before the reduction (preload.cc).
  for (const Case& c : Cases({"", "BLOCK_N=64,WARPS=1", "PRELOAD=2"})) {
    SCOPED_TRACE(Label(c));
    COMPILE_OR_FAIL(bound, compiled, "rms_norm", c);
    Rng rng(22);
    const double eps = 1e-6;
    for (auto [m, n] : kRowShapes) {
      SCOPED_TRACE("M=" + std::to_string(m) + " N=" + std::to_string(n));
      KernelRun run(this);
      run.Specialize();
      Tensor& x = run.Add(c.dtype, {m, n});
      Tensor& w = run.Add(c.dtype, {n});
      Tensor& y = run.Add(c.dtype, {m, n}, /*pad=*/RowPad(n));
      const auto xv = x.host.FillUniform(rng, -2, 2);
      const auto wv = w.host.FillUniform(rng, 0.5, 1.5);
      ASSERT_NO_FATAL_FAILURE(run.Run(**compiled, *bound, {eps}));
      ExpectClose(c.dtype, y.host.Values(), run.InterpValues(2),
                  ref::RmsNormRef(xv, wv, m, n, ir::RoundToFloat(DType::kF32, eps)));
      ExpectSpecializedWhenAligned(run, n, 3);
      EXPECT_EQ(y.host.ClobberedPadding(), 0);
    }
  }
}

TEST_F(CudaGpuTest, SoftmaxMatchesInterpreter) {
  for (const Case& c : Cases({"", "BLOCK_N=64,WARPS=1"})) {
    SCOPED_TRACE(Label(c));
    COMPILE_OR_FAIL(bound, compiled, "softmax", c);
    Rng rng(33);
    for (auto [m, n] : kRowShapes) {
      SCOPED_TRACE("M=" + std::to_string(m) + " N=" + std::to_string(n));
      KernelRun run(this);
      run.Specialize();
      Tensor& x = run.Add(c.dtype, {m, n});
      Tensor& y = run.Add(c.dtype, {m, n}, /*pad=*/RowPad(n));
      const double shifts[] = {0.0, 50.0, -50.0};  // needs the row max subtracted
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) x.host.Set(i * n + j, shifts[i % 3] + rng.Uniform(-4, 4));
      }
      const auto xv = x.host.Values();
      ASSERT_NO_FATAL_FAILURE(run.Run(**compiled, *bound, {}));
      ExpectClose(c.dtype, y.host.Values(), run.InterpValues(1), ref::SoftmaxRef(xv, m, n));
      ExpectSpecializedWhenAligned(run, n, 2);
      EXPECT_EQ(y.host.ClobberedPadding(), 0);
    }
  }
}

TEST_F(CudaGpuTest, LayerNormMatchesInterpreter) {
  // PRELOAD=2: rows of up to 1024 run one trip, so the last walk's loads
  // are issued before the reduction (preload.cc). MIN_BLOCKS=4 caps a
  // thread's 32 elements at 64 registers.
  for (const Case& c :
       Cases({"", "BLOCK_N=64,WARPS=1", "PRELOAD=2", "BLOCK_N=8192,WARPS=8,MIN_BLOCKS=4"})) {
    SCOPED_TRACE(Label(c));
    COMPILE_OR_FAIL(bound, compiled, "layer_norm", c);
    Rng rng(44);
    const double eps = 1e-5;
    for (auto [m, n] : kRowShapes) {
      SCOPED_TRACE("M=" + std::to_string(m) + " N=" + std::to_string(n));
      KernelRun run(this);
      run.Specialize();
      Tensor& x = run.Add(c.dtype, {m, n});
      Tensor& w = run.Add(c.dtype, {n});
      Tensor& b = run.Add(c.dtype, {n});
      Tensor& y = run.Add(c.dtype, {m, n}, /*pad=*/RowPad(n));
      // An offset much larger than the spread: the two-pass variance must hold.
      const auto xv = x.host.FillUniform(rng, 8, 12);
      const auto wv = w.host.FillUniform(rng, 0.5, 1.5);
      const auto bv = b.host.FillUniform(rng, -1, 1);
      ASSERT_NO_FATAL_FAILURE(run.Run(**compiled, *bound, {eps}));
      ExpectClose(c.dtype, y.host.Values(), run.InterpValues(3),
                  ref::LayerNormRef(xv, wv, bv, m, n, ir::RoundToFloat(DType::kF32, eps)));
      ExpectSpecializedWhenAligned(run, n, 4);
      EXPECT_EQ(y.host.ClobberedPadding(), 0);
    }
  }
}

// Facts are per tensor: a view whose rows are not 16-byte aligned takes the
// generic path for its own accesses while the others stay specialized, and
// padded rows that keep the alignment stay specialized.
TEST_F(CudaGpuTest, SpecializedCodeFollowsEachTensorsAlignment) {
  const int64_t m = 3, n = 1024;
  for (DType t : {DType::kF32, DType::kBF16}) {
    for (const int64_t row_stride : {n + 8, n + 1}) {
      SCOPED_TRACE(std::string(ir::DTypeName(t)) + " row stride " + std::to_string(row_stride));
      const bool x_aligned = (row_stride * static_cast<int64_t>(ir::DTypeSize(t))) % 16 == 0;
      {
        auto bound = LoadAndBind("rms_norm", t, "");
        ASSERT_TRUE(bound.ok()) << bound.status().message();
        Rng rng(66);
        KernelRun run(this);
        run.Specialize();
        Tensor& x = run.AddView(t, {m, n}, {row_stride, 1});
        Tensor& w = run.Add(t, {n});
        Tensor& y = run.Add(t, {m, n}, /*pad=*/8);  // rows stay aligned
        const auto xv = x.host.FillUniform(rng, -2, 2);
        const auto wv = w.host.FillUniform(rng, 0.5, 1.5);
        ASSERT_NO_FATAL_FAILURE(run.Run(**device_->Compile(*bound), *bound, {1e-6}));
        ExpectClose(t, y.host.Values(), run.InterpValues(2),
                    ref::RmsNormRef(xv, wv, m, n, ir::RoundToFloat(DType::kF32, 1e-6)));
        EXPECT_EQ(run.facts().aligned_params, x_aligned ? 0b111u : 0b110u);
        EXPECT_NE(run.described().find("(specialized: "), std::string::npos) << run.described();
      }
      {
        auto bound = LoadAndBind("softmax", t, "");
        ASSERT_TRUE(bound.ok()) << bound.status().message();
        Rng rng(77);
        KernelRun run(this);
        run.Specialize();
        Tensor& x = run.AddView(t, {m, n}, {row_stride, 1});
        Tensor& y = run.AddView(t, {m, n}, {row_stride, 1});
        const auto xv = x.host.FillUniform(rng, -4, 4);
        ASSERT_NO_FATAL_FAILURE(run.Run(**device_->Compile(*bound), *bound, {}));
        ExpectClose(t, y.host.Values(), run.InterpValues(1), ref::SoftmaxRef(xv, m, n));
        EXPECT_EQ(run.facts().aligned_params, x_aligned ? 0b11u : 0b00u);
      }
    }
  }
}

TEST_F(CudaGpuTest, SiluMulMatchesInterpreter) {
  for (const Case& c : Cases({"", "BLOCK_H=64,WARPS=1"})) {
    SCOPED_TRACE(Label(c));
    COMPILE_OR_FAIL(bound, compiled, "silu_mul", c);
    Rng rng(55);
    for (auto [m, n] : kRowShapes) {
      SCOPED_TRACE("M=" + std::to_string(m) + " H=" + std::to_string(n));
      KernelRun run(this);
      run.Specialize();
      Tensor& gate = run.Add(c.dtype, {m, n});
      Tensor& up = run.Add(c.dtype, {m, n});
      Tensor& out = run.Add(c.dtype, {m, n}, /*pad=*/RowPad(n));
      const auto gv = gate.host.FillUniform(rng, -6, 6);
      const auto uv = up.host.FillUniform(rng, -2, 2);
      ASSERT_NO_FATAL_FAILURE(run.Run(**compiled, *bound, {}));
      ExpectClose(c.dtype, out.host.Values(), run.InterpValues(2), ref::SiluMulRef(gv, uv));
      ExpectSpecializedWhenAligned(run, n, 3);
      EXPECT_EQ(out.host.ClobberedPadding(), 0);
    }
  }
}

struct GemmShape {
  int64_t m, n, k;
  // B as the transposed view of a row-major [N, K] weight: strides [1, K].
  bool b_strided = false;
};

// One C = A @ B (+ bias of N, or none) of |s| on the GPU, against the
// interpreter and the reference loops.
void CheckGemm(CudaGpuTest* t, const Case& c, const CompiledKernel& compiled,
               const ir::BoundKernel& bound, Rng& rng, GemmShape s, bool with_bias) {
  SCOPED_TRACE("M=" + std::to_string(s.m) + " N=" + std::to_string(s.n) +
               " K=" + std::to_string(s.k) + (with_bias ? " bias" : "") +
               (s.b_strided ? " B strided" : ""));
  KernelRun run(t);
  Tensor& a = run.Add(c.dtype, {s.m, s.k});
  Tensor& b =
      s.b_strided ? run.AddView(c.dtype, {s.k, s.n}, {1, s.k}) : run.Add(c.dtype, {s.k, s.n});
  Tensor& bias = run.Add(c.dtype, {with_bias ? s.n : 0});
  Tensor& out = run.Add(c.dtype, {s.m, s.n}, /*pad=*/3);
  const auto av = a.host.FillUniform(rng, -1, 1);
  const auto bv = b.host.FillUniform(rng, -1, 1);
  const auto biasv = bias.host.FillUniform(rng, -1, 1);
  ASSERT_NO_FATAL_FAILURE(run.Run(compiled, bound, {}));
  ExpectClose(c.dtype, out.host.Values(), run.InterpValues(3),
              ref::GemmRef(av, bv, biasv, s.m, s.n, s.k));
  EXPECT_EQ(out.host.ClobberedPadding(), 0);
}

TEST_F(CudaGpuTest, GemmMatchesInterpreter) {
  // The default config needs more than 48 KiB of shared memory with f32 on
  // most emitters' layouts, which exercises the opt-in.
  // The last two are decode configs: deep K steps over a narrow column of
  // B, the last with one m16n8 tile per warp.
  for (const Case& c : Cases({"", "BLOCK_M=16,BLOCK_N=16,BLOCK_K=16,WARPS=1,STAGES=1",
                              "BLOCK_M=64,BLOCK_N=16,BLOCK_K=32,WARPS=2,STAGES=2",
                              "BLOCK_M=16,BLOCK_N=64,BLOCK_K=128,WARPS=4,STAGES=4,WARP_ROLES=1",
                              "BLOCK_M=16,BLOCK_N=32,BLOCK_K=128,WARPS=4,STAGES=3,WARP_ROLES=1"})) {
    SCOPED_TRACE(Label(c));
    COMPILE_OR_FAIL(bound, compiled, "gemm", c);
    Rng rng(44);
    for (GemmShape s : {GemmShape{17, 33, 65}, GemmShape{100, 37, 129}, GemmShape{1, 130, 520}}) {
      for (bool with_bias : {false, true}) {
        ASSERT_NO_FATAL_FAILURE(CheckGemm(this, c, **compiled, *bound, rng, s, with_bias));
      }
    }
  }
}

// Shapes with interior tiles (the copies' fast path) as well as edges, for
// the configs that take wgmma on sm_90a (mma.sync elsewhere; f32 on FMA):
// one group in flight with one and two iterations of copies ahead, none in
// flight, m64n256, one warpgroup.
TEST_F(CudaGpuTest, GemmLargerTilesMatchInterpreter) {
  for (const Case& c : Cases({"", "STAGES=2", "STAGES=4", "BLOCK_N=256,STAGES=2",
                              "BLOCK_M=64,BLOCK_N=64,WARPS=4", "BLOCK_M=64,WARPS=4,STAGES=4"})) {
    SCOPED_TRACE(Label(c));
    COMPILE_OR_FAIL(bound, compiled, "gemm", c);
    Rng rng(45);
    for (GemmShape s : {GemmShape{256, 256, 256}, GemmShape{300, 200, 200}}) {
      ASSERT_NO_FATAL_FAILURE(CheckGemm(this, c, **compiled, *bound, rng, s, /*with_bias=*/true));
    }
  }
}

// The warp-specialized K loop (WARP_ROLES=2, kernels/gemm.tile's default):
// on sm_90a f16/bf16 take it (f32 and other targets ignore the tunable).
// K long enough for several rounds of the ring (the mbarriers' phases
// flip), all-interior tiles, ragged edges on every dim (the producer's
// element path), a strided B (no 16-byte runs: every element
// synchronous), and one consumer warpgroup as well as two (setmaxnreg).
TEST_F(CudaGpuTest, GemmWarpSpecializedMatchesInterpreter) {
  const bool sm90a = device_->info().desc.arch == "sm_90a";
  for (const Case& c :
       Cases({"", "STAGES=2", "STAGES=4", "BLOCK_N=256,STAGES=2", "BLOCK_N=256,STAGES=4",
              "BLOCK_M=64,BLOCK_N=64,WARPS=4", "BLOCK_M=64,BLOCK_N=256,WARPS=4,STAGES=4"})) {
    SCOPED_TRACE(Label(c));
    COMPILE_OR_FAIL(bound, compiled, "gemm", c);
    if (sm90a && c.dtype != DType::kF32) {
      EXPECT_NE((*compiled)->ptx.find("mbarrier.try_wait"), std::string::npos);
    }
    Rng rng(46);
    for (GemmShape s :
         {GemmShape{256, 256, 1024}, GemmShape{300, 200, 1000}, GemmShape{129, 257, 70},
          GemmShape{256, 320, 704, true}, GemmShape{64, 64, 0}}) {
      ASSERT_NO_FATAL_FAILURE(CheckGemm(this, c, **compiled, *bound, rng, s, /*with_bias=*/true));
    }
  }
}

// The runtime's path: the registered factory's device, launched through its
// vtable twice (the second launch reuses the compiled kernel), on the
// test's stream.
TEST_F(CudaGpuTest, RuntimeDeviceLaunchesThroughTheVtable) {
  std::vector<runtime::DeviceDesc> descs;
  ASSERT_TRUE(kCudaBackendFactory.enumerate(&descs).ok());
  ASSERT_FALSE(descs.empty()) << UnavailableReason();
  EXPECT_EQ(descs[0].backend, HRT_BACKEND_CUDA);
  auto created = kCudaBackendFactory.create(descs[0], runtime::DeviceCreateOptions{});
  ASSERT_TRUE(created.ok()) << created.status().message();
  runtime::Device* device = *created;

  auto bound = LoadAndBind("vector_add", DType::kF32, "BLOCK=64,WARPS=2");
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  const int64_t n = 300;
  const DriverApi& api = driver().api();
  std::vector<float> x(n), y(n), out(n, -1.0f);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i);
    y[i] = static_cast<float>(2 * i + 1);
  }
  const size_t bytes = n * sizeof(float);
  CUdeviceptr dout = 0;
  const std::vector<hrt_arg_t> args = VectorAddArgs(x, y, &dout);
  for (int launch = 0; launch < 2; ++launch) {
    const Status s = device->vtable->launch(device, *bound, args, stream_, /*code_id=*/1,
                                            /*code=*/nullptr, /*grid=*/nullptr);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  ASSERT_TRUE(Ok(api.StreamSynchronize(stream_), "cuStreamSynchronize"));
  ASSERT_TRUE(Ok(api.MemcpyDtoH(out.data(), dout, bytes), "cuMemcpyDtoH"));
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[i], x[i] + y[i]) << i;
  device->vtable->destroy(device);
}

// The persistent cache: a second device (as in the next process) loads the
// cubin the first one's JIT made; a damaged entry is a miss, JIT-compiled
// again and rewritten.
TEST_F(CudaGpuTest, JitCubinsPersistAcrossDevices) {
  const std::string dir =
      ::testing::TempDir() + "/hrt_jit_cache_" + std::to_string(static_cast<long>(getpid()));
  std::filesystem::remove_all(dir);
  DeviceOptions options;
  options.cache_enabled = true;
  options.cache_dir = dir;
  auto bound = LoadAndBind("vector_add", DType::kF32, "BLOCK=128,WARPS=2");
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  auto compile_on_fresh_device = [&]() -> std::unique_ptr<CompiledKernel> {
    auto device = CudaDevice::Create(probe_.driver, probe_.devices[0], options);
    EXPECT_TRUE(device.ok()) << device.status().message();
    if (!device.ok()) return nullptr;
    auto compiled = (*device)->Compile(*bound);
    EXPECT_TRUE(compiled.ok()) << compiled.status().message();
    EXPECT_EQ((*device)->cache_status(), "");
    return compiled.ok() ? std::move(*compiled) : nullptr;
  };
  auto first = compile_on_fresh_device();
  ASSERT_NE(first, nullptr);
  EXPECT_FALSE(first->from_cache);
  auto second = compile_on_fresh_device();
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(second->cubin, first->cubin);

  // The cached cubin runs (on the fixture's device: same context).
  const int64_t n = 1000;
  KernelRun run(this);
  Tensor& x = run.Add(DType::kF32, {n});
  Tensor& y = run.Add(DType::kF32, {n});
  Tensor& out = run.Add(DType::kF32, {n});
  Rng rng(66);
  const auto xv = x.host.FillUniform(rng, -1, 1);
  const auto yv = y.host.FillUniform(rng, -1, 1);
  ASSERT_NO_FATAL_FAILURE(run.Run(*second, *bound, {}));
  ExpectClose(DType::kF32, out.host.Values(), run.InterpValues(2), ref::VectorAddRef(xv, yv));

  // Damage every stored file: the next device misses, JITs and rewrites.
  // The last byte (payload, under the entry's checksum), inverted: the middle
  // of a small entry can be its last-used stamp, which no checksum covers.
  size_t damaged = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.file_size() < 64) continue;
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    const auto last = static_cast<std::streamoff>(entry.file_size() - 1);
    char byte = 0;
    f.seekg(last);
    f.read(&byte, 1);
    byte = static_cast<char>(~byte);
    f.seekp(last);
    f.write(&byte, 1);
    ++damaged;
  }
  EXPECT_GT(damaged, 0u);
  auto third = compile_on_fresh_device();
  ASSERT_NE(third, nullptr);
  EXPECT_FALSE(third->from_cache);
  auto fourth = compile_on_fresh_device();
  ASSERT_NE(fourth, nullptr);
  EXPECT_TRUE(fourth->from_cache);
  std::filesystem::remove_all(dir);
}

// Generated code is keyed by what decides its PTX (runtime/cuda/
// cuda_code_key.h), so a second device with the same cache (as in a warm
// process) runs neither the PTX emitter nor the JIT, says so in its describe
// text, and the kernel it loaded from the cache runs correctly.
TEST_F(CudaGpuTest, GeneratedCubinsSkipCodegenOnACacheHit) {
  const std::string dir =
      ::testing::TempDir() + "/hrt_codegen_cache_" + std::to_string(static_cast<long>(getpid()));
  std::filesystem::remove_all(dir);
  DeviceOptions options;
  options.cache_enabled = true;
  options.cache_dir = dir;
  auto bound = LoadAndBind("vector_add", DType::kF32, "BLOCK=256,WARPS=4");
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  // The launch below, on aligned tensors, runs code specialized to that
  // (cuda_specialize.h): the cold process compiles that variant.
  const int64_t n = 1000;
  const DriverApi& api = driver().api();
  std::vector<float> x(n), y(n), out(n, -1.0f);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i);
    y[i] = static_cast<float>(3 * i - 7);
  }
  const size_t bytes = n * sizeof(float);
  CUdeviceptr dout = 0;
  const std::vector<hrt_arg_t> args = VectorAddArgs(x, y, &dout);
  const ptx::Assumptions facts = ArgumentFacts(*bound, args);
  EXPECT_EQ(facts.aligned_params, 0b111u);
  EXPECT_EQ(facts.div16_syms, 0u);  // 1000 is not a multiple of 16
  std::vector<uint8_t> cold_cubin;
  {
    auto cold = CudaDevice::Create(probe_.driver, probe_.devices[0], options);
    ASSERT_TRUE(cold.ok()) << cold.status().message();
    auto compiled = (*cold)->Compile(*bound, facts);
    ASSERT_TRUE(compiled.ok()) << compiled.status().message();
    EXPECT_EQ((*cold)->cache_status(), "");
    EXPECT_FALSE((*compiled)->from_cache);
    EXPECT_FALSE((*compiled)->ptx.empty());
    EXPECT_EQ((*cold)->codegen_count(), 1u);
    cold_cubin = (*compiled)->cubin;
  }
  auto warm = CudaDevice::Create(probe_.driver, probe_.devices[0], options);
  ASSERT_TRUE(warm.ok()) << warm.status().message();
  auto compiled = (*warm)->Compile(*bound, facts);
  ASSERT_TRUE(compiled.ok()) << compiled.status().message();
  EXPECT_TRUE((*compiled)->from_cache);
  EXPECT_TRUE((*compiled)->ptx.empty());
  EXPECT_EQ((*compiled)->cubin, cold_cubin);
  EXPECT_EQ((*warm)->codegen_count(), 0u);

  // The runtime's path on the warm device: launch, then describe.
  const Status s = (*warm)->LaunchBound(*bound, args, stream_, /*code_id=*/7, /*code=*/nullptr);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(Ok(api.StreamSynchronize(stream_), "cuStreamSynchronize"));
  ASSERT_TRUE(Ok(api.MemcpyDtoH(out.data(), dout, bytes), "cuMemcpyDtoH"));
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[i], x[i] + y[i]) << i;
  EXPECT_EQ((*warm)->codegen_count(), 0u);
  const std::string text = (*warm)->DescribeCode(7, *bound, nullptr, args);
  EXPECT_NE(text.find("cubin from the helionrt cache (no codegen, no JIT, sm_"), std::string::npos)
      << text;
  EXPECT_NE(text.find("(specialized: aligned / multiple of 16: x,y,out)"), std::string::npos)
      << text;

  // Another config is another key: a miss, generated and JIT-compiled.
  auto other = LoadAndBind("vector_add", DType::kF32, "BLOCK=128,WARPS=4");
  ASSERT_TRUE(other.ok()) << other.status().message();
  auto other_compiled = (*warm)->Compile(*other);
  ASSERT_TRUE(other_compiled.ok()) << other_compiled.status().message();
  EXPECT_FALSE((*other_compiled)->from_cache);
  EXPECT_EQ((*warm)->codegen_count(), 1u);
  std::filesystem::remove_all(dir);
}

// An engine's own context (here: the primary context the test retains) is
// borrowed rather than retained again.
TEST_F(CudaGpuTest, AcceptsTheEnginesContext) {
  CUcontext engine = nullptr;
  ASSERT_TRUE(Ok(driver().api().DevicePrimaryCtxRetain(&engine, device_->info().device),
                 "cuDevicePrimaryCtxRetain"));
  {
    DeviceOptions options;
    options.context = engine;
    auto borrowed = CudaDevice::Create(probe_.driver, device_->info(), options);
    ASSERT_TRUE(borrowed.ok()) << borrowed.status().message();
    EXPECT_FALSE((*borrowed)->uses_primary_context());
    EXPECT_EQ((*borrowed)->context(), engine);
    auto bound = LoadAndBind("vector_add", DType::kF32, "");
    ASSERT_TRUE(bound.ok());
    auto compiled = (*borrowed)->Compile(*bound);
    ASSERT_TRUE(compiled.ok()) << compiled.status().message();
  }
  (void)driver().api().DevicePrimaryCtxRelease(device_->info().device);
}

}  // namespace
}  // namespace hrt::cuda
