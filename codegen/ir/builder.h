// KernelBuilder: constructs kernels op by op with types inferred as it goes.
// Used by the text parser and by C++ code (tests, future front ends).
//
// Errors are sticky: the first failure is recorded, later calls return
// kInvalidValue, and Finish() reports the first error. This keeps call sites
// free of per-op checks.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "codegen/ir/ir.h"

namespace hrt::ir {

inline constexpr ValueId kInvalidValue = 0xffffffffu;

class KernelBuilder {
 public:
  explicit KernelBuilder(std::string name);

  // Signature and header. Each returns the index of the new entry.
  uint32_t AddDTypeParam(const std::string& name, std::vector<DType> candidates);
  uint32_t AddShapeSym(const std::string& name);  // returns the existing index if present
  uint32_t AddTensorParam(const std::string& name, Elem elem,
                          const std::vector<std::string>& dim_syms);
  uint32_t AddScalarParam(const std::string& name, Elem elem);
  int32_t AddTunable(const std::string& name, std::vector<int64_t> candidates,
                     int64_t default_value);
  void AddConstraint(Expr e) { kernel_.constraints.push_back(std::move(e)); }
  void SetGrid(std::vector<Expr> grid) { kernel_.grid = std::move(grid); }

  // Appends |op| (operands and attributes filled, results empty) to the
  // current block, infers its result types and creates the result values,
  // named from |names| where given. Returns the result ids (empty for ops
  // without results), or an error; the error is also made sticky.
  Result<std::vector<ValueId>> Emit(Op op, const std::vector<std::string>& names = {});

  // Counted loop. BeginFor opens the body and returns [iv, carried...];
  // EndFor appends the yield, closes the body and returns the loop results.
  std::vector<ValueId> BeginFor(ValueId lo, ValueId hi, ValueId step,
                                const std::vector<ValueId>& inits, const std::string& iv_name = "",
                                const std::vector<std::string>& carried_names = {});
  std::vector<ValueId> EndFor(const std::vector<ValueId>& yields,
                              const std::vector<std::string>& result_names = {});

  // Convenience wrappers over Emit for single-result ops.
  ValueId ProgramId(int axis);
  ValueId Sym(const std::string& name);  // shape symbol or tunable
  ValueId Arg(const std::string& name);  // scalar parameter
  ValueId ConstInt(Elem elem, int64_t v);
  ValueId ConstFloat(Elem elem, double v);
  ValueId Iota(Dim n);
  ValueId Broadcast(ValueId x, const std::vector<Dim>& shape);
  ValueId ExpandDims(ValueId x, int axis);
  ValueId Reshape(ValueId x, const std::vector<Dim>& shape);
  ValueId Transpose(ValueId x, const std::vector<int64_t>& perm);
  ValueId Load(const std::string& tensor, const std::vector<ValueId>& indices,
               ValueId mask = kInvalidValue, double other = 0.0);
  void Store(const std::string& tensor, const std::vector<ValueId>& indices, ValueId value,
             ValueId mask = kInvalidValue);
  void AtomicAdd(const std::string& tensor, const std::vector<ValueId>& indices, ValueId value,
                 ValueId mask = kInvalidValue);
  ValueId Binary(OpCode code, ValueId a, ValueId b);
  ValueId Unary(OpCode code, ValueId x);
  ValueId Select(ValueId cond, ValueId a, ValueId b);
  ValueId Cast(ValueId x, Elem to);
  ValueId Reduce(OpCode code, ValueId x, int axis);
  ValueId Dot(ValueId a, ValueId b, ValueId acc = kInvalidValue);

  // Lookups by name into the kernel being built; -1 when absent.
  int32_t FindParam(const std::string& name) const;
  int32_t FindTunable(const std::string& name) const;
  int32_t FindShapeSym(const std::string& name) const;
  int32_t FindDTypeParam(const std::string& name) const;

  const Type& TypeOf(ValueId v) const { return kernel_.values[v].type; }
  Kernel& kernel() { return kernel_; }
  const Status& status() const { return status_; }
  // Records |s| as the sticky error if none is recorded yet.
  void Fail(Status s);

  // Verifies and returns the kernel, or the first error.
  Result<Kernel> Finish();

 private:
  ValueId Single(Op op);
  Block& CurrentBlock();

  Kernel kernel_;
  // Path of (op index) into nested kFor regions of the block being appended to.
  std::vector<size_t> open_loops_;
  Status status_;
};

}  // namespace hrt::ir
