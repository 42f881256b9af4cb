// Validation of launch arguments against a kernel's signature, and their
// conversion to the backend-neutral KernelArg.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "runtime/backend.h"
#include "runtime/c_api.h"

namespace hrt::runtime {

// "argument 2 ('out')", for messages.
std::string ArgLabel(const ir::Kernel& kernel, size_t index);

// Checks what can be checked before the config is bound: the argument count;
// tensor parameters get tensors of a valid dtype (equal to the parameter's
// when that is concrete), of the parameter's rank, with sizes >= 0 and a
// non-NULL address aligned to the element size when they have elements;
// scalar parameters get an INT or FLOAT argument.
Status CheckArgs(const ir::Kernel& kernel, std::span<const hrt_arg_t> args);

// Checks everything against the bound kernel, then converts: the count;
// each scalar's kind matches its bound dtype (INT for integers and bool,
// FLOAT for floats) and an integer value is representable in it; tensors
// pass CheckArgs's tensor checks with the bound dtype; dimensions sharing a
// shape symbol have equal sizes. So a launch whose decision is already made
// checks its arguments once, here. (The messages of errors CheckArgs also
// finds may differ from CheckArgs's: report CheckArgs's first.)
// |out| is storage for args.size() elements, each constructed here. Does not
// allocate on success for kernels of at most kMaxFastShapeSyms shape
// symbols.
Status ConvertArgs(const ir::BoundKernel& bound, std::span<const hrt_arg_t> args,
                   std::span<KernelArg> out);

inline constexpr size_t kMaxFastShapeSyms = 32;

}  // namespace hrt::runtime
