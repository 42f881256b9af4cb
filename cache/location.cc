#include "cache/location.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace hrt::cache {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string ModeString(mode_t mode) {
  std::string s = "0";
  for (int shift = 6; shift >= 0; shift -= 3) s += static_cast<char>('0' + ((mode >> shift) & 7));
  return s;
}

Status Refuse(const std::string& path, const std::string& why, const std::string& fix) {
  return Status(Code::kFailedPrecondition,
                "cache directory '" + path + "' " + why + "; the cache is disabled. " + fix);
}

// Creates every missing component of |path| with mode 0700.
Status MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    const std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus("create cache directory '" + prefix + "'", errno);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> DefaultCacheDir() {
  if (std::string d = Env("HELIONRT_CACHE_DIR"); !d.empty()) return d;
  // The XDG base directory spec says relative values are to be ignored.
  if (std::string x = Env("XDG_CACHE_HOME"); !x.empty() && x[0] == '/') return x + "/helionrt";
  std::string home = Env("HOME");
  if (home.empty()) {
    if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_dir != nullptr) {
      home = pw->pw_dir;
    }
  }
  if (home.empty()) {
    return Status(Code::kUnavailable,
                  "no cache directory: set HELIONRT_CACHE_DIR, XDG_CACHE_HOME or HOME");
  }
  return home + "/.cache/helionrt";
}

std::vector<std::string> ReadOnlyDirsFromEnv() {
  std::vector<std::string> dirs;
  const std::string list = Env("HELIONRT_CACHE_READONLY_DIRS");
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) dirs.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return dirs;
}

uint64_t MaxBytesFromEnv(uint64_t fallback) {
  const std::string v = Env("HELIONRT_CACHE_MAX_BYTES");
  if (v.empty()) return fallback;
  Result<uint64_t> n = ParseByteSize(v);
  return n.ok() ? *n : fallback;
}

Result<uint64_t> ParseByteSize(const std::string& text) {
  size_t i = 0;
  uint64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const uint64_t d = static_cast<uint64_t>(text[i] - '0');
    if (n > (UINT64_MAX - d) / 10) return InvalidArgument("size '" + text + "' overflows");
    n = n * 10 + d;
    ++i;
  }
  if (i == 0) return InvalidArgument("size '" + text + "' does not start with a number");
  std::string unit = text.substr(i);
  if (unit.size() == 3 && unit[1] == 'i' && (unit[2] == 'B' || unit[2] == 'b')) unit.resize(1);
  if (unit.size() == 2 && (unit[1] == 'B' || unit[1] == 'b')) unit.resize(1);
  int shift = -1;
  if (unit.empty() || unit == "B" || unit == "b") shift = 0;
  if (unit == "K" || unit == "k") shift = 10;
  if (unit == "M" || unit == "m") shift = 20;
  if (unit == "G" || unit == "g") shift = 30;
  if (unit == "T" || unit == "t") shift = 40;
  if (shift < 0) return InvalidArgument("size '" + text + "' has an unknown unit");
  if (shift > 0 && n > (UINT64_MAX >> shift))
    return InvalidArgument("size '" + text + "' overflows");
  return n << shift;
}

Result<UniqueFd> OpenPrivateDir(const std::string& path, bool create) {
  if (path.empty()) return InvalidArgument("empty cache directory path");
  if (::getuid() != ::geteuid() || ::getgid() != ::getegid()) {
    return Refuse(path, "would be shared by a set-user-ID or set-group-ID process",
                  "Run without set-ID privileges to use the cache.");
  }
  if (create) HRT_RETURN_IF_ERROR(MakeDirs(path));
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound("no cache directory at '" + path + "'");
    return ErrnoStatus("open cache directory '" + path + "'", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("stat cache directory '" + path + "'", errno);
  if (st.st_uid != ::geteuid()) {
    return Refuse(path,
                  "is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
                      std::to_string(::geteuid()) + ")",
                  "Set HELIONRT_CACHE_DIR to a directory of your own.");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Refuse(path,
                  "is writable by group or others (mode " + ModeString(st.st_mode & 07777) + ")",
                  "Run 'chmod 700 " + path + "' or set HELIONRT_CACHE_DIR to a private directory.");
  }
  return fd;
}

Result<UniqueFd> OpenReadOnlyDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound("no read-only cache directory at '" + path + "'");
    return ErrnoStatus("open read-only cache directory '" + path + "'", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("stat cache directory '" + path + "'", errno);
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return Status(Code::kFailedPrecondition, "read-only cache directory '" + path +
                                                 "' is owned by uid " + std::to_string(st.st_uid) +
                                                 ", neither root nor this user; skipped");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Status(Code::kFailedPrecondition, "read-only cache directory '" + path +
                                                 "' is writable by group or others (mode " +
                                                 ModeString(st.st_mode & 07777) + "); skipped");
  }
  return fd;
}

}  // namespace hrt::cache
