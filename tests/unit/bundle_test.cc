// Tests of the bundle format v1: exact round trips of every field,
// determinism, the documented layout, and rejection of hostile files:
// truncations (plain and with a re-sealed header), bit flips, bad checksums,
// offsets and lengths outside the file, overlapping sections, unknown payload
// kinds and codecs, lying raw sizes (decompression bombs). Files are
// "re-sealed" after a targeted corruption (checksums recomputed) so the
// structural checks behind the checksums are exercised too.
#include "runtime/bundle/bundle.h"

#include <gtest/gtest.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "codegen/ir/binary.h"
#include "codegen/ir/text.h"
#include "runtime/bundle/format.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/inspect.h"
#include "runtime/bundle/json_writer.h"
#include "runtime/bundle/le.h"
#include "runtime/bundle/ptx_header.h"
#include "runtime/bundle/reader.h"
#include "runtime/bundle/writer.h"
#include "runtime/select/fingerprint.h"

namespace hrt::bundle {
namespace {

using Bytes = std::vector<uint8_t>;
using select::Arch;
using select::ArchVariant;

#define ASSERT_OK(expr)                                    \
  do {                                                     \
    const ::hrt::Status s_ = (expr);                       \
    ASSERT_TRUE(s_.ok()) << #expr << ": " << s_.message(); \
  } while (0)

constexpr const char* kVectorAdd = R"(
kernel vector_add<T in {f16, bf16, f32}>(x: tensor<T>[N], y: tensor<T>[N], out: tensor<T>[N])
  tunable BLOCK in {128, 256, 512, 1024} = 256
  tunable WARPS in {1, 2, 4, 8} = 4
  constraint WARPS * 32 <= BLOCK
  grid [cdiv(N, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %n = sym N
  %m = lt %offs, %n
  %a = load x[%offs], mask %m, other 0
  %b = load y[%offs], mask %m, other 0
  %c = add %a, %b
  store out[%offs], %c, mask %m
}
)";

//===----------------------------------------------------------------------===//
// Sample contents
//===----------------------------------------------------------------------===//

// Incompressible bytes.
Bytes Noise(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// Text that compresses well (but not beyond the ratio limit).
Bytes Text(size_t n, uint32_t seed, bool nul_terminated) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) {
    s += "  mov.u32 %r" + std::to_string(rng() % 64) + ", %tid.x; // lane " +
         std::to_string(rng() % 1000) + "\n";
  }
  s.resize(n);
  Bytes b(s.begin(), s.end());
  if (nul_terminated) b.back() = 0;
  return b;
}

KernelEntry VectorAddEntry() {
  Result<ir::Module> m = ir::ParseModule(kVectorAdd, "vector_add.tile");
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return {};
  return KernelEntryFromIr(m->kernels[0]);
}

VariantEntry Cubin(Arch arch, Bytes payload) {
  VariantEntry v;
  v.target.backend = HRT_BACKEND_CUDA;
  v.target.arch = arch;
  v.payload_kind = PayloadKind::kCubin;
  v.payload = std::move(payload);
  return v;
}

Contents Sample() {
  Contents c;
  KernelEntry va = VectorAddEntry();
  {
    VariantEntry v = Cubin({9, 0, ArchVariant::kSpecific}, Text(4000, 1, false));
    v.target.min_driver_version = 12000;
    v.target.required_features = select::kFeatureTma | select::kFeatureWgmma;
    v.config = {{"BLOCK", 1024}, {"WARPS", 8}, {"T", 11}};
    v.resources = {64, 1024, 49152, 256};
    v.shape_rules = {{"N", 1, 65536}};
    va.variants.push_back(v);
  }
  {
    VariantEntry v = Cubin({8, 0, ArchVariant::kPlain}, Noise(300, 2));
    v.config = {{"BLOCK", 256}, {"WARPS", 4}};
    v.resources = {32, 0, 0, 128};
    v.shape_rules = {
        {"N", -5, 5},
        {"M", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}};
    va.variants.push_back(v);
  }
  {
    VariantEntry v;
    v.target.backend = HRT_BACKEND_CUDA;
    v.target.arch = {8, 0, ArchVariant::kPlain};
    v.target.min_ptx_isa = {7, 0};
    v.payload_kind = PayloadKind::kPtx;
    v.payload = Text(2500, 3, true);
    v.config = {{"BLOCK", 512}};
    va.variants.push_back(v);
  }
  c.kernels.push_back(va);

  KernelEntry imported;  // no IR, as from Triton
  imported.name = "triton_imported";
  imported.tunables = {{"num_warps", {4, 8}, 8}, {"num_stages", {-1}, -1}};
  imported.variants.push_back(Cubin({9, 0, ArchVariant::kPlain}, Bytes{1, 2, 3, 4, 5}));
  imported.variants.back().resources = {168, 0, 232448, 384};
  c.kernels.push_back(imported);

  KernelEntry other;
  other.name = "portable";
  {
    VariantEntry v;
    v.target.backend = HRT_BACKEND_HIP;
    v.target.arch = {9, 4, ArchVariant::kPlain};
    v.target.required_features = uint64_t{1} << 40;
    v.payload_kind = PayloadKind::kHipCodeObject;
    v.payload = Noise(700, 4);
    other.variants.push_back(v);
    v.target = Target{};
    v.target.backend = HRT_BACKEND_VULKAN;
    v.payload_kind = PayloadKind::kSpirv;
    v.payload = Text(900, 5, false);
    other.variants.push_back(v);
  }
  c.kernels.push_back(other);

  KernelEntry empty;
  empty.name = "no_variants";
  c.kernels.push_back(empty);
  return c;
}

Bytes Write(const Contents& c, const WriteOptions& options = {}) {
  Result<Bytes> b = WriteBundle(c, options);
  EXPECT_TRUE(b.ok()) << b.status().message();
  return b.ok() ? *b : Bytes{};
}

//===----------------------------------------------------------------------===//
// White-box access to the layout, for targeted corruption
//===----------------------------------------------------------------------===//

uint32_t SectionCount(const Bytes& b) {
  return le::LoadU32(b.data() + format::kHeaderSectionCountOffset);
}

size_t TableEnd(const Bytes& b) {
  return format::kHeaderSize + size_t{SectionCount(b)} * format::kSectionEntrySize;
}

uint8_t* Entry(Bytes& b, uint32_t index) {
  return b.data() + format::kHeaderSize + size_t{index} * format::kSectionEntrySize;
}

// Index in the table of section |id|.
uint32_t EntryIndexOf(Bytes& b, uint32_t id) {
  for (uint32_t i = 0; i < SectionCount(b); ++i) {
    if (le::LoadU32(Entry(b, i) + format::kSectionIdOffset) == id) return i;
  }
  ADD_FAILURE() << "no section " << id;
  return 0;
}

struct Range {
  uint64_t offset;
  uint64_t size;
};

Range SectionRange(Bytes& b, uint32_t id) {
  const uint8_t* e = Entry(b, EntryIndexOf(b, id));
  return {le::LoadU64(e + format::kSectionOffsetOffset),
          le::LoadU64(e + format::kSectionSizeOffset)};
}

// Recomputes the header checksum (after edits of the header or table).
void ResealHeader(Bytes& b) {
  le::StoreU64(b.data() + format::kHeaderChecksumOffset,
               format::HeaderChecksum(b.data(), TableEnd(b)));
}

// Recomputes the checksum of section |id| in the table, then the header's.
void ResealSection(Bytes& b, uint32_t id) {
  const Range r = SectionRange(b, id);
  le::StoreU64(Entry(b, EntryIndexOf(b, id)) + format::kSectionChecksumOffset,
               XXH3_64bits(b.data() + r.offset, r.size));
  ResealHeader(b);
}

// Record |index| of fixed-size section |id|.
uint8_t* RecordOf(Bytes& b, uint32_t id, size_t record_size, size_t index) {
  const Range r = SectionRange(b, id);
  EXPECT_LE((index + 1) * record_size, r.size);
  return b.data() + r.offset + index * record_size;
}

Status OpenStatus(const Bytes& b) {
  Result<BundleView> v = BundleView::Open(b);
  return v.ok() ? Status::Ok() : v.status();
}

// Open, then touch everything a user could.
Status OpenAndVerify(const Bytes& b) {
  Result<BundleView> v = BundleView::Open(b);
  if (!v.ok()) return v.status();
  return v->VerifyAll();
}

void ExpectCorrupt(const Status& s, const std::string& fragment) {
  EXPECT_EQ(s.code(), Code::kCorruptData) << s.message();
  EXPECT_NE(s.message().find(fragment), std::string::npos)
      << "message '" << s.message() << "' lacks '" << fragment << "'";
}

//===----------------------------------------------------------------------===//
// Round trip and layout
//===----------------------------------------------------------------------===//

TEST(BundleTest, RoundTripKeepsEveryField) {
  const Contents sample = Sample();
  const Bytes bytes = Write(sample);
  Result<BundleView> view = BundleView::Open(bytes);
  ASSERT_TRUE(view.ok()) << view.status().message();
  ASSERT_OK(view->VerifyAll());
  Result<Contents> back = ReadContents(*view);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == sample);
  // Field by field as well, so a failure says which one.
  ASSERT_EQ(back->kernels.size(), sample.kernels.size());
  for (size_t k = 0; k < sample.kernels.size(); ++k) {
    const KernelEntry& a = back->kernels[k];
    const KernelEntry& e = sample.kernels[k];
    EXPECT_EQ(a.name, e.name);
    EXPECT_EQ(a.ir, e.ir);
    EXPECT_EQ(a.tunables, e.tunables);
    ASSERT_EQ(a.variants.size(), e.variants.size());
    for (size_t i = 0; i < e.variants.size(); ++i) {
      EXPECT_EQ(a.variants[i].target, e.variants[i].target) << k << "/" << i;
      EXPECT_EQ(a.variants[i].config, e.variants[i].config) << k << "/" << i;
      EXPECT_EQ(a.variants[i].resources, e.variants[i].resources) << k << "/" << i;
      EXPECT_EQ(a.variants[i].shape_rules, e.variants[i].shape_rules) << k << "/" << i;
      EXPECT_EQ(a.variants[i].payload_kind, e.variants[i].payload_kind) << k << "/" << i;
      EXPECT_EQ(a.variants[i].payload, e.variants[i].payload) << k << "/" << i;
    }
  }
  // Writing what was read gives the same bytes.
  EXPECT_EQ(Write(*back), bytes);
}

TEST(BundleTest, ViewIndexesKernelsVariantsAndBlobs) {
  const Contents sample = Sample();
  const Bytes bytes = Write(sample);
  Result<BundleView> view = BundleView::Open(bytes);
  ASSERT_TRUE(view.ok()) << view.status().message();
  ASSERT_EQ(view->kernel_count(), 4u);
  EXPECT_EQ(view->variant_count(), 6u);
  EXPECT_EQ(view->FindKernel("portable"), std::optional<uint32_t>(2));
  EXPECT_EQ(view->FindKernel("vector_add"), std::optional<uint32_t>(0));
  EXPECT_EQ(view->FindKernel("vector"), std::nullopt);
  EXPECT_EQ(view->FindKernel(""), std::nullopt);

  const KernelView& va = view->kernel(0);
  EXPECT_EQ(va.name, "vector_add");
  EXPECT_TRUE(va.has_ir());
  EXPECT_EQ(va.first_variant, 0u);
  EXPECT_EQ(va.variant_count, 3u);
  ASSERT_EQ(view->tunables_of(va).size(), 2u);
  EXPECT_EQ(view->tunables_of(va)[0].name, "BLOCK");
  const std::span<const int64_t> block = view->candidates_of(view->tunables_of(va)[0]);
  EXPECT_EQ(std::vector<int64_t>(block.begin(), block.end()),
            (std::vector<int64_t>{128, 256, 512, 1024}));
  EXPECT_FALSE(view->kernel(1).has_ir());
  EXPECT_EQ(view->kernel(1).first_variant, 3u);
  EXPECT_EQ(view->kernel(3).variant_count, 0u);

  const VariantView& v0 = view->variant(0);
  ASSERT_EQ(view->config_of(v0).size(), 3u);
  EXPECT_EQ(view->config_of(v0)[2].name, "T");
  EXPECT_EQ(view->config_of(v0)[2].value, 11);
  ASSERT_EQ(view->rules_of(view->variant(1)).size(), 2u);
  EXPECT_EQ(view->rules_of(view->variant(1))[1].min, std::numeric_limits<int64_t>::min());
  // Strings handed out are NUL-terminated in the file (for the C API).
  EXPECT_EQ(view->kernel(1).name.data()[view->kernel(1).name.size()], '\0');

  // Compressible payloads are stored with zstd, noise and tiny blobs raw.
  EXPECT_EQ(view->blob(v0.payload_blob).codec, format::kCodecZstd);
  EXPECT_LT(view->blob(v0.payload_blob).stored_size, view->blob(v0.payload_blob).raw_size);
  EXPECT_EQ(view->blob(view->variant(1).payload_blob).codec, format::kCodecRaw);
  EXPECT_EQ(view->blob(view->variant(3).payload_blob).codec, format::kCodecRaw);

  // A raw payload is a view into the bundle itself (zero copy).
  Bytes scratch;
  Result<std::span<const uint8_t>> raw = view->ReadPayload(1, &scratch);
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  EXPECT_GE(raw->data(), bytes.data());
  EXPECT_LE(raw->data() + raw->size(), bytes.data() + bytes.size());
  EXPECT_EQ(static_cast<size_t>(raw->data() - bytes.data()) % format::kBlobAlignment, 0u);
  // A compressed one is decompressed into the scratch buffer.
  Result<std::span<const uint8_t>> z = view->ReadPayload(0, &scratch);
  ASSERT_TRUE(z.ok()) << z.status().message();
  EXPECT_EQ(z->data(), scratch.data());
  EXPECT_EQ(Bytes(z->begin(), z->end()), sample.kernels[0].variants[0].payload);

  Result<ir::Module> ir = view->LoadKernelIr(0);
  ASSERT_TRUE(ir.ok()) << ir.status().message();
  EXPECT_EQ(ir->kernels[0].name, "vector_add");
  EXPECT_EQ(view->LoadKernelIr(1).status().code(), Code::kNotFound);
  EXPECT_EQ(view->ReadPayload(99, &scratch).status().code(), Code::kOutOfRange);
  EXPECT_EQ(view->ReadBlob(view->blob_count(), &scratch).status().code(), Code::kOutOfRange);
  EXPECT_EQ(view->ReadIr(4, &scratch).status().code(), Code::kOutOfRange);
}

TEST(BundleTest, OutputIsDeterministic) {
  const Bytes a = Write(Sample());
  const Bytes b = Write(Sample());
  EXPECT_EQ(a, b);
  WriteOptions raw;
  raw.compress = false;
  const Bytes c = Write(Sample(), raw);
  EXPECT_NE(a, c);
  EXPECT_GT(c.size(), a.size());
  EXPECT_EQ(Write(Sample(), raw), c);
  Result<BundleView> view = BundleView::Open(c);
  ASSERT_TRUE(view.ok()) << view.status().message();
  for (uint32_t i = 0; i < view->blob_count(); ++i) {
    EXPECT_EQ(view->blob(i).codec, format::kCodecRaw);
  }
  Result<Contents> back = ReadContents(*view);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == Sample());
}

TEST(BundleTest, EmptyBundleRoundTrips) {
  const Bytes bytes = Write(Contents{});
  Result<BundleView> view = BundleView::Open(bytes);
  ASSERT_TRUE(view.ok()) << view.status().message();
  EXPECT_EQ(view->kernel_count(), 0u);
  ASSERT_OK(view->VerifyAll());
  Result<Contents> back = ReadContents(*view);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->kernels.empty());
}

TEST(BundleTest, LayoutFollowsTheFormat) {
  const Bytes bytes = Write(Sample());
  ASSERT_GE(bytes.size(), format::kHeaderSize);
  EXPECT_EQ(std::memcmp(bytes.data(), format::kMagic, 8), 0);
  EXPECT_EQ(le::LoadU16(bytes.data() + 8), format::kMajor);
  EXPECT_EQ(le::LoadU16(bytes.data() + 10), format::kMinor);
  EXPECT_EQ(le::LoadU64(bytes.data() + 16), bytes.size());
  EXPECT_EQ(le::LoadU64(bytes.data() + 24), format::HeaderChecksum(bytes.data(), TableEnd(bytes)));
  Bytes b = bytes;
  ASSERT_EQ(SectionCount(b), format::kLastSection);
  uint64_t prev_end = TableEnd(b);
  for (uint32_t i = 0; i < SectionCount(b); ++i) {
    const uint8_t* e = Entry(b, i);
    EXPECT_EQ(le::LoadU32(e), i + 1);
    EXPECT_EQ(le::LoadU32(e + 4), format::kSectionRequired);
    const uint64_t offset = le::LoadU64(e + 8);
    const uint64_t size = le::LoadU64(e + 16);
    EXPECT_EQ(offset % format::kSectionAlignment, 0u);
    EXPECT_EQ(offset, (prev_end + 63) / 64 * 64);
    EXPECT_EQ(le::LoadU64(e + 24), XXH3_64bits(b.data() + offset, size));
    prev_end = offset + size;
  }
  EXPECT_EQ(prev_end, b.size());
  // Fixed-size sections hold whole records of the documented sizes.
  Result<BundleView> view = BundleView::Open(bytes);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(SectionRange(b, format::kSectionKernels).size, 4 * format::kKernelRecordSize);
  EXPECT_EQ(SectionRange(b, format::kSectionVariants).size, 6 * format::kVariantRecordSize);
  EXPECT_EQ(SectionRange(b, format::kSectionBlobs).size,
            view->blob_count() * format::kBlobRecordSize);
  EXPECT_EQ(view->blob_count(), 7u);  // 1 IR + 6 payloads
  for (uint32_t i = 0; i < view->blob_count(); ++i) {
    EXPECT_EQ(view->blob(i).offset % format::kBlobAlignment, 0u);
  }
  // The variant record puts the payload kind where the format says.
  EXPECT_EQ(RecordOf(b, format::kSectionVariants, format::kVariantRecordSize,
                     2)[format::kVariantPayloadKind],
            static_cast<uint8_t>(PayloadKind::kPtx));
}

TEST(BundleTest, PtxPayloadsAreStoredNulTerminated) {
  Contents c;
  KernelEntry k;
  k.name = "k";
  VariantEntry v;
  v.target.arch = {8, 0, ArchVariant::kPlain};
  v.target.min_ptx_isa = {7, 0};
  v.payload_kind = PayloadKind::kPtx;
  const std::string ptx = ".version 7.0\n.target sm_80\n";
  v.payload.assign(ptx.begin(), ptx.end());
  k.variants.push_back(v);
  c.kernels.push_back(k);
  const Bytes bytes = Write(c);
  Result<BundleView> view = BundleView::Open(bytes);
  ASSERT_TRUE(view.ok());
  Bytes scratch;
  Result<std::span<const uint8_t>> p = view->ReadPayload(0, &scratch);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), ptx.size() + 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p->data())), ptx);
}

TEST(BundleTest, ForwardCompatibleSections) {
  WriteOptions options;
  options.extra_sections.push_back({40, false, {1, 2, 3}});
  options.extra_sections.push_back({20, false, {}});
  Bytes bytes = Write(Sample(), options);
  le::StoreU16(bytes.data() + 10, 7);  // a newer minor version
  ResealHeader(bytes);
  Result<BundleView> view = BundleView::Open(bytes);
  ASSERT_TRUE(view.ok()) << view.status().message();
  EXPECT_EQ(view->minor_version(), 7);
  ASSERT_EQ(view->sections().size(), 11u);
  EXPECT_EQ(view->sections()[9].id, 20u);
  EXPECT_EQ(view->sections()[10].id, 40u);
  EXPECT_EQ(view->sections()[10].size, 3u);

  options.extra_sections[0].required = true;
  const Status s = OpenStatus(Write(Sample(), options));
  EXPECT_EQ(s.code(), Code::kUnsupported) << s.message();
  EXPECT_NE(s.message().find("required but unknown"), std::string::npos) << s.message();

  Bytes other_major = Write(Sample());
  le::StoreU16(other_major.data() + 8, 2);
  ResealHeader(other_major);
  EXPECT_EQ(OpenStatus(other_major).code(), Code::kVersionMismatch);

  Bytes flags = Write(Sample());
  le::StoreU32(flags.data() + format::kHeaderFlagsOffset, 1);
  ResealHeader(flags);
  EXPECT_EQ(OpenStatus(flags).code(), Code::kUnsupported);
  Bytes section_flags = Write(Sample());
  le::StoreU32(Entry(section_flags, 3) + format::kSectionFlagsOffset, 3);
  ResealHeader(section_flags);
  EXPECT_EQ(OpenStatus(section_flags).code(), Code::kUnsupported);

  WriteOptions bad;
  bad.extra_sections.push_back({format::kSectionRules, false, {}});
  EXPECT_EQ(WriteBundle(Sample(), bad).status().code(), Code::kInvalidArgument);
}

//===----------------------------------------------------------------------===//
// Writer validation
//===----------------------------------------------------------------------===//

TEST(BundleTest, WriterRejectsInvalidContents) {
  struct Case {
    const char* what;
    void (*mutate)(Contents&);
  };
  const Case cases[] = {
      {"duplicate kernel", [](Contents& c) { c.kernels[1].name = "vector_add"; }},
      {"empty kernel name", [](Contents& c) { c.kernels[1].name.clear(); }},
      {"NUL in a name", [](Contents& c) { c.kernels[1].name = std::string("a\0b", 3); }},
      {"cubin for HIP",
       [](Contents& c) { c.kernels[1].variants[0].target.backend = HRT_BACKEND_HIP; }},
      {"spirv for CUDA",
       [](Contents& c) { c.kernels[2].variants[1].target.backend = HRT_BACKEND_CUDA; }},
      {"PTX without ISA", [](Contents& c) { c.kernels[0].variants[2].target.min_ptx_isa = {}; }},
      {"cubin with ISA",
       [](Contents& c) {
         c.kernels[0].variants[0].target.min_ptx_isa = {8, 0};
       }},
      {"unknown payload kind",
       [](Contents& c) { c.kernels[0].variants[0].payload_kind = static_cast<PayloadKind>(9); }},
      {"arch minor 10", [](Contents& c) { c.kernels[0].variants[0].target.arch.minor = 10; }},
      {"CUDA arch 0", [](Contents& c) { c.kernels[0].variants[0].target.arch = {}; }},
      {"negative driver",
       [](Contents& c) { c.kernels[0].variants[0].target.min_driver_version = -1; }},
      {"empty payload", [](Contents& c) { c.kernels[0].variants[1].payload.clear(); }},
      {"rule min > max", [](Contents& c) { c.kernels[0].variants[0].shape_rules[0].min = 70000; }},
      {"rule without symbol",
       [](Contents& c) { c.kernels[0].variants[0].shape_rules[0].symbol.clear(); }},
      {"repeated config", [](Contents& c) { c.kernels[0].variants[0].config[1].name = "BLOCK"; }},
      {"default not a candidate", [](Contents& c) { c.kernels[1].tunables[0].default_value = 2; }},
      {"repeated candidates",
       [](Contents& c) {
         c.kernels[1].tunables[0].candidates = {4, 4};
       }},
      {"no candidates", [](Contents& c) { c.kernels[1].tunables[0].candidates.clear(); }},
      {"IR of another name", [](Contents& c) { c.kernels[0].name = "renamed"; }},
      {"IR garbage",
       [](Contents& c) {
         c.kernels[1].ir = {1, 2, 3};
       }},
  };
  ASSERT_TRUE(WriteBundle(Sample()).ok());
  for (const Case& t : cases) {
    Contents c = Sample();
    t.mutate(c);
    const Status s = ValidateContents(c);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << t.what << ": " << s.message();
    EXPECT_EQ(WriteBundle(c).status().code(), Code::kInvalidArgument) << t.what;
  }
}

//===----------------------------------------------------------------------===//
// Hostile input
//===----------------------------------------------------------------------===//

// Every section start and end, every blob start and end, the header and
// table ends, and their neighbours.
std::set<size_t> Boundaries(const Bytes& bytes) {
  Bytes b = bytes;
  std::set<size_t> cuts = {
      0, 1, 8, 16, 24, 32, format::kHeaderSize - 1, format::kHeaderSize, TableEnd(b)};
  for (uint32_t i = 0; i < SectionCount(b); ++i) {
    const uint64_t offset = le::LoadU64(Entry(b, i) + format::kSectionOffsetOffset);
    const uint64_t size = le::LoadU64(Entry(b, i) + format::kSectionSizeOffset);
    for (uint64_t p : {offset, offset + size}) {
      cuts.insert(p);
      cuts.insert(p - 1);
      cuts.insert(p + 1);
    }
  }
  Result<BundleView> view = BundleView::Open(bytes);
  EXPECT_TRUE(view.ok());
  const Range data = SectionRange(b, format::kSectionBlobData);
  for (uint32_t i = 0; view.ok() && i < view->blob_count(); ++i) {
    cuts.insert(data.offset + view->blob(i).offset);
    cuts.insert(data.offset + view->blob(i).offset + view->blob(i).stored_size);
  }
  std::erase_if(cuts, [&](size_t c) { return c >= bytes.size(); });
  return cuts;
}

TEST(BundleTest, RejectsTruncationAtEverySectionBoundary) {
  const Bytes bytes = Write(Sample());
  std::set<size_t> cuts = Boundaries(bytes);
  // And a sample of other lengths.
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) cuts.insert(rng() % bytes.size());
  for (size_t n = 0; n < TableEnd(bytes) + 8; ++n) cuts.insert(n);
  for (size_t cut : cuts) {
    const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(cut));
    const Status s = OpenAndVerify(prefix);
    EXPECT_EQ(s.code(), Code::kCorruptData) << "cut at " << cut << ": " << s.message();
  }
}

// A truncated file whose header was rewritten to claim the truncated size (so
// the file-size check passes) is still rejected, by the table's checks.
TEST(BundleTest, RejectsTruncationWithResealedHeader) {
  const Bytes bytes = Write(Sample());
  const std::set<size_t> cuts = Boundaries(bytes);
  const size_t table_end = TableEnd(bytes);
  int checked = 0;
  for (size_t cut : cuts) {
    if (cut < table_end) continue;  // the header and table must be whole to reseal
    Bytes prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(cut));
    le::StoreU64(prefix.data() + format::kHeaderFileSizeOffset, prefix.size());
    ResealHeader(prefix);
    const Status s = OpenAndVerify(prefix);
    EXPECT_EQ(s.code(), Code::kCorruptData) << "cut at " << cut << ": " << s.message();
    ++checked;
  }
  EXPECT_GT(checked, 20);
}

TEST(BundleTest, RejectsEveryBitFlip) {
  const Bytes bytes = Write(Sample());
  // One flip in every byte...
  for (size_t pos = 0; pos < bytes.size(); ++pos) {
    Bytes b = bytes;
    b[pos] ^= static_cast<uint8_t>(1u << (pos * 5 % 8));
    const Status s = OpenAndVerify(b);
    ASSERT_FALSE(s.ok()) << "flip at byte " << pos << " went unnoticed";
    EXPECT_TRUE(s.code() == Code::kCorruptData || s.code() == Code::kVersionMismatch)
        << pos << ": " << s.message();
  }
  // ...and thousands of seeded random flips, one to four bits each.
  std::mt19937_64 rng(0x5eed);
  for (int i = 0; i < 4000; ++i) {
    Bytes b = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    if (b == bytes) continue;  // two flips cancelled out
    const Status s = OpenAndVerify(b);
    ASSERT_FALSE(s.ok()) << "random flip set " << i << " went unnoticed";
    EXPECT_TRUE(s.code() == Code::kCorruptData || s.code() == Code::kVersionMismatch)
        << i << ": " << s.message();
  }
}

TEST(BundleTest, RejectsBadChecksums) {
  const Bytes bytes = Write(Sample());
  for (uint32_t id = format::kFirstSection; id <= format::kLastSection; ++id) {
    Bytes b = bytes;
    uint8_t* sum = Entry(b, EntryIndexOf(b, id)) + format::kSectionChecksumOffset;
    le::StoreU64(sum, le::LoadU64(sum) ^ 0x100);
    ResealHeader(b);
    if (id == format::kSectionBlobData) {
      // Opening does not hash payloads; full verification does.
      Result<BundleView> view = BundleView::Open(b);
      ASSERT_TRUE(view.ok()) << view.status().message();
      ExpectCorrupt(view->VerifyAll(), "blob-data checksum mismatch");
    } else {
      ExpectCorrupt(OpenStatus(b), std::string(SectionName(id)) + " (id " + std::to_string(id) +
                                       ") checksum mismatch");
    }
  }
  // The header's own checksum.
  Bytes b = bytes;
  b[format::kHeaderChecksumOffset] ^= 1;
  ExpectCorrupt(OpenStatus(b), "header checksum mismatch");
  // A section byte changed without updating its checksum.
  b = bytes;
  b[SectionRange(b, format::kSectionVariants).offset + 9] ^= 0x40;
  ExpectCorrupt(OpenStatus(b), "variants (id 5) checksum mismatch");
  // A blob whose own checksum is wrong: opens (blobs are checked lazily) but
  // its payload cannot be read, and other payloads still can.
  b = bytes;
  uint8_t* blob = RecordOf(b, format::kSectionBlobs, format::kBlobRecordSize, 2);
  le::StoreU64(blob + 24, le::LoadU64(blob + 24) + 1);
  ResealSection(b, format::kSectionBlobs);
  Result<BundleView> view = BundleView::Open(b);
  ASSERT_TRUE(view.ok()) << view.status().message();
  Bytes scratch;
  ExpectCorrupt(view->ReadBlob(2, &scratch).status(), "blob 2 checksum mismatch");
  EXPECT_TRUE(view->ReadBlob(3, &scratch).ok());
  ExpectCorrupt(view->VerifyAll(), "checksum mismatch");
}

TEST(BundleTest, RejectsOffsetsAndLengthsOutsideTheFile) {
  const Bytes bytes = Write(Sample());
  const uint64_t size = bytes.size();
  struct Case {
    uint32_t id;
    uint64_t offset;
    uint64_t length;
  };
  const uint64_t kMax = std::numeric_limits<uint64_t>::max();
  Bytes probe = bytes;
  const Range ints = SectionRange(probe, format::kSectionInts);
  const Case cases[] = {
      {format::kSectionInts, size + 64, 8},      {format::kSectionInts, ints.offset, size},
      {format::kSectionInts, ints.offset, kMax}, {format::kSectionInts, kMax - 7, 16},
      {format::kSectionBlobData, size, 1},       {format::kSectionStrings, kMax, kMax},
  };
  for (const Case& c : cases) {
    Bytes b = bytes;
    uint8_t* e = Entry(b, EntryIndexOf(b, c.id));
    le::StoreU64(e + format::kSectionOffsetOffset, c.offset);
    le::StoreU64(e + format::kSectionSizeOffset, c.length);
    ResealHeader(b);
    ExpectCorrupt(OpenStatus(b), "outside the file");
  }
  // A section table longer than the file.
  Bytes b = bytes;
  le::StoreU32(b.data() + format::kHeaderSectionCountOffset, 60);
  b.resize(format::kHeaderSize + 59 * format::kSectionEntrySize);
  le::StoreU64(b.data() + format::kHeaderFileSizeOffset, b.size());
  ExpectCorrupt(OpenStatus(b), "runs past the end");
  b = bytes;
  le::StoreU32(b.data() + format::kHeaderSectionCountOffset, 0xffffffffu);
  ExpectCorrupt(OpenStatus(b), "sections (limit");

  // A blob outside the blob data section.
  b = bytes;
  uint8_t* blob = RecordOf(b, format::kSectionBlobs, format::kBlobRecordSize, 6);
  le::StoreU64(blob + 8, kMax);  // stored size
  ResealSection(b, format::kSectionBlobs);
  ExpectCorrupt(OpenStatus(b), "lies outside the blob data");
}

TEST(BundleTest, RejectsOverlappingAndMisplacedSections) {
  const Bytes bytes = Write(Sample());
  Bytes b = bytes;
  const Range strings = SectionRange(b, format::kSectionStrings);
  le::StoreU64(Entry(b, EntryIndexOf(b, format::kSectionKernels)) + format::kSectionOffsetOffset,
               strings.offset);
  ResealHeader(b);
  ExpectCorrupt(OpenStatus(b), "overlaps the previous section");

  b = bytes;
  le::StoreU64(Entry(b, 0) + format::kSectionOffsetOffset, format::kHeaderSize);
  ResealHeader(b);
  ExpectCorrupt(OpenStatus(b), "overlaps the section table");

  // A gap (or a misaligned start) is rejected too: the layout is canonical.
  b = bytes;
  uint8_t* e = Entry(b, EntryIndexOf(b, format::kSectionTunables));
  le::StoreU64(e + format::kSectionOffsetOffset, le::LoadU64(e + format::kSectionOffsetOffset) + 8);
  ResealHeader(b);
  ExpectCorrupt(OpenStatus(b), "expected");

  // Sections out of id order, or a repeated id.
  b = bytes;
  le::StoreU32(Entry(b, 3) + format::kSectionIdOffset, 3);
  ResealHeader(b);
  ExpectCorrupt(OpenStatus(b), "ids must increase");

  // A known section missing (renamed to an unknown optional one).
  b = bytes;
  le::StoreU32(Entry(b, 8) + format::kSectionIdOffset, 30);
  le::StoreU32(Entry(b, 8) + format::kSectionFlagsOffset, 0);
  ResealHeader(b);
  ExpectCorrupt(OpenStatus(b), "missing section blob-data");

  // Non-zero padding between sections.
  b = bytes;
  const Range kernels = SectionRange(b, format::kSectionKernels);
  ASSERT_GT(kernels.offset, strings.offset + strings.size);
  b[kernels.offset - 1] = 1;
  ExpectCorrupt(OpenStatus(b), "non-zero padding");

  // Overlapping blobs.
  b = bytes;
  uint8_t* blob1 = RecordOf(b, format::kSectionBlobs, format::kBlobRecordSize, 1);
  le::StoreU64(blob1, 0);
  ResealSection(b, format::kSectionBlobs);
  ExpectCorrupt(OpenStatus(b), "overlaps the previous blob");

  // Non-zero padding between blobs, even with a valid section checksum.
  b = bytes;
  Result<BundleView> view = BundleView::Open(bytes);
  ASSERT_TRUE(view.ok());
  const BlobInfo first = view->blob(0);
  ASSERT_LT(first.offset + first.stored_size, view->blob(1).offset);
  b[SectionRange(b, format::kSectionBlobData).offset + first.offset + first.stored_size] = 0x80;
  ResealSection(b, format::kSectionBlobData);
  ExpectCorrupt(OpenStatus(b), "non-zero padding before blob 1");

  // Bytes after the last string (the string table's size grown into its
  // padding, checksum updated).
  b = bytes;
  const Range str = SectionRange(b, format::kSectionStrings);
  ASSERT_NE(str.size % format::kSectionAlignment, 0u);
  le::StoreU64(Entry(b, EntryIndexOf(b, format::kSectionStrings)) + format::kSectionSizeOffset,
               str.size + 1);
  ResealSection(b, format::kSectionStrings);
  ExpectCorrupt(OpenStatus(b), "trailing bytes after the string table");
}

// Records left over at the end of a pool (no range refers to them).
TEST(BundleTest, RejectsUnusedRecords) {
  Contents c;
  KernelEntry k;
  k.name = "k";
  k.tunables = {{"A", {1, 2}, 1}, {"B", {3}, 3}};
  VariantEntry v = Cubin({9, 0, ArchVariant::kPlain}, Bytes{1});
  v.config = {{"A", 1}, {"B", 3}};
  v.shape_rules = {{"M", 1, 2}, {"N", 3, 4}};
  k.variants.push_back(v);
  c.kernels.push_back(k);
  const Bytes bytes = Write(c);
  ASSERT_TRUE(BundleView::Open(bytes).ok());
  auto drop_last = [&](uint32_t id, size_t record_size, size_t field) {
    Bytes b = bytes;
    uint8_t* count = RecordOf(b, id, record_size, 0) + field;
    le::StoreU32(count, le::LoadU32(count) - 1);
    ResealSection(b, id);
    return OpenStatus(b);
  };
  ExpectCorrupt(
      drop_last(format::kSectionVariants, format::kVariantRecordSize, format::kVariantConfigCount),
      "config entries not used by any variant");
  ExpectCorrupt(
      drop_last(format::kSectionVariants, format::kVariantRecordSize, format::kVariantRuleCount),
      "shape rules not used by any variant");
  ExpectCorrupt(drop_last(format::kSectionKernels, format::kKernelRecordSize, 16),
                "tunables not used by any kernel");
  Bytes b = bytes;
  uint8_t* count = RecordOf(b, format::kSectionTunables, format::kTunableRecordSize, 1) + 8;
  le::StoreU32(count, 0);
  ResealSection(b, format::kSectionTunables);
  ExpectCorrupt(OpenStatus(b), "tunable without candidates");
  b = bytes;
  // Tunable A keeps only its first candidate; B then starts one value early.
  count = RecordOf(b, format::kSectionTunables, format::kTunableRecordSize, 0) + 8;
  le::StoreU32(count, 1);
  ResealSection(b, format::kSectionTunables);
  ExpectCorrupt(OpenStatus(b), "do not follow the previous tunable");
}

// A zstd blob must be exactly one frame: trailing bytes or a second frame
// are rejected even when the checksum and sizes agree.
TEST(BundleTest, RejectsZstdBlobsThatAreNotOneFrame) {
  const std::string text(3000, 'x');
  Bytes frame(ZSTD_compressBound(text.size()));
  frame.resize(ZSTD_compress(frame.data(), frame.size(), text.data(), text.size(), 3));
  ASSERT_LT(text.size(), frame.size() * format::kMaxZstdRatio);
  Bytes two_frames = frame;
  two_frames.insert(two_frames.end(), frame.begin(), frame.end());
  Bytes trailing = frame;
  trailing.insert(trailing.end(), {1, 2, 3});
  for (const Bytes* stored : {&two_frames, &trailing}) {
    Contents small;
    KernelEntry k;
    k.name = "k";
    k.variants.push_back(Cubin({9, 0, ArchVariant::kPlain}, Bytes(stored->size(), 0x5a)));
    small.kernels.push_back(k);
    WriteOptions raw;
    raw.compress = false;
    Bytes b = Write(small, raw);
    const Range data = SectionRange(b, format::kSectionBlobData);
    ASSERT_EQ(data.size, stored->size());
    std::copy(stored->begin(), stored->end(), b.begin() + static_cast<ptrdiff_t>(data.offset));
    uint8_t* r = RecordOf(b, format::kSectionBlobs, format::kBlobRecordSize, 0);
    le::StoreU64(r + 16, text.size());
    le::StoreU64(r + 24, XXH3_64bits(stored->data(), stored->size()));
    le::StoreU32(r + 32, format::kCodecZstd);
    ResealSection(b, format::kSectionBlobData);
    ResealSection(b, format::kSectionBlobs);
    Result<BundleView> view = BundleView::Open(b);
    ASSERT_TRUE(view.ok()) << view.status().message();
    Bytes scratch;
    ExpectCorrupt(view->ReadPayload(0, &scratch).status(), "not exactly one zstd frame");
  }
}

// Rewrites byte |field| of variant |index|'s record, then reseals.
Bytes PatchVariantByte(const Bytes& bytes, size_t index, size_t field, uint8_t value) {
  Bytes b = bytes;
  RecordOf(b, format::kSectionVariants, format::kVariantRecordSize, index)[field] = value;
  ResealSection(b, format::kSectionVariants);
  return b;
}

TEST(BundleTest, RejectsUnknownPayloadKindsAndEnums) {
  const Bytes bytes = Write(Sample());
  for (int kind : {0, 5, 9, 255}) {
    ExpectCorrupt(OpenStatus(PatchVariantByte(bytes, 1, format::kVariantPayloadKind,
                                              static_cast<uint8_t>(kind))),
                  "unknown payload kind " + std::to_string(kind));
  }
  // A known kind that does not fit the backend.
  ExpectCorrupt(OpenStatus(PatchVariantByte(bytes, 1, format::kVariantPayloadKind,
                                            static_cast<uint8_t>(PayloadKind::kSpirv))),
                "spirv payload for backend cuda");
  ExpectCorrupt(OpenStatus(PatchVariantByte(bytes, 1, format::kVariantPayloadKind,
                                            static_cast<uint8_t>(PayloadKind::kPtx))),
                "PTX payload without its PTX ISA version");
  ExpectCorrupt(OpenStatus(PatchVariantByte(bytes, 1, format::kVariantBackend, 9)),
                "unknown backend 9");
  ExpectCorrupt(OpenStatus(PatchVariantByte(bytes, 1, format::kVariantArchVariant, 3)),
                "unknown arch variant 3");
  ExpectCorrupt(OpenStatus(PatchVariantByte(bytes, 1, format::kVariantReserved, 1)),
                "reserved byte");
  ExpectCorrupt(OpenStatus(PatchVariantByte(bytes, 1, format::kVariantArchMinor, 12)),
                "out of range");

  // An unknown codec.
  Bytes b = bytes;
  le::StoreU32(RecordOf(b, format::kSectionBlobs, format::kBlobRecordSize, 1) + 32, 7);
  ResealSection(b, format::kSectionBlobs);
  ExpectCorrupt(OpenStatus(b), "unknown codec 7");
}

TEST(BundleTest, RejectsBadRecordReferences) {
  const Bytes bytes = Write(Sample());
  auto patch_u32 = [&](uint32_t id, size_t record_size, size_t index, size_t field,
                       uint32_t value) {
    Bytes b = bytes;
    le::StoreU32(RecordOf(b, id, record_size, index) + field, value);
    ResealSection(b, id);
    return OpenStatus(b);
  };
  using namespace format;  // NOLINT: record layout constants
  ExpectCorrupt(patch_u32(kSectionVariants, kVariantRecordSize, 5, kVariantKernel, 4),
                "kernel 4 out of range");
  ExpectCorrupt(patch_u32(kSectionVariants, kVariantRecordSize, 0, kVariantKernel, 1),
                "not grouped by kernel");
  ExpectCorrupt(patch_u32(kSectionVariants, kVariantRecordSize, 1, kVariantPayloadBlob, 7),
                "payload blob 7 out of range");
  ExpectCorrupt(patch_u32(kSectionVariants, kVariantRecordSize, 1, kVariantFirstConfig, 0),
                "config entries do not follow");
  ExpectCorrupt(patch_u32(kSectionVariants, kVariantRecordSize, 1, kVariantRuleCount, 1000),
                "shape rules do not follow");
  ExpectCorrupt(patch_u32(kSectionKernels, kKernelRecordSize, 1, 0, 5000),
                "string index 5000 out of range");
  ExpectCorrupt(patch_u32(kSectionKernels, kKernelRecordSize, 1, 8, 7), "IR blob 7 out of range");
  ExpectCorrupt(patch_u32(kSectionKernels, kKernelRecordSize, 1, 16, 1), "tunables do not follow");
  // Kernel flags (minor 1): the Triton ABI needs the signature IR; scratch
  // params need the ABI and stay at most 8; unknown bits are a newer minor.
  ExpectCorrupt(patch_u32(kSectionKernels, kKernelRecordSize, 2, 4, 1),
                "a Triton-ABI kernel without its signature IR");
  ExpectCorrupt(patch_u32(kSectionKernels, kKernelRecordSize, 0, 20, 2),
                "scratch params without the Triton ABI");
  {
    const Status s = patch_u32(kSectionKernels, kKernelRecordSize, 0, 4, 2);
    EXPECT_EQ(s.code(), Code::kUnsupported) << s.message();
    EXPECT_NE(s.message().find("unknown flags"), std::string::npos) << s.message();
  }
  ExpectCorrupt(patch_u32(kSectionTunables, kTunableRecordSize, 0, 8, 3),
                "do not follow the previous tunable");
  ExpectCorrupt(patch_u32(kSectionConfig, kConfigRecordSize, 0, 4, 1), "reserved field");
  // Two kernels with the same name.
  Bytes b = bytes;
  le::StoreU32(RecordOf(b, kSectionKernels, kKernelRecordSize, 3),
               le::LoadU32(RecordOf(b, kSectionKernels, kKernelRecordSize, 1)));
  ResealSection(b, kSectionKernels);
  ExpectCorrupt(OpenStatus(b), "kernel name 'triton_imported' repeated");
  // A shape rule with min > max.
  b = bytes;
  le::StoreU64(RecordOf(b, kSectionRules, kRuleRecordSize, 0) + 8, uint64_t{1} << 40);
  ResealSection(b, kSectionRules);
  ExpectCorrupt(OpenStatus(b), "min");
  // A string table whose count cannot fit.
  b = bytes;
  le::StoreU32(b.data() + SectionRange(b, kSectionStrings).offset, 0x7fffffff);
  ResealSection(b, kSectionStrings);
  ExpectCorrupt(OpenStatus(b), "cannot fit");
  // A string whose length runs past the table.
  b = bytes;
  le::StoreU32(b.data() + SectionRange(b, kSectionStrings).offset + 4, 0xfffffff0u);
  ResealSection(b, kSectionStrings);
  ExpectCorrupt(OpenStatus(b), "runs past the table");
  // A string with an embedded NUL.
  b = bytes;
  b[SectionRange(b, kSectionStrings).offset + 9] = 0;
  ResealSection(b, kSectionStrings);
  ExpectCorrupt(OpenStatus(b), "NUL");
  // A section whose size is not a whole number of records (the padding after
  // it is large enough to take the extra byte without moving what follows).
  b = bytes;
  const Range rules = SectionRange(b, kSectionRules);
  ASSERT_NE(rules.size % kSectionAlignment, 0u);
  le::StoreU64(Entry(b, EntryIndexOf(b, kSectionRules)) + kSectionSizeOffset, rules.size + 1);
  ResealSection(b, kSectionRules);
  ExpectCorrupt(OpenStatus(b), "rules size 73 is not a multiple of 24");
}

// A zstd blob whose recorded raw size lies, in every direction.
TEST(BundleTest, RejectsLyingRawSizesAndDecompressionBombs) {
  const Bytes bytes = Write(Sample());
  Result<BundleView> view = BundleView::Open(bytes);
  ASSERT_TRUE(view.ok());
  const uint32_t blob = view->variant(0).payload_blob;
  const BlobInfo info = view->blob(blob);
  ASSERT_EQ(info.codec, format::kCodecZstd);

  auto with_raw_size = [&](uint64_t raw) {
    Bytes b = bytes;
    le::StoreU64(RecordOf(b, format::kSectionBlobs, format::kBlobRecordSize, blob) + 16, raw);
    ResealSection(b, format::kSectionBlobs);
    return b;
  };
  // Plausible lies open (sizes are within limits) but fail when read, before
  // anything is decompressed into a buffer of the wrong size.
  for (uint64_t raw : {info.raw_size + 1, info.raw_size - 1, info.raw_size * 2, uint64_t{1}}) {
    const Bytes b = with_raw_size(raw);
    Result<BundleView> v = BundleView::Open(b);
    ASSERT_TRUE(v.ok()) << v.status().message();
    Bytes scratch;
    ExpectCorrupt(v->ReadPayload(0, &scratch).status(), "raw size");
    EXPECT_LE(scratch.size(), info.raw_size * 2);
  }
  // Implausible ones (beyond the ratio or size limit) do not even open.
  for (uint64_t raw : {info.stored_size * format::kMaxZstdRatio + 1, format::kMaxBlobRawSize + 1,
                       uint64_t{1} << 62, std::numeric_limits<uint64_t>::max()}) {
    ExpectCorrupt(OpenStatus(with_raw_size(raw)), "claims");
  }
  // A raw blob must be exactly its stored size.
  Bytes b = bytes;
  le::StoreU64(
      RecordOf(b, format::kSectionBlobs, format::kBlobRecordSize, view->variant(1).payload_blob) +
          16,
      1);
  ResealSection(b, format::kSectionBlobs);
  ExpectCorrupt(OpenStatus(b), "stored raw");

  // A real bomb: 4 MiB of zeros compress far beyond the ratio limit, so the
  // writer stores them raw rather than produce a file readers would reject.
  Contents c = Sample();
  c.kernels[1].variants[0].payload.assign(4 << 20, 0);
  const Bytes bomb = Write(c);
  Result<BundleView> bv = BundleView::Open(bomb);
  ASSERT_TRUE(bv.ok()) << bv.status().message();
  EXPECT_EQ(bv->blob(bv->variant(3).payload_blob).codec, format::kCodecRaw);

  // A hand-made bomb with a valid checksum: the same zeros compressed into a
  // frame that replaces a small blob. Its raw size (4 MiB from ~100 bytes)
  // breaks the ratio limit, so the bundle does not open.
  const Bytes zeros(4 << 20, 0);
  Bytes frame(ZSTD_compressBound(zeros.size()));
  frame.resize(ZSTD_compress(frame.data(), frame.size(), zeros.data(), zeros.size(), 19));
  ASSERT_LT(frame.size() * format::kMaxZstdRatio, zeros.size());
  Contents small;
  KernelEntry k;
  k.name = "k";
  k.variants.push_back(Cubin({9, 0, ArchVariant::kPlain}, Bytes(frame.size(), 0x5a)));
  small.kernels.push_back(k);
  WriteOptions raw_options;
  raw_options.compress = false;
  Bytes crafted = Write(small, raw_options);
  const Range data = SectionRange(crafted, format::kSectionBlobData);
  ASSERT_EQ(data.size, frame.size());
  std::copy(frame.begin(), frame.end(), crafted.begin() + static_cast<ptrdiff_t>(data.offset));
  uint8_t* r = RecordOf(crafted, format::kSectionBlobs, format::kBlobRecordSize, 0);
  le::StoreU64(r + 16, zeros.size());
  le::StoreU64(r + 24, XXH3_64bits(frame.data(), frame.size()));
  le::StoreU32(r + 32, format::kCodecZstd);
  ResealSection(crafted, format::kSectionBlobData);
  ResealSection(crafted, format::kSectionBlobs);
  ExpectCorrupt(OpenStatus(crafted), "claims 4194304 bytes");
}

TEST(BundleTest, RejectsGarbage) {
  EXPECT_EQ(OpenStatus({}).code(), Code::kCorruptData);
  ExpectCorrupt(OpenStatus(Bytes(100, 0)), "bad magic");
  Bytes header(format::kMagic, format::kMagic + 8);
  header.resize(format::kHeaderSize, 0);
  le::StoreU16(header.data() + 8, 1);
  ExpectCorrupt(OpenStatus(header), "the header says 0 bytes");
  le::StoreU64(header.data() + 16, header.size());
  ExpectCorrupt(OpenStatus(header), "header checksum");
  ResealHeader(header);
  ExpectCorrupt(OpenStatus(header), "missing section strings");
  // Every magic byte counts, even under a valid checksum.
  for (size_t i = 0; i < 8; ++i) {
    Bytes b = Write(Sample());
    b[i] ^= 0x20;
    ResealHeader(b);
    ExpectCorrupt(OpenStatus(b), "bad magic");
  }
}

// An IR blob that is not valid IR but carries valid checksums: the bundle
// opens (IR is decoded lazily) and the IR is rejected when loaded.
TEST(BundleTest, RejectsInvalidIrBlobs) {
  WriteOptions raw;
  raw.compress = false;
  Bytes bytes = Write(Sample(), raw);
  Result<BundleView> view = BundleView::Open(bytes);
  ASSERT_TRUE(view.ok());
  ASSERT_TRUE(view->LoadKernelIr(0).ok());
  const uint32_t blob = view->kernel(0).ir_blob;
  const BlobInfo info = view->blob(blob);
  const Range data = SectionRange(bytes, format::kSectionBlobData);
  uint8_t* ir = bytes.data() + data.offset + info.offset;
  ir[0] ^= 0xff;  // the IR's own magic
  le::StoreU64(RecordOf(bytes, format::kSectionBlobs, format::kBlobRecordSize, blob) + 24,
               XXH3_64bits(ir, info.stored_size));
  ResealSection(bytes, format::kSectionBlobData);
  ResealSection(bytes, format::kSectionBlobs);
  view = BundleView::Open(bytes);
  ASSERT_TRUE(view.ok()) << view.status().message();
  const Status s = view->LoadKernelIr(0).status();
  EXPECT_EQ(s.code(), Code::kCorruptData) << s.message();
  EXPECT_NE(s.message().find("kernel 'vector_add' IR"), std::string::npos) << s.message();
  EXPECT_EQ(view->VerifyAll().code(), Code::kCorruptData);
}

//===----------------------------------------------------------------------===//
// Helpers: PTX header, inspect, JSON
//===----------------------------------------------------------------------===//

TEST(BundleTest, ScansPtxHeaders) {
  Result<PtxHeader> h = ScanPtxHeader(
      "//\n// Generated by LLVM NVPTX Back-End\n//\n\n.version 8.4\n.target sm_90a\n"
      ".address_size 64\n\n.visible .entry k()\n{\n}\n");
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->version, (select::PtxIsa{8, 4}));
  EXPECT_EQ(h->target, (Arch{9, 0, ArchVariant::kSpecific}));

  h = ScanPtxHeader("/* a\n .version 1.0 \n */ .version 7.8 // x\n.target sm_80, debug\n");
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->version, (select::PtxIsa{7, 8}));
  EXPECT_EQ(h->target, (Arch{8, 0, ArchVariant::kPlain}));

  EXPECT_EQ(ScanPtxHeader(".target sm_80\n").status().code(), Code::kParseError);
  EXPECT_EQ(ScanPtxHeader(".version 8.0\n.entry k()\n.target sm_80\n").status().code(),
            Code::kParseError);
  EXPECT_EQ(ScanPtxHeader(".version eight\n.target sm_80\n").status().code(), Code::kParseError);
  EXPECT_EQ(ScanPtxHeader(".version 8.0\n.target gfx90a\n").status().code(), Code::kParseError);
  EXPECT_EQ(ScanPtxHeader("").status().code(), Code::kParseError);
}

// A strict JSON syntax check (RFC 8259 grammar, no extensions).
class JsonChecker {
 public:
  explicit JsonChecker(const std::string& s) : s_(s) {}
  bool Valid() {
    Ws();
    if (!Value(0)) return false;
    Ws();
    return i_ == s_.size();
  }

 private:
  bool Value(int depth) {
    if (depth > 64 || i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') return Container('}', depth, true);
    if (c == '[') return Container(']', depth, false);
    if (c == '"') return Str();
    if (Lit("true") || Lit("false") || Lit("null")) return true;
    return Number();
  }
  bool Container(char close, int depth, bool object) {
    ++i_;
    Ws();
    if (i_ < s_.size() && s_[i_] == close) return ++i_, true;
    while (true) {
      Ws();
      if (object) {
        if (!Str()) return false;
        Ws();
        if (i_ >= s_.size() || s_[i_++] != ':') return false;
        Ws();
      }
      if (!Value(depth + 1)) return false;
      Ws();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      return s_[i_++] == close;
    }
  }
  bool Str() {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    for (++i_; i_ < s_.size(); ++i_) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') return ++i_, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (++i_ >= s_.size()) return false;
        const char e = s_[i_];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (++i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_]))) {
              return false;
            }
          }
        } else if (std::string("\"\\/bfnrt").find(e) == std::string::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool Number() {
    const size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    return i_ > start && std::isdigit(static_cast<unsigned char>(s_[i_ - 1]));
  }
  bool Lit(const char* lit) {
    const size_t n = std::strlen(lit);
    if (s_.compare(i_, n, lit) != 0) return false;
    i_ += n;
    return true;
  }
  void Ws() {
    while (i_ < s_.size() && std::strchr(" \t\r\n", s_[i_]) != nullptr && s_[i_] != '\0') ++i_;
  }
  const std::string& s_;
  size_t i_ = 0;
};

TEST(BundleTest, InspectDescribesEveryKernelAndVariant) {
  Contents c = Sample();
  c.kernels[3].name = "odd \"name\"\n\x01\xff";
  const Bytes bytes = Write(c);
  Result<BundleView> view = BundleView::Open(bytes);
  ASSERT_TRUE(view.ok());
  const std::string text = InspectText(*view);
  for (const char* fragment :
       {"bundle format 1.1", "4 kernels, 6 variants, 7 blobs", "kernel 0 'vector_add': IR",
        "tunable BLOCK in {128, 256, 512, 1024} = 256", "variant 0: cubin sm_90a for cuda",
        "driver >= 12.0 (12000)", "features tma,wgmma", "config: BLOCK=1024 WARPS=8 T=11",
        "64 registers/thread, 1024 + 49152 bytes shared memory", "256 threads/block",
        "shape rules: 1 <= N <= 65536", "variant 2: ptx compute_80 for cuda, PTX ISA 7.0",
        "kernel 1 'triton_imported': no IR", "variant 4: hip-code-object sm_94 for hip",
        "variant 5: spirv", "zstd", "9 blob-data"}) {
    EXPECT_NE(text.find(fragment), std::string::npos) << "missing '" << fragment << "' in\n"
                                                      << text;
  }
  const std::string json = InspectJson(*view);
  EXPECT_TRUE(JsonChecker(json).Valid()) << json;
  for (const char* fragment :
       {"\"name\":\"vector_add\"", "\"payload_kind\":\"ptx\"", "\"min_ptx_isa\":\"7.0\"",
        "\"config\":{\"BLOCK\":1024,\"WARPS\":8,\"T\":11}", "\"codec\":\"zstd\"",
        "\"name\":\"odd \\\"name\\\"\\u000a\\u0001\\ufffd\"",
        "{\"symbol\":\"M\",\"min\":-9223372036854775808,\"max\":9223372036854775807}"}) {
    EXPECT_NE(json.find(fragment), std::string::npos) << "missing '" << fragment << "' in\n"
                                                      << json;
  }
}

TEST(BundleTest, JsonWriterEscapesEverything) {
  JsonWriter j;
  j.BeginObject();
  j.Field("a\"b", std::string_view("x\\y\t\x7f"));
  j.Key("list");
  j.BeginArray();
  j.Int(-1);
  j.Uint(18446744073709551615ull);
  j.Bool(false);
  j.Null();
  j.BeginObject();
  j.EndObject();
  j.BeginArray();
  j.EndArray();
  j.EndArray();
  j.Field("utf8", std::string_view("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  j.Field("bad", std::string_view("\xc3\x28\xed\xa0\x80\xc0\xaf\xf5"));
  j.EndObject();
  EXPECT_EQ(j.str(),
            "{\"a\\\"b\":\"x\\\\y\\u0009\\u007f\",\"list\":[-1,18446744073709551615,false,null,{},"
            "[]],\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"bad\":\"\\ufffd(\\ufffd\\ufffd"
            "\\ufffd\\ufffd\\ufffd\\ufffd\"}");
  EXPECT_TRUE(JsonChecker(j.str()).Valid());
  EXPECT_FALSE(JsonChecker("{\"a\":1,}").Valid());
  EXPECT_FALSE(JsonChecker("{\"a\":\"\x01\"}").Valid());
}

}  // namespace
}  // namespace hrt::bundle
