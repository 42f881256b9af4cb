// dlopen of the CUDA driver and resolution of its symbol table.
#include "runtime/cuda/cuda_driver.h"

#include <dlfcn.h>

#include <cstdlib>
#include <string>

namespace hrt::cuda {
namespace {

// dlsym returns void*; converting that to a function pointer is
// conditionally-supported in C++ but is what POSIX requires to work.
template <typename Fn>
void AssignSymbol(Fn** member, void* address) {
  static_assert(sizeof(void*) == sizeof(Fn*));
  __builtin_memcpy(member, &address, sizeof address);
}

Code CodeForResult(CUresult result) {
  switch (result) {
    case CUDA_ERROR_OUT_OF_MEMORY: return Code::kOutOfMemory;
    case CUDA_ERROR_NOT_INITIALIZED:
    case CUDA_ERROR_NO_DEVICE: return Code::kUnavailable;
    case CUDA_ERROR_INVALID_VALUE: return Code::kInvalidArgument;
    default: return Code::kDeviceError;
  }
}

}  // namespace

Status CudaStatus(const DriverApi& api, CUresult result, std::string_view what) {
  if (result == CUDA_SUCCESS) return Status::Ok();
  const char* name = nullptr;
  const char* text = nullptr;
  if (api.GetErrorName == nullptr || api.GetErrorName(result, &name) != CUDA_SUCCESS) {
    name = nullptr;
  }
  if (api.GetErrorString == nullptr || api.GetErrorString(result, &text) != CUDA_SUCCESS) {
    text = nullptr;
  }
  std::string message(what);
  message += ": ";
  message += name != nullptr ? name : "CUDA error";
  message += " (code " + std::to_string(result) + ")";
  if (text != nullptr) {
    message += ": ";
    message += text;
  }
  return Status(CodeForResult(result), std::move(message));
}

Status Driver::CheckFailed(CUresult result, std::string_view what) const {
  return CudaStatus(api_, result, what);
}

std::string Driver::LibraryToTry(std::string_view library) {
  if (!library.empty()) return std::string(library);
  const char* env = std::getenv(kDriverLibraryEnv);
  if (env != nullptr && env[0] != '\0') return env;
  return kDefaultDriverLibrary;
}

Result<std::unique_ptr<Driver>> Driver::Open(std::string_view library) {
  const std::string path = LibraryToTry(library);
  const std::string tried = "tried " + path;
  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Status(Code::kUnavailable, "no CUDA driver (" + tried + ": " +
                                          (why != nullptr ? why : "dlopen failed") + ")");
  }
  std::unique_ptr<Driver> driver(new Driver());
  driver->library_ = path;
  DriverApi& api = driver->api_;
  std::string missing;
#define HRT_CUDA_RESOLVE(member, symbol, ret, params, required)                              \
  {                                                                                          \
    void* address = dlsym(handle, symbol);                                                   \
    AssignSymbol(&api.member, address);                                                      \
    driver->symbols_.push_back(DriverSymbol{#member, symbol, required, address != nullptr}); \
    if (address == nullptr && required)                                                      \
      missing += (missing.empty() ? "" : ", ") + std::string(symbol);                        \
  }
#define HRT_CUDA_RESOLVE_REQUIRED(member, symbol, ret, params) \
  HRT_CUDA_RESOLVE(member, symbol, ret, params, true)
#define HRT_CUDA_RESOLVE_OPTIONAL(member, symbol, ret, params) \
  HRT_CUDA_RESOLVE(member, symbol, ret, params, false)
  HRT_CUDA_SYMBOLS(HRT_CUDA_RESOLVE_REQUIRED, HRT_CUDA_RESOLVE_OPTIONAL)
#undef HRT_CUDA_RESOLVE_OPTIONAL
#undef HRT_CUDA_RESOLVE_REQUIRED
#undef HRT_CUDA_RESOLVE
  if (!missing.empty()) {
    // The library stays mapped (see ~Driver); a driver too old to use is a
    // reason, not an error.
    return Status(Code::kUnavailable,
                  "CUDA driver unusable (" + tried + ": missing " + missing + ")");
  }
  if (Status s = driver->Check(api.Init(0), "cuInit"); !s.ok()) {
    return Status(Code::kUnavailable, "CUDA driver unusable (" + tried + "): " + s.message());
  }
  int version = 0;
  if (Status s = driver->Check(api.DriverGetVersion(&version), "cuDriverGetVersion"); !s.ok()) {
    return Status(Code::kUnavailable, "CUDA driver unusable (" + tried + "): " + s.message());
  }
  driver->version_ = version;
  return driver;
}

}  // namespace hrt::cuda
