#include "cache/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace hrt::cache {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

Status ErrnoStatus(const std::string& what, int err) {
  return IoError(what + ": " + std::strerror(err));
}

uint64_t NowNs() {
  static std::atomic<uint64_t> last{0};
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t now = static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
  uint64_t prev = last.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t next = now > prev ? now : prev + 1;
    if (last.compare_exchange_weak(prev, next, std::memory_order_relaxed)) return next;
  }
}

Result<std::vector<uint8_t>> ReadExactly(int fd, uint64_t size) {
  std::vector<uint8_t> out(size);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read cache file", errno);
    }
    if (n == 0) {
      return CorruptData("cache file ended after " + std::to_string(done) + " of " +
                         std::to_string(size) + " bytes");
    }
    done += static_cast<size_t>(n);
  }
  return out;
}

Status WriteAll(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write cache file", errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<UniqueFd> OpenOrCreateSubdir(int dirfd, const std::string& name) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.valid()) return fd;
    if (errno != ENOENT) return ErrnoStatus("open cache directory '" + name + "'", errno);
    if (::mkdirat(dirfd, name.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus("create cache directory '" + name + "'", errno);
    }
  }
  return IoError("cache directory '" + name + "' vanished while being created");
}

Status WriteNewFile(int dirfd, const std::string& name, std::span<const uint8_t> bytes,
                    bool durable) {
  UniqueFd fd(
      ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return ErrnoStatus("create cache file '" + name + "'", errno);
  Status s = WriteAll(fd.get(), bytes);
  if (s.ok() && durable && ::fsync(fd.get()) != 0) s = ErrnoStatus("fsync cache file", errno);
  if (!s.ok()) ::unlinkat(dirfd, name.c_str(), 0);
  return s;
}

Status RenameAt(int dirfd, const std::string& from, const std::string& to, bool replace) {
  if (replace) {
    if (::renameat(dirfd, from.c_str(), dirfd, to.c_str()) != 0) {
      return ErrnoStatus("rename cache file to '" + to + "'", errno);
    }
    return Status::Ok();
  }
  if (::renameat2(dirfd, from.c_str(), dirfd, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  if (errno == EEXIST) return Status(Code::kFailedPrecondition, "'" + to + "' exists");
  if (errno != EINVAL && errno != ENOSYS) {
    return ErrnoStatus("rename cache file to '" + to + "'", errno);
  }
  // No RENAME_NOREPLACE here: link() refuses an existing name on every file
  // system, then the temp name goes.
  if (::linkat(dirfd, from.c_str(), dirfd, to.c_str(), 0) != 0) {
    if (errno == EEXIST) return Status(Code::kFailedPrecondition, "'" + to + "' exists");
    return ErrnoStatus("link cache file to '" + to + "'", errno);
  }
  ::unlinkat(dirfd, from.c_str(), 0);
  return Status::Ok();
}

Result<std::vector<std::string>> ListDirectory(int dirfd) {
  // fdopendir takes ownership of its descriptor, and reads from its offset:
  // give it a fresh one.
  const int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open cache directory for listing", errno);
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus("list cache directory", err);
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) return ErrnoStatus("list cache directory", err);
  return names;
}

Status SyncDir(int dirfd) {
  if (::fsync(dirfd) != 0) return ErrnoStatus("fsync cache directory", errno);
  return Status::Ok();
}

Result<FileLock> FileLock::Acquire(int dirfd, const std::string& name, Mode mode, bool blocking) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return ErrnoStatus("open cache lock file '" + name + "'", errno);
  const int op = (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | (blocking ? 0 : LOCK_NB);
  while (::flock(fd.get(), op) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return Status(Code::kUnavailable, "cache lock is busy");
    return ErrnoStatus("lock cache file '" + name + "'", errno);
  }
  return FileLock(std::move(fd));
}

}  // namespace hrt::cache
