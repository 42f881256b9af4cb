// Runs SPIR-V from codegen/spirv on a Vulkan device (Mesa's lavapipe on a
// machine without a GPU) and compares every tensor with the CPU reference
// interpreter. A test-only harness: libvulkan.so.1 is opened at run time and
// the tests skip, with the reason, when there is no loader, no device with
// bufferDeviceAddress, or (at build time) no Vulkan headers.
#include <gtest/gtest.h>

#if __has_include(<vulkan/vulkan_core.h>)
#define HRT_HAVE_VULKAN_HEADERS 1
#define VK_NO_PROTOTYPES
#include <vulkan/vulkan_core.h>
#else
#define HRT_HAVE_VULKAN_HEADERS 0
#endif

#include <dlfcn.h>

#if defined(__SANITIZE_ADDRESS__) && __has_include(<sanitizer/lsan_interface.h>)
#include <sanitizer/lsan_interface.h>
// Vulkan drivers (lavapipe's LLVM JIT among them) keep allocations until the
// process exits, reachable only from JIT-compiled code LeakSanitizer cannot
// see: calls into the driver run with leak detection off for what they
// allocate. The code under test (the emitter) is leak-checked as usual.
#define HRT_DRIVER_CALL() __lsan::ScopedDisabler hrt_lsan_disabler_
#else
#define HRT_DRIVER_CALL() (void)0
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codegen/interp/interpreter.h"
#include "codegen/ir/expr.h"
#include "codegen/ir/text.h"
#include "codegen/spirv/spirv.h"
#include "kernels/testing/host_tensor.h"
#include "kernels/testing/load_kernel.h"

namespace hrt {
namespace {

#if HRT_HAVE_VULKAN_HEADERS

//===----------------------------------------------------------------------===//
// A minimal compute device: one instance, one queue, one host-visible buffer
// with a device address that all tensors are carved from.
//===----------------------------------------------------------------------===//

// A zeroed Vulkan info struct with its sType.
template <typename T>
T Info(VkStructureType type) {
  T t{};
  t.sType = type;
  return t;
}

#define HRT_VK_FUNCTIONS(X)                   \
  X(vkDestroyInstance)                        \
  X(vkEnumeratePhysicalDevices)               \
  X(vkGetPhysicalDeviceProperties2)           \
  X(vkGetPhysicalDeviceFeatures2)             \
  X(vkGetPhysicalDeviceQueueFamilyProperties) \
  X(vkGetPhysicalDeviceMemoryProperties)      \
  X(vkCreateDevice)                           \
  X(vkDestroyDevice)                          \
  X(vkGetDeviceQueue)                         \
  X(vkCreateBuffer)                           \
  X(vkDestroyBuffer)                          \
  X(vkGetBufferMemoryRequirements)            \
  X(vkAllocateMemory)                         \
  X(vkFreeMemory)                             \
  X(vkBindBufferMemory)                       \
  X(vkMapMemory)                              \
  X(vkGetBufferDeviceAddress)                 \
  X(vkCreateShaderModule)                     \
  X(vkDestroyShaderModule)                    \
  X(vkCreatePipelineLayout)                   \
  X(vkDestroyPipelineLayout)                  \
  X(vkCreateComputePipelines)                 \
  X(vkDestroyPipeline)                        \
  X(vkCreateCommandPool)                      \
  X(vkDestroyCommandPool)                     \
  X(vkAllocateCommandBuffers)                 \
  X(vkBeginCommandBuffer)                     \
  X(vkEndCommandBuffer)                       \
  X(vkCmdBindPipeline)                        \
  X(vkCmdPushConstants)                       \
  X(vkCmdDispatch)                            \
  X(vkQueueSubmit)                            \
  X(vkCreateFence)                            \
  X(vkDestroyFence)                           \
  X(vkWaitForFences)

class VulkanDevice {
 public:
  static constexpr VkDeviceSize kArena = VkDeviceSize{64} << 20;

  // nullptr with |why| set when no usable device exists.
  static std::unique_ptr<VulkanDevice> Open(std::string* why) {
    HRT_DRIVER_CALL();
    auto d = std::unique_ptr<VulkanDevice>(new VulkanDevice());
    if (!d->Init(why)) return nullptr;
    return d;
  }

  ~VulkanDevice() {
    HRT_DRIVER_CALL();
    if (device_) {
      if (pool_) vkDestroyCommandPool(device_, pool_, nullptr);
      if (buffer_) vkDestroyBuffer(device_, buffer_, nullptr);
      if (memory_) vkFreeMemory(device_, memory_, nullptr);
      vkDestroyDevice(device_, nullptr);
    }
    if (instance_) vkDestroyInstance(instance_, nullptr);
    // The loader stays mapped: drivers keep small allocations until exit,
    // and LeakSanitizer can only attribute them (see the suppressions
    // below) while their modules are loaded.
  }

  const spirv::SpirvOptions& options() const { return options_; }
  const std::string& name() const { return name_; }
  uint8_t* host() const { return host_; }
  uint64_t address() const { return address_; }

  // Runs |k| over |grid| workgroups with |push| as push constants.
  bool Dispatch(const spirv::SpirvKernel& k, const std::array<uint32_t, 3>& grid,
                const std::vector<uint8_t>& push, std::string* why) {
    HRT_DRIVER_CALL();
    auto smci = Info<VkShaderModuleCreateInfo>(VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO);
    smci.codeSize = k.words.size() * 4;
    smci.pCode = k.words.data();
    VkShaderModule module = VK_NULL_HANDLE;
    if (vkCreateShaderModule(device_, &smci, nullptr, &module) != VK_SUCCESS) {
      *why = "vkCreateShaderModule failed";
      return false;
    }
    VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, k.args.push_constant_bytes};
    auto plci = Info<VkPipelineLayoutCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
    plci.pushConstantRangeCount = range.size ? 1 : 0;
    plci.pPushConstantRanges = &range;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    VkPipeline pipeline = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    bool ok = vkCreatePipelineLayout(device_, &plci, nullptr, &layout) == VK_SUCCESS;
    if (ok) {
      auto cpci = Info<VkComputePipelineCreateInfo>(VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO);
      cpci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
      cpci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
      cpci.stage.module = module;
      cpci.stage.pName = k.entry_name.c_str();
      cpci.layout = layout;
      ok = vkCreateComputePipelines(device_, VK_NULL_HANDLE, 1, &cpci, nullptr, &pipeline) ==
           VK_SUCCESS;
      if (!ok) *why = "vkCreateComputePipelines failed";
    }
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    if (ok) {
      auto cbai = Info<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
      cbai.commandPool = pool_;
      cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
      cbai.commandBufferCount = 1;
      ok = vkAllocateCommandBuffers(device_, &cbai, &cmd) == VK_SUCCESS;
    }
    if (ok) {
      auto begin = Info<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
      begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
      vkBeginCommandBuffer(cmd, &begin);
      vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
      if (range.size) {
        vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, range.size, push.data());
      }
      vkCmdDispatch(cmd, grid[0], grid[1], grid[2]);
      vkEndCommandBuffer(cmd);
      auto fci = Info<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
      ok = vkCreateFence(device_, &fci, nullptr, &fence) == VK_SUCCESS;
    }
    if (ok) {
      auto submit = Info<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
      submit.commandBufferCount = 1;
      submit.pCommandBuffers = &cmd;
      ok = vkQueueSubmit(queue_, 1, &submit, fence) == VK_SUCCESS &&
           vkWaitForFences(device_, 1, &fence, VK_TRUE, uint64_t{60} * 1000000000) == VK_SUCCESS;
      if (!ok) *why = "submit or wait failed";
    }
    if (fence) vkDestroyFence(device_, fence, nullptr);
    if (pipeline) vkDestroyPipeline(device_, pipeline, nullptr);
    if (layout) vkDestroyPipelineLayout(device_, layout, nullptr);
    vkDestroyShaderModule(device_, module, nullptr);
    return ok;
  }

 private:
  VulkanDevice() = default;

  bool Init(std::string* why) {
    lib_ = ::dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib_) {
      *why = "no Vulkan loader (libvulkan.so.1)";
      return false;
    }
    auto gipa = reinterpret_cast<PFN_vkGetInstanceProcAddr>(::dlsym(lib_, "vkGetInstanceProcAddr"));
    if (!gipa) {
      *why = "libvulkan.so.1 has no vkGetInstanceProcAddr";
      return false;
    }
    auto create = reinterpret_cast<PFN_vkCreateInstance>(gipa(nullptr, "vkCreateInstance"));
    auto app = Info<VkApplicationInfo>(VK_STRUCTURE_TYPE_APPLICATION_INFO);
    app.apiVersion = VK_API_VERSION_1_2;
    auto ici = Info<VkInstanceCreateInfo>(VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
    ici.pApplicationInfo = &app;
    if (!create || create(&ici, nullptr, &instance_) != VK_SUCCESS) {
      *why = "vkCreateInstance failed (no Vulkan 1.2 driver?)";
      return false;
    }
#define HRT_VK_LOAD(name)                                      \
  name = reinterpret_cast<PFN_##name>(gipa(instance_, #name)); \
  if (!name) {                                                 \
    *why = "missing " #name;                                   \
    return false;                                              \
  }
    HRT_VK_FUNCTIONS(HRT_VK_LOAD)
#undef HRT_VK_LOAD
    uint32_t count = 0;
    vkEnumeratePhysicalDevices(instance_, &count, nullptr);
    std::vector<VkPhysicalDevice> devices(count);
    vkEnumeratePhysicalDevices(instance_, &count, devices.data());
    for (VkPhysicalDevice pd : devices) {
      if (Pick(pd, why)) return true;
    }
    if (why->empty()) *why = "no Vulkan device";
    return false;
  }

  bool Pick(VkPhysicalDevice pd, std::string* why) {
    auto p12 = Info<VkPhysicalDeviceVulkan12Properties>(
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_PROPERTIES);
    auto p11 = Info<VkPhysicalDeviceVulkan11Properties>(
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES);
    p11.pNext = &p12;
    auto props = Info<VkPhysicalDeviceProperties2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2);
    props.pNext = &p11;
    vkGetPhysicalDeviceProperties2(pd, &props);
    if (props.properties.apiVersion < VK_API_VERSION_1_2) {
      *why = std::string(props.properties.deviceName) + " is below Vulkan 1.2";
      return false;
    }
    auto f12 = Info<VkPhysicalDeviceVulkan12Features>(
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES);
    auto f11 = Info<VkPhysicalDeviceVulkan11Features>(
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES);
    f11.pNext = &f12;
    auto feats = Info<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
    feats.pNext = &f11;
    vkGetPhysicalDeviceFeatures2(pd, &feats);
    if (!f12.bufferDeviceAddress || !feats.features.shaderInt64) {
      *why = std::string(props.properties.deviceName) + " lacks bufferDeviceAddress or shaderInt64";
      return false;
    }
    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, nullptr);
    std::vector<VkQueueFamilyProperties> qs(nq);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, qs.data());
    uint32_t family = nq;
    for (uint32_t i = 0; i < nq; ++i) {
      if (qs[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
        family = i;
        break;
      }
    }
    if (family == nq) return false;

    // The device facts the emitter needs.
    const VkPhysicalDeviceLimits& lim = props.properties.limits;
    options_.max_workgroup_invocations =
        std::min(lim.maxComputeWorkGroupInvocations, lim.maxComputeWorkGroupSize[0]);
    options_.max_shared_bytes = lim.maxComputeSharedMemorySize;
    options_.max_push_constant_bytes = lim.maxPushConstantsSize;
    options_.subgroup_size = p11.subgroupSize;
    options_.subgroup_arithmetic =
        (p11.subgroupSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
        (p11.subgroupSupportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT) &&
        (p11.subgroupSupportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
    options_.subgroup_extended_types = f12.shaderSubgroupExtendedTypes;
    options_.storage_buffer_8bit = f12.storageBuffer8BitAccess;
    options_.storage_buffer_16bit = f11.storageBuffer16BitAccess;
    options_.int64_atomics = f12.shaderBufferInt64Atomics;
    options_.rounding_mode_rte_f32 = p12.shaderRoundingModeRTEFloat32;
    options_.denorm_preserve_f32 = p12.shaderDenormPreserveFloat32;
    options_.signed_zero_inf_nan_preserve_f32 = p12.shaderSignedZeroInfNanPreserveFloat32;
    name_ = props.properties.deviceName;

    // Enable exactly what was found.
    auto e12 = Info<VkPhysicalDeviceVulkan12Features>(
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES);
    e12.bufferDeviceAddress = VK_TRUE;
    e12.storageBuffer8BitAccess = f12.storageBuffer8BitAccess;
    e12.shaderSubgroupExtendedTypes = f12.shaderSubgroupExtendedTypes;
    e12.shaderBufferInt64Atomics = f12.shaderBufferInt64Atomics;
    auto e11 = Info<VkPhysicalDeviceVulkan11Features>(
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES);
    e11.storageBuffer16BitAccess = f11.storageBuffer16BitAccess;
    e11.pNext = &e12;
    auto enable = Info<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
    enable.features.shaderInt64 = VK_TRUE;
    enable.pNext = &e11;
    const float priority = 1.0f;
    auto qci = Info<VkDeviceQueueCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
    qci.queueFamilyIndex = family;
    qci.queueCount = 1;
    qci.pQueuePriorities = &priority;
    auto dci = Info<VkDeviceCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
    dci.pNext = &enable;
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    if (vkCreateDevice(pd, &dci, nullptr, &device_) != VK_SUCCESS) {
      *why = "vkCreateDevice failed on " + name_;
      return false;
    }
    vkGetDeviceQueue(device_, family, 0, &queue_);

    auto bci = Info<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
    bci.size = kArena;
    bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
    if (vkCreateBuffer(device_, &bci, nullptr, &buffer_) != VK_SUCCESS) return false;
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device_, buffer_, &req);
    VkPhysicalDeviceMemoryProperties mem;
    vkGetPhysicalDeviceMemoryProperties(pd, &mem);
    const VkMemoryPropertyFlags want =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    uint32_t type = mem.memoryTypeCount;
    for (uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
      if ((req.memoryTypeBits & (1u << i)) && (mem.memoryTypes[i].propertyFlags & want) == want) {
        type = i;
        break;
      }
    }
    if (type == mem.memoryTypeCount) {
      *why = "no host-visible coherent memory on " + name_;
      return false;
    }
    auto flags = Info<VkMemoryAllocateFlagsInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO);
    flags.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT;
    auto mai = Info<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
    mai.pNext = &flags;
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = type;
    if (vkAllocateMemory(device_, &mai, nullptr, &memory_) != VK_SUCCESS ||
        vkBindBufferMemory(device_, buffer_, memory_, 0) != VK_SUCCESS) {
      *why = "buffer allocation failed on " + name_;
      return false;
    }
    void* mapped = nullptr;
    if (vkMapMemory(device_, memory_, 0, VK_WHOLE_SIZE, 0, &mapped) != VK_SUCCESS) return false;
    host_ = static_cast<uint8_t*>(mapped);
    auto bdai = Info<VkBufferDeviceAddressInfo>(VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO);
    bdai.buffer = buffer_;
    address_ = vkGetBufferDeviceAddress(device_, &bdai);
    auto cpci = Info<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
    cpci.queueFamilyIndex = family;
    return vkCreateCommandPool(device_, &cpci, nullptr, &pool_) == VK_SUCCESS;
  }

  void* lib_ = nullptr;
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  uint8_t* host_ = nullptr;
  uint64_t address_ = 0;
  spirv::SpirvOptions options_;
  std::string name_;
#define HRT_VK_MEMBER(name) PFN_##name name = nullptr;
  HRT_VK_FUNCTIONS(HRT_VK_MEMBER)
#undef HRT_VK_MEMBER
};

VulkanDevice* Device(std::string* why) {
  static std::string reason;
  static std::unique_ptr<VulkanDevice> device = [] {
    auto d = VulkanDevice::Open(&reason);
    if (d) {
      const spirv::SpirvOptions& o = d->options();
      std::fprintf(stderr,
                   "Vulkan device: %s (subgroup size %u, arithmetic %d, workgroup memory %u, "
                   "push constants %u)\n",
                   d->name().c_str(), o.subgroup_size, o.subgroup_arithmetic ? 1 : 0,
                   o.max_shared_bytes, o.max_push_constant_bytes);
    }
    return d;
  }();
  *why = reason;
  return device.get();
}

//===----------------------------------------------------------------------===//
// Running one kernel both ways
//===----------------------------------------------------------------------===//

// A tensor argument: raw bytes of any dtype, strided, with a sentinel-filled
// tail so writes outside the view show.
struct Tensor {
  ir::DType dtype = ir::DType::kF32;
  std::vector<int64_t> shape, strides;
  std::vector<uint8_t> bytes;
};

struct Scalar {
  int64_t i = 0;
  double f = 0;
};

struct Arg {
  bool is_tensor = true;
  Tensor t;
  Scalar s;
};

// Row-major with |pad| elements after each row; values from |fill|(i) in
// the view's row-major order (written in the tensor's dtype).
Tensor MakeTensor(ir::DType dtype, std::vector<int64_t> shape, int64_t pad,
                  const std::function<double(int64_t)>& fill) {
  Tensor t;
  t.dtype = dtype;
  t.shape = shape;
  t.strides.assign(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) {
    t.strides[d - 1] = t.strides[d] * shape[d] + (d == shape.size() - 1 ? pad : 0);
  }
  int64_t extent = 1 + pad;
  int64_t numel = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    extent += (shape[d] - 1) * t.strides[d];
    numel *= shape[d];
  }
  const uint32_t es = ir::DTypeSize(dtype);
  t.bytes.assign(static_cast<size_t>(extent) * es, 0xA5);  // sentinel bytes
  for (int64_t i = 0; i < numel; ++i) {
    int64_t off = 0, rest = i;
    for (size_t d = shape.size(); d-- > 0;) {
      off += (rest % shape[d]) * t.strides[d];
      rest /= shape[d];
    }
    uint8_t* p = &t.bytes[static_cast<size_t>(off) * es];
    const double v = fill(i);
    if (ir::IsFloat(dtype)) {
      testing::WriteElem(dtype, p, v);
    } else {
      const int64_t x = ir::WrapToInt(dtype, static_cast<int64_t>(v));
      std::memcpy(p, &x, es);  // little-endian: the low bytes
    }
  }
  return t;
}

double ReadValue(ir::DType t, const uint8_t* p) {
  if (ir::IsFloat(t)) return testing::ReadElem(t, p);
  int64_t v = 0;
  std::memcpy(&v, p, ir::DTypeSize(t));
  const uint32_t bits = 8 * ir::DTypeSize(t);
  if (bits < 64 && ir::IsSignedInt(t) && ((v >> (bits - 1)) & 1)) v |= ~((int64_t{1} << bits) - 1);
  return static_cast<double>(v);
}

// Max allowed |device - reference| for a float output element.
using Tolerance = std::function<double(ir::DType, double reference)>;

double UlpTolerance(ir::DType t, double ref, double ulps) {
  const int bits = t == ir::DType::kF16 ? 10 : t == ir::DType::kBF16 ? 7 : 23;
  const double mag = std::max(std::fabs(ref), t == ir::DType::kF16 ? 6.1e-5 : 1.2e-38);
  return ulps * std::ldexp(1.0, std::ilogb(mag) - bits);
}

// Emits |bk| for the device, runs it and the interpreter on copies of
// |args|, and compares every tensor byte range (views and padding).
void RunAndCompare(const ir::BoundKernel& bk, std::vector<Arg> args, const Tolerance& tol,
                   const std::string& what,
                   const std::function<void(spirv::SpirvOptions*)>& adjust = nullptr) {
  std::string why;
  VulkanDevice* dev = Device(&why);
  ASSERT_NE(dev, nullptr);
  spirv::SpirvOptions options = dev->options();
  if (adjust) adjust(&options);
  auto k = spirv::EmitSpirv(bk, options);
  ASSERT_TRUE(k.ok()) << what << ": " << k.status().message();

  // Reference.
  std::vector<Arg> ref = args;
  std::vector<interp::Arg> iargs;
  for (Arg& a : ref) {
    interp::Arg ia;
    if (a.is_tensor) {
      ia.data = a.t.bytes.empty() ? nullptr : a.t.bytes.data();
      ia.rank = static_cast<uint32_t>(a.t.shape.size());
      for (size_t d = 0; d < a.t.shape.size(); ++d) {
        ia.shape[d] = a.t.shape[d];
        ia.strides[d] = a.t.strides[d];
      }
    } else {
      ia.i = a.s.i;
      ia.f = a.s.f;
    }
    iargs.push_back(ia);
  }
  const Status st = interp::Run(bk, iargs);
  ASSERT_TRUE(st.ok()) << what << ": " << st.message();

  // Device: tensors at 256-byte aligned offsets of the arena.
  std::vector<uint8_t> block(k->args.size, 0);
  size_t at = 0;
  std::vector<size_t> offsets;
  std::vector<int64_t> syms(bk.kernel.shape_syms.size(), 0);
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i].is_tensor) {
      ASSERT_TRUE(
          spirv::WriteScalarArg(k->args, static_cast<uint32_t>(i), args[i].s.i, args[i].s.f, block)
              .ok());
      offsets.push_back(0);
      continue;
    }
    const Tensor& t = args[i].t;
    at = (at + 255) / 256 * 256;
    ASSERT_LE(at + t.bytes.size(), VulkanDevice::kArena);
    if (!t.bytes.empty()) std::memcpy(dev->host() + at, t.bytes.data(), t.bytes.size());
    ASSERT_TRUE(spirv::WriteTensorArg(k->args, static_cast<uint32_t>(i), dev->address() + at,
                                      t.shape, t.strides, block)
                    .ok());
    offsets.push_back(at);
    at += t.bytes.size();
    for (size_t d = 0; d < t.shape.size(); ++d) syms[bk.kernel.params[i].dims[d]] = t.shape[d];
  }
  std::vector<uint8_t> push = block;
  if (k->args.in_buffer) {
    at = (at + 255) / 256 * 256;
    std::memcpy(dev->host() + at, block.data(), block.size());
    const uint64_t address = dev->address() + at;
    push.assign(8, 0);
    std::memcpy(push.data(), &address, 8);
  }
  std::array<uint32_t, 3> grid{1, 1, 1};
  for (size_t g = 0; g < bk.kernel.grid.size(); ++g) {
    auto n = ir::EvalExpr(bk.kernel.grid[g], ir::ExprEnv{bk.tunable_values, syms});
    ASSERT_TRUE(n.ok()) << n.status().message();
    grid[g] = static_cast<uint32_t>(*n);
  }
  if (grid[0] * grid[1] * grid[2] > 0) {
    ASSERT_TRUE(dev->Dispatch(*k, grid, push, &why)) << what << ": " << why;
  }

  // Compare.
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i].is_tensor) continue;
    const Tensor& want = ref[i].t;
    const uint8_t* got = dev->host() + offsets[i];
    const uint32_t es = ir::DTypeSize(want.dtype);
    int bad = 0;
    for (size_t e = 0; e * es < want.bytes.size() && bad < 5; ++e) {
      const uint8_t* w = &want.bytes[e * es];
      const uint8_t* g = got + e * es;
      if (std::memcmp(w, g, es) == 0) continue;
      const double wv = ReadValue(want.dtype, w), gv = ReadValue(want.dtype, g);
      if (ir::IsFloat(want.dtype) && !std::isnan(wv) && std::fabs(gv - wv) <= tol(want.dtype, wv)) {
        continue;
      }
      if (std::isnan(wv) && std::isnan(gv)) continue;
      ++bad;
      ADD_FAILURE() << what << ": tensor " << bk.kernel.params[i].name << " storage element " << e
                    << ": device " << gv << ", interpreter " << wv;
    }
  }
}

#define SKIP_WITHOUT_DEVICE()                                         \
  do {                                                                \
    std::string why_;                                                 \
    if (!Device(&why_)) GTEST_SKIP() << "no Vulkan device: " << why_; \
  } while (0)

Tolerance Exact() {
  return [](ir::DType, double) { return 0.0; };
}

//===----------------------------------------------------------------------===//
// The standard kernels
//===----------------------------------------------------------------------===//

TEST(SpirvLavapipe, VectorAddMatchesTheInterpreterBitForBit) {
  SKIP_WITHOUT_DEVICE();
  for (ir::DType t : {ir::DType::kF32, ir::DType::kF16, ir::DType::kBF16}) {
    for (const char* config : {"BLOCK=64,WARPS=1", "BLOCK=1024,WARPS=4", "BLOCK=512,WARPS=16"}) {
      auto bk = testing::LoadAndBind("vector_add", t, config);
      ASSERT_TRUE(bk.ok()) << bk.status().message();
      testing::Rng rng(7);
      const int64_t n = 1000;  // ragged: the last program is masked
      std::vector<Arg> args(3);
      args[0].t = MakeTensor(t, {n}, 3, [&](int64_t) { return rng.Uniform(-4, 4); });
      args[1].t = MakeTensor(t, {n}, 0, [&](int64_t) { return rng.Uniform(-4, 4); });
      args[2].t = MakeTensor(t, {n}, 5, [](int64_t) { return 0.0; });
      RunAndCompare(*bk, args, Exact(),
                    std::string("vector_add ") + ir::DTypeName(t) + " " + config);
    }
  }
}

TEST(SpirvLavapipe, RmsNormMatchesTheInterpreter) {
  SKIP_WITHOUT_DEVICE();
  std::string why;
  for (ir::DType t : {ir::DType::kF32, ir::DType::kF16, ir::DType::kBF16}) {
    for (const char* config :
         {"BLOCK_N=64,WARPS=1", "BLOCK_N=256,WARPS=2", "BLOCK_N=1024,WARPS=8"}) {
      auto bk = testing::LoadAndBind("rms_norm", t, config);
      ASSERT_TRUE(bk.ok()) << bk.status().message();
      testing::Rng rng(11);
      const int64_t m = 5, n = 700;
      std::vector<Arg> args(4);
      args[0].t = MakeTensor(t, {m, n}, 4, [&](int64_t) { return rng.Uniform(-3, 3); });
      args[1].t = MakeTensor(t, {n}, 0, [&](int64_t) { return rng.Uniform(0.5, 1.5); });
      args[2].t = MakeTensor(t, {m, n}, 2, [](int64_t) { return 0.0; });
      args[3].is_tensor = false;
      args[3].s.f = 1e-5;
      // The sum's order differs and rsqrt is not correctly rounded: a few
      // f32 ulps, one ulp of the narrow types.
      const Tolerance tol = [](ir::DType d, double ref) {
        return UlpTolerance(d, ref, d == ir::DType::kF32 ? 16 : 1);
      };
      RunAndCompare(*bk, args, tol, std::string("rms_norm ") + ir::DTypeName(t) + " " + config);
    }
  }
}

TEST(SpirvLavapipe, RmsNormWithWorkgroupMemoryReductions) {
  // The path for devices without subgroup arithmetic.
  SKIP_WITHOUT_DEVICE();
  for (const char* config : {"BLOCK_N=64,WARPS=1", "BLOCK_N=512,WARPS=3", "BLOCK_N=1024,WARPS=8"}) {
    auto bk = testing::LoadAndBind("rms_norm", ir::DType::kF32, config);
    if (!bk.ok()) continue;  // WARPS=3 is outside the tuning space
    testing::Rng rng(3);
    std::vector<Arg> args(4);
    args[0].t =
        MakeTensor(ir::DType::kF32, {4, 1500}, 0, [&](int64_t) { return rng.Uniform(-2, 2); });
    args[1].t = MakeTensor(ir::DType::kF32, {1500}, 0, [&](int64_t) { return rng.Uniform(0, 2); });
    args[2].t = MakeTensor(ir::DType::kF32, {4, 1500}, 0, [](int64_t) { return 0.0; });
    args[3].is_tensor = false;
    args[3].s.f = 1e-6;
    RunAndCompare(
        *bk, args, [](ir::DType d, double ref) { return UlpTolerance(d, ref, 16); },
        std::string("rms_norm (workgroup reductions) ") + config,
        [](spirv::SpirvOptions* o) { o->subgroup_arithmetic = false; });
  }
}

TEST(SpirvLavapipe, SoftmaxLayerNormAndSiluMulMatchTheInterpreter) {
  SKIP_WITHOUT_DEVICE();
  const Tolerance tol = [](ir::DType d, double ref) {
    // exp is within ~2 ulp, sums reassociate: a few f32 ulps (plus an
    // absolute floor for results near zero), one ulp of the narrow types.
    return d == ir::DType::kF32 ? UlpTolerance(d, ref, 32) + 1e-7 : UlpTolerance(d, ref, 1);
  };
  for (ir::DType t : {ir::DType::kF32, ir::DType::kBF16, ir::DType::kF16}) {
    const std::string dt = ir::DTypeName(t);
    for (const char* config : {"BLOCK_N=64,WARPS=2", "BLOCK_N=512,WARPS=4"}) {
      testing::Rng rng(5);
      const int64_t m = 3, n = 777;
      auto sm = testing::LoadAndBind("softmax", t, config);
      ASSERT_TRUE(sm.ok()) << sm.status().message();
      std::vector<Arg> args(2);
      args[0].t = MakeTensor(t, {m, n}, 1, [&](int64_t) { return rng.Uniform(-8, 8); });
      args[1].t = MakeTensor(t, {m, n}, 0, [](int64_t) { return 0.0; });
      RunAndCompare(*sm, args, tol, "softmax " + dt + " " + config);

      auto ln = testing::LoadAndBind("layer_norm", t, config);
      ASSERT_TRUE(ln.ok()) << ln.status().message();
      std::vector<Arg> largs(5);
      largs[0].t = MakeTensor(t, {m, n}, 0, [&](int64_t) { return rng.Uniform(-3, 5); });
      largs[1].t = MakeTensor(t, {n}, 0, [&](int64_t) { return rng.Uniform(0.5, 1.5); });
      largs[2].t = MakeTensor(t, {n}, 0, [&](int64_t) { return rng.Uniform(-1, 1); });
      largs[3].t = MakeTensor(t, {m, n}, 3, [](int64_t) { return 0.0; });
      largs[4].is_tensor = false;
      largs[4].s.f = 1e-5;
      RunAndCompare(
          *ln, largs, [&](ir::DType d, double ref) { return tol(d, ref) + 4e-7; },
          "layer_norm " + dt + " " + config);
    }
    for (const char* config : {"BLOCK_H=64,WARPS=1", "BLOCK_H=1024,WARPS=8"}) {
      testing::Rng rng(9);
      auto sl = testing::LoadAndBind("silu_mul", t, config);
      ASSERT_TRUE(sl.ok()) << sl.status().message();
      std::vector<Arg> args(3);
      args[0].t = MakeTensor(t, {3, 1100}, 0, [&](int64_t) { return rng.Uniform(-6, 6); });
      args[1].t = MakeTensor(t, {3, 1100}, 2, [&](int64_t) { return rng.Uniform(-2, 2); });
      args[2].t = MakeTensor(t, {3, 1100}, 0, [](int64_t) { return 0.0; });
      RunAndCompare(*sl, args, tol, "silu_mul " + dt + " " + config);
    }
  }
}

TEST(SpirvLavapipe, GemmMatchesTheInterpreter) {
  SKIP_WITHOUT_DEVICE();
  for (ir::DType t : {ir::DType::kF32, ir::DType::kF16, ir::DType::kBF16}) {
    for (const char* config : {"BLOCK_M=16,BLOCK_N=16,BLOCK_K=16,WARPS=1,STAGES=1",
                               "BLOCK_M=32,BLOCK_N=64,BLOCK_K=16,WARPS=2,STAGES=2",
                               "BLOCK_M=64,BLOCK_N=32,BLOCK_K=32,WARPS=4,STAGES=1"}) {
      auto bk = testing::LoadAndBind("gemm", t, config);
      ASSERT_TRUE(bk.ok()) << bk.status().message();
      testing::Rng rng(13);
      const int64_t m = 70, n = 45, k = 53;  // ragged in every dim
      for (bool bias : {true, false}) {
        std::vector<Arg> args(4);
        args[0].t = MakeTensor(t, {m, k}, 1, [&](int64_t) { return rng.Uniform(-1, 1); });
        args[1].t = MakeTensor(t, {k, n}, 0, [&](int64_t) { return rng.Uniform(-1, 1); });
        args[2].t = MakeTensor(t, {bias ? n : 0}, 0, [&](int64_t) { return rng.Uniform(-1, 1); });
        args[3].t = MakeTensor(t, {m, n}, 2, [](int64_t) { return 0.0; });
        // f32: the same products and sums in the same order: bit-exact.
        // Narrow types: the f32 result rounds once, identically.
        const std::string what =
            std::string("gemm ") + ir::DTypeName(t) + " " + config + (bias ? " bias" : " no bias");
        // With the minimum 128 bytes of push constants the 144-byte
        // argument block moves to a buffer.
        RunAndCompare(*bk, args, Exact(), what,
                      [](spirv::SpirvOptions* o) { o->max_push_constant_bytes = 128; });
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Every op code and dtype (the corpus of spirv_emit_test.cc)
//===----------------------------------------------------------------------===//

constexpr const char kCorpus[] = R"tile(
kernel arith<T in {i8, u8, i16, i32, i64, f16, bf16, f32}>(a: tensor<T>[N], b: tensor<T>[N], out: tensor<T>[R, N])
  tunable BLOCK in {32, 64, 128} = 64
  tunable WARPS in {1, 2} = 2
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %x = load a[%offs], mask %m, other 1
  %y = load b[%offs], mask %m, other 1
  %r0 = add %x, %y
  %r1 = sub %x, %y
  %r2 = mul %x, %y
  %r3 = div %x, %y
  %r4 = rem %x, %y
  %r5 = max %x, %y
  %r6 = min %x, %y
  %r7 = neg %x
  %r8 = abs %x
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %k2 = const 2 : i32
  %k3 = const 3 : i32
  %k4 = const 4 : i32
  %k5 = const 5 : i32
  %k6 = const 6 : i32
  %k7 = const 7 : i32
  %k8 = const 8 : i32
  store out[%k0, %offs], %r0, mask %m
  store out[%k1, %offs], %r1, mask %m
  store out[%k2, %offs], %r2, mask %m
  store out[%k3, %offs], %r3, mask %m
  store out[%k4, %offs], %r4, mask %m
  store out[%k5, %offs], %r5, mask %m
  store out[%k6, %offs], %r6, mask %m
  store out[%k7, %offs], %r7, mask %m
  store out[%k8, %offs], %r8, mask %m
}

kernel bits<T in {bool, i8, u8, i16, i32, i64}>(a: tensor<T>[N], b: tensor<T>[N], out: tensor<T>[R, N], c: tensor<bool>[R, N])
  tunable WARPS in {1, 2} = 1
  grid [cdiv(N, 64)]
{
  %pid = program_id 0
  %bs = const 64 : i32
  %base = mul %pid, %bs
  %lane = iota 64
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %x = load a[%offs], mask %m
  %y = load b[%offs], mask %m
  %r0 = and %x, %y
  %r1 = or %x, %y
  %r2 = xor %x, %y
  %r3 = not %x
  %r4 = max %x, %y
  %r5 = min %x, %y
  %c0 = eq %x, %y
  %c1 = ne %x, %y
  %c2 = lt %x, %y
  %c3 = le %x, %y
  %c4 = gt %x, %y
  %c5 = ge %x, %y
  %s = select %c2, %x, %y
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %k2 = const 2 : i32
  %k3 = const 3 : i32
  %k4 = const 4 : i32
  %k5 = const 5 : i32
  %k6 = const 6 : i32
  store out[%k0, %offs], %r0, mask %m
  store out[%k1, %offs], %r1, mask %m
  store out[%k2, %offs], %r2, mask %m
  store out[%k3, %offs], %r3, mask %m
  store out[%k4, %offs], %r4, mask %m
  store out[%k5, %offs], %r5, mask %m
  store out[%k6, %offs], %s, mask %m
  store c[%k0, %offs], %c0, mask %m
  store c[%k1, %offs], %c1, mask %m
  store c[%k2, %offs], %c2, mask %m
  store c[%k3, %offs], %c3, mask %m
  store c[%k4, %offs], %c4, mask %m
  store c[%k5, %offs], %c5, mask %m
}

kernel math<T in {f16, bf16, f32}>(a: tensor<T>[N], out: tensor<T>[R, N], c: tensor<bool>[N])
  tunable WARPS in {1, 4} = 4
  grid [cdiv(N, 128)]
{
  %pid = program_id 0
  %bs = const 128 : i32
  %base = mul %pid, %bs
  %lane = iota 128
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %x = load a[%offs], mask %m, other 1
  %r0 = exp %x
  %r1 = exp2 %x
  %r2 = log %x
  %r3 = sqrt %x
  %r4 = rsqrt %x
  %r5 = tanh %x
  %r6 = sigmoid %x
  %r7 = erf %x
  %h = const 0.5 : T
  %c0 = gt %x, %h
  %r8 = select %c0, %r0, %r1
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %k2 = const 2 : i32
  %k3 = const 3 : i32
  %k4 = const 4 : i32
  %k5 = const 5 : i32
  %k6 = const 6 : i32
  %k7 = const 7 : i32
  %k8 = const 8 : i32
  store out[%k0, %offs], %r0, mask %m
  store out[%k1, %offs], %r1, mask %m
  store out[%k2, %offs], %r2, mask %m
  store out[%k3, %offs], %r3, mask %m
  store out[%k4, %offs], %r4, mask %m
  store out[%k5, %offs], %r5, mask %m
  store out[%k6, %offs], %r6, mask %m
  store out[%k7, %offs], %r7, mask %m
  store out[%k8, %offs], %r8, mask %m
  store c[%offs], %c0, mask %m
}

kernel cast<S in {bool, i8, u8, i16, i32, i64, f16, bf16, f32}, D in {bool, i8, u8, i16, i32, i64, f16, bf16, f32}>(a: tensor<S>[N], out: tensor<D>[N])
  tunable WARPS in {1, 2} = 2
  grid [cdiv(N, 64)]
{
  %pid = program_id 0
  %bs = const 64 : i32
  %base = mul %pid, %bs
  %lane = iota 64
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %x = load a[%offs], mask %m
  %r = cast %x to D
  store out[%offs], %r, mask %m
}

kernel reduce<T in {bool, i8, u8, i16, i32, i64, f16, bf16, f32}>(x: tensor<T>[M, N], s0: tensor<T>[N], s1: tensor<T>[M], t: tensor<T>[K])
  tunable WARPS in {1, 2, 4} = 2
  grid [1]
{
  %r = iota 8
  %c = iota 32
  %r2 = expand_dims %r, 1
  %c2 = expand_dims %c, 0
  %v = load x[%r2, %c2]
  %b0 = reduce_max %v, axis 0
  %b1 = reduce_min %v, axis 1
  store s0[%c], %b0
  store s1[%r], %b1
  %flat = reshape %v to [256]
  %tm = reduce_max %flat, axis 0
  %tn = reduce_min %flat, axis 0
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  store t[%k0], %tm
  store t[%k1], %tn
}

kernel sums<T in {i8, u8, i16, i32, i64, f16, bf16, f32}>(x: tensor<T>[M, N], s0: tensor<T>[N], s1: tensor<T>[M], t: tensor<T>[K])
  tunable WARPS in {1, 2, 4} = 4
  grid [1]
{
  %r = iota 8
  %c = iota 32
  %r2 = expand_dims %r, 1
  %c2 = expand_dims %c, 0
  %v = load x[%r2, %c2]
  %a0 = sum %v, axis 0
  %a1 = sum %v, axis 1
  store s0[%c], %a0
  store s1[%r], %a1
  %flat = reshape %v to [256]
  %ts = sum %flat, axis 0
  %k0 = const 0 : i32
  store t[%k0], %ts
}

kernel shapes<T in {i8, i32, i64, f16, f32}>(x: tensor<T>[M, N], tr: tensor<T>[N, M], fl: tensor<T>[K], bc: tensor<T>[M, N], ex: tensor<T>[M, N], pc: tensor<T>[M], pr: tensor<T>[N])
  tunable WARPS in {1, 3} = 1
  grid [1]
{
  %r = iota 8
  %c = iota 16
  %r2 = expand_dims %r, 1
  %c2 = expand_dims %c, 0
  %x = load x[%r2, %c2]
  %xt = transpose %x, [1, 0]
  %ci = expand_dims %c, 1
  %ri = expand_dims %r, 0
  store tr[%ci, %ri], %xt
  %xf = reshape %x to [128]
  %f = iota 128
  store fl[%f], %xf
  %k0 = const 0 : i32
  %row = load x[%k0, %c]
  %rb = broadcast %row to [8, 16]
  %s1 = add %x, %rb
  store bc[%r2, %c2], %s1
  %col = load x[%r, %k0]
  %ce = expand_dims %col, 1
  %s2 = sub %x, %ce
  %pr = reshape %r2 to [8]
  %pt = transpose %c2, [1, 0]
  %pf = reshape %pt to [16]
  %ps = add %pr, %k0
  store ex[%r2, %c2], %s2
  store pc[%ps], %col
  store pr[%pf], %row
}

kernel atomics<T in {i32, i64, f32}>(x: tensor<T>[N], out: tensor<T>[K], count: tensor<T>[C])
  tunable WARPS in {1, 2} = 2
  grid [cdiv(N, 64)]
{
  %pid = program_id 0
  %bs = const 64 : i32
  %base = mul %pid, %bs
  %lane = iota 64
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %v = load x[%offs], mask %m
  %eight = const 8 : i32
  %idx = rem %offs, %eight
  atomic_add out[%idx], %v, mask %m
  %k0 = const 0 : i32
  %one = const 1 : T
  atomic_add count[%k0], %one
}

kernel loops<T in {i32, f32}>(x: tensor<T>[M, N], out: tensor<T>[M, W], cnt: tensor<i32>[M, C])
  tunable B in {16, 32, 64} = 32
  tunable WARPS in {1, 2} = 1
  grid [M]
{
  %row = program_id 0
  %n = sym N
  %bs = sym B
  %lane = iota B
  %c0 = const 0 : i32
  %c1 = const 1 : i32
  %c3 = const 3 : i32
  %zero = const 0 : T
  %acc0 = broadcast %zero to [B]
  %acc, %cnt, %p, %q = for %off = %c0 to %n step %bs iter(%a = %acc0, %k = %c0, %u = %c0, %w = %c1) {
    %cols = add %lane, %off
    %mask = lt %cols, %n
    %v = load x[%row, %cols], mask %mask, other 0
    %inner = for %j = %c0 to %c3 step %c1 iter(%ai = %a) {
      %a2 = add %ai, %v
      yield %a2
    }
    %k2 = add %k, %c1
    yield %inner, %k2, %w, %u
  }
  store out[%row, %lane], %acc
  store cnt[%row, %c0], %cnt
  store cnt[%row, %c1], %p
  %c2 = const 2 : i32
  store cnt[%row, %c2], %q
}

kernel args(b: bool, i8v: i8, u8v: u8, i16v: i16, i32v: i32, i64v: i64, f16v: f16, bf16v: bf16, f32v: f32, ob: tensor<bool>[K], oi8: tensor<i8>[K], ou8: tensor<u8>[K], oi16: tensor<i16>[K], oi32: tensor<i32>[K], oi64: tensor<i64>[K], of16: tensor<f16>[K], obf16: tensor<bf16>[K], of32: tensor<f32>[K])
  grid [1]
{
  %k0 = const 0 : i32
  %k1 = const 1 : i32
  %a0 = arg b
  %a1 = arg i8v
  %a2 = arg u8v
  %a3 = arg i16v
  %a4 = arg i32v
  %a5 = arg i64v
  %a6 = arg f16v
  %a7 = arg bf16v
  %a8 = arg f32v
  store ob[%k0], %a0
  store oi8[%k0], %a1
  store ou8[%k0], %a2
  store oi16[%k0], %a3
  store oi32[%k0], %a4
  store oi64[%k0], %a5
  store of16[%k0], %a6
  store obf16[%k0], %a7
  store of32[%k0], %a8
  %l = load oi32[%k1], mask %a0, other 3
  %s = add %l, %a4
  store oi32[%k1], %s
}

kernel dots<T in {f16, bf16, f32}>(a: tensor<T>[M, K], b: tensor<T>[K, N], c: tensor<f32>[M, N], d: tensor<f32>[M, N])
  tunable BM in {16, 32} = 32
  tunable BN in {8, 16, 32} = 16
  tunable BK in {8, 16} = 16
  tunable WARPS in {1, 2} = 2
  grid [cdiv(M, BM), cdiv(N, BN)]
{
  %pm = program_id 0
  %pn = program_id 1
  %bm = sym BM
  %bn = sym BN
  %m = sym M
  %n = sym N
  %k = sym K
  %r0 = mul %pm, %bm
  %c0 = mul %pn, %bn
  %ri = iota BM
  %rows = add %ri, %r0
  %ci = iota BN
  %cols = add %ci, %c0
  %ki = iota BK
  %rows2 = expand_dims %rows, 1
  %cols2 = expand_dims %cols, 0
  %ka = expand_dims %ki, 0
  %kb = expand_dims %ki, 1
  %rok = lt %rows2, %m
  %cok = lt %cols2, %n
  %kaok = lt %ka, %k
  %kbok = lt %kb, %k
  %am = and %rok, %kaok
  %bmk = and %kbok, %cok
  %at = load a[%rows2, %ka], mask %am, other 0
  %bt = load b[%kb, %cols2], mask %bmk, other 0
  %p = dot %at, %bt
  %two = const 2 : T
  %a2 = mul %at, %two
  %q = dot %a2, %bt, %p
  %cm = and %rok, %cok
  store c[%rows2, %cols2], %p, mask %cm
  store d[%rows2, %cols2], %q, mask %cm
}
)tile";

ir::DType ParamDType(const ir::BoundKernel& bk, const ir::Param& p) {
  return p.elem.is_param() ? bk.dtype_values[p.elem.param_index()] : p.elem.dtype();
}

// Inputs of every kind: ordinary values, the dtype's extremes, -1 and (for
// floats, unless |plain|) NaN, infinities, signed zeros and subnormals.
// Integers are never 0, so integer division is defined.
double RandomValue(ir::DType t, testing::Rng& rng, bool plain) {
  const uint64_t pick = rng.Next() % 16;
  if (ir::IsFloat(t)) {
    if (!plain && pick < 4) {
      static const double kSpecial[] = {0.0,  -0.0,    INFINITY, -INFINITY, NAN, 1e-40,
                                        6e-8, 65504.0, 1e5,      -2.5,      0.5, 3e38};
      return kSpecial[rng.Next() % (sizeof kSpecial / sizeof kSpecial[0])];
    }
    return rng.Uniform(-4, 4);
  }
  if (t == ir::DType::kBool) return static_cast<double>(rng.Next() % 2);
  int64_t lo = -100, hi = 100;
  switch (t) {
    case ir::DType::kI8: lo = INT8_MIN, hi = INT8_MAX; break;
    case ir::DType::kU8: lo = 1, hi = UINT8_MAX; break;
    case ir::DType::kI16: lo = INT16_MIN, hi = INT16_MAX; break;
    case ir::DType::kI32: lo = INT32_MIN, hi = INT32_MAX; break;
    default: lo = -(int64_t{1} << 62), hi = int64_t{1} << 62; break;
  }
  if (pick < 2) return static_cast<double>(pick == 0 ? lo : hi);
  if (pick < 4 && t != ir::DType::kU8) return -1.0;
  const int64_t small = static_cast<int64_t>(rng.Next() % 200) - 100;
  if (pick < 12) return static_cast<double>(small == 0 ? 7 : std::clamp(small, lo, hi));
  const double v = std::trunc(rng.Uniform(static_cast<double>(lo), static_cast<double>(hi)));
  return v == 0.0 ? 1.0 : v;
}

// Runs corpus kernel |name| with |config|, shape symbols from |syms|.
void RunCorpus(const std::string& name, const std::string& config,
               const std::map<std::string, int64_t>& syms, const Tolerance& tol, bool plain,
               const std::function<void(spirv::SpirvOptions*)>& adjust = nullptr) {
  auto m = ir::ParseModule(kCorpus, "corpus");
  ASSERT_TRUE(m.ok()) << m.status().message();
  const ir::Kernel* k = m->Find(name);
  ASSERT_NE(k, nullptr) << name;
  ir::Config c = ir::DefaultConfig(*k);
  auto over = ir::ParseConfig(config);
  ASSERT_TRUE(over.ok());
  for (const auto& [key, v] : over->entries) c.Set(key, v);
  auto bk = ir::Bind(*k, c);
  ASSERT_TRUE(bk.ok()) << name << " " << config << ": " << bk.status().message();
  testing::Rng rng(std::hash<std::string>{}(name + config));
  std::vector<Arg> args(k->params.size());
  for (size_t i = 0; i < k->params.size(); ++i) {
    const ir::Param& p = k->params[i];
    const ir::DType t = ParamDType(*bk, p);
    if (p.kind == ir::ParamKind::kScalar) {
      args[i].is_tensor = false;
      const double v = RandomValue(t, rng, plain);
      args[i].s.i = ir::IsFloat(t) ? 0 : static_cast<int64_t>(v);
      args[i].s.f = v;
      continue;
    }
    std::vector<int64_t> shape;
    for (uint32_t d = 0; d < p.rank; ++d) shape.push_back(syms.at(k->shape_syms[p.dims[d]]));
    args[i].t = MakeTensor(t, shape, static_cast<int64_t>(i % 3),
                           [&](int64_t) { return RandomValue(t, rng, plain); });
  }
  RunAndCompare(*bk, args, tol, name + " " + bk->config.ToString(), adjust);
}

// Within |ulps| of f32 (plus |abs|), one ulp of f16/bf16 (a result rounded
// twice may land on the neighbour).
Tolerance Ulps(double ulps, double abs = 0) {
  return [=](ir::DType d, double ref) {
    if (std::isinf(ref)) return 0.0;
    return d == ir::DType::kF32 ? UlpTolerance(d, ref, ulps) + abs : UlpTolerance(d, ref, 1) + abs;
  };
}

TEST(SpirvLavapipe, CorpusArithmeticBitsAndCastsAreExact) {
  SKIP_WITHOUT_DEVICE();
  const std::map<std::string, int64_t> syms{{"N", 100}, {"R", 9}};
  for (const char* t : {"i8", "u8", "i16", "i32", "i64", "f16", "bf16", "f32"}) {
    // Float division and fmod may be off by Vulkan's allowance.
    RunCorpus("arith", std::string("T=") + t + ",BLOCK=32,WARPS=1", syms, Ulps(3), false);
  }
  for (const char* t : {"bool", "i8", "u8", "i16", "i32", "i64"}) {
    RunCorpus("bits", std::string("T=") + t, syms, Exact(), false);
  }
  const char* all[] = {"bool", "i8", "u8", "i16", "i32", "i64", "f16", "bf16", "f32"};
  for (const char* s : all) {
    for (const char* d : all) {
      RunCorpus("cast", std::string("S=") + s + ",D=" + d, syms, Exact(), false);
    }
  }
}

TEST(SpirvLavapipe, CorpusMathMatchesWithinItsPrecision) {
  SKIP_WITHOUT_DEVICE();
  const std::map<std::string, int64_t> syms{{"N", 300}, {"R", 9}};
  for (const char* t : {"f16", "bf16", "f32"}) {
    RunCorpus("math", std::string("T=") + t, syms, Ulps(8, 3e-7), false);
  }
}

TEST(SpirvLavapipe, CorpusReductionsShapesLoopsAndArgs) {
  SKIP_WITHOUT_DEVICE();
  const std::map<std::string, int64_t> syms{{"M", 8}, {"N", 32}, {"K", 4}};
  for (const char* t : {"bool", "i8", "u8", "i16", "i32", "i64", "f16", "bf16", "f32"}) {
    for (const char* w : {"1", "4"}) {
      RunCorpus("reduce", std::string("T=") + t + ",WARPS=" + w, syms, Exact(), false);
      RunCorpus("reduce", std::string("T=") + t + ",WARPS=" + w, syms, Exact(), false,
                [](spirv::SpirvOptions* o) { o->subgroup_arithmetic = false; });
    }
  }
  for (const char* t : {"i8", "u8", "i16", "i32", "i64", "f16", "bf16", "f32"}) {
    // Float sums reassociate: |error| <= n * max|x| * 2^-23 with n = 256.
    RunCorpus("sums", std::string("T=") + t, syms, Ulps(4, 256 * 4 * 1.2e-7), true);
  }
  const std::map<std::string, int64_t> shapes{{"M", 8}, {"N", 16}, {"K", 128}};
  for (const char* t : {"i8", "i32", "i64", "f16", "f32"}) {
    for (const char* w : {"1", "3"}) {
      RunCorpus("shapes", std::string("T=") + t + ",WARPS=" + w, shapes, Exact(), false);
    }
  }
  const std::map<std::string, int64_t> loops{{"M", 3}, {"N", 100}, {"W", 64}, {"C", 3}};
  for (const char* t : {"i32", "f32"}) {
    for (const char* b : {"16", "64"}) {
      RunCorpus("loops", std::string("T=") + t + ",B=" + b, loops, Ulps(2), true);
    }
  }
  RunCorpus("args", "", {{"K", 2}}, Exact(), false);
}

TEST(SpirvLavapipe, CorpusDotsAndAtomics) {
  SKIP_WITHOUT_DEVICE();
  const std::map<std::string, int64_t> dims{{"M", 37}, {"N", 29}, {"K", 21}};
  for (const char* t : {"f16", "bf16", "f32"}) {
    for (const char* config : {"BM=16,BN=8,BK=8,WARPS=1", "BM=32,BN=32,BK=16,WARPS=2"}) {
      RunCorpus("dots", std::string("T=") + t + "," + config, dims, Exact(), true);
    }
  }
  const std::map<std::string, int64_t> atom{{"N", 1000}, {"K", 8}, {"C", 2}};
  // Atomic float sums land in any order: 125 values of magnitude <= 4 each.
  for (const char* t : {"i32", "i64", "f32"}) {
    RunCorpus("atomics", std::string("T=") + t, atom, Ulps(4, 125 * 4 * 1.2e-7), true);
  }
}

#else  // !HRT_HAVE_VULKAN_HEADERS

TEST(SpirvLavapipe, Unavailable) {
  GTEST_SKIP() << "built without Vulkan headers (<vulkan/vulkan_core.h>)";
}

#endif

}  // namespace
}  // namespace hrt
