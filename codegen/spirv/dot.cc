// dot: both operands are staged in workgroup memory (as f32: f16/bf16 values
// are exact in it), then each invocation walks K once for its register tile
// of the result (DotLayout: a near-square spt[0] x spt[1] block), reading
// spt[0] values of A and spt[1] of B per step for spt[0] * spt[1]
// multiply-adds. Products and sums are separate, uncontracted f32 operations
// in k order: exactly the interpreter's arithmetic.
#include <map>

#include "codegen/spirv/lowering.h"

namespace hrt::spirv {

Status Lowering::LowerDot(const ir::Op& op) {
  if (op.operands.size() < 2 || op.operands.size() > 3 || op.results.size() != 1) {
    return InvalidArgument("malformed dot");
  }
  const ir::ValueId a = op.operands[0], b = op.operands[1];
  const Shape as = ShapeOfValue(a), bs = ShapeOfValue(b);
  if (as.rank != 2 || bs.rank != 2 || as.dims[1] != bs.dims[0]) {
    return InvalidArgument("dot operands are not [M, K] x [K, N]");
  }
  const ir::DType dtype = ElemType(a);
  const int64_t m = as.dims[0], k = as.dims[1], n = bs.dims[1];
  Shape cs;
  cs.rank = 2;
  cs.dims[0] = m;
  cs.dims[1] = n;
  const LayoutId lay = DotLayout(cs);
  const LayoutId lay_a = Canonical(as), lay_b = Canonical(bs);
  for (LayoutId id : {lay, lay_a, lay_b}) HRT_RETURN_IF_ERROR(CheckSlots(id));
  const Layout& l = L(lay);

  Ids acc;
  if (op.operands.size() == 3) {
    HRT_ASSIGN_OR_RETURN(acc, At(op.operands[2], lay));
  } else {
    acc.assign(static_cast<size_t>(l.slots), CF32(0.0f));
  }
  HRT_ASSIGN_OR_RETURN(Ids va, At(a, lay_a));
  HRT_ASSIGN_OR_RETURN(Ids vb, At(b, lay_b));

  // A row-major at 0, B row-major at M*K, then one dump word per invocation.
  const int64_t off_b = m * k;
  const int64_t dump = off_b + k * n;
  UseRegion(kBig, dump + threads_);
  StoreRowMajor(kBig, 0, dump, lay_a, dtype, va);
  StoreRowMajor(kBig, off_b, dump, lay_b, dtype, vb);
  Barrier();

  // Distinct row and column offsets of this invocation's register tile;
  // rows or columns past the edge (for some invocations) read row/column 0.
  std::map<int64_t, Id> rows, cols;
  for (int64_t s = 0; s < l.slots; ++s) {
    rows.emplace(l.SlotOffset(s, 0), 0);
    cols.emplace(l.SlotOffset(s, 1), 0);
  }
  const auto clamped = [&](uint32_t dim, int64_t off, int64_t size) {
    const Id at = IAdd(ThreadBase(lay, dim), C32(off));
    if (off + (l.tpc[dim] - 1) * l.spt[dim] < size) return at;
    return Sel(t_i32_, Op2(spv::OpSLessThan, t_bool_, at, C32(size)), at, C32(0));
  };
  for (auto& [off, id] : rows) id = IMul(clamped(0, off, m), C32(k));
  for (auto& [off, id] : cols) id = IAdd(clamped(1, off, n), C32(off_b));

  const Ids types(acc.size(), t_f32_);
  HRT_ASSIGN_OR_RETURN(
      Ids out, Loop(C32(0), C32(k), acc, types, [&](Id kk, const Ids& cur) {
        std::map<int64_t, Id> av, bv;
        for (const auto& [off, row] : rows) {
          av[off] = FromWords(ir::DType::kF32, LoadWords(kBig, IAdd(row, kk), 1));
        }
        const Id krow = IMul(kk, C32(n));
        for (const auto& [off, col] : cols) {
          bv[off] = FromWords(ir::DType::kF32, LoadWords(kBig, IAdd(col, krow), 1));
        }
        Ids next(cur.size());
        for (size_t s = 0; s < cur.size(); ++s) {
          const auto slot = static_cast<int64_t>(s);
          const Id prod = FOp(spv::OpFMul, av[l.SlotOffset(slot, 0)], bv[l.SlotOffset(slot, 1)]);
          next[s] = FOp(spv::OpFAdd, cur[s], prod);
        }
        return Result<Ids>(std::move(next));
      }));
  MarkDirty(kBig);
  return DefineTile(op.results[0], lay, ir::DType::kF32, std::move(out));
}

}  // namespace hrt::spirv
