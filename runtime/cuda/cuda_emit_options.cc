#include "runtime/cuda/cuda_emit_options.h"

#include <algorithm>
#include <string>

namespace hrt::cuda {

Result<ptx::EmitOptions> EmitOptionsFor(const select::Fingerprint& fp) {
  ptx::EmitOptions options;
  options.target.sm = fp.arch.cc();
  // sm_90a gets its arch-specific instructions (wgmma): the PTX is
  // JIT-compiled for this device only, so nothing is lost. Later 'a' archs
  // stay plain until the emitter knows their ISA versions.
  options.target.arch_specific =
      fp.arch.cc() == 90 && fp.arch.variant == select::ArchVariant::kSpecific;
  options.target.ptx_version = std::max<uint32_t>(80, ptx::MinPtxVersion(options.target));
  const uint32_t driver_isa = uint32_t{fp.ptx_isa_max.major} * 10u + fp.ptx_isa_max.minor;
  if (driver_isa < options.target.ptx_version) {
    return Unsupported("the CUDA driver (" + select::DriverVersionString(fp.driver_version) +
                       ") JITs PTX up to ISA " + select::PtxIsaString(fp.ptx_isa_max) + "; " +
                       ptx::TargetName(options.target) + " code needs " +
                       std::to_string(options.target.ptx_version / 10) + "." +
                       std::to_string(options.target.ptx_version % 10));
  }
  options.limits.max_threads_per_block = fp.max_threads_per_block;
  options.limits.max_shared_bytes = fp.smem_per_block_optin;
  return options;
}

}  // namespace hrt::cuda
