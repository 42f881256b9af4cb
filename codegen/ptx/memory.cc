// Loads, stores and atomics. Each thread accesses the elements its layout
// gives it. Where the innermost index provably walks the last tensor dim
// one element per slot (an iota plus a uniform offset), a thread's run of
// consecutive slots becomes one vector access of up to 16 bytes per chunk,
// taken when, at run time, that dim's stride is 1, the address is aligned
// and every lane of the run is unmasked; otherwise the run falls back to
// predicated scalar accesses. Masked-off lanes read the fill value and
// touch no memory. When the launch's Assumptions (assume.h) prove all of
// that at compile time (an aligned tensor, runs starting on multiples of
// their length, a mask bound that is a multiple of it too), a run is one
// predicated vector access with no test and no fallback at all.
#include <algorithm>
#include <cstring>
#include <optional>

#include "codegen/interp/convert.h"
#include "codegen/ptx/lowering.h"

namespace hrt::ptx {
namespace {

using ir::DType;

const char* VecSuffix(int64_t n) {
  return n == 4 ? ".v4" : n == 2 ? ".v2" : "";
}

// The bits of one element of |et| holding the fill value, as a load of it
// would leave them in memory.
uint64_t FillBits(DType et, float fill_f, int64_t fill_i) {
  switch (et) {
    case DType::kF32: {
      uint32_t u = 0;
      std::memcpy(&u, &fill_f, sizeof u);
      return u;
    }
    case DType::kF16: return ir::FloatToHalf(fill_f);
    case DType::kBF16: return ir::FloatToBF16(fill_f);
    default: {
      const int64_t bits = ir::DTypeSize(et) * 8;
      const auto u = static_cast<uint64_t>(fill_i);
      return bits >= 64 ? u : u & ((uint64_t{1} << bits) - 1);
    }
  }
}

}  // namespace

Reg Lowering::ElementStep(uint32_t param, uint32_t dim, int64_t esz) {
  auto it = element_step_.find({param, dim});
  if (it != element_step_.end()) return it->second;
  const Reg stride = TensorStride(param, dim);
  PrologueScope ps(&code_);
  const Reg r = NewReg(Repr::kI64);
  code_.Ins("mul.lo.s64", {r, stride, Opnd::Imm(esz)});
  element_step_[{param, dim}] = r;
  return r;
}

bool Lowering::Contiguous(const ir::Op& op, uint32_t tensor_rank, uint32_t access_rank) {
  if (tensor_rank == 0 || access_rank == 0) return false;
  const uint32_t last = access_rank - 1;
  for (uint32_t k = 0; k < tensor_rank; ++k) {
    const int32_t lin = LinAlong(*an_, k_, op.operands[k], access_rank, last);
    if (lin != (k + 1 == tensor_rank ? 1 : 0)) return false;
  }
  return true;
}

Reg Lowering::Address(uint32_t param, DType et, std::span<const Val> indices,
                      std::span<const DType> index_types) {
  const Reg base = TensorBase(param);
  Reg acc;
  for (size_t k = 0; k < indices.size(); ++k) {
    const Val ix = indices[k];
    if (ix.is_const() && ix.off == 0) continue;
    Opnd i64 = Opnd::Imm(0);
    if (ix.is_const()) {
      // An i32 constant wraps to 32 bits before it is widened.
      i64 = Opnd::Imm(ReprOf(index_types[k]) == Repr::kI64
                          ? ix.off
                          : static_cast<int32_t>(static_cast<uint32_t>(ix.off)));
    } else if (ReprOf(index_types[k]) == Repr::kI64) {
      i64 = ToReg(ix, Repr::kI64);
    } else {
      const Reg w = NewReg(Repr::kI64);
      code_.Ins("cvt.s64.s32", {w, ToReg(ix, Repr::kI32)});
      i64 = w;
    }
    const Reg next = NewReg(Repr::kI64);
    // An aligned tensor (assume.h) has stride 1 along its last dim: no
    // multiply there, which takes two dependent 64-bit multiplies off the
    // path from a row's first instruction to its first load.
    const bool unit = k + 1 == indices.size() && AssumedAligned(an_->assume, param);
    if (unit) {
      if (acc.valid()) {
        code_.Ins("add.s64", {next, acc, i64});
      } else {
        code_.Ins("mov.b64", {next, i64});
      }
    } else if (acc.valid()) {
      code_.Ins("mad.lo.s64", {next, i64, TensorStride(param, static_cast<uint32_t>(k)), acc});
    } else {
      code_.Ins("mul.lo.s64", {next, i64, TensorStride(param, static_cast<uint32_t>(k))});
    }
    acc = next;
  }
  if (!acc.valid()) return base;
  const Reg addr = NewReg(Repr::kI64);
  code_.Ins("mad.lo.s64", {addr, acc, Opnd::Imm(ir::DTypeSize(et)), base});
  return addr;
}

void Lowering::LoadElement(DType et, Reg addr, Val pred, float fill_f, int64_t fill_i, Reg dst) {
  const bool never = pred.is_const() && pred.off == 0;
  const bool always = pred.is_const() && pred.off != 0;
  const Reg p = pred.is_const() ? Reg{} : pred.reg;
  const Opnd mem = Opnd::Mem(addr);
  switch (et) {
    case DType::kF32:
      if (!always) code_.Ins("mov.f32", {dst, Opnd::F32(fill_f)});
      if (!never) code_.InsIf(p, false, "ld.global.f32", {dst, mem});
      return;
    case DType::kF16:
    case DType::kBF16: {
      const Reg h = code_.NewReg(RegClass::kB16);
      const uint16_t bits = et == DType::kF16 ? ir::FloatToHalf(fill_f) : ir::FloatToBF16(fill_f);
      if (!always) code_.Ins("mov.b16", {h, Opnd::Imm(bits)});
      if (!never) code_.InsIf(p, false, "ld.global.b16", {h, mem});
      if (et == DType::kF16) {
        code_.Ins("cvt.f32.f16", {dst, h});
      } else {
        const Reg w = NewReg(Repr::kI32);
        code_.Ins("cvt.u32.u16", {w, h});
        code_.Ins("shl.b32", {dst, w, Opnd::Imm(16)});
      }
      return;
    }
    case DType::kBool: {
      const Reg w = NewReg(Repr::kI32);
      if (!always) code_.Ins("mov.b32", {w, Opnd::Imm(fill_i)});
      if (!never) code_.InsIf(p, false, "ld.global.u8", {w, mem});
      code_.Ins("setp.ne.u32", {dst, w, Opnd::Imm(0)});
      return;
    }
    case DType::kI64:
      if (!always) code_.Ins("mov.b64", {dst, Opnd::Imm(fill_i)});
      if (!never) code_.InsIf(p, false, "ld.global.b64", {dst, mem});
      return;
    default:
      if (!always) code_.Ins("mov.b32", {dst, Opnd::Imm(fill_i)});
      if (!never) code_.InsIf(p, false, std::string("ld.global") + LoadType(et), {dst, mem});
      return;
  }
}

void Lowering::StoreElement(DType et, Reg addr, Val pred, Val v) {
  if (pred.is_const() && pred.off == 0) return;
  const Reg p = pred.is_const() ? Reg{} : pred.reg;
  const Opnd mem = Opnd::Mem(addr);
  const Repr r = ReprOf(et);
  switch (et) {
    case DType::kF16:
    case DType::kBF16: {
      const Reg h = code_.NewReg(RegClass::kB16);
      code_.Ins(et == DType::kF16 ? "cvt.rn.f16.f32" : "cvt.rn.bf16.f32", {h, ToReg(v, r)});
      code_.InsIf(p, false, "st.global.b16", {mem, h});
      return;
    }
    case DType::kBool: {
      const Reg w = NewReg(Repr::kI32);
      if (v.is_const()) {
        code_.Ins("mov.b32", {w, Opnd::Imm(v.off != 0)});
      } else {
        code_.Ins("selp.u32", {w, Opnd::Imm(1), Opnd::Imm(0), v.reg});
      }
      code_.InsIf(p, false, "st.global.u8", {mem, w});
      return;
    }
    default:
      code_.InsIf(p, false, std::string("st.global") + StoreType(et), {mem, ToReg(v, r)});
      return;
  }
}

Regs Lowering::LoadWords(DType et, Reg addr, std::span<const Reg> dst, Reg pred, uint64_t fill) {
  const auto n = static_cast<int64_t>(dst.size());
  const int64_t esz = ir::DTypeSize(et);
  // A predicated load may leave its registers as they were, so ptxas keeps
  // their previous values live: in a loop, across the back edge (layer_norm
  // spilled 276 bytes). Setting them first ends those live ranges (and
  // gives masked-off elements their fill value).
  uint64_t word = fill;  // a 32-bit word of sub-word elements
  for (int64_t b = esz * 8; b < 32; b *= 2) word |= word << b;
  auto preset = [&](std::span<const Reg> regs, Repr r) {
    if (!pred.valid()) return;
    for (const Reg& x : regs) {
      Opnd v = Opnd::Imm(static_cast<int64_t>(r == Repr::kI32 ? word & 0xFFFFFFFFu : fill));
      if (r == Repr::kF32) {
        float f = 0.0f;
        const auto u = static_cast<uint32_t>(fill);
        std::memcpy(&f, &u, sizeof f);
        v = Opnd::F32(f);
      }
      code_.Ins(MovFor(r), {x, v});
    }
  };
  const int64_t per_chunk = std::min<int64_t>(n, 16 / esz);
  const bool wide = et == DType::kF32 || et == DType::kI32 || et == DType::kI64;
  Regs all;
  for (int64_t c = 0; c * per_chunk < n; ++c) {
    const int64_t bytes = per_chunk * esz;
    const Opnd mem = Opnd::Mem(addr, c * 16);
    if (wide) {
      // Straight into the elements' registers.
      const auto part =
          dst.subspan(static_cast<size_t>(c * per_chunk), static_cast<size_t>(per_chunk));
      const char* t = et == DType::kF32 ? ".f32" : et == DType::kI32 ? ".b32" : ".b64";
      preset(part, ReprOf(et));
      code_.InsIf(pred, false, std::string("ld.global") + VecSuffix(per_chunk) + t,
                  {per_chunk == 1 ? Opnd(part[0]) : Opnd::Vec(part), mem});
      all.insert(all.end(), part.begin(), part.end());
    } else if (bytes == 2) {
      // One 16-bit half, widened when unpacked.
      const Reg h = code_.NewReg(RegClass::kB16);
      if (pred.valid()) code_.Ins("mov.b16", {h, Opnd::Imm(static_cast<int64_t>(fill & 0xFFFF))});
      code_.InsIf(pred, false, "ld.global.b16", {h, mem});
      all.push_back(h);
    } else {
      const Regs words = code_.NewRegs(RegClass::kB32, static_cast<size_t>(bytes / 4));
      const auto nw = static_cast<int64_t>(words.size());
      preset(words, Repr::kI32);
      code_.InsIf(pred, false, std::string("ld.global") + VecSuffix(nw) + ".b32",
                  {nw == 1 ? Opnd(words[0]) : Opnd::Vec(words), mem});
      all.insert(all.end(), words.begin(), words.end());
    }
  }
  return all;
}

void Lowering::UnpackWords(DType et, const Regs& loaded, std::span<const Reg> dst) {
  const int64_t esz = ir::DTypeSize(et);
  const auto n = static_cast<int64_t>(dst.size());
  if (et == DType::kF32 || et == DType::kI32 || et == DType::kI64) return;  // loaded in place
  const int64_t per_chunk = std::min<int64_t>(n, 16 / esz);
  size_t next = 0;  // the first of the current chunk's registers in |loaded|
  for (int64_t c = 0; c * per_chunk < n; ++c) {
    const int64_t first = c * per_chunk;
    const int64_t bytes = per_chunk * esz;
    const auto part = dst.subspan(static_cast<size_t>(first), static_cast<size_t>(per_chunk));
    Regs words;
    if (bytes == 2) {
      const Reg w = NewReg(Repr::kI32);
      code_.Ins("cvt.u32.u16", {w, loaded[next++]});
      words.push_back(w);
    } else {
      words.assign(
          loaded.begin() + static_cast<std::ptrdiff_t>(next),
          loaded.begin() + static_cast<std::ptrdiff_t>(next + static_cast<size_t>(bytes / 4)));
      next += static_cast<size_t>(bytes / 4);
    }
    for (int64_t e = 0; e < per_chunk; ++e) {
      const Reg w = words[static_cast<size_t>(e * esz / 4)];
      const int64_t bit = (e * esz % 4) * 8;
      const Reg d = part[static_cast<size_t>(e)];
      switch (et) {
        case DType::kF16: {
          // One unpack per word; the low half is the element at the lower
          // address.
          if (bit) break;
          const Reg lo = code_.NewReg(RegClass::kB16), hi = code_.NewReg(RegClass::kB16);
          code_.Ins("mov.b32", {Opnd::Vec({lo, hi}), w});
          code_.Ins("cvt.f32.f16", {d, lo});
          if (e + 1 < per_chunk) code_.Ins("cvt.f32.f16", {part[static_cast<size_t>(e + 1)], hi});
          break;
        }
        case DType::kBF16:
          if (bit) {
            code_.Ins("and.b32", {d, w, Opnd::U64(0xFFFF0000u)});
          } else {
            code_.Ins("shl.b32", {d, w, Opnd::Imm(16)});
          }
          break;
        case DType::kBool: {
          const Reg b = NewReg(Repr::kI32);
          code_.Ins("bfe.u32", {b, w, Opnd::Imm(bit), Opnd::Imm(8)});
          code_.Ins("setp.ne.u32", {d, b, Opnd::Imm(0)});
          break;
        }
        default:
          code_.Ins(et == DType::kU8 ? "bfe.u32" : "bfe.s32",
                    {d, w, Opnd::Imm(bit), Opnd::Imm(esz * 8)});
          break;
      }
    }
  }
}

void Lowering::LoadVector(DType et, Reg addr, std::span<const Reg> dst) {
  UnpackWords(et, LoadWords(et, addr, dst, Reg{}), dst);
}

void Lowering::StoreVector(DType et, Reg addr, std::span<const Val> v, Reg pred) {
  const int64_t esz = ir::DTypeSize(et);
  const auto n = static_cast<int64_t>(v.size());
  const int64_t per_chunk = std::min<int64_t>(n, 16 / esz);
  const Repr r = ReprOf(et);
  for (int64_t c = 0; c * per_chunk < n; ++c) {
    const int64_t first = c * per_chunk;
    const int64_t bytes = per_chunk * esz;
    const Opnd mem = Opnd::Mem(addr, c * 16);
    if (et == DType::kF32 || et == DType::kI32 || et == DType::kI64) {
      Regs regs;
      for (int64_t e = 0; e < per_chunk; ++e) regs.push_back(ToReg(v[first + e], r));
      const char* t = et == DType::kF32 ? ".f32" : et == DType::kI32 ? ".b32" : ".b64";
      code_.InsIf(pred, false, std::string("st.global") + VecSuffix(per_chunk) + t,
                  {mem, per_chunk == 1 ? Opnd(regs[0]) : Opnd::Vec(regs)});
      continue;
    }
    // Pack sub-word elements into 32-bit words.
    const int64_t per_word = 4 / esz;
    Regs words;
    for (int64_t w0 = 0; w0 < per_chunk; w0 += per_word) {
      const Reg w = NewReg(Repr::kI32);
      if (et == DType::kF16 || et == DType::kBF16) {
        const Reg lo = ToReg(v[first + w0], r);
        const Reg hi = per_word > 1 && w0 + 1 < per_chunk ? ToReg(v[first + w0 + 1], r) : lo;
        code_.Ins(et == DType::kF16 ? "cvt.rn.f16x2.f32" : "cvt.rn.bf16x2.f32", {w, hi, lo});
      } else {
        for (int64_t e = 0; e < per_word && w0 + e < per_chunk; ++e) {
          const Val x = v[first + w0 + e];
          Reg b;
          if (et == DType::kBool) {
            b = NewReg(Repr::kI32);
            if (x.is_const()) {
              code_.Ins("mov.b32", {b, Opnd::Imm(x.off != 0)});
            } else {
              code_.Ins("selp.u32", {b, Opnd::Imm(1), Opnd::Imm(0), x.reg});
            }
          } else {
            b = ToReg(x, r);
          }
          if (e == 0) {
            code_.Ins("mov.b32", {w, b});
          } else {
            code_.Ins("bfi.b32", {w, b, w, Opnd::Imm(e * esz * 8), Opnd::Imm(esz * 8)});
          }
        }
      }
      words.push_back(w);
    }
    if (bytes == 2) {
      const Reg h = code_.NewReg(RegClass::kB16);
      code_.Ins("cvt.u16.u32", {h, words[0]});
      code_.InsIf(pred, false, "st.global.b16", {mem, h});
    } else {
      const auto nw = static_cast<int64_t>(words.size());
      code_.InsIf(pred, false, std::string("st.global") + VecSuffix(nw) + ".b32",
                  {mem, nw == 1 ? Opnd(words[0]) : Opnd::Vec(words)});
    }
  }
}

Status Lowering::LowerUniformMemory(const ir::Op& op, const ir::Param& param, DType et) {
  const auto pi = static_cast<uint32_t>(op.ints[0]);
  const bool has_mask = op.ints[1] == 1;
  std::vector<Val> idx;
  std::vector<DType> types;
  for (uint32_t k = 0; k < param.rank; ++k) {
    idx.push_back(Uniform(op.operands[k]));
    types.push_back(ElemType(op.operands[k]));
  }
  Val active = has_mask ? Uniform(op.operands.back()) : Val::Const(1);
  if (active.is_const() && active.off == 0 && op.code != ir::OpCode::kLoad) return Status::Ok();
  const Reg addr = Address(pi, et, idx, types);
  if (op.code == ir::OpCode::kLoad) {
    const float fill_f = ir::IsFloat(et) ? RoundedFloat(et, op.fval) : 0.0f;
    const int64_t fill_i = ir::IsFloat(et) ? 0 : interp::FloatToInt(et, op.fval);
    const Reg dst = NewReg(ReprOf(et));
    LoadElement(et, addr, active, fill_f, fill_i, dst);
    DefineUniform(op.results[0], Val::Of(dst));
    return Status::Ok();
  }
  // Every thread holds the same scalar; one of them writes it.
  active = And(active, Val::Of(IsThreadZero()));
  const Val v = Uniform(op.operands[param.rank]);
  if (op.code == ir::OpCode::kStore) {
    StoreElement(et, addr, active, v);
  } else {
    const char* red = et == DType::kF32   ? "red.global.add.f32"
                      : et == DType::kI32 ? "red.global.add.s32"
                                          : "red.global.add.u64";
    code_.InsIf(active.reg, false, red, {Opnd::Mem(addr), ToReg(v, ReprOf(et))});
  }
  return Status::Ok();
}

Status Lowering::LowerMemory(const ir::Op& op) {
  const auto pi = static_cast<uint32_t>(op.ints[0]);
  const bool has_mask = op.ints[1] == 1;
  const ir::Param& param = k_.params[pi];
  const DType et = DTypeOf(bk_, param.elem);
  const uint32_t rank = param.rank;
  const bool is_load = op.code == ir::OpCode::kLoad;
  if (is_load && an_->values[op.results[0]].staged_load) return Status::Ok();  // see dot.cc

  Shape access;
  if (is_load) {
    access = ShapeOf(TypeOf(op.results[0]));
  } else {
    for (ir::ValueId v : op.operands) {
      const Shape s = ShapeOf(TypeOf(v));
      if (s.rank > access.rank) {
        Shape grown;
        grown.rank = s.rank;
        for (uint32_t i = 0; i < s.rank; ++i) grown.dims[i] = 1;
        for (uint32_t i = 0; i < access.rank; ++i) {
          grown.dims[s.rank - access.rank + i] = access.dims[i];
        }
        access = grown;
      }
      for (uint32_t i = 0; i < s.rank; ++i) {
        int64_t& d = access.dims[access.rank - s.rank + i];
        if (d == 1) d = s.dims[i];
      }
    }
  }
  if (access.rank == 0) return LowerUniformMemory(op, param, et);

  LayoutId layout = kNoLayout;
  if (is_load) {
    layout = an_->values[op.results[0]].layout;
  } else {
    const ir::ValueId v = op.operands[rank];
    const ValueFacts& f = an_->values[v];
    if (f.kind == ValueKind::kTile && ShapeOf(TypeOf(v)) == access) layout = f.layout;
  }
  if (layout == kNoLayout) layout = an_->Canonical(access);
  const Layout& l = L(layout);
  const auto slots = static_cast<size_t>(l.slots);

  std::vector<Vals> idx(rank);
  std::vector<DType> idx_types(rank);
  for (uint32_t k = 0; k < rank; ++k) {
    HRT_ASSIGN_OR_RETURN(idx[k], At(op.operands[k], layout));
    idx_types[k] = ElemType(op.operands[k]);
  }
  Vals value;
  if (!is_load) {
    HRT_ASSIGN_OR_RETURN(value, At(op.operands[rank], layout));
  }
  const int64_t esz = ir::DTypeSize(et);
  const bool vec = op.code != ir::OpCode::kAtomicAdd && l.group >= 2 && l.group * esz >= 2 &&
                   Contiguous(op, rank, access.rank);
  const int64_t group = vec ? l.group : 1;
  const float fill_f = ir::IsFloat(et) ? RoundedFloat(et, op.fval) : 0.0f;
  const int64_t fill_i = ir::IsFloat(et) ? 0 : interp::FloatToInt(et, op.fval);
  Regs dst;
  if (is_load) dst = code_.NewRegs(RegClassOf(et), slots);

  auto element_address = [&](size_t s) {
    std::vector<Val> at(rank);
    for (uint32_t k = 0; k < rank; ++k) at[k] = idx[k][s];
    return Address(pi, et, at, idx_types);
  };
  auto scalar = [&](size_t s, Val active, Reg addr) {
    if (active.is_const() && active.off == 0) {
      if (is_load) LoadElement(et, Reg{}, active, fill_f, fill_i, dst[s]);
      return;
    }
    if (!addr.valid()) addr = element_address(s);
    if (is_load) {
      LoadElement(et, addr, active, fill_f, fill_i, dst[s]);
    } else if (op.code == ir::OpCode::kStore) {
      StoreElement(et, addr, active, value[s]);
    } else {
      const char* red = et == DType::kF32   ? "red.global.add.f32"
                        : et == DType::kI32 ? "red.global.add.s32"
                                            : "red.global.add.u64";
      code_.InsIf(active.is_const() ? Reg{} : active.reg, false, red,
                  {Opnd::Mem(addr), ToReg(value[s], ReprOf(et))});
    }
  };
  // The slow path of the group at |g0| (first address |a0|): element j is j
  // strides on; |active_of(j)| gives slot j's predicate.
  auto scalar_run = [&](size_t g0, Reg a0, auto&& active_of) {
    const Reg step = ElementStep(pi, rank - 1, esz);
    for (size_t j = g0; j < g0 + static_cast<size_t>(group); ++j) {
      const Val active = active_of(j);
      Reg aj = a0;
      if (j > g0 && !(active.is_const() && active.off == 0)) {
        aj = NewReg(Repr::kI64);
        code_.Ins("mad.lo.s64", {aj, step, Opnd::Imm(static_cast<int64_t>(j - g0)), a0});
      }
      scalar(j, active, aj);
    }
  };

  // A mask `index < bound` whose index steps by +1 along the last dim and
  // whose bound is constant along it (every row kernel's `cols < n`): a run
  // of consecutive slots is all active when its last slot is and the index
  // did not wrap in between, one test instead of one per slot.
  const ir::Op* monotone = nullptr;
  if (has_mask && group > 1) {
    const ir::Op* m = an_->values[op.operands.back()].def;
    if (m && MonotoneCompare(*m, access.rank)) monotone = m;
  }
  if (group > 1 && (!has_mask || monotone)) {
    // The hot path of a group tests the group as a whole and addresses it
    // from the first group's address plus a constant when their indices
    // differ by constants along the last dim only (they do in row kernels):
    // with stride 1 (tested once per thread) it is that many elements on,
    // and as aligned as the first group when the constant keeps 16-byte
    // steps. Per-slot masks and addresses are only formed on the slow path,
    // for the group's own slots, so the hot path carries none of them.
    //
    // Proven (assume.h): the tensor is aligned with stride 1, each run
    // starts on a multiple of |group| elements, and so does the mask's
    // bound. Then every run is aligned and entirely inside or outside the
    // mask, so its test is its first slot's compare and there is no slow
    // path: a masked-off run reads the fill value into its registers.
    const uint32_t last_dim = access.rank - 1;
    const bool proven =
        AssumedAligned(an_->assume, pi) && l.kind == Layout::Kind::kBlocked &&
        l.spt[last_dim] % group == 0 &&
        GroupAligned(*an_, k_, op.operands[rank - 1], access.rank, group) &&
        (!monotone || (GroupAligned(*an_, k_, monotone->operands[0], access.rank, group) &&
                       GroupAligned(*an_, k_, monotone->operands[1], access.rank, group)));
    const int64_t align = std::min<int64_t>(group * esz, 16);
    const Reg first = element_address(0);
    const Val first_aligned = proven ? Val::Const(1) : Aligned(first, align);
    const Val stride_one = proven ? Val::Const(1) : Val::Of(StrideIsOne(pi, rank - 1));
    Vals index, bound;
    if (monotone) {
      HRT_ASSIGN_OR_RETURN(index, At(monotone->operands[0], layout));
      HRT_ASSIGN_OR_RETURN(bound, At(monotone->operands[1], layout));
    }
    // Each group's test and address first, then (loads) every group's
    // vector load, predicated on its test, before any result is unpacked:
    // ptxas keeps that order, so a thread has all its loads in flight at
    // once instead of waiting for one group's data before the next group's
    // branch (silu_mul ran 10% slower with a load per branch block).
    struct Group {
      size_t g0;
      Reg addr;
      Val ok;
      Regs words;
    };
    std::vector<Group> groups;
    for (size_t g0 = 0; g0 < slots; g0 += static_cast<size_t>(group)) {
      const size_t last = g0 + static_cast<size_t>(group) - 1;
      bool any = false;
      for (size_t j = g0; j <= last; ++j) {
        const Val v = SlotValid(layout, static_cast<int64_t>(j));
        any = any || !(v.is_const() && v.off == 0);
      }
      if (!any) {
        for (size_t j = g0; j <= last; ++j) scalar(j, Val::Const(0), Reg{});
        continue;
      }
      std::optional<int64_t> delta = 0;
      for (uint32_t k = 0; k < rank && delta; ++k) {
        const Val a = idx[k][0], b = idx[k][g0];
        const bool same = a.reg == b.reg && (k + 1 == rank || a.off == b.off);
        delta = same ? std::optional<int64_t>(b.off - a.off) : std::nullopt;
      }
      Reg addr = first;
      if (delta && *delta != 0) {
        addr = NewReg(Repr::kI64);
        code_.Ins("add.s64", {addr, first, Opnd::Imm(*delta * esz)});
      } else if (!delta) {
        addr = element_address(g0);
      }
      Val ok = proven
                   ? Val::Const(1)
                   : And(stride_one, delta && (*delta * esz) % align == 0 ? first_aligned
                                                                          : Aligned(addr, align));
      if (proven) {
        ok = SlotValid(layout, static_cast<int64_t>(g0));
        if (monotone) {
          ok = And(ok, Compare(ir::OpCode::kLt, DType::kI32, index[g0], bound[g0]));
        }
      } else if (monotone) {
        // A group lies in one row and is entirely inside or outside the
        // tile: its first slot's validity is every slot's.
        ok = And(ok, SlotValid(layout, static_cast<int64_t>(g0)));
        ok = And(ok, Compare(ir::OpCode::kLt, DType::kI32, index[last], bound[last]));
        const Reg no_wrap = NewReg(Repr::kPred);
        code_.Ins("setp.ge.s32",
                  {no_wrap, ToReg(index[last], Repr::kI32), O(index[g0], Repr::kI32)});
        ok = And(ok, Val::Of(no_wrap));
      } else {
        for (size_t j = g0; j <= last; ++j) {
          ok = And(ok, SlotValid(layout, static_cast<int64_t>(j)));
        }
      }
      groups.push_back(Group{g0, addr, proven ? ok : Val::Of(PredReg(ok)), {}});
    }
    const auto n = static_cast<size_t>(group);
    if (is_load) {
      const uint64_t fill = proven ? FillBits(et, fill_f, fill_i) : 0;
      for (Group& g : groups) {
        if (g.ok.is_const() && g.ok.off == 0) {
          for (size_t j = g.g0; j < g.g0 + n; ++j) scalar(j, g.ok, Reg{});
          continue;
        }
        g.words = LoadWords(et, g.addr, std::span<const Reg>(dst).subspan(g.g0, n),
                            g.ok.is_const() ? Reg{} : g.ok.reg, fill);
      }
    }
    if (proven) {
      for (const Group& g : groups) {
        if (g.ok.is_const() && g.ok.off == 0) continue;
        if (is_load) {
          UnpackWords(et, g.words, std::span<const Reg>(dst).subspan(g.g0, n));
        } else {
          StoreVector(et, g.addr, std::span<const Val>(value).subspan(g.g0, n),
                      g.ok.is_const() ? Reg{} : g.ok.reg);
        }
      }
      return FinishAccess(op, layout, dst);
    }
    for (const Group& g : groups) {
      const uint32_t slow = code_.NewLabel(), done = code_.NewLabel();
      code_.BranchIf(g.ok.reg, true, slow, false);
      if (is_load) {
        UnpackWords(et, g.words, std::span<const Reg>(dst).subspan(g.g0, n));
      } else {
        StoreVector(et, g.addr, std::span<const Val>(value).subspan(g.g0, n));
      }
      code_.Branch(done, false);
      code_.Label(slow);
      // Only this group's slots: the mask is `index < bound` itself.
      scalar_run(g.g0, element_address(g.g0), [&](size_t j) {
        const Val valid = SlotValid(layout, static_cast<int64_t>(j));
        return monotone ? And(valid, Compare(ir::OpCode::kLt, DType::kI32, index[j], bound[j]))
                        : valid;
      });
      code_.Label(done);
      if (code_.size() > kMaxPtxBytes) return TooLarge();
    }
    return FinishAccess(op, layout, dst);
  }

  Vals mask(slots, Val::Const(1));
  if (has_mask) {
    HRT_ASSIGN_OR_RETURN(mask, At(op.operands.back(), layout));
  }
  for (size_t g0 = 0; g0 < slots; g0 += static_cast<size_t>(group)) {
    std::vector<Val> active(static_cast<size_t>(group));
    bool any = false;
    for (size_t j = 0; j < active.size(); ++j) {
      active[j] = And(SlotValid(layout, static_cast<int64_t>(g0 + j)), mask[g0 + j]);
      any = any || !(active[j].is_const() && active[j].off == 0);
    }
    if (group == 1 || !any) {
      for (size_t j = 0; j < active.size(); ++j) scalar(g0 + j, active[j], Reg{});
      continue;
    }
    // A group of slots the mask does not cover as a whole: one test of
    // alignment, stride and every slot.
    const Reg a0 = element_address(g0);
    Val ok =
        And(Aligned(a0, std::min<int64_t>(group * esz, 16)), Val::Of(StrideIsOne(pi, rank - 1)));
    for (const Val& a : active) ok = And(ok, a);
    const uint32_t slow = code_.NewLabel(), done = code_.NewLabel();
    code_.BranchIf(ok.reg, true, slow, false);
    const auto n = static_cast<size_t>(group);
    if (is_load) {
      LoadVector(et, a0, std::span<const Reg>(dst).subspan(g0, n));
    } else {
      StoreVector(et, a0, std::span<const Val>(value).subspan(g0, n));
    }
    code_.Branch(done, false);
    code_.Label(slow);
    scalar_run(g0, a0, [&](size_t j) { return active[j - g0]; });
    code_.Label(done);
    if (code_.size() > kMaxPtxBytes) return TooLarge();
  }
  return FinishAccess(op, layout, dst);
}

Status Lowering::FinishAccess(const ir::Op& op, LayoutId layout, const Regs& dst) {
  if (op.code != ir::OpCode::kLoad) return Status::Ok();
  Vals out(dst.size());
  for (size_t s = 0; s < dst.size(); ++s) out[s] = Val::Of(dst[s]);
  return DefineTile(op.results[0], layout, std::move(out));
}

Val Lowering::Aligned(Reg addr, int64_t align) {
  const Reg low = NewReg(Repr::kI64);
  code_.Ins("and.b64", {low, addr, Opnd::Imm(align - 1)});
  const Reg aligned = NewReg(Repr::kPred);
  code_.Ins("setp.eq.u64", {aligned, low, Opnd::Imm(0)});
  return Val::Of(aligned);
}

}  // namespace hrt::ptx
