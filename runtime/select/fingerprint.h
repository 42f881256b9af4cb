// Device fingerprints: what variant selection and code generation need to know
// about a device, as plain data.
//
// A backend fills a Fingerprint from its driver (the CUDA backend from
// cuDeviceGetAttribute and cuDriverGetVersion); tests and the CLI describe
// synthetic devices with the "key=value;..." form:
//
//   backend=cuda;sm=90a;driver=13000;smem_optin=232448
//
// Keys (any order, each at most once; unknown keys are errors):
//   backend      cpu-reference | cuda | hip | vulkan | level-zero   (required)
//   vendor       PCI vendor id, decimal or 0x hex
//   name         device name; '%', ';' and '=' and bytes outside 0x20..0x7e
//                are written %XX
//   uuid         32 hex digits, dashes allowed anywhere
//   sm           architecture: 90a, 100f, 86 (required for cuda); none
//   sms          multiprocessor count
//   max_threads  threads per block
//   smem         shared memory per block without opt-in, bytes
//   smem_optin   shared memory per block with opt-in, bytes
//   regs         32-bit registers per block
//   warp         warp size
//   driver       cuDriverGetVersion() form, e.g. 13000
//   ptx          newest PTX ISA the driver JITs, e.g. 9.0
//   memory       device memory, bytes
//   features     feature names joined by ',' (see FeatureName), or 0x hex
//
// Vulkan devices add these keys (accepted and written only with
// backend=vulkan; smem/smem_optin hold maxComputeSharedMemorySize,
// max_threads maxComputeWorkGroupInvocations, warp the default subgroupSize):
//   vk_device         VkPhysicalDeviceProperties::deviceID, decimal or 0x hex
//   vk_type           other | integrated | discrete | virtual | cpu
//   vk_driver_id      VkDriverId (VkPhysicalDeviceDriverProperties)
//   vk_driver         driverVersion as reported (vendor-specific packing), hex
//   vk_api            apiVersion, "1.3.255"
//   vk_cache_uuid     pipelineCacheUUID, 32 hex digits
//   vk_subgroup_min   minSubgroupSize (VK_EXT_subgroup_size_control); 0 unknown
//   vk_subgroup_max   maxSubgroupSize; 0 unknown
//   vk_subgroup_ops   subgroupSupportedOperations (VkSubgroupFeatureFlags), hex
//   vk_wg_size        maxComputeWorkGroupSize, "x,y,z"
//   vk_push           maxPushConstantsSize, bytes
//
// Keys left out take defaults: for cuda, the limits of the architecture
// (CudaArchDefaults) and vendor 0x10de; ptx is derived from driver with
// PtxIsaForDriver(); everything else is 0 or empty. A limit of 0 means
// "unknown" and is not checked by selection.
//
// FingerprintToString() writes every key in the order above, so the string is
// canonical: parsing it gives back the same fingerprint, and equal
// fingerprints give equal strings.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "runtime/c_api.h"
#include "runtime/select/arch.h"

namespace hrt::select {

// Device features a variant may require (Variant::required_features). Values
// are stored in bundles: append only.
enum FeatureBits : uint64_t {
  kFeatureCooperativeLaunch = 1ull << 0,  // "coop_launch": grid-wide sync
  kFeatureBf16 = 1ull << 1,               // "bf16": bf16 arithmetic (CC 8.0+)
  kFeatureAsyncCopy = 1ull << 2,          // "cp_async": cp.async (CC 8.0+)
  kFeatureFp8 = 1ull << 3,                // "fp8": e4m3/e5m2 MMA (CC 8.9+)
  kFeatureClusters = 1ull << 4,           // "clusters": thread block clusters (CC 9.0+)
  kFeatureTma = 1ull << 5,                // "tma": tensor memory accelerator (CC 9.0+)
  kFeatureWgmma = 1ull << 6,              // "wgmma": warpgroup MMA (sm_90a)
  kFeatureTcgen05 = 1ull << 7,            // "tcgen05": 5th-gen tensor cores (sm_100a/f)
  kFeatureFp4 = 1ull << 8,                // "fp4": e2m1 MMA (CC 10.0+)
  // Vulkan device features (VkPhysicalDevice*Features), for SPIR-V variants.
  kFeatureVkFp16 = 1ull << 9,            // "vk_fp16": shaderFloat16
  kFeatureVkInt8 = 1ull << 10,           // "vk_int8": shaderInt8
  kFeatureVkStorage16 = 1ull << 11,      // "vk_storage16": storageBuffer16BitAccess
  kFeatureVkStorage8 = 1ull << 12,       // "vk_storage8": storageBuffer8BitAccess
  kFeatureVkSubgroupArith = 1ull << 13,  // "vk_subgroup_arith": compute-stage
                                         // subgroup BASIC + ARITHMETIC
  kFeatureVkInt64Atomics = 1ull << 14,   // "vk_int64_atomics": shaderBufferInt64Atomics
  kFeatureVkCoopMatrix = 1ull << 15,     // "vk_coop_matrix": VK_KHR_cooperative_matrix
  kFeatureVkBf16 = 1ull << 16,           // "vk_bf16": VK_KHR_shader_bfloat16 shaderBFloat16Type
  kFeatureVkBufferDeviceAddress = 1ull << 17,    // "vk_bda": bufferDeviceAddress
  kFeatureVkInt64 = 1ull << 18,                  // "vk_int64": shaderInt64
  kFeatureVkFloat32AtomicAdd = 1ull << 19,       // "vk_f32_atomic_add": VK_EXT_shader_atomic_float
                                                 // shaderBufferFloat32AtomicAdd
  kFeatureVkSubgroupExtendedTypes = 1ull << 20,  // "vk_subgroup_ext_types":
                                                 // shaderSubgroupExtendedTypes
};
inline constexpr int kNumNamedFeatures = 21;

// Name of feature bit |bit| (0..63), or nullptr for bits without a name.
const char* FeatureName(int bit);
// "tma,wgmma"; bits without a name are written as one trailing 0x hex group.
// "none" for 0.
std::string FeaturesString(uint64_t features);
// Parses FeaturesString() output or a 0x hex number. Errors: kParseError.
Result<uint64_t> ParseFeatures(std::string_view text);

// Per-block limits and features a CUDA device of |arch| has, from the CUDA
// programming guide's compute capability table. Used for defaults of
// synthetic fingerprints; the CUDA backend reads the real values from the
// driver. Architectures not in the table get the smallest limits and no
// features beyond those implied by the CC.
struct CudaArchDefaults {
  uint32_t max_threads_per_block = 1024;
  uint32_t smem_per_block = 48 * 1024;
  uint32_t smem_per_block_optin = 48 * 1024;
  uint32_t regs_per_block = 64 * 1024;
  uint32_t warp_size = 32;
  uint64_t features = 0;
};
CudaArchDefaults CudaDefaultsFor(Arch arch);

// What a Vulkan device reports beyond the common fields (all zero for other
// backends). Names are the Vulkan ones.
struct VulkanFacts {
  uint32_t device_id = 0;       // deviceID
  uint32_t device_type = 0;     // VkPhysicalDeviceType (4 = CPU)
  uint32_t driver_id = 0;       // VkDriverId
  uint32_t driver_version = 0;  // driverVersion, vendor-specific packing
  uint32_t api_version = 0;     // apiVersion (VK_MAKE_API_VERSION form)
  std::array<uint8_t, 16> pipeline_cache_uuid{};
  uint32_t subgroup_min = 0;                     // minSubgroupSize; 0 unknown
  uint32_t subgroup_max = 0;                     // maxSubgroupSize; 0 unknown
  uint32_t subgroup_ops = 0;                     // subgroupSupportedOperations
  std::array<uint32_t, 3> max_workgroup_size{};  // maxComputeWorkGroupSize
  uint32_t max_push_constants = 0;               // maxPushConstantsSize

  friend bool operator==(const VulkanFacts&, const VulkanFacts&) = default;
};

// "1.3.255" for a VK_MAKE_API_VERSION value (the variant bits are ignored).
std::string VulkanApiVersionString(uint32_t version);
// Parses "1.3" or "1.3.255". Errors: kParseError.
Result<uint32_t> ParseVulkanApiVersion(std::string_view text);

struct Fingerprint {
  hrt_backend_t backend = HRT_BACKEND_CPU_REFERENCE;
  uint32_t vendor_id = 0;  // PCI vendor id (0x10de NVIDIA, 0x1002 AMD)
  std::string name;
  std::array<uint8_t, 16> uuid{};  // all zero when unknown
  Arch arch;                       // CUDA: compute capability + most specific variant
  uint32_t sm_count = 0;
  uint32_t max_threads_per_block = 0;
  uint32_t smem_per_block = 0;        // bytes, without opt-in (48 KB on CUDA)
  uint32_t smem_per_block_optin = 0;  // bytes, the most a block may opt into
  uint32_t regs_per_block = 0;
  uint32_t warp_size = 0;
  int32_t driver_version = 0;  // cuDriverGetVersion() form; 0 = unknown
  PtxIsa ptx_isa_max;          // newest PTX ISA the driver JITs
  uint64_t memory_bytes = 0;
  uint64_t features = 0;  // FeatureBits
  VulkanFacts vk;         // backend == HRT_BACKEND_VULKAN only

  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

// A CUDA fingerprint of |arch| with driver |driver_version|: the defaults of
// CudaDefaultsFor(arch), vendor 0x10de, ptx_isa_max from the driver.
Fingerprint MakeCudaFingerprint(Arch arch, int32_t driver_version);

// The canonical "key=value;..." form (see the top of this file).
std::string FingerprintToString(const Fingerprint& fp);
// Parses the "key=value;..." form. Errors: kParseError naming the key.
Result<Fingerprint> ParseFingerprint(std::string_view text);

// "cpu-reference", "cuda", "hip", "vulkan", "level-zero"; "unknown" otherwise.
const char* BackendName(hrt_backend_t backend);
Result<hrt_backend_t> ParseBackendName(std::string_view name);

// The fields a compiled binary depends on: two devices with the same hard key
// load the same cubin/PTX the same way, so the compilation cache (cache/) keys
// on it. Limits such as SM count or memory size do not affect the binary.
// Vulkan has no arch: the PCI vendor and device ids stand for it, and the
// driver's own driverVersion for the driver (pipeline binaries are
// driver-specific).
struct HardKey {
  hrt_backend_t backend = HRT_BACKEND_CPU_REFERENCE;
  Arch arch;
  int32_t driver_version = 0;
  uint32_t vendor_id = 0;          // vulkan only
  uint32_t device_id = 0;          // vulkan only
  uint32_t vk_driver_version = 0;  // vulkan only

  // "backend=cuda;sm=90a;driver=13000";
  // "backend=vulkan;device=10de:2330;driver=0x89a08000" for Vulkan.
  std::string ToString() const;
  // XXH3-64 of ToString(); stable across runs and machines.
  uint64_t Hash() const;
  friend bool operator==(const HardKey&, const HardKey&) = default;
};
HardKey HardKeyOf(const Fingerprint& fp);

}  // namespace hrt::select
