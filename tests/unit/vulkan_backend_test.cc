// The Vulkan backend: loader probing, device selection, fingerprints, device
// memory, and the standard kernels (kernels/*.tile) generated as SPIR-V,
// launched through the backend's Device vtable and compared with the CPU
// reference interpreter and the plain loops of reference_loops.h.
//
// Runs on any Vulkan 1.2 device with bufferDeviceAddress and shaderInt64:
// Mesa's lavapipe in CI, a real GPU's driver elsewhere (the test lists CPU
// implementations too; HELIONRT_VULKAN_DEVICE picks one device). Tests that
// need a device skip with the reason when there is none. When
// VK_LAYER_KHRONOS_validation is installed every device runs under it and
// must report no message.
#include "runtime/vulkan/vulkan_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/interp/interpreter.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/dtype.h"
#include "codegen/spirv/spirv.h"
#include "helionrt/helionrt.h"
#include "kernels/testing/host_tensor.h"
#include "kernels/testing/load_kernel.h"
#include "kernels/testing/reference_loops.h"
#include "runtime/bundle/bundle.h"
#include "runtime/bundle/reader.h"
#include "runtime/bundle/writer.h"
#include "runtime/select/fingerprint.h"
#include "runtime/vulkan/spirv_check.h"
#include "runtime/vulkan/vulkan_device_info.h"
#include "runtime/vulkan/vulkan_pipeline_cache.h"

#if HRT_HAVE_VULKAN
#include "cache/store.h"
#include "runtime/vulkan/vulkan_device.h"
#include "runtime/vulkan/vulkan_instance.h"
#include "tests/unit/vulkan_test_probe.h"
#endif

namespace hrt::vulkan {
namespace {

using ir::DType;
using testing::HostTensor;
using testing::LoadAndBind;
using testing::Rng;

//===----------------------------------------------------------------------===//
// No device needed
//===----------------------------------------------------------------------===//

constexpr const char* kMissingLoader = "libhrt-test-no-such-vulkan.so.1";

// Sets an environment variable for the scope, restoring the old value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    had_ = std::getenv(name) != nullptr;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(VulkanProbeTest, MissingLoaderIsUnavailableWithThePathTried) {
  ProbeOptions options;
  options.loader = kMissingLoader;
  const Probe probe = ProbeVulkan(options);
  EXPECT_EQ(probe.library, nullptr);
  EXPECT_TRUE(probe.devices.empty());
  EXPECT_NE(probe.unavailable_reason.find(std::string("tried ") + kMissingLoader),
            std::string::npos)
      << probe.unavailable_reason;
  // Creating a device of that probe fails cleanly.
  runtime::DeviceDesc desc;
  desc.backend = HRT_BACKEND_VULKAN;
  auto created = CreateDevice(probe, desc, runtime::DeviceCreateOptions{});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), Code::kUnavailable);
}

TEST(VulkanProbeTest, LoaderEnvironmentVariableOverridesTheLibrary) {
  ScopedEnv env("HELIONRT_VULKAN_LOADER", kMissingLoader);
  const Probe probe = ProbeVulkan(ProbeOptions{});
  EXPECT_TRUE(probe.devices.empty());
  EXPECT_NE(probe.unavailable_reason.find(kMissingLoader), std::string::npos)
      << probe.unavailable_reason;
}

TEST(VulkanProbeTest, DeviceSelectionIsParsed) {
  ProbeOptions options;
  options.select = "not-a-uuid";
  Probe probe = ProbeVulkan(options);
  EXPECT_TRUE(probe.devices.empty());
  EXPECT_NE(probe.unavailable_reason.find("HELIONRT_VULKAN_DEVICE='not-a-uuid'"), std::string::npos)
      << probe.unavailable_reason;
  options.select = "4096";
  probe = ProbeVulkan(options);
  EXPECT_TRUE(probe.devices.empty()) << "no machine has 4097 Vulkan devices";
}

TEST(VulkanSupportTest, SyntheticFingerprintsAreJudgedLikeDevices) {
  auto parse = [](const char* text) {
    Result<select::Fingerprint> fp = select::ParseFingerprint(text);
    EXPECT_TRUE(fp.ok()) << text << ": " << fp.status().message();
    return fp.ok() ? *fp : select::Fingerprint{};
  };
  EXPECT_TRUE(CheckSupported(parse("backend=vulkan;vk_api=1.3;features=vk_bda,vk_int64")).ok());
  const Status no_bda = CheckSupported(parse("backend=vulkan;vk_api=1.3;features=vk_int64"));
  EXPECT_EQ(no_bda.code(), Code::kUnsupported);
  EXPECT_NE(no_bda.message().find("bufferDeviceAddress"), std::string::npos) << no_bda.message();
  const Status no_int64 = CheckSupported(parse("backend=vulkan;vk_api=1.2;features=vk_bda"));
  EXPECT_NE(no_int64.message().find("shaderInt64"), std::string::npos) << no_int64.message();
  const Status old = CheckSupported(parse("backend=vulkan;vk_api=1.1.0;features=vk_bda,vk_int64"));
  EXPECT_EQ(old.code(), Code::kUnsupported);
  EXPECT_NE(old.message().find("1.1.0"), std::string::npos) << old.message();
  EXPECT_EQ(CheckSupported(parse("backend=cuda;sm=90")).code(), Code::kUnsupported);

  select::Fingerprint fp = parse(
      "backend=vulkan;vendor=0x10de;name=NVIDIA H100;vk_device=0x2330;vk_api=1.3.277;"
      "features=vk_bda,vk_int64");
  EXPECT_EQ(ArchName(fp), "vulkan-1.3 10de:2330");
  fp = parse(
      "backend=vulkan;vendor=0x10005;name=llvmpipe (LLVM 15.0.7, 256 bits);vk_type=cpu;"
      "vk_api=1.3;features=vk_bda,vk_int64");
  EXPECT_EQ(ArchName(fp), "vulkan-1.3 llvmpipe");
}

// Bundle SPIR-V is untrusted: what a driver would choke on is refused first.
TEST(SpirvCheckTest, RefusesMalformedModules) {
  auto bound = LoadAndBind("vector_add", DType::kF32, "BLOCK=64,WARPS=1");
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  auto emitted = spirv::EmitSpirv(*bound, spirv::SpirvOptions{});
  ASSERT_TRUE(emitted.ok()) << emitted.status().message();
  std::vector<uint8_t> good(emitted->words.size() * 4);
  std::memcpy(good.data(), emitted->words.data(), good.size());
  EXPECT_TRUE(CheckSpirvModule(good, "vector_add").ok());
  EXPECT_EQ(CheckSpirvModule(good, "other").code(), Code::kNotFound);

  auto expect_corrupt = [&](std::vector<uint8_t> bytes, const char* why) {
    const Status s = CheckSpirvModule(bytes, "vector_add");
    EXPECT_EQ(s.code(), Code::kCorruptData) << why << ": " << s.message();
    EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
  };
  expect_corrupt({}, "not a SPIR-V module");
  expect_corrupt(std::vector<uint8_t>(good.begin(), good.begin() + 16), "not a SPIR-V module");
  expect_corrupt(std::vector<uint8_t>(good.begin(), good.end() - 2), "not a SPIR-V module");
  std::vector<uint8_t> bad = good;
  bad[0] ^= 1;  // magic
  expect_corrupt(bad, "magic");
  bad = good;
  bad[6] = 9;  // version 1.9
  expect_corrupt(bad, "version");
  bad = good;
  std::memset(&bad[20], 0xff, 4);  // the first instruction claims 65535 words
  expect_corrupt(bad, "runs past the end");
  bad = good;
  std::memset(&bad[20], 0, 4);  // zero length: would loop forever
  expect_corrupt(bad, "length 0");
  // Truncated at every instruction boundary and inside one: never accepted.
  for (size_t cut = 24; cut < good.size(); cut += 4) {
    const std::vector<uint8_t> prefix(good.begin(), good.begin() + static_cast<ptrdiff_t>(cut));
    EXPECT_FALSE(CheckSpirvModule(prefix, "vector_add").ok()) << cut;
  }
}

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

#if HRT_HAVE_VULKAN

// Owns a runtime::Device; checks at the end that the validation layer (when
// on) reported nothing.
class DeviceHandle {
 public:
  DeviceHandle() = default;
  explicit DeviceHandle(runtime::Device* d) : device_(d) {}
  DeviceHandle(DeviceHandle&& o) noexcept : device_(o.device_) { o.device_ = nullptr; }
  DeviceHandle& operator=(DeviceHandle&& o) noexcept {
    Reset();
    device_ = o.device_;
    o.device_ = nullptr;
    return *this;
  }
  ~DeviceHandle() { Reset(); }
  void Reset() {
    if (device_ == nullptr) return;
    ExpectNoValidationMessages();
    device_->vtable->destroy(device_);
    device_ = nullptr;
  }
  void ExpectNoValidationMessages() const {
    const uint64_t count = ValidationMessageCount(device_);
    std::string text;
    for (const std::string& m : ValidationMessages(device_)) text += "\n  " + m;
    EXPECT_EQ(count, 0u) << "validation messages:" << text;
  }
  runtime::Device* get() const { return device_; }
  runtime::Device* operator->() const { return device_; }
  VulkanDevice* vk() const { return AsVulkanDevice(device_); }

 private:
  runtime::Device* device_ = nullptr;
};

Result<DeviceHandle> MakeDevice(runtime::DeviceCreateOptions options = {}) {
  const Probe& probe = TestProbe();
  if (probe.devices.empty()) return Status(Code::kUnavailable, probe.unavailable_reason);
  options.vulkan_validation = ValidationLayerInstalled();
  if (options.cache_dir.empty()) options.cache_enabled = false;
  HRT_ASSIGN_OR_RETURN(runtime::Device * d, CreateDevice(probe, probe.devices[0], options));
  return DeviceHandle(d);
}

class VulkanDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (TestProbe().devices.empty()) GTEST_SKIP() << TestProbe().unavailable_reason;
    static bool told = false;
    if (!told) {
      told = true;
      std::printf("Vulkan device: %s [%s]; validation layer %s\n",
                  TestProbe().devices[0].name.c_str(), TestProbe().devices[0].arch.c_str(),
                  ValidationLayerInstalled() ? "ON" : "not installed (checks skipped)");
    }
    auto d = MakeDevice();
    ASSERT_TRUE(d.ok()) << d.status().message();
    device_ = std::move(*d);
    EXPECT_EQ(ValidationEnabled(device_.get()), ValidationLayerInstalled());
  }
  void TearDown() override { device_.Reset(); }

  DeviceHandle device_;
};

TEST_F(VulkanDeviceTest, DescriptorAndFingerprintAgree) {
  const runtime::DeviceDesc& desc = TestProbe().devices[0];
  EXPECT_EQ(desc.backend, HRT_BACKEND_VULKAN);
  EXPECT_EQ(desc.ordinal, 0u);
  EXPECT_FALSE(desc.name.empty());
  EXPECT_EQ(desc.arch.rfind("vulkan-1.", 0), 0u) << desc.arch;
  const select::Fingerprint& fp = desc.selection_fingerprint;
  auto parsed = select::ParseFingerprint(desc.fingerprint);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(*parsed, fp) << desc.fingerprint;
  EXPECT_TRUE(CheckSupported(fp).ok());
  EXPECT_GE(fp.vk.api_version, (1u << 22) | (2u << 12));
  EXPECT_GT(fp.warp_size, 0u);
  EXPECT_EQ(desc.subgroup_size, fp.warp_size);
  EXPECT_GE(fp.max_threads_per_block, 128u);
  EXPECT_GE(fp.smem_per_block, 16384u);  // Vulkan's guaranteed minimum
  EXPECT_GE(fp.vk.max_push_constants, 128u);
  EXPECT_GE(fp.vk.max_workgroup_size[0], 128u);
  EXPECT_EQ(desc.uuid, fp.uuid);
  EXPECT_EQ(select::HardKeyOf(fp).ToString().rfind("backend=vulkan;device=", 0), 0u);
  // GPUs come before CPU implementations.
  bool seen_cpu = false;
  for (const runtime::DeviceDesc& d : TestProbe().devices) {
    const bool cpu = d.selection_fingerprint.vk.device_type == 4;
    EXPECT_FALSE(seen_cpu && !cpu) << d.name << " listed after a CPU implementation";
    seen_cpu = seen_cpu || cpu;
  }
}

TEST_F(VulkanDeviceTest, DeviceSelectionByIndexAndUuid) {
  const runtime::DeviceDesc& first = TestProbe().devices[0];
  ProbeOptions options;
  options.select = select::FingerprintToString(first.selection_fingerprint);  // not a UUID
  EXPECT_TRUE(ProbeVulkan(options).devices.empty());
  // By UUID (dashes allowed): exactly that device, even a CPU implementation.
  const std::string uuid_field = first.fingerprint.substr(first.fingerprint.find("uuid=") + 5, 36);
  options.select = uuid_field;
  const Probe by_uuid = ProbeVulkan(options);
  ASSERT_EQ(by_uuid.devices.size(), 1u) << by_uuid.unavailable_reason;
  EXPECT_EQ(by_uuid.devices[0].uuid, first.uuid);
  // HELIONRT_VULKAN_CPU=0 leaves CPU implementations out, with the reason.
  ScopedEnv no_cpu("HELIONRT_VULKAN_CPU", "0");
  ProbeOptions env_options = ProbeOptionsFromEnv();
  EXPECT_FALSE(env_options.allow_cpu);
  env_options.select.clear();
  const Probe gpus_only = ProbeVulkan(env_options);
  for (const runtime::DeviceDesc& d : gpus_only.devices) {
    EXPECT_NE(d.selection_fingerprint.vk.device_type, 4u) << d.name;
  }
  if (first.selection_fingerprint.vk.device_type == 4) {
    std::string skipped;
    for (const std::string& s : gpus_only.skipped) skipped += s + "\n";
    EXPECT_NE(skipped.find("a CPU implementation (HELIONRT_VULKAN_CPU=0)"), std::string::npos)
        << skipped;
  }
}

TEST_F(VulkanDeviceTest, WriteReadRoundTrip) {
  const runtime::DeviceVTable& vt = *device_->vtable;
  std::vector<uint64_t> addresses;
  for (uint64_t size : {uint64_t{1}, uint64_t{1000}, uint64_t{3} << 20}) {
    uint64_t address = 0;
    ASSERT_TRUE(vt.alloc(device_.get(), size, &address).ok());
    EXPECT_EQ(address % 256, 0u);
    EXPECT_NE(address, 0u);
    std::vector<uint8_t> data(size);
    for (uint64_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 7 + size);
    ASSERT_TRUE(vt.write(device_.get(), address, data.data(), size, nullptr).ok());
    std::vector<uint8_t> back(size, 0);
    ASSERT_TRUE(vt.read(device_.get(), back.data(), address, size, nullptr).ok());
    EXPECT_EQ(back, data);
    if (size > 10) {  // an interior range
      const uint8_t patch[3] = {1, 2, 3};
      ASSERT_TRUE(vt.write(device_.get(), address + 5, patch, 3, nullptr).ok());
      uint8_t got[5] = {};
      ASSERT_TRUE(vt.read(device_.get(), got, address + 4, 5, nullptr).ok());
      EXPECT_EQ(got[0], data[4]);
      EXPECT_EQ(got[1], 1);
      EXPECT_EQ(got[3], 3);
      EXPECT_EQ(got[4], data[8]);
    }
    addresses.push_back(address);
  }
  // Ranges outside any allocation are refused (the runtime checks first; the
  // backend does not trust it blindly).
  uint8_t byte = 0;
  EXPECT_FALSE(vt.read(device_.get(), &byte, addresses[0] + 4096 * 1024 * 64ull, 1, nullptr).ok());
  for (uint64_t a : addresses) EXPECT_TRUE(vt.free(device_.get(), a).ok());
  EXPECT_FALSE(vt.free(device_.get(), addresses[0]).ok());
  EXPECT_TRUE(vt.synchronize(device_.get(), nullptr).ok());
}

//===----------------------------------------------------------------------===//
// Kernels: generate, launch through the vtable, compare
//===----------------------------------------------------------------------===//

// A host tensor and the device copy of all of its storage (padding too, so
// the sentinel check covers what the kernel wrote).
struct Tensor {
  HostTensor host;
  int64_t pad = 0;
  DType dtype = DType::kF32;
  uint64_t address = 0;

  size_t StorageBytes() {
    const interp::Arg a = host.ToArg();
    if (a.data == nullptr) return 0;
    int64_t extent = 1 + pad;
    for (uint32_t d = 0; d < a.rank; ++d) extent += (a.shape[d] - 1) * a.strides[d];
    return static_cast<size_t>(extent) * ir::DTypeSize(dtype);
  }
};

class KernelRun {
 public:
  explicit KernelRun(runtime::Device* device) : device_(device) {}
  ~KernelRun() {
    for (auto& t : tensors_) {
      if (t->address != 0) (void)device_->vtable->free(device_, t->address);
    }
  }

  Tensor& Add(DType dtype, std::vector<int64_t> shape, int64_t pad = 0) {
    tensors_.push_back(std::make_unique<Tensor>(
        Tensor{HostTensor::RowMajor(dtype, std::move(shape), pad), pad, dtype, 0}));
    return *tensors_.back();
  }

  // Runs |bound| on the device and on the interpreter with the same inputs;
  // |scalars| follow the tensors. |code| NULL: SPIR-V generated from the IR.
  void Run(const ir::BoundKernel& bound, const std::vector<double>& scalars, uint64_t code_id = 1,
           const runtime::LaunchCode* code = nullptr) {
    const runtime::DeviceVTable& vt = *device_->vtable;
    std::vector<hrt_arg_t> args;
    std::vector<interp::Arg> interp_args;
    for (auto& tensor : tensors_) {
      const size_t bytes = tensor->StorageBytes();
      interp::Arg a = tensor->host.ToArg();
      if (bytes > 0) {
        ASSERT_TRUE(vt.alloc(device_, bytes, &tensor->address).ok());
        ASSERT_TRUE(vt.write(device_, tensor->address, a.data, bytes, nullptr).ok());
      }
      args.push_back(tensor->host.ToApiArgAt(bytes > 0 ? tensor->address : 0));
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
    const Status launched = vt.launch(device_, bound, args, nullptr, code_id, code, nullptr);
    ASSERT_TRUE(launched.ok()) << launched.message();
    for (auto& tensor : tensors_) {
      const size_t bytes = tensor->StorageBytes();
      if (bytes == 0) continue;
      const Status read =
          vt.read(device_, tensor->host.ToArg().data, tensor->address, bytes, nullptr);
      ASSERT_TRUE(read.ok()) << read.message();
    }
    const Status ran = interp::Run(bound, interp_args);
    ASSERT_TRUE(ran.ok()) << ran.message();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      interp_expected_.push_back(ViewValues(*tensors_[i], interp_storage_[i]));
    }
  }

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

  runtime::Device* device_;
  std::vector<std::unique_ptr<Tensor>> tensors_;
  std::vector<std::vector<uint8_t>> interp_storage_;
  std::vector<std::vector<double>> interp_expected_;
};

// Device output against the exact reference (the kernels' tolerance) and
// against the interpreter (each within that tolerance of the reference).
void ExpectClose(DType dtype, const std::vector<double>& got, const std::vector<double>& interp,
                 const ref::RefOutput& want) {
  ASSERT_EQ(got.size(), want.value.size());
  ASSERT_EQ(interp.size(), want.value.size());
  int64_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = ref::Tolerance(dtype, want.value[i], want.scale[i]);
    const bool ok = std::fabs(got[i] - want.value[i]) <= tol &&
                    std::fabs(got[i] - interp[i]) <= 2 * tol;  // false for NaN
    if (!ok && ++bad <= 5) {
      ADD_FAILURE() << "element " << i << ": device " << got[i] << ", interpreter " << interp[i]
                    << ", exact " << want.value[i] << " (tolerance " << tol << ")";
    }
  }
  EXPECT_EQ(bad, 0) << "of " << got.size() << " elements";
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

#define BIND_OR_FAIL(bound_var, name, c)                     \
  auto bound_var = LoadAndBind(name, (c).dtype, (c).config); \
  ASSERT_TRUE(bound_var.ok()) << bound_var.status().message()

// Ragged shapes: a single element, rows shorter and longer than a block.
const std::pair<int64_t, int64_t> kRowShapes[] = {{1, 1}, {3, 7}, {4, 129}, {2, 1000}};

TEST_F(VulkanDeviceTest, VectorAddMatchesInterpreter) {
  for (const Case& c : Cases({"", "BLOCK=64,WARPS=1"})) {
    SCOPED_TRACE(Label(c));
    BIND_OR_FAIL(bound, "vector_add", c);
    Rng rng(11);
    for (int64_t n : {1, 1000, 4097}) {
      SCOPED_TRACE("N=" + std::to_string(n));
      KernelRun run(device_.get());
      Tensor& x = run.Add(c.dtype, {n});
      Tensor& y = run.Add(c.dtype, {n});
      Tensor& out = run.Add(c.dtype, {n}, /*pad=*/5);
      const auto xv = x.host.FillUniform(rng, -4, 4);
      const auto yv = y.host.FillUniform(rng, -4, 4);
      ASSERT_NO_FATAL_FAILURE(run.Run(*bound, {}));
      ExpectClose(c.dtype, out.host.Values(), run.InterpValues(2), ref::VectorAddRef(xv, yv));
      EXPECT_EQ(out.host.ClobberedPadding(), 0);
    }
  }
}

TEST_F(VulkanDeviceTest, RmsNormMatchesInterpreter) {
  for (const Case& c : Cases({"", "BLOCK_N=64,WARPS=1"})) {
    SCOPED_TRACE(Label(c));
    BIND_OR_FAIL(bound, "rms_norm", c);
    Rng rng(22);
    const double eps = 1e-6;
    for (auto [m, n] : kRowShapes) {
      SCOPED_TRACE("M=" + std::to_string(m) + " N=" + std::to_string(n));
      KernelRun run(device_.get());
      Tensor& x = run.Add(c.dtype, {m, n});
      Tensor& w = run.Add(c.dtype, {n});
      Tensor& y = run.Add(c.dtype, {m, n}, /*pad=*/3);
      const auto xv = x.host.FillUniform(rng, -2, 2);
      const auto wv = w.host.FillUniform(rng, 0.5, 1.5);
      ASSERT_NO_FATAL_FAILURE(run.Run(*bound, {eps}));
      ExpectClose(c.dtype, y.host.Values(), run.InterpValues(2),
                  ref::RmsNormRef(xv, wv, m, n, ir::RoundToFloat(DType::kF32, eps)));
      EXPECT_EQ(y.host.ClobberedPadding(), 0);
    }
  }
}

TEST_F(VulkanDeviceTest, SoftmaxMatchesInterpreter) {
  for (const Case& c : Cases({"", "BLOCK_N=64,WARPS=1"})) {
    SCOPED_TRACE(Label(c));
    BIND_OR_FAIL(bound, "softmax", c);
    Rng rng(33);
    for (auto [m, n] : kRowShapes) {
      SCOPED_TRACE("M=" + std::to_string(m) + " N=" + std::to_string(n));
      KernelRun run(device_.get());
      Tensor& x = run.Add(c.dtype, {m, n});
      Tensor& y = run.Add(c.dtype, {m, n}, /*pad=*/3);
      const double shifts[] = {0.0, 50.0, -50.0};  // needs the row max subtracted
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) x.host.Set(i * n + j, shifts[i % 3] + rng.Uniform(-4, 4));
      }
      const auto xv = x.host.Values();
      ASSERT_NO_FATAL_FAILURE(run.Run(*bound, {}));
      ExpectClose(c.dtype, y.host.Values(), run.InterpValues(1), ref::SoftmaxRef(xv, m, n));
      EXPECT_EQ(y.host.ClobberedPadding(), 0);
    }
  }
}

TEST_F(VulkanDeviceTest, LayerNormMatchesInterpreter) {
  for (const Case& c : Cases({"", "BLOCK_N=64,WARPS=1"})) {
    SCOPED_TRACE(Label(c));
    BIND_OR_FAIL(bound, "layer_norm", c);
    Rng rng(44);
    const double eps = 1e-5;
    for (auto [m, n] : kRowShapes) {
      SCOPED_TRACE("M=" + std::to_string(m) + " N=" + std::to_string(n));
      KernelRun run(device_.get());
      Tensor& x = run.Add(c.dtype, {m, n});
      Tensor& w = run.Add(c.dtype, {n});
      Tensor& b = run.Add(c.dtype, {n});
      Tensor& y = run.Add(c.dtype, {m, n}, /*pad=*/3);
      const auto xv = x.host.FillUniform(rng, 8, 12);  // offset >> spread: two-pass variance
      const auto wv = w.host.FillUniform(rng, 0.5, 1.5);
      const auto bv = b.host.FillUniform(rng, -1, 1);
      ASSERT_NO_FATAL_FAILURE(run.Run(*bound, {eps}));
      ExpectClose(c.dtype, y.host.Values(), run.InterpValues(3),
                  ref::LayerNormRef(xv, wv, bv, m, n, ir::RoundToFloat(DType::kF32, eps)));
      EXPECT_EQ(y.host.ClobberedPadding(), 0);
    }
  }
}

TEST_F(VulkanDeviceTest, SiluMulMatchesInterpreter) {
  for (const Case& c : Cases({"", "BLOCK_H=64,WARPS=1"})) {
    SCOPED_TRACE(Label(c));
    BIND_OR_FAIL(bound, "silu_mul", c);
    Rng rng(55);
    for (auto [m, n] : kRowShapes) {
      SCOPED_TRACE("M=" + std::to_string(m) + " H=" + std::to_string(n));
      KernelRun run(device_.get());
      Tensor& gate = run.Add(c.dtype, {m, n});
      Tensor& up = run.Add(c.dtype, {m, n});
      Tensor& out = run.Add(c.dtype, {m, n}, /*pad=*/3);
      const auto gv = gate.host.FillUniform(rng, -6, 6);
      const auto uv = up.host.FillUniform(rng, -2, 2);
      ASSERT_NO_FATAL_FAILURE(run.Run(*bound, {}));
      ExpectClose(c.dtype, out.host.Values(), run.InterpValues(2), ref::SiluMulRef(gv, uv));
      EXPECT_EQ(out.host.ClobberedPadding(), 0);
    }
  }
}

TEST_F(VulkanDeviceTest, GemmMatchesInterpreter) {
  for (const Case& c : Cases({"BLOCK_M=16,BLOCK_N=16,BLOCK_K=16,WARPS=1,STAGES=1",
                              "BLOCK_M=64,BLOCK_N=16,BLOCK_K=32,WARPS=2,STAGES=2"})) {
    SCOPED_TRACE(Label(c));
    BIND_OR_FAIL(bound, "gemm", c);
    Rng rng(44);
    struct Shape {
      int64_t m, n, k;
    };
    for (Shape s : {Shape{1, 1, 1}, Shape{17, 33, 65}, Shape{70, 37, 40}}) {
      for (bool with_bias : {false, true}) {
        SCOPED_TRACE("M=" + std::to_string(s.m) + " N=" + std::to_string(s.n) +
                     " K=" + std::to_string(s.k) + (with_bias ? " bias" : ""));
        KernelRun run(device_.get());
        Tensor& a = run.Add(c.dtype, {s.m, s.k});
        Tensor& b = run.Add(c.dtype, {s.k, s.n});
        Tensor& bias = run.Add(c.dtype, {with_bias ? s.n : 0});
        Tensor& out = run.Add(c.dtype, {s.m, s.n}, /*pad=*/3);
        const auto av = a.host.FillUniform(rng, -1, 1);
        const auto bv = b.host.FillUniform(rng, -1, 1);
        const auto biasv = bias.host.FillUniform(rng, -1, 1);
        ASSERT_NO_FATAL_FAILURE(run.Run(*bound, {}));
        ExpectClose(c.dtype, out.host.Values(), run.InterpValues(3),
                    ref::GemmRef(av, bv, biasv, s.m, s.n, s.k));
        EXPECT_EQ(out.host.ClobberedPadding(), 0);
      }
    }
  }
}

// Runs vector_add (f32, N = 300) on |device| with |code| and checks it.
void CheckVectorAdd(runtime::Device* device, const ir::BoundKernel& bound, uint64_t code_id,
                    const runtime::LaunchCode* code) {
  KernelRun run(device);
  Rng rng(77);
  Tensor& x = run.Add(DType::kF32, {300});
  Tensor& y = run.Add(DType::kF32, {300});
  Tensor& out = run.Add(DType::kF32, {300}, 2);
  const auto xv = x.host.FillUniform(rng, -1, 1);
  const auto yv = y.host.FillUniform(rng, -1, 1);
  ASSERT_NO_FATAL_FAILURE(run.Run(bound, {}, code_id, code));
  ExpectClose(DType::kF32, out.host.Values(), run.InterpValues(2), ref::VectorAddRef(xv, yv));
  EXPECT_EQ(out.host.ClobberedPadding(), 0);
}

TEST_F(VulkanDeviceTest, DescribeCodeSaysWhereTheCodeCameFrom) {
  auto bound = LoadAndBind("vector_add", DType::kF32, "BLOCK=128,WARPS=2");
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  const runtime::DeviceVTable& vt = *device_->vtable;
  EXPECT_EQ(vt.describe_code(device_.get(), *bound, 5, nullptr, {}), "");
  ASSERT_NO_FATAL_FAILURE(CheckVectorAdd(device_.get(), *bound, 5, nullptr));
  const std::string text = vt.describe_code(device_.get(), *bound, 5, nullptr, {});
  EXPECT_EQ(text.rfind("SPIR-V generated from the tile IR (", 0), 0u) << text;
  EXPECT_NE(text.find(" KB), pipeline created (pipeline cache: off)"), std::string::npos) << text;
  EXPECT_EQ(vt.describe_code(device_.get(), *bound, 6, nullptr, {}), "");  // another code id
  // The pipeline is reused: a second launch with the same key runs.
  ASSERT_NO_FATAL_FAILURE(CheckVectorAdd(device_.get(), *bound, 5, nullptr));
  // A tile-IR kernel computes its own grid.
  const uint32_t grid[3] = {1, 1, 1};
  std::vector<hrt_arg_t> args(3, hrt_arg_t{});
  for (auto& a : args) a.value.tensor.rank = 1;
  EXPECT_EQ(vt.launch(device_.get(), *bound, args, nullptr, 5, nullptr, grid).code(),
            Code::kInvalidArgument);
}

// A bundle variant's SPIR-V: the payload is the module, launched with the
// arg layout of the bound kernel.
TEST_F(VulkanDeviceTest, LaunchesSpirvFromABundle) {
  auto bound = LoadAndBind("vector_add", DType::kF32, "BLOCK=64,WARPS=2");
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  auto emitted = spirv::EmitSpirv(*bound, device_.vk()->spirv_options());
  ASSERT_TRUE(emitted.ok()) << emitted.status().message();
  bundle::Contents contents;
  bundle::KernelEntry kernel;
  kernel.name = "vector_add";
  bundle::VariantEntry variant;
  variant.target.backend = HRT_BACKEND_VULKAN;
  variant.payload_kind = bundle::PayloadKind::kSpirv;
  variant.payload.resize(emitted->words.size() * 4);
  std::memcpy(variant.payload.data(), emitted->words.data(), variant.payload.size());
  kernel.variants.push_back(variant);
  variant.payload.assign(64, 0x41);  // not SPIR-V
  kernel.variants.push_back(variant);
  contents.kernels.push_back(kernel);
  auto bytes = bundle::WriteBundle(contents);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto view = bundle::BundleView::Open(*bytes);
  ASSERT_TRUE(view.ok()) << view.status().message();

  runtime::LaunchCode code;
  code.id = runtime::CodeId(9, 1);
  code.bundle = &*view;
  code.variant = 0;
  code.entry_name = view->kernel(0).name;
  ASSERT_NO_FATAL_FAILURE(CheckVectorAdd(device_.get(), *bound, code.id, &code));
  const std::string text =
      device_->vtable->describe_code(device_.get(), *bound, code.id, &code, {});
  EXPECT_EQ(text.rfind("SPIR-V from bundle variant 0 (", 0), 0u) << text;

  runtime::LaunchCode bad = code;
  bad.id = runtime::CodeId(9, 2);
  bad.variant = 1;
  std::vector<hrt_arg_t> args(3, hrt_arg_t{});
  for (auto& a : args) a.value.tensor.rank = 1;
  const Status s =
      device_->vtable->launch(device_.get(), *bound, args, nullptr, bad.id, &bad, nullptr);
  EXPECT_EQ(s.code(), Code::kCorruptData) << s.message();
  EXPECT_NE(s.message().find("not a SPIR-V module"), std::string::npos) << s.message();
}

// Arguments too large for the push constants travel in the argument buffer.
TEST_F(VulkanDeviceTest, ArgumentBufferWhenPushConstantsAreTooSmall) {
  DeviceOptions options;
  options.validation = ValidationLayerInstalled();
  options.max_push_constant_bytes = 16;  // less than one rank-1 tensor takes
  auto device = VulkanDevice::Create(TestProbe().library, TestProbe().devices[0], options);
  ASSERT_TRUE(device.ok()) << device.status().message();
  VulkanDevice& d = **device;
  auto bound = LoadAndBind("silu_mul", DType::kF16, "BLOCK_H=64,WARPS=1");
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  auto pipeline = d.GetPipeline(3, *bound, nullptr);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status().message();
  EXPECT_TRUE((*pipeline)->args.in_buffer);

  const int64_t m = 3, h = 100;
  std::vector<uint16_t> gate(m * h), up(m * h), out(m * h, 0);
  for (int64_t i = 0; i < m * h; ++i) {
    gate[i] = ir::FloatToHalf(static_cast<float>(i % 13) * 0.25f - 1.5f);
    up[i] = ir::FloatToHalf(static_cast<float>(i % 7) * 0.5f - 1.0f);
  }
  const uint64_t bytes = m * h * 2;
  uint64_t addr[3] = {};
  for (uint64_t& a : addr) ASSERT_TRUE(d.Alloc(bytes, &a).ok());
  ASSERT_TRUE(d.Write(addr[0], gate.data(), bytes).ok());
  ASSERT_TRUE(d.Write(addr[1], up.data(), bytes).ok());
  std::vector<hrt_arg_t> args(3, hrt_arg_t{});
  for (int i = 0; i < 3; ++i) {
    args[i].value.tensor.address = addr[i];
    args[i].value.tensor.rank = 2;
    args[i].value.tensor.shape[0] = m;
    args[i].value.tensor.shape[1] = h;
    args[i].value.tensor.strides[0] = h;
    args[i].value.tensor.strides[1] = 1;
  }
  // Several launches in a row reuse argument slots.
  for (int launch = 0; launch < 3; ++launch) {
    const Status s = d.LaunchBound(*bound, args, VK_NULL_HANDLE, 3, nullptr, nullptr);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  ASSERT_TRUE(d.Read(out.data(), addr[2], bytes).ok());
  for (int64_t i = 0; i < m * h; ++i) {
    const double g = ir::HalfToFloat(gate[i]), u = ir::HalfToFloat(up[i]);
    const double want = g / (1 + std::exp(-g)) * u;
    ASSERT_NEAR(ir::HalfToFloat(out[i]), want, 2e-3 * std::fabs(want) + 1e-4) << i;
  }
  EXPECT_EQ(d.validation_message_count(), 0u);
}

// The zero-message checks mean something: a misuse is counted and kept.
TEST_F(VulkanDeviceTest, ValidationLayerCountsMisuse) {
  if (!ValidationLayerInstalled()) GTEST_SKIP() << kValidationLayer << " is not installed";
  DeviceOptions options;
  options.validation = true;
  auto device = VulkanDevice::Create(TestProbe().library, TestProbe().devices[0], options);
  ASSERT_TRUE(device.ok()) << device.status().message();
  VulkanDevice& d = **device;
  ASSERT_TRUE(d.validation());
  EXPECT_EQ(d.validation_message_count(), 0u);
  auto bci = Info<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
  bci.size = 0;  // VUID-VkBufferCreateInfo-size-00912
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  VkBuffer buffer = VK_NULL_HANDLE;
  const VkResult r = d.api().vkCreateBuffer(d.native().device, &bci, nullptr, &buffer);
  if (r == VK_SUCCESS && buffer != VK_NULL_HANDLE) {
    d.api().vkDestroyBuffer(d.native().device, buffer, nullptr);
  }
  EXPECT_GE(d.validation_message_count(), 1u);
  const std::vector<std::string> messages = d.validation_messages();
  ASSERT_FALSE(messages.empty());
  EXPECT_NE(messages[0].find("VUID-VkBufferCreateInfo-size"), std::string::npos) << messages[0];
  // Without validation nothing is counted.
  auto plain = VulkanDevice::Create(TestProbe().library, TestProbe().devices[0], DeviceOptions{});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)->validation());
}

// The engine's command buffer: the launch is recorded, the engine submits.
TEST_F(VulkanDeviceTest, RecordsIntoTheCallersCommandBuffer) {
  VulkanDevice& d = *device_.vk();
  const DeviceApi& api = d.api();
  const NativeHandles h = d.native();
  auto bound = LoadAndBind("vector_add", DType::kF32, "BLOCK=64,WARPS=1");
  ASSERT_TRUE(bound.ok());
  const int64_t n = 200;
  std::vector<float> x(n), y(n), out(n, -1.0f);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i);
    y[i] = static_cast<float>(3 * i);
  }
  uint64_t addr[3] = {};
  for (uint64_t& a : addr) ASSERT_TRUE(d.Alloc(n * 4, &a).ok());
  ASSERT_TRUE(d.Write(addr[0], x.data(), n * 4).ok());
  ASSERT_TRUE(d.Write(addr[1], y.data(), n * 4).ok());
  ASSERT_TRUE(d.Write(addr[2], out.data(), n * 4).ok());
  std::vector<hrt_arg_t> args(3, hrt_arg_t{});
  for (int i = 0; i < 3; ++i) {
    args[i].value.tensor.address = addr[i];
    args[i].value.tensor.rank = 1;
    args[i].value.tensor.shape[0] = n;
    args[i].value.tensor.strides[0] = 1;
  }

  auto cpci = Info<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
  cpci.queueFamilyIndex = h.queue_family;
  VkCommandPool pool = VK_NULL_HANDLE;
  ASSERT_EQ(api.vkCreateCommandPool(h.device, &cpci, nullptr, &pool), VK_SUCCESS);
  auto cbai = Info<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
  cbai.commandPool = pool;
  cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cbai.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  ASSERT_EQ(api.vkAllocateCommandBuffers(h.device, &cbai, &cmd), VK_SUCCESS);
  auto begin = Info<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
  ASSERT_EQ(api.vkBeginCommandBuffer(cmd, &begin), VK_SUCCESS);
  const Status s = device_->vtable->launch(device_.get(), *bound, args, cmd, 1, nullptr, nullptr);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(api.vkEndCommandBuffer(cmd), VK_SUCCESS);
  // Recorded, not run.
  ASSERT_TRUE(d.Read(out.data(), addr[2], n * 4).ok());
  EXPECT_EQ(out[1], -1.0f);
  auto submit = Info<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  ASSERT_EQ(api.vkQueueSubmit(h.queue, 1, &submit, VK_NULL_HANDLE), VK_SUCCESS);
  ASSERT_TRUE(device_->vtable->synchronize(device_.get(), nullptr).ok());
  ASSERT_TRUE(d.Read(out.data(), addr[2], n * 4).ok());
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[i], x[i] + y[i]) << i;
  api.vkDestroyCommandPool(h.device, pool, nullptr);
}

// The host engine's instance, device and queue: borrowed, never destroyed.
TEST_F(VulkanDeviceTest, RunsOnTheEnginesDevice) {
  const NativeHandles h = device_.vk()->native();
  auto bound = LoadAndBind("vector_add", DType::kF32, "BLOCK=64,WARPS=1");
  ASSERT_TRUE(bound.ok());
  {
    runtime::DeviceCreateOptions options;
    options.vulkan_instance = h.instance;
    options.vulkan_physical_device = h.physical_device;
    options.vulkan_device = h.device;
    options.vulkan_queue = h.queue;
    options.vulkan_queue_family = h.queue_family;
    auto borrowed = MakeDevice(options);
    ASSERT_TRUE(borrowed.ok()) << borrowed.status().message();
    EXPECT_EQ(borrowed->vk()->native().device, h.device);
    ASSERT_NO_FATAL_FAILURE(CheckVectorAdd(borrowed->get(), *bound, 1, nullptr));
  }
  // The owner still works after the borrower is gone.
  ASSERT_NO_FATAL_FAILURE(CheckVectorAdd(device_.get(), *bound, 1, nullptr));

  runtime::DeviceCreateOptions half;
  half.vulkan_device = h.device;  // without its instance and queue
  auto refused = MakeDevice(half);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
}

// The whole runtime: the registered factory's device through the public C
// API (memory, module, launch, describe).
TEST_F(VulkanDeviceTest, PublicApiRunsAKernel) {
  hrt_runtime_options_t options;
  ASSERT_EQ(hrt_runtime_options_init(&options), HRT_OK);
  options.backends = HRT_BACKEND_BIT(HRT_BACKEND_VULKAN);
  options.cache_dir = "";
  hrt_runtime_t* rt = nullptr;
  ASSERT_EQ(hrt_runtime_create(&options, &rt), HRT_OK) << hrt_last_error_message();
  uint32_t count = 0;
  ASSERT_EQ(hrt_device_count(rt, &count), HRT_OK);
  uint32_t index = count;
  for (uint32_t i = 0; i < count && index == count; ++i) {
    hrt_device_properties_t props{};
    props.struct_size = sizeof props;
    ASSERT_EQ(hrt_device_get_properties(rt, i, &props), HRT_OK);
    if (props.backend == HRT_BACKEND_VULKAN) index = i;
  }
  if (index == count) {
    hrt_runtime_destroy(rt);
    GTEST_SKIP() << "the registered Vulkan backend lists no device: "
                 << kVulkanBackendFactory.unavailable_reason();
  }
  hrt_module_t* module = nullptr;
  const std::string path = testing::KernelsDir() + "/vector_add.tile";
  ASSERT_EQ(hrt_module_load_file(rt, path.c_str(), &module), HRT_OK) << hrt_last_error_message();
  hrt_kernel_t* kernel = nullptr;
  ASSERT_EQ(hrt_module_get_kernel(module, "vector_add", &kernel), HRT_OK);

  const size_t n = 1000;
  std::vector<float> x(n), y(n), out(n, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i) * 0.5f;
    y[i] = 7.0f - static_cast<float>(i);
  }
  uint64_t addr[3] = {};
  for (uint64_t& a : addr) {
    ASSERT_EQ(hrt_device_alloc(rt, index, n * 4, &a), HRT_OK) << hrt_last_error_message();
  }
  ASSERT_EQ(hrt_device_write(rt, index, addr[0], x.data(), n * 4, nullptr), HRT_OK);
  ASSERT_EQ(hrt_device_write(rt, index, addr[1], y.data(), n * 4, nullptr), HRT_OK);
  hrt_arg_t args[3] = {};
  for (int i = 0; i < 3; ++i) {
    args[i].kind = HRT_ARG_KIND_TENSOR;
    args[i].value.tensor.address = addr[i];
    args[i].value.tensor.dtype = HRT_DTYPE_F32;
    args[i].value.tensor.rank = 1;
    args[i].value.tensor.shape[0] = static_cast<int64_t>(n);
    args[i].value.tensor.strides[0] = 1;
  }
  hrt_launch_params_t params;
  ASSERT_EQ(hrt_launch_params_init(&params), HRT_OK);
  params.device_index = index;
  params.args = args;
  params.arg_count = 3;
  ASSERT_EQ(hrt_kernel_launch(kernel, &params), HRT_OK) << hrt_last_error_message();
  ASSERT_EQ(hrt_device_synchronize(rt, index, nullptr), HRT_OK);
  ASSERT_EQ(hrt_device_read(rt, index, out.data(), addr[2], n * 4, nullptr), HRT_OK);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], x[i] + y[i]) << i;
  char text[512] = {};
  ASSERT_EQ(hrt_kernel_describe_launch(kernel, &params, text, sizeof text, nullptr), HRT_OK)
      << hrt_last_error_message();
  EXPECT_NE(std::string(text).find("SPIR-V generated from the tile IR"), std::string::npos) << text;
  for (uint64_t a : addr) EXPECT_EQ(hrt_device_free(rt, index, a), HRT_OK);
  hrt_module_destroy(module);
  hrt_runtime_destroy(rt);
}

// The VkPipelineCache goes to the helionrt cache when a device is destroyed
// and comes back for the next one; a stored blob of another device or a
// damaged one is ignored.
TEST_F(VulkanDeviceTest, PipelineCachePersistsAcrossDevices) {
  const std::string dir =
      ::testing::TempDir() + "/hrt_vk_cache_" + std::to_string(static_cast<long>(getpid()));
  std::filesystem::remove_all(dir);
  runtime::DeviceCreateOptions options;
  options.cache_enabled = true;
  options.cache_dir = dir;
  auto bound = LoadAndBind("vector_add", DType::kF32, "BLOCK=256,WARPS=4");
  ASSERT_TRUE(bound.ok());
  std::string first_result;
  {
    auto first = MakeDevice(options);
    ASSERT_TRUE(first.ok()) << first.status().message();
    EXPECT_EQ(PipelineCacheStatus(first->get()), "empty: nothing stored yet");
    ASSERT_NO_FATAL_FAILURE(CheckVectorAdd(first->get(), *bound, 1, nullptr));
    const std::string text = (*first)->vtable->describe_code(first->get(), *bound, 1, nullptr, {});
    EXPECT_TRUE(text.find("(pipeline cache: miss)") != std::string::npos ||
                text.find("(pipeline cache: unknown)") != std::string::npos)
        << text;
    first_result = text;
  }
  {
    auto second = MakeDevice(options);
    ASSERT_TRUE(second.ok()) << second.status().message();
    const std::string status = PipelineCacheStatus(second->get());
    EXPECT_EQ(status.rfind("loaded ", 0), 0u) << status;
    ASSERT_NO_FATAL_FAILURE(CheckVectorAdd(second->get(), *bound, 1, nullptr));
    const std::string text =
        (*second)->vtable->describe_code(second->get(), *bound, 1, nullptr, {});
    std::printf("first device: %s\nsecond device: %s (%s)\n", first_result.c_str(), text.c_str(),
                status.c_str());
    EXPECT_EQ(text.find("(pipeline cache: off)"), std::string::npos) << text;
    // A driver that stores pipelines (more than the 32-byte header; lavapipe
    // stores none) and reports creation feedback finds this one again.
    const long loaded = std::strtol(status.c_str() + 7, nullptr, 10);
    if (loaded > 32 && first_result.find("(pipeline cache: miss)") != std::string::npos) {
      EXPECT_NE(text.find("(pipeline cache: hit)"), std::string::npos) << text;
    }
  }

  // A stored blob whose header names another device, and one too short for
  // a header: both ignored, the device works.
  const select::Fingerprint& fp = TestProbe().devices[0].selection_fingerprint;
  std::vector<uint8_t> foreign(64, 0);
  const uint32_t header[4] = {32, 1, fp.vendor_id, fp.vk.device_id};
  std::memcpy(foreign.data(), header, sizeof header);
  std::memcpy(foreign.data() + 16, fp.vk.pipeline_cache_uuid.data(), 16);
  foreign[16] ^= 0xff;  // another driver build
  const std::vector<uint8_t> short_blob(10, 1);
  for (const auto& [blob, why] : {std::pair{foreign, std::string("UUID")},
                                  std::pair{short_blob, std::string("shorter than its header")}}) {
    {
      cache::StoreOptions so = cache::DefaultStoreOptions();
      so.dir = dir;
      auto store = cache::Store::Open(so);
      ASSERT_TRUE(store.ok()) << store.status().message();
      ASSERT_TRUE((*store)->Put(PipelineCacheKey(fp), blob).ok());
    }
    auto third = MakeDevice(options);
    ASSERT_TRUE(third.ok()) << third.status().message();
    const std::string status = PipelineCacheStatus(third->get());
    EXPECT_EQ(status.rfind("ignored a stored entry: ", 0), 0u) << status;
    EXPECT_NE(status.find(why), std::string::npos) << status;
    ASSERT_NO_FATAL_FAILURE(CheckVectorAdd(third->get(), *bound, 1, nullptr));
  }
  // The last device saved a good cache again over the bad one.
  {
    auto fourth = MakeDevice(options);
    ASSERT_TRUE(fourth.ok());
    EXPECT_EQ(PipelineCacheStatus(fourth->get()).rfind("loaded ", 0), 0u)
        << PipelineCacheStatus(fourth->get());
  }
  std::filesystem::remove_all(dir);
}

#endif  // HRT_HAVE_VULKAN

}  // namespace
}  // namespace hrt::vulkan
