#include "runtime/tuning/tuner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "runtime/tuning/sample_stats.h"

namespace hrt::tuning {
namespace {

// Incumbent runs timed but not yet reported, at most: a launch path that
// stops reporting must not make the tuner grow without bound.
constexpr uint32_t kMaxServeInFlight = 256;

}  // namespace

Status ValidateTunerOptions(const TunerOptions& o) {
  auto bad = [](const std::string& what) { return InvalidArgument("tuner options: " + what); };
  if (!(o.budget_fraction >= 0.0 && o.budget_fraction <= 10.0)) {
    return bad("budget_fraction must be in [0, 10]");
  }
  if (o.samples_per_rung < 1 || o.samples_per_rung > 1024) {
    return bad("samples_per_rung must be in [1, 1024]");
  }
  if (o.max_samples < o.samples_per_rung || o.max_samples > 1024) {
    return bad("max_samples must be in [samples_per_rung, 1024]");
  }
  if (o.halving_factor < 2 || o.halving_factor > 64)
    return bad("halving_factor must be in [2, 64]");
  if (!(o.min_margin >= 0.0 && o.min_margin < 1.0)) return bad("min_margin must be in [0, 1)");
  if (!(o.early_cut > 0.0 && o.early_cut <= 1000.0)) return bad("early_cut must be in (0, 1000]");
  if (o.cut_after_samples == 0 || o.cut_after_samples > o.max_samples) {
    return bad("cut_after_samples must be in [1, max_samples]");
  }
  if (o.max_compiles_ahead < 1) return bad("max_compiles_ahead must be >= 1");
  if (o.max_in_flight < 1) return bad("max_in_flight must be >= 1");
  return Status::Ok();
}

const char* TunerStateName(TunerState state) {
  switch (state) {
    case TunerState::kDisabled: return "disabled";
    case TunerState::kWarmingUp: return "warming-up";
    case TunerState::kSearching: return "searching";
    case TunerState::kPaused: return "paused";
    case TunerState::kDone: return "done";
    case TunerState::kStopped: return "stopped";
  }
  return "?";
}

std::string ProgressToString(const TunerProgress& p, const SearchSpace& space) {
  const double pct =
      p.allowance_ns == 0 || p.calls == 0 || p.incumbent_median_ns == 0
          ? 0.0
          : 100.0 * static_cast<double>(p.overhead_ns) /
                (static_cast<double>(p.calls) * static_cast<double>(p.incumbent_median_ns));
  char numbers[64];
  std::snprintf(numbers, sizeof(numbers), "%.1f%%", pct);
  const std::string best = p.incumbent < space.size() ? space.configs[p.incumbent].ToString() : "?";
  return std::string("state=") + TunerStateName(p.state) + " rung=" + std::to_string(p.rung) +
         " (" + std::to_string(p.rung_samples) + " samples) alive=" + std::to_string(p.alive) +
         "/" + std::to_string(p.candidates) + " left=" + std::to_string(p.left) +
         " rejected=" + std::to_string(p.rejected) + " cut=" + std::to_string(p.cut) +
         " best=" + best + " (" + std::to_string(p.incumbent_median_ns) +
         " ns) calls=" + std::to_string(p.calls) +
         " candidate_runs=" + std::to_string(p.candidate_runs) +
         " overhead=" + std::to_string(p.overhead_ns) + " ns (" + numbers + " of incumbent time)";
}

Result<Tuner> Tuner::Create(SearchSpace space, TunerOptions options) {
  HRT_RETURN_IF_ERROR(ValidateTunerOptions(options));
  if (space.configs.empty() || space.heuristic >= space.configs.size() ||
      space.coords.size() != space.configs.size() || space.configs.size() >= kNoCandidate) {
    return InvalidArgument("tuner: the search space is empty or inconsistent");
  }
  return Tuner(std::move(space), options);
}

Tuner::Tuner(SearchSpace space, TunerOptions options)
    : space_(std::move(space)), options_(options), cands_(space_.configs.size()) {
  incumbent_ = static_cast<CandidateId>(space_.heuristic);
  // The heuristic is the reference: the launch path compiles it on call 1.
  cands_[incumbent_].phase = Phase::kReady;
  cands_[incumbent_].trusted = true;
  if (!options_.enabled) end_state_ = TunerState::kDisabled;
}

bool Tuner::Alive(const Candidate& c) const {
  return c.phase != Phase::kRejected && c.phase != Phase::kCut && c.phase != Phase::kEliminated;
}

bool Tuner::Finished() const {
  return end_state_ != TunerState::kSearching;
}

uint32_t Tuner::Target() const {
  const uint64_t t =
      rung_ >= 20 ? options_.max_samples : uint64_t{options_.samples_per_rung} << rung_;
  return static_cast<uint32_t>(std::min<uint64_t>(t, options_.max_samples));
}

uint64_t Tuner::Distance(CandidateId a, CandidateId b) const {
  const auto& x = space_.coords[a];
  const auto& y = space_.coords[b];
  uint64_t d = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i)
    d += x[i] > y[i] ? x[i] - y[i] : y[i] - x[i];
  return d;
}

uint64_t Tuner::Allowance() const {
  const double a = options_.budget_fraction * static_cast<double>(calls_) *
                   static_cast<double>(cands_[incumbent_].median);
  return a >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(a);
}

size_t Tuner::Seed(std::span<const Measurement> measurements) {
  if (calls_ != 0 || !options_.enabled) return 0;
  size_t used = 0;
  CandidateId winner = kNoCandidate;
  for (const Measurement& m : measurements) {
    const size_t found = space_.Find(m.config);
    if (found == SearchSpace::npos) continue;
    const auto id = static_cast<CandidateId>(found);
    Candidate& c = cands_[id];
    ++used;
    switch (m.kind) {
      case MeasurementKind::kCompileFailed:
      case MeasurementKind::kCheckFailed:
        // The heuristic is the reference and always runs.
        if (id != space_.heuristic) c.phase = Phase::kRejected;
        break;
      case MeasurementKind::kWinner: winner = id; [[fallthrough]];
      case MeasurementKind::kMeasured:
        if (!m.samples_ns.empty() && m.samples_ns.size() >= c.samples.size() &&
            c.phase != Phase::kRejected) {
          SetSamples(id, m.samples_ns);
          c.trusted = true;
          c.emitted_at = c.total_samples;
        }
        break;
    }
  }
  if (winner != kNoCandidate && cands_[winner].phase != Phase::kRejected) {
    incumbent_ = winner;
    cands_[winner].phase = Phase::kReady;
    end_state_ = TunerState::kDone;
    return used;
  }
  // The best measured config serves call 1 (the heuristic when it is best
  // or nothing was measured).
  CandidateId best = incumbent_;
  for (CandidateId id = 0; id < cands_.size(); ++id) {
    const Candidate& c = cands_[id];
    if (c.phase == Phase::kRejected || c.samples.empty()) continue;
    const Candidate& b = cands_[best];
    if (b.samples.empty() || c.score < b.score) best = id;
  }
  incumbent_ = best;
  cands_[best].phase = Phase::kReady;
  for (CandidateId id = 0; id < cands_.size(); ++id) MaybeCut(id);
  Advance();
  return used;
}

Decision Tuner::Next(bool allow_check) {
  ++calls_;
  Decision d;
  d.run = incumbent_;
  if (!options_.enabled) {
    d.run = static_cast<CandidateId>(space_.heuristic);
    return d;
  }
  if (!Finished() && options_.stop_after_calls != 0 && calls_ > options_.stop_after_calls) {
    Finish(incumbent_, TunerState::kStopped);
  }
  if (Finished()) return d;
  blocked_ = false;
  PickCandidateRun(&d, allow_check);
  if (d.ticket == 0 && pending_.size() - candidate_in_flight_ < kMaxServeInFlight) {
    d.ticket = Issue(d.run, RunKind::kServe, 0, false);
  }
  return d;
}

void Tuner::PickCandidateRun(Decision* d, bool allow_check) {
  const uint64_t inc = cands_[incumbent_].median;
  if (inc == 0 || candidate_in_flight_ >= options_.max_in_flight) return;
  const uint64_t allowance = Allowance();
  const uint32_t target = Target();
  auto fits = [&](uint64_t charge) { return spent_ns_ + inflight_ns_ + charge <= allowance; };

  // A measurement run: the ready candidate with the fewest samples (nearest
  // the incumbent, then lowest id, on ties) still short of the rung's target.
  CandidateId pick = kNoCandidate;
  for (CandidateId id = 0; id < cands_.size(); ++id) {
    const Candidate& c = cands_[id];
    if (id == incumbent_ || c.phase != Phase::kReady || c.samples.size() + c.in_flight >= target) {
      continue;
    }
    if (pick == kNoCandidate) {
      pick = id;
      continue;
    }
    const Candidate& p = cands_[pick];
    const size_t have = c.samples.size() + c.in_flight;
    const size_t have_p = p.samples.size() + p.in_flight;
    if (have < have_p ||
        (have == have_p && Distance(id, incumbent_) < Distance(pick, incumbent_))) {
      pick = id;
    }
  }
  if (pick != kNoCandidate) {
    const Candidate& c = cands_[pick];
    const uint64_t estimate = c.median != 0 ? c.median : c.check_ns;
    const bool unknown = estimate == 0;
    if (unknown && unknown_in_flight_) return;
    // It replaces an incumbent run: only the difference is extra. Unknown
    // cost: assume twice the incumbent's time.
    const uint64_t charge = unknown ? inc : (estimate > inc ? estimate - inc : 0);
    if (!fits(charge)) {
      blocked_ = true;
      return;
    }
    d->run = pick;
    d->ticket = Issue(pick, RunKind::kMeasure, charge, unknown);
    Pending& p = pending_[d->ticket];
    p.baseline = inc;
    ++cands_[pick].in_flight;
    return;
  }

  // A check run: a compiled, unchecked candidate (nearest the incumbent).
  // Its cost is never known yet, so one at a time; it is an extra launch,
  // charged in full, estimated at the incumbent's time.
  if (!allow_check || unknown_in_flight_) return;
  for (CandidateId id = 0; id < cands_.size(); ++id) {
    if (cands_[id].phase != Phase::kCompiled) continue;
    if (pick == kNoCandidate || Distance(id, incumbent_) < Distance(pick, incumbent_)) pick = id;
  }
  if (pick == kNoCandidate) return;
  if (!fits(inc)) {
    blocked_ = true;
    return;
  }
  cands_[pick].phase = Phase::kChecking;
  d->check = pick;
  d->check_ticket = Issue(pick, RunKind::kCheck, inc, true);
}

uint64_t Tuner::Issue(CandidateId id, RunKind kind, uint64_t charge, bool unknown) {
  const uint64_t ticket = next_ticket_++;
  pending_[ticket] = Pending{id, kind, charge, 0, unknown};
  if (kind != RunKind::kServe) {
    ++candidate_runs_;
    ++candidate_in_flight_;
    inflight_ns_ += charge;
    if (unknown) unknown_in_flight_ = true;
  }
  return ticket;
}

std::optional<CandidateId> Tuner::NextToCompile() {
  if (!options_.enabled || Finished()) return std::nullopt;
  uint32_t ahead = 0;
  for (const Candidate& c : cands_) {
    ahead +=
        c.phase == Phase::kCompiling || c.phase == Phase::kCompiled || c.phase == Phase::kChecking;
  }
  if (ahead >= options_.max_compiles_ahead) return std::nullopt;
  const uint32_t target = Target();
  CandidateId pick = kNoCandidate;
  for (CandidateId id = 0; id < cands_.size(); ++id) {
    const Candidate& c = cands_[id];
    if (c.phase != Phase::kUntouched || c.samples.size() >= target) continue;
    if (pick == kNoCandidate || Distance(id, incumbent_) < Distance(pick, incumbent_)) pick = id;
  }
  if (pick == kNoCandidate) return std::nullopt;
  cands_[pick].phase = Phase::kCompiling;
  return pick;
}

void Tuner::ReportCompiled(CandidateId id, bool ok) {
  if (id >= cands_.size() || cands_[id].phase != Phase::kCompiling) return;
  Candidate& c = cands_[id];
  if (!ok) {
    c.phase = Phase::kRejected;
    out_.push_back({MeasurementKind::kCompileFailed, space_.configs[id], {}});
  } else {
    // A config checked by an earlier process (same codegen) is not checked again.
    c.phase = c.trusted ? Phase::kReady : Phase::kCompiled;
  }
  Advance();
}

void Tuner::ReportCheck(CandidateId id, bool passed) {
  if (id >= cands_.size() || cands_[id].phase != Phase::kChecking) return;
  Candidate& c = cands_[id];
  if (!passed) {
    c.phase = Phase::kRejected;
    out_.push_back({MeasurementKind::kCheckFailed, space_.configs[id], {}});
  } else {
    c.phase = Phase::kReady;
    c.trusted = true;
  }
  Advance();
}

void Tuner::Report(uint64_t ticket, uint64_t elapsed_ns) {
  const auto it = pending_.find(ticket);
  if (it == pending_.end()) return;
  const Pending p = it->second;
  pending_.erase(it);
  const uint64_t ns = std::max<uint64_t>(elapsed_ns, 1);  // 0 means "none" below
  Candidate& c = cands_[p.id];
  if (p.kind != RunKind::kServe) {
    inflight_ns_ -= p.charge;
    --candidate_in_flight_;
    if (p.unknown) unknown_in_flight_ = false;
  }
  switch (p.kind) {
    case RunKind::kServe: AddSample(p.id, ns); break;
    case RunKind::kMeasure:
      spent_ns_ += ns > p.baseline ? ns - p.baseline : 0;
      --c.in_flight;
      if (c.phase == Phase::kReady) {
        AddSample(p.id, ns);
        MaybeCut(p.id);
      }
      break;
    case RunKind::kCheck:
      spent_ns_ += ns;
      c.check_ns = ns;
      break;
  }
  if (Finished()) return;
  MaybeSwitch(p.id);
  Advance();
}

void Tuner::ReportLost(uint64_t ticket) {
  const auto it = pending_.find(ticket);
  if (it == pending_.end()) return;
  const Pending p = it->second;
  pending_.erase(it);
  if (p.kind == RunKind::kServe) return;
  inflight_ns_ -= p.charge;
  spent_ns_ += p.charge;
  --candidate_in_flight_;
  if (p.unknown) unknown_in_flight_ = false;
  if (p.kind == RunKind::kMeasure) --cands_[p.id].in_flight;
}

void Tuner::AddSample(CandidateId id, uint64_t ns) {
  Candidate& c = cands_[id];
  c.samples.push_back(ns);
  if (c.samples.size() > options_.max_samples) c.samples.erase(c.samples.begin());
  ++c.total_samples;
  c.median = Median(c.samples);
  c.score = Score(c.samples);
}

void Tuner::SetSamples(CandidateId id, std::vector<uint64_t> samples) {
  Candidate& c = cands_[id];
  if (samples.size() > options_.max_samples) {
    samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(
                                                         samples.size() - options_.max_samples));
  }
  for (uint64_t& s : samples) s = std::max<uint64_t>(s, 1);
  c.samples = std::move(samples);
  c.total_samples = c.samples.size();
  c.median = Median(c.samples);
  c.score = Score(c.samples);
}

void Tuner::MaybeCut(CandidateId id) {
  Candidate& c = cands_[id];
  const uint64_t inc = cands_[incumbent_].score;
  if (id == incumbent_ || !Alive(c) || c.samples.empty() || inc == 0) return;
  if (c.samples.size() < options_.cut_after_samples) return;
  const uint64_t fastest = *std::min_element(c.samples.begin(), c.samples.end());
  if (static_cast<double>(fastest) > (1.0 + options_.early_cut) * static_cast<double>(inc)) {
    c.phase = Phase::kCut;
    EmitMeasured(id);
  }
}

void Tuner::MaybeSwitch(CandidateId id) {
  const Candidate& c = cands_[id];
  if (id == incumbent_ || c.phase != Phase::kReady || !c.trusted ||
      c.samples.size() < options_.samples_per_rung) {
    return;
  }
  const double inc = static_cast<double>(cands_[incumbent_].score);
  if (static_cast<double>(c.score) < inc * (1.0 - options_.min_margin)) incumbent_ = id;
}

bool Tuner::Separated(CandidateId best, CandidateId second) const {
  const Candidate& b = cands_[best];
  const Candidate& s = cands_[second];
  const bool margin =
      static_cast<double>(s.score) >= static_cast<double>(b.score) * (1.0 + options_.min_margin);
  return margin && Quantile(b.samples, 0.75) < Quantile(s.samples, 0.25);
}

void Tuner::Advance() {
  if (Finished()) return;
  const uint32_t target = Target();
  std::vector<CandidateId> alive;
  for (CandidateId id = 0; id < cands_.size(); ++id) {
    const Candidate& c = cands_[id];
    if (!Alive(c)) continue;
    if (c.samples.size() < target) return;  // the rung is not complete
    // A seeded candidate with enough samples may stay uncompiled.
    if (c.phase != Phase::kReady && c.phase != Phase::kUntouched) return;
    alive.push_back(id);
  }
  for (CandidateId id : alive) EmitMeasured(id);
  std::stable_sort(alive.begin(), alive.end(),
                   [&](CandidateId a, CandidateId b) { return cands_[a].score < cands_[b].score; });
  incumbent_ = alive[0];
  // An uncompiled seeded winner is compiled by the launch path on its next
  // call, like the heuristic on call 1.
  cands_[incumbent_].phase = Phase::kReady;
  if (alive.size() == 1 || Separated(alive[0], alive[1]) || target >= options_.max_samples) {
    Finish(alive[0], TunerState::kDone);
    return;
  }
  const size_t f = options_.halving_factor;
  const size_t keep = std::max<size_t>(2, (alive.size() + f - 1) / f);
  for (size_t i = keep; i < alive.size(); ++i) cands_[alive[i]].phase = Phase::kEliminated;
  ++rung_;
  // A rung can be complete at once (seeded samples): check again.
  Advance();
}

void Tuner::EmitMeasured(CandidateId id) {
  Candidate& c = cands_[id];
  if (c.total_samples == c.emitted_at || c.samples.empty()) return;
  c.emitted_at = c.total_samples;
  out_.push_back({MeasurementKind::kMeasured, space_.configs[id], c.samples});
}

void Tuner::Finish(CandidateId winner, TunerState state) {
  for (CandidateId id = 0; id < cands_.size(); ++id) EmitMeasured(id);
  incumbent_ = winner;
  end_state_ = state;
  if (state == TunerState::kDone) {
    out_.push_back({MeasurementKind::kWinner, space_.configs[winner], cands_[winner].samples});
  }
}

void Tuner::FlushMeasurements() {
  for (CandidateId id = 0; id < cands_.size(); ++id) EmitMeasured(id);
}

std::vector<Measurement> Tuner::TakeMeasurements() {
  std::vector<Measurement> taken;
  taken.swap(out_);
  return taken;
}

TunerProgress Tuner::Progress() const {
  TunerProgress p;
  p.rung = rung_;
  p.rung_samples = Target();
  p.candidates = cands_.size();
  const uint32_t target = Target();
  for (const Candidate& c : cands_) {
    if (Alive(c)) {
      ++p.alive;
      p.left += c.samples.size() < target;
    }
    p.rejected += c.phase == Phase::kRejected;
    p.cut += c.phase == Phase::kCut;
    p.eliminated += c.phase == Phase::kEliminated;
  }
  if (!options_.enabled) {
    p.incumbent = static_cast<CandidateId>(space_.heuristic);
  } else {
    p.incumbent = incumbent_;
  }
  p.incumbent_median_ns = cands_[p.incumbent].median;
  p.calls = calls_;
  p.candidate_runs = candidate_runs_;
  p.overhead_ns = spent_ns_ + inflight_ns_;
  p.allowance_ns = Allowance();
  if (Finished()) {
    p.state = end_state_;
  } else if (p.incumbent_median_ns == 0) {
    p.state = TunerState::kWarmingUp;
  } else {
    p.state = blocked_ ? TunerState::kPaused : TunerState::kSearching;
  }
  return p;
}

}  // namespace hrt::tuning
