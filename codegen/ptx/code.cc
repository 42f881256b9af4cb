#include "codegen/ptx/code.h"

#include <charconv>
#include <cstring>
#include <string>

namespace hrt::ptx {
namespace {

constexpr const char* kPrefix[kNumRegClasses] = {"%p", "%h", "%r", "%f", "%rd", "%fd"};

}  // namespace

// Formats one line in a local buffer and appends it in one piece: the
// emitter writes tens of thousands of short lines.
class LineBuf {
 public:
  explicit LineBuf(std::string* out) : out_(out) {}
  ~LineBuf() { Flush(); }
  LineBuf(const LineBuf&) = delete;
  LineBuf& operator=(const LineBuf&) = delete;

  void Put(char c) {
    if (n_ == kCap) Flush();
    buf_[n_++] = c;
  }
  void Put(std::string_view s) {
    if (n_ + s.size() > kCap) Flush();
    if (s.size() > kCap) {
      out_->append(s);
      return;
    }
    std::memcpy(buf_ + n_, s.data(), s.size());
    n_ += s.size();
  }
  void PutInt(int64_t v) {
    char tmp[24];
    auto [end, ec] = std::to_chars(tmp, tmp + sizeof tmp, v);
    Put(std::string_view(tmp, static_cast<size_t>(end - tmp)));
  }
  void PutUInt(uint32_t v) {
    char tmp[12];
    int n = 0;
    do {
      tmp[11 - n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    Put(std::string_view(tmp + 12 - n, static_cast<size_t>(n)));
  }
  void PutHex(uint64_t v, int digits) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    char tmp[16];
    for (int i = digits - 1; i >= 0; --i) {
      tmp[i] = kDigits[v & 15u];
      v >>= 4;
    }
    Put(std::string_view(tmp, static_cast<size_t>(digits)));
  }
  void PutReg(Reg r) {
    Put(kPrefix[static_cast<size_t>(r.cls)]);
    PutUInt(r.id);
  }
  void Flush() {
    out_->append(buf_, n_);
    n_ = 0;
  }

 private:
  static constexpr size_t kCap = 480;
  std::string* out_;
  size_t n_ = 0;
  char buf_[kCap];
};

void AppendReg(std::string* out, Reg r) {
  LineBuf w(out);
  w.PutReg(r);
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

Opnd Opnd::List(std::span<const Reg> regs) {
  Opnd o(Kind::kList);
  o.list_ = regs.data();
  o.imm_ = static_cast<int64_t>(regs.size());
  return o;
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
  LineBuf w(out);
  WriteTo(w);
}

void Opnd::WriteTo(LineBuf& w) const {
  switch (kind_) {
    case Kind::kReg: w.PutReg(regs_[0]); break;
    case Kind::kImm: w.PutInt(imm_); break;
    case Kind::kU64: {
      const auto u = static_cast<uint64_t>(imm_);
      w.Put("0x");
      w.PutHex(u, u >> 32 ? 16 : 8);
      break;
    }
    case Kind::kF32:
      w.Put("0f");
      w.PutHex(static_cast<uint64_t>(imm_), 8);
      break;
    case Kind::kF64:
      w.Put("0d");
      w.PutHex(static_cast<uint64_t>(imm_), 16);
      break;
    case Kind::kMem:
      w.Put('[');
      w.PutReg(regs_[0]);
      if (imm_ != 0) {
        if (imm_ > 0) w.Put('+');
        w.PutInt(imm_);
      }
      w.Put(']');
      break;
    case Kind::kSym:
      if (bracket_) w.Put('[');
      w.Put(text_);
      if (imm_ != 0) {
        w.Put('+');
        w.PutInt(imm_);
      }
      if (bracket_) w.Put(']');
      break;
    case Kind::kVec:
    case Kind::kArgs:
      w.Put(kind_ == Kind::kVec ? '{' : '(');
      for (uint8_t i = 0; i < nregs_; ++i) {
        if (i) w.Put(", ");
        w.PutReg(regs_[i]);
      }
      w.Put(kind_ == Kind::kVec ? '}' : ')');
      break;
    case Kind::kText: w.Put(text_); break;
    case Kind::kList:
      w.Put('{');
      for (int64_t i = 0; i < imm_; ++i) {
        if (i) w.Put(", ");
        w.PutReg(list_[i]);
      }
      w.Put('}');
      break;
  }
}

Code::Code() {
  body_.reserve(1 << 18);
  prologue_.reserve(1 << 13);
}

Reg Code::NewReg(RegClass cls) {
  return Reg{cls, ++counts_[static_cast<size_t>(cls)]};
}

Regs Code::NewRegs(RegClass cls, size_t n) {
  Regs r(n);
  for (Reg& x : r) x = NewReg(cls);
  return r;
}

void Code::Emit(Reg pred, bool negate, std::string_view op, std::initializer_list<Opnd> operands) {
  LineBuf w(&Out());
  w.Put('\t');
  if (pred.valid()) {
    w.Put(negate ? "@!" : "@");
    w.PutReg(pred);
    w.Put(' ');
  }
  w.Put(op);
  bool first = true;
  for (const Opnd& o : operands) {
    w.Put(first ? std::string_view(" \t") : std::string_view(", "));
    first = false;
    o.WriteTo(w);
  }
  w.Put(";\n");
}

void Code::Ins(std::string_view op, std::initializer_list<Opnd> operands) {
  Emit(Reg{}, false, op, operands);
}

void Code::InsIf(Reg pred, bool negate, std::string_view op, std::initializer_list<Opnd> operands) {
  Emit(pred, negate, op, operands);
}

void Code::AppendLabel(std::string* out, uint32_t label) {
  LineBuf w(out);
  w.Put('L');
  w.PutUInt(label);
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

void Code::BarSync(uint32_t threads) {
  if (threads == 0) {
    Out().append("\tbar.sync \t0;\n");
    return;
  }
  Out().append("\tbar.sync \t1, " + std::to_string(threads) + ";\n");
}

}  // namespace hrt::ptx
