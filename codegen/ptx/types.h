// How each tile-IR dtype lives in PTX registers and memory.
//
// Registers hold a small set of representations: bool is a predicate; i8,
// u8, i16 and i32 are 32-bit registers holding the value sign- (or, for u8,
// zero-) extended; i64 is 64-bit; f16, bf16 and f32 are f32 registers holding
// a value exactly representable in the dtype (every op computes in f32 and
// rounds back, which is what the interpreter's "round after every op" means
// for these types). Memory holds each dtype at its natural size.
#pragma once

#include <cstdint>

#include "codegen/ir/dtype.h"
#include "codegen/ptx/code.h"

namespace hrt::ptx {

enum class Repr : uint8_t { kPred, kI32, kI64, kF32 };

Repr ReprOf(ir::DType t);
RegClass RegClassOf(Repr r);
// The register-to-register move for |r|.
const char* MovFor(Repr r);
inline RegClass RegClassOf(ir::DType t) {
  return RegClassOf(ReprOf(t));
}

// Instruction type suffix for arithmetic on the representation: ".s32",
// ".s64", ".f32" (".pred" for predicates).
const char* ArithType(Repr r);
// Bit-type suffix of the register: ".b32", ".b64", ".f32", ".pred".
const char* BitsType(Repr r);

// Suffix of a scalar ld.global/ld.param of one element into its register:
// sign-extending for i8/i16 (".s8", ".s16"), ".u8" for u8 and bool, ".b16"
// for f16/bf16 (into a b16 register), ".b32", ".f32", ".b64".
const char* LoadType(ir::DType t);
// Suffix of a scalar st.global of one element from its (converted) register.
const char* StoreType(ir::DType t);

// A value as the lowering passes it around: a register plus, for integer
// representations, a constant offset (value = reg + off), or a constant alone
// when |reg| is invalid. Constants of f32 representation keep their float
// bits in |off|; predicates keep 0 or 1.
struct Val {
  Reg reg;
  int64_t off = 0;

  static Val Of(Reg r) { return Val{r, 0}; }
  static Val Const(int64_t v) { return Val{Reg{}, v}; }
  static Val F32Const(float f);
  bool is_const() const { return !reg.valid(); }
  bool is_plain() const { return reg.valid() && off == 0; }
};

// The f32 bits of |v| rounded to float dtype |t| (f16/bf16/f32), as the
// interpreter rounds constants and fill values.
float RoundedFloat(ir::DType t, double v);

}  // namespace hrt::ptx
