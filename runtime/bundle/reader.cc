#include "runtime/bundle/reader.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "base/bits.h"
#include "codegen/ir/binary.h"
#include "runtime/bundle/le.h"
#include "runtime/bundle/validate.h"

namespace hrt::bundle {

bool LooksLikeBundle(std::span<const uint8_t> bytes) {
  return bytes.size() >= sizeof(format::kMagic) &&
         std::memcmp(bytes.data(), format::kMagic, sizeof(format::kMagic)) == 0;
}

namespace {

constexpr const char* kSectionNames[format::kLastSection + 1] = {
    "unknown",  "strings", "kernels", "tunables", "ints",
    "variants", "config",  "rules",   "blobs",    "blob-data",
};

Status Corrupt(const std::string& message) {
  return CorruptData("bundle: " + message);
}

std::string Hex(uint64_t v) {
  return HexString(v);
}

bool AllZero(std::span<const uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

std::string Describe(const SectionInfo& s) {
  return std::string("section ") + SectionName(s.id) + " (id " + std::to_string(s.id) + ")";
}

std::string Record(const char* what, size_t index) {
  return std::string(what) + " " + std::to_string(index);
}

}  // namespace

const char* SectionName(uint32_t id) {
  return id >= format::kFirstSection && id <= format::kLastSection ? kSectionNames[id]
                                                                   : kSectionNames[0];
}

// Fills a BundleView from bytes, validating as it goes. Sections are decoded
// in dependency order: strings, ints and blobs first, then the records that
// refer to them.
class BundleParser {
 public:
  BundleParser(std::span<const uint8_t> bytes, BundleView* view) : bytes_(bytes), view_(view) {}

  Status Parse() {
    view_->bytes_ = bytes_;
    HRT_RETURN_IF_ERROR(ParseHeaderAndTable());
    HRT_RETURN_IF_ERROR(ParseStrings(Section(format::kSectionStrings)));
    HRT_RETURN_IF_ERROR(ParseInts(Section(format::kSectionInts)));
    HRT_RETURN_IF_ERROR(ParseBlobs(Section(format::kSectionBlobs)));
    HRT_RETURN_IF_ERROR(ParseTunables(Section(format::kSectionTunables)));
    HRT_RETURN_IF_ERROR(ParseKernels(Section(format::kSectionKernels)));
    HRT_RETURN_IF_ERROR(ParseConfig(Section(format::kSectionConfig)));
    HRT_RETURN_IF_ERROR(ParseRules(Section(format::kSectionRules)));
    return ParseVariants(Section(format::kSectionVariants));
  }

 private:
  std::span<const uint8_t> Section(uint32_t id) const {
    const SectionInfo& s = view_->sections_[known_[id]];
    return bytes_.subspan(s.offset, s.size);
  }

  Status ParseHeaderAndTable() {
    const size_t size = bytes_.size();
    if (size < format::kHeaderSize) {
      return Corrupt("truncated: " + std::to_string(size) + " bytes, the header alone needs " +
                     std::to_string(format::kHeaderSize));
    }
    const uint8_t* h = bytes_.data();
    if (std::memcmp(h, format::kMagic, sizeof(format::kMagic)) != 0) {
      return Corrupt("bad magic: not a helionrt bundle");
    }
    const uint16_t major = le::LoadU16(h + format::kHeaderVersionOffset);
    const uint16_t minor = le::LoadU16(h + format::kHeaderVersionOffset + 2);
    if (major != format::kMajor) {
      return Status(Code::kVersionMismatch, "bundle: format " + std::to_string(major) + "." +
                                                std::to_string(minor) + ", this reader reads " +
                                                std::to_string(format::kMajor) + ".x");
    }
    view_->minor_ = minor;
    const uint64_t file_size = le::LoadU64(h + format::kHeaderFileSizeOffset);
    if (file_size != size) {
      return Corrupt("the header says " + std::to_string(file_size) + " bytes but the input has " +
                     std::to_string(size) + " (truncated or damaged)");
    }
    const uint32_t count = le::LoadU32(h + format::kHeaderSectionCountOffset);
    if (count > format::kMaxSections) {
      return Corrupt(std::to_string(count) + " sections (limit " +
                     std::to_string(format::kMaxSections) + ")");
    }
    const size_t table_end = format::kHeaderSize + size_t{count} * format::kSectionEntrySize;
    if (table_end > size) return Corrupt("the section table runs past the end of the file");
    if (format::HeaderChecksum(h, table_end) != le::LoadU64(h + format::kHeaderChecksumOffset)) {
      return Corrupt("header checksum mismatch");
    }
    const uint32_t flags = le::LoadU32(h + format::kHeaderFlagsOffset);
    if (flags != 0) {
      return Unsupported("bundle: header flags " + Hex(flags) + " unknown to this reader");
    }
    if (le::LoadU32(h + format::kHeaderReservedOffset) != 0) {
      return Corrupt("reserved header field is not 0");
    }

    known_.fill(kAbsent);
    uint64_t prev_end = table_end;
    for (uint32_t i = 0; i < count; ++i) {
      const uint8_t* e = h + format::kHeaderSize + size_t{i} * format::kSectionEntrySize;
      SectionInfo s;
      s.id = le::LoadU32(e + format::kSectionIdOffset);
      s.flags = le::LoadU32(e + format::kSectionFlagsOffset);
      s.offset = le::LoadU64(e + format::kSectionOffsetOffset);
      s.size = le::LoadU64(e + format::kSectionSizeOffset);
      s.checksum = le::LoadU64(e + format::kSectionChecksumOffset);
      const auto name = [&] { return Describe(s); };
      if (!view_->sections_.empty() && s.id <= view_->sections_.back().id) {
        return Corrupt(name() + " follows id " + std::to_string(view_->sections_.back().id) +
                       " (ids must increase)");
      }
      if (s.offset > size || s.size > size - s.offset) {
        return Corrupt(name() + " at offset " + std::to_string(s.offset) + ", size " +
                       std::to_string(s.size) + " lies outside the file of " +
                       std::to_string(size) + " bytes");
      }
      const uint64_t expected = AlignUp(prev_end, format::kSectionAlignment);
      if (s.offset < prev_end) {
        return Corrupt(name() + " at offset " + std::to_string(s.offset) + " overlaps " +
                       (i == 0 ? std::string("the section table") : "the previous section") +
                       " ending at " + std::to_string(prev_end));
      }
      if (s.offset != expected) {
        return Corrupt(name() + " at offset " + std::to_string(s.offset) + ", expected " +
                       std::to_string(expected) + " (sections follow each other at " +
                       std::to_string(format::kSectionAlignment) + "-byte alignment)");
      }
      if (!AllZero(bytes_.subspan(prev_end, s.offset - prev_end))) {
        return Corrupt("non-zero padding before " + name());
      }
      if ((s.flags & ~format::kSectionRequired) != 0) {
        return Unsupported("bundle: " + name() + " has flags " + Hex(s.flags) +
                           " unknown to this reader");
      }
      const bool known = s.id >= format::kFirstSection && s.id <= format::kLastSection;
      if (!known && (s.flags & format::kSectionRequired)) {
        return Unsupported(
            "bundle: " + name() + " is required but unknown to this reader (format " +
            std::to_string(format::kMajor) + "." + std::to_string(format::kMinor) + ")");
      }
      if (known) known_[s.id] = view_->sections_.size();
      prev_end = s.offset + s.size;
      view_->sections_.push_back(s);
    }
    if (prev_end != size) {
      return Corrupt(std::to_string(size - prev_end) + " bytes after the last section");
    }
    for (uint32_t id = format::kFirstSection; id <= format::kLastSection; ++id) {
      if (known_[id] == kAbsent) {
        return Corrupt(std::string("missing section ") + SectionName(id) + " (id " +
                       std::to_string(id) + ")");
      }
      const SectionInfo& s = view_->sections_[known_[id]];
      if (id == format::kSectionBlobData) {
        // Checked by VerifyAll(); each blob carries its own checksum, checked
        // when it is read, so opening does not hash the payloads.
        view_->blob_data_ = bytes_.subspan(s.offset, s.size);
        view_->blob_data_checksum_ = s.checksum;
        continue;
      }
      if (XXH3_64bits(bytes_.data() + s.offset, s.size) != s.checksum) {
        return Corrupt(Describe(s) + " checksum mismatch");
      }
    }
    return Status::Ok();
  }

  // Records of |record_size| bytes; the count is the section size over it.
  static Result<size_t> RecordCount(std::span<const uint8_t> section, size_t record_size,
                                    uint32_t id) {
    if (section.size() % record_size != 0) {
      return Corrupt(std::string("section ") + SectionName(id) + " size " +
                     std::to_string(section.size()) + " is not a multiple of " +
                     std::to_string(record_size));
    }
    return section.size() / record_size;
  }

  template <typename Where>
  Result<std::string_view> String(uint32_t index, const Where& where) const {
    if (index >= strings_.size()) {
      return Corrupt(where() + ": string index " + std::to_string(index) +
                     " out of range (table has " + std::to_string(strings_.size()) + ")");
    }
    return strings_[index];
  }

  Status ParseStrings(std::span<const uint8_t> s) {
    if (s.size() < 4) return Corrupt("string table shorter than its count");
    const uint32_t count = le::LoadU32(s.data());
    // Each string takes at least its length and its NUL.
    if (count > (s.size() - 4) / 5) {
      return Corrupt("string count " + std::to_string(count) + " cannot fit the table");
    }
    strings_.reserve(count);
    size_t pos = 4;
    for (uint32_t i = 0; i < count; ++i) {
      if (s.size() - pos < 4) return Corrupt(Record("string", i) + " runs past the table");
      const uint32_t length = le::LoadU32(s.data() + pos);
      pos += 4;
      if (length >= s.size() - pos) return Corrupt(Record("string", i) + " runs past the table");
      const std::string_view str(reinterpret_cast<const char*>(s.data() + pos), length);
      if (s[pos + length] != 0) return Corrupt(Record("string", i) + " is not NUL-terminated");
      const std::string problem = NameProblem(str);
      if (!problem.empty()) return Corrupt(Record("string", i) + ": " + problem);
      strings_.push_back(str);
      pos += length + 1;
    }
    if (pos != s.size()) return Corrupt("trailing bytes after the string table");
    return Status::Ok();
  }

  Status ParseInts(std::span<const uint8_t> s) {
    HRT_ASSIGN_OR_RETURN(const size_t count,
                         RecordCount(s, format::kIntRecordSize, format::kSectionInts));
    view_->ints_.resize(count);
    for (size_t i = 0; i < count; ++i) {
      view_->ints_[i] = le::LoadI64(s.data() + i * format::kIntRecordSize);
    }
    return Status::Ok();
  }

  Status ParseBlobs(std::span<const uint8_t> s) {
    HRT_ASSIGN_OR_RETURN(const size_t count,
                         RecordCount(s, format::kBlobRecordSize, format::kSectionBlobs));
    const std::span<const uint8_t> data = view_->blob_data_;
    view_->blobs_.reserve(count);
    uint64_t prev_end = 0;
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* r = s.data() + i * format::kBlobRecordSize;
      BlobInfo b;
      b.offset = le::LoadU64(r);
      b.stored_size = le::LoadU64(r + 8);
      b.raw_size = le::LoadU64(r + 16);
      b.checksum = le::LoadU64(r + 24);
      b.codec = le::LoadU32(r + 32);
      const auto name = [&] { return Record("blob", i); };
      if (le::LoadU32(r + 36) != 0) return Corrupt(name() + ": reserved field is not 0");
      if (b.offset > data.size() || b.stored_size > data.size() - b.offset) {
        return Corrupt(name() + " at offset " + std::to_string(b.offset) + ", size " +
                       std::to_string(b.stored_size) + " lies outside the blob data (" +
                       std::to_string(data.size()) + " bytes)");
      }
      const uint64_t expected = AlignUp(prev_end, format::kBlobAlignment);
      if (b.offset != expected) {
        return Corrupt(name() + " at offset " + std::to_string(b.offset) + ", expected " +
                       std::to_string(expected) +
                       (b.offset < prev_end ? " (overlaps the previous blob)" : ""));
      }
      if (!AllZero(data.subspan(prev_end, b.offset - prev_end))) {
        return Corrupt("non-zero padding before " + name());
      }
      if (b.raw_size == 0) return Corrupt(name() + " is empty");
      if (b.codec == format::kCodecRaw) {
        if (b.raw_size != b.stored_size) {
          return Corrupt(name() + " is stored raw but its raw size " + std::to_string(b.raw_size) +
                         " differs from its stored size " + std::to_string(b.stored_size));
        }
      } else if (b.codec == format::kCodecZstd) {
        if (b.raw_size > format::kMaxBlobRawSize ||
            b.raw_size > b.stored_size * format::kMaxZstdRatio) {
          return Corrupt(name() + " claims " + std::to_string(b.raw_size) + " bytes from " +
                         std::to_string(b.stored_size) +
                         " compressed (limits: " + std::to_string(format::kMaxBlobRawSize) +
                         " bytes, ratio " + std::to_string(format::kMaxZstdRatio) + ")");
        }
      } else {
        return Corrupt(name() + " has unknown codec " + std::to_string(b.codec));
      }
      prev_end = b.offset + b.stored_size;
      view_->blobs_.push_back(b);
    }
    if (prev_end != data.size()) {
      return Corrupt(std::to_string(data.size() - prev_end) + " bytes after the last blob");
    }
    return Status::Ok();
  }

  Status ParseTunables(std::span<const uint8_t> s) {
    HRT_ASSIGN_OR_RETURN(const size_t count,
                         RecordCount(s, format::kTunableRecordSize, format::kSectionTunables));
    view_->tunables_.reserve(count);
    uint64_t next_value = 0;
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* r = s.data() + i * format::kTunableRecordSize;
      const auto name = [&] { return Record("tunable", i); };
      TunableView t;
      HRT_ASSIGN_OR_RETURN(t.name, String(le::LoadU32(r), name));
      t.first_value = le::LoadU32(r + 4);
      t.value_count = le::LoadU32(r + 8);
      if (le::LoadU32(r + 12) != 0) return Corrupt(name() + ": reserved field is not 0");
      t.default_value = le::LoadI64(r + 16);
      if (t.first_value != next_value || t.value_count > view_->ints_.size() - next_value) {
        return Corrupt(name() + ": candidates [" + std::to_string(t.first_value) + ", +" +
                       std::to_string(t.value_count) + ") do not follow the previous tunable's");
      }
      next_value += t.value_count;
      const std::string problem = TunableProblem(
          std::span(view_->ints_).subspan(t.first_value, t.value_count), t.default_value);
      if (!problem.empty()) return Corrupt(name() + ": " + problem);
      view_->tunables_.push_back(t);
    }
    if (next_value != view_->ints_.size()) return Corrupt("candidates not used by any tunable");
    return Status::Ok();
  }

  Status ParseKernels(std::span<const uint8_t> s) {
    HRT_ASSIGN_OR_RETURN(const size_t count,
                         RecordCount(s, format::kKernelRecordSize, format::kSectionKernels));
    view_->kernels_.reserve(count);
    view_->kernels_by_name_.reserve(count);
    uint64_t next_tunable = 0;
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* r = s.data() + i * format::kKernelRecordSize;
      const auto name = [&] { return Record("kernel", i); };
      KernelView k;
      HRT_ASSIGN_OR_RETURN(k.name, String(le::LoadU32(r), name));
      const uint32_t flags = le::LoadU32(r + 4);
      if ((flags & ~format::kKernelFlagTritonAbi) != 0) {
        return Status(Code::kUnsupported,
                      name() + ": unknown flags (a newer minor version of the format)");
      }
      k.triton_abi = (flags & format::kKernelFlagTritonAbi) != 0;
      k.ir_blob = le::LoadU32(r + 8);
      if (k.ir_blob != format::kNoBlob && k.ir_blob >= view_->blobs_.size()) {
        return Corrupt(name() + ": IR blob " + std::to_string(k.ir_blob) + " out of range");
      }
      k.first_tunable = le::LoadU32(r + 12);
      k.tunable_count = le::LoadU32(r + 16);
      k.scratch_params = le::LoadU32(r + 20);
      if (!k.triton_abi && k.scratch_params != 0) {
        return Corrupt(name() + ": scratch params without the Triton ABI");
      }
      if (k.scratch_params > format::kMaxScratchParams) {
        return Corrupt(name() + ": more than " + std::to_string(format::kMaxScratchParams) +
                       " scratch params");
      }
      if (k.triton_abi && k.ir_blob == format::kNoBlob) {
        return Corrupt(name() + ": a Triton-ABI kernel without its signature IR");
      }
      if (k.first_tunable != next_tunable ||
          k.tunable_count > view_->tunables_.size() - next_tunable) {
        return Corrupt(name() + ": tunables do not follow the previous kernel's");
      }
      next_tunable += k.tunable_count;
      view_->kernels_by_name_.emplace_back(k.name, static_cast<uint32_t>(i));
      view_->kernels_.push_back(k);
    }
    if (next_tunable != view_->tunables_.size()) {
      return Corrupt("tunables not used by any kernel");
    }
    auto& by_name = view_->kernels_by_name_;
    std::sort(by_name.begin(), by_name.end());
    const auto dup = std::adjacent_find(by_name.begin(), by_name.end(),
                                        [](auto& a, auto& b) { return a.first == b.first; });
    if (dup != by_name.end()) {
      return Corrupt("kernel name '" + std::string(dup->first) + "' repeated");
    }
    return Status::Ok();
  }

  Status ParseConfig(std::span<const uint8_t> s) {
    HRT_ASSIGN_OR_RETURN(const size_t count,
                         RecordCount(s, format::kConfigRecordSize, format::kSectionConfig));
    view_->config_.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* r = s.data() + i * format::kConfigRecordSize;
      const auto name = [&] { return Record("config entry", i); };
      ConfigView c;
      HRT_ASSIGN_OR_RETURN(c.name, String(le::LoadU32(r), name));
      if (le::LoadU32(r + 4) != 0) return Corrupt(name() + ": reserved field is not 0");
      c.value = le::LoadI64(r + 8);
      view_->config_.push_back(c);
    }
    return Status::Ok();
  }

  Status ParseRules(std::span<const uint8_t> s) {
    HRT_ASSIGN_OR_RETURN(const size_t count,
                         RecordCount(s, format::kRuleRecordSize, format::kSectionRules));
    view_->rules_.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* r = s.data() + i * format::kRuleRecordSize;
      const auto name = [&] { return Record("shape rule", i); };
      RuleView rule;
      HRT_ASSIGN_OR_RETURN(rule.symbol, String(le::LoadU32(r), name));
      if (le::LoadU32(r + 4) != 0) return Corrupt(name() + ": reserved field is not 0");
      rule.min = le::LoadI64(r + 8);
      rule.max = le::LoadI64(r + 16);
      const std::string problem = ShapeRuleProblem(rule.min, rule.max);
      if (!problem.empty()) return Corrupt(name() + ": " + problem);
      view_->rules_.push_back(rule);
    }
    return Status::Ok();
  }

  Status ParseVariants(std::span<const uint8_t> s) {
    HRT_ASSIGN_OR_RETURN(const size_t count,
                         RecordCount(s, format::kVariantRecordSize, format::kSectionVariants));
    view_->variants_.reserve(count);
    uint64_t next_config = 0, next_rule = 0;
    std::vector<std::string_view> names;
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* r = s.data() + i * format::kVariantRecordSize;
      const auto name = [&] { return Record("variant", i); };
      VariantView v;
      v.kernel = le::LoadU32(r + format::kVariantKernel);
      if (v.kernel >= view_->kernels_.size()) {
        return Corrupt(name() + ": kernel " + std::to_string(v.kernel) + " out of range");
      }
      if (i > 0 && v.kernel < view_->variants_.back().kernel) {
        return Corrupt(name() + ": variants are not grouped by kernel");
      }
      const uint8_t backend = r[format::kVariantBackend];
      if (backend > HRT_BACKEND_LEVEL_ZERO) {
        return Corrupt(name() + ": unknown backend " + std::to_string(backend));
      }
      v.target.backend = static_cast<hrt_backend_t>(backend);
      const uint8_t kind = r[format::kVariantPayloadKind];
      if (kind < kMinPayloadKind || kind > kMaxPayloadKind) {
        return Corrupt(name() + ": unknown payload kind " + std::to_string(kind));
      }
      v.payload_kind = static_cast<PayloadKind>(kind);
      const uint8_t arch_variant = r[format::kVariantArchVariant];
      if (arch_variant >= select::kNumArchVariants) {
        return Corrupt(name() + ": unknown arch variant " + std::to_string(arch_variant));
      }
      if (r[format::kVariantReserved] != 0) return Corrupt(name() + ": reserved byte is not 0");
      v.target.arch.variant = static_cast<select::ArchVariant>(arch_variant);
      v.target.arch.major = le::LoadU16(r + format::kVariantArchMajor);
      v.target.arch.minor = le::LoadU16(r + format::kVariantArchMinor);
      v.target.min_driver_version = le::LoadI32(r + format::kVariantMinDriver);
      v.target.min_ptx_isa.major = le::LoadU16(r + format::kVariantPtxMajor);
      v.target.min_ptx_isa.minor = le::LoadU16(r + format::kVariantPtxMinor);
      v.target.required_features = le::LoadU64(r + format::kVariantFeatures);
      const std::string problem = TargetProblem(v.target, v.payload_kind);
      if (!problem.empty()) return Corrupt(name() + ": " + problem);
      v.resources.regs_per_thread = le::LoadU32(r + format::kVariantRegs);
      v.resources.static_smem_bytes = le::LoadU32(r + format::kVariantStaticSmem);
      v.resources.dynamic_smem_bytes = le::LoadU32(r + format::kVariantDynamicSmem);
      v.resources.threads_per_block = le::LoadU32(r + format::kVariantThreads);
      v.first_config = le::LoadU32(r + format::kVariantFirstConfig);
      v.config_count = le::LoadU32(r + format::kVariantConfigCount);
      v.first_rule = le::LoadU32(r + format::kVariantFirstRule);
      v.rule_count = le::LoadU32(r + format::kVariantRuleCount);
      v.payload_blob = le::LoadU32(r + format::kVariantPayloadBlob);
      if (v.first_config != next_config || v.config_count > view_->config_.size() - next_config) {
        return Corrupt(name() + ": config entries do not follow the previous variant's");
      }
      if (v.first_rule != next_rule || v.rule_count > view_->rules_.size() - next_rule) {
        return Corrupt(name() + ": shape rules do not follow the previous variant's");
      }
      next_config += v.config_count;
      next_rule += v.rule_count;
      if (v.payload_blob >= view_->blobs_.size()) {
        return Corrupt(name() + ": payload blob " + std::to_string(v.payload_blob) +
                       " out of range");
      }
      names.clear();
      for (const ConfigView& c : view_->config_of(v)) names.push_back(c.name);
      std::sort(names.begin(), names.end());
      const auto dup = std::adjacent_find(names.begin(), names.end());
      if (dup != names.end()) {
        return Corrupt(name() + ": config entry '" + std::string(*dup) + "' repeated");
      }
      KernelView& k = view_->kernels_[v.kernel];
      if (k.variant_count == 0) k.first_variant = static_cast<uint32_t>(i);
      ++k.variant_count;
      view_->variants_.push_back(v);
    }
    if (next_config != view_->config_.size()) {
      return Corrupt("config entries not used by any variant");
    }
    if (next_rule != view_->rules_.size()) return Corrupt("shape rules not used by any variant");
    return Status::Ok();
  }

  static constexpr size_t kAbsent = ~size_t{0};

  std::span<const uint8_t> bytes_;
  BundleView* view_;
  std::array<size_t, format::kLastSection + 1> known_{};
  std::vector<std::string_view> strings_;
};

Result<BundleView> BundleView::Open(std::span<const uint8_t> bytes) {
  BundleView view;
  BundleParser parser(bytes, &view);
  HRT_RETURN_IF_ERROR(parser.Parse());
  return view;
}

std::optional<uint32_t> BundleView::FindKernel(std::string_view name) const {
  const auto it =
      std::lower_bound(kernels_by_name_.begin(), kernels_by_name_.end(), name,
                       [](const auto& entry, std::string_view n) { return entry.first < n; });
  if (it == kernels_by_name_.end() || it->first != name) return std::nullopt;
  return it->second;
}

Result<std::span<const uint8_t>> BundleView::ReadBlob(uint32_t index,
                                                      std::vector<uint8_t>* scratch) const {
  if (index >= blobs_.size()) {
    return OutOfRange("bundle: blob " + std::to_string(index) + " out of range (" +
                      std::to_string(blobs_.size()) + " blobs)");
  }
  const BlobInfo& b = blobs_[index];
  const auto name = [&] { return "blob " + std::to_string(index); };
  const std::span<const uint8_t> stored = blob_data_.subspan(b.offset, b.stored_size);
  if (XXH3_64bits(stored.data(), stored.size()) != b.checksum) {
    return Corrupt(name() + " checksum mismatch");
  }
  if (b.codec == format::kCodecRaw) return stored;

  const size_t frame = ZSTD_findFrameCompressedSize(stored.data(), stored.size());
  if (ZSTD_isError(frame) || frame != stored.size()) {
    return Corrupt(name() + " is not exactly one zstd frame");
  }
  const unsigned long long content = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (content != b.raw_size) {
    return Corrupt(name() + ": the zstd frame does not declare the recorded raw size " +
                   std::to_string(b.raw_size));
  }
  // raw_size was bounded at open (kMaxBlobRawSize, kMaxZstdRatio).
  scratch->resize(b.raw_size);
  const size_t n = ZSTD_decompress(scratch->data(), scratch->size(), stored.data(), stored.size());
  if (ZSTD_isError(n)) return Corrupt(name() + ": zstd: " + ZSTD_getErrorName(n));
  if (n != b.raw_size) return Corrupt(name() + " decompressed to a size other than recorded");
  return std::span<const uint8_t>(*scratch);
}

Result<std::span<const uint8_t>> BundleView::ReadPayload(uint32_t variant,
                                                         std::vector<uint8_t>* scratch) const {
  if (variant >= variants_.size()) {
    return OutOfRange("bundle: variant " + std::to_string(variant) + " out of range (" +
                      std::to_string(variants_.size()) + " variants)");
  }
  const VariantView& v = variants_[variant];
  Result<std::span<const uint8_t>> raw = ReadBlob(v.payload_blob, scratch);
  if (!raw.ok()) return raw.take_status().Annotate("variant " + std::to_string(variant));
  const std::string problem = PayloadProblem(v.payload_kind, *raw);
  if (!problem.empty()) return Corrupt("variant " + std::to_string(variant) + ": " + problem);
  return raw;
}

Result<std::span<const uint8_t>> BundleView::ReadIr(uint32_t kernel,
                                                    std::vector<uint8_t>* scratch) const {
  if (kernel >= kernels_.size()) {
    return OutOfRange("bundle: kernel " + std::to_string(kernel) + " out of range (" +
                      std::to_string(kernels_.size()) + " kernels)");
  }
  const KernelView& k = kernels_[kernel];
  if (!k.has_ir()) return NotFound("bundle: kernel '" + std::string(k.name) + "' has no IR");
  Result<std::span<const uint8_t>> raw = ReadBlob(k.ir_blob, scratch);
  if (!raw.ok()) return raw.take_status().Annotate("kernel '" + std::string(k.name) + "' IR");
  return raw;
}

Result<ir::Module> BundleView::LoadKernelIr(uint32_t kernel) const {
  std::vector<uint8_t> scratch;
  HRT_ASSIGN_OR_RETURN(const std::span<const uint8_t> bytes, ReadIr(kernel, &scratch));
  const std::string_view name = kernels_[kernel].name;
  Result<ir::Module> module = ir::ReadModuleBinary(bytes);
  if (!module.ok()) {
    return module.take_status().Annotate("bundle: kernel '" + std::string(name) + "' IR");
  }
  if (module->kernels.size() != 1 || module->kernels[0].name != name) {
    return Corrupt("kernel '" + std::string(name) + "': the IR blob does not hold exactly it");
  }
  return module;
}

Status BundleView::VerifyAll() const {
  if (XXH3_64bits(blob_data_.data(), blob_data_.size()) != blob_data_checksum_) {
    return Corrupt("section blob-data checksum mismatch");
  }
  std::vector<uint8_t> scratch;
  for (uint32_t i = 0; i < blob_count(); ++i) {
    HRT_RETURN_IF_ERROR(ReadBlob(i, &scratch).status());
  }
  for (uint32_t i = 0; i < variant_count(); ++i) {
    HRT_RETURN_IF_ERROR(ReadPayload(i, &scratch).status());
  }
  for (uint32_t i = 0; i < kernel_count(); ++i) {
    if (kernels_[i].has_ir()) HRT_RETURN_IF_ERROR(LoadKernelIr(i).status());
  }
  return Status::Ok();
}

Result<Contents> ReadContents(const BundleView& view) {
  Contents contents;
  contents.kernels.reserve(view.kernel_count());
  std::vector<uint8_t> scratch;
  for (uint32_t k = 0; k < view.kernel_count(); ++k) {
    const KernelView& kv = view.kernel(k);
    KernelEntry kernel;
    kernel.name = std::string(kv.name);
    kernel.triton_abi = kv.triton_abi;
    kernel.scratch_params = kv.scratch_params;
    if (kv.has_ir()) {
      HRT_ASSIGN_OR_RETURN(const std::span<const uint8_t> ir, view.ReadIr(k, &scratch));
      kernel.ir.assign(ir.begin(), ir.end());
    }
    for (const TunableView& t : view.tunables_of(kv)) {
      const std::span<const int64_t> candidates = view.candidates_of(t);
      kernel.tunables.push_back(TunableSummary{
          std::string(t.name), {candidates.begin(), candidates.end()}, t.default_value});
    }
    for (uint32_t i = 0; i < kv.variant_count; ++i) {
      const uint32_t index = kv.first_variant + i;
      const VariantView& vv = view.variant(index);
      VariantEntry v;
      v.target = vv.target;
      v.resources = vv.resources;
      v.payload_kind = vv.payload_kind;
      for (const ConfigView& c : view.config_of(vv)) {
        v.config.push_back(ConfigValue{std::string(c.name), c.value});
      }
      for (const RuleView& r : view.rules_of(vv)) {
        v.shape_rules.push_back(ShapeRule{std::string(r.symbol), r.min, r.max});
      }
      HRT_ASSIGN_OR_RETURN(const std::span<const uint8_t> payload,
                           view.ReadPayload(index, &scratch));
      v.payload.assign(payload.begin(), payload.end());
      kernel.variants.push_back(std::move(v));
    }
    contents.kernels.push_back(std::move(kernel));
  }
  return contents;
}

}  // namespace hrt::bundle
