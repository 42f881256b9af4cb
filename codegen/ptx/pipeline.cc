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
#include <algorithm>

#include "codegen/ir/verifier.h"
#include "codegen/ptx/lowering.h"

namespace hrt::ptx {
namespace {

constexpr int64_t kMaxStages = 8;

bool HasMemoryWrites(const ir::Block& block) {
  for (const ir::Op& op : block.ops) {
    if (op.code == ir::OpCode::kStore || op.code == ir::OpCode::kAtomicAdd) return true;
    for (const ir::Block& r : op.regions) {
      if (HasMemoryWrites(r)) return true;
    }
  }
  return false;
}

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
      const int64_t bytes = p.stages * p.stage_bytes + (p.wgmma ? 1024 : 0);
      if (bytes <= (int64_t{1} << 30)) {
        pipe_bytes_ = std::max(pipe_bytes_, static_cast<uint32_t>(bytes));
        pipelines_[&op] = p;
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
  memo_.emplace_back();
  cse_.emplace_back();
  const Reg off = NewReg(Repr::kI32);
  code_.Ins("mul.lo.u32", {off, stage, Opnd::Imm(p.stage_bytes)});
  Status s = StageLoad(*p.load_a, p.dtype, p.offset_a, p.pitch_a, off, pred, true, p.panel_a);
  if (s.ok()) {
    s = StageLoad(*p.load_b, p.dtype, p.offset_b, p.pitch_b, off, pred, true, p.panel_b);
  }
  memo_.pop_back();
  cse_.pop_back();
  values_[ivv] = saved;
  code_.Ins("cp.async.commit_group", {});
  return s;
}

Status Lowering::PipelinePrologue(Pipeline* p, Val lo, Val hi, Val step) {
  code_.Comment("pipelined loop: " + std::to_string(p->stages) + " stages in flight");
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

void Lowering::PipelineDrain(Pipeline* p) {
  // The accumulators are read after the loop: no wgmma may still write them.
  if (p->wgmma) code_.Ins("wgmma.wait_group.sync.aligned", {Opnd::Imm(0)});
  // Copies for iterations past the end were predicated off; drain the rest
  // before the buffers' memory is used for anything else.
  code_.Ins("cp.async.wait_group", {Opnd::Imm(0)});
  Barrier();
}

void Lowering::PipelineAdvance(Pipeline* p) {
  for (Reg r : {p->slot, p->issue}) {
    const Reg t = NewReg(Repr::kI32), wrap = NewReg(Repr::kPred);
    code_.Ins("add.s32", {t, r, Opnd::Imm(1)});
    code_.Ins("setp.eq.s32", {wrap, t, Opnd::Imm(p->stages)});
    code_.Ins("selp.b32", {r, Opnd::Imm(0), t, wrap});
  }
}

}  // namespace hrt::ptx
