#include "codegen/ptx/code.h"

#include <charconv>
#include <cstring>

namespace hrt::ptx {
namespace {

constexpr const char* kPrefix[kNumRegClasses] = {"%p", "%h", "%r", "%f", "%rd", "%fd"};

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

void AppendHex(std::string* out, uint64_t v, int digits) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  char buf[16];
  for (int i = digits - 1; i >= 0; --i) {
    buf[i] = kDigits[v & 15u];
    v >>= 4;
  }
  out->append(buf, static_cast<size_t>(digits));
}

}  // namespace

void AppendReg(std::string* out, Reg r) {
  out->append(kPrefix[static_cast<size_t>(r.cls)]);
  AppendInt(out, r.id);
}

std::string RegName(Reg r) {
  std::string s;
  AppendReg(&s, r);
  return s;
}

Opnd Opnd::Imm(int64_t v) {
  Opnd o(Kind::kImm);
  o.imm_ = v;
  return o;
}

Opnd Opnd::U64(uint64_t v) {
  Opnd o(Kind::kU64);
  o.imm_ = static_cast<int64_t>(v);
  return o;
}

Opnd Opnd::F32(float v) {
  Opnd o(Kind::kF32);
  uint32_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  o.imm_ = bits;
  return o;
}

Opnd Opnd::F64(double v) {
  Opnd o(Kind::kF64);
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  o.imm_ = static_cast<int64_t>(bits);
  return o;
}

Opnd Opnd::Mem(Reg base, int64_t offset) {
  Opnd o(Kind::kMem);
  o.regs_[0] = base;
  o.imm_ = offset;
  return o;
}

Opnd Opnd::Sym(const char* name, int64_t offset, bool bracket) {
  Opnd o(Kind::kSym);
  o.text_ = name;
  o.imm_ = offset;
  o.bracket_ = bracket;
  return o;
}

Opnd Opnd::Vec(std::span<const Reg> regs) {
  Opnd o(Kind::kVec);
  const size_t n = regs.size() < 4 ? regs.size() : 4;
  for (size_t i = 0; i < n; ++i) o.regs_[i] = regs[i];
  o.nregs_ = static_cast<uint8_t>(n);
  return o;
}

Opnd Opnd::Vec(std::initializer_list<Reg> regs) {
  return Vec(std::span<const Reg>(regs.begin(), regs.size()));
}

Opnd Opnd::Args(std::initializer_list<Reg> regs) {
  Opnd o = Vec(regs);
  o.kind_ = Kind::kArgs;
  return o;
}

Opnd Opnd::Text(const char* text) {
  Opnd o(Kind::kText);
  o.text_ = text;
  return o;
}

void Opnd::AppendTo(std::string* out) const {
  switch (kind_) {
    case Kind::kReg: AppendReg(out, regs_[0]); break;
    case Kind::kImm: AppendInt(out, imm_); break;
    case Kind::kU64: {
      const auto u = static_cast<uint64_t>(imm_);
      out->append("0x");
      AppendHex(out, u, u >> 32 ? 16 : 8);
      break;
    }
    case Kind::kF32:
      out->append("0f");
      AppendHex(out, static_cast<uint64_t>(imm_), 8);
      break;
    case Kind::kF64:
      out->append("0d");
      AppendHex(out, static_cast<uint64_t>(imm_), 16);
      break;
    case Kind::kMem:
      out->push_back('[');
      AppendReg(out, regs_[0]);
      if (imm_ != 0) {
        if (imm_ > 0) out->push_back('+');
        AppendInt(out, imm_);
      }
      out->push_back(']');
      break;
    case Kind::kSym:
      if (bracket_) out->push_back('[');
      out->append(text_);
      if (imm_ != 0) {
        out->push_back('+');
        AppendInt(out, imm_);
      }
      if (bracket_) out->push_back(']');
      break;
    case Kind::kVec:
    case Kind::kArgs:
      out->push_back(kind_ == Kind::kVec ? '{' : '(');
      for (uint8_t i = 0; i < nregs_; ++i) {
        if (i) out->append(", ");
        AppendReg(out, regs_[i]);
      }
      out->push_back(kind_ == Kind::kVec ? '}' : ')');
      break;
    case Kind::kText: out->append(text_); break;
  }
}

Code::Code() {
  body_.reserve(1 << 16);
  prologue_.reserve(1 << 12);
}

Reg Code::NewReg(RegClass cls) {
  return Reg{cls, ++counts_[static_cast<size_t>(cls)]};
}

Regs Code::NewRegs(RegClass cls, size_t n) {
  Regs r(n);
  for (Reg& x : r) x = NewReg(cls);
  return r;
}

void Code::Emit(std::string_view pred_prefix, std::string_view op,
                std::initializer_list<Opnd> operands) {
  std::string& out = Out();
  out.push_back('\t');
  out.append(pred_prefix);
  out.append(op);
  bool first = true;
  for (const Opnd& o : operands) {
    out.append(first ? " \t" : ", ");
    first = false;
    o.AppendTo(&out);
  }
  out.append(";\n");
}

void Code::Ins(std::string_view op, std::initializer_list<Opnd> operands) {
  Emit({}, op, operands);
}

void Code::InsIf(Reg pred, bool negate, std::string_view op,
                 std::initializer_list<Opnd> operands) {
  if (!pred.valid()) {
    Emit({}, op, operands);
    return;
  }
  std::string prefix = negate ? "@!" : "@";
  AppendReg(&prefix, pred);
  prefix.push_back(' ');
  Emit(prefix, op, operands);
}

void Code::AppendLabel(std::string* out, uint32_t label) {
  out->push_back('L');
  AppendInt(out, label);
}

void Code::Label(uint32_t label) {
  std::string& out = Out();
  AppendLabel(&out, label);
  out.append(":\n");
}

void Code::Branch(uint32_t label, bool uniform) {
  std::string& out = Out();
  out.append(uniform ? "\tbra.uni \t" : "\tbra \t");
  AppendLabel(&out, label);
  out.append(";\n");
}

void Code::BranchIf(Reg pred, bool negate, uint32_t label, bool uniform) {
  std::string& out = Out();
  out.append(negate ? "\t@!" : "\t@");
  AppendReg(&out, pred);
  out.append(uniform ? " bra.uni \t" : " bra \t");
  AppendLabel(&out, label);
  out.append(";\n");
}

void Code::Comment(std::string_view text) {
  std::string& out = Out();
  out.append("\t// ");
  for (char c : text) out.push_back(c == '\n' ? ' ' : c);
  out.push_back('\n');
}

void Code::BarSync() {
  Out().append("\tbar.sync \t0;\n");
}

}  // namespace hrt::ptx
