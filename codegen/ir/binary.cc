// Binary form of a tile-IR module: writer and hardened reader.
//
// Layout (all integers little-endian, no padding inside sections):
//
//   header (40 bytes)
//     0  magic "HRTIR\0\r\n"
//     8  u16 major, u16 minor
//    12  u32 flags                      no flags are defined: must be 0
//    16  u64 total size                 must equal the blob's size
//    24  u64 XXH3_64bits of bytes [40, total size)
//    32  u32 section count
//    36  u32 reserved                   must be 0
//   section table: count x {u32 id, u32 flags (bit 0 = required, others must
//                  be 0), u64 offset, u64 size}
//   sections, placed canonically: the first at the first 8-byte boundary
//   after the table, each next one at the first 8-byte boundary after its
//   predecessor, in table order, padding bytes zero, the last one ending at
//   the total size. So sections never overlap, every byte of the blob belongs
//   to exactly one part, and a changed section count cannot go unnoticed.
//
// Section 1, strings: u32 count, then count x {u32 length, bytes}. Every
// string of the module appears once, in order of first use by the kernels
// section (so the output is deterministic).
//
// Section 2, kernels (a "str" is a u32 index into the string table; a "dim"
// is {i64 value, i32 tunable}; a "type" is {u8 elem, u8 rank, rank x dim}; an
// "expr" is {u32 count, count x {u8 op, i64 value, u32 lhs, u32 rhs}}):
//   u16 major, u16 minor, u32 flags   copies of the header's, so that the
//                                      checksum covers them too
//   u32 kernel count, then per kernel:
//     str name
//     u32 count, per param:   str name, u8 kind, u8 elem, u8 rank, rank x u32 shape symbol
//     u32 count, per shape symbol: str name
//     u32 count, per tunable: str name, u32 count, count x i64 candidate, i64 default
//     u32 count, per dtype parameter: str name, u32 count, count x u8 dtype
//     u32 count, constraint exprs
//     u32 count, grid exprs
//     u32 count, per value: str name, type
//     block body
//   block: u32 count, count x u32 arg value id; u32 count, ops
//   op:    u16 code, u8 elem, u64 fval (IEEE-754 bits); u32 count, operand ids;
//          u32 count, result ids; u32 count, i64 ints; u32 count, shape dims;
//          u32 count, region blocks
//
// The reader checks, in order: magic, major version, total size, checksum,
// header flags and reserved field, the section table, then decodes with every
// count checked against the bytes left before anything is allocated, region
// nesting bounded by kMaxLoopDepth, every string index and value id checked
// against its table, and finally runs VerifyModule().
#include "codegen/ir/binary.h"

#include <xxhash.h>

#include <bit>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/bits.h"
#include "codegen/ir/byte_io.h"
#include "codegen/ir/verifier.h"

namespace hrt::ir {
namespace {

constexpr uint8_t kMagic[8] = {'H', 'R', 'T', 'I', 'R', '\0', '\r', '\n'};
constexpr size_t kHeaderSize = 40;
constexpr size_t kChecksumOffset = 24;
constexpr size_t kSectionEntrySize = 24;
constexpr uint64_t kSectionAlignment = 8;

constexpr uint32_t kSectionStrings = 1;
constexpr uint32_t kSectionKernels = 2;
constexpr uint32_t kSectionRequired = 1u << 0;

// Smallest encoding of each repeated item, used to reject counts that cannot
// fit in the bytes left before anything is allocated.
constexpr size_t kMinStringBytes = 4;
constexpr size_t kMinKernelBytes = 4 + 7 * 4 + 8;
constexpr size_t kMinParamBytes = 4 + 3;
constexpr size_t kMinTunableBytes = 4 + 4 + 8;
constexpr size_t kMinDTypeParamBytes = 4 + 4;
constexpr size_t kMinExprBytes = 4;
constexpr size_t kExprNodeBytes = 1 + 8 + 4 + 4;
constexpr size_t kMinValueBytes = 4 + 2;
constexpr size_t kDimBytes = 8 + 4;
constexpr size_t kMinBlockBytes = 4 + 4;
constexpr size_t kMinOpBytes = 2 + 1 + 8 + 5 * 4;

uint64_t AlignUp(uint64_t v) {
  return hrt::AlignUp(v, kSectionAlignment);
}
std::string Hex(uint64_t v) {
  return HexString(v);
}

std::string VersionString(uint16_t major, uint16_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

uint32_t Count(size_t n) {
  return static_cast<uint32_t>(n);
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

class StringTable {
 public:
  uint32_t Intern(const std::string& s) {
    auto [it, inserted] = index_.try_emplace(s, Count(order_.size()));
    if (inserted) order_.push_back(&it->first);
    return it->second;
  }

  void Write(ByteWriter& w) const {
    w.U32(Count(order_.size()));
    for (const std::string* s : order_) {
      w.U32(Count(s->size()));
      w.Bytes({reinterpret_cast<const uint8_t*>(s->data()), s->size()});
    }
  }

 private:
  // Node-based map: pointers to keys stay valid as it grows.
  std::unordered_map<std::string, uint32_t> index_;
  std::vector<const std::string*> order_;
};

class Encoder {
 public:
  explicit Encoder(std::vector<uint8_t>* out) : w_(out) {}

  void WriteModule(const ir::Module& m) {
    w_.U16(kIrFormatMajor);
    w_.U16(kIrFormatMinor);
    w_.U32(0);  // header flags
    w_.U32(Count(m.kernels.size()));
    for (const Kernel& k : m.kernels) WriteKernel(k);
  }

  const StringTable& strings() const { return strings_; }

 private:
  void WriteStr(const std::string& s) { w_.U32(strings_.Intern(s)); }

  void WriteDim(const ir::Dim& d) {
    w_.I64(d.value);
    w_.I32(d.tunable);
  }

  // Ranks beyond the fixed arrays are written so that the reader rejects
  // them, without reading past the arrays here.
  void WriteRank(uint32_t rank) { w_.U8(static_cast<uint8_t>(rank > 0xff ? 0xff : rank)); }

  void WriteType(const ir::Type& t) {
    w_.U8(t.elem.code);
    WriteRank(t.rank);
    for (uint32_t i = 0; i < t.rank && i < kMaxRank; ++i) WriteDim(t.dims[i]);
  }

  void WriteExpr(const ir::Expr& e) {
    w_.U32(Count(e.nodes.size()));
    for (const ExprNode& n : e.nodes) {
      w_.U8(static_cast<uint8_t>(n.op));
      w_.I64(n.value);
      w_.U32(n.lhs);
      w_.U32(n.rhs);
    }
  }

  void WriteIds(const std::vector<ValueId>& ids) {
    w_.U32(Count(ids.size()));
    for (ValueId id : ids) w_.U32(id);
  }

  void WriteBlock(const ir::Block& b) {
    WriteIds(b.args);
    w_.U32(Count(b.ops.size()));
    for (const ir::Op& op : b.ops) WriteOp(op);
  }

  void WriteOp(const ir::Op& op) {
    w_.U16(static_cast<uint16_t>(op.code));
    w_.U8(op.elem.code);
    w_.U64(std::bit_cast<uint64_t>(op.fval));
    WriteIds(op.operands);
    WriteIds(op.results);
    w_.U32(Count(op.ints.size()));
    for (int64_t v : op.ints) w_.I64(v);
    w_.U32(Count(op.shape.size()));
    for (const ir::Dim& d : op.shape) WriteDim(d);
    w_.U32(Count(op.regions.size()));
    for (const ir::Block& b : op.regions) WriteBlock(b);
  }

  void WriteKernel(const ir::Kernel& k) {
    WriteStr(k.name);
    w_.U32(Count(k.params.size()));
    for (const Param& p : k.params) {
      WriteStr(p.name);
      w_.U8(static_cast<uint8_t>(p.kind));
      w_.U8(p.elem.code);
      WriteRank(p.rank);
      for (uint32_t i = 0; i < p.rank && i < kMaxRank; ++i) w_.U32(p.dims[i]);
    }
    w_.U32(Count(k.shape_syms.size()));
    for (const std::string& s : k.shape_syms) WriteStr(s);
    w_.U32(Count(k.tunables.size()));
    for (const Tunable& t : k.tunables) {
      WriteStr(t.name);
      w_.U32(Count(t.candidates.size()));
      for (int64_t c : t.candidates) w_.I64(c);
      w_.I64(t.default_value);
    }
    w_.U32(Count(k.dtype_params.size()));
    for (const DTypeParam& d : k.dtype_params) {
      WriteStr(d.name);
      w_.U32(Count(d.candidates.size()));
      for (DType c : d.candidates) w_.U8(static_cast<uint8_t>(c));
    }
    w_.U32(Count(k.constraints.size()));
    for (const ir::Expr& e : k.constraints) WriteExpr(e);
    w_.U32(Count(k.grid.size()));
    for (const ir::Expr& e : k.grid) WriteExpr(e);
    w_.U32(Count(k.values.size()));
    for (const Value& v : k.values) {
      WriteStr(v.name);
      WriteType(v.type);
    }
    WriteBlock(k.body);
  }

  ByteWriter w_;
  StringTable strings_;
};

//===----------------------------------------------------------------------===//
// Reader
//===----------------------------------------------------------------------===//

// Decodes the string table and kernels sections. Errors carry the path to
// the item being decoded ("kernel 0 op 12 region 0 op 3") and the absolute
// blob offset.
class Decoder {
 public:
  Status Strings(ByteReader r) {
    r_ = r;
    Scope scope(this, "string table", -1);
    uint32_t n = 0;
    HRT_RETURN_IF_ERROR(ReadCount("string count", kMinStringBytes, &n));
    strings_.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope item(this, "string", i);
      uint32_t len = 0;
      HRT_RETURN_IF_ERROR(ReadCount("string length", 1, &len));
      std::span<const uint8_t> bytes;
      if (!r_.Bytes(len, &bytes)) return Truncated(len, "string bytes");
      strings_.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    return ExpectEnd();
  }

  Status Kernels(ByteReader r, uint16_t major, uint16_t minor, uint32_t flags, ir::Module* module) {
    r_ = r;
    {
      Scope scope(this, "kernels section header", -1);
      uint16_t copy_major = 0, copy_minor = 0;
      uint32_t copy_flags = 0;
      HRT_RETURN_IF_ERROR(U16("format major", &copy_major));
      HRT_RETURN_IF_ERROR(U16("format minor", &copy_minor));
      HRT_RETURN_IF_ERROR(U32("format flags", &copy_flags));
      if (copy_major != major || copy_minor != minor || copy_flags != flags) {
        return Corrupt("header version " + VersionString(major, minor) + " flags " + Hex(flags) +
                       " differs from its checksummed copy " +
                       VersionString(copy_major, copy_minor) + " flags " + Hex(copy_flags));
      }
    }
    uint32_t n = 0;
    HRT_RETURN_IF_ERROR(ReadCount("kernel count", kMinKernelBytes, &n));
    module->kernels.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope scope(this, "kernel", i);
      HRT_RETURN_IF_ERROR(ReadKernel(&module->kernels[i]));
    }
    return ExpectEnd();
  }

 private:
  struct Frame {
    const char* label;
    int64_t index;  // < 0: none
  };

  // Pushes one step of the error path for the lifetime of the object.
  class Scope {
   public:
    Scope(Decoder* d, const char* label, int64_t index) : d_(d) {
      d_->frames_.push_back({label, index});
    }
    ~Scope() { d_->frames_.pop_back(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Decoder* d_;
  };

  std::string Path() const {
    std::string s;
    for (const Frame& f : frames_) {
      if (!s.empty()) s += ' ';
      s += f.label;
      if (f.index >= 0) s += ' ' + std::to_string(f.index);
    }
    return s;
  }

  // "kernel 0 op 12: " or "" at the top level.
  std::string Where() const {
    std::string p = Path();
    return p.empty() ? p : p + ": ";
  }

  Status Truncated(size_t need, const char* what) const {
    return CorruptData("IR blob truncated: " + Where() + what + " needs " + std::to_string(need) +
                       " bytes at offset " + std::to_string(r_.offset()) + ", " +
                       std::to_string(r_.remaining()) + " left");
  }

  Status Corrupt(const std::string& what) const {
    return CorruptData("IR blob corrupt: " + Where() + what);
  }

  Status ExpectEnd() const {
    if (r_.at_end()) return Status::Ok();
    return Corrupt(std::to_string(r_.remaining()) + " unexpected trailing bytes at offset " +
                   std::to_string(r_.offset()));
  }

  Status U8(const char* what, uint8_t* v) { return r_.U8(v) ? Status::Ok() : Truncated(1, what); }
  Status U16(const char* what, uint16_t* v) {
    return r_.U16(v) ? Status::Ok() : Truncated(2, what);
  }
  Status U32(const char* what, uint32_t* v) {
    return r_.U32(v) ? Status::Ok() : Truncated(4, what);
  }
  Status U64(const char* what, uint64_t* v) {
    return r_.U64(v) ? Status::Ok() : Truncated(8, what);
  }
  Status I32(const char* what, int32_t* v) { return r_.I32(v) ? Status::Ok() : Truncated(4, what); }
  Status I64(const char* what, int64_t* v) { return r_.I64(v) ? Status::Ok() : Truncated(8, what); }

  // Reads a count of items taking at least |min_item_bytes| each and rejects
  // it unless that many bytes are left, so no allocation exceeds the input.
  Status ReadCount(const char* what, size_t min_item_bytes, uint32_t* n) {
    HRT_RETURN_IF_ERROR(U32(what, n));
    if (*n > r_.remaining() / min_item_bytes) {
      return Corrupt(std::string(what) + " " + std::to_string(*n) + " needs at least " +
                     std::to_string(uint64_t{*n} * min_item_bytes) + " bytes at offset " +
                     std::to_string(r_.offset()) + ", " + std::to_string(r_.remaining()) + " left");
    }
    return Status::Ok();
  }

  Status ReadStr(const char* what, std::string* out) {
    uint32_t index = 0;
    HRT_RETURN_IF_ERROR(U32(what, &index));
    if (index >= strings_.size()) {
      return Corrupt(std::string(what) + ": string index " + std::to_string(index) +
                     " out of range (" + std::to_string(strings_.size()) + " strings)");
    }
    *out = strings_[index];
    return Status::Ok();
  }

  Status ReadRank(const char* what, uint32_t* rank) {
    uint8_t r = 0;
    HRT_RETURN_IF_ERROR(U8(what, &r));
    if (r > kMaxRank) {
      return Corrupt(std::string(what) + " " + std::to_string(r) + " exceeds " +
                     std::to_string(kMaxRank));
    }
    *rank = r;
    return Status::Ok();
  }

  Status ReadDim(ir::Dim* d) {
    HRT_RETURN_IF_ERROR(I64("dim value", &d->value));
    return I32("dim tunable", &d->tunable);
  }

  Status ReadType(ir::Type* t) {
    HRT_RETURN_IF_ERROR(U8("elem", &t->elem.code));
    HRT_RETURN_IF_ERROR(ReadRank("rank", &t->rank));
    for (uint32_t i = 0; i < t->rank; ++i) HRT_RETURN_IF_ERROR(ReadDim(&t->dims[i]));
    return Status::Ok();
  }

  Status ReadExpr(ir::Expr* e) {
    uint32_t n = 0;
    HRT_RETURN_IF_ERROR(ReadCount("node count", kExprNodeBytes, &n));
    e->nodes.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope scope(this, "node", i);
      ExprNode& node = e->nodes[i];
      uint8_t op = 0;
      HRT_RETURN_IF_ERROR(U8("op", &op));
      if (op >= kNumExprOps) return Corrupt("unknown expression op " + std::to_string(op));
      node.op = static_cast<ExprOp>(op);
      HRT_RETURN_IF_ERROR(I64("value", &node.value));
      HRT_RETURN_IF_ERROR(U32("lhs", &node.lhs));
      HRT_RETURN_IF_ERROR(U32("rhs", &node.rhs));
    }
    return Status::Ok();
  }

  Status ReadExprs(const char* label, std::vector<ir::Expr>* out) {
    uint32_t n = 0;
    HRT_RETURN_IF_ERROR(ReadCount(label, kMinExprBytes, &n));
    out->resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope scope(this, label, i);
      HRT_RETURN_IF_ERROR(ReadExpr(&(*out)[i]));
    }
    return Status::Ok();
  }

  Status ReadIds(const char* what, std::vector<ValueId>* out) {
    uint32_t n = 0;
    HRT_RETURN_IF_ERROR(ReadCount(what, 4, &n));
    out->resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope scope(this, what, i);
      ValueId id = 0;
      HRT_RETURN_IF_ERROR(U32("value id", &id));
      if (id >= num_values_) {
        return Corrupt("value id " + std::to_string(id) + " out of range (" +
                       std::to_string(num_values_) + " values)");
      }
      (*out)[i] = id;
    }
    return Status::Ok();
  }

  // |depth| is the number of regions enclosing |b|; the kernel body is 0.
  Status ReadBlock(ir::Block* b, uint32_t depth) {
    if (depth > kMaxLoopDepth) {
      return Corrupt("regions nested deeper than " + std::to_string(kMaxLoopDepth));
    }
    HRT_RETURN_IF_ERROR(ReadIds("arg", &b->args));
    uint32_t n = 0;
    HRT_RETURN_IF_ERROR(ReadCount("op count", kMinOpBytes, &n));
    b->ops.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope scope(this, "op", i);
      HRT_RETURN_IF_ERROR(ReadOp(&b->ops[i], depth));
    }
    return Status::Ok();
  }

  Status ReadOp(ir::Op* op, uint32_t depth) {
    uint16_t code = 0;
    HRT_RETURN_IF_ERROR(U16("op code", &code));
    if (code >= kNumOpCodes) return Corrupt("unknown op code " + std::to_string(code));
    op->code = static_cast<OpCode>(code);
    HRT_RETURN_IF_ERROR(U8("elem", &op->elem.code));
    uint64_t fval_bits = 0;
    HRT_RETURN_IF_ERROR(U64("fval", &fval_bits));
    op->fval = std::bit_cast<double>(fval_bits);
    HRT_RETURN_IF_ERROR(ReadIds("operand", &op->operands));
    HRT_RETURN_IF_ERROR(ReadIds("result", &op->results));
    uint32_t n = 0;
    HRT_RETURN_IF_ERROR(ReadCount("int count", 8, &n));
    op->ints.resize(n);
    for (uint32_t i = 0; i < n; ++i) HRT_RETURN_IF_ERROR(I64("int", &op->ints[i]));
    HRT_RETURN_IF_ERROR(ReadCount("shape rank", kDimBytes, &n));
    op->shape.resize(n);
    for (uint32_t i = 0; i < n; ++i) HRT_RETURN_IF_ERROR(ReadDim(&op->shape[i]));
    HRT_RETURN_IF_ERROR(ReadCount("region count", kMinBlockBytes, &n));
    op->regions.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope scope(this, "region", i);
      HRT_RETURN_IF_ERROR(ReadBlock(&op->regions[i], depth + 1));
    }
    return Status::Ok();
  }

  Status ReadKernel(ir::Kernel* k) {
    HRT_RETURN_IF_ERROR(ReadStr("name", &k->name));
    uint32_t n = 0;
    HRT_RETURN_IF_ERROR(ReadCount("param count", kMinParamBytes, &n));
    k->params.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope scope(this, "param", i);
      Param& p = k->params[i];
      HRT_RETURN_IF_ERROR(ReadStr("name", &p.name));
      uint8_t kind = 0;
      HRT_RETURN_IF_ERROR(U8("kind", &kind));
      if (kind > static_cast<uint8_t>(ParamKind::kScalar)) {
        return Corrupt("unknown param kind " + std::to_string(kind));
      }
      p.kind = static_cast<ParamKind>(kind);
      HRT_RETURN_IF_ERROR(U8("elem", &p.elem.code));
      HRT_RETURN_IF_ERROR(ReadRank("rank", &p.rank));
      for (uint32_t d = 0; d < p.rank; ++d) HRT_RETURN_IF_ERROR(U32("dim", &p.dims[d]));
    }
    HRT_RETURN_IF_ERROR(ReadCount("shape symbol count", 4, &n));
    k->shape_syms.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope scope(this, "shape symbol", i);
      HRT_RETURN_IF_ERROR(ReadStr("name", &k->shape_syms[i]));
    }
    HRT_RETURN_IF_ERROR(ReadCount("tunable count", kMinTunableBytes, &n));
    k->tunables.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope scope(this, "tunable", i);
      Tunable& t = k->tunables[i];
      HRT_RETURN_IF_ERROR(ReadStr("name", &t.name));
      uint32_t c = 0;
      HRT_RETURN_IF_ERROR(ReadCount("candidate count", 8, &c));
      t.candidates.resize(c);
      for (uint32_t j = 0; j < c; ++j) HRT_RETURN_IF_ERROR(I64("candidate", &t.candidates[j]));
      HRT_RETURN_IF_ERROR(I64("default", &t.default_value));
    }
    HRT_RETURN_IF_ERROR(ReadCount("dtype parameter count", kMinDTypeParamBytes, &n));
    k->dtype_params.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope scope(this, "dtype parameter", i);
      DTypeParam& d = k->dtype_params[i];
      HRT_RETURN_IF_ERROR(ReadStr("name", &d.name));
      uint32_t c = 0;
      HRT_RETURN_IF_ERROR(ReadCount("candidate count", 1, &c));
      d.candidates.resize(c);
      for (uint32_t j = 0; j < c; ++j) {
        uint8_t t = 0;
        HRT_RETURN_IF_ERROR(U8("candidate", &t));
        if (t >= kNumDTypes) return Corrupt("unknown dtype " + std::to_string(t));
        d.candidates[j] = static_cast<DType>(t);
      }
    }
    HRT_RETURN_IF_ERROR(ReadExprs("constraint", &k->constraints));
    HRT_RETURN_IF_ERROR(ReadExprs("grid", &k->grid));
    HRT_RETURN_IF_ERROR(ReadCount("value count", kMinValueBytes, &n));
    if (n > kMaxValues) {
      return Corrupt("value count " + std::to_string(n) + " exceeds " + std::to_string(kMaxValues));
    }
    k->values.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Scope scope(this, "value", i);
      HRT_RETURN_IF_ERROR(ReadStr("name", &k->values[i].name));
      HRT_RETURN_IF_ERROR(ReadType(&k->values[i].type));
    }
    num_values_ = n;
    return ReadBlock(&k->body, 0);
  }

  ByteReader r_{{}};
  std::vector<std::string> strings_;
  std::vector<Frame> frames_;
  uint32_t num_values_ = 0;  // of the kernel being decoded
};

struct SectionEntry {
  uint32_t id = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

Status HeaderCorrupt(const std::string& what) {
  return CorruptData("IR blob corrupt: " + what);
}

}  // namespace

std::vector<uint8_t> WriteModuleBinary(const Module& module) {
  std::vector<uint8_t> kernels;
  Encoder enc(&kernels);
  enc.WriteModule(module);
  std::vector<uint8_t> strings;
  ByteWriter sw(&strings);
  enc.strings().Write(sw);

  const SectionEntry sections[] = {
      {kSectionStrings, kSectionRequired, 0, strings.size()},
      {kSectionKernels, kSectionRequired, 0, kernels.size()},
  };
  std::vector<uint8_t> blob;
  ByteWriter w(&blob);
  w.Bytes(kMagic);
  w.U16(kIrFormatMajor);
  w.U16(kIrFormatMinor);
  w.U32(0);  // flags
  w.U64(0);  // total size, patched below
  w.U64(0);  // checksum, patched below
  w.U32(Count(std::size(sections)));
  w.U32(0);  // reserved
  uint64_t offset = kHeaderSize + std::size(sections) * kSectionEntrySize;
  for (const SectionEntry& s : sections) {
    offset = AlignUp(offset);
    w.U32(s.id);
    w.U32(s.flags);
    w.U64(offset);
    w.U64(s.size);
    offset += s.size;
  }
  w.PadTo(kSectionAlignment);
  w.Bytes(strings);
  w.PadTo(kSectionAlignment);
  w.Bytes(kernels);
  w.PatchLE(16, blob.size(), 8);
  w.PatchLE(kChecksumOffset, XXH3_64bits(blob.data() + kHeaderSize, blob.size() - kHeaderSize), 8);
  return blob;
}

bool LooksLikeBinaryModule(std::span<const uint8_t> data) {
  return data.size() >= sizeof(kMagic) && std::memcmp(data.data(), kMagic, sizeof(kMagic)) == 0;
}

Result<Module> ReadModuleBinary(std::span<const uint8_t> data) {
  // Magic: a short blob that is a prefix of it is truncated, else not IR.
  const size_t magic_len = data.size() < sizeof(kMagic) ? data.size() : sizeof(kMagic);
  if (magic_len > 0 && std::memcmp(data.data(), kMagic, magic_len) != 0) {
    return CorruptData("not a helionrt IR blob (bad magic)");
  }
  if (data.size() < kHeaderSize) {
    return CorruptData("IR blob truncated: header needs " + std::to_string(kHeaderSize) +
                       " bytes, blob has " + std::to_string(data.size()));
  }
  ByteReader h(data.subspan(sizeof(kMagic), kHeaderSize - sizeof(kMagic)), sizeof(kMagic));
  uint16_t major = 0, minor = 0;
  uint32_t flags = 0, section_count = 0, reserved = 0;
  uint64_t total_size = 0, checksum = 0;
  // The header span is exactly long enough, so these reads cannot fail.
  (void)(h.U16(&major) && h.U16(&minor) && h.U32(&flags) && h.U64(&total_size) &&
         h.U64(&checksum) && h.U32(&section_count) && h.U32(&reserved));

  if (major != kIrFormatMajor) {
    return Status(Code::kVersionMismatch,
                  "IR blob has format version " + VersionString(major, minor) +
                      "; this reader supports major version " + std::to_string(kIrFormatMajor) +
                      " (" + VersionString(kIrFormatMajor, kIrFormatMinor) + ")");
  }
  if (total_size != data.size()) {
    return CorruptData(
        std::string(total_size > data.size() ? "IR blob truncated" : "IR blob corrupt") +
        ": header says " + std::to_string(total_size) + " bytes, blob has " +
        std::to_string(data.size()));
  }
  const uint64_t actual = XXH3_64bits(data.data() + kHeaderSize, data.size() - kHeaderSize);
  if (actual != checksum) {
    return CorruptData("IR blob checksum mismatch: header says " + Hex(checksum) +
                       ", content has " + Hex(actual));
  }
  if (flags != 0) {
    return Unsupported("IR blob has header flags " + Hex(flags) + " unknown to this reader (" +
                       VersionString(kIrFormatMajor, kIrFormatMinor) + ")");
  }
  if (reserved != 0) return HeaderCorrupt("reserved header field is " + Hex(reserved));

  // Section table.
  const uint64_t table_bytes = uint64_t{section_count} * kSectionEntrySize;
  if (table_bytes > data.size() - kHeaderSize) {
    return HeaderCorrupt("section table of " + std::to_string(section_count) + " entries needs " +
                         std::to_string(table_bytes) + " bytes, " +
                         std::to_string(data.size() - kHeaderSize) + " left after the header");
  }
  ByteReader t(data.subspan(kHeaderSize, table_bytes), kHeaderSize);
  const SectionEntry* strings_section = nullptr;
  const SectionEntry* kernels_section = nullptr;
  std::vector<SectionEntry> entries(section_count);
  uint64_t prev_end = kHeaderSize + table_bytes;
  for (uint32_t i = 0; i < section_count; ++i) {
    SectionEntry& s = entries[i];
    (void)(t.U32(&s.id) && t.U32(&s.flags) && t.U64(&s.offset) && t.U64(&s.size));
    const std::string name = "section " + std::to_string(i) + " (id " + std::to_string(s.id) + ")";
    if (s.offset > data.size() || s.size > data.size() - s.offset) {
      return HeaderCorrupt(name + " at offset " + std::to_string(s.offset) + " size " +
                           std::to_string(s.size) + " lies outside the blob (" +
                           std::to_string(data.size()) + " bytes)");
    }
    if (s.offset < prev_end) {
      return HeaderCorrupt(
          name + " at offset " + std::to_string(s.offset) + " overlaps " +
          (i == 0 ? std::string("the section table") : "section " + std::to_string(i - 1)) +
          " ending at " + std::to_string(prev_end));
    }
    if (s.offset != AlignUp(prev_end)) {
      return HeaderCorrupt(name + " at offset " + std::to_string(s.offset) + ", expected " +
                           std::to_string(AlignUp(prev_end)) +
                           " (sections follow each other in table order at 8-byte alignment)");
    }
    for (uint64_t p = prev_end; p < s.offset; ++p) {
      if (data[p] != 0)
        return HeaderCorrupt("non-zero padding byte at offset " + std::to_string(p));
    }
    prev_end = s.offset + s.size;
    if ((s.flags & ~kSectionRequired) != 0) {
      return Unsupported("IR blob " + name + " has flags " + Hex(s.flags) +
                         " unknown to this reader");
    }
    const SectionEntry** known = s.id == kSectionStrings   ? &strings_section
                                 : s.id == kSectionKernels ? &kernels_section
                                                           : nullptr;
    if (known == nullptr) {
      if (s.flags & kSectionRequired) {
        return Unsupported("IR blob " + name +
                           " is marked required but unknown to this reader (format " +
                           VersionString(kIrFormatMajor, kIrFormatMinor) + ")");
      }
      continue;  // optional: skipped
    }
    if (*known != nullptr) return HeaderCorrupt(name + " appears twice");
    *known = &s;
  }
  if (prev_end != data.size()) {
    return HeaderCorrupt(std::to_string(data.size() - prev_end) +
                         " bytes after the last section at offset " + std::to_string(prev_end));
  }
  if (strings_section == nullptr) return HeaderCorrupt("missing string table section (id 1)");
  if (kernels_section == nullptr) return HeaderCorrupt("missing kernels section (id 2)");

  auto section_reader = [&](const SectionEntry* s) {
    return ByteReader(data.subspan(s->offset, s->size), s->offset);
  };
  Decoder dec;
  HRT_RETURN_IF_ERROR(dec.Strings(section_reader(strings_section)));
  Module module;
  HRT_RETURN_IF_ERROR(dec.Kernels(section_reader(kernels_section), major, minor, flags, &module));
  Status verified = VerifyModule(module);
  if (!verified.ok()) return verified.Annotate("IR blob");
  return module;
}

}  // namespace hrt::ir
