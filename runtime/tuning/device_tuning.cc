#include "runtime/tuning/device_tuning.h"

#include <xxhash.h>

#include "runtime/cuda/cuda_code_key.h"
#include "runtime/cuda/cuda_emit_options.h"
#include "runtime/cuda/cuda_specialize.h"
#include "runtime/reference_backend.h"
#include "runtime/select/arch.h"
#include "runtime/select/fingerprint.h"

namespace hrt::tuning {

FitsDevice DeviceTuning::Fits() const {
  if (!emit) return FitsDevice();
  const ptx::EmitOptions options = *emit;
  return [options](const ir::BoundKernel& b) { return ptx::EmitKernel(b, options).status(); };
}

CodeIdentity DeviceTuning::Identity(std::span<const hrt_arg_t> sample_args) const {
  if (!emit) return CodeIdentity();
  const ptx::EmitOptions options = *emit;
  const std::vector<hrt_arg_t> args(sample_args.begin(), sample_args.end());
  return [options, args](const ir::BoundKernel& b) -> Result<uint64_t> {
    ptx::EmitOptions o = options;
    if (!args.empty()) o.assume = cuda::ArgumentFacts(b, args);
    HRT_ASSIGN_OR_RETURN(const ptx::PtxKernel k, ptx::EmitKernel(b, o));
    // The header names the config; the code is everything after it, and the
    // dynamic shared memory the launch passes.
    uint64_t h = XXH3_64bits_withSeed(k.globals.data(), k.globals.size(), k.shared_bytes);
    return XXH3_64bits_withSeed(k.entry.data(), k.entry.size(), h);
  };
}

std::vector<std::string> InertTunables(hrt_backend_t backend) {
  if (backend == HRT_BACKEND_CUDA) return {};
  return {"PRELOAD", "MIN_BLOCKS", "WARP_ROLES"};
}

Result<DeviceTuning> DescribeDeviceForTuning(hrt_backend_t backend, std::string_view arch,
                                             std::string_view fingerprint) {
  DeviceTuning d;
  d.key.backend = select::BackendName(backend);
  d.inert = InertTunables(backend);
  if (backend == HRT_BACKEND_CUDA) {
    Result<select::Fingerprint> fp = select::ParseFingerprint(fingerprint);
    if (!fp.ok()) return fp.take_status().Annotate("the device's fingerprint");
    HRT_ASSIGN_OR_RETURN(d.emit, cuda::EmitOptionsFor(*fp));
    d.key.arch = select::SmName(fp->arch);
    d.key.driver_version = std::to_string(fp->driver_version);
    d.codegen_version = std::string(cuda::CodegenVersion());
    return d;
  }
  d.key.arch = std::string(arch);
  if (backend == HRT_BACKEND_CPU_REFERENCE) {
    const std::string interp = "interp-" + std::to_string(runtime::kReferenceInterpreterVersion);
    d.key.driver_version = interp;
    d.codegen_version = interp;
  } else {
    d.key.driver_version = std::string(fingerprint);
    d.codegen_version = std::string(select::BackendName(backend)) + "-1";
  }
  return d;
}

}  // namespace hrt::tuning
