#include "runtime/cuda/cuda_device_info.h"

#include <cstring>
#include <string>

namespace hrt::cuda {
namespace {

// NVIDIA's PCI vendor id.
constexpr uint32_t kNvidiaVendorId = 0x10de;

Result<uint32_t> Attribute(const Driver& driver, CUdevice device, CUdevice_attribute attribute,
                           const char* name) {
  int value = 0;
  HRT_RETURN_IF_ERROR(driver.Check(driver.api().DeviceGetAttribute(&value, attribute, device),
                                   std::string("cuDeviceGetAttribute(") + name + ")"));
  if (value < 0) {
    return Status(Code::kDeviceError, std::string("cuDeviceGetAttribute(") + name + ") returned " +
                                          std::to_string(value));
  }
  return static_cast<uint32_t>(value);
}

}  // namespace

select::Arch ArchForComputeCapability(int major, int minor) {
  select::Arch arch;
  arch.major = static_cast<uint16_t>(major);
  arch.minor = static_cast<uint16_t>(minor);
  arch.variant = major >= 9 ? select::ArchVariant::kSpecific : select::ArchVariant::kPlain;
  return arch;
}

Result<DeviceInfo> QueryDevice(const Driver& driver, int ordinal) {
  const DriverApi& api = driver.api();
  const std::string label = "device " + std::to_string(ordinal);
  DeviceInfo info;
  info.ordinal = ordinal;
  HRT_RETURN_IF_ERROR(
      driver.Check(api.DeviceGet(&info.device, ordinal), "cuDeviceGet").Annotate(label));

  char name[256] = {};
  HRT_RETURN_IF_ERROR(
      driver
          .Check(api.DeviceGetName(name, static_cast<int>(sizeof name) - 1, info.device),
                 "cuDeviceGetName")
          .Annotate(label));
  size_t memory = 0;
  HRT_RETURN_IF_ERROR(
      driver.Check(api.DeviceTotalMem(&memory, info.device), "cuDeviceTotalMem").Annotate(label));

#define HRT_ATTR(var, attr)                               \
  uint32_t var = 0;                                       \
  {                                                       \
    auto r = Attribute(driver, info.device, attr, #attr); \
    if (!r.ok()) return r.take_status().Annotate(label);  \
    var = *r;                                             \
  }
  HRT_ATTR(cc_major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
  HRT_ATTR(cc_minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
  HRT_ATTR(sm_count, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
  HRT_ATTR(max_threads, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK)
  HRT_ATTR(smem, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK)
  HRT_ATTR(smem_optin, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)
  HRT_ATTR(regs, CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK)
  HRT_ATTR(warp, CU_DEVICE_ATTRIBUTE_WARP_SIZE)
  HRT_ATTR(coop, CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH)
#undef HRT_ATTR
  if (cc_major > select::kMaxArchMajor || cc_minor > 9) {
    return Status(Code::kUnsupported, label + ": compute capability " + std::to_string(cc_major) +
                                          "." + std::to_string(cc_minor) + " is not understood");
  }

  select::Fingerprint& fp = info.fingerprint;
  fp.backend = HRT_BACKEND_CUDA;
  fp.vendor_id = kNvidiaVendorId;
  fp.name = name;
  if (api.DeviceGetUuid != nullptr) {
    CUuuid uuid{};
    HRT_RETURN_IF_ERROR(
        driver.Check(api.DeviceGetUuid(&uuid, info.device), "cuDeviceGetUuid").Annotate(label));
    std::memcpy(fp.uuid.data(), uuid.bytes, fp.uuid.size());
  }
  fp.arch = ArchForComputeCapability(static_cast<int>(cc_major), static_cast<int>(cc_minor));
  fp.sm_count = sm_count;
  fp.max_threads_per_block = max_threads;
  fp.smem_per_block = smem;
  // Devices without opt-in (before Volta) report 0: the default is the limit.
  fp.smem_per_block_optin = smem_optin > smem ? smem_optin : smem;
  fp.regs_per_block = regs;
  fp.warp_size = warp;
  fp.driver_version = driver.version();
  fp.ptx_isa_max = select::PtxIsaForDriver(driver.version());
  fp.memory_bytes = memory;
  // Features follow from the architecture; cooperative launch is also a
  // device attribute (MPS clients may lack it), which wins.
  fp.features = select::CudaDefaultsFor(fp.arch).features;
  if (coop == 0) fp.features &= ~uint64_t{select::kFeatureCooperativeLaunch};

  runtime::DeviceDesc& desc = info.desc;
  desc.backend = HRT_BACKEND_CUDA;
  desc.ordinal = static_cast<uint32_t>(ordinal);
  desc.name = fp.name;
  desc.vendor = "NVIDIA";
  desc.arch = select::SmName(fp.arch);
  desc.fingerprint = select::FingerprintToString(fp);
  desc.selection_fingerprint = fp;
  desc.compute_units = fp.sm_count;
  desc.subgroup_size = fp.warp_size;
  desc.memory_bytes = fp.memory_bytes;
  desc.uuid = fp.uuid;
  return info;
}

Result<std::vector<DeviceInfo>> QueryDevices(const Driver& driver) {
  int count = 0;
  HRT_RETURN_IF_ERROR(driver.Check(driver.api().DeviceGetCount(&count), "cuDeviceGetCount"));
  std::vector<DeviceInfo> out;
  for (int i = 0; i < count; ++i) {
    HRT_ASSIGN_OR_RETURN(DeviceInfo info, QueryDevice(driver, i));
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace hrt::cuda
