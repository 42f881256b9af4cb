// The CPU reference backend: one device that runs bound kernels with the
// tile-IR interpreter (codegen/interp), synchronously, on host memory.
#pragma once

#include "runtime/backend.h"

namespace hrt::runtime {

// Bumped when the interpreter's observable behaviour changes, so cached
// results keyed on the fingerprint are not reused across such changes.
inline constexpr int kReferenceInterpreterVersion = 1;

extern const BackendFactory kReferenceBackendFactory;

// "x86_64", "aarch64", ...: the architecture this library was compiled for.
const char* HostArchName();

}  // namespace hrt::runtime
