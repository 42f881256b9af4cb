// The PTX emitter's options for a CUDA device, from its fingerprint alone,
// so the backend (CudaDevice::EmitOptions) and the tuners that check which
// configs a device can run (runtime/tuning/device_tuning.h) agree.
#pragma once

#include "base/status.h"
#include "codegen/ptx/ptx.h"
#include "runtime/select/fingerprint.h"

namespace hrt::cuda {

// The target of |fp|'s arch (sm_90a keeps its "a": wgmma; other archs are
// plain), the emitter's baseline
// ISA (or the oldest that names the target, if newer), and the device's own
// limits (threads per block, opt-in shared memory). kUnsupported when the
// driver cannot JIT that ISA.
Result<ptx::EmitOptions> EmitOptionsFor(const select::Fingerprint& fp);

}  // namespace hrt::cuda
