// hrt_device_*: enumeration, properties and fingerprints.
#include <algorithm>
#include <cstring>
#include <string>

#include "runtime/api_status.h"
#include "runtime/runtime.h"
#include "runtime/text_out.h"
#include "runtime/versioned_struct.h"

namespace hrt::runtime {
namespace {

// Copies |s| into a fixed char array, truncating, always NUL-terminated.
template <size_t N>
void CopyTruncated(char (&dst)[N], const std::string& s) {
  const size_t n = std::min(s.size(), N - 1);
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

Status GetProperties(const hrt_runtime_t* runtime, uint32_t index,
                     hrt_device_properties_t* out_properties) {
  HRT_RETURN_IF_ERROR(CheckRuntime(runtime));
  HRT_RETURN_IF_ERROR(CheckOutStruct(out_properties, "out_properties"));
  HRT_RETURN_IF_ERROR(runtime->devices.CheckIndex(index));
  const DeviceDesc& desc = runtime->devices.desc(index);
  hrt_device_properties_t p{};
  p.backend = desc.backend;
  p.compute_units = desc.compute_units;
  p.memory_bytes = desc.memory_bytes;
  CopyTruncated(p.name, desc.name);
  CopyTruncated(p.vendor, desc.vendor);
  CopyTruncated(p.arch, desc.arch);
  std::memcpy(p.uuid, desc.uuid.data(), sizeof(p.uuid));
  p.subgroup_size = desc.subgroup_size;
  WriteVersionedStruct(out_properties, p);
  return Status::Ok();
}

Status GetFingerprint(const hrt_runtime_t* runtime, uint32_t index, char* buffer, size_t capacity,
                      size_t* out_length) {
  HRT_RETURN_IF_ERROR(CheckRuntime(runtime));
  HRT_RETURN_IF_ERROR(CheckTextOut(buffer, capacity, out_length));
  HRT_RETURN_IF_ERROR(runtime->devices.CheckIndex(index));
  const std::string& fingerprint = runtime->devices.desc(index).fingerprint;
  return WriteTextOut(fingerprint.data(), fingerprint.size(), buffer, capacity, out_length)
      .Annotate("device " + std::to_string(index) + " fingerprint");
}

}  // namespace
}  // namespace hrt::runtime

extern "C" {

HRT_API hrt_status_t hrt_device_count(const hrt_runtime_t* runtime, uint32_t* out_count) {
  return hrt::runtime::Boundary("hrt_device_count", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckRuntime(runtime));
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckOut(out_count, "out_count"));
    *out_count = static_cast<uint32_t>(runtime->devices.size());
    return hrt::Status::Ok();
  });
}

HRT_API hrt_status_t hrt_device_get_properties(const hrt_runtime_t* runtime, uint32_t index,
                                               hrt_device_properties_t* out_properties) {
  return hrt::runtime::Boundary("hrt_device_get_properties", [&] {
    return hrt::runtime::GetProperties(runtime, index, out_properties);
  });
}

HRT_API hrt_status_t hrt_device_get_fingerprint(const hrt_runtime_t* runtime, uint32_t index,
                                                char* buffer, size_t capacity, size_t* out_length) {
  return hrt::runtime::Boundary("hrt_device_get_fingerprint", [&] {
    return hrt::runtime::GetFingerprint(runtime, index, buffer, capacity, out_length);
  });
}

}  // extern "C"
