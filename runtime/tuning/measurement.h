// One tuning measurement: what the tuner learned about one config, as it is
// persisted (records.h) and fed back to a later process's tuner.
#pragma once

#include <cstdint>
#include <vector>

#include "codegen/ir/bind.h"

namespace hrt::tuning {

// Values are part of the record format (records.h): append only.
enum class MeasurementKind : uint8_t {
  kMeasured = 1,       // timed; |samples_ns| holds the samples
  kCompileFailed = 2,  // the config did not compile: never try it again
  kCheckFailed = 3,    // its output differed from the reference config's
  kWinner = 4,         // the search ended and chose this config (with its samples)
};
inline constexpr uint8_t kMaxMeasurementKind = 4;

struct Measurement {
  MeasurementKind kind = MeasurementKind::kMeasured;
  ir::Config config;                 // the full config, pins included
  std::vector<uint64_t> samples_ns;  // device time per launch, oldest first
  friend bool operator==(const Measurement& a, const Measurement& b) {
    return a.kind == b.kind && a.config.entries == b.config.entries && a.samples_ns == b.samples_ns;
  }
};

}  // namespace hrt::tuning
