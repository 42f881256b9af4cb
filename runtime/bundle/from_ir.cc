#include "runtime/bundle/from_ir.h"

#include "codegen/ir/binary.h"
#include "codegen/spirv/spec.h"
#include "runtime/select/fingerprint.h"
#include "runtime/bundle/ptx_header.h"

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

std::vector<ConfigValue> ConfigValuesOf(const ir::BoundKernel& bound) {
  std::vector<ConfigValue> out;
  for (size_t i = 0; i < bound.kernel.tunables.size(); ++i) {
    out.push_back({bound.kernel.tunables[i].name, bound.tunable_values[i]});
  }
  for (size_t i = 0; i < bound.kernel.dtype_params.size(); ++i) {
    out.push_back({bound.kernel.dtype_params[i].name, static_cast<int64_t>(bound.dtype_values[i])});
  }
  return out;
}

Result<VariantEntry> PtxVariantOf(const ir::BoundKernel& bound, const ptx::PtxKernel& emitted) {
  HRT_ASSIGN_OR_RETURN(const PtxHeader header, ScanPtxHeader(emitted.ptx));
  VariantEntry v;
  v.target.backend = HRT_BACKEND_CUDA;
  v.target.arch = header.target;
  v.target.min_ptx_isa = header.version;
  v.target.min_driver_version = select::MinDriverForPtxIsa(header.version);
  v.config = ConfigValuesOf(bound);
  v.resources.threads_per_block = emitted.threads_per_block;
  v.resources.dynamic_smem_bytes = emitted.shared_bytes;
  v.payload_kind = PayloadKind::kPtx;
  v.payload.assign(emitted.ptx.begin(), emitted.ptx.end());
  v.payload.push_back('\0');
  return v;
}

Result<VariantEntry> PtxVariantFromIr(const ir::Kernel& kernel, const ir::Config& config,
                                      const ptx::EmitOptions& options) {
  // Bind() takes every value from |config|: fill the defaults it leaves out.
  ir::Config full = ir::DefaultConfig(kernel);
  for (const auto& [name, value] : config.entries) full.Set(name, value);
  HRT_ASSIGN_OR_RETURN(const ir::BoundKernel bound, ir::Bind(kernel, full));
  ptx::EmitOptions emit = options;
  emit.entry_name = kernel.name;
  HRT_ASSIGN_OR_RETURN(const ptx::PtxKernel ptx, ptx::EmitKernel(bound, emit));
  return PtxVariantOf(bound, ptx);
}

Result<VariantEntry> SpirvVariantOf(const ir::BoundKernel& bound, spirv::SpirvOptions options) {
  options.max_push_constant_bytes = kBundleSpirvPushConstantBytes;
  options.entry_name = bound.kernel.name;
  HRT_ASSIGN_OR_RETURN(const spirv::SpirvKernel k, spirv::EmitSpirv(bound, options));
  VariantEntry v;
  v.target.backend = HRT_BACKEND_VULKAN;
  v.target.required_features = select::kFeatureVkBufferDeviceAddress | select::kFeatureVkInt64;
  for (const uint32_t c : k.capabilities) {
    switch (c) {
      case spirv::spv::CapabilityStorageBuffer16BitAccess:
        v.target.required_features |= select::kFeatureVkStorage16;
        break;
      case spirv::spv::CapabilityStorageBuffer8BitAccess:
        v.target.required_features |= select::kFeatureVkStorage8;
        break;
      case spirv::spv::CapabilityGroupNonUniformArithmetic:
        v.target.required_features |= select::kFeatureVkSubgroupArith;
        break;
      case spirv::spv::CapabilityInt64Atomics:
        v.target.required_features |= select::kFeatureVkInt64Atomics;
        break;
      case spirv::spv::CapabilityAtomicFloat32AddEXT:
        v.target.required_features |= select::kFeatureVkFloat32AtomicAdd;
        break;
      default: break;
    }
  }
  v.config = ConfigValuesOf(bound);
  v.resources.threads_per_block = k.local_size[0];
  v.resources.static_smem_bytes = k.workgroup_bytes;
  v.payload_kind = PayloadKind::kSpirv;
  const auto* bytes = reinterpret_cast<const uint8_t*>(k.words.data());
  v.payload.assign(bytes, bytes + k.words.size() * sizeof(uint32_t));
  return v;
}

VariantEntry CubinVariantFromPtx(const VariantEntry& ptx_variant, select::Arch arch,
                                 std::span<const uint8_t> cubin, uint32_t regs_per_thread,
                                 uint32_t static_smem_bytes) {
  VariantEntry v = ptx_variant;
  v.target.arch = arch;
  v.target.min_ptx_isa = {};
  v.resources.regs_per_thread = regs_per_thread;
  v.resources.static_smem_bytes = static_smem_bytes;
  v.payload_kind = PayloadKind::kCubin;
  v.payload.assign(cubin.begin(), cubin.end());
  return v;
}

}  // namespace hrt::bundle
