// The launch fast path's memory: what a kernel's earlier launches decided
// (bound kernel, device, selected bundle variant), keyed by everything the
// decision depends on, so a repeated launch skips config resolution,
// selection and binding, takes no lock and allocates nothing.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "codegen/ir/ir.h"
#include "runtime/backend.h"
#include "runtime/c_api.h"
#include "runtime/launch_args.h"

namespace hrt::runtime {

// Which shape facts a kernel's launch decisions depend on.
enum class MemoShapes : uint8_t {
  kNone,     // none: no tunables, no shape rules
  kBuckets,  // the tuning shape bucket (tuning/shape_bucket.h): each size's
             // power-of-two range, as std::bit_width(size); none when the
             // entries pin every tunable (nothing to tune)
  kExact,    // each size: bundle variants with shape rules
};

// What a launch's decision depends on, in a canonical order: the device;
// per tunable and dtype parameter (kernel order) the caller's config value
// or kUnset; each tensor argument's dtype; and, per MemoShapes, each
// tensor dimension's size or its bucket.
struct MemoKey {
  static constexpr size_t kMaxWords = 64;
  static constexpr int64_t kUnset = INT64_MIN;

  uint32_t device = 0;
  uint32_t count = 0;
  // Only the first |count| are meaningful; not zeroed on construction (the
  // launch path builds a key per launch). ClearTail() before copying a key.
  std::array<int64_t, kMaxWords> words;

  void ClearTail() {
    for (size_t i = count; i < kMaxWords; ++i) words[i] = 0;
  }

  uint64_t Hash() const;
  friend bool operator==(const MemoKey& a, const MemoKey& b) {
    if (a.device != b.device || a.count != b.count) return false;
    for (uint32_t i = 0; i < a.count; ++i) {
      if (a.words[i] != b.words[i]) return false;
    }
    return true;
  }
};

// Builds the key of a launch of |kernel| with |entries| and |args| (which
// passed CheckArgs). Returns false, leaving the launch to the slow path (which
// reports any error), when a config entry names nothing of the kernel or is
// repeated, or the key does not fit kMaxWords. Does not allocate.
bool MakeMemoKey(const ir::Kernel& kernel, uint32_t device,
                 std::span<const hrt_config_entry_t> entries, std::span<const hrt_arg_t> args,
                 MemoShapes shapes, MemoKey* key);

class TuningSlot;  // tuning/serving_tuner.h

// Whether the tensor words of |key|, from word |first| (after the config
// words), are those |args| would give under |shapes|: the same dtypes and,
// unless kNone, the same sizes or buckets. Does not allocate.
bool MemoKeyTensorsMatch(const MemoKey& key, size_t first, std::span<const hrt_arg_t> args,
                         MemoShapes shapes);

// A decision: run |bound| on |device|, with |code| when a bundle variant was
// selected (else code generation, |code_id| naming the module's generated
// code); or, when |tuning| is set, whatever that slot's tuner decides
// (|bound| is then the heuristic config, whose argument checks every
// candidate shares).
struct MemoEntry {
  MemoKey key;
  const ir::BoundKernel* bound = nullptr;
  ArgCheckPlan checks;  // of |bound|
  Device* device = nullptr;
  uint64_t code_id = 0;
  std::optional<LaunchCode> code;
  TuningSlot* tuning = nullptr;  // owned by the runtime's TuningService
};

class LaunchMemo {
 public:
  // Entries beyond this are not remembered (those launches take the slow
  // path), so memory stays bounded whatever a caller cycles through.
  static constexpr size_t kSlots = 64;

  // The entry for |key|, or NULL. Lock-free; entries never change or go away
  // while the memo lives.
  const MemoEntry* Find(const MemoKey& key) const;
  // Remembers |entry| unless an equal key is there or the memo is full.
  void Insert(const MemoEntry& entry);

 private:
  std::array<std::atomic<const MemoEntry*>, kSlots> slots_{};
  std::mutex insert_mu_;
  std::vector<std::unique_ptr<MemoEntry>> owned_;  // guarded by insert_mu_
};

}  // namespace hrt::runtime
