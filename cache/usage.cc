#include "cache/usage.h"

#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

#include "cache/file_io.h"

namespace hrt::cache {
namespace {

constexpr char kMagic[8] = {'H', 'R', 'T', 'U', 'S', 'A', 'G', 'E'};
constexpr size_t kSize = 64;

void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

Result<Usage> ReadUsage(int fd) {
  uint8_t b[kSize + 1];
  ssize_t n;
  do {
    n = ::pread(fd, b, sizeof(b), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus("read cache usage file", errno);
  if (n == 0) return NotFound("cache usage file is empty");
  if (n != static_cast<ssize_t>(kSize) || std::memcmp(b, kMagic, 8) != 0 || Get64(b + 8) != 1 ||
      XXH3_64bits(b, 56) != Get64(b + 56)) {
    return CorruptData("cache usage file is damaged");
  }
  return Usage{Get64(b + 16), Get64(b + 24), Get64(b + 32), Get64(b + 40), Get64(b + 48)};
}

Status WriteUsage(int fd, const Usage& u) {
  uint8_t b[kSize] = {};
  std::memcpy(b, kMagic, 8);
  Put64(b + 8, 1);  // version 1, then the u32 zero
  Put64(b + 16, u.bytes);
  Put64(b + 24, u.entries);
  Put64(b + 32, u.records);
  Put64(b + 40, u.hits);
  Put64(b + 48, u.misses);
  Put64(b + 56, XXH3_64bits(b, 56));
  ssize_t n;
  do {
    n = ::pwrite(fd, b, kSize, 0);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(kSize)) return ErrnoStatus("write cache usage file", errno);
  return Status::Ok();
}

}  // namespace hrt::cache
