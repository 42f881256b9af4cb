// Building bundle entries from tile IR (for `helionrt bundle build` and tests).
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/ir.h"
#include "codegen/ptx/ptx.h"
#include "codegen/spirv/spirv.h"
#include "runtime/bundle/bundle.h"

namespace hrt::bundle {

// A kernel entry for |kernel|: its name, its IR (ir::WriteModuleBinary of a
// module holding only this kernel) and its tuning space (every tunable with
// its candidates and default). No variants: the caller adds them.
KernelEntry KernelEntryFromIr(const ir::Kernel& kernel);

// The config of |bound| as bundle config values: every tunable, then every
// dtype parameter (value: its hrt_dtype_t), in kernel order. Selection
// matches these against the launch's dtypes and fixed tunables.
std::vector<ConfigValue> ConfigValuesOf(const ir::BoundKernel& bound);

// The PTX variant for |emitted|, the emitter's output for |bound|: target
// and ISA from the PTX header (minimum driver: the oldest that JITs that
// ISA), threads and dynamic shared memory from the emitter, registers
// unknown (0). Errors: a PTX header ScanPtxHeader() cannot read.
Result<VariantEntry> PtxVariantOf(const ir::BoundKernel& bound, const ptx::PtxKernel& emitted);

// A PTX variant of |bound| (|kernel| bound to |config|) emitted for
// |options|.target: PTX payload (NUL-terminated), target compute_XY from the
// PTX header with its ISA version, threads and dynamic shared memory from the
// emitter. The entry point is named after the kernel (the runtime looks it
// up by the bundle kernel's name). Errors: those of ir::Bind and
// ptx::EmitKernel (a config outside the space or over the limits).
Result<VariantEntry> PtxVariantFromIr(const ir::Kernel& kernel, const ir::Config& config,
                                      const ptx::EmitOptions& options);

// SPIR-V variants are emitted for this push-constant size, Vulkan's
// guaranteed minimum, whatever the building machine's device allows: the
// argument layout depends on it (spirv::MakeArgLayout), so every device
// launches a bundle's SPIR-V with this value.
inline constexpr uint32_t kBundleSpirvPushConstantBytes = 128;

// The SPIR-V variant of |bound| emitted with |options| (whose
// max_push_constant_bytes is forced to kBundleSpirvPushConstantBytes):
// backend vulkan; required features from what the module declares (device
// addresses and Int64 always; 16/8-bit storage, subgroup arithmetic, atomics
// as used); threads = the workgroup size; workgroup memory as static shared
// memory. The entry point is named after the kernel. Errors: those of
// spirv::EmitSpirv (kUnsupported: over the options' limits).
Result<VariantEntry> SpirvVariantOf(const ir::BoundKernel& bound, spirv::SpirvOptions options);

// A cubin variant made from a PTX variant (as PtxVariantFromIr returned) and
// the cubin ptxas built from its payload for |arch|; |regs_per_thread| and
// |static_smem_bytes| as ptxas reported them (0: unknown).
VariantEntry CubinVariantFromPtx(const VariantEntry& ptx_variant, select::Arch arch,
                                 std::span<const uint8_t> cubin, uint32_t regs_per_thread,
                                 uint32_t static_smem_bytes);

}  // namespace hrt::bundle
