// CUDA device timers: two CUevents per timer, each call in the device's
// context whatever context the calling thread has.
#include "runtime/cuda/cuda_timer.h"

#include <cmath>
#include <string>

#include "runtime/cuda/cuda_context.h"

namespace hrt::cuda {
namespace {

struct Timer {
  CUevent event[2] = {nullptr, nullptr};  // start, stop
};

Timer* Cast(runtime::DeviceTimer* timer) {
  return reinterpret_cast<Timer*>(timer);
}

// OK when |event| has completed, kUnavailable ("not ready") while it is
// queued, a device error otherwise.
Status QueryEvent(const Driver& driver, CUevent event, const char* which) {
  const CUresult r = driver.api().EventQuery(event);
  if (r == CUDA_ERROR_NOT_READY) {
    return Status(Code::kUnavailable, std::string("not ready: the ") + which +
                                          " event has not completed on its stream yet");
  }
  return driver.Check(r, "cuEventQuery");
}

}  // namespace

Status TimerCreate(CudaDevice& device, runtime::DeviceTimer** out) {
  const Driver& driver = device.driver();
  ScopedContext scope(driver, device.context());
  HRT_RETURN_IF_ERROR(scope.status());
  auto* timer = new Timer();
  for (CUevent& e : timer->event) {
    const Status s = driver.Check(driver.api().EventCreate(&e, CU_EVENT_DEFAULT), "cuEventCreate");
    if (!s.ok()) {
      TimerDestroy(device, reinterpret_cast<runtime::DeviceTimer*>(timer));
      return s;
    }
  }
  *out = reinterpret_cast<runtime::DeviceTimer*>(timer);
  return Status::Ok();
}

void TimerDestroy(CudaDevice& device, runtime::DeviceTimer* timer) {
  Timer* t = Cast(timer);
  if (t == nullptr) return;
  const Driver& driver = device.driver();
  ScopedContext scope(driver, device.context());
  for (CUevent e : t->event) {
    if (e != nullptr && scope.status().ok()) (void)driver.api().EventDestroy(e);
  }
  delete t;
}

Status TimerRecord(CudaDevice& device, runtime::DeviceTimer* timer, bool stop, CUstream stream) {
  const Driver& driver = device.driver();
  ScopedContext scope(driver, device.context());
  HRT_RETURN_IF_ERROR(scope.status());
  return driver.Check(driver.api().EventRecord(Cast(timer)->event[stop ? 1 : 0], stream),
                      "cuEventRecord");
}

Status TimerElapsed(CudaDevice& device, runtime::DeviceTimer* timer, bool wait,
                    uint64_t* elapsed_ns) {
  const Driver& driver = device.driver();
  ScopedContext scope(driver, device.context());
  HRT_RETURN_IF_ERROR(scope.status());
  const Timer* t = Cast(timer);
  if (wait) {
    for (CUevent e : t->event) {
      HRT_RETURN_IF_ERROR(driver.Check(driver.api().EventSynchronize(e), "cuEventSynchronize"));
    }
  } else {
    HRT_RETURN_IF_ERROR(QueryEvent(driver, t->event[0], "start"));
    HRT_RETURN_IF_ERROR(QueryEvent(driver, t->event[1], "stop"));
  }
  float ms = 0.0f;
  HRT_RETURN_IF_ERROR(driver.Check(driver.api().EventElapsedTime(&ms, t->event[0], t->event[1]),
                                   "cuEventElapsedTime"));
  // Negative when the stop event completed before the start event (recorded
  // on streams that do not order them): reported as 0.
  *elapsed_ns = ms > 0.0f ? static_cast<uint64_t>(std::llround(static_cast<double>(ms) * 1e6)) : 0;
  return Status::Ok();
}

}  // namespace hrt::cuda
