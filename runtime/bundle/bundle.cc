#include "runtime/bundle/bundle.h"

namespace hrt::bundle {

const char* PayloadKindName(PayloadKind kind) {
  switch (kind) {
    case PayloadKind::kCubin: return "cubin";
    case PayloadKind::kPtx: return "ptx";
    case PayloadKind::kHipCodeObject: return "hip-code-object";
    case PayloadKind::kSpirv: return "spirv";
  }
  return "unknown";
}

bool PayloadKindFitsBackend(PayloadKind kind, hrt_backend_t backend) {
  switch (kind) {
    case PayloadKind::kCubin:
    case PayloadKind::kPtx: return backend == HRT_BACKEND_CUDA;
    case PayloadKind::kHipCodeObject: return backend == HRT_BACKEND_HIP;
    case PayloadKind::kSpirv:
      return backend == HRT_BACKEND_VULKAN || backend == HRT_BACKEND_LEVEL_ZERO;
  }
  return false;
}

}  // namespace hrt::bundle
