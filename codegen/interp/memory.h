// Tensor memory access of the reference interpreter: load, store and
// atomic_add on host tensors, and element conversion between a tensor's
// memory dtype and tile storage. Every active lane's indices are checked
// against the tensor's shape before any memory is touched, so a kernel bug is
// reported as an error instead of corrupting memory.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "codegen/interp/tile.h"
#include "codegen/ir/ir.h"

namespace hrt::interp {

// A tensor argument. Sizes and strides are in elements; the launch checked
// that every in-bounds offset fits (see signature.h).
struct TensorView {
  std::string name;
  ir::DType dtype = ir::DType::kF32;
  uint32_t rank = 0;
  std::array<int64_t, ir::kMaxRank> shape{};
  std::array<int64_t, ir::kMaxRank> strides{};
  unsigned char* data = nullptr;
};

// Reads T[indices...] for every lane of the broadcast of |indices| and
// |mask|; masked-off lanes hold |other| converted to the tensor's dtype.
Result<Tile> Load(const TensorView& t, std::span<const Tile* const> indices, const Tile* mask,
                  double other);

enum class StoreKind { kStore, kAtomicAdd };

// Writes (or adds, rounding/wrapping in the tensor's dtype) |value| to every
// active lane of the broadcast of |indices|, |value| and |mask|, lanes in
// row-major order: when two lanes store to one element the later one wins.
Status Store(const TensorView& t, std::span<const Tile* const> indices, const Tile& value,
             const Tile* mask, StoreKind kind);

}  // namespace hrt::interp
