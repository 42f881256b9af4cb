// Tests of the binary IR form: exact round trips, determinism, the documented
// layout, and rejection of truncated, bit-flipped and structurally corrupt
// ("re-sealed": corrupted, then given a valid checksum again) blobs.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "codegen/ir/binary.h"
#include "codegen/ir/builder.h"
#include "codegen/ir/verifier.h"

namespace hrt::ir {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr size_t kHeaderSize = 40;
constexpr size_t kEntrySize = 24;
constexpr uint32_t kStringsId = 1;
constexpr uint32_t kKernelsId = 2;

//===----------------------------------------------------------------------===//
// Sample module
//===----------------------------------------------------------------------===//

ExprNode Leaf(ExprOp op, int64_t v) {
  return ExprNode{op, v, 0, 0};
}

// op(a, b) for two leaves: nodes [a, b, op].
Expr BinaryExpr(ExprOp op, ExprNode a, ExprNode b) {
  return Expr{{a, b, ExprNode{op, 0, 0, 1}}};
}

// Row sums of a T[M, N] matrix, scaled, accumulated into out[M]: a 2-D grid
// with cdiv, a dtype parameter, two tunables with a constraint, a loop
// carrying a tile and a masked load with a non-zero fill.
Kernel RowSumKernel() {
  const Elem f32 = Elem::Of(DType::kF32);
  KernelBuilder b("row_sum");
  const uint32_t t = b.AddDTypeParam("T", {DType::kF16, DType::kBF16, DType::kF32});
  b.AddTensorParam("x", Elem::Param(t), {"M", "N"});
  b.AddTensorParam("out", f32, {"M"});
  b.AddScalarParam("scale", f32);
  const int32_t bm = b.AddTunable("BLOCK_M", {16, 32, 64}, 32);
  const int32_t bn = b.AddTunable("BLOCK_N", {32, 64, 128}, 64);
  b.AddConstraint(BinaryExpr(ExprOp::kLe, Leaf(ExprOp::kTunable, bm), Leaf(ExprOp::kTunable, bn)));
  b.SetGrid({BinaryExpr(ExprOp::kCeilDiv, Leaf(ExprOp::kShapeSym, b.FindShapeSym("M")),
                        Leaf(ExprOp::kTunable, bm)),
             BinaryExpr(ExprOp::kCeilDiv, Leaf(ExprOp::kShapeSym, b.FindShapeSym("N")),
                        Leaf(ExprOp::kTunable, bn))});

  const ValueId pid_m = b.ProgramId(0);
  const ValueId pid_n = b.ProgramId(1);
  const ValueId row0 = b.Binary(OpCode::kMul, pid_m, b.Sym("BLOCK_M"));
  const ValueId rows = b.Binary(OpCode::kAdd, b.Iota(Dim::Tunable(bm)), row0);
  const ValueId m = b.Sym("M");
  const ValueId rows2 = b.ExpandDims(rows, 1);
  const ValueId row_ok = b.Binary(OpCode::kLt, rows2, m);
  const ValueId acc0 = b.Broadcast(b.ConstFloat(f32, 0.0), {Dim::Tunable(bm)});
  const ValueId lo = b.Binary(OpCode::kMul, pid_n, b.Sym("BLOCK_N"));
  const ValueId n = b.Sym("N");
  const ValueId step =
      b.Binary(OpCode::kMul, b.Sym("BLOCK_N"), b.ConstInt(Elem::Of(DType::kI32), 2));
  const std::vector<ValueId> loop = b.BeginFor(lo, n, step, {acc0}, "k", {"acc"});
  ValueId total = kInvalidValue;
  if (loop.size() == 2) {
    const ValueId cols = b.ExpandDims(b.Binary(OpCode::kAdd, b.Iota(Dim::Tunable(bn)), loop[0]), 0);
    const ValueId mask = b.Binary(OpCode::kAnd, row_ok, b.Binary(OpCode::kLt, cols, n));
    const ValueId tile = b.Load("x", {rows2, cols}, mask, -1.5);
    const ValueId part = b.Reduce(OpCode::kSum, b.Cast(tile, f32), 1);
    const std::vector<ValueId> results =
        b.EndFor({b.Binary(OpCode::kAdd, loop[1], part)}, {"total"});
    if (results.size() == 1) total = results[0];
  }
  const ValueId scaled = b.Binary(OpCode::kMul, total, b.Arg("scale"));
  b.AtomicAdd("out", {rows}, scaled, b.Binary(OpCode::kLt, rows, m));
  Result<Kernel> k = b.Finish();
  EXPECT_TRUE(k.ok()) << k.status().message();
  return k.ok() ? std::move(k.value()) : Kernel{};
}

// A second kernel sharing names with the first (string deduplication), with
// special float attributes (-0.0, a NaN with a payload) whose bits must
// survive.
Kernel ClampKernel() {
  const Elem f32 = Elem::Of(DType::kF32);
  KernelBuilder b("clamp");
  b.AddTensorParam("x", f32, {"N"});
  b.AddTensorParam("out", f32, {"N"});
  const int32_t block = b.AddTunable("BLOCK", {128, 256}, 256);
  b.SetGrid(
      {BinaryExpr(ExprOp::kCeilDiv, Leaf(ExprOp::kShapeSym, 0), Leaf(ExprOp::kTunable, block))});
  const ValueId offs = b.Binary(OpCode::kAdd, b.Iota(Dim::Tunable(block)),
                                b.Binary(OpCode::kMul, b.ProgramId(0), b.Sym("BLOCK")));
  const ValueId in_range = b.Binary(OpCode::kLt, offs, b.Sym("N"));
  const double nan_payload = std::bit_cast<double>(uint64_t{0x7ff8000000012345});
  const ValueId v = b.Load("x", {offs}, in_range, nan_payload);
  const ValueId neg_zero = b.ConstFloat(f32, -0.0);
  const ValueId clamped = b.Select(b.Binary(OpCode::kLt, v, neg_zero), neg_zero, v);
  b.Store("out", {offs}, b.Unary(OpCode::kExp, clamped), in_range);
  Result<Kernel> k = b.Finish();
  EXPECT_TRUE(k.ok()) << k.status().message();
  return k.ok() ? std::move(k.value()) : Kernel{};
}

Module SampleModule() {
  Module m;
  m.kernels.push_back(RowSumKernel());
  m.kernels.push_back(ClampKernel());
  return m;
}

//===----------------------------------------------------------------------===//
// Field-by-field equality: returns "" or the path of the first difference.
//===----------------------------------------------------------------------===//

std::string DimDiff(const Dim& a, const Dim& b) {
  return a.value == b.value && a.tunable == b.tunable ? "" : "dim";
}

std::string TypeDiff(const Type& a, const Type& b) {
  if (a.elem != b.elem) return "elem";
  if (a.rank != b.rank) return "rank";
  for (size_t i = 0; i < kMaxRank; ++i) {
    if (!DimDiff(a.dims[i], b.dims[i]).empty()) return "dims[" + std::to_string(i) + "]";
  }
  return "";
}

std::string ExprDiff(const Expr& a, const Expr& b) {
  if (a.nodes.size() != b.nodes.size()) return "node count";
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const ExprNode &x = a.nodes[i], &y = b.nodes[i];
    if (x.op != y.op || x.value != y.value || x.lhs != y.lhs || x.rhs != y.rhs) {
      return "node " + std::to_string(i);
    }
  }
  return "";
}

std::string BlockDiff(const Block& a, const Block& b);

std::string OpDiff(const Op& a, const Op& b) {
  if (a.code != b.code) return "code";
  if (a.operands != b.operands) return "operands";
  if (a.results != b.results) return "results";
  if (a.ints != b.ints) return "ints";
  if (a.shape.size() != b.shape.size()) return "shape size";
  for (size_t i = 0; i < a.shape.size(); ++i) {
    if (!DimDiff(a.shape[i], b.shape[i]).empty()) return "shape[" + std::to_string(i) + "]";
  }
  if (std::bit_cast<uint64_t>(a.fval) != std::bit_cast<uint64_t>(b.fval)) return "fval bits";
  if (a.elem != b.elem) return "elem";
  if (a.regions.size() != b.regions.size()) return "region count";
  for (size_t i = 0; i < a.regions.size(); ++i) {
    std::string d = BlockDiff(a.regions[i], b.regions[i]);
    if (!d.empty()) return "region " + std::to_string(i) + " " + d;
  }
  return "";
}

std::string BlockDiff(const Block& a, const Block& b) {
  if (a.args != b.args) return "args";
  if (a.ops.size() != b.ops.size()) return "op count";
  for (size_t i = 0; i < a.ops.size(); ++i) {
    std::string d = OpDiff(a.ops[i], b.ops[i]);
    if (!d.empty()) return "op " + std::to_string(i) + " " + d;
  }
  return "";
}

std::string KernelDiff(const Kernel& a, const Kernel& b) {
  if (a.name != b.name) return "name";
  if (a.params.size() != b.params.size()) return "param count";
  for (size_t i = 0; i < a.params.size(); ++i) {
    const Param &x = a.params[i], &y = b.params[i];
    if (x.name != y.name || x.kind != y.kind || x.elem != y.elem || x.rank != y.rank ||
        x.dims != y.dims) {
      return "param " + std::to_string(i);
    }
  }
  if (a.shape_syms != b.shape_syms) return "shape_syms";
  if (a.tunables.size() != b.tunables.size()) return "tunable count";
  for (size_t i = 0; i < a.tunables.size(); ++i) {
    const Tunable &x = a.tunables[i], &y = b.tunables[i];
    if (x.name != y.name || x.candidates != y.candidates || x.default_value != y.default_value) {
      return "tunable " + std::to_string(i);
    }
  }
  if (a.dtype_params.size() != b.dtype_params.size()) return "dtype param count";
  for (size_t i = 0; i < a.dtype_params.size(); ++i) {
    if (a.dtype_params[i].name != b.dtype_params[i].name ||
        a.dtype_params[i].candidates != b.dtype_params[i].candidates) {
      return "dtype param " + std::to_string(i);
    }
  }
  if (a.constraints.size() != b.constraints.size()) return "constraint count";
  for (size_t i = 0; i < a.constraints.size(); ++i) {
    std::string d = ExprDiff(a.constraints[i], b.constraints[i]);
    if (!d.empty()) return "constraint " + std::to_string(i) + " " + d;
  }
  if (a.grid.size() != b.grid.size()) return "grid count";
  for (size_t i = 0; i < a.grid.size(); ++i) {
    std::string d = ExprDiff(a.grid[i], b.grid[i]);
    if (!d.empty()) return "grid " + std::to_string(i) + " " + d;
  }
  if (a.values.size() != b.values.size()) return "value count";
  for (size_t i = 0; i < a.values.size(); ++i) {
    if (a.values[i].name != b.values[i].name) return "value " + std::to_string(i) + " name";
    std::string d = TypeDiff(a.values[i].type, b.values[i].type);
    if (!d.empty()) return "value " + std::to_string(i) + " " + d;
  }
  std::string d = BlockDiff(a.body, b.body);
  return d.empty() ? "" : "body " + d;
}

std::string ModuleDiff(const Module& a, const Module& b) {
  if (a.kernels.size() != b.kernels.size()) return "kernel count";
  for (size_t i = 0; i < a.kernels.size(); ++i) {
    std::string d = KernelDiff(a.kernels[i], b.kernels[i]);
    if (!d.empty()) return "kernel " + std::to_string(i) + " " + d;
  }
  return "";
}

//===----------------------------------------------------------------------===//
// An independent view of the documented layout, for building test blobs.
//===----------------------------------------------------------------------===//

uint64_t GetLE(const Bytes& b, size_t at, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v |= uint64_t{b.at(at + i)} << (8 * i);
  return v;
}

void PutLE(Bytes& b, size_t at, uint64_t v, int width) {
  for (int i = 0; i < width; ++i) b.at(at + i) = static_cast<uint8_t>(v >> (8 * i));
}

void AppendLE(Bytes& b, uint64_t v, int width) {
  b.resize(b.size() + width);
  PutLE(b, b.size() - width, v, width);
}

// Recomputes the checksum so that only the structural checks can catch the
// corruption.
void Reseal(Bytes& blob) {
  PutLE(blob, 24, XXH3_64bits(blob.data() + kHeaderSize, blob.size() - kHeaderSize), 8);
}

struct Section {
  uint32_t id;
  uint32_t flags;
  Bytes bytes;
};

struct Layout {
  uint16_t major;
  uint16_t minor;
  std::vector<Section> sections;

  Section* Find(uint32_t id) {
    for (Section& s : sections) {
      if (s.id == id) return &s;
    }
    return nullptr;
  }
};

Layout Split(const Bytes& blob) {
  Layout l;
  l.major = static_cast<uint16_t>(GetLE(blob, 8, 2));
  l.minor = static_cast<uint16_t>(GetLE(blob, 10, 2));
  const size_t count = GetLE(blob, 32, 4);
  for (size_t i = 0; i < count; ++i) {
    const size_t e = kHeaderSize + i * kEntrySize;
    const size_t offset = GetLE(blob, e + 8, 8), size = GetLE(blob, e + 16, 8);
    l.sections.push_back({static_cast<uint32_t>(GetLE(blob, e, 4)),
                          static_cast<uint32_t>(GetLE(blob, e + 4, 4)),
                          Bytes(blob.begin() + offset, blob.begin() + offset + size)});
  }
  return l;
}

// Lays sections out as documented: after the table, each at the next 8-byte
// boundary, zero padding, then fills in size and checksum.
Bytes Assemble(const Layout& l) {
  Bytes b = {'H', 'R', 'T', 'I', 'R', '\0', '\r', '\n'};
  AppendLE(b, l.major, 2);
  AppendLE(b, l.minor, 2);
  AppendLE(b, 0, 4);  // flags
  AppendLE(b, 0, 8);  // total size
  AppendLE(b, 0, 8);  // checksum
  AppendLE(b, l.sections.size(), 4);
  AppendLE(b, 0, 4);  // reserved
  uint64_t offset = kHeaderSize + l.sections.size() * kEntrySize;
  for (const Section& s : l.sections) {
    offset = (offset + 7) & ~uint64_t{7};
    AppendLE(b, s.id, 4);
    AppendLE(b, s.flags, 4);
    AppendLE(b, offset, 8);
    AppendLE(b, s.bytes.size(), 8);
    offset += s.bytes.size();
  }
  for (const Section& s : l.sections) {
    b.resize((b.size() + 7) & ~size_t{7}, 0);
    b.insert(b.end(), s.bytes.begin(), s.bytes.end());
  }
  PutLE(b, 16, b.size(), 8);
  Reseal(b);
  return b;
}

// Sets the version in the header and in its checksummed copy at the start of
// the kernels section.
void SetVersion(Layout& l, uint16_t major, uint16_t minor) {
  l.major = major;
  l.minor = minor;
  Bytes& k = l.Find(kKernelsId)->bytes;
  PutLE(k, 0, major, 2);
  PutLE(k, 2, minor, 2);
}

size_t SectionOffset(const Bytes& blob, uint32_t id) {
  for (size_t i = 0; i < GetLE(blob, 32, 4); ++i) {
    const size_t e = kHeaderSize + i * kEntrySize;
    if (GetLE(blob, e, 4) == id) return GetLE(blob, e + 8, 8);
  }
  ADD_FAILURE() << "no section " << id;
  return 0;
}

Result<Module> Read(const Bytes& blob) {
  return ReadModuleBinary(blob);
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// What every rejected or accepted hostile blob must satisfy: a documented
// error code with a message, or a module that verifies and round-trips.
void ExpectCleanOutcome(const Bytes& blob) {
  Result<Module> r = Read(blob);
  if (r.ok()) {
    EXPECT_TRUE(VerifyModule(*r).ok());
    Result<Module> again = Read(WriteModuleBinary(*r));
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_EQ(ModuleDiff(*r, *again), "");
    return;
  }
  const Code c = r.status().code();
  EXPECT_TRUE(c == Code::kCorruptData || c == Code::kUnsupported || c == Code::kVersionMismatch ||
              c == Code::kVerificationFailed)
      << static_cast<int>(c) << " " << r.status().message();
  EXPECT_FALSE(r.status().message().empty());
}

class IrBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    module_ = SampleModule();
    ASSERT_EQ(module_.kernels.size(), 2u);
    ASSERT_FALSE(module_.kernels[0].name.empty());
    ASSERT_FALSE(module_.kernels[1].name.empty());
    blob_ = WriteModuleBinary(module_);
  }

  Module module_;
  Bytes blob_;
};

//===----------------------------------------------------------------------===//
// Round trips and layout
//===----------------------------------------------------------------------===//

TEST_F(IrBinaryTest, RoundTripIsExact) {
  Result<Module> read = Read(blob_);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(ModuleDiff(module_, *read), "");
  EXPECT_EQ(WriteModuleBinary(*read), blob_);
}

TEST_F(IrBinaryTest, RoundTripKeepsFloatBitsAndSampleFeatures) {
  Result<Module> read = Read(blob_);
  ASSERT_TRUE(read.ok()) << read.status().message();
  const Kernel& row_sum = read->kernels[0];
  EXPECT_EQ(row_sum.grid.size(), 2u);
  EXPECT_EQ(row_sum.constraints.size(), 1u);
  EXPECT_EQ(row_sum.dtype_params.size(), 1u);
  bool saw_loop = false, saw_fill = false;
  for (const Op& op : row_sum.body.ops) {
    if (op.code != OpCode::kFor) continue;
    saw_loop = true;
    EXPECT_EQ(op.operands.size(), 4u);  // lo, hi, step, one carried value
    for (const Op& inner : op.regions.at(0).ops) {
      if (inner.code == OpCode::kLoad) saw_fill = inner.fval == -1.5 && inner.ints.at(1) == 1;
    }
  }
  EXPECT_TRUE(saw_loop);
  EXPECT_TRUE(saw_fill);
  bool saw_nan = false, saw_neg_zero = false;
  for (const Op& op : read->kernels[1].body.ops) {
    const uint64_t bits = std::bit_cast<uint64_t>(op.fval);
    saw_nan |= op.code == OpCode::kLoad && bits == 0x7ff8000000012345;
    saw_neg_zero |= op.code == OpCode::kConst && bits == 0x8000000000000000;
  }
  EXPECT_TRUE(saw_nan);
  EXPECT_TRUE(saw_neg_zero);
}

TEST_F(IrBinaryTest, WritingIsDeterministic) {
  Module copy = SampleModule();
  EXPECT_EQ(WriteModuleBinary(copy), blob_);
  EXPECT_EQ(WriteModuleBinary(module_), blob_);
  // Different content gives different bytes.
  copy.kernels[0].tunables[0].default_value = 16;
  EXPECT_NE(WriteModuleBinary(copy), blob_);
}

TEST_F(IrBinaryTest, EmptyModuleRoundTrips) {
  const Bytes blob = WriteModuleBinary(Module{});
  Result<Module> read = Read(blob);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_TRUE(read->kernels.empty());
  EXPECT_EQ(WriteModuleBinary(*read), blob);
}

TEST_F(IrBinaryTest, LayoutMatchesDocumentation) {
  ASSERT_GE(blob_.size(), kHeaderSize);
  EXPECT_TRUE(LooksLikeBinaryModule(blob_));
  EXPECT_EQ(GetLE(blob_, 8, 2), kIrFormatMajor);
  EXPECT_EQ(GetLE(blob_, 10, 2), kIrFormatMinor);
  EXPECT_EQ(GetLE(blob_, 16, 8), blob_.size());
  EXPECT_EQ(GetLE(blob_, 24, 8),
            XXH3_64bits(blob_.data() + kHeaderSize, blob_.size() - kHeaderSize));
  Layout l = Split(blob_);
  ASSERT_EQ(l.sections.size(), 2u);
  EXPECT_EQ(l.sections[0].id, kStringsId);
  EXPECT_EQ(l.sections[1].id, kKernelsId);
  EXPECT_EQ(l.sections[0].flags & 1u, 1u);
  EXPECT_EQ(l.sections[1].flags & 1u, 1u);
  EXPECT_EQ(SectionOffset(blob_, kStringsId) % 8, 0u);
  EXPECT_EQ(SectionOffset(blob_, kKernelsId) % 8, 0u);
  // Reassembling the parts by the documented rules reproduces the blob.
  EXPECT_EQ(Assemble(l), blob_);
}

TEST_F(IrBinaryTest, StringTableIsDeduplicated) {
  Layout l = Split(blob_);
  const Bytes& s = l.Find(kStringsId)->bytes;
  const size_t count = GetLE(s, 0, 4);
  std::set<std::string> seen;
  size_t at = 4;
  for (size_t i = 0; i < count; ++i) {
    const size_t len = GetLE(s, at, 4);
    ASSERT_LE(at + 4 + len, s.size());
    const std::string str(s.begin() + at + 4, s.begin() + at + 4 + len);
    EXPECT_TRUE(seen.insert(str).second) << "'" << str << "' stored twice";
    at += 4 + len;
  }
  EXPECT_EQ(at, s.size());
  // Exactly the module's distinct strings.
  std::set<std::string> expected;
  for (const Kernel& k : module_.kernels) {
    expected.insert(k.name);
    for (const Param& p : k.params) expected.insert(p.name);
    for (const std::string& sym : k.shape_syms) expected.insert(sym);
    for (const Tunable& t : k.tunables) expected.insert(t.name);
    for (const DTypeParam& d : k.dtype_params) expected.insert(d.name);
    for (const Value& v : k.values) expected.insert(v.name);
  }
  EXPECT_EQ(seen, expected);
  EXPECT_TRUE(seen.count("x"));  // shared by both kernels, stored once
}

TEST_F(IrBinaryTest, LooksLikeBinaryModule) {
  EXPECT_TRUE(LooksLikeBinaryModule(blob_));
  const std::string text = "kernel k(x: tensor<f32>[N]) grid [1] {}";
  EXPECT_FALSE(
      LooksLikeBinaryModule(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size())));
  EXPECT_FALSE(LooksLikeBinaryModule(std::span(blob_.data(), 7)));
  EXPECT_FALSE(LooksLikeBinaryModule({}));
}

//===----------------------------------------------------------------------===//
// Truncation, bit flips, header fields
//===----------------------------------------------------------------------===//

TEST_F(IrBinaryTest, EveryTruncationIsRejected) {
  for (size_t len = 0; len < blob_.size(); ++len) {
    Result<Module> r = ReadModuleBinary(std::span(blob_.data(), len));
    ASSERT_FALSE(r.ok()) << "length " << len;
    ASSERT_EQ(r.status().code(), Code::kCorruptData) << "length " << len;
    ASSERT_TRUE(Contains(r.status().message(), "truncated")) << r.status().message();
  }
}

TEST_F(IrBinaryTest, EveryBitFlipIsRejected) {
  Bytes b = blob_;
  for (size_t byte = 0; byte < b.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      b[byte] ^= static_cast<uint8_t>(1u << bit);
      Result<Module> r = Read(b);
      b[byte] ^= static_cast<uint8_t>(1u << bit);
      ASSERT_FALSE(r.ok()) << "byte " << byte << " bit " << bit;
      ASSERT_FALSE(r.status().message().empty());
    }
  }
  EXPECT_EQ(b, blob_);
}

TEST_F(IrBinaryTest, BitFlipAfterHeaderFailsTheChecksum) {
  Bytes b = blob_;
  b[b.size() - 1] ^= 0x10;
  Result<Module> r = Read(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruptData);
  EXPECT_TRUE(Contains(r.status().message(), "checksum")) << r.status().message();
}

TEST_F(IrBinaryTest, WrongMagicIsRejected) {
  Bytes b = blob_;
  b[0] = 'X';
  Result<Module> r = Read(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruptData);
  EXPECT_TRUE(Contains(r.status().message(), "magic")) << r.status().message();
  const std::string text = "kernel k(x: tensor<f32>[N]) grid [1] {}";
  r = ReadModuleBinary(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "magic")) << r.status().message();
}

TEST_F(IrBinaryTest, OtherMajorVersionIsAVersionMismatch) {
  for (uint16_t major :
       {static_cast<uint16_t>(kIrFormatMajor + 1), static_cast<uint16_t>(kIrFormatMajor - 1)}) {
    Layout l = Split(blob_);
    SetVersion(l, major, 3);
    Result<Module> r = Read(Assemble(l));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kVersionMismatch) << r.status().message();
    const std::string theirs = std::to_string(major) + ".3";
    const std::string ours = std::to_string(kIrFormatMajor) + "." + std::to_string(kIrFormatMinor);
    EXPECT_TRUE(Contains(r.status().message(), theirs)) << r.status().message();
    EXPECT_TRUE(Contains(r.status().message(), ours)) << r.status().message();
  }
}

TEST_F(IrBinaryTest, NewerMinorWithOptionalUnknownSectionIsAccepted) {
  // The unknown section both between and after the known ones.
  for (size_t position : {1u, 2u}) {
    Layout l = Split(blob_);
    SetVersion(l, kIrFormatMajor, kIrFormatMinor + 1);
    l.sections.insert(l.sections.begin() + position, Section{0x7001, 0, {1, 2, 3, 4, 5}});
    Result<Module> r = Read(Assemble(l));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(ModuleDiff(module_, *r), "");
  }
}

TEST_F(IrBinaryTest, UnknownRequiredSectionIsRejected) {
  Layout l = Split(blob_);
  SetVersion(l, kIrFormatMajor, kIrFormatMinor + 1);
  l.sections.push_back(Section{0x7001, 1, {1, 2, 3}});
  Result<Module> r = Read(Assemble(l));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_TRUE(Contains(r.status().message(), "required")) << r.status().message();
}

TEST_F(IrBinaryTest, HeaderFieldsOutsideTheChecksumAreChecked) {
  // Unknown header flags, a non-zero reserved field, and a version that
  // disagrees with its checksummed copy.
  for (size_t at : {12u, 36u, 10u}) {
    Bytes b = blob_;
    b[at] ^= 1;
    Result<Module> r = Read(b);
    ASSERT_FALSE(r.ok()) << at;
  }
  // Flags set in both the header and its checksummed copy: unknown flags.
  Bytes b = blob_;
  b[12] = 1;
  b[SectionOffset(blob_, kKernelsId) + 4] = 1;
  Reseal(b);
  Result<Module> flagged = Read(b);
  ASSERT_FALSE(flagged.ok());
  EXPECT_EQ(flagged.status().code(), Code::kUnsupported) << flagged.status().message();

  b = blob_;
  b[10] ^= 1;  // header minor 1, copy says 0
  Result<Module> r = Read(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruptData);
  EXPECT_TRUE(Contains(r.status().message(), "copy")) << r.status().message();
}

//===----------------------------------------------------------------------===//
// Re-sealed structural corruption
//===----------------------------------------------------------------------===//

// Byte offset in the blob of field |field| of section table entry |entry|
// (0 id, 4 flags, 8 offset, 16 size).
size_t EntryField(size_t entry, size_t field) {
  return kHeaderSize + entry * kEntrySize + field;
}

TEST_F(IrBinaryTest, SectionOutsideTheBlobIsRejected) {
  const struct {
    size_t field;
    uint64_t value;
  } cases[] = {
      {8, blob_.size() + 8},  // offset past the end
      {16, blob_.size()},     // size past the end
      {16, ~uint64_t{0}},     // offset + size overflows
      {8, ~uint64_t{0} - 7},  // offset near 2^64
  };
  for (const auto& c : cases) {
    Bytes b = blob_;
    PutLE(b, EntryField(1, c.field), c.value, 8);
    Reseal(b);
    Result<Module> r = Read(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kCorruptData);
    EXPECT_TRUE(Contains(r.status().message(), "outside the blob")) << r.status().message();
  }
}

TEST_F(IrBinaryTest, OverlappingSectionsAreRejected) {
  Bytes b = blob_;
  PutLE(b, EntryField(1, 8), SectionOffset(blob_, kStringsId), 8);  // kernels over strings
  Reseal(b);
  Result<Module> r = Read(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruptData);
  EXPECT_TRUE(Contains(r.status().message(), "overlaps section 0")) << r.status().message();

  b = blob_;
  PutLE(b, EntryField(0, 8), kHeaderSize, 8);  // strings over the section table
  Reseal(b);
  r = Read(b);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "section table")) << r.status().message();
}

TEST_F(IrBinaryTest, MisplacedSectionsAreRejected) {
  // Each section must sit at the next 8-byte boundary: a gap, a changed
  // section count and trailing bytes are all caught.
  Bytes b = blob_;
  const uint64_t offset = GetLE(b, EntryField(1, 8), 8), size = GetLE(b, EntryField(1, 16), 8);
  PutLE(b, EntryField(1, 8), offset + 8, 8);
  PutLE(b, EntryField(1, 16), size - 8, 8);
  Reseal(b);
  EXPECT_FALSE(Read(b).ok());

  // An 8-byte zero gap before the kernels section: aligned, but not where
  // the canonical layout puts it.
  b = blob_;
  b.insert(b.begin() + static_cast<ptrdiff_t>(offset), 8, 0);
  PutLE(b, EntryField(1, 8), offset + 8, 8);
  PutLE(b, 16, b.size(), 8);
  Reseal(b);
  Result<Module> gap = Read(b);
  ASSERT_FALSE(gap.ok());
  EXPECT_TRUE(Contains(gap.status().message(), "expected " + std::to_string(offset)))
      << gap.status().message();

  b = blob_;
  PutLE(b, 32, 1, 4);  // section count 1: the kernels section becomes trailing bytes
  EXPECT_FALSE(Read(b).ok());

  b = blob_;
  b.resize(b.size() + 8, 0);
  PutLE(b, 16, b.size(), 8);
  Reseal(b);
  Result<Module> r = Read(b);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "after the last section")) << r.status().message();
}

TEST_F(IrBinaryTest, NonZeroPaddingIsRejected) {
  // A 1-byte optional section before the kernels section leaves 7 padding
  // bytes; the blob is valid until one of them is set.
  Layout l = Split(blob_);
  l.sections.insert(l.sections.begin() + 1, Section{0x7001, 0, {0x55}});
  Bytes b = Assemble(l);
  ASSERT_TRUE(Read(b).ok());
  const size_t pad = GetLE(b, EntryField(1, 8), 8) + 1;
  ASSERT_EQ(b[pad], 0);
  b[pad] = 0xaa;
  Reseal(b);
  Result<Module> r = Read(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruptData);
  EXPECT_TRUE(Contains(r.status().message(), "padding")) << r.status().message();
}

TEST_F(IrBinaryTest, MissingOrDuplicateKnownSectionsAreRejected) {
  Layout l = Split(blob_);
  l.sections.pop_back();
  EXPECT_FALSE(Read(Assemble(l)).ok());
  l = Split(blob_);
  l.sections.push_back(l.sections[1]);
  Result<Module> r = Read(Assemble(l));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "twice")) << r.status().message();
}

TEST_F(IrBinaryTest, StringIndexOutOfRangeIsRejected) {
  Bytes b = blob_;
  const size_t kernels = SectionOffset(b, kKernelsId);
  PutLE(b, kernels + 12, 0xffff, 4);  // kernel 0's name
  Reseal(b);
  Result<Module> r = Read(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruptData);
  EXPECT_TRUE(Contains(r.status().message(), "kernel 0")) << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "string index 65535 out of range"))
      << r.status().message();
}

TEST_F(IrBinaryTest, ValueIdOutOfRangeIsRejected) {
  Module bad = module_;
  Op* loop = nullptr;
  for (Op& op : bad.kernels[0].body.ops) {
    if (op.code == OpCode::kFor) loop = &op;
  }
  ASSERT_NE(loop, nullptr);
  loop->regions[0].ops[1].operands[0] = 99999;
  Result<Module> r = Read(WriteModuleBinary(bad));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruptData);
  EXPECT_TRUE(Contains(r.status().message(), "value id 99999 out of range"))
      << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "region 0 op 1")) << r.status().message();
}

TEST_F(IrBinaryTest, OutOfRangeEnumsAndRanksAreRejected) {
  struct Case {
    void (*corrupt)(Module&);
    const char* message;
  };
  const Case cases[] = {
      {[](Module& m) { m.kernels[0].body.ops[0].code = static_cast<OpCode>(200); },
       "unknown op code 200"},
      {[](Module& m) { m.kernels[0].grid[0].nodes[0].op = static_cast<ExprOp>(99); },
       "unknown expression op 99"},
      {[](Module& m) { m.kernels[0].params[0].kind = static_cast<ParamKind>(7); },
       "unknown param kind 7"},
      {[](Module& m) { m.kernels[0].params[0].rank = kMaxRank + 1; }, "rank 5 exceeds 4"},
      {[](Module& m) { m.kernels[0].values[0].type.rank = 300; }, "rank 255 exceeds 4"},
      {[](Module& m) { m.kernels[0].dtype_params[0].candidates[0] = static_cast<DType>(77); },
       "unknown dtype 77"},
  };
  for (const Case& c : cases) {
    Module bad = module_;
    c.corrupt(bad);
    Result<Module> r = Read(WriteModuleBinary(bad));
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), Code::kCorruptData) << r.status().message();
    EXPECT_TRUE(Contains(r.status().message(), c.message)) << r.status().message();
  }
}

TEST_F(IrBinaryTest, HugeCountsFailFast) {
  const size_t strings = SectionOffset(blob_, kStringsId);
  const size_t kernels = SectionOffset(blob_, kKernelsId);
  // String count, kernel count, kernel 0's param count.
  for (size_t at : {strings, kernels + 8, kernels + 16}) {
    for (uint64_t count : {uint64_t{0xffffffff}, uint64_t{0x80000000}, uint64_t{0x10000000}}) {
      Bytes b = blob_;
      PutLE(b, at, count, 4);
      Reseal(b);
      Result<Module> r = Read(b);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), Code::kCorruptData);
      EXPECT_TRUE(Contains(r.status().message(), std::to_string(count) + " needs at least"))
          << r.status().message();
    }
  }
}

// A kernel whose body is |depth| nested loop ops (not otherwise valid).
Module NestedModule(uint32_t depth) {
  Module m = SampleModule();
  Op op;
  op.code = OpCode::kFor;
  for (uint32_t i = 0; i < depth; ++i) {
    Op outer;
    outer.code = OpCode::kFor;
    outer.regions.resize(1);
    outer.regions[0].ops.push_back(std::move(op));
    op = std::move(outer);
  }
  m.kernels[1].body.ops.push_back(std::move(op));
  return m;
}

TEST_F(IrBinaryTest, DeepRegionNestingIsRejected) {
  for (uint32_t depth : {kMaxLoopDepth + 1, 1000u}) {
    Result<Module> r = Read(WriteModuleBinary(NestedModule(depth)));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kCorruptData);
    EXPECT_TRUE(Contains(r.status().message(), "nested deeper")) << r.status().message();
    EXPECT_TRUE(Contains(r.status().message(), "kernel 1 op")) << r.status().message();
  }
  // At the limit the decoder accepts the nesting; the verifier rejects the
  // (empty) loops for other reasons.
  Result<Module> r = Read(WriteModuleBinary(NestedModule(kMaxLoopDepth)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kVerificationFailed) << r.status().message();
}

TEST_F(IrBinaryTest, VerifierRunsOnDecodedModules) {
  Module bad = module_;
  bad.kernels[0].grid.clear();
  Result<Module> r = Read(WriteModuleBinary(bad));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kVerificationFailed);
  bad = module_;
  bad.kernels[1].name = bad.kernels[0].name;
  r = Read(WriteModuleBinary(bad));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kVerificationFailed);
}

TEST_F(IrBinaryTest, EveryResealedSectionTruncationIsRejected) {
  for (uint32_t id : {kStringsId, kKernelsId}) {
    const Layout full = Split(blob_);
    size_t size = 0;
    for (const Section& s : full.sections) {
      if (s.id == id) size = s.bytes.size();
    }
    for (size_t len = 0; len < size; ++len) {
      Layout l = full;
      l.Find(id)->bytes.resize(len);
      Result<Module> r = Read(Assemble(l));
      ASSERT_FALSE(r.ok()) << "section " << id << " length " << len;
      ASSERT_EQ(r.status().code(), Code::kCorruptData) << r.status().message();
    }
  }
  // The message names the item, the field and the offset.
  Layout l = Split(blob_);
  Bytes& k = l.Find(kKernelsId)->bytes;
  k.resize(k.size() - 3);
  Result<Module> r = Read(Assemble(l));
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_TRUE(Contains(m, "IR blob truncated: kernel 1 op ")) << m;
  EXPECT_TRUE(Contains(m, "needs ") && Contains(m, " bytes at offset ") && Contains(m, " left"))
      << m;
}

TEST_F(IrBinaryTest, TrailingBytesInASectionAreRejected) {
  for (uint32_t id : {kStringsId, kKernelsId}) {
    Layout l = Split(blob_);
    l.Find(id)->bytes.push_back(0);
    Result<Module> r = Read(Assemble(l));
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(Contains(r.status().message(), "trailing")) << r.status().message();
  }
}

// Every byte after the header, one bit each (rotating through the 8 bit
// positions), and all bits of the section table: the structural checks alone
// must cope.
TEST_F(IrBinaryTest, ResealedBitFlipsAreHandled) {
  const size_t table_end = kHeaderSize + GetLE(blob_, 32, 4) * kEntrySize;
  Bytes b = blob_;
  for (size_t byte = kHeaderSize; byte < b.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      if (byte >= table_end && static_cast<size_t>(bit) != byte % 8) continue;
      b[byte] ^= static_cast<uint8_t>(1u << bit);
      Reseal(b);
      ExpectCleanOutcome(b);
      b[byte] ^= static_cast<uint8_t>(1u << bit);
      if (HasFatalFailure() || HasNonfatalFailure()) FAIL() << "byte " << byte << " bit " << bit;
    }
  }
}

TEST_F(IrBinaryTest, RandomResealedMutationsAreHandled) {
  std::mt19937_64 rng(0x4852544952);
  const uint32_t interesting[] = {0,      1,       2,          3,          4,          7,
                                  8,      16,      0x7f,       0x80,       0xff,       0x100,
                                  0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff};
  for (int iter = 0; iter < 3000; ++iter) {
    Bytes b = blob_;
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < mutations; ++i) {
      const size_t at = kHeaderSize + rng() % (b.size() - kHeaderSize);
      switch (rng() % 4) {
        case 0: b[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: b[at] = static_cast<uint8_t>(rng()); break;
        case 2:
          if (at + 4 <= b.size()) {
            PutLE(b, at, interesting[rng() % std::size(interesting)], 4);
          }
          break;
        case 3:
          if (at + 8 <= b.size()) PutLE(b, at, rng(), 8);
          break;
      }
    }
    Reseal(b);
    ExpectCleanOutcome(b);
    if (HasFatalFailure() || HasNonfatalFailure()) FAIL() << "iteration " << iter;
  }
}

}  // namespace
}  // namespace hrt::ir
