// The devices of a runtime: enumerated from every registered backend when the
// runtime is created, and created lazily on first use.
#pragma once

#include <atomic>
#include <deque>
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

  // Enumerates the registered backends whose bit (1u << hrt_backend_t) is
  // set in |backends|, and always the reference backend. A backend whose
  // enumerate fails is skipped and reported through |warn|; it does not fail
  // the runtime. |options| apply to every device created later.
  void Enumerate(const DeviceCreateOptions& options, uint32_t backends,
                 const std::function<void(const std::string&)>& warn);

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
    // Set once under mu_, read without it; never reset before ~DeviceTable.
    std::atomic<Device*> device{nullptr};
  };

  DeviceCreateOptions options_;
  std::mutex mu_;
  std::deque<Slot> slots_;  // Slot holds an atomic: not movable
};

}  // namespace hrt::runtime
