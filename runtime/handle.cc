// Allocation of handle objects through the caller's hooks or the C++ heap.
#include "runtime/handle.h"

#include <cstdint>

namespace hrt::runtime {

void* AllocateRaw(const hrt_allocator_t& allocator, size_t size, size_t alignment) noexcept {
  if (allocator.alloc == nullptr) {
    return ::operator new(size, std::align_val_t(alignment), std::nothrow);
  }
  void* memory = allocator.alloc(allocator.self, size, alignment);
  if (memory != nullptr && reinterpret_cast<uintptr_t>(memory) % alignment != 0) {
    // The hook broke its contract; constructing a handle there would be UB.
    allocator.free(allocator.self, memory);
    return nullptr;
  }
  return memory;
}

void FreeRaw(const hrt_allocator_t& allocator, void* ptr, size_t alignment) noexcept {
  if (ptr == nullptr) return;
  if (allocator.free == nullptr) {
    ::operator delete(ptr, std::align_val_t(alignment));
    return;
  }
  allocator.free(allocator.self, ptr);
}

Status CheckAllocator(const hrt_allocator_t& allocator) {
  if ((allocator.alloc == nullptr) != (allocator.free == nullptr)) {
    return InvalidArgument("allocator: alloc and free must both be set or both be NULL");
  }
  return Status::Ok();
}

}  // namespace hrt::runtime
