// Making a context current for the duration of a call, so the backend works
// whatever context (if any) the calling thread has: the engine's own, the
// primary one, or none.
#pragma once

#include "base/status.h"
#include "runtime/cuda/cuda_driver.h"

namespace hrt::cuda {

// Pushes |context| unless it is already current; the destructor pops it
// again. Costs one cuCtxGetCurrent when the context is already current (the
// common case on a launch path), and never allocates.
class ScopedContext {
 public:
  ScopedContext(const Driver& driver, CUcontext context);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

  // Check before using the context: an error when it could not be made current.
  const Status& status() const { return status_; }

 private:
  const Driver& driver_;
  bool pushed_ = false;
  Status status_;
};

}  // namespace hrt::cuda
