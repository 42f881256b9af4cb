// The usage file, <layer>/v1/usage: the store's lock file, which also holds
// running totals so that a put knows whether the cap is exceeded without
// listing the directory.
//
//   offset size
//    0      8   magic "HRTUSAGE"
//    8      4   u32 version (1)
//   12      4   u32 zero
//   16      8   u64 bytes: sum of the sizes of entry and record files
//   24      8   u64 binary entries
//   32      8   u64 tuning records
//   40      8   u64 hits (all processes, flushed under the lock)
//   48      8   u64 misses
//   56      8   u64 XXH3-64 of bytes [0, 56)
//
// Only read or written under the exclusive lock (shared for a read). The
// totals are advisory: a writer killed between its rename and its update
// leaves them low by one file, and every full scan (eviction, verify, prune,
// stats) rewrites them from what is on disk.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace hrt::cache {

inline constexpr char kUsageFileName[] = "usage";

struct Usage {
  uint64_t bytes = 0;
  uint64_t entries = 0;
  uint64_t records = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
};

// The totals in the locked usage file |fd|; kNotFound when it is empty (new
// store) and kCorruptData when it is anything but a valid usage record.
Result<Usage> ReadUsage(int fd);

// Overwrites the usage file |fd| with |usage|.
Status WriteUsage(int fd, const Usage& usage);

}  // namespace hrt::cache
