#include "runtime/device_table.h"

#include "runtime/backend_registry.h"

namespace hrt::runtime {

DeviceTable::~DeviceTable() {
  for (Slot& slot : slots_) {
    if (Device* device = slot.device.load()) device->vtable->destroy(device);
  }
}

void DeviceTable::Enumerate(const DeviceCreateOptions& options, uint32_t backends,
                            const std::function<void(const std::string&)>& warn) {
  options_ = options;
  backends |= 1u << HRT_BACKEND_CPU_REFERENCE;
  for (const BackendFactory* factory : RegisteredBackends()) {
    const auto bit = static_cast<uint32_t>(factory->backend);
    if (bit >= 32 || (backends & (1u << bit)) == 0) continue;
    std::vector<DeviceDesc> found;
    Status s = factory->enumerate_with_options != nullptr
                   ? factory->enumerate_with_options(options, &found)
                   : factory->enumerate(&found);
    if (!s.ok()) {
      warn(std::string("backend ") + factory->name + " skipped: " + s.message());
      continue;
    }
    for (DeviceDesc& desc : found) {
      Slot& slot = slots_.emplace_back();  // a deque: slots never move
      slot.desc = std::move(desc);
      slot.factory = factory;
    }
  }
}

Status DeviceTable::CheckIndex(uint64_t index) const {
  if (index >= slots_.size()) {
    return OutOfRange("device index " + std::to_string(index) + " is out of range (" +
                      std::to_string(slots_.size()) + " device(s))");
  }
  return Status::Ok();
}

Result<Device*> DeviceTable::Acquire(size_t index) {
  HRT_RETURN_IF_ERROR(CheckIndex(index));
  Slot& slot = slots_[index];
  // Launches take this path: no lock once the device exists.
  if (Device* device = slot.device.load(std::memory_order_acquire)) return device;
  std::lock_guard<std::mutex> lock(mu_);
  if (Device* device = slot.device.load(std::memory_order_relaxed)) return device;
  Result<Device*> created = slot.factory->create(slot.desc, options_);
  if (!created.ok()) {
    return created.take_status().Annotate("create device " + std::to_string(index) + " (" +
                                          slot.desc.name + ")");
  }
  slot.device.store(created.value(), std::memory_order_release);
  return created.value();
}

}  // namespace hrt::runtime
