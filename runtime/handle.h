// Handle objects: type tags checked on every API entry, and allocation
// through the runtime's allocator hooks (hrt_allocator_t).
//
// Every handle struct starts with a uint32_t tag. A live handle holds its
// type's tag; destroying it overwrites the tag with kDeadTag before the
// memory is released. A handle of the wrong type, or a destroyed one whose
// memory still holds the poisoned tag, is therefore an INVALID_ARGUMENT
// rather than a crash. (Memory already reused by something else cannot be
// told apart: that part stays the caller's responsibility.)
#pragma once

#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "base/status.h"
#include "runtime/c_api.h"

namespace hrt::runtime {

// ASCII "HRTr", "HRTm", "HRTk", "HRTt", "HRTp" read little-endian.
inline constexpr uint32_t kRuntimeTag = 0x72545248u;
inline constexpr uint32_t kModuleTag = 0x6d545248u;
inline constexpr uint32_t kKernelTag = 0x6b545248u;
inline constexpr uint32_t kTimerTag = 0x74545248u;
inline constexpr uint32_t kPreparedLaunchTag = 0x70545248u;  // "HRTp"
inline constexpr uint32_t kDeadTag = 0xdeadbeefu;

// Reads the tag at the start of |handle| without assuming its type.
inline uint32_t ReadTag(const void* handle) {
  uint32_t tag;
  std::memcpy(&tag, handle, sizeof(tag));
  return tag;
}

// Checks that |handle| is non-NULL and holds |tag|. |what| names the
// argument and its type in the message ("runtime (hrt_runtime_t)").
inline Status CheckHandle(const void* handle, uint32_t tag, const char* what) {
  if (handle == nullptr) return InvalidArgument(std::string(what) + " is NULL");
  if (ReadTag(handle) != tag) {
    return InvalidArgument(std::string(what) +
                           " is not a live handle of its type (wrong type, or destroyed)");
  }
  return Status::Ok();
}

// Checks an out-parameter pointer.
inline Status CheckOut(const void* out, const char* name) {
  if (out == nullptr) return InvalidArgument(std::string(name) + " is NULL");
  return Status::Ok();
}

// Raw allocation through |allocator|, or the C++ heap when it has no hooks.
// Returns nullptr on failure or when the hook returns misaligned memory.
void* AllocateRaw(const hrt_allocator_t& allocator, size_t size, size_t alignment) noexcept;
void FreeRaw(const hrt_allocator_t& allocator, void* ptr, size_t alignment) noexcept;

// Checks that either both hooks are set or neither.
Status CheckAllocator(const hrt_allocator_t& allocator);

// Constructs a T (a handle struct whose first member is `uint32_t tag`) in
// memory from |allocator|.
template <typename T, typename... Args>
Result<T*> NewHandle(const hrt_allocator_t& allocator, Args&&... args) {
  void* memory = AllocateRaw(allocator, sizeof(T), alignof(T));
  if (memory == nullptr) {
    return Status(Code::kOutOfMemory, "out of memory allocating a handle object");
  }
  try {
    return new (memory) T(std::forward<Args>(args)...);
  } catch (...) {
    FreeRaw(allocator, memory, alignof(T));
    throw;
  }
}

// Poisons the tag, destroys and frees a handle made by NewHandle(). |allocator|
// is copied first because it may live inside |*handle|.
template <typename T>
void DeleteHandle(hrt_allocator_t allocator, T* handle) noexcept {
  if (handle == nullptr) return;
  // A volatile store: the compiler may not drop it as a dead store before the
  // memory is released.
  *static_cast<volatile uint32_t*>(&handle->tag) = kDeadTag;
  handle->~T();
  FreeRaw(allocator, handle, alignof(T));
}

}  // namespace hrt::runtime
