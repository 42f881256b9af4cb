#include "cache/memory_index.h"

namespace hrt::cache {

Blob MemoryIndex::Find(const Key& key, uint64_t now_ns, uint64_t stamp_interval_ns, bool* restamp) {
  *restamp = false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  Item& item = *it->second;
  if (now_ns - item.stamped_ns >= stamp_interval_ns || now_ns < item.stamped_ns) {
    item.stamped_ns = now_ns;
    *restamp = true;
  }
  return item.payload;
}

void MemoryIndex::Insert(const Key& key, Blob payload, uint64_t stamped_ns) {
  if (payload == nullptr || payload->size() > capacity_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = map_.find(key); it != map_.end()) {
    bytes_ -= it->second->payload->size();
    lru_.erase(it->second);
    map_.erase(it);
  }
  bytes_ += payload->size();
  lru_.push_front(Item{key, std::move(payload), stamped_ns});
  map_[key] = lru_.begin();
  EvictLocked();
}

void MemoryIndex::Erase(const Key& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return;
  bytes_ -= it->second->payload->size();
  lru_.erase(it->second);
  map_.erase(it);
}

void MemoryIndex::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  lru_.clear();
  map_.clear();
  bytes_ = 0;
}

uint64_t MemoryIndex::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

void MemoryIndex::EvictLocked() {
  while (bytes_ > capacity_ && !lru_.empty()) {
    bytes_ -= lru_.back().payload->size();
    map_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

}  // namespace hrt::cache
