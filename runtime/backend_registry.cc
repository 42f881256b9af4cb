// Backends register here. A backend that is not built (or not written yet)
// is simply absent from the table; one whose driver is missing at run time
// enumerates no devices.
#include "runtime/backend_registry.h"

#include "runtime/cuda/cuda_backend.h"
#include "runtime/reference_backend.h"
#include "runtime/vulkan/vulkan_backend.h"

namespace hrt::runtime {

std::span<const BackendFactory* const> RegisteredBackends() {
  static const BackendFactory* const kFactories[] = {
      // GPU backends, best first, then the reference backend.
      &cuda::kCudaBackendFactory,
      &vulkan::kVulkanBackendFactory,
      &kReferenceBackendFactory,
  };
  return kFactories;
}

}  // namespace hrt::runtime
