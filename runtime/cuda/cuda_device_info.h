// Discovery of CUDA devices: what the driver reports for each, as the
// selection fingerprint (runtime/select/fingerprint.h) and the runtime's
// DeviceDesc. Creates no contexts.
#pragma once

#include <vector>

#include "base/status.h"
#include "runtime/backend.h"
#include "runtime/cuda/cuda_driver.h"
#include "runtime/select/fingerprint.h"

namespace hrt::cuda {

struct DeviceInfo {
  int ordinal = 0;
  CUdevice device = 0;
  select::Fingerprint fingerprint;
  runtime::DeviceDesc desc;
};

// The architecture a device of compute capability major.minor accepts most
// specifically: CC 9.0 and newer run arch-specific ('a') code built for
// exactly their CC (sm_90a, sm_100a, sm_120a...), older ones plain code only.
select::Arch ArchForComputeCapability(int major, int minor);

// Queries device |ordinal| (0-based, below cuDeviceGetCount()).
Result<DeviceInfo> QueryDevice(const Driver& driver, int ordinal);

// Every device the driver reports, in ordinal order.
Result<std::vector<DeviceInfo>> QueryDevices(const Driver& driver);

}  // namespace hrt::cuda
