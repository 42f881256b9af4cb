// The numeric tokens of the SPIR-V binary form that the emitters use: opcodes
// and operand enumerants, as fixed by the SPIR-V specification (section 3,
// "Binary Form") and the GLSL.std.450 extended instruction set. Only the
// subset this project emits is listed; values are part of the standard and
// never change.
#pragma once

#include <cstdint>

namespace hrt::spirv::spv {

inline constexpr uint32_t kMagicNumber = 0x07230203;
// Version words: 0x00MMmm00.
inline constexpr uint32_t kVersion1_0 = 0x00010000;
inline constexpr uint32_t kVersion1_3 = 0x00010300;
inline constexpr uint32_t kVersion1_5 = 0x00010500;
inline constexpr uint32_t kVersion1_6 = 0x00010600;

enum Op : uint32_t {
  OpNop = 0,
  OpUndef = 1,
  OpName = 5,
  OpMemberName = 6,
  OpExtension = 10,
  OpExtInstImport = 11,
  OpExtInst = 12,
  OpMemoryModel = 14,
  OpEntryPoint = 15,
  OpExecutionMode = 16,
  OpCapability = 17,
  OpTypeVoid = 19,
  OpTypeBool = 20,
  OpTypeInt = 21,
  OpTypeFloat = 22,
  OpTypeVector = 23,
  OpTypeArray = 28,
  OpTypeRuntimeArray = 29,
  OpTypeStruct = 30,
  OpTypePointer = 32,
  OpTypeFunction = 33,
  OpConstantTrue = 41,
  OpConstantFalse = 42,
  OpConstant = 43,
  OpConstantComposite = 44,
  OpConstantNull = 46,
  OpFunction = 54,
  OpFunctionParameter = 55,
  OpFunctionEnd = 56,
  OpVariable = 59,
  OpLoad = 61,
  OpStore = 62,
  OpAccessChain = 65,
  OpInBoundsPtrAccessChain = 70,
  OpDecorate = 71,
  OpMemberDecorate = 72,
  OpCompositeConstruct = 80,
  OpCompositeExtract = 81,
  OpConvertFToU = 109,
  OpConvertFToS = 110,
  OpConvertSToF = 111,
  OpConvertUToF = 112,
  OpUConvert = 113,
  OpSConvert = 114,
  OpFConvert = 115,
  OpConvertUToPtr = 120,
  OpBitcast = 124,
  OpSNegate = 126,
  OpFNegate = 127,
  OpIAdd = 128,
  OpFAdd = 129,
  OpISub = 130,
  OpFSub = 131,
  OpIMul = 132,
  OpFMul = 133,
  OpUDiv = 134,
  OpSDiv = 135,
  OpFDiv = 136,
  OpUMod = 137,
  OpSRem = 138,
  OpSMod = 139,
  OpFRem = 140,
  OpIsNan = 156,
  OpIsInf = 157,
  OpLogicalEqual = 164,
  OpLogicalNotEqual = 165,
  OpLogicalOr = 166,
  OpLogicalAnd = 167,
  OpLogicalNot = 168,
  OpSelect = 169,
  OpIEqual = 170,
  OpINotEqual = 171,
  OpUGreaterThan = 172,
  OpSGreaterThan = 173,
  OpUGreaterThanEqual = 174,
  OpSGreaterThanEqual = 175,
  OpULessThan = 176,
  OpSLessThan = 177,
  OpULessThanEqual = 178,
  OpSLessThanEqual = 179,
  OpFOrdEqual = 180,
  OpFUnordEqual = 181,
  OpFOrdNotEqual = 182,
  OpFUnordNotEqual = 183,
  OpFOrdLessThan = 184,
  OpFUnordLessThan = 185,
  OpFOrdGreaterThan = 186,
  OpFUnordGreaterThan = 187,
  OpFOrdLessThanEqual = 188,
  OpFUnordLessThanEqual = 189,
  OpFOrdGreaterThanEqual = 190,
  OpFUnordGreaterThanEqual = 191,
  OpShiftRightLogical = 194,
  OpShiftRightArithmetic = 195,
  OpShiftLeftLogical = 196,
  OpBitwiseOr = 197,
  OpBitwiseXor = 198,
  OpBitwiseAnd = 199,
  OpNot = 200,
  OpControlBarrier = 224,
  OpMemoryBarrier = 225,
  OpAtomicLoad = 227,
  OpAtomicCompareExchange = 230,
  OpAtomicIAdd = 234,
  OpPhi = 245,
  OpLoopMerge = 246,
  OpSelectionMerge = 247,
  OpLabel = 248,
  OpBranch = 249,
  OpBranchConditional = 250,
  OpReturn = 253,
  OpGroupNonUniformElect = 333,
  OpGroupNonUniformIAdd = 349,
  OpGroupNonUniformFAdd = 350,
  OpGroupNonUniformSMin = 353,
  OpGroupNonUniformFMin = 355,
  OpGroupNonUniformSMax = 356,
  OpGroupNonUniformFMax = 358,
  OpAtomicFAddEXT = 6035,
};

enum Capability : uint32_t {
  CapabilityShader = 1,
  CapabilityAddresses = 4,
  CapabilityLinkage = 5,
  CapabilityKernel = 6,
  CapabilityFloat16 = 9,
  CapabilityFloat64 = 10,
  CapabilityInt64 = 11,
  CapabilityInt64Atomics = 12,
  CapabilityInt16 = 22,
  CapabilityInt8 = 39,
  CapabilityGroupNonUniform = 61,
  CapabilityGroupNonUniformArithmetic = 63,
  CapabilityStorageBuffer16BitAccess = 4433,
  CapabilityStorageBuffer8BitAccess = 4448,
  CapabilityDenormPreserve = 4464,
  CapabilitySignedZeroInfNanPreserve = 4466,
  CapabilityRoundingModeRTE = 4467,
  CapabilityPhysicalStorageBufferAddresses = 5347,
  CapabilityAtomicFloat32AddEXT = 6033,
};

enum ExecutionModel : uint32_t {
  ExecutionModelGLCompute = 5,
  ExecutionModelKernel = 6,
};

enum AddressingModel : uint32_t {
  AddressingModelLogical = 0,
  AddressingModelPhysical32 = 1,
  AddressingModelPhysical64 = 2,
  AddressingModelPhysicalStorageBuffer64 = 5348,
};

enum MemoryModel : uint32_t {
  MemoryModelSimple = 0,
  MemoryModelGLSL450 = 1,
  MemoryModelOpenCL = 2,
  MemoryModelVulkan = 3,
};

enum ExecutionMode : uint32_t {
  ExecutionModeLocalSize = 17,
  ExecutionModeDenormPreserve = 4459,
  ExecutionModeSignedZeroInfNanPreserve = 4461,
  ExecutionModeRoundingModeRTE = 4462,
};

enum StorageClass : uint32_t {
  StorageClassUniformConstant = 0,
  StorageClassInput = 1,
  StorageClassUniform = 2,
  StorageClassWorkgroup = 4,
  StorageClassCrossWorkgroup = 5,
  StorageClassPrivate = 6,
  StorageClassFunction = 7,
  StorageClassPushConstant = 9,
  StorageClassStorageBuffer = 12,
  StorageClassPhysicalStorageBuffer = 5349,
};

enum Decoration : uint32_t {
  DecorationBlock = 2,
  DecorationArrayStride = 6,
  DecorationBuiltIn = 11,
  DecorationRestrict = 19,
  DecorationAliased = 20,
  DecorationConstant = 22,
  DecorationNonWritable = 24,
  DecorationOffset = 35,
  DecorationFPRoundingMode = 39,
  DecorationNoContraction = 42,
  DecorationAlignment = 44,
};

enum BuiltIn : uint32_t {
  BuiltInNumWorkgroups = 24,
  BuiltInWorkgroupSize = 25,
  BuiltInWorkgroupId = 26,
  BuiltInLocalInvocationId = 27,
  BuiltInGlobalInvocationId = 28,
  BuiltInLocalInvocationIndex = 29,
  BuiltInSubgroupSize = 36,
  BuiltInNumSubgroups = 38,
  BuiltInSubgroupId = 40,
  BuiltInSubgroupLocalInvocationId = 41,
};

enum SelectionControl : uint32_t {
  SelectionControlNone = 0,
};

enum LoopControl : uint32_t {
  LoopControlNone = 0,
  LoopControlUnroll = 1,
  LoopControlDontUnroll = 2,
};

enum FunctionControl : uint32_t {
  FunctionControlNone = 0,
};

enum MemorySemantics : uint32_t {
  MemorySemanticsRelaxed = 0,
  MemorySemanticsAcquireRelease = 0x8,
  MemorySemanticsUniformMemory = 0x40,
  MemorySemanticsWorkgroupMemory = 0x100,
  MemorySemanticsCrossWorkgroupMemory = 0x200,
};

enum MemoryAccess : uint32_t {
  MemoryAccessNone = 0,
  MemoryAccessVolatile = 1,
  MemoryAccessAligned = 2,
};

enum Scope : uint32_t {
  ScopeCrossDevice = 0,
  ScopeDevice = 1,
  ScopeWorkgroup = 2,
  ScopeSubgroup = 3,
  ScopeInvocation = 4,
};

enum GroupOperation : uint32_t {
  GroupOperationReduce = 0,
};

// GLSL.std.450 extended instructions (OpExtInst with the "GLSL.std.450" set).
enum GLSLstd450 : uint32_t {
  GLSLstd450RoundEven = 2,
  GLSLstd450Trunc = 3,
  GLSLstd450FAbs = 4,
  GLSLstd450Sqrt = 31,
  GLSLstd450InverseSqrt = 32,
  GLSLstd450Ldexp = 53,
  GLSLstd450FindUMsb = 75,
};

}  // namespace hrt::spirv::spv
