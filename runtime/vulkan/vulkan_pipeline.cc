// Compute pipelines (generated SPIR-V or a bundle's SPIR-V variant) and the
// launch path: argument block, grid, recording and submission.
#include "runtime/vulkan/vulkan_device.h"

#if HRT_HAVE_VULKAN

#include <cstdio>
#include <cstring>
#include <functional>

#include "codegen/ir/expr.h"
#include "codegen/spirv/spirv.h"
#include "runtime/bundle/bundle.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/vulkan/spirv_check.h"

namespace hrt::vulkan {
namespace {

constexpr uint64_t kFenceTimeoutNs = uint64_t{600} * 1000000000u;
constexpr size_t kMaxShapeSyms = 16;

// The grid of a tile-IR kernel: its grid expressions over the shape symbols
// the arguments fix.
Result<std::array<uint32_t, 3>> LaunchGrid(const ir::BoundKernel& bound,
                                           std::span<const hrt_arg_t> args,
                                           const std::array<uint32_t, 3>& limits) {
  const ir::Kernel& kernel = bound.kernel;
  if (args.size() != kernel.params.size()) {
    return InvalidArgument("kernel takes " + std::to_string(kernel.params.size()) +
                           " arguments, got " + std::to_string(args.size()));
  }
  const size_t num_syms = kernel.shape_syms.size();
  if (num_syms > kMaxShapeSyms) return Unsupported("too many shape symbols");
  std::array<int64_t, kMaxShapeSyms> syms{};
  for (size_t p = 0; p < kernel.params.size(); ++p) {
    const ir::Param& param = kernel.params[p];
    if (param.kind != ir::ParamKind::kTensor) continue;
    const hrt_tensor_t& t = args[p].value.tensor;
    if (t.rank != param.rank || param.rank > ir::kMaxRank) {
      return InvalidArgument("argument " + std::to_string(p) + " has rank " +
                             std::to_string(t.rank) + ", the kernel expects " +
                             std::to_string(param.rank));
    }
    for (uint32_t d = 0; d < param.rank; ++d) {
      if (param.dims[d] >= num_syms) return InvalidArgument("shape symbol index out of range");
      syms[param.dims[d]] = t.shape[d];
    }
  }
  if (kernel.grid.empty() || kernel.grid.size() > 3) {
    return InvalidArgument("kernel grid has " + std::to_string(kernel.grid.size()) +
                           " axes (1 to 3 expected)");
  }
  const ir::ExprEnv env{bound.tunable_values, std::span<const int64_t>(syms.data(), num_syms)};
  std::array<uint32_t, 3> grid = {1, 1, 1};
  for (size_t axis = 0; axis < kernel.grid.size(); ++axis) {
    HRT_ASSIGN_OR_RETURN(const int64_t n, ir::EvalExpr(kernel.grid[axis], env));
    if (n < 0 || n > limits[axis]) {
      return OutOfRange("grid axis " + std::to_string(axis) + " is " + std::to_string(n) +
                        " (the device allows 0 to " + std::to_string(limits[axis]) + ")");
    }
    grid[axis] = static_cast<uint32_t>(n);
  }
  return grid;
}

std::string Kilobytes(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1024.0);
  return buf;
}

}  // namespace

bool VulkanDevice::Matches(const TableEntry& e, uint64_t code_id, const ir::BoundKernel& kernel) {
  // As on CUDA: the module uid in |code_id| separates modules; name and
  // config catch a bound kernel freed and re-bound at the same address.
  return e.code_id == code_id && e.key == &kernel && e.kernel_name == kernel.kernel.name &&
         e.config == kernel.config.entries;
}

size_t VulkanDevice::SlotOf(uint64_t code_id, const ir::BoundKernel& kernel) {
  return (std::hash<const void*>{}(&kernel) ^ std::hash<uint64_t>{}(code_id)) % kTableSlots;
}

const Pipeline* VulkanDevice::Find(uint64_t code_id, const ir::BoundKernel& kernel) const {
  const size_t start = SlotOf(code_id, kernel);
  for (size_t i = 0; i < kTableSlots; ++i) {
    const TableEntry* e = table_[(start + i) % kTableSlots].load(std::memory_order_acquire);
    if (e == nullptr) return nullptr;
    if (Matches(*e, code_id, kernel)) return e->pipeline.get();
  }
  return nullptr;
}

void VulkanDevice::DestroyPipeline(Pipeline* p) {
  if (p == nullptr) return;
  if (p->pipeline != VK_NULL_HANDLE) api_.vkDestroyPipeline(device_, p->pipeline, nullptr);
  if (p->layout != VK_NULL_HANDLE) api_.vkDestroyPipelineLayout(device_, p->layout, nullptr);
  if (p->module != VK_NULL_HANDLE) api_.vkDestroyShaderModule(device_, p->module, nullptr);
  p->pipeline = VK_NULL_HANDLE;
  p->layout = VK_NULL_HANDLE;
  p->module = VK_NULL_HANDLE;
}

Result<std::unique_ptr<Pipeline>> VulkanDevice::CreatePipeline(const ir::BoundKernel& kernel,
                                                               const runtime::LaunchCode* code) {
  auto p = std::make_unique<Pipeline>();
  std::vector<uint32_t> words;
  if (code == nullptr) {
    HRT_ASSIGN_OR_RETURN(spirv::SpirvKernel emitted, spirv::EmitSpirv(kernel, spirv_options()));
    words = std::move(emitted.words);
    p->entry_name = std::move(emitted.entry_name);
    p->args = std::move(emitted.args);
    p->origin = "SPIR-V generated from the tile IR";
  } else {
    const std::string label = "variant " + std::to_string(code->variant);
    if (code->triton_abi) {
      return Unsupported(label + ": Triton-compiled kernels run on CUDA only");
    }
    if (code->bundle == nullptr || code->variant >= code->bundle->variant_count()) {
      return InvalidArgument(label + ": no such variant in the bundle");
    }
    const bundle::PayloadKind kind = code->bundle->variant(code->variant).payload_kind;
    if (kind != bundle::PayloadKind::kSpirv) {
      return Unsupported(label + ": a " + bundle::PayloadKindName(kind) +
                         " payload does not run on Vulkan");
    }
    std::vector<uint8_t> scratch;
    HRT_ASSIGN_OR_RETURN(std::span<const uint8_t> payload,
                         code->bundle->ReadPayload(code->variant, &scratch));
    HRT_RETURN_IF_ERROR(CheckSpirvModule(payload, code->entry_name).Annotate(label));
    words.resize(payload.size() / 4);
    std::memcpy(words.data(), payload.data(), payload.size());
    p->entry_name = std::string(code->entry_name);
    // Bundles' SPIR-V is emitted for Vulkan's minimum push-constant size
    // (runtime/bundle/from_ir.h), whatever this device allows.
    p->args = spirv::MakeArgLayout(kernel, bundle::kBundleSpirvPushConstantBytes);
    p->origin = "SPIR-V from bundle " + label;
  }
  p->spirv_bytes = words.size() * 4;
  if (p->args.size > kArgSlotBytes) {
    return Unsupported("the kernel's argument block takes " + std::to_string(p->args.size) +
                       " bytes; the Vulkan launcher passes at most " +
                       std::to_string(kArgSlotBytes));
  }

  auto fail = [&](Status s) -> Result<std::unique_ptr<Pipeline>> {
    DestroyPipeline(p.get());
    return s.Annotate(p->origin);
  };
  auto smci = Info<VkShaderModuleCreateInfo>(VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO);
  smci.codeSize = words.size() * 4;
  smci.pCode = words.data();
  Status s = VkStatus(api_.vkCreateShaderModule(device_, &smci, nullptr, &p->module),
                      "vkCreateShaderModule");
  if (!s.ok()) return fail(s);
  const VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, p->args.push_constant_bytes};
  auto plci = Info<VkPipelineLayoutCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
  plci.pushConstantRangeCount = range.size != 0 ? 1 : 0;
  plci.pPushConstantRanges = &range;
  s = VkStatus(api_.vkCreatePipelineLayout(device_, &plci, nullptr, &p->layout),
               "vkCreatePipelineLayout");
  if (!s.ok()) return fail(s);

  VkPipelineCreationFeedback whole{};
  VkPipelineCreationFeedback stage{};
  auto feedback = Info<VkPipelineCreationFeedbackCreateInfo>(
      VK_STRUCTURE_TYPE_PIPELINE_CREATION_FEEDBACK_CREATE_INFO);
  feedback.pPipelineCreationFeedback = &whole;
  feedback.pipelineStageCreationFeedbackCount = 1;
  feedback.pPipelineStageCreationFeedbacks = &stage;
  auto cpci = Info<VkComputePipelineCreateInfo>(VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO);
  if (info_.enable.pipeline_creation_feedback) cpci.pNext = &feedback;
  cpci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  cpci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  cpci.stage.module = p->module;
  cpci.stage.pName = p->entry_name.c_str();
  cpci.layout = p->layout;
  s = VkStatus(
      api_.vkCreateComputePipelines(device_, pipeline_cache_, 1, &cpci, nullptr, &p->pipeline),
      "vkCreateComputePipelines(" + p->entry_name + ")");
  if (!s.ok()) return fail(s);
  if (pipeline_cache_ == VK_NULL_HANDLE || store_ == nullptr) {
    p->cache_result = "off";
  } else if (!info_.enable.pipeline_creation_feedback ||
             !(whole.flags & VK_PIPELINE_CREATION_FEEDBACK_VALID_BIT)) {
    p->cache_result = "unknown";
  } else {
    p->cache_result =
        (whole.flags & VK_PIPELINE_CREATION_FEEDBACK_APPLICATION_PIPELINE_CACHE_HIT_BIT) ? "hit"
                                                                                         : "miss";
  }
  return p;
}

Result<const Pipeline*> VulkanDevice::GetPipeline(uint64_t code_id, const ir::BoundKernel& kernel,
                                                  const runtime::LaunchCode* code) {
  if (const Pipeline* hit = Find(code_id, kernel)) return hit;
  std::lock_guard<std::mutex> lock(insert_mu_);
  if (const Pipeline* hit = Find(code_id, kernel)) return hit;
  for (const auto& e : owned_) {  // entries that did not fit the table
    if (Matches(*e, code_id, kernel)) return e->pipeline.get();
  }
  auto entry = std::make_unique<TableEntry>();
  HRT_ASSIGN_OR_RETURN(entry->pipeline, CreatePipeline(kernel, code));
  entry->code_id = code_id;
  entry->key = &kernel;
  entry->kernel_name = kernel.kernel.name;
  entry->config = kernel.config.entries;
  const size_t start = SlotOf(code_id, kernel);
  for (size_t i = 0; i < kTableSlots; ++i) {
    auto& slot = table_[(start + i) % kTableSlots];
    if (slot.load(std::memory_order_relaxed) == nullptr) {
      slot.store(entry.get(), std::memory_order_release);
      break;
    }
  }
  owned_.push_back(std::move(entry));
  return owned_.back()->pipeline.get();
}

std::string VulkanDevice::DescribeCode(const ir::BoundKernel& kernel, uint64_t code_id) const {
  const Pipeline* p = Find(code_id, kernel);
  if (p == nullptr) {
    std::lock_guard<std::mutex> lock(insert_mu_);
    for (const auto& e : owned_) {
      if (Matches(*e, code_id, kernel)) p = e->pipeline.get();
    }
  }
  if (p == nullptr) return "";
  return p->origin + " (" + Kilobytes(p->spirv_bytes) +
         "), pipeline created (pipeline cache: " + p->cache_result + ")";
}

void VulkanDevice::Record(VkCommandBuffer cmd, const Pipeline& p, std::span<const uint8_t> block,
                          const std::array<uint32_t, 3>& grid) {
  uint64_t arg_address = 0;
  if (p.args.in_buffer) {
    // The block travels inside the command stream (vkCmdUpdateBuffer) into
    // one of kArgSlots regions; the barrier before it keeps a dispatch
    // still reading the region's previous contents ahead of the update.
    const uint64_t offset = uint64_t{arg_next_++ % kArgSlots} * kArgSlotBytes;
    auto war = Info<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    war.srcAccessMask = VK_ACCESS_SHADER_READ_BIT;
    war.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    api_.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                              VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &war, 0, nullptr, 0, nullptr);
    api_.vkCmdUpdateBuffer(cmd, arg_buffer_.buffer, offset, (block.size() + 3) / 4 * 4,
                           block.data());
    arg_address = arg_buffer_.address + offset;
  }
  // Earlier compute and transfer writes (other launches, copies, the
  // argument update) become visible to this dispatch.
  auto raw = Info<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
  raw.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  raw.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  api_.vkCmdPipelineBarrier(
      cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &raw, 0, nullptr, 0, nullptr);
  api_.vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
  if (p.args.push_constant_bytes != 0) {
    const void* push = p.args.in_buffer ? static_cast<const void*>(&arg_address)
                                        : static_cast<const void*>(block.data());
    api_.vkCmdPushConstants(cmd, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                            p.args.push_constant_bytes, push);
  }
  api_.vkCmdDispatch(cmd, grid[0], grid[1], grid[2]);
}

Status VulkanDevice::LaunchBound(const ir::BoundKernel& kernel, std::span<const hrt_arg_t> args,
                                 VkCommandBuffer command_buffer, uint64_t code_id,
                                 const runtime::LaunchCode* code, const uint32_t* grid_in) {
  if (grid_in != nullptr) {
    return InvalidArgument("a tile-IR kernel computes its grid: the launch must not give one");
  }
  HRT_ASSIGN_OR_RETURN(const Pipeline* p, GetPipeline(code_id, kernel, code));
  using Grid = std::array<uint32_t, 3>;
  HRT_ASSIGN_OR_RETURN(const Grid grid, LaunchGrid(kernel, args, info_.max_workgroup_count));
  if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0) return Status::Ok();

  alignas(8) std::array<uint8_t, kArgSlotBytes> storage;
  const std::span<uint8_t> block(storage.data(), p->args.size);
  std::memset(block.data(), 0, block.size());
  const auto& params = kernel.kernel.params;
  for (uint32_t i = 0; i < params.size(); ++i) {
    const hrt_arg_t& a = args[i];
    if (params[i].kind == ir::ParamKind::kTensor) {
      const hrt_tensor_t& t = a.value.tensor;
      const size_t rank = std::min<size_t>(t.rank, ir::kMaxRank);
      HRT_RETURN_IF_ERROR(spirv::WriteTensorArg(p->args, i, t.address,
                                                std::span<const int64_t>(t.shape, rank),
                                                std::span<const int64_t>(t.strides, rank), block));
    } else {
      HRT_RETURN_IF_ERROR(
          spirv::WriteScalarArg(p->args, i, runtime::ScalarInt(a), runtime::ScalarFloat(a), block));
    }
  }

  std::lock_guard<std::mutex> lock(queue_mu_);
  if (command_buffer != VK_NULL_HANDLE) {
    Record(command_buffer, *p, block, grid);
    return Status::Ok();
  }
  Slot& slot = ring_[ring_next_];
  ring_next_ = (ring_next_ + 1) % kRingSlots;
  if (slot.submitted) {
    // Normally long finished: kRingSlots launches were submitted since.
    HRT_RETURN_IF_ERROR(
        VkStatus(api_.vkWaitForFences(device_, 1, &slot.fence, VK_TRUE, kFenceTimeoutNs),
                 "vkWaitForFences"));
    HRT_RETURN_IF_ERROR(VkStatus(api_.vkResetFences(device_, 1, &slot.fence), "vkResetFences"));
    slot.submitted = false;
  }
  HRT_RETURN_IF_ERROR(VkStatus(api_.vkResetCommandBuffer(slot.cmd, 0), "vkResetCommandBuffer"));
  auto begin = Info<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  HRT_RETURN_IF_ERROR(
      VkStatus(api_.vkBeginCommandBuffer(slot.cmd, &begin), "vkBeginCommandBuffer"));
  Record(slot.cmd, *p, block, grid);
  HRT_RETURN_IF_ERROR(VkStatus(api_.vkEndCommandBuffer(slot.cmd), "vkEndCommandBuffer"));
  auto submit = Info<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &slot.cmd;
  HRT_RETURN_IF_ERROR(
      VkStatus(api_.vkQueueSubmit(queue_, 1, &submit, slot.fence), "vkQueueSubmit"));
  slot.submitted = true;
  return Status::Ok();
}

}  // namespace hrt::vulkan

#endif  // HRT_HAVE_VULKAN
