// The entry file format (cache/entry.h): round trips of both kinds, the
// codec choice, and that every truncation, every single bit flip outside the
// last-used stamp, a wrong key or kind, and hostile sizes are all rejected.
#define XXH_STATIC_LINKING_ONLY
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <random>
#include <vector>

#include "cache/entry.h"

namespace hrt::cache {
namespace {

std::vector<uint8_t> Compressible(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>("ld.global.f32 %f1, [%rd2];\n"[i % 27]);
  return v;
}

std::vector<uint8_t> Random(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

const Key kKey{0x0123456789abcdefULL, 0xfedcba9876543210ULL};

void Put64(std::vector<uint8_t>& f, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) f[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

// Recomputes the checksum the way the format says (XXH3-64 over bytes
// [0, 64) then the payload), so hostile headers get past it.
void Reseal(std::vector<uint8_t>& f) {
  XXH3_state_t s;
  XXH3_INITSTATE(&s);
  XXH3_64bits_reset(&s);
  XXH3_64bits_update(&s, f.data(), 64);
  XXH3_64bits_update(&s, f.data() + kEntryHeaderSize, f.size() - kEntryHeaderSize);
  Put64(f, 64, XXH3_64bits_digest(&s));
}

TEST(CacheEntry, RoundTripsBothKindsAndPicksTheCodec) {
  struct Case {
    std::vector<uint8_t> payload;
    bool expect_compressed;
  };
  const Case cases[] = {
      {{}, false}, {{42}, false}, {Compressible(10000), true}, {Random(10000, 1), false}};
  for (EntryKind kind : {EntryKind::kBinary, EntryKind::kTuningRecord}) {
    for (const Case& c : cases) {
      Result<std::vector<uint8_t>> file = EncodeEntry(kind, kKey, c.payload, 1234, 3);
      ASSERT_TRUE(file.ok()) << file.status().message();
      EntryHeader h;
      Result<std::vector<uint8_t>> back = DecodeEntry(*file, kind, kKey, &h);
      ASSERT_TRUE(back.ok()) << back.status().message();
      EXPECT_EQ(*back, c.payload);
      EXPECT_EQ(h.kind, kind);
      EXPECT_EQ(h.key, kKey);
      EXPECT_EQ(h.raw_size, c.payload.size());
      EXPECT_EQ(h.file_size(), file->size());
      EXPECT_EQ(h.created_ns, 1234u);
      EXPECT_EQ(h.last_used_ns, 1234u);
      EXPECT_EQ(h.codec == Codec::kZstd, c.expect_compressed);
      if (c.expect_compressed) {
        EXPECT_LT(file->size(), c.payload.size() / 4);
      }
    }
  }
}

TEST(CacheEntry, WrongKeyOrKindIsRejected) {
  const std::vector<uint8_t> file =
      EncodeEntry(EntryKind::kBinary, kKey, Compressible(500), 1, 3).value();
  Key other = kKey;
  other.lo ^= 1;
  EXPECT_EQ(DecodeEntry(file, EntryKind::kBinary, other).status().code(), Code::kCorruptData);
  other = kKey;
  other.hi ^= uint64_t{1} << 63;
  EXPECT_EQ(DecodeEntry(file, EntryKind::kBinary, other).status().code(), Code::kCorruptData);
  EXPECT_EQ(DecodeEntry(file, EntryKind::kTuningRecord, kKey).status().code(), Code::kCorruptData);
}

TEST(CacheEntry, EveryTruncationAndTrailingByteIsRejected) {
  for (const auto& payload : {Compressible(700), Random(300, 2)}) {
    std::vector<uint8_t> file = EncodeEntry(EntryKind::kBinary, kKey, payload, 1, 3).value();
    for (size_t n = 0; n < file.size(); ++n) {
      const std::span<const uint8_t> cut(file.data(), n);
      EXPECT_FALSE(DecodeEntry(cut, EntryKind::kBinary, kKey).ok()) << "length " << n;
    }
    file.push_back(0);
    EXPECT_FALSE(DecodeEntry(file, EntryKind::kBinary, kKey).ok()) << "trailing byte";
  }
}

TEST(CacheEntry, EverySingleBitFlipOutsideTheStampIsRejected) {
  for (const auto& payload : {Compressible(400), Random(200, 3)}) {
    const std::vector<uint8_t> file = EncodeEntry(EntryKind::kBinary, kKey, payload, 1, 3).value();
    for (size_t bit = 0; bit < file.size() * 8; ++bit) {
      std::vector<uint8_t> bad = file;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      Result<std::vector<uint8_t>> r = DecodeEntry(bad, EntryKind::kBinary, kKey);
      const size_t byte = bit / 8;
      if (byte >= kLastUsedOffset && byte < kLastUsedOffset + 8) {
        // The LRU stamp is rewritten in place, so it is outside the
        // checksum; a flip there can only change eviction order.
        ASSERT_TRUE(r.ok()) << "stamp bit " << bit;
        EXPECT_EQ(*r, payload);
      } else {
        EXPECT_FALSE(r.ok()) << "bit " << bit << " flipped and still accepted";
      }
    }
  }
}

TEST(CacheEntry, HostileHeadersWithValidChecksumsAreRejected) {
  const std::vector<uint8_t> good =
      EncodeEntry(EntryKind::kBinary, kKey, Compressible(2000), 1, 3).value();
  ASSERT_TRUE(DecodeEntry(good, EntryKind::kBinary, kKey).ok());
  auto with = [&](size_t at, uint64_t v, int bytes) {
    std::vector<uint8_t> f = good;
    for (int i = 0; i < bytes; ++i)
      f[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
    Reseal(f);
    return DecodeEntry(f, EntryKind::kBinary, kKey);
  };
  EXPECT_EQ(with(8, 2, 4).status().code(), Code::kVersionMismatch) << "format version";
  EXPECT_FALSE(with(12, 7, 4).ok()) << "unknown kind";
  EXPECT_FALSE(with(32, uint64_t{1} << 40, 8).ok()) << "raw size beyond the limit";
  EXPECT_FALSE(with(32, 1999, 8).ok()) << "raw size disagreeing with the frame";
  EXPECT_FALSE(with(40, 5, 8).ok()) << "stored size disagreeing with the file";
  EXPECT_FALSE(with(48, 9, 4).ok()) << "unknown codec";
  EXPECT_FALSE(with(48, 0, 4).ok()) << "codec none with raw != stored";
  EXPECT_FALSE(with(52, 64, 4).ok()) << "header size";
  // A zstd frame that is valid but of another content size, resealed.
  std::vector<uint8_t> f = good;
  f.resize(kEntryHeaderSize + 3);
  Put64(f, 40, 3);
  Reseal(f);
  EXPECT_FALSE(DecodeEntry(f, EntryKind::kBinary, kKey).ok());
}

TEST(CacheEntry, ParseHeaderAloneChecksTheFileSize) {
  const std::vector<uint8_t> file =
      EncodeEntry(EntryKind::kTuningRecord, kKey, Random(50, 4), 9, 3).value();
  const std::span<const uint8_t> head(file.data(), kEntryHeaderSize);
  Result<EntryHeader> h = ParseEntryHeader(head, file.size());
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->kind, EntryKind::kTuningRecord);
  EXPECT_EQ(h->key, kKey);
  EXPECT_FALSE(ParseEntryHeader(head, file.size() - 1).ok());
  EXPECT_FALSE(ParseEntryHeader(head, file.size() + 1).ok());
  EXPECT_FALSE(ParseEntryHeader(head.first(kEntryHeaderSize - 1), file.size()).ok());
}

}  // namespace
}  // namespace hrt::cache
