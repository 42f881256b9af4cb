// Where the store lives and whether a directory is safe to use
// (docs/cache.md, "Location" and "Permissions").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/file_io.h"

namespace hrt::cache {

// The user's writable cache directory: $HELIONRT_CACHE_DIR when set and
// non-empty, else $XDG_CACHE_HOME/helionrt when that is an absolute path,
// else $HOME/.cache/helionrt (the password database's home when $HOME is
// unset). kUnavailable when none of them gives a directory.
Result<std::string> DefaultCacheDir();

// The read-only system layers from $HELIONRT_CACHE_READONLY_DIRS, a
// ':'-separated list (empty items ignored), searched in order after the
// user's directory.
std::vector<std::string> ReadOnlyDirsFromEnv();

// The size cap from $HELIONRT_CACHE_MAX_BYTES (see ParseByteSize), else
// |fallback|. An unparsable value is ignored.
uint64_t MaxBytesFromEnv(uint64_t fallback);

// "123", "64K", "512M", "1G", "2T" (binary multiples; also "KiB", "MB"
// spellings). kInvalidArgument for anything else or an overflow.
Result<uint64_t> ParseByteSize(const std::string& text);

// Opens |path| as the private, writable cache root. With |create| missing
// directories are made with mode 0700 (kNotFound otherwise). Refused with
// kFailedPrecondition, and a message that says how to fix it, when the
// directory is not owned by the effective user, is writable by group or
// others, or when the process runs set-user-ID or set-group-ID (a cache
// shared with the real user would let them plant binaries).
Result<UniqueFd> OpenPrivateDir(const std::string& path, bool create);

// Opens |path| as a read-only layer. Refused (kFailedPrecondition) unless it
// is a directory owned by root or the effective user and not writable by
// group or others; kNotFound when it does not exist.
Result<UniqueFd> OpenReadOnlyDir(const std::string& path);

}  // namespace hrt::cache
