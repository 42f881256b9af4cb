#include "codegen/spirv/builder.h"

#include "codegen/spirv/spec.h"

namespace hrt::spirv {
namespace {

bool IsTerminator(uint32_t op) {
  return op == spv::OpBranch || op == spv::OpBranchConditional || op == spv::OpReturn;
}

// Key prefix for deduplicated entries that carry no extra data.
std::vector<uint32_t> KeyOf(uint32_t op, std::span<const uint32_t> operands) {
  std::vector<uint32_t> key;
  key.reserve(operands.size() + 1);
  key.push_back(op);
  key.insert(key.end(), operands.begin(), operands.end());
  return key;
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
  std::vector<uint32_t> ops;
  ops.reserve(operands.size() + 2);
  if (type) ops.push_back(type);
  if (result) ops.push_back(result);
  ops.insert(ops.end(), operands.begin(), operands.end());
  const size_t before = out->size();
  EncodeInstruction(out, op, ops);
  words_ += out->size() - before;
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
  std::vector<uint32_t> ops;
  for (const auto& [value, parent] : incoming) {
    ops.push_back(value);
    ops.push_back(parent);
  }
  const size_t first_pending = ops.size();
  ops.resize(ops.size() + 2 * size_t{pending}, 0);
  const Id result = module_->NewId();
  std::vector<uint32_t>& words = blocks_.back().words;
  const size_t at = words.size();
  Append(&words, spv::OpPhi, type, result, ops);
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
  std::vector<uint32_t> ops{id, decoration};
  ops.insert(ops.end(), literals.begin(), literals.end());
  EncodeInstruction(&annotations_, spv::OpDecorate, ops);
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

Id ModuleBuilder::Dedup(std::vector<uint32_t>* section, uint32_t op, std::vector<uint32_t> key,
                        std::span<const uint32_t> operands, bool has_type) {
  auto it = dedup_.find(key);
  if (it != dedup_.end()) return it->second;
  const Id id = NewId();
  std::vector<uint32_t> ops;
  ops.reserve(operands.size() + 1);
  if (has_type) {
    // Constants: result type first, then the result id.
    ops.push_back(operands[0]);
    ops.push_back(id);
    ops.insert(ops.end(), operands.begin() + 1, operands.end());
  } else {
    ops.push_back(id);
    ops.insert(ops.end(), operands.begin(), operands.end());
  }
  EncodeInstruction(section, op, ops);
  dedup_.emplace(std::move(key), id);
  return id;
}

Id ModuleBuilder::TypeVoid() {
  const Id id = Dedup(&globals_, spv::OpTypeVoid, KeyOf(spv::OpTypeVoid, {}), {}, false);
  types_[id] = TypeInfo{spv::OpTypeVoid, 0, false};
  return id;
}

Id ModuleBuilder::TypeBool() {
  const Id id = Dedup(&globals_, spv::OpTypeBool, KeyOf(spv::OpTypeBool, {}), {}, false);
  types_[id] = TypeInfo{spv::OpTypeBool, 1, false};
  return id;
}

Id ModuleBuilder::TypeInt(uint32_t width, bool is_signed) {
  const std::vector<uint32_t> ops{width, is_signed ? 1u : 0u};
  const Id id = Dedup(&globals_, spv::OpTypeInt, KeyOf(spv::OpTypeInt, ops), ops, false);
  types_[id] = TypeInfo{spv::OpTypeInt, width, is_signed};
  return id;
}

Id ModuleBuilder::TypeFloat(uint32_t width) {
  const std::vector<uint32_t> ops{width};
  const Id id = Dedup(&globals_, spv::OpTypeFloat, KeyOf(spv::OpTypeFloat, ops), ops, false);
  types_[id] = TypeInfo{spv::OpTypeFloat, width, true};
  return id;
}

Id ModuleBuilder::TypeVector(Id component, uint32_t count) {
  const std::vector<uint32_t> ops{component, count};
  return Dedup(&globals_, spv::OpTypeVector, KeyOf(spv::OpTypeVector, ops), ops, false);
}

Id ModuleBuilder::TypeArray(Id element, uint32_t length, uint32_t stride) {
  const Id length_id = Constant(TypeInt(32, false), length);
  const std::vector<uint32_t> ops{element, length_id};
  std::vector<uint32_t> key = KeyOf(spv::OpTypeArray, ops);
  key.push_back(stride);
  const bool fresh = dedup_.find(key) == dedup_.end();
  const Id id = Dedup(&globals_, spv::OpTypeArray, std::move(key), ops, false);
  if (fresh && stride > 0) Decorate(id, spv::DecorationArrayStride, {stride});
  return id;
}

Id ModuleBuilder::TypeRuntimeArray(Id element, uint32_t stride) {
  const std::vector<uint32_t> ops{element};
  std::vector<uint32_t> key = KeyOf(spv::OpTypeRuntimeArray, ops);
  key.push_back(stride);
  const bool fresh = dedup_.find(key) == dedup_.end();
  const Id id = Dedup(&globals_, spv::OpTypeRuntimeArray, std::move(key), ops, false);
  if (fresh) Decorate(id, spv::DecorationArrayStride, {stride});
  return id;
}

Id ModuleBuilder::TypeStruct(std::span<const Id> members) {
  const Id id = NewId();
  std::vector<uint32_t> ops{id};
  ops.insert(ops.end(), members.begin(), members.end());
  EncodeInstruction(&globals_, spv::OpTypeStruct, ops);
  types_[id] = TypeInfo{spv::OpTypeStruct, 0, false};
  return id;
}

Id ModuleBuilder::TypePointer(uint32_t storage_class, Id pointee) {
  const std::vector<uint32_t> ops{storage_class, pointee};
  return Dedup(&globals_, spv::OpTypePointer, KeyOf(spv::OpTypePointer, ops), ops, false);
}

Id ModuleBuilder::TypeFunction(Id return_type, std::span<const Id> params) {
  std::vector<uint32_t> ops{return_type};
  ops.insert(ops.end(), params.begin(), params.end());
  return Dedup(&globals_, spv::OpTypeFunction, KeyOf(spv::OpTypeFunction, ops), ops, false);
}

uint32_t ModuleBuilder::ScalarWidth(Id type) const {
  auto it = types_.find(type);
  return it == types_.end() ? 0 : it->second.width;
}

bool ModuleBuilder::IsIntType(Id type) const {
  auto it = types_.find(type);
  return it != types_.end() && it->second.op == spv::OpTypeInt;
}

bool ModuleBuilder::IsFloatType(Id type) const {
  auto it = types_.find(type);
  return it != types_.end() && it->second.op == spv::OpTypeFloat;
}

Id ModuleBuilder::ConstantBool(bool value) {
  const Id type = TypeBool();
  const uint32_t op = value ? spv::OpConstantTrue : spv::OpConstantFalse;
  const std::vector<uint32_t> ops{type};
  return Dedup(&globals_, op, KeyOf(op, ops), ops, true);
}

Id ModuleBuilder::Constant(Id type, uint64_t bits) {
  const auto it = types_.find(type);
  const uint32_t width = it == types_.end() ? 32 : it->second.width;
  const bool is_signed_int =
      it != types_.end() && it->second.op == spv::OpTypeInt && it->second.is_signed;
  if (width < 64) bits &= (uint64_t{1} << width) - 1;
  std::vector<uint32_t> ops{type};
  if (width > 32) {
    ops.push_back(static_cast<uint32_t>(bits));
    ops.push_back(static_cast<uint32_t>(bits >> 32));
  } else {
    uint32_t w = static_cast<uint32_t>(bits);
    if (is_signed_int && width < 32 && (w >> (width - 1)) & 1u) {
      w |= ~((uint32_t{1} << width) - 1);  // sign-extend into the word
    }
    ops.push_back(w);
  }
  const Id id = Dedup(&globals_, spv::OpConstant, KeyOf(spv::OpConstant, ops), ops, true);
  constants_[id] = ConstInfo{type, bits};
  return id;
}

Id ModuleBuilder::ConstantComposite(Id type, std::span<const Id> parts) {
  std::vector<uint32_t> ops{type};
  ops.insert(ops.end(), parts.begin(), parts.end());
  return Dedup(&globals_, spv::OpConstantComposite, KeyOf(spv::OpConstantComposite, ops), ops,
               true);
}

Id ModuleBuilder::ConstantNull(Id type) {
  const std::vector<uint32_t> ops{type};
  return Dedup(&globals_, spv::OpConstantNull, KeyOf(spv::OpConstantNull, ops), ops, true);
}

bool ModuleBuilder::LookupConstant(Id id, Id* type, uint64_t* bits) const {
  auto it = constants_.find(id);
  if (it == constants_.end()) return false;
  *type = it->second.type;
  *bits = it->second.bits;
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
  std::vector<uint32_t> out{spv::kMagicNumber, version_, 0 /* generator */, next_id_, 0};
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
