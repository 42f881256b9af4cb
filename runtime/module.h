// The module and kernel handles.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codegen/ir/ir.h"
#include "runtime/bound_kernel_cache.h"
#include "runtime/bundle/reader.h"
#include "runtime/c_api.h"
#include "runtime/handle.h"
#include "runtime/launch_memo.h"

struct hrt_kernel_t {
  uint32_t tag = hrt::runtime::kKernelTag;  // must be first; see handle.h
  hrt_module_t* module = nullptr;
  const hrt::ir::Kernel* ir = nullptr;  // points into module->ir
  // Each dtype parameter's candidates as hrt_dtype_t values, for
  // hrt_kernel_get_dtype_param() (the IR stores them as bytes).
  std::vector<std::vector<int32_t>> dtype_candidates;
  hrt::runtime::BoundKernelCache bound;
  // Decisions of earlier launches (launch_memo.h): the fast path.
  hrt::runtime::LaunchMemo memo;
  // Index of the kernel in module->bundle; kNotFromBundle for IR modules.
  uint32_t bundle_kernel = UINT32_MAX;  // hrt::runtime::kNotFromBundle
  // What of the launch's shapes its decision depends on (launch_memo.h):
  // exact sizes when any of the kernel's bundle variants has shape rules
  // (selection then depends on them), else the tuning bucket when the
  // kernel has tunables, else nothing.
  hrt::runtime::MemoShapes memo_shapes = hrt::runtime::MemoShapes::kNone;
  // Compiled by Triton (bundle kernel flag): the IR declares the signature
  // only; the launch gives the grid; only CUDA variants can run it.
  bool triton_abi = false;
  uint32_t scratch_params = 0;
};

struct hrt_module_t {
  uint32_t tag = hrt::runtime::kModuleTag;  // must be first; see handle.h
  hrt_runtime_t* runtime = nullptr;
  hrt::ir::Module ir;                  // never modified after load: kernels point into it
  std::vector<hrt_kernel_t*> kernels;  // allocated with the runtime's allocator
  // Process-unique (never reused): devices key the code they loaded for this
  // module's kernels on it, so a later module at the same address cannot
  // meet stale code.
  uint64_t uid = 0;
  // Modules loaded from a kernel bundle: its bytes (owned) and the validated
  // view over them; variants are selected per device and launch.
  std::vector<uint8_t> bundle_bytes;
  // Prepared launches of its kernels not yet destroyed: the module outlives
  // them (hrt_module_destroy refuses while any is left).
  std::atomic<uint32_t> live_prepared{0};
  std::optional<hrt::bundle::BundleView> bundle;
};

namespace hrt::runtime {

inline constexpr uint32_t kNotFromBundle = UINT32_MAX;

inline Status CheckModule(const hrt_module_t* module) {
  return CheckHandle(module, kModuleTag, "module (hrt_module_t)");
}

inline Status CheckKernel(const hrt_kernel_t* kernel) {
  return CheckHandle(kernel, kKernelTag, "kernel (hrt_kernel_t)");
}

// "kernel 'name'", for messages.
std::string KernelLabel(const hrt_kernel_t& kernel);

}  // namespace hrt::runtime
