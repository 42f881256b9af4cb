// Bound kernels of one kernel, one per config it was launched with, so that
// a launch with a config seen before skips ir::Bind (which copies and
// re-verifies the kernel).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"

namespace hrt::runtime {

// Entries are never evicted while the cache lives, so the pointers it hands
// out stay valid until it is destroyed (with its kernel handle).
class BoundKernelCache {
 public:
  // Past this many entries, launches with new configs bind without caching,
  // so memory stays bounded whatever configs a caller cycles through. Twice
  // the largest search space a tuner builds (tuning::kDefaultMaxConfigs), so
  // a tuner or `helionrt tune` that visits every config of a kernel never
  // re-binds one per launch (and the device never reloads its code).
  static constexpr size_t kMaxEntries = 512;

  // The bound form of |kernel| under |config|, from the cache or freshly
  // bound. |key| identifies the config (tunable values, then dtype values,
  // in kernel order). When the cache is full the bound kernel is returned in
  // |*uncached| and the result points into it. Thread-safe; binding runs
  // outside the lock.
  Result<const ir::BoundKernel*> GetOrBind(const ir::Kernel& kernel, const ir::Config& config,
                                           const std::vector<int64_t>& key,
                                           std::unique_ptr<ir::BoundKernel>* uncached,
                                           bool* bound_now);

  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::vector<int64_t>, std::unique_ptr<const ir::BoundKernel>>
      entries_;  // guarded by mu_
};

}  // namespace hrt::runtime
