#include "runtime/bundle/writer.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/bits.h"
#include "codegen/ir/binary.h"
#include "runtime/bundle/format.h"
#include "runtime/bundle/le.h"
#include "runtime/bundle/validate.h"

namespace hrt::bundle {
namespace {

using Bytes = std::vector<uint8_t>;

uint32_t U32(size_t n) {
  return static_cast<uint32_t>(n);
}

std::string KernelContext(size_t k, const KernelEntry& kernel) {
  return "kernel " + std::to_string(k) + " ('" + kernel.name + "')";
}

// Strings in order of first use, so the table is deterministic.
class StringTable {
 public:
  uint32_t Intern(const std::string& s) {
    auto [it, inserted] = index_.try_emplace(s, U32(order_.size()));
    if (inserted) order_.push_back(&it->first);
    return it->second;
  }

  Bytes Serialize() const {
    Bytes out;
    le::PutU32(&out, U32(order_.size()));
    for (const std::string* s : order_) {
      le::PutU32(&out, U32(s->size()));
      out.insert(out.end(), s->begin(), s->end());
      out.push_back(0);
    }
    return out;
  }

 private:
  // Node-based: key pointers stay valid as the map grows.
  std::unordered_map<std::string, uint32_t> index_;
  std::vector<const std::string*> order_;
};

struct ZstdCCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

class BlobEncoder {
 public:
  explicit BlobEncoder(const WriteOptions& options) : options_(options) {}

  // Appends |raw| as the next blob; returns its index.
  Result<uint32_t> Add(std::span<const uint8_t> raw) {
    Bytes stored;
    uint32_t codec = format::kCodecRaw;
    if (options_.compress && raw.size() >= options_.min_compress_bytes) {
      HRT_ASSIGN_OR_RETURN(Bytes compressed, Compress(raw));
      // Keep the compressed form only when it pays and stays within what a
      // reader accepts.
      if (compressed.size() < raw.size() &&
          raw.size() <= compressed.size() * format::kMaxZstdRatio) {
        stored = std::move(compressed);
        codec = format::kCodecZstd;
      }
    }
    if (codec == format::kCodecRaw) stored.assign(raw.begin(), raw.end());

    const uint64_t offset = AlignUp(data_.size(), format::kBlobAlignment);
    data_.resize(offset, 0);
    data_.insert(data_.end(), stored.begin(), stored.end());
    le::PutU64(&table_, offset);
    le::PutU64(&table_, stored.size());
    le::PutU64(&table_, raw.size());
    le::PutU64(&table_, XXH3_64bits(stored.data(), stored.size()));
    le::PutU32(&table_, codec);
    le::PutU32(&table_, 0);
    return count_++;
  }

  Bytes& table() { return table_; }
  Bytes& data() { return data_; }

 private:
  Result<Bytes> Compress(std::span<const uint8_t> raw) {
    if (!cctx_) {
      cctx_.reset(ZSTD_createCCtx());
      if (!cctx_) return Internal("zstd: cannot create a compression context");
    }
    ZSTD_CCtx_reset(cctx_.get(), ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, options_.zstd_level);
    ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_contentSizeFlag, 1);
    Bytes out(ZSTD_compressBound(raw.size()));
    const size_t n = ZSTD_compress2(cctx_.get(), out.data(), out.size(), raw.data(), raw.size());
    if (ZSTD_isError(n)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
    out.resize(n);
    return out;
  }

  const WriteOptions& options_;
  std::unique_ptr<ZSTD_CCtx, ZstdCCtxDeleter> cctx_;
  Bytes table_;
  Bytes data_;
  uint32_t count_ = 0;
};

Status CheckIrBlob(const KernelEntry& kernel) {
  Result<ir::Module> module = ir::ReadModuleBinary(kernel.ir);
  if (!module.ok()) return InvalidArgument("IR blob: " + module.status().message());
  if (module->kernels.size() != 1 || module->kernels[0].name != kernel.name) {
    return InvalidArgument("IR blob must hold exactly the kernel '" + kernel.name + "'");
  }
  return Status::Ok();
}

Status ValidateVariant(const VariantEntry& v) {
  std::string problem = TargetProblem(v.target, v.payload_kind);
  if (!problem.empty()) return InvalidArgument(problem);
  if (v.payload.empty()) return InvalidArgument("empty payload");
  if (v.payload.size() >= format::kMaxBlobRawSize) {
    return InvalidArgument("payload of " + std::to_string(v.payload.size()) +
                           " bytes exceeds the format's limit");
  }
  std::set<std::string_view> names;
  for (const ConfigValue& c : v.config) {
    problem = NameProblem(c.name);
    if (!problem.empty()) return InvalidArgument("config entry: " + problem);
    if (!names.insert(c.name).second) {
      return InvalidArgument("config entry '" + c.name + "' repeated");
    }
  }
  for (const ShapeRule& r : v.shape_rules) {
    problem = NameProblem(r.symbol);
    if (problem.empty()) problem = ShapeRuleProblem(r.min, r.max);
    if (!problem.empty()) return InvalidArgument("shape rule on '" + r.symbol + "': " + problem);
  }
  return Status::Ok();
}

Status ValidateKernel(const KernelEntry& kernel) {
  std::string problem = NameProblem(kernel.name);
  if (!problem.empty()) return InvalidArgument(problem);
  if (!kernel.ir.empty()) HRT_RETURN_IF_ERROR(CheckIrBlob(kernel));
  if (kernel.triton_abi) {
    if (kernel.ir.empty()) return InvalidArgument("a Triton-ABI kernel needs its signature IR");
    if (kernel.scratch_params > format::kMaxScratchParams) {
      return InvalidArgument("more than " + std::to_string(format::kMaxScratchParams) +
                             " scratch params");
    }
    for (const VariantEntry& v : kernel.variants) {
      if (v.target.backend != HRT_BACKEND_CUDA) {
        return InvalidArgument("a Triton-ABI kernel's variants must be CUDA code");
      }
    }
  } else if (kernel.scratch_params != 0) {
    return InvalidArgument("scratch params without the Triton ABI");
  }
  for (const TunableSummary& t : kernel.tunables) {
    problem = NameProblem(t.name);
    if (problem.empty()) problem = TunableProblem(t.candidates, t.default_value);
    if (!problem.empty()) return InvalidArgument("tunable '" + t.name + "': " + problem);
  }
  for (size_t i = 0; i < kernel.variants.size(); ++i) {
    Status s = ValidateVariant(kernel.variants[i]);
    if (!s.ok()) return s.Annotate("variant " + std::to_string(i));
  }
  return Status::Ok();
}

// A u32 count can index every record; the pools below hold at most as many
// records as bytes, so the total size bounds them all.
constexpr uint64_t kMaxRecords = std::numeric_limits<uint32_t>::max() - 1;

}  // namespace

Status ValidateContents(const Contents& contents) {
  std::set<std::string_view> names;
  uint64_t variants = 0, tunables = 0, values = 0, config = 0, rules = 0;
  for (size_t k = 0; k < contents.kernels.size(); ++k) {
    const KernelEntry& kernel = contents.kernels[k];
    Status s = ValidateKernel(kernel);
    if (!s.ok()) return s.Annotate(KernelContext(k, kernel));
    if (!names.insert(kernel.name).second) {
      return InvalidArgument("kernel name '" + kernel.name + "' repeated");
    }
    variants += kernel.variants.size();
    tunables += kernel.tunables.size();
    for (const TunableSummary& t : kernel.tunables) values += t.candidates.size();
    for (const VariantEntry& v : kernel.variants) {
      config += v.config.size();
      rules += v.shape_rules.size();
    }
  }
  if (contents.kernels.size() > kMaxRecords || variants > kMaxRecords || tunables > kMaxRecords ||
      values > kMaxRecords || config > kMaxRecords || rules > kMaxRecords) {
    return InvalidArgument("bundle too large for the format's 32-bit counts");
  }
  return Status::Ok();
}

Result<std::vector<uint8_t>> WriteBundle(const Contents& contents, const WriteOptions& options) {
  HRT_RETURN_IF_ERROR(ValidateContents(contents));
  std::set<uint32_t> extra_ids;
  for (const ExtraSection& e : options.extra_sections) {
    if (e.id <= format::kLastSection || !extra_ids.insert(e.id).second) {
      return InvalidArgument("extra section id " + std::to_string(e.id) +
                             " is a known or repeated id");
    }
  }
  if (format::kLastSection - format::kFirstSection + 1 + extra_ids.size() > format::kMaxSections) {
    return InvalidArgument("too many sections");
  }

  StringTable strings;
  Bytes kernels, tunables, ints, variants, config, rules;
  BlobEncoder blobs(options);
  for (size_t k = 0; k < contents.kernels.size(); ++k) {
    const KernelEntry& kernel = contents.kernels[k];
    le::PutU32(&kernels, strings.Intern(kernel.name));
    le::PutU32(&kernels, kernel.triton_abi ? format::kKernelFlagTritonAbi : 0);
    uint32_t ir_blob = format::kNoBlob;
    if (!kernel.ir.empty()) {
      HRT_ASSIGN_OR_RETURN(ir_blob, blobs.Add(kernel.ir));
    }
    le::PutU32(&kernels, ir_blob);
    le::PutU32(&kernels, U32(tunables.size() / format::kTunableRecordSize));
    le::PutU32(&kernels, U32(kernel.tunables.size()));
    le::PutU32(&kernels, kernel.scratch_params);
    for (const TunableSummary& t : kernel.tunables) {
      le::PutU32(&tunables, strings.Intern(t.name));
      le::PutU32(&tunables, U32(ints.size() / format::kIntRecordSize));
      le::PutU32(&tunables, U32(t.candidates.size()));
      le::PutU32(&tunables, 0);  // reserved
      le::PutI64(&tunables, t.default_value);
      for (int64_t c : t.candidates) le::PutI64(&ints, c);
    }

    for (const VariantEntry& v : kernel.variants) {
      const uint32_t first_config = U32(config.size() / format::kConfigRecordSize);
      for (const ConfigValue& c : v.config) {
        le::PutU32(&config, strings.Intern(c.name));
        le::PutU32(&config, 0);  // reserved
        le::PutI64(&config, c.value);
      }
      const uint32_t first_rule = U32(rules.size() / format::kRuleRecordSize);
      for (const ShapeRule& r : v.shape_rules) {
        le::PutU32(&rules, strings.Intern(r.symbol));
        le::PutU32(&rules, 0);  // reserved
        le::PutI64(&rules, r.min);
        le::PutI64(&rules, r.max);
      }
      uint32_t payload_blob = 0;
      if (v.payload_kind == PayloadKind::kPtx && v.payload.back() != 0) {
        Bytes terminated = v.payload;
        terminated.push_back(0);
        HRT_ASSIGN_OR_RETURN(payload_blob, blobs.Add(terminated));
      } else {
        HRT_ASSIGN_OR_RETURN(payload_blob, blobs.Add(v.payload));
      }

      const size_t at = variants.size();
      variants.resize(at + format::kVariantRecordSize, 0);
      uint8_t* r = variants.data() + at;
      le::StoreU32(r + format::kVariantKernel, U32(k));
      r[format::kVariantBackend] = static_cast<uint8_t>(v.target.backend);
      r[format::kVariantPayloadKind] = static_cast<uint8_t>(v.payload_kind);
      r[format::kVariantArchVariant] = static_cast<uint8_t>(v.target.arch.variant);
      le::StoreU16(r + format::kVariantArchMajor, v.target.arch.major);
      le::StoreU16(r + format::kVariantArchMinor, v.target.arch.minor);
      le::StoreU32(r + format::kVariantMinDriver,
                   static_cast<uint32_t>(v.target.min_driver_version));
      le::StoreU16(r + format::kVariantPtxMajor, v.target.min_ptx_isa.major);
      le::StoreU16(r + format::kVariantPtxMinor, v.target.min_ptx_isa.minor);
      le::StoreU32(r + format::kVariantRegs, v.resources.regs_per_thread);
      le::StoreU64(r + format::kVariantFeatures, v.target.required_features);
      le::StoreU32(r + format::kVariantStaticSmem, v.resources.static_smem_bytes);
      le::StoreU32(r + format::kVariantDynamicSmem, v.resources.dynamic_smem_bytes);
      le::StoreU32(r + format::kVariantThreads, v.resources.threads_per_block);
      le::StoreU32(r + format::kVariantFirstConfig, first_config);
      le::StoreU32(r + format::kVariantConfigCount, U32(v.config.size()));
      le::StoreU32(r + format::kVariantFirstRule, first_rule);
      le::StoreU32(r + format::kVariantRuleCount, U32(v.shape_rules.size()));
      le::StoreU32(r + format::kVariantPayloadBlob, payload_blob);
    }
  }

  struct Section {
    uint32_t id;
    uint32_t flags;
    const Bytes* bytes;
  };
  const Bytes string_bytes = strings.Serialize();
  std::vector<Section> sections = {
      {format::kSectionStrings, format::kSectionRequired, &string_bytes},
      {format::kSectionKernels, format::kSectionRequired, &kernels},
      {format::kSectionTunables, format::kSectionRequired, &tunables},
      {format::kSectionInts, format::kSectionRequired, &ints},
      {format::kSectionVariants, format::kSectionRequired, &variants},
      {format::kSectionConfig, format::kSectionRequired, &config},
      {format::kSectionRules, format::kSectionRequired, &rules},
      {format::kSectionBlobs, format::kSectionRequired, &blobs.table()},
      {format::kSectionBlobData, format::kSectionRequired, &blobs.data()},
  };
  std::vector<const ExtraSection*> extras;
  for (const ExtraSection& e : options.extra_sections) extras.push_back(&e);
  std::sort(extras.begin(), extras.end(),
            [](const ExtraSection* a, const ExtraSection* b) { return a->id < b->id; });
  for (const ExtraSection* e : extras) {
    sections.push_back({e->id, e->required ? format::kSectionRequired : 0u, &e->bytes});
  }

  const size_t table_end = format::kHeaderSize + sections.size() * format::kSectionEntrySize;
  Bytes out(table_end, 0);
  for (size_t i = 0; i < sections.size(); ++i) {
    const Section& s = sections[i];
    const uint64_t offset = AlignUp(out.size(), format::kSectionAlignment);
    out.resize(offset, 0);
    out.insert(out.end(), s.bytes->begin(), s.bytes->end());
    uint8_t* e = out.data() + format::kHeaderSize + i * format::kSectionEntrySize;
    le::StoreU32(e + format::kSectionIdOffset, s.id);
    le::StoreU32(e + format::kSectionFlagsOffset, s.flags);
    le::StoreU64(e + format::kSectionOffsetOffset, offset);
    le::StoreU64(e + format::kSectionSizeOffset, s.bytes->size());
    le::StoreU64(e + format::kSectionChecksumOffset, XXH3_64bits(s.bytes->data(), s.bytes->size()));
  }
  std::copy(std::begin(format::kMagic), std::end(format::kMagic), out.begin());
  le::StoreU16(out.data() + format::kHeaderVersionOffset, format::kMajor);
  le::StoreU16(out.data() + format::kHeaderVersionOffset + 2, format::kMinor);
  le::StoreU32(out.data() + format::kHeaderFlagsOffset, 0);
  le::StoreU64(out.data() + format::kHeaderFileSizeOffset, out.size());
  le::StoreU32(out.data() + format::kHeaderSectionCountOffset, U32(sections.size()));
  le::StoreU32(out.data() + format::kHeaderReservedOffset, 0);
  le::StoreU64(out.data() + format::kHeaderChecksumOffset,
               format::HeaderChecksum(out.data(), table_end));
  return out;
}

}  // namespace hrt::bundle
