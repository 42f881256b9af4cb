// Device timers on CUDA (runtime::DeviceVTable::timer_*): a pair of CUevents
// created with timing, recorded on the caller's CUstream (NULL: the
// context's default stream), read with cuEventElapsedTime.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "runtime/backend.h"
#include "runtime/cuda/cuda_device.h"

namespace hrt::cuda {

// Creates the two events in |device|'s context.
Status TimerCreate(CudaDevice& device, runtime::DeviceTimer** out);
// A timer whose start, on an idle stream, holds the stream until the host
// has queued the stop (cuda_timer_gate.h: a one-thread kernel, queued before
// the start event, that waits for the host's word, at most
// TimerGate::kTimeoutNs). The interval is then the device time of the work
// in between, without the time the host took to queue it: a plain timer's
// start completes at once on an idle stream, and its interval includes the
// host's launch work (about 2 us a launch on an H100, which made the
// serving tuner rank 7 us kernels by the host's pace). Every start should
// be followed by a stop (or TimerDestroy), which ends the hold; a hold
// never lasts beyond the timeout. kUnsupported when the driver lacks
// device-mapped pinned memory or cuStreamQuery.
Status TimerCreateGated(CudaDevice& device, runtime::DeviceTimer** out);
// Destroys the events (the driver releases them once queued records are
// done, so this never waits; a gated timer waits for its last start event,
// so that no queued hold still reads the word it returns to the pool).
void TimerDestroy(CudaDevice& device, runtime::DeviceTimer* timer);
// cuEventRecord of the start (|stop| false) or stop event on |stream|
// (gated timers: see TimerCreateGated).
Status TimerRecord(CudaDevice& device, runtime::DeviceTimer* timer, bool stop, CUstream stream);
// Milliseconds from cuEventElapsedTime, in nanoseconds (the driver's
// resolution is about half a microsecond). |wait| false: kUnavailable ("not
// ready") while cuEventQuery reports CUDA_ERROR_NOT_READY for either event.
Status TimerElapsed(CudaDevice& device, runtime::DeviceTimer* timer, bool wait,
                    uint64_t* elapsed_ns);

}  // namespace hrt::cuda
