// Reading bundles: a validated, lazily decompressing view over the bytes of a
// bundle file (the caller may mmap it), and a full decode into Contents.
//
// BundleView::Open() validates the whole structure before anything is used:
// the header and section table (checksum, canonical layout, no overlap, no
// byte outside a section), the checksum of every metadata section, every
// record (string, blob and range indices, enum values, reserved fields,
// names, shape rules, tunables) and the placement of every blob. It does not
// touch blob bytes: IR and payload blobs are checksummed and decompressed
// only when asked for, so opening costs time proportional to the metadata,
// not to the payloads. VerifyAll() checks the rest.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "codegen/ir/ir.h"
#include "runtime/bundle/bundle.h"
#include "runtime/bundle/format.h"

namespace hrt::bundle {

struct SectionInfo {
  uint32_t id = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t checksum = 0;
};

// "strings", "kernels", ..., "blob-data"; "unknown" for other ids.
const char* SectionName(uint32_t id);

struct BlobInfo {
  uint64_t offset = 0;  // within the blob data section
  uint64_t stored_size = 0;
  uint64_t raw_size = 0;
  uint64_t checksum = 0;  // XXH3-64 of the stored bytes
  uint32_t codec = format::kCodecRaw;
};

struct KernelView {
  std::string_view name;
  uint32_t ir_blob = format::kNoBlob;
  uint32_t first_tunable = 0;
  uint32_t tunable_count = 0;
  uint32_t first_variant = 0;  // variants of a kernel are contiguous
  uint32_t variant_count = 0;
  bool triton_abi = false;  // format.h: kKernelFlagTritonAbi
  uint32_t scratch_params = 0;

  bool has_ir() const { return ir_blob != format::kNoBlob; }
};

struct TunableView {
  std::string_view name;
  uint32_t first_value = 0;  // into BundleView::ints()
  uint32_t value_count = 0;
  int64_t default_value = 0;
};

struct ConfigView {
  std::string_view name;
  int64_t value = 0;
};

struct RuleView {
  std::string_view symbol;
  int64_t min = 0;
  int64_t max = 0;
};

struct VariantView {
  uint32_t kernel = 0;
  Target target;
  Resources resources;
  PayloadKind payload_kind = PayloadKind::kCubin;
  uint32_t first_config = 0;
  uint32_t config_count = 0;
  uint32_t first_rule = 0;
  uint32_t rule_count = 0;
  uint32_t payload_blob = 0;
};

// Whether |bytes| start with the bundle magic (a cheap sniff; Open() decides).
bool LooksLikeBundle(std::span<const uint8_t> bytes);

class BundleView {
 public:
  // Validates |bytes| (see the top of this file) and indexes it. |bytes| must
  // stay alive and unchanged while the view or anything it returned is used;
  // every string_view the view hands out points into it (and is followed by
  // a NUL byte there).
  // Errors: kCorruptData (truncation, bad magic, checksum, layout or record),
  // kVersionMismatch (another major version), kUnsupported (an unknown
  // required section or unknown flag bits: a newer minor version).
  static Result<BundleView> Open(std::span<const uint8_t> bytes);

  std::span<const uint8_t> bytes() const { return bytes_; }
  uint16_t major_version() const { return format::kMajor; }
  uint16_t minor_version() const { return minor_; }
  // Every section of the table, known or not, in file order.
  std::span<const SectionInfo> sections() const { return sections_; }

  // Accessors below take indices below the matching count (a precondition;
  // callers taking indices from outside check them first).
  uint32_t kernel_count() const { return static_cast<uint32_t>(kernels_.size()); }
  const KernelView& kernel(uint32_t index) const { return kernels_[index]; }
  std::optional<uint32_t> FindKernel(std::string_view name) const;

  uint32_t variant_count() const { return static_cast<uint32_t>(variants_.size()); }
  const VariantView& variant(uint32_t index) const { return variants_[index]; }
  std::span<const VariantView> variants_of(const KernelView& k) const {
    return std::span(variants_).subspan(k.first_variant, k.variant_count);
  }
  std::span<const TunableView> tunables_of(const KernelView& k) const {
    return std::span(tunables_).subspan(k.first_tunable, k.tunable_count);
  }
  std::span<const int64_t> candidates_of(const TunableView& t) const {
    return std::span(ints_).subspan(t.first_value, t.value_count);
  }
  std::span<const ConfigView> config_of(const VariantView& v) const {
    return std::span(config_).subspan(v.first_config, v.config_count);
  }
  std::span<const RuleView> rules_of(const VariantView& v) const {
    return std::span(rules_).subspan(v.first_rule, v.rule_count);
  }

  uint32_t blob_count() const { return static_cast<uint32_t>(blobs_.size()); }
  const BlobInfo& blob(uint32_t index) const { return blobs_[index]; }

  // The raw bytes of blob |index| after checking its checksum: a view into
  // the bundle for raw blobs; for zstd blobs, decompressed into *|scratch|
  // (resized to the raw size, which is bounded by format::kMaxBlobRawSize and
  // kMaxZstdRatio times the stored size) and a view of it. Thread-safe.
  // Errors: kOutOfRange (index), kCorruptData (checksum, a zstd frame that is
  // malformed, not exactly one frame, or not of the recorded raw size).
  Result<std::span<const uint8_t>> ReadBlob(uint32_t index, std::vector<uint8_t>* scratch) const;
  // The payload of variant |index| (ReadBlob, then PTX must end in NUL).
  Result<std::span<const uint8_t>> ReadPayload(uint32_t variant,
                                               std::vector<uint8_t>* scratch) const;
  // The IR blob of kernel |index|; kNotFound when the kernel has none.
  Result<std::span<const uint8_t>> ReadIr(uint32_t kernel, std::vector<uint8_t>* scratch) const;
  // Decodes and verifies the IR of kernel |index|: a module holding exactly
  // that kernel. Errors: those of ReadIr and ir::ReadModuleBinary.
  Result<ir::Module> LoadKernelIr(uint32_t kernel) const;

  // Everything Open() leaves for later: the blob data checksum, every blob
  // (checksum, decompression), every payload and every IR module.
  Status VerifyAll() const;

 private:
  friend class BundleParser;

  std::span<const uint8_t> bytes_;
  uint16_t minor_ = 0;
  std::vector<SectionInfo> sections_;
  std::span<const uint8_t> blob_data_;
  uint64_t blob_data_checksum_ = 0;
  std::vector<KernelView> kernels_;
  std::vector<std::pair<std::string_view, uint32_t>> kernels_by_name_;  // sorted
  std::vector<TunableView> tunables_;
  std::vector<int64_t> ints_;
  std::vector<VariantView> variants_;
  std::vector<ConfigView> config_;
  std::vector<RuleView> rules_;
  std::vector<BlobInfo> blobs_;
};

// Decodes the whole bundle into the writer's model, decompressing every blob.
// WriteBundle() of the result gives back the bytes of a bundle it wrote.
Result<Contents> ReadContents(const BundleView& view);

}  // namespace hrt::bundle
