// Software pipelining of matmul loops. A loop whose body multiplies two
// tiles it loads itself (the gemm K loop: load A, load B, dot) keeps
// STAGES iterations of operands in flight: a ring of STAGES shared-memory
// buffers, filled with cp.async (global -> shared, no registers) for
// iteration i + STAGES - 1 while the mma of iteration i runs. Per iteration:
//
//   cp.async.wait_group STAGES-2   the copies of iteration i have landed
//   bar.sync                       ... for every thread, and iteration i-1's
//                                  readers are done with the buffer reused next
//   issue copies for i+STAGES-1    predicated on that iteration existing
//   ldmatrix + mma on stage i % STAGES
//
// The loads' indices and masks are recomputed at the later iteration's
// induction variable, which is why they may depend on nothing else the body
// computes (only pure index arithmetic on the induction variable and on
// values from outside the loop). Elements that cannot be copied as aligned
// 16-byte runs (edges, strided or misaligned views) are copied synchronously.
//
// wgmma (sm_90a, dot.cc) reads the stage asynchronously, so the order
// changes: the copies of an iteration are issued by the dot right after
// its wgmmas (which then overlap them), into the stage whose wgmma group is
// known to be complete. With P = |pending| groups left in flight by each
// dot, iteration i writes the stage of iteration i-1-P and copies for
// i + L, L = STAGES-1-P (|lookahead|):
//
//   cp.async.wait_group L-1        the copies of iteration i have landed
//   fence.proxy.async.shared::cta  ... and are visible to wgmma (async proxy)
//   bar.sync                       ... for every thread; every warpgroup has
//                                  waited for its groups up to i-1-P
//   wgmma.fence, wgmma x K/16 on stage i % STAGES, wgmma.commit_group
//   issue copies for i+L           into stage (i+L) % STAGES = (i-1-P) % STAGES
//   wgmma.wait_group P
//
// Warp-specialized (WARP_ROLES=2, wgmma loops only): the block gets a
// producer warpgroup (128 threads) past the 32 * WARPS consumer threads,
// and no block-wide barrier runs inside the loop. Stage s has two
// mbarriers after the ring: full[s] (132 arrivals: each producer thread's
// cp.async.mbarrier.arrive.noinc, which arrives once its copies have
// landed, plus one release-arrive per producer warp after its synchronous
// edge stores) and empty[s] (one arrival per consumer warp). Iteration i
// uses stage i % S in round r = i / S; a barrier's phase r completes once
// per round, so waits name the parity r & 1:
//
//   producer (loop over i)                 consumers (the loop body)
//   i >= S: wait empty[s], parity (r-1)&1  wait full[s], parity r&1
//   copies for i into stage s              fence.proxy.async.shared::cta
//   cp.async.mbarrier.arrive.noinc full[s] wgmma.fence, wgmmas, commit_group
//   fence.proxy.async.shared::cta          wgmma.wait_group P
//   bar.warp.sync, lane 0: arrive full[s]  lane 0: arrive empty[stage of i-P]
//
// Proxies: cp.async and st.shared write through the generic proxy, wgmma
// reads through the async one. The producer fences its synchronous stores
// itself (as the shared path does); its cp.async writes land after it has
// moved on, so the consumers fence after acquiring them through full[s],
// before their wgmmas. Neither side can
// get a phase ahead of the other's wait: full[s] completes round r+1 only
// after the producer waited for empty[s]'s round r, which needs the
// consumers past their wait for round r, and vice versa. The producer
// warps exit after their loop; later barriers name the consumers only
// (bar.sync 1, 32 * WARPS).
#include <algorithm>

#include "codegen/ir/verifier.h"
#include "codegen/ptx/abi.h"
#include "codegen/ptx/lowering.h"

namespace hrt::ptx {
namespace {

constexpr int64_t kMaxStages = 8;

uint32_t Align16(int64_t v) {
  return static_cast<uint32_t>((v + 15) & ~int64_t{15});
}

}  // namespace

bool Lowering::PlanPipeline(const ir::Op& loop, Pipeline* plan) {
  const ir::Block& body = loop.regions[0];
  if (body.args.empty() || HasMemoryWrites(body)) return false;
  int64_t stages = 2;
  for (size_t i = 0; i < k_.tunables.size(); ++i) {
    if (k_.tunables[i].name == "STAGES") stages = bk_.tunable_values[i];
  }
  if (stages < 2) return false;
  stages = std::min(stages, kMaxStages);
  std::vector<const ir::Op*> direct;
  for (const ir::Op& op : body.ops) direct.push_back(&op);
  auto in_body = [&](const ir::Op* def) {
    return std::find(direct.begin(), direct.end(), def) != direct.end();
  };
  // Everything the staged loads read must be recomputable at another
  // iteration: pure values, the induction variable, or values from outside.
  auto recomputable = [&](const ir::Op& load) {
    std::vector<ir::ValueId> todo(load.operands.begin(), load.operands.end());
    size_t steps = 0;
    while (!todo.empty()) {
      if (++steps > 4096) return false;
      const ir::ValueId v = todo.back();
      todo.pop_back();
      if (v == body.args[0]) continue;
      if (std::find(body.args.begin(), body.args.end(), v) != body.args.end()) return false;
      const ValueFacts& f = an_->values[v];
      if (!f.def || !in_body(f.def)) continue;  // defined outside the loop
      if (f.kind != ValueKind::kPure) return false;
      todo.insert(todo.end(), f.def->operands.begin(), f.def->operands.end());
    }
    return true;
  };
  for (const ir::Op& op : body.ops) {
    if (op.code != ir::OpCode::kDot) continue;
    const ir::ValueId a = op.operands[0], b = op.operands[1];
    const ValueFacts& fa = an_->values[a];
    const ValueFacts& fb = an_->values[b];
    if (!fa.staged_load || !fb.staged_load || !in_body(fa.def) || !in_body(fb.def)) continue;
    if (L(an_->values[op.results[0]].layout).kind != Layout::Kind::kMma) continue;
    if (!recomputable(*fa.def) || !recomputable(*fb.def)) continue;
    const ir::Type& at = TypeOf(a);
    const ir::Type& rt = TypeOf(op.results[0]);
    const int64_t m = at.dims[0].value, k = at.dims[1].value, n = rt.dims[1].value;
    plan->loop = &loop;
    plan->dot = &op;
    plan->load_a = fa.def;
    plan->load_b = fb.def;
    plan->dtype = ElemType(a);
    plan->stages = stages;
    plan->pitch_a = MmaPitchA(k);
    plan->pitch_b = MmaPitchB(n);
    plan->offset_a = 0;
    plan->offset_b = Align16(m * plan->pitch_a);
    plan->stage_bytes = plan->offset_b + Align16(k * plan->pitch_b);
    plan->lookahead = stages - 1;
    PlanWgmma(loop, op, plan);
    return true;
  }
  return false;
}

void Lowering::PlanPipelines(const ir::Block& block, uint32_t depth) {
  if (depth > ir::kMaxLoopDepth) return;
  for (const ir::Op& op : block.ops) {
    if (op.code != ir::OpCode::kFor) continue;
    Pipeline p;
    if (PlanPipeline(op, &p)) {
      // Loops run one after another: every ring starts at offset 0.
      // wgmma: slack to align the ring to 1024 bytes at run time.
      // Warp-specialized: two mbarriers per stage after the ring.
      const int64_t bytes =
          p.stages * p.stage_bytes + (p.wgmma ? 1024 : 0) + (p.ws ? 16 * p.stages : 0);
      if (bytes <= (int64_t{1} << 30)) {
        pipe_bytes_ = std::max(pipe_bytes_, static_cast<uint32_t>(bytes));
        pipelines_[&op] = p;
        if (p.ws) producer_threads_ = kProducerThreads;
      }
    }
    PlanPipelines(op.regions[0], depth + 1);
  }
}

Status Lowering::IssueStage(const Pipeline& p, Reg stage, Val iv, Val pred) {
  const ir::ValueId ivv = p.loop->regions[0].args[0];
  const ValueState saved = values_[ivv];
  DefineUniform(ivv, iv);
  // Fresh scopes: nothing computed at this iteration may be reused at the
  // current one.
  thread_.memo.emplace_back();
  thread_.cse.emplace_back();
  const Reg off = NewReg(Repr::kI32);
  code_.Ins("mul.lo.u32", {off, stage, Opnd::Imm(p.stage_bytes)});
  Status s = StageLoad(*p.load_a, p.dtype, p.offset_a, p.pitch_a, off, pred, true, p.panel_a);
  if (s.ok()) {
    s = StageLoad(*p.load_b, p.dtype, p.offset_b, p.pitch_b, off, pred, true, p.panel_b);
  }
  thread_.memo.pop_back();
  thread_.cse.pop_back();
  values_[ivv] = saved;
  // Warp-specialized: the full barrier tracks the copies instead.
  if (!p.ws) code_.Ins("cp.async.commit_group", {});
  return s;
}

bool Lowering::CanSpecialize(const ir::Op& loop) const {
  int64_t loops = 0;
  auto count = [&](auto&& self, const ir::Block& b) -> void {
    for (const ir::Op& op : b.ops) {
      loops += op.code == ir::OpCode::kFor;
      for (const ir::Block& r : op.regions) self(self, r);
    }
  };
  count(count, k_.body);
  if (loops != 1) return false;
  for (const ir::Op& op : k_.body.ops) {
    if (&op == &loop) return true;
    if (!op.regions.empty() || op.results.empty()) return false;
    if (op.code == ir::OpCode::kStore || op.code == ir::OpCode::kAtomicAdd) return false;
    for (ir::ValueId r : op.results) {
      const ValueKind kind = an_->values[r].kind;
      if (kind != ValueKind::kUniform && kind != ValueKind::kPure) return false;
    }
  }
  return false;
}

Lowering::RegisterSplit Lowering::SplitRegisters() const {
  // The registers a block gets at launch: what ptxas may give each of its
  // threads with the resident blocks asked for (emit.cc: two only when the
  // estimate fits twice, or a MIN_BLOCKS of 2 or more), in the allocation's 8-register
  // steps. When the consumers' estimate is above that, the producer gives
  // registers back to them: setmaxnreg moves them within the block's pool
  // (the same instruction for every warp of a warpgroup, 24..256 in steps
  // of 8). Two consumer warpgroups (128x256): 168 at launch, 72 for the
  // producer, 216 for the consumers. (CUTLASS's TMA producers live in 40;
  // ptxas spills this producer's copy addressing there, not at 56..80.)
  constexpr int64_t kFile = 64 * 1024, kProducerRegs = 72;
  const int64_t block = an_->threads + kProducerThreads;
  int64_t blocks = MinBlocksPerSm(bk_);
  const int64_t estimate = an_->estimated_registers;
  if (blocks <= 1) blocks = estimate * block * 2 > kFile ? 1 : 2;
  const int64_t launch = std::min<int64_t>(kFile / (block * blocks) / 8 * 8, 248);
  RegisterSplit out;
  if (estimate <= launch - 16 || launch <= kProducerRegs) return out;  // ptxas has room
  const int64_t consumer = std::min<int64_t>(
      (launch * block - kProducerRegs * kProducerThreads) / an_->threads / 8 * 8, 248);
  if (consumer <= launch) return out;
  out.producer = kProducerRegs;
  out.consumer = consumer;
  return out;
}

void Lowering::SwapThreadState(ThreadState* s) {
  std::swap(thread_, *s);
}

void Lowering::MbarrierWait(Reg addr, int64_t offset, Opnd parity) {
  // try_wait suspends the thread for a while and may give up: retry.
  const uint32_t again = code_.NewLabel();
  const Reg done = NewReg(Repr::kPred);
  code_.Label(again);
  code_.Ins("mbarrier.try_wait.parity.shared::cta.b64", {done, Opnd::Mem(addr, offset), parity});
  code_.BranchIf(done, true, again, false);
}

void Lowering::ReleaseStage(const Pipeline& p, Reg stage, Val when) {
  const Reg a = NewReg(Repr::kI32);
  code_.Ins("mad.lo.u32", {a, stage, Opnd::Imm(8), p.bars});
  const Val by = And(when, Val::Of(p.lane0));
  code_.InsIf(by.is_const() ? Reg{} : by.reg, false, "mbarrier.arrive.shared::cta.b64",
              {Opnd::Text("_"), Opnd::Mem(a, 8 * p.stages)});
}

Status Lowering::ProducerLoop(Pipeline* p, Val lo, Val hi, Val step, Val limit) {
  code_.Comment("producer warpgroup: fills the ring, then exits");
  // Its thread indices count from 0 (the layouts' threads); nothing
  // computed from the consumers' may be reused.
  ThreadState mine;
  {
    const Reg tid = Tid();
    PrologueScope ps(&code_);
    mine.tid = NewReg(Repr::kI32);
    code_.Ins("sub.u32", {mine.tid, tid, Opnd::Imm(an_->threads)});
  }
  mine.memo.emplace_back();
  mine.cse.emplace_back();
  SwapThreadState(&mine);
  copy_threads_ = kProducerThreads;
  const Reg stage = NewReg(Repr::kI32), phase = NewReg(Repr::kI32), n = NewReg(Repr::kI32);
  const Reg iv = NewReg(Repr::kI32), skip = NewReg(Repr::kPred);
  code_.Ins("mov.b32", {stage, Opnd::Imm(0)});
  code_.Ins("mov.b32", {phase, Opnd::Imm(0)});
  code_.Ins("mov.b32", {n, Opnd::Imm(0)});
  code_.Ins("mov.b32", {iv, O(lo, Repr::kI32)});
  const uint32_t top = code_.NewLabel(), fill = code_.NewLabel(), done = code_.NewLabel();
  code_.Ins("setp.ge.s32", {skip, iv, O(hi, Repr::kI32)});
  code_.BranchIf(skip, false, done, true);
  code_.Label(top);
  // Round r >= 1: the consumers must have released round r-1's stage.
  const Reg first = NewReg(Repr::kPred), empty = NewReg(Repr::kI32), parity = NewReg(Repr::kI32);
  code_.Ins("setp.lt.s32", {first, n, Opnd::Imm(p->stages)});
  code_.BranchIf(first, false, fill, true);
  code_.Ins("mad.lo.u32", {empty, stage, Opnd::Imm(8), p->bars});
  code_.Ins("xor.b32", {parity, phase, Opnd::Imm(1)});
  MbarrierWait(empty, 8 * p->stages, parity);
  code_.Label(fill);
  Status st = IssueStage(*p, stage, Val::Of(iv), Val::Const(1));
  if (st.ok()) {
    const Reg full = NewReg(Repr::kI32);
    code_.Ins("mad.lo.u32", {full, stage, Opnd::Imm(8), p->bars});
    // Arrives once this thread's copies have landed ...
    code_.Ins("cp.async.mbarrier.arrive.noinc.shared::cta.b64", {Opnd::Mem(full)});
    // ... and, with release semantics, after its synchronous stores (edge
    // elements, fenced for wgmma's async proxy by the thread that wrote
    // them), one thread per warp for the warp.
    code_.Ins("fence.proxy.async.shared::cta", {});
    code_.Ins("bar.warp.sync", {Opnd::Imm(-1)});
    code_.InsIf(p->lane0, false, "mbarrier.arrive.shared::cta.b64",
                {Opnd::Text("_"), Opnd::Mem(full)});
    const Reg t = NewReg(Repr::kI32), wrap = NewReg(Repr::kPred), more = NewReg(Repr::kPred);
    code_.Ins("add.s32", {t, stage, Opnd::Imm(1)});
    code_.Ins("setp.eq.s32", {wrap, t, Opnd::Imm(p->stages)});
    code_.Ins("selp.b32", {stage, Opnd::Imm(0), t, wrap});
    code_.InsIf(wrap, false, "xor.b32", {phase, phase, Opnd::Imm(1)});
    code_.Ins("add.s32", {n, n, Opnd::Imm(1)});
    code_.Ins("setp.lt.s32", {more, iv, O(limit, Repr::kI32)});
    code_.Ins("add.s32", {iv, iv, O(step, Repr::kI32)});
    code_.BranchIf(more, false, top, true);
    code_.Label(done);
    code_.Ins("exit", {});
  }
  SwapThreadState(&mine);
  copy_threads_ = an_->threads;
  return st;
}

Status Lowering::PipelinePrologue(Pipeline* p, Val lo, Val hi, Val step, Val limit) {
  code_.Comment("pipelined loop: " + std::to_string(p->stages) + " stages in flight" +
                (p->ws ? ", warp-specialized" : ""));
  if (p->ws) {
    p->slot = NewReg(Repr::kI32);
    p->phase = NewReg(Repr::kI32);
    p->prev = NewReg(Repr::kI32);
    p->bars = NewReg(Repr::kI32);
    p->lane0 = NewReg(Repr::kPred);
    code_.Ins("mov.b32", {p->slot, Opnd::Imm(0)});
    code_.Ins("mov.b32", {p->phase, Opnd::Imm(0)});
    code_.Ins("mov.b32", {p->prev, Opnd::Imm(-1)});
    code_.Ins("add.u32", {p->bars, RingBase(), Opnd::Imm(p->barriers)});
    const Reg lane = NewReg(Repr::kI32);
    code_.Ins("and.b32", {lane, Tid(), Opnd::Imm(31)});
    code_.Ins("setp.eq.u32", {p->lane0, lane, Opnd::Imm(0)});
    const Reg zero = IsThreadZero();
    const int64_t producer_warps = kProducerThreads / 32;
    for (int64_t s = 0; s < p->stages; ++s) {
      code_.InsIf(zero, false, "mbarrier.init.shared::cta.b64",
                  {Opnd::Mem(p->bars, 8 * s), Opnd::Imm(kProducerThreads + producer_warps)});
      code_.InsIf(zero, false, "mbarrier.init.shared::cta.b64",
                  {Opnd::Mem(p->bars, 8 * (p->stages + s)), Opnd::Imm(an_->threads / 32)});
    }
    // Published to the block (and to cp.async's arrivals) by the barrier.
    code_.InsIf(zero, false, "fence.mbarrier_init.release.cluster", {});
    code_.BarSync();  // every thread: the barriers are initialized
    const Reg consumer = NewReg(Repr::kPred);
    const uint32_t consumers = code_.NewLabel();
    code_.Ins("setp.lt.u32", {consumer, Tid(), Opnd::Imm(an_->threads)});
    code_.BranchIf(consumer, false, consumers, true);
    const RegisterSplit split = SplitRegisters();
    if (split.consumer > 0) {
      uses_setmaxnreg_ = true;
      code_.Ins("setmaxnreg.dec.sync.aligned.u32", {Opnd::Imm(split.producer)});
    }
    HRT_RETURN_IF_ERROR(ProducerLoop(p, lo, hi, step, limit));
    code_.Label(consumers);
    code_.Comment("consumer warpgroups");
    if (split.consumer > 0) {
      code_.Ins("setmaxnreg.inc.sync.aligned.u32", {Opnd::Imm(split.consumer)});
    }
    barrier_threads_ = an_->threads;
    dirty_.fill(false);
    return Status::Ok();
  }
  p->slot = NewReg(Repr::kI32);
  p->issue = NewReg(Repr::kI32);
  code_.Ins("mov.b32", {p->slot, Opnd::Imm(0)});
  code_.Ins("mov.b32", {p->issue, Opnd::Imm(p->lookahead)});
  const Reg lo64 = NewReg(Repr::kI64), st64 = NewReg(Repr::kI64), hi64 = NewReg(Repr::kI64);
  code_.Ins("cvt.s64.s32", {lo64, O(lo, Repr::kI32)});
  code_.Ins("cvt.s64.s32", {st64, O(step, Repr::kI32)});
  code_.Ins("cvt.s64.s32", {hi64, O(hi, Repr::kI32)});
  for (int64_t j = 0; j < p->lookahead; ++j) {
    const Reg t64 = NewReg(Repr::kI64), in = NewReg(Repr::kPred), iv = NewReg(Repr::kI32);
    const Reg stage = NewReg(Repr::kI32);
    code_.Ins("mad.lo.s64", {t64, st64, Opnd::Imm(j), lo64});
    code_.Ins("setp.lt.s64", {in, t64, hi64});
    code_.Ins("cvt.u32.u64", {iv, t64});
    code_.Ins("mov.b32", {stage, Opnd::Imm(j)});
    HRT_RETURN_IF_ERROR(IssueStage(*p, stage, Val::Of(iv), Val::Of(in)));
  }
  return Status::Ok();
}

Status Lowering::PipelineIterationStart(Pipeline* p, Reg iv, Val hi, Val step) {
  if (p->ws) {
    const Reg full = NewReg(Repr::kI32);
    code_.Ins("mad.lo.u32", {full, p->slot, Opnd::Imm(8), p->bars});
    MbarrierWait(full, 0, p->phase);
    code_.Ins("fence.proxy.async.shared::cta", {});
    return Status::Ok();
  }
  code_.Ins("cp.async.wait_group", {Opnd::Imm(p->lookahead - 1)});
  // cp.async and st.shared write through the generic proxy; wgmma reads
  // through the async proxy. Each thread fences its own (completed) writes
  // before the barrier publishes them.
  if (p->wgmma) code_.Ins("fence.proxy.async.shared::cta", {});
  Barrier();
  const Reg iv64 = NewReg(Repr::kI64), st64 = NewReg(Repr::kI64), hi64 = NewReg(Repr::kI64);
  const Reg t64 = NewReg(Repr::kI64), in = NewReg(Repr::kPred), ahead = NewReg(Repr::kI32);
  code_.Ins("cvt.s64.s32", {iv64, iv});
  code_.Ins("cvt.s64.s32", {st64, O(step, Repr::kI32)});
  code_.Ins("cvt.s64.s32", {hi64, O(hi, Repr::kI32)});
  code_.Ins("mad.lo.s64", {t64, st64, Opnd::Imm(p->lookahead), iv64});
  code_.Ins("setp.lt.s64", {in, t64, hi64});
  code_.Ins("cvt.u32.u64", {ahead, t64});
  if (p->wgmma) {
    // Issued by the dot, after its wgmmas.
    p->ahead = ahead;
    p->ahead_ok = Val::Of(in);
    return Status::Ok();
  }
  return IssueStage(*p, p->issue, Val::Of(ahead), Val::Of(in));
}

// ---- Fast path of the staged copies -----------------------------------------
//
// The loads of a pipelined loop are typically pure index arithmetic: every
// index and mask operand an affine function of the tile coordinates with
// constant steps (the analysis' lin). Then one uniform test per tile says
// whether the tile is entirely inside the tensor: the mask at its extreme
// corners, the indices not wrapping, the runs aligned. Interior tiles
// (all but the edges) then copy every 16-byte run unpredicated from the
// thread's first address plus compile-time multiples of the strides.

namespace {

constexpr int64_t kMaxI32 = 2147483647;

}  // namespace

Result<Val> Lowering::ValueAt(ir::ValueId v, uint32_t rank, const Point& coord) {
  const ValueFacts& f = an_->values[v];
  if (f.kind == ValueKind::kUniform) return Uniform(v);
  Shape ones;
  ones.rank = rank;
  for (uint32_t d = 0; d < rank; ++d) ones.dims[d] = 1;
  Coords at;
  at.layout = an_->layouts.Add(MakeBlocked(ones, copy_threads_, 1));  // one slot
  at.rank = rank;
  at.selection = false;
  for (uint32_t d = 0; d < rank; ++d) at.explicit_dims[d] = {coord[d]};
  HRT_ASSIGN_OR_RETURN(Vals out, Realize(v, OperandCoords(at, rank, v)));
  if (out.size() != 1) return Internal("one-slot layout with several slots");
  return out[0];
}

Result<Val> Lowering::AllTrue(ir::ValueId mask, const Shape& shape, const Point& origin,
                              uint32_t depth) {
  const ValueFacts& f = an_->values[mask];
  if (f.kind == ValueKind::kUniform) return Uniform(mask);
  if (f.kind != ValueKind::kPure || !f.def || depth > 16) return Val::Const(0);
  const ir::Op& op = *f.def;
  if (op.code == ir::OpCode::kAnd && ElemType(mask) == ir::DType::kBool) {
    HRT_ASSIGN_OR_RETURN(Val a, AllTrue(op.operands[0], shape, origin, depth + 1));
    if (a.is_const() && a.off == 0) return a;
    HRT_ASSIGN_OR_RETURN(Val b, AllTrue(op.operands[1], shape, origin, depth + 1));
    return And(a, b);
  }
  const bool less = op.code == ir::OpCode::kLt || op.code == ir::OpCode::kLe;
  const bool more = op.code == ir::OpCode::kGt || op.code == ir::OpCode::kGe;
  if (!less && !more) return Val::Const(0);
  // x < y, x <= y (y > x, y >= x): one side constant over the tile, the
  // other affine; i32 only (signed compares, as Compare emits them).
  ir::ValueId lo = op.operands[less ? 0 : 1], hi = op.operands[less ? 1 : 0];
  const bool strict = op.code == ir::OpCode::kLt || op.code == ir::OpCode::kGt;
  if (ElemType(lo) != ir::DType::kI32 || ElemType(hi) != ir::DType::kI32) return Val::Const(0);
  std::array<int32_t, 4> llo{}, lhi{};
  bool lo_flat = true, hi_flat = true;
  for (uint32_t e = 0; e < shape.rank; ++e) {
    llo[e] = LinAlong(*an_, k_, lo, shape.rank, e);
    lhi[e] = LinAlong(*an_, k_, hi, shape.rank, e);
    if (llo[e] == kLinUnknown || lhi[e] == kLinUnknown) return Val::Const(0);
    lo_flat = lo_flat && llo[e] == 0;
    hi_flat = hi_flat && lhi[e] == 0;
  }
  if (!lo_flat && !hi_flat) return Val::Const(0);
  for (ir::ValueId v : {lo, hi}) {  // evaluated at single points below
    const ValueKind kind = an_->values[v].kind;
    if (kind != ValueKind::kPure && kind != ValueKind::kUniform) return Val::Const(0);
  }
  // The varying side z: its smallest element is at corner cmin, its
  // largest D further; no element wraps when z(cmin) <= INT32_MAX - D.
  const bool z_is_lo = !lo_flat;
  const ir::ValueId z = z_is_lo ? lo : hi, w = z_is_lo ? hi : lo;
  const std::array<int32_t, 4>& lz = z_is_lo ? llo : lhi;
  Point cmin = origin;
  int64_t span = 0;
  for (uint32_t e = 0; e < shape.rank; ++e) {
    if (lz[e] < 0) cmin[e].off += shape.dims[e] - 1;
    span += (lz[e] >= 0 ? lz[e] : -int64_t{lz[e]}) * (shape.dims[e] - 1);
  }
  if (span > kMaxI32) return Val::Const(0);
  HRT_ASSIGN_OR_RETURN(Val zmin, ValueAt(z, shape.rank, cmin));
  HRT_ASSIGN_OR_RETURN(Val wv, ValueAt(w, shape.rank, origin));
  const Reg zr = ToReg(zmin, Repr::kI32), wr = ToReg(wv, Repr::kI32);
  Val ok = Val::Const(1);
  Reg zx = zr;  // the extreme of z that decides
  if (span > 0) {
    const Reg nowrap = NewReg(Repr::kPred);
    code_.Ins("setp.le.s32", {nowrap, zr, Opnd::Imm(kMaxI32 - span)});
    ok = Val::Of(nowrap);
    if (z_is_lo) {  // every z below w: the largest z
      zx = NewReg(Repr::kI32);
      code_.Ins("add.s32", {zx, zr, Opnd::Imm(span)});
    }
  }
  const Reg c = NewReg(Repr::kPred);
  const char* cmp = strict ? "setp.lt.s32" : "setp.le.s32";
  if (z_is_lo) {
    code_.Ins(cmp, {c, zx, wr});
  } else {  // w below every z: the smallest z
    code_.Ins(cmp, {c, wr, zx});
  }
  return And(ok, Val::Of(c));
}

Result<Lowering::TileCopy> Lowering::PlanTileCopy(const ir::Op& load, LayoutId layout,
                                                  ir::DType dtype, Val pred) {
  TileCopy tc;
  const auto pi = static_cast<uint32_t>(load.ints[0]);
  const uint32_t rank = k_.params[pi].rank;
  const Shape shape = ShapeOf(TypeOf(load.results[0]));
  const Layout& l = L(layout);
  const int64_t esz = ir::DTypeSize(dtype);
  if (shape.rank == 0 || shape.rank > 4 || rank > 4 || !l.AllSlotsValid() || l.group * esz != 16) {
    return tc;
  }
  // Indices: i32, affine with non-negative steps (the tile's first element
  // is every index's smallest), not wrapping inside the tile.
  Val ok = pred;
  Point corner0;
  corner0.fill(Val::Const(0));
  std::vector<Val> first(rank);
  std::vector<ir::DType> types(rank);
  for (uint32_t d = 0; d < rank; ++d) {
    const ir::ValueId v = load.operands[d];
    types[d] = ElemType(v);
    const ValueKind kind = an_->values[v].kind;
    if (types[d] != ir::DType::kI32) return tc;
    if (kind != ValueKind::kPure && kind != ValueKind::kUniform) return tc;
    int64_t span = 0;
    for (uint32_t e = 0; e < shape.rank; ++e) {
      const int32_t lin = LinAlong(*an_, k_, v, shape.rank, e);
      if (lin == kLinUnknown || lin < 0) return tc;
      tc.lin[d][e] = lin;
      span += int64_t{lin} * (shape.dims[e] - 1);
    }
    if (span > kMaxI32) return tc;
    HRT_ASSIGN_OR_RETURN(first[d], ValueAt(v, shape.rank, corner0));
    if (span > 0 && !first[d].is_const()) {
      const Reg nowrap = NewReg(Repr::kPred);
      code_.Ins("setp.le.s32", {nowrap, ToReg(first[d], Repr::kI32), Opnd::Imm(kMaxI32 - span)});
      ok = And(ok, Val::Of(nowrap));
    } else if (span > 0 && first[d].off > kMaxI32 - span) {
      return tc;
    }
  }
  if (load.ints[1] == 1) {
    HRT_ASSIGN_OR_RETURN(Val all, AllTrue(load.operands.back(), shape, corner0, 0));
    if (all.is_const() && all.off == 0) return tc;
    ok = And(ok, all);
  }
  // Runs: contiguous (stride 1 along the last tensor dim), the first one
  // 16-byte aligned, and every other one a multiple of 16 bytes away: each
  // non-last access dim moves each index by lin * stride * esz bytes per
  // step (the last access dim moves in whole runs, 16 bytes).
  const Reg corner = Address(pi, dtype, first, types);
  const Reg low = NewReg(Repr::kI64), aligned = NewReg(Repr::kPred);
  code_.Ins("and.b64", {low, corner, Opnd::Imm(15)});
  code_.Ins("setp.eq.u64", {aligned, low, Opnd::Imm(0)});
  ok = And(ok, Val::Of(aligned));
  ok = And(ok, Val::Of(StrideIsOne(pi, rank - 1)));
  // Loop invariants, once per load: the other runs' alignment, and the
  // thread's first element as an offset from the tile's first element
  // (sum over dims of its coordinate steps times the stride).
  auto inv = thread_.tile_copy_inv.find(&load);
  if (inv == thread_.tile_copy_inv.end()) {
    std::vector<Val> tb(shape.rank);
    for (uint32_t e = 0; e < shape.rank; ++e) tb[e] = ThreadBase(layout, e);
    std::vector<Reg> steps(rank);
    for (uint32_t d = 0; d < rank; ++d) steps[d] = ElementStep(pi, d, esz);
    PrologueScope ps(&code_);
    Val runs = Val::Const(1);
    Reg offset;
    for (uint32_t d = 0; d < rank; ++d) {
      for (uint32_t e = 0; e + 1 < shape.rank; ++e) {
        if (tc.lin[d][e] == 0) continue;
        const Reg b = NewReg(Repr::kI64), m = NewReg(Repr::kI64), p = NewReg(Repr::kPred);
        code_.Ins("mul.lo.s64", {b, steps[d], Opnd::Imm(tc.lin[d][e])});
        code_.Ins("and.b64", {m, b, Opnd::Imm(15)});
        code_.Ins("setp.eq.u64", {p, m, Opnd::Imm(0)});
        runs = And(runs, Val::Of(p));
      }
      // Explicit arithmetic (not Binary): its reuse of body registers would
      // be wrong in the prologue.
      Reg idx;
      int64_t konst = 0;
      for (uint32_t e = 0; e < shape.rank; ++e) {
        const int32_t lin = tc.lin[d][e];
        if (lin == 0) continue;
        konst += int64_t{lin} * tb[e].off;
        if (tb[e].is_const()) continue;
        const Reg next = NewReg(Repr::kI32);
        if (idx.valid()) {
          code_.Ins("mad.lo.s32", {next, tb[e].reg, Opnd::Imm(lin), idx});
        } else {
          code_.Ins("mul.lo.s32", {next, tb[e].reg, Opnd::Imm(lin)});
        }
        idx = next;
      }
      if (!idx.valid() && konst == 0) continue;
      const Reg w = NewReg(Repr::kI64), next = NewReg(Repr::kI64);
      if (idx.valid()) {
        const Reg i = NewReg(Repr::kI32);
        code_.Ins("add.s32", {i, idx, Opnd::Imm(static_cast<int32_t>(konst))});
        code_.Ins("cvt.s64.s32", {w, i});
      } else {
        code_.Ins("mov.b64", {w, Opnd::Imm(konst)});
      }
      if (offset.valid()) {
        code_.Ins("mad.lo.s64", {next, w, steps[d], offset});
      } else {
        code_.Ins("mul.lo.s64", {next, w, steps[d]});
      }
      offset = next;
    }
    inv = thread_.tile_copy_inv.emplace(&load, std::make_pair(offset, runs)).first;
  }
  const Reg offset = inv->second.first;
  ok = And(ok, inv->second.second);
  tc.thread_addr = corner;
  if (offset.valid()) {
    tc.thread_addr = NewReg(Repr::kI64);
    code_.Ins("add.s64", {tc.thread_addr, corner, offset});
  }
  tc.ok = ok;
  return tc;
}

Reg Lowering::TileCopyAddress(const TileCopy& tc, const ir::Op& load, LayoutId layout,
                              ir::DType dtype, int64_t slot, int64_t* imm) {
  const auto pi = static_cast<uint32_t>(load.ints[0]);
  const uint32_t rank = k_.params[pi].rank;
  const Layout& l = L(layout);
  const int64_t esz = ir::DTypeSize(dtype);
  Reg addr = tc.thread_addr;
  *imm = 0;
  for (uint32_t d = 0; d < rank; ++d) {
    int64_t delta = 0;
    for (uint32_t e = 0; e < l.shape.rank; ++e) delta += tc.lin[d][e] * l.SlotOffset(slot, e);
    if (delta == 0) continue;
    if (d + 1 == rank) {  // stride 1 on the fast path
      *imm += delta * esz;
      continue;
    }
    const Reg next = NewReg(Repr::kI64);
    code_.Ins("mad.lo.s64", {next, ElementStep(pi, d, esz), Opnd::Imm(delta), addr});
    addr = next;
  }
  return addr;
}

void Lowering::PipelineDrain(Pipeline* p) {
  // The accumulators are read after the loop: no wgmma may still write them.
  if (p->wgmma) code_.Ins("wgmma.wait_group.sync.aligned", {Opnd::Imm(0)});
  if (p->ws) {
    // Every copy landed before its full barrier completed; the producer
    // warps have exited.
    Barrier();
    return;
  }
  // Copies for iterations past the end were predicated off; drain the rest
  // before the buffers' memory is used for anything else.
  code_.Ins("cp.async.wait_group", {Opnd::Imm(0)});
  Barrier();
}

void Lowering::PipelineAdvance(Pipeline* p) {
  if (p->ws) {
    const Reg t = NewReg(Repr::kI32), wrap = NewReg(Repr::kPred);
    code_.Ins("mov.b32", {p->prev, p->slot});
    code_.Ins("add.s32", {t, p->slot, Opnd::Imm(1)});
    code_.Ins("setp.eq.s32", {wrap, t, Opnd::Imm(p->stages)});
    code_.Ins("selp.b32", {p->slot, Opnd::Imm(0), t, wrap});
    code_.InsIf(wrap, false, "xor.b32", {p->phase, p->phase, Opnd::Imm(1)});
    return;
  }
  for (Reg r : {p->slot, p->issue}) {
    const Reg t = NewReg(Repr::kI32), wrap = NewReg(Repr::kPred);
    code_.Ins("add.s32", {t, r, Opnd::Imm(1)});
    code_.Ins("setp.eq.s32", {wrap, t, Opnd::Imm(p->stages)});
    code_.Ins("selp.b32", {r, Opnd::Imm(0), t, wrap});
  }
}

}  // namespace hrt::ptx
