#include "codegen/spirv/builder.h"

#include <algorithm>

#include "codegen/spirv/spec.h"

namespace hrt::spirv {
namespace {

bool IsTerminator(uint32_t op) {
  return op == spv::OpBranch || op == spv::OpBranchConditional || op == spv::OpReturn;
}

}  // namespace

void EncodeInstruction(std::vector<uint32_t>* out, uint32_t opcode,
                       std::span<const uint32_t> operands) {
  const auto count = static_cast<uint32_t>(operands.size() + 1);
  out->push_back(count << 16 | (opcode & 0xffffu));
  out->insert(out->end(), operands.begin(), operands.end());
}

void AppendLiteralString(std::vector<uint32_t>* out, std::string_view s) {
  uint32_t word = 0;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    word |= uint32_t{static_cast<unsigned char>(s[i])} << (8 * (i % 4));
    if (i % 4 == 3) {
      out->push_back(word);
      word = 0;
    }
  }
  out->push_back(word);  // the terminating NUL (and padding) ends the string
}

//===----------------------------------------------------------------------===//
// Function
//===----------------------------------------------------------------------===//

void Function::Append(std::vector<uint32_t>* out, uint32_t op, Id type, Id result,
                      std::span<const uint32_t> operands) {
  // EncodeInstruction of (type, result, operands), without building them
  // into a temporary first: this runs for every instruction of the body.
  const size_t count = operands.size() + 1 + (type ? 1 : 0) + (result ? 1 : 0);
  const size_t at = out->size();
  out->resize(at + count);
  uint32_t* w = out->data() + at;
  *w++ = static_cast<uint32_t>(count) << 16 | (op & 0xffffu);
  if (type) *w++ = type;
  if (result) *w++ = result;
  std::copy(operands.begin(), operands.end(), w);
  words_ += count;
}

Id Function::EmitEntry(uint32_t op, Id type, std::initializer_list<uint32_t> operands) {
  return EmitEntry(op, type, std::span<const uint32_t>(operands.begin(), operands.size()));
}

Id Function::EmitEntry(uint32_t op, Id type, std::span<const uint32_t> operands) {
  const Id result = module_->NewId();
  Append(&entry_, op, type, result, operands);
  return result;
}

Id Function::AddParameter(Id type) {
  const Id result = module_->NewId();
  Append(&params_, spv::OpFunctionParameter, type, result, {});
  return result;
}

Id Function::AddLocalVariable(Id pointer_type) {
  const Id result = module_->NewId();
  const uint32_t storage = spv::StorageClassFunction;
  Append(&locals_, spv::OpVariable, pointer_type, result, std::span<const uint32_t>(&storage, 1));
  return result;
}

void Function::BeginBlock(Id label) {
  blocks_.push_back(Block{label, {}});
  terminated_ = false;
}

Id Function::Emit(uint32_t op, Id type, std::initializer_list<uint32_t> operands) {
  return Emit(op, type, std::span<const uint32_t>(operands.begin(), operands.size()));
}

Id Function::Emit(uint32_t op, Id type, std::span<const uint32_t> operands) {
  const Id result = module_->NewId();
  Append(&blocks_.back().words, op, type, result, operands);
  return result;
}

void Function::EmitVoid(uint32_t op, std::initializer_list<uint32_t> operands) {
  EmitVoid(op, std::span<const uint32_t>(operands.begin(), operands.size()));
}

void Function::EmitVoid(uint32_t op, std::span<const uint32_t> operands) {
  Append(&blocks_.back().words, op, 0, 0, operands);
  if (IsTerminator(op)) terminated_ = true;
}

Id Function::EmitPhi(Id type, std::span<const std::pair<Id, Id>> incoming, uint32_t pending,
                     PhiRef* ref) {
  const size_t first_pending = 2 * incoming.size();
  const size_t n = first_pending + 2 * size_t{pending};
  const Id result = module_->NewId();
  std::vector<uint32_t>& words = blocks_.back().words;
  const size_t at = words.size();
  words.push_back(static_cast<uint32_t>(n + 3) << 16 | spv::OpPhi);
  words.push_back(type);
  words.push_back(result);
  for (const auto& [value, parent] : incoming) {
    words.push_back(value);
    words.push_back(parent);
  }
  words.resize(words.size() + 2 * size_t{pending}, 0);
  words_ += n + 3;
  if (ref) {
    ref->block = blocks_.size() - 1;
    ref->word = at + 3 + first_pending;  // opcode word, type, result
  }
  return result;
}

void Function::SetPhiIncoming(const PhiRef& ref, uint32_t index, Id value, Id parent) {
  std::vector<uint32_t>& words = blocks_[ref.block].words;
  words[ref.word + 2 * size_t{index}] = value;
  words[ref.word + 2 * size_t{index} + 1] = parent;
}

void Function::Serialize(std::vector<uint32_t>* out) const {
  EncodeInstruction(out, spv::OpFunction,
                    std::vector<uint32_t>{return_type_, id_, control_, function_type_});
  out->insert(out->end(), params_.begin(), params_.end());
  EncodeInstruction(out, spv::OpLabel, std::vector<uint32_t>{entry_label_});
  out->insert(out->end(), locals_.begin(), locals_.end());
  out->insert(out->end(), entry_.begin(), entry_.end());
  if (!blocks_.empty()) {
    EncodeInstruction(out, spv::OpBranch, std::vector<uint32_t>{blocks_.front().label});
  } else {
    EncodeInstruction(out, spv::OpReturn, {});
  }
  for (const Block& b : blocks_) {
    EncodeInstruction(out, spv::OpLabel, std::vector<uint32_t>{b.label});
    out->insert(out->end(), b.words.begin(), b.words.end());
  }
  EncodeInstruction(out, spv::OpFunctionEnd, {});
}

//===----------------------------------------------------------------------===//
// ModuleBuilder
//===----------------------------------------------------------------------===//

ModuleBuilder::ModuleBuilder(uint32_t version) : version_(version) {}

void ModuleBuilder::AddCapability(uint32_t capability) {
  if (capability_set_.insert(capability).second) capabilities_.push_back(capability);
}

void ModuleBuilder::AddExtension(std::string_view name) {
  for (const std::string& e : extensions_) {
    if (e == name) return;
  }
  extensions_.emplace_back(name);
}

Id ModuleBuilder::ImportExtInst(std::string_view set) {
  auto it = ext_imports_.find(std::string(set));
  if (it != ext_imports_.end()) return it->second;
  const Id id = NewId();
  std::vector<uint32_t> ops{id};
  AppendLiteralString(&ops, set);
  EncodeInstruction(&import_words_, spv::OpExtInstImport, ops);
  ext_imports_.emplace(std::string(set), id);
  return id;
}

void ModuleBuilder::SetMemoryModel(uint32_t addressing, uint32_t memory) {
  memory_model_.clear();
  EncodeInstruction(&memory_model_, spv::OpMemoryModel, std::vector<uint32_t>{addressing, memory});
}

void ModuleBuilder::AddEntryPoint(uint32_t execution_model, Id function, std::string_view name,
                                  std::span<const Id> interface) {
  std::vector<uint32_t> ops{execution_model, function};
  AppendLiteralString(&ops, name);
  ops.insert(ops.end(), interface.begin(), interface.end());
  EncodeInstruction(&entry_points_, spv::OpEntryPoint, ops);
}

void ModuleBuilder::AddExecutionMode(Id function, uint32_t mode,
                                     std::span<const uint32_t> literals) {
  std::vector<uint32_t> ops{function, mode};
  ops.insert(ops.end(), literals.begin(), literals.end());
  EncodeInstruction(&execution_modes_, spv::OpExecutionMode, ops);
}

void ModuleBuilder::AddName(Id id, std::string_view name) {
  std::vector<uint32_t> ops{id};
  AppendLiteralString(&ops, name);
  EncodeInstruction(&names_, spv::OpName, ops);
}

void ModuleBuilder::Decorate(Id id, uint32_t decoration, std::span<const uint32_t> literals) {
  // Every uncontracted float operation gets one: no temporary vector.
  annotations_.push_back(static_cast<uint32_t>(literals.size() + 3) << 16 | spv::OpDecorate);
  annotations_.push_back(id);
  annotations_.push_back(decoration);
  annotations_.insert(annotations_.end(), literals.begin(), literals.end());
}

void ModuleBuilder::Decorate(Id id, uint32_t decoration, std::initializer_list<uint32_t> literals) {
  Decorate(id, decoration, std::span<const uint32_t>(literals.begin(), literals.size()));
}

void ModuleBuilder::MemberDecorate(Id struct_type, uint32_t member, uint32_t decoration,
                                   std::initializer_list<uint32_t> literals) {
  std::vector<uint32_t> ops{struct_type, member, decoration};
  ops.insert(ops.end(), literals.begin(), literals.end());
  EncodeInstruction(&annotations_, spv::OpMemberDecorate, ops);
}

size_t ModuleBuilder::ShortKeyHash::operator()(const ShortKey& k) const {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ k.size;
  for (uint32_t i = 0; i < k.size; ++i) {
    h = (h ^ k.words[i]) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  return static_cast<size_t>(h);
}

Id ModuleBuilder::Dedup(std::vector<uint32_t>* section, uint32_t op,
                        std::span<const uint32_t> operands, bool has_type, bool has_extra,
                        uint32_t extra, bool* created) {
  const size_t key_size = 1 + operands.size() + (has_extra ? 1 : 0);
  Id* slot = nullptr;
  bool fresh = false;
  if (key_size <= kShortKey) {
    ShortKey key;
    key.size = static_cast<uint32_t>(key_size);
    key.words[0] = op;
    std::copy(operands.begin(), operands.end(), key.words.begin() + 1);
    if (has_extra) key.words[key_size - 1] = extra;
    auto [it, inserted] = dedup_.try_emplace(key, 0);
    slot = &it->second;
    fresh = inserted;
  } else {
    std::vector<uint32_t> key;
    key.reserve(key_size);
    key.push_back(op);
    key.insert(key.end(), operands.begin(), operands.end());
    if (has_extra) key.push_back(extra);
    auto [it, inserted] = long_dedup_.try_emplace(std::move(key), 0);
    slot = &it->second;
    fresh = inserted;
  }
  if (created) *created = fresh;
  if (!fresh) return *slot;
  const Id id = NewId();
  *slot = id;
  const size_t count = operands.size() + 2;
  section->push_back(static_cast<uint32_t>(count) << 16 | (op & 0xffffu));
  if (has_type) {
    // Constants: result type first, then the result id.
    section->push_back(operands[0]);
    section->push_back(id);
    section->insert(section->end(), operands.begin() + 1, operands.end());
  } else {
    section->push_back(id);
    section->insert(section->end(), operands.begin(), operands.end());
  }
  return id;
}

void ModuleBuilder::SetTypeInfo(Id id, uint32_t op, uint32_t width, bool is_signed) {
  for (auto& [type, info] : types_) {
    if (type == id) {
      info = TypeInfo{op, width, is_signed};
      return;
    }
  }
  types_.emplace_back(id, TypeInfo{op, width, is_signed});
}

const ModuleBuilder::TypeInfo* ModuleBuilder::FindType(Id id) const {
  for (const auto& [type, info] : types_) {
    if (type == id) return &info;
  }
  return nullptr;
}

Id ModuleBuilder::TypeVoid() {
  if (void_type_) return void_type_;
  void_type_ = Dedup(&globals_, spv::OpTypeVoid, {}, false);
  SetTypeInfo(void_type_, spv::OpTypeVoid, 0, false);
  return void_type_;
}

Id ModuleBuilder::TypeBool() {
  if (bool_type_) return bool_type_;
  bool_type_ = Dedup(&globals_, spv::OpTypeBool, {}, false);
  SetTypeInfo(bool_type_, spv::OpTypeBool, 1, false);
  return bool_type_;
}

Id ModuleBuilder::TypeInt(uint32_t width, bool is_signed) {
  const uint32_t ops[2] = {width, is_signed ? 1u : 0u};
  bool created = false;
  const Id id = Dedup(&globals_, spv::OpTypeInt, ops, false, false, 0, &created);
  if (created) SetTypeInfo(id, spv::OpTypeInt, width, is_signed);
  return id;
}

Id ModuleBuilder::TypeFloat(uint32_t width) {
  const uint32_t ops[1] = {width};
  bool created = false;
  const Id id = Dedup(&globals_, spv::OpTypeFloat, ops, false, false, 0, &created);
  if (created) SetTypeInfo(id, spv::OpTypeFloat, width, true);
  return id;
}

Id ModuleBuilder::TypeVector(Id component, uint32_t count) {
  const uint32_t ops[2] = {component, count};
  return Dedup(&globals_, spv::OpTypeVector, ops, false);
}

Id ModuleBuilder::TypeArray(Id element, uint32_t length, uint32_t stride) {
  const Id length_id = Constant(TypeInt(32, false), length);
  const uint32_t ops[2] = {element, length_id};
  bool created = false;
  const Id id = Dedup(&globals_, spv::OpTypeArray, ops, false, true, stride, &created);
  if (created && stride > 0) Decorate(id, spv::DecorationArrayStride, {stride});
  return id;
}

Id ModuleBuilder::TypeRuntimeArray(Id element, uint32_t stride) {
  const uint32_t ops[1] = {element};
  bool created = false;
  const Id id = Dedup(&globals_, spv::OpTypeRuntimeArray, ops, false, true, stride, &created);
  if (created) Decorate(id, spv::DecorationArrayStride, {stride});
  return id;
}

Id ModuleBuilder::TypeStruct(std::span<const Id> members) {
  const Id id = NewId();
  std::vector<uint32_t> ops{id};
  ops.insert(ops.end(), members.begin(), members.end());
  EncodeInstruction(&globals_, spv::OpTypeStruct, ops);
  SetTypeInfo(id, spv::OpTypeStruct, 0, false);
  return id;
}

Id ModuleBuilder::TypePointer(uint32_t storage_class, Id pointee) {
  const uint32_t ops[2] = {storage_class, pointee};
  return Dedup(&globals_, spv::OpTypePointer, ops, false);
}

Id ModuleBuilder::TypeFunction(Id return_type, std::span<const Id> params) {
  std::vector<uint32_t> ops{return_type};
  ops.insert(ops.end(), params.begin(), params.end());
  return Dedup(&globals_, spv::OpTypeFunction, ops, false);
}

uint32_t ModuleBuilder::ScalarWidth(Id type) const {
  const TypeInfo* t = FindType(type);
  return t ? t->width : 0;
}

bool ModuleBuilder::IsIntType(Id type) const {
  const TypeInfo* t = FindType(type);
  return t && t->op == spv::OpTypeInt;
}

bool ModuleBuilder::IsFloatType(Id type) const {
  const TypeInfo* t = FindType(type);
  return t && t->op == spv::OpTypeFloat;
}

Id ModuleBuilder::ConstantBool(bool value) {
  Id& cached = bool_constants_[value ? 1 : 0];
  if (cached) return cached;
  const Id type = TypeBool();
  const uint32_t op = value ? spv::OpConstantTrue : spv::OpConstantFalse;
  const uint32_t ops[1] = {type};
  cached = Dedup(&globals_, op, ops, true);
  return cached;
}

Id ModuleBuilder::Constant(Id type, uint64_t bits) {
  const TypeInfo* t = FindType(type);
  const uint32_t width = t ? t->width : 32;
  if (width < 64) bits &= (uint64_t{1} << width) - 1;
  // A direct-mapped cache in front of the table: the lowering asks for the
  // same few constants (offsets, masks, polynomial coefficients) over and
  // over.
  RecentConstant& recent =
      recent_constants_[(type * 0x9e3779b1u ^ static_cast<uint32_t>(bits) * 0x85ebca6bu ^
                         static_cast<uint32_t>(bits >> 32)) %
                        recent_constants_.size()];
  if (recent.id != 0 && recent.type == type && recent.bits == bits) return recent.id;
  const bool is_int = t && t->op == spv::OpTypeInt;
  const bool is_signed_int = is_int && t->is_signed;
  uint32_t ops[3] = {type, 0, 0};
  size_t n = 2;
  if (width > 32) {
    ops[1] = static_cast<uint32_t>(bits);
    ops[2] = static_cast<uint32_t>(bits >> 32);
    n = 3;
  } else {
    uint32_t w = static_cast<uint32_t>(bits);
    if (is_signed_int && width < 32 && (w >> (width - 1)) & 1u) {
      w |= ~((uint32_t{1} << width) - 1);  // sign-extend into the word
    }
    ops[1] = w;
  }
  const Id id = Dedup(&globals_, spv::OpConstant, std::span<const uint32_t>(ops, n), true);
  recent = RecentConstant{type, id, bits};
  if (id >= constant_index_.size()) constant_index_.resize(size_t{id} + 1 + id / 2, 0);
  uint32_t& index = constant_index_[id];
  if (index == 0) {  // new (the same words always carry the same type and bits)
    constants_.push_back(ConstInfo{type, bits, width, is_int});
    index = static_cast<uint32_t>(constants_.size());
  }
  return id;
}

Id ModuleBuilder::ConstantComposite(Id type, std::span<const Id> parts) {
  std::vector<uint32_t> ops{type};
  ops.insert(ops.end(), parts.begin(), parts.end());
  return Dedup(&globals_, spv::OpConstantComposite, ops, true);
}

Id ModuleBuilder::ConstantNull(Id type) {
  const uint32_t ops[1] = {type};
  return Dedup(&globals_, spv::OpConstantNull, ops, true);
}

bool ModuleBuilder::LookupConstant(Id id, Id* type, uint64_t* bits) const {
  if (id >= constant_index_.size() || constant_index_[id] == 0) return false;
  const ConstInfo& c = constants_[constant_index_[id] - 1];
  *type = c.type;
  *bits = c.bits;
  return true;
}

bool ModuleBuilder::LookupIntConstant(Id id, uint64_t* bits, uint32_t* width) const {
  if (id >= constant_index_.size() || constant_index_[id] == 0) return false;
  const ConstInfo& c = constants_[constant_index_[id] - 1];
  if (!c.is_int) return false;
  *bits = c.bits;
  *width = c.width;
  return true;
}

Id ModuleBuilder::Variable(Id pointer_type, uint32_t storage_class) {
  const Id id = NewId();
  DefineVariable(id, pointer_type, storage_class);
  return id;
}

void ModuleBuilder::DefineVariable(Id id, Id pointer_type, uint32_t storage_class) {
  EncodeInstruction(&globals_, spv::OpVariable,
                    std::vector<uint32_t>{pointer_type, id, storage_class});
}

Function* ModuleBuilder::AddFunction(Id return_type, Id function_type, uint32_t control) {
  functions_.push_back(Function(this, NewId(), return_type, function_type, control));
  Function* f = &functions_.back();
  f->entry_label_ = NewId();
  return f;
}

std::vector<uint32_t> ModuleBuilder::Finish() const {
  size_t total = 5 + 2 * capabilities_.size() + 16 * extensions_.size();
  for (const auto* section : {&import_words_, &memory_model_, &entry_points_, &execution_modes_,
                              &names_, &annotations_, &globals_}) {
    total += section->size();
  }
  for (const Function& f : functions_) total += f.word_count() + 16 + 2 * f.blocks_.size();
  std::vector<uint32_t> out;
  out.reserve(total);
  out.insert(out.end(), {spv::kMagicNumber, version_, 0 /* generator */, next_id_, 0});
  for (uint32_t c : capabilities_) {
    EncodeInstruction(&out, spv::OpCapability, std::vector<uint32_t>{c});
  }
  for (const std::string& e : extensions_) {
    std::vector<uint32_t> ops;
    AppendLiteralString(&ops, e);
    EncodeInstruction(&out, spv::OpExtension, ops);
  }
  for (const auto* section : {&import_words_, &memory_model_, &entry_points_, &execution_modes_,
                              &names_, &annotations_, &globals_}) {
    out.insert(out.end(), section->begin(), section->end());
  }
  for (const Function& f : functions_) f.Serialize(&out);
  return out;
}

}  // namespace hrt::spirv
