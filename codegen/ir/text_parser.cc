// Recursive-descent parser of the tile-IR text form (grammar in
// docs/tile-ir.md). Kernels are built through KernelBuilder so result types
// come from the one inference function; every error carries the position of
// the token that caused it.
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "codegen/ir/builder.h"
#include "codegen/ir/expr.h"
#include "codegen/ir/infer.h"
#include "codegen/ir/text.h"
#include "codegen/ir/text_lexer.h"
#include "codegen/ir/verifier.h"

namespace hrt::ir {
namespace {

using text::Lexer;
using text::Token;
using text::TokenKind;

// Nesting bound for expressions: parentheses, calls and operator levels each
// take a frame, so hostile input cannot exhaust the stack.
constexpr int kMaxExprDepth = 96;
// Names are bounded like the verifier bounds them.
constexpr size_t kMaxNameLength = 255;

// What a kernel-level name (the verifier's single namespace) refers to.
enum class NameKind : uint8_t { kDTypeParam, kShapeSym, kTunable, kParam };

const char* NameKindWord(NameKind k) {
  switch (k) {
    case NameKind::kDTypeParam: return "a dtype parameter";
    case NameKind::kShapeSym: return "a shape symbol";
    case NameKind::kTunable: return "a tunable";
    case NameKind::kParam: return "a parameter";
  }
  return "a name";
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

// A numeric literal of `const` or `other`: an integer literal keeps its exact
// value (and its double), a float literal only its double.
struct Literal {
  bool is_int = false;
  int64_t i = 0;
  double f = 0.0;
};

struct BinaryOpInfo {
  std::string_view token;
  ExprOp op;
  int prec;  // same table as ExprToString: higher binds tighter
};

constexpr BinaryOpInfo kBinaryOps[] = {
    {"||", ExprOp::kOr, 1}, {"&&", ExprOp::kAnd, 2}, {"==", ExprOp::kEq, 3}, {"!=", ExprOp::kNe, 3},
    {"<", ExprOp::kLt, 4},  {"<=", ExprOp::kLe, 4},  {">", ExprOp::kGt, 4},  {">=", ExprOp::kGe, 4},
    {"+", ExprOp::kAdd, 5}, {"-", ExprOp::kSub, 5},  {"*", ExprOp::kMul, 6}, {"/", ExprOp::kDiv, 6},
    {"%", ExprOp::kMod, 6},
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view source) : lex_(text), source_(source) {}

  Result<Module> Run();

 private:
  // --- Tokens ---------------------------------------------------------------
  void Advance() { tok_ = lex_.Next(); }
  Status ErrorAt(const Token& t, const std::string& message) const;
  // "expected X but found Y" at the current token.
  Status Unexpected(const std::string& expected) const;
  bool Accept(std::string_view punct);
  Status Expect(std::string_view punct);
  Status ExpectKeyword(std::string_view word);
  Result<Token> ExpectIdent(const char* what);
  Result<int64_t> ParseInt();  // optional '-', then digits
  Result<int64_t> ParseIntDigits(const Token& start, bool negative);
  Result<Literal> ParseLiteral();

  // --- Signature and header -------------------------------------------------
  Result<Kernel> ParseKernel();
  Status DeclareName(const Token& name, NameKind kind);
  Status ParseDTypeParams();
  Status ParseParam();
  Result<Elem> ParseElem();
  Status ParseTunable();
  Status ParseGrid();

  // --- Expressions ----------------------------------------------------------
  Result<Expr> ParseTopExpr(bool is_constraint);
  Result<uint32_t> ParseExpr(int min_prec, int depth);
  Result<uint32_t> ParsePrimary(int depth);
  Result<uint32_t> PushNode(const Token& at, ExprNode node);

  // --- Body -----------------------------------------------------------------
  Status ParseBlock(uint32_t depth);
  Status ParseStatement(uint32_t depth);
  Status ParseFor(const std::vector<Token>& results, std::set<std::string_view> taken,
                  uint32_t depth);
  Status ParseOpOperands(const Token& op_tok, Op& op);
  Status ParseMemoryOperands(Op& op);
  Result<ValueId> ParseOperand();
  Result<std::vector<ValueId>> ParseOperandList();
  Result<Dim> ParseDim();
  Result<std::vector<Dim>> ParseShape();
  Result<Type> ParseType();
  // Lookups in the kernel's name table; -1 when |name| is not of |kind|.
  int32_t Find(std::string_view name, NameKind kind) const;
  Status CheckNewValueName(const Token& t, const std::set<std::string_view>& pending) const;
  void DefineValue(const Token& t, ValueId id);
  void PushScope() { scopes_.emplace_back(); }
  void PopScope();
  static std::string ValueNameFor(const Token& t) {
    return AllDigits(t.text) ? std::string() : std::string(t.text);
  }

  Lexer lex_;
  std::string_view source_;
  Token tok_;

  // Per kernel.
  KernelBuilder* b_ = nullptr;
  // The verifier's single namespace of signature names: what each refers to
  // and its index in the kernel's table of that kind. Looked up here rather
  // than through KernelBuilder::Find*, which scan linearly.
  struct NameEntry {
    NameKind kind;
    int32_t index;
  };
  std::unordered_map<std::string, NameEntry> names_;
  int32_t counts_[4] = {};  // entries per NameKind
  bool expr_is_constraint_ = false;
  Expr* expr_ = nullptr;  // expression being built
  std::unordered_map<std::string, ValueId> visible_;
  std::unordered_set<std::string> defined_;  // every value name of the kernel so far
  std::vector<std::vector<std::string>> scopes_;
};

// --- Tokens -----------------------------------------------------------------

Status Parser::ErrorAt(const Token& t, const std::string& message) const {
  // A token the lexer rejected explains itself, whatever the parser wanted.
  const std::string& m = t.kind == TokenKind::kError ? lex_.error() : message;
  return ParseError(std::string(source_) + ":" + std::to_string(t.line) + ":" +
                    std::to_string(t.col) + ": " + m);
}

Status Parser::Unexpected(const std::string& expected) const {
  return ErrorAt(tok_, "expected " + expected + " but found " + text::DescribeToken(tok_));
}

bool Parser::Accept(std::string_view punct) {
  if (!tok_.Is(punct)) return false;
  Advance();
  return true;
}

Status Parser::Expect(std::string_view punct) {
  if (Accept(punct)) return Status::Ok();
  return Unexpected("'" + std::string(punct) + "'");
}

Status Parser::ExpectKeyword(std::string_view word) {
  if (!tok_.IsIdent(word)) return Unexpected("'" + std::string(word) + "'");
  Advance();
  return Status::Ok();
}

Result<Token> Parser::ExpectIdent(const char* what) {
  if (tok_.kind != TokenKind::kIdent) return Unexpected(what);
  Token t = tok_;
  Advance();
  return t;
}

Result<int64_t> Parser::ParseInt() {
  const Token start = tok_;
  const bool negative = Accept("-");
  return ParseIntDigits(start, negative);
}

Result<int64_t> Parser::ParseIntDigits(const Token& start, bool negative) {
  if (tok_.kind != TokenKind::kInt) return Unexpected("an integer");
  uint64_t magnitude = 0;
  const char* first = tok_.text.data();
  const char* last = first + tok_.text.size();
  const auto [end, ec] = std::from_chars(first, last, magnitude);
  const uint64_t limit = uint64_t{1} << 63;  // |INT64_MIN|
  if (ec != std::errc() || end != last || magnitude > (negative ? limit : limit - 1)) {
    return ErrorAt(start, "integer literal out of range");
  }
  Advance();
  if (!negative) return static_cast<int64_t>(magnitude);
  return magnitude == limit ? std::numeric_limits<int64_t>::min()
                            : -static_cast<int64_t>(magnitude);
}

Result<Literal> Parser::ParseLiteral() {
  Literal lit;
  const Token start = tok_;
  if (tok_.IsIdent("true") || tok_.IsIdent("false")) {
    lit.is_int = true;
    lit.i = tok_.IsIdent("true") ? 1 : 0;
    lit.f = static_cast<double>(lit.i);
    Advance();
    return lit;
  }
  if (tok_.Is("-") || tok_.kind == TokenKind::kInt) {
    // An integer, possibly negative; a '-' before a float is handled below.
    if (tok_.Is("-")) {
      Advance();
      if (tok_.kind != TokenKind::kInt) {
        const bool neg_float =
            tok_.kind == TokenKind::kFloat || tok_.IsIdent("inf") || tok_.IsIdent("nan");
        if (!neg_float) return Unexpected("a number");
        HRT_ASSIGN_OR_RETURN(lit, ParseLiteral());
        lit.f = -lit.f;
        return lit;
      }
      HRT_ASSIGN_OR_RETURN(lit.i, ParseIntDigits(start, /*negative=*/true));
    } else {
      HRT_ASSIGN_OR_RETURN(lit.i, ParseInt());
    }
    lit.is_int = true;
    lit.f = static_cast<double>(lit.i);
    return lit;
  }
  if (tok_.kind == TokenKind::kFloat) {
    double v = 0.0;
    const auto [end, ec] = std::from_chars(tok_.text.data(), tok_.text.data() + tok_.text.size(), v,
                                           std::chars_format::general);
    if (ec != std::errc() || end != tok_.text.data() + tok_.text.size()) {
      return ErrorAt(tok_, "float literal '" + std::string(tok_.text) + "' out of range");
    }
    lit.f = v;
    Advance();
    return lit;
  }
  if (tok_.IsIdent("inf")) {
    lit.f = std::numeric_limits<double>::infinity();
    Advance();
    return lit;
  }
  if (tok_.IsIdent("nan")) {
    lit.f = std::numeric_limits<double>::quiet_NaN();
    Advance();
    return lit;
  }
  return Unexpected("a number");
}

// --- Module and signature ---------------------------------------------------

Result<Module> Parser::Run() {
  Module module;
  std::unordered_set<std::string> kernel_names;
  Advance();
  while (tok_.kind != TokenKind::kEof) {
    if (!tok_.IsIdent("kernel")) return Unexpected("'kernel'");
    const Token kw = tok_;
    Advance();
    HRT_ASSIGN_OR_RETURN(Token name, ExpectIdent("a kernel name"));
    if (name.text.size() > kMaxNameLength) {
      return ErrorAt(name, "name is longer than " + std::to_string(kMaxNameLength) + " characters");
    }
    if (!kernel_names.insert(std::string(name.text)).second) {
      return ErrorAt(name, "kernel '" + std::string(name.text) + "' is defined twice");
    }
    KernelBuilder builder{std::string(name.text)};
    b_ = &builder;
    Result<Kernel> kernel = ParseKernel();
    b_ = nullptr;
    if (!kernel.ok()) {
      Status s = kernel.take_status();
      // Verifier errors carry no position; point at the kernel they concern.
      if (s.code() != Code::kParseError) {
        s.Annotate(std::string(source_) + ":" + std::to_string(kw.line) + ":" +
                   std::to_string(kw.col));
      }
      return s;
    }
    module.kernels.push_back(std::move(kernel.value()));
  }
  return module;
}

Result<Kernel> Parser::ParseKernel() {
  names_.clear();
  for (int32_t& c : counts_) c = 0;
  visible_.clear();
  defined_.clear();
  scopes_.clear();
  if (Accept("<")) HRT_RETURN_IF_ERROR(ParseDTypeParams());
  HRT_RETURN_IF_ERROR(Expect("("));
  if (!tok_.Is(")")) {
    do {
      HRT_RETURN_IF_ERROR(ParseParam());
    } while (Accept(","));
  }
  HRT_RETURN_IF_ERROR(Expect(")"));
  bool has_grid = false;
  while (true) {
    if (tok_.IsIdent("tunable")) {
      HRT_RETURN_IF_ERROR(ParseTunable());
    } else if (tok_.IsIdent("constraint")) {
      Advance();
      HRT_ASSIGN_OR_RETURN(Expr e, ParseTopExpr(/*is_constraint=*/true));
      b_->AddConstraint(std::move(e));
    } else if (tok_.IsIdent("grid")) {
      if (has_grid) return ErrorAt(tok_, "the grid is given twice");
      has_grid = true;
      HRT_RETURN_IF_ERROR(ParseGrid());
    } else {
      break;
    }
  }
  if (!tok_.Is("{")) return Unexpected("'tunable', 'constraint', 'grid' or '{'");
  if (!has_grid) return ErrorAt(tok_, "kernel has no 'grid [...]' header");
  Advance();
  PushScope();
  HRT_RETURN_IF_ERROR(ParseBlock(0));
  HRT_RETURN_IF_ERROR(Expect("}"));
  return b_->Finish();
}

Status Parser::DeclareName(const Token& name, NameKind kind) {
  if (name.text.size() > kMaxNameLength) {
    return ErrorAt(name, "name is longer than " + std::to_string(kMaxNameLength) + " characters");
  }
  const auto [it, inserted] =
      names_.emplace(std::string(name.text), NameEntry{kind, counts_[static_cast<int>(kind)]});
  if (!inserted) {
    return ErrorAt(name, "'" + std::string(name.text) + "' is already declared as " +
                             NameKindWord(it->second.kind));
  }
  ++counts_[static_cast<int>(kind)];
  return Status::Ok();
}

int32_t Parser::Find(std::string_view name, NameKind kind) const {
  const auto it = names_.find(std::string(name));
  return it != names_.end() && it->second.kind == kind ? it->second.index : -1;
}

Status Parser::ParseDTypeParams() {
  do {
    HRT_ASSIGN_OR_RETURN(Token name, ExpectIdent("a dtype parameter name"));
    if (ParseDType(name.text)) {
      return ErrorAt(name,
                     "dtype parameter '" + std::string(name.text) + "' is named like a dtype");
    }
    if (b_->kernel().dtype_params.size() >= kMaxDTypeParams) {
      return ErrorAt(name, "more than " + std::to_string(kMaxDTypeParams) + " dtype parameters");
    }
    HRT_RETURN_IF_ERROR(DeclareName(name, NameKind::kDTypeParam));
    HRT_RETURN_IF_ERROR(ExpectKeyword("in"));
    HRT_RETURN_IF_ERROR(Expect("{"));
    std::vector<DType> candidates;
    if (!tok_.Is("}")) {
      do {
        HRT_ASSIGN_OR_RETURN(Token t, ExpectIdent("a dtype"));
        const std::optional<DType> d = ParseDType(t.text);
        if (!d) return ErrorAt(t, "unknown dtype '" + std::string(t.text) + "'");
        for (DType c : candidates) {
          if (c == *d) {
            return ErrorAt(t, "dtype parameter '" + std::string(name.text) + "' lists " +
                                  std::string(t.text) + " twice");
          }
        }
        candidates.push_back(*d);
      } while (Accept(","));
    }
    HRT_RETURN_IF_ERROR(Expect("}"));
    if (candidates.empty()) {
      return ErrorAt(name, "dtype parameter '" + std::string(name.text) + "' has no candidates");
    }
    b_->AddDTypeParam(std::string(name.text), std::move(candidates));
  } while (Accept(","));
  return Expect(">");
}

Result<Elem> Parser::ParseElem() {
  HRT_ASSIGN_OR_RETURN(Token t, ExpectIdent("a dtype"));
  if (const std::optional<DType> d = ParseDType(t.text)) return Elem::Of(*d);
  const int32_t p = Find(t.text, NameKind::kDTypeParam);
  if (p >= 0) return Elem::Param(static_cast<uint32_t>(p));
  return ErrorAt(t, "unknown dtype '" + std::string(t.text) + "'");
}

Status Parser::ParseParam() {
  HRT_ASSIGN_OR_RETURN(Token name, ExpectIdent("a parameter name"));
  HRT_RETURN_IF_ERROR(DeclareName(name, NameKind::kParam));
  HRT_RETURN_IF_ERROR(Expect(":"));
  // "tensor" followed by '<' is a tensor type; anything else is an element
  // type (a dtype parameter could itself be called "tensor").
  if (tok_.IsIdent("tensor")) {
    const Token word = tok_;
    Advance();
    if (Accept("<")) {
      HRT_ASSIGN_OR_RETURN(Elem elem, ParseElem());
      HRT_RETURN_IF_ERROR(Expect(">"));
      HRT_RETURN_IF_ERROR(Expect("["));
      std::vector<std::string> dims;
      if (!tok_.Is("]")) {
        do {
          HRT_ASSIGN_OR_RETURN(Token sym, ExpectIdent("a shape symbol"));
          if (dims.size() == kMaxRank) {
            return ErrorAt(sym, "tensor '" + std::string(name.text) + "' has more than " +
                                    std::to_string(kMaxRank) + " dimensions");
          }
          const auto it = names_.find(std::string(sym.text));
          if (it == names_.end()) {
            HRT_RETURN_IF_ERROR(DeclareName(sym, NameKind::kShapeSym));
          } else if (it->second.kind != NameKind::kShapeSym) {
            return ErrorAt(sym, "'" + std::string(sym.text) + "' is already declared as " +
                                    NameKindWord(it->second.kind));
          }
          dims.emplace_back(sym.text);
        } while (Accept(","));
      }
      const Token close = tok_;
      HRT_RETURN_IF_ERROR(Expect("]"));
      if (dims.empty()) {
        return ErrorAt(close,
                       "tensor '" + std::string(name.text) + "' needs at least one dimension");
      }
      b_->AddTensorParam(std::string(name.text), elem, dims);
      return Status::Ok();
    }
    const int32_t p = Find(word.text, NameKind::kDTypeParam);
    if (p < 0) return ErrorAt(tok_, "expected '<' after 'tensor'");
    b_->AddScalarParam(std::string(name.text), Elem::Param(static_cast<uint32_t>(p)));
    return Status::Ok();
  }
  HRT_ASSIGN_OR_RETURN(Elem elem, ParseElem());
  b_->AddScalarParam(std::string(name.text), elem);
  return Status::Ok();
}

Status Parser::ParseTunable() {
  Advance();  // 'tunable'
  HRT_ASSIGN_OR_RETURN(Token name, ExpectIdent("a tunable name"));
  HRT_RETURN_IF_ERROR(DeclareName(name, NameKind::kTunable));
  HRT_RETURN_IF_ERROR(ExpectKeyword("in"));
  HRT_RETURN_IF_ERROR(Expect("{"));
  const std::string n(name.text);
  std::vector<int64_t> candidates;
  if (!tok_.Is("}")) {
    do {
      const Token at = tok_;
      HRT_ASSIGN_OR_RETURN(int64_t v, ParseInt());
      if (v < 1 || v > kMaxTileElements) {
        return ErrorAt(
            at, "tunable '" + n + "' candidate " + std::to_string(v) + " is outside 1..2^24");
      }
      for (int64_t c : candidates) {
        if (c == v) return ErrorAt(at, "tunable '" + n + "' lists " + std::to_string(v) + " twice");
      }
      candidates.push_back(v);
    } while (Accept(","));
  }
  HRT_RETURN_IF_ERROR(Expect("}"));
  if (candidates.empty()) return ErrorAt(name, "tunable '" + n + "' has no candidates");
  int64_t default_value = candidates.front();
  if (Accept("=")) {
    const Token at = tok_;
    HRT_ASSIGN_OR_RETURN(default_value, ParseInt());
    bool found = false;
    for (int64_t c : candidates) found = found || c == default_value;
    if (!found) {
      return ErrorAt(at, "default " + std::to_string(default_value) + " of tunable '" + n +
                             "' is not one of its candidates");
    }
  }
  b_->AddTunable(n, std::move(candidates), default_value);
  return Status::Ok();
}

Status Parser::ParseGrid() {
  Advance();  // 'grid'
  HRT_RETURN_IF_ERROR(Expect("["));
  std::vector<Expr> grid;
  do {
    if (grid.size() == kMaxGridRank) {
      return ErrorAt(tok_,
                     "the grid has more than " + std::to_string(kMaxGridRank) + " dimensions");
    }
    HRT_ASSIGN_OR_RETURN(Expr e, ParseTopExpr(/*is_constraint=*/false));
    grid.push_back(std::move(e));
  } while (Accept(","));
  HRT_RETURN_IF_ERROR(Expect("]"));
  b_->SetGrid(std::move(grid));
  return Status::Ok();
}

// --- Expressions --------------------------------------------------------------
// Precedence climbing; nodes are appended in post-order (left operand's
// subtree, right operand's subtree, then the node), the order ExprToString
// reads and CheckExpr requires.

Result<Expr> Parser::ParseTopExpr(bool is_constraint) {
  Expr e;
  expr_ = &e;
  expr_is_constraint_ = is_constraint;
  Result<uint32_t> root = ParseExpr(0, 0);
  expr_ = nullptr;
  if (!root.ok()) return root.take_status();
  return e;
}

Result<uint32_t> Parser::PushNode(const Token& at, ExprNode node) {
  if (expr_->nodes.size() >= kMaxExprNodes) {
    return ErrorAt(at, "expression has more than " + std::to_string(kMaxExprNodes) + " nodes");
  }
  expr_->nodes.push_back(node);
  return static_cast<uint32_t>(expr_->nodes.size() - 1);
}

Result<uint32_t> Parser::ParseExpr(int min_prec, int depth) {
  if (depth > kMaxExprDepth) return ErrorAt(tok_, "expression nested too deeply");
  HRT_ASSIGN_OR_RETURN(uint32_t lhs, ParsePrimary(depth));
  while (true) {
    // "N%2": the lexer reads "%2" as a value name; here it is modulo by 2.
    if (tok_.kind == TokenKind::kValue) {
      lex_.ResumeAfterFirstByte(tok_);
      tok_.kind = TokenKind::kPunct;
      tok_.text = "%";
    }
    const BinaryOpInfo* info = nullptr;
    if (tok_.kind == TokenKind::kPunct) {
      for (const BinaryOpInfo& b : kBinaryOps) {
        if (tok_.text == b.token) info = &b;
      }
    }
    if (!info || info->prec < min_prec) return lhs;
    const Token op_tok = tok_;
    Advance();
    // Left-associative: the right operand binds only tighter operators.
    HRT_ASSIGN_OR_RETURN(uint32_t rhs, ParseExpr(info->prec + 1, depth + 1));
    HRT_ASSIGN_OR_RETURN(lhs, PushNode(op_tok, ExprNode{info->op, 0, lhs, rhs}));
  }
}

Result<uint32_t> Parser::ParsePrimary(int depth) {
  const Token t = tok_;
  if (Accept("(")) {
    HRT_ASSIGN_OR_RETURN(uint32_t inner, ParseExpr(0, depth + 1));
    HRT_RETURN_IF_ERROR(Expect(")"));
    return inner;
  }
  if (t.Is("-") || t.kind == TokenKind::kInt) {
    if (t.Is("-")) {
      Advance();
      if (tok_.kind != TokenKind::kInt) {
        return ErrorAt(t, "unary minus applies to integer literals only");
      }
    }
    HRT_ASSIGN_OR_RETURN(int64_t v, ParseIntDigits(t, t.Is("-")));
    return PushNode(t, ExprNode{ExprOp::kConst, v, 0, 0});
  }
  if (t.kind == TokenKind::kFloat) return ErrorAt(t, "expressions take integers only");
  if (t.kind != TokenKind::kIdent) return Unexpected("an expression");
  Advance();
  const std::string name(t.text);
  if (tok_.Is("(")) {
    ExprOp call;
    if (name == "cdiv") {
      call = ExprOp::kCeilDiv;
    } else if (name == "min") {
      call = ExprOp::kMin;
    } else if (name == "max") {
      call = ExprOp::kMax;
    } else {
      return ErrorAt(t, "unknown function '" + name + "'; expressions call cdiv, min and max");
    }
    Advance();
    HRT_ASSIGN_OR_RETURN(uint32_t a, ParseExpr(0, depth + 1));
    HRT_RETURN_IF_ERROR(Expect(","));
    HRT_ASSIGN_OR_RETURN(uint32_t b, ParseExpr(0, depth + 1));
    HRT_RETURN_IF_ERROR(Expect(")"));
    return PushNode(t, ExprNode{call, 0, a, b});
  }
  if (const int32_t i = Find(name, NameKind::kTunable); i >= 0) {
    return PushNode(t, ExprNode{ExprOp::kTunable, i, 0, 0});
  }
  if (const int32_t i = Find(name, NameKind::kShapeSym); i >= 0) {
    if (expr_is_constraint_) {
      return ErrorAt(
          t, "constraints may use tunables and constants only, not shape symbol '" + name + "'");
    }
    return PushNode(t, ExprNode{ExprOp::kShapeSym, i, 0, 0});
  }
  return ErrorAt(t, "unknown name '" + name + "' in expression");
}

// --- Body ---------------------------------------------------------------------

// |pending| holds names taken earlier in the same statement but not yet defined.
Status Parser::CheckNewValueName(const Token& t, const std::set<std::string_view>& pending) const {
  if (t.text.size() > kMaxNameLength) {
    return ErrorAt(t,
                   "value name is longer than " + std::to_string(kMaxNameLength) + " characters");
  }
  bool duplicate = defined_.count(std::string(t.text)) != 0;
  duplicate = duplicate || pending.count(t.text) != 0;
  if (duplicate) return ErrorAt(t, "value %" + std::string(t.text) + " is defined twice");
  return Status::Ok();
}

void Parser::DefineValue(const Token& t, ValueId id) {
  std::string name(t.text);
  defined_.insert(name);
  visible_[name] = id;
  scopes_.back().push_back(std::move(name));
}

void Parser::PopScope() {
  for (const std::string& n : scopes_.back()) visible_.erase(n);
  scopes_.pop_back();
}

Result<ValueId> Parser::ParseOperand() {
  if (tok_.kind != TokenKind::kValue) return Unexpected("a value");
  const std::string name(tok_.text);
  const auto it = visible_.find(name);
  if (it == visible_.end()) {
    if (defined_.count(name)) {
      return ErrorAt(tok_,
                     "value %" + name + " is defined inside a loop body and not visible here");
    }
    return ErrorAt(tok_, "unknown value %" + name);
  }
  Advance();
  return it->second;
}

Result<std::vector<ValueId>> Parser::ParseOperandList() {
  std::vector<ValueId> values;
  do {
    HRT_ASSIGN_OR_RETURN(ValueId v, ParseOperand());
    values.push_back(v);
  } while (Accept(","));
  return values;
}

Result<Dim> Parser::ParseDim() {
  if (tok_.kind == TokenKind::kIdent) {
    const Token t = tok_;
    Advance();
    const int32_t i = Find(t.text, NameKind::kTunable);
    if (i >= 0) return Dim::Tunable(i);
    if (Find(t.text, NameKind::kShapeSym) >= 0) {
      return ErrorAt(t, "shape symbol '" + std::string(t.text) +
                            "' is not a tile dimension; use a tunable or a constant");
    }
    return ErrorAt(t, "unknown tunable '" + std::string(t.text) + "'");
  }
  if (tok_.kind != TokenKind::kInt && !tok_.Is("-")) return Unexpected("a dimension");
  HRT_ASSIGN_OR_RETURN(int64_t v, ParseInt());
  return Dim::Const(v);
}

Result<std::vector<Dim>> Parser::ParseShape() {
  HRT_RETURN_IF_ERROR(Expect("["));
  std::vector<Dim> dims;
  do {
    if (dims.size() == kMaxRank) {
      return ErrorAt(tok_, "shape has more than " + std::to_string(kMaxRank) + " dimensions");
    }
    HRT_ASSIGN_OR_RETURN(Dim d, ParseDim());
    dims.push_back(d);
  } while (Accept(","));
  HRT_RETURN_IF_ERROR(Expect("]"));
  return dims;
}

Result<Type> Parser::ParseType() {
  if (tok_.IsIdent("tile")) {
    const Token word = tok_;
    Advance();
    if (Accept("<")) {
      HRT_ASSIGN_OR_RETURN(Elem elem, ParseElem());
      HRT_RETURN_IF_ERROR(Expect(">"));
      HRT_ASSIGN_OR_RETURN(std::vector<Dim> shape, ParseShape());
      return Type::Tile(elem, shape);
    }
    const int32_t p = Find(word.text, NameKind::kDTypeParam);
    if (p < 0) return ErrorAt(tok_, "expected '<' after 'tile'");
    return Type::Scalar(Elem::Param(static_cast<uint32_t>(p)));
  }
  HRT_ASSIGN_OR_RETURN(Elem elem, ParseElem());
  return Type::Scalar(elem);
}

Status Parser::ParseBlock(uint32_t depth) {
  while (true) {
    if (tok_.Is("}")) return Status::Ok();
    if (tok_.IsIdent("yield")) {
      if (depth == 0) return ErrorAt(tok_, "'yield' outside a loop body");
      return Status::Ok();
    }
    if (tok_.kind == TokenKind::kEof) return Unexpected("an op or '}'");
    HRT_RETURN_IF_ERROR(ParseStatement(depth));
  }
}

Status Parser::ParseStatement(uint32_t depth) {
  std::vector<Token> results;
  std::set<std::string_view> taken;  // the result names, for duplicates
  if (tok_.kind == TokenKind::kValue) {
    do {
      if (tok_.kind != TokenKind::kValue) return Unexpected("a value name");
      HRT_RETURN_IF_ERROR(CheckNewValueName(tok_, taken));
      results.push_back(tok_);
      taken.insert(tok_.text);
      Advance();
    } while (Accept(","));
    HRT_RETURN_IF_ERROR(Expect("="));
  }
  const Token op_tok = tok_;
  if (op_tok.kind != TokenKind::kIdent) return Unexpected("an op");
  if (op_tok.IsIdent("for")) return ParseFor(results, std::move(taken), depth);
  if (op_tok.IsIdent("yield")) return ErrorAt(op_tok, "'yield' has no results");
  const OpInfo* info = nullptr;
  Op op;
  for (int i = 0; i < kNumOpCodes; ++i) {
    const auto code = static_cast<OpCode>(i);
    const OpInfo* candidate = GetOpInfo(code);
    if (candidate->cls != OpClass::kFor && candidate->cls != OpClass::kYield &&
        op_tok.text == candidate->name) {
      info = candidate;
      op.code = code;
    }
  }
  if (!info) return ErrorAt(op_tok, "unknown op '" + std::string(op_tok.text) + "'");
  const bool has_result = op.code != OpCode::kStore && op.code != OpCode::kAtomicAdd;
  const std::string mnemonic = "'" + std::string(info->name) + "'";
  if (!has_result && !results.empty()) return ErrorAt(results[0], mnemonic + " has no results");
  if (has_result && results.empty()) {
    return ErrorAt(op_tok, mnemonic + " has a result; name it: %x = " + info->name + " ...");
  }
  if (results.size() > 1) return ErrorAt(results[1], mnemonic + " has one result");
  Advance();
  HRT_RETURN_IF_ERROR(ParseOpOperands(op_tok, op));

  std::vector<std::string> names;
  for (const Token& r : results) names.push_back(ValueNameFor(r));
  Result<std::vector<ValueId>> ids = b_->Emit(std::move(op), names);
  if (!ids.ok()) return ErrorAt(op_tok, ids.status().message());
  if (ids->size() != results.size()) {
    return ErrorAt(op_tok, mnemonic + " produced an unexpected number of results");
  }
  for (size_t i = 0; i < results.size(); ++i) DefineValue(results[i], (*ids)[i]);

  if (has_result && tok_.Is(":")) {
    const Token colon = tok_;
    Advance();
    HRT_ASSIGN_OR_RETURN(Type annotated, ParseType());
    const Kernel& k = b_->kernel();
    const Type& inferred = b_->TypeOf(ids->front());
    if (annotated != inferred) {
      return ErrorAt(colon, "type annotation " + TypeToString(k, annotated) +
                                " does not match the inferred type " + TypeToString(k, inferred));
    }
  }
  return Status::Ok();
}

Status Parser::ParseOpOperands(const Token& op_tok, Op& op) {
  const OpInfo* info = GetOpInfo(op.code);
  const std::string mnemonic = "'" + std::string(info->name) + "'";
  auto expect_count = [&](const std::vector<ValueId>& v, size_t lo, size_t hi) -> Status {
    if (v.size() >= lo && v.size() <= hi) return Status::Ok();
    const std::string want =
        lo == hi ? std::to_string(lo) : std::to_string(lo) + " or " + std::to_string(hi);
    return ErrorAt(op_tok, mnemonic + " takes " + want + " operand" + (hi == 1 ? "" : "s") +
                               ", got " + std::to_string(v.size()));
  };
  switch (op.code) {
    case OpCode::kProgramId: {
      HRT_ASSIGN_OR_RETURN(int64_t axis, ParseInt());
      op.ints = {axis};
      return Status::Ok();
    }
    case OpCode::kSym: {
      HRT_ASSIGN_OR_RETURN(Token t, ExpectIdent("a shape symbol or tunable"));
      const std::string name(t.text);
      if (const int32_t s = Find(name, NameKind::kShapeSym); s >= 0) {
        op.ints = {0, s};
      } else if (const int32_t u = Find(name, NameKind::kTunable); u >= 0) {
        op.ints = {1, u};
      } else {
        return ErrorAt(t, "unknown shape symbol or tunable '" + name + "'");
      }
      return Status::Ok();
    }
    case OpCode::kArg: {
      HRT_ASSIGN_OR_RETURN(Token t, ExpectIdent("a scalar parameter"));
      const int32_t p = Find(t.text, NameKind::kParam);
      if (p < 0) return ErrorAt(t, "unknown parameter '" + std::string(t.text) + "'");
      if (b_->kernel().params[static_cast<size_t>(p)].kind != ParamKind::kScalar) {
        return ErrorAt(t,
                       "'" + std::string(t.text) + "' is a tensor; 'arg' takes a scalar parameter");
      }
      op.ints = {p};
      return Status::Ok();
    }
    case OpCode::kConst: {
      HRT_ASSIGN_OR_RETURN(Literal lit, ParseLiteral());
      HRT_RETURN_IF_ERROR(Expect(":"));
      HRT_ASSIGN_OR_RETURN(op.elem, ParseElem());
      op.ints = {lit.is_int ? lit.i : 0};
      op.fval = lit.f;
      return Status::Ok();
    }
    case OpCode::kIota: {
      HRT_ASSIGN_OR_RETURN(Dim d, ParseDim());
      op.shape = {d};
      return Status::Ok();
    }
    case OpCode::kBroadcast:
    case OpCode::kReshape: {
      HRT_ASSIGN_OR_RETURN(ValueId x, ParseOperand());
      op.operands = {x};
      HRT_RETURN_IF_ERROR(ExpectKeyword("to"));
      HRT_ASSIGN_OR_RETURN(op.shape, ParseShape());
      return Status::Ok();
    }
    case OpCode::kExpandDims: {
      HRT_ASSIGN_OR_RETURN(ValueId x, ParseOperand());
      op.operands = {x};
      HRT_RETURN_IF_ERROR(Expect(","));
      HRT_ASSIGN_OR_RETURN(int64_t axis, ParseInt());
      op.ints = {axis};
      return Status::Ok();
    }
    case OpCode::kTranspose: {
      HRT_ASSIGN_OR_RETURN(ValueId x, ParseOperand());
      op.operands = {x};
      HRT_RETURN_IF_ERROR(Expect(","));
      HRT_RETURN_IF_ERROR(Expect("["));
      do {
        if (op.ints.size() == kMaxRank) {
          return ErrorAt(tok_,
                         "permutation has more than " + std::to_string(kMaxRank) + " entries");
        }
        HRT_ASSIGN_OR_RETURN(int64_t p, ParseInt());
        op.ints.push_back(p);
      } while (Accept(","));
      return Expect("]");
    }
    case OpCode::kLoad:
    case OpCode::kStore:
    case OpCode::kAtomicAdd: return ParseMemoryOperands(op);
    case OpCode::kCast: {
      HRT_ASSIGN_OR_RETURN(ValueId x, ParseOperand());
      op.operands = {x};
      HRT_RETURN_IF_ERROR(ExpectKeyword("to"));
      HRT_ASSIGN_OR_RETURN(op.elem, ParseElem());
      return Status::Ok();
    }
    case OpCode::kSum:
    case OpCode::kReduceMax:
    case OpCode::kReduceMin: {
      HRT_ASSIGN_OR_RETURN(ValueId x, ParseOperand());
      op.operands = {x};
      HRT_RETURN_IF_ERROR(Expect(","));
      HRT_RETURN_IF_ERROR(ExpectKeyword("axis"));
      HRT_ASSIGN_OR_RETURN(int64_t axis, ParseInt());
      op.ints = {axis};
      return Status::Ok();
    }
    default: break;
  }
  // Elementwise, select and dot: a plain operand list.
  size_t lo = 1, hi = 1;
  switch (info->cls) {
    case OpClass::kBinary:
    case OpClass::kCompare: lo = hi = 2; break;
    case OpClass::kUnary: lo = hi = 1; break;
    case OpClass::kSelect: lo = hi = 3; break;
    case OpClass::kDot: lo = 2, hi = 3; break;
    default: return ErrorAt(op_tok, "internal: no operand syntax for " + mnemonic);
  }
  HRT_ASSIGN_OR_RETURN(op.operands, ParseOperandList());
  return expect_count(op.operands, lo, hi);
}

// load T[i, ...] (, mask m)? (, other V)?  /  store T[i, ...], v (, mask m)?
Status Parser::ParseMemoryOperands(Op& op) {
  HRT_ASSIGN_OR_RETURN(Token t, ExpectIdent("a tensor parameter"));
  const int32_t p = Find(t.text, NameKind::kParam);
  if (p < 0) return ErrorAt(t, "unknown tensor '" + std::string(t.text) + "'");
  if (b_->kernel().params[static_cast<size_t>(p)].kind != ParamKind::kTensor) {
    return ErrorAt(t, "'" + std::string(t.text) + "' is a scalar parameter, not a tensor");
  }
  HRT_RETURN_IF_ERROR(Expect("["));
  HRT_ASSIGN_OR_RETURN(op.operands, ParseOperandList());
  HRT_RETURN_IF_ERROR(Expect("]"));
  const bool is_load = op.code == OpCode::kLoad;
  if (!is_load) {
    HRT_RETURN_IF_ERROR(Expect(","));
    HRT_ASSIGN_OR_RETURN(ValueId v, ParseOperand());
    op.operands.push_back(v);
  }
  bool has_mask = false;
  bool has_other = false;
  while (Accept(",")) {
    if (tok_.IsIdent("mask") && !has_mask && !has_other) {
      Advance();
      HRT_ASSIGN_OR_RETURN(ValueId m, ParseOperand());
      op.operands.push_back(m);
      has_mask = true;
    } else if (is_load && tok_.IsIdent("other") && !has_other) {
      Advance();
      HRT_ASSIGN_OR_RETURN(Literal lit, ParseLiteral());
      op.fval = lit.f;
      has_other = true;
    } else {
      const bool mask_ok = !has_mask && !has_other;
      const bool other_ok = is_load && !has_other;
      return Unexpected(mask_ok && other_ok ? "'mask' or 'other'"
                        : mask_ok           ? "'mask'"
                        : other_ok          ? "'other'"
                                            : "end of op");
    }
  }
  op.ints = {p, has_mask ? 1 : 0};
  return Status::Ok();
}

// %r, ... = for %iv = %lo to %hi step %s (iter(%c = %init, ...))? { ... yield %v, ... }
Status Parser::ParseFor(const std::vector<Token>& results, std::set<std::string_view> taken,
                        uint32_t depth) {
  const Token for_tok = tok_;
  Advance();
  if (depth + 1 > kMaxLoopDepth) {
    return ErrorAt(for_tok, "loops nested deeper than " + std::to_string(kMaxLoopDepth));
  }
  if (tok_.kind != TokenKind::kValue) return Unexpected("the induction variable");
  std::vector<Token> body_names = {tok_};
  HRT_RETURN_IF_ERROR(CheckNewValueName(tok_, taken));
  taken.insert(tok_.text);
  Advance();
  HRT_RETURN_IF_ERROR(Expect("="));
  HRT_ASSIGN_OR_RETURN(ValueId lo, ParseOperand());
  HRT_RETURN_IF_ERROR(ExpectKeyword("to"));
  HRT_ASSIGN_OR_RETURN(ValueId hi, ParseOperand());
  HRT_RETURN_IF_ERROR(ExpectKeyword("step"));
  HRT_ASSIGN_OR_RETURN(ValueId step, ParseOperand());
  std::vector<ValueId> inits;
  if (tok_.IsIdent("iter")) {
    Advance();
    HRT_RETURN_IF_ERROR(Expect("("));
    do {
      if (tok_.kind != TokenKind::kValue) return Unexpected("a carried value name");
      HRT_RETURN_IF_ERROR(CheckNewValueName(tok_, taken));
      taken.insert(tok_.text);
      body_names.push_back(tok_);
      Advance();
      HRT_RETURN_IF_ERROR(Expect("="));
      HRT_ASSIGN_OR_RETURN(ValueId init, ParseOperand());
      inits.push_back(init);
    } while (Accept(","));
    HRT_RETURN_IF_ERROR(Expect(")"));
  }
  if (results.size() != inits.size()) {
    return ErrorAt(for_tok, "the loop carries " + std::to_string(inits.size()) + " value(s) but " +
                                std::to_string(results.size()) + " result name(s) are given");
  }
  HRT_RETURN_IF_ERROR(Expect("{"));

  std::vector<std::string> carried_names;
  for (size_t i = 1; i < body_names.size(); ++i)
    carried_names.push_back(ValueNameFor(body_names[i]));
  const std::vector<ValueId> args =
      b_->BeginFor(lo, hi, step, inits, ValueNameFor(body_names[0]), carried_names);
  if (!b_->status().ok()) return ErrorAt(for_tok, b_->status().message());
  if (args.size() != body_names.size()) return ErrorAt(for_tok, "internal: loop arity mismatch");
  PushScope();
  for (size_t i = 0; i < args.size(); ++i) DefineValue(body_names[i], args[i]);

  HRT_RETURN_IF_ERROR(ParseBlock(depth + 1));
  if (!tok_.IsIdent("yield")) return ErrorAt(tok_, "loop body must end with 'yield'");
  const Token yield_tok = tok_;
  Advance();
  std::vector<ValueId> yields;
  // Newlines are otherwise insignificant, but a bare `yield` followed by a
  // stray "%x = ..." line must not take %x as its operand.
  if (tok_.kind == TokenKind::kValue && tok_.line == yield_tok.line) {
    HRT_ASSIGN_OR_RETURN(yields, ParseOperandList());
  }
  HRT_RETURN_IF_ERROR(Expect("}"));
  // The builder leaves yield/carried agreement to the verifier; check it here
  // so the error points at the yield.
  if (yields.size() != inits.size()) {
    return ErrorAt(yield_tok, "'yield' gives " + std::to_string(yields.size()) +
                                  " value(s); the loop carries " + std::to_string(inits.size()));
  }
  for (size_t i = 0; i < yields.size(); ++i) {
    const Type& got = b_->TypeOf(yields[i]);
    const Type& want = b_->TypeOf(args[i + 1]);
    if (got != want) {
      return ErrorAt(yield_tok, "'yield' value " + std::to_string(i) + " is " +
                                    TypeToString(b_->kernel(), got) + "; the loop carries " +
                                    TypeToString(b_->kernel(), want));
    }
  }
  PopScope();
  // The body was parsed after the result names were checked; it may have
  // taken one of them.
  for (const Token& r : results) HRT_RETURN_IF_ERROR(CheckNewValueName(r, {}));
  std::vector<std::string> result_names;
  for (const Token& r : results) result_names.push_back(ValueNameFor(r));
  const std::vector<ValueId> ids = b_->EndFor(yields, result_names);
  if (!b_->status().ok()) return ErrorAt(yield_tok, b_->status().message());
  if (ids.size() != results.size()) return ErrorAt(for_tok, "internal: loop result mismatch");
  for (size_t i = 0; i < ids.size(); ++i) DefineValue(results[i], ids[i]);
  return Status::Ok();
}

}  // namespace

Result<Module> ParseModule(std::string_view text, std::string_view source_name) {
  Parser parser(text, source_name);
  return parser.Run();
}

}  // namespace hrt::ir
