// What a Vulkan physical device offers: its descriptor and fingerprint, the
// features helionrt enables on it, and the SPIR-V emitter options that
// follow. Also the support rule (Vulkan 1.2+, bufferDeviceAddress,
// shaderInt64), written against the fingerprint so that synthetic
// fingerprints are judged the same way as real devices.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/select/fingerprint.h"
#include "runtime/vulkan/vulkan_api.h"

#if HRT_HAVE_VULKAN
#include "codegen/spirv/spirv.h"
#include "runtime/backend.h"
#include "runtime/vulkan/vulkan_instance.h"
#endif

namespace hrt::vulkan {

// Whether a device with fingerprint |fp| can run helionrt's SPIR-V: a Vulkan
// device of API 1.2 or newer with buffer device addresses (vk_bda) and
// 64-bit integers (vk_int64). kUnsupported naming what is missing.
Status CheckSupported(const select::Fingerprint& fp);

// "vulkan-1.3 llvmpipe" (CPU implementations: the name's first word) or
// "vulkan-1.3 10de:2330" (vendor:device).
std::string ArchName(const select::Fingerprint& fp);

#if HRT_HAVE_VULKAN

// The optional features helionrt enables when the device has them.
struct EnabledFeatures {
  bool storage_buffer_8bit = false;
  bool storage_buffer_16bit = false;
  bool shader_float16 = false;
  bool shader_int8 = false;
  bool shader_int16 = false;
  bool subgroup_extended_types = false;
  bool int64_atomics = false;
  bool float32_atomic_add = false;          // VK_EXT_shader_atomic_float
  bool pipeline_creation_feedback = false;  // core 1.3 or VK_EXT_pipeline_creation_feedback
  std::vector<std::string> extensions;      // device extensions to enable
};

struct PhysicalDeviceInfo {
  VkPhysicalDevice physical_device = VK_NULL_HANDLE;
  uint32_t loader_index = 0;  // position in vkEnumeratePhysicalDevices
  runtime::DeviceDesc desc;   // fingerprint included
  uint32_t queue_family = 0;  // the first family with compute
  EnabledFeatures enable;
  spirv::SpirvOptions spirv;  // what the emitter may use with |enable|
  std::array<uint32_t, 3> max_workgroup_count{};
  bool is_cpu = false;
};

// Queries |device| of |instance|. kUnsupported (CheckSupported, or no
// compute queue) for a device helionrt cannot use.
Result<PhysicalDeviceInfo> QueryPhysicalDevice(const Instance& instance, VkPhysicalDevice device,
                                               uint32_t loader_index);

#endif  // HRT_HAVE_VULKAN

}  // namespace hrt::vulkan
