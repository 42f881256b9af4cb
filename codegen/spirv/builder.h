// A SPIR-V module builder: result ids, deduplicated types and constants, the
// module's sections in the order the specification requires (2.4 "Logical
// Layout of a Module"), and instruction encoding. It knows nothing of Vulkan
// or OpenCL: the client picks capabilities, addressing and memory model,
// execution model and storage classes, so the same builder serves the Vulkan
// compute flavour (GLCompute, PhysicalStorageBuffer64) and the OpenCL / Level
// Zero kernel flavour (Kernel, Physical64).
//
// Usage: create types and constants (each distinct one once), declare global
// variables, open a Function, emit blocks of instructions, then Finish() for
// the words. Ids are plain numbers handed out by NewId(); the builder checks
// nothing semantic (spirv-val does).
//
// Thread-compatible: one builder per module being built.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hrt::spirv {

using Id = uint32_t;

// Appends one instruction: the word (count << 16 | opcode), then |operands|.
void EncodeInstruction(std::vector<uint32_t>* out, uint32_t opcode,
                       std::span<const uint32_t> operands);
// Appends a literal string: UTF-8 bytes, NUL-terminated, zero-padded to a
// whole word (little-endian byte order within each word).
void AppendLiteralString(std::vector<uint32_t>* out, std::string_view s);

class ModuleBuilder;

// One function: an entry block, then blocks in the order they are begun. The
// caller keeps structured control flow valid (merge instructions, one
// terminator per block); blocks are laid out in the order BeginBlock() is
// called, which for structured code is a valid dominance order.
class Function {
 public:
  Id id() const { return id_; }

  // A parameter (OpFunctionParameter, in call order) of type |type|: how the
  // OpenCL kernel flavour receives its arguments. Must match the function
  // type.
  Id AddParameter(Id type);

  // The entry block dominates every other block: values computed there
  // (thread ids, parameters, per-thread bases) may be used anywhere. Entry
  // instructions are kept apart and emitted first, followed by a branch to
  // the first block begun with BeginBlock().
  Id EmitEntry(uint32_t op, Id type, std::initializer_list<uint32_t> operands);
  Id EmitEntry(uint32_t op, Id type, std::span<const uint32_t> operands);
  // A Function-storage variable (must open the entry block).
  Id AddLocalVariable(Id pointer_type);

  // Starts block |label| (from NewId()); the previous block must have been
  // terminated by the caller.
  void BeginBlock(Id label);
  Id current_block() const { return blocks_.empty() ? 0 : blocks_.back().label; }
  bool in_block() const { return !blocks_.empty() && !terminated_; }

  // Appends an instruction with a fresh result id to the current block.
  Id Emit(uint32_t op, Id type, std::initializer_list<uint32_t> operands);
  Id Emit(uint32_t op, Id type, std::span<const uint32_t> operands);
  // Appends an instruction without result (stores, barriers, branches).
  // Branches and returns terminate the current block.
  void EmitVoid(uint32_t op, std::initializer_list<uint32_t> operands);
  void EmitVoid(uint32_t op, std::span<const uint32_t> operands);

  // A phi in the current block with |incoming| (value, parent block) pairs
  // now and room for |pending| more pairs, filled later with SetPhiIncoming
  // (the back edge of a loop, whose value is known after the body).
  struct PhiRef {
    size_t block = 0;
    size_t word = 0;  // offset of the first pending pair
  };
  Id EmitPhi(Id type, std::span<const std::pair<Id, Id>> incoming, uint32_t pending, PhiRef* ref);
  void SetPhiIncoming(const PhiRef& ref, uint32_t index, Id value, Id parent);

  // Words emitted so far (an upper bound guard for hostile inputs).
  size_t word_count() const { return words_; }

 private:
  friend class ModuleBuilder;
  Function(ModuleBuilder* module, Id id, Id return_type, Id function_type, uint32_t control)
      : module_(module),
        id_(id),
        return_type_(return_type),
        function_type_(function_type),
        control_(control) {}

  struct Block {
    Id label = 0;
    std::vector<uint32_t> words;
  };
  void Append(std::vector<uint32_t>* out, uint32_t op, Id type, Id result,
              std::span<const uint32_t> operands);
  void Serialize(std::vector<uint32_t>* out) const;

  ModuleBuilder* module_;
  Id id_;
  Id return_type_;
  Id function_type_;
  uint32_t control_;
  Id entry_label_ = 0;
  std::vector<uint32_t> params_;  // OpFunctionParameter
  std::vector<uint32_t> locals_;  // OpVariable Function
  std::vector<uint32_t> entry_;   // entry-block instructions
  std::vector<Block> blocks_;
  bool terminated_ = false;
  size_t words_ = 0;
};

class ModuleBuilder {
 public:
  // |version|: the SPIR-V version word (spv::kVersion1_5 for Vulkan 1.2).
  explicit ModuleBuilder(uint32_t version);
  ModuleBuilder(const ModuleBuilder&) = delete;
  ModuleBuilder& operator=(const ModuleBuilder&) = delete;

  Id NewId() { return next_id_++; }
  // One past the largest id handed out (the header's bound).
  uint32_t id_bound() const { return next_id_; }

  //===--- Module-level declarations (each added once) ---===//
  void AddCapability(uint32_t capability);
  void AddExtension(std::string_view name);
  const std::vector<uint32_t>& capabilities() const { return capabilities_; }
  const std::vector<std::string>& extensions() const { return extensions_; }
  Id ImportExtInst(std::string_view set);
  void SetMemoryModel(uint32_t addressing, uint32_t memory);
  void AddEntryPoint(uint32_t execution_model, Id function, std::string_view name,
                     std::span<const Id> interface);
  void AddExecutionMode(Id function, uint32_t mode, std::span<const uint32_t> literals);
  void AddName(Id id, std::string_view name);
  void Decorate(Id id, uint32_t decoration, std::span<const uint32_t> literals = {});
  void Decorate(Id id, uint32_t decoration, std::initializer_list<uint32_t> literals);
  void MemberDecorate(Id struct_type, uint32_t member, uint32_t decoration,
                      std::initializer_list<uint32_t> literals = {});

  //===--- Types (deduplicated, except structs) ---===//
  Id TypeVoid();
  Id TypeBool();
  Id TypeInt(uint32_t width, bool is_signed);
  Id TypeFloat(uint32_t width);
  Id TypeVector(Id component, uint32_t count);
  // |stride| > 0 adds an ArrayStride decoration (and is part of the key).
  Id TypeArray(Id element, uint32_t length, uint32_t stride = 0);
  Id TypeRuntimeArray(Id element, uint32_t stride);
  // Always a new type: structs differ by their decorations.
  Id TypeStruct(std::span<const Id> members);
  Id TypePointer(uint32_t storage_class, Id pointee);
  Id TypeFunction(Id return_type, std::span<const Id> params);

  // Scalar width in bits of a bool/int/float type; 0 for others.
  uint32_t ScalarWidth(Id type) const;
  bool IsIntType(Id type) const;
  bool IsFloatType(Id type) const;

  //===--- Constants (deduplicated) ---===//
  Id ConstantBool(bool value);
  // An int or float scalar from its bit pattern (the low ScalarWidth bits;
  // ints narrower than 32 bits are sign-extended when signed, as the
  // specification requires).
  Id Constant(Id type, uint64_t bits);
  Id ConstantComposite(Id type, std::span<const Id> parts);
  Id ConstantNull(Id type);
  // When |id| is an int/float scalar constant: its type and bits.
  bool LookupConstant(Id id, Id* type, uint64_t* bits) const;
  // When |id| is an int scalar constant: its bits and its type's width.
  bool LookupIntConstant(Id id, uint64_t* bits, uint32_t* width) const;

  //===--- Global variables ---===//
  Id Variable(Id pointer_type, uint32_t storage_class);
  // Defines a global variable whose id was taken earlier with NewId() (the
  // type, e.g. an array sized once the function is lowered, comes last).
  void DefineVariable(Id id, Id pointer_type, uint32_t storage_class);

  //===--- Functions ---===//
  Function* AddFunction(Id return_type, Id function_type, uint32_t control = 0);

  // The whole module: header then sections in specification order.
  std::vector<uint32_t> Finish() const;

 private:
  struct TypeInfo {
    uint32_t op = 0;
    uint32_t width = 0;
    bool is_signed = false;
  };
  // The id of the declaration |op| |operands| in |section|, made on first
  // use. The key is the opcode, the operands and |extra| (data that is not
  // an operand but tells declarations apart, e.g. an array's stride) when
  // |has_extra|. |has_type|: the first operand is a result type (constants),
  // so the new id goes after it. *|created| tells whether it was new.
  Id Dedup(std::vector<uint32_t>* section, uint32_t op, std::span<const uint32_t> operands,
           bool has_type, bool has_extra = false, uint32_t extra = 0, bool* created = nullptr);
  void SetTypeInfo(Id id, uint32_t op, uint32_t width, bool is_signed);
  const TypeInfo* FindType(Id id) const;

  uint32_t version_;
  Id next_id_ = 1;
  std::vector<uint32_t> capabilities_;
  std::set<uint32_t> capability_set_;
  std::vector<std::string> extensions_;
  std::map<std::string, Id> ext_imports_;
  std::vector<uint32_t> import_words_;
  std::vector<uint32_t> memory_model_;
  std::vector<uint32_t> entry_points_;
  std::vector<uint32_t> execution_modes_;
  std::vector<uint32_t> names_;
  std::vector<uint32_t> annotations_;
  std::vector<uint32_t> globals_;  // types, constants, global variables
  // Dedup keys of up to kShortKey words (every type and scalar constant)
  // live in a hash table of fixed-size keys; longer ones (function types
  // with many parameters, composites) in an ordered map.
  static constexpr size_t kShortKey = 8;
  struct ShortKey {
    std::array<uint32_t, kShortKey> words{};
    uint32_t size = 0;
    friend bool operator==(const ShortKey& a, const ShortKey& b) {
      return a.size == b.size && a.words == b.words;
    }
  };
  struct ShortKeyHash {
    size_t operator()(const ShortKey& k) const;
  };
  std::unordered_map<ShortKey, Id, ShortKeyHash> dedup_;
  std::map<std::vector<uint32_t>, Id> long_dedup_;
  // Bool/int/float/struct types (a handful): linear search.
  std::vector<std::pair<Id, TypeInfo>> types_;
  Id void_type_ = 0, bool_type_ = 0;
  std::array<Id, 2> bool_constants_{};  // false, true
  struct ConstInfo {
    Id type = 0;
    uint64_t bits = 0;
    uint32_t width = 0;
    bool is_int = false;
  };
  std::vector<ConstInfo> constants_;
  struct RecentConstant {
    Id type = 0;
    Id id = 0;
    uint64_t bits = 0;  // masked to the type's width
  };
  std::array<RecentConstant, 256> recent_constants_{};
  // Scalar constant per id: index + 1 into constants_, 0 for other ids (the
  // lowering asks on every integer helper call, so a direct index).
  std::vector<uint32_t> constant_index_;
  std::deque<Function> functions_;
};

}  // namespace hrt::spirv
