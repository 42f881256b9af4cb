// hrt_kernel_launch: validate, decide (config, bundle variant, bound kernel,
// device) and hand the launch to the device's backend.
//
// A decision depends only on the launch's MemoKey (launch_memo.h), so it is
// made once per key on the slow path and remembered; later launches with the
// same key (LaunchRemembered) find the decision without a lock, check their arguments against
// the decision's precomputed ArgCheckPlan and call the backend, allocating
// nothing.
#include "runtime/launch.h"

#include <algorithm>
#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/api_status.h"
#include "runtime/launch_args.h"
#include "runtime/launch_config.h"
#include "runtime/launch_memo.h"
#include "runtime/module.h"
#include "runtime/runtime.h"
#include "runtime/select/selection.h"
#include "runtime/text_out.h"
#include "runtime/tuning/device_tuning.h"
#include "runtime/tuning/serving_tuner.h"
#include "runtime/tuning/shape_bucket.h"
#include "runtime/versioned_struct.h"

namespace hrt::runtime {
namespace {

constexpr size_t kMaxPins = 64;
constexpr size_t kMaxShapeValues = 64;

// Each shape symbol's size: the first tensor dimension that names it (CheckArgs
// passed; disagreements are caught later by ValidateArgs); -1 for a symbol no
// tensor names.
std::vector<int64_t> SymbolSizes(const ir::Kernel& k, std::span<const hrt_arg_t> args) {
  std::vector<int64_t> sizes(k.shape_syms.size(), -1);
  for (size_t i = 0; i < k.params.size() && i < args.size(); ++i) {
    const ir::Param& p = k.params[i];
    if (p.kind != ir::ParamKind::kTensor) continue;
    for (uint32_t d = 0; d < p.rank; ++d) {
      if (p.dims[d] < sizes.size() && sizes[p.dims[d]] < 0) {
        sizes[p.dims[d]] = args[i].value.tensor.shape[d];
      }
    }
  }
  return sizes;
}

// The values of the kernel's shape symbols given by the tensors, for
// selection's shape rules.
size_t ShapeValues(const ir::Kernel& k, std::span<const hrt_arg_t> args,
                   std::array<select::ShapeValue, kMaxShapeValues>* out) {
  const std::vector<int64_t> sizes = SymbolSizes(k, args);
  size_t n = 0;
  for (size_t s = 0; s < sizes.size() && n < out->size(); ++s) {
    if (sizes[s] >= 0) (*out)[n++] = select::ShapeValue{k.shape_syms[s], sizes[s]};
  }
  return n;
}

// Which code serves the launch on |desc|'s device: for bundle kernels on a
// GPU, the best variant whose config agrees with the launch's pins (the
// caller's entries and the dtype parameters the tensors fix), else code
// generation from the IR.
struct Decision {
  LaunchConfig config;
  std::optional<LaunchCode> code;
  // Why this code: "bundle variant 3 (cubin)", "code generated from the tile
  // IR: <why no variant>" (hrt_kernel_describe_launch).
  std::string why;
};

Status NoCodegenForTritonKernels(void* /*user_data*/, const select::Fingerprint& /*device*/) {
  return Unsupported("the kernel was compiled by Triton: it has no tile-IR body to compile");
}

Result<Decision> Decide(hrt_kernel_t* kernel, const DeviceDesc& desc,
                        std::span<const hrt_config_entry_t> entries,
                        std::span<const hrt_arg_t> args) {
  const ir::Kernel& k = *kernel->ir;
  Decision d;
  HRT_ASSIGN_OR_RETURN(d.config, ResolveLaunchConfig(k, entries, args));
  const hrt_module_t* module = kernel->module;
  if (kernel->triton_abi && desc.backend == HRT_BACKEND_CPU_REFERENCE) {
    return Unsupported(
        "the kernel was compiled by Triton and runs only on CUDA devices; this is the CPU "
        "reference device");
  }
  if (desc.backend == HRT_BACKEND_CPU_REFERENCE) {
    d.why = "tile IR";
    return d;
  }
  if (kernel->bundle_kernel == kNotFromBundle || !module->bundle) {
    d.why = "code generated from the tile IR (the module is not a bundle)";
    return d;
  }
  const bundle::BundleView& bundle = *module->bundle;

  std::array<select::ConfigPin, kMaxPins> pins;
  size_t pin_count = 0;
  for (const hrt_config_entry_t& e : entries) {
    if (pin_count < pins.size()) pins[pin_count++] = {e.name, e.value};
  }
  for (const ir::DTypeParam& p : k.dtype_params) {
    if (pin_count >= pins.size()) break;
    if (const std::optional<int64_t> v = d.config.config.Get(p.name)) {
      pins[pin_count++] = {p.name, *v};
    }
  }
  std::array<select::ShapeValue, kMaxShapeValues> shapes;
  const size_t shape_count = ShapeValues(k, args, &shapes);
  select::SelectOptions options;
  options.pins = std::span(pins.data(), pin_count);
  if (kernel->triton_abi) options.codegen_probe = NoCodegenForTritonKernels;
  HRT_ASSIGN_OR_RETURN(select::Choice choice,
                       select::Select(bundle, kernel->bundle_kernel, desc.selection_fingerprint,
                                      std::span(shapes.data(), shape_count), options));
  if (choice.kind != select::DecisionKind::kVariant) {
    d.why = "code generated from the tile IR (" + choice.codegen_reason + ")";
    Log(*module->runtime, HRT_LOG_LEVEL_INFO,
        [&] { return KernelLabel(*kernel) + ": generating code (" + choice.codegen_reason + ")"; });
    return d;
  }
  // The variant's config, as entries, resolved like the caller's.
  const bundle::VariantView& v = bundle.variant(choice.variant);
  std::vector<hrt_config_entry_t> variant_entries;
  for (const bundle::ConfigView& c : bundle.config_of(v)) {
    variant_entries.push_back({c.name.data(), c.value});  // NUL-terminated in the bundle
  }
  Result<LaunchConfig> variant_config = ResolveLaunchConfig(k, variant_entries, args);
  if (!variant_config.ok()) {
    return variant_config.take_status().Annotate("the config of bundle variant " +
                                                 std::to_string(choice.variant));
  }
  d.config = std::move(variant_config.value());
  LaunchCode code;
  code.id = CodeId(module->uid, choice.variant + 1);
  code.bundle = &bundle;
  code.variant = choice.variant;
  code.entry_name = bundle.kernel(kernel->bundle_kernel).name;
  code.threads_per_block = v.resources.threads_per_block;
  code.shared_bytes = v.resources.dynamic_smem_bytes;
  code.triton_abi = kernel->triton_abi;
  code.scratch_params = kernel->scratch_params;
  d.code = code;
  d.why = "bundle variant " + std::to_string(choice.variant) + " (" +
          bundle::PayloadKindName(v.payload_kind) + ")";
  Log(*module->runtime, HRT_LOG_LEVEL_INFO, [&] {
    return KernelLabel(*kernel) + ": running bundle variant " + std::to_string(choice.variant) +
           " (" + bundle::PayloadKindName(v.payload_kind) + ")";
  });
  return d;
}

}  // namespace

Status RunDecision(const MemoEntry& decision, const ir::Kernel& unbound,
                   std::span<const hrt_arg_t> args, void* stream, const uint32_t* grid) {
  if (!ArgsPass(decision.checks, args)) {
    // The same message a launch without a remembered decision would give.
    HRT_RETURN_IF_ERROR(CheckArgs(unbound, args));
    HRT_RETURN_IF_ERROR(ValidateArgs(*decision.bound, args));
  }
  if (decision.tuning != nullptr) return decision.tuning->Launch(args, stream);
  return decision.device->vtable->launch(decision.device, *decision.bound, args, stream,
                                         decision.code_id,
                                         decision.code ? &*decision.code : nullptr, grid);
}

namespace {

// Whether a launch leaves any tunable of |k| to the library: its memo key
// holds kUnset for each tunable the config entries do not set. Tunables the
// backend's code generator ignores do not count (tuning::InertTunables).
bool LeavesTunables(const ir::Kernel& k, const MemoKey& key, hrt_backend_t backend) {
  const std::vector<std::string> inert = tuning::InertTunables(backend);
  for (size_t t = 0; t < k.tunables.size() && t < key.count; ++t) {
    if (key.words[t] != MemoKey::kUnset) continue;
    if (std::find(inert.begin(), inert.end(), k.tunables[t].name) == inert.end()) return true;
  }
  return false;
}

// The tuning slot of a launch whose decision is code generation, when the
// runtime tunes on its device and the caller leaves tunables open; NULL
// otherwise (or when the slot cannot be made: the launch then keeps the
// heuristic config, and the reason is logged).
TuningSlot* TuningSlotFor(hrt_kernel_t* kernel, uint32_t device_index, const MemoEntry& entry,
                          const LaunchConfig& config, std::span<const hrt_config_entry_t> entries,
                          std::span<const hrt_arg_t> args) {
  hrt_runtime_t* runtime = kernel->module->runtime;
  const DeviceDesc& desc = runtime->devices.desc(device_index);
  const ir::Kernel& k = *kernel->ir;
  if (entry.code || kernel->triton_abi || !runtime->tuning ||
      !runtime->tuning->EnabledFor(desc.backend, *entry.device->vtable) ||
      !LeavesTunables(k, entry.key, desc.backend)) {
    return nullptr;
  }
  SlotRequest r;
  r.owner = kernel;
  r.kernel = &k;
  r.bound_cache = &kernel->bound;
  r.key = entry.key;
  r.device = entry.device;
  r.backend = desc.backend;
  r.arch = desc.arch;
  r.fingerprint = desc.fingerprint;
  r.code_id = entry.code_id;
  for (const hrt_config_entry_t& e : entries) r.pins.Set(e.name, e.value);
  for (const ir::DTypeParam& p : k.dtype_params) {
    if (const std::optional<int64_t> v = config.config.Get(p.name)) r.pins.Set(p.name, *v);
  }
  r.heuristic = ServingPlan{entry.bound, entry.code_id};
  r.label = KernelLabel(*kernel) + " on device " + std::to_string(device_index);
  r.sample_args.assign(args.begin(), args.end());
  Result<tuning::ShapeBucket> bucket = tuning::BucketShapes(k, SymbolSizes(k, args));
  Status why;
  if (bucket.ok()) {
    r.bucket = std::move(*bucket);
    Result<TuningSlot*> slot = runtime->tuning->GetSlot(std::move(r));
    if (slot.ok()) return *slot;
    why = slot.take_status();
  } else {
    why = bucket.take_status();
  }
  Log(*runtime, HRT_LOG_LEVEL_WARNING,
      [&] { return KernelLabel(*kernel) + ": not tuned (" + why.message() + ")"; });
  return nullptr;
}

}  // namespace

Result<CheckedLaunch> CheckLaunch(hrt_kernel_t* kernel, const hrt_launch_params_t* params_in) {
  HRT_RETURN_IF_ERROR(CheckKernel(kernel));
  CheckedLaunch c;
  HRT_ASSIGN_OR_RETURN(c.params, ReadVersionedStruct(params_in, "params"));
  const hrt_launch_params_t& params = c.params;
  if (params.args == nullptr && params.arg_count != 0) {
    return InvalidArgument("params.args is NULL but arg_count is " +
                           std::to_string(params.arg_count));
  }
  if (params.config == nullptr && params.config_count != 0) {
    return InvalidArgument("params.config is NULL but config_count is " +
                           std::to_string(params.config_count));
  }
  // The device index is checked on the slow paths: a remembered decision
  // exists only for an index that was valid (devices never go away).
  const std::span<const hrt_arg_t> args(params.args, params.arg_count);
  const std::span<const hrt_config_entry_t> entries(params.config, params.config_count);
  const bool has_grid = params.grid[0] != 0 || params.grid[1] != 0 || params.grid[2] != 0;
  if (kernel->triton_abi && !has_grid) {
    return InvalidArgument(
        "the kernel was compiled by Triton: params.grid must give its grid (Triton's launcher "
        "computes it from the kernel's arguments; so does the caller here)");
  }
  if (!kernel->triton_abi && has_grid) {
    return InvalidArgument("params.grid must be zero: a tile-IR kernel computes its grid");
  }
  c.args = args;
  c.entries = entries;
  return c;
}

namespace {

// The fast path: a launch whose parameters need no more than a glance (a
// live kernel, a current-size params struct, consistent pointers and grid)
// and whose decision is remembered. Returns false, having done nothing, for
// anything else; LaunchKernel then takes the checked path, which words any
// error.
bool LaunchRemembered(hrt_kernel_t* kernel, const hrt_launch_params_t* params, Status* out) {
  if (kernel == nullptr || ReadTag(kernel) != kKernelTag || params == nullptr ||
      params->struct_size != sizeof(hrt_launch_params_t) ||
      (params->args == nullptr && params->arg_count != 0) ||
      (params->config == nullptr && params->config_count != 0)) {
    return false;
  }
  const bool has_grid = params->grid[0] != 0 || params->grid[1] != 0 || params->grid[2] != 0;
  if (has_grid != kernel->triton_abi) return false;
  const std::span<const hrt_arg_t> args(params->args, params->arg_count);
  const std::span<const hrt_config_entry_t> entries(params->config, params->config_count);
  const ir::Kernel& k = *kernel->ir;
  MemoKey key;
  if (!MakeMemoKey(k, params->device_index, entries, args, kernel->memo_shapes, &key)) {
    return false;
  }
  const MemoEntry* hit = kernel->memo.Find(key);
  if (hit == nullptr) return false;
  *out = RunDecision(*hit, k, args, params->stream, has_grid ? params->grid : nullptr);
  return true;
}

}  // namespace

// The slow path: check, decide, bind, remember (launch.h).
Result<DecidedLaunch> DecideLaunch(hrt_kernel_t* kernel, const CheckedLaunch& checked) {
  const hrt_launch_params_t& params = checked.params;
  const std::span<const hrt_arg_t> args = checked.args;
  const std::span<const hrt_config_entry_t> entries = checked.entries;
  hrt_runtime_t* runtime = kernel->module->runtime;
  const ir::Kernel& k = *kernel->ir;
  HRT_RETURN_IF_ERROR(runtime->devices.CheckIndex(params.device_index));
  HRT_RETURN_IF_ERROR(CheckArgs(k, args));
  MemoKey key;
  const bool memoizable =
      MakeMemoKey(k, params.device_index, entries, args, kernel->memo_shapes, &key);
  const DeviceDesc& desc = runtime->devices.desc(params.device_index);
  HRT_ASSIGN_OR_RETURN(Decision decision, Decide(kernel, desc, entries, args));
  DecidedLaunch out;
  bool bound_now = false;
  HRT_ASSIGN_OR_RETURN(const ir::BoundKernel* bound,
                       kernel->bound.GetOrBind(k, decision.config.config, decision.config.key,
                                               &out.uncached, &bound_now));
  if (bound_now) {
    Log(*runtime, HRT_LOG_LEVEL_DEBUG, [&] {
      return KernelLabel(*kernel) + ": bound config " + decision.config.config.ToString() +
             (out.uncached ? " (cache full, not cached)" : "");
    });
  }
  MemoEntry& entry = out.entry;
  key.ClearTail();
  entry.key = key;
  entry.bound = bound;
  entry.checks = MakeArgCheckPlan(*bound);
  HRT_ASSIGN_OR_RETURN(entry.device, runtime->devices.Acquire(params.device_index));
  entry.code = decision.code;
  entry.code_id = decision.code ? decision.code->id : CodeId(kernel->module->uid, 0);
  out.config_text = decision.config.config.ToString();
  out.remembered = memoizable && out.uncached == nullptr;
  // A tuning slot is found by this key: only for launches that have one.
  if (out.remembered) {
    entry.tuning =
        TuningSlotFor(kernel, params.device_index, entry, decision.config, entries, args);
  }
  // An uncached bound kernel dies with its caller: never remember it.
  if (out.remembered) kernel->memo.Insert(entry);
  return out;
}

namespace {

Status LaunchKernel(hrt_kernel_t* kernel, const hrt_launch_params_t* params_in) {
  if (Status s; LaunchRemembered(kernel, params_in, &s)) return s;
  HRT_ASSIGN_OR_RETURN(const CheckedLaunch checked, CheckLaunch(kernel, params_in));
  const hrt_launch_params_t& params = checked.params;
  const std::span<const hrt_arg_t> args = checked.args;
  const std::span<const hrt_config_entry_t> entries = checked.entries;
  // The caller's grid (Triton-ABI kernels only), from this frame's copy.
  const uint32_t* grid = kernel->triton_abi ? params.grid : nullptr;
  const ir::Kernel& k = *kernel->ir;

  // A remembered decision LaunchRemembered did not take (e.g. a params
  // struct from a newer header).
  MemoKey key;
  const bool memoizable =
      MakeMemoKey(k, params.device_index, entries, args, kernel->memo_shapes, &key);
  if (memoizable) {
    if (const MemoEntry* hit = kernel->memo.Find(key)) {
      return RunDecision(*hit, k, args, params.stream, grid);
    }
  }

  HRT_ASSIGN_OR_RETURN(DecidedLaunch decided, DecideLaunch(kernel, checked));
  return RunDecision(decided.entry, k, args, params.stream, grid)
      .Annotate("config " + decided.config_text + " on device " +
                std::to_string(params.device_index));
}

// The tuning slot launches like |checked| use, if one exists yet.
TuningSlot* ExistingTuningSlot(hrt_kernel_t* kernel, const CheckedLaunch& checked) {
  hrt_runtime_t* runtime = kernel->module->runtime;
  MemoKey key;
  if (!runtime->tuning || !MakeMemoKey(*kernel->ir, checked.params.device_index, checked.entries,
                                       checked.args, kernel->memo_shapes, &key)) {
    return nullptr;
  }
  return runtime->tuning->FindSlot(kernel, key);
}

// hrt_kernel_get_tuning_status.
Status GetTuningStatus(hrt_kernel_t* kernel, const hrt_launch_params_t* params_in,
                       hrt_tuning_status_t* out) {
  HRT_RETURN_IF_ERROR(CheckOutStruct(out, "out"));
  HRT_ASSIGN_OR_RETURN(const CheckedLaunch checked, CheckLaunch(kernel, params_in));
  HRT_RETURN_IF_ERROR(kernel->module->runtime->devices.CheckIndex(checked.params.device_index));
  HRT_RETURN_IF_ERROR(CheckArgs(*kernel->ir, checked.args));
  hrt_tuning_status_t status{};
  status.state = HRT_TUNING_STATE_NONE;
  if (TuningSlot* slot = ExistingTuningSlot(kernel, checked)) slot->Describe(&status);
  WriteVersionedStruct(out, status);
  return Status::Ok();
}

// hrt_kernel_describe_launch: the decision a launch with these parameters
// gets, and what the device did with its code so far.
Result<std::string> DescribeLaunch(hrt_kernel_t* kernel, const hrt_launch_params_t* params_in) {
  HRT_ASSIGN_OR_RETURN(const CheckedLaunch checked, CheckLaunch(kernel, params_in));
  hrt_runtime_t* runtime = kernel->module->runtime;
  const uint32_t index = checked.params.device_index;
  HRT_RETURN_IF_ERROR(runtime->devices.CheckIndex(index));
  HRT_RETURN_IF_ERROR(CheckArgs(*kernel->ir, checked.args));
  const DeviceDesc& desc = runtime->devices.desc(index);
  HRT_ASSIGN_OR_RETURN(Decision decision, Decide(kernel, desc, checked.entries, checked.args));
  std::unique_ptr<ir::BoundKernel> uncached;
  bool bound_now = false;
  HRT_ASSIGN_OR_RETURN(const ir::BoundKernel* bound,
                       kernel->bound.GetOrBind(*kernel->ir, decision.config.config,
                                               decision.config.key, &uncached, &bound_now));
  HRT_ASSIGN_OR_RETURN(Device * device, runtime->devices.Acquire(index));
  const uint64_t code_id = decision.code ? decision.code->id : CodeId(kernel->module->uid, 0);
  std::string loaded = device->vtable->describe_code(
      device, *bound, code_id, decision.code ? &*decision.code : nullptr, checked.args);
  if (loaded.empty()) loaded = "not loaded on the device yet";
  std::string tuned;
  if (TuningSlot* slot = ExistingTuningSlot(kernel, checked)) {
    hrt_tuning_status_t status{};
    slot->Describe(&status);
    static constexpr const char* kStates[] = {"none", "starting", "searching", "done", "stopped"};
    tuned = "; tuning " + std::string(kStates[status.state]) + ", serving config " + status.config;
  }
  return std::string(select::BackendName(desc.backend)) + " device " + std::to_string(index) +
         " (" + desc.name + "): " + decision.why + "; config " + decision.config.config.ToString() +
         "; " + loaded + tuned;
}

}  // namespace
}  // namespace hrt::runtime
extern "C" {

HRT_API hrt_status_t hrt_launch_params_init(hrt_launch_params_t* params) {
  return hrt::runtime::Boundary("hrt_launch_params_init", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckOut(params, "params"));
    *params = hrt_launch_params_t{};
    params->struct_size = sizeof(hrt_launch_params_t);
    return hrt::Status::Ok();
  });
}

HRT_API hrt_status_t hrt_kernel_launch(hrt_kernel_t* kernel, const hrt_launch_params_t* params) {
  return hrt::runtime::Boundary("hrt_kernel_launch", [&]() -> hrt::Status {
    hrt::Status s = hrt::runtime::LaunchKernel(kernel, params);
    if (!s.ok() && hrt::runtime::CheckKernel(kernel).ok()) {
      s.Annotate(hrt::runtime::KernelLabel(*kernel));
    }
    return s;
  });
}

HRT_API hrt_status_t hrt_kernel_get_tuning_status(hrt_kernel_t* kernel,
                                                  const hrt_launch_params_t* params,
                                                  hrt_tuning_status_t* out) {
  return hrt::runtime::Boundary("hrt_kernel_get_tuning_status", [&]() -> hrt::Status {
    hrt::Status s = hrt::runtime::GetTuningStatus(kernel, params, out);
    if (!s.ok() && hrt::runtime::CheckKernel(kernel).ok()) {
      s.Annotate(hrt::runtime::KernelLabel(*kernel));
    }
    return s;
  });
}

HRT_API hrt_status_t hrt_kernel_describe_launch(hrt_kernel_t* kernel,
                                                const hrt_launch_params_t* params, char* buffer,
                                                size_t capacity, size_t* out_length) {
  return hrt::runtime::Boundary("hrt_kernel_describe_launch", [&]() -> hrt::Status {
    HRT_RETURN_IF_ERROR(hrt::runtime::CheckTextOut(buffer, capacity, out_length));
    hrt::Result<std::string> text = hrt::runtime::DescribeLaunch(kernel, params);
    if (!text.ok()) {
      hrt::Status s = text.take_status();
      if (hrt::runtime::CheckKernel(kernel).ok()) s.Annotate(hrt::runtime::KernelLabel(*kernel));
      return s;
    }
    return hrt::runtime::WriteTextOut(text->data(), text->size(), buffer, capacity, out_length);
  });
}

}  // extern "C"
