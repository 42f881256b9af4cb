// Building bundle entries from tile IR (for `helionrt bundle build` and tests).
#pragma once

#include "codegen/ir/ir.h"
#include "runtime/bundle/bundle.h"

namespace hrt::bundle {

// A kernel entry for |kernel|: its name, its IR (ir::WriteModuleBinary of a
// module holding only this kernel) and its tuning space (every tunable with
// its candidates and default). No variants: the caller adds them.
KernelEntry KernelEntryFromIr(const ir::Kernel& kernel);

}  // namespace hrt::bundle
