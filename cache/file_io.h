// POSIX file helpers for the store: owned descriptors, whole-file reads and
// writes that survive short transfers and EINTR, temp files, flock. Every
// path is relative to a directory descriptor (the *at calls), so nothing a
// caller does to the path after the store opened its directory can redirect
// it.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace hrt::cache {

// An owned file descriptor; closes on destruction. -1 when empty.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// "what: strerror(err)" as an IoError.
Status ErrnoStatus(const std::string& what, int err);

// Wall-clock nanoseconds since the Unix epoch, strictly increasing within the
// process (two stamps taken in a row never tie, so LRU order is total).
uint64_t NowNs();

// Reads the whole of |fd| (a regular file of |size| bytes per fstat).
// kCorruptData when the file holds fewer bytes than |size|.
Result<std::vector<uint8_t>> ReadExactly(int fd, uint64_t size);

// Writes all of |bytes| at the current offset, retrying short writes.
Status WriteAll(int fd, std::span<const uint8_t> bytes);

// Creates directory |name| under |dirfd| with mode 0700 if it is missing and
// opens it. Succeeds when another process created it first.
Result<UniqueFd> OpenOrCreateSubdir(int dirfd, const std::string& name);

// Writes |bytes| to a new file |name| (created exclusively, mode 0600) under
// |dirfd|, then fsyncs it when |durable|. On failure nothing is left behind.
Status WriteNewFile(int dirfd, const std::string& name, std::span<const uint8_t> bytes,
                    bool durable);

// Renames |from| to |to| under |dirfd|. With |replace| false the rename fails
// with kFailedPrecondition when |to| exists (renameat2 RENAME_NOREPLACE, or
// link + unlink on file systems without it), so a name is never reused.
Status RenameAt(int dirfd, const std::string& from, const std::string& to, bool replace);

// The names in directory |dirfd| (not "." or ".."), in no particular order.
Result<std::vector<std::string>> ListDirectory(int dirfd);

// fsync of a directory, making renames and unlinks in it durable.
Status SyncDir(int dirfd);

// An flock(2) on a file under a directory, released on destruction. Each
// lock opens its own descriptor, so locks conflict between threads and across
// fork() exactly as between processes. The kernel drops the lock when the
// holder dies, however it dies.
class FileLock {
 public:
  enum class Mode { kShared, kExclusive };

  // Opens (creating, mode 0600) |name| under |dirfd| and locks it. With
  // |blocking| false, kUnavailable when another holder conflicts.
  static Result<FileLock> Acquire(int dirfd, const std::string& name, Mode mode, bool blocking);

  // The locked file, for reading and writing what it holds.
  int fd() const { return fd_.get(); }

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing it releases the lock
};

}  // namespace hrt::cache
