#include "codegen/ir/ir.h"

namespace hrt::ir {
namespace {

constexpr OpInfo kOpInfo[kNumOpCodes] = {
    {"program_id", OpClass::kLeaf, false},   {"sym", OpClass::kLeaf, false},
    {"arg", OpClass::kLeaf, false},          {"const", OpClass::kLeaf, false},
    {"iota", OpClass::kLeaf, false},         {"broadcast", OpClass::kShape, false},
    {"expand_dims", OpClass::kShape, false}, {"reshape", OpClass::kShape, false},
    {"transpose", OpClass::kShape, false},   {"load", OpClass::kMemory, false},
    {"store", OpClass::kMemory, false},      {"atomic_add", OpClass::kMemory, false},
    {"add", OpClass::kBinary, false},        {"sub", OpClass::kBinary, false},
    {"mul", OpClass::kBinary, false},        {"div", OpClass::kBinary, false},
    {"rem", OpClass::kBinary, false},        {"max", OpClass::kBinary, false},
    {"min", OpClass::kBinary, false},        {"and", OpClass::kBinary, false},
    {"or", OpClass::kBinary, false},         {"xor", OpClass::kBinary, false},
    {"eq", OpClass::kCompare, false},        {"ne", OpClass::kCompare, false},
    {"lt", OpClass::kCompare, false},        {"le", OpClass::kCompare, false},
    {"gt", OpClass::kCompare, false},        {"ge", OpClass::kCompare, false},
    {"neg", OpClass::kUnary, false},         {"abs", OpClass::kUnary, false},
    {"not", OpClass::kUnary, false},         {"exp", OpClass::kUnary, true},
    {"exp2", OpClass::kUnary, true},         {"log", OpClass::kUnary, true},
    {"sqrt", OpClass::kUnary, true},         {"rsqrt", OpClass::kUnary, true},
    {"tanh", OpClass::kUnary, true},         {"sigmoid", OpClass::kUnary, true},
    {"erf", OpClass::kUnary, true},          {"select", OpClass::kSelect, false},
    {"cast", OpClass::kCast, false},         {"sum", OpClass::kReduce, false},
    {"reduce_max", OpClass::kReduce, false}, {"reduce_min", OpClass::kReduce, false},
    {"dot", OpClass::kDot, false},           {"for", OpClass::kFor, false},
    {"yield", OpClass::kYield, false},
};

}  // namespace

Type Type::Tile(Elem e, const std::vector<Dim>& shape) {
  Type t;
  t.elem = e;
  t.rank = static_cast<uint32_t>(shape.size() < kMaxRank ? shape.size() : kMaxRank);
  for (uint32_t i = 0; i < t.rank; ++i) t.dims[i] = shape[i];
  return t;
}

bool operator==(const Type& a, const Type& b) {
  if (a.elem != b.elem || a.rank != b.rank) return false;
  for (uint32_t i = 0; i < a.rank; ++i) {
    if (a.dims[i] != b.dims[i]) return false;
  }
  return true;
}

const Kernel* Module::Find(const std::string& name) const {
  for (const Kernel& k : kernels) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const OpInfo* GetOpInfo(OpCode code) {
  auto i = static_cast<unsigned>(code);
  return i < static_cast<unsigned>(kNumOpCodes) ? &kOpInfo[i] : nullptr;
}

const char* OpName(OpCode code) {
  const OpInfo* info = GetOpInfo(code);
  return info ? info->name : "<bad op>";
}

std::string ElemToString(const Kernel& kernel, Elem elem) {
  if (elem.is_param()) {
    if (elem.param_index() < kernel.dtype_params.size()) {
      return kernel.dtype_params[elem.param_index()].name;
    }
    return "<bad dtype param>";
  }
  return DTypeName(elem.dtype());
}

static std::string DimToString(const Kernel& kernel, const Dim& d) {
  if (d.is_const()) return std::to_string(d.value);
  if (static_cast<size_t>(d.tunable) < kernel.tunables.size()) {
    return kernel.tunables[static_cast<size_t>(d.tunable)].name;
  }
  return "<bad tunable>";
}

std::string TypeToString(const Kernel& kernel, const Type& type) {
  if (type.is_scalar()) return ElemToString(kernel, type.elem);
  std::string s = "tile<" + ElemToString(kernel, type.elem) + ">[";
  for (uint32_t i = 0; i < type.rank && i < kMaxRank; ++i) {
    if (i) s += ", ";
    s += DimToString(kernel, type.dims[i]);
  }
  return s + "]";
}

}  // namespace hrt::ir
