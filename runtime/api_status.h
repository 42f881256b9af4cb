// The boundary between the C API and the C++ core: the one place where an
// internal hrt::Status becomes an hrt_status_t plus the calling thread's
// last-error message, and where every C++ exception stops.
//
// Each public function is written as
//
//   hrt_status_t hrt_x(...) {
//     return hrt::runtime::Boundary("hrt_x", [&]() -> hrt::Status { ... });
//   }
//
// so the body can use HRT_RETURN_IF_ERROR freely and no exception escapes.
#pragma once

#include <exception>
#include <new>

#include "base/status.h"
#include "runtime/c_api.h"

namespace hrt::runtime {

// Returns the C code of |status|. On error also records
// "<function>: <message>" as this thread's last error. Never throws: if the
// message cannot be stored, a static fallback message is recorded instead.
hrt_status_t ToCStatus(const char* function, const Status& status) noexcept;

// Records an error whose message is a string literal; needs no allocation,
// so it is what the exception handlers use.
hrt_status_t FailStatic(const char* function, Code code, const char* message) noexcept;

// Runs |body| (a callable returning Status) and converts its result. Any
// exception is converted too: std::bad_alloc to HRT_ERROR_OUT_OF_MEMORY,
// anything else to HRT_ERROR_INTERNAL.
template <typename F>
hrt_status_t Boundary(const char* function, F&& body) noexcept {
  try {
    return ToCStatus(function, body());
  } catch (const std::bad_alloc&) {
    return FailStatic(function, Code::kOutOfMemory, "out of memory");
  } catch (...) {
    return FailStatic(function, Code::kInternal, "internal error: unexpected C++ exception");
  }
}

}  // namespace hrt::runtime
