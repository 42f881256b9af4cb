// Tests of device fingerprints (string form, defaults, hard key), the PTX ISA
// table, CUDA's code-compatibility rules, and variant selection over
// synthetic devices (sm_80 ... sm_120, several drivers, small limits, shape
// rules), including the explain chain and its renderings.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "codegen/ir/text.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/reader.h"
#include "runtime/bundle/writer.h"
#include "runtime/select/arch.h"
#include "runtime/select/explain.h"
#include "runtime/select/fingerprint.h"
#include "runtime/select/selection.h"

namespace hrt::select {
namespace {

using bundle::BundleView;
using bundle::Contents;
using bundle::KernelEntry;
using bundle::PayloadKind;
using bundle::VariantEntry;
using Bytes = std::vector<uint8_t>;

constexpr Arch Sm(uint16_t major, uint16_t minor, ArchVariant v = ArchVariant::kPlain) {
  return Arch{major, minor, v};
}
constexpr ArchVariant kA = ArchVariant::kSpecific;
constexpr ArchVariant kF = ArchVariant::kFamily;

//===----------------------------------------------------------------------===//
// Architectures and the PTX ISA table
//===----------------------------------------------------------------------===//

TEST(ArchTest, ParsesAndPrintsArchitectures) {
  struct Case {
    const char* text;
    Arch arch;
  };
  for (const Case& c : {Case{"90a", Sm(9, 0, kA)}, Case{"sm_90a", Sm(9, 0, kA)},
                        Case{"compute_100f", Sm(10, 0, kF)}, Case{"86", Sm(8, 6)},
                        Case{"sm_120", Sm(12, 0)}, Case{"103a", Sm(10, 3, kA)}}) {
    Result<Arch> a = ParseArch(c.text);
    ASSERT_TRUE(a.ok()) << c.text << ": " << a.status().message();
    EXPECT_EQ(*a, c.arch) << c.text;
  }
  for (const char* bad :
       {"", "9", "9000", "sm_", "90b", "00", "0a", "abc", "sm_9x", "a", "8.6", "-86", "sm90"}) {
    EXPECT_EQ(ParseArch(bad).status().code(), Code::kParseError) << bad;
  }
  EXPECT_EQ(SmName(Sm(9, 0, kA)), "sm_90a");
  EXPECT_EQ(SmName(Sm(10, 0, kF)), "sm_100f");
  EXPECT_EQ(ComputeName(Sm(8, 6)), "compute_86");
  EXPECT_EQ(ArchDigits(Sm(12, 1)), "121");
}

TEST(ArchTest, PtxIsaFollowsTheDriverTable) {
  struct Case {
    int32_t driver;
    PtxIsa isa;
  };
  const Case cases[] = {
      {0, {0, 0}},     {8000, {0, 0}},  {9000, {6, 0}},  {10020, {6, 5}}, {11000, {7, 0}},
      {11040, {7, 4}}, {11080, {7, 8}}, {12000, {8, 0}}, {12010, {8, 1}}, {12040, {8, 4}},
      {12045, {8, 4}}, {12050, {8, 5}}, {12060, {8, 5}}, {12070, {8, 6}}, {12080, {8, 7}},
      {12090, {8, 8}}, {13000, {9, 0}}, {13010, {9, 1}}, {13090, {9, 1}}, {20000, {9, 1}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PtxIsaForDriver(c.driver), c.isa) << c.driver;
  }
  EXPECT_EQ(MinDriverForPtxIsa({8, 6}), 12070);
  EXPECT_EQ(MinDriverForPtxIsa({8, 5}), 12050);
  EXPECT_EQ(MinDriverForPtxIsa({7, 0}), 11000);
  EXPECT_EQ(MinDriverForPtxIsa({9, 2}), 0);
  // The table is ordered and never goes backwards.
  const auto table = DriverPtxTable();
  for (size_t i = 1; i < table.size(); ++i) {
    EXPECT_LT(table[i - 1].driver_version, table[i].driver_version);
    EXPECT_LE(table[i - 1].ptx_isa, table[i].ptx_isa);
  }
  EXPECT_EQ(DriverVersionString(12080), "12.8");
  EXPECT_EQ(DriverVersionString(13000), "13.0");
  EXPECT_EQ(DriverVersionString(0), "unknown");
  Result<PtxIsa> isa = ParsePtxIsa("8.7");
  ASSERT_TRUE(isa.ok());
  EXPECT_EQ(*isa, (PtxIsa{8, 7}));
  for (const char* bad : {"", "8", "8.", ".7", "8.7.1", "a.b", "123.4", "8.123"}) {
    EXPECT_EQ(ParsePtxIsa(bad).status().code(), Code::kParseError) << bad;
  }
}

TEST(ArchTest, CudaCompatibilityRules) {
  struct Case {
    Arch code;
    Arch device;
    bool cubin;
    bool ptx;
  };
  const Case cases[] = {
      {Sm(8, 0), Sm(8, 0), true, true},
      {Sm(8, 0), Sm(8, 6), true, true},
      {Sm(8, 6), Sm(8, 0), false, false},
      {Sm(8, 0), Sm(9, 0), false, true},  // binaries never cross majors; PTX does
      {Sm(8, 6), Sm(12, 0), false, true},
      {Sm(9, 0), Sm(9, 0, kA), true, true},  // plain code on an 'a' device
      {Sm(9, 0, kA), Sm(9, 0, kA), true, true},
      {Sm(9, 0, kA), Sm(9, 0), false, false},  // 'a' needs an 'a' device
      {Sm(9, 0, kA), Sm(10, 0, kA), false, false},
      {Sm(10, 0, kA), Sm(10, 3, kA), false, false},  // 'a' only on the exact arch
      {Sm(10, 0, kF), Sm(10, 0, kF), true, true},
      {Sm(10, 0, kF), Sm(10, 3, kF), true, true},  // family: same major, minor >=
      {Sm(10, 0, kF), Sm(10, 3, kA), true, true},  // 'a' devices accept family code
      {Sm(10, 3, kF), Sm(10, 0, kA), false, false},
      {Sm(10, 0, kF), Sm(10, 0), false, false},  // family code needs family support
      {Sm(10, 0, kF), Sm(12, 0, kF), false, false},
      {Sm(12, 0), Sm(10, 0), false, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CubinRunsOn(c.code, c.device), c.cubin)
        << SmName(c.code) << " on " << SmName(c.device);
    EXPECT_EQ(PtxRunsOn(c.code, c.device), c.ptx)
        << ComputeName(c.code) << " on " << SmName(c.device);
  }
  EXPECT_EQ(ArchDistance(Sm(9, 0, kA), Sm(9, 0, kA)), 0u);
  EXPECT_LT(ArchDistance(Sm(8, 6), Sm(8, 9)), ArchDistance(Sm(8, 0), Sm(8, 9)));
  EXPECT_LT(ArchDistance(Sm(9, 0, kA), Sm(9, 0, kA)), ArchDistance(Sm(9, 0), Sm(9, 0, kA)));
  EXPECT_LT(ArchDistance(Sm(10, 0, kF), Sm(10, 3, kA)), ArchDistance(Sm(10, 0), Sm(10, 3, kA)));
}

//===----------------------------------------------------------------------===//
// Fingerprints
//===----------------------------------------------------------------------===//

TEST(FingerprintTest, StringFormRoundTrips) {
  Fingerprint fp = MakeCudaFingerprint(Sm(9, 0, kA), 12080);
  fp.name = "NVIDIA H100; 80GB=HBM3 %\x01\xc3\xa9";
  for (size_t i = 0; i < fp.uuid.size(); ++i) fp.uuid[i] = static_cast<uint8_t>(0x11 * i + 3);
  fp.sm_count = 132;
  fp.memory_bytes = 85899345920ull;
  fp.features |= uint64_t{1} << 50;
  const std::string s = FingerprintToString(fp);
  EXPECT_EQ(s.find("name=NVIDIA H100%3b 80GB%3dHBM3 %25%01%c3%a9;"), s.find("name=")) << s;
  EXPECT_NE(s.find("uuid=03142536-4758-697a-8b9c-adbecfe0f102"), std::string::npos) << s;
  EXPECT_NE(s.find("features=coop_launch,bf16,cp_async,fp8,clusters,tma,wgmma,0x4000000000000"),
            std::string::npos)
      << s;
  Result<Fingerprint> back = ParseFingerprint(s);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == fp);
  EXPECT_EQ(FingerprintToString(*back), s);

  // Every field shows in the canonical string in the documented order.
  const Fingerprint cpu;
  EXPECT_EQ(FingerprintToString(cpu),
            "backend=cpu-reference;vendor=0x0;name=;uuid=00000000-0000-0000-0000-000000000000;"
            "sm=none;sms=0;max_threads=0;smem=0;smem_optin=0;regs=0;warp=0;driver=0;ptx=0.0;"
            "memory=0;features=none");
  Result<Fingerprint> cpu_back = ParseFingerprint(FingerprintToString(cpu));
  ASSERT_TRUE(cpu_back.ok()) << cpu_back.status().message();
  EXPECT_TRUE(*cpu_back == cpu);
}

TEST(FingerprintTest, ShortFormsTakeArchitectureDefaults) {
  Result<Fingerprint> fp = ParseFingerprint("backend=cuda;sm=90a;driver=13000");
  ASSERT_TRUE(fp.ok()) << fp.status().message();
  EXPECT_EQ(fp->backend, HRT_BACKEND_CUDA);
  EXPECT_EQ(fp->arch, Sm(9, 0, kA));
  EXPECT_EQ(fp->vendor_id, 0x10deu);
  EXPECT_EQ(fp->smem_per_block, 49152u);
  EXPECT_EQ(fp->smem_per_block_optin, 232448u);
  EXPECT_EQ(fp->max_threads_per_block, 1024u);
  EXPECT_EQ(fp->regs_per_block, 65536u);
  EXPECT_EQ(fp->warp_size, 32u);
  EXPECT_EQ(fp->ptx_isa_max, (PtxIsa{9, 0}));
  EXPECT_NE(fp->features & kFeatureWgmma, 0u);
  EXPECT_NE(fp->features & kFeatureTma, 0u);
  EXPECT_EQ(fp->features & kFeatureTcgen05, 0u);

  struct Case {
    const char* text;
    uint32_t smem_optin;
    uint64_t has;
    uint64_t lacks;
  };
  const Case cases[] = {
      {"backend=cuda;sm=80", 166912, kFeatureBf16, kFeatureFp8},
      {"backend=cuda;sm=86", 101376, kFeatureAsyncCopy, kFeatureFp8},
      {"backend=cuda;sm=89", 101376, kFeatureFp8, kFeatureTma},
      {"backend=cuda;sm=90", 232448, kFeatureTma, kFeatureWgmma},
      {"backend=cuda;sm=100f", 232448, kFeatureTcgen05, kFeatureWgmma},
      {"backend=cuda;sm=100", 232448, kFeatureFp4, kFeatureTcgen05},
      {"backend=cuda;sm=120", 101376, kFeatureFp4, kFeatureTcgen05},
      {"backend=cuda;sm=75", 65536, kFeatureCooperativeLaunch, kFeatureBf16},
  };
  for (const Case& c : cases) {
    Result<Fingerprint> f = ParseFingerprint(c.text);
    ASSERT_TRUE(f.ok()) << c.text << ": " << f.status().message();
    EXPECT_EQ(f->smem_per_block_optin, c.smem_optin) << c.text;
    EXPECT_NE(f->features & c.has, 0u) << c.text;
    EXPECT_EQ(f->features & c.lacks, 0u) << c.text;
    EXPECT_EQ(f->driver_version, 0) << c.text;
    EXPECT_FALSE(f->ptx_isa_max.known()) << c.text;
  }

  // Explicit keys override the defaults, in any order; ptx overrides the
  // driver's derivation.
  fp = ParseFingerprint(
      "smem_optin=1000;ptx=8.0;sm=sm_86;backend=cuda;driver=12080;features=tma;warp=64;"
      "vendor=4318;sms=0x54;");
  ASSERT_TRUE(fp.ok()) << fp.status().message();
  EXPECT_EQ(fp->smem_per_block_optin, 1000u);
  EXPECT_EQ(fp->ptx_isa_max, (PtxIsa{8, 0}));
  EXPECT_EQ(fp->driver_version, 12080);
  EXPECT_EQ(fp->features, kFeatureTma);
  EXPECT_EQ(fp->warp_size, 64u);
  EXPECT_EQ(fp->vendor_id, 4318u);
  EXPECT_EQ(fp->sm_count, 84u);
}

TEST(FingerprintTest, RejectsMalformedStrings) {
  const char* bad[] = {
      "",
      "sm=90",                                                       // no backend
      "backend=cuda",                                                // cuda without sm
      "backend=metal;sm=90",                                         // unknown backend
      "backend=cuda;sm=90;sm=90",                                    // repeated key
      "backend=cuda;sm=90;smem_opt=1",                               // unknown key (typo)
      "backend=cuda;sm=90;sms",                                      // not key=value
      "backend=cuda;sm=90;sms=-1",                                   // not unsigned
      "backend=cuda;sm=90;sms=4294967296",                           // overflows u32
      "backend=cuda;sm=90;sms=12abc",                                // trailing junk
      "backend=cuda;sm=90;sms=",                                     // empty number
      "backend=cuda;sm=90;driver=-1",                                // negative driver
      "backend=cuda;sm=90;driver=2147483648",                        // overflows i32
      "backend=cuda;sm=9x",                                          // bad arch
      "backend=cuda;sm=90;ptx=9",                                    // bad PTX ISA
      "backend=cuda;sm=90;uuid=0011",                                // short uuid
      "backend=cuda;sm=90;uuid=00112233445566778899aabbccddeeff00",  // long uuid
      "backend=cuda;sm=90;uuid=00112233445566778899aabbccddeefg",    // not hex
      "backend=cuda;sm=90;name=a%g1",                                // bad escape
      "backend=cuda;sm=90;name=a%4",                                 // truncated escape
      "backend=cuda;sm=90;features=tma,warp_specialization",         // unknown feature
      "backend=cuda;sm=90;features=tma,,fp8",                        // empty feature
      "backend=cuda;sm=90;memory=18446744073709551616",
  };
  for (const char* text : bad) {
    EXPECT_EQ(ParseFingerprint(text).status().code(), Code::kParseError) << text;
  }
}

TEST(FingerprintTest, FeaturesStringRoundTrips) {
  for (uint64_t f : {uint64_t{0}, uint64_t{kFeatureTma}, uint64_t{kFeatureTma | kFeatureFp4},
                     ~uint64_t{0}, uint64_t{1} << 63}) {
    Result<uint64_t> back = ParseFeatures(FeaturesString(f));
    ASSERT_TRUE(back.ok()) << FeaturesString(f);
    EXPECT_EQ(*back, f) << FeaturesString(f);
  }
  EXPECT_EQ(FeaturesString(kFeatureWgmma | kFeatureBf16), "bf16,wgmma");
  EXPECT_EQ(FeatureName(kNumNamedFeatures), nullptr);
  for (int bit = 0; bit < kNumNamedFeatures; ++bit) EXPECT_NE(FeatureName(bit), nullptr);
}

TEST(FingerprintTest, HardKeyCoversWhatBinariesDependOn) {
  Fingerprint a = MakeCudaFingerprint(Sm(9, 0, kA), 12080);
  Fingerprint b = a;
  b.sm_count = 114;
  b.name = "another board";
  b.memory_bytes = 1;
  b.smem_per_block_optin = 1024;
  EXPECT_EQ(HardKeyOf(a), HardKeyOf(b));
  EXPECT_EQ(HardKeyOf(a).Hash(), HardKeyOf(b).Hash());
  EXPECT_EQ(HardKeyOf(a).ToString(), "backend=cuda;sm=90a;driver=12080");
  const std::string key = HardKeyOf(a).ToString();
  EXPECT_EQ(HardKeyOf(a).Hash(), XXH3_64bits(key.data(), key.size()));
  Fingerprint other_driver = a;
  other_driver.driver_version = 12090;
  Fingerprint other_arch = a;
  other_arch.arch = Sm(9, 0);
  Fingerprint other_backend = a;
  other_backend.backend = HRT_BACKEND_HIP;
  for (const Fingerprint& c : {other_driver, other_arch, other_backend}) {
    EXPECT_NE(HardKeyOf(c), HardKeyOf(a));
    EXPECT_NE(HardKeyOf(c).Hash(), HardKeyOf(a).Hash());
  }
}

//===----------------------------------------------------------------------===//
// Selection
//===----------------------------------------------------------------------===//

constexpr const char* kKernelText = R"(
kernel scale(x: tensor<f32>[M], out: tensor<f32>[M])
  tunable BLOCK in {64, 128} = 64
  grid [cdiv(M, BLOCK)]
{
  %pid = program_id 0
  %bs = sym BLOCK
  %base = mul %pid, %bs
  %lane = iota BLOCK
  %offs = add %lane, %base
  %m = sym M
  %mask = lt %offs, %m
  %a = load x[%offs], mask %mask, other 0
  store out[%offs], %a, mask %mask
}
)";

VariantEntry Cubin(Arch arch) {
  VariantEntry v;
  v.target.arch = arch;
  v.payload_kind = PayloadKind::kCubin;
  v.payload = {0x7f, 'E', 'L', 'F'};
  v.resources = {32, 0, 0, 128};
  return v;
}

VariantEntry Ptx(Arch arch, PtxIsa isa) {
  VariantEntry v;
  v.target.arch = arch;
  v.target.min_ptx_isa = isa;
  v.payload_kind = PayloadKind::kPtx;
  const std::string text = ".version " + PtxIsaString(isa) + "\n.target " + SmName(arch) + "\n";
  v.payload.assign(text.begin(), text.end() + 1);
  v.resources = {0, 0, 0, 128};
  return v;
}

VariantEntry WithRules(VariantEntry v, std::vector<bundle::ShapeRule> rules) {
  v.shape_rules = std::move(rules);
  return v;
}

KernelEntry Kernel(const std::string& name, std::vector<VariantEntry> variants, bool with_ir) {
  KernelEntry k;
  if (with_ir) {
    Result<ir::Module> m = ir::ParseModule(kKernelText, "scale.tile");
    EXPECT_TRUE(m.ok()) << m.status().message();
    if (m.ok()) {
      m->kernels[0].name = name;
      k = bundle::KernelEntryFromIr(m->kernels[0]);
    }
  }
  k.name = name;
  k.variants = std::move(variants);
  return k;
}

// Variant indices below are global (the bundle's), which equal the positions
// in these lists for the first kernel only; KernelOf() finds each kernel's.
class SelectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Contents c;
    // Kernel "arch": one variant per architecture flavour.
    c.kernels.push_back(Kernel("arch",
                               {
                                   Cubin(Sm(8, 0)),            // 0
                                   Cubin(Sm(8, 6)),            // 1
                                   Cubin(Sm(9, 0)),            // 2
                                   Cubin(Sm(9, 0, kA)),        // 3
                                   Cubin(Sm(10, 0, kF)),       // 4
                                   Cubin(Sm(10, 0, kA)),       // 5
                                   Cubin(Sm(12, 0)),           // 6
                                   Ptx(Sm(8, 0), {7, 0}),      // 7
                                   Ptx(Sm(9, 0, kA), {8, 0}),  // 8
                                   Ptx(Sm(12, 0), {8, 7}),     // 9
                               },
                               true));
    c.kernels.back().variants[3].target.required_features = kFeatureWgmma;
    // Kernel "ptx_only": PTX of two ISA versions, no IR.
    c.kernels.push_back(Kernel("ptx_only", {Ptx(Sm(8, 0), {7, 0}), Ptx(Sm(12, 0), {8, 7})}, false));
    // Kernel "resources": needs that small devices cannot meet.
    {
      VariantEntry big_smem = Cubin(Sm(9, 0, kA));
      big_smem.resources = {128, 4096, 200 * 1024, 256};
      VariantEntry many_regs = Cubin(Sm(9, 0, kA));
      many_regs.resources = {128, 0, 0, 1024};
      VariantEntry many_threads = Cubin(Sm(9, 0, kA));
      many_threads.resources = {16, 0, 0, 2048};
      VariantEntry modest = Cubin(Sm(9, 0));
      modest.resources = {64, 0, 16 * 1024, 256};
      VariantEntry new_driver = Cubin(Sm(9, 0, kA));
      new_driver.target.min_driver_version = 12080;
      c.kernels.push_back(
          Kernel("resources", {big_smem, many_regs, many_threads, new_driver, modest}, false));
    }
    // Kernel "shapes": a generic variant first, then shape-specific ones.
    c.kernels.push_back(Kernel("shapes",
                               {
                                   Cubin(Sm(9, 0, kA)),
                                   WithRules(Cubin(Sm(9, 0, kA)), {{"M", 1, 64}}),
                                   WithRules(Cubin(Sm(9, 0, kA)), {{"M", 65, 1024}, {"N", 1, 128}}),
                                   WithRules(Ptx(Sm(9, 0, kA), {8, 0}), {{"M", 1, 1 << 30}}),
                               },
                               true));
    // Kernel "fallback": only an sm_100a binary, with IR.
    c.kernels.push_back(Kernel("fallback", {Cubin(Sm(10, 0, kA))}, true));
    // Kernel "stuck": the same without IR.
    c.kernels.push_back(Kernel("stuck", {Cubin(Sm(10, 0, kA))}, false));
    c.kernels.push_back(Kernel("empty", {}, false));
    // Kernel "pins": a cubin for T = 1 with BLOCK 64, one for T = 2 with
    // BLOCK 128, then a PTX variant without config entries.
    {
      VariantEntry f32 = Cubin(Sm(9, 0, kA));
      f32.config = {{"BLOCK", 64}, {"T", 1}};
      VariantEntry f16 = Cubin(Sm(9, 0, kA));
      f16.config = {{"BLOCK", 128}, {"T", 2}};
      c.kernels.push_back(Kernel("pins", {f32, f16, Ptx(Sm(8, 0), {8, 0})}, true));
    }
    // Kernel "other_backends": HIP and SPIR-V payloads.
    {
      VariantEntry hip;
      hip.target.backend = HRT_BACKEND_HIP;
      hip.target.arch = Sm(9, 4);
      hip.payload_kind = PayloadKind::kHipCodeObject;
      hip.payload = {1};
      VariantEntry spirv;
      spirv.target.backend = HRT_BACKEND_VULKAN;
      spirv.payload_kind = PayloadKind::kSpirv;
      spirv.payload = {3, 2, 0x23, 7};
      c.kernels.push_back(Kernel("other_backends", {hip, spirv, Cubin(Sm(9, 0))}, false));
    }
    Result<Bytes> bytes = bundle::WriteBundle(c);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    bytes_ = std::move(*bytes);
    Result<BundleView> view = BundleView::Open(bytes_);
    ASSERT_TRUE(view.ok()) << view.status().message();
    view_ = std::move(*view);
  }

  uint32_t KernelOf(const char* name) {
    const std::optional<uint32_t> k = view_.FindKernel(name);
    EXPECT_TRUE(k.has_value()) << name;
    return k.value_or(0);
  }

  // The chosen variant's index within its kernel, -1 for codegen, -2 for none.
  int Pick(const char* kernel, const Fingerprint& device, std::vector<ShapeValue> shapes = {}) {
    Result<Selection> s = Explain(view_, KernelOf(kernel), device, shapes);
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (!s.ok()) return -3;
    // Select() must agree with Explain().
    Result<Choice> c = Select(view_, KernelOf(kernel), device, shapes);
    EXPECT_EQ(c.ok(), s->kind != DecisionKind::kNone);
    if (c.ok()) {
      EXPECT_EQ(c->kind, s->kind);
      if (c->kind == DecisionKind::kVariant) {
        EXPECT_EQ(c->variant, s->variant);
        EXPECT_EQ(c->needs_smem_opt_in, s->needs_smem_opt_in);
        EXPECT_TRUE(c->codegen_reason.empty());
      } else {
        EXPECT_EQ(c->codegen_reason, NoVariantReason(view_, device, shapes, *s));
      }
    }
    switch (s->kind) {
      case DecisionKind::kVariant:
        return static_cast<int>(s->variant - view_.kernel(KernelOf(kernel)).first_variant);
      case DecisionKind::kCodegen: return -1;
      case DecisionKind::kNone: return -2;
    }
    return -3;
  }

  // The candidate for |kernel|'s variant |local| (position within the kernel).
  Candidate CandidateOf(const char* kernel, uint32_t local, const Fingerprint& device,
                        std::vector<ShapeValue> shapes = {}) {
    Result<Selection> s = Explain(view_, KernelOf(kernel), device, shapes);
    EXPECT_TRUE(s.ok());
    if (!s.ok() || local >= s->candidates.size()) {
      ADD_FAILURE() << "no candidate " << local;
      return {};
    }
    EXPECT_EQ(s->candidates[local].variant, view_.kernel(KernelOf(kernel)).first_variant + local);
    return s->candidates[local];
  }

  std::string Reason(const char* kernel, uint32_t local, const Fingerprint& device,
                     std::vector<ShapeValue> shapes = {}) {
    return CandidateReason(view_, device, CandidateOf(kernel, local, device, shapes));
  }

  Bytes bytes_;
  BundleView view_;
};

Fingerprint Cuda(Arch arch, int32_t driver = 13000) {
  return MakeCudaFingerprint(arch, driver);
}

Fingerprint Parse(const char* text) {
  Result<Fingerprint> fp = ParseFingerprint(text);
  EXPECT_TRUE(fp.ok()) << text << ": " << fp.status().message();
  return fp.ok() ? *fp : Fingerprint{};
}

TEST_F(SelectTest, ArchitectureTable) {
  struct Case {
    const char* device;
    int expected;  // variant within kernel "arch"
    Tier tier;
  };
  const Case cases[] = {
      {"backend=cuda;sm=80;driver=12040", 0, Tier::kExactBinary},
      {"backend=cuda;sm=86;driver=12040", 1, Tier::kExactBinary},
      // sm_89 has no binary of its own: the closest compatible one wins.
      {"backend=cuda;sm=89;driver=12040", 1, Tier::kCompatibleBinary},
      {"backend=cuda;sm=90;driver=12040", 2, Tier::kExactBinary},
      {"backend=cuda;sm=90a;driver=12040", 3, Tier::kExactBinary},
      // sm_90a without the wgmma feature bit the 'a' binary needs.
      {"backend=cuda;sm=90a;driver=12040;features=tma", 2, Tier::kCompatibleBinary},
      // A plain sm_100 device runs neither 'f' nor 'a' code: PTX it is.
      {"backend=cuda;sm=100;driver=12080", 7, Tier::kPortable},
      {"backend=cuda;sm=100f;driver=12080", 4, Tier::kExactBinary},
      {"backend=cuda;sm=100a;driver=12080", 5, Tier::kExactBinary},
      // sm_103a: the family binary runs, the sm_100a one does not.
      {"backend=cuda;sm=103a;driver=12090", 4, Tier::kCompatibleBinary},
      {"backend=cuda;sm=120;driver=12080", 6, Tier::kExactBinary},
      {"backend=cuda;sm=121;driver=12080", 6, Tier::kCompatibleBinary},
      // CC 7.5 runs nothing but has IR: code generation.
      {"backend=cuda;sm=75;driver=12080", -1, Tier::kNone},
  };
  for (const Case& c : cases) {
    const Fingerprint fp = Parse(c.device);
    EXPECT_EQ(Pick("arch", fp), c.expected) << c.device;
    if (c.expected >= 0) {
      const Candidate cand = CandidateOf("arch", static_cast<uint32_t>(c.expected), fp);
      EXPECT_EQ(cand.tier, c.tier) << c.device;
      EXPECT_TRUE(cand.accepted()) << c.device;
    }
  }
}

TEST_F(SelectTest, RejectionReasonsName) {
  const Fingerprint sm86 = Cuda(Sm(8, 6), 12040);
  Candidate c = CandidateOf("arch", 3, sm86);
  EXPECT_EQ(c.verdict, Verdict::kArchMismatch);
  EXPECT_EQ(Reason("arch", 3, sm86), "sm_90a code runs only on sm_90a devices, device is sm_86");
  EXPECT_EQ(Reason("arch", 2, sm86),
            "sm_90 binaries run on CC 9.x devices with minor >= 0, device is sm_86");
  EXPECT_EQ(Reason("arch", 4, sm86),
            "sm_100f code needs a CC 10.x device with minor >= 0 and family-specific support, "
            "device is sm_86");
  EXPECT_EQ(Reason("arch", 9, sm86),
            "compute_120 PTX needs a device of CC >= 12.0, device is sm_86");
  EXPECT_EQ(Reason("arch", 1, sm86), "exact-arch binary for sm_86");
  EXPECT_EQ(Reason("arch", 0, sm86), "compatible binary: sm_80 code runs on sm_86");
  EXPECT_EQ(Reason("arch", 7, sm86), "PTX JIT: compute_80 runs on sm_86, PTX ISA 7.0 <= 8.4");

  const Fingerprint no_wgmma = Parse("backend=cuda;sm=90a;driver=12040;features=tma,bf16");
  c = CandidateOf("arch", 3, no_wgmma);
  EXPECT_EQ(c.verdict, Verdict::kMissingFeatures);
  EXPECT_EQ(c.tier, Tier::kExactBinary);  // the arch check passed first
  EXPECT_EQ(c.need, uint64_t{kFeatureWgmma});
  EXPECT_EQ(Reason("arch", 3, no_wgmma), "needs features the device lacks: wgmma");

  const Fingerprint hip = Parse("backend=hip;sm=94");
  EXPECT_EQ(CandidateOf("arch", 0, hip).verdict, Verdict::kWrongBackend);
  EXPECT_EQ(Reason("arch", 0, hip), "built for cuda, device is hip");
}

TEST_F(SelectTest, PtxNeedsADriverThatJitsItsIsa) {
  struct Case {
    int32_t driver;
    int expected;  // within kernel "ptx_only"; -2: nothing runs (no IR)
  };
  // compute_120 (ISA 8.7) is closer to sm_120 than compute_80 (ISA 7.0), but
  // only a CUDA 12.8+ driver JITs ISA 8.7; below CUDA 11.0 neither runs.
  const Case cases[] = {{13000, 1}, {12080, 1},  {12070, 0}, {12040, 0},
                        {11000, 0}, {10020, -2}, {0, -2}};
  for (const Case& c : cases) {
    EXPECT_EQ(Pick("ptx_only", Cuda(Sm(12, 0), c.driver)), c.expected) << c.driver;
  }
  const Fingerprint old = Cuda(Sm(12, 0), 12040);
  const Candidate c = CandidateOf("ptx_only", 1, old);
  EXPECT_EQ(c.verdict, Verdict::kPtxIsaTooNew);
  EXPECT_EQ(c.need, 807u);
  EXPECT_EQ(c.have, 804u);
  EXPECT_EQ(Reason("ptx_only", 1, old),
            "PTX ISA 8.7 needs a CUDA 12.8+ driver; driver 12.4 (12040) JITs up to PTX ISA 8.4");

  // The error when nothing runs names the device and every reason.
  const Fingerprint ancient = Cuda(Sm(12, 0), 10020);
  Result<Choice> choice = Select(view_, KernelOf("ptx_only"), ancient, {});
  ASSERT_FALSE(choice.ok());
  const Status& s = choice.status();
  EXPECT_EQ(s.code(), Code::kUnsupported);
  for (const char* fragment :
       {"kernel 'ptx_only': nothing runs on cuda sm_120, driver 10.2 (10020), PTX ISA 6.5",
        "variant 10 (ptx compute_80 (PTX ISA 7.0)): PTX ISA 7.0 needs a CUDA 11.0+ driver",
        "variant 11 (ptx compute_120 (PTX ISA 8.7)): PTX ISA 8.7 needs a CUDA 12.8+ driver",
        "the kernel has no IR"}) {
    EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
  }
}

TEST_F(SelectTest, ResourceLimitsSkipVariants) {
  // variants: 0 big smem (sm_90a), 1 many regs, 2 many threads, 3 new driver,
  // 4 modest (plain sm_90).
  const Fingerprint h100 = Cuda(Sm(9, 0, kA), 12080);
  EXPECT_EQ(Pick("resources", h100), 0);
  Result<Selection> s = Explain(view_, KernelOf("resources"), h100, {});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->needs_smem_opt_in);  // 4 KB + 200 KB > 48 KB default
  EXPECT_EQ(s->candidates[1].verdict, Verdict::kTooManyRegisters);
  EXPECT_EQ(s->candidates[1].need, 128u * 1024u);
  EXPECT_EQ(s->candidates[1].have, 65536u);
  EXPECT_EQ(s->candidates[2].verdict, Verdict::kTooManyThreads);
  EXPECT_EQ(Reason("resources", 2, h100), "needs 2048 threads per block, device allows 1024");
  EXPECT_TRUE(s->candidates[3].accepted());

  // A device with less opt-in shared memory (as an sm_86 would have).
  const Fingerprint small = Parse("backend=cuda;sm=90a;driver=12040;smem_optin=101376");
  EXPECT_EQ(Pick("resources", small), 4);  // big smem rejected, driver too old for 3
  const Candidate c = CandidateOf("resources", 0, small);
  EXPECT_EQ(c.verdict, Verdict::kTooMuchSharedMemory);
  EXPECT_EQ(c.need, 4096u + 200u * 1024u);
  EXPECT_EQ(c.have, 101376u);
  EXPECT_EQ(Reason("resources", 0, small),
            "needs 208896 bytes of shared memory per block (static 4096 + dynamic 204800), "
            "device allows 101376");
  EXPECT_EQ(CandidateOf("resources", 3, small).verdict, Verdict::kDriverTooOld);
  EXPECT_EQ(Reason("resources", 3, small), "needs driver >= 12.8 (12080), device has 12.4 (12040)");
  s = Explain(view_, KernelOf("resources"), small, {});
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->needs_smem_opt_in);  // 16 KB fits the default 48 KB

  // Tiny limits reject everything; without IR that is an error.
  const Fingerprint tiny =
      Parse("backend=cuda;sm=90a;driver=13000;smem_optin=8192;max_threads=128;regs=1024");
  EXPECT_EQ(Pick("resources", tiny), -2);
  // Limits of 0 are unknown and not checked.
  const Fingerprint unknown =
      Parse("backend=cuda;sm=90a;driver=13000;smem=0;smem_optin=0;max_threads=0;regs=0");
  EXPECT_EQ(Pick("resources", unknown), 0);
}

// Registers are allocated to whole warps: 65 registers x 993 threads fits
// 65536 as a product, but not once the threads are rounded up to 1024.
TEST(SelectStandaloneTest, RegistersCountWholeWarps) {
  Contents c;
  KernelEntry k;
  k.name = "k";
  for (uint32_t regs : {64u, 65u}) {
    VariantEntry v = Cubin(Sm(9, 0));
    v.resources = {regs, 0, 0, 993};
    k.variants.push_back(v);
  }
  c.kernels.push_back(k);
  Result<Bytes> bytes = bundle::WriteBundle(c);
  ASSERT_TRUE(bytes.ok());
  Result<BundleView> view = BundleView::Open(*bytes);
  ASSERT_TRUE(view.ok());
  Result<Selection> s = Explain(*view, 0, MakeCudaFingerprint(Sm(9, 0), 12080), {});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->candidates[0].accepted());
  EXPECT_EQ(s->candidates[1].verdict, Verdict::kTooManyRegisters);
  EXPECT_EQ(s->candidates[1].need, 65u * 1024u);
}

TEST_F(SelectTest, ShapeRulesPreferSpecificVariants) {
  // 0 generic, 1 M in [1, 64], 2 M in [65, 1024] and N in [1, 128],
  // 3 PTX with M in [1, 2^30] (a worse tier despite its rule).
  const Fingerprint h100 = Cuda(Sm(9, 0, kA));
  EXPECT_EQ(Pick("shapes", h100, {{"M", 32}}), 1);
  EXPECT_EQ(Pick("shapes", h100, {{"M", 1}}), 1);
  EXPECT_EQ(Pick("shapes", h100, {{"M", 64}, {"N", 4096}}), 1);
  EXPECT_EQ(Pick("shapes", h100, {{"N", 64}, {"M", 100}}), 2);
  EXPECT_EQ(Pick("shapes", h100, {{"M", 100}, {"N", 4096}}), 0);
  EXPECT_EQ(Pick("shapes", h100, {{"M", 5000}}), 0);
  EXPECT_EQ(Pick("shapes", h100, {{"M", 0}}), 0);
  EXPECT_EQ(Pick("shapes", h100, {}), 0);

  Candidate c = CandidateOf("shapes", 2, h100, {{"M", 100}, {"N", 4096}});
  EXPECT_EQ(c.verdict, Verdict::kShapeOutOfRange);
  EXPECT_EQ(c.rule, 1u);
  EXPECT_EQ(c.shape_value, 4096);
  EXPECT_EQ(Reason("shapes", 2, h100, {{"M", 100}, {"N", 4096}}),
            "shape rule 1 <= N <= 128 does not hold: N = 4096");
  c = CandidateOf("shapes", 1, h100, {});
  EXPECT_EQ(c.verdict, Verdict::kShapeSymbolMissing);
  EXPECT_EQ(Reason("shapes", 1, h100, {}), "shape rule on 'M' but the launch gives no value for M");
  // The PTX variant's rule holds, but a binary of a better tier wins.
  c = CandidateOf("shapes", 3, h100, {{"M", 32}});
  EXPECT_TRUE(c.accepted());
  EXPECT_EQ(c.tier, Tier::kPortable);
  EXPECT_EQ(Reason("shapes", 1, h100, {{"M", 32}}),
            "exact-arch binary for sm_90a; shape rules hold (1 <= M <= 64)");

  // When only the portable tier is left, its shape rule decides.
  const Fingerprint no_binaries = Parse("backend=cuda;sm=90a;driver=13000;regs=4");
  EXPECT_EQ(Pick("shapes", no_binaries, {{"M", 7}}), 3);
  EXPECT_EQ(Pick("shapes", no_binaries, {}), -1);  // has IR: codegen
}

TEST_F(SelectTest, ConfigPinsRejectVariantsBuiltForOtherValues) {
  const Fingerprint h100 = Cuda(Sm(9, 0, kA));
  auto pick = [&](std::vector<ConfigPin> pins) {
    SelectOptions options;
    options.pins = pins;
    Result<Choice> c = Select(view_, KernelOf("pins"), h100, {}, options);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? static_cast<int>(c->variant - view_.kernel(KernelOf("pins")).first_variant)
                  : -1;
  };
  EXPECT_EQ(pick({}), 0);  // no pins: the first of two equal binaries
  EXPECT_EQ(pick({{"T", 1}}), 0);
  EXPECT_EQ(pick({{"T", 2}}), 1);
  EXPECT_EQ(pick({{"T", 2}, {"BLOCK", 128}}), 1);
  // Nothing binary has T = 2 with BLOCK 64: the PTX variant (no config
  // entries, so no pin can contradict it) serves.
  EXPECT_EQ(pick({{"T", 2}, {"BLOCK", 64}}), 2);
  // A pin naming nothing in a variant's config does not reject it.
  EXPECT_EQ(pick({{"WARPS", 4}}), 0);

  SelectOptions options;
  const std::vector<ConfigPin> pins = {{"T", 2}};
  options.pins = pins;
  Result<Selection> s = Explain(view_, KernelOf("pins"), h100, {}, options);
  ASSERT_TRUE(s.ok());
  const Candidate& c = s->candidates[0];
  EXPECT_EQ(c.verdict, Verdict::kConfigMismatch);
  EXPECT_STREQ(VerdictName(c.verdict), "config-mismatch");
  EXPECT_EQ(CandidateReason(view_, h100, c), "compiled for T = 1, the launch needs 2");
}

TEST_F(SelectTest, RankOrdering) {
  Candidate a, b;
  a.tier = Tier::kExactBinary;
  b.tier = Tier::kCompatibleBinary;
  a.variant = 9;
  b.variant = 1;
  EXPECT_TRUE(RanksBefore(a, b));  // tier first
  b.tier = Tier::kExactBinary;
  a.distance = 3;
  EXPECT_FALSE(RanksBefore(a, b));  // then distance
  a.distance = 0;
  a.shape_specific = true;
  EXPECT_TRUE(RanksBefore(a, b));  // then specificity
  a.shape_specific = false;
  EXPECT_FALSE(RanksBefore(a, b));  // then file order
  EXPECT_TRUE(RanksBefore(b, a));
}

Status RefuseCodegen(void* user_data, const Fingerprint& device) {
  ++*static_cast<int*>(user_data);
  return Unsupported("the PTX emitter does not target " + SmName(device.arch));
}

TEST_F(SelectTest, CodegenFallbackAndErrors) {
  const Fingerprint h100 = Cuda(Sm(9, 0, kA));
  // No variant fits, the kernel has IR: generate code.
  Result<Selection> s = Explain(view_, KernelOf("fallback"), h100, {});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, DecisionKind::kCodegen);
  EXPECT_TRUE(s->codegen_status.ok());
  Result<Choice> choice = Select(view_, KernelOf("fallback"), h100, {});
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->kind, DecisionKind::kCodegen);
  EXPECT_EQ(choice->codegen_reason,
            "kernel 'fallback': nothing runs on cuda sm_90a, driver 13.0 (13000), PTX ISA 9.0 "
            "with shapes none: variant 21 (cubin sm_100a): sm_100a code runs only on sm_100a "
            "devices, device is sm_90a");
  // On sm_100a the binary itself runs.
  EXPECT_EQ(Pick("fallback", Cuda(Sm(10, 0, kA))), 0);

  // The probe can refuse; the error then says so.
  int calls = 0;
  SelectOptions options;
  options.codegen_probe = RefuseCodegen;
  options.codegen_user_data = &calls;
  s = Explain(view_, KernelOf("fallback"), h100, {}, options);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, DecisionKind::kNone);
  EXPECT_EQ(calls, 1);
  choice = Select(view_, KernelOf("fallback"), h100, {}, options);
  ASSERT_FALSE(choice.ok());
  EXPECT_EQ(choice.status().code(), Code::kUnsupported);
  EXPECT_NE(choice.status().message().find(
                "variant 21 (cubin sm_100a): sm_100a code runs only on sm_100a devices"),
            std::string::npos)
      << choice.status().message();
  EXPECT_NE(choice.status().message().find(
                "no code generation fallback: the PTX emitter does not target sm_90a"),
            std::string::npos)
      << choice.status().message();
  // The probe is not consulted when a variant fits.
  calls = 0;
  ASSERT_TRUE(Select(view_, KernelOf("arch"), h100, {}, options).ok());
  EXPECT_EQ(calls, 0);

  // Without IR there is no fallback.
  choice = Select(view_, KernelOf("stuck"), h100, {});
  ASSERT_FALSE(choice.ok());
  EXPECT_NE(choice.status().message().find("the kernel has no IR"), std::string::npos);
  choice = Select(view_, KernelOf("empty"), h100, {});
  ASSERT_FALSE(choice.ok());
  EXPECT_NE(choice.status().message().find("the kernel has no variants"), std::string::npos)
      << choice.status().message();
  EXPECT_EQ(Select(view_, view_.kernel_count(), h100, {}).status().code(), Code::kOutOfRange);
  EXPECT_EQ(Explain(view_, 1000, h100, {}).status().code(), Code::kOutOfRange);
}

TEST_F(SelectTest, OtherBackendsMatchTheirPayloads) {
  EXPECT_EQ(Pick("other_backends", Parse("backend=hip;sm=94")), 0);
  EXPECT_EQ(Pick("other_backends", Parse("backend=hip;sm=90")), -2);  // exact arch only
  EXPECT_EQ(Pick("other_backends", Parse("backend=vulkan")), 1);
  EXPECT_EQ(Pick("other_backends", Parse("backend=level-zero")), -2);
  EXPECT_EQ(Pick("other_backends", Cuda(Sm(9, 0))), 2);
  EXPECT_EQ(Pick("other_backends", Fingerprint{}), -2);  // the CPU reference device
}

// A strict JSON syntax check (RFC 8259 grammar).
bool ValidJson(const std::string& s, size_t& i, int depth);
void SkipWs(const std::string& s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
}
bool ValidString(const std::string& s, size_t& i) {
  if (i >= s.size() || s[i] != '"') return false;
  for (++i; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') return ++i, true;
    if (c < 0x20) return false;
    if (c == '\\') {
      if (++i >= s.size()) return false;
      if (s[i] == 'u') {
        for (int k = 0; k < 4; ++k) {
          if (++i >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
        }
      } else if (std::strchr("\"\\/bfnrt", s[i]) == nullptr || s[i] == '\0') {
        return false;
      }
    }
  }
  return false;
}
bool ValidJson(const std::string& s, size_t& i, int depth) {
  SkipWs(s, i);
  if (depth > 64 || i >= s.size()) return false;
  if (s[i] == '{' || s[i] == '[') {
    const char close = s[i] == '{' ? '}' : ']';
    const bool object = s[i] == '{';
    ++i;
    SkipWs(s, i);
    if (i < s.size() && s[i] == close) return ++i, true;
    while (true) {
      SkipWs(s, i);
      if (object) {
        if (!ValidString(s, i)) return false;
        SkipWs(s, i);
        if (i >= s.size() || s[i++] != ':') return false;
      }
      if (!ValidJson(s, i, depth + 1)) return false;
      SkipWs(s, i);
      if (i >= s.size()) return false;
      if (s[i] == ',') {
        ++i;
        continue;
      }
      return s[i++] == close;
    }
  }
  if (s[i] == '"') return ValidString(s, i);
  for (const char* lit : {"true", "false", "null"}) {
    if (s.compare(i, std::strlen(lit), lit) == 0) return i += std::strlen(lit), true;
  }
  const size_t start = i;
  if (s[i] == '-') ++i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  return i > start && std::isdigit(static_cast<unsigned char>(s[i - 1]));
}
bool ValidJsonDocument(const std::string& s) {
  size_t i = 0;
  if (!ValidJson(s, i, 0)) return false;
  SkipWs(s, i);
  return i == s.size();
}

TEST_F(SelectTest, ExplainRendersTheDecisionChain) {
  const Fingerprint fp = Parse("backend=cuda;sm=89;driver=12040;name=L4 \"gpu\"");
  const std::vector<ShapeValue> shapes = {{"M", 128}, {"N", -3}};
  Result<Selection> s = Explain(view_, KernelOf("arch"), fp, shapes);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->candidates.size(), 10u);
  EXPECT_EQ(s->kind, DecisionKind::kVariant);
  EXPECT_EQ(s->variant, 1u);

  const std::string text = ExplainText(view_, fp, shapes, *s);
  for (const char* fragment :
       {"kernel 'arch' (index 0, 10 variants, has IR)\n",
        "device: cuda sm_89 'L4 \"gpu\"', driver 12.4 (12040), PTX ISA 8.4\n",
        "shapes: M=128, N=-3\n",
        "  [accepted] variant 0 cubin sm_80: compatible binary: sm_80 code runs on sm_89; rank "
        "(tier 1, distance 27)\n",
        "  [chosen]   variant 1 cubin sm_86: compatible binary: sm_86 code runs on sm_89; rank "
        "(tier 1, distance 9)\n",
        "  [rejected] variant 3 cubin sm_90a: arch-mismatch: sm_90a code runs only on sm_90a "
        "devices, device is sm_89\n",
        "  [rejected] variant 9 ptx compute_120 (PTX ISA 8.7): arch-mismatch:",
        "  [accepted] variant 7 ptx compute_80 (PTX ISA 7.0): PTX JIT",
        "decision: variant 1 (cubin sm_86)\n"}) {
    EXPECT_NE(text.find(fragment), std::string::npos) << "missing '" << fragment << "' in\n"
                                                      << text;
  }

  const std::string json = ExplainJson(view_, fp, shapes, *s);
  EXPECT_TRUE(ValidJsonDocument(json)) << json;
  for (const char* fragment :
       {"{\"kernel\":\"arch\",\"kernel_index\":0,\"has_ir\":true,\"device\":{",
        "\"hard_key\":\"backend=cuda;sm=89;driver=12040\"", "\"shapes\":{\"M\":128,\"N\":-3}",
        "{\"variant\":1,\"target\":\"cubin sm_86\",\"payload\":\"cubin\",\"accepted\":true,"
        "\"chosen\":true,\"verdict\":\"accepted\",\"tier\":\"compatible binary\",\"distance\":9,"
        "\"shape_specific\":false,\"reason\":\"compatible binary: sm_86 code runs on sm_89\"}",
        "\"verdict\":\"arch-mismatch\",\"tier\":\"none\",\"distance\":null",
        "\"decision\":{\"kind\":\"variant\",\"variant\":1,\"needs_smem_opt_in\":false,"}) {
    EXPECT_NE(json.find(fragment), std::string::npos) << "missing '" << fragment << "' in\n"
                                                      << json;
  }
  // Exactly one candidate is chosen.
  size_t chosen = 0;
  for (size_t p = json.find("\"chosen\":true"); p != std::string::npos;
       p = json.find("\"chosen\":true", p + 1)) {
    ++chosen;
  }
  EXPECT_EQ(chosen, 1u);

  // Codegen and failure decisions render too.
  s = Explain(view_, KernelOf("fallback"), fp, {});
  ASSERT_TRUE(s.ok());
  EXPECT_NE(ExplainText(view_, fp, {}, *s)
                .find("decision: generate code from the kernel's IR (no variant fits)"),
            std::string::npos);
  const std::string codegen_json = ExplainJson(view_, fp, {}, *s);
  EXPECT_TRUE(ValidJsonDocument(codegen_json)) << codegen_json;
  EXPECT_NE(codegen_json.find("\"kind\":\"codegen\",\"variant\":null"), std::string::npos);
  s = Explain(view_, KernelOf("stuck"), fp, {});
  ASSERT_TRUE(s.ok());
  EXPECT_NE(ExplainText(view_, fp, {}, *s)
                .find("decision: none: no code generation fallback: the kernel has no IR"),
            std::string::npos);
  EXPECT_TRUE(ValidJsonDocument(ExplainJson(view_, fp, {}, *s)));
}

}  // namespace
}  // namespace hrt::select
