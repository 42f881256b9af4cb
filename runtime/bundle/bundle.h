// Kernel bundles: the in-memory model that the writer serializes and that the
// reader can decode back in full (reader.h also offers a lazy view).
//
// A bundle holds kernels. A kernel has a name, optionally its tile IR (so the
// runtime can fall back to code generation), a summary of its tuning space,
// and precompiled *variants*: one payload (cubin, PTX, HIP code object,
// SPIR-V) for one target, compiled from one config. Selection
// (runtime/select/selection.h) picks the variant a device runs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/c_api.h"
#include "runtime/select/arch.h"

namespace hrt::bundle {

// Values are stored in bundles: append only. Readers reject other values.
enum class PayloadKind : uint8_t {
  kCubin = 1,          // CUDA ELF binary for one sm_XY[a|f]
  kPtx = 2,            // PTX text, NUL-terminated, JIT-compiled by the driver
  kHipCodeObject = 3,  // AMD code object for one gfx arch
  kSpirv = 4,          // SPIR-V module (Vulkan, Level Zero)
};
inline constexpr uint8_t kMinPayloadKind = 1;
inline constexpr uint8_t kMaxPayloadKind = 4;

// "cubin", "ptx", "hip-code-object", "spirv"; "unknown" otherwise.
const char* PayloadKindName(PayloadKind kind);
// Whether payloads of |kind| can target |backend| (cubin and PTX: CUDA; HIP
// code objects: HIP; SPIR-V: Vulkan and Level Zero).
bool PayloadKindFitsBackend(PayloadKind kind, hrt_backend_t backend);

// Where a variant can run.
struct Target {
  hrt_backend_t backend = HRT_BACKEND_CUDA;
  // The code's architecture: sm_XY[a|f] for cubins, compute_XY[a|f] for PTX.
  select::Arch arch;
  // Oldest driver that may load the payload (cuDriverGetVersion form); 0: any.
  int32_t min_driver_version = 0;
  // PTX payloads: the ISA version they are written in (".version"); the
  // driver must JIT it. {0, 0} for other kinds.
  select::PtxIsa min_ptx_isa;
  // select::FeatureBits the device must have.
  uint64_t required_features = 0;

  friend bool operator==(const Target&, const Target&) = default;
};

// What one block of the variant needs from the device. 0 means unknown (not
// checked), except for shared memory where 0 means none.
struct Resources {
  uint32_t regs_per_thread = 0;
  uint32_t static_smem_bytes = 0;
  uint32_t dynamic_smem_bytes = 0;
  uint32_t threads_per_block = 0;

  friend bool operator==(const Resources&, const Resources&) = default;
};

// The variant applies only when shape symbol |symbol| of the launch is within
// [min, max] (inclusive).
struct ShapeRule {
  std::string symbol;
  int64_t min = 0;
  int64_t max = 0;

  friend bool operator==(const ShapeRule&, const ShapeRule&) = default;
};

// One tunable or dtype parameter of the bound config ("BLOCK_M" = 64).
struct ConfigValue {
  std::string name;
  int64_t value = 0;

  friend bool operator==(const ConfigValue&, const ConfigValue&) = default;
};

// One tunable of the kernel's tuning space.
struct TunableSummary {
  std::string name;
  std::vector<int64_t> candidates;  // non-empty
  int64_t default_value = 0;

  friend bool operator==(const TunableSummary&, const TunableSummary&) = default;
};

struct VariantEntry {
  Target target;
  std::vector<ConfigValue> config;
  Resources resources;
  std::vector<ShapeRule> shape_rules;  // all must hold
  PayloadKind payload_kind = PayloadKind::kCubin;
  std::vector<uint8_t> payload;  // non-empty

  friend bool operator==(const VariantEntry&, const VariantEntry&) = default;
};

struct KernelEntry {
  std::string name;  // unique within the bundle
  // ir::WriteModuleBinary() of a module holding just this kernel; empty when
  // the kernel has no IR (e.g. imported from Triton).
  std::vector<uint8_t> ir;
  std::vector<TunableSummary> tunables;
  std::vector<VariantEntry> variants;  // in preference order for equal ranks
  // Compiled by Triton (format.h: kKernelFlagTritonAbi): |ir| declares the
  // signature only; variants take |scratch_params| trailing NULL pointers.
  bool triton_abi = false;
  uint32_t scratch_params = 0;

  friend bool operator==(const KernelEntry&, const KernelEntry&) = default;
};

struct Contents {
  std::vector<KernelEntry> kernels;

  friend bool operator==(const Contents&, const Contents&) = default;
};

}  // namespace hrt::bundle
