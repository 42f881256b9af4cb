#include "codegen/ir/verifier.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "codegen/ir/expr.h"
#include "codegen/ir/infer.h"

namespace hrt::ir {
namespace {

bool IsIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 255) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

bool IsValueName(const std::string& s) {
  if (s.size() > 255) return false;
  // Empty = unnamed. A name made only of digits would print like an unnamed
  // value and is therefore reserved.
  bool all_digits = true;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.';
    if (!ok) return false;
    all_digits = all_digits && c >= '0' && c <= '9';
  }
  return s.empty() || !all_digits;
}

class BodyVerifier {
 public:
  explicit BodyVerifier(const Kernel& k) : k_(k), defined_(k.values.size(), 0) {}

  Status VerifyBlock(const Block& block, bool is_loop_body, uint32_t depth) {
    if (depth > kMaxLoopDepth) {
      return VerificationFailed("loops nested deeper than " + std::to_string(kMaxLoopDepth));
    }
    const size_t scope_mark = scope_.size();
    for (ValueId a : block.args) HRT_RETURN_IF_ERROR(Define(a));
    for (size_t i = 0; i < block.ops.size(); ++i) {
      const Op& op = block.ops[i];
      const bool last = i + 1 == block.ops.size();
      const size_t index = op_counter_;  // ops are numbered in textual order, nested included
      Status s = VerifyOp(op, is_loop_body && last, depth);
      if (!s.ok()) return s.Annotate("op " + std::to_string(index) + " (" + OpName(op.code) + ")");
    }
    if (is_loop_body && (block.ops.empty() || block.ops.back().code != OpCode::kYield)) {
      return VerificationFailed("loop body must end with 'yield'");
    }
    // Leave the scope: values defined inside are not visible after it.
    for (size_t i = scope_mark; i < scope_.size(); ++i) defined_[scope_[i]] = 2;
    scope_.resize(scope_mark);
    return Status::Ok();
  }

 private:
  Status Define(ValueId v) {
    if (v >= defined_.size()) {
      return VerificationFailed("value id " + std::to_string(v) + " out of range (" +
                                std::to_string(defined_.size()) + " values)");
    }
    if (defined_[v] != 0) return VerificationFailed("value " + Name(v) + " defined twice");
    defined_[v] = 1;
    scope_.push_back(v);
    return Status::Ok();
  }

  std::string Name(ValueId v) const {
    if (v < k_.values.size() && !k_.values[v].name.empty()) return "%" + k_.values[v].name;
    return "%" + std::to_string(v);
  }

  Status VerifyOp(const Op& op, bool must_be_yield, uint32_t depth) {
    ++op_counter_;
    if (!GetOpInfo(op.code)) {
      return VerificationFailed("unknown op code " + std::to_string(int(op.code)));
    }
    const bool is_yield = op.code == OpCode::kYield;
    if (is_yield != must_be_yield) {
      return VerificationFailed(is_yield ? "'yield' outside the end of a loop body"
                                         : "loop body must end with 'yield'");
    }
    std::vector<Type> in;
    in.reserve(op.operands.size());
    for (ValueId v : op.operands) {
      if (v >= defined_.size()) {
        return VerificationFailed("operand value id " + std::to_string(v) + " out of range");
      }
      if (defined_[v] != 1) {
        return VerificationFailed(
            std::string(defined_[v] == 0 ? "use before definition" : "use outside its scope") +
            " of " + Name(v));
      }
      in.push_back(k_.values[v].type);
    }
    HRT_ASSIGN_OR_RETURN(std::vector<Type> out, InferResultTypes(k_, op, in));
    if (op.code == OpCode::kFor) {
      HRT_RETURN_IF_ERROR(VerifyLoop(op, in, depth));
    }
    if (is_yield) {
      if (in.size() != loop_carried_.back().size()) {
        return VerificationFailed("'yield' gives " + std::to_string(in.size()) +
                                  " values; the loop carries " +
                                  std::to_string(loop_carried_.back().size()));
      }
      for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != loop_carried_.back()[i]) {
          return VerificationFailed("'yield' value " + std::to_string(i) + " is " +
                                    TypeToString(k_, in[i]) + "; the loop carries " +
                                    TypeToString(k_, loop_carried_.back()[i]));
        }
      }
    }
    if (op.results.size() != out.size()) {
      return VerificationFailed("has " + std::to_string(op.results.size()) + " results; expected " +
                                std::to_string(out.size()));
    }
    for (size_t i = 0; i < out.size(); ++i) {
      HRT_RETURN_IF_ERROR(Define(op.results[i]));
      const Type& stored = k_.values[op.results[i]].type;
      if (stored != out[i]) {
        return VerificationFailed("result " + Name(op.results[i]) + " is recorded as " +
                                  TypeToString(k_, stored) + " but the op yields " +
                                  TypeToString(k_, out[i]));
      }
    }
    return Status::Ok();
  }

  // Body args are (iv: i32, carried...) with the inits' types.
  Status VerifyLoop(const Op& op, const std::vector<Type>& in, uint32_t depth) {
    const Block& body = op.regions[0];
    const std::vector<Type> carried(in.begin() + 3, in.end());
    if (body.args.size() != carried.size() + 1) {
      return VerificationFailed("loop body has " + std::to_string(body.args.size()) +
                                " arguments; expected the induction variable and " +
                                std::to_string(carried.size()) + " carried values");
    }
    for (size_t i = 0; i < body.args.size(); ++i) {
      const ValueId a = body.args[i];
      if (a >= k_.values.size()) return VerificationFailed("loop argument id out of range");
      const Type want = i == 0 ? Type::Scalar(Elem::Of(DType::kI32)) : carried[i - 1];
      if (k_.values[a].type != want) {
        return VerificationFailed("loop argument " + Name(a) + " is " +
                                  TypeToString(k_, k_.values[a].type) + "; expected " +
                                  TypeToString(k_, want));
      }
    }
    loop_carried_.push_back(carried);
    Status s = VerifyBlock(body, /*is_loop_body=*/true, depth + 1);
    loop_carried_.pop_back();
    return s;
  }

  const Kernel& k_;
  std::vector<uint8_t> defined_;  // 0 = not yet, 1 = visible, 2 = out of scope
  std::vector<ValueId> scope_;
  std::vector<std::vector<Type>> loop_carried_;
  size_t op_counter_ = 0;
};

Status VerifySignature(const Kernel& k) {
  if (!IsIdentifier(k.name)) return VerificationFailed("invalid kernel name '" + k.name + "'");
  std::set<std::string> names;
  auto unique = [&](const std::string& n, const char* what) -> Status {
    if (!IsIdentifier(n))
      return VerificationFailed(std::string("invalid ") + what + " name '" + n + "'");
    if (!names.insert(n).second) {
      return VerificationFailed("name '" + n + "' is declared twice");
    }
    return Status::Ok();
  };
  if (k.dtype_params.size() > kMaxDTypeParams) {
    return VerificationFailed("more than " + std::to_string(kMaxDTypeParams) + " dtype parameters");
  }
  for (const DTypeParam& d : k.dtype_params) {
    HRT_RETURN_IF_ERROR(unique(d.name, "dtype parameter"));
    if (d.candidates.empty()) {
      return VerificationFailed("dtype parameter '" + d.name + "' has no candidates");
    }
    for (size_t i = 0; i < d.candidates.size(); ++i) {
      if (!Elem::Of(d.candidates[i]).is_valid_concrete()) {
        return VerificationFailed("dtype parameter '" + d.name + "' has an unknown candidate");
      }
      for (size_t j = 0; j < i; ++j) {
        if (d.candidates[i] == d.candidates[j]) {
          return VerificationFailed("dtype parameter '" + d.name + "' lists " +
                                    DTypeName(d.candidates[i]) + " twice");
        }
      }
    }
  }
  for (const std::string& s : k.shape_syms) HRT_RETURN_IF_ERROR(unique(s, "shape symbol"));
  for (const Tunable& t : k.tunables) {
    HRT_RETURN_IF_ERROR(unique(t.name, "tunable"));
    if (t.candidates.empty()) {
      return VerificationFailed("tunable '" + t.name + "' has no candidates");
    }
    for (size_t i = 0; i < t.candidates.size(); ++i) {
      if (t.candidates[i] < 1 || t.candidates[i] > kMaxTileElements) {
        return VerificationFailed("tunable '" + t.name + "' candidate " +
                                  std::to_string(t.candidates[i]) + " is outside 1..2^24");
      }
      for (size_t j = 0; j < i; ++j) {
        if (t.candidates[i] == t.candidates[j]) {
          return VerificationFailed("tunable '" + t.name + "' lists " +
                                    std::to_string(t.candidates[i]) + " twice");
        }
      }
    }
    if (std::find(t.candidates.begin(), t.candidates.end(), t.default_value) ==
        t.candidates.end()) {
      return VerificationFailed("tunable '" + t.name + "' default " +
                                std::to_string(t.default_value) + " is not a candidate");
    }
  }
  std::vector<bool> sym_used(k.shape_syms.size(), false);
  for (const Param& p : k.params) {
    HRT_RETURN_IF_ERROR(unique(p.name, "parameter"));
    Status s = CheckElem(k, p.elem);
    if (!s.ok()) return s.Annotate("parameter '" + p.name + "'");
    if (p.kind == ParamKind::kScalar) {
      if (p.rank != 0) return VerificationFailed("scalar parameter '" + p.name + "' has a rank");
      continue;
    }
    if (p.kind != ParamKind::kTensor) {
      return VerificationFailed("parameter '" + p.name + "' has an unknown kind");
    }
    if (p.rank < 1 || p.rank > kMaxRank) {
      return VerificationFailed("tensor '" + p.name + "' rank " + std::to_string(p.rank) +
                                " is outside 1.." + std::to_string(kMaxRank));
    }
    for (uint32_t i = 0; i < p.rank; ++i) {
      if (p.dims[i] >= k.shape_syms.size()) {
        return VerificationFailed("tensor '" + p.name + "' refers to a missing shape symbol");
      }
      sym_used[p.dims[i]] = true;
    }
  }
  for (size_t i = 0; i < sym_used.size(); ++i) {
    if (!sym_used[i]) {
      return VerificationFailed("shape symbol '" + k.shape_syms[i] + "' is not a tensor dimension");
    }
  }
  for (const Expr& c : k.constraints) {
    Status s = CheckExpr(k, c, /*allow_shape_syms=*/false);
    if (!s.ok()) return s.Annotate("constraint");
  }
  if (k.grid.empty() || k.grid.size() > kMaxGridRank) {
    return VerificationFailed("grid must have 1..3 dimensions, has " +
                              std::to_string(k.grid.size()));
  }
  for (const Expr& g : k.grid) {
    Status s = CheckExpr(k, g, /*allow_shape_syms=*/true);
    if (!s.ok()) return s.Annotate("grid");
  }
  return Status::Ok();
}

}  // namespace

Status VerifyKernel(const Kernel& kernel) {
  Status s = [&]() -> Status {
    HRT_RETURN_IF_ERROR(VerifySignature(kernel));
    if (kernel.values.size() > kMaxValues) {
      return VerificationFailed("more than " + std::to_string(kMaxValues) + " values");
    }
    for (size_t i = 0; i < kernel.values.size(); ++i) {
      const Value& v = kernel.values[i];
      if (!IsValueName(v.name)) return VerificationFailed("invalid value name '" + v.name + "'");
      Status t = CheckType(kernel, v.type);
      if (!t.ok()) return t.Annotate("value %" + (v.name.empty() ? std::to_string(i) : v.name));
    }
    if (!kernel.body.args.empty()) return VerificationFailed("kernel body takes no arguments");
    BodyVerifier body(kernel);
    return body.VerifyBlock(kernel.body, /*is_loop_body=*/false, 0);
  }();
  return s.Annotate("kernel '" + kernel.name + "'");
}

Status VerifyModule(const Module& module) {
  std::set<std::string> names;
  for (const Kernel& k : module.kernels) {
    HRT_RETURN_IF_ERROR(VerifyKernel(k));
    if (!names.insert(k.name).second) {
      return VerificationFailed("kernel '" + k.name + "' is defined twice");
    }
  }
  return Status::Ok();
}

}  // namespace hrt::ir
