// Persistent tuning measurements (docs/tuning.md, "Records").
//
// Every measurement a tuner makes is stored as one record with
// cache::Store::AppendRecord, under a key of the device's hard key, the
// kernel's IR hash and name, and the shape bucket, and not the config: all
// configs tried for one (kernel, device, bucket) share the key, so
// Store::Records returns them all and a new process's tuner starts from them.
//
// Record format, version 1 (integers little-endian):
//   0   4  magic "HRTT"
//   4   2  u16 format version (1)
//   6   1  u8 kind (MeasurementKind)
//   7   1  u8 reserved, 0
//   8   4  u32 body size B
//   12  4  u32 reserved, 0
//   16  B  body:
//          str backend, str arch, str driver version, str IR hash (bytes),
//          str kernel, str shape bucket label, str codegen version,
//          str runtime version   (str = u16 length + bytes, at most 4096)
//          u16 config entries, each: str name, i64 value
//          u64 median of the samples (ns)
//          u32 sample count, then u64 samples (ns), oldest first
//   16+B 8  u64 XXH3-64 of bytes [0, 16 + B)
// A decoder accepts exactly this: any other size, version, kind, reserved
// value, length, checksum, count, or a median that is not the samples'
// median is rejected, so a record that decodes re-encodes to the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/key.h"
#include "cache/store.h"
#include "codegen/ir/ir.h"
#include "runtime/tuning/measurement.h"

namespace hrt::tuning {

inline constexpr uint16_t kRecordFormatVersion = 1;
inline constexpr size_t kMaxRecordString = 4096;
inline constexpr size_t kMaxRecordSamples = 4096;
inline constexpr size_t kMaxRecordConfigEntries = 256;

// What makes a binary for one device invalid on another (cache/key.h).
struct DeviceKey {
  std::string backend;         // "cuda"
  std::string arch;            // "sm_90a"
  std::string driver_version;  // as the backend reports it
  friend bool operator==(const DeviceKey&, const DeviceKey&) = default;
};

// Everything a record is about, besides the measurement itself.
struct TuningContext {
  DeviceKey device;
  std::vector<uint8_t> ir_hash;  // KernelIrHash()
  std::string kernel;            // the kernel's name
  std::string bucket;            // ShapeBucket::Label()
  // Records of another codegen or runtime version are stale: they are kept
  // in the store but ignored by LoadMeasurements.
  std::string codegen_version;
  std::string runtime_version;
  friend bool operator==(const TuningContext&, const TuningContext&) = default;
};

struct Record {
  TuningContext context;
  Measurement measurement;
  friend bool operator==(const Record&, const Record&) = default;
};

// The kernel's IR hash: XXH3-128 of the canonical binary IR
// (ir::WriteModuleBinary of a module holding only |kernel|), 16 bytes, the
// low half first, each half little-endian.
std::vector<uint8_t> KernelIrHash(const ir::Kernel& kernel);

// The store key of |context|'s records: backend, arch, driver version,
// artifact "tuning", IR hash, kernel name and shape bucket. The versions are
// not part of it (a stale record is found, then ignored) and neither is any
// config.
cache::Key TuningKey(const TuningContext& context);

// kInvalidArgument when a string, the config or the samples exceed the
// format's limits, a config entry has an empty name, or the samples do not
// suit the kind (failures carry none, measurements at least one).
Result<std::vector<uint8_t>> EncodeRecord(const Record& record);
// kCorruptData for anything but a well-formed record; kVersionMismatch for
// another format version. Never reads outside |data|.
Result<Record> DecodeRecord(std::span<const uint8_t> data);

// Stores each of |measurements| as one record under TuningKey(|context|).
// Stops at the first failure and returns it.
Status AppendMeasurements(cache::Store& store, const TuningContext& context,
                          std::span<const Measurement> measurements);

struct LoadedMeasurements {
  std::vector<Measurement> measurements;  // oldest first, ready for Tuner::Seed
  size_t stale = 0;                       // another codegen or runtime version: ignored
  size_t foreign = 0;                     // decodes but is about another device, kernel or bucket
  size_t corrupt = 0;                     // does not decode
};

// The measurements stored for |context|. Records that do not decode, or
// belong to another context, or are stale, are counted and skipped.
Result<LoadedMeasurements> LoadMeasurements(cache::Store& store, const TuningContext& context);

}  // namespace hrt::tuning
