#include "codegen/ir/expr.h"

#include <algorithm>
#include <array>
#include <span>
#include <vector>

namespace hrt::ir {
namespace {

bool IsLeaf(ExprOp op) {
  return op == ExprOp::kConst || op == ExprOp::kTunable || op == ExprOp::kShapeSym;
}

// Binding strength for printing; higher binds tighter. Function-call style
// ops (cdiv, min, max) and leaves never need parentheses.
int Precedence(ExprOp op) {
  switch (op) {
    case ExprOp::kOr: return 1;
    case ExprOp::kAnd: return 2;
    case ExprOp::kEq:
    case ExprOp::kNe: return 3;
    case ExprOp::kLt:
    case ExprOp::kLe:
    case ExprOp::kGt:
    case ExprOp::kGe: return 4;
    case ExprOp::kAdd:
    case ExprOp::kSub: return 5;
    case ExprOp::kMul:
    case ExprOp::kDiv:
    case ExprOp::kMod: return 6;
    default: return 10;
  }
}

const char* InfixToken(ExprOp op) {
  switch (op) {
    case ExprOp::kAdd: return "+";
    case ExprOp::kSub: return "-";
    case ExprOp::kMul: return "*";
    case ExprOp::kDiv: return "/";
    case ExprOp::kMod: return "%";
    case ExprOp::kLt: return "<";
    case ExprOp::kLe: return "<=";
    case ExprOp::kGt: return ">";
    case ExprOp::kGe: return ">=";
    case ExprOp::kEq: return "==";
    case ExprOp::kNe: return "!=";
    case ExprOp::kAnd: return "&&";
    case ExprOp::kOr: return "||";
    default: return nullptr;
  }
}

const char* CallName(ExprOp op) {
  switch (op) {
    case ExprOp::kCeilDiv: return "cdiv";
    case ExprOp::kMin: return "min";
    case ExprOp::kMax: return "max";
    default: return nullptr;
  }
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

Status CheckExpr(const Kernel& kernel, const Expr& expr, bool allow_shape_syms) {
  if (expr.nodes.empty()) return VerificationFailed("empty expression");
  if (expr.nodes.size() > kMaxExprNodes) {
    return VerificationFailed("expression has " + std::to_string(expr.nodes.size()) +
                              " nodes; the limit is " + std::to_string(kMaxExprNodes));
  }
  // Every node but the root is the operand of exactly one later node: the
  // nodes form a tree, so printing and evaluation stay linear in its size.
  std::vector<uint8_t> uses(expr.nodes.size(), 0);
  for (size_t i = 0; i < expr.nodes.size(); ++i) {
    const ExprNode& n = expr.nodes[i];
    const auto op = static_cast<unsigned>(n.op);
    if (op >= static_cast<unsigned>(kNumExprOps)) {
      return VerificationFailed("expression node " + std::to_string(i) + ": unknown op " +
                                std::to_string(op));
    }
    if (n.op == ExprOp::kTunable &&
        (n.value < 0 || static_cast<uint64_t>(n.value) >= kernel.tunables.size())) {
      return VerificationFailed("expression refers to tunable #" + std::to_string(n.value) +
                                ", which does not exist");
    }
    if (n.op == ExprOp::kShapeSym) {
      if (!allow_shape_syms) {
        return VerificationFailed("constraints may use tunables and constants only");
      }
      if (n.value < 0 || static_cast<uint64_t>(n.value) >= kernel.shape_syms.size()) {
        return VerificationFailed("expression refers to shape symbol #" + std::to_string(n.value) +
                                  ", which does not exist");
      }
    }
    if (!IsLeaf(n.op)) {
      if (n.lhs >= i || n.rhs >= i) {
        return VerificationFailed("expression node " + std::to_string(i) +
                                  " uses an operand that does not precede it");
      }
      if (n.lhs == n.rhs || ++uses[n.lhs] > 1 || ++uses[n.rhs] > 1) {
        return VerificationFailed("expression node " + std::to_string(i) +
                                  " shares an operand; expressions must be trees");
      }
    }
  }
  for (size_t i = 0; i + 1 < expr.nodes.size(); ++i) {
    if (uses[i] != 1) {
      return VerificationFailed("expression node " + std::to_string(i) + " is not used");
    }
  }
  return Status::Ok();
}

Result<int64_t> EvalExpr(const Expr& expr, const ExprEnv& env) {
  // Grid expressions are evaluated on every launch: small ones (all real
  // ones) keep their values on the stack, so the launch path never allocates.
  constexpr size_t kStackNodes = 32;
  std::array<int64_t, kStackNodes> stack_values;
  std::vector<int64_t> heap_values;
  std::span<int64_t> v(stack_values.data(), std::min(expr.nodes.size(), kStackNodes));
  if (expr.nodes.size() > kStackNodes) {
    heap_values.resize(expr.nodes.size());
    v = heap_values;
  }
  for (size_t i = 0; i < expr.nodes.size(); ++i) {
    const ExprNode& n = expr.nodes[i];
    int64_t a = 0, b = 0;
    if (!IsLeaf(n.op)) {
      if (n.lhs >= i || n.rhs >= i) return VerificationFailed("malformed expression");
      a = v[n.lhs];
      b = v[n.rhs];
    }
    int64_t r = 0;
    switch (n.op) {
      case ExprOp::kConst: r = n.value; break;
      case ExprOp::kTunable:
        if (n.value < 0 || static_cast<uint64_t>(n.value) >= env.tunables.size()) {
          return VerificationFailed("expression uses an unbound tunable");
        }
        r = env.tunables[static_cast<size_t>(n.value)];
        break;
      case ExprOp::kShapeSym:
        if (n.value < 0 || static_cast<uint64_t>(n.value) >= env.shape_syms.size()) {
          return VerificationFailed("expression uses an unknown shape symbol");
        }
        r = env.shape_syms[static_cast<size_t>(n.value)];
        break;
      case ExprOp::kAdd:
        if (__builtin_add_overflow(a, b, &r)) return OutOfRange("integer overflow in expression");
        break;
      case ExprOp::kSub:
        if (__builtin_sub_overflow(a, b, &r)) return OutOfRange("integer overflow in expression");
        break;
      case ExprOp::kMul:
        if (__builtin_mul_overflow(a, b, &r)) return OutOfRange("integer overflow in expression");
        break;
      case ExprOp::kDiv:
      case ExprOp::kCeilDiv:
      case ExprOp::kMod:
        if (b == 0) return OutOfRange("division by zero in expression");
        if (a == INT64_MIN && b == -1) return OutOfRange("integer overflow in expression");
        if (n.op == ExprOp::kDiv) {
          r = FloorDiv(a, b);
        } else if (n.op == ExprOp::kMod) {
          r = a - FloorDiv(a, b) * b;
        } else {
          r = -FloorDiv(-a, b);
          if (a == INT64_MIN) return OutOfRange("integer overflow in expression");
        }
        break;
      case ExprOp::kMin: r = a < b ? a : b; break;
      case ExprOp::kMax: r = a > b ? a : b; break;
      case ExprOp::kLt: r = a < b; break;
      case ExprOp::kLe: r = a <= b; break;
      case ExprOp::kGt: r = a > b; break;
      case ExprOp::kGe: r = a >= b; break;
      case ExprOp::kEq: r = a == b; break;
      case ExprOp::kNe: r = a != b; break;
      case ExprOp::kAnd: r = (a != 0) && (b != 0); break;
      case ExprOp::kOr: r = (a != 0) || (b != 0); break;
      default: return VerificationFailed("unknown expression op");
    }
    v[i] = r;
  }
  if (v.empty()) return VerificationFailed("empty expression");
  return v.back();
}

namespace {

std::string NodeToString(const Kernel& kernel, const Expr& expr, uint32_t i, int parent_prec,
                         bool right_side, int depth) {
  if (i >= expr.nodes.size() || depth > 256) return "?";
  const ExprNode& n = expr.nodes[i];
  switch (n.op) {
    case ExprOp::kConst: return std::to_string(n.value);
    case ExprOp::kTunable:
      return static_cast<uint64_t>(n.value) < kernel.tunables.size()
                 ? kernel.tunables[static_cast<size_t>(n.value)].name
                 : "?";
    case ExprOp::kShapeSym:
      return static_cast<uint64_t>(n.value) < kernel.shape_syms.size()
                 ? kernel.shape_syms[static_cast<size_t>(n.value)]
                 : "?";
    default: break;
  }
  if (n.lhs >= i || n.rhs >= i) return "?";
  if (const char* call = CallName(n.op)) {
    return std::string(call) + "(" + NodeToString(kernel, expr, n.lhs, 0, false, depth + 1) + ", " +
           NodeToString(kernel, expr, n.rhs, 0, false, depth + 1) + ")";
  }
  const char* tok = InfixToken(n.op);
  if (!tok) return "?";
  const int prec = Precedence(n.op);
  // All infix ops are left-associative: a right operand of equal precedence
  // needs parentheses to keep its grouping.
  std::string s = NodeToString(kernel, expr, n.lhs, prec, false, depth + 1) + " " + tok + " " +
                  NodeToString(kernel, expr, n.rhs, prec, true, depth + 1);
  const bool paren = prec < parent_prec || (right_side && prec == parent_prec);
  return paren ? "(" + s + ")" : s;
}

}  // namespace

std::string ExprToString(const Kernel& kernel, const Expr& expr) {
  if (expr.nodes.empty()) return "";
  return NodeToString(kernel, expr, static_cast<uint32_t>(expr.nodes.size() - 1), 0, false, 0);
}

}  // namespace hrt::ir
