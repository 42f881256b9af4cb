// The SPIR-V emitter: lowers a bound tile-IR kernel (all dims constant, all
// dtypes concrete) to a SPIR-V binary module for Vulkan compute, without
// glslang or shaderc: GLCompute execution model, PhysicalStorageBuffer64
// addressing (tensors are 64-bit buffer device addresses, as on CUDA), the
// argument block in push constants (abi.h), workgroup memory, subgroup
// arithmetic for reductions. docs/spirv-codegen.md describes the lowering,
// the argument ABI and each op's numerical behaviour.
//
// Thread-compatible: EmitSpirv() keeps no global state.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/spirv/abi.h"

namespace hrt::spirv {

// What the target device offers, read from VkPhysicalDeviceProperties /
// Vulkan11Properties / Features (names in comments). The emitter rejects a
// config needing more, with the reason, before a driver ever sees it.
// Defaults describe a typical desktop Vulkan 1.2 driver (NVIDIA, AMD, Intel,
// Mesa lavapipe) but only the limits Vulkan guarantees.
struct SpirvOptions {
  std::string entry_name;  // empty: the kernel's name

  // Limits.
  uint32_t max_workgroup_invocations = 1024;  // maxComputeWorkGroupInvocations and
                                              // maxComputeWorkGroupSize[0]
  uint32_t max_shared_bytes = 16384;          // maxComputeSharedMemorySize
  uint32_t max_push_constant_bytes = 128;     // maxPushConstantsSize

  // Subgroups (VkPhysicalDeviceSubgroupProperties).
  uint32_t subgroup_size = 32;  // subgroupSize
  // The smallest subgroup size a compute dispatch may get (minSubgroupSize of
  // VK_EXT_subgroup_size_control); 0 means subgroup_size. Bounds the number
  // of per-subgroup partials a reduction keeps in workgroup memory.
  uint32_t min_subgroup_size = 0;
  // supportedStages has COMPUTE and supportedOperations BASIC|ARITHMETIC.
  // False: reductions combine across the workgroup through workgroup memory
  // only (a barrier per halving step).
  bool subgroup_arithmetic = true;
  // shaderSubgroupExtendedTypes: subgroup arithmetic on i64 (without it,
  // i64 reductions take the workgroup-memory path).
  bool subgroup_extended_types = false;

  // Features. shaderInt64 and bufferDeviceAddress are required (tensor
  // addresses are 64-bit). Narrow dtypes are computed in 32-bit registers,
  // so shaderFloat16/shaderInt8/shaderInt16 are not needed; only tensors of
  // them need the storage features.
  bool shader_int64 = true;
  bool storage_buffer_8bit = true;   // storageBuffer8BitAccess: bool/i8/u8 tensors
  bool storage_buffer_16bit = true;  // storageBuffer16BitAccess: f16/bf16/i16 tensors
  bool int64_atomics = false;        // shaderBufferInt64Atomics: i64 atomic_add
  // shaderBufferFloat32AtomicAdd (VK_EXT_shader_atomic_float); without it f32
  // atomic_add is a compare-exchange loop.
  bool atomic_float32_add = false;

  // Float controls (VkPhysicalDeviceFloatControlsProperties): when set, the
  // module requests round-to-nearest-even and denormal preservation for f32
  // and preserved inf/NaN/signed zero, which the interpreter assumes.
  bool rounding_mode_rte_f32 = false;             // shaderRoundingModeRTEFloat32
  bool denorm_preserve_f32 = false;               // shaderDenormPreserveFloat32
  bool signed_zero_inf_nan_preserve_f32 = false;  // shaderSignedZeroInfNanPreserveFloat32
};

struct SpirvKernel {
  std::vector<uint32_t> words;  // the module, SPIR-V 1.5
  std::string entry_name;
  std::array<uint32_t, 3> local_size{};  // workgroup size (x, 1, 1)
  // Workgroup memory the module declares (bytes), for the device's
  // maxComputeSharedMemorySize.
  uint32_t workgroup_bytes = 0;
  ArgLayout args;
  // What the module declares: OpCapability values (spv::Capability) and
  // extension names; the launcher enables the matching device features.
  std::vector<uint32_t> capabilities;
  std::vector<std::string> extensions;
};

// Invocations per workgroup for |kernel|: 32 * WARPS when the kernel has a
// tunable named WARPS (the IR's "warp" is 32 invocations on every target,
// whatever the device's subgroup size), else 128.
uint32_t WorkgroupSize(const ir::BoundKernel& kernel);

// Lowers |kernel| for a device described by |options|. Errors: kUnsupported
// for a config that exceeds the options' limits or needs a feature they lack
// (the message names the limit and the numbers); kInvalidArgument for an
// unbound or malformed kernel or an entry name that is not an identifier.
Result<SpirvKernel> EmitSpirv(const ir::BoundKernel& kernel, const SpirvOptions& options);

// "Shader", "Int64", ... for messages; "Capability<N>" for others.
std::string CapabilityName(uint32_t capability);

}  // namespace hrt::spirv
