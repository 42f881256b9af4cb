// Binary form of a tile-IR module.
//
// Layout (little-endian), documented in docs/tile-ir.md:
//   header   magic "HRTIR\0\r\n", u16 major, u16 minor, u32 flags,
//            u64 total size, u64 xxh3-64 of every byte after the header,
//            u32 section count, u32 reserved
//   table    per section: u32 id, u32 flags (bit 0 = required), u64 offset, u64 size
//   sections string table, kernels; unknown optional sections are skipped,
//            unknown required sections are rejected.
// A reader accepts the same major version and any minor version; a newer
// minor version may add optional sections only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "codegen/ir/ir.h"

namespace hrt::ir {

inline constexpr uint16_t kIrFormatMajor = 1;
inline constexpr uint16_t kIrFormatMinor = 0;

// Serializes a module. The module should be verified; the output is
// deterministic (same module, same bytes).
std::vector<uint8_t> WriteModuleBinary(const Module& module);

// True when |data| starts with the binary magic (used to tell binary from
// text input).
bool LooksLikeBinaryModule(std::span<const uint8_t> data);

// Parses and verifies a binary module. Every offset, length and count is
// bounds-checked before use and the checksum is checked before anything else
// is decoded. Errors: kCorruptData (bad magic, checksum, truncation, lengths
// out of range), kVersionMismatch (other major version), kUnsupported (an
// unknown required section, unknown header or section flags),
// kVerificationFailed.
Result<Module> ReadModuleBinary(std::span<const uint8_t> data);

}  // namespace hrt::ir
