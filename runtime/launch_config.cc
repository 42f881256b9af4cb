#include "runtime/launch_config.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/launch_args.h"

namespace hrt::runtime {
namespace {

std::string DTypeLabel(int64_t code) {
  if (code >= 0 && code < ir::kNumDTypes) return ir::DTypeName(static_cast<ir::DType>(code));
  return std::to_string(code);
}

std::string KnownNames(const ir::Kernel& kernel) {
  std::string tunables, dtypes;
  for (const ir::Tunable& t : kernel.tunables) tunables += (tunables.empty() ? "" : ", ") + t.name;
  for (const ir::DTypeParam& d : kernel.dtype_params) {
    dtypes += (dtypes.empty() ? "" : ", ") + d.name;
  }
  return "tunables: " + (tunables.empty() ? std::string("none") : tunables) +
         "; dtype parameters: " + (dtypes.empty() ? std::string("none") : dtypes);
}

// A dtype parameter's value and where it came from, for messages.
struct DTypeChoice {
  std::optional<int64_t> value;
  std::string source;  // "config entry 'T'" or "argument 0 ('x')"
};

}  // namespace

Result<LaunchConfig> ResolveLaunchConfig(const ir::Kernel& kernel,
                                         std::span<const hrt_config_entry_t> entries,
                                         std::span<const hrt_arg_t> args) {
  LaunchConfig out;
  out.config = ir::DefaultConfig(kernel);
  std::vector<DTypeChoice> dtypes(kernel.dtype_params.size());

  // 1. Explicit entries. Each names a distinct tunable or dtype parameter, so
  // a longer list is wrong whatever it holds (and the duplicate check below
  // stays cheap).
  if (entries.size() > kernel.tunables.size() + kernel.dtype_params.size()) {
    return InvalidArgument(std::to_string(entries.size()) + " config entries, but kernel '" +
                           kernel.name + "' has only " +
                           std::to_string(kernel.tunables.size() + kernel.dtype_params.size()) +
                           " tunables and dtype parameters (" + KnownNames(kernel) + ")");
  }
  for (size_t e = 0; e < entries.size(); ++e) {
    const char* raw_name = entries[e].name;
    if (raw_name == nullptr) {
      return InvalidArgument("config entry " + std::to_string(e) + " has a NULL name");
    }
    const std::string name(raw_name);
    for (size_t prev = 0; prev < e; ++prev) {
      if (name == entries[prev].name) {
        return InvalidArgument("config entries " + std::to_string(prev) + " and " +
                               std::to_string(e) + " both set '" + name + "'");
      }
    }
    const auto tunable = std::find_if(kernel.tunables.begin(), kernel.tunables.end(),
                                      [&](const ir::Tunable& t) { return t.name == name; });
    const auto dparam = std::find_if(kernel.dtype_params.begin(), kernel.dtype_params.end(),
                                     [&](const ir::DTypeParam& d) { return d.name == name; });
    if (tunable == kernel.tunables.end() && dparam == kernel.dtype_params.end()) {
      return InvalidArgument("config entry " + std::to_string(e) + " names '" + name +
                             "', which is neither a tunable nor a dtype parameter of kernel '" +
                             kernel.name + "' (" + KnownNames(kernel) + ")");
    }
    if (dparam != kernel.dtype_params.end()) {
      DTypeChoice& choice = dtypes[static_cast<size_t>(dparam - kernel.dtype_params.begin())];
      choice.value = entries[e].value;
      choice.source = "config entry '" + name + "'";
    }
    out.config.Set(name, entries[e].value);
  }

  // 2. Inference from the tensors that use a dtype parameter.
  for (size_t i = 0; i < kernel.params.size() && i < args.size(); ++i) {
    const ir::Param& param = kernel.params[i];
    if (param.kind != ir::ParamKind::kTensor || !param.elem.is_param()) continue;
    const uint32_t p = param.elem.param_index();
    if (p >= dtypes.size()) return Internal(ArgLabel(kernel, i) + ": bad dtype parameter");
    const ir::DTypeParam& dparam = kernel.dtype_params[p];
    const int64_t dtype = args[i].value.tensor.dtype;
    DTypeChoice& choice = dtypes[p];
    if (choice.value && *choice.value != dtype) {
      return InvalidArgument(ArgLabel(kernel, i) + ": tensor has dtype " + DTypeLabel(dtype) +
                             " but " + choice.source + " makes " + dparam.name + " = " +
                             DTypeLabel(*choice.value));
    }
    if (!choice.value) {
      const bool candidate =
          std::any_of(dparam.candidates.begin(), dparam.candidates.end(),
                      [&](ir::DType c) { return static_cast<int64_t>(c) == dtype; });
      if (!candidate) {
        std::string names;
        for (ir::DType c : dparam.candidates) {
          names += std::string(names.empty() ? "" : ", ") + ir::DTypeName(c);
        }
        return InvalidArgument(ArgLabel(kernel, i) + ": tensor has dtype " + DTypeLabel(dtype) +
                               ", which is not a candidate of " + dparam.name + " {" + names + "}");
      }
      choice.value = dtype;
      choice.source = ArgLabel(kernel, i);
      out.config.Set(dparam.name, dtype);
    }
  }

  out.key = ConfigCacheKey(kernel, out.config);
  return out;
}

std::vector<int64_t> ConfigCacheKey(const ir::Kernel& kernel, const ir::Config& config) {
  std::vector<int64_t> key;
  key.reserve(kernel.tunables.size() + kernel.dtype_params.size());
  for (const ir::Tunable& t : kernel.tunables) {
    key.push_back(config.Get(t.name).value_or(t.default_value));
  }
  for (const ir::DTypeParam& d : kernel.dtype_params) {
    key.push_back(config.Get(d.name).value_or(0));
  }
  return key;
}

}  // namespace hrt::runtime
