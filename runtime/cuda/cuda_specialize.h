// Which facts of ptx::Assumptions a launch's arguments have, so generated
// code can be specialized to them (codegen/ptx/assume.h): the CUDA device
// keeps one compiled variant per (bound kernel, facts) and runs each launch
// on the variant of its own facts, the generic one (no facts) included.
#pragma once

#include <span>

#include "codegen/ir/bind.h"
#include "codegen/ptx/assume.h"
#include "runtime/c_api.h"

namespace hrt::cuda {

// The facts |args| (which passed ValidateArgs for |kernel|) have: a tensor
// whose base address is 16-byte aligned, whose last dim has stride 1 and
// whose other strides times its element size are multiples of 16; a shape
// symbol whose size is a multiple of 16; a shape symbol whose loops run one
// trip (1 <= size <= kernel.one_trip_limits). No allocation; a few integer
// tests per tensor dim.
ptx::Assumptions ArgumentFacts(const ir::BoundKernel& kernel, std::span<const hrt_arg_t> args);

}  // namespace hrt::cuda
