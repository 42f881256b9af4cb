// The Vulkan probe the Vulkan test suites share: every usable device, CPU
// implementations included (the suites are meant to run on lavapipe too),
// unless HELIONRT_VULKAN_DEVICE picks one.
#pragma once

#include "runtime/vulkan/vulkan_backend.h"
#include "runtime/vulkan/vulkan_instance.h"

namespace hrt::vulkan {

inline const Probe& TestProbe() {
  static const Probe probe = [] {
    ProbeOptions options = ProbeOptionsFromEnv();
    options.allow_cpu = true;
    return ProbeVulkan(options);
  }();
  return probe;
}

inline bool ValidationLayerInstalled() {
  const Probe& probe = TestProbe();
  return probe.library != nullptr && probe.library->HasLayer(kValidationLayer);
}

}  // namespace hrt::vulkan
