// The SPIR-V module builder's deduplication and encoding at scale: thousands
// of constants (more than its direct-mapped constant cache holds, so entries
// are evicted and looked up again), keys longer than its fixed-size hash
// keys, keys that differ only in length, and the exact words of body
// instructions, phis and decorations. Module-level behaviour on small inputs
// is in spirv_emit_test.cc (SpirvBuilder.*).
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "codegen/spirv/builder.h"
#include "codegen/spirv/spec.h"

namespace hrt {
namespace {

namespace spv = spirv::spv;
using spirv::Id;

struct Inst {
  uint32_t op;
  std::vector<uint32_t> operands;
};

std::vector<Inst> Decode(const std::vector<uint32_t>& words) {
  std::vector<Inst> out;
  for (size_t i = 5; i < words.size();) {
    const uint32_t count = words[i] >> 16;
    if (count == 0 || i + count > words.size()) {
      ADD_FAILURE() << "bad instruction word at " << i;
      break;
    }
    out.push_back(Inst{words[i] & 0xffffu,
                       {words.begin() + static_cast<ptrdiff_t>(i) + 1,
                        words.begin() + static_cast<ptrdiff_t>(i + count)}});
    i += count;
  }
  return out;
}

TEST(SpirvBuilderScale, ThousandsOfConstantsKeepOneIdEach) {
  spirv::ModuleBuilder m(spv::kVersion1_5);
  const Id i32 = m.TypeInt(32, true);
  const Id u32 = m.TypeInt(32, false);
  const Id i64 = m.TypeInt(64, true);
  const Id f32 = m.TypeFloat(32);
  // (type, bits) -> id, from a first pass; later passes in other orders
  // must give the same ids.
  std::map<std::pair<Id, uint64_t>, Id> first;
  const auto value = [](int i) { return static_cast<uint64_t>(i) * 2654435761u + 17; };
  for (int i = 0; i < 3000; ++i) {
    for (Id type : {i32, u32, i64, f32}) {
      const uint64_t bits = type == i64 ? value(i) << 20 : value(i) & 0xffffffffu;
      const Id id = m.Constant(type, bits);
      auto [it, fresh] = first.try_emplace({type, bits}, id);
      EXPECT_EQ(it->second, id) << i;
      (void)fresh;
    }
  }
  std::set<Id> distinct;
  for (const auto& [key, id] : first) distinct.insert(id);
  EXPECT_EQ(distinct.size(), first.size());  // different (type, bits): different ids
  for (int i = 2999; i >= 0; i -= 7) {
    for (Id type : {f32, i64, u32, i32}) {
      const uint64_t bits = type == i64 ? value(i) << 20 : value(i) & 0xffffffffu;
      ASSERT_EQ(m.Constant(type, bits), first.at({type, bits})) << i;
      Id t = 0;
      uint64_t b = 0;
      ASSERT_TRUE(m.LookupConstant(first.at({type, bits}), &t, &b));
      EXPECT_EQ(t, type);
      EXPECT_EQ(b, bits);
    }
  }
  // One OpConstant per distinct (type, bits), with the right words.
  size_t constants = 0;
  for (const Inst& i : Decode(m.Finish())) {
    if (i.op != spv::OpConstant) continue;
    ++constants;
    ASSERT_GE(i.operands.size(), 3u);
    const uint64_t bits = i.operands[0] == i64 ? (uint64_t{i.operands[3]} << 32 | i.operands[2])
                                               : uint64_t{i.operands[2]};
    auto it = first.find({i.operands[0], bits});
    ASSERT_NE(it, first.end());
    EXPECT_EQ(it->second, i.operands[1]);
  }
  EXPECT_EQ(constants, first.size());
}

TEST(SpirvBuilderScale, IntConstantsReportBitsAndWidth) {
  spirv::ModuleBuilder m(spv::kVersion1_5);
  const Id i16 = m.TypeInt(16, true);
  const Id u8 = m.TypeInt(8, false);
  const Id f32 = m.TypeFloat(32);
  const Id minus_one = m.Constant(i16, ~uint64_t{0});
  uint64_t bits = 0;
  uint32_t width = 0;
  ASSERT_TRUE(m.LookupIntConstant(minus_one, &bits, &width));
  EXPECT_EQ(bits, 0xffffu);  // masked to the width
  EXPECT_EQ(width, 16u);
  EXPECT_EQ(m.Constant(i16, 0xffff), minus_one);  // the same value, however it is written
  ASSERT_TRUE(m.LookupIntConstant(m.Constant(u8, 0x1ff), &bits, &width));
  EXPECT_EQ(bits, 0xffu);
  EXPECT_EQ(width, 8u);
  EXPECT_FALSE(m.LookupIntConstant(m.Constant(f32, std::bit_cast<uint32_t>(1.5f)), &bits, &width));
  EXPECT_FALSE(m.LookupIntConstant(m.ConstantBool(true), &bits, &width));
  EXPECT_FALSE(m.LookupIntConstant(i16, &bits, &width));                 // a type
  EXPECT_FALSE(m.LookupIntConstant(m.id_bound() + 100, &bits, &width));  // never handed out
  // The signed 16-bit -1 is sign-extended into its word, as SPIR-V requires.
  bool seen = false;
  for (const Inst& i : Decode(m.Finish())) {
    if (i.op == spv::OpConstant && i.operands[1] == minus_one) {
      seen = true;
      EXPECT_EQ(i.operands[2], 0xffffffffu);
    }
  }
  EXPECT_TRUE(seen);
}

TEST(SpirvBuilderScale, LongAndShortKeysDeduplicate) {
  spirv::ModuleBuilder m(spv::kVersion1_5);
  const Id f32 = m.TypeFloat(32);
  const Id i32 = m.TypeInt(32, true);
  const Id void_t = m.TypeVoid();
  // Function types of 0..11 parameters: keys from 2 to 13 words.
  std::vector<Id> params;
  std::vector<Id> ids;
  for (int n = 0; n <= 11; ++n) {
    ids.push_back(m.TypeFunction(void_t, params));
    params.push_back(n % 2 ? f32 : i32);
  }
  EXPECT_EQ(std::set<Id>(ids.begin(), ids.end()).size(), ids.size());
  params.clear();
  for (int n = 0; n <= 11; ++n) {
    EXPECT_EQ(m.TypeFunction(void_t, params), ids[static_cast<size_t>(n)]) << n;
    params.push_back(n % 2 ? f32 : i32);
  }
  // Same words but one longer (a trailing zero): a different key.
  const Id one[1] = {0};
  const Id none = m.TypeFunction(void_t, {});
  EXPECT_NE(m.TypeFunction(void_t, one), none);
  // Composites of many parts.
  const Id vec8 = m.TypeArray(f32, 8);
  std::vector<Id> parts;
  for (int i = 0; i < 8; ++i)
    parts.push_back(m.Constant(f32, std::bit_cast<uint32_t>(static_cast<float>(i))));
  const Id composite = m.ConstantComposite(vec8, parts);
  EXPECT_EQ(m.ConstantComposite(vec8, parts), composite);
  parts.back() = parts.front();
  EXPECT_NE(m.ConstantComposite(vec8, parts), composite);
  // Array types differ by stride, declared once each with one decoration.
  const Id a4 = m.TypeArray(f32, 4, 4), a0 = m.TypeArray(f32, 4, 0);
  EXPECT_NE(a4, a0);
  EXPECT_EQ(m.TypeArray(f32, 4, 4), a4);
  size_t strides = 0;
  for (const Inst& i : Decode(m.Finish())) {
    if (i.op == spv::OpDecorate && i.operands[1] == spv::DecorationArrayStride) {
      ++strides;
      EXPECT_EQ(i.operands[0], a4);
    }
  }
  EXPECT_EQ(strides, 1u);
}

TEST(SpirvBuilderScale, BodyInstructionsEncodeExactly) {
  spirv::ModuleBuilder m(spv::kVersion1_5);
  const Id void_t = m.TypeVoid();
  const Id i32 = m.TypeInt(32, true);
  const Id one = m.Constant(i32, 1);
  spirv::Function* f = m.AddFunction(void_t, m.TypeFunction(void_t, {}));
  const Id entry_value = f->EmitEntry(spv::OpIAdd, i32, {one, one});
  const Id head = m.NewId(), body = m.NewId();
  f->BeginBlock(head);
  f->EmitVoid(spv::OpBranch, {body});
  EXPECT_FALSE(f->in_block());
  f->BeginBlock(body);
  spirv::Function::PhiRef ref;
  const std::pair<Id, Id> in[1] = {{entry_value, head}};
  const Id phi = f->EmitPhi(i32, in, 2, &ref);
  const Id sum = f->Emit(spv::OpIAdd, i32, {phi, one});
  f->SetPhiIncoming(ref, 1, sum, body);
  m.Decorate(sum, spv::DecorationNoContraction);
  m.Decorate(sum, spv::DecorationBuiltIn, {7});
  f->EmitVoid(spv::OpReturn, {});
  // Words counted: IAdd 5, Branch 2, Phi 3 + 2 * 3, IAdd 5, Return 1.
  EXPECT_EQ(f->word_count(), 5u + 2 + 9 + 5 + 1);
  std::vector<Inst> insts = Decode(m.Finish());
  std::map<uint32_t, std::vector<std::vector<uint32_t>>> by_op;
  for (const Inst& i : insts) by_op[i.op].push_back(i.operands);
  ASSERT_EQ(by_op[spv::OpPhi].size(), 1u);
  EXPECT_EQ(by_op[spv::OpPhi][0],
            (std::vector<uint32_t>{i32, phi, entry_value, head, 0, 0, sum, body}));
  ASSERT_EQ(by_op[spv::OpIAdd].size(), 2u);
  EXPECT_EQ(by_op[spv::OpIAdd][0], (std::vector<uint32_t>{i32, entry_value, one, one}));
  EXPECT_EQ(by_op[spv::OpIAdd][1], (std::vector<uint32_t>{i32, sum, phi, one}));
  ASSERT_EQ(by_op[spv::OpDecorate].size(), 2u);
  EXPECT_EQ(by_op[spv::OpDecorate][0], (std::vector<uint32_t>{sum, spv::DecorationNoContraction}));
  EXPECT_EQ(by_op[spv::OpDecorate][1], (std::vector<uint32_t>{sum, spv::DecorationBuiltIn, 7}));
  EXPECT_EQ(by_op[spv::OpReturn].size(), 1u);
  EXPECT_EQ(by_op[spv::OpFunctionEnd].size(), 1u);
}

}  // namespace
}  // namespace hrt
