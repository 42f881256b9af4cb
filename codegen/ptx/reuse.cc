// Values a later loop recomputes. Row kernels walk a row in BLOCK_N chunks
// to reduce it, then walk it again (same range, same step) to write the
// result, loading the same elements a second time (layer_norm: a third) and
// often recomputing what the first walk computed from them (softmax: exp(x -
// max)). When the row fits in one chunk, the first walk ran a single trip
// and its registers still hold exactly those values, so the second walk's
// single trip takes them instead: the row is read from memory once and each
// exp is computed once.
//
// Planned before lowering: an op V2 at the top level of loop B reuses an op
// V1 at the top level of an earlier sibling loop A when
//   * A and B have the same bounds and step (so a single trip of A means a
//     single trip of B, at the same induction value);
//   * V1 and V2 compute the same thing (same op, attributes and layout, and
//     operands computed the same way, compared structurally: A's induction
//     variable stands for B's, and a result of A for the value A's body
//     yields for it, which is what it is after a single trip);
//   * nothing writes memory in A, between A and B, or in B before V2, so
//     loaded registers cannot be stale whatever the tensors alias.
// V2 is a load or a transcendental (see MatchValues for why not arithmetic).
// B is lowered twice: the copy taken when it runs a single trip defines V2
// as V1's kept registers (no instructions; what only fed V2 is left dead for
// ptxas to drop); the other copy computes as before. One runtime test picks
// the copy. Two copies rather than a branch around each reuse: ptxas
// allocates registers for the worst path, and a reload path inside the
// single-trip code cost ~30 registers per thread (rms_norm, BLOCK_N=8192
// WARPS=16: 106 against 73), halving the resident blocks.
//
// V1's value is moved into registers of its own after every lowering of V1
// (A itself may be lowered twice, or V1's registers may be a carried
// value's, which the yield overwrites); ptxas coalesces the moves.
#include "codegen/ir/verifier.h"
#include "codegen/ptx/lowering.h"

namespace hrt::ptx {
bool Lowering::SameComputation(ir::ValueId x, ir::ValueId y, const ir::Op* loop_a,
                               const ir::Op* loop_b, int depth) const {
  if (x == y) return true;  // one value, defined outside both loops
  if (depth > kMaxCompareDepth) return false;
  if (loop_a && loop_b && x == loop_a->regions[0].args[0] && y == loop_b->regions[0].args[0]) {
    return true;
  }
  const ir::Op* dx = an_->values[x].def;
  const ir::Op* dy = an_->values[y].def;
  if (loop_a && dy == loop_a) {
    // After A's single trip, its result j is what the body yielded for it.
    const ir::Op& yield = loop_a->regions[0].ops.back();
    for (size_t j = 0; j < loop_a->results.size(); ++j) {
      if (loop_a->results[j] == y && j < yield.operands.size()) {
        return SameComputation(x, yield.operands[j], loop_a, loop_b, depth + 1);
      }
    }
    return false;
  }
  if (!dx || !dy || dx == dy) return false;  // carried values, or two results of one op
  if (dx->code != dy->code || dx->ints != dy->ints || dx->fval != dy->fval ||
      dx->elem != dy->elem || dx->shape != dy->shape || !dx->regions.empty() ||
      !dy->regions.empty() || dx->results.size() != 1 || dy->results.size() != 1 ||
      dx->operands.size() != dy->operands.size() || TypeOf(x) != TypeOf(y)) {
    return false;
  }
  // A load among the indices reads memory that nothing writes (the caller
  // checked), so equal operands give equal values.
  for (size_t i = 0; i < dx->operands.size(); ++i) {
    if (!SameComputation(dx->operands[i], dy->operands[i], loop_a, loop_b, depth + 1)) {
      return false;
    }
  }
  return true;
}

bool Lowering::SameRange(const ir::Op& a, const ir::Op& b) const {
  for (size_t o = 0; o < 3; ++o) {
    if (!SameComputation(a.operands[o], b.operands[o], nullptr, nullptr, 0)) return false;
  }
  return true;
}

void Lowering::PlanReuse(const ir::Block& block, uint32_t depth) {
  if (depth > ir::kMaxLoopDepth) return;
  const std::vector<ir::Op>& ops = block.ops;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].code != ir::OpCode::kFor) continue;
    PlanReuse(ops[i].regions[0], depth + 1);
    const ir::Op& a = ops[i];
    if (HasMemoryWrites(a.regions[0])) continue;
    for (size_t j = i + 1; j < ops.size(); ++j) {
      const ir::Op& b = ops[j];
      if (b.code == ir::OpCode::kFor) {
        if (SameRange(a, b)) MatchValues(a, b);
        if (HasMemoryWrites(b.regions[0])) break;  // later loops may see new data
      } else if (WritesMemory(b)) {
        break;
      }
    }
  }
}

void Lowering::MatchValues(const ir::Op& loop_a, const ir::Op& loop_b) {
  // A pipelined loop's prologue and ring state are planned for one copy.
  if (pipelines_.count(&loop_b)) return;
  // Loads (memory traffic) and transcendentals (a dozen instructions, or a
  // MUFU op) are worth registers held across the loops; arithmetic and casts
  // are cheaper to recompute from them than f32 registers kept alive
  // (layer_norm kept x - mean and went from 12 to 64 bytes of spills).
  auto reusable = [&](const ir::Op& op) {
    if (!op.regions.empty() || op.results.size() != 1) return false;
    const bool costly = op.code == ir::OpCode::kLoad ||
                        (op.code >= ir::OpCode::kExp && op.code <= ir::OpCode::kErf);
    const ValueFacts& f = an_->values[op.results[0]];
    return costly && f.kind == ValueKind::kTile && !f.staged_load;
  };
  for (const ir::Op& v2 : loop_b.regions[0].ops) {
    if (WritesMemory(v2)) return;
    if (!reusable(v2) || reuse_.count(&v2)) continue;
    const ir::ValueId r2 = v2.results[0];
    for (const ir::Op& v1 : loop_a.regions[0].ops) {
      if (v1.code != v2.code || !reusable(v1)) continue;
      const ir::ValueId r1 = v1.results[0];
      if (an_->values[r1].layout != an_->values[r2].layout) continue;
      if (SameComputation(r1, r2, &loop_a, &loop_b, 0)) {
        // Chains (a third loop matching the second's value) point at the
        // first loop's op, whose kept registers are defined when it runs.
        auto chained = reuse_.find(&v1);
        reuse_[&v2] = Reuse{chained == reuse_.end() ? &v1 : chained->second.source, &loop_b};
        reuse_sources_.insert(reuse_[&v2].source);
        reuse_loops_.insert(&loop_b);
        break;
      }
    }
  }
}

bool Lowering::ReuseValue(const ir::Op& op) {
  auto it = reuse_.find(&op);
  if (it == reuse_.end() || !single_trip_copies_.count(it->second.loop)) return false;
  auto kept = kept_values_.find(it->second.source);
  if (kept == kept_values_.end()) return false;  // the source was not kept: compute
  Vals vals(kept->second.size());
  for (size_t s = 0; s < vals.size(); ++s) vals[s] = Val::Of(kept->second[s]);
  const ir::ValueId r = op.results[0];
  return DefineTile(r, an_->values[r].layout, vals).ok();
}

void Lowering::KeepValue(const ir::Op& op) {
  const ir::ValueId r = op.results[0];
  const ValueState& st = values_[r];
  if (st.tile < 0) return;
  const Vals& vals = tiles_[static_cast<size_t>(st.tile)].vals;
  const Repr repr = ReprOfValue(r);
  auto [it, fresh] = kept_values_.try_emplace(&op);
  if (fresh) it->second = code_.NewRegs(RegClassOf(repr), vals.size());
  if (it->second.size() != vals.size()) {
    kept_values_.erase(it);  // cannot happen for one op; never reuse then
    return;
  }
  for (size_t s = 0; s < vals.size(); ++s) {
    code_.Ins(MovFor(repr), {it->second[s], O(vals[s], repr)});
  }
}

Status Lowering::LowerForTwice(const ir::Op& loop, uint32_t depth) {
  // One trip when iv = lo is already at the continue limit. Both copies are
  // lowered in scopes of their own: nothing one computes is reused by the
  // other or after the join.
  const Val lo = Uniform(loop.operands[0]);
  const Val limit = LoopLimit(Uniform(loop.operands[1]), Uniform(loop.operands[2]));
  const Reg multi = NewReg(Repr::kPred);
  code_.Ins("setp.lt.s32", {multi, ToReg(lo, Repr::kI32), O(limit, Repr::kI32)});
  const uint32_t plain = code_.NewLabel(), join = code_.NewLabel();
  code_.BranchIf(multi, false, plain, true);

  size_t loads = 0, others = 0;
  for (const auto& [op, r] : reuse_) {
    if (r.loop == &loop) ++(op->code == ir::OpCode::kLoad ? loads : others);
  }
  code_.Comment("single-trip copy: " + std::to_string(loads) + " load(s) and " +
                std::to_string(others) + " other value(s) reuse an earlier loop's registers");
  thread_.memo.emplace_back();
  thread_.cse.emplace_back();
  single_trip_copies_.insert(&loop);
  Status st = LowerLoop(loop, depth);
  single_trip_copies_.erase(&loop);
  thread_.memo.pop_back();
  thread_.cse.pop_back();
  HRT_RETURN_IF_ERROR(st);
  // The loop's results, as the single-trip copy left them; the plain copy
  // moves its own into the same registers.
  std::vector<ValueState> results;
  for (ir::ValueId r : loop.results) results.push_back(values_[r]);
  code_.Branch(join, true);

  code_.Label(plain);
  thread_.memo.emplace_back();
  thread_.cse.emplace_back();
  st = LowerLoop(loop, depth);
  thread_.memo.pop_back();
  thread_.cse.pop_back();
  HRT_RETURN_IF_ERROR(st);
  for (size_t j = 0; j < loop.results.size(); ++j) {
    const ir::ValueId r = loop.results[j];
    const ValueState& from = values_[r];
    const ValueState& to = results[j];
    const Repr repr = ReprOfValue(r);
    if (to.tile < 0) {
      if (!to.uniform.is_plain() || !from.uniform.is_plain()) {
        return Internal("loop result is not in a register");
      }
      code_.Ins(MovFor(repr), {to.uniform.reg, from.uniform.reg});
      continue;
    }
    const Vals& dst = tiles_[static_cast<size_t>(to.tile)].vals;
    const Vals& src = tiles_[static_cast<size_t>(from.tile)].vals;
    if (dst.size() != src.size()) return Internal("loop result layouts differ between copies");
    for (size_t s = 0; s < dst.size(); ++s) {
      if (!dst[s].is_plain() || !src[s].is_plain()) {
        return Internal("loop result is not in registers");
      }
      code_.Ins(MovFor(repr), {dst[s].reg, src[s].reg});
    }
  }
  code_.Label(join);
  for (size_t j = 0; j < loop.results.size(); ++j) values_[loop.results[j]] = results[j];
  MarkAllDirty();
  return Status::Ok();
}

}  // namespace hrt::ptx
