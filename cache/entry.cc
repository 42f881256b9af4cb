#include "cache/entry.h"

// The state type is complete only with static linking declarations; the
// library is the same.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#include <zstd.h>

#include <cstring>
#include <memory>

namespace hrt::cache {
namespace {

constexpr char kMagic[8] = {'H', 'R', 'T', 'C', 'A', 'C', 'H', 'E'};
constexpr size_t kChecksumOffset = 64;

void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t Get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// XXH3-64 of the checksummed header bytes followed by the stored payload.
uint64_t Checksum(const uint8_t* header, std::span<const uint8_t> stored) {
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, header, kChecksumOffset);
  XXH3_64bits_update(&state, stored.data(), stored.size());
  return XXH3_64bits_digest(&state);
}

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

// One context per thread: creating one per call costs more than compressing
// a small PTX file.
ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

}  // namespace

const char* EntryKindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kBinary: return "binary";
    case EntryKind::kTuningRecord: return "tuning";
  }
  return "unknown";
}

Result<std::vector<uint8_t>> EncodeEntry(EntryKind kind, const Key& key,
                                         std::span<const uint8_t> payload, uint64_t now_ns,
                                         int level) {
  if (payload.size() > kMaxPayloadBytes) {
    return OutOfRange("cache payload of " + std::to_string(payload.size()) +
                      " bytes exceeds the limit of " + std::to_string(kMaxPayloadBytes));
  }
  std::vector<uint8_t> file(kEntryHeaderSize + ZSTD_compressBound(payload.size()));
  Codec codec = Codec::kNone;
  size_t stored = payload.size();
  ZSTD_CCtx* cctx = ThreadCCtx();
  if (cctx != nullptr && !payload.empty()) {
    const size_t n =
        ZSTD_compressCCtx(cctx, file.data() + kEntryHeaderSize, file.size() - kEntryHeaderSize,
                          payload.data(), payload.size(), level);
    if (!ZSTD_isError(n) && n < payload.size()) {
      codec = Codec::kZstd;
      stored = n;
    }
  }
  if (codec == Codec::kNone && !payload.empty()) {
    std::memcpy(file.data() + kEntryHeaderSize, payload.data(), payload.size());
  }
  file.resize(kEntryHeaderSize + stored);
  uint8_t* h = file.data();
  std::memcpy(h, kMagic, sizeof(kMagic));
  Put32(h + 8, kEntryFormatVersion);
  Put32(h + 12, static_cast<uint32_t>(kind));
  Put64(h + 16, key.hi);
  Put64(h + 24, key.lo);
  Put64(h + 32, payload.size());
  Put64(h + 40, stored);
  Put32(h + 48, static_cast<uint32_t>(codec));
  Put32(h + 52, static_cast<uint32_t>(kEntryHeaderSize));
  Put64(h + 56, now_ns);
  Put64(h + kChecksumOffset, Checksum(h, std::span<const uint8_t>(file).subspan(kEntryHeaderSize)));
  Put64(h + kLastUsedOffset, now_ns);
  return file;
}

Result<EntryHeader> ParseEntryHeader(std::span<const uint8_t> file, uint64_t file_size) {
  if (file.size() < kEntryHeaderSize) {
    return CorruptData("cache entry of " + std::to_string(file.size()) +
                       " bytes is shorter than its header (" + std::to_string(kEntryHeaderSize) +
                       ")");
  }
  const uint8_t* h = file.data();
  if (std::memcmp(h, kMagic, sizeof(kMagic)) != 0) return CorruptData("not a cache entry (magic)");
  const uint32_t version = Get32(h + 8);
  if (version != kEntryFormatVersion) {
    return Status(Code::kVersionMismatch, "cache entry format version " + std::to_string(version) +
                                              ", this reader knows " +
                                              std::to_string(kEntryFormatVersion));
  }
  EntryHeader e;
  const uint32_t kind = Get32(h + 12);
  if (kind != static_cast<uint32_t>(EntryKind::kBinary) &&
      kind != static_cast<uint32_t>(EntryKind::kTuningRecord)) {
    return CorruptData("cache entry kind " + std::to_string(kind) + " is unknown");
  }
  e.kind = static_cast<EntryKind>(kind);
  e.key = Key{Get64(h + 16), Get64(h + 24)};
  e.raw_size = Get64(h + 32);
  e.stored_size = Get64(h + 40);
  const uint32_t codec = Get32(h + 48);
  if (codec > static_cast<uint32_t>(Codec::kZstd)) {
    return CorruptData("cache entry codec " + std::to_string(codec) + " is unknown");
  }
  e.codec = static_cast<Codec>(codec);
  if (Get32(h + 52) != kEntryHeaderSize) return CorruptData("cache entry header size is wrong");
  e.created_ns = Get64(h + 56);
  e.checksum = Get64(h + kChecksumOffset);
  e.last_used_ns = Get64(h + kLastUsedOffset);
  if (e.raw_size > kMaxPayloadBytes || e.stored_size > kMaxPayloadBytes) {
    return CorruptData("cache entry sizes exceed the payload limit");
  }
  if (e.codec == Codec::kNone && e.raw_size != e.stored_size) {
    return CorruptData("uncompressed cache entry has different raw and stored sizes");
  }
  if (file_size != e.file_size()) {
    return CorruptData("cache entry is " + std::to_string(file_size) + " bytes, its header says " +
                       std::to_string(e.file_size()));
  }
  return e;
}

Result<EntryHeader> VerifyEntry(std::span<const uint8_t> file) {
  HRT_ASSIGN_OR_RETURN(EntryHeader e, ParseEntryHeader(file, file.size()));
  if (Checksum(file.data(), file.subspan(kEntryHeaderSize)) != e.checksum) {
    return CorruptData("cache entry checksum mismatch");
  }
  return e;
}

Result<std::vector<uint8_t>> DecodeEntry(std::span<const uint8_t> file, EntryKind kind,
                                         const Key& key, EntryHeader* out_header) {
  HRT_ASSIGN_OR_RETURN(EntryHeader e, VerifyEntry(file));
  if (e.kind != kind) {
    return CorruptData(std::string("cache entry holds a ") + EntryKindName(e.kind) +
                       " entry, expected " + EntryKindName(kind));
  }
  if (!(e.key == key)) {
    return CorruptData("cache entry holds key " + e.key.Hex() + ", expected " + key.Hex());
  }
  const std::span<const uint8_t> stored = file.subspan(kEntryHeaderSize);
  std::vector<uint8_t> raw(e.raw_size);
  if (e.codec == Codec::kNone) {
    if (!raw.empty()) std::memcpy(raw.data(), stored.data(), raw.size());
  } else {
    const unsigned long long content = ZSTD_getFrameContentSize(stored.data(), stored.size());
    if (content != e.raw_size) return CorruptData("cache entry frame size disagrees with header");
    ZSTD_DCtx* dctx = ThreadDCtx();
    if (dctx == nullptr) return Status(Code::kOutOfMemory, "cannot create a zstd context");
    const size_t n =
        ZSTD_decompressDCtx(dctx, raw.data(), raw.size(), stored.data(), stored.size());
    if (ZSTD_isError(n) || n != e.raw_size) {
      return CorruptData(std::string("cache entry does not decompress: ") +
                         (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short output"));
    }
  }
  if (out_header != nullptr) *out_header = e;
  return raw;
}

}  // namespace hrt::cache
