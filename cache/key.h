// Cache keys: a 128-bit XXH3 hash over a canonical, versioned encoding of
// everything that decides an entry's content (docs/cache.md, "Keys").
//
// The encoding is length-prefixed with a fixed field order, so the key does
// not depend on the order in which a caller sets fields, an unset field
// differs from an empty one, and no two different field lists encode to the
// same bytes (no "ab"+"c" == "a"+"bc" ambiguity). The store only compares
// keys; it never interprets the fields.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hrt::cache {

// A cache key: the 128-bit hash, |hi| being XXH128's high64 half.
struct Key {
  uint64_t hi = 0;
  uint64_t lo = 0;

  // 32 lower-case hex digits, hi first: the entry's file name.
  std::string Hex() const;
  // The inverse of Hex(); nullopt for anything but 32 hex digits.
  static std::optional<Key> FromHex(std::string_view hex);

  friend bool operator==(const Key&, const Key&) = default;
};

// For unordered containers.
struct KeyHash {
  size_t operator()(const Key& k) const { return static_cast<size_t>(k.lo ^ (k.hi * 31)); }
};

// Bumped when the encoding below changes; it is the first thing hashed, so
// keys of different encodings never collide.
inline constexpr uint32_t kKeyEncodingVersion = 1;

// The fields, in encoding order. Values are part of the encoding: append new
// fields at the end and bump kKeyEncodingVersion.
enum class KeyField : uint8_t {
  kBackend = 1,         // "cuda", "vulkan", "hip", "level_zero", "reference"
  kArch = 2,            // "sm_90a", "gfx942", a Vulkan device id, ...
  kDriverVersion = 3,   // the driver's version as the backend reports it
  kRuntimeVersion = 4,  // libhelionrt's version
  kCodegenVersion = 5,  // the emitter's version (bumped when its output changes)
  kArtifact = 6,        // what the entry holds: "cubin", "vk-pipeline-cache", "tuning", ...
  kIrHash = 7,          // hash of the kernel's serialized tile IR (bytes)
  kKernel = 8,          // the kernel's name inside the IR module
  kConfig = 9,          // canonical config text ("BLOCK_N=1024,WARPS=4")
  kShapeBucket = 10,    // shape bucket label, for tuning records
};
inline constexpr size_t kKeyFieldCount = 10;

// Collects the fields of one key. Setting a field twice keeps the last value.
// Thread-compatible; cheap to copy (a device's fields can be set once and the
// builder copied per kernel).
class KeyBuilder {
 public:
  // The device's hard key: what makes a binary for one device invalid on
  // another.
  KeyBuilder& Backend(std::string_view v) { return Set(KeyField::kBackend, v); }
  KeyBuilder& Arch(std::string_view v) { return Set(KeyField::kArch, v); }
  KeyBuilder& DriverVersion(std::string_view v) { return Set(KeyField::kDriverVersion, v); }
  KeyBuilder& RuntimeVersion(std::string_view v) { return Set(KeyField::kRuntimeVersion, v); }
  KeyBuilder& CodegenVersion(std::string_view v) { return Set(KeyField::kCodegenVersion, v); }
  KeyBuilder& Artifact(std::string_view v) { return Set(KeyField::kArtifact, v); }
  KeyBuilder& IrHash(std::span<const uint8_t> bytes);
  KeyBuilder& Kernel(std::string_view v) { return Set(KeyField::kKernel, v); }
  KeyBuilder& Config(std::string_view v) { return Set(KeyField::kConfig, v); }
  KeyBuilder& ShapeBucket(std::string_view v) { return Set(KeyField::kShapeBucket, v); }

  // Sets |field| to |value| (bytes, not necessarily text).
  KeyBuilder& Set(KeyField field, std::string_view value);
  // Makes |field| unset again.
  KeyBuilder& Clear(KeyField field);

  // The canonical encoding (docs/cache.md):
  //   u32 kKeyEncodingVersion, u32 kKeyFieldCount, then for each field in
  //   KeyField order: u8 field number, u8 present (0 or 1), u64 length,
  //   length bytes. Integers little-endian; an absent field has length 0.
  std::vector<uint8_t> Encode() const;
  // XXH3-128 of Encode().
  Key Build() const;

 private:
  std::array<std::optional<std::string>, kKeyFieldCount> fields_;
};

}  // namespace hrt::cache
