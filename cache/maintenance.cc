// Store maintenance: directory scans, the totals, LRU eviction, and the
// verbs behind `helionrt cache` (stats, ls, verify, prune, clear).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "cache/names.h"
#include "cache/store.h"

namespace hrt::cache {

struct Store::ScannedFile {
  std::string name;                     // under <layer>/v1: "bin/ab/<hex>", "tune/ab/<hex>.<id>"
  EntryKind kind = EntryKind::kBinary;  // by the directory it is in
  bool temp = false;
  Key key;  // from the name
  uint64_t size = 0;
  uint64_t mtime_ns = 0;
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool header_read = false;
  std::optional<EntryHeader> header;  // when read and valid
  std::string problem;                // when read and invalid
};

struct Store::Scan {
  std::vector<ScannedFile> files;
};

namespace {

bool IsHexByte(const std::string& s) {
  return s.size() == 2 && Key::FromHex(s + std::string(30, '0')).has_value();
}

// The stamp LRU and age ordering go by: last use for binaries, creation for
// records (which are never "used" in place).
uint64_t OrderStamp(const EntryHeader& h) {
  return h.kind == EntryKind::kBinary ? h.last_used_ns : h.created_ns;
}

// Header check of one scanned file: the header parses, matches the file's
// size, and names the kind and key its path says.
template <typename File>
void ReadHeader(int v1, File& f) {
  f.header_read = true;
  UniqueFd fd(::openat(v1, f.name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    f.problem = ErrnoStatus("open", errno).message();
    return;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    f.problem = "not a regular file";
    return;
  }
  Result<std::vector<uint8_t>> head =
      ReadExactly(fd.get(), std::min<uint64_t>(f.size, kEntryHeaderSize));
  if (!head.ok()) {
    f.problem = head.status().message();
    return;
  }
  Result<EntryHeader> h = ParseEntryHeader(*head, f.size);
  if (!h.ok()) {
    f.problem = h.status().message();
  } else if (h->kind != f.kind) {
    f.problem = std::string("holds a ") + EntryKindName(h->kind) + " entry";
  } else if (!(h->key == f.key)) {
    f.problem = "holds key " + h->key.Hex();
  } else {
    f.header = *h;
  }
}

}  // namespace

Result<Store::Scan> Store::ScanLayer(const Layer& layer, Headers headers) const {
  Scan scan;
  for (const auto& [top, kind] : {std::pair{kBinaryDir, EntryKind::kBinary},
                                  std::pair{kRecordDir, EntryKind::kTuningRecord}}) {
    UniqueFd topfd(::openat(layer.v1.get(), top, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!topfd.valid()) {
      if (errno == ENOENT) continue;
      return ErrnoStatus("open '" + layer.path + "/v1/" + top + "'", errno);
    }
    HRT_ASSIGN_OR_RETURN(std::vector<std::string> fanouts, ListDirectory(topfd.get()));
    std::sort(fanouts.begin(), fanouts.end());
    for (const std::string& fan : fanouts) {
      if (!IsHexByte(fan)) continue;  // not ours: left alone
      UniqueFd dir(
          ::openat(topfd.get(), fan.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
      if (!dir.valid()) continue;
      HRT_ASSIGN_OR_RETURN(std::vector<std::string> leaves, ListDirectory(dir.get()));
      std::sort(leaves.begin(), leaves.end());
      for (const std::string& leaf : leaves) {
        ScannedFile f;
        f.name = std::string(top) + "/" + fan + "/" + leaf;
        f.kind = kind;
        f.temp = leaf.rfind(kTempPrefix, 0) == 0;
        if (!f.temp) {
          // Binaries are "<hex>", records "<hex>.<id>"; anything else is not
          // ours and is left alone.
          const bool shape =
              kind == EntryKind::kBinary ? leaf.size() == 32 : leaf.size() > 33 && leaf[32] == '.';
          std::optional<Key> key = shape ? Key::FromHex(leaf.substr(0, 32)) : std::nullopt;
          if (!key || leaf.compare(0, 2, fan) != 0) continue;
          f.key = *key;
        }
        struct stat st {};
        if (::fstatat(dir.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        f.size = static_cast<uint64_t>(st.st_size);
        f.mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
                     static_cast<uint64_t>(st.st_mtim.tv_nsec);
        f.dev = static_cast<uint64_t>(st.st_dev);
        f.ino = static_cast<uint64_t>(st.st_ino);
        const bool wanted = headers == Headers::kAll ||
                            (headers == Headers::kBinaries && kind == EntryKind::kBinary);
        if (wanted && !f.temp) ReadHeader(layer.v1.get(), f);
        scan.files.push_back(std::move(f));
      }
    }
  }
  return scan;
}

namespace {

// Totals of the files whose headers are valid.
template <typename Files>
Usage Recount(const Files& files) {
  Usage u;
  for (const auto& f : files) {
    if (f.temp || !f.header) continue;
    u.bytes += f.size;
    ++(f.kind == EntryKind::kBinary ? u.entries : u.records);
  }
  return u;
}

}  // namespace

Result<Usage> Store::LoadUsageLocked(int lock_fd) {
  Result<Usage> u = ReadUsage(lock_fd);
  if (u.ok()) return u;
  if (u.status().code() != Code::kNotFound && u.status().code() != Code::kCorruptData) return u;
  // New store, or a usage file torn by a crash: count what is there. The hit
  // and miss history is lost; it is only statistics.
  HRT_ASSIGN_OR_RETURN(Scan scan, ScanLayer(layers_[0], Headers::kAll));
  return Recount(scan.files);
}

Result<PruneReport> Store::EvictLocked(uint64_t target, std::optional<uint64_t> cutoff_ns,
                                       const std::string& protect, Usage* usage) {
  const int v1 = layers_[0].v1.get();
  // Record headers are read only if records must be judged by age or
  // evicted: a store holds far more records than binaries, and this runs
  // under the lock.
  HRT_ASSIGN_OR_RETURN(Scan scan,
                       ScanLayer(layers_[0], cutoff_ns ? Headers::kAll : Headers::kBinaries));
  PruneReport r;
  const uint64_t now = NowNs();
  // No rename happens while the lock is held, so the scanned name is still
  // the scanned file: unlink by name is safe here.
  auto remove = [&](const ScannedFile& f) {
    return ::unlinkat(v1, f.name.c_str(), 0) == 0 || errno == ENOENT;
  };
  std::vector<ScannedFile*> binaries, records;
  uint64_t total = 0;
  for (ScannedFile& f : scan.files) {
    if (f.temp) {
      if (now > f.mtime_ns && now - f.mtime_ns > kStaleTempNs && remove(f)) ++r.temps_removed;
      continue;
    }
    if (f.header_read && !f.header) {
      if (remove(f)) ++r.removed_bad;
      continue;
    }
    if (cutoff_ns && f.name != protect && OrderStamp(*f.header) < *cutoff_ns && remove(f)) {
      ++(f.kind == EntryKind::kBinary ? r.removed_entries : r.removed_records);
      r.removed_bytes += f.size;
      continue;
    }
    total += f.size;
    (f.kind == EntryKind::kBinary ? binaries : records).push_back(&f);
  }
  auto older = [](const ScannedFile* a, const ScannedFile* b) {
    const uint64_t sa = OrderStamp(*a->header), sb = OrderStamp(*b->header);
    return sa != sb ? sa < sb : a->name < b->name;
  };
  // Binaries go first: they can be rebuilt by a JIT, a measurement cannot.
  uint64_t kept_binaries = binaries.size(), kept_records = records.size();
  std::sort(binaries.begin(), binaries.end(), older);
  for (const ScannedFile* f : binaries) {
    if (total <= target) break;
    if (f->name == protect || !remove(*f)) continue;
    total -= f->size;
    r.removed_bytes += f->size;
    ++r.removed_entries;
    --kept_binaries;
  }
  if (total > target && !records.empty()) {
    std::vector<ScannedFile*> valid;
    for (ScannedFile* f : records) {
      if (!f->header_read) ReadHeader(v1, *f);
      if (f->header) {
        valid.push_back(f);
      } else if (remove(*f)) {
        total -= f->size;
        --kept_records;
        ++r.removed_bad;
      }
    }
    std::sort(valid.begin(), valid.end(), older);
    for (const ScannedFile* f : valid) {
      if (total <= target) break;
      if (f->name == protect || !remove(*f)) continue;
      total -= f->size;
      r.removed_bytes += f->size;
      ++r.removed_records;
      --kept_records;
    }
  }
  usage->bytes = total;
  usage->entries = kept_binaries;
  usage->records = kept_records;
  r.remaining_bytes = total;
  return r;
}

Result<StoreStats> Store::Stats() {
  StoreStats s;
  s.dir = dir();
  s.max_bytes = options_.max_bytes;
  {
    HRT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(layers_[0].v1.get(), kUsageFileName,
                                                          FileLock::Mode::kExclusive, true));
    HRT_ASSIGN_OR_RETURN(Usage usage, LoadUsageLocked(lock.fd()));
    HRT_ASSIGN_OR_RETURN(Scan scan, ScanLayer(layers_[0], Headers::kAll));
    const Usage exact = Recount(scan.files);
    usage.bytes = exact.bytes;
    usage.entries = exact.entries;
    usage.records = exact.records;
    TakePending(&usage);
    HRT_RETURN_IF_ERROR(WriteUsage(lock.fd(), usage));
    s.entries = usage.entries;
    s.records = usage.records;
    s.bytes = usage.bytes;
    s.hits = usage.hits;
    s.misses = usage.misses;
  }
  for (size_t i = 1; i < layers_.size(); ++i) {
    HRT_ASSIGN_OR_RETURN(Scan scan, ScanLayer(layers_[i], Headers::kAll));
    const Usage u = Recount(scan.files);
    s.read_only_entries += u.entries;
    s.read_only_records += u.records;
    s.read_only_bytes += u.bytes;
  }
  return s;
}

Result<std::vector<EntryInfo>> Store::List() {
  std::vector<EntryInfo> out;
  for (const Layer& layer : layers_) {
    HRT_ASSIGN_OR_RETURN(Scan scan, ScanLayer(layer, Headers::kAll));
    for (const ScannedFile& f : scan.files) {
      if (f.temp) continue;
      EntryInfo e;
      e.layer = layer.path;
      e.read_only = !layer.writable;
      e.name = f.name;
      e.kind = f.kind;
      e.key = f.key;
      e.file_bytes = f.size;
      e.header_ok = f.header.has_value();
      if (f.header) {
        e.raw_bytes = f.header->raw_size;
        e.created_ns = f.header->created_ns;
        e.last_used_ns = f.header->last_used_ns;
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

Result<VerifyReport> Store::Verify() {
  VerifyReport r;
  // Files are read without the lock (verifying a large store takes a while);
  // a bad one is removed only if it is still the file that was read.
  for (const Layer& layer : layers_) {
    HRT_ASSIGN_OR_RETURN(Scan scan, ScanLayer(layer, Headers::kNone));
    for (const ScannedFile& f : scan.files) {
      if (f.temp) continue;
      ++r.checked;
      UniqueFd fd(
          ::openat(layer.v1.get(), f.name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
      if (!fd.valid()) {
        if (errno == ENOENT) --r.checked;  // removed since the listing
        continue;
      }
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0) continue;
      Status bad;
      if (!S_ISREG(st.st_mode) ||
          static_cast<uint64_t>(st.st_size) > kEntryHeaderSize + kMaxPayloadBytes) {
        bad = CorruptData("not an entry file");
      } else {
        Result<std::vector<uint8_t>> file =
            ReadExactly(fd.get(), static_cast<uint64_t>(st.st_size));
        if (!file.ok()) {
          bad = file.take_status();
        } else {
          // Checks the kind and key the path names, and that it decompresses.
          Result<std::vector<uint8_t>> payload = DecodeEntry(*file, f.kind, f.key);
          if (!payload.ok()) bad = payload.take_status();
        }
      }
      if (bad.ok()) continue;
      r.problems.push_back(layer.path + "/v1/" + f.name + ": " + bad.message());
      if (!layer.writable) {
        ++r.bad_read_only;
      } else if (S_ISREG(st.st_mode)) {
        RemoveIfSame(f.name, static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino));
        ++r.dropped;
      }
    }
  }
  // Recount the totals and sweep dead writers' temps.
  HRT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(layers_[0].v1.get(), kUsageFileName,
                                                        FileLock::Mode::kExclusive, true));
  HRT_ASSIGN_OR_RETURN(Usage usage, LoadUsageLocked(lock.fd()));
  HRT_ASSIGN_OR_RETURN(PruneReport p, EvictLocked(UINT64_MAX, std::nullopt, "", &usage));
  r.dropped += p.removed_bad;
  r.temps_removed = p.temps_removed;
  TakePending(&usage);
  HRT_RETURN_IF_ERROR(WriteUsage(lock.fd(), usage));
  return r;
}

Result<PruneReport> Store::Prune(uint64_t max_bytes, std::optional<uint64_t> max_age_ns) {
  HRT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(layers_[0].v1.get(), kUsageFileName,
                                                        FileLock::Mode::kExclusive, true));
  HRT_ASSIGN_OR_RETURN(Usage usage, LoadUsageLocked(lock.fd()));
  std::optional<uint64_t> cutoff;
  if (max_age_ns) {
    const uint64_t now = NowNs();
    cutoff = now > *max_age_ns ? now - *max_age_ns : 0;
  }
  HRT_ASSIGN_OR_RETURN(PruneReport r, EvictLocked(max_bytes, cutoff, "", &usage));
  TakePending(&usage);
  HRT_RETURN_IF_ERROR(WriteUsage(lock.fd(), usage));
  return r;
}

Status Store::Clear() {
  HRT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(layers_[0].v1.get(), kUsageFileName,
                                                        FileLock::Mode::kExclusive, true));
  HRT_ASSIGN_OR_RETURN(Scan scan, ScanLayer(layers_[0], Headers::kNone));
  const uint64_t now = NowNs();
  Status s;
  for (const ScannedFile& f : scan.files) {
    // A fresh temp belongs to a writer in flight; it is not an entry yet.
    if (f.temp && !(now > f.mtime_ns && now - f.mtime_ns > kStaleTempNs)) continue;
    if (::unlinkat(layers_[0].v1.get(), f.name.c_str(), 0) != 0 && errno != ENOENT && s.ok()) {
      s = ErrnoStatus("remove '" + dir() + "/v1/" + f.name + "'", errno);
    }
  }
  memory_.Clear();
  pending_hits_.store(0);
  pending_misses_.store(0);
  HRT_RETURN_IF_ERROR(WriteUsage(lock.fd(), Usage{}));
  return s;
}

}  // namespace hrt::cache
