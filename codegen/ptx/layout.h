// Distributed layouts: which thread of the block holds which element of a
// tile, in which of its registers ("slots").
//
// Every layout has the same form: the coordinate of slot s of thread t along
// dim d is ThreadBase(t, d) + SlotOffset(s, d), a per-thread part computed
// once at kernel entry plus a compile-time constant. That keeps address
// arithmetic cheap (one base register per thread, constant offsets per slot)
// and lets the generator reason about ownership at compile time.
//
// - Blocked (elementwise work, reductions, loads and stores): per dim, a
//   thread holds |spt| consecutive elements, |tpc| threads tile the dim and the
//   pattern repeats |reps| times. The innermost dim is split first, so a warp
//   covers contiguous memory and each thread's run of spt[last] elements can
//   be one 128-bit access. Elements are never replicated; a thread whose
//   coordinate falls past the tile's edge holds an invalid slot (computed,
//   never stored or reduced).
// - Mma (dot results): the accumulator fragment of mma.m16n8k16, warps tiling
//   the [M, N] block as warps_m x warps_n, each warp owning tiles_m x tiles_n
//   16x8 tiles. Lane l holds rows l/4 and l/4 + 8, columns 2*(l%4) + {0, 1}.
//   The accumulator of wgmma.m64nNk16 (sm_90a) is this layout with
//   warps_m = warps, warps_n = 1, tiles_m = 1: warp w of warpgroup g owns
//   rows 64g + 16w .. +15, its N/8 fragments ordered along N, which is the
//   register order wgmma's {d} list uses.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "codegen/ir/ir.h"

namespace hrt::ptx {

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

using LayoutId = uint32_t;
inline constexpr LayoutId kNoLayout = 0xffffffffu;

struct Layout {
  enum class Kind : uint8_t { kBlocked, kMma };

  Kind kind = Kind::kBlocked;
  Shape shape;
  uint32_t threads = 0;
  int64_t slots = 0;  // registers per thread
  int64_t group = 1;  // slots [g*group, (g+1)*group) are consecutive along the last dim

  // kBlocked, per dim.
  std::array<int64_t, ir::kMaxRank> spt{};
  std::array<int64_t, ir::kMaxRank> tpc{};
  std::array<int64_t, ir::kMaxRank> reps{};
  // kMma.
  int64_t warps_m = 1, warps_n = 1, tiles_m = 1, tiles_n = 1;

  int64_t SlotOffset(int64_t slot, uint32_t dim) const;
  int64_t ThreadBase(int64_t tid, uint32_t dim) const;
  // True when slot |slot| lies inside the tile for every thread.
  bool SlotAlwaysValid(int64_t slot) const;
  bool AllSlotsValid() const;
  // The thread and slot holding the element at |coords| (inside the tile).
  void Owner(const int64_t* coords, int64_t* tid, int64_t* slot) const;

  friend bool operator==(const Layout& a, const Layout& b);
};

// A blocked layout of |shape| over |threads| threads, with runs of up to
// |vec| elements per thread along the last dim.
Layout MakeBlocked(const Shape& shape, uint32_t threads, int64_t vec);
// The mma.m16n8k16 accumulator layout of [M, N], or nullopt when the warps
// cannot tile it (M a multiple of 16 * warps_m, N of 8 * warps_n). A nonzero
// |warps_m| fixes the warp grid (warps_m x warps/warps_m) instead of picking
// the squarest warp tile.
std::optional<Layout> MakeMma(const Shape& shape, uint32_t threads, int64_t warps_m = 0);

class LayoutTable {
 public:
  LayoutId Add(const Layout& layout);  // returns the existing id for an equal layout
  const Layout& Get(LayoutId id) const { return layouts_[id]; }
  size_t size() const { return layouts_.size(); }

 private:
  std::deque<Layout> layouts_;  // stable references while layouts are added
};

}  // namespace hrt::ptx
