#include "codegen/ptx/layout.h"

#include <cstdlib>

namespace hrt::ptx {
namespace {

// Largest power of two that is <= |limit| and divides |n| (n, limit >= 1).
int64_t Pow2DividingAtMost(int64_t n, int64_t limit) {
  int64_t p = 1;
  while (p * 2 <= limit && n % (p * 2) == 0) p *= 2;
  return p;
}

int64_t CeilDiv(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

}  // namespace

int64_t Shape::numel() const {
  int64_t n = 1;
  for (uint32_t i = 0; i < rank; ++i) n *= dims[i];
  return n;
}

bool operator==(const Shape& a, const Shape& b) {
  if (a.rank != b.rank) return false;
  for (uint32_t i = 0; i < a.rank; ++i) {
    if (a.dims[i] != b.dims[i]) return false;
  }
  return true;
}

std::array<int64_t, ir::kMaxRank> RowMajorStrides(const Shape& s) {
  std::array<int64_t, ir::kMaxRank> st{};
  int64_t acc = 1;
  for (uint32_t i = s.rank; i-- > 0;) {
    st[i] = acc;
    acc *= s.dims[i];
  }
  return st;
}

std::string ShapeString(const Shape& s) {
  std::string out = "[";
  for (uint32_t i = 0; i < s.rank; ++i) {
    if (i) out += ", ";
    out += std::to_string(s.dims[i]);
  }
  return out + "]";
}

bool operator==(const Layout& a, const Layout& b) {
  if (a.kind != b.kind || a.shape != b.shape || a.threads != b.threads) return false;
  if (a.kind == Layout::Kind::kMma) return a.warps_m == b.warps_m && a.warps_n == b.warps_n;
  for (uint32_t i = 0; i < a.shape.rank; ++i) {
    if (a.spt[i] != b.spt[i] || a.tpc[i] != b.tpc[i]) return false;
  }
  return true;
}

Layout MakeBlocked(const Shape& shape, uint32_t threads, int64_t vec) {
  Layout l;
  l.kind = Layout::Kind::kBlocked;
  l.shape = shape;
  l.threads = threads;
  const uint32_t r = shape.rank;
  int64_t left = threads;
  for (uint32_t d = r; d-- > 0;) {
    const int64_t n = shape.dims[d];
    l.spt[d] = d + 1 == r ? Pow2DividingAtMost(n, vec < 1 ? 1 : vec) : 1;
    const int64_t need = CeilDiv(n, l.spt[d]);
    if (d == 0) {
      l.tpc[d] = left;
    } else {
      // A power of two dividing the remaining threads, no larger than the
      // positions the dim needs (more would only leave threads idle).
      int64_t t = 1;
      while (t * 2 <= need && left % (t * 2) == 0) t *= 2;
      l.tpc[d] = t;
    }
    left /= l.tpc[d];
    l.reps[d] = CeilDiv(n, l.spt[d] * l.tpc[d]);
  }
  int64_t slots = 1;
  for (uint32_t d = 0; d < r; ++d) slots *= l.spt[d] * l.reps[d];
  l.slots = slots;
  l.group = r ? l.spt[r - 1] : 1;
  return l;
}

std::optional<Layout> MakeMma(const Shape& shape, uint32_t threads, int64_t warps_m) {
  if (shape.rank != 2 || threads % 32 != 0) return std::nullopt;
  const int64_t m = shape.dims[0], n = shape.dims[1];
  const int64_t warps = threads / 32;
  // Among the warp grids that tile the block exactly, prefer the squarest
  // warp tile (most operand reuse per ldmatrix), then more warps along M.
  int64_t best_wm = 0;
  int64_t best_score = 0;
  for (int64_t wm = 1; wm <= warps; ++wm) {
    if (warps % wm != 0 || (warps_m != 0 && wm != warps_m)) continue;
    const int64_t wn = warps / wm;
    if (m % (16 * wm) != 0 || n % (8 * wn) != 0) continue;
    const int64_t tile_m = m / wm, tile_n = n / wn;
    const int64_t score = -std::llabs(tile_m - tile_n) * 4 + wm;
    if (best_wm == 0 || score > best_score) {
      best_wm = wm;
      best_score = score;
    }
  }
  if (best_wm == 0) return std::nullopt;
  Layout l;
  l.kind = Layout::Kind::kMma;
  l.shape = shape;
  l.threads = threads;
  l.warps_m = best_wm;
  l.warps_n = warps / best_wm;
  l.tiles_m = m / (16 * l.warps_m);
  l.tiles_n = n / (8 * l.warps_n);
  l.slots = l.tiles_m * l.tiles_n * 4;
  l.group = 2;
  return l;
}

int64_t Layout::SlotOffset(int64_t slot, uint32_t dim) const {
  if (kind == Kind::kMma) {
    const int64_t e = slot & 1, h = (slot >> 1) & 1, tile = slot >> 2;
    const int64_t tm = tile / tiles_n, tn = tile % tiles_n;
    return dim == 0 ? tm * 16 + 8 * h : tn * 8 + e;
  }
  int64_t spt_total = 1;
  for (uint32_t d = 0; d < shape.rank; ++d) spt_total *= spt[d];
  int64_t j = slot % spt_total;
  int64_t rep = slot / spt_total;
  int64_t jd = 0, rd = 0;
  for (uint32_t d = shape.rank; d-- > 0;) {
    if (d == dim) {
      jd = j % spt[d];
      rd = rep % reps[d];
    }
    j /= spt[d];
    rep /= reps[d];
  }
  return rd * spt[dim] * tpc[dim] + jd;
}

int64_t Layout::ThreadBase(int64_t tid, uint32_t dim) const {
  if (kind == Kind::kMma) {
    const int64_t warp = tid / 32, lane = tid % 32;
    const int64_t wm = warp / warps_n, wn = warp % warps_n;
    return dim == 0 ? wm * (shape.dims[0] / warps_m) + lane / 4
                    : wn * (shape.dims[1] / warps_n) + 2 * (lane % 4);
  }
  int64_t below = 1;
  for (uint32_t d = shape.rank; d-- > dim + 1;) below *= tpc[d];
  return ((tid / below) % tpc[dim]) * spt[dim];
}

bool Layout::SlotAlwaysValid(int64_t slot) const {
  if (kind == Kind::kMma) return true;
  for (uint32_t d = 0; d < shape.rank; ++d) {
    if (SlotOffset(slot, d) + (tpc[d] - 1) * spt[d] >= shape.dims[d]) return false;
  }
  return true;
}

bool Layout::AllSlotsValid() const {
  if (kind == Kind::kMma) return true;
  for (uint32_t d = 0; d < shape.rank; ++d) {
    if (spt[d] * tpc[d] * reps[d] != shape.dims[d]) return false;
  }
  return true;
}

void Layout::Owner(const int64_t* coords, int64_t* tid, int64_t* slot) const {
  if (kind == Kind::kMma) {
    const int64_t wtm = shape.dims[0] / warps_m, wtn = shape.dims[1] / warps_n;
    const int64_t r = coords[0], c = coords[1];
    const int64_t wm = r / wtm, rr = r % wtm, wn = c / wtn, cc = c % wtn;
    const int64_t tm = rr / 16, h = (rr % 16) / 8, g = rr % 8;
    const int64_t tn = cc / 8, tq = (cc % 8) / 2, e = cc % 2;
    *tid = (wm * warps_n + wn) * 32 + g * 4 + tq;
    *slot = (((tm * tiles_n + tn) * 2 + h) * 2) + e;
    return;
  }
  int64_t t = 0, rep = 0, j = 0;
  for (uint32_t d = 0; d < shape.rank; ++d) {
    const int64_t span = spt[d] * tpc[d];
    const int64_t c = coords[d];
    const int64_t rd = c / span, rem = c % span;
    t = t * tpc[d] + rem / spt[d];
    j = j * spt[d] + rem % spt[d];
    rep = rep * reps[d] + rd;
  }
  int64_t spt_total = 1;
  for (uint32_t d = 0; d < shape.rank; ++d) spt_total *= spt[d];
  *tid = t;
  *slot = rep * spt_total + j;
}

LayoutId LayoutTable::Add(const Layout& layout) {
  for (size_t i = 0; i < layouts_.size(); ++i) {
    if (layouts_[i] == layout) return static_cast<LayoutId>(i);
  }
  layouts_.push_back(layout);
  return static_cast<LayoutId>(layouts_.size() - 1);
}

}  // namespace hrt::ptx
