// helionrt tune: ahead-of-time tuning on the present device. Tunes listed
// kernels at listed shapes through the public C API (real launches, timed on
// the host clock around launch + synchronize), records every measurement in
// the cache store so serving starts warm, and writes the winners into a
// bundle for the device (docs/cli.md, "tune").
//
// Unlike the serving path, which never waits for the device, AOT tuning
// synchronizes after every launch: the measured time is launch overhead plus
// device time, which is what a caller pays for a small kernel anyway.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cache/store.h"
#include "codegen/ir/binary.h"
#include "codegen/ir/bind.h"
#include "codegen/ir/dtype.h"
#include "codegen/ir/text.h"
#include "codegen/ptx/ptx.h"
#include "helionrt/helionrt.h"
#include "runtime/bundle/bundle.h"
#include "runtime/bundle/from_ir.h"
#include "runtime/bundle/json_writer.h"
#include "runtime/bundle/reader.h"
#include "runtime/bundle/writer.h"
#include "runtime/select/arch.h"
#include "runtime/select/fingerprint.h"
#include "runtime/tuning/device_tuning.h"
#include "runtime/tuning/output_check.h"
#include "runtime/tuning/records.h"
#include "runtime/tuning/sample_stats.h"
#include "runtime/tuning/search_space.h"
#include "runtime/tuning/shape_bucket.h"
#include "runtime/tuning/tuner.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

extern const char kHrtDefaultKernels[];

namespace hrt::cli {
namespace {

constexpr char kUsage[] =
    "usage: helionrt tune [FILE.tile|BUNDLE ...] --kernel NAME[,NAME] --shape SYM=V[,SYM=V]\n"
    "                     [--shape ...] -o OUT.hrtb [options]\n"
    "\n"
    "Tunes each kernel at each shape on one device, records every measurement in\n"
    "the cache store ($HELIONRT_CACHE_DIR), and writes a bundle whose variants carry\n"
    "the winning configs for the shapes' buckets. Without files: the standard kernels.\n"
    "\n"
    "  --kernel NAME[,NAME]   kernels to tune (repeatable)\n"
    "  --shape SYM=V[,...]    one shape to tune at: a value for every shape symbol of\n"
    "                         the kernels (repeatable; each kernel at each shape)\n"
    "  --dtype T=bf16[,...]   dtype parameters (default: each one's first candidate)\n"
    "  --config k=v[,...]     tunables to hold fixed (the rest are searched)\n"
    "  --device N             device index, as 'helionrt info' lists them (default 0)\n"
    "  --budget-calls N       stop each search after N calls (keeps the best so far)\n"
    "  --samples K            timed runs per config in the first rung (default 5)\n"
    "  --exhaustive           time every config instead of successive halving\n"
    "  --fresh                ignore measurements already in the cache store\n"
    "  -o OUT                 the bundle to write\n"
    "  --json                 print the summary as JSON\n";

// Float scalar parameters (eps, a scale) get this value: small enough to be
// an epsilon, harmless as a multiplier. Integer scalars get 1.
constexpr double kFloatScalarValue = 1e-5;
// Largest shape value accepted (a sanity bound; memory is checked as well).
constexpr int64_t kMaxShapeValue = int64_t{1} << 40;
// Safety net for a search that never ends: at most this many calls per config.
constexpr uint64_t kMaxCallsPerConfig = 4096;

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

using ShapePoint = std::vector<std::pair<std::string, int64_t>>;

struct TunePlan {
  std::vector<std::string> inputs;
  std::vector<std::string> kernels;
  std::vector<ShapePoint> shapes;
  ir::Config dtypes;
  ir::Config fixed;
  uint32_t device = 0;
  uint64_t budget_calls = 0;
  uint32_t samples = 5;
  bool exhaustive = false;
  bool fresh = false;
  bool json = false;
  std::string output;
};

Result<ShapePoint> ParseShape(std::string_view text) {
  ShapePoint point;
  for (std::string_view item : Split(text, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return InvalidArgument("--shape '" + std::string(text) + "': expected SYM=V[,SYM=V]");
    }
    const std::string name(item.substr(0, eq));
    HRT_ASSIGN_OR_RETURN(const int64_t v,
                         ParseInt(item.substr(eq + 1), "--shape " + name, 0, kMaxShapeValue));
    for (const auto& [n, unused] : point) {
      if (n == name)
        return InvalidArgument("--shape '" + std::string(text) + "' gives " + name + " twice");
    }
    point.emplace_back(name, v);
  }
  return point;
}

// Every failure here is a usage error (exit 2).
Result<TunePlan> MakePlan(const ParsedArgs& args) {
  TunePlan plan;
  plan.inputs = args.positionals;
  std::optional<std::string> out = args.Value("-o");
  if (!out || out->empty()) return InvalidArgument("tune needs -o OUT (the bundle to write)");
  if (*out == "-") return InvalidArgument("tune writes its bundle to a file, not stdout ('-o -')");
  plan.output = *out;
  for (const std::string& list : args.Values("--kernel")) {
    for (std::string_view k : Split(list, ',')) {
      if (k.empty()) return InvalidArgument("--kernel '" + list + "': empty kernel name");
      if (std::find(plan.kernels.begin(), plan.kernels.end(), k) == plan.kernels.end()) {
        plan.kernels.emplace_back(k);
      }
    }
  }
  if (plan.kernels.empty()) return InvalidArgument("tune needs --kernel NAME");
  for (const std::string& s : args.Values("--shape")) {
    HRT_ASSIGN_OR_RETURN(ShapePoint p, ParseShape(s));
    plan.shapes.push_back(std::move(p));
  }
  if (plan.shapes.empty()) return InvalidArgument("tune needs --shape SYM=V[,SYM=V]");
  for (const std::string& list : args.Values("--dtype")) {
    for (std::string_view item : Split(list, ',')) {
      const size_t eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return InvalidArgument("--dtype '" + std::string(item) +
                               "': expected NAME=DTYPE, e.g. T=bf16");
      }
      const std::string name(item.substr(0, eq));
      const std::optional<ir::DType> t = ir::ParseDType(item.substr(eq + 1));
      if (!t) {
        return InvalidArgument("--dtype '" + std::string(item) + "': '" +
                               std::string(item.substr(eq + 1)) +
                               "' is not a dtype (bool, i8, u8, i16, i32, i64, f16, bf16, f32)");
      }
      if (plan.dtypes.Get(name)) return InvalidArgument("--dtype gives " + name + " twice");
      plan.dtypes.Set(name, static_cast<int64_t>(*t));
    }
  }
  if (std::optional<std::string> c = args.Value("--config")) {
    Result<ir::Config> parsed = ir::ParseConfig(*c);
    if (!parsed.ok()) return parsed.take_status().Annotate("--config '" + *c + "'");
    plan.fixed = std::move(*parsed);
  }
  if (std::optional<std::string> d = args.Value("--device")) {
    HRT_ASSIGN_OR_RETURN(const int64_t v, ParseInt(*d, "--device", 0, INT32_MAX));
    plan.device = static_cast<uint32_t>(v);
  }
  if (std::optional<std::string> b = args.Value("--budget-calls")) {
    HRT_ASSIGN_OR_RETURN(const int64_t v, ParseInt(*b, "--budget-calls", 1, INT64_MAX));
    plan.budget_calls = static_cast<uint64_t>(v);
  }
  if (std::optional<std::string> s = args.Value("--samples")) {
    HRT_ASSIGN_OR_RETURN(const int64_t v, ParseInt(*s, "--samples", 1, 64));
    plan.samples = static_cast<uint32_t>(v);
  }
  plan.exhaustive = args.Has("--exhaustive");
  plan.fresh = args.Has("--fresh");
  plan.json = args.Has("--json");
  return plan;
}

//===----------------------------------------------------------------------===//
// Kernels and tasks
//===----------------------------------------------------------------------===//

// Kernels of the input files (tile IR, binary IR or bundles), first of a name wins.
Result<std::vector<ir::Kernel>> LoadKernels(const std::vector<std::string>& inputs) {
  std::vector<ir::Kernel> out;
  auto add = [&](ir::Module m) {
    for (ir::Kernel& k : m.kernels) {
      const bool seen = std::any_of(out.begin(), out.end(),
                                    [&](const ir::Kernel& o) { return o.name == k.name; });
      if (!seen) out.push_back(std::move(k));
    }
  };
  if (inputs.empty()) {
    HRT_ASSIGN_OR_RETURN(ir::Module m, ir::ParseModule(kHrtDefaultKernels, "<standard kernels>"));
    add(std::move(m));
    return out;
  }
  for (const std::string& path : inputs) {
    HRT_ASSIGN_OR_RETURN(std::vector<uint8_t> data, ReadFile(path));
    if (!bundle::LooksLikeBundle(data)) {
      HRT_ASSIGN_OR_RETURN(ir::Module m, ParseIrFile(path, data));
      add(std::move(m));
      continue;
    }
    Result<bundle::BundleView> view = bundle::BundleView::Open(data);
    if (!view.ok()) return view.take_status().Annotate("'" + path + "' is not a valid bundle");
    for (uint32_t k = 0; k < view->kernel_count(); ++k) {
      if (!view->kernel(k).has_ir()) continue;  // Triton imports without IR cannot be rebuilt
      Result<ir::Module> m = view->LoadKernelIr(k);
      if (!m.ok()) return m.take_status().Annotate(path);
      add(std::move(*m));
    }
  }
  return out;
}

// One search: a kernel at one shape (bucket) with its pins.
struct Task {
  const ir::Kernel* kernel = nullptr;
  std::vector<int64_t> sizes;  // per kernel.shape_syms
  std::string shape_label;     // "M=4096,N=8192"
  tuning::ShapeBucket bucket;
  ir::Config pins;  // dtype parameters and fixed tunables
};

std::string NameList(const std::vector<ir::Kernel>& kernels) {
  std::string names;
  for (size_t i = 0; i < kernels.size() && i < 20; ++i) names += (i ? ", " : "") + kernels[i].name;
  if (kernels.size() > 20) names += ", ...";
  return names.empty() ? "none" : names;
}

// The tasks of |plan|: every kernel at every shape, one per bucket. Every
// failure is a usage error (an unknown kernel, symbol or dtype).
Result<std::vector<Task>> MakeTasks(const TunePlan& plan, const std::vector<ir::Kernel>& kernels) {
  std::vector<Task> tasks;
  std::set<std::string> used_syms, used_dtypes, used_tunables;
  for (const std::string& name : plan.kernels) {
    auto it = std::find_if(kernels.begin(), kernels.end(),
                           [&](const ir::Kernel& k) { return k.name == name; });
    if (it == kernels.end()) {
      return InvalidArgument("unknown kernel '" + name +
                             "' (the inputs have: " + NameList(kernels) + ")");
    }
    const ir::Kernel& k = *it;
    ir::Config pins;
    for (const ir::DTypeParam& d : k.dtype_params) {
      std::optional<int64_t> v = plan.dtypes.Get(d.name);
      if (!v) {
        pins.Set(d.name, static_cast<int64_t>(d.candidates.front()));
        continue;
      }
      const auto t = static_cast<ir::DType>(*v);
      if (std::find(d.candidates.begin(), d.candidates.end(), t) == d.candidates.end()) {
        return InvalidArgument("--dtype " + d.name + "=" + ir::DTypeName(t) + ": kernel '" +
                               k.name + "' allows " + d.name + " only in its candidates");
      }
      pins.Set(d.name, *v);
      used_dtypes.insert(d.name);
    }
    for (const ir::Tunable& t : k.tunables) {
      std::optional<int64_t> v = plan.fixed.Get(t.name);
      if (!v) continue;
      if (std::find(t.candidates.begin(), t.candidates.end(), *v) == t.candidates.end()) {
        return InvalidArgument("--config " + t.name + "=" + std::to_string(*v) +
                               " is not a candidate of kernel '" + k.name + "'");
      }
      pins.Set(t.name, *v);
      used_tunables.insert(t.name);
    }
    std::vector<std::string> buckets;
    for (const ShapePoint& point : plan.shapes) {
      Task task;
      task.kernel = &k;
      task.pins = pins;
      for (const std::string& sym : k.shape_syms) {
        auto p =
            std::find_if(point.begin(), point.end(), [&](const auto& e) { return e.first == sym; });
        if (p == point.end()) {
          return InvalidArgument("--shape gives no value for " + sym + " (kernel '" + k.name +
                                 "' has shape symbols " +
                                 [&] {
                                   std::string s;
                                   for (const std::string& n : k.shape_syms)
                                     s += (s.empty() ? "" : ",") + n;
                                   return s;
                                 }() +
                                 ")");
        }
        task.sizes.push_back(p->second);
        task.shape_label +=
            (task.shape_label.empty() ? "" : ",") + sym + "=" + std::to_string(p->second);
        used_syms.insert(sym);
      }
      HRT_ASSIGN_OR_RETURN(task.bucket, tuning::BucketShapes(k, task.sizes));
      const std::string label = task.bucket.Label();
      if (std::find(buckets.begin(), buckets.end(), label) != buckets.end()) {
        Warn("kernel '" + k.name + "' at " + task.shape_label + " shares bucket " + label +
             " with an earlier shape: tuned once");
        continue;
      }
      buckets.push_back(label);
      tasks.push_back(std::move(task));
    }
  }
  for (const ShapePoint& point : plan.shapes) {
    for (const auto& [sym, unused] : point) {
      if (!used_syms.count(sym))
        return InvalidArgument("--shape names " + sym + ", which no listed kernel has");
    }
  }
  for (const auto& [name, unused] : plan.dtypes.entries) {
    if (!used_dtypes.count(name))
      return InvalidArgument("--dtype names " + name + ", which no listed kernel has");
  }
  for (const auto& [name, unused] : plan.fixed.entries) {
    if (!used_tunables.count(name)) {
      return InvalidArgument("--config names " + name + ", which is no tunable of a listed kernel");
    }
  }
  return tasks;
}

//===----------------------------------------------------------------------===//
// The device
//===----------------------------------------------------------------------===//

Status ApiError(hrt_status_t s, const std::string& what) {
  return Status(static_cast<Code>(s), what + ": " + hrt_last_error_message());
}

struct RuntimeDeleter {
  void operator()(hrt_runtime_t* rt) const { hrt_runtime_destroy(rt); }
};
struct ModuleDeleter {
  void operator()(hrt_module_t* m) const { hrt_module_destroy(m); }
};
using RuntimePtr = std::unique_ptr<hrt_runtime_t, RuntimeDeleter>;
using ModulePtr = std::unique_ptr<hrt_module_t, ModuleDeleter>;

struct DeviceModel {
  uint32_t index = 0;
  hrt_device_properties_t props{};
  std::string fingerprint;  // as hrt_device_get_fingerprint gives it
  select::Fingerprint fp;   // parsed (CUDA devices)
  // The same record key, device limits and code identity as the serving
  // tuner's.
  tuning::DeviceTuning tuning;
};

Result<DeviceModel> DescribeDevice(hrt_runtime_t* rt, uint32_t index) {
  DeviceModel d;
  d.index = index;
  d.props.struct_size = sizeof(d.props);
  if (hrt_status_t s = hrt_device_get_properties(rt, index, &d.props); s != HRT_OK) {
    return ApiError(s, "device " + std::to_string(index));
  }
  size_t length = 0;
  if (hrt_status_t s = hrt_device_get_fingerprint(rt, index, nullptr, 0, &length); s != HRT_OK) {
    return ApiError(s, "device fingerprint");
  }
  d.fingerprint.resize(length + 1);
  if (hrt_status_t s = hrt_device_get_fingerprint(rt, index, d.fingerprint.data(),
                                                  d.fingerprint.size(), &length);
      s != HRT_OK) {
    return ApiError(s, "device fingerprint");
  }
  d.fingerprint.resize(length);
  HRT_ASSIGN_OR_RETURN(
      d.tuning, tuning::DescribeDeviceForTuning(d.props.backend, d.props.arch, d.fingerprint));
  if (d.props.backend == HRT_BACKEND_CUDA) {
    HRT_ASSIGN_OR_RETURN(d.fp, select::ParseFingerprint(d.fingerprint));
  }
  return d;
}

//===----------------------------------------------------------------------===//
// Tensors and launches
//===----------------------------------------------------------------------===//

void WriteValue(ir::DType t, uint8_t* p, double v) {
  switch (t) {
    case ir::DType::kF16:
    case ir::DType::kBF16: {
      const auto f = static_cast<float>(v);
      const uint16_t h = t == ir::DType::kF16 ? ir::FloatToHalf(f) : ir::FloatToBF16(f);
      std::memcpy(p, &h, 2);
      return;
    }
    case ir::DType::kF32: {
      const auto f = static_cast<float>(v);
      std::memcpy(p, &f, 4);
      return;
    }
    default: {
      const int64_t i = ir::WrapToInt(t, static_cast<int64_t>(v));
      std::memcpy(p, &i, ir::DTypeSize(t));
    }
  }
}

// splitmix64: deterministic inputs, so two runs tune on the same data.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double Uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(Next() >> 11) * 0x1p-53;
  }

 private:
  uint64_t state_;
};

struct Buffer {
  uint32_t param = 0;
  std::string name;
  ir::DType dtype = ir::DType::kF32;
  std::vector<int64_t> shape, strides;
  size_t bytes = 0;
  bool output = false;
  uint64_t addr = 0;
  uint64_t scratch = 0;            // outputs: where candidates under check write
  std::vector<uint8_t> init;       // initial contents
  std::vector<uint8_t> reference;  // outputs: the heuristic config's result
};

// The result of checking one candidate against the heuristic's outputs.
struct CheckResult {
  bool passed = false;
  uint64_t ns = 0;
  std::string detail;  // why it failed
};

// A kernel's tensors on the device, and timed launches of it.
class Workspace {
 public:
  Workspace(hrt_runtime_t* rt, uint32_t device, hrt_kernel_t* kernel)
      : rt_(rt), device_(device), kernel_(kernel) {}
  ~Workspace() {
    for (const Buffer& b : buffers_) {
      if (b.addr != 0) hrt_device_free(rt_, device_, b.addr);
      if (b.scratch != 0) hrt_device_free(rt_, device_, b.scratch);
    }
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  // The staged tensors as launch arguments (outputs at their real buffers).
  std::span<const hrt_arg_t> args() const { return args_; }

  // Allocates and fills every tensor for |task| with |dtypes| bound.
  Status Stage(const Task& task, uint64_t memory_bytes) {
    const ir::Kernel& k = *task.kernel;
    Rng rng(0x68656c696f6e7274ull);
    uint64_t total = 0;
    for (uint32_t p = 0; p < k.params.size(); ++p) {
      const ir::Param& param = k.params[p];
      ir::DType t = param.elem.is_param() ? ir::DType::kF32 : param.elem.dtype();
      if (param.elem.is_param()) {
        t = static_cast<ir::DType>(*task.pins.Get(k.dtype_params[param.elem.param_index()].name));
      }
      hrt_arg_t arg{};
      if (param.kind == ir::ParamKind::kScalar) {
        if (ir::IsFloat(t)) {
          arg.kind = HRT_ARG_KIND_FLOAT;
          arg.value.f = kFloatScalarValue;
        } else {
          arg.kind = HRT_ARG_KIND_INT;
          arg.value.i = 1;
        }
        args_.push_back(arg);
        continue;
      }
      Buffer b;
      b.param = p;
      b.name = param.name;
      b.dtype = t;
      b.output = tuning::WritesParam(k.body, p);
      b.shape.resize(param.rank);
      b.strides.resize(param.rank);
      uint64_t numel = 1;
      for (uint32_t d = 0; d < param.rank; ++d) b.shape[d] = task.sizes[param.dims[d]];
      for (uint32_t d = param.rank; d-- > 0;) {
        b.strides[d] = static_cast<int64_t>(numel);
        const auto size = static_cast<uint64_t>(b.shape[d]);
        if (size != 0 && numel > (uint64_t{1} << 50) / size) {
          return OutOfRange("tensor '" + param.name + "' at " + task.shape_label + " is too large");
        }
        numel *= size;
      }
      const uint64_t bytes = numel * ir::DTypeSize(t);
      total += bytes * (b.output ? 2 : 1);
      if (total > memory_bytes) {
        return OutOfRange("the tensors of '" + k.name + "' at " + task.shape_label +
                          " need more than the device's " + std::to_string(memory_bytes) +
                          " bytes");
      }
      b.bytes = static_cast<size_t>(bytes);
      b.init.resize(b.bytes);
      const uint32_t es = ir::DTypeSize(t);
      for (size_t i = 0; i < numel; ++i) {
        const double v = ir::IsFloat(t)
                             ? rng.Uniform(-1.0, 1.0)
                             : static_cast<double>(rng.Next() % (t == ir::DType::kBool ? 2 : 4));
        WriteValue(t, b.init.data() + i * es, v);
      }
      if (b.bytes > 0) {
        HRT_RETURN_IF_ERROR(Alloc(b.bytes, &b.addr));
        HRT_RETURN_IF_ERROR(Write(b.addr, b.init));
        if (b.output) {
          HRT_RETURN_IF_ERROR(Alloc(b.bytes, &b.scratch));
          HRT_RETURN_IF_ERROR(Write(b.scratch, b.init));
        }
      }
      arg.kind = HRT_ARG_KIND_TENSOR;
      arg.value.tensor.address = b.addr;
      arg.value.tensor.dtype = static_cast<int32_t>(t);
      arg.value.tensor.rank = param.rank;
      for (uint32_t d = 0; d < param.rank; ++d) {
        arg.value.tensor.shape[d] = b.shape[d];
        arg.value.tensor.strides[d] = b.strides[d];
      }
      buffer_of_arg_.push_back({args_.size(), buffers_.size()});
      args_.push_back(arg);
      buffers_.push_back(std::move(b));
    }
    return Status::Ok();
  }

  // One launch of |config| (into the scratch outputs when |scratch|), timed
  // on the host clock from the launch until the device is idle again.
  Result<uint64_t> Launch(const ir::Config& config, bool scratch) {
    std::vector<hrt_arg_t> args = args_;
    for (const auto& [a, b] : buffer_of_arg_) {
      if (buffers_[b].output && scratch) args[a].value.tensor.address = buffers_[b].scratch;
    }
    std::vector<hrt_config_entry_t> entries;
    for (const auto& [name, value] : config.entries) entries.push_back({name.c_str(), value});
    hrt_launch_params_t params;
    hrt_launch_params_init(&params);
    params.device_index = device_;
    params.args = args.data();
    params.arg_count = args.size();
    params.config = entries.data();
    params.config_count = entries.size();
    const auto t0 = std::chrono::steady_clock::now();
    if (hrt_status_t s = hrt_kernel_launch(kernel_, &params); s != HRT_OK) {
      return ApiError(s, "launch with " + config.ToString());
    }
    if (hrt_status_t s = hrt_device_synchronize(rt_, device_, nullptr); s != HRT_OK) {
      return ApiError(s, "synchronize after " + config.ToString());
    }
    const auto t1 = std::chrono::steady_clock::now();
    return static_cast<uint64_t>(std::max<int64_t>(
        1, std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
  }

  // Runs the heuristic config once and keeps its outputs as the reference.
  Status MakeReference(const ir::Config& heuristic) {
    HRT_RETURN_IF_ERROR(Launch(heuristic, false).status());
    for (Buffer& b : buffers_) {
      if (!b.output || b.bytes == 0) continue;
      b.reference.resize(b.bytes);
      HRT_RETURN_IF_ERROR(Read(b.addr, &b.reference));
    }
    return Status::Ok();
  }

  // Runs |config| from the initial contents into the scratch outputs and
  // compares them with the reference (tuning::CompareOutputs, as the serving
  // tuner does).
  Result<CheckResult> Check(const ir::Config& config) {
    for (const Buffer& b : buffers_) {
      if (b.output && b.bytes > 0) HRT_RETURN_IF_ERROR(Write(b.scratch, b.init));
    }
    CheckResult r;
    HRT_ASSIGN_OR_RETURN(r.ns, Launch(config, true));
    r.passed = true;
    std::vector<uint8_t> got;
    for (const Buffer& b : buffers_) {
      if (!b.output || b.bytes == 0) continue;
      got.resize(b.bytes);
      HRT_RETURN_IF_ERROR(Read(b.scratch, &got));
      const std::string mismatch = tuning::CompareOutputs(b.dtype, b.reference, got);
      if (!mismatch.empty()) {
        r.passed = false;
        r.detail = "output '" + b.name + "' " + mismatch;
        return r;
      }
    }
    return r;
  }

 private:
  Status Alloc(size_t bytes, uint64_t* addr) {
    if (hrt_status_t s = hrt_device_alloc(rt_, device_, bytes, addr); s != HRT_OK) {
      return ApiError(s, "allocating " + std::to_string(bytes) + " bytes");
    }
    return Status::Ok();
  }
  Status Write(uint64_t addr, const std::vector<uint8_t>& bytes) {
    if (hrt_status_t s = hrt_device_write(rt_, device_, addr, bytes.data(), bytes.size(), nullptr);
        s != HRT_OK) {
      return ApiError(s, "writing a tensor");
    }
    return Status::Ok();
  }
  Status Read(uint64_t addr, std::vector<uint8_t>* bytes) {
    if (hrt_status_t s = hrt_device_read(rt_, device_, bytes->data(), addr, bytes->size(), nullptr);
        s != HRT_OK) {
      return ApiError(s, "reading a tensor");
    }
    return Status::Ok();
  }

  hrt_runtime_t* rt_;
  uint32_t device_;
  hrt_kernel_t* kernel_;
  std::vector<Buffer> buffers_;
  std::vector<hrt_arg_t> args_;
  std::vector<std::pair<size_t, size_t>> buffer_of_arg_;  // (arg, buffer)
};

//===----------------------------------------------------------------------===//
// Progress
//===----------------------------------------------------------------------===//

std::string Micros(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f us", static_cast<double>(ns) / 1000.0);
  return buf;
}

// One status line on stderr, rewritten in place ('\r') at most every 200 ms
// on a terminal (every 2 s otherwise, so logs stay short).
class ProgressLine {
 public:
  ProgressLine() : tty_(::isatty(STDERR_FILENO) != 0) {}
  void Update(const std::string& text, bool force = false) {
    const auto now = std::chrono::steady_clock::now();
    const auto every = std::chrono::milliseconds(tty_ ? 200 : 2000);
    if (!force && shown_ && now - last_ < every) return;
    last_ = now;
    shown_ = true;
    if (!tty_) {
      std::fprintf(stderr, "%s\n", text.c_str());
      return;
    }
    std::string line = text;
    if (line.size() < width_) line.append(width_ - line.size(), ' ');
    width_ = text.size();
    std::fprintf(stderr, "\r%s", line.c_str());
    std::fflush(stderr);
  }
  void Finish(const std::string& text) {
    Update(text, true);
    if (tty_) std::fputc('\n', stderr);
    shown_ = false;
    width_ = 0;
  }

 private:
  bool tty_;
  bool shown_ = false;
  size_t width_ = 0;
  std::chrono::steady_clock::time_point last_;
};

//===----------------------------------------------------------------------===//
// Searching
//===----------------------------------------------------------------------===//

struct TaskResult {
  const Task* task = nullptr;
  tuning::TuningContext context;
  size_t space = 0;
  uint64_t device_rejected = 0;
  size_t tried = 0;  // configs launched at least once (launched.size())
  std::set<std::string> launched;
  size_t rejected = 0;
  ir::Config winner;
  ir::Config heuristic;
  uint64_t winner_ns = 0;  // median of the final side-by-side timing
  uint64_t heuristic_ns = 0;
  uint64_t calls = 0;     // Tuner::Next calls (exhaustive: timed runs)
  uint64_t launches = 0;  // every launch, checks and warm-ups included
  size_t seeded = 0;
  size_t measurements = 0;  // records appended to the cache store
  std::string state;        // done, stopped, exhaustive
  double wall_s = 0;
  std::string first_failure;  // one rejected config and why
};

// Runs one task's search on the device.
class Search {
 public:
  Search(const TunePlan& plan, const DeviceModel& device, Workspace* ws, cache::Store* store,
         ProgressLine* progress)
      : plan_(plan), device_(device), ws_(ws), store_(store), progress_(progress) {}

  Status Run(const Task& task, TaskResult* r) {
    const auto t0 = std::chrono::steady_clock::now();
    const ir::Kernel& k = *task.kernel;
    r->task = &task;
    r->context = {device_.tuning.key,  tuning::KernelIrHash(k),        k.name,
                  task.bucket.Label(), device_.tuning.codegen_version, HRT_VERSION_STRING};
    tuning::SearchSpaceOptions so;
    so.pins = task.pins;
    so.inert = device_.tuning.inert;
    so.fits_device = device_.tuning.Fits();
    so.code_identity = device_.tuning.Identity(ws_->args());
    HRT_ASSIGN_OR_RETURN(tuning::SearchSpace space, tuning::BuildSearchSpace(k, so));
    r->space = space.size();
    r->device_rejected = space.device_rejected;
    r->heuristic = space.configs[space.heuristic];
    label_ = k.name + " " + task.shape_label;
    progress_->Update(
        label_ + ": " + std::to_string(space.size()) + " configs, timing the heuristic config",
        true);
    HRT_RETURN_IF_ERROR(ws_->MakeReference(r->heuristic));
    Launched(r->heuristic, r);
    ++r->launches;
    if (plan_.exhaustive) {
      HRT_RETURN_IF_ERROR(Exhaustive(space, r));
    } else {
      HRT_RETURN_IF_ERROR(Halving(std::move(space), r));
    }
    HRT_RETURN_IF_ERROR(Confirm(r));
    r->wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress_->Finish(label_ + ": " + r->state + ", " + std::to_string(r->tried) +
                      " configs tried, best " + ConfigLabel(k, r->winner) + " " +
                      Micros(r->winner_ns) + " (heuristic " + Micros(r->heuristic_ns) + ")");
    return Status::Ok();
  }

 private:
  // Launches |config| once into scratch (compiling it); false when it fails.
  bool Warmup(const ir::Config& config, TaskResult* r) {
    Launched(config, r);
    ++r->launches;
    Result<uint64_t> t = ws_->Launch(config, true);
    if (!t.ok()) Reject(config, t.status().message(), r);
    return t.ok();
  }
  void Launched(const ir::Config& config, TaskResult* r) {
    r->launched.insert(config.ToString());
    r->tried = r->launched.size();
  }
  void Reject(const ir::Config& config, const std::string& why, TaskResult* r) {
    ++r->rejected;
    if (r->first_failure.empty())
      r->first_failure = ConfigLabel(*r->task->kernel, config) + ": " + why;
  }
  Status Record(std::vector<tuning::Measurement> ms, TaskResult* r) {
    if (store_ == nullptr || ms.empty()) return Status::Ok();
    HRT_RETURN_IF_ERROR(tuning::AppendMeasurements(*store_, r->context, ms));
    r->measurements += ms.size();
    return Status::Ok();
  }

  Status Halving(tuning::SearchSpace space, TaskResult* r) {
    tuning::TunerOptions o;
    // AOT: the device is ours, so candidates may take ten times the
    // incumbent's time (the most the tuner allows) rather than 10%.
    o.budget_fraction = 10.0;
    o.samples_per_rung = plan_.samples;
    o.max_samples = std::min<uint32_t>(1024, plan_.samples * 16);
    o.max_in_flight = 1;
    o.stop_after_calls = plan_.budget_calls;
    const size_t n = space.size();
    HRT_ASSIGN_OR_RETURN(tuning::Tuner tuner, tuning::Tuner::Create(std::move(space), o));
    if (!plan_.fresh && store_ != nullptr) {
      Result<tuning::LoadedMeasurements> loaded = tuning::LoadMeasurements(*store_, r->context);
      if (loaded.ok()) {
        r->seeded = tuner.Seed(loaded->measurements);
      } else {
        Warn("cannot read stored measurements: " + loaded.status().message());
      }
    }
    const uint64_t cap = kMaxCallsPerConfig * n + 1000;
    std::vector<bool> warmed(n, false);
    warmed[tuner.space().heuristic] = true;  // MakeReference ran it
    for (;;) {
      const tuning::TunerState st = tuner.state();
      if (st == tuning::TunerState::kDone || st == tuning::TunerState::kStopped || r->calls >= cap)
        break;
      while (std::optional<tuning::CandidateId> id = tuner.NextToCompile()) {
        const bool ok = Warmup(tuner.config(*id), r);
        warmed[*id] = true;
        tuner.ReportCompiled(*id, ok);
      }
      const tuning::Decision d = tuner.Next();
      ++r->calls;
      if (!warmed[d.run]) {
        // A config seeded as trusted runs without a compile step: keep JIT
        // time out of its first sample.
        warmed[d.run] = true;
        Launched(tuner.config(d.run), r);
        ++r->launches;
        HRT_RETURN_IF_ERROR(ws_->Launch(tuner.config(d.run), false).status());
      }
      Result<uint64_t> t = ws_->Launch(tuner.config(d.run), false);
      ++r->launches;
      if (!t.ok()) return t.take_status().Annotate(label_);
      if (d.ticket != 0) tuner.Report(d.ticket, *t);
      if (d.check != tuning::kNoCandidate) {
        ++r->launches;
        Result<CheckResult> c = ws_->Check(tuner.config(d.check));
        if (!c.ok()) {
          tuner.ReportLost(d.check_ticket);
          tuner.ReportCheck(d.check, false);
          Reject(tuner.config(d.check), c.status().message(), r);
        } else {
          tuner.Report(d.check_ticket, c->ns);
          tuner.ReportCheck(d.check, c->passed);
          if (!c->passed) Reject(tuner.config(d.check), "wrong result: " + c->detail, r);
        }
      }
      HRT_RETURN_IF_ERROR(Record(tuner.TakeMeasurements(), r));
      const tuning::TunerProgress p = tuner.Progress();
      progress_->Update(label_ + ": rung " + std::to_string(p.rung) + ", " +
                        std::to_string(p.alive) + " candidates left, best " +
                        ConfigLabel(*r->task->kernel, tuner.config(p.incumbent)) + " " +
                        Micros(p.incumbent_median_ns));
    }
    HRT_RETURN_IF_ERROR(Record(tuner.TakeMeasurements(), r));
    r->winner = tuner.config(tuner.incumbent());
    r->state = tuner.state() == tuning::TunerState::kDone ? "done" : "stopped";
    return Status::Ok();
  }

  Status Exhaustive(const tuning::SearchSpace& space, TaskResult* r) {
    using tuning::Measurement;
    using tuning::MeasurementKind;
    const uint32_t samples = std::max<uint32_t>(plan_.samples, 5);
    std::optional<size_t> best;
    uint64_t best_ns = 0;
    std::vector<uint64_t> best_samples;
    for (size_t i = 0; i < space.size(); ++i) {
      if (plan_.budget_calls != 0 && r->calls >= plan_.budget_calls) break;
      const ir::Config& c = space.configs[i];
      progress_->Update(label_ + ": config " + std::to_string(i + 1) + "/" +
                        std::to_string(space.size()) +
                        (best ? ", best " + ConfigLabel(*r->task->kernel, space.configs[*best]) +
                                    " " + Micros(best_ns)
                              : std::string()));
      if (!Warmup(c, r)) {
        HRT_RETURN_IF_ERROR(Record({Measurement{MeasurementKind::kCompileFailed, c, {}}}, r));
        continue;
      }
      if (i != space.heuristic) {
        ++r->launches;
        Result<CheckResult> check = ws_->Check(c);
        if (!check.ok() || !check->passed) {
          Reject(c, check.ok() ? "wrong result: " + check->detail : check.status().message(), r);
          HRT_RETURN_IF_ERROR(Record({Measurement{MeasurementKind::kCheckFailed, c, {}}}, r));
          continue;
        }
      }
      std::vector<uint64_t> ns;
      for (uint32_t s = 0; s < samples; ++s) {
        HRT_ASSIGN_OR_RETURN(const uint64_t t, ws_->Launch(c, false));
        ns.push_back(t);
        ++r->calls;
        ++r->launches;
      }
      const uint64_t median = tuning::Median(ns);
      HRT_RETURN_IF_ERROR(Record({Measurement{MeasurementKind::kMeasured, c, ns}}, r));
      if (!best || median < best_ns) {
        best = i;
        best_ns = median;
        best_samples = ns;
      }
    }
    if (!best) return Internal(label_ + ": no config ran correctly (" + r->first_failure + ")");
    r->winner = space.configs[*best];
    const bool complete = plan_.budget_calls == 0 || r->tried == space.size();
    if (complete)
      HRT_RETURN_IF_ERROR(
          Record({Measurement{MeasurementKind::kWinner, r->winner, best_samples}}, r));
    r->state = complete ? "exhaustive" : "stopped";
    return Status::Ok();
  }

  // Times the winner and the heuristic config side by side (alternating
  // runs), so the reported speedup compares like with like.
  Status Confirm(TaskResult* r) {
    const uint32_t n = std::max<uint32_t>(plan_.samples, 5);
    std::vector<uint64_t> w, h;
    for (uint32_t i = 0; i < n; ++i) {
      HRT_ASSIGN_OR_RETURN(const uint64_t tw, ws_->Launch(r->winner, false));
      HRT_ASSIGN_OR_RETURN(const uint64_t th, ws_->Launch(r->heuristic, false));
      w.push_back(tw);
      h.push_back(th);
      r->launches += 2;
    }
    r->winner_ns = tuning::Median(w);
    r->heuristic_ns = tuning::Median(h);
    return Status::Ok();
  }

  const TunePlan& plan_;
  const DeviceModel& device_;
  Workspace* ws_;
  cache::Store* store_;
  ProgressLine* progress_;
  std::string label_;
};

// Loads |kernel| alone into |rt| (from its canonical binary IR) and tunes |task|.
Status TuneTask(hrt_runtime_t* rt, const TunePlan& plan, const DeviceModel& device,
                cache::Store* store, ProgressLine* progress, const Task& task, TaskResult* r) {
  ir::Module m;
  m.kernels.push_back(*task.kernel);
  const std::vector<uint8_t> bin = ir::WriteModuleBinary(m);
  hrt_module_t* raw = nullptr;
  if (hrt_status_t s = hrt_module_load(rt, bin.data(), bin.size(), &raw); s != HRT_OK) {
    return ApiError(s, "loading kernel '" + task.kernel->name + "'");
  }
  ModulePtr module(raw);
  hrt_kernel_t* kernel = nullptr;
  if (hrt_status_t s = hrt_module_get_kernel(module.get(), task.kernel->name.c_str(), &kernel);
      s != HRT_OK) {
    return ApiError(s, "kernel '" + task.kernel->name + "'");
  }
  Workspace ws(rt, device.index, kernel);
  HRT_RETURN_IF_ERROR(
      ws.Stage(task, device.props.memory_bytes == 0 ? UINT64_MAX : device.props.memory_bytes));
  Search search(plan, device, &ws, store, progress);
  return search.Run(task, r);
}

//===----------------------------------------------------------------------===//
// The bundle
//===----------------------------------------------------------------------===//

// The shape rules of |bucket|: each symbol's [lo, hi) as [lo, hi - 1]
// (a range that reaches INT64_MAX includes it).
std::vector<bundle::ShapeRule> RulesOf(const tuning::ShapeBucket& bucket) {
  std::vector<bundle::ShapeRule> rules;
  for (const tuning::BucketRange& r : bucket.ranges) {
    rules.push_back({r.symbol, r.lo, r.hi == INT64_MAX ? INT64_MAX : r.hi - 1});
  }
  return rules;
}

// Compiles |ptx| for |arch| with ptxas -v; fills the registers and static
// shared memory it reports (0 when it does not say).
Result<std::vector<uint8_t>> Ptxas(const std::string& ptxas, const std::string& ptx,
                                   const std::string& arch, bundle::Resources* res) {
  HRT_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const std::string in = dir.path() + "/kernel.ptx";
  const std::string out = dir.path() + "/kernel.cubin";
  HRT_RETURN_IF_ERROR(WriteFile(in, ptx));
  HRT_ASSIGN_OR_RETURN(ProcessResult run,
                       RunProcess({ptxas, "-arch=" + arch, "-v", in, "-o", out}));
  if (run.exit_code != 0) {
    return Internal("ptxas (" + ptxas + ") failed for " + arch + " with exit code " +
                    std::to_string(run.exit_code) + ": " + run.output);
  }
  auto number_before = [&](std::string_view unit) -> uint32_t {
    const size_t at = run.output.find(unit);
    if (at == std::string::npos) return 0;
    size_t b = at;
    while (b > 0 && b + 9 > at && run.output[b - 1] >= '0' && run.output[b - 1] <= '9') --b;
    uint32_t v = 0;
    for (size_t i = b; i < at; ++i) v = v * 10 + static_cast<uint32_t>(run.output[i] - '0');
    return v;
  };
  res->regs_per_thread = number_before(" registers");
  res->static_smem_bytes = number_before(" bytes smem");
  HRT_ASSIGN_OR_RETURN(std::vector<uint8_t> cubin, ReadFile(out));
  if (cubin.empty()) return Internal("ptxas wrote an empty cubin for " + arch);
  return cubin;
}

struct BundleSummary {
  size_t ptx = 0;
  size_t cubin = 0;
  std::string note;  // e.g. why no cubins
};

// The bundle for a CUDA device: per task a cubin (when ptxas is present) and
// a PTX variant of the winner, limited to the task's bucket.
Result<bundle::Contents> BuildCudaBundle(const DeviceModel& device,
                                         const std::vector<TaskResult>& results,
                                         BundleSummary* summary) {
  bundle::Contents contents;
  const std::optional<std::string> ptxas = FindPtxas();
  if (!ptxas)
    summary->note = "no ptxas found ($HRT_PTXAS, PATH, /usr/local/cuda/bin): PTX variants only";
  const select::Arch plain{device.fp.arch.major, device.fp.arch.minor, select::ArchVariant::kPlain};
  for (const TaskResult& r : results) {
    const ir::Kernel& k = *r.task->kernel;
    auto it = std::find_if(contents.kernels.begin(), contents.kernels.end(),
                           [&](const bundle::KernelEntry& e) { return e.name == k.name; });
    if (it == contents.kernels.end()) {
      contents.kernels.push_back(bundle::KernelEntryFromIr(k));
      it = contents.kernels.end() - 1;
    }
    Result<bundle::VariantEntry> ptx = bundle::PtxVariantFromIr(k, r.winner, *device.tuning.emit);
    if (!ptx.ok())
      return ptx.take_status().Annotate("kernel '" + k.name + "' [" + ConfigLabel(k, r.winner) +
                                        "]");
    ptx->shape_rules = RulesOf(r.task->bucket);
    if (ptxas) {
      bundle::Resources res;
      const std::string text(ptx->payload.begin(),
                             std::find(ptx->payload.begin(), ptx->payload.end(), uint8_t{0}));
      Result<std::vector<uint8_t>> cubin = Ptxas(*ptxas, text, select::SmName(plain), &res);
      if (!cubin.ok()) return cubin.take_status().Annotate("kernel '" + k.name + "'");
      bundle::VariantEntry v = bundle::CubinVariantFromPtx(*ptx, plain, *cubin, res.regs_per_thread,
                                                           res.static_smem_bytes);
      v.shape_rules = ptx->shape_rules;
      it->variants.push_back(std::move(v));
      ++summary->cubin;
    }
    it->variants.push_back(std::move(*ptx));
    ++summary->ptx;
  }
  return contents;
}

//===----------------------------------------------------------------------===//
// Output
//===----------------------------------------------------------------------===//

std::string JsonString(std::string_view s) {
  bundle::JsonWriter w;
  w.String(s);
  return w.str();
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, std::isfinite(v) ? v : 0.0);
  return buf;
}

double Speedup(const TaskResult& r) {
  return r.winner_ns == 0 ? 0.0
                          : static_cast<double>(r.heuristic_ns) / static_cast<double>(r.winner_ns);
}

std::string SummaryJson(const DeviceModel& device, const std::vector<TaskResult>& results,
                        const std::string& cache_dir, const std::string& bundle_path,
                        const BundleSummary& bs) {
  std::string j =
      "{\"device\":{\"index\":" + std::to_string(device.index) +
      ",\"backend\":" + JsonString(select::BackendName(device.props.backend)) +
      ",\"name\":" + JsonString(device.props.name) +
      ",\"fingerprint\":" + JsonString(device.fingerprint) +
      "},\"cache_dir\":" + (cache_dir.empty() ? std::string("null") : JsonString(cache_dir)) +
      ",\"bundle\":" + (bundle_path.empty() ? std::string("null") : JsonString(bundle_path)) +
      ",\"ptx_variants\":" + std::to_string(bs.ptx) +
      ",\"cubin_variants\":" + std::to_string(bs.cubin) + ",\"results\":[";
  for (size_t i = 0; i < results.size(); ++i) {
    const TaskResult& r = results[i];
    const ir::Kernel& k = *r.task->kernel;
    j += i ? "," : "";
    j += "{\"kernel\":" + JsonString(k.name) + ",\"shape\":{";
    for (size_t s = 0; s < k.shape_syms.size(); ++s) {
      if (s != 0) j += ',';
      j += JsonString(k.shape_syms[s]);
      j += ':';
      j += std::to_string(r.task->sizes[s]);
    }
    j += "},\"bucket\":" + JsonString(r.context.bucket) +
         ",\"configs\":" + std::to_string(r.space) +
         ",\"configs_tried\":" + std::to_string(r.tried) +
         ",\"rejected\":" + std::to_string(r.rejected) +
         ",\"winner\":" + JsonString(ConfigLabel(k, r.winner)) +
         ",\"median_us\":" + Fixed(static_cast<double>(r.winner_ns) / 1000.0, 3) +
         ",\"heuristic\":" + JsonString(ConfigLabel(k, r.heuristic)) +
         ",\"heuristic_median_us\":" + Fixed(static_cast<double>(r.heuristic_ns) / 1000.0, 3) +
         ",\"speedup\":" + Fixed(Speedup(r), 3) + ",\"calls\":" + std::to_string(r.calls) +
         ",\"launches\":" + std::to_string(r.launches) + ",\"seeded\":" + std::to_string(r.seeded) +
         ",\"measurements\":" + std::to_string(r.measurements) +
         ",\"state\":" + JsonString(r.state) + ",\"wall_s\":" + Fixed(r.wall_s, 3) + "}";
  }
  return j + "]}\n";
}

void PrintTable(const std::vector<TaskResult>& results) {
  std::printf("%-12s %-22s %-30s %6s  %-28s %11s %11s %8s %7s %8s\n", "kernel", "shape", "bucket",
              "tried", "winner", "median", "heuristic", "speedup", "calls", "wall");
  for (const TaskResult& r : results) {
    const ir::Kernel& k = *r.task->kernel;
    std::printf("%-12s %-22s %-30s %6zu  %-28s %11s %11s %7.2fx %7" PRIu64 " %7.1fs\n",
                k.name.c_str(), r.task->shape_label.c_str(), r.context.bucket.c_str(), r.tried,
                ConfigLabel(k, r.winner).c_str(), Micros(r.winner_ns).c_str(),
                Micros(r.heuristic_ns).c_str(), Speedup(r), r.calls, r.wall_s);
    if (!r.first_failure.empty())
      std::printf("  rejected %zu, e.g. %s\n", r.rejected, r.first_failure.c_str());
  }
}

}  // namespace

int CmdTune(Args args) {
  if (WantsHelp(args)) return PrintHelp(kUsage);
  static constexpr FlagSpec kFlags[] = {
      {"--kernel", true, true},   {"--shape", true, true},        {"--dtype", true, true},
      {"--config", true, false},  {"--device", true, false},      {"--budget-calls", true, false},
      {"--samples", true, false}, {"--exhaustive", false, false}, {"--fresh", false, false},
      {"-o", true, false},        {"--json", false, false},
  };
  Result<ParsedArgs> parsed = ParseArgs(args, kFlags);
  if (!parsed.ok()) return UsageError(parsed.status().message(), kUsage);
  Result<TunePlan> plan = MakePlan(*parsed);
  if (!plan.ok()) return UsageError(plan.status().message(), kUsage);
  Result<std::vector<ir::Kernel>> kernels = LoadKernels(plan->inputs);
  if (!kernels.ok()) return Fail(kernels.status());
  Result<std::vector<Task>> tasks = MakeTasks(*plan, *kernels);
  if (!tasks.ok()) return UsageError(tasks.status().message(), kUsage);

  hrt_runtime_t* raw = nullptr;
  if (hrt_status_t s = hrt_runtime_create(nullptr, &raw); s != HRT_OK) {
    return Fail(ApiError(s, "creating the runtime"));
  }
  RuntimePtr rt(raw);
  uint32_t count = 0;
  if (hrt_status_t s = hrt_device_count(rt.get(), &count); s != HRT_OK)
    return Fail(ApiError(s, "devices"));
  if (plan->device >= count) {
    return UsageError("--device " + std::to_string(plan->device) + ": there are " +
                          std::to_string(count) + " device(s) ('helionrt info' lists them)",
                      kUsage);
  }
  Result<DeviceModel> device = DescribeDevice(rt.get(), plan->device);
  if (!device.ok()) return Fail(device.status());
  std::fprintf(stderr, "helionrt tune: device %u: %s (%s)\n", device->index, device->props.name,
               device->fingerprint.c_str());

  std::unique_ptr<cache::Store> store;
  std::string cache_dir;
  if (Result<std::unique_ptr<cache::Store>> s = cache::Store::Open(cache::DefaultStoreOptions());
      s.ok()) {
    store = std::move(*s);
    cache_dir = store->dir();
  } else {
    Warn("the cache store is unavailable, measurements are not recorded: " + s.status().message());
  }

  ProgressLine progress;
  std::vector<TaskResult> results;
  for (const Task& task : *tasks) {
    TaskResult r;
    Status s = TuneTask(rt.get(), *plan, *device, store.get(), &progress, task, &r);
    if (!s.ok()) {
      std::fputc('\n', stderr);
      return Fail(s.Annotate("tuning '" + task.kernel->name + "' at " + task.shape_label));
    }
    results.push_back(std::move(r));
  }

  BundleSummary bs;
  std::optional<Status> refusal;
  if (device->props.backend == HRT_BACKEND_CUDA) {
    Result<bundle::Contents> contents = BuildCudaBundle(*device, results, &bs);
    Result<std::vector<uint8_t>> bytes = contents.ok()
                                             ? bundle::WriteBundle(*contents)
                                             : Result<std::vector<uint8_t>>(contents.status());
    Status written = bytes.ok() ? WriteFile(plan->output, *bytes) : bytes.status();
    if (!written.ok()) refusal = written;
    if (!bs.note.empty()) Warn(bs.note);
  } else {
    refusal = Unsupported(
        std::string("no bundle written: ") + select::BackendName(device->props.backend) +
        " devices have no precompiled payload kind a bundle can hold (bundles carry cubin, PTX, "
        "HIP or SPIR-V code); the tuned configs are in the table and in the cache store" +
        (cache_dir.empty() ? std::string() : " (" + cache_dir + ")") +
        ", where the runtime's tuner finds them");
  }
  if (plan->json) {
    std::fputs(SummaryJson(*device, results, cache_dir, refusal ? "" : plan->output, bs).c_str(),
               stdout);
  } else {
    PrintTable(results);
    if (!refusal) {
      std::printf("wrote %s: %zu cubin and %zu PTX variant(s) for %s\n", plan->output.c_str(),
                  bs.cubin, bs.ptx, device->fingerprint.c_str());
    }
  }
  std::fflush(stdout);
  if (refusal) return Fail(*refusal);
  return kExitOk;
}

}  // namespace hrt::cli
