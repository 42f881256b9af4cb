// snprintf-style output of strings and blobs into caller buffers, shared by
// hrt_device_get_fingerprint() and hrt_module_write().
#pragma once

#include <cstddef>

#include "base/status.h"

namespace hrt::runtime {

// Checks the (buffer, capacity, out_length) triple: a NULL buffer needs
// capacity 0, and a length query (NULL, 0) needs out_length.
Status CheckTextOut(const void* buffer, size_t capacity, const size_t* out_length);

// Writes |length| bytes from |data| and a NUL into |buffer| as far as they
// fit, and the full |length| into |out_length| (if not NULL). A length query
// (NULL buffer, capacity 0) is OK. Returns kOutOfRange when capacity <=
// length (the truncated, NUL-terminated prefix is written).
Status WriteTextOut(const void* data, size_t length, void* buffer, size_t capacity,
                    size_t* out_length);

}  // namespace hrt::runtime
