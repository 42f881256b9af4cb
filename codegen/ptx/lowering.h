// The lowering of one bound kernel to PTX instructions. One class, its
// methods split by job across files:
//   lowering.cc    the op walk, scalars, loops, shape ops
//   values.cc      values in a layout: recomputing pure tiles, moving tiles
//                  between layouts, thread coordinates, shared scratch
//   elementwise.cc arithmetic, comparisons, select and casts per element
//   math.cc        exp, log, tanh, sigmoid, erf, fmod sequences
//   memory.cc      loads, stores and atomics (vectorized where provable)
//   reduce.cc      sum / max / min along an axis
//   dot.cc         mma.sync and FMA matrix products
//   pipeline.cc    cp.async software pipelining of matmul loops
//   reuse.cc       loads a later loop over the same range repeats
//   precision.cc   (an analysis) values that only reach memory as f16/bf16
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"
#include "codegen/ptx/abi.h"
#include "codegen/ptx/analysis.h"
#include "codegen/ptx/code.h"
#include "codegen/ptx/types.h"

namespace hrt::ptx {

using Vals = std::vector<Val>;

// Emitted text stops growing past this many bytes (a kernel this large is
// hostile or hopeless; ptxas would take minutes).
inline constexpr size_t kMaxPtxBytes = size_t{64} << 20;

// Sets a flag for one scope and restores it after.
class CoarseScope {
 public:
  CoarseScope(bool* flag, bool value) : flag_(flag), saved_(*flag) { *flag = value; }
  ~CoarseScope() { *flag_ = saved_; }
  CoarseScope(const CoarseScope&) = delete;
  CoarseScope& operator=(const CoarseScope&) = delete;

 private:
  bool* flag_;
  bool saved_;
};

// Bounds on the structural walks over index expressions (reuse.cc,
// preload.cc): they are a handful of ops deep; anything deeper is not worth
// proving equal or early.
inline constexpr int kMaxCompareDepth = 24;

// The producer warpgroup of a warp-specialized pipelined loop (pipeline.cc).
inline constexpr uint32_t kProducerThreads = 128;

class Lowering {
 public:
  Lowering(const ir::BoundKernel& kernel, Analysis* analysis, const ParamLayout& params,
           uint32_t ptx_version);

  Status Run();

  const Code& code() const { return code_; }
  uint32_t shared_bytes() const;
  bool uses_fmod() const { return uses_fmod_; }
  bool uses_mma() const { return uses_mma_; }
  bool uses_wgmma() const { return uses_wgmma_; }
  // Threads the block has beyond the analysis' (32 * WARPS): the producer
  // warpgroup of a warp-specialized loop, else 0.
  uint32_t producer_threads() const { return producer_threads_; }
  // The warpgroups move registers between them (setmaxnreg): the entry
  // must cap registers for one resident block (.minnctapersm 1).
  bool uses_setmaxnreg() const { return uses_setmaxnreg_; }

  // ---- elementwise.cc: one element. Inputs and result in the register
  // representation of their dtype (see types.h).
  Val Binary(ir::OpCode code, ir::DType t, Val a, Val b);
  Val Compare(ir::OpCode code, ir::DType t, Val a, Val b);
  Val Unary(ir::OpCode code, ir::DType t, Val x);
  Val Select(ir::DType t, Val c, Val a, Val b);
  Val Cast(ir::DType from, ir::DType to, Val x);
  // Rounds an f32 result to f16/bf16 (no-op for f32); wraps an integer
  // result to i8/u8/i16 (no-op for i32/i64).
  Val Normalize(ir::DType t, Val x);
  // Float max/min with the interpreter's semantics: NaN wins, +0 > -0.
  Reg FloatMaxMin(bool is_max, Reg a, Reg b);

  // ---- math.cc (f32 registers)
  Reg Exp(Reg x);
  Reg Exp2(Reg x);
  Reg Log(Reg x);
  Reg Tanh(Reg x);
  Reg Sigmoid(Reg x);
  Reg Erf(Reg x);
  Reg Rsqrt(Reg x);
  Reg Fmod(Reg a, Reg b);

  // ---- values.cc
  // Register or immediate operand for |v|.
  Opnd O(Val v, Repr r);
  // |v| in a register of its own (materializing constants and offsets).
  Reg ToReg(Val v, Repr r);
  Reg NewReg(Repr r) { return code_.NewReg(RegClassOf(r)); }

 private:
  struct Tile {
    LayoutId layout = kNoLayout;
    Shape shape;
    Repr repr = Repr::kI32;
    Vals vals;  // one per slot of |layout|
  };
  // A distributed value: element c of the value is element
  // sum(coef[d] * c[d]) (row-major flat index) of tile |tile|.
  struct ValueState {
    bool defined = false;
    Val uniform;
    int32_t tile = -1;
    std::array<int64_t, ir::kMaxRank> coef{};
  };
  // The positions a pure value is computed at: for each of the value's dims,
  // either a dim of |layout|'s tile (sel >= 0), the constant 0 (sel < 0), or
  // explicit per-slot coordinates.
  struct Coords {
    LayoutId layout = kNoLayout;
    uint32_t rank = 0;
    bool selection = true;
    std::array<int8_t, ir::kMaxRank> sel{};
    std::array<Vals, ir::kMaxRank> explicit_dims;
  };
  using MemoKey = std::array<int64_t, 2 + 2 * ir::kMaxRank>;

  // lowering.cc
  Status LowerBlock(const ir::Block& block, uint32_t depth);
  // One op: its reused value (reuse.cc), else LowerOpOnce, kept when a
  // later loop reuses it.
  Status LowerOp(const ir::Op& op, uint32_t depth);
  Status LowerOpOnce(const ir::Op& op, uint32_t depth);
  Status LowerLeaf(const ir::Op& op);
  Status LowerFor(const ir::Op& op, uint32_t depth);
  // The launch's Assumptions say |op| (a loop from 0 to a shape symbol)
  // runs exactly one trip; it is then lowered as straight-line code.
  bool ProvenOneTrip(const ir::Op& op) const;
  Status LowerOneTrip(const ir::Op& op, uint32_t depth);
  Status LowerLoop(const ir::Op& op, uint32_t depth);
  // The value a for loop's induction variable must stay below to run
  // another trip: hi - step, clamped to i32.
  Val LoopLimit(Val hi, Val step);
  Status LowerShape(const ir::Op& op);
  Status LowerElementwise(const ir::Op& op);
  Status LowerUniformDivide(const ir::Op& op, LayoutId layout);
  Status LowerCast(const ir::Op& op);
  Status DefineTile(ir::ValueId v, LayoutId layout, Vals vals);
  void DefineUniform(ir::ValueId v, Val val);

  // values.cc
  Val Uniform(ir::ValueId v);
  // |v| at every slot of |layout| (right-aligned broadcast into its tile).
  Result<Vals> At(ir::ValueId v, LayoutId layout);
  Result<Vals> Realize(ir::ValueId v, const Coords& at);
  // How many consecutive slots of |at| (runs of the layout's group) the
  // pure |op| is proven to give one value on: its layout group, or 1.
  int64_t ConstantRun(const ir::Op& op, const Coords& at);
  // |op| is `index < bound` on i32 with the index stepping by +1 along the
  // last dim of a rank-|rank| tile and the bound constant along it (every
  // row kernel's `cols < n`): a run of consecutive slots is below the bound
  // when its last slot is and the index did not wrap in between.
  bool MonotoneCompare(const ir::Op& op, uint32_t rank) const;
  Val CoordAt(const Coords& c, uint32_t dim, int64_t slot);
  Coords OperandCoords(const Coords& c, uint32_t result_rank, ir::ValueId operand);
  Result<Vals> Convert(int32_t tile, LayoutId layout, const std::array<int64_t, 4>& coef);
  bool RemapSlots(const Tile& src, const Layout& dst, const std::array<int64_t, 4>& coef,
                  std::vector<int64_t>* slot_of);
  // Element |slot| of |layout| as a flat index sum(coef[d] * coord[d]):
  // per-thread base register (prologue) plus a constant.
  Val FlatBase(LayoutId layout, const std::array<int64_t, 4>& coef, int64_t scale);
  int64_t FlatOffset(LayoutId layout, const std::array<int64_t, 4>& coef, int64_t slot);
  // The shared-memory address smem + offset + sum(coef[d] * ThreadBase(d)),
  // a prologue register; slot s adds FlatOffset(layout, coef, s).
  Reg SharedAddr(LayoutId layout, const std::array<int64_t, 4>& coef, int64_t offset);
  Val ThreadBase(LayoutId layout, uint32_t dim);
  Val SlotValid(LayoutId layout, int64_t slot);
  Reg Tid();
  Reg SharedBase();  // 32-bit shared address of the scratch area
  Val ShapeSym(uint32_t sym);
  Reg ParamReg(uint32_t slot_index);
  Reg TensorBase(uint32_t param);
  Reg TensorStride(uint32_t param, uint32_t dim);
  Reg IsThreadZero();
  // A materialized predicate (setp) for a constant or register |v|.
  Reg PredReg(Val v);
  Val And(Val a, Val b);  // predicates, folding constants

  // Shared scratch. Small regions (two, used alternately) hold per-warp
  // partial results; the big region holds layout conversions and dot
  // staging. A region is dirty when threads may still read it: writing it
  // needs a barrier first.
  enum Region : uint8_t { kSmall0 = 0, kSmall1 = 1, kBig = 2 };
  uint32_t RegionOffset(Region r) const;
  Region NextSmallRegion();
  void UseRegion(Region r, uint32_t bytes);  // barrier if dirty, track size
  void Barrier();
  void MarkDirty(Region r) { dirty_[r] = true; }
  void MarkAllDirty() { dirty_.fill(true); }
  void StoreShared(Repr r, Reg addr, int64_t offset, Val v, Val pred);
  Val LoadShared(Repr r, Reg addr, int64_t offset, Val pred);

  // memory.cc
  Status LowerMemory(const ir::Op& op);
  Status LowerUniformMemory(const ir::Op& op, const ir::Param& param, ir::DType et);
  Reg Address(uint32_t param, ir::DType et, std::span<const Val> indices,
              std::span<const ir::DType> index_types);
  void LoadElement(ir::DType et, Reg addr, Val pred, float fill_f, int64_t fill_i, Reg dst);
  void StoreElement(ir::DType et, Reg addr, Val pred, Val v);
  void LoadVector(ir::DType et, Reg addr, std::span<const Reg> dst);
  // LoadVector in two steps: the loads (predicated on |pred| when valid)
  // into the words they arrive in, then the unpack into |dst|. 4- and
  // 8-byte elements load straight into |dst| (no words, nothing to unpack).
  // A predicated load first sets its registers to |fill| (an element's
  // bits, as FillBits gives), which is what a skipped load leaves.
  Regs LoadWords(ir::DType et, Reg addr, std::span<const Reg> dst, Reg pred, uint64_t fill = 0);
  void UnpackWords(ir::DType et, const Regs& loaded, std::span<const Reg> dst);
  // Stores |v| as one access per 16 bytes, each predicated on |pred| when
  // it is valid.
  void StoreVector(ir::DType et, Reg addr, std::span<const Val> v, Reg pred = Reg{});
  Reg StrideIsOne(uint32_t param, uint32_t dim);
  // stride[dim] * esz in bytes (prologue register).
  Reg ElementStep(uint32_t param, uint32_t dim, int64_t esz);
  bool Contiguous(const ir::Op& op, uint32_t tensor_rank, uint32_t access_rank);
  // (addr & (align - 1)) == 0.
  Val Aligned(Reg addr, int64_t align);
  // Defines a load's result as |dst| (nothing for stores and atomics).
  Status FinishAccess(const ir::Op& op, LayoutId layout, const Regs& dst);

  // reduce.cc
  Status LowerReduce(const ir::Op& op);
  Val Combine(ir::OpCode code, Repr r, Val a, Val b);
  // Combines |vals| (at least one) as a balanced tree of Combine.
  Val TreeCombine(ir::OpCode code, Repr r, std::vector<Val> vals);
  Val Identity(ir::OpCode code, ir::DType t);
  Val WarpReduce(ir::OpCode code, Repr r, Val v, uint32_t lanes);

  // dot.cc
  Status LowerDot(const ir::Op& op);
  // Writes operand |v| ([rows, cols] of |dtype|) into shared memory at byte
  // offset |base| (from SharedBase) with row pitch |pitch| bytes, as |dtype|
  // elements (f16/bf16 bits, or f32).
  Status Stage(ir::ValueId v, ir::DType dtype, uint32_t base, int64_t pitch);
  Status StageOperand(ir::ValueId v, ir::DType dtype, uint32_t base, int64_t pitch);
  // Copies a load's tile from global memory into shared memory at byte
  // offset |base| (+ |stage_offset| when valid), row pitch |pitch|. Elements
  // are copied only where |pred| holds. |async|: cp.async for aligned
  // contiguous runs (the caller commits and waits). A nonzero |panel| puts
  // the tile in wgmma's 128-byte swizzled layout instead, |base| counting
  // from RingBase() (see SwizzledAddr).
  Status StageLoad(const ir::Op& load, ir::DType dtype, uint32_t base, int64_t pitch,
                   Reg stage_offset, Val pred, bool async, int64_t panel = 0);
  // The fast path of a staged load (pipeline.cc): one uniform test per
  // tile that every element is in bounds (|pred| and the mask hold
  // everywhere) and every 16-byte run is aligned and contiguous; then each
  // thread's runs are at constant offsets from its own first one.
  struct TileCopy {
    Val ok = Val::Const(0);  // uniform; constant 0: no fast path
    Reg thread_addr;         // global address of the thread's slot 0 (b64)
    // Per tensor dim and access dim: index step (constant lin).
    std::array<std::array<int32_t, ir::kMaxRank>, ir::kMaxRank> lin{};
  };
  Result<TileCopy> PlanTileCopy(const ir::Op& load, LayoutId layout, ir::DType dtype, Val pred);
  // The global address of slot |slot| in the fast path (|*imm| bytes added
  // by the access itself).
  Reg TileCopyAddress(const TileCopy& tc, const ir::Op& load, LayoutId layout, ir::DType dtype,
                      int64_t slot, int64_t* imm);
  using Point = std::array<Val, 4>;
  // Pure or uniform |v| at coordinate |at| of a rank-|rank| tile
  // (right-aligned broadcast): uniform when |at| is.
  Result<Val> ValueAt(ir::ValueId v, uint32_t rank, const Point& at);
  // A predicate that |mask| holds at every element of the box of extents
  // |box| from |origin| (uniform when |origin| is), or constant 0 when that
  // cannot be shown cheaply.
  Result<Val> AllTrue(ir::ValueId mask, const Shape& box, const Point& origin, uint32_t depth);
  // One element of |dtype| from shared memory, as f32.
  Reg LoadSharedF32(ir::DType dtype, Reg addr, int64_t offset);
  Status MmaDot(const ir::Op& op, LayoutId acc_layout, ir::DType dtype, Vals acc);
  // The mma loop over K reading A and B at the per-thread ldmatrix
  // addresses |addr_a| / |addr_b| (see LdmatrixBase).
  Status MmaCompute(const ir::Op& op, LayoutId acc_layout, ir::DType dtype, Vals acc, Reg addr_a,
                    Reg addr_b);
  Reg LdmatrixBase(LayoutId acc_layout, bool is_a, int64_t pitch, uint32_t offset);
  static int64_t MmaPitchA(int64_t k) { return (k + 8) * 2; }
  static int64_t MmaPitchB(int64_t n) { return (n + 8) * 2; }
  // wgmma (sm_90a) on the current stage of a pipelined loop (dot.cc).
  Status WgmmaDot(const ir::Op& op, LayoutId acc_layout, ir::DType dtype, Vals acc);
  // The 1024-byte aligned start of the pipeline ring in wgmma mode: the
  // 128-byte swizzle is a function of address bits 4-9.
  Reg RingBase();
  // Per-thread shared address of the first element of the 16-byte run a
  // thread holds in |layout| (the staged load's blocked layout), |row| rows
  // further down (0..7), inside a swizzled tile at RingBase() + |base|: rows
  // of 64 elements (128 bytes) in column panels of |panel| bytes, chunks
  // permuted by the row (dot.cc).
  Reg SwizzledAddr(LayoutId layout, int64_t panel, uint32_t base, int64_t row = 0);
  // True when the staged load of |shape|, copied by |threads| threads, can
  // be written by StageLoad in the swizzled layout: one 16-byte run per
  // thread and row, whole rows. With |whole_atoms|, every slot's rows are
  // whole 8-row atoms from its thread's first (one swizzled address per
  // thread); without, StageLoad keeps one per row offset modulo 8.
  bool SwizzleFits(const Shape& shape, uint32_t threads, bool whole_atoms) const;

  // pipeline.cc: a loop whose body multiplies two tiles loaded in the same
  // iteration keeps STAGES copies of them in flight (cp.async into a ring
  // of shared buffers) while the mma of the current stage runs.
  struct Pipeline {
    const ir::Op* loop = nullptr;
    const ir::Op* dot = nullptr;
    const ir::Op* load_a = nullptr;
    const ir::Op* load_b = nullptr;
    ir::DType dtype = ir::DType::kF16;
    int64_t stages = 2;
    int64_t pitch_a = 0, pitch_b = 0;
    uint32_t offset_a = 0, offset_b = 0;  // stage 0 of each operand
    int64_t stage_bytes = 0;
    // Iterations whose copies are in flight ahead of the current one.
    int64_t lookahead = 1;
    // wgmma (dot.cc): operands in the 128-byte swizzled layout from
    // RingBase(); the iteration's copies are issued by the dot after its
    // wgmmas, and |pending| wgmma groups stay in flight past it.
    bool wgmma = false;
    int64_t pending = 0;
    int64_t panel_a = 0, panel_b = 0;
    // The accumulator is a loop-carried value that only the dot reads and
    // whose result only the yield reads: wgmma updates its registers in
    // place, and they may stay in flight across the back edge.
    bool acc_in_place = false;
    // Warp-specialized (WARP_ROLES=2, wgmma only): a producer
    // warpgroup past the consumers' threads fills the ring, one mbarrier
    // per stage says "full" and one "empty" (pipeline.cc). |barriers| is
    // their offset from RingBase(): full[s] at +8s, empty[s] at +8(S+s).
    bool ws = false;
    uint32_t barriers = 0;
    Reg slot;   // the stage the current iteration computes on
    Reg issue;  // the stage its copies go to
    Reg ahead;  // the iteration those copies are for (wgmma: set per iteration)
    Val ahead_ok;
    // ws: the parity of the current round of the ring, the stage of the
    // previous iteration (-1 before the first), the shared address of the
    // barriers, lane 0 of each warp.
    Reg phase, prev, bars, lane0;
  };
  // Fills |plan| (offsets excepted) when |loop| can be pipelined.
  bool PlanPipeline(const ir::Op& loop, Pipeline* plan);
  void PlanPipelines(const ir::Block& block, uint32_t depth);
  Status IssueStage(const Pipeline& p, Reg stage, Val iv, Val pred);
  // Before the loop. |limit| is LoopLimit(hi, step). Warp-specialized: also
  // emits the producer warpgroup's whole loop, after which only the
  // consumer warps run on.
  Status PipelinePrologue(Pipeline* p, Val lo, Val hi, Val step, Val limit);
  Status ProducerLoop(Pipeline* p, Val lo, Val hi, Val step, Val limit);
  // Spins on mbarrier |addr| until the phase of parity |parity| completed.
  void MbarrierWait(Reg addr, int64_t offset, Opnd parity);
  // Consumers, after the wgmmas that read stage |stage| completed: one
  // arrival per warp on its empty barrier (|when|: also predicated on it).
  void ReleaseStage(const Pipeline& p, Reg stage, Val when);
  // True when |loop|, a top-level op of the kernel, may be split between
  // a producer and consumers: nothing before it writes memory or holds a
  // tile in registers (the producer's threads run that code too, with
  // thread indices past the layouts').
  bool CanSpecialize(const ir::Op& loop) const;
  // Registers per thread for the producer and the consumer warpgroups
  // (setmaxnreg), or zeros when the launch's share suffices.
  struct RegisterSplit {
    int64_t producer = 0, consumer = 0;
  };
  RegisterSplit SplitRegisters() const;
  Status PipelineIterationStart(Pipeline* p, Reg iv, Val hi, Val step);
  void PipelineAdvance(Pipeline* p);
  // After the loop: nothing in flight may outlive it.
  void PipelineDrain(Pipeline* p);
  void PlanWgmma(const ir::Op& loop, const ir::Op& dot, Pipeline* plan);
  Status FmaDot(const ir::Op& op, LayoutId acc_layout, ir::DType dtype, Vals acc);

  // reuse.cc: a value a later loop over the same range recomputes takes the
  // earlier loop's registers when both loops run a single trip.
  struct Reuse {
    const ir::Op* source = nullptr;  // the earlier loop's op
    const ir::Op* loop = nullptr;    // the loop holding the repeated op
  };
  void PlanReuse(const ir::Block& block, uint32_t depth);
  void MatchValues(const ir::Op& loop_a, const ir::Op& loop_b);
  // True when loops |a| and |b| have bounds and steps computed the same way
  // (so a single trip of one is a single trip of the other, at the same
  // induction value).
  bool SameRange(const ir::Op& a, const ir::Op& b) const;
  // True when |x| and |y| are computed the same way from the same values,
  // |loop_a|'s induction variable standing for |loop_b|'s and a result of
  // |loop_a| for what its body yields (a single trip's value).
  bool SameComputation(ir::ValueId x, ir::ValueId y, const ir::Op* loop_a, const ir::Op* loop_b,
                       int depth) const;
  // Lowers |loop| twice: a copy whose repeated values take the earlier
  // loop's registers, run when it makes a single trip, and the plain copy.
  Status LowerForTwice(const ir::Op& loop, uint32_t depth);
  // Defines |op|'s result as its source's kept registers when its loop is
  // being lowered as the single-trip copy; false when it must be computed.
  bool ReuseValue(const ir::Op& op);
  // After |op| (a reuse source) is lowered: moves its value into the
  // registers a later single-trip copy reads.
  void KeepValue(const ir::Op& op);

  const Layout& L(LayoutId id) const { return an_->layouts.Get(id); }
  const ir::Type& TypeOf(ir::ValueId v) const { return k_.values[v].type; }
  ir::DType ElemType(ir::ValueId v) const { return DTypeOf(bk_, TypeOf(v).elem); }
  Repr ReprOfValue(ir::ValueId v) const { return ReprOf(ElemType(v)); }
  Status TooLarge() const;

  // Everything derived from the thread index. The producer warpgroup's
  // code is emitted with its own (thread indices from 0 within the
  // warpgroup), swapped in by ProducerLoop.
  struct ThreadState {
    Reg tid, thread_zero;  // prologue registers, created on first use
    // Memoized recomputations and conversions, one map per open loop body.
    std::vector<std::map<MemoKey, Vals>> memo;
    // Integer instructions already emitted on the same registers (index
    // arithmetic repeats per slot), scoped like memo.
    std::vector<std::map<std::array<uint64_t, 3>, Reg>> cse;
    std::map<std::pair<LayoutId, uint32_t>, Val> thread_base;
    std::map<std::pair<LayoutId, int64_t>, Val> slot_valid;
    std::map<std::array<int64_t, 6>, Val> flat_base;
    std::map<std::array<int64_t, 6>, Reg> shared_addr;
    std::map<std::array<int64_t, 4>, Reg> ldmatrix_base;
    std::map<std::array<int64_t, 4>, Reg> swizzled_addr;
    // PlanTileCopy's loop invariants per load: thread offset, run alignment.
    std::map<const ir::Op*, std::pair<Reg, Val>> tile_copy_inv;
  };
  void SwapThreadState(ThreadState* s);

  const ir::BoundKernel& bk_;
  const ir::Kernel& k_;
  Analysis* an_;
  const ParamLayout& params_;
  uint32_t ptx_version_;
  Code code_;

  std::vector<ValueState> values_;
  std::vector<Tile> tiles_;
  // What derives from the thread index (ThreadState above).
  ThreadState thread_;

  // preload.cc: loads of a later single-trip walk issued at the end of an
  // earlier one's (tunable PRELOAD=2).
  void PlanPreload(const ir::Block& block);
  // True when |v| can be computed before |loop| runs: its induction
  // variable, pure values of such operands, uniforms already defined.
  bool ComputableEarly(ir::ValueId v, const ir::Op& loop, int depth) const;
  // At the end of |loop_a|'s single trip: lowers the loads planned for it.
  Status IssuePreloads(const ir::Op& loop_a);

  // Prologue registers, created on first use.
  Reg smem_base_;
  std::vector<Reg> param_regs_;
  Reg ring_base_;
  std::map<const ir::Op*, Pipeline> pipelines_;  // by loop
  Pipeline* pipeline_ = nullptr;                 // the loop being lowered
  uint32_t pipe_bytes_ = 0;                      // ring buffers, at offset 0
  std::map<const ir::Op*, Reuse> reuse_;         // by the repeated op
  std::set<const ir::Op*> reuse_sources_;        // ops whose values are kept
  std::set<const ir::Op*> reuse_loops_;          // loops holding repeated loads
  std::map<const ir::Op*, Regs> kept_values_;    // by source op
  std::set<const ir::Op*> single_trip_copies_;   // loops lowered as the reusing copy
  // By the earlier loop: (later loop, load) pairs to issue at its end.
  std::map<const ir::Op*, std::vector<std::pair<const ir::Op*, const ir::Op*>>> preloads_;
  std::set<const ir::Op*> preloaded_;  // loads already issued by an earlier loop
  // The value being computed is coarse (precision.cc): math.cc may take its
  // short sequences. Set while an elementwise op is lowered.
  bool coarse_ = false;
  std::map<std::pair<uint32_t, uint32_t>, Reg> stride_one_;
  std::map<std::pair<uint32_t, uint32_t>, Reg> element_step_;
  std::map<uint32_t, Val> shape_syms_;

  // Threads the staged copies are spread over: the analysis' threads, or
  // the producer warpgroup's while its code is emitted.
  uint32_t copy_threads_ = 0;
  uint32_t producer_threads_ = 0;
  // Nonzero once the producer warps have left: barriers are named ones for
  // this many (consumer) threads.
  uint32_t barrier_threads_ = 0;

  uint32_t small_region_bytes_ = 0;
  uint32_t big_bytes_ = 0;
  bool small_used_ = false;
  uint8_t next_small_ = 0;
  std::array<bool, 3> dirty_{};
  bool uses_fmod_ = false;
  bool uses_mma_ = false;
  bool uses_wgmma_ = false;
  bool uses_setmaxnreg_ = false;
};

}  // namespace hrt::ptx
