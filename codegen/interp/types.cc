#include "codegen/interp/types.h"

namespace hrt::interp {

Result<ir::DType> ResolveElem(const ir::BoundKernel& bk, ir::Elem elem) {
  if (elem.is_param()) {
    if (elem.param_index() >= bk.dtype_values.size()) {
      return Internal("dtype parameter #" + std::to_string(elem.param_index()) + " is unbound");
    }
    return bk.dtype_values[elem.param_index()];
  }
  if (!elem.is_valid_concrete())
    return Internal("invalid element type " + std::to_string(elem.code));
  return elem.dtype();
}

Result<int64_t> ResolveDim(const ir::BoundKernel& bk, const ir::Dim& dim) {
  int64_t v = dim.value;
  if (!dim.is_const()) {
    if (static_cast<size_t>(dim.tunable) >= bk.tunable_values.size()) {
      return Internal("tunable #" + std::to_string(dim.tunable) + " is unbound");
    }
    v = bk.tunable_values[static_cast<size_t>(dim.tunable)];
  }
  if (v < 1) return Internal("tile dim " + std::to_string(v) + " is not positive");
  return v;
}

Result<Shape> ResolveShape(const ir::BoundKernel& bk, const ir::Dim* dims, size_t rank) {
  if (rank > ir::kMaxRank) return Internal("rank " + std::to_string(rank) + " above the maximum");
  Shape shape;
  shape.rank = static_cast<uint32_t>(rank);
  for (size_t i = 0; i < rank; ++i) {
    HRT_ASSIGN_OR_RETURN(shape.dims[i], ResolveDim(bk, dims[i]));
  }
  return shape;
}

Status CheckTileType(const ir::BoundKernel& bk, const Tile& tile, const ir::Type& type) {
  HRT_ASSIGN_OR_RETURN(ir::DType dtype, ResolveElem(bk, type.elem));
  HRT_ASSIGN_OR_RETURN(Shape shape, ResolveShape(bk, type.dims.data(), type.rank));
  if (tile.dtype != dtype || !(tile.shape == shape)) {
    return Internal(std::string("interpreter computed ") + ir::DTypeName(tile.dtype) +
                    ShapeToString(tile.shape) + " where the kernel declares " +
                    ir::DTypeName(dtype) + ShapeToString(shape));
  }
  return Status::Ok();
}

}  // namespace hrt::interp
