// Incremental on-device tuning: which config runs each call (docs/tuning.md).
//
// A Tuner is the decision logic only. It owns no thread, no clock and no
// device: the launch path asks Next() what to run on each call and later
// feeds back what it observed; a background compiler asks NextToCompile().
// Given the same sequence of calls and reports it makes the same decisions.
//
//   Tuner::Next()            -> Decision: run |run| into the real outputs,
//                               time it when |ticket| != 0; when |check| is
//                               set, also run that candidate on the same
//                               inputs into scratch outputs, time it with
//                               |check_ticket| and compare the two outputs
//   Tuner::Report(ticket, ns)   device time of a timed run (any order, later)
//   Tuner::ReportCheck(id, ok)  the numerical comparison's verdict
//   Tuner::NextToCompile()      background compiler: which candidate next
//   Tuner::ReportCompiled(id, ok)
//   Tuner::TakeMeasurements()   new records to persist (records.h)
//
// The search: every candidate (the search space's configs) is compiled in
// the background, checked numerically once against the incumbent, then
// timed over real launches; successive halving over rungs of K, 2K, 4K, ...
// samples (median per candidate) keeps the best half each rung and stops when
// the best is clearly separated from the runner-up, one candidate is left, or
// the samples cap is reached. Overhead is paced: at any call n, the extra
// device time spent on candidates stays within budget_fraction of n times the
// incumbent's median (plus at most one run whose cost was not yet known).
//
// Not thread-safe: the caller serialises calls (one mutex per tuner).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/tuning/measurement.h"
#include "runtime/tuning/search_space.h"

namespace hrt::tuning {

// A config by its index in the tuner's SearchSpace.
using CandidateId = uint32_t;
inline constexpr CandidateId kNoCandidate = 0xFFFFFFFFu;

struct TunerOptions {
  // The off switch: when false, Next() always returns the heuristic config,
  // untimed, and nothing is compiled, measured or recorded.
  bool enabled = true;
  // Extra device time allowed, as a fraction of the incumbent's time over
  // the calls made so far (see the file comment). 0.10: at most 10% extra
  // over the first 1000 calls, or over any number of calls.
  double budget_fraction = 0.10;
  // K: samples per candidate in rung 0; rung r needs K * 2^r.
  uint32_t samples_per_rung = 5;
  // Cap on samples per candidate (the incumbent keeps its newest ones);
  // when a rung would need more, the search ends with the best median.
  uint32_t max_samples = 64;
  // Each rung keeps ceil(n / halving_factor) candidates, at least 2.
  uint32_t halving_factor = 2;
  // Separation and switching margin: a candidate replaces the incumbent
  // mid-rung only when its median is this much lower; the search stops when
  // the best median is this much lower than the runner-up's and their
  // interquartile ranges do not overlap.
  double min_margin = 0.02;
  // A candidate whose fastest sample is slower than the incumbent's median
  // by more than this fraction is dropped at once (no more samples)...
  double early_cut = 0.5;
  // ... once it has this many samples. A candidate's first timed run can
  // read slow: on the H100 every config of a 7 us rms_norm read 1.3-2x its
  // steady time on its first sample (after its check run; cause not
  // established), and judging on one sample cut the fastest config.
  uint32_t cut_after_samples = 2;
  // At most this many candidates compiled (or compiling) but not yet
  // checked, so the order of work can follow the incumbent as it moves.
  uint32_t max_compiles_ahead = 2;
  // At most this many candidate runs whose times are not yet reported.
  uint32_t max_in_flight = 4;
  // When nonzero, the search stops after this many calls even if it has not
  // converged; the incumbent stays and no winner is recorded (a later
  // process resumes from the stored measurements).
  uint64_t stop_after_calls = 0;
};

// kInvalidArgument naming the first out-of-range option.
Status ValidateTunerOptions(const TunerOptions& options);

// What the launch path does on one call.
struct Decision {
  CandidateId run = kNoCandidate;  // serves the call (the real outputs)
  uint64_t ticket = 0;             // nonzero: time |run|, then Report(ticket, ns)
  // A candidate to check: run it on the same inputs into scratch outputs,
  // compare with |run|'s outputs, then ReportCheck(check, equal); its time
  // goes to Report(check_ticket, ns).
  CandidateId check = kNoCandidate;
  uint64_t check_ticket = 0;
};

enum class TunerState : uint8_t {
  kDisabled,   // the off switch
  kWarmingUp,  // timing the incumbent; no budget accrues before it has a median
  kSearching,
  kPaused,   // the last call wanted a candidate run the budget did not allow
  kDone,     // converged (or nothing left to try): the incumbent is final
  kStopped,  // stop_after_calls reached before converging
};
const char* TunerStateName(TunerState state);

// For logs and `helionrt tune`.
struct TunerProgress {
  TunerState state = TunerState::kWarmingUp;
  uint32_t rung = 0;
  uint32_t rung_samples = 0;  // samples each candidate needs in this rung
  size_t candidates = 0;      // the space's size
  size_t alive = 0;           // still competing (incumbent included)
  size_t left = 0;            // alive ones that still need samples in this rung
  size_t rejected = 0;        // compile or check failures
  size_t cut = 0;             // dropped as far slower than the incumbent
  size_t eliminated = 0;      // halved out
  CandidateId incumbent = kNoCandidate;
  uint64_t incumbent_median_ns = 0;
  uint64_t calls = 0;
  uint64_t candidate_runs = 0;  // measurement and check runs issued
  uint64_t overhead_ns = 0;     // extra time charged (outstanding runs at their estimate)
  uint64_t allowance_ns = 0;    // budget_fraction * calls * incumbent median
};

// One line: "state=searching rung=1 (10 samples) alive=7/28 left=3 ...".
std::string ProgressToString(const TunerProgress& progress, const SearchSpace& space);

class Tuner {
 public:
  // The incumbent starts as |space|'s heuristic config. kInvalidArgument for
  // bad options or an empty space.
  static Result<Tuner> Create(SearchSpace space, TunerOptions options = {});

  // Seeds the search with measurements of an earlier process (records.h
  // loads them; measurements whose config is not in the space are skipped).
  // Only before the first Next(); returns how many were used. Per config the
  // measurement with the most samples counts (the last on ties); configs
  // with enough samples are not run again, failed ones never; the best
  // measured config (or the recorded winner, which also ends the search)
  // becomes the incumbent, so it serves call 1.
  size_t Seed(std::span<const Measurement> measurements);

  // The launch path, once per call. |allow_check| false: this call cannot
  // carry a check run (no scratch outputs yet, or the outputs alias the
  // inputs); measurement runs may still be picked.
  Decision Next(bool allow_check = true);
  // The background compiler: the next candidate to compile, or nullopt when
  // none is wanted now (ask again later). Report the outcome with
  // ReportCompiled.
  std::optional<CandidateId> NextToCompile();
  void ReportCompiled(CandidateId id, bool ok);
  // The verdict of a Decision's check.
  void ReportCheck(CandidateId id, bool passed);
  // The device time of a timed run. Unknown or repeated tickets are ignored.
  void Report(uint64_t ticket, uint64_t elapsed_ns);
  // The run of |ticket| was not timed after all (e.g. its event failed):
  // its estimated cost stays charged, no sample is taken.
  void ReportLost(uint64_t ticket);

  // Measurements not yet handed out, oldest first: a kMeasured record each
  // time a candidate completes a rung or is cut (cumulative samples), one
  // per failure, and a kWinner at the end.
  std::vector<Measurement> TakeMeasurements();
  // Adds a kMeasured record for every candidate whose samples are not all
  // recorded yet (mid-rung ones included), for TakeMeasurements: a process
  // that stops mid-search keeps everything it measured.
  void FlushMeasurements();

  TunerProgress Progress() const;
  TunerState state() const { return Progress().state; }
  CandidateId incumbent() const { return incumbent_; }
  const SearchSpace& space() const { return space_; }
  const ir::Config& config(CandidateId id) const { return space_.configs[id]; }
  const TunerOptions& options() const { return options_; }

 private:
  enum class Phase : uint8_t {
    kUntouched,   // not compiled in this process
    kCompiling,   // handed out by NextToCompile
    kCompiled,    // awaiting its check run
    kChecking,    // check run issued; awaiting the verdict
    kReady,       // may run (checked, or trusted from a record)
    kRejected,    // failed to compile or check: never runs
    kCut,         // far slower than the incumbent
    kEliminated,  // halved out
  };
  struct Candidate {
    Phase phase = Phase::kUntouched;
    bool trusted = false;           // passed a check, here or in a seeding process
    std::vector<uint64_t> samples;  // newest last, at most max_samples
    uint64_t median = 0;            // of |samples|; 0 when none (budget estimates)
    uint64_t score = 0;             // Score(samples): what candidates are ranked by
    uint64_t check_ns = 0;          // time of its check run; 0 when unknown
    uint32_t in_flight = 0;         // measurement runs not yet reported
    uint64_t total_samples = 0;     // ever added (seeded ones included)
    uint64_t emitted_at = 0;        // total_samples at the last kMeasured record
  };
  enum class RunKind : uint8_t { kServe, kMeasure, kCheck };
  struct Pending {
    CandidateId id = kNoCandidate;
    RunKind kind = RunKind::kServe;
    uint64_t charge = 0;    // estimated overhead, charged until reported
    uint64_t baseline = 0;  // incumbent median when issued (measure runs)
    bool unknown = false;   // issued without any timing of |id|
  };

  Tuner(SearchSpace space, TunerOptions options);

  bool Alive(const Candidate& c) const;
  bool Finished() const;
  uint32_t Target() const;
  uint64_t Distance(CandidateId a, CandidateId b) const;
  uint64_t Allowance() const;
  // Picks a candidate run for this call into |d| if one is due and the
  // budget allows; sets blocked_ when one is due but does not fit.
  void PickCandidateRun(Decision* d, bool allow_check);
  uint64_t Issue(CandidateId id, RunKind kind, uint64_t charge, bool unknown);
  void AddSample(CandidateId id, uint64_t ns);
  void SetSamples(CandidateId id, std::vector<uint64_t> samples);
  void MaybeCut(CandidateId id);
  void MaybeSwitch(CandidateId id);
  bool Separated(CandidateId best, CandidateId second) const;
  // Completes the rung when every alive candidate has its samples.
  void Advance();
  void EmitMeasured(CandidateId id);
  void Finish(CandidateId winner, TunerState state);

  SearchSpace space_;
  TunerOptions options_;
  std::vector<Candidate> cands_;
  CandidateId incumbent_ = 0;
  TunerState end_state_ = TunerState::kSearching;  // kDone / kStopped once over
  uint32_t rung_ = 0;
  uint64_t calls_ = 0;
  uint64_t candidate_runs_ = 0;
  uint64_t spent_ns_ = 0;     // overhead of reported (or lost) runs
  uint64_t inflight_ns_ = 0;  // estimated overhead of outstanding runs
  uint32_t candidate_in_flight_ = 0;
  bool unknown_in_flight_ = false;
  bool blocked_ = false;
  uint64_t next_ticket_ = 1;
  std::map<uint64_t, Pending> pending_;
  std::vector<Measurement> out_;
};

}  // namespace hrt::tuning
