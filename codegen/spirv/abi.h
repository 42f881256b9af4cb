// The kernel argument block of the SPIR-V (Vulkan compute) flavour: the same
// argument model as the CUDA backend (a tensor is a 64-bit device address plus
// per-dim sizes and strides in elements; scalars by value), laid out as one
// block of bytes that the launcher passes as push constants or, when it does
// not fit the device's push-constant limit, in a device buffer whose address
// is the only push constant. docs/spirv-codegen.md describes the layout.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "codegen/ir/bind.h"

namespace hrt::spirv {

// Byte offsets of one parameter's fields in the argument block.
struct ParamFields {
  ir::ParamKind kind = ir::ParamKind::kTensor;
  ir::DType dtype = ir::DType::kF32;
  uint32_t rank = 0;
  // Tensors: u64 device address, then `rank` i64 sizes, then `rank` i64
  // strides (in elements, may be negative). All 8-byte aligned.
  uint32_t address_offset = 0;
  std::array<uint32_t, ir::kMaxRank> size_offsets{};
  std::array<uint32_t, ir::kMaxRank> stride_offsets{};
  // Scalars: 4 bytes for bool/i8/u8/i16/i32 (as a sign- or zero-extended
  // i32), f16/bf16 (the 16-bit pattern in the low half of a u32) and f32;
  // 8 bytes (8-aligned) for i64.
  uint32_t scalar_offset = 0;
  uint32_t scalar_size = 0;
};

struct ArgLayout {
  std::vector<ParamFields> params;  // in the kernel's parameter order
  uint32_t size = 0;                // bytes of the argument block (multiple of 8)
  // False: the block is the push-constant range [0, size). True: the block
  // lives in device memory (8-byte aligned, readable by the shader through
  // its buffer device address) and the push-constant range is 8 bytes
  // holding that address.
  bool in_buffer = false;
  uint32_t push_constant_bytes = 0;
};

// Lays out the arguments of bound |kernel|; |max_push_constant_bytes| is the
// device's maxPushConstantsSize (a block larger than that goes to a buffer).
ArgLayout MakeArgLayout(const ir::BoundKernel& kernel, uint32_t max_push_constant_bytes);

// Host-side helpers filling an argument block of ArgLayout::size bytes.
// Errors: an index that is not a tensor (or scalar) parameter, a rank
// mismatch, or a block too small.
Status WriteTensorArg(const ArgLayout& layout, uint32_t param, uint64_t address,
                      std::span<const int64_t> sizes, std::span<const int64_t> strides,
                      std::span<uint8_t> block);
// |i| holds integer and bool scalars, |f| float ones (rounded to the
// parameter's dtype, nearest even).
Status WriteScalarArg(const ArgLayout& layout, uint32_t param, int64_t i, double f,
                      std::span<uint8_t> block);

}  // namespace hrt::spirv
