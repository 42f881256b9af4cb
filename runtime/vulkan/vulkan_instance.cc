#include "runtime/vulkan/vulkan_instance.h"

#if HRT_HAVE_VULKAN

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace hrt::vulkan {
namespace {

VKAPI_ATTR VkBool32 VKAPI_CALL OnDebugMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                              VkDebugUtilsMessageTypeFlagsEXT /*types*/,
                                              const VkDebugUtilsMessengerCallbackDataEXT* data,
                                              void* user_data) {
  if (user_data == nullptr || data == nullptr) return VK_FALSE;
  const char* level =
      (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ? "error" : "warning";
  std::string text = std::string(level) + ": ";
  if (data->pMessageIdName != nullptr) text += std::string("[") + data->pMessageIdName + "] ";
  if (data->pMessage != nullptr) text += data->pMessage;
  static_cast<ValidationLog*>(user_data)->Add(std::move(text));
  return VK_FALSE;  // never abort the call
}

VkDebugUtilsMessengerCreateInfoEXT MessengerInfo(ValidationLog* log) {
  auto info = Info<VkDebugUtilsMessengerCreateInfoEXT>(
      VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT);
  info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  info.pfnUserCallback = OnDebugMessage;
  info.pUserData = log;
  return info;
}

}  // namespace

bool ValidationRequestedByEnv() {
  const char* v = std::getenv(kValidationEnv);
  if (v == nullptr) return false;
  const std::string_view s(v);
  return s == "1" || s == "true" || s == "on" || s == "yes";
}

std::string Library::LibraryToTry(std::string_view path) {
  if (!path.empty()) return std::string(path);
  if (const char* env = std::getenv(kLoaderEnv); env != nullptr && *env != '\0') return env;
  return kDefaultLoader;
}

Result<std::shared_ptr<const Library>> Library::Open(
    std::string_view path, PFN_vkGetInstanceProcAddr get_instance_proc_addr) {
  std::shared_ptr<Library> lib(new Library());
  if (get_instance_proc_addr != nullptr) {
    lib->gipa_ = get_instance_proc_addr;
    lib->path_ = "(the host engine's vkGetInstanceProcAddr)";
  } else {
    lib->path_ = LibraryToTry(path);
    {
      DriverScope scope;  // the loader's constructors allocate
      lib->handle_ = ::dlopen(lib->path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    }
    if (lib->handle_ == nullptr) {
      const char* err = ::dlerror();
      return Status(Code::kUnavailable, "no Vulkan loader (tried " + lib->path_ + ": " +
                                            (err != nullptr ? err : "dlopen failed") + ")");
    }
    lib->gipa_ =
        reinterpret_cast<PFN_vkGetInstanceProcAddr>(::dlsym(lib->handle_, "vkGetInstanceProcAddr"));
    if (lib->gipa_ == nullptr) {
      return Status(Code::kUnavailable,
                    "the Vulkan loader " + lib->path_ + " has no vkGetInstanceProcAddr");
    }
  }
  PFN_vkGetInstanceProcAddr gipa = lib->gipa_;
#define HRT_VK_LOAD_GLOBAL(name) \
  lib->api_.name.fn = reinterpret_cast<PFN_##name>(gipa(VK_NULL_HANDLE, #name));
  HRT_VK_GLOBAL_FUNCTIONS(HRT_VK_LOAD_GLOBAL)
#undef HRT_VK_LOAD_GLOBAL
  if (!lib->api_.vkCreateInstance) {
    return Status(Code::kUnavailable,
                  "the Vulkan loader " + lib->path_ + " does not resolve vkCreateInstance");
  }
  lib->instance_version_ = VK_API_VERSION_1_0;
  if (lib->api_.vkEnumerateInstanceVersion) {
    uint32_t v = 0;
    if (lib->api_.vkEnumerateInstanceVersion(&v) == VK_SUCCESS) lib->instance_version_ = v;
  }
  return std::shared_ptr<const Library>(std::move(lib));
}

bool Library::HasLayer(const char* name) const {
  if (!api_.vkEnumerateInstanceLayerProperties) return false;
  uint32_t count = 0;
  if (api_.vkEnumerateInstanceLayerProperties(&count, nullptr) != VK_SUCCESS) return false;
  std::vector<VkLayerProperties> layers(count);
  if (api_.vkEnumerateInstanceLayerProperties(&count, layers.data()) < VK_SUCCESS) return false;
  layers.resize(std::min<size_t>(count, layers.size()));
  return std::any_of(layers.begin(), layers.end(), [&](const VkLayerProperties& l) {
    return std::strncmp(l.layerName, name, VK_MAX_EXTENSION_NAME_SIZE) == 0;
  });
}

void ValidationLog::Add(std::string message) {
  count_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  if (messages_.size() < kMaxKept) messages_.push_back(std::move(message));
}

std::vector<std::string> ValidationLog::messages() const {
  std::lock_guard<std::mutex> lock(mu_);
  return messages_;
}

Result<std::unique_ptr<Instance>> Instance::Create(std::shared_ptr<const Library> library,
                                                   const InstanceOptions& options) {
  if (library == nullptr) return InvalidArgument("no Vulkan loader");
  std::unique_ptr<Instance> inst(new Instance());
  inst->library_ = std::move(library);
  const Library& lib = *inst->library_;
  if (lib.instance_version() < VK_API_VERSION_1_1) {
    return Status(Code::kUnavailable, "the Vulkan loader " + lib.path() +
                                          " supports only Vulkan 1.0 (helionrt needs 1.2)");
  }
  const bool validation = options.validation && options.borrowed == VK_NULL_HANDLE;
  if (options.borrowed != VK_NULL_HANDLE) {
    inst->instance_ = options.borrowed;
  } else {
    if (validation && !lib.HasLayer(kValidationLayer)) {
      return Status(Code::kUnavailable, std::string("Vulkan validation requested but ") +
                                            kValidationLayer + " is not installed");
    }
    auto app = Info<VkApplicationInfo>(VK_STRUCTURE_TYPE_APPLICATION_INFO);
    app.pApplicationName = "helionrt";
    app.pEngineName = "helionrt";
    app.apiVersion = VK_API_VERSION_1_3;
    auto ici = Info<VkInstanceCreateInfo>(VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
    ici.pApplicationInfo = &app;
    const char* layers[] = {kValidationLayer};
    const char* extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    // Chained so that instance creation and destruction are validated too.
    VkDebugUtilsMessengerCreateInfoEXT messenger_info = MessengerInfo(inst->log_.get());
    if (validation) {
      ici.enabledLayerCount = 1;
      ici.ppEnabledLayerNames = layers;
      ici.enabledExtensionCount = 1;
      ici.ppEnabledExtensionNames = extensions;
      ici.pNext = &messenger_info;
    }
    HRT_RETURN_IF_ERROR(
        VkStatus(lib.api().vkCreateInstance(&ici, nullptr, &inst->instance_), "vkCreateInstance")
            .Annotate("Vulkan loader " + lib.path()));
    inst->owned_ = true;
  }
  PFN_vkGetInstanceProcAddr gipa = lib.get_instance_proc_addr();
  std::string missing;
#define HRT_VK_LOAD_INSTANCE(name)                                                 \
  inst->api_.name.fn = reinterpret_cast<PFN_##name>(gipa(inst->instance_, #name)); \
  if (!inst->api_.name) missing += std::string(missing.empty() ? "" : ", ") + #name;
  HRT_VK_INSTANCE_FUNCTIONS(HRT_VK_LOAD_INSTANCE)
#undef HRT_VK_LOAD_INSTANCE
  if (!missing.empty()) {
    return Status(Code::kUnavailable, "the Vulkan loader " + lib.path() + " lacks " + missing);
  }
  if (validation) {
    inst->api_.vkCreateDebugUtilsMessengerEXT.fn =
        reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
            gipa(inst->instance_, "vkCreateDebugUtilsMessengerEXT"));
    inst->api_.vkDestroyDebugUtilsMessengerEXT.fn =
        reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            gipa(inst->instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (!inst->api_.vkCreateDebugUtilsMessengerEXT || !inst->api_.vkDestroyDebugUtilsMessengerEXT) {
      return Status(Code::kUnavailable, "validation: VK_EXT_debug_utils entry points missing");
    }
    const VkDebugUtilsMessengerCreateInfoEXT info = MessengerInfo(inst->log_.get());
    HRT_RETURN_IF_ERROR(VkStatus(inst->api_.vkCreateDebugUtilsMessengerEXT(
                                     inst->instance_, &info, nullptr, &inst->messenger_),
                                 "vkCreateDebugUtilsMessengerEXT"));
  }
  return inst;
}

Instance::~Instance() {
  if (messenger_ != VK_NULL_HANDLE) {
    api_.vkDestroyDebugUtilsMessengerEXT(instance_, messenger_, nullptr);
  }
  if (owned_ && instance_ != VK_NULL_HANDLE && api_.vkDestroyInstance) {
    api_.vkDestroyInstance(instance_, nullptr);
  }
}

Result<std::vector<VkPhysicalDevice>> Instance::PhysicalDevices() const {
  uint32_t count = 0;
  HRT_RETURN_IF_ERROR(VkStatus(api_.vkEnumeratePhysicalDevices(instance_, &count, nullptr),
                               "vkEnumeratePhysicalDevices"));
  std::vector<VkPhysicalDevice> devices(count);
  const VkResult r = api_.vkEnumeratePhysicalDevices(instance_, &count, devices.data());
  if (r != VK_INCOMPLETE) HRT_RETURN_IF_ERROR(VkStatus(r, "vkEnumeratePhysicalDevices"));
  devices.resize(std::min<size_t>(count, devices.size()));
  return devices;
}

}  // namespace hrt::vulkan

#endif  // HRT_HAVE_VULKAN
