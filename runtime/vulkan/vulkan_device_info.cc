#include "runtime/vulkan/vulkan_device_info.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

namespace hrt::vulkan {
namespace {

constexpr uint32_t kApi12 = (1u << 22) | (2u << 12);  // VK_API_VERSION_1_2
constexpr uint32_t kApi13 = (1u << 22) | (3u << 12);  // VK_API_VERSION_1_3
constexpr uint32_t kDeviceTypeCpu = 4;                // VK_PHYSICAL_DEVICE_TYPE_CPU

std::string Hex4(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x", v);
  return buf;
}

}  // namespace

Status CheckSupported(const select::Fingerprint& fp) {
  if (fp.backend != HRT_BACKEND_VULKAN) {
    return Unsupported(std::string("not a Vulkan device (backend ") +
                       select::BackendName(fp.backend) + ")");
  }
  std::string missing;
  auto need = [&](bool ok, const char* what) {
    if (!ok) missing += std::string(missing.empty() ? "" : ", ") + what;
  };
  need(fp.vk.api_version >= kApi12,
       ("Vulkan 1.2 (the device has " + select::VulkanApiVersionString(fp.vk.api_version) + ")")
           .c_str());
  need(fp.features & select::kFeatureVkBufferDeviceAddress, "bufferDeviceAddress");
  need(fp.features & select::kFeatureVkInt64, "shaderInt64");
  if (missing.empty()) return Status::Ok();
  return Unsupported("Vulkan device '" + fp.name + "' lacks " + missing +
                     " (helionrt passes tensors as 64-bit buffer device addresses)");
}

std::string ArchName(const select::Fingerprint& fp) {
  const uint32_t v = fp.vk.api_version;
  std::string s =
      "vulkan-" + std::to_string((v >> 22) & 0x7f) + "." + std::to_string((v >> 12) & 0x3ff) + " ";
  if (fp.vk.device_type == kDeviceTypeCpu && !fp.name.empty()) {
    std::string word = fp.name.substr(0, fp.name.find(' '));
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s + word;
  }
  return s + Hex4(fp.vendor_id) + ":" + Hex4(fp.vk.device_id);
}

#if HRT_HAVE_VULKAN

Result<PhysicalDeviceInfo> QueryPhysicalDevice(const Instance& instance, VkPhysicalDevice device,
                                               uint32_t loader_index) {
  const InstanceApi& api = instance.api();
  PhysicalDeviceInfo info;
  info.physical_device = device;
  info.loader_index = loader_index;

  VkPhysicalDeviceProperties base{};
  api.vkGetPhysicalDeviceProperties(device, &base);
  const std::string name(base.deviceName, strnlen(base.deviceName, sizeof base.deviceName));
  if (base.apiVersion < kApi12) {
    return Unsupported("Vulkan device '" + name + "' supports only Vulkan " +
                       select::VulkanApiVersionString(base.apiVersion) + " (helionrt needs 1.2)");
  }

  // Extensions.
  uint32_t ext_count = 0;
  HRT_RETURN_IF_ERROR(
      VkStatus(api.vkEnumerateDeviceExtensionProperties(device, nullptr, &ext_count, nullptr),
               "vkEnumerateDeviceExtensionProperties"));
  std::vector<VkExtensionProperties> exts(ext_count);
  const VkResult er =
      api.vkEnumerateDeviceExtensionProperties(device, nullptr, &ext_count, exts.data());
  if (er != VK_INCOMPLETE) {
    HRT_RETURN_IF_ERROR(VkStatus(er, "vkEnumerateDeviceExtensionProperties"));
  }
  exts.resize(std::min<size_t>(ext_count, exts.size()));
  auto has_ext = [&](const char* ext) {
    return std::any_of(exts.begin(), exts.end(), [&](const VkExtensionProperties& e) {
      return std::strncmp(e.extensionName, ext, VK_MAX_EXTENSION_NAME_SIZE) == 0;
    });
  };
  const bool is13 = base.apiVersion >= kApi13;
  const bool has_size_control = is13 || has_ext("VK_EXT_subgroup_size_control");
  const bool has_atomic_float = has_ext("VK_EXT_shader_atomic_float");

  // Properties.
  auto sizes = Info<VkPhysicalDeviceSubgroupSizeControlProperties>(
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES);
  auto p12 = Info<VkPhysicalDeviceVulkan12Properties>(
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_PROPERTIES);
  p12.pNext = has_size_control ? &sizes : nullptr;
  auto p11 = Info<VkPhysicalDeviceVulkan11Properties>(
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES);
  p11.pNext = &p12;
  auto props = Info<VkPhysicalDeviceProperties2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2);
  props.pNext = &p11;
  api.vkGetPhysicalDeviceProperties2(device, &props);
  const VkPhysicalDeviceLimits& lim = props.properties.limits;

  // Features.
  auto atomic_float = Info<VkPhysicalDeviceShaderAtomicFloatFeaturesEXT>(
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_ATOMIC_FLOAT_FEATURES_EXT);
  auto f12 =
      Info<VkPhysicalDeviceVulkan12Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES);
  f12.pNext = has_atomic_float ? &atomic_float : nullptr;
  auto f11 =
      Info<VkPhysicalDeviceVulkan11Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES);
  f11.pNext = &f12;
  auto feats = Info<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
  feats.pNext = &f11;
  api.vkGetPhysicalDeviceFeatures2(device, &feats);

  // Memory: the largest device-local heap.
  VkPhysicalDeviceMemoryProperties mem{};
  api.vkGetPhysicalDeviceMemoryProperties(device, &mem);
  uint64_t memory_bytes = 0;
  for (uint32_t i = 0; i < mem.memoryHeapCount && i < VK_MAX_MEMORY_HEAPS; ++i) {
    if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) {
      memory_bytes = std::max<uint64_t>(memory_bytes, mem.memoryHeaps[i].size);
    }
  }

  const bool subgroup_arith =
      (p11.subgroupSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
      (p11.subgroupSupportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT) &&
      (p11.subgroupSupportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);

  // The fingerprint.
  select::Fingerprint fp;
  fp.backend = HRT_BACKEND_VULKAN;
  fp.vendor_id = base.vendorID;
  fp.name = name;
  std::memcpy(fp.uuid.data(), p11.deviceUUID, fp.uuid.size());
  fp.max_threads_per_block = lim.maxComputeWorkGroupInvocations;
  fp.smem_per_block = lim.maxComputeSharedMemorySize;
  fp.smem_per_block_optin = lim.maxComputeSharedMemorySize;
  fp.warp_size = p11.subgroupSize;
  fp.memory_bytes = memory_bytes;
  using namespace select;  // NOLINT: the feature bit names
  uint64_t f = 0;
  if (f12.shaderFloat16) f |= kFeatureVkFp16;
  if (f12.shaderInt8) f |= kFeatureVkInt8;
  if (f11.storageBuffer16BitAccess) f |= kFeatureVkStorage16;
  if (f12.storageBuffer8BitAccess) f |= kFeatureVkStorage8;
  if (subgroup_arith) f |= kFeatureVkSubgroupArith;
  if (f12.shaderBufferInt64Atomics) f |= kFeatureVkInt64Atomics;
  if (has_ext("VK_KHR_cooperative_matrix") || has_ext("VK_NV_cooperative_matrix")) {
    f |= kFeatureVkCoopMatrix;
  }
  if (has_ext("VK_KHR_shader_bfloat16")) f |= kFeatureVkBf16;
  if (f12.bufferDeviceAddress) f |= kFeatureVkBufferDeviceAddress;
  if (feats.features.shaderInt64) f |= kFeatureVkInt64;
  if (has_atomic_float && atomic_float.shaderBufferFloat32AtomicAdd) {
    f |= kFeatureVkFloat32AtomicAdd;
  }
  if (f12.shaderSubgroupExtendedTypes) f |= kFeatureVkSubgroupExtendedTypes;
  fp.features = f;
  VulkanFacts& vk = fp.vk;
  vk.device_id = base.deviceID;
  vk.device_type = static_cast<uint32_t>(base.deviceType);
  vk.driver_id = static_cast<uint32_t>(p12.driverID);
  vk.driver_version = base.driverVersion;
  vk.api_version = base.apiVersion;
  std::memcpy(vk.pipeline_cache_uuid.data(), base.pipelineCacheUUID, vk.pipeline_cache_uuid.size());
  if (has_size_control) {
    vk.subgroup_min = sizes.minSubgroupSize;
    vk.subgroup_max = sizes.maxSubgroupSize;
  }
  vk.subgroup_ops = p11.subgroupSupportedOperations;
  vk.max_workgroup_size = {lim.maxComputeWorkGroupSize[0], lim.maxComputeWorkGroupSize[1],
                           lim.maxComputeWorkGroupSize[2]};
  vk.max_push_constants = lim.maxPushConstantsSize;
  HRT_RETURN_IF_ERROR(CheckSupported(fp));

  // A queue family with compute.
  uint32_t family_count = 0;
  api.vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, nullptr);
  std::vector<VkQueueFamilyProperties> families(family_count);
  api.vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, families.data());
  families.resize(std::min<size_t>(family_count, families.size()));
  info.queue_family = static_cast<uint32_t>(families.size());
  for (uint32_t i = 0; i < families.size(); ++i) {
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && families[i].queueCount > 0) {
      info.queue_family = i;
      break;
    }
  }
  if (info.queue_family == families.size()) {
    return Unsupported("Vulkan device '" + name + "' has no compute queue");
  }

  // What to enable, and what the emitter may then use.
  EnabledFeatures& e = info.enable;
  e.storage_buffer_8bit = f12.storageBuffer8BitAccess;
  e.storage_buffer_16bit = f11.storageBuffer16BitAccess;
  e.shader_float16 = f12.shaderFloat16;
  e.shader_int8 = f12.shaderInt8;
  e.shader_int16 = feats.features.shaderInt16;
  e.subgroup_extended_types = f12.shaderSubgroupExtendedTypes;
  e.int64_atomics = f12.shaderBufferInt64Atomics;
  e.float32_atomic_add = has_atomic_float && atomic_float.shaderBufferFloat32AtomicAdd;
  if (e.float32_atomic_add) e.extensions.emplace_back("VK_EXT_shader_atomic_float");
  e.pipeline_creation_feedback = is13 || has_ext("VK_EXT_pipeline_creation_feedback");
  if (!is13 && e.pipeline_creation_feedback) {
    e.extensions.emplace_back("VK_EXT_pipeline_creation_feedback");
  }

  spirv::SpirvOptions& o = info.spirv;
  o.max_workgroup_invocations =
      std::min(lim.maxComputeWorkGroupInvocations, lim.maxComputeWorkGroupSize[0]);
  o.max_shared_bytes = lim.maxComputeSharedMemorySize;
  o.max_push_constant_bytes = lim.maxPushConstantsSize;
  o.subgroup_size = p11.subgroupSize;
  o.min_subgroup_size = vk.subgroup_min;
  o.subgroup_arithmetic = subgroup_arith;
  o.subgroup_extended_types = e.subgroup_extended_types;
  o.shader_int64 = true;
  o.storage_buffer_8bit = e.storage_buffer_8bit;
  o.storage_buffer_16bit = e.storage_buffer_16bit;
  o.int64_atomics = e.int64_atomics;
  o.atomic_float32_add = e.float32_atomic_add;
  o.rounding_mode_rte_f32 = p12.shaderRoundingModeRTEFloat32;
  o.denorm_preserve_f32 = p12.shaderDenormPreserveFloat32;
  o.signed_zero_inf_nan_preserve_f32 = p12.shaderSignedZeroInfNanPreserveFloat32;
  info.max_workgroup_count = {lim.maxComputeWorkGroupCount[0], lim.maxComputeWorkGroupCount[1],
                              lim.maxComputeWorkGroupCount[2]};
  info.is_cpu = base.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;

  runtime::DeviceDesc& desc = info.desc;
  desc.backend = HRT_BACKEND_VULKAN;
  desc.name = name;
  switch (base.vendorID) {
    case 0x10de: desc.vendor = "NVIDIA"; break;
    case 0x1002: desc.vendor = "AMD"; break;
    case 0x8086: desc.vendor = "Intel"; break;
    case 0x13b5: desc.vendor = "ARM"; break;
    case 0x5143: desc.vendor = "Qualcomm"; break;
    case 0x10005: desc.vendor = "Mesa"; break;  // VK_VENDOR_ID_MESA (lavapipe)
    default: desc.vendor = "0x" + Hex4(base.vendorID); break;
  }
  desc.arch = ArchName(fp);
  desc.fingerprint = select::FingerprintToString(fp);
  desc.selection_fingerprint = fp;
  desc.compute_units = 0;  // Vulkan does not report it
  desc.subgroup_size = fp.warp_size;
  desc.memory_bytes = fp.memory_bytes;
  desc.uuid = fp.uuid;
  return info;
}

#endif  // HRT_HAVE_VULKAN

}  // namespace hrt::vulkan
