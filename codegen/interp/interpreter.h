// The CPU reference interpreter of the tile IR: the oracle every backend's
// conformance tests compare against. It runs a bound kernel over its whole
// grid, one program instance after another, on host memory.
#pragma once

#include <cstdint>
#include <span>

#include "base/status.h"
#include "codegen/ir/bind.h"

namespace hrt::interp {

// One argument, in the order of the kernel's parameters. Tensors point at host
// memory holding elements of the tensor's bound dtype, with sizes and strides
// in elements (negative strides are allowed). Scalars carry their value in the
// field matching their dtype (integers in i, floats in f).
struct Arg {
  void* data = nullptr;
  uint32_t rank = 0;
  int64_t shape[ir::kMaxRank] = {};
  int64_t strides[ir::kMaxRank] = {};
  int64_t i = 0;
  double f = 0.0;
};

// Runs |kernel| over its grid. Checks the arguments against the signature
// (count, ranks, shape symbols consistent across tensors) before running.
// An unmasked or masked-in access outside a tensor's shape, an integer
// division by zero, or a grid too large to run is an error, not UB.
Status Run(const ir::BoundKernel& kernel, std::span<const Arg> args);

}  // namespace hrt::interp
