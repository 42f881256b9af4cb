#include "runtime/bundle/from_ir.h"

#include "codegen/ir/binary.h"

namespace hrt::bundle {

KernelEntry KernelEntryFromIr(const ir::Kernel& kernel) {
  KernelEntry entry;
  entry.name = kernel.name;
  ir::Module module;
  module.kernels.push_back(kernel);
  entry.ir = ir::WriteModuleBinary(module);
  for (const ir::Tunable& t : kernel.tunables) {
    entry.tunables.push_back(TunableSummary{t.name, t.candidates, t.default_value});
  }
  return entry;
}

}  // namespace hrt::bundle
