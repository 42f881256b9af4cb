// Element types of the tile IR and their host representations.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hrt::ir {

// Concrete element types. Values are part of the binary IR format: append only.
enum class DType : uint8_t {
  kBool = 0,
  kI8 = 1,
  kU8 = 2,
  kI16 = 3,
  kI32 = 4,
  kI64 = 5,
  kF16 = 6,
  kBF16 = 7,
  kF32 = 8,
};
inline constexpr int kNumDTypes = 9;

// An element type as written in a kernel: a concrete DType, or a reference to
// one of the kernel's dtype parameters ("T"), which a config binds. Encoded as
// one byte: 0..kNumDTypes-1 concrete, 0x80 + i for dtype parameter i.
struct Elem {
  uint8_t code = 0;

  static constexpr Elem Of(DType t) { return Elem{static_cast<uint8_t>(t)}; }
  static constexpr Elem Param(uint32_t index) { return Elem{static_cast<uint8_t>(0x80 + index)}; }
  constexpr bool is_param() const { return code >= 0x80; }
  constexpr uint32_t param_index() const { return code - 0x80u; }
  constexpr DType dtype() const { return static_cast<DType>(code); }
  constexpr bool is_valid_concrete() const { return code < kNumDTypes; }
  friend constexpr bool operator==(Elem a, Elem b) { return a.code == b.code; }
  friend constexpr bool operator!=(Elem a, Elem b) { return a.code != b.code; }
};

// "f32", "bf16", ... Returns "?" for out-of-range values.
const char* DTypeName(DType t);
std::optional<DType> ParseDType(std::string_view name);

// Size in bytes of one element as stored in memory (bool is one byte).
uint32_t DTypeSize(DType t);
bool IsFloat(DType t);
bool IsSignedInt(DType t);    // i8, i16, i32, i64
bool IsUnsignedInt(DType t);  // u8, bool
inline bool IsInteger(DType t) {
  return !IsFloat(t);
}

// IEEE half and bfloat16 conversions, round-to-nearest-even.
uint16_t FloatToHalf(float f);
float HalfToFloat(uint16_t h);
uint16_t FloatToBF16(float f);
float BF16ToFloat(uint16_t b);

// Rounds |v| to the nearest value representable in float dtype |t| (f16, bf16
// or f32); the interpreter's way of computing "in" a narrow type.
double RoundToFloat(DType t, double v);
// Wraps |v| to the range of integer dtype |t| (two's complement; bool -> 0/1).
int64_t WrapToInt(DType t, int64_t v);

// The values WrapToInt leaves unchanged (the integers |t| represents), as
// [min, max]; the whole int64 range for i64 and the float dtypes.
struct IntRange {
  int64_t min;
  int64_t max;
};
IntRange IntRangeOf(DType t);

}  // namespace hrt::ir
