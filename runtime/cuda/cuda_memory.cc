// CudaDevice's device memory: cuMemAlloc/cuMemFree and blocking copies, each
// in the device's context whatever context the calling thread has.
#include <string>

#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/cuda_device.h"

namespace hrt::cuda {

Status CudaDevice::Alloc(uint64_t size, uint64_t* out_address) {
  ScopedContext scope(*driver_, context_);
  HRT_RETURN_IF_ERROR(scope.status());
  CUdeviceptr address = 0;
  HRT_RETURN_IF_ERROR(driver_->Check(driver_->api().MemAlloc(&address, size), "cuMemAlloc"));
  *out_address = static_cast<uint64_t>(address);
  return Status::Ok();
}

Status CudaDevice::Free(uint64_t address) {
  ScopedContext scope(*driver_, context_);
  HRT_RETURN_IF_ERROR(scope.status());
  return driver_->Check(driver_->api().MemFree(static_cast<CUdeviceptr>(address)), "cuMemFree");
}

Status CudaDevice::Write(uint64_t dst, const void* src, uint64_t size, CUstream stream) {
  ScopedContext scope(*driver_, context_);
  HRT_RETURN_IF_ERROR(scope.status());
  // cuMemcpyHtoD orders itself after the legacy default stream only: wait
  // for the caller's stream explicitly so a copy never overtakes a launch.
  if (stream != nullptr) {
    HRT_RETURN_IF_ERROR(
        driver_->Check(driver_->api().StreamSynchronize(stream), "cuStreamSynchronize"));
  }
  return driver_->Check(driver_->api().MemcpyHtoD(static_cast<CUdeviceptr>(dst), src, size),
                        "cuMemcpyHtoD");
}

Status CudaDevice::Read(void* dst, uint64_t src, uint64_t size, CUstream stream) {
  ScopedContext scope(*driver_, context_);
  HRT_RETURN_IF_ERROR(scope.status());
  if (stream != nullptr) {
    HRT_RETURN_IF_ERROR(
        driver_->Check(driver_->api().StreamSynchronize(stream), "cuStreamSynchronize"));
  }
  return driver_->Check(driver_->api().MemcpyDtoH(dst, static_cast<CUdeviceptr>(src), size),
                        "cuMemcpyDtoH");
}

Status CudaDevice::CopyAsync(uint64_t dst, uint64_t src, uint64_t size, CUstream stream) {
  ScopedContext scope(*driver_, context_);
  HRT_RETURN_IF_ERROR(scope.status());
  return driver_->Check(driver_->api().MemcpyDtoDAsync(static_cast<CUdeviceptr>(dst),
                                                       static_cast<CUdeviceptr>(src), size, stream),
                        "cuMemcpyDtoDAsync");
}

Status CudaDevice::Synchronize(CUstream stream) {
  ScopedContext scope(*driver_, context_);
  HRT_RETURN_IF_ERROR(scope.status());
  if (stream != nullptr) {
    return driver_->Check(driver_->api().StreamSynchronize(stream), "cuStreamSynchronize");
  }
  return driver_->Check(driver_->api().CtxSynchronize(), "cuCtxSynchronize");
}

}  // namespace hrt::cuda
