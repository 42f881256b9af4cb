// Bundle format v1: the byte layout, shared by the writer (writer.cc), the
// reader (reader.cc) and white-box tests. docs/bundle-format.md is the
// authoritative description; this header mirrors it as constants.
//
// All integers are little-endian. A file is
//
//   header        40 bytes
//   section table section count x 32 bytes, right after the header
//   sections      each starting at a multiple of kSectionAlignment: the first
//                 at the first aligned offset after the table, each next one
//                 at the first aligned offset after its predecessor's end, in
//                 table order; padding bytes are zero; the last section ends
//                 at the file size. Section ids are strictly increasing.
//
// Header:
//    0  u8[8] magic "HRTBN\0\r\n"
//    8  u16 major, u16 minor       readers accept their major, any minor
//   12  u32 flags                  none defined; must be 0
//   16  u64 file size              must equal the size of the input
//   24  u64 header checksum        XXH3_64bits_withSeed(bytes [32, end of table),
//                                  seed = XXH3_64bits(bytes [0, 24)))
//   32  u32 section count
//   36  u32 reserved               must be 0
// Section table entry:
//    0  u32 id, 4 u32 flags (bit 0: required; other bits must be 0),
//    8  u64 offset, 16 u64 size, 24 u64 XXH3_64bits of the section's bytes
//
// Sections (fixed-size records unless noted; a section's size must be a
// multiple of its record size, and the record count is size / record size):
//   1 strings    u32 count, then count x {u32 length, bytes, 0x00}; no string
//                holds a NUL byte
//   2 kernels    24 bytes: u32 name, u32 flags (minor 1: bit 0 Triton ABI;
//                other bits must be 0), u32 ir blob (or kNoBlob), u32 first
//                tunable, u32 tunable count, u32 scratch params (Triton ABI:
//                trailing NULL pointer params, <= kMaxScratchParams; else 0)
//   3 tunables   24 bytes: u32 name, u32 first value (in ints), u32 value
//                count (>= 1), u32 reserved, i64 default
//   4 ints       8 bytes: i64 (tunable candidates)
//   5 variants   64 bytes, see kVariant* offsets below
//   6 config     16 bytes: u32 name, u32 reserved, i64 value
//   7 rules      24 bytes: u32 shape symbol name, u32 reserved, i64 min, i64 max
//   8 blobs      40 bytes: u64 offset (in blob data), u64 stored size, u64 raw
//                size, u64 XXH3_64bits of the stored bytes, u32 codec, u32
//                reserved
//   9 blob data  the blobs, each at a multiple of kBlobAlignment (relative to
//                the section start), placed like sections: in blob order,
//                zero padding, the last one ending at the section's end
//
// Every section 1..9 must be present. Record ranges (a kernel's tunables, a
// tunable's values, a variant's config entries and rules) must tile their
// pools in order: the first range starts at 0 and each starts where the
// previous one ended, and the last ends at the pool's end. Variants are
// grouped by kernel: their kernel indices never decrease.
#pragma once

#include <xxhash.h>

#include <cstddef>
#include <cstdint>

namespace hrt::bundle::format {

inline constexpr uint8_t kMagic[8] = {'H', 'R', 'T', 'B', 'N', '\0', '\r', '\n'};
inline constexpr uint16_t kMajor = 1;
inline constexpr uint16_t kMinor = 1;
// Kernel record flags (minor 1). A Triton-ABI kernel was compiled by Triton:
// its IR only declares the signature (no body to interpret or compile), its
// variants take tensors as bare pointers and scalars by value, followed by
// |scratch params| NULL pointers, and its grid comes from the launch.
inline constexpr uint32_t kKernelFlagTritonAbi = 1u << 0;
inline constexpr uint32_t kMaxScratchParams = 8;

inline constexpr size_t kHeaderSize = 40;
inline constexpr size_t kHeaderVersionOffset = 8;
inline constexpr size_t kHeaderFlagsOffset = 12;
inline constexpr size_t kHeaderFileSizeOffset = 16;
inline constexpr size_t kHeaderChecksumOffset = 24;
inline constexpr size_t kHeaderSectionCountOffset = 32;
inline constexpr size_t kHeaderReservedOffset = 36;

inline constexpr size_t kSectionEntrySize = 32;
inline constexpr size_t kSectionIdOffset = 0;
inline constexpr size_t kSectionFlagsOffset = 4;
inline constexpr size_t kSectionOffsetOffset = 8;
inline constexpr size_t kSectionSizeOffset = 16;
inline constexpr size_t kSectionChecksumOffset = 24;
inline constexpr uint32_t kSectionRequired = 1u << 0;
inline constexpr uint64_t kSectionAlignment = 64;
// Bounds the table a hostile header can make the reader walk.
inline constexpr uint32_t kMaxSections = 64;

inline constexpr uint32_t kSectionStrings = 1;
inline constexpr uint32_t kSectionKernels = 2;
inline constexpr uint32_t kSectionTunables = 3;
inline constexpr uint32_t kSectionInts = 4;
inline constexpr uint32_t kSectionVariants = 5;
inline constexpr uint32_t kSectionConfig = 6;
inline constexpr uint32_t kSectionRules = 7;
inline constexpr uint32_t kSectionBlobs = 8;
inline constexpr uint32_t kSectionBlobData = 9;
inline constexpr uint32_t kFirstSection = kSectionStrings;
inline constexpr uint32_t kLastSection = kSectionBlobData;

inline constexpr size_t kKernelRecordSize = 24;
inline constexpr size_t kTunableRecordSize = 24;
inline constexpr size_t kIntRecordSize = 8;
inline constexpr size_t kVariantRecordSize = 64;
inline constexpr size_t kConfigRecordSize = 16;
inline constexpr size_t kRuleRecordSize = 24;
inline constexpr size_t kBlobRecordSize = 40;

// Variant record.
inline constexpr size_t kVariantKernel = 0;        // u32 kernel index
inline constexpr size_t kVariantBackend = 4;       // u8 hrt_backend_t
inline constexpr size_t kVariantPayloadKind = 5;   // u8 PayloadKind
inline constexpr size_t kVariantArchVariant = 6;   // u8 select::ArchVariant
inline constexpr size_t kVariantReserved = 7;      // u8, must be 0
inline constexpr size_t kVariantArchMajor = 8;     // u16
inline constexpr size_t kVariantArchMinor = 10;    // u16, 0..9
inline constexpr size_t kVariantMinDriver = 12;    // i32, >= 0
inline constexpr size_t kVariantPtxMajor = 16;     // u16
inline constexpr size_t kVariantPtxMinor = 18;     // u16
inline constexpr size_t kVariantRegs = 20;         // u32 registers per thread (0: unknown)
inline constexpr size_t kVariantFeatures = 24;     // u64 required select::FeatureBits
inline constexpr size_t kVariantStaticSmem = 32;   // u32 bytes
inline constexpr size_t kVariantDynamicSmem = 36;  // u32 bytes
inline constexpr size_t kVariantThreads = 40;      // u32 threads per block (0: unknown)
inline constexpr size_t kVariantFirstConfig = 44;  // u32
inline constexpr size_t kVariantConfigCount = 48;  // u32
inline constexpr size_t kVariantFirstRule = 52;    // u32
inline constexpr size_t kVariantRuleCount = 56;    // u32
inline constexpr size_t kVariantPayloadBlob = 60;  // u32 blob index

inline constexpr uint32_t kNoBlob = 0xffffffffu;
inline constexpr uint64_t kBlobAlignment = 16;

// Blob codecs.
inline constexpr uint32_t kCodecRaw = 0;
inline constexpr uint32_t kCodecZstd = 1;

// Decompression limits: a zstd blob may not claim a raw size above
// kMaxBlobRawSize nor above kMaxZstdRatio times its stored size. The writer
// stores blobs raw when compressing them would break either limit.
inline constexpr uint64_t kMaxBlobRawSize = uint64_t{1} << 30;  // 1 GiB
inline constexpr uint64_t kMaxZstdRatio = 1024;

// The header checksum of a file whose section table ends at |table_end|
// (kHeaderSize + count * kSectionEntrySize <= the file's size).
inline uint64_t HeaderChecksum(const uint8_t* file, size_t table_end) {
  const uint64_t seed = XXH3_64bits(file, kHeaderChecksumOffset);
  return XXH3_64bits_withSeed(file + kHeaderSectionCountOffset,
                              table_end - kHeaderSectionCountOffset, seed);
}

}  // namespace hrt::bundle::format
