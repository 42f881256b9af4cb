// Loading code into a context: PTX through the driver's linker (so the cubin
// it produces can be kept and reloaded without JIT), cubins directly.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/cuda/cuda_driver.h"

namespace hrt::cuda {

// Bytes kept of each JIT log; longer logs are cut there.
inline constexpr size_t kJitLogBytes = 16 * 1024;

struct LinkedPtx {
  std::vector<uint8_t> cubin;
  std::string info_log;  // the JIT's informational output (may be empty)
};

// JIT-compiles |ptx| for the device of |context| with cuLinkCreate /
// cuLinkAddData(CU_JIT_INPUT_PTX) / cuLinkComplete and returns the cubin.
// A JIT failure is a kDeviceError whose message holds the driver's error log.
Result<LinkedPtx> LinkPtx(const Driver& driver, CUcontext context, std::string_view ptx,
                          std::string_view name);

// A loaded module, unloaded (in its context) on destruction.
class Module {
 public:
  Module() = default;
  // Loads |image| (a cubin, or NUL-terminated PTX, which the driver JITs
  // without giving back the cubin) into |context|.
  static Result<Module> Load(const Driver& driver, CUcontext context,
                             std::span<const uint8_t> image);
  Module(Module&& other) noexcept { *this = std::move(other); }
  Module& operator=(Module&& other) noexcept;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  ~Module() { Reset(); }

  CUmodule handle() const { return module_; }
  Result<CUfunction> GetFunction(const std::string& name) const;

 private:
  void Reset();

  const Driver* driver_ = nullptr;
  CUcontext context_ = nullptr;
  CUmodule module_ = nullptr;
};

}  // namespace hrt::cuda
