// The module and kernel handles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/ir/ir.h"
#include "runtime/bound_kernel_cache.h"
#include "runtime/c_api.h"
#include "runtime/handle.h"

struct hrt_kernel_t {
  uint32_t tag = hrt::runtime::kKernelTag;  // must be first; see handle.h
  hrt_module_t* module = nullptr;
  const hrt::ir::Kernel* ir = nullptr;  // points into module->ir
  // Each dtype parameter's candidates as hrt_dtype_t values, for
  // hrt_kernel_get_dtype_param() (the IR stores them as bytes).
  std::vector<std::vector<int32_t>> dtype_candidates;
  hrt::runtime::BoundKernelCache bound;
};

struct hrt_module_t {
  uint32_t tag = hrt::runtime::kModuleTag;  // must be first; see handle.h
  hrt_runtime_t* runtime = nullptr;
  hrt::ir::Module ir;                  // never modified after load: kernels point into it
  std::vector<hrt_kernel_t*> kernels;  // allocated with the runtime's allocator
};

namespace hrt::runtime {

inline Status CheckModule(const hrt_module_t* module) {
  return CheckHandle(module, kModuleTag, "module (hrt_module_t)");
}

inline Status CheckKernel(const hrt_kernel_t* kernel) {
  return CheckHandle(kernel, kKernelTag, "kernel (hrt_kernel_t)");
}

// "kernel 'name'", for messages.
std::string KernelLabel(const hrt_kernel_t& kernel);

}  // namespace hrt::runtime
