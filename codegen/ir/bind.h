// Binding a config: turns a symbolic kernel into a concrete one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "codegen/ir/ir.h"

namespace hrt::ir {

// Values for a kernel's tunables (by name) and dtype parameters (by name, the
// value being a DType code). Order is irrelevant; names are unique.
struct Config {
  std::vector<std::pair<std::string, int64_t>> entries;

  void Set(const std::string& name, int64_t value);
  std::optional<int64_t> Get(std::string_view name) const;
  // "BLOCK_N=1024,WARPS=4,T=bf16"; entries sorted by name.
  std::string ToString() const;
};

// Parses "k=v,k=v" where v is an integer or a dtype name. Whitespace around
// items is allowed; an empty string is an empty config.
Result<Config> ParseConfig(std::string_view text);

// Each tunable at its default, each dtype parameter at its first candidate.
Config DefaultConfig(const Kernel& kernel);

// A kernel with every tunable and dtype parameter replaced by its bound value:
// all dims constant, all element types concrete. |kernel| keeps its tunable
// and dtype-parameter tables (for names and `sym` ops); tunable_values and
// dtype_values hold the binding, indexed like those tables.
struct BoundKernel {
  Kernel kernel;
  std::vector<int64_t> tunable_values;
  std::vector<DType> dtype_values;
  Config config;
  // Per shape symbol: the smallest step of the loops `for iv = 0 to SYM step
  // K` (K a constant or tunable) whose bound is that symbol, 0 for none. Such
  // loops all run exactly one trip when 1 <= SYM <= this; code may be
  // specialized to that (codegen/ptx/assume.h). Derived by Bind().
  std::vector<int64_t> one_trip_limits;
  // The loops one_trip_limits counts, by induction variable (the body's first
  // argument): each one's shape symbol. The one place that recognizes them;
  // the PTX lowering emits these as straight-line code when the launch's
  // facts say their symbol fits.
  std::vector<std::pair<ValueId, uint32_t>> one_trip_loops;
  // The shape symbol of the one-trip loop whose induction variable is |iv|
  // (one_trip_loops), or nullopt.
  std::optional<uint32_t> OneTripSymbol(ValueId iv) const {
    for (const auto& [v, sym] : one_trip_loops) {
      if (v == iv) return sym;
    }
    return std::nullopt;
  }
  // Process-unique, set by Bind(): caches of code compiled for a bound kernel
  // key on (address, uid), so a bound kernel freed and another bound at the
  // same address never meet each other's code, without comparing contents.
  uint64_t uid = 0;
};

// Binds |config| to a verified |kernel|. Errors: a tunable or dtype parameter
// the config does not bind ("unbound tunable"), a name the kernel does not
// have, a value outside its candidate set, a violated constraint, or a bound
// kernel that fails verification (e.g. a reshape whose sizes disagree).
Result<BoundKernel> Bind(const Kernel& kernel, const Config& config);

}  // namespace hrt::ir
