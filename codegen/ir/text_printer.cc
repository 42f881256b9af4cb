// Printer of the tile-IR text form. The output parses back (text_parser.cc)
// into an identical module: values keep their ids because the parser creates
// them in printing order, integer and float literals keep their bits, and
// tunable defaults are always spelled out.
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "codegen/ir/expr.h"
#include "codegen/ir/text.h"

namespace hrt::ir {
namespace {

// Shortest decimal that reads back to the same double, always recognisable as
// a float literal ('.', 'e', inf or nan) so the parser keeps ints[0] = 0.
std::string FloatLiteral(double v) {
  if (std::isnan(v)) return std::signbit(v) ? "-nan" : "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s = ec == std::errc() ? std::string(buf, end) : std::string("0.0");
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

bool IsNegativeZero(double v) {
  return v == 0.0 && std::signbit(v);
}

// `other` of a load: an integral fill prints as an integer literal (the parser
// stores double(V)), anything else as a float literal.
std::string FillLiteral(double v) {
  if (std::isfinite(v) && !IsNegativeZero(v) && std::fabs(v) < 9.0e18 &&
      v == static_cast<double>(static_cast<int64_t>(v))) {
    return std::to_string(static_cast<int64_t>(v));
  }
  return FloatLiteral(v);
}

class Printer {
 public:
  Printer(const Kernel& k, std::string& out) : k_(k), out_(out) {}

  void PrintKernel();

 private:
  void Header();
  void PrintBlock(const Block& block, int indent);
  void PrintOp(const Op& op, int indent);
  void Operands(const Op& op, size_t begin, size_t end);

  std::string Value(ValueId id) const;
  std::string Dim(const ir::Dim& d) const;
  std::string Shape(const std::vector<ir::Dim>& dims) const;
  std::string Elem(ir::Elem e) const { return ElemToString(k_, e); }
  std::string ParamName(int64_t index) const;
  std::string ConstLiteral(const Op& op) const;
  int64_t Int(const Op& op, size_t i) const { return i < op.ints.size() ? op.ints[i] : 0; }

  const Kernel& k_;
  std::string& out_;
};

std::string Printer::Value(ValueId id) const {
  if (id < k_.values.size()) {
    const std::string& name = k_.values[id].name;
    bool digits_only = true;
    for (char c : name) digits_only = digits_only && c >= '0' && c <= '9';
    // A digits-only name would read back as an unnamed value; print the id.
    if (!name.empty() && !digits_only) return "%" + name;
  }
  return "%" + std::to_string(id);
}

std::string Printer::Dim(const ir::Dim& d) const {
  if (d.is_const()) return std::to_string(d.value);
  if (static_cast<size_t>(d.tunable) < k_.tunables.size()) {
    return k_.tunables[static_cast<size_t>(d.tunable)].name;
  }
  return "<bad tunable>";
}

std::string Printer::Shape(const std::vector<ir::Dim>& dims) const {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + Dim(dims[i]);
  return s + "]";
}

std::string Printer::ParamName(int64_t index) const {
  if (index >= 0 && static_cast<uint64_t>(index) < k_.params.size()) {
    return k_.params[static_cast<size_t>(index)].name;
  }
  return "<bad param>";
}

// The parser's rule for `const`: an integer literal V gives ints[0] = V and
// fval = double(V); a float literal gives fval and ints[0] = 0.
std::string Printer::ConstLiteral(const Op& op) const {
  const int64_t i = Int(op, 0);
  const bool integral = op.fval == static_cast<double>(i) && !IsNegativeZero(op.fval);
  if (integral) {
    if (op.elem == Elem::Of(DType::kBool) && (i == 0 || i == 1)) return i ? "true" : "false";
    return std::to_string(i);
  }
  return FloatLiteral(op.fval);
}

void Printer::Operands(const Op& op, size_t begin, size_t end) {
  for (size_t i = begin; i < end && i < op.operands.size(); ++i) {
    if (i > begin) out_ += ", ";
    out_ += Value(op.operands[i]);
  }
}

void Printer::Header() {
  out_ += "kernel " + k_.name;
  if (!k_.dtype_params.empty()) {
    out_ += "<";
    for (size_t i = 0; i < k_.dtype_params.size(); ++i) {
      const DTypeParam& d = k_.dtype_params[i];
      out_ += (i ? ", " : "") + d.name + " in {";
      for (size_t j = 0; j < d.candidates.size(); ++j) {
        out_ += (j ? ", " : "") + std::string(DTypeName(d.candidates[j]));
      }
      out_ += "}";
    }
    out_ += ">";
  }
  out_ += "(";
  for (size_t i = 0; i < k_.params.size(); ++i) {
    const Param& p = k_.params[i];
    out_ += (i ? ", " : "") + p.name + ": ";
    if (p.kind == ParamKind::kScalar) {
      out_ += Elem(p.elem);
      continue;
    }
    out_ += "tensor<" + Elem(p.elem) + ">[";
    for (uint32_t d = 0; d < p.rank && d < kMaxRank; ++d) {
      out_ += d ? ", " : "";
      out_ += p.dims[d] < k_.shape_syms.size() ? k_.shape_syms[p.dims[d]] : "<bad symbol>";
    }
    out_ += "]";
  }
  out_ += ")\n";
  for (const Tunable& t : k_.tunables) {
    out_ += "  tunable " + t.name + " in {";
    for (size_t j = 0; j < t.candidates.size(); ++j) {
      out_ += (j ? ", " : "") + std::to_string(t.candidates[j]);
    }
    out_ += "} = " + std::to_string(t.default_value) + "\n";
  }
  for (const Expr& c : k_.constraints) out_ += "  constraint " + ExprToString(k_, c) + "\n";
  out_ += "  grid [";
  for (size_t i = 0; i < k_.grid.size(); ++i) {
    out_ += (i ? ", " : "") + ExprToString(k_, k_.grid[i]);
  }
  out_ += "]\n";
}

void Printer::PrintKernel() {
  Header();
  out_ += "{\n";
  PrintBlock(k_.body, 1);
  out_ += "}\n";
}

void Printer::PrintBlock(const Block& block, int indent) {
  for (const Op& op : block.ops) PrintOp(op, indent);
}

void Printer::PrintOp(const Op& op, int indent) {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  out_ += pad;
  for (size_t i = 0; i < op.results.size(); ++i) {
    out_ += (i ? ", " : "") + Value(op.results[i]);
  }
  if (!op.results.empty()) out_ += " = ";
  const OpInfo* info = GetOpInfo(op.code);
  if (!info) {
    out_ += "<bad op " + std::to_string(static_cast<int>(op.code)) + ">\n";
    return;
  }
  out_ += info->name;
  const size_t n = op.operands.size();
  switch (op.code) {
    case OpCode::kProgramId: out_ += " " + std::to_string(Int(op, 0)); break;
    case OpCode::kExpandDims:
      out_ += " ";
      Operands(op, 0, 1);
      out_ += ", " + std::to_string(Int(op, 0));
      break;
    case OpCode::kSym: {
      const int64_t index = Int(op, 1);
      const bool tunable = Int(op, 0) == 1;
      const size_t count = tunable ? k_.tunables.size() : k_.shape_syms.size();
      std::string name = "<bad symbol>";
      if (index >= 0 && static_cast<uint64_t>(index) < count) {
        name = tunable ? k_.tunables[static_cast<size_t>(index)].name
                       : k_.shape_syms[static_cast<size_t>(index)];
      }
      out_ += " " + name;
      break;
    }
    case OpCode::kArg: out_ += " " + ParamName(Int(op, 0)); break;
    case OpCode::kConst: out_ += " " + ConstLiteral(op) + " : " + Elem(op.elem); break;
    case OpCode::kIota: out_ += " " + (op.shape.empty() ? "?" : Dim(op.shape[0])); break;
    case OpCode::kBroadcast:
    case OpCode::kReshape:
      out_ += " ";
      Operands(op, 0, 1);
      out_ += " to " + Shape(op.shape);
      break;
    case OpCode::kTranspose: {
      out_ += " ";
      Operands(op, 0, 1);
      out_ += ", [";
      for (size_t i = 0; i < op.ints.size(); ++i)
        out_ += (i ? ", " : "") + std::to_string(op.ints[i]);
      out_ += "]";
      break;
    }
    case OpCode::kLoad:
    case OpCode::kStore:
    case OpCode::kAtomicAdd: {
      const bool has_mask = Int(op, 1) == 1;
      const bool has_value = op.code != OpCode::kLoad;
      const size_t tail = (has_mask ? 1 : 0) + (has_value ? 1 : 0);
      const size_t n_idx = n >= tail ? n - tail : 0;
      out_ += " " + ParamName(Int(op, 0)) + "[";
      Operands(op, 0, n_idx);
      out_ += "]";
      if (has_value && n_idx < n) out_ += ", " + Value(op.operands[n_idx]);
      if (has_mask && n > 0) out_ += ", mask " + Value(op.operands[n - 1]);
      uint64_t bits;
      std::memcpy(&bits, &op.fval, sizeof(bits));
      if (op.code == OpCode::kLoad && (has_mask || bits != 0)) {
        out_ += ", other " + FillLiteral(op.fval);
      }
      break;
    }
    case OpCode::kCast:
      out_ += " ";
      Operands(op, 0, 1);
      out_ += " to " + Elem(op.elem);
      break;
    case OpCode::kSum:
    case OpCode::kReduceMax:
    case OpCode::kReduceMin:
      out_ += " ";
      Operands(op, 0, 1);
      out_ += ", axis " + std::to_string(Int(op, 0));
      break;
    case OpCode::kFor: {
      const Block* body = op.regions.empty() ? nullptr : &op.regions[0];
      auto arg = [&](size_t i) {
        return body && i < body->args.size() ? Value(body->args[i]) : std::string("%?");
      };
      out_ += " " + arg(0) + " = ";
      Operands(op, 0, 1);
      out_ += " to ";
      Operands(op, 1, 2);
      out_ += " step ";
      Operands(op, 2, 3);
      if (n > 3) {
        out_ += " iter(";
        for (size_t i = 3; i < n; ++i) {
          out_ += (i > 3 ? ", " : "") + arg(i - 2) + " = " + Value(op.operands[i]);
        }
        out_ += ")";
      }
      out_ += " {\n";
      if (body) PrintBlock(*body, indent + 1);
      out_ += pad + "}";
      break;
    }
    default:  // elementwise, select, dot, yield: a plain operand list
      if (n > 0) {
        out_ += " ";
        Operands(op, 0, n);
      }
      break;
  }
  out_ += "\n";
}

}  // namespace

std::string PrintKernel(const Kernel& kernel) {
  std::string out;
  Printer(kernel, out).PrintKernel();
  return out;
}

std::string PrintModule(const Module& module) {
  std::string out;
  for (size_t i = 0; i < module.kernels.size(); ++i) {
    if (i) out += "\n";
    out += PrintKernel(module.kernels[i]);
  }
  return out;
}

}  // namespace hrt::ir
