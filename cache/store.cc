// Store: opening, the binary read and write paths, tuning records.
// Maintenance (scans, eviction, verify, prune, clear) is in maintenance.cc.
#include "cache/store.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/bits.h"
#include "cache/location.h"
#include "cache/names.h"

namespace hrt::cache {
namespace {

uint64_t RandomId() {
  uint64_t v = 0;
  if (::getrandom(&v, sizeof(v), 0) != static_cast<ssize_t>(sizeof(v))) {
    v = NowNs() ^ (static_cast<uint64_t>(::getpid()) << 32);
  }
  return v;
}

std::string Hex16(uint64_t v) {
  return HexString(v, 16).substr(2);
}

void PutLe64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Writes the last-used stamp of the open entry |fd| in place.
void WriteStamp(int fd, uint64_t now_ns) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) < kEntryHeaderSize) return;
  uint8_t b[8];
  PutLe64(b, now_ns);
  // Best effort: a lost stamp only makes LRU order less precise.
  (void)!::pwrite(fd, b, sizeof(b), static_cast<off_t>(kLastUsedOffset));
}

}  // namespace

StoreOptions DefaultStoreOptions() {
  StoreOptions o;
  o.read_only_dirs = ReadOnlyDirsFromEnv();
  o.max_bytes = MaxBytesFromEnv(kDefaultMaxBytes);
  return o;
}

Result<std::unique_ptr<Store>> Store::Open(StoreOptions options) {
  if (options.dir.empty()) {
    HRT_ASSIGN_OR_RETURN(options.dir, DefaultCacheDir());
  }
  if (options.max_bytes == 0) return InvalidArgument("cache size cap must be positive");
  std::unique_ptr<Store> s(new Store(std::move(options)));
  const std::string& dir = s->options_.dir;
  HRT_ASSIGN_OR_RETURN(UniqueFd root, OpenPrivateDir(dir, s->options_.create));
  Result<UniqueFd> v1 = OpenOrCreateSubdir(root.get(), "v1");
  if (!v1.ok()) return v1.take_status().Annotate("cache '" + dir + "'");
  for (const char* sub : {kBinaryDir, kRecordDir}) {
    Result<UniqueFd> d = OpenOrCreateSubdir(v1->get(), sub);
    if (!d.ok()) return d.take_status().Annotate("cache '" + dir + "'");
  }
  s->layers_.push_back(Layer{dir, std::move(v1.value()), true});
  for (const std::string& ro : s->options_.read_only_dirs) {
    Result<UniqueFd> fd = OpenReadOnlyDir(ro);
    if (!fd.ok()) {
      if (fd.status().code() != Code::kNotFound) s->warnings_.push_back(fd.status().message());
      continue;
    }
    UniqueFd ro_v1(::openat(fd->get(), "v1", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!ro_v1.valid()) {
      if (errno != ENOENT)
        s->warnings_.push_back(ErrnoStatus("open '" + ro + "/v1'", errno).message());
      continue;
    }
    s->layers_.push_back(Layer{ro, std::move(ro_v1), false});
  }
  s->writer_id_ = RandomId();
  // Create or repair the usage file now, so that the first put pays no scan.
  {
    HRT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(s->layers_[0].v1.get(), kUsageFileName,
                                                          FileLock::Mode::kExclusive, true));
    HRT_ASSIGN_OR_RETURN(Usage usage, s->LoadUsageLocked(lock.fd()));
    HRT_RETURN_IF_ERROR(WriteUsage(lock.fd(), usage));
  }
  return s;
}

Store::~Store() {
  (void)Flush();
}

std::string Store::EntryPath(const Key& key) const {
  const std::string hex = key.Hex();
  return dir() + "/v1/" + FanoutDir(kBinaryDir, hex) + "/" + hex;
}

std::string Store::TempName() {
  return std::string(kTempPrefix) + Hex16(writer_id_) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(sequence_.fetch_add(1));
}

std::string Store::RecordName(const std::string& hex, uint64_t seq) const {
  // The pid keeps the names of a Store inherited across fork() apart.
  return RecordLeaf(
      hex, Hex16(writer_id_) + "-" + std::to_string(::getpid()) + "-" + std::to_string(seq));
}

Blob Store::Get(const Key& key) {
  const uint64_t now = NowNs();
  bool restamp = false;
  if (Blob b = memory_.Find(key, now, options_.stamp_interval_ns, &restamp)) {
    if (restamp) {
      const std::string hex = key.Hex();
      Stamp(FanoutDir(kBinaryDir, hex) + "/" + hex, now);
    }
    pending_hits_.fetch_add(1, std::memory_order_relaxed);
    return b;
  }
  for (const Layer& layer : layers_) {
    if (Blob b = ReadBinary(layer, key)) {
      memory_.Insert(key, b, now);
      pending_hits_.fetch_add(1, std::memory_order_relaxed);
      return b;
    }
  }
  pending_misses_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

Blob Store::ReadBinary(const Layer& layer, const Key& key) {
  const std::string hex = key.Hex();
  const std::string name = FanoutDir(kBinaryDir, hex) + "/" + hex;
  constexpr int kFlags = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  bool can_stamp = layer.writable;
  UniqueFd fd;
  if (layer.writable) {
    fd = UniqueFd(::openat(layer.v1.get(), name.c_str(), O_RDWR | kFlags));
    if (!fd.valid() && errno == ENOENT) return nullptr;
  }
  if (!fd.valid()) {
    can_stamp = false;  // read-only layer, or a file we may not write
    fd = UniqueFd(::openat(layer.v1.get(), name.c_str(), O_RDONLY | kFlags));
    if (!fd.valid()) return nullptr;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return nullptr;
  Status bad;
  Result<std::vector<uint8_t>> payload = std::vector<uint8_t>();
  EntryHeader header;
  if (!S_ISREG(st.st_mode)) {
    bad = CorruptData("not a regular file");
  } else if (static_cast<uint64_t>(st.st_size) > kEntryHeaderSize + kMaxPayloadBytes) {
    bad = CorruptData("larger than any entry");
  } else {
    Result<std::vector<uint8_t>> file = ReadExactly(fd.get(), static_cast<uint64_t>(st.st_size));
    if (!file.ok()) {
      bad = file.take_status();
    } else {
      payload = DecodeEntry(*file, EntryKind::kBinary, key, &header);
      if (!payload.ok()) bad = payload.take_status();
    }
  }
  if (!bad.ok()) {
    // Never served; gone from the user directory so the next put rewrites it.
    if (layer.writable && S_ISREG(st.st_mode)) {
      RemoveIfSame(name, static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino));
    }
    return nullptr;
  }
  const uint64_t now = NowNs();
  if (can_stamp &&
      (now - header.last_used_ns >= options_.stamp_interval_ns || now < header.last_used_ns)) {
    WriteStamp(fd.get(), now);
  }
  return std::make_shared<const std::vector<uint8_t>>(std::move(payload.value()));
}

void Store::Stamp(const std::string& name, uint64_t now_ns) {
  UniqueFd fd(
      ::openat(layers_[0].v1.get(), name.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.valid()) WriteStamp(fd.get(), now_ns);
}

Status Store::Put(const Key& key, std::span<const uint8_t> payload) {
  HRT_ASSIGN_OR_RETURN(std::vector<uint8_t> file, EncodeEntry(EntryKind::kBinary, key, payload,
                                                              NowNs(), options_.compression_level));
  if (file.size() > options_.max_bytes) {
    return OutOfRange("cache entry of " + std::to_string(file.size()) +
                      " bytes exceeds the cache cap of " + std::to_string(options_.max_bytes));
  }
  const std::string hex = key.Hex();
  const std::string dir_name = FanoutDir(kBinaryDir, hex);
  HRT_ASSIGN_OR_RETURN(UniqueFd dir, OpenOrCreateSubdir(layers_[0].v1.get(), dir_name));
  const std::string tmp = TempName();
  HRT_RETURN_IF_ERROR(WriteNewFile(dir.get(), tmp, file, options_.durable));
  std::string leaf = hex;
  HRT_RETURN_IF_ERROR(
      Commit(dir.get(), dir_name, tmp, &leaf, EntryKind::kBinary, file.size(), true));
  memory_.Insert(key, std::make_shared<const std::vector<uint8_t>>(payload.begin(), payload.end()),
                 NowNs());
  return Status::Ok();
}

Status Store::AppendRecord(const Key& key, std::span<const uint8_t> record) {
  HRT_ASSIGN_OR_RETURN(std::vector<uint8_t> file, EncodeEntry(EntryKind::kTuningRecord, key, record,
                                                              NowNs(), options_.compression_level));
  if (file.size() > options_.max_bytes) {
    return OutOfRange("tuning record of " + std::to_string(file.size()) +
                      " bytes exceeds the cache cap of " + std::to_string(options_.max_bytes));
  }
  const std::string hex = key.Hex();
  const std::string dir_name = FanoutDir(kRecordDir, hex);
  HRT_ASSIGN_OR_RETURN(UniqueFd dir, OpenOrCreateSubdir(layers_[0].v1.get(), dir_name));
  const std::string tmp = TempName();
  HRT_RETURN_IF_ERROR(WriteNewFile(dir.get(), tmp, file, options_.durable));
  std::string leaf = RecordName(hex, sequence_.fetch_add(1));
  return Commit(dir.get(), dir_name, tmp, &leaf, EntryKind::kTuningRecord, file.size(), false);
}

Status Store::Commit(int dirfd, const std::string& dir_name, const std::string& tmp,
                     std::string* leaf, EntryKind kind, uint64_t size, bool replace) {
  Status s = [&]() -> Status {
    // Held for the rename and the totals, plus an eviction pass when the cap
    // is exceeded; the write and fsync of the file happened before.
    HRT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(layers_[0].v1.get(), kUsageFileName,
                                                          FileLock::Mode::kExclusive, true));
    HRT_ASSIGN_OR_RETURN(Usage usage, LoadUsageLocked(lock.fd()));
    uint64_t old_size = 0;
    bool had_old = false;
    struct stat st {};
    if (replace && ::fstatat(dirfd, leaf->c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode)) {
      had_old = true;
      old_size = static_cast<uint64_t>(st.st_size);
    }
    Status renamed;
    for (int attempt = 0;; ++attempt) {
      renamed = RenameAt(dirfd, tmp, *leaf, replace);
      // A record name is taken only if another writer shares our id (a
      // 64-bit random number and pid): move on to the next sequence number.
      if (renamed.code() != Code::kFailedPrecondition || attempt == 8) break;
      *leaf = RecordName(leaf->substr(0, 32), sequence_.fetch_add(1));
    }
    HRT_RETURN_IF_ERROR(renamed);
    usage.bytes = usage.bytes - std::min(old_size, usage.bytes) + size;
    if (kind == EntryKind::kBinary) {
      if (!had_old) ++usage.entries;
    } else {
      ++usage.records;
    }
    TakePending(&usage);
    if (usage.bytes > options_.max_bytes) {
      // Down to 90%, so that the next puts do not each pay a scan.
      Result<PruneReport> r = EvictLocked(options_.max_bytes - options_.max_bytes / 10,
                                          std::nullopt, dir_name + "/" + *leaf, &usage);
      (void)r;  // the entry is published; a failed pass leaves the totals high
    }
    return WriteUsage(lock.fd(), usage);
  }();
  if (!s.ok()) {
    ::unlinkat(dirfd, tmp.c_str(), 0);
    return s.Annotate("cache '" + dir() + "'");
  }
  return options_.durable ? SyncDir(dirfd) : Status::Ok();
}

void Store::RemoveIfSame(const std::string& name, uint64_t dev, uint64_t ino) {
  Result<FileLock> lock =
      FileLock::Acquire(layers_[0].v1.get(), kUsageFileName, FileLock::Mode::kExclusive, true);
  if (!lock.ok()) return;
  struct stat st {};
  if (::fstatat(layers_[0].v1.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (static_cast<uint64_t>(st.st_dev) != dev || static_cast<uint64_t>(st.st_ino) != ino) return;
  if (::unlinkat(layers_[0].v1.get(), name.c_str(), 0) != 0) return;
  Result<Usage> usage = ReadUsage(lock->fd());
  if (!usage.ok()) return;  // the next writer recounts
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  usage->bytes -= std::min(usage->bytes, size);
  uint64_t& count = name.rfind(kBinaryDir, 0) == 0 ? usage->entries : usage->records;
  if (count > 0) --count;
  (void)WriteUsage(lock->fd(), *usage);
}

Result<std::vector<TuningRecord>> Store::Records(const Key& key) {
  const std::string hex = key.Hex();
  const std::string dir_name = FanoutDir(kRecordDir, hex);
  const std::string prefix = hex + ".";
  std::vector<TuningRecord> out;
  for (const Layer& layer : layers_) {
    UniqueFd dir(::openat(layer.v1.get(), dir_name.c_str(),
                          O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!dir.valid()) {
      if (errno == ENOENT) continue;
      return ErrnoStatus("open '" + layer.path + "/v1/" + dir_name + "'", errno);
    }
    HRT_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir.get()));
    for (const std::string& leaf : names) {
      if (leaf.size() <= prefix.size() || leaf.compare(0, prefix.size(), prefix) != 0) continue;
      UniqueFd fd(
          ::openat(dir.get(), leaf.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
      if (!fd.valid()) continue;  // removed since the listing
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0) continue;
      Status bad;
      if (!S_ISREG(st.st_mode) ||
          static_cast<uint64_t>(st.st_size) > kEntryHeaderSize + kMaxPayloadBytes) {
        bad = CorruptData("not a record file");
      } else {
        Result<std::vector<uint8_t>> file =
            ReadExactly(fd.get(), static_cast<uint64_t>(st.st_size));
        EntryHeader header;
        Result<std::vector<uint8_t>> data =
            file.ok() ? DecodeEntry(*file, EntryKind::kTuningRecord, key, &header)
                      : Result<std::vector<uint8_t>>(file.take_status());
        if (data.ok()) {
          out.push_back(TuningRecord{std::move(data.value()), header.created_ns,
                                     leaf.substr(prefix.size()), !layer.writable});
          continue;
        }
        bad = data.take_status();
      }
      if (layer.writable && S_ISREG(st.st_mode)) {
        RemoveIfSame(dir_name + "/" + leaf, static_cast<uint64_t>(st.st_dev),
                     static_cast<uint64_t>(st.st_ino));
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const TuningRecord& a, const TuningRecord& b) {
    return a.created_ns != b.created_ns ? a.created_ns < b.created_ns : a.id < b.id;
  });
  return out;
}

void Store::TakePending(Usage* usage) {
  usage->hits += pending_hits_.exchange(0, std::memory_order_relaxed);
  usage->misses += pending_misses_.exchange(0, std::memory_order_relaxed);
}

Status Store::Flush() {
  if (pending_hits_.load() == 0 && pending_misses_.load() == 0) return Status::Ok();
  HRT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(layers_[0].v1.get(), kUsageFileName,
                                                        FileLock::Mode::kExclusive, true));
  HRT_ASSIGN_OR_RETURN(Usage usage, LoadUsageLocked(lock.fd()));
  TakePending(&usage);
  return WriteUsage(lock.fd(), usage);
}

}  // namespace hrt::cache
