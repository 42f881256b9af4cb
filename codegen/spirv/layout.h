// Which invocation of the workgroup holds which element of a tile, in which of
// its per-invocation values ("slots").
//
// One layout kind, blocked (as in Triton and the PTX emitter): along each dim
// an invocation holds |spt| consecutive elements, |tpc| invocations tile the
// dim (the innermost dim is split first, so neighbouring invocations touch
// neighbouring memory), and the pattern repeats |reps| times. The coordinate
// of slot s of invocation t along dim d is ThreadBase(t, d) + SlotOffset(s, d):
// a per-invocation part computed once in the entry block plus a compile-time
// constant. Elements are never replicated; an invocation whose coordinate
// falls past the tile's edge holds an invalid slot (computed, never stored).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "codegen/ir/ir.h"

namespace hrt::spirv {

struct Shape {
  uint32_t rank = 0;
  std::array<int64_t, ir::kMaxRank> dims{};

  int64_t numel() const;
  friend bool operator==(const Shape& a, const Shape& b);
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }
};

// Row-major element strides of |s|.
std::array<int64_t, ir::kMaxRank> RowMajorStrides(const Shape& s);
std::string ShapeString(const Shape& s);

struct Layout {
  Shape shape;
  uint32_t threads = 0;
  int64_t slots = 0;  // values per invocation
  std::array<int64_t, ir::kMaxRank> spt{};
  std::array<int64_t, ir::kMaxRank> tpc{};
  std::array<int64_t, ir::kMaxRank> reps{};

  int64_t SlotOffset(int64_t slot, uint32_t dim) const;
  int64_t ThreadBase(int64_t tid, uint32_t dim) const;
  // True when slot |slot| is inside the tile for every invocation.
  bool SlotAlwaysValid(int64_t slot) const;
  // True when slot |slot| is inside the tile for invocation |tid|.
  bool SlotValidFor(int64_t tid, int64_t slot) const;
  // The invocation and slot holding the element at |coords| (inside the tile).
  void Owner(const int64_t* coords, int64_t* tid, int64_t* slot) const;

  friend bool operator==(const Layout& a, const Layout& b);
};

// The blocked layout of |shape| over |threads| invocations with runs of up to
// |vec| consecutive elements per invocation along the last dim.
Layout MakeBlocked(const Shape& shape, uint32_t threads, int64_t vec);
// A blocked layout with |spt| consecutive elements per invocation along each
// dim (each at least 1): a register tile of spt[0] x spt[1] x ... elements.
Layout MakeTiled(const Shape& shape, uint32_t threads,
                 const std::array<int64_t, ir::kMaxRank>& spt);

}  // namespace hrt::spirv
