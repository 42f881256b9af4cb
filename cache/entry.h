// The entry file format, version 1 (docs/cache.md, "Entry files"): one
// header, then the payload, zstd-compressed unless that would not shrink it.
//
//   offset size
//    0      8   magic "HRTCACHE"
//    8      4   u32 format version (kEntryFormatVersion)
//   12      4   u32 kind (EntryKind)
//   16      8   u64 key.hi
//   24      8   u64 key.lo
//   32      8   u64 raw (uncompressed) payload size
//   40      8   u64 stored payload size; the file is exactly header + this
//   48      4   u32 codec: 0 stored as is, 1 zstd
//   52      4   u32 header size (kEntryHeaderSize)
//   56      8   u64 created, ns since the Unix epoch
//   64      8   u64 XXH3-64 over bytes [0, 64) then the stored payload
//   72      8   u64 last used, ns since the Unix epoch: the store's LRU stamp,
//               rewritten in place on use, hence outside the checksum
//   80          stored payload
//
// Integers are little-endian. Decoding trusts nothing: every size is checked
// against the file before it is used, and any failure is an error that the
// store turns into a miss.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "cache/key.h"

namespace hrt::cache {

enum class EntryKind : uint32_t {
  kBinary = 1,        // a compiled artifact (cubin, pipeline cache data, ...)
  kTuningRecord = 2,  // one tuning measurement; several per key
};

// "binary" or "tuning"; "unknown" otherwise.
const char* EntryKindName(EntryKind kind);

inline constexpr uint32_t kEntryFormatVersion = 1;
inline constexpr size_t kEntryHeaderSize = 80;
inline constexpr size_t kLastUsedOffset = 72;
// Larger payloads are refused on write and treated as corrupt on read, so a
// hostile header cannot make the reader allocate without bound.
inline constexpr uint64_t kMaxPayloadBytes = uint64_t{1} << 30;

enum class Codec : uint32_t { kNone = 0, kZstd = 1 };

struct EntryHeader {
  EntryKind kind = EntryKind::kBinary;
  Key key;
  uint64_t raw_size = 0;
  uint64_t stored_size = 0;
  Codec codec = Codec::kNone;
  uint64_t created_ns = 0;
  uint64_t checksum = 0;
  uint64_t last_used_ns = 0;

  // The whole file's size.
  uint64_t file_size() const { return kEntryHeaderSize + stored_size; }
};

// The complete file for |payload|, compressed at zstd |level| (stored as is
// when compression does not make it smaller). Both stamps are |now_ns|.
// kOutOfRange when |payload| exceeds kMaxPayloadBytes.
Result<std::vector<uint8_t>> EncodeEntry(EntryKind kind, const Key& key,
                                         std::span<const uint8_t> payload, uint64_t now_ns,
                                         int level);

// Checks the header of |file| (the first bytes of an entry file, or all of
// it): magic, version, kind and codec values, header size, payload bounds.
// When |file_size| is given it must equal header + stored size (catches
// truncation and trailing garbage). Does not verify the checksum.
Result<EntryHeader> ParseEntryHeader(std::span<const uint8_t> file, uint64_t file_size);

// Verifies all of |file| (header, checksum, kind == |kind|, key == |key|) and
// returns the decompressed payload. kCorruptData or kVersionMismatch say why
// the file must not be served. |out_header| (optional) receives the header.
Result<std::vector<uint8_t>> DecodeEntry(std::span<const uint8_t> file, EntryKind kind,
                                         const Key& key, EntryHeader* out_header = nullptr);

// Verifies |file| as DecodeEntry does, for whatever kind and key its header
// names (the maintenance scan, which finds files rather than keys).
Result<EntryHeader> VerifyEntry(std::span<const uint8_t> file);

}  // namespace hrt::cache
