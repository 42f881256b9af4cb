#include "codegen/ptx/assume.h"

namespace hrt::ptx {

Result<Assumptions> ParseAssumptions(const ir::Kernel& kernel, std::string_view text) {
  Assumptions out;
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view name = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (name.empty()) continue;
    bool found = false;
    const bool all = name == "all";
    if (name.ends_with("<=BLOCK") || all) {
      const std::string_view sym = all ? name : name.substr(0, name.size() - 7);
      for (uint32_t s = 0; s < kernel.shape_syms.size() && s < 64; ++s) {
        if (all || kernel.shape_syms[s] == sym) {
          out.one_trip_syms |= uint64_t{1} << s;
          found = true;
        }
      }
      if (!all) {
        if (!found) {
          return InvalidArgument("'" + std::string(sym) + "' is not a shape symbol of kernel '" +
                                 kernel.name + "'");
        }
        continue;
      }
    }
    for (uint32_t p = 0; p < kernel.params.size() && p < 64; ++p) {
      if (kernel.params[p].kind == ir::ParamKind::kTensor &&
          (all || kernel.params[p].name == name)) {
        out.aligned_params |= uint64_t{1} << p;
        found = true;
      }
    }
    for (uint32_t s = 0; s < kernel.shape_syms.size() && s < 64; ++s) {
      if (all || kernel.shape_syms[s] == name) {
        out.div16_syms |= uint64_t{1} << s;
        found = true;
      }
    }
    if (!found && !all) {
      return InvalidArgument("'" + std::string(name) + "' is neither a tensor parameter nor a " +
                             "shape symbol of kernel '" + kernel.name + "'");
    }
  }
  return out;
}

std::string AssumptionsText(const ir::Kernel& kernel, const Assumptions& assume) {
  std::string out;
  auto add = [&](const std::string& name) {
    if (!out.empty()) out += ",";
    out += name;
  };
  for (uint32_t p = 0; p < kernel.params.size() && p < 64; ++p) {
    if (kernel.params[p].kind == ir::ParamKind::kTensor && AssumedAligned(assume, p)) {
      add(kernel.params[p].name);
    }
  }
  for (uint32_t s = 0; s < kernel.shape_syms.size() && s < 64; ++s) {
    if (AssumedDiv16(assume, s)) add(kernel.shape_syms[s]);
  }
  for (uint32_t s = 0; s < kernel.shape_syms.size() && s < 64; ++s) {
    if (AssumedOneTrip(assume, s)) add(kernel.shape_syms[s] + "<=BLOCK");
  }
  return out;
}

}  // namespace hrt::ptx
