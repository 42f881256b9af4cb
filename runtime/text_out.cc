#include "runtime/text_out.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace hrt::runtime {

Status CheckTextOut(const void* buffer, size_t capacity, const size_t* out_length) {
  if (buffer == nullptr && capacity != 0) {
    return InvalidArgument("buffer is NULL but capacity is " + std::to_string(capacity));
  }
  if (buffer == nullptr && out_length == nullptr) {
    return InvalidArgument("length query (buffer NULL, capacity 0) with out_length NULL");
  }
  return Status::Ok();
}

Status WriteTextOut(const void* data, size_t length, void* buffer, size_t capacity,
                    size_t* out_length) {
  HRT_RETURN_IF_ERROR(CheckTextOut(buffer, capacity, out_length));
  if (out_length != nullptr) *out_length = length;
  if (buffer == nullptr) return Status::Ok();  // length query
  auto* out = static_cast<char*>(buffer);
  const size_t n = std::min(length, capacity - 1);
  if (n != 0) std::memcpy(out, data, n);
  out[n] = '\0';
  if (capacity <= length) {
    return OutOfRange("buffer of " + std::to_string(capacity) + " byte(s) is too small: " +
                      std::to_string(length) + " byte(s) plus a NUL terminator are needed");
  }
  return Status::Ok();
}

}  // namespace hrt::runtime
