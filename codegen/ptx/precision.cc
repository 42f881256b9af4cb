// Which float values only ever reach memory rounded to 16 bits. Such a value
// may be computed with a relative error around 1e-6 instead of a few f32 ulp:
// an f16 ulp is 1e-3 and a bf16 ulp 8e-3 of the value, so the final rounding
// dominates by two to three orders of magnitude. The lowering uses it for
// exp, whose accurate sequence (math.cc) costs eight instructions against
// two for ex2.approx.ftz(x * log2(e)) (error ~|x| * 2^-24 relative, results
// below 2^-126 flushed to 0): softmax and silu_mul compute one exp per
// element, and at those rates issue slots, not bandwidth, bound the kernel.
// Coarse add, sub and mul also drop .rn, so ptxas may fuse them into fma.
//
// A value is coarse when every use of it is one of
//   * float arithmetic (add sub mul div max min neg abs sqrt rsqrt), a cast to a float
//     type, the data of a select, a sum/max/min reduction or a shape op,
//     whose result is itself coarse;
//   * a loop's init or yield, whose body argument and loop result are coarse;
//   * the value stored by a store into an f16 or bf16 tensor.
// Anything else (a comparison, an index, a mask, an integer cast, an f32
// store, a dot, a transcendental) needs the accurate value. Loops make the
// use graph cyclic, so this is a greatest fixed point: start from "coarse"
// for every float value and clear values until nothing changes.
#include <map>

#include "codegen/ptx/analysis.h"

namespace hrt::ptx {
namespace {

using ir::OpCode;

struct Use {
  const ir::Op* op;
  size_t operand;
};

class Precision {
 public:
  explicit Precision(const ir::BoundKernel& bk) : bk_(bk), k_(bk.kernel) {
    uses_.resize(k_.values.size());
    Collect(k_.body, nullptr);
  }

  std::vector<bool> Run() {
    std::vector<bool> coarse(k_.values.size(), false);
    for (size_t v = 0; v < coarse.size(); ++v) {
      coarse[v] = ir::IsFloat(DTypeOf(bk_, k_.values[v].type.elem));
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t v = 0; v < coarse.size(); ++v) {
        if (!coarse[v]) continue;
        for (const Use& u : uses_[v]) {
          if (!Tolerates(u, coarse)) {
            coarse[v] = false;
            changed = true;
            break;
          }
        }
      }
    }
    return coarse;
  }

 private:
  void Collect(const ir::Block& block, const ir::Op* loop) {
    for (const ir::Op& op : block.ops) {
      for (size_t i = 0; i < op.operands.size(); ++i) uses_[op.operands[i]].push_back({&op, i});
      if (op.code == OpCode::kYield) yield_loop_[&op] = loop;
      for (const ir::Block& r : op.regions) Collect(r, &op);
    }
  }

  bool Tolerates(const Use& u, const std::vector<bool>& coarse) const {
    const ir::Op& op = *u.op;
    switch (op.code) {
      case OpCode::kAdd:
      case OpCode::kSub:
      case OpCode::kMul:
      case OpCode::kDiv:
      case OpCode::kMax:
      case OpCode::kMin:
      case OpCode::kNeg:
      case OpCode::kAbs:
      case OpCode::kSqrt:   // relative error halves
      case OpCode::kRsqrt:  // likewise
      case OpCode::kCast:
      case OpCode::kSum:
      case OpCode::kReduceMax:
      case OpCode::kReduceMin:
      case OpCode::kBroadcast:
      case OpCode::kExpandDims:
      case OpCode::kReshape:
      case OpCode::kTranspose: return coarse[op.results[0]];
      case OpCode::kSelect: return u.operand > 0 && coarse[op.results[0]];
      case OpCode::kFor: {
        // Operands lo, hi, step, then the carried inits: init j feeds body
        // argument j + 1 (after the induction variable) and result j.
        if (u.operand < 3) return false;
        const size_t j = u.operand - 3;
        return coarse[op.regions[0].args[j + 1]] && coarse[op.results[j]];
      }
      case OpCode::kYield: {
        const ir::Op* loop = yield_loop_.at(&op);
        if (!loop) return false;
        return coarse[loop->regions[0].args[u.operand + 1]] && coarse[loop->results[u.operand]];
      }
      case OpCode::kStore: {
        const ir::Param& p = k_.params[static_cast<size_t>(op.ints[0])];
        if (u.operand != p.rank) return false;  // an index or the mask
        const ir::DType t = DTypeOf(bk_, p.elem);
        return t == ir::DType::kF16 || t == ir::DType::kBF16;
      }
      default: return false;
    }
  }

  const ir::BoundKernel& bk_;
  const ir::Kernel& k_;
  std::vector<std::vector<Use>> uses_;
  std::map<const ir::Op*, const ir::Op*> yield_loop_;
};

}  // namespace

std::vector<bool> CoarseValues(const ir::BoundKernel& kernel) {
  return Precision(kernel).Run();
}

}  // namespace hrt::ptx
