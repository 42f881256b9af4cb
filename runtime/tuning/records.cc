#include "runtime/tuning/records.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "codegen/ir/binary.h"
#include "runtime/tuning/sample_stats.h"

namespace hrt::tuning {
namespace {

constexpr uint8_t kMagic[4] = {'H', 'R', 'T', 'T'};
constexpr size_t kHeaderSize = 16;
constexpr size_t kChecksumSize = 8;

class Writer {
 public:
  void Le(uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void Str(std::string_view s) {
    Le(s.size(), 2);
    out_.insert(out_.end(), s.begin(), s.end());
  }
  std::vector<uint8_t>& bytes() { return out_; }

 private:
  std::vector<uint8_t> out_;
};

// Bounds-checked reader: every read checks what is left first and fails
// without moving when it is too short.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  bool Le(uint64_t* v, int width) {
    if (data_.size() - pos_ < static_cast<size_t>(width)) return false;
    uint64_t x = 0;
    for (int i = 0; i < width; ++i) x |= uint64_t{data_[pos_ + static_cast<size_t>(i)]} << (8 * i);
    pos_ += static_cast<size_t>(width);
    *v = x;
    return true;
  }
  bool Str(std::string* s) {
    uint64_t n = 0;
    if (!Le(&n, 2) || n > kMaxRecordString || data_.size() - pos_ < n) return false;
    s->assign(reinterpret_cast<const char*>(data_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

std::string_view AsText(const std::vector<uint8_t>& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

std::vector<uint8_t> KernelIrHash(const ir::Kernel& kernel) {
  ir::Module module;
  module.kernels.push_back(kernel);
  const std::vector<uint8_t> bin = ir::WriteModuleBinary(module);
  const XXH128_hash_t h = XXH3_128bits(bin.data(), bin.size());
  std::vector<uint8_t> out;
  for (uint64_t half : {h.low64, h.high64}) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(half >> (8 * i)));
  }
  return out;
}

cache::Key TuningKey(const TuningContext& c) {
  return cache::KeyBuilder()
      .Backend(c.device.backend)
      .Arch(c.device.arch)
      .DriverVersion(c.device.driver_version)
      .Artifact("tuning")
      .IrHash(c.ir_hash)
      .Kernel(c.kernel)
      .ShapeBucket(c.bucket)
      .Build();
}

Result<std::vector<uint8_t>> EncodeRecord(const Record& record) {
  const TuningContext& c = record.context;
  const Measurement& m = record.measurement;
  const std::string_view strings[] = {c.device.backend,  c.device.arch,    c.device.driver_version,
                                      AsText(c.ir_hash), c.kernel,         c.bucket,
                                      c.codegen_version, c.runtime_version};
  for (std::string_view s : strings) {
    if (s.size() > kMaxRecordString) return InvalidArgument("tuning record: a string is too long");
  }
  if (m.config.entries.size() > kMaxRecordConfigEntries) {
    return InvalidArgument("tuning record: too many config entries");
  }
  for (const auto& [name, value] : m.config.entries) {
    if (name.empty() || name.size() > kMaxRecordString) {
      return InvalidArgument("tuning record: bad config entry name");
    }
  }
  const auto kind = static_cast<uint8_t>(m.kind);
  if (kind < 1 || kind > kMaxMeasurementKind) return InvalidArgument("tuning record: bad kind");
  const bool timed = m.kind == MeasurementKind::kMeasured || m.kind == MeasurementKind::kWinner;
  if (m.samples_ns.size() > kMaxRecordSamples || timed == m.samples_ns.empty()) {
    return InvalidArgument("tuning record: " + std::to_string(m.samples_ns.size()) +
                           " samples do not suit its kind");
  }

  Writer w;
  w.bytes().insert(w.bytes().end(), std::begin(kMagic), std::end(kMagic));
  w.Le(kRecordFormatVersion, 2);
  w.Le(kind, 1);
  w.Le(0, 1);
  w.Le(0, 4);  // body size, patched below
  w.Le(0, 4);
  for (std::string_view s : strings) w.Str(s);
  w.Le(m.config.entries.size(), 2);
  for (const auto& [name, value] : m.config.entries) {
    w.Str(name);
    w.Le(static_cast<uint64_t>(value), 8);
  }
  w.Le(Median(m.samples_ns), 8);
  w.Le(m.samples_ns.size(), 4);
  for (uint64_t s : m.samples_ns) w.Le(s, 8);
  std::vector<uint8_t>& out = w.bytes();
  const uint64_t body = out.size() - kHeaderSize;
  for (int i = 0; i < 4; ++i)
    out[8 + static_cast<size_t>(i)] = static_cast<uint8_t>(body >> (8 * i));
  w.Le(XXH3_64bits(out.data(), out.size()), 8);
  return std::move(out);
}

Result<Record> DecodeRecord(std::span<const uint8_t> data) {
  auto corrupt = [](const std::string& why) { return CorruptData("tuning record: " + why); };
  if (data.size() < kHeaderSize + kChecksumSize) return corrupt("too short");
  if (std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) return corrupt("bad magic");
  Reader header(data.subspan(4, kHeaderSize - 4));
  uint64_t version = 0, kind = 0, reserved8 = 0, body = 0, reserved32 = 0;
  header.Le(&version, 2);
  header.Le(&kind, 1);
  header.Le(&reserved8, 1);
  header.Le(&body, 4);
  header.Le(&reserved32, 4);
  if (version != kRecordFormatVersion) {
    return Status(Code::kVersionMismatch, "tuning record: format version " +
                                              std::to_string(version) + ", expected " +
                                              std::to_string(kRecordFormatVersion));
  }
  if (kind < 1 || kind > kMaxMeasurementKind) return corrupt("bad kind");
  if (reserved8 != 0 || reserved32 != 0) return corrupt("reserved bits set");
  if (body != data.size() - kHeaderSize - kChecksumSize) return corrupt("size mismatch");
  uint64_t checksum = 0;
  Reader(data.subspan(data.size() - kChecksumSize)).Le(&checksum, 8);
  if (checksum != XXH3_64bits(data.data(), data.size() - kChecksumSize)) {
    return corrupt("checksum mismatch");
  }

  Record r;
  TuningContext& c = r.context;
  Measurement& m = r.measurement;
  m.kind = static_cast<MeasurementKind>(kind);
  Reader in(data.subspan(kHeaderSize, body));
  std::string ir_hash;
  std::string* strings[] = {&c.device.backend,  &c.device.arch,    &c.device.driver_version,
                            &ir_hash,           &c.kernel,         &c.bucket,
                            &c.codegen_version, &c.runtime_version};
  for (std::string* s : strings) {
    if (!in.Str(s)) return corrupt("truncated string");
  }
  c.ir_hash.assign(ir_hash.begin(), ir_hash.end());
  uint64_t entries = 0;
  if (!in.Le(&entries, 2) || entries > kMaxRecordConfigEntries) return corrupt("bad config count");
  std::set<std::string> names;
  for (uint64_t i = 0; i < entries; ++i) {
    std::string name;
    uint64_t value = 0;
    if (!in.Str(&name) || !in.Le(&value, 8)) return corrupt("truncated config");
    if (name.empty() || !names.insert(name).second) return corrupt("bad config entry name");
    m.config.entries.emplace_back(std::move(name), static_cast<int64_t>(value));
  }
  uint64_t median = 0, count = 0;
  if (!in.Le(&median, 8) || !in.Le(&count, 4) || count > kMaxRecordSamples) {
    return corrupt("bad sample count");
  }
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t s = 0;
    if (!in.Le(&s, 8)) return corrupt("truncated samples");
    m.samples_ns.push_back(s);
  }
  if (!in.at_end()) return corrupt("trailing bytes");
  const bool timed = m.kind == MeasurementKind::kMeasured || m.kind == MeasurementKind::kWinner;
  if (timed == m.samples_ns.empty()) return corrupt("sample count does not suit the kind");
  if (median != Median(m.samples_ns)) return corrupt("median does not match the samples");
  return r;
}

Status AppendMeasurements(cache::Store& store, const TuningContext& context,
                          std::span<const Measurement> measurements) {
  const cache::Key key = TuningKey(context);
  for (const Measurement& m : measurements) {
    HRT_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, EncodeRecord(Record{context, m}));
    HRT_RETURN_IF_ERROR(store.AppendRecord(key, bytes));
  }
  return Status::Ok();
}

Result<LoadedMeasurements> LoadMeasurements(cache::Store& store, const TuningContext& context) {
  HRT_ASSIGN_OR_RETURN(std::vector<cache::TuningRecord> records, store.Records(TuningKey(context)));
  LoadedMeasurements out;
  for (const cache::TuningRecord& tr : records) {
    Result<Record> r = DecodeRecord(tr.data);
    if (!r.ok()) {
      ++out.corrupt;
      continue;
    }
    const TuningContext& c = r->context;
    if (c.device != context.device || c.ir_hash != context.ir_hash || c.kernel != context.kernel ||
        c.bucket != context.bucket) {
      ++out.foreign;
      continue;
    }
    if (c.codegen_version != context.codegen_version ||
        c.runtime_version != context.runtime_version) {
      ++out.stale;
      continue;
    }
    out.measurements.push_back(std::move(r->measurement));
  }
  return out;
}

}  // namespace hrt::tuning
