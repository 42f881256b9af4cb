#include "runtime/vulkan/vulkan_api.h"

#if HRT_HAVE_VULKAN

#include <string>

namespace hrt::vulkan {

const char* ResultName(VkResult result) {
  switch (result) {
#define HRT_VK_RESULT(name) \
  case name: return #name;
    HRT_VK_RESULT(VK_SUCCESS)
    HRT_VK_RESULT(VK_NOT_READY)
    HRT_VK_RESULT(VK_TIMEOUT)
    HRT_VK_RESULT(VK_INCOMPLETE)
    HRT_VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
    HRT_VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    HRT_VK_RESULT(VK_ERROR_INITIALIZATION_FAILED)
    HRT_VK_RESULT(VK_ERROR_DEVICE_LOST)
    HRT_VK_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
    HRT_VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
    HRT_VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
    HRT_VK_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
    HRT_VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
    HRT_VK_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
    HRT_VK_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
    HRT_VK_RESULT(VK_ERROR_FRAGMENTED_POOL)
    HRT_VK_RESULT(VK_ERROR_UNKNOWN)
    HRT_VK_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
    HRT_VK_RESULT(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    HRT_VK_RESULT(VK_ERROR_FRAGMENTATION)
    HRT_VK_RESULT(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    HRT_VK_RESULT(VK_PIPELINE_COMPILE_REQUIRED)
    HRT_VK_RESULT(VK_ERROR_INVALID_SHADER_NV)
#undef HRT_VK_RESULT
    default: return nullptr;
  }
}

Status VkStatus(VkResult result, std::string_view what) {
  if (result == VK_SUCCESS) return Status::Ok();
  const char* name = ResultName(result);
  std::string text = std::string(what) + ": " +
                     (name != nullptr ? std::string(name) : std::string("VkResult")) + " (" +
                     std::to_string(static_cast<int>(result)) + ")";
  Code code = Code::kDeviceError;
  switch (result) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    case VK_ERROR_OUT_OF_POOL_MEMORY:
    case VK_ERROR_FRAGMENTATION:
    case VK_ERROR_TOO_MANY_OBJECTS: code = Code::kOutOfMemory; break;
    case VK_ERROR_INITIALIZATION_FAILED:
    case VK_ERROR_INCOMPATIBLE_DRIVER:
    case VK_ERROR_LAYER_NOT_PRESENT:
    case VK_ERROR_EXTENSION_NOT_PRESENT:
    case VK_ERROR_FEATURE_NOT_PRESENT: code = Code::kUnavailable; break;
    default: break;
  }
  return Status(code, std::move(text));
}

}  // namespace hrt::vulkan

#endif  // HRT_HAVE_VULKAN
