// What tuning needs to know about a device, made one way for the serving
// tuner (runtime/tuning/serving_tuner.h) and `helionrt tune`: the hard key
// its measurements are stored under, the version of the code generator whose
// output was measured (records of another version are stale), and, for CUDA,
// the emitter options that decide which configs the device can run.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "codegen/ptx/ptx.h"
#include "runtime/c_api.h"
#include "runtime/tuning/records.h"
#include "runtime/tuning/search_space.h"

namespace hrt::tuning {

struct DeviceTuning {
  DeviceKey key;
  std::string codegen_version;
  std::optional<ptx::EmitOptions> emit;  // CUDA devices

  // The search-space check of configs this device cannot run (CUDA: the
  // emitter with the device's limits); empty when every config that binds
  // fits.
  FitsDevice Fits() const;
  // What tells configs apart on launches like |sample_args| (validated
  // arguments; only inspected): CUDA: a hash of the PTX generated for their
  // argument facts, the code the device compiles for them. Empty elsewhere
  // (no configs are merged).
  CodeIdentity Identity(std::span<const hrt_arg_t> sample_args) const;
  // The tunables this device's code generator ignores
  // (SearchSpaceOptions::inert): InertTunables(backend).
  std::vector<std::string> inert;
};

// The tunables whose value a backend's code generator ignores: the PTX
// emitter's switches PRELOAD (codegen/ptx/preload.cc), MIN_BLOCKS and
// WARP_ROLES (codegen/ptx/abi.h) everywhere but CUDA. A launch that leaves
// only these open is not tuned.
std::vector<std::string> InertTunables(hrt_backend_t backend);

// From what hrt_device_get_properties and hrt_device_get_fingerprint report:
// the backend, the arch ("sm_90", "x86_64") and the fingerprint text.
// kCorruptData when a CUDA fingerprint does not parse; kUnsupported when the
// CUDA driver cannot JIT the emitter's PTX.
Result<DeviceTuning> DescribeDeviceForTuning(hrt_backend_t backend, std::string_view arch,
                                             std::string_view fingerprint);

}  // namespace hrt::tuning
