#include "runtime/tuning/serving_tuner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "runtime/launch_config.h"
#include "runtime/runtime.h"
#include "runtime/tuning/output_check.h"

namespace hrt::runtime {
namespace {

// Candidate runs in flight: a run's time is known only when the device
// reaches it, which behind a deep launch queue takes many calls, so the
// search samples several candidates per queue's length.
constexpr uint32_t kMaxCandidatesInFlight = 16;
// Timers per slot: the candidate runs in flight, a check, and a window of
// served runs; a served run that finds none free goes untimed.
constexpr size_t kTimersPerSlot = 48;
// Checks compare at most this many outputs (kernels have one or two).
constexpr size_t kMaxCheckedOutputs = 8;
// How long the worker sleeps between rounds while a slot waits for the
// device or for launches.
constexpr auto kWorkerPoll = std::chrono::milliseconds(1);

std::string Micros(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f us", static_cast<double>(ns) / 1000.0);
  return buf;
}

// Bytes from a tensor's address to one past its last element; nullopt for a
// negative stride (its memory lies below the address) or an extent that
// overflows: such calls are never checked (scratch sized from a wrapped
// extent would be too small).
std::optional<uint64_t> Extent(const hrt_tensor_t& t) {
  const uint64_t es = ir::DTypeSize(static_cast<ir::DType>(t.dtype));
  for (uint32_t d = 0; d < t.rank && d < HRT_MAX_RANK; ++d) {
    if (t.shape[d] == 0) return 0;
  }
  uint64_t last = 0;
  for (uint32_t d = 0; d < t.rank && d < HRT_MAX_RANK; ++d) {
    if (t.strides[d] < 0) return std::nullopt;
    uint64_t term = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(t.shape[d] - 1),
                               static_cast<uint64_t>(t.strides[d]), &term) ||
        __builtin_add_overflow(last, term, &last)) {
      return std::nullopt;
    }
  }
  uint64_t bytes = 0;
  if (__builtin_add_overflow(last, 1, &last) || __builtin_mul_overflow(last, es, &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

// Whether [a, a + a_bytes) and [b, b + b_bytes) share a byte (no overflow
// near the top of the address space).
bool Overlap(uint64_t a, uint64_t a_bytes, uint64_t b, uint64_t b_bytes) {
  if (a_bytes == 0 || b_bytes == 0) return false;
  return a >= b ? a - b < b_bytes : b - a < a_bytes;
}

}  // namespace

Result<ServingTuningOptions> ResolveServingTuningOptions(hrt_tuning_mode_t mode, double budget) {
  ServingTuningOptions o;
  if (mode != HRT_TUNING_DEFAULT && mode != HRT_TUNING_OFF && mode != HRT_TUNING_ON) {
    return InvalidArgument("options.tuning " + std::to_string(static_cast<int64_t>(mode)) +
                           " is not an hrt_tuning_mode_t");
  }
  o.mode = mode;
  if (mode == HRT_TUNING_DEFAULT) {
    if (const char* env = std::getenv("HELIONRT_TUNE"); env != nullptr && env[0] != '\0') {
      const std::string_view v(env);
      if (v == "0" || v == "off") {
        o.mode = HRT_TUNING_OFF;
      } else if (v == "1" || v == "on") {
        o.mode = HRT_TUNING_ON;
      } else {
        return InvalidArgument("$HELIONRT_TUNE is '" + std::string(v) +
                               "': expected 0, off, 1 or on");
      }
    }
  }
  constexpr double kMaxBudget = 10.0;  // the tuner's own limit
  if (!(budget >= 0.0 && budget <= kMaxBudget)) {
    return InvalidArgument("options.tuning_budget " + std::to_string(budget) +
                           " is outside [0, 10] (0: $HELIONRT_TUNE_BUDGET, else 0.10)");
  }
  o.budget_fraction = budget;
  if (budget == 0.0) {
    o.budget_fraction = 0.10;
    if (const char* env = std::getenv("HELIONRT_TUNE_BUDGET"); env != nullptr && env[0] != '\0') {
      char* end = nullptr;
      const double v = std::strtod(env, &end);
      if (end == env || *end != '\0' || !(v > 0.0 && v <= kMaxBudget)) {
        return InvalidArgument("$HELIONRT_TUNE_BUDGET is '" + std::string(env) +
                               "': expected a fraction in (0, 10], e.g. 0.1");
      }
      o.budget_fraction = v;
    }
  }
  return o;
}

//===----------------------------------------------------------------------===//
// TuningSlot: the launch path
//===----------------------------------------------------------------------===//

TuningSlot::TuningSlot(SlotRequest request) : req_(std::move(request)) {
  const ir::Kernel& k = *req_.kernel;
  for (uint32_t p = 0; p < k.params.size(); ++p) {
    if (k.params[p].kind != ir::ParamKind::kTensor || !tuning::WritesParam(k.body, p)) continue;
    Output o;
    o.arg = p;
    o.zero_init = tuning::DependsOnPriorContents(k.body, p);
    // Bound dtype: the heuristic plan's parameter is concrete.
    o.dtype = req_.heuristic.bound->kernel.params[p].elem.dtype();
    outputs_.push_back(o);
  }
  scratch_.resize(outputs_.size());
  wanted_bytes_.resize(outputs_.size(), 0);
  initial_ = req_.heuristic;
}

Status TuningSlot::Run(const ServingPlan& plan, std::span<const hrt_arg_t> args,
                       void* stream) const {
  return req_.device->vtable->launch(req_.device, *plan.bound, args, stream, plan.code_id, nullptr,
                                     nullptr);
}

Status TuningSlot::Launch(std::span<const hrt_arg_t> args, void* stream) {
  if (const ServingPlan* plan = fixed_.load(std::memory_order_acquire)) {
    return Run(*plan, args, stream);
  }
  std::lock_guard<std::mutex> lock(mu_);
  return LaunchSearching(args, stream);
}

bool TuningSlot::CanCheck(std::span<const hrt_arg_t> args, std::span<uint64_t> bytes) {
  if (check_ || outputs_.empty() || outputs_.size() > bytes.size() || free_timers_.size() < 2) {
    return false;
  }
  bool fits = true;
  for (size_t o = 0; o < outputs_.size(); ++o) {
    const hrt_tensor_t& out = args[outputs_[o].arg].value.tensor;
    const std::optional<uint64_t> extent = Extent(out);
    if (!extent) return false;
    bytes[o] = *extent;
    // Remembered for the worker, which grows the scratch to the largest.
    wanted_bytes_[o] = std::max(wanted_bytes_[o], *extent);
    if (*extent > scratch_[o].capacity) fits = false;
    for (size_t a = 0; a < args.size(); ++a) {
      if (a == outputs_[o].arg || args[a].kind != HRT_ARG_KIND_TENSOR) continue;
      const std::optional<uint64_t> other = Extent(args[a].value.tensor);
      if (!other || Overlap(out.address, *extent, args[a].value.tensor.address, *other)) {
        return false;
      }
    }
  }
  return fits;
}

Result<ServingPlan> TuningSlot::Bind(const ir::Config& config,
                                     std::unique_ptr<ir::BoundKernel>* owned) const {
  bool bound_now = false;
  HRT_ASSIGN_OR_RETURN(
      const ir::BoundKernel* bound,
      req_.bound_cache->GetOrBind(*req_.kernel, config, ConfigCacheKey(*req_.kernel, config), owned,
                                  &bound_now));
  return ServingPlan{bound, req_.code_id};
}

Result<ServingPlan> TuningSlot::PlanFor(tuning::CandidateId id) {
  if (plans_[id]) return *plans_[id];
  // A config trusted from stored measurements that this process has not
  // compiled: bind it here (its code then loads on its first launch).
  std::unique_ptr<ir::BoundKernel> owned;
  HRT_ASSIGN_OR_RETURN(const ServingPlan plan, Bind(tuner_->config(id), &owned));
  if (owned) uncached_.push_back(std::move(owned));
  plans_[id] = plan;
  return plan;
}

Status TuningSlot::Timed(const ServingPlan& plan, std::span<const hrt_arg_t> args, void* stream,
                         uint64_t ticket, bool is_check) {
  Device* device = req_.device;
  DeviceTimer* timer = nullptr;
  if (ticket != 0 && !free_timers_.empty()) {
    timer = free_timers_.back();
    if (device->vtable->timer_record(device, timer, false, stream).ok()) {
      free_timers_.pop_back();
    } else {
      timer = nullptr;
    }
  }
  Status s = Run(plan, args, stream);
  if (timer != nullptr) {
    // Stopped even when the run failed: a gated timer holds an idle stream
    // until its stop (or its timeout).
    const bool stopped = device->vtable->timer_record(device, timer, true, stream).ok();
    if (!s.ok() || !stopped) {
      free_timers_.push_back(timer);
      timer = nullptr;
    }
  }
  if (ticket != 0 && timer == nullptr) {
    tuner_->ReportLost(ticket);
  } else if (timer != nullptr) {
    if (is_check) {
      check_->timer = timer;
      check_->ticket = ticket;
    } else {
      timers_in_flight_.push_back({ticket, timer});
    }
  }
  return s;
}

Status TuningSlot::LaunchSearching(std::span<const hrt_arg_t> args, void* stream) {
  if (!tuner_) return Run(initial_, args, stream);
  PollTimers(false);
  std::array<uint64_t, kMaxCheckedOutputs> bytes{};  // per output, its extent
  const bool can_check = CanCheck(args, bytes);
  const tuning::Decision d = tuner_->Next(can_check);
  Result<ServingPlan> run = PlanFor(d.run);
  if (!run.ok()) {
    if (d.ticket != 0) tuner_->ReportLost(d.ticket);
    return run.take_status();
  }
  Device* device = req_.device;
  Status s = Timed(*run, args, stream, d.ticket, false);
  const bool served = s.ok();  // the check's reference run repeats it
  if (!s.ok() && d.run != tuner_->incumbent()) {
    // A checked candidate failed to launch: serve the call with the
    // incumbent rather than fail it.
    Result<ServingPlan> incumbent = PlanFor(tuner_->incumbent());
    if (incumbent.ok()) s = Run(*incumbent, args, stream);
  }
  if (d.check == tuning::kNoCandidate) return s;
  // The check (file comment): A and B from the template, the served config
  // into A, the candidate into B, timed.
  check_.emplace();
  check_->id = d.check;
  check_->bytes.assign(bytes.begin(), bytes.begin() + outputs_.size());
  bool ok = served;
  check_args_.assign(args.begin(), args.end());
  for (size_t o = 0; o < outputs_.size() && ok; ++o) {
    if (bytes[o] == 0) continue;
    const Scratch& sc = scratch_[o];
    ok = device->vtable->copy(device, sc.served, sc.init, bytes[o], stream).ok() &&
         device->vtable->copy(device, sc.candidate, sc.init, bytes[o], stream).ok();
    check_args_[outputs_[o].arg].value.tensor.address = sc.served;
  }
  if (ok) ok = Run(*run, check_args_, stream).ok();
  for (size_t o = 0; o < outputs_.size(); ++o) {
    if (bytes[o] != 0) check_args_[outputs_[o].arg].value.tensor.address = scratch_[o].candidate;
  }
  Result<ServingPlan> candidate = PlanFor(d.check);
  if (ok && candidate.ok()) ok = Timed(*candidate, check_args_, stream, d.check_ticket, true).ok();
  if (!ok || check_->timer == nullptr) {
    // No verdict can come: the candidate counts as failed (a repeated
    // ReportLost is ignored).
    tuner_->ReportLost(d.check_ticket);
    tuner_->ReportCheck(d.check, false);
    check_.reset();
  }
  return s;
}

void TuningSlot::PollTimers(bool wait) {
  Device* device = req_.device;
  while (!timers_in_flight_.empty()) {
    PendingTimer& p = timers_in_flight_.front();
    uint64_t ns = 0;
    const Status s = device->vtable->timer_elapsed(device, p.timer, wait, &ns);
    if (s.code() == Code::kUnavailable && !wait) return;
    if (s.ok()) {
      tuner_->Report(p.ticket, std::max<uint64_t>(ns, 1));
    } else {
      tuner_->ReportLost(p.ticket);
    }
    free_timers_.push_back(p.timer);
    timers_in_flight_.pop_front();
  }
}

void TuningSlot::Describe(hrt_tuning_status_t* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  const ServingPlan* fixed = fixed_.load(std::memory_order_acquire);
  std::string config;
  out->state = HRT_TUNING_STATE_STARTING;
  out->seeded = seeded_;
  out->stored_records = stored_records_;
  if (tuner_) {
    const tuning::TunerProgress p = tuner_->Progress();
    switch (p.state) {
      case tuning::TunerState::kDisabled: out->state = HRT_TUNING_STATE_NONE; break;
      case tuning::TunerState::kDone: out->state = HRT_TUNING_STATE_DONE; break;
      case tuning::TunerState::kStopped: out->state = HRT_TUNING_STATE_STOPPED; break;
      default: out->state = HRT_TUNING_STATE_SEARCHING; break;
    }
    out->candidates = static_cast<uint32_t>(p.candidates);
    out->alive = static_cast<uint32_t>(p.alive);
    out->rejected = static_cast<uint32_t>(p.rejected);
    out->cut = static_cast<uint32_t>(p.cut);
    out->eliminated = static_cast<uint32_t>(p.eliminated);
    out->calls = p.calls;
    out->candidate_runs = p.candidate_runs;
    out->overhead_ns = p.overhead_ns;
    out->allowance_ns = p.allowance_ns;
    out->best_ns = p.incumbent_median_ns;
    config = tuner_->config(tuner_->incumbent()).ToString();
  } else if (finished_) {
    out->state = HRT_TUNING_STATE_STOPPED;  // the search could not start
  }
  if (fixed != nullptr) config = fixed->bound->config.ToString();
  std::snprintf(out->config, sizeof(out->config), "%s", config.c_str());
}

//===----------------------------------------------------------------------===//
// TuningService: slots and the worker
//===----------------------------------------------------------------------===//

void TuningService::FreeScratch(Device* device, const TuningSlot::Scratch& s) {
  for (uint64_t a : {s.served, s.candidate, s.init}) {
    if (a != 0) (void)device->vtable->free(device, a);
  }
}

TuningService::TuningService(const hrt_runtime_t* runtime, ServingTuningOptions options)
    : runtime_(runtime), options_(std::move(options)) {}

TuningService::~TuningService() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  // Owners retire their slots before the runtime goes (modules are destroyed
  // first); anything left is released here.
  for (auto& slot : slots_) Release(*slot);
}

bool TuningService::EnabledFor(hrt_backend_t backend, const DeviceVTable& vtable) const {
  if (options_.mode == HRT_TUNING_OFF) return false;
  if (vtable.prepare == nullptr || vtable.copy == nullptr || vtable.timer_create == nullptr) {
    return false;
  }
  return options_.mode == HRT_TUNING_ON || backend != HRT_BACKEND_CPU_REFERENCE;
}

cache::Store* TuningService::Store() {
  std::lock_guard<std::mutex> lock(store_mu_);
  if (store_opened_) return store_.get();
  store_opened_ = true;
  if (!options_.cache_enabled) return nullptr;
  cache::StoreOptions so = cache::DefaultStoreOptions();
  so.dir = options_.cache_dir;
  Result<std::unique_ptr<cache::Store>> opened = cache::Store::Open(std::move(so));
  if (!opened.ok()) {
    Log(*runtime_, HRT_LOG_LEVEL_WARNING,
        [&] { return "tuning: measurements are not stored (" + opened.status().message() + ")"; });
    return nullptr;
  }
  store_ = std::move(opened.value());
  return store_.get();
}

TuningSlot* TuningService::FindSlotLocked(const void* owner, const MemoKey& key) const {
  for (const auto& slot : slots_) {
    if (slot->req_.owner == owner && slot->req_.key == key && !slot->retired_) return slot.get();
  }
  return nullptr;
}

TuningSlot* TuningService::FindSlot(const void* owner, const MemoKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return FindSlotLocked(owner, key);
}

Result<TuningSlot*> TuningService::GetSlot(SlotRequest request) {
  if (TuningSlot* found = FindSlot(request.owner, request.key)) return found;
  HRT_ASSIGN_OR_RETURN(
      tuning::DeviceTuning device,
      tuning::DescribeDeviceForTuning(request.backend, request.arch, request.fingerprint));
  auto slot = std::unique_ptr<TuningSlot>(new TuningSlot(std::move(request)));
  TuningSlot& s = *slot;
  s.device_tuning_ = std::move(device);
  s.context_ = {s.device_tuning_.key,  tuning::KernelIrHash(*s.req_.kernel), s.req_.kernel->name,
                s.req_.bucket.Label(), s.device_tuning_.codegen_version,     HRT_VERSION_STRING};
  // A winner stored by an earlier process serves from this call on.
  if (cache::Store* store = Store()) {
    Result<tuning::LoadedMeasurements> loaded = tuning::LoadMeasurements(*store, s.context_);
    if (loaded.ok()) {
      for (auto it = loaded->measurements.rbegin(); it != loaded->measurements.rend(); ++it) {
        if (it->kind != tuning::MeasurementKind::kWinner) continue;
        bool agrees = true;
        for (const auto& [name, value] : s.req_.pins.entries) {
          agrees = agrees && it->config.Get(name) == value;
        }
        if (!agrees) break;
        std::unique_ptr<ir::BoundKernel> owned;
        if (Result<ServingPlan> plan = s.Bind(it->config, &owned); plan.ok()) {
          if (owned) s.uncached_.push_back(std::move(owned));
          s.initial_ = *plan;
        }
        break;
      }
    }
  }
  s.fixed_.store(&s.initial_, std::memory_order_release);
  std::lock_guard<std::mutex> lock(mu_);
  // Another thread may have made it meanwhile.
  if (TuningSlot* existing = FindSlotLocked(s.req_.owner, s.req_.key)) return existing;
  slots_.push_back(std::move(slot));
  if (!worker_.joinable()) worker_ = std::thread([this] { WorkerLoop(); });
  wake_.notify_all();
  return &s;
}

void TuningService::RetireOwner(const void* owner) {
  std::vector<std::unique_ptr<TuningSlot>> retired;
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (auto& slot : slots_) {
      if (slot->req_.owner == owner) slot->retired_ = true;
    }
    idle_.wait(lock, [&] { return busy_ == nullptr || busy_->req_.owner != owner; });
    for (auto it = slots_.begin(); it != slots_.end();) {
      if ((*it)->req_.owner == owner) {
        retired.push_back(std::move(*it));
        it = slots_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& slot : retired) Release(*slot);
}

void TuningService::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    std::vector<TuningSlot*> round;
    for (auto& slot : slots_) {
      if (!slot->retired_) round.push_back(slot.get());
    }
    bool active = false, progressed = false;
    for (TuningSlot* slot : round) {
      if (stop_) break;
      // Retired (and maybe gone) since the snapshot?
      const bool listed = std::any_of(slots_.begin(), slots_.end(), [&](const auto& s) {
        return s.get() == slot && !s->retired_;
      });
      if (!listed) continue;
      busy_ = slot;
      lock.unlock();
      progressed |= Step(*slot);
      bool finished;
      {
        std::lock_guard<std::mutex> slot_lock(slot->mu_);
        finished = slot->finished_;
      }
      active |= !finished;
      lock.lock();
      busy_ = nullptr;
      idle_.notify_all();
    }
    if (progressed || stop_) continue;
    if (active) {
      wake_.wait_for(lock, kWorkerPoll);
    } else {
      wake_.wait(lock);
    }
  }
}

bool TuningService::Step(TuningSlot& slot) {
  {
    std::lock_guard<std::mutex> lock(slot.mu_);
    if (slot.finished_) return false;
  }
  if (!slot.tuner_started_) return Start(slot);
  bool did = false;
  {
    std::lock_guard<std::mutex> lock(slot.mu_);
    slot.PollTimers(false);
  }
  did |= FinishCheck(slot, false);
  did |= Compile(slot);
  did |= GrowScratch(slot);
  Persist(slot, false);
  did |= MaybeFinish(slot);
  return did;
}

bool TuningService::Start(TuningSlot& slot) {
  slot.tuner_started_ = true;
  auto fail = [&](const Status& why) {
    std::lock_guard<std::mutex> lock(slot.mu_);
    slot.finished_ = true;
    Log(*runtime_, HRT_LOG_LEVEL_INFO,
        [&] { return slot.req_.label + ": not tuned (" + why.message() + ")"; });
    return true;
  };
  tuning::SearchSpaceOptions so;
  so.pins = slot.req_.pins;
  so.fits_device = slot.device_tuning_.Fits();
  so.code_identity = slot.device_tuning_.Identity(slot.req_.sample_args);
  so.inert = slot.device_tuning_.inert;
  Result<tuning::SearchSpace> space = tuning::BuildSearchSpace(*slot.req_.kernel, so);
  if (!space.ok()) return fail(space.status());
  const uint64_t duplicates = space->duplicates;
  tuning::TunerOptions to;
  to.budget_fraction = options_.budget_fraction;
  to.max_in_flight = kMaxCandidatesInFlight;
  Result<tuning::Tuner> tuner = tuning::Tuner::Create(std::move(*space), to);
  if (!tuner.ok()) return fail(tuner.status());
  uint32_t seeded = 0;
  if (cache::Store* store = Store()) {
    Result<tuning::LoadedMeasurements> loaded = tuning::LoadMeasurements(*store, slot.context_);
    if (loaded.ok()) seeded = static_cast<uint32_t>(tuner->Seed(loaded->measurements));
  }
  std::vector<DeviceTimer*> timers;
  Device* device = slot.req_.device;
  // Gated timers where the backend has them: a sample is then the run's
  // device time even when the host, not the device, sets the pace (a plain
  // timer's sample then includes the host's launch work, about 2 us on an
  // H100, and ranked every config faster than the host by that pace).
  bool gated = device->vtable->timer_create_gated != nullptr;
  for (size_t i = 0; i < kTimersPerSlot; ++i) {
    DeviceTimer* t = nullptr;
    if (gated && !device->vtable->timer_create_gated(device, &t).ok()) gated = false;
    if (!gated && !device->vtable->timer_create(device, &t).ok()) break;
    timers.push_back(t);
  }
  if (timers.size() < 2) {
    for (DeviceTimer* t : timers) device->vtable->timer_destroy(device, t);
    return fail(Status(Code::kUnavailable, "the device has no timers to spare"));
  }
  // The incumbent's code, ready before the first call it serves.
  std::unique_ptr<ir::BoundKernel> owned;
  Result<ServingPlan> incumbent = slot.Bind(tuner->config(tuner->incumbent()), &owned);
  if (incumbent.ok()) {
    (void)device->vtable->prepare(device, *incumbent->bound, incumbent->code_id,
                                  slot.req_.sample_args);
  }

  std::lock_guard<std::mutex> lock(slot.mu_);
  const size_t n = tuner->space().size();
  slot.plans_.assign(n, std::nullopt);
  if (incumbent.ok()) {
    if (owned) slot.uncached_.push_back(std::move(owned));
    slot.plans_[tuner->incumbent()] = *incumbent;
  }
  slot.free_timers_ = std::move(timers);
  slot.seeded_ = seeded;
  slot.tuner_.emplace(std::move(*tuner));
  Log(*runtime_, HRT_LOG_LEVEL_INFO, [&] {
    return slot.req_.label + " " + slot.context_.bucket + ": tuning over " + std::to_string(n) +
           " configs" +
           (duplicates
                ? " (" + std::to_string(duplicates) + " more run the same code as one of them)"
                : "") +
           (slot.seeded_ ? " from " + std::to_string(slot.seeded_) + " stored measurements" : "");
  });
  // From here the tuner decides every call (until it publishes a winner).
  slot.fixed_.store(nullptr, std::memory_order_release);
  return true;
}

bool TuningService::Compile(TuningSlot& slot) {
  tuning::CandidateId id;
  ir::Config config;
  {
    std::lock_guard<std::mutex> lock(slot.mu_);
    if (!slot.tuner_ || slot.finished_) return false;
    const std::optional<tuning::CandidateId> next = slot.tuner_->NextToCompile();
    if (!next) return false;
    id = *next;
    config = slot.tuner_->config(id);
  }
  std::unique_ptr<ir::BoundKernel> owned;
  Result<ServingPlan> plan = slot.Bind(config, &owned);
  Status s = plan.status();
  if (s.ok()) {
    s = slot.req_.device->vtable->prepare(slot.req_.device, *plan->bound, plan->code_id,
                                          slot.req_.sample_args);
  }
  std::lock_guard<std::mutex> lock(slot.mu_);
  if (s.ok()) {
    if (owned) slot.uncached_.push_back(std::move(owned));
    slot.plans_[id] = *plan;
  } else {
    Log(*runtime_, HRT_LOG_LEVEL_DEBUG, [&] {
      return slot.req_.label + ": config " + config.ToString() +
             " failed to compile: " + s.message();
    });
  }
  slot.tuner_->ReportCompiled(id, s.ok());
  return true;
}

bool TuningService::FinishCheck(TuningSlot& slot, bool wait) {
  TuningSlot::PendingCheck check;
  std::vector<TuningSlot::Scratch> scratch;
  uint64_t ns = 0;
  Status timed;
  Device* device = slot.req_.device;
  {
    std::lock_guard<std::mutex> lock(slot.mu_);
    if (!slot.check_ || slot.check_->timer == nullptr) return false;
    timed = device->vtable->timer_elapsed(device, slot.check_->timer, wait, &ns);
    if (timed.code() == Code::kUnavailable && !wait) return false;
    check = *slot.check_;  // stays set: no other check starts while we compare
    scratch = slot.scratch_;
  }
  std::string mismatch;
  std::vector<uint8_t> want, got;
  for (size_t o = 0; o < slot.outputs_.size() && mismatch.empty(); ++o) {
    const uint64_t bytes = check.bytes[o];
    if (bytes == 0) continue;
    want.resize(bytes);
    got.resize(bytes);
    Status r = device->vtable->read(device, want.data(), scratch[o].served, bytes, nullptr);
    if (r.ok()) r = device->vtable->read(device, got.data(), scratch[o].candidate, bytes, nullptr);
    if (!r.ok()) {
      mismatch = "reading the outputs back failed: " + r.message();
      break;
    }
    mismatch = tuning::CompareOutputs(slot.outputs_[o].dtype, want, got);
    if (!mismatch.empty()) {
      mismatch = "output '" + slot.req_.kernel->params[slot.outputs_[o].arg].name + "' " + mismatch;
    }
  }
  std::lock_guard<std::mutex> lock(slot.mu_);
  if (timed.ok()) {
    slot.tuner_->Report(check.ticket, std::max<uint64_t>(ns, 1));
  } else {
    slot.tuner_->ReportLost(check.ticket);
  }
  slot.tuner_->ReportCheck(check.id, mismatch.empty());
  slot.free_timers_.push_back(check.timer);
  slot.check_.reset();
  if (!mismatch.empty()) {
    Log(*runtime_, HRT_LOG_LEVEL_WARNING, [&] {
      return slot.req_.label + ": config " + slot.tuner_->config(check.id).ToString() +
             " rejected, its result differs from config " +
             slot.tuner_->config(slot.tuner_->incumbent()).ToString() + "'s: " + mismatch;
    });
  }
  return true;
}

bool TuningService::GrowScratch(TuningSlot& slot) {
  std::vector<uint64_t> wanted;
  {
    std::lock_guard<std::mutex> lock(slot.mu_);
    if (!slot.tuner_ || slot.finished_ || slot.check_) return false;
    bool grow = false;
    for (size_t o = 0; o < slot.outputs_.size(); ++o) {
      grow |= slot.wanted_bytes_[o] > slot.scratch_[o].capacity;
    }
    if (!grow) return false;
    wanted = slot.wanted_bytes_;
  }
  Device* device = slot.req_.device;
  std::vector<TuningSlot::Scratch> fresh(wanted.size());
  bool ok = true;
  std::vector<uint8_t> pattern;
  for (size_t o = 0; o < wanted.size() && ok; ++o) {
    if (wanted[o] == 0) continue;
    TuningSlot::Scratch& f = fresh[o];
    ok = device->vtable->alloc(device, wanted[o], &f.served).ok() &&
         device->vtable->alloc(device, wanted[o], &f.candidate).ok() &&
         device->vtable->alloc(device, wanted[o], &f.init).ok();
    if (!ok) break;
    // NaN in every float dtype (all bits set); zeros where the result
    // depends on what the output held.
    pattern.assign(wanted[o], slot.outputs_[o].zero_init ? 0x00 : 0xFF);
    ok = device->vtable->write(device, f.init, pattern.data(), wanted[o], nullptr).ok();
    f.capacity = wanted[o];
  }
  std::vector<TuningSlot::Scratch> old;
  {
    std::lock_guard<std::mutex> lock(slot.mu_);
    if (ok && !slot.check_) {  // a check may have started on the old scratch meanwhile
      old = std::move(slot.scratch_);
      slot.scratch_ = std::move(fresh);
    } else {
      old = std::move(fresh);
    }
  }
  for (const TuningSlot::Scratch& s : old) FreeScratch(device, s);
  if (!ok) {
    // Out of memory for scratch: this slot never checks, so only configs
    // trusted from stored measurements compete.
    std::lock_guard<std::mutex> lock(slot.mu_);
    std::fill(slot.wanted_bytes_.begin(), slot.wanted_bytes_.end(), 0);
  }
  return ok;
}

void TuningService::Persist(TuningSlot& slot, bool flush) {
  std::vector<tuning::Measurement> ms;
  {
    std::lock_guard<std::mutex> lock(slot.mu_);
    if (!slot.tuner_) return;
    if (flush) slot.tuner_->FlushMeasurements();
    ms = slot.tuner_->TakeMeasurements();
  }
  if (ms.empty()) return;
  cache::Store* store = Store();
  if (store == nullptr) return;
  const Status s = tuning::AppendMeasurements(*store, slot.context_, ms);
  if (!s.ok()) {
    Log(*runtime_, HRT_LOG_LEVEL_WARNING,
        [&] { return slot.req_.label + ": storing tuning measurements failed: " + s.message(); });
    return;
  }
  std::lock_guard<std::mutex> lock(slot.mu_);
  slot.stored_records_ += ms.size();
}

bool TuningService::MaybeFinish(TuningSlot& slot) {
  std::vector<TuningSlot::Scratch> scratch;
  std::vector<DeviceTimer*> timers;
  std::string summary;
  {
    std::lock_guard<std::mutex> lock(slot.mu_);
    if (!slot.tuner_ || slot.finished_) return false;
    const tuning::TunerState st = slot.tuner_->state();
    if (st != tuning::TunerState::kDone && st != tuning::TunerState::kStopped) return false;
    if (!slot.timers_in_flight_.empty() || slot.check_) return false;
    Result<ServingPlan> plan = slot.PlanFor(slot.tuner_->incumbent());
    if (!plan.ok()) return false;
    slot.final_ = *plan;
    slot.finished_ = true;
    scratch = std::move(slot.scratch_);
    slot.scratch_.assign(slot.outputs_.size(), {});
    timers = std::move(slot.free_timers_);
    slot.free_timers_.clear();
    const tuning::TunerProgress p = slot.tuner_->Progress();
    summary = slot.req_.label + " " + slot.context_.bucket + ": tuned (" +
              tuning::TunerStateName(st) + ") to config " + plan->bound->config.ToString() + ", " +
              Micros(p.incumbent_median_ns) + " after " + std::to_string(p.calls) + " calls, " +
              std::to_string(p.candidate_runs) + " extra runs, overhead " + Micros(p.overhead_ns);
    slot.fixed_.store(&slot.final_, std::memory_order_release);
  }
  Persist(slot, false);
  Device* device = slot.req_.device;
  for (const TuningSlot::Scratch& s : scratch) FreeScratch(device, s);
  for (DeviceTimer* t : timers) device->vtable->timer_destroy(device, t);
  Log(*runtime_, HRT_LOG_LEVEL_INFO, [&] { return summary; });
  return true;
}

void TuningService::Release(TuningSlot& slot) {
  if (slot.tuner_started_) {
    {
      std::lock_guard<std::mutex> lock(slot.mu_);
      if (slot.tuner_) slot.PollTimers(true);
    }
    FinishCheck(slot, true);
    Persist(slot, /*flush=*/true);
  }
  Device* device = slot.req_.device;
  std::lock_guard<std::mutex> lock(slot.mu_);
  // The device may still be using scratch for a check whose timer failed:
  // wait for it before freeing.
  if (slot.check_) (void)device->vtable->synchronize(device, nullptr);
  for (const TuningSlot::Scratch& s : slot.scratch_) FreeScratch(device, s);
  slot.scratch_.clear();
  for (DeviceTimer* t : slot.free_timers_) device->vtable->timer_destroy(device, t);
  slot.free_timers_.clear();
  slot.check_.reset();
}

}  // namespace hrt::runtime
