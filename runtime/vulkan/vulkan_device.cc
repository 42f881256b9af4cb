// Device creation and teardown, the queue's objects, the pipeline cache.
#include "runtime/vulkan/vulkan_device.h"

#if HRT_HAVE_VULKAN

#include <algorithm>
#include <cstring>

#include "runtime/vulkan/vulkan_pipeline_cache.h"

namespace hrt::vulkan {
namespace {

bool SameDevice(const runtime::DeviceDesc& desc, const PhysicalDeviceInfo& info) {
  const select::Fingerprint& a = desc.selection_fingerprint;
  const select::Fingerprint& b = info.desc.selection_fingerprint;
  return desc.uuid == info.desc.uuid && a.vendor_id == b.vendor_id &&
         a.vk.device_id == b.vk.device_id && desc.name == info.desc.name;
}

}  // namespace

Result<std::unique_ptr<VulkanDevice>> VulkanDevice::Create(std::shared_ptr<const Library> library,
                                                           const runtime::DeviceDesc& desc,
                                                           const DeviceOptions& options) {
  if (library == nullptr) return Status(Code::kUnavailable, "no Vulkan loader");
  if (options.device != VK_NULL_HANDLE &&
      (options.instance == VK_NULL_HANDLE || options.queue == VK_NULL_HANDLE)) {
    return InvalidArgument(
        "a borrowed VkDevice needs its VkInstance and a VkQueue (options vulkan_instance, "
        "vulkan_queue)");
  }
  std::unique_ptr<VulkanDevice> d(new VulkanDevice());
  InstanceOptions io;
  io.validation = options.validation;
  io.borrowed = options.instance;
  HRT_ASSIGN_OR_RETURN(d->instance_, Instance::Create(std::move(library), io));
  HRT_RETURN_IF_ERROR(d->Init(desc, options).Annotate("Vulkan device '" + desc.name + "'"));
  return d;
}

Status VulkanDevice::Init(const runtime::DeviceDesc& desc, const DeviceOptions& options) {
  HRT_ASSIGN_OR_RETURN(std::vector<VkPhysicalDevice> devices, instance_->PhysicalDevices());
  bool found = false;
  for (uint32_t i = 0; i < devices.size() && !found; ++i) {
    Result<PhysicalDeviceInfo> info = QueryPhysicalDevice(*instance_, devices[i], i);
    if (info.ok() && SameDevice(desc, *info)) {
      info_ = std::move(*info);
      info_.desc.ordinal = desc.ordinal;
      found = true;
    }
  }
  if (!found) return NotFound("the physical device is not present in this Vulkan instance");
  instance_->api().vkGetPhysicalDeviceMemoryProperties(info_.physical_device, &memory_props_);
  max_push_constant_bytes_ = info_.spirv.max_push_constant_bytes;
  if (options.max_push_constant_bytes != 0) {
    max_push_constant_bytes_ = std::min(max_push_constant_bytes_, options.max_push_constant_bytes);
  }

  const bool borrow =
      options.device != VK_NULL_HANDLE && (options.physical_device == VK_NULL_HANDLE ||
                                           options.physical_device == info_.physical_device);
  if (borrow) {
    device_ = options.device;
    queue_ = options.queue;
    info_.queue_family = options.queue_family;
  } else {
    HRT_RETURN_IF_ERROR(CreateLogicalDevice());
    owns_device_ = true;
  }
  HRT_RETURN_IF_ERROR(ResolveDeviceApi());
  if (!borrow) api_.vkGetDeviceQueue(device_, info_.queue_family, 0, &queue_);
  HRT_RETURN_IF_ERROR(CreateQueueObjects());
  OpenPipelineCache(options.cache_enabled, options.cache_dir);
  return Status::Ok();
}

Status VulkanDevice::CreateLogicalDevice() {
  const EnabledFeatures& e = info_.enable;
  auto atomic_float = Info<VkPhysicalDeviceShaderAtomicFloatFeaturesEXT>(
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_ATOMIC_FLOAT_FEATURES_EXT);
  atomic_float.shaderBufferFloat32AtomicAdd = e.float32_atomic_add;
  auto f12 =
      Info<VkPhysicalDeviceVulkan12Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES);
  f12.pNext = e.float32_atomic_add ? &atomic_float : nullptr;
  f12.bufferDeviceAddress = VK_TRUE;
  f12.storageBuffer8BitAccess = e.storage_buffer_8bit;
  f12.shaderFloat16 = e.shader_float16;
  f12.shaderInt8 = e.shader_int8;
  f12.shaderSubgroupExtendedTypes = e.subgroup_extended_types;
  f12.shaderBufferInt64Atomics = e.int64_atomics;
  auto f11 =
      Info<VkPhysicalDeviceVulkan11Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES);
  f11.pNext = &f12;
  f11.storageBuffer16BitAccess = e.storage_buffer_16bit;
  auto features = Info<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
  features.pNext = &f11;
  features.features.shaderInt64 = VK_TRUE;
  features.features.shaderInt16 = e.shader_int16;

  std::vector<const char*> extensions;
  for (const std::string& ext : e.extensions) extensions.push_back(ext.c_str());
  const float priority = 1.0f;
  auto qci = Info<VkDeviceQueueCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
  qci.queueFamilyIndex = info_.queue_family;
  qci.queueCount = 1;
  qci.pQueuePriorities = &priority;
  auto dci = Info<VkDeviceCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
  dci.pNext = &features;
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  dci.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  dci.ppEnabledExtensionNames = extensions.empty() ? nullptr : extensions.data();
  return VkStatus(instance_->api().vkCreateDevice(info_.physical_device, &dci, nullptr, &device_),
                  "vkCreateDevice");
}

Status VulkanDevice::ResolveDeviceApi() {
  const auto gdpa = instance_->api().vkGetDeviceProcAddr.fn;
  std::string missing;
#define HRT_VK_LOAD_DEVICE(name)                                     \
  api_.name.fn = reinterpret_cast<PFN_##name>(gdpa(device_, #name)); \
  if (!api_.name) missing += std::string(missing.empty() ? "" : ", ") + #name;
  HRT_VK_DEVICE_FUNCTIONS(HRT_VK_LOAD_DEVICE)
#undef HRT_VK_LOAD_DEVICE
  if (!missing.empty()) return Status(Code::kUnavailable, "the driver lacks " + missing);
  return Status::Ok();
}

Status VulkanDevice::CreateQueueObjects() {
  auto cpci = Info<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
  cpci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  cpci.queueFamilyIndex = info_.queue_family;
  HRT_RETURN_IF_ERROR(
      VkStatus(api_.vkCreateCommandPool(device_, &cpci, nullptr, &pool_), "vkCreateCommandPool"));
  auto make_slot = [&](Slot* slot) -> Status {
    auto cbai = Info<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
    cbai.commandPool = pool_;
    cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cbai.commandBufferCount = 1;
    HRT_RETURN_IF_ERROR(VkStatus(api_.vkAllocateCommandBuffers(device_, &cbai, &slot->cmd),
                                 "vkAllocateCommandBuffers"));
    auto fci = Info<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
    return VkStatus(api_.vkCreateFence(device_, &fci, nullptr, &slot->fence), "vkCreateFence");
  };
  for (Slot& slot : ring_) HRT_RETURN_IF_ERROR(make_slot(&slot));
  HRT_RETURN_IF_ERROR(make_slot(&transfer_));
  // Argument blocks that do not fit the push constants go here, written by
  // vkCmdUpdateBuffer in the launch's own command stream.
  HRT_ASSIGN_OR_RETURN(arg_buffer_,
                       CreateBuffer(uint64_t{kArgSlots} * kArgSlotBytes,
                                    VK_BUFFER_USAGE_TRANSFER_DST_BIT, /*host_visible=*/false));
  return Status::Ok();
}

void VulkanDevice::OpenPipelineCache(bool enabled, const std::string& dir) {
  std::vector<uint8_t> initial;
  if (!enabled) {
    pipeline_cache_status_ = "off: the persistent cache is disabled";
  } else {
    cache::StoreOptions so = cache::DefaultStoreOptions();
    so.dir = dir;
    Result<std::unique_ptr<cache::Store>> opened = cache::Store::Open(std::move(so));
    if (!opened.ok()) {
      pipeline_cache_status_ = "off: " + opened.status().message();
    } else {
      store_ = std::move(*opened);
      const select::Fingerprint& fp = info_.desc.selection_fingerprint;
      if (cache::Blob blob = store_->Get(PipelineCacheKey(fp))) {
        const Status header = CheckPipelineCacheHeader(*blob, fp);
        if (header.ok()) {
          initial = *blob;
          pipeline_cache_status_ = "loaded " + std::to_string(initial.size()) + " bytes";
        } else {
          pipeline_cache_status_ = "ignored a stored entry: " + header.message();
        }
      } else {
        pipeline_cache_status_ = "empty: nothing stored yet";
      }
    }
  }
  auto pcci = Info<VkPipelineCacheCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO);
  pcci.initialDataSize = initial.size();
  pcci.pInitialData = initial.empty() ? nullptr : initial.data();
  VkResult r = api_.vkCreatePipelineCache(device_, &pcci, nullptr, &pipeline_cache_);
  if (r != VK_SUCCESS && !initial.empty()) {
    // The header matched but the driver refuses the data: start empty.
    pipeline_cache_status_ = "ignored a stored entry: the driver refused it (" +
                             VkStatus(r, "vkCreatePipelineCache").message() + ")";
    pcci.initialDataSize = 0;
    pcci.pInitialData = nullptr;
    r = api_.vkCreatePipelineCache(device_, &pcci, nullptr, &pipeline_cache_);
  }
  if (r != VK_SUCCESS) {
    pipeline_cache_ = VK_NULL_HANDLE;  // pipelines are then created without one
    pipeline_cache_status_ = "off: " + VkStatus(r, "vkCreatePipelineCache").message();
    store_.reset();
  }
}

Status VulkanDevice::SavePipelineCache() {
  if (store_ == nullptr || pipeline_cache_ == VK_NULL_HANDLE) return Status::Ok();
  size_t size = 0;
  HRT_RETURN_IF_ERROR(
      VkStatus(api_.vkGetPipelineCacheData(device_, pipeline_cache_, &size, nullptr),
               "vkGetPipelineCacheData"));
  std::vector<uint8_t> data(size);
  const VkResult r = api_.vkGetPipelineCacheData(device_, pipeline_cache_, &size, data.data());
  if (r != VK_INCOMPLETE) HRT_RETURN_IF_ERROR(VkStatus(r, "vkGetPipelineCacheData"));
  data.resize(std::min(size, data.size()));
  // Only what the next run would accept is stored.
  HRT_RETURN_IF_ERROR(CheckPipelineCacheHeader(data, info_.desc.selection_fingerprint)
                          .Annotate("the driver's pipeline cache data"));
  return store_->Put(PipelineCacheKey(info_.desc.selection_fingerprint), data);
}

VulkanDevice::~VulkanDevice() {
  if (device_ != VK_NULL_HANDLE && api_.vkDestroyDevice) {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (queue_ != VK_NULL_HANDLE) (void)api_.vkQueueWaitIdle(queue_);
    }
    (void)SavePipelineCache();  // a failed save only costs the next run its compiles
    for (auto& slot : table_) slot.store(nullptr, std::memory_order_relaxed);
    for (auto& e : owned_) DestroyPipeline(e->pipeline.get());
    owned_.clear();
    if (pipeline_cache_ != VK_NULL_HANDLE) {
      api_.vkDestroyPipelineCache(device_, pipeline_cache_, nullptr);
    }
    for (auto& [address, a] : allocations_) {
      api_.vkDestroyBuffer(device_, a.buffer, nullptr);
      api_.vkFreeMemory(device_, a.memory, nullptr);
    }
    allocations_.clear();
    DestroyBuffer(staging_);
    DestroyBuffer(arg_buffer_);
    // Command buffers go with their pool.
    for (Slot& slot : ring_) {
      if (slot.fence != VK_NULL_HANDLE) api_.vkDestroyFence(device_, slot.fence, nullptr);
    }
    if (transfer_.fence != VK_NULL_HANDLE) api_.vkDestroyFence(device_, transfer_.fence, nullptr);
    if (pool_ != VK_NULL_HANDLE) api_.vkDestroyCommandPool(device_, pool_, nullptr);
    if (owns_device_) api_.vkDestroyDevice(device_, nullptr);
  }
  instance_.reset();
}

NativeHandles VulkanDevice::native() const {
  return NativeHandles{instance_->handle(), info_.physical_device, device_, queue_,
                       info_.queue_family};
}

spirv::SpirvOptions VulkanDevice::spirv_options() const {
  spirv::SpirvOptions o = info_.spirv;
  o.max_push_constant_bytes = max_push_constant_bytes_;
  return o;
}

Status VulkanDevice::Synchronize() {
  std::lock_guard<std::mutex> lock(queue_mu_);
  return VkStatus(api_.vkQueueWaitIdle(queue_), "vkQueueWaitIdle");
}

uint64_t VulkanDevice::validation_message_count() const {
  return instance_->log().count();
}

std::vector<std::string> VulkanDevice::validation_messages() const {
  return instance_->log().messages();
}

}  // namespace hrt::vulkan

#endif  // HRT_HAVE_VULKAN
