// Loads a later walk issues with the first one (tunable PRELOAD=2). A row
// kernel reduces its row, waits at the reduction's barrier, and only then
// loads what its last walk needs besides the row: rms_norm's w,
// layer_norm's w and b. When every walk runs a single trip, those loads do
// not depend on the reduction. Issuing them right after the first walk
// overlaps their latency with the reduction's. On the H100, rms_norm bf16
// 1024x4096 (rows resident in L2, each block's latency on the critical
// path) went from 4.69 to 4.47 us at BLOCK_N=4096 WARPS=8, Triton's time
// (bench/results/2026-11-26-session10). The loaded registers stay live
// across the reduction, so where they cost a resident block the kernel gets
// slower: rms_norm 8192/8 at 1024x8192 went from 7.9 to 8.4 us, and
// layer_norm 8192/16 spills under its 40-register cap (180 to 257 us at
// 16384x8192). It is a tunable, not a policy: the tuner measures both.
//
// Planned before lowering: a load V2 at the top level of loop B is issued at
// the end of an earlier sibling loop A's single trip when
//   * the launch's facts make A and B run a single trip over the same range;
//   * nothing writes memory in A, between A and B, or in B before V2, so
//     the early load reads what the late one would, whatever aliases;
//   * V2 is not already taking A's registers (reuse.cc).
// At A's end the lowering checks that V2's operands can be computed there:
// B's induction variable (A's first value, as both run one trip), pure
// values, and uniforms already defined. Otherwise V2 stays where it is.
#include "codegen/ptx/abi.h"
#include "codegen/ptx/lowering.h"

namespace hrt::ptx {

void Lowering::PlanPreload(const ir::Block& block) {
  if (Preload(bk_) != 2) return;
  const std::vector<ir::Op>& ops = block.ops;
  std::set<const ir::Op*> planned;
  for (size_t i = 0; i < ops.size(); ++i) {
    const ir::Op& a = ops[i];
    if (a.code != ir::OpCode::kFor || !ProvenOneTrip(a) || HasMemoryWrites(a.regions[0])) continue;
    for (size_t j = i + 1; j < ops.size(); ++j) {
      const ir::Op& b = ops[j];
      if (b.code != ir::OpCode::kFor) {
        if (WritesMemory(b)) break;
        continue;
      }
      if (!ProvenOneTrip(b) || !SameRange(a, b)) {
        if (HasMemoryWrites(b.regions[0])) break;
        continue;
      }
      for (const ir::Op& v2 : b.regions[0].ops) {
        if (WritesMemory(v2)) break;
        if (v2.code != ir::OpCode::kLoad || v2.results.size() != 1 || reuse_.count(&v2) ||
            planned.count(&v2)) {
          continue;
        }
        const ValueFacts& f = an_->values[v2.results[0]];
        if (f.kind != ValueKind::kTile || f.staged_load) continue;
        preloads_[&a].push_back({&b, &v2});
        planned.insert(&v2);
      }
      if (HasMemoryWrites(b.regions[0])) break;
    }
  }
}

bool Lowering::ComputableEarly(ir::ValueId v, const ir::Op& loop, int depth) const {
  if (depth > kMaxCompareDepth) return false;
  if (v == loop.regions[0].args[0]) return true;  // defined by the caller
  const ValueFacts& f = an_->values[v];
  if (f.kind == ValueKind::kUniform) return values_[v].defined;
  if (f.kind != ValueKind::kPure || !f.def) return false;
  for (ir::ValueId o : f.def->operands) {
    if (!ComputableEarly(o, loop, depth + 1)) return false;
  }
  return true;
}

Status Lowering::IssuePreloads(const ir::Op& loop_a) {
  auto it = preloads_.find(&loop_a);
  if (it == preloads_.end()) return Status::Ok();
  for (const auto& [loop_b, v2] : it->second) {
    // B's lower bound too: the same computation as A's, but perhaps a value
    // defined between the loops.
    bool ready = ComputableEarly(loop_b->operands[0], *loop_b, 0);
    for (ir::ValueId o : v2->operands) ready = ready && ComputableEarly(o, *loop_b, 0);
    if (!ready) continue;
    code_.Comment("preloaded for a later walk");
    // B runs one trip from its lower bound, as A does.
    DefineUniform(loop_b->regions[0].args[0], Uniform(loop_b->operands[0]));
    HRT_RETURN_IF_ERROR(LowerOpOnce(*v2, 0));
    if (reuse_sources_.count(v2)) KeepValue(*v2);
    preloaded_.insert(v2);
  }
  return Status::Ok();
}

}  // namespace hrt::ptx
