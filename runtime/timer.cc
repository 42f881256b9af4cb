// hrt_timer_*: device timers over DeviceVTable::timer_*.
//
// The handle checks what every backend would otherwise check on its own:
// the order of the calls (a stop needs a start, a read needs both) and that
// one timer's calls do not interleave (a mutex per timer). The runtime counts
// live timers and refuses to be destroyed while any is left, as with modules.
#include <cstdint>
#include <mutex>
#include <string>

#include "runtime/api_status.h"
#include "runtime/handle.h"
#include "runtime/runtime.h"

struct hrt_timer_t {
  uint32_t tag = hrt::runtime::kTimerTag;  // must be first; see handle.h
  hrt_runtime_t* runtime = nullptr;
  uint32_t device_index = 0;
  hrt::runtime::Device* device = nullptr;
  hrt::runtime::DeviceTimer* timer = nullptr;
  std::mutex mu;         // serializes the calls on this timer
  bool started = false;  // guarded by mu
  bool stopped = false;  // since the last start; guarded by mu
};

namespace hrt::runtime {
namespace {

Status CheckTimer(const hrt_timer_t* timer) {
  return CheckHandle(timer, kTimerTag, "timer (hrt_timer_t)");
}

Status CreateTimer(hrt_runtime_t* runtime, uint32_t device_index, hrt_timer_t** out_timer) {
  HRT_RETURN_IF_ERROR(CheckOut(out_timer, "out_timer"));
  *out_timer = nullptr;
  HRT_RETURN_IF_ERROR(CheckRuntime(runtime));
  HRT_RETURN_IF_ERROR(runtime->devices.CheckIndex(device_index));
  HRT_ASSIGN_OR_RETURN(Device * device, runtime->devices.Acquire(device_index));
  DeviceTimer* device_timer = nullptr;
  HRT_RETURN_IF_ERROR(device->vtable->timer_create(device, &device_timer)
                          .Annotate("device " + std::to_string(device_index)));
  Result<hrt_timer_t*> timer = NewHandle<hrt_timer_t>(runtime->allocator);
  if (!timer.ok()) {
    device->vtable->timer_destroy(device, device_timer);
    return timer.take_status();
  }
  (*timer)->runtime = runtime;
  (*timer)->device_index = device_index;
  (*timer)->device = device;
  (*timer)->timer = device_timer;
  runtime->live_timers.fetch_add(1);
  *out_timer = *timer;
  return Status::Ok();
}

Status Record(hrt_timer_t* timer, bool stop, void* stream) {
  HRT_RETURN_IF_ERROR(CheckTimer(timer));
  std::lock_guard<std::mutex> lock(timer->mu);
  if (stop && !timer->started) {
    return Status(Code::kFailedPrecondition, "the timer was never started (call hrt_timer_start)");
  }
  HRT_RETURN_IF_ERROR(timer->device->vtable->timer_record(timer->device, timer->timer, stop, stream)
                          .Annotate("device " + std::to_string(timer->device_index)));
  if (stop) {
    timer->stopped = true;
  } else {
    timer->started = true;
    timer->stopped = false;
  }
  return Status::Ok();
}

Status Elapsed(hrt_timer_t* timer, int32_t wait, uint64_t* out_ns) {
  HRT_RETURN_IF_ERROR(CheckTimer(timer));
  HRT_RETURN_IF_ERROR(CheckOut(out_ns, "out_ns"));
  std::lock_guard<std::mutex> lock(timer->mu);
  if (!timer->started) {
    return Status(Code::kFailedPrecondition, "the timer was never started (call hrt_timer_start)");
  }
  if (!timer->stopped) {
    return Status(Code::kFailedPrecondition,
                  "the timer was started but not stopped since (call hrt_timer_stop)");
  }
  uint64_t ns = 0;
  HRT_RETURN_IF_ERROR(
      timer->device->vtable->timer_elapsed(timer->device, timer->timer, wait != 0, &ns));
  *out_ns = ns;
  return Status::Ok();
}

Status DestroyTimer(hrt_timer_t* timer) {
  if (timer == nullptr) return Status::Ok();
  HRT_RETURN_IF_ERROR(CheckTimer(timer));
  hrt_runtime_t* runtime = timer->runtime;
  timer->device->vtable->timer_destroy(timer->device, timer->timer);
  DeleteHandle(runtime->allocator, timer);
  runtime->live_timers.fetch_sub(1);
  return Status::Ok();
}

}  // namespace
}  // namespace hrt::runtime

extern "C" {

HRT_API hrt_status_t hrt_timer_create(hrt_runtime_t* runtime, uint32_t device_index,
                                      hrt_timer_t** out_timer) {
  return hrt::runtime::Boundary("hrt_timer_create", [&] {
    return hrt::runtime::CreateTimer(runtime, device_index, out_timer);
  });
}

HRT_API hrt_status_t hrt_timer_start(hrt_timer_t* timer, void* stream) {
  return hrt::runtime::Boundary("hrt_timer_start",
                                [&] { return hrt::runtime::Record(timer, false, stream); });
}

HRT_API hrt_status_t hrt_timer_stop(hrt_timer_t* timer, void* stream) {
  return hrt::runtime::Boundary("hrt_timer_stop",
                                [&] { return hrt::runtime::Record(timer, true, stream); });
}

HRT_API hrt_status_t hrt_timer_elapsed_ns(hrt_timer_t* timer, int32_t wait, uint64_t* out_ns) {
  return hrt::runtime::Boundary("hrt_timer_elapsed_ns",
                                [&] { return hrt::runtime::Elapsed(timer, wait, out_ns); });
}

HRT_API hrt_status_t hrt_timer_destroy(hrt_timer_t* timer) {
  return hrt::runtime::Boundary("hrt_timer_destroy",
                                [&] { return hrt::runtime::DestroyTimer(timer); });
}

}  // extern "C"
