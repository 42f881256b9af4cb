#include "codegen/ptx/abi.h"

#include <cstring>
#include <string_view>

namespace hrt::ptx {
namespace {

struct ScalarAbi {
  const char* type;
  uint32_t size;
};

ScalarAbi ScalarAbiOf(ir::DType t) {
  switch (t) {
    case ir::DType::kBool:
    case ir::DType::kU8: return {".u8", 1};
    case ir::DType::kI8: return {".s8", 1};
    case ir::DType::kI16: return {".s16", 2};
    case ir::DType::kI32: return {".s32", 4};
    case ir::DType::kI64: return {".s64", 8};
    case ir::DType::kF16:
    case ir::DType::kBF16: return {".b16", 2};
    default: return {".f32", 4};
  }
}

uint32_t AlignUp(uint32_t v, uint32_t a) {
  return (v + a - 1) / a * a;
}

ir::DType Resolve(const ir::BoundKernel& k, ir::Elem e) {
  if (e.is_param() && e.param_index() < k.dtype_values.size()) {
    return k.dtype_values[e.param_index()];
  }
  return e.is_valid_concrete() ? e.dtype() : ir::DType::kI32;
}

Status CheckSlot(const ParamLayout& layout, uint32_t param, ParamRole role,
                 std::span<uint8_t> buffer) {
  if (param >= layout.first_slot.size()) {
    return InvalidArgument("parameter " + std::to_string(param) + " does not exist");
  }
  const ParamSlot& s = layout.slots[layout.first_slot[param]];
  if ((role == ParamRole::kScalar) != (s.role == ParamRole::kScalar)) {
    return InvalidArgument("parameter " + std::to_string(param) + " is not a " +
                           (role == ParamRole::kScalar ? "scalar" : "tensor"));
  }
  if (buffer.size() < layout.total_size) {
    return InvalidArgument("parameter buffer of " + std::to_string(buffer.size()) +
                           " bytes is smaller than the layout's " +
                           std::to_string(layout.total_size));
  }
  return Status::Ok();
}

}  // namespace

ParamLayout KernelParamLayout(const ir::BoundKernel& kernel) {
  ParamLayout out;
  uint32_t offset = 0;
  auto add = [&](uint32_t param, ParamRole role, uint32_t dim, const char* type, uint32_t size,
                 ir::DType dtype) {
    offset = AlignUp(offset, size);
    out.slots.push_back(ParamSlot{param, role, dim, offset, size, size, type, dtype});
    offset += size;
  };
  const auto& params = kernel.kernel.params;
  for (uint32_t p = 0; p < params.size(); ++p) {
    out.first_slot.push_back(static_cast<uint32_t>(out.slots.size()));
    const ir::Param& param = params[p];
    if (param.kind == ir::ParamKind::kTensor) {
      add(p, ParamRole::kBase, 0, ".u64", 8, ir::DType::kI64);
      for (uint32_t d = 0; d < param.rank; ++d) {
        add(p, ParamRole::kSize, d, ".s64", 8, ir::DType::kI64);
      }
      for (uint32_t d = 0; d < param.rank; ++d) {
        add(p, ParamRole::kStride, d, ".s64", 8, ir::DType::kI64);
      }
    } else {
      const ir::DType t = Resolve(kernel, param.elem);
      const ScalarAbi abi = ScalarAbiOf(t);
      add(p, ParamRole::kScalar, 0, abi.type, abi.size, t);
    }
  }
  out.total_size = offset;
  return out;
}

uint32_t ThreadsPerBlock(const ir::BoundKernel& kernel) {
  const auto& tunables = kernel.kernel.tunables;
  for (size_t i = 0; i < tunables.size() && i < kernel.tunable_values.size(); ++i) {
    if (tunables[i].name != "WARPS") continue;
    const int64_t w = kernel.tunable_values[i];
    // Out-of-range values are reported by the emitter's limit check; keep
    // the product representable here.
    if (w < 1 || w > (int64_t{1} << 20)) return 0;
    return static_cast<uint32_t>(32 * w);
  }
  return kDefaultThreadsPerBlock;
}

namespace {

int64_t ReservedTunable(const ir::BoundKernel& kernel, std::string_view name) {
  const auto& tunables = kernel.kernel.tunables;
  for (size_t i = 0; i < tunables.size() && i < kernel.tunable_values.size(); ++i) {
    if (tunables[i].name == name) return kernel.tunable_values[i];
  }
  return 0;
}

}  // namespace

int64_t MinBlocksPerSm(const ir::BoundKernel& kernel) {
  return ReservedTunable(kernel, "MIN_BLOCKS");
}

int64_t WarpRoles(const ir::BoundKernel& kernel) {
  return ReservedTunable(kernel, "WARP_ROLES");
}

int64_t Preload(const ir::BoundKernel& kernel) {
  return ReservedTunable(kernel, "PRELOAD");
}

std::string ParamSlotName(const ParamSlot& slot) {
  std::string name = "hrt_p" + std::to_string(slot.param);
  switch (slot.role) {
    case ParamRole::kBase: return name + "_base";
    case ParamRole::kSize: return name + "_size" + std::to_string(slot.dim);
    case ParamRole::kStride: return name + "_stride" + std::to_string(slot.dim);
    default: return name;
  }
}

Status WriteTensorParam(const ParamLayout& layout, uint32_t param, uint64_t address, uint32_t rank,
                        const int64_t* sizes, const int64_t* strides, std::span<uint8_t> buffer) {
  HRT_RETURN_IF_ERROR(CheckSlot(layout, param, ParamRole::kBase, buffer));
  const uint32_t first = layout.first_slot[param];
  uint32_t expected_rank = 0;
  for (uint32_t i = first + 1; i < layout.slots.size() && layout.slots[i].param == param; ++i) {
    if (layout.slots[i].role == ParamRole::kSize) ++expected_rank;
  }
  if (rank != expected_rank) {
    return InvalidArgument("tensor parameter " + std::to_string(param) + " has rank " +
                           std::to_string(expected_rank) + ", not " + std::to_string(rank));
  }
  std::memcpy(buffer.data() + layout.slots[first].offset, &address, sizeof address);
  for (uint32_t d = 0; d < rank; ++d) {
    std::memcpy(buffer.data() + layout.slots[first + 1 + d].offset, &sizes[d], sizeof(int64_t));
    std::memcpy(buffer.data() + layout.slots[first + 1 + rank + d].offset, &strides[d],
                sizeof(int64_t));
  }
  return Status::Ok();
}

Status WriteScalarParam(const ParamLayout& layout, uint32_t param, int64_t i, double f,
                        std::span<uint8_t> buffer) {
  HRT_RETURN_IF_ERROR(CheckSlot(layout, param, ParamRole::kScalar, buffer));
  const ParamSlot& s = layout.slots[layout.first_slot[param]];
  uint8_t* p = buffer.data() + s.offset;
  switch (s.dtype) {
    case ir::DType::kF16: {
      const uint16_t h = ir::FloatToHalf(static_cast<float>(f));
      std::memcpy(p, &h, sizeof h);
      break;
    }
    case ir::DType::kBF16: {
      const uint16_t h = ir::FloatToBF16(static_cast<float>(f));
      std::memcpy(p, &h, sizeof h);
      break;
    }
    case ir::DType::kF32: {
      const auto v = static_cast<float>(f);
      std::memcpy(p, &v, sizeof v);
      break;
    }
    default: {
      // Little-endian: the low |size| bytes of the wrapped value.
      const int64_t v = ir::WrapToInt(s.dtype, i);
      std::memcpy(p, &v, s.size);
      break;
    }
  }
  return Status::Ok();
}

}  // namespace hrt::ptx
