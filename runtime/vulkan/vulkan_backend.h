// The Vulkan backend's entry in the backend registry, and what tests and
// tools may ask of its devices. Includes no Vulkan header (the registry
// includes this file).
//
// The loader is probed once per process (dlopen, a short-lived instance,
// physical device queries); a missing loader or no usable device leaves the
// backend without devices and with a reason. docs/vulkan-backend.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/backend.h"

namespace hrt::vulkan {

class Library;
class VulkanDevice;

// HELIONRT_VULKAN_DEVICE: a physical device index (the loader's order) or a
// deviceUUID (32 hex digits, dashes allowed); only that device is listed,
// even a CPU implementation.
inline constexpr const char* kDeviceEnv = "HELIONRT_VULKAN_DEVICE";
// HELIONRT_VULKAN_CPU=0: leave CPU implementations (lavapipe, SwiftShader)
// out. By default they are listed, after every GPU.
inline constexpr const char* kCpuEnv = "HELIONRT_VULKAN_CPU";

struct ProbeOptions {
  std::string loader;     // empty: $HELIONRT_VULKAN_LOADER, else libvulkan.so.1
  std::string select;     // kDeviceEnv's value; empty: every usable device
  bool allow_cpu = true;  // kCpuEnv
  // Where |select| came from, for messages.
  std::string select_source = kDeviceEnv;
};
// The options the environment asks for.
ProbeOptions ProbeOptionsFromEnv();

struct Probe {
  std::shared_ptr<const Library> library;  // null when there is no loader
  // Usable devices, GPUs first, then CPU implementations (each group in the
  // loader's order); ordinal = index here.
  std::vector<runtime::DeviceDesc> devices;
  // "<name>: <why>" for each physical device left out.
  std::vector<std::string> skipped;
  // Why there are no devices; empty when there are.
  std::string unavailable_reason;
};

// Opens the loader and lists its devices. Never fails: problems become the
// reason.
Probe ProbeVulkan(const ProbeOptions& options);

// The process-wide probe the registered factory uses (ProbeOptionsFromEnv()),
// made on first call.
const Probe& SharedProbe();

// Checks a device selection (|value| of |source|: an index, a deviceUUID or
// empty); kInvalidArgument naming |source| otherwise. Needs no loader.
Status CheckDeviceSelection(const std::string& value, const std::string& source);

// The probe for runtime |options|: SharedProbe() unless
// options.vulkan_device_select is set, else one probe per distinct value,
// made on first use and kept for the process (the factory's create must find
// the devices its enumerate listed).
const Probe& ProbeFor(const runtime::DeviceCreateOptions& options);

// Creates device |desc| of |probe| as the factory does.
Result<runtime::Device*> CreateDevice(const Probe& probe, const runtime::DeviceDesc& desc,
                                      const runtime::DeviceCreateOptions& options);

extern const runtime::BackendFactory kVulkanBackendFactory;

// What a runtime::Device made by this backend holds; null for other devices.
VulkanDevice* AsVulkanDevice(runtime::Device* device);

// Messages of the validation layer on |device| (HELIONRT_VULKAN_VALIDATION=1
// or DeviceCreateOptions::vulkan_validation): how many (warnings and errors),
// and the first ones' text. 0 / empty for devices without validation.
uint64_t ValidationMessageCount(runtime::Device* device);
std::vector<std::string> ValidationMessages(runtime::Device* device);
// Whether |device| runs under the validation layer.
bool ValidationEnabled(runtime::Device* device);
// What happened to the stored VkPipelineCache when |device| was created
// (VulkanDevice::pipeline_cache_status()).
std::string PipelineCacheStatus(runtime::Device* device);

}  // namespace hrt::vulkan
