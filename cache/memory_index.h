// The in-process layer in front of the disk: decoded payloads of recently
// used binary entries, least recently used dropped first, bounded in bytes.
// A hit here costs a hash lookup and no system call. Payloads are immutable
// for a key (the key hashes everything that decides them), so a copy held
// here never goes stale, even if another process evicts the file.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "cache/key.h"

namespace hrt::cache {

// A payload shared between the index and its readers.
using Blob = std::shared_ptr<const std::vector<uint8_t>>;

class MemoryIndex {
 public:
  // |capacity_bytes| 0 disables the index.
  explicit MemoryIndex(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // The payload of |key|, made most recently used, or null. When the file's
  // last-used stamp was last written before |now_ns - stamp_interval_ns|,
  // sets |*restamp| (and records |now_ns| as the new stamp time), so the
  // caller refreshes the file's stamp at most once per interval.
  Blob Find(const Key& key, uint64_t now_ns, uint64_t stamp_interval_ns, bool* restamp);

  // Adds or replaces |key|; |stamped_ns| is when its file was last stamped.
  // Payloads larger than the whole capacity are not kept.
  void Insert(const Key& key, Blob payload, uint64_t stamped_ns);

  void Erase(const Key& key);
  void Clear();

  uint64_t bytes() const;

 private:
  struct Item {
    Key key;
    Blob payload;
    uint64_t stamped_ns;
  };
  using List = std::list<Item>;

  void EvictLocked();

  const uint64_t capacity_;
  mutable std::mutex mu_;
  List lru_;  // front: most recently used; guarded by mu_
  std::unordered_map<Key, List::iterator, KeyHash> map_;  // guarded by mu_
  uint64_t bytes_ = 0;                                    // guarded by mu_
};

}  // namespace hrt::cache
