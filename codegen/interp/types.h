// Concrete dtypes and shapes of a bound kernel's element types, dims and
// value types. A BoundKernel should hold only concrete ones; these also
// resolve tunable dims and dtype parameters through its binding tables, and
// fail (instead of guessing) on anything out of range.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "codegen/interp/tile.h"
#include "codegen/ir/bind.h"

namespace hrt::interp {

Result<ir::DType> ResolveElem(const ir::BoundKernel& bk, ir::Elem elem);
// A dim's value; must be >= 1.
Result<int64_t> ResolveDim(const ir::BoundKernel& bk, const ir::Dim& dim);
Result<Shape> ResolveShape(const ir::BoundKernel& bk, const ir::Dim* dims, size_t rank);

// Checks that |tile| has exactly the dtype and shape of |type|: the
// interpreter computes result shapes from op semantics and compares them
// with the types the verifier inferred, so a disagreement between the two
// surfaces as an internal error rather than a silently different result.
Status CheckTileType(const ir::BoundKernel& bk, const Tile& tile, const ir::Type& type);

}  // namespace hrt::interp
