#include <string>

#include "codegen/spirv/lowering.h"
#include "codegen/spirv/spec.h"
#include "codegen/spirv/spirv.h"

namespace hrt::spirv {
namespace {

bool IsIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 256) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

}  // namespace

uint32_t WorkgroupSize(const ir::BoundKernel& kernel) {
  for (size_t i = 0; i < kernel.kernel.tunables.size() && i < kernel.tunable_values.size(); ++i) {
    if (kernel.kernel.tunables[i].name != "WARPS") continue;
    const int64_t warps = kernel.tunable_values[i];
    if (warps < 1 || warps > 1024) return 0;
    return static_cast<uint32_t>(32 * warps);
  }
  return 128;
}

std::string CapabilityName(uint32_t capability) {
  switch (capability) {
    case spv::CapabilityShader: return "Shader";
    case spv::CapabilityAddresses: return "Addresses";
    case spv::CapabilityKernel: return "Kernel";
    case spv::CapabilityFloat16: return "Float16";
    case spv::CapabilityInt64: return "Int64";
    case spv::CapabilityInt64Atomics: return "Int64Atomics";
    case spv::CapabilityInt16: return "Int16";
    case spv::CapabilityInt8: return "Int8";
    case spv::CapabilityGroupNonUniform: return "GroupNonUniform";
    case spv::CapabilityGroupNonUniformArithmetic: return "GroupNonUniformArithmetic";
    case spv::CapabilityStorageBuffer16BitAccess: return "StorageBuffer16BitAccess";
    case spv::CapabilityStorageBuffer8BitAccess: return "StorageBuffer8BitAccess";
    case spv::CapabilityDenormPreserve: return "DenormPreserve";
    case spv::CapabilitySignedZeroInfNanPreserve: return "SignedZeroInfNanPreserve";
    case spv::CapabilityRoundingModeRTE: return "RoundingModeRTE";
    case spv::CapabilityPhysicalStorageBufferAddresses: return "PhysicalStorageBufferAddresses";
    case spv::CapabilityAtomicFloat32AddEXT: return "AtomicFloat32AddEXT";
    default: return "Capability" + std::to_string(capability);
  }
}

Result<SpirvKernel> EmitSpirv(const ir::BoundKernel& kernel, const SpirvOptions& options) {
  const ir::Kernel& k = kernel.kernel;
  if (kernel.tunable_values.size() != k.tunables.size() ||
      kernel.dtype_values.size() != k.dtype_params.size()) {
    return InvalidArgument("kernel '" + k.name + "' is not bound to a config");
  }
  const std::string entry = options.entry_name.empty() ? k.name : options.entry_name;
  if (!IsIdentifier(entry)) {
    return InvalidArgument("entry name '" + entry + "' is not an identifier");
  }
  const std::string what = "kernel '" + k.name + "' with " + kernel.config.ToString();
  const uint32_t threads = WorkgroupSize(kernel);
  if (threads == 0 || threads > options.max_workgroup_invocations) {
    return Unsupported(what + " needs " + std::to_string(threads) +
                       " invocations per workgroup; the device allows " +
                       std::to_string(options.max_workgroup_invocations));
  }
  if (!options.shader_int64) {
    return Unsupported("tensor addresses are 64-bit: the device needs the shaderInt64 feature");
  }
  SpirvKernel out;
  out.args = MakeArgLayout(kernel, options.max_push_constant_bytes);
  ModuleBuilder module(spv::kVersion1_5);
  Lowering lowering(kernel, options, out.args, threads, &module);
  Status s = lowering.Run(entry);
  if (!s.ok()) return s.Annotate(what);
  out.workgroup_bytes = lowering.workgroup_bytes();
  if (out.workgroup_bytes > options.max_shared_bytes) {
    return Unsupported(what + " needs " + std::to_string(out.workgroup_bytes) +
                       " bytes of workgroup memory; the device allows " +
                       std::to_string(options.max_shared_bytes));
  }
  out.words = module.Finish();
  out.entry_name = entry;
  out.local_size = {threads, 1, 1};
  out.capabilities = module.capabilities();
  out.extensions = module.extensions();
  return out;
}

}  // namespace hrt::spirv
