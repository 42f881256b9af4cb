// hrt_device_alloc / _free / _write / _read / _synchronize.
#include "runtime/device_memory.h"

#include <cstdio>
#include <mutex>
#include <string>

#include "runtime/api_status.h"
#include "runtime/runtime.h"

namespace hrt::runtime {
namespace {

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

DeviceMemory::~DeviceMemory() {
  for (const auto& [where, size] : live_) {
    Result<Device*> device = devices_->Acquire(where.first);
    if (device.ok()) (void)(*device)->vtable->free(*device, where.second);
  }
}

Status DeviceMemory::Alloc(uint32_t device, uint64_t size, uint64_t* out_address) {
  HRT_RETURN_IF_ERROR(devices_->CheckIndex(device));
  if (size == 0) return InvalidArgument("size is 0");
  HRT_ASSIGN_OR_RETURN(Device * d, devices_->Acquire(device));
  uint64_t address = 0;
  HRT_RETURN_IF_ERROR(d->vtable->alloc(d, size, &address));
  std::unique_lock lock(mu_);
  live_[{device, address}] = size;
  *out_address = address;
  return Status::Ok();
}

Status DeviceMemory::Free(uint32_t device, uint64_t address) {
  HRT_RETURN_IF_ERROR(devices_->CheckIndex(device));
  HRT_ASSIGN_OR_RETURN(Device * d, devices_->Acquire(device));
  std::unique_lock lock(mu_);
  const auto it = live_.find({device, address});
  if (it == live_.end()) {
    return InvalidArgument("address " + Hex(address) +
                           " is not the start of a live hrt_device_alloc allocation on device " +
                           std::to_string(device));
  }
  live_.erase(it);
  return d->vtable->free(d, address);
}

Status DeviceMemory::CheckRange(uint32_t device, uint64_t address, uint64_t size) const {
  // The last allocation starting at or before |address|.
  auto it = live_.upper_bound({device, address});
  if (it != live_.begin()) {
    --it;
    const auto& [where, alloc_size] = *it;
    if (where.first == device) {
      const uint64_t offset = address - where.second;
      if (offset < alloc_size && size <= alloc_size - offset) return Status::Ok();
      if (offset < alloc_size) {
        return InvalidArgument("range " + Hex(address) + " + " + std::to_string(size) +
                               " bytes runs past the end of its allocation (" +
                               std::to_string(alloc_size) + " bytes at " + Hex(where.second) + ")");
      }
    }
  }
  return InvalidArgument("address " + Hex(address) +
                         " is not inside a live hrt_device_alloc allocation on device " +
                         std::to_string(device));
}

Status DeviceMemory::Write(uint32_t device, uint64_t dst, const void* src, uint64_t size,
                           void* stream) {
  HRT_RETURN_IF_ERROR(devices_->CheckIndex(device));
  if (size == 0) return Status::Ok();
  if (src == nullptr) return InvalidArgument("src is NULL");
  HRT_ASSIGN_OR_RETURN(Device * d, devices_->Acquire(device));
  std::shared_lock lock(mu_);
  HRT_RETURN_IF_ERROR(CheckRange(device, dst, size).Annotate("dst"));
  return d->vtable->write(d, dst, src, size, stream);
}

Status DeviceMemory::Read(uint32_t device, void* dst, uint64_t src, uint64_t size, void* stream) {
  HRT_RETURN_IF_ERROR(devices_->CheckIndex(device));
  if (size == 0) return Status::Ok();
  if (dst == nullptr) return InvalidArgument("dst is NULL");
  HRT_ASSIGN_OR_RETURN(Device * d, devices_->Acquire(device));
  std::shared_lock lock(mu_);
  HRT_RETURN_IF_ERROR(CheckRange(device, src, size).Annotate("src"));
  return d->vtable->read(d, dst, src, size, stream);
}

Status DeviceMemory::Synchronize(uint32_t device, void* stream) {
  HRT_RETURN_IF_ERROR(devices_->CheckIndex(device));
  HRT_ASSIGN_OR_RETURN(Device * d, devices_->Acquire(device));
  return d->vtable->synchronize(d, stream);
}

}  // namespace hrt::runtime

extern "C" {

HRT_API hrt_status_t hrt_device_alloc(hrt_runtime_t* runtime, uint32_t device_index, size_t size,
                                      uint64_t* out_address) {
  return hrt::runtime::Boundary("hrt_device_alloc", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckRuntime(runtime));
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckOut(out_address, "out_address"));
    *out_address = 0;
    return runtime->memory.Alloc(device_index, size, out_address);
  });
}

HRT_API hrt_status_t hrt_device_free(hrt_runtime_t* runtime, uint32_t device_index,
                                     uint64_t address) {
  return hrt::runtime::Boundary("hrt_device_free", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckRuntime(runtime));
    return runtime->memory.Free(device_index, address);
  });
}

HRT_API hrt_status_t hrt_device_write(hrt_runtime_t* runtime, uint32_t device_index,
                                      uint64_t dst_address, const void* src, size_t size,
                                      void* stream) {
  return hrt::runtime::Boundary("hrt_device_write", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckRuntime(runtime));
    return runtime->memory.Write(device_index, dst_address, src, size, stream);
  });
}

HRT_API hrt_status_t hrt_device_read(hrt_runtime_t* runtime, uint32_t device_index, void* dst,
                                     uint64_t src_address, size_t size, void* stream) {
  return hrt::runtime::Boundary("hrt_device_read", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckRuntime(runtime));
    return runtime->memory.Read(device_index, dst, src_address, size, stream);
  });
}

HRT_API hrt_status_t hrt_device_synchronize(hrt_runtime_t* runtime, uint32_t device_index,
                                            void* stream) {
  return hrt::runtime::Boundary("hrt_device_synchronize", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckRuntime(runtime));
    return runtime->memory.Synchronize(device_index, stream);
  });
}

}  // extern "C"
