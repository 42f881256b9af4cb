#include "codegen/ir/dtype.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace hrt::ir {
namespace {

struct DTypeInfo {
  const char* name;
  uint32_t size;
  bool is_float;
  bool is_signed;
};

constexpr DTypeInfo kInfo[kNumDTypes] = {
    {"bool", 1, false, false}, {"i8", 1, false, true},   {"u8", 1, false, false},
    {"i16", 2, false, true},   {"i32", 4, false, true},  {"i64", 8, false, true},
    {"f16", 2, true, false},   {"bf16", 2, true, false}, {"f32", 4, true, false},
};

const DTypeInfo* Info(DType t) {
  auto i = static_cast<unsigned>(t);
  return i < kNumDTypes ? &kInfo[i] : nullptr;
}

}  // namespace

const char* DTypeName(DType t) {
  const DTypeInfo* info = Info(t);
  return info ? info->name : "?";
}

std::optional<DType> ParseDType(std::string_view name) {
  for (int i = 0; i < kNumDTypes; ++i) {
    if (name == kInfo[i].name) return static_cast<DType>(i);
  }
  return std::nullopt;
}

uint32_t DTypeSize(DType t) {
  const DTypeInfo* info = Info(t);
  return info ? info->size : 0;
}
bool IsFloat(DType t) {
  const DTypeInfo* info = Info(t);
  return info && info->is_float;
}
bool IsSignedInt(DType t) {
  const DTypeInfo* info = Info(t);
  return info && info->is_signed;
}
bool IsUnsignedInt(DType t) {
  return t == DType::kU8 || t == DType::kBool;
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or nan
    return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  }
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to inf
  if (abs < 0x38800000u) {  // subnormal or zero in half
    // Scale into the subnormal grid (2^-24 units) using float arithmetic,
    // which rounds to nearest even.
    float a;
    std::memcpy(&a, &abs, 4);
    const float scaled = a * 16777216.0f;  // 2^24
    const auto m = static_cast<uint32_t>(std::nearbyint(scaled));
    return static_cast<uint16_t>(sign | m);
  }
  const uint32_t exp = ((abs >> 23) - 127 + 15) << 10;
  const uint32_t mant = abs & 0x7fffffu;
  uint32_t h = exp | (mant >> 13);
  const uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  uint32_t x;
  if (exp == 0) {
    const float v = std::ldexp(static_cast<float>(mant), -24);
    std::memcpy(&x, &v, 4);
    x |= sign;
  } else if (exp == 31) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

uint16_t FloatToBF16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // nan
  const uint32_t lsb = (x >> 16) & 1u;
  x += 0x7fffu + lsb;
  return static_cast<uint16_t>(x >> 16);
}

float BF16ToFloat(uint16_t b) {
  const uint32_t x = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

double RoundToFloat(DType t, double v) {
  switch (t) {
    case DType::kF32: return static_cast<float>(v);
    case DType::kF16: return HalfToFloat(FloatToHalf(static_cast<float>(v)));
    case DType::kBF16: return BF16ToFloat(FloatToBF16(static_cast<float>(v)));
    default: return v;
  }
}

int64_t WrapToInt(DType t, int64_t v) {
  switch (t) {
    case DType::kBool: return v != 0 ? 1 : 0;
    case DType::kI8: return static_cast<int8_t>(v);
    case DType::kU8: return static_cast<uint8_t>(v);
    case DType::kI16: return static_cast<int16_t>(v);
    case DType::kI32: return static_cast<int32_t>(v);
    default: return v;
  }
}

IntRange IntRangeOf(DType t) {
  switch (t) {
    case DType::kBool: return {0, 1};
    case DType::kI8: return {INT8_MIN, INT8_MAX};
    case DType::kU8: return {0, UINT8_MAX};
    case DType::kI16: return {INT16_MIN, INT16_MAX};
    case DType::kI32: return {INT32_MIN, INT32_MAX};
    default: return {INT64_MIN, INT64_MAX};
  }
}

}  // namespace hrt::ir
