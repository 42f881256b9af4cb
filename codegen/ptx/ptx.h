// The PTX emitter: lowers a bound tile-IR kernel (all dims constant, all
// dtypes concrete) to PTX text for sm_80 and newer, without LLVM. The CUDA
// backend JIT-compiles the text through the driver; `helionrt compile` writes
// it out. docs/ptx-codegen.md describes the lowering, the launch ABI
// (abi.h) and the numerical behaviour of each op.
//
// Thread-compatible: EmitKernel() keeps no global state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/ptx/abi.h"
#include "codegen/ptx/assume.h"

namespace hrt::ptx {

struct Target {
  uint32_t sm = 80;            // compute capability, major * 10 + minor
  bool arch_specific = false;  // the 'a' variants (sm_90a): .target sm_90a
  // The PTX ISA version written in .version, major * 10 + minor: the highest
  // one the target driver can JIT (8.0 works on CUDA 12.0+ drivers; CUDA 13
  // drivers take 9.0).
  uint32_t ptx_version = 80;
};

// "sm_80", "sm_90a", "90a", "sm_120". kInvalidArgument for anything else.
Result<Target> ParseTarget(std::string_view arch, uint32_t ptx_version = 80);
std::string TargetName(const Target& target);  // "sm_90a"
// The lowest PTX ISA version that can name |target| in .target.
uint32_t MinPtxVersion(const Target& target);

// What the device allows one block; the emitter rejects a config that needs
// more, before anything is JIT-compiled.
struct DeviceLimits {
  uint32_t max_threads_per_block = 1024;
  // Dynamic shared memory a block may opt into (cudaFuncAttribute
  // MaxDynamicSharedMemorySize): 99 KiB on sm_86/89, 163 KiB on sm_80,
  // 227 KiB on sm_90.
  uint32_t max_shared_bytes = 48 * 1024;
  uint32_t max_registers_per_thread = 255;
};

struct EmitOptions {
  Target target;
  DeviceLimits limits;
  std::string entry_name;  // empty: the kernel's name
  // Facts about the arguments the code may rely on (assume.h). The default,
  // none, gives code that runs on any arguments; code emitted under facts
  // must only be launched on arguments that have them.
  Assumptions assume;
};

struct PtxKernel {
  std::string entry_name;
  // The complete module: header (.version/.target/.address_size), module
  // globals (the dynamic shared memory symbol, helper functions), the entry.
  std::string ptx;
  std::string header;
  std::string globals;
  std::string entry;
  uint32_t threads_per_block = 0;
  // Dynamic shared memory the launch must pass (sharedMemBytes); above
  // 48 KiB the launcher must raise the function's maximum first.
  uint32_t shared_bytes = 0;
  // The generator's estimate of live registers per thread (ptxas decides the
  // real count; the estimate guards against hopeless configs).
  uint32_t estimated_registers = 0;
  ParamLayout params;
};

// Lowers |kernel| for |options.target|. Errors: kUnsupported for a target
// below sm_80, a PTX version too old for the target, or a config whose
// threads, shared memory or registers exceed |options.limits| (the message
// says which and by how much); kInvalidArgument for a malformed kernel or an
// entry name that is not a PTX identifier.
Result<PtxKernel> EmitKernel(const ir::BoundKernel& kernel, const EmitOptions& options);

// One module holding several kernels emitted for the same target (distinct
// entry names): one header, the union of their globals, every entry.
Result<std::string> LinkKernels(std::span<const PtxKernel> kernels);

}  // namespace hrt::ptx
