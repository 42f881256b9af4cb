// Evaluation and checking of integer expressions (launch grid, constraints).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"
#include "codegen/ir/ir.h"

namespace hrt::ir {

inline constexpr size_t kMaxExprNodes = 256;

// Values the leaves of an expression resolve to. An empty |shape_syms| means
// shape symbols are unknown (constraints may only use tunables).
struct ExprEnv {
  std::span<const int64_t> tunables;
  std::span<const int64_t> shape_syms;
};

// Checks structure: non-empty, at most kMaxExprNodes nodes forming a tree
// (each non-root node used once), operands precede their node, leaf indices in
// range for |kernel|, op codes known. |allow_shape_syms| is false for
// constraints, which are decided from the config alone.
Status CheckExpr(const Kernel& kernel, const Expr& expr, bool allow_shape_syms);

// Evaluates a checked expression. Division or modulo by zero, and overflow,
// are errors (kOutOfRange) rather than undefined behaviour.
Result<int64_t> EvalExpr(const Expr& expr, const ExprEnv& env);

// Infix form with minimal parentheses, names from |kernel|:
// "cdiv(M, BLOCK_M) * 2".
std::string ExprToString(const Kernel& kernel, const Expr& expr);

}  // namespace hrt::ir
