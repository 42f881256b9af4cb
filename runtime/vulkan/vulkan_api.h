// The one header of the Vulkan backend that includes the Vulkan headers
// (<vulkan/vulkan_core.h>, declarations only: VK_NO_PROTOTYPES). The loader
// is opened at run time (vulkan_library.h); nothing links libvulkan.
//
// Entry points are listed once in X-macro tables and resolved into structs
// owned by the backend's objects (never process-wide globals):
//   HRT_VK_GLOBAL_FUNCTIONS    vkGetInstanceProcAddr(NULL, ...)
//   HRT_VK_INSTANCE_FUNCTIONS  vkGetInstanceProcAddr(instance, ...), required
//   HRT_VK_DEVICE_FUNCTIONS    vkGetDeviceProcAddr(device, ...), required
//
// Every call into the driver goes through DriverFn, which (under
// AddressSanitizer) turns LeakSanitizer off for the calling thread for the
// duration of the call only: Vulkan drivers (lavapipe's LLVM JIT among them)
// keep allocations reachable only from memory LeakSanitizer cannot scan,
// while helionrt's own allocations stay leak-checked.
#pragma once

#if __has_include(<vulkan/vulkan_core.h>)
#define HRT_HAVE_VULKAN 1
#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan_core.h>
#else
#define HRT_HAVE_VULKAN 0
#endif

#if HRT_HAVE_VULKAN

#include <string>
#include <string_view>

#include "base/status.h"

#if defined(__SANITIZE_ADDRESS__) && __has_include(<sanitizer/lsan_interface.h>)
#include <sanitizer/lsan_interface.h>
#define HRT_VK_LSAN 1
#else
#define HRT_VK_LSAN 0
#endif

namespace hrt::vulkan {

// LeakSanitizer off on this thread while it lives (see the top of the file).
class DriverScope {
 public:
  DriverScope() {
#if HRT_VK_LSAN
    __lsan_disable();
#endif
  }
  ~DriverScope() {
#if HRT_VK_LSAN
    __lsan_enable();
#endif
  }
  DriverScope(const DriverScope&) = delete;
  DriverScope& operator=(const DriverScope&) = delete;
};

// A resolved entry point; calling it runs the driver inside a DriverScope.
template <typename Pfn>
struct DriverFn;
template <typename R, typename... A>
struct DriverFn<R (*)(A...)> {
  R (*fn)(A...) = nullptr;
  R operator()(A... args) const {
    DriverScope scope;
    return fn(args...);
  }
  explicit operator bool() const { return fn != nullptr; }
};

#define HRT_VK_GLOBAL_FUNCTIONS(X)      \
  X(vkCreateInstance)                   \
  X(vkEnumerateInstanceVersion)         \
  X(vkEnumerateInstanceLayerProperties) \
  X(vkEnumerateInstanceExtensionProperties)

#define HRT_VK_INSTANCE_FUNCTIONS(X)          \
  X(vkDestroyInstance)                        \
  X(vkEnumeratePhysicalDevices)               \
  X(vkGetPhysicalDeviceProperties)            \
  X(vkGetPhysicalDeviceProperties2)           \
  X(vkGetPhysicalDeviceFeatures2)             \
  X(vkGetPhysicalDeviceQueueFamilyProperties) \
  X(vkGetPhysicalDeviceMemoryProperties)      \
  X(vkEnumerateDeviceExtensionProperties)     \
  X(vkCreateDevice)                           \
  X(vkGetDeviceProcAddr)

#define HRT_VK_DEVICE_FUNCTIONS(X) \
  X(vkDestroyDevice)               \
  X(vkGetDeviceQueue)              \
  X(vkDeviceWaitIdle)              \
  X(vkQueueSubmit)                 \
  X(vkQueueWaitIdle)               \
  X(vkCreateBuffer)                \
  X(vkDestroyBuffer)               \
  X(vkGetBufferMemoryRequirements) \
  X(vkAllocateMemory)              \
  X(vkFreeMemory)                  \
  X(vkBindBufferMemory)            \
  X(vkMapMemory)                   \
  X(vkUnmapMemory)                 \
  X(vkGetBufferDeviceAddress)      \
  X(vkCreateShaderModule)          \
  X(vkDestroyShaderModule)         \
  X(vkCreatePipelineLayout)        \
  X(vkDestroyPipelineLayout)       \
  X(vkCreateComputePipelines)      \
  X(vkDestroyPipeline)             \
  X(vkCreatePipelineCache)         \
  X(vkDestroyPipelineCache)        \
  X(vkGetPipelineCacheData)        \
  X(vkCreateCommandPool)           \
  X(vkDestroyCommandPool)          \
  X(vkAllocateCommandBuffers)      \
  X(vkResetCommandBuffer)          \
  X(vkBeginCommandBuffer)          \
  X(vkEndCommandBuffer)            \
  X(vkCmdBindPipeline)             \
  X(vkCmdPushConstants)            \
  X(vkCmdDispatch)                 \
  X(vkCmdPipelineBarrier)          \
  X(vkCmdUpdateBuffer)             \
  X(vkCmdCopyBuffer)               \
  X(vkCreateFence)                 \
  X(vkDestroyFence)                \
  X(vkResetFences)                 \
  X(vkWaitForFences)               \
  X(vkGetFenceStatus)              \
  X(vkFreeCommandBuffers)          \
  X(vkCreateQueryPool)             \
  X(vkDestroyQueryPool)            \
  X(vkCmdResetQueryPool)           \
  X(vkCmdWriteTimestamp)           \
  X(vkGetQueryPoolResults)

#define HRT_VK_DECLARE_MEMBER(name) DriverFn<PFN_##name> name;

struct GlobalApi {
  HRT_VK_GLOBAL_FUNCTIONS(HRT_VK_DECLARE_MEMBER)
};
struct InstanceApi {
  HRT_VK_INSTANCE_FUNCTIONS(HRT_VK_DECLARE_MEMBER)
  // VK_EXT_debug_utils, present only when validation is on.
  DriverFn<PFN_vkCreateDebugUtilsMessengerEXT> vkCreateDebugUtilsMessengerEXT;
  DriverFn<PFN_vkDestroyDebugUtilsMessengerEXT> vkDestroyDebugUtilsMessengerEXT;
};
struct DeviceApi {
  HRT_VK_DEVICE_FUNCTIONS(HRT_VK_DECLARE_MEMBER)
};

// A zeroed Vulkan info struct with its sType.
template <typename T>
T Info(VkStructureType type) {
  T t{};
  t.sType = type;
  return t;
}

// "VK_ERROR_OUT_OF_DEVICE_MEMORY"; "VkResult(<n>)" for others.
const char* ResultName(VkResult result);

// The one place a VkResult becomes a Status: OK for VK_SUCCESS, else
// "<what>: VK_ERROR_X (<n>)" with a code chosen by the error (out of memory,
// unavailable for a missing driver or feature, device error otherwise).
Status VkStatus(VkResult result, std::string_view what);

}  // namespace hrt::vulkan

#endif  // HRT_HAVE_VULKAN
