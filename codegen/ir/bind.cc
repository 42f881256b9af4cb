#include "codegen/ir/bind.h"

#include <algorithm>
#include <atomic>
#include <charconv>

#include "codegen/ir/expr.h"
#include "codegen/ir/verifier.h"

namespace hrt::ir {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Candidates(const std::vector<int64_t>& c) {
  std::string s = "{";
  for (size_t i = 0; i < c.size(); ++i) s += (i ? ", " : "") + std::to_string(c[i]);
  return s + "}";
}

Dim BindDim(const Dim& d, const std::vector<int64_t>& tunables) {
  return d.is_const() ? d : Dim::Const(tunables[static_cast<size_t>(d.tunable)]);
}

Elem BindElem(Elem e, const std::vector<DType>& dtypes) {
  return e.is_param() ? Elem::Of(dtypes[e.param_index()]) : e;
}

// Recursion depth is bounded by the verifier's kMaxLoopDepth.
void BindBlock(Block& block, const BoundKernel& b) {
  for (Op& op : block.ops) {
    for (Dim& d : op.shape) d = BindDim(d, b.tunable_values);
    if (op.code == OpCode::kConst || op.code == OpCode::kCast) {
      op.elem = BindElem(op.elem, b.dtype_values);
    }
    for (Block& r : op.regions) BindBlock(r, b);
  }
}

// The integer value of |v| when its defining op is a constant or a bound
// tunable symbol.
std::optional<int64_t> ConstantOf(const std::vector<const Op*>& defs, const BoundKernel& b,
                                  ValueId v) {
  const Op* op = v < defs.size() ? defs[v] : nullptr;
  if (op == nullptr || op->ints.empty()) return std::nullopt;
  if (op->code == OpCode::kConst && !IsFloat(op->elem.dtype())) return op->ints[0];
  if (op->code == OpCode::kSym && op->ints.size() == 2 && op->ints[0] == 1 && op->ints[1] >= 0 &&
      static_cast<size_t>(op->ints[1]) < b.tunable_values.size()) {
    return b.tunable_values[static_cast<size_t>(op->ints[1])];
  }
  return std::nullopt;
}

void CollectDefs(const Block& block, std::vector<const Op*>* defs) {
  for (const Op& op : block.ops) {
    for (ValueId r : op.results) {
      if (r < defs->size()) (*defs)[r] = &op;
    }
    for (const Block& r : op.regions) CollectDefs(r, defs);
  }
}

void OneTripLoops(const Block& block, const std::vector<const Op*>& defs, BoundKernel* b) {
  for (const Op& op : block.ops) {
    for (const Block& r : op.regions) OneTripLoops(r, defs, b);
    if (op.code != OpCode::kFor || op.operands.size() < 3) continue;
    const std::optional<int64_t> lo = ConstantOf(defs, *b, op.operands[0]);
    const std::optional<int64_t> step = ConstantOf(defs, *b, op.operands[2]);
    const ValueId hi = op.operands[1];
    const Op* sym = hi < defs.size() ? defs[hi] : nullptr;
    if (!lo || *lo != 0 || !step || *step <= 0 || *step > INT32_MAX || sym == nullptr ||
        sym->code != OpCode::kSym || sym->ints.size() != 2 || sym->ints[0] != 0 ||
        sym->ints[1] < 0 || static_cast<size_t>(sym->ints[1]) >= b->one_trip_limits.size()) {
      continue;
    }
    int64_t& limit = b->one_trip_limits[static_cast<size_t>(sym->ints[1])];
    limit = limit == 0 ? *step : std::min(limit, *step);
    if (!op.regions.empty() && !op.regions[0].args.empty()) {
      b->one_trip_loops.emplace_back(op.regions[0].args[0], static_cast<uint32_t>(sym->ints[1]));
    }
  }
}

}  // namespace

void Config::Set(const std::string& name, int64_t value) {
  for (auto& [n, v] : entries) {
    if (n == name) {
      v = value;
      return;
    }
  }
  entries.emplace_back(name, value);
}

std::optional<int64_t> Config::Get(std::string_view name) const {
  for (const auto& [n, v] : entries) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string Config::ToString() const {
  auto sorted = entries;
  std::sort(sorted.begin(), sorted.end());
  std::string s;
  for (const auto& [n, v] : sorted) s += (s.empty() ? "" : ",") + n + "=" + std::to_string(v);
  return s;
}

Result<Config> ParseConfig(std::string_view text) {
  Config config;
  while (!Trim(text).empty()) {
    const size_t comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("config item '" + std::string(item) + "' is not name=value");
    }
    const std::string name(Trim(item.substr(0, eq)));
    const std::string_view value = Trim(item.substr(eq + 1));
    if (name.empty() || value.empty()) {
      return InvalidArgument("config item '" + std::string(item) + "' is not name=value");
    }
    if (config.Get(name)) return InvalidArgument("config sets '" + name + "' twice");
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || ptr != value.data() + value.size()) {
      const std::optional<DType> dt = ParseDType(value);
      if (!dt) {
        return InvalidArgument("config value '" + std::string(value) + "' for '" + name +
                               "' is neither an integer nor a dtype");
      }
      v = static_cast<int64_t>(*dt);
    }
    config.entries.emplace_back(name, v);
  }
  return config;
}

Config DefaultConfig(const Kernel& kernel) {
  Config c;
  for (const DTypeParam& d : kernel.dtype_params) {
    c.Set(d.name, static_cast<int64_t>(d.candidates.front()));
  }
  for (const Tunable& t : kernel.tunables) c.Set(t.name, t.default_value);
  return c;
}

Result<BoundKernel> Bind(const Kernel& kernel, const Config& config) {
  const std::string where = "bind kernel '" + kernel.name + "'";
  for (const auto& [name, value] : config.entries) {
    const bool known = std::any_of(kernel.tunables.begin(), kernel.tunables.end(),
                                   [&](const Tunable& t) { return t.name == name; }) ||
                       std::any_of(kernel.dtype_params.begin(), kernel.dtype_params.end(),
                                   [&](const DTypeParam& d) { return d.name == name; });
    if (!known) {
      return InvalidArgument(where + ": config names '" + name +
                             "', which is neither a tunable nor a dtype parameter");
    }
  }
  BoundKernel out;
  static std::atomic<uint64_t> next_uid{1};
  out.uid = next_uid.fetch_add(1, std::memory_order_relaxed);
  for (const DTypeParam& d : kernel.dtype_params) {
    const std::optional<int64_t> v = config.Get(d.name);
    if (!v) return InvalidArgument(where + ": unbound dtype parameter '" + d.name + "'");
    const auto it = std::find_if(d.candidates.begin(), d.candidates.end(),
                                 [&](DType c) { return static_cast<int64_t>(c) == *v; });
    if (it == d.candidates.end()) {
      std::string names;
      for (DType c : d.candidates) names += std::string(names.empty() ? "" : ", ") + DTypeName(c);
      const bool valid = *v >= 0 && *v < kNumDTypes;
      return InvalidArgument(where + ": config value " + d.name + "=" +
                             (valid ? DTypeName(static_cast<DType>(*v)) : std::to_string(*v)) +
                             " is not one of its candidates {" + names + "}");
    }
    out.dtype_values.push_back(*it);
  }
  for (const Tunable& t : kernel.tunables) {
    const std::optional<int64_t> v = config.Get(t.name);
    if (!v) return InvalidArgument(where + ": unbound tunable '" + t.name + "'");
    if (std::find(t.candidates.begin(), t.candidates.end(), *v) == t.candidates.end()) {
      return InvalidArgument(where + ": config value " + t.name + "=" + std::to_string(*v) +
                             " is not one of its candidates " + Candidates(t.candidates));
    }
    out.tunable_values.push_back(*v);
  }
  const ExprEnv env{out.tunable_values, {}};
  for (const Expr& c : kernel.constraints) {
    Result<int64_t> r = EvalExpr(c, env);
    if (!r.ok()) return r.take_status().Annotate(where);
    if (r.value() == 0) {
      return InvalidArgument(where + ": config " + config.ToString() + " violates constraint '" +
                             ExprToString(kernel, c) + "'");
    }
  }

  out.kernel = kernel;
  Kernel& k = out.kernel;
  for (Param& p : k.params) p.elem = BindElem(p.elem, out.dtype_values);
  for (Value& v : k.values) {
    v.type.elem = BindElem(v.type.elem, out.dtype_values);
    for (uint32_t i = 0; i < v.type.rank; ++i)
      v.type.dims[i] = BindDim(v.type.dims[i], out.tunable_values);
  }
  BindBlock(k.body, out);
  // Re-verify: now that sizes are numbers, checks deferred from the symbolic
  // form (reshape sizes, dtype-specific op rules) apply.
  Status s = VerifyKernel(k);
  if (!s.ok()) return s.Annotate(where + " with " + config.ToString());
  out.config = config;
  std::vector<const Op*> defs(k.values.size(), nullptr);
  CollectDefs(k.body, &defs);
  out.one_trip_limits.assign(k.shape_syms.size(), 0);
  OneTripLoops(k.body, defs, &out);
  return out;
}

}  // namespace hrt::ir
