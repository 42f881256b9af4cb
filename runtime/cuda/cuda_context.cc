#include "runtime/cuda/cuda_context.h"

namespace hrt::cuda {

ScopedContext::ScopedContext(const Driver& driver, CUcontext context) : driver_(driver) {
  CUcontext current = nullptr;
  status_ = driver.Check(driver.api().CtxGetCurrent(&current), "cuCtxGetCurrent");
  if (!status_.ok() || current == context) return;
  status_ = driver.Check(driver.api().CtxPushCurrent(context), "cuCtxPushCurrent");
  pushed_ = status_.ok();
}

ScopedContext::~ScopedContext() {
  if (!pushed_) return;
  CUcontext popped = nullptr;
  // Nothing to report to: a failed pop leaves the caller's stack as the
  // driver left it.
  (void)driver_.api().CtxPopCurrent(&popped);
}

}  // namespace hrt::cuda
