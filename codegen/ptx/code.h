// PTX text assembly: typed virtual registers, operands, labels and the two
// instruction streams (prologue and body) of one kernel.
//
// PTX registers are virtual (ptxas allocates the hardware ones), so every
// value gets fresh registers; names are a per-class prefix plus a number
// ("%r12", "%f3"), declared once at the top of the entry as "%r<N>".
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hrt::ptx {

class LineBuf;

enum class RegClass : uint8_t {
  kPred = 0,  // .pred      %p
  kB16 = 1,   // .b16       %h  (f16/bf16 bits at the memory boundary)
  kB32 = 2,   // .b32       %r  (i8, u8, i16, i32 held sign/zero-extended)
  kF32 = 3,   // .f32       %f  (f16, bf16 and f32 values)
  kB64 = 4,   // .b64       %rd (i64, addresses)
  kF64 = 5,   // .f64       %fd (fmod and int->float helpers)
};
inline constexpr int kNumRegClasses = 6;

struct Reg {
  RegClass cls = RegClass::kB32;
  uint32_t id = 0;  // 0: no register

  bool valid() const { return id != 0; }
  friend bool operator==(Reg a, Reg b) { return a.cls == b.cls && a.id == b.id; }
};

using Regs = std::vector<Reg>;

// One instruction operand.
class Opnd {
 public:
  Opnd(Reg r) : kind_(Kind::kReg) { regs_[0] = r; }  // NOLINT(google-explicit-constructor)
  static Opnd Imm(int64_t v);
  static Opnd U64(uint64_t v);
  static Opnd F32(float v);   // exact hex form 0fXXXXXXXX
  static Opnd F64(double v);  // 0dXXXXXXXXXXXXXXXX
  // [base+offset]; base is a register (b32 shared or b64 global address).
  static Opnd Mem(Reg base, int64_t offset = 0);
  // [symbol+offset], or the bare symbol when |bracket| is false.
  static Opnd Sym(const char* name, int64_t offset = 0, bool bracket = true);
  // {%r1, %r2, ...}: 1..4 registers.
  static Opnd Vec(std::span<const Reg> regs);
  static Opnd Vec(std::initializer_list<Reg> regs);
  // {%f1, %f2, ...} of any length (wgmma accumulators). Refers to |regs|,
  // which must outlive the instruction's emission.
  static Opnd List(std::span<const Reg> regs);
  // (%r1, %r2): call arguments.
  static Opnd Args(std::initializer_list<Reg> regs);
  // A special register or other literal text (%tid.x, a label name).
  static Opnd Text(const char* text);

  void AppendTo(std::string* out) const;
  void WriteTo(LineBuf& out) const;

 private:
  enum class Kind : uint8_t { kReg, kImm, kU64, kF32, kF64, kMem, kSym, kVec, kArgs, kText, kList };
  explicit Opnd(Kind k) : kind_(k) {}

  Kind kind_;
  uint8_t nregs_ = 0;
  bool bracket_ = true;
  std::array<Reg, 4> regs_{};
  int64_t imm_ = 0;
  const char* text_ = nullptr;
  const Reg* list_ = nullptr;  // kList: imm_ registers
};

// Appends "%r12" (etc.) to |out|.
void AppendReg(std::string* out, Reg r);
std::string RegName(Reg r);

class Code {
 public:
  enum class Stream : uint8_t { kPrologue, kBody };

  Code();

  Reg NewReg(RegClass cls);
  Regs NewRegs(RegClass cls, size_t n);
  uint32_t NewLabel() { return ++labels_; }
  uint32_t count(RegClass cls) const { return counts_[static_cast<size_t>(cls)]; }

  // Instructions go to the current stream. The prologue runs once at entry,
  // before the body: per-thread constants (thread coordinates, parameter
  // loads) are emitted there lazily, wherever they are first needed.
  Stream stream() const { return stream_; }
  void SetStream(Stream s) { stream_ = s; }

  void Ins(std::string_view op, std::initializer_list<Opnd> operands);
  // "@%p1 op ..." or "@!%p1 op ..."; an invalid |pred| emits unpredicated.
  void InsIf(Reg pred, bool negate, std::string_view op, std::initializer_list<Opnd> operands);
  void Label(uint32_t label);
  void Branch(uint32_t label, bool uniform = true);  // bra(.uni)
  void BranchIf(Reg pred, bool negate, uint32_t label, bool uniform);
  void Comment(std::string_view text);
  // bar.sync 0 (every thread of the block), or, with |threads|, named
  // barrier 1 for that many threads (the consumer warps of a
  // warp-specialized kernel, whose producer warps have exited).
  void BarSync(uint32_t threads = 0);

  const std::string& prologue() const { return prologue_; }
  const std::string& body() const { return body_; }
  // Size of the text emitted so far, for the generator's size guard.
  size_t size() const { return prologue_.size() + body_.size(); }

  // "L12" for labels.
  static void AppendLabel(std::string* out, uint32_t label);

 private:
  std::string& Out() { return stream_ == Stream::kBody ? body_ : prologue_; }
  void Emit(Reg pred, bool negate, std::string_view op, std::initializer_list<Opnd> operands);

  std::array<uint32_t, kNumRegClasses> counts_{};
  uint32_t labels_ = 0;
  Stream stream_ = Stream::kBody;
  std::string prologue_;
  std::string body_;
};

// Switches |code| to the prologue stream for the guard's lifetime.
class PrologueScope {
 public:
  explicit PrologueScope(Code* code) : code_(code), saved_(code->stream()) {
    code->SetStream(Code::Stream::kPrologue);
  }
  ~PrologueScope() { code_->SetStream(saved_); }
  PrologueScope(const PrologueScope&) = delete;
  PrologueScope& operator=(const PrologueScope&) = delete;

 private:
  Code* code_;
  Code::Stream saved_;
};

}  // namespace hrt::ptx
