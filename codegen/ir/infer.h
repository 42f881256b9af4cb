// Result-type inference: the one place that knows each op's typing rules.
// The builder and the text parser call it to type new ops; the verifier calls
// it again to check stored types.
#pragma once

#include <span>
#include <vector>

#include "base/status.h"
#include "codegen/ir/ir.h"

namespace hrt::ir {

// Largest tile, in elements, once bound (and largest constant dimension).
inline constexpr int64_t kMaxTileElements = int64_t{1} << 24;

// Computes the result types of |op| given its operands' types. Checks the
// op's attributes (ints/shape/elem counts and ranges), operand counts, dtypes
// and shapes. Shapes are compared symbolically: BLOCK_M and BLOCK_N are
// different dims even if a config later binds them to the same value; a
// constant 1 broadcasts. Errors name the op and the offending types.
// For kFor the results are the loop-carried types (the body is checked by
// the verifier); kYield, kStore and kAtomicAdd have no results.
Result<std::vector<Type>> InferResultTypes(const Kernel& kernel, const Op& op,
                                           std::span<const Type> operand_types);

// Checks that an element type refers to a real dtype or dtype parameter.
Status CheckElem(const Kernel& kernel, Elem elem);
// Checks a value type: rank <= kMaxRank, dims constant in 1..kMaxTileElements
// or valid tunables, at most kMaxTileElements elements counting constants.
Status CheckType(const Kernel& kernel, const Type& type);

}  // namespace hrt::ir
