// Device memory allocated through the C API (hrt_device_alloc and friends).
//
// The runtime remembers which ranges of each device's address space it
// handed out, so hrt_device_free, _write and _read check their arguments
// before any backend sees them: a stray address or an overlong copy is an
// error, never a crash or a write into someone else's memory. Memory the
// engine allocated itself (cudaMalloc, a torch tensor) may still be passed
// to launches as tensor addresses; only these copy helpers insist on
// allocations of their own.
#pragma once

#include <cstdint>
#include <map>
#include <shared_mutex>
#include <utility>

#include "base/status.h"
#include "runtime/device_table.h"

namespace hrt::runtime {

class DeviceMemory {
 public:
  explicit DeviceMemory(DeviceTable* devices) : devices_(devices) {}
  // Frees every allocation the caller left behind.
  ~DeviceMemory();
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;

  // Each checks |device| against the table (kOutOfRange) and creates the
  // device on first use.
  Status Alloc(uint32_t device, uint64_t size, uint64_t* out_address);
  // |address| must be the start of a live allocation of |device|.
  Status Free(uint32_t device, uint64_t address);
  // [address, address + size) must lie inside one live allocation.
  Status Write(uint32_t device, uint64_t dst, const void* src, uint64_t size, void* stream);
  Status Read(uint32_t device, void* dst, uint64_t src, uint64_t size, void* stream);
  Status Synchronize(uint32_t device, void* stream);

 private:
  // kInvalidArgument naming the problem unless the range is inside one live
  // allocation. Call with |mu_| held (shared is enough).
  Status CheckRange(uint32_t device, uint64_t address, uint64_t size) const;

  DeviceTable* devices_;
  // Copies hold it shared (they run in parallel); alloc and free exclusive,
  // so an allocation cannot be freed while a copy is using it.
  mutable std::shared_mutex mu_;
  std::map<std::pair<uint32_t, uint64_t>, uint64_t> live_;  // (device, address) -> size
};

}  // namespace hrt::runtime
