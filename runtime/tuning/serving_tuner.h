// Incremental tuning while serving (docs/tuning.md, "Serving integration").
//
// A TuningSlot drives one Tuner (tuner.h) for one launch key: a kernel on a
// device with one set of config entries and tensor dtypes, in one shape
// bucket (the launch memo's key, launch_memo.h, which carries the bucket for
// kernels with tunables). The launch path asks the slot to run each call;
// everything slow happens on the service's background thread:
//
//   launch thread (Launch)              worker thread (TuningService)
//   ------------------------------      ----------------------------------
//   converged: the winner, lock-free    build the search space, read the
//   searching: under the slot mutex,    stored measurements, seed the tuner
//     poll finished timers (no wait),   compile candidates (vtable prepare)
//     Tuner::Next(), launch its run     allocate scratch outputs
//     between a timer pair; a check:    compare a check's outputs once its
//     snapshot the outputs, run the     timer says the work is done
//     candidate into scratch            append measurements to the store
//                                       publish the winner when converged
//
// Checks: after the served run, both scratch copies of each written tensor
// (A and B) are reset from a template (NaN bytes; zeros for an output the
// kernel reads or accumulates into), the served config runs once more with
// A as its outputs and the candidate with B; A and B must then agree
// (CompareOutputs). Starting from the template rather than the outputs'
// last contents matters: a server repeating one input would otherwise leave
// the right answer in place, and a candidate that writes nothing would pass.
// Elements neither config writes stay equal. A call whose outputs overlap
// another tensor carries no check.
//
// Nothing on the launch path compiles (except a stored winner never loaded
// in this process, whose first launch loads it from the cache), allocates,
// or waits for the device.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "cache/store.h"
#include "codegen/ir/bind.h"
#include "runtime/backend.h"
#include "runtime/bound_kernel_cache.h"
#include "runtime/c_api.h"
#include "runtime/launch_memo.h"
#include "runtime/tuning/device_tuning.h"
#include "runtime/tuning/records.h"
#include "runtime/tuning/shape_bucket.h"
#include "runtime/tuning/tuner.h"

namespace hrt::runtime {

// hrt_runtime_options_t's tuning fields, resolved against the environment.
struct ServingTuningOptions {
  hrt_tuning_mode_t mode = HRT_TUNING_DEFAULT;  // DEFAULT, OFF or ON
  double budget_fraction = 0.10;
  // The store for measurements (as the devices' code cache).
  bool cache_enabled = true;
  std::string cache_dir;  // empty: the default location
};

// Reads $HELIONRT_TUNE and $HELIONRT_TUNE_BUDGET where |mode| and |budget|
// leave the choice to them (HRT_TUNING_DEFAULT, 0). kInvalidArgument for a
// value out of range or an environment variable that does not parse.
Result<ServingTuningOptions> ResolveServingTuningOptions(hrt_tuning_mode_t mode, double budget);

// What a slot serves: a bound kernel, with the device's generated code.
struct ServingPlan {
  const ir::BoundKernel* bound = nullptr;
  uint64_t code_id = 0;
};

// Everything the slow path knows when it creates a slot.
struct SlotRequest {
  const void* owner = nullptr;  // the kernel handle: RetireOwner drops its slots
  const ir::Kernel* kernel = nullptr;
  BoundKernelCache* bound_cache = nullptr;  // the kernel's
  MemoKey key;
  Device* device = nullptr;
  hrt_backend_t backend = HRT_BACKEND_CPU_REFERENCE;
  std::string arch, fingerprint;  // the device's (DeviceDesc)
  uint64_t code_id = 0;           // CodeId(module uid, 0)
  ir::Config pins;                // dtype values and the caller's tunable entries
  tuning::ShapeBucket bucket;
  ServingPlan heuristic;  // the config the launch resolved (kernel defaults)
  std::string label;      // "kernel 'rms_norm' on device 0", for logs
  // The arguments of the launch that made the slot: candidates' code is
  // prepared for arguments like them (a backend may specialize code to
  // their alignment and sizes: DeviceVTable::prepare). Never dereferenced.
  std::vector<hrt_arg_t> sample_args;
};

class TuningService;

class TuningSlot {
 public:
  // Runs one call. |args| passed the decision's argument checks.
  Status Launch(std::span<const hrt_arg_t> args, void* stream);
  // For hrt_kernel_get_tuning_status.
  void Describe(hrt_tuning_status_t* out) const;

 private:
  friend class TuningService;
  struct Output {
    uint32_t arg = 0;  // index in the launch's arguments
    ir::DType dtype = ir::DType::kF32;
    bool zero_init = false;  // the kernel reads or accumulates into it
  };
  struct Scratch {
    uint64_t served = 0, candidate = 0;  // A and B (file comment)
    uint64_t init = 0;                   // the template both start from
    uint64_t capacity = 0;
  };
  struct PendingTimer {
    uint64_t ticket = 0;
    DeviceTimer* timer = nullptr;
  };
  struct PendingCheck {
    tuning::CandidateId id = tuning::kNoCandidate;
    uint64_t ticket = 0;
    DeviceTimer* timer = nullptr;
    std::vector<uint64_t> bytes;  // per output, the extent compared
  };

  explicit TuningSlot(SlotRequest request);

  // Under mu_.
  Status LaunchSearching(std::span<const hrt_arg_t> args, void* stream);
  Status Timed(const ServingPlan& plan, std::span<const hrt_arg_t> args, void* stream,
               uint64_t ticket, bool is_check);
  void PollTimers(bool wait);
  // Whether this call can carry a check (fills |bytes|, one per output).
  bool CanCheck(std::span<const hrt_arg_t> args, std::span<uint64_t> bytes);
  // |config| bound through the kernel's cache; when the cache is full the
  // bound kernel comes back in |owned| (the caller keeps it in uncached_).
  Result<ServingPlan> Bind(const ir::Config& config, std::unique_ptr<ir::BoundKernel>* owned) const;
  // Under mu_: the plan of |id|, bound on first use.
  Result<ServingPlan> PlanFor(tuning::CandidateId id);
  Status Run(const ServingPlan& plan, std::span<const hrt_arg_t> args, void* stream) const;

  SlotRequest req_;
  std::vector<Output> outputs_;
  tuning::TuningContext context_;
  tuning::DeviceTuning device_tuning_;

  // Set while one plan serves every call (lock-free): the heuristic or a
  // stored winner before the search starts, the winner after; NULL while
  // searching.
  std::atomic<const ServingPlan*> fixed_{nullptr};
  ServingPlan initial_;  // what fixed_ points to before the search
  ServingPlan final_;    // ... and after it

  mutable std::mutex mu_;
  std::optional<tuning::Tuner> tuner_;                      // guarded by mu_
  std::vector<std::optional<ServingPlan>> plans_;           // per candidate; guarded by mu_
  std::vector<std::unique_ptr<ir::BoundKernel>> uncached_;  // plans the cache did not keep; mu_
  std::vector<DeviceTimer*> free_timers_;                   // guarded by mu_
  std::deque<PendingTimer> timers_in_flight_;               // guarded by mu_
  std::optional<PendingCheck> check_;                       // guarded by mu_
  std::vector<Scratch> scratch_;                            // per output; guarded by mu_
  std::vector<uint64_t> wanted_bytes_;                      // largest extents seen; mu_
  std::vector<hrt_arg_t> check_args_;                       // a check's arguments; mu_
  bool finished_ = false;                                   // guarded by mu_
  bool tuner_started_ = false;                              // the worker's only
  uint32_t seeded_ = 0;                                     // guarded by mu_
  uint64_t stored_records_ = 0;                             // guarded by mu_
  bool retired_ = false;                                    // guarded by TuningService::mu_
};

// One per runtime: the slots and the background thread that serves them.
class TuningService {
 public:
  TuningService(const hrt_runtime_t* runtime, ServingTuningOptions options);
  // Every owner must have been retired.
  ~TuningService();
  TuningService(const TuningService&) = delete;
  TuningService& operator=(const TuningService&) = delete;

  // Whether launches on a device of |backend| with |vtable| are tuned.
  bool EnabledFor(hrt_backend_t backend, const DeviceVTable& vtable) const;

  // The slot of |request|'s (owner, key), created (reading stored
  // measurements: a stored winner serves from this call) on first use.
  Result<TuningSlot*> GetSlot(SlotRequest request);
  // The slot of (owner, key) if there is one.
  TuningSlot* FindSlot(const void* owner, const MemoKey& key);

  // Ends the tuning of |owner|'s slots (its module is being destroyed): waits
  // for their outstanding device work, stores every measurement not stored
  // yet and releases their timers and scratch memory.
  void RetireOwner(const void* owner);

 private:
  // FindSlot's search; under mu_.
  TuningSlot* FindSlotLocked(const void* owner, const MemoKey& key) const;
  cache::Store* Store();
  void WorkerLoop();
  // One round of background work on |slot|; true when it did something.
  bool Step(TuningSlot& slot);
  bool Start(TuningSlot& slot);
  bool Compile(TuningSlot& slot);
  bool FinishCheck(TuningSlot& slot, bool wait);
  bool GrowScratch(TuningSlot& slot);
  // Appends the tuner's new measurements to the store; |flush| first
  // records samples of rungs still in progress (the slot is retiring).
  void Persist(TuningSlot& slot, bool flush);
  bool MaybeFinish(TuningSlot& slot);
  void Release(TuningSlot& slot);
  static void FreeScratch(Device* device, const TuningSlot::Scratch& s);

  const hrt_runtime_t* runtime_;
  ServingTuningOptions options_;

  std::mutex store_mu_;
  bool store_opened_ = false;            // guarded by store_mu_
  std::unique_ptr<cache::Store> store_;  // guarded by store_mu_ until opened

  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;                  // busy_ changed
  std::list<std::unique_ptr<TuningSlot>> slots_;  // guarded by mu_
  TuningSlot* busy_ = nullptr;                    // stepped by the worker now
  bool stop_ = false;
  std::thread worker_;  // started with the first slot
};

}  // namespace hrt::runtime
