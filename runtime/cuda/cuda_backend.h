// The CUDA backend's entry in the backend registry. The driver is probed
// once per process (dlopen, cuInit, device queries); a missing or unusable
// driver leaves the backend without devices and with a reason that
// `helionrt info` shows.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/backend.h"
#include "runtime/cuda/cuda_device_info.h"
#include "runtime/cuda/cuda_driver.h"

namespace hrt::cuda {

struct Probe {
  std::shared_ptr<const Driver> driver;  // null when unavailable
  std::vector<DeviceInfo> devices;
  // Why there are no devices ("no CUDA driver (tried libcuda.so.1: ...)");
  // empty when the driver loaded and the devices were queried.
  std::string unavailable_reason;
};

// Opens the driver |library| (empty: $HRT_CUDA_LIBRARY, else libcuda.so.1)
// and queries its devices. Never fails: problems become the reason.
Probe ProbeDriver(std::string_view library = {});

// The process-wide probe the registered factory uses, made on first call.
const Probe& SharedProbe();

// SharedProbe().unavailable_reason.
const std::string& UnavailableReason();

extern const runtime::BackendFactory kCudaBackendFactory;

}  // namespace hrt::cuda
