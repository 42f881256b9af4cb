// The walk: one Program evaluates the kernel body for one grid point, op by
// op, keeping every SSA value as a host Tile. Op semantics live in the other
// files of this folder; this one only fetches operands, dispatches, runs
// loops and checks each result against the type the verifier inferred.
#include "codegen/interp/interpreter.h"

#include <array>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "codegen/interp/convert.h"
#include "codegen/interp/elementwise.h"
#include "codegen/interp/memory.h"
#include "codegen/interp/reduce.h"
#include "codegen/interp/shape_ops.h"
#include "codegen/interp/signature.h"
#include "codegen/interp/types.h"
#include "codegen/ir/verifier.h"

namespace hrt::interp {
namespace {

// Bound on the lanes of all live values together (512 MiB of storage): the
// verifier bounds each tile, this bounds a kernel made of many large ones.
constexpr int64_t kMaxLiveElements = int64_t{1} << 26;

class Program {
 public:
  Program(const ir::BoundKernel& bk, const Launch& launch)
      : bk_(bk), k_(bk.kernel), launch_(launch), values_(bk.kernel.values.size()) {
    NumberOps(k_.body, 0);
  }

  Status Run(const std::array<int64_t, ir::kMaxGridRank>& pid) {
    pid_ = pid;
    return ExecBlock(k_.body, nullptr, 0);
  }

 private:
  void NumberOps(const ir::Block& block, uint32_t depth);
  Status ExecBlock(const ir::Block& block, std::vector<Tile>* yielded, uint32_t depth);
  Status ExecOp(const ir::Op& op, uint32_t depth);
  Status ExecFor(const ir::Op& op, uint32_t depth);
  Status ExecMemory(const ir::Op& op);
  Result<Tile> Leaf(const ir::Op& op);

  Result<const Tile*> In(const ir::Op& op, size_t i) const;
  Result<int64_t> ScalarIn(const ir::Op& op, size_t i) const;
  Result<int64_t> Attr(const ir::Op& op, size_t slot) const;
  Status Define(ir::ValueId id, Tile tile);

  const ir::BoundKernel& bk_;
  const ir::Kernel& k_;
  const Launch& launch_;
  std::array<int64_t, ir::kMaxGridRank> pid_{};
  // Indexed by ValueId. SSA and the verifier guarantee each value is defined
  // before use in every program, so values left by the previous program are
  // always overwritten before they are read.
  std::vector<std::optional<Tile>> values_;
  int64_t live_elements_ = 0;  // lanes held in values_
  // Error messages number ops like the verifier: in textual order, nested
  // bodies included.
  std::unordered_map<const ir::Op*, size_t> op_index_;
};

void Program::NumberOps(const ir::Block& block, uint32_t depth) {
  for (const ir::Op& op : block.ops) {
    op_index_.emplace(&op, op_index_.size());
    if (depth >= ir::kMaxLoopDepth) continue;  // ExecBlock refuses to go deeper
    for (const ir::Block& region : op.regions) NumberOps(region, depth + 1);
  }
}

Result<const Tile*> Program::In(const ir::Op& op, size_t i) const {
  if (i >= op.operands.size()) {
    return Internal(std::string("'") + ir::OpName(op.code) + "' lacks operand " +
                    std::to_string(i));
  }
  const ir::ValueId id = op.operands[i];
  if (id >= values_.size() || !values_[id]) {
    return Internal("operand %" + std::to_string(id) + " is not defined");
  }
  return &*values_[id];
}

Result<int64_t> Program::ScalarIn(const ir::Op& op, size_t i) const {
  HRT_ASSIGN_OR_RETURN(const Tile* t, In(op, i));
  if (t->shape.rank != 0 || t->is_float()) {
    return Internal("operand " + std::to_string(i) + " is not an integer scalar");
  }
  return t->ints[0];
}

Result<int64_t> Program::Attr(const ir::Op& op, size_t slot) const {
  if (slot >= op.ints.size()) {
    return Internal(std::string("'") + ir::OpName(op.code) + "' lacks integer attribute " +
                    std::to_string(slot));
  }
  return op.ints[slot];
}

Status Program::Define(ir::ValueId id, Tile tile) {
  if (id >= values_.size()) return Internal("result %" + std::to_string(id) + " out of range");
  HRT_RETURN_IF_ERROR(CheckTileType(bk_, tile, k_.values[id].type));
  if (values_[id]) live_elements_ -= static_cast<int64_t>(values_[id]->size());
  live_elements_ += static_cast<int64_t>(tile.size());
  if (live_elements_ > kMaxLiveElements) {
    return OutOfRange("live values exceed the interpreter's limit of " +
                      std::to_string(kMaxLiveElements) + " elements");
  }
  values_[id] = std::move(tile);
  return Status::Ok();
}

Status Program::ExecBlock(const ir::Block& block, std::vector<Tile>* yielded, uint32_t depth) {
  if (depth > ir::kMaxLoopDepth) return Internal("loops nested too deeply");
  for (const ir::Op& op : block.ops) {
    if (op.code == ir::OpCode::kYield) {
      if (!yielded) return Internal("yield outside a loop body");
      for (size_t j = 0; j < op.operands.size(); ++j) {
        HRT_ASSIGN_OR_RETURN(const Tile* t, In(op, j));
        yielded->push_back(*t);
      }
      return Status::Ok();
    }
    Status s = ExecOp(op, depth);
    if (!s.ok()) {
      return s.Annotate("op " + std::to_string(op_index_[&op]) + " (" + ir::OpName(op.code) + ")");
    }
  }
  if (yielded) return Internal("loop body does not end in yield");
  return Status::Ok();
}

Result<Tile> Program::Leaf(const ir::Op& op) {
  switch (op.code) {
    case ir::OpCode::kProgramId: {
      HRT_ASSIGN_OR_RETURN(int64_t axis, Attr(op, 0));
      if (axis < 0 || axis >= static_cast<int64_t>(ir::kMaxGridRank)) {
        return Internal("program_id axis " + std::to_string(axis));
      }
      return ScalarInt(ir::DType::kI32, pid_[static_cast<size_t>(axis)]);
    }
    case ir::OpCode::kSym: {
      HRT_ASSIGN_OR_RETURN(int64_t kind, Attr(op, 0));
      HRT_ASSIGN_OR_RETURN(int64_t index, Attr(op, 1));
      const bool tunable = kind == 1;
      const auto& table = tunable ? bk_.tunable_values : launch_.shape_syms;
      if (index < 0 || static_cast<uint64_t>(index) >= table.size()) {
        return Internal("sym refers to a missing entry");
      }
      const int64_t v = table[static_cast<size_t>(index)];
      if (v != ir::WrapToInt(ir::DType::kI32, v)) {
        const auto i = static_cast<size_t>(index);
        const bool named = tunable ? i < k_.tunables.size() : i < k_.shape_syms.size();
        const std::string name = !named    ? "#" + std::to_string(i)
                                 : tunable ? k_.tunables[i].name
                                           : k_.shape_syms[i];
        return OutOfRange("sym " + name + " = " + std::to_string(v) + " does not fit in i32");
      }
      return ScalarInt(ir::DType::kI32, v);
    }
    case ir::OpCode::kArg: {
      HRT_ASSIGN_OR_RETURN(int64_t index, Attr(op, 0));
      if (index < 0 || static_cast<uint64_t>(index) >= k_.params.size() ||
          k_.params[static_cast<size_t>(index)].kind != ir::ParamKind::kScalar) {
        return Internal("arg refers to a parameter that is not a scalar");
      }
      return launch_.scalars[static_cast<size_t>(index)];
    }
    case ir::OpCode::kConst: {
      HRT_ASSIGN_OR_RETURN(ir::DType dtype, ResolveElem(bk_, op.elem));
      if (ir::IsFloat(dtype)) return ScalarFloat(dtype, ir::RoundToFloat(dtype, op.fval));
      HRT_ASSIGN_OR_RETURN(int64_t v, Attr(op, 0));
      return ScalarInt(dtype, ir::WrapToInt(dtype, v));
    }
    default: {  // kIota
      if (op.shape.size() != 1) return Internal("iota needs a one-dim shape");
      HRT_ASSIGN_OR_RETURN(int64_t n, ResolveDim(bk_, op.shape[0]));
      return Iota(n);
    }
  }
}

Status Program::ExecMemory(const ir::Op& op) {
  HRT_ASSIGN_OR_RETURN(int64_t param, Attr(op, 0));
  HRT_ASSIGN_OR_RETURN(int64_t has_mask, Attr(op, 1));
  if (param < 0 || static_cast<uint64_t>(param) >= k_.params.size() ||
      k_.params[static_cast<size_t>(param)].kind != ir::ParamKind::kTensor) {
    return Internal("memory op refers to a parameter that is not a tensor");
  }
  const TensorView& t = launch_.tensors[static_cast<size_t>(param)];
  const bool is_load = op.code == ir::OpCode::kLoad;
  const size_t expected = t.rank + (is_load ? 0 : 1) + (has_mask ? 1 : 0);
  if (op.operands.size() != expected) return Internal("memory op has the wrong operand count");
  std::vector<const Tile*> indices;
  for (size_t i = 0; i < t.rank; ++i) {
    HRT_ASSIGN_OR_RETURN(const Tile* idx, In(op, i));
    indices.push_back(idx);
  }
  const Tile* mask = nullptr;
  if (has_mask) {
    HRT_ASSIGN_OR_RETURN(mask, In(op, expected - 1));
  }
  if (is_load) {
    if (op.results.size() != 1) return Internal("load needs one result");
    HRT_ASSIGN_OR_RETURN(Tile out, Load(t, indices, mask, op.fval));
    return Define(op.results[0], std::move(out));
  }
  HRT_ASSIGN_OR_RETURN(const Tile* value, In(op, t.rank));
  return Store(t, indices, *value, mask,
               op.code == ir::OpCode::kStore ? StoreKind::kStore : StoreKind::kAtomicAdd);
}

Status Program::ExecFor(const ir::Op& op, uint32_t depth) {
  HRT_ASSIGN_OR_RETURN(int64_t lo, ScalarIn(op, 0));
  HRT_ASSIGN_OR_RETURN(int64_t hi, ScalarIn(op, 1));
  HRT_ASSIGN_OR_RETURN(int64_t step, ScalarIn(op, 2));
  if (step <= 0) {
    return OutOfRange("loop step must be positive, got " + std::to_string(step) + " (lo " +
                      std::to_string(lo) + ", hi " + std::to_string(hi) + ")");
  }
  const size_t carried_count = op.operands.size() - 3;
  if (op.regions.size() != 1 || op.regions[0].args.size() != 1 + carried_count ||
      op.results.size() != carried_count) {
    return Internal("malformed for loop");
  }
  const ir::Block& body = op.regions[0];
  std::vector<Tile> carried;
  for (size_t j = 0; j < carried_count; ++j) {
    HRT_ASSIGN_OR_RETURN(const Tile* init, In(op, 3 + j));
    carried.push_back(*init);
  }
  // lo, hi and step are i32, so iv + step cannot overflow int64 and iv stays
  // within i32 whenever the body runs (iv < hi).
  for (int64_t iv = lo; iv < hi; iv += step) {
    HRT_RETURN_IF_ERROR(Define(body.args[0], ScalarInt(ir::DType::kI32, iv)));
    for (size_t j = 0; j < carried_count; ++j) {
      HRT_RETURN_IF_ERROR(Define(body.args[1 + j], std::move(carried[j])));
    }
    std::vector<Tile> next;
    Status s = ExecBlock(body, &next, depth + 1);
    if (!s.ok()) return s.Annotate("iteration iv = " + std::to_string(iv));
    if (next.size() != carried_count)
      return Internal("yield count differs from the carried values");
    carried = std::move(next);
  }
  for (size_t j = 0; j < carried_count; ++j) {
    HRT_RETURN_IF_ERROR(Define(op.results[j], std::move(carried[j])));
  }
  return Status::Ok();
}

Status Program::ExecOp(const ir::Op& op, uint32_t depth) {
  const ir::OpInfo* info = ir::GetOpInfo(op.code);
  if (!info) return Internal("unknown op code " + std::to_string(static_cast<int>(op.code)));
  if (info->cls == ir::OpClass::kMemory) return ExecMemory(op);
  if (info->cls == ir::OpClass::kFor) return ExecFor(op, depth);
  if (op.results.size() != 1) return Internal("op needs exactly one result");

  Result<Tile> out = Internal("unhandled op");
  switch (info->cls) {
    case ir::OpClass::kLeaf: out = Leaf(op); break;
    case ir::OpClass::kShape: {
      HRT_ASSIGN_OR_RETURN(const Tile* x, In(op, 0));
      if (op.code == ir::OpCode::kExpandDims || op.code == ir::OpCode::kTranspose) {
        if (op.code == ir::OpCode::kTranspose) {
          out = Transpose(*x, op.ints);
        } else {
          HRT_ASSIGN_OR_RETURN(int64_t axis, Attr(op, 0));
          out = ExpandDims(*x, axis);
        }
        break;
      }
      HRT_ASSIGN_OR_RETURN(Shape shape, ResolveShape(bk_, op.shape.data(), op.shape.size()));
      out = op.code == ir::OpCode::kBroadcast ? BroadcastTo(*x, shape) : Reshape(*x, shape);
      break;
    }
    case ir::OpClass::kBinary:
    case ir::OpClass::kCompare: {
      HRT_ASSIGN_OR_RETURN(const Tile* a, In(op, 0));
      HRT_ASSIGN_OR_RETURN(const Tile* b, In(op, 1));
      out = Binary(op.code, *a, *b);
      break;
    }
    case ir::OpClass::kUnary: {
      HRT_ASSIGN_OR_RETURN(const Tile* x, In(op, 0));
      out = Unary(op.code, *x);
      break;
    }
    case ir::OpClass::kSelect: {
      HRT_ASSIGN_OR_RETURN(const Tile* c, In(op, 0));
      HRT_ASSIGN_OR_RETURN(const Tile* a, In(op, 1));
      HRT_ASSIGN_OR_RETURN(const Tile* b, In(op, 2));
      out = Select(*c, *a, *b);
      break;
    }
    case ir::OpClass::kCast: {
      HRT_ASSIGN_OR_RETURN(const Tile* x, In(op, 0));
      HRT_ASSIGN_OR_RETURN(ir::DType to, ResolveElem(bk_, op.elem));
      out = Cast(*x, to);
      break;
    }
    case ir::OpClass::kReduce: {
      HRT_ASSIGN_OR_RETURN(const Tile* x, In(op, 0));
      HRT_ASSIGN_OR_RETURN(int64_t axis, Attr(op, 0));
      out = Reduce(op.code, *x, axis);
      break;
    }
    case ir::OpClass::kDot: {
      HRT_ASSIGN_OR_RETURN(const Tile* a, In(op, 0));
      HRT_ASSIGN_OR_RETURN(const Tile* b, In(op, 1));
      const Tile* acc = nullptr;
      if (op.operands.size() > 2) {
        HRT_ASSIGN_OR_RETURN(acc, In(op, 2));
      }
      out = Dot(*a, *b, acc);
      break;
    }
    default: break;
  }
  if (!out.ok()) return out.take_status();
  return Define(op.results[0], std::move(*out));
}

Status RunLaunch(const ir::BoundKernel& kernel, std::span<const Arg> args) {
  HRT_ASSIGN_OR_RETURN(Launch launch, PrepareLaunch(kernel, args));
  Program program(kernel, launch);
  const auto& g = launch.grid;
  // x varies fastest, then y, then z.
  for (int64_t z = 0; z < g[2]; ++z) {
    for (int64_t y = 0; y < g[1]; ++y) {
      for (int64_t x = 0; x < g[0]; ++x) {
        Status s = program.Run({x, y, z});
        if (!s.ok()) {
          return s.Annotate("program (" + std::to_string(x) + ", " + std::to_string(y) + ", " +
                            std::to_string(z) + ")");
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status Run(const ir::BoundKernel& kernel, std::span<const Arg> args) {
  Status s = RunLaunch(kernel, args);
  return s.Annotate("kernel '" + kernel.kernel.name + "'");
}

}  // namespace hrt::interp
