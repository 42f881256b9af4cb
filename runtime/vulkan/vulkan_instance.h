// The Vulkan loader (dlopen'ed, never linked) and instances made from it,
// with the optional validation layer and its message log.
#pragma once

#include "runtime/vulkan/vulkan_api.h"

#if HRT_HAVE_VULKAN

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hrt::vulkan {

// The loader dlopen'ed when no override is given.
inline constexpr const char* kDefaultLoader = "libvulkan.so.1";
// Environment variable naming another loader (tests, unusual installs).
inline constexpr const char* kLoaderEnv = "HELIONRT_VULKAN_LOADER";
// "1": every device the backend creates runs under VK_LAYER_KHRONOS_validation.
inline constexpr const char* kValidationEnv = "HELIONRT_VULKAN_VALIDATION";
inline constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

// Whether $HELIONRT_VULKAN_VALIDATION asks for validation ("1", "true", "on").
bool ValidationRequestedByEnv();

// The opened loader and its global entry points. The library stays mapped
// for the life of the process (drivers may keep threads running).
class Library {
 public:
  // Opens |path| (empty: $HELIONRT_VULKAN_LOADER, else libvulkan.so.1), or
  // wraps |get_instance_proc_addr| when the host engine hands in its own
  // loader entry point (then nothing is opened). kUnavailable with the path
  // tried and dlerror() when it cannot be opened or lacks
  // vkGetInstanceProcAddr.
  static Result<std::shared_ptr<const Library>> Open(
      std::string_view path = {}, PFN_vkGetInstanceProcAddr get_instance_proc_addr = nullptr);
  // The library name Open() tries for |path| (applies the override).
  static std::string LibraryToTry(std::string_view path);

  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const GlobalApi& api() const { return api_; }
  PFN_vkGetInstanceProcAddr get_instance_proc_addr() const { return gipa_; }
  const std::string& path() const { return path_; }
  // vkEnumerateInstanceVersion(), or 1.0 when the loader predates it.
  uint32_t instance_version() const { return instance_version_; }
  // Whether the instance layer |name| is installed.
  bool HasLayer(const char* name) const;

 private:
  Library() = default;

  void* handle_ = nullptr;
  PFN_vkGetInstanceProcAddr gipa_ = nullptr;
  GlobalApi api_;
  std::string path_;
  uint32_t instance_version_ = 0;
};

// Messages of the validation layer (warnings and errors), counted and kept.
class ValidationLog {
 public:
  static constexpr size_t kMaxKept = 64;
  void Add(std::string message);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // The first kMaxKept messages.
  std::vector<std::string> messages() const;

 private:
  std::atomic<uint64_t> count_{0};
  mutable std::mutex mu_;
  std::vector<std::string> messages_;  // guarded by mu_
};

struct InstanceOptions {
  // Enable VK_LAYER_KHRONOS_validation and a VK_EXT_debug_utils messenger
  // feeding the instance's ValidationLog. kUnavailable when not installed.
  bool validation = false;
  // The host engine's instance, borrowed (never destroyed here); validation
  // is then the engine's business and |validation| is ignored.
  VkInstance borrowed = VK_NULL_HANDLE;
};

class Instance {
 public:
  // Creates a Vulkan 1.3 (or the loader's newest) instance, or wraps a
  // borrowed one, and resolves the instance-level entry points.
  static Result<std::unique_ptr<Instance>> Create(std::shared_ptr<const Library> library,
                                                  const InstanceOptions& options);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const Library& library() const { return *library_; }
  const std::shared_ptr<const Library>& shared_library() const { return library_; }
  VkInstance handle() const { return instance_; }
  const InstanceApi& api() const { return api_; }
  bool owned() const { return owned_; }
  bool validation() const { return messenger_ != VK_NULL_HANDLE; }
  const ValidationLog& log() const { return *log_; }

  // The physical devices, in the loader's order.
  Result<std::vector<VkPhysicalDevice>> PhysicalDevices() const;

 private:
  Instance() = default;

  std::shared_ptr<const Library> library_;
  VkInstance instance_ = VK_NULL_HANDLE;
  bool owned_ = false;
  InstanceApi api_;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  // Heap-allocated so the messenger's user-data pointer stays valid.
  std::unique_ptr<ValidationLog> log_ = std::make_unique<ValidationLog>();
};

}  // namespace hrt::vulkan

#endif  // HRT_HAVE_VULKAN
