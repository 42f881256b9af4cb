#include "codegen/ir/builder.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "codegen/ir/infer.h"
#include "codegen/ir/verifier.h"

namespace hrt::ir {

KernelBuilder::KernelBuilder(std::string name) {
  kernel_.name = std::move(name);
}

void KernelBuilder::Fail(Status s) {
  if (status_.ok() && !s.ok()) status_ = std::move(s);
}

template <typename T>
static int32_t FindByName(const std::vector<T>& v, const std::string& name) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].name == name) return static_cast<int32_t>(i);
  }
  return -1;
}

int32_t KernelBuilder::FindParam(const std::string& name) const {
  return FindByName(kernel_.params, name);
}
int32_t KernelBuilder::FindTunable(const std::string& name) const {
  return FindByName(kernel_.tunables, name);
}
int32_t KernelBuilder::FindDTypeParam(const std::string& name) const {
  return FindByName(kernel_.dtype_params, name);
}
int32_t KernelBuilder::FindShapeSym(const std::string& name) const {
  for (size_t i = 0; i < kernel_.shape_syms.size(); ++i) {
    if (kernel_.shape_syms[i] == name) return static_cast<int32_t>(i);
  }
  return -1;
}

uint32_t KernelBuilder::AddDTypeParam(const std::string& name, std::vector<DType> candidates) {
  kernel_.dtype_params.push_back(DTypeParam{name, std::move(candidates)});
  return static_cast<uint32_t>(kernel_.dtype_params.size() - 1);
}

uint32_t KernelBuilder::AddShapeSym(const std::string& name) {
  const int32_t existing = FindShapeSym(name);
  if (existing >= 0) return static_cast<uint32_t>(existing);
  kernel_.shape_syms.push_back(name);
  return static_cast<uint32_t>(kernel_.shape_syms.size() - 1);
}

uint32_t KernelBuilder::AddTensorParam(const std::string& name, Elem elem,
                                       const std::vector<std::string>& dim_syms) {
  Param p;
  p.name = name;
  p.kind = ParamKind::kTensor;
  p.elem = elem;
  if (dim_syms.empty() || dim_syms.size() > kMaxRank) {
    Fail(VerificationFailed("tensor '" + name + "' must have 1.." + std::to_string(kMaxRank) +
                            " dimensions"));
  }
  p.rank = static_cast<uint32_t>(std::min<size_t>(dim_syms.size(), kMaxRank));
  for (uint32_t i = 0; i < p.rank; ++i) p.dims[i] = AddShapeSym(dim_syms[i]);
  kernel_.params.push_back(p);
  return static_cast<uint32_t>(kernel_.params.size() - 1);
}

uint32_t KernelBuilder::AddScalarParam(const std::string& name, Elem elem) {
  Param p;
  p.name = name;
  p.kind = ParamKind::kScalar;
  p.elem = elem;
  kernel_.params.push_back(p);
  return static_cast<uint32_t>(kernel_.params.size() - 1);
}

int32_t KernelBuilder::AddTunable(const std::string& name, std::vector<int64_t> candidates,
                                  int64_t default_value) {
  kernel_.tunables.push_back(Tunable{name, std::move(candidates), default_value});
  return static_cast<int32_t>(kernel_.tunables.size() - 1);
}

Block& KernelBuilder::CurrentBlock() {
  Block* b = &kernel_.body;
  for (size_t idx : open_loops_) b = &b->ops[idx].regions[0];
  return *b;
}

Result<std::vector<ValueId>> KernelBuilder::Emit(Op op, const std::vector<std::string>& names) {
  if (!status_.ok()) return status_;
  std::vector<Type> in;
  in.reserve(op.operands.size());
  for (ValueId v : op.operands) {
    if (v >= kernel_.values.size()) {
      Status s = VerificationFailed(std::string("'") + OpName(op.code) +
                                    "': operand is not a valid value");
      Fail(s);
      return s;
    }
    in.push_back(kernel_.values[v].type);
  }
  Result<std::vector<Type>> types = InferResultTypes(kernel_, op, in);
  if (!types.ok()) {
    Fail(types.status());
    return types.take_status();
  }
  op.results.clear();
  for (size_t i = 0; i < types->size(); ++i) {
    op.results.push_back(static_cast<ValueId>(kernel_.values.size()));
    kernel_.values.push_back(Value{(*types)[i], i < names.size() ? names[i] : std::string()});
  }
  std::vector<ValueId> results = op.results;
  CurrentBlock().ops.push_back(std::move(op));
  return results;
}

ValueId KernelBuilder::Single(Op op) {
  Result<std::vector<ValueId>> r = Emit(std::move(op));
  if (!r.ok() || r->size() != 1) return kInvalidValue;
  return r->front();
}

std::vector<ValueId> KernelBuilder::BeginFor(ValueId lo, ValueId hi, ValueId step,
                                             const std::vector<ValueId>& inits,
                                             const std::string& iv_name,
                                             const std::vector<std::string>& carried_names) {
  Op op;
  op.code = OpCode::kFor;
  op.operands = {lo, hi, step};
  op.operands.insert(op.operands.end(), inits.begin(), inits.end());
  op.regions.resize(1);
  // Type-check the header now; results are created in EndFor, once the body
  // is complete, but their types are already known (= the inits' types).
  std::vector<Type> in;
  for (ValueId v : op.operands) {
    if (v >= kernel_.values.size()) {
      Fail(VerificationFailed("'for': operand is not a valid value"));
      return {};
    }
    in.push_back(kernel_.values[v].type);
  }
  Result<std::vector<Type>> types = InferResultTypes(kernel_, op, in);
  if (!types.ok()) {
    Fail(types.take_status());
    return {};
  }
  if (!status_.ok()) return {};
  Block& body = op.regions[0];
  std::vector<ValueId> args;
  args.push_back(static_cast<ValueId>(kernel_.values.size()));
  kernel_.values.push_back(Value{Type::Scalar(Elem::Of(DType::kI32)), iv_name});
  for (size_t i = 0; i < types->size(); ++i) {
    args.push_back(static_cast<ValueId>(kernel_.values.size()));
    kernel_.values.push_back(
        Value{(*types)[i], i < carried_names.size() ? carried_names[i] : std::string()});
  }
  body.args = args;
  Block& parent = CurrentBlock();
  parent.ops.push_back(std::move(op));
  open_loops_.push_back(parent.ops.size() - 1);
  return args;
}

std::vector<ValueId> KernelBuilder::EndFor(const std::vector<ValueId>& yields,
                                           const std::vector<std::string>& result_names) {
  if (open_loops_.empty()) {
    Fail(VerificationFailed("EndFor without BeginFor"));
    return {};
  }
  Op y;
  y.code = OpCode::kYield;
  y.operands = yields;
  (void)Emit(std::move(y));
  open_loops_.pop_back();
  if (!status_.ok()) return {};
  Op& loop = CurrentBlock().ops.back();
  std::vector<ValueId> results;
  for (size_t i = 3; i < loop.operands.size(); ++i) {
    results.push_back(static_cast<ValueId>(kernel_.values.size()));
    const size_t r = i - 3;
    kernel_.values.push_back(Value{kernel_.values[loop.operands[i]].type,
                                   r < result_names.size() ? result_names[r] : std::string()});
  }
  loop.results = results;
  return results;
}

ValueId KernelBuilder::ProgramId(int axis) {
  Op op;
  op.code = OpCode::kProgramId;
  op.ints = {axis};
  return Single(std::move(op));
}

ValueId KernelBuilder::Sym(const std::string& name) {
  Op op;
  op.code = OpCode::kSym;
  if (int32_t s = FindShapeSym(name); s >= 0) {
    op.ints = {0, s};
  } else if (int32_t t = FindTunable(name); t >= 0) {
    op.ints = {1, t};
  } else {
    Fail(VerificationFailed("'sym': no shape symbol or tunable named '" + name + "'"));
    return kInvalidValue;
  }
  return Single(std::move(op));
}

ValueId KernelBuilder::Arg(const std::string& name) {
  Op op;
  op.code = OpCode::kArg;
  op.ints = {FindParam(name)};
  return Single(std::move(op));
}

ValueId KernelBuilder::ConstInt(Elem elem, int64_t v) {
  Op op;
  op.code = OpCode::kConst;
  op.elem = elem;
  op.ints = {v};
  op.fval = static_cast<double>(v);
  return Single(std::move(op));
}

ValueId KernelBuilder::ConstFloat(Elem elem, double v) {
  Op op;
  op.code = OpCode::kConst;
  op.elem = elem;
  op.ints = {0};
  op.fval = v;
  // An integral float is stored as an integer literal (the text form's rule).
  if (std::isfinite(v) && std::fabs(v) < 9.0e18 &&
      v == static_cast<double>(static_cast<int64_t>(v)) && !(v == 0.0 && std::signbit(v))) {
    op.ints = {static_cast<int64_t>(v)};
  }
  return Single(std::move(op));
}

ValueId KernelBuilder::Iota(Dim n) {
  Op op;
  op.code = OpCode::kIota;
  op.shape = {n};
  return Single(std::move(op));
}

ValueId KernelBuilder::Broadcast(ValueId x, const std::vector<Dim>& shape) {
  Op op;
  op.code = OpCode::kBroadcast;
  op.operands = {x};
  op.shape = shape;
  return Single(std::move(op));
}

ValueId KernelBuilder::ExpandDims(ValueId x, int axis) {
  Op op;
  op.code = OpCode::kExpandDims;
  op.operands = {x};
  op.ints = {axis};
  return Single(std::move(op));
}

ValueId KernelBuilder::Reshape(ValueId x, const std::vector<Dim>& shape) {
  Op op;
  op.code = OpCode::kReshape;
  op.operands = {x};
  op.shape = shape;
  return Single(std::move(op));
}

ValueId KernelBuilder::Transpose(ValueId x, const std::vector<int64_t>& perm) {
  Op op;
  op.code = OpCode::kTranspose;
  op.operands = {x};
  op.ints = perm;
  return Single(std::move(op));
}

static Op MemoryOp(OpCode code, int32_t param, const std::vector<ValueId>& indices, ValueId value,
                   ValueId mask) {
  Op op;
  op.code = code;
  op.operands = indices;
  if (value != kInvalidValue) op.operands.push_back(value);
  const bool has_mask = mask != kInvalidValue;
  if (has_mask) op.operands.push_back(mask);
  op.ints = {param, has_mask ? 1 : 0};
  return op;
}

ValueId KernelBuilder::Load(const std::string& tensor, const std::vector<ValueId>& indices,
                            ValueId mask, double other) {
  Op op = MemoryOp(OpCode::kLoad, FindParam(tensor), indices, kInvalidValue, mask);
  op.fval = other;
  return Single(std::move(op));
}

void KernelBuilder::Store(const std::string& tensor, const std::vector<ValueId>& indices,
                          ValueId value, ValueId mask) {
  (void)Emit(MemoryOp(OpCode::kStore, FindParam(tensor), indices, value, mask));
}

void KernelBuilder::AtomicAdd(const std::string& tensor, const std::vector<ValueId>& indices,
                              ValueId value, ValueId mask) {
  (void)Emit(MemoryOp(OpCode::kAtomicAdd, FindParam(tensor), indices, value, mask));
}

ValueId KernelBuilder::Binary(OpCode code, ValueId a, ValueId b) {
  Op op;
  op.code = code;
  op.operands = {a, b};
  return Single(std::move(op));
}

ValueId KernelBuilder::Unary(OpCode code, ValueId x) {
  Op op;
  op.code = code;
  op.operands = {x};
  return Single(std::move(op));
}

ValueId KernelBuilder::Select(ValueId cond, ValueId a, ValueId b) {
  Op op;
  op.code = OpCode::kSelect;
  op.operands = {cond, a, b};
  return Single(std::move(op));
}

ValueId KernelBuilder::Cast(ValueId x, Elem to) {
  Op op;
  op.code = OpCode::kCast;
  op.operands = {x};
  op.elem = to;
  return Single(std::move(op));
}

ValueId KernelBuilder::Reduce(OpCode code, ValueId x, int axis) {
  Op op;
  op.code = code;
  op.operands = {x};
  op.ints = {axis};
  return Single(std::move(op));
}

ValueId KernelBuilder::Dot(ValueId a, ValueId b, ValueId acc) {
  Op op;
  op.code = OpCode::kDot;
  op.operands = {a, b};
  if (acc != kInvalidValue) op.operands.push_back(acc);
  return Single(std::move(op));
}

Result<Kernel> KernelBuilder::Finish() {
  if (!status_.ok()) return Status(status_).Annotate("kernel '" + kernel_.name + "'");
  if (!open_loops_.empty()) {
    return VerificationFailed("kernel '" + kernel_.name + "': loop left open");
  }
  HRT_RETURN_IF_ERROR(VerifyKernel(kernel_));
  return kernel_;
}

}  // namespace hrt::ir
