#include "runtime/tuning/search_space.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>

namespace hrt::tuning {
namespace {

// Checks that every pin names a tunable or dtype parameter, that tunable pins
// are candidates and that every dtype parameter is pinned. Bind repeats the
// candidate checks per config; doing them once here turns a bad pin into one
// clear error instead of an empty space.
Status CheckPins(const ir::Kernel& kernel, const ir::Config& pins) {
  const std::string where = "tuning search space of '" + kernel.name + "'";
  for (const auto& [name, value] : pins.entries) {
    const auto t = std::find_if(kernel.tunables.begin(), kernel.tunables.end(),
                                [&](const ir::Tunable& x) { return x.name == name; });
    if (t != kernel.tunables.end()) {
      if (std::find(t->candidates.begin(), t->candidates.end(), value) == t->candidates.end()) {
        return InvalidArgument(where + ": pin " + name + "=" + std::to_string(value) +
                               " is not one of its candidates");
      }
      continue;
    }
    const bool dtype = std::any_of(kernel.dtype_params.begin(), kernel.dtype_params.end(),
                                   [&](const ir::DTypeParam& d) { return d.name == name; });
    if (!dtype) {
      return InvalidArgument(where + ": pin '" + name +
                             "' is neither a tunable nor a dtype parameter");
    }
  }
  for (const ir::DTypeParam& d : kernel.dtype_params) {
    if (!pins.Get(d.name)) {
      return InvalidArgument(where + ": dtype parameter '" + d.name +
                             "' must be pinned (tuning is per dtype)");
    }
  }
  return Status::Ok();
}

uint32_t IndexOf(const std::vector<int64_t>& candidates, int64_t v) {
  const auto it = std::find(candidates.begin(), candidates.end(), v);
  return static_cast<uint32_t>(it - candidates.begin());
}

uint64_t Distance(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  uint64_t d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
  return d;
}

}  // namespace

size_t SearchSpace::Find(const ir::Config& config) const {
  const std::string want = config.ToString();
  const bool cached = texts.size() == configs.size();
  for (size_t i = 0; i < configs.size(); ++i) {
    if ((cached ? texts[i] : configs[i].ToString()) == want) return i;
  }
  return npos;
}

Result<SearchSpace> BuildSearchSpace(const ir::Kernel& kernel, const SearchSpaceOptions& options) {
  HRT_RETURN_IF_ERROR(CheckPins(kernel, options.pins));
  if (options.max_configs == 0 || options.max_enumerated == 0) {
    return InvalidArgument("tuning search space: max_configs and max_enumerated must be > 0");
  }
  ir::Config pins = options.pins;
  for (const std::string& name : options.inert) {
    for (const ir::Tunable& t : kernel.tunables) {
      if (t.name == name && !pins.Get(name)) pins.Set(name, t.default_value);
    }
  }
  const size_t n_tunables = kernel.tunables.size();

  // The free axes: each tunable's candidate indices, a pinned one reduced to
  // its pin. radix[i] is the number of choices of tunable i.
  std::vector<std::vector<uint32_t>> choices(n_tunables);
  uint64_t product = 1;
  for (size_t i = 0; i < n_tunables; ++i) {
    const ir::Tunable& t = kernel.tunables[i];
    if (const std::optional<int64_t> pin = pins.Get(t.name)) {
      choices[i].push_back(IndexOf(t.candidates, *pin));
    } else {
      for (uint32_t c = 0; c < t.candidates.size(); ++c) choices[i].push_back(c);
    }
    if (product > std::numeric_limits<uint64_t>::max() / choices[i].size()) {
      return OutOfRange("tuning search space of '" + kernel.name +
                        "': the cross product of the candidates overflows 64 bits");
    }
    product *= choices[i].size();
  }

  // The default config's coordinates (a pin replaces the default).
  std::vector<uint32_t> default_coords(n_tunables);
  for (size_t i = 0; i < n_tunables; ++i) {
    const ir::Tunable& t = kernel.tunables[i];
    default_coords[i] = IndexOf(t.candidates, pins.Get(t.name).value_or(t.default_value));
  }
  // Configs list dtype parameters first, then tunables, in kernel order (the
  // layout DefaultConfig uses).
  auto make_config = [&](const std::vector<uint32_t>& coords) {
    ir::Config c;
    for (const ir::DTypeParam& d : kernel.dtype_params) c.Set(d.name, *pins.Get(d.name));
    for (size_t i = 0; i < n_tunables; ++i) {
      c.Set(kernel.tunables[i].name, kernel.tunables[i].candidates[coords[i]]);
    }
    return c;
  };
  // Point |index| of the cross product, last tunable fastest.
  auto point = [&](uint64_t index) {
    std::vector<uint32_t> coords(n_tunables);
    for (size_t i = n_tunables; i-- > 0;) {
      coords[i] = choices[i][index % choices[i].size()];
      index /= choices[i].size();
    }
    return coords;
  };

  SearchSpace space;
  space.cross_product = product;
  std::vector<uint64_t> indices;
  if (product <= options.max_enumerated) {
    for (uint64_t i = 0; i < product; ++i) indices.push_back(i);
  } else {
    space.sampled = true;
    const uint64_t step = product / options.max_enumerated;
    for (uint64_t k = 0; k < options.max_enumerated; ++k) indices.push_back(k * step);
    // The default config's own index, so the heuristic is always checked.
    uint64_t def = 0;
    for (size_t i = 0; i < n_tunables; ++i) {
      const auto& ch = choices[i];
      def = def * ch.size() +
            static_cast<uint64_t>(std::find(ch.begin(), ch.end(), default_coords[i]) - ch.begin());
    }
    if (def % step != 0 || def / step >= options.max_enumerated) {
      indices.insert(std::upper_bound(indices.begin(), indices.end(), def), def);
    }
  }

  std::vector<ir::Config> valid;
  std::vector<std::vector<uint32_t>> valid_coords;
  std::unordered_map<uint64_t, size_t> kept_for_code;  // code identity -> index in |valid|
  std::optional<size_t> default_twin;  // the config kept for the default config's code
  Status first_rejection;
  for (uint64_t index : indices) {
    std::vector<uint32_t> coords = point(index);
    ir::Config config = make_config(coords);
    ++space.enumerated;
    Result<ir::BoundKernel> bound = ir::Bind(kernel, config);
    if (!bound.ok()) {
      ++space.bind_rejected;
      if (first_rejection.ok()) first_rejection = bound.take_status();
      continue;
    }
    if (options.fits_device) {
      Status fits = options.fits_device(*bound);
      if (!fits.ok()) {
        ++space.device_rejected;
        if (first_rejection.ok()) first_rejection = fits.Annotate("device limits");
        continue;
      }
    }
    if (options.code_identity) {
      Result<uint64_t> code = options.code_identity(*bound);
      if (!code.ok()) {
        ++space.device_rejected;
        if (first_rejection.ok()) first_rejection = code.take_status().Annotate("code generation");
        continue;
      }
      const auto [it, fresh] = kept_for_code.emplace(*code, valid.size());
      if (!fresh) {
        ++space.duplicates;
        if (coords == default_coords) default_twin = it->second;
        continue;
      }
    }
    valid.push_back(std::move(config));
    valid_coords.push_back(std::move(coords));
  }
  space.valid = valid.size();
  if (valid.empty()) {
    return OutOfRange("tuning search space of '" + kernel.name + "' with pins '" + pins.ToString() +
                      "' is empty; first rejection: " + first_rejection.message());
  }

  // The heuristic: the default when valid (or the config that runs its
  // code), else the nearest valid config.
  size_t heuristic = default_twin.value_or(0);
  uint64_t best = default_twin ? 0 : std::numeric_limits<uint64_t>::max();
  for (size_t i = 0; i < valid.size() && best != 0; ++i) {
    const uint64_t d = Distance(valid_coords[i], default_coords);
    if (d < best) {
      best = d;
      heuristic = i;
    }
  }

  if (valid.size() <= options.max_configs) {
    space.configs = std::move(valid);
    space.coords = std::move(valid_coords);
    space.heuristic = heuristic;
  } else {
    // Rule 2: the heuristic plus max_configs - 1 others, evenly spaced.
    space.sampled = true;
    std::vector<size_t> others;
    for (size_t i = 0; i < valid.size(); ++i) {
      if (i != heuristic) others.push_back(i);
    }
    const size_t keep = options.max_configs - 1;
    std::vector<size_t> chosen{heuristic};
    for (size_t k = 0; k < keep; ++k) chosen.push_back(others[k * others.size() / keep]);
    std::sort(chosen.begin(), chosen.end());
    for (size_t i : chosen) {
      if (i == heuristic) space.heuristic = space.configs.size();
      space.configs.push_back(std::move(valid[i]));
      space.coords.push_back(std::move(valid_coords[i]));
    }
  }
  for (const ir::Config& c : space.configs) space.texts.push_back(c.ToString());
  return space;
}

}  // namespace hrt::tuning
