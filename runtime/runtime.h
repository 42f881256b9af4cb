// The runtime handle: options, logging and the device table.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/c_api.h"
#include "runtime/device_memory.h"
#include "runtime/device_table.h"
#include "runtime/handle.h"
#include "runtime/tuning/serving_tuner.h"

struct hrt_runtime_t {
  uint32_t tag = hrt::runtime::kRuntimeTag;  // must be first; see handle.h
  hrt_allocator_t allocator{};
  hrt_log_callback_t log_callback = nullptr;
  void* log_user_data = nullptr;
  hrt_log_level_t log_min_level = HRT_LOG_LEVEL_WARNING;
  // Modules loaded and not yet destroyed; the runtime outlives them.
  std::atomic<uint32_t> live_modules{0};
  // Timers (hrt_timer_t) not yet destroyed; the runtime outlives them too.
  std::atomic<uint32_t> live_timers{0};
  hrt::runtime::DeviceTable devices;
  // After |devices|: destroyed first, freeing leftover allocations while the
  // devices still exist.
  hrt::runtime::DeviceMemory memory{&devices};
  // Serving-time tuning (tuning/serving_tuner.h). Last: destroyed first,
  // while the devices its slots use still exist.
  std::unique_ptr<hrt::runtime::TuningService> tuning;
};

namespace hrt::runtime {

// Checks a runtime handle argument.
inline Status CheckRuntime(const hrt_runtime_t* runtime) {
  return CheckHandle(runtime, kRuntimeTag, "runtime (hrt_runtime_t)");
}

// True when a message at |level| would reach the callback.
inline bool ShouldLog(const hrt_runtime_t& runtime, hrt_log_level_t level) {
  return runtime.log_callback != nullptr && level >= runtime.log_min_level;
}

// Delivers the message returned by |make_message| (called only when |level|
// passes) to the runtime's log callback. Never throws: logging must not turn
// a successful call into a failed one (nor leak what it just created), so a
// failure to format and an exception from a C++ callback are dropped.
template <typename F>
void Log(const hrt_runtime_t& runtime, hrt_log_level_t level, F&& make_message) noexcept {
  if (!ShouldLog(runtime, level)) return;
  try {
    const std::string message = make_message();
    runtime.log_callback(runtime.log_user_data, level, message.c_str());
  } catch (...) {
  }
}

}  // namespace hrt::runtime
