// The verifier: every loader (binary reader, text parser, builder, binder)
// runs it, so nothing downstream sees a malformed kernel.
#pragma once

#include "base/status.h"
#include "codegen/ir/ir.h"

namespace hrt::ir {

inline constexpr uint32_t kMaxLoopDepth = 16;
inline constexpr uint32_t kMaxValues = 1u << 20;

// Checks a kernel: signature (unique names, valid dtypes/ranks/shape symbols),
// tunables (non-empty distinct candidates, default among them), dtype
// parameters, constraints and grid expressions, value types, and the body:
// every value defined exactly once and before use within its scope, every
// op's attributes and operand types valid and its stored result types equal
// to the inferred ones, kFor bodies ending in a matching kYield. Never
// crashes on hostile input; the message names the kernel, the op index and
// mnemonic, and what is wrong.
Status VerifyKernel(const Kernel& kernel);

// Verifies every kernel and checks that kernel names are unique.
Status VerifyModule(const Module& module);

}  // namespace hrt::ir
