#include "runtime/bound_kernel_cache.h"

namespace hrt::runtime {

Result<const ir::BoundKernel*> BoundKernelCache::GetOrBind(
    const ir::Kernel& kernel, const ir::Config& config, const std::vector<int64_t>& key,
    std::unique_ptr<ir::BoundKernel>* uncached, bool* bound_now) {
  *bound_now = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second.get();
  }
  // Bind outside the lock: it copies and verifies the whole kernel, and other
  // threads launching cached configs should not wait for it.
  HRT_ASSIGN_OR_RETURN(ir::BoundKernel bound, ir::Bind(kernel, config));
  auto owned = std::make_unique<ir::BoundKernel>(std::move(bound));
  *bound_now = true;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second.get();  // another thread won the race
  if (entries_.size() >= kMaxEntries) {
    *uncached = std::move(owned);
    return uncached->get();
  }
  const ir::BoundKernel* result = owned.get();
  entries_.emplace(key, std::move(owned));
  return result;
}

size_t BoundKernelCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace hrt::runtime
