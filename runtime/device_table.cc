#include "runtime/device_table.h"

#include "runtime/backend_registry.h"

namespace hrt::runtime {

DeviceTable::~DeviceTable() {
  for (Slot& slot : slots_) {
    if (slot.device != nullptr) slot.device->vtable->destroy(slot.device);
  }
}

void DeviceTable::Enumerate(const std::function<void(const std::string&)>& warn) {
  for (const BackendFactory* factory : RegisteredBackends()) {
    std::vector<DeviceDesc> found;
    Status s = factory->enumerate(&found);
    if (!s.ok()) {
      warn(std::string("backend ") + factory->name + " skipped: " + s.message());
      continue;
    }
    for (DeviceDesc& desc : found) {
      Slot slot;
      slot.desc = std::move(desc);
      slot.factory = factory;
      slots_.push_back(std::move(slot));
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
  std::lock_guard<std::mutex> lock(mu_);
  Slot& slot = slots_[index];
  if (slot.device == nullptr) {
    Result<Device*> created = slot.factory->create(slot.desc);
    if (!created.ok()) {
      return created.take_status().Annotate("create device " + std::to_string(index) + " (" +
                                            slot.desc.name + ")");
    }
    slot.device = created.value();
  }
  return slot.device;
}

}  // namespace hrt::runtime
