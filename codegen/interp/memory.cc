#include "codegen/interp/memory.h"

#include <cstring>
#include <vector>

#include "codegen/interp/convert.h"

namespace hrt::interp {
namespace {

template <typename T>
T ReadAs(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // tensors need not be aligned
  return v;
}

template <typename T>
void WriteAs(unsigned char* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

double ReadFloat(ir::DType t, const unsigned char* p) {
  switch (t) {
    case ir::DType::kF16: return ir::HalfToFloat(ReadAs<uint16_t>(p));
    case ir::DType::kBF16: return ir::BF16ToFloat(ReadAs<uint16_t>(p));
    default: return ReadAs<float>(p);
  }
}

int64_t ReadInt(ir::DType t, const unsigned char* p) {
  switch (t) {
    case ir::DType::kBool: return p[0] != 0 ? 1 : 0;
    case ir::DType::kI8: return ReadAs<int8_t>(p);
    case ir::DType::kU8: return p[0];
    case ir::DType::kI16: return ReadAs<int16_t>(p);
    case ir::DType::kI32: return ReadAs<int32_t>(p);
    default: return ReadAs<int64_t>(p);
  }
}

// |v| is already rounded to |t|, so the narrowing conversions are exact.
void WriteFloat(ir::DType t, unsigned char* p, double v) {
  switch (t) {
    case ir::DType::kF16: WriteAs(p, ir::FloatToHalf(static_cast<float>(v))); break;
    case ir::DType::kBF16: WriteAs(p, ir::FloatToBF16(static_cast<float>(v))); break;
    default: WriteAs(p, static_cast<float>(v)); break;
  }
}

// |v| is already wrapped to |t|.
void WriteInt(ir::DType t, unsigned char* p, int64_t v) {
  switch (t) {
    case ir::DType::kBool: p[0] = v != 0 ? 1 : 0; break;
    case ir::DType::kI8: WriteAs(p, static_cast<int8_t>(v)); break;
    case ir::DType::kU8: WriteAs(p, static_cast<uint8_t>(v)); break;
    case ir::DType::kI16: WriteAs(p, static_cast<int16_t>(v)); break;
    case ir::DType::kI32: WriteAs(p, static_cast<int32_t>(v)); break;
    default: WriteAs(p, v); break;
  }
}

// The lanes of one access: their common shape, which are active and, for
// those, the element offset from the tensor's base.
struct Access {
  Shape shape;
  std::vector<uint8_t> active;
  std::vector<int64_t> offsets;
};

Result<Access> PlanAccess(const TensorView& t, std::span<const Tile* const> indices,
                          const Tile* mask, const Tile* value) {
  if (indices.size() != t.rank) {
    return Internal("tensor '" + t.name + "' has rank " + std::to_string(t.rank) + " but " +
                    std::to_string(indices.size()) + " indices were given");
  }
  Access acc;
  for (const Tile* idx : indices) {
    if (idx->is_float() || idx->dtype == ir::DType::kBool) {
      return Internal(std::string("index of dtype ") + ir::DTypeName(idx->dtype));
    }
    HRT_ASSIGN_OR_RETURN(acc.shape, BroadcastShapes(acc.shape, idx->shape));
  }
  if (mask) {
    if (mask->dtype != ir::DType::kBool) return Internal("mask is not bool");
    HRT_ASSIGN_OR_RETURN(acc.shape, BroadcastShapes(acc.shape, mask->shape));
  }
  if (value) {
    HRT_ASSIGN_OR_RETURN(acc.shape, BroadcastShapes(acc.shape, value->shape));
  }

  // Allocating the mask first bounds the lane count by ir::kMaxTileElements.
  Tile active;
  if (mask) {
    HRT_ASSIGN_OR_RETURN(active, BroadcastTo(*mask, acc.shape));
  } else {
    HRT_ASSIGN_OR_RETURN(active, MakeTile(ir::DType::kBool, acc.shape));
    for (int64_t& a : active.ints) a = 1;
  }
  std::vector<Tile> idx(indices.size());
  for (size_t d = 0; d < indices.size(); ++d) {
    HRT_ASSIGN_OR_RETURN(idx[d], BroadcastTo(*indices[d], acc.shape));
  }
  const size_t lanes = active.ints.size();
  acc.active.resize(lanes);
  acc.offsets.assign(lanes, 0);
  for (size_t lane = 0; lane < lanes; ++lane) {
    acc.active[lane] = active.ints[lane] != 0;
    if (!acc.active[lane]) continue;
    int64_t at[ir::kMaxRank] = {};
    int64_t offset = 0;
    bool inside = true;
    for (uint32_t d = 0; d < t.rank; ++d) {
      at[d] = idx[d].ints[lane];
      inside = inside && at[d] >= 0 && at[d] < t.shape[d];
    }
    if (!inside) {
      int64_t lane_index[ir::kMaxRank] = {};
      Unflatten(acc.shape, static_cast<int64_t>(lane), lane_index);
      return OutOfRange(std::string(value ? "store to" : "load from") + " tensor '" + t.name +
                        "' at index " + IndexToString(at, t.rank) + " is outside its shape " +
                        IndexToString(t.shape.data(), t.rank) + " (lane " +
                        IndexToString(lane_index, acc.shape.rank) + ")");
    }
    // In bounds, so the launch's stride check guarantees no overflow.
    for (uint32_t d = 0; d < t.rank; ++d) offset += at[d] * t.strides[d];
    acc.offsets[lane] = offset;
  }
  return acc;
}

unsigned char* Address(const TensorView& t, int64_t offset) {
  return t.data + static_cast<ptrdiff_t>(offset) * static_cast<ptrdiff_t>(ir::DTypeSize(t.dtype));
}

}  // namespace

Result<Tile> Load(const TensorView& t, std::span<const Tile* const> indices, const Tile* mask,
                  double other) {
  HRT_ASSIGN_OR_RETURN(Access acc, PlanAccess(t, indices, mask, nullptr));
  HRT_ASSIGN_OR_RETURN(Tile out, MakeTile(t.dtype, acc.shape));
  const bool is_float = out.is_float();
  const double fill_f = is_float ? ir::RoundToFloat(t.dtype, other) : 0.0;
  const int64_t fill_i = is_float ? 0 : FloatToInt(t.dtype, other);
  for (size_t lane = 0; lane < acc.active.size(); ++lane) {
    if (is_float) {
      out.floats[lane] =
          acc.active[lane] ? ReadFloat(t.dtype, Address(t, acc.offsets[lane])) : fill_f;
    } else {
      out.ints[lane] = acc.active[lane] ? ReadInt(t.dtype, Address(t, acc.offsets[lane])) : fill_i;
    }
  }
  return out;
}

Status Store(const TensorView& t, std::span<const Tile* const> indices, const Tile& value,
             const Tile* mask, StoreKind kind) {
  if (value.dtype != t.dtype) {
    return Internal(std::string("storing ") + ir::DTypeName(value.dtype) + " to tensor '" + t.name +
                    "' of " + ir::DTypeName(t.dtype));
  }
  HRT_ASSIGN_OR_RETURN(Access acc, PlanAccess(t, indices, mask, &value));
  HRT_ASSIGN_OR_RETURN(Tile v, BroadcastTo(value, acc.shape));
  const bool add = kind == StoreKind::kAtomicAdd;
  for (size_t lane = 0; lane < acc.active.size(); ++lane) {
    if (!acc.active[lane]) continue;
    unsigned char* p = Address(t, acc.offsets[lane]);
    if (v.is_float()) {
      const double x = v.floats[lane];
      WriteFloat(t.dtype, p, add ? ir::RoundToFloat(t.dtype, ReadFloat(t.dtype, p) + x) : x);
    } else {
      const int64_t x = v.ints[lane];
      const auto sum = static_cast<int64_t>(static_cast<uint64_t>(ReadInt(t.dtype, p)) +
                                            static_cast<uint64_t>(x));
      WriteInt(t.dtype, p, add ? ir::WrapToInt(t.dtype, sum) : x);
    }
  }
  return Status::Ok();
}

}  // namespace hrt::interp
