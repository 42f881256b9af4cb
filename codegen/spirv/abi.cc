#include "codegen/spirv/abi.h"

#include <cstring>
#include <string>

namespace hrt::spirv {
namespace {

uint32_t AlignUp(uint32_t v, uint32_t a) {
  return (v + a - 1) / a * a;
}

template <typename T>
void Put(std::span<uint8_t> block, uint32_t offset, T v) {
  std::memcpy(block.data() + offset, &v, sizeof v);
}

}  // namespace

ArgLayout MakeArgLayout(const ir::BoundKernel& kernel, uint32_t max_push_constant_bytes) {
  ArgLayout layout;
  uint32_t at = 0;
  for (const ir::Param& p : kernel.kernel.params) {
    ParamFields f;
    f.kind = p.kind;
    f.dtype = p.elem.is_param() && p.elem.param_index() < kernel.dtype_values.size()
                  ? kernel.dtype_values[p.elem.param_index()]
                  : p.elem.dtype();
    if (p.kind == ir::ParamKind::kTensor) {
      f.rank = p.rank;
      at = AlignUp(at, 8);
      f.address_offset = at;
      at += 8;
      for (uint32_t d = 0; d < p.rank && d < ir::kMaxRank; ++d) {
        f.size_offsets[d] = at;
        at += 8;
      }
      for (uint32_t d = 0; d < p.rank && d < ir::kMaxRank; ++d) {
        f.stride_offsets[d] = at;
        at += 8;
      }
    } else {
      f.scalar_size = f.dtype == ir::DType::kI64 ? 8 : 4;
      at = AlignUp(at, f.scalar_size);
      f.scalar_offset = at;
      at += f.scalar_size;
    }
    layout.params.push_back(f);
  }
  layout.size = AlignUp(at, 8);
  layout.in_buffer = layout.size > max_push_constant_bytes;
  layout.push_constant_bytes = layout.in_buffer ? 8 : layout.size;
  return layout;
}

Status WriteTensorArg(const ArgLayout& layout, uint32_t param, uint64_t address,
                      std::span<const int64_t> sizes, std::span<const int64_t> strides,
                      std::span<uint8_t> block) {
  if (param >= layout.params.size() || layout.params[param].kind != ir::ParamKind::kTensor) {
    return InvalidArgument("parameter " + std::to_string(param) + " is not a tensor");
  }
  const ParamFields& f = layout.params[param];
  if (sizes.size() != f.rank || strides.size() != f.rank) {
    return InvalidArgument("tensor parameter " + std::to_string(param) + " has rank " +
                           std::to_string(f.rank));
  }
  if (block.size() < layout.size) return InvalidArgument("argument block too small");
  Put(block, f.address_offset, address);
  for (uint32_t d = 0; d < f.rank; ++d) {
    Put(block, f.size_offsets[d], sizes[d]);
    Put(block, f.stride_offsets[d], strides[d]);
  }
  return Status::Ok();
}

Status WriteScalarArg(const ArgLayout& layout, uint32_t param, int64_t i, double f,
                      std::span<uint8_t> block) {
  if (param >= layout.params.size() || layout.params[param].kind != ir::ParamKind::kScalar) {
    return InvalidArgument("parameter " + std::to_string(param) + " is not a scalar");
  }
  if (block.size() < layout.size) return InvalidArgument("argument block too small");
  const ParamFields& p = layout.params[param];
  switch (p.dtype) {
    case ir::DType::kF32: Put(block, p.scalar_offset, static_cast<float>(f)); break;
    case ir::DType::kF16:
      Put(block, p.scalar_offset, uint32_t{ir::FloatToHalf(static_cast<float>(f))});
      break;
    case ir::DType::kBF16:
      Put(block, p.scalar_offset, uint32_t{ir::FloatToBF16(static_cast<float>(f))});
      break;
    case ir::DType::kI64: Put(block, p.scalar_offset, i); break;
    default: Put(block, p.scalar_offset, static_cast<int32_t>(ir::WrapToInt(p.dtype, i))); break;
  }
  return Status::Ok();
}

}  // namespace hrt::spirv
