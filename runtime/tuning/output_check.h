// Whether two runs of a kernel under different configs produced the same
// output, element by element, within the tolerance the conformance tests use
// (kernels/testing/reference_loops.h), doubled because both runs may round.
// The tuners check every candidate config this way before timing it, on the
// outputs WritesParam names.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "codegen/ir/dtype.h"
#include "codegen/ir/ir.h"

namespace hrt::tuning {

// Whether |block| (a kernel's body) stores to, or accumulates into, tensor
// parameter |param|: the outputs a check compares.
bool WritesParam(const ir::Block& block, uint32_t param);
// Whether the result written to |param| depends on what it held before:
// the kernel loads from it or accumulates into it (atomic_add).
bool DependsOnPriorContents(const ir::Block& block, uint32_t param);

// The element of dtype |t| at |p| as a double (little-endian host).
double ReadElement(ir::DType t, const uint8_t* p);

// Compares |got| with |want| (equal sizes, a whole number of elements):
// floats within 2 * ref::Tolerance(t, want, scale), with |scale| the largest
// finite magnitude in |want>; integers, bools and non-finite floats exactly.
// Returns "" when they agree, else the first mismatch ("element 12: 0.5, the
// reference gives 0.25").
std::string CompareOutputs(ir::DType t, std::span<const uint8_t> want,
                           std::span<const uint8_t> got);

}  // namespace hrt::tuning
