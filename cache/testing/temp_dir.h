// Test support for the cache: a private temporary directory, removed with
// everything in it when the object goes. Prefers /dev/shm (tmpfs), where the
// store's fsyncs cost nothing, so the many-process tests stay fast; set
// HRT_CACHE_TEST_ROOT to test on another file system.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace hrt::cache::testing {

class TempDir {
 public:
  TempDir() {
    std::string root;
    if (const char* r = std::getenv("HRT_CACHE_TEST_ROOT"); r != nullptr && *r != '\0') {
      root = r;
    } else if (::access("/dev/shm", W_OK | X_OK) == 0) {
      root = "/dev/shm";
    } else if (const char* t = std::getenv("TMPDIR"); t != nullptr && *t != '\0') {
      root = t;
    } else {
      root = "/tmp";
    }
    std::string templ = root + "/hrt-cache-test-XXXXXX";
    if (::mkdtemp(templ.data()) != nullptr) path_ = templ;  // mode 0700
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Empty when the directory could not be made.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace hrt::cache::testing
