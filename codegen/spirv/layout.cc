#include "codegen/spirv/layout.h"

namespace hrt::spirv {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Largest power of two <= |limit| that divides |n| (n, limit >= 1).
int64_t Pow2DividingAtMost(int64_t n, int64_t limit) {
  int64_t p = 1;
  while (p * 2 <= limit && n % (p * 2) == 0) p *= 2;
  return p;
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
  if (a.shape != b.shape || a.threads != b.threads) return false;
  for (uint32_t i = 0; i < a.shape.rank; ++i) {
    if (a.spt[i] != b.spt[i] || a.tpc[i] != b.tpc[i]) return false;
  }
  return true;
}

Layout MakeBlocked(const Shape& shape, uint32_t threads, int64_t vec) {
  std::array<int64_t, ir::kMaxRank> spt;
  spt.fill(1);
  if (shape.rank > 0) {
    spt[shape.rank - 1] = Pow2DividingAtMost(shape.dims[shape.rank - 1], vec < 1 ? 1 : vec);
  }
  return MakeTiled(shape, threads, spt);
}

Layout MakeTiled(const Shape& shape, uint32_t threads,
                 const std::array<int64_t, ir::kMaxRank>& spt) {
  Layout l;
  l.shape = shape;
  l.threads = threads;
  const uint32_t r = shape.rank;
  int64_t left = threads;
  for (uint32_t d = r; d-- > 0;) {
    const int64_t n = shape.dims[d];
    l.spt[d] = spt[d] < 1 ? 1 : spt[d];
    const int64_t need = CeilDiv(n, l.spt[d]);
    if (d == 0) {
      l.tpc[d] = left;  // the outermost dim takes every invocation left
    } else {
      // A power of two dividing the invocations left and no larger than the
      // positions the dim needs (more would only leave invocations idle).
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
  return l;
}

int64_t Layout::SlotOffset(int64_t slot, uint32_t dim) const {
  // Slot order: repetitions outermost, then the run within a repetition;
  // within each, dims in row-major order.
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
  int64_t below = 1;
  for (uint32_t d = shape.rank; d-- > dim + 1;) below *= tpc[d];
  return ((tid / below) % tpc[dim]) * spt[dim];
}

bool Layout::SlotAlwaysValid(int64_t slot) const {
  for (uint32_t d = 0; d < shape.rank; ++d) {
    if (SlotOffset(slot, d) + (tpc[d] - 1) * spt[d] >= shape.dims[d]) return false;
  }
  return true;
}

bool Layout::SlotValidFor(int64_t tid, int64_t slot) const {
  for (uint32_t d = 0; d < shape.rank; ++d) {
    if (ThreadBase(tid, d) + SlotOffset(slot, d) >= shape.dims[d]) return false;
  }
  return true;
}

void Layout::Owner(const int64_t* coords, int64_t* tid, int64_t* slot) const {
  int64_t t = 0, rep = 0, j = 0;
  for (uint32_t d = 0; d < shape.rank; ++d) {
    const int64_t span = spt[d] * tpc[d];
    const int64_t c = coords[d];
    t = t * tpc[d] + (c % span) / spt[d];
    j = j * spt[d] + (c % span) % spt[d];
    rep = rep * reps[d] + c / span;
  }
  int64_t spt_total = 1;
  for (uint32_t d = 0; d < shape.rank; ++d) spt_total *= spt[d];
  *tid = t;
  *slot = rep * spt_total + j;
}

}  // namespace hrt::spirv
