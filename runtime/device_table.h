// The devices of a runtime: enumerated from every registered backend when the
// runtime is created, and created lazily on first use.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/backend.h"

namespace hrt::runtime {

class DeviceTable {
 public:
  DeviceTable() = default;
  DeviceTable(const DeviceTable&) = delete;
  DeviceTable& operator=(const DeviceTable&) = delete;
  // Destroys every device that was created, through its vtable.
  ~DeviceTable();

  // Enumerates every registered backend. A backend whose enumerate fails is
  // skipped and reported through |warn|; it does not fail the runtime.
  void Enumerate(const std::function<void(const std::string&)>& warn);

  size_t size() const { return slots_.size(); }
  // |index| must be below size().
  const DeviceDesc& desc(size_t index) const { return slots_[index].desc; }

  // Checks |index| against size() (kOutOfRange naming |index|).
  Status CheckIndex(uint64_t index) const;

  // The device at |index|, created on first use. Thread-safe.
  Result<Device*> Acquire(size_t index);

 private:
  struct Slot {
    DeviceDesc desc;
    const BackendFactory* factory = nullptr;
    Device* device = nullptr;  // guarded by mu_ until set; never reset before ~DeviceTable
  };

  std::mutex mu_;
  std::vector<Slot> slots_;
};

}  // namespace hrt::runtime
