// Structs that start with |struct_size| (hrt_runtime_options_t,
// hrt_launch_params_t, hrt_device_properties_t, ...) can grow in later
// releases without breaking old callers or old libraries.
//
// Input structs: a struct_size below this library's size is rejected (0.1 is
// the first release, so there is no older layout to accept yet). A larger
// struct comes from a newer header; it is accepted when every byte this
// library does not know is zero, so a caller that asks for a newer feature is
// told instead of being silently ignored. Output structs: the caller sets
// struct_size; the library writes exactly its own struct and never past it.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>

#include "base/status.h"

namespace hrt::runtime {

// Bound on the tail we are willing to inspect; a struct_size beyond it is
// garbage, not a future header.
inline constexpr size_t kMaxVersionedStructSize = 4096;

template <typename T>
Status CheckStructSize(size_t struct_size, const char* what) {
  if (struct_size < sizeof(T) || struct_size > kMaxVersionedStructSize) {
    return InvalidArgument(std::string(what) + ".struct_size is " + std::to_string(struct_size) +
                           ", expected sizeof = " + std::to_string(sizeof(T)) +
                           " (initialize the struct with its _init function or set struct_size)");
  }
  return Status::Ok();
}

// Copies an input struct, checking its size and unknown tail.
template <typename T>
Result<T> ReadVersionedStruct(const T* in, const char* what) {
  if (in == nullptr) return InvalidArgument(std::string(what) + " is NULL");
  size_t struct_size;
  std::memcpy(&struct_size, in, sizeof(struct_size));
  HRT_RETURN_IF_ERROR(CheckStructSize<T>(struct_size, what));
  const auto* bytes = reinterpret_cast<const unsigned char*>(in);
  for (size_t i = sizeof(T); i < struct_size; ++i) {
    if (bytes[i] != 0) {
      return Status(Code::kUnsupported, std::string(what) + " sets fields this library version (" +
                                            std::to_string(sizeof(T)) +
                                            "-byte struct) does not know");
    }
  }
  T copy;
  std::memcpy(&copy, in, sizeof(T));
  return copy;
}

// Checks an output struct pointer and the struct_size its caller set.
template <typename T>
Status CheckOutStruct(const T* out, const char* what) {
  if (out == nullptr) return InvalidArgument(std::string(what) + " is NULL");
  return CheckStructSize<T>(out->struct_size, what);
}

// Writes |value| into a checked output struct, keeping the caller's
// struct_size.
template <typename T>
void WriteVersionedStruct(T* out, T value) {
  value.struct_size = out->struct_size;
  std::memcpy(static_cast<void*>(out), &value, sizeof(T));
}

}  // namespace hrt::runtime
