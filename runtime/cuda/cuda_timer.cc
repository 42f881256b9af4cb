// CUDA device timers: two CUevents per timer, each call in the device's
// context whatever context the calling thread has. A gated timer also holds
// a word of the device's TimerGate (cuda_timer_gate.h): a start on an idle
// stream queues the gate's hold before the start event, and the stop opens
// it.
#include "runtime/cuda/cuda_timer.h"

#include <cmath>
#include <string>

#include "runtime/cuda/cuda_context.h"

namespace hrt::cuda {
namespace {

struct Timer {
  CUevent event[2] = {nullptr, nullptr};  // start, stop
  // Gated timers only (gate.host set): the value the last hold waits for,
  // and whether that hold is still closed.
  HostWord gate;
  uint32_t generation = 0;
  bool holding = false;
};

void Open(Timer& t) {
  if (!t.holding) return;
  TimerGate::Open(t.gate, t.generation);
  t.holding = false;
}

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

Status TimerCreateGated(CudaDevice& device, runtime::DeviceTimer** out) {
  HRT_ASSIGN_OR_RETURN(const HostWord word, device.timer_gate().Acquire());
  runtime::DeviceTimer* timer = nullptr;
  const Status s = TimerCreate(device, &timer);
  if (!s.ok()) {
    device.timer_gate().Release(word);
    return s;
  }
  Cast(timer)->gate = word;
  *out = timer;
  return Status::Ok();
}

void TimerDestroy(CudaDevice& device, runtime::DeviceTimer* timer) {
  Timer* t = Cast(timer);
  if (t == nullptr) return;
  const Driver& driver = device.driver();
  ScopedContext scope(driver, device.context());
  if (t->gate.host != nullptr) {
    // The word goes back to the pool only once no queued hold reads it: the
    // start event, queued right after the hold, has completed then.
    Open(*t);
    if (scope.status().ok() && t->event[0] != nullptr) {
      (void)driver.api().EventSynchronize(t->event[0]);
    }
    device.timer_gate().Release(t->gate);
  }
  for (CUevent e : t->event) {
    if (e != nullptr && scope.status().ok()) (void)driver.api().EventDestroy(e);
  }
  delete t;
}

Status TimerRecord(CudaDevice& device, runtime::DeviceTimer* timer, bool stop, CUstream stream) {
  const Driver& driver = device.driver();
  Timer& t = *Cast(timer);
  ScopedContext scope(driver, device.context());
  if (!scope.status().ok()) {
    Open(t);
    return scope.status();
  }
  if (stop) {
    const Status s = driver.Check(driver.api().EventRecord(t.event[1], stream), "cuEventRecord");
    Open(t);  // the start, the work and the stop are queued: let them run
    return s;
  }
  Open(t);  // a start without its stop: end that hold first
  // A busy stream takes the start timestamp when its earlier work is done,
  // by when the timed work is usually queued too: no hold needed.
  if (t.gate.host != nullptr && device.timer_gate().Idle(stream)) {
    const uint32_t next = t.generation + 1;
    if (device.timer_gate().Hold(stream, t.gate, next).ok()) {
      t.generation = next;
      t.holding = true;
    }
    // A hold the driver refused leaves this one interval ungated.
  }
  const Status s = driver.Check(driver.api().EventRecord(t.event[0], stream), "cuEventRecord");
  if (!s.ok()) Open(t);
  return s;
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
