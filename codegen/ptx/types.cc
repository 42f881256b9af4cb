#include "codegen/ptx/types.h"

#include <cstring>

namespace hrt::ptx {

Repr ReprOf(ir::DType t) {
  switch (t) {
    case ir::DType::kBool: return Repr::kPred;
    case ir::DType::kI64: return Repr::kI64;
    case ir::DType::kF16:
    case ir::DType::kBF16:
    case ir::DType::kF32: return Repr::kF32;
    default: return Repr::kI32;
  }
}

RegClass RegClassOf(Repr r) {
  switch (r) {
    case Repr::kPred: return RegClass::kPred;
    case Repr::kI64: return RegClass::kB64;
    case Repr::kF32: return RegClass::kF32;
    default: return RegClass::kB32;
  }
}

const char* ArithType(Repr r) {
  switch (r) {
    case Repr::kPred: return ".pred";
    case Repr::kI64: return ".s64";
    case Repr::kF32: return ".f32";
    default: return ".s32";
  }
}

const char* BitsType(Repr r) {
  switch (r) {
    case Repr::kPred: return ".pred";
    case Repr::kI64: return ".b64";
    case Repr::kF32: return ".f32";
    default: return ".b32";
  }
}

const char* LoadType(ir::DType t) {
  switch (t) {
    case ir::DType::kBool:
    case ir::DType::kU8: return ".u8";
    case ir::DType::kI8: return ".s8";
    case ir::DType::kI16: return ".s16";
    case ir::DType::kI32: return ".b32";
    case ir::DType::kI64: return ".b64";
    case ir::DType::kF16:
    case ir::DType::kBF16: return ".b16";
    default: return ".f32";
  }
}

const char* StoreType(ir::DType t) {
  switch (t) {
    case ir::DType::kBool:
    case ir::DType::kU8:
    case ir::DType::kI8: return ".u8";
    case ir::DType::kI16: return ".u16";
    case ir::DType::kI32: return ".b32";
    case ir::DType::kI64: return ".b64";
    case ir::DType::kF16:
    case ir::DType::kBF16: return ".b16";
    default: return ".f32";
  }
}

Val Val::F32Const(float f) {
  uint32_t bits = 0;
  std::memcpy(&bits, &f, sizeof bits);
  return Val{Reg{}, static_cast<int64_t>(bits)};
}

float RoundedFloat(ir::DType t, double v) {
  return static_cast<float>(ir::RoundToFloat(t, v));
}

const char* MovFor(Repr r) {
  switch (r) {
    case Repr::kPred: return "mov.pred";
    case Repr::kI64: return "mov.b64";
    case Repr::kF32: return "mov.f32";
    default: return "mov.b32";
  }
}

}  // namespace hrt::ptx
