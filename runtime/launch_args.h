// Validation of launch arguments against a kernel's signature, and the
// fast re-check of a launch whose decision is remembered.
#pragma once

#include <array>
#include <cstdint>
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

// Checks everything against the bound kernel: the count; each scalar's
// kind matches its bound dtype (INT for integers and bool, FLOAT for floats)
// and an integer value is representable in it; tensors pass CheckArgs's
// tensor checks with the bound dtype; dimensions sharing a shape symbol have
// equal sizes. Arguments that pass go to the backend as they are
// (backend.h). (The messages of errors CheckArgs also finds may differ from
// CheckArgs's: report CheckArgs's first.)
Status ValidateArgs(const ir::BoundKernel& bound, std::span<const hrt_arg_t> args);

// ValidateArgs's checks as a compact table, built once per remembered launch
// decision, so a repeated launch runs them without reading the IR (whose
// parameters hold strings and vectors) or building any message.
struct ArgCheckPlan {
  struct Param {
    bool tensor = false;
    uint8_t rank = 0;
    int32_t dtype = 0;                         // tensors: the bound hrt_dtype_t
    uint64_t align_mask = 0;                   // tensors: element size - 1
    int32_t scalar_kind = 0;                   // scalars: HRT_ARG_KIND_INT or _FLOAT
    int64_t min = 0, max = 0;                  // integer scalars: the dtype's range
    std::array<uint8_t, ir::kMaxRank> syms{};  // tensors: shape symbol per dimension
  };
  std::vector<Param> params;
  // False when the kernel has more shape symbols than ArgsPass tracks: every
  // launch then goes through ValidateArgs.
  bool usable = false;
};
inline constexpr size_t kMaxPlannedShapeSyms = 64;

ArgCheckPlan MakeArgCheckPlan(const ir::BoundKernel& bound);

// True when |args| pass every check of ValidateArgs (false also when |plan|
// is not usable); then call ValidateArgs for the message. Never allocates.
bool ArgsPass(const ArgCheckPlan& plan, std::span<const hrt_arg_t> args);

}  // namespace hrt::runtime
