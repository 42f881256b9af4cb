// The persistent compressed local store (docs/cache.md).
//
// One writable user directory (private, mode 0700) layered over any number
// of read-only system directories. Entries are files named by their key:
// binaries (one per key, replaced as a whole) and tuning records (any number
// per key, never replaced). Every file is published by rename, so a reader
// sees a whole file or none, and readers take no lock; the exclusive flock
// on <dir>/v1/usage serialises the short steps that change what the store
// holds (rename + totals, removal, eviction). Anything that fails to verify
// is a miss and is removed from the user directory, never served.
//
//   auto store = cache::Store::Open(cache::DefaultStoreOptions());
//   if (!store.ok()) { log(store.status().message()); /* run uncached */ }
//   cache::Key key = cache::KeyBuilder().Backend("cuda").Arch("sm_90a")...Build();
//   if (cache::Blob cubin = (*store)->Get(key)) { load(*cubin); }
//   else { auto bin = jit(ptx); (*store)->Put(key, bin); }
//
// A Store is thread-safe; several processes may use one directory at once.
// After fork() a child should open its own Store (the inherited one works,
// but shares the parent's in-memory index and counters).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/entry.h"
#include "cache/file_io.h"
#include "cache/key.h"
#include "cache/memory_index.h"
#include "cache/usage.h"

namespace hrt::cache {

inline constexpr uint64_t kDefaultMaxBytes = uint64_t{1} << 30;

struct StoreOptions {
  // The writable user directory; empty: DefaultCacheDir().
  std::string dir;
  // Read-only layers searched after |dir|, in order. Missing ones are
  // skipped silently; unsafe ones (writable by others) with a warning.
  std::vector<std::string> read_only_dirs;
  // Cap on the user directory's entry and record bytes (file sizes). A put
  // that exceeds it evicts least recently used binaries down to 90% of it.
  uint64_t max_bytes = kDefaultMaxBytes;
  // Decoded payloads kept in process (MemoryIndex); 0 disables.
  uint64_t memory_bytes = uint64_t{64} << 20;
  // A hit rewrites the entry's last-used stamp only when it is older than
  // this, so a hot entry costs one 8-byte write per interval, not per hit.
  uint64_t stamp_interval_ns = uint64_t{60} * 1000000000u;
  int compression_level = 3;
  // fsync each new file before its rename and the directory after it. Off,
  // a crash of the machine (not of the process) may lose recent entries; it
  // can never expose a partial one.
  bool durable = true;
  // Create |dir| (mode 0700) when it does not exist; else kNotFound.
  bool create = true;
};

// |dir| empty, read-only layers from $HELIONRT_CACHE_READONLY_DIRS, the cap
// from $HELIONRT_CACHE_MAX_BYTES (default 1 GiB).
StoreOptions DefaultStoreOptions();

struct StoreStats {
  std::string dir;
  uint64_t entries = 0;  // binaries in the user directory
  uint64_t records = 0;  // tuning records in the user directory
  uint64_t bytes = 0;    // their file sizes
  uint64_t max_bytes = 0;
  uint64_t hits = 0;    // binary lookups, every process, since the last clear
  uint64_t misses = 0;  //   (this process's share included)
  uint64_t read_only_entries = 0;
  uint64_t read_only_records = 0;
  uint64_t read_only_bytes = 0;
};

// One file of the store, as ls shows it.
struct EntryInfo {
  std::string layer;  // the directory it lives in
  bool read_only = false;
  std::string name;  // path under <layer>/v1
  EntryKind kind = EntryKind::kBinary;
  Key key;
  uint64_t file_bytes = 0;
  uint64_t raw_bytes = 0;
  uint64_t created_ns = 0;
  uint64_t last_used_ns = 0;
  bool header_ok = true;  // false: the header does not parse (verify drops it)
};

struct VerifyReport {
  uint64_t checked = 0;               // entry and record files read and verified
  uint64_t dropped = 0;               // bad ones removed from the user directory
  uint64_t bad_read_only = 0;         // bad ones in read-only layers (left in place, never served)
  uint64_t temps_removed = 0;         // temp files of writers that died long ago
  std::vector<std::string> problems;  // "name: reason", one per bad file
};

struct PruneReport {
  uint64_t removed_entries = 0;
  uint64_t removed_records = 0;
  uint64_t removed_bytes = 0;
  uint64_t remaining_bytes = 0;
  uint64_t removed_bad = 0;    // files whose header did not parse
  uint64_t temps_removed = 0;  // temp files of writers that died long ago
};

// One tuning measurement, as AppendRecord stored it.
struct TuningRecord {
  std::vector<uint8_t> data;
  uint64_t created_ns = 0;
  std::string id;  // unique among the key's records: writer, process, sequence
  bool read_only = false;
};

class Store {
 public:
  // Opens (creating when |options.create|) the user directory and the
  // read-only layers. Fails when the user directory cannot be used: then the
  // caller runs without a cache, and the status says why (for an unsafe
  // directory: kFailedPrecondition, "... the cache is disabled. Run 'chmod
  // 700 DIR' ...").
  static Result<std::unique_ptr<Store>> Open(StoreOptions options);

  // Flushes this process's hit and miss counts into the usage file.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  //===--------------------------------------------------------------------===//
  // Binaries
  //===--------------------------------------------------------------------===//

  // The payload stored under |key|, or null on a miss. Looks in memory, then
  // the user directory, then each read-only layer. A file that is truncated,
  // corrupt, of another format version, or that holds another key is a miss
  // and, in the user directory, is removed. Takes no lock unless it removes.
  Blob Get(const Key& key);

  // Stores |payload| under |key|, replacing any previous one, durably
  // published before it returns (see StoreOptions::durable). May evict least
  // recently used entries to stay under the cap. kOutOfRange for a payload
  // whose file would exceed the cap.
  Status Put(const Key& key, std::span<const uint8_t> payload);

  //===--------------------------------------------------------------------===//
  // Tuning records
  //===--------------------------------------------------------------------===//

  // Adds one record under |key|. Records never replace each other: each is a
  // file of its own, so concurrent writers cannot lose one another's records.
  Status AppendRecord(const Key& key, std::span<const uint8_t> record);

  // Every valid record under |key|, from all layers, oldest first. Corrupt
  // record files are skipped (and removed from the user directory).
  Result<std::vector<TuningRecord>> Records(const Key& key);

  //===--------------------------------------------------------------------===//
  // Maintenance (the CLI's verbs). Each scans the directory.
  //===--------------------------------------------------------------------===//

  // Exact totals, recounted from disk (the usage file is rewritten).
  Result<StoreStats> Stats();
  // Every entry and record file of every layer, by layer then name.
  Result<std::vector<EntryInfo>> List();
  // Reads and verifies every file (checksum, key, decompression); drops bad
  // ones from the user directory.
  Result<VerifyReport> Verify();
  // Removes entries unused for |max_age_ns| (records older than it), then
  // least recently used binaries (then oldest records) until the user
  // directory holds at most |max_bytes|.
  Result<PruneReport> Prune(uint64_t max_bytes, std::optional<uint64_t> max_age_ns = std::nullopt);
  // Removes every entry and record of the user directory and zeroes the
  // totals. Read-only layers are untouched.
  Status Clear();
  // Writes this process's pending hit and miss counts to the usage file.
  Status Flush();

  // The user directory and the layers in use.
  const std::string& dir() const { return layers_[0].path; }
  const StoreOptions& options() const { return options_; }
  // Warnings from Open about read-only layers that were skipped.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Path of |key|'s binary entry file in the user directory (tests, tools).
  std::string EntryPath(const Key& key) const;

 private:
  struct Layer {
    std::string path;
    UniqueFd v1;  // <path>/v1
    bool writable = false;
  };
  struct ScannedFile;
  struct Scan;

  explicit Store(StoreOptions options)
      : options_(std::move(options)), memory_(options_.memory_bytes) {}

  // Reads the binary |key| from |layer|; null on a miss.
  Blob ReadBinary(const Layer& layer, const Key& key);
  // Refreshes the last-used stamp of |name| in the user directory.
  void Stamp(const std::string& name, uint64_t now_ns);
  // Publishes temp file |tmp| in |dirfd| as |name| (dir-relative) and
  // updates the totals, evicting if the cap is exceeded. For records
  // (|replace| false) a taken name is retried with the next sequence number,
  // and |*name| receives the final one.
  Status Commit(int dirfd, const std::string& dir_name, const std::string& tmp, std::string* name,
                EntryKind kind, uint64_t size, bool replace);
  // Removes |name| from the user directory if it is still the file the
  // caller read (same device and inode): another writer may have published
  // a good file under the name since.
  void RemoveIfSame(const std::string& name, uint64_t dev, uint64_t ino);

  // Which headers a scan reads (one open and pread each).
  enum class Headers { kNone, kBinaries, kAll };
  // Lists |layer|, parsing the headers |headers| asks for.
  Result<Scan> ScanLayer(const Layer& layer, Headers headers) const;
  // Under the lock: the totals, recounted when the usage file is missing or
  // damaged.
  Result<Usage> LoadUsageLocked(int lock_fd);
  // Under the lock: removes files whose header is bad and stale temps, then
  // entries older than |cutoff_ns| (when given), then LRU binaries and the
  // oldest records until at most |target| bytes remain; never |protect|.
  Result<PruneReport> EvictLocked(uint64_t target, std::optional<uint64_t> cutoff_ns,
                                  const std::string& protect, Usage* usage);
  // Adds and zeroes the pending hit and miss counts.
  void TakePending(Usage* usage);

  std::string TempName();
  std::string RecordName(const std::string& hex, uint64_t seq) const;

  const StoreOptions options_;
  std::vector<Layer> layers_;  // [0]: the writable user directory
  std::vector<std::string> warnings_;
  MemoryIndex memory_;
  uint64_t writer_id_ = 0;  // random, names this Store's temps and records
  std::atomic<uint64_t> sequence_{0};
  std::atomic<uint64_t> pending_hits_{0};
  std::atomic<uint64_t> pending_misses_{0};
};

}  // namespace hrt::cache
