// The CUDA driver, loaded at run time with dlopen("libcuda.so.1") and resolved
// into a symbol table owned by a Driver object (no process-wide symbol
// globals). Every CUresult becomes a Status through Driver::Check(), which
// names the call and the driver's own name and text for the error.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/cuda/cuda_driver_api.h"

namespace hrt::cuda {

// The library dlopen'ed when no override is given.
inline constexpr const char* kDefaultDriverLibrary = "libcuda.so.1";
// Environment variable overriding the library name (tests, unusual installs).
inline constexpr const char* kDriverLibraryEnv = "HRT_CUDA_LIBRARY";

// Resolved entry points. A required member is never null once Driver::Open
// succeeded; optional members (HRT_CUDA_OPTIONAL) may be.
struct DriverApi {
#define HRT_CUDA_DECLARE_MEMBER(member, symbol, ret, params) ret(*member) params = nullptr;
  HRT_CUDA_SYMBOLS(HRT_CUDA_DECLARE_MEMBER, HRT_CUDA_DECLARE_MEMBER)
#undef HRT_CUDA_DECLARE_MEMBER
};

// One entry of the symbol table, for tests and `helionrt info`.
struct DriverSymbol {
  const char* member;
  const char* symbol;
  bool required;
  bool resolved;
};

class Driver {
 public:
  // Opens |library| (empty: $HRT_CUDA_LIBRARY, else libcuda.so.1), resolves
  // the symbol table and calls cuInit(0). kUnavailable when the library is
  // missing, lacks a required symbol or cuInit fails; the message names the
  // path tried and the reason (dlerror(), the missing symbol, the CUresult).
  static Result<std::unique_ptr<Driver>> Open(std::string_view library = {});

  // The library name Open() would try for |library| (applies the override).
  static std::string LibraryToTry(std::string_view library);

  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  // Keeps the library mapped: the driver may still run threads (and other
  // users of libcuda in the process share the mapping), so unloading it is
  // never safe.
  ~Driver() = default;

  const DriverApi& api() const { return api_; }
  const std::string& library() const { return library_; }
  // cuDriverGetVersion(), e.g. 13000.
  int version() const { return version_; }
  const std::vector<DriverSymbol>& symbols() const { return symbols_; }

  // The one place a CUresult turns into a Status: OK for CUDA_SUCCESS, else
  // "<what>: CUDA_ERROR_X (code N): <driver text>" with a code chosen by the
  // error (out of memory, unavailable, device error).
  // Inline so the success path of every driver call costs a compare.
  Status Check(CUresult result, std::string_view what) const {
    if (result == CUDA_SUCCESS) [[likely]]
      return Status::Ok();
    return CheckFailed(result, what);
  }

 private:
  Status CheckFailed(CUresult result, std::string_view what) const;

  Driver() = default;

  DriverApi api_;
  std::string library_;
  int version_ = 0;
  std::vector<DriverSymbol> symbols_;
};

// The Status for |result| when the error-string entry points may be missing
// (null): names fall back to the numeric code.
Status CudaStatus(const DriverApi& api, CUresult result, std::string_view what);

}  // namespace hrt::cuda
