// The lowering of one bound kernel to a SPIR-V compute function. One class,
// its methods split by job across files:
//   lowering.cc    module setup, the op walk, scalars, loops, shape ops
//   values.cc      values in a layout: recomputing pure tiles, moving tiles
//                  between layouts through workgroup memory, invocation
//                  coordinates, arguments, builtins, integer helpers
//   elementwise.cc arithmetic, comparisons, select, casts, f16/bf16 rounding
//   math.cc        exp, exp2, log, sqrt, tanh, sigmoid, erf, fmod
//   memory.cc      loads, stores and atomics through PhysicalStorageBuffer
//   reduce.cc      sum / max / min: subgroup arithmetic or workgroup memory
//   dot.cc         register tiles of multiply-adds over workgroup memory
//
// Values are SPIR-V SSA ids. A scalar ("uniform") is one id every invocation
// computes; a distributed tile is one id per slot of its layout (layout.h).
// Tiles built only from iota and scalars (indices and masks: "pure") are not
// materialized but recomputed in whatever layout a consumer needs. Values
// every block may use (invocation id, arguments, per-invocation coordinate
// bases) are computed in the function's entry block.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/spirv/abi.h"
#include "codegen/spirv/builder.h"
#include "codegen/spirv/layout.h"
#include "codegen/spirv/spec.h"
#include "codegen/spirv/spirv.h"

namespace hrt::spirv {

using Ids = std::vector<Id>;
using LayoutId = uint32_t;

// The emitted function stops growing past this many words (a kernel this
// large is hostile or hopeless for any driver).
inline constexpr size_t kMaxFunctionWords = size_t{16} << 20;
// At most this many values per invocation in one tile.
inline constexpr int64_t kMaxSlots = 1024;

class Lowering {
 public:
  Lowering(const ir::BoundKernel& kernel, const SpirvOptions& options, const ArgLayout& args,
           uint32_t threads, ModuleBuilder* module);

  // Declares the entry point and lowers the body.
  Status Run(const std::string& entry_name);
  uint32_t workgroup_bytes() const;

 private:
  enum class Kind : uint8_t { kUniform, kPure, kTile };
  struct Tile {
    LayoutId layout = 0;
    ir::DType dtype = ir::DType::kF32;
    Ids slots;
  };
  // A distributed value: element c of the value is element
  // sum(coef[d] * c[d]) (row-major flat index) of tile |tile|.
  struct ValueState {
    bool defined = false;
    Id uniform = 0;
    int32_t tile = -1;
    std::array<int64_t, ir::kMaxRank> coef{};
  };
  // Where a pure value is computed: for each of its dims, a dim of
  // |layout|'s tile (sel >= 0), the constant 0 (sel < 0), or explicit
  // per-slot coordinates.
  struct Coords {
    LayoutId layout = 0;
    uint32_t rank = 0;
    bool selection = true;
    std::array<int8_t, ir::kMaxRank> sel{};
    std::array<Ids, ir::kMaxRank> explicit_dims;
  };
  // Workgroup scratch regions. Two small ones (used alternately) hold
  // per-subgroup partials; the big one holds layout conversions and dot
  // operands. A region is dirty when invocations may still read it, so
  // writing it needs a barrier first.
  enum Region : uint8_t { kSmall0 = 0, kSmall1 = 1, kBig = 2 };

  // ---- lowering.cc
  Status Setup(const std::string& entry_name);
  Status Analyze(const ir::Block& block, uint32_t depth);
  Status LowerBlock(const ir::Block& block, uint32_t depth);
  Status LowerOp(const ir::Op& op, uint32_t depth);
  Status LowerLeaf(const ir::Op& op);
  Status LowerFor(const ir::Op& op, uint32_t depth);
  Status LowerShape(const ir::Op& op);
  Status LowerElementwise(const ir::Op& op);
  Status DefineTile(ir::ValueId v, LayoutId layout, ir::DType dtype, Ids slots);
  void DefineUniform(ir::ValueId v, Id id);
  Status CheckSize() const;
  // kUnsupported when a tile in |layout| needs more than kMaxSlots values
  // per invocation.
  Status CheckSlots(LayoutId layout) const;

  // ---- values.cc
  Id Uniform(ir::ValueId v) const { return values_[v].uniform; }
  // |v| at every slot of |layout| (right-aligned broadcast into its tile).
  Result<Ids> At(ir::ValueId v, LayoutId layout);
  Result<Ids> Realize(ir::ValueId v, const Coords& at);
  Result<Ids> RealizeOp(const ir::Op& op, ir::ValueId v, const Coords& at);
  Id CoordAt(const Coords& c, uint32_t dim, int64_t slot);
  // Coordinates of a value of rank |rank| whose dim i is dim src[i] of |c|
  // (or constant 0 when src[i] < 0).
  Coords MapCoords(const Coords& c, uint32_t rank, const std::array<int, 4>& src);
  // An operand broadcast (right-aligned) into a result of |c|'s rank.
  Coords OperandCoords(const Coords& c, ir::ValueId operand);
  Result<Ids> Convert(int32_t tile, LayoutId layout, const std::array<int64_t, 4>& coef);
  // True when, for every slot s of |dst|, each invocation finds the element
  // it reads there (flat index sum(coef * coordinate) into |src|'s tile) in
  // its own slot (*slot_of)[s] of |src| (-1: no invocation holds slot s):
  // the conversion then needs no data movement. Memoized per (src, dst,
  // coef).
  bool SameOwners(LayoutId src, LayoutId dst, const std::array<int64_t, 4>& coef,
                  const std::vector<int64_t>** slot_of);
  // Slot |slot|'s flat index sum(coef[d] * coordinate[d]) in |layout|: an
  // entry-block base plus a constant.
  Id FlatIndex(LayoutId layout, const std::array<int64_t, 4>& coef, int64_t slot);
  Id ThreadBase(LayoutId layout, uint32_t dim);
  // Bool id: slot |slot| is inside the tile for this invocation (constant
  // true when it is for every invocation).
  Id SlotValid(LayoutId layout, int64_t slot);
  LayoutId Canonical(const Shape& shape);
  // The layout of a tile of |shape| computed from |operands|: that of an
  // operand held in registers with exactly this shape (so it needs no move,
  // e.g. a dot accumulator), else the canonical one.
  LayoutId Preferred(const Shape& shape, std::span<const ir::ValueId> operands);
  LayoutId DotLayout(const Shape& shape);
  LayoutId AddLayout(const Layout& layout);
  const Layout& L(LayoutId id) const { return layouts_[id]; }
  // L(layout).SlotOffset(slot, dim), from the layout's table.
  int64_t SlotOffset(LayoutId layout, int64_t slot, uint32_t dim) const {
    const LayoutCache& c = layout_cache_[layout];
    return c.slot_offset[static_cast<size_t>(slot) * c.rank + dim];
  }
  // Invocation index in the workgroup, i32.
  Id Tid();
  Id ProgramId(uint32_t axis);
  Id SubgroupBuiltin(uint32_t builtin);
  Id ShapeSym(uint32_t sym);
  Id ScalarArg(uint32_t param);
  Id TensorBase(uint32_t param);
  Id TensorStride(uint32_t param, uint32_t dim);
  // Loads the argument-block field of |type| at byte |offset| (entry block).
  Id ArgField(uint32_t offset, Id type);
  // Workgroup scratch.
  Id RegionVar(Region r);
  void UseRegion(Region r, int64_t words);
  void Barrier();
  void MarkDirty(Region r) { dirty_[r] = true; }
  void MarkAllDirty() { dirty_.fill(true); }
  void StoreWords(Region r, Id index, std::span<const Id> words);
  Ids LoadWords(Region r, Id index, uint32_t count);
  uint32_t WordsPer(ir::DType t) const { return t == ir::DType::kI64 ? 2 : 1; }
  Ids ToWords(ir::DType t, Id v);
  Id FromWords(ir::DType t, std::span<const Id> words);
  // Structured if: runs |then| in a new block when |cond| holds. |then|
  // returns the ids to merge; the result holds, per id, |then|'s value or
  // the matching |otherwise| value.
  template <typename F>
  Result<Ids> If(Id cond, const Ids& otherwise, const Ids& types, F then);
  // A counted loop i = lo .. hi-1 (i32, uniform bounds) carrying |inits|
  // (ids of |types|): |body|(i, carried) returns the next carried ids.
  template <typename F>
  Result<Ids> Loop(Id lo, Id hi, const Ids& inits, const Ids& types, F body);
  // Writes a tile's elements in row-major order at word |base| of region
  // |r|; slots outside the tile go to word dump + tid (one per invocation,
  // so they never race with real elements).
  void StoreRowMajor(Region r, int64_t base, int64_t dump, LayoutId layout, ir::DType t,
                     const Ids& vals);
  Region NextSmallRegion() {
    next_small_ ^= 1;
    return next_small_ ? kSmall1 : kSmall0;
  }

  // Integer and bool helpers on ids, folding constants.
  Id C32(int64_t v);
  Id C64(int64_t v);
  Id CU32(uint32_t v);
  Id CF32(float v);
  Id CBool(bool v);
  bool ConstI(Id id, int64_t* v) const;
  Id IAdd(Id a, Id b);
  Id ISub(Id a, Id b);
  Id IMul(Id a, Id b);
  // Quotient / remainder of a non-negative i32 by a positive constant.
  Id UDivC(Id a, int64_t d);
  Id UModC(Id a, int64_t d);
  Id Op1(uint32_t op, Id type, Id a);
  Id Op2(uint32_t op, Id type, Id a, Id b);
  Id Sel(Id type, Id c, Id a, Id b);
  Id And(Id a, Id b);  // bools
  Id Or(Id a, Id b);
  Id Ext(uint32_t inst, Id type, std::initializer_list<Id> args);  // GLSL.std.450
  Id ToI64(Id v, ir::DType t);  // sign-extends i32 representations
  // Float arithmetic that must not be contracted into fused operations.
  Id FOp(uint32_t op, Id a, Id b);
  // Every instruction the helpers emit goes through here: into the entry
  // block while an EntryScope is open, else into the current block.
  Id Emit(uint32_t op, Id type, std::span<const uint32_t> operands);
  struct EntryScope {
    explicit EntryScope(Lowering* l) : l_(l), saved_(l->in_entry_) { l->in_entry_ = true; }
    ~EntryScope() { l_->in_entry_ = saved_; }
    EntryScope(const EntryScope&) = delete;
    EntryScope& operator=(const EntryScope&) = delete;
    Lowering* l_;
    bool saved_;
  };
  Id ReprType(ir::DType t);
  Id ZeroOf(ir::DType t);

  // ---- elementwise.cc: one element, representations per ReprType.
  Id Binary(ir::OpCode code, ir::DType t, Id a, Id b);
  Id Compare(ir::OpCode code, ir::DType t, Id a, Id b);
  Id Unary(ir::OpCode code, ir::DType t, Id x);
  Id Cast(ir::DType from, ir::DType to, Id x);
  // Rounds an f32 result to f16/bf16 (no-op for f32); wraps an integer
  // result to i8/u8/i16 (no-op for i32/i64).
  Id Normalize(ir::DType t, Id x);
  Id FloatMaxMin(bool is_max, Id a, Id b);
  Id RoundToHalf(Id x);
  Id RoundToBF16(Id x);
  Id HalfBitsToFloat(Id bits_u32);
  Id FloatToHalfBits(Id x);  // x already representable in f16
  Id IntDivRem(bool is_div, ir::DType t, Id a, Id b);
  Id IntToNarrowFloat(ir::DType from, ir::DType to, Id x);
  Id FloatToInt(ir::DType to, Id x);
  Id BitsOf(Id f32) { return Op1(spv::OpBitcast, t_u32_, f32); }
  Id FloatOf(Id u32) { return Op1(spv::OpBitcast, t_f32_, u32); }

  // ---- math.cc (f32)
  Id Exp(Id x);
  Id Exp2(Id x);
  Id Log(Id x);
  // sqrt (or 1/sqrt when |inverse|), exact-scaled for subnormal inputs.
  Id Sqrt(Id x, bool inverse);
  Id Fmod(Id a, Id b);
  Id Tanh(Id x);
  Id Sigmoid(Id x);
  Id Erf(Id x);
  Id Poly(Id x, std::span<const double> coefficients);  // Horner, c0 + c1 x + ...

  // ---- memory.cc
  Status LowerMemory(const ir::Op& op);
  Status LowerUniformMemory(const ir::Op& op, ir::DType et);
  Id Address(uint32_t param, ir::DType et, std::span<const Id> indices,
             std::span<const ir::DType> index_types);
  Id Pointer(ir::DType et, Id address);
  Id LoadElement(ir::DType et, Id address);
  void StoreElement(ir::DType et, Id address, Id v);
  Status AtomicAddElement(ir::DType et, Id address, Id v);
  Status CheckTensorDType(ir::DType et);

  // ---- reduce.cc
  Status LowerReduce(const ir::Op& op);
  Status ReduceToScalar(const ir::Op& op, ir::DType t, LayoutId layout, const Ids& vals, Id* out);
  Status ReduceAxis(const ir::Op& op, ir::DType t, ir::ValueId x, uint32_t axis);
  Id Combine(ir::OpCode code, ir::DType t, Id a, Id b);
  Id Identity(ir::OpCode code, ir::DType t);
  // The subgroup-wide reduction of |v| (every invocation of the subgroup
  // gets it), or 0 when the device's subgroup arithmetic cannot do it.
  Id SubgroupReduce(ir::OpCode code, ir::DType t, Id v);
  Id OrderedKey(bool is_max, Id f);  // float -> i32 ordered like the floats
  Id FromOrderedKey(bool is_max, Id key);

  // ---- dot.cc
  Status LowerDot(const ir::Op& op);

  const ir::Type& TypeOf(ir::ValueId v) const { return k_.values[v].type; }
  ir::DType DTypeOf(ir::Elem e) const;
  ir::DType ElemType(ir::ValueId v) const { return DTypeOf(TypeOf(v).elem); }
  Shape ShapeOfValue(ir::ValueId v) const;

  const ir::BoundKernel& bk_;
  const ir::Kernel& k_;
  const SpirvOptions& opt_;
  const ArgLayout& args_;
  const uint32_t threads_;
  ModuleBuilder& m_;
  Function* fn_ = nullptr;
  Id glsl_ = 0;
  bool in_entry_ = false;

  // Types.
  Id t_void_ = 0, t_bool_ = 0, t_i32_ = 0, t_u32_ = 0, t_i64_ = 0, t_f32_ = 0;

  // Analysis: per value, its kind and defining op (nullptr for loop args);
  // loop-carried values whose yield is a dot result use the dot layout.
  std::vector<Kind> kinds_;
  std::vector<const ir::Op*> defs_;
  std::vector<bool> dot_carried_;

  std::vector<ValueState> values_;
  std::vector<Tile> tiles_;
  std::deque<Layout> layouts_;  // stable references while layouts are added
  // What the lowering asks of a layout per slot, computed once when the
  // layout is added (Layout's own functions loop and divide on each call).
  // Empty for a layout of more than kMaxSlots slots (CheckSlots rejects it
  // before any per-slot use).
  struct LayoutCache {
    uint32_t rank = 0;
    std::vector<int64_t> slot_offset;                // [slot * rank + dim]
    std::vector<uint8_t> valid_all;                  // slot inside the tile for every invocation
    std::vector<uint8_t> valid_some;                 // ... for at least one (invocation 0)
    std::vector<int64_t> thread_base;                // [tid * rank + dim], built on first use
    std::vector<Id> slot_valid;                      // SlotValid() ids, 0 until computed
    std::array<Id, ir::kMaxRank> thread_base_ids{};  // ThreadBase() ids, 0 until computed
  };
  std::deque<LayoutCache> layout_cache_;  // parallel to layouts_
  struct OwnerMap {
    bool same = false;
    std::vector<int64_t> slot_of;
  };
  std::map<std::array<int64_t, 6>, OwnerMap> same_owners_;
  std::map<std::vector<int64_t>, LayoutId> canonical_;

  // Memoized recomputations and conversions, one map per open loop body.
  using MemoKey = std::vector<int64_t>;
  std::vector<std::map<MemoKey, Ids>> memo_;

  // Entry-block values, created on first use.
  Id tid_ = 0;
  std::array<Id, 3> program_ids_{};
  std::map<uint32_t, Id> builtin_vars_;
  std::map<uint32_t, Id> builtin_values_;
  std::map<uint32_t, Id> shape_syms_;
  std::map<uint32_t, Id> scalar_args_;
  std::map<uint32_t, Id> tensor_bases_;
  std::map<std::pair<uint32_t, uint32_t>, Id> tensor_strides_;
  std::map<std::vector<int64_t>, Id> flat_base_;
  Id push_var_ = 0;                                // the PushConstant block variable
  Id args_address_ = 0;                            // buffer mode: the argument block's address
  std::map<uint32_t, uint32_t> member_of_offset_;  // push-constant member per offset
  std::vector<Id> interface_;

  // Scratch.
  std::array<Id, 3> region_vars_{};
  std::array<int64_t, 3> region_words_{};
  std::array<bool, 3> dirty_{};
  uint8_t next_small_ = 0;

  // Device-feature use, for capabilities.
  bool uses_8bit_ = false;
  bool uses_16bit_ = false;
};

template <typename F>
Result<Ids> Lowering::If(Id cond, const Ids& otherwise, const Ids& types, F then) {
  if (cond == CBool(true)) return then();
  if (cond == CBool(false)) return otherwise;
  const Id head = fn_->current_block();
  const Id then_label = m_.NewId(), merge = m_.NewId();
  fn_->EmitVoid(spv::OpSelectionMerge, {merge, spv::SelectionControlNone});
  fn_->EmitVoid(spv::OpBranchConditional, {cond, then_label, merge});
  fn_->BeginBlock(then_label);
  HRT_ASSIGN_OR_RETURN(Ids vals, then());
  const Id then_end = fn_->current_block();
  fn_->EmitVoid(spv::OpBranch, {merge});
  fn_->BeginBlock(merge);
  Ids out;
  for (size_t i = 0; i < vals.size() && i < otherwise.size(); ++i) {
    const std::pair<Id, Id> in[2] = {{vals[i], then_end}, {otherwise[i], head}};
    out.push_back(fn_->EmitPhi(types[i], in, 0, nullptr));
  }
  return out;
}

template <typename F>
Result<Ids> Lowering::Loop(Id lo, Id hi, const Ids& inits, const Ids& types, F body) {
  const Id pre = fn_->current_block();
  const Id header = m_.NewId(), cond = m_.NewId(), body_label = m_.NewId(), cont = m_.NewId(),
           merge = m_.NewId();
  fn_->EmitVoid(spv::OpBranch, {header});
  fn_->BeginBlock(header);
  Function::PhiRef iv_ref;
  const std::pair<Id, Id> iv_in[1] = {{lo, pre}};
  const Id iv = fn_->EmitPhi(t_i32_, iv_in, 1, &iv_ref);
  std::vector<Function::PhiRef> refs(inits.size());
  Ids phis;
  for (size_t i = 0; i < inits.size(); ++i) {
    const std::pair<Id, Id> in[1] = {{inits[i], pre}};
    phis.push_back(fn_->EmitPhi(types[i], in, 1, &refs[i]));
  }
  fn_->EmitVoid(spv::OpLoopMerge, {merge, cont, spv::LoopControlNone});
  fn_->EmitVoid(spv::OpBranch, {cond});
  fn_->BeginBlock(cond);
  const Id go = Op2(spv::OpSLessThan, t_bool_, iv, hi);
  fn_->EmitVoid(spv::OpBranchConditional, {go, body_label, merge});
  fn_->BeginBlock(body_label);
  HRT_ASSIGN_OR_RETURN(Ids next, body(iv, phis));
  fn_->EmitVoid(spv::OpBranch, {cont});
  fn_->BeginBlock(cont);
  const Id iv_next = Op2(spv::OpIAdd, t_i32_, iv, C32(1));
  fn_->EmitVoid(spv::OpBranch, {header});
  fn_->SetPhiIncoming(iv_ref, 0, iv_next, cont);
  for (size_t i = 0; i < refs.size() && i < next.size(); ++i) {
    fn_->SetPhiIncoming(refs[i], 0, next[i], cont);
  }
  fn_->BeginBlock(merge);
  return phis;
}

}  // namespace hrt::spirv
