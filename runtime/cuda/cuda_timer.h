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
// Destroys the events (the driver releases them once queued records are
// done, so this never waits).
void TimerDestroy(CudaDevice& device, runtime::DeviceTimer* timer);
// cuEventRecord of the start (|stop| false) or stop event on |stream|.
Status TimerRecord(CudaDevice& device, runtime::DeviceTimer* timer, bool stop, CUstream stream);
// Milliseconds from cuEventElapsedTime, in nanoseconds (the driver's
// resolution is about half a microsecond). |wait| false: kUnavailable ("not
// ready") while cuEventQuery reports CUDA_ERROR_NOT_READY for either event.
Status TimerElapsed(CudaDevice& device, runtime::DeviceTimer* timer, bool wait,
                    uint64_t* elapsed_ns);

}  // namespace hrt::cuda
