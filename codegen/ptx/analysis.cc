#include "codegen/ptx/analysis.h"

#include <algorithm>
#include <map>
#include <string>

#include "codegen/ptx/types.h"

namespace hrt::ptx {
namespace {

using ir::OpClass;
using ir::OpCode;

constexpr int64_t kMaxLin = int64_t{1} << 24;

int32_t LinAdd(int32_t a, int32_t b, int sign) {
  if (a == kLinUnknown || b == kLinUnknown) return kLinUnknown;
  const int64_t r = int64_t{a} + sign * int64_t{b};
  return r > kMaxLin || r < -kMaxLin ? kLinUnknown : static_cast<int32_t>(r);
}

int32_t LinScale(int32_t a, int64_t k) {
  if (a == kLinUnknown) return kLinUnknown;
  if (k > kMaxLin || k < -kMaxLin) return a == 0 ? 0 : kLinUnknown;
  const int64_t r = int64_t{a} * k;
  return r > kMaxLin || r < -kMaxLin ? kLinUnknown : static_cast<int32_t>(r);
}

// Alignment facts stop here: a run of elements is at most 16 bytes of a
// 1-byte type, and larger powers of two prove nothing more.
constexpr int64_t kMaxAlign = int64_t{1} << 20;

// The largest power of two dividing |v| (kMaxAlign for 0).
int64_t Pow2Divisor(int64_t v) {
  if (v == 0) return kMaxAlign;
  const auto u = static_cast<uint64_t>(v);
  return std::min<int64_t>(kMaxAlign, static_cast<int64_t>(u & (~u + 1)));
}

int64_t Pow2Floor(int64_t v) {
  int64_t p = 1;
  while (p * 2 <= v) p *= 2;
  return p;
}

// Position of every op in a depth-first numbering, and each loop's extent,
// for the register estimate's live ranges.
struct OpPos {
  uint32_t pos = 0;
  uint32_t end = 0;  // kFor: the position after its body's last op
};

class Analyzer {
 public:
  Analyzer(const ir::BoundKernel& bk, uint32_t threads, bool wgmma, const Assumptions& assume)
      : bk_(bk), k_(bk.kernel) {
    an_.threads = threads;
    an_.wgmma = wgmma;
    an_.assume = assume;
    an_.values.resize(k_.values.size());
    uses_.assign(k_.values.size(), 0);
  }

  Result<Analysis> Run() {
    HRT_RETURN_IF_ERROR(Facts(k_.body, 0));
    VectorWidths(k_.body);
    Layouts(k_.body);
    StagedLoads(k_.body);
    Number(k_.body);
    EstimateRegisters();
    const std::vector<bool> coarse = CoarseValues(bk_);
    for (size_t v = 0; v < coarse.size(); ++v) an_.values[v].coarse = coarse[v];
    std::vector<uint8_t> uses(an_.values.size(), 0);  // bit 0: stored, bit 1: other use
    StoreUses(k_.body, &uses);
    for (size_t v = 0; v < uses.size(); ++v) an_.values[v].only_stored = uses[v] == 1;
    return std::move(an_);
  }

 private:
  Status Facts(const ir::Block& block, uint32_t depth);
  void FactsOfOp(const ir::Op& op);
  void AlignOfOp(const ir::Op& op);
  void StoreUses(const ir::Block& block, std::vector<uint8_t>* uses) const;
  void VectorWidths(const ir::Block& block);
  void Layouts(const ir::Block& block);
  void StagedLoads(const ir::Block& block);
  void Number(const ir::Block& block);
  void EstimateRegisters();
  Shape AccessShape(const ir::Op& op) const;

  const ir::Type& TypeOf(ir::ValueId v) const { return k_.values[v].type; }
  ValueFacts& F(ir::ValueId v) { return an_.values[v]; }
  bool Distributed(ir::ValueId v) const {
    const ValueKind kind = an_.values[v].kind;
    return kind == ValueKind::kTile || kind == ValueKind::kView;
  }
  // Lin of operand |v| along dim |d| of a result of rank |rank|
  // (right-aligned broadcasting).
  int32_t LinAt(ir::ValueId v, uint32_t rank, uint32_t d) const {
    const ir::Type& t = k_.values[v].type;
    if (t.rank == 0) return 0;
    const int64_t i = int64_t{d} - (int64_t{rank} - t.rank);
    if (i < 0) return 0;
    if (t.dims[static_cast<size_t>(i)].value == 1) return 0;
    return an_.values[v].lin[static_cast<size_t>(i)];
  }

  const ir::BoundKernel& bk_;
  const ir::Kernel& k_;
  Analysis an_;
  std::vector<uint32_t> uses_;
  std::map<const ir::Op*, OpPos> pos_;
  uint32_t next_pos_ = 0;
  // (def position, last use position, words) for each register-held tile.
  struct Range {
    uint32_t def = 0, last = 0;
    int64_t words = 0;
  };
  std::vector<Range> ranges_;
};

Status Analyzer::Facts(const ir::Block& block, uint32_t depth) {
  if (depth > 64) return Internal("loops nested too deeply");
  for (const ir::Op& op : block.ops) {
    for (ir::ValueId v : op.operands) {
      if (v >= uses_.size()) return Internal("operand out of range");
      ++uses_[v];
    }
    for (ir::ValueId r : op.results) {
      if (r >= an_.values.size()) return Internal("result out of range");
      F(r).def = &op;
    }
    if (op.code == OpCode::kFor) {
      if (op.regions.size() != 1) return Internal("malformed loop");
      const ir::Block& body = op.regions[0];
      for (size_t j = 0; j < body.args.size(); ++j) {
        const ir::ValueId a = body.args[j];
        if (a >= an_.values.size()) return Internal("loop argument out of range");
        ValueFacts& f = F(a);
        f.def = nullptr;
        f.kind = TypeOf(a).rank == 0 ? ValueKind::kUniform : ValueKind::kTile;
        f.lin.fill(kLinUnknown);
        for (uint32_t d = 0; d < TypeOf(a).rank; ++d) {
          if (TypeOf(a).dims[d].value == 1) f.lin[d] = 0;
        }
        f.align = 1;
      }
      // The counter takes lo, lo + step, ...: multiples of what divides both.
      if (!body.args.empty() && op.operands.size() >= 3) {
        F(body.args[0]).align = std::min(F(op.operands[0]).align, F(op.operands[2]).align);
      }
      HRT_RETURN_IF_ERROR(Facts(body, depth + 1));
    }
    FactsOfOp(op);
    AlignOfOp(op);
  }
  return Status::Ok();
}

void Analyzer::StoreUses(const ir::Block& block, std::vector<uint8_t>* uses) const {
  for (const ir::Op& op : block.ops) {
    for (size_t i = 0; i < op.operands.size(); ++i) {
      const ir::ValueId v = op.operands[i];
      if (v >= uses->size()) continue;
      const bool stored = op.code == OpCode::kStore && !op.ints.empty() && op.ints[0] >= 0 &&
                          static_cast<size_t>(op.ints[0]) < k_.params.size() &&
                          i == k_.params[static_cast<size_t>(op.ints[0])].rank;
      (*uses)[v] |= stored ? 1 : 2;
    }
    for (const ir::Block& r : op.regions) StoreUses(r, uses);
  }
}

void Analyzer::AlignOfOp(const ir::Op& op) {
  for (ir::ValueId r : op.results) F(r).align = 1;
  if (op.results.size() != 1) return;
  const ir::ValueId r = op.results[0];
  const ir::DType et = DTypeOf(bk_, TypeOf(r).elem);
  if (et != ir::DType::kI32 && et != ir::DType::kI64) return;
  auto align = [&](size_t i) { return F(op.operands[i]).align; };
  int64_t a = 1;
  switch (op.code) {
    case OpCode::kIota:
      a = kMaxAlign;  // value = coordinate: nothing beyond lin
      break;
    case OpCode::kConst:
      if (!op.ints.empty()) a = Pow2Divisor(ir::WrapToInt(et, op.ints[0]));
      break;
    case OpCode::kSym:
      if (op.ints.size() == 2 && op.ints[0] == 1) {
        a = F(r).is_const ? Pow2Divisor(F(r).const_value) : 1;
      } else if (op.ints.size() == 2 && op.ints[0] == 0 && op.ints[1] >= 0 &&
                 AssumedDiv16(an_.assume, static_cast<uint32_t>(op.ints[1]))) {
        a = 16;
      }
      break;
    case OpCode::kAdd:
    case OpCode::kSub: a = std::min(align(0), align(1)); break;
    case OpCode::kMul:
      // Exact only when one side is a compile-time constant (lin scales).
      if (F(op.operands[1]).is_const) {
        a = std::min(kMaxAlign, align(0) * Pow2Divisor(F(op.operands[1]).const_value));
      } else if (F(op.operands[0]).is_const) {
        a = std::min(kMaxAlign, align(1) * Pow2Divisor(F(op.operands[0]).const_value));
      } else if (TypeOf(r).rank == 0) {
        a = std::min(kMaxAlign, align(0) * align(1));
      }
      break;
    case OpCode::kCast:
    case OpCode::kBroadcast:
    case OpCode::kExpandDims:
    case OpCode::kTranspose:
    case OpCode::kReshape: {
      // The same values, rearranged (lin follows them, or is unknown).
      const ir::DType from = DTypeOf(bk_, TypeOf(op.operands[0]).elem);
      if (from == ir::DType::kI32 || from == ir::DType::kI64) a = align(0);
      break;
    }
    default: break;
  }
  F(r).align = std::max<int64_t>(1, a);
}

void Analyzer::FactsOfOp(const ir::Op& op) {
  const ir::OpInfo* info = ir::GetOpInfo(op.code);
  for (ir::ValueId r : op.results) {
    ValueFacts& f = F(r);
    const ir::Type& t = TypeOf(r);
    f.lin.fill(kLinUnknown);
    for (uint32_t d = 0; d < t.rank; ++d) {
      if (t.dims[d].value == 1) f.lin[d] = 0;
    }
    if (t.rank == 0) {
      f.kind = ValueKind::kUniform;
      continue;
    }
    f.kind = ValueKind::kTile;
  }
  if (op.results.size() != 1 || !info) return;
  const ir::ValueId r = op.results[0];
  ValueFacts& f = F(r);
  const ir::Type& t = TypeOf(r);
  const uint32_t rank = t.rank;

  if (rank == 0) {
    // Compile-time integer scalars, for the index analysis.
    if (op.code == OpCode::kConst && !ir::IsFloat(DTypeOf(bk_, op.elem)) && !op.ints.empty()) {
      f.is_const = true;
      f.const_value = ir::WrapToInt(DTypeOf(bk_, op.elem), op.ints[0]);
    } else if (op.code == OpCode::kSym && op.ints.size() == 2 && op.ints[0] == 1 &&
               op.ints[1] >= 0 && static_cast<size_t>(op.ints[1]) < bk_.tunable_values.size()) {
      f.is_const = true;
      f.const_value = ir::WrapToInt(ir::DType::kI32, bk_.tunable_values[op.ints[1]]);
    } else if ((op.code == OpCode::kAdd || op.code == OpCode::kSub || op.code == OpCode::kMul) &&
               op.operands.size() == 2 && F(op.operands[0]).is_const &&
               F(op.operands[1]).is_const && DTypeOf(bk_, t.elem) == ir::DType::kI32) {
      const auto a = static_cast<uint64_t>(F(op.operands[0]).const_value);
      const auto b = static_cast<uint64_t>(F(op.operands[1]).const_value);
      const uint64_t v = op.code == OpCode::kAdd ? a + b : op.code == OpCode::kSub ? a - b : a * b;
      f.is_const = true;
      f.const_value = ir::WrapToInt(ir::DType::kI32, static_cast<int64_t>(v));
    }
    return;
  }

  bool all_pure = true;       // every operand uniform or pure
  bool any_view_src = false;  // a shape op over a distributed value
  for (ir::ValueId v : op.operands) {
    const ValueKind kind = F(v).kind;
    if (kind == ValueKind::kTile || kind == ValueKind::kView) all_pure = false;
    if (kind == ValueKind::kTile || kind == ValueKind::kView) any_view_src = true;
  }

  switch (info->cls) {
    case OpClass::kLeaf:  // iota
      f.kind = ValueKind::kPure;
      f.lin[0] = 1;
      return;
    case OpClass::kShape: {
      f.kind = any_view_src ? ValueKind::kView : ValueKind::kPure;
      const ir::ValueId x = op.operands[0];
      const ir::Type& xt = TypeOf(x);
      if (op.code == OpCode::kBroadcast) {
        for (uint32_t d = 0; d < rank; ++d) f.lin[d] = LinAt(x, rank, d);
      } else if (op.code == OpCode::kExpandDims) {
        const auto axis = static_cast<uint32_t>(op.ints[0]);
        for (uint32_t d = 0, s = 0; d < rank; ++d) {
          f.lin[d] = d == axis ? 0 : F(x).lin[s++];
        }
      } else if (op.code == OpCode::kTranspose) {
        for (uint32_t d = 0; d < rank; ++d) f.lin[d] = F(x).lin[static_cast<size_t>(op.ints[d])];
      } else {  // kReshape: follow the dims that are not 1 when both sides agree on them
        std::vector<uint32_t> src, dst;
        for (uint32_t d = 0; d < xt.rank; ++d) {
          if (xt.dims[d].value != 1) src.push_back(d);
        }
        for (uint32_t d = 0; d < rank; ++d) {
          if (t.dims[d].value != 1) dst.push_back(d);
        }
        bool same = src.size() == dst.size();
        for (size_t i = 0; same && i < src.size(); ++i) {
          same = xt.dims[src[i]].value == t.dims[dst[i]].value;
        }
        bool all_zero = true;
        for (uint32_t d = 0; d < xt.rank; ++d) all_zero = all_zero && F(x).lin[d] == 0;
        for (uint32_t d = 0; d < rank; ++d) {
          if (t.dims[d].value == 1 || all_zero) f.lin[d] = 0;
        }
        if (same) {
          for (size_t i = 0; i < src.size(); ++i) f.lin[dst[i]] = F(x).lin[src[i]];
        }
      }
      return;
    }
    case OpClass::kBinary:
    case OpClass::kCompare:
    case OpClass::kUnary:
    case OpClass::kSelect:
    case OpClass::kCast: {
      f.kind = all_pure ? ValueKind::kPure : ValueKind::kTile;
      for (uint32_t d = 0; d < rank; ++d) {
        if (t.dims[d].value == 1) {
          f.lin[d] = 0;
          continue;
        }
        int32_t lin = kLinUnknown;
        if (op.code == OpCode::kAdd || op.code == OpCode::kSub) {
          lin = LinAdd(LinAt(op.operands[0], rank, d), LinAt(op.operands[1], rank, d),
                       op.code == OpCode::kAdd ? 1 : -1);
        } else if (op.code == OpCode::kMul) {
          const ir::ValueId a = op.operands[0], b = op.operands[1];
          const int32_t la = LinAt(a, rank, d), lb = LinAt(b, rank, d);
          if (F(b).is_const) {
            lin = LinScale(la, F(b).const_value);
          } else if (F(a).is_const) {
            lin = LinScale(lb, F(a).const_value);
          } else if (la == 0 && lb == 0) {
            lin = 0;
          }
        } else if (op.code == OpCode::kCast) {
          const ir::DType from = DTypeOf(bk_, TypeOf(op.operands[0]).elem);
          const ir::DType to = DTypeOf(bk_, t.elem);
          const int32_t lx = LinAt(op.operands[0], rank, d);
          const bool widening_int = ir::IsInteger(from) && from != ir::DType::kBool &&
                                    (to == ir::DType::kI32 || to == ir::DType::kI64) &&
                                    ir::DTypeSize(to) >= ir::DTypeSize(from);
          lin = widening_int || lx == 0 ? lx : kLinUnknown;
        } else {
          bool zero = true;
          for (ir::ValueId v : op.operands) zero = zero && LinAt(v, rank, d) == 0;
          lin = zero ? 0 : kLinUnknown;
        }
        f.lin[d] = lin;
      }
      return;
    }
    default:  // loads, reductions, dots, loop results: registers, unknown lin
      f.kind = ValueKind::kTile;
      return;
  }
}

Shape Analyzer::AccessShape(const ir::Op& op) const {
  if (op.code == OpCode::kLoad) return ShapeOf(TypeOf(op.results[0]));
  Shape s;
  for (ir::ValueId v : op.operands) {
    const ir::Type& t = TypeOf(v);
    if (t.rank > s.rank) {
      Shape grown;
      grown.rank = t.rank;
      for (uint32_t i = 0; i < t.rank; ++i) grown.dims[i] = 1;
      for (uint32_t i = 0; i < s.rank; ++i) grown.dims[t.rank - s.rank + i] = s.dims[i];
      s = grown;
    }
    for (uint32_t i = 0; i < t.rank; ++i) {
      int64_t& d = s.dims[s.rank - t.rank + i];
      if (d == 1) d = t.dims[i].value;
    }
  }
  return s;
}

void Analyzer::VectorWidths(const ir::Block& block) {
  for (const ir::Op& op : block.ops) {
    for (const ir::Block& r : op.regions) VectorWidths(r);
    if (ir::GetOpInfo(op.code)->cls != OpClass::kMemory || op.ints.empty()) continue;
    const Shape s = AccessShape(op);
    if (s.rank == 0) continue;
    const ir::Param& p = k_.params[static_cast<size_t>(op.ints[0])];
    const int64_t want = 16 / ir::DTypeSize(DTypeOf(bk_, p.elem));
    bool found = false;
    for (auto& [shape, w] : an_.vector_widths) {
      if (shape == s) {
        w = std::max(w, want);
        found = true;
      }
    }
    if (!found) an_.vector_widths.emplace_back(s, want);
  }
}

void Analyzer::Layouts(const ir::Block& block) {
  for (const ir::Op& op : block.ops) {
    const ir::OpInfo* info = ir::GetOpInfo(op.code);
    if (op.code == OpCode::kFor) {
      const ir::Block& body = op.regions[0];
      const size_t n = op.results.size();
      std::vector<LayoutId> carried(n, kNoLayout);
      for (size_t j = 0; j < n; ++j) {
        if (F(op.results[j]).kind != ValueKind::kTile) continue;
        const ir::ValueId init = op.operands[3 + j];
        carried[j] = F(init).kind == ValueKind::kTile
                         ? F(init).layout
                         : an_.Canonical(ShapeOf(TypeOf(op.results[j])));
      }
      // Loop values live in the layout their yields produce, so the body
      // never converts them; iterate until that is stable (a dot in the
      // body turns the carried accumulator into an mma layout).
      for (int iter = 0; iter < 4; ++iter) {
        for (size_t j = 0; j < n; ++j) F(body.args[1 + j]).layout = carried[j];
        Layouts(body);
        bool changed = false;
        const ir::Op& yield = body.ops.back();
        for (size_t j = 0; j < n && j < yield.operands.size(); ++j) {
          if (carried[j] == kNoLayout) continue;
          const ValueFacts& y = F(yield.operands[j]);
          if (y.kind == ValueKind::kTile && y.layout != carried[j]) {
            carried[j] = y.layout;
            changed = true;
          }
        }
        if (!changed) break;
      }
      for (size_t j = 0; j < n; ++j) F(op.results[j]).layout = carried[j];
      continue;
    }
    if (op.results.size() != 1 || !info) continue;
    ValueFacts& f = F(op.results[0]);
    if (f.kind != ValueKind::kTile) continue;
    const Shape shape = ShapeOf(TypeOf(op.results[0]));
    if (op.code == OpCode::kDot) {
      const ir::Type& a = TypeOf(op.operands[0]);
      f.layout = an_.DotLayout(shape, DTypeOf(bk_, a.elem), a.dims[1].value);
      continue;
    }
    f.layout = an_.Canonical(shape);
    if (op.code == OpCode::kLoad || info->cls == OpClass::kReduce) continue;
    // Elementwise: stay in an operand's mma layout rather than moving the
    // accumulator.
    for (ir::ValueId v : op.operands) {
      const ValueFacts& o = F(v);
      if (o.kind == ValueKind::kTile && ShapeOf(TypeOf(v)) == shape &&
          an_.layouts.Get(o.layout).kind == Layout::Kind::kMma) {
        f.layout = o.layout;
        break;
      }
    }
  }
}

void Analyzer::StagedLoads(const ir::Block& block) {
  for (size_t i = 0; i < block.ops.size(); ++i) {
    const ir::Op& op = block.ops[i];
    for (const ir::Block& r : op.regions) StagedLoads(r);
    if (op.code != OpCode::kDot) continue;
    for (size_t o = 0; o < 2; ++o) {
      const ir::ValueId v = op.operands[o];
      if (uses_[v] != 1 || F(v).kind != ValueKind::kTile) continue;
      // The load must sit in this block with no memory writes (or loops,
      // which may hold some) between it and the dot.
      for (size_t j = i; j-- > 0;) {
        const ir::Op& prev = block.ops[j];
        if (prev.code == OpCode::kLoad && !prev.results.empty() && prev.results[0] == v) {
          F(v).staged_load = true;
          break;
        }
        if (prev.code == OpCode::kStore || prev.code == OpCode::kAtomicAdd ||
            prev.code == OpCode::kFor) {
          break;
        }
      }
    }
  }
}

void Analyzer::Number(const ir::Block& block) {
  for (const ir::Op& op : block.ops) {
    OpPos& p = pos_[&op];
    p.pos = next_pos_++;
    for (const ir::Block& r : op.regions) Number(r);
    p.end = next_pos_++;
  }
}

void Analyzer::EstimateRegisters() {
  // Live range of every register-held tile: from its definition to its last
  // use, a use inside a loop that does not contain the definition lasting
  // to that loop's end (the value is needed on every iteration).
  std::vector<int64_t> def_pos(k_.values.size(), -1), last(k_.values.size(), -1);
  struct Frame {
    const ir::Block* block;
    uint32_t end;
  };
  std::vector<Frame> loops;
  std::vector<int32_t> def_depth(k_.values.size(), 0);
  auto visit = [&](auto&& self, const ir::Block& block) -> void {
    for (const ir::Op& op : block.ops) {
      const OpPos& p = pos_[&op];
      for (ir::ValueId v : op.operands) {
        int64_t at = p.pos;
        // The outermost loop around this use that does not hold the def.
        for (size_t l = static_cast<size_t>(def_depth[v]); l < loops.size(); ++l) {
          at = std::max<int64_t>(at, loops[l].end);
          break;
        }
        last[v] = std::max(last[v], at);
      }
      if (op.code == OpCode::kFor) {
        loops.push_back({&op.regions[0], p.end});
        for (ir::ValueId a : op.regions[0].args) {
          def_pos[a] = p.pos;
          def_depth[a] = static_cast<int32_t>(loops.size());
        }
        self(self, op.regions[0]);
        loops.pop_back();
      }
      for (ir::ValueId r : op.results) {
        def_pos[r] = op.code == OpCode::kFor ? p.end : p.pos;
        def_depth[r] = static_cast<int32_t>(loops.size());
        if (op.code == OpCode::kFor) last[r] = std::max<int64_t>(last[r], p.end);
      }
    }
  };
  visit(visit, k_.body);

  std::vector<std::pair<int64_t, int64_t>> events;  // (position, +/- words)
  for (size_t v = 0; v < k_.values.size(); ++v) {
    const ValueFacts& f = an_.values[v];
    if (f.kind != ValueKind::kTile || f.staged_load || f.layout == kNoLayout || def_pos[v] < 0) {
      continue;
    }
    const Repr repr = ReprOf(DTypeOf(bk_, TypeOf(static_cast<ir::ValueId>(v)).elem));
    const int64_t words = an_.layouts.Get(f.layout).slots * (repr == Repr::kI64 ? 2 : 1);
    // Half-open: a value whose last use is the op defining another gives
    // its registers to it (an accumulator updated in place).
    const int64_t end = std::max(last[v], def_pos[v] + 1);
    events.emplace_back(def_pos[v], words);
    events.emplace_back(end, -words);
  }
  std::sort(events.begin(), events.end());
  int64_t live = 0, peak = 0;
  for (const auto& [at, delta] : events) {
    live += delta;
    peak = std::max(peak, live);
  }
  // Indices, masks, addresses and loop counters on top of the tiles.
  constexpr int64_t kOverhead = 24;
  const int64_t total = peak + kOverhead;
  an_.estimated_registers = static_cast<uint32_t>(std::min<int64_t>(total, 1 << 30));
}

}  // namespace

Shape ShapeOf(const ir::Type& type) {
  Shape s;
  s.rank = type.rank;
  for (uint32_t i = 0; i < type.rank; ++i) s.dims[i] = type.dims[i].value;
  return s;
}

ir::DType DTypeOf(const ir::BoundKernel& kernel, ir::Elem elem) {
  if (elem.is_param()) {
    const uint32_t i = elem.param_index();
    return i < kernel.dtype_values.size() ? kernel.dtype_values[i] : ir::DType::kF32;
  }
  return elem.is_valid_concrete() ? elem.dtype() : ir::DType::kF32;
}

bool UsesMma(const Shape& acc_shape, ir::DType dtype, int64_t k_dim, uint32_t threads) {
  if (dtype != ir::DType::kF16 && dtype != ir::DType::kBF16) return false;
  if (k_dim % 16 != 0) return false;
  return MakeMma(acc_shape, threads).has_value();
}

LayoutId Analysis::Canonical(const Shape& shape) {
  int64_t vec = 0;
  for (const auto& [s, w] : vector_widths) {
    if (s == shape) vec = w;
  }
  const int64_t per_thread = std::max<int64_t>(1, shape.numel() / threads);
  if (vec == 0) vec = 4;
  vec = std::min(Pow2Floor(vec), Pow2Floor(per_thread));
  return layouts.Add(MakeBlocked(shape, threads, vec));
}

bool WgmmaShape(const Shape& acc_shape, ir::DType dtype, int64_t k_dim, uint32_t threads) {
  if (dtype != ir::DType::kF16 && dtype != ir::DType::kBF16) return false;
  if (acc_shape.rank != 2 || threads % 128 != 0) return false;
  const int64_t m = acc_shape.dims[0], n = acc_shape.dims[1];
  return m == 16 * int64_t{threads / 32} && k_dim == 64 && n % 64 == 0 && n <= 256;
}

LayoutId Analysis::DotLayout(const Shape& shape, ir::DType dtype, int64_t k_dim) {
  if (wgmma && WgmmaShape(shape, dtype, k_dim, threads)) {
    // Every warp along M (see layout.h); mma.sync can use it too, should the
    // dot not be pipelined after all.
    return layouts.Add(*MakeMma(shape, threads, threads / 32));
  }
  if (UsesMma(shape, dtype, k_dim, threads)) return layouts.Add(*MakeMma(shape, threads));
  return Canonical(shape);
}

int32_t LinAlong(const Analysis& an, const ir::Kernel& kernel, ir::ValueId v, uint32_t rank,
                 uint32_t d) {
  const ir::Type& t = kernel.values[v].type;
  if (t.rank == 0) return 0;
  const int64_t i = int64_t{d} - (int64_t{rank} - t.rank);
  if (i < 0) return 0;
  if (t.dims[static_cast<size_t>(i)].value == 1) return 0;
  return an.values[v].lin[static_cast<size_t>(i)];
}

bool WritesMemory(const ir::Op& op) {
  if (op.code == ir::OpCode::kStore || op.code == ir::OpCode::kAtomicAdd) return true;
  for (const ir::Block& r : op.regions) {
    if (HasMemoryWrites(r)) return true;
  }
  return false;
}

bool HasMemoryWrites(const ir::Block& block) {
  for (const ir::Op& op : block.ops) {
    if (WritesMemory(op)) return true;
  }
  return false;
}

bool GroupAligned(const Analysis& an, const ir::Kernel& kernel, ir::ValueId v, uint32_t rank,
                  int64_t group) {
  if (group <= 1) return true;
  for (uint32_t d = 0; d < rank; ++d) {
    const int32_t lin = LinAlong(an, kernel, v, rank, d);
    if (lin == kLinUnknown) return false;
    // Along the last dim a run starts at a multiple of |group|, so any lin
    // keeps lin * coordinate a multiple of it.
    if (d + 1 < rank && lin % group != 0) return false;
  }
  return an.values[v].align % group == 0;
}

Result<Analysis> Analyze(const ir::BoundKernel& kernel, uint32_t threads, bool wgmma,
                         const Assumptions& assume) {
  Analyzer a(kernel, threads, wgmma, assume);
  return a.Run();
}

}  // namespace hrt::ptx
