#include "runtime/launch_memo.h"

#include <bit>
#include <cstring>

namespace hrt::runtime {
namespace {

// The index of the tunable (0..T-1) or dtype parameter (T..T+D-1) named
// |name|, or -1.
int64_t ConfigSlot(const ir::Kernel& kernel, const char* name) {
  // The first character settles most mismatches without a call.
  for (size_t t = 0; t < kernel.tunables.size(); ++t) {
    const std::string& n = kernel.tunables[t].name;
    if (n[0] == name[0] && std::strcmp(n.c_str(), name) == 0) return static_cast<int64_t>(t);
  }
  for (size_t d = 0; d < kernel.dtype_params.size(); ++d) {
    const std::string& n = kernel.dtype_params[d].name;
    if (n[0] == name[0] && std::strcmp(n.c_str(), name) == 0) {
      return static_cast<int64_t>(kernel.tunables.size() + d);
    }
  }
  return -1;
}

// A size's word in the key under |shapes| (kExact or kBuckets). Sizes are
// >= 0 once the arguments are checked; a negative one only needs a word
// that differs from every valid one.
int64_t SizeWord(int64_t size, MemoShapes shapes) {
  return shapes == MemoShapes::kExact || size < 0 ? size
                                                  : std::bit_width(static_cast<uint64_t>(size));
}

}  // namespace

bool MemoKeyTensorsMatch(const MemoKey& key, size_t first, std::span<const hrt_arg_t> args,
                         MemoShapes shapes) {
  size_t n = first;
  for (const hrt_arg_t& arg : args) {
    if (arg.kind != HRT_ARG_KIND_TENSOR) continue;
    if (n >= key.count || key.words[n++] != arg.value.tensor.dtype) return false;
    if (shapes == MemoShapes::kNone) continue;
    const uint32_t rank = arg.value.tensor.rank;
    if (rank > HRT_MAX_RANK || n + rank > key.count) return false;
    for (uint32_t d = 0; d < rank; ++d) {
      if (key.words[n++] != SizeWord(arg.value.tensor.shape[d], shapes)) return false;
    }
  }
  return n == key.count;
}

uint64_t MemoKey::Hash() const {
  // FNV-1a over the words: keys are short and this runs on every launch.
  uint64_t h = 1469598103934665603ull ^ device;
  for (uint32_t i = 0; i < count; ++i) {
    h ^= static_cast<uint64_t>(words[i]);
    h *= 1099511628211ull;
  }
  return h ^ (h >> 29);
}

bool MakeMemoKey(const ir::Kernel& kernel, uint32_t device,
                 std::span<const hrt_config_entry_t> entries, std::span<const hrt_arg_t> args,
                 MemoShapes shapes, MemoKey* key) {
  key->device = device;
  const size_t config_words = kernel.tunables.size() + kernel.dtype_params.size();
  if (config_words > MemoKey::kMaxWords) return false;
  size_t n = config_words;
  for (size_t i = 0; i < n; ++i) key->words[i] = MemoKey::kUnset;
  size_t pinned_tunables = 0;
  for (const hrt_config_entry_t& e : entries) {
    if (e.name == nullptr) return false;
    const int64_t slot = ConfigSlot(kernel, e.name);
    if (slot < 0) return false;
    pinned_tunables += static_cast<size_t>(slot) < kernel.tunables.size() ? 1 : 0;
    int64_t& word = key->words[static_cast<size_t>(slot)];
    if (word != MemoKey::kUnset || e.value == MemoKey::kUnset) return false;  // repeated
    word = e.value;
  }
  // Buckets matter only to tuning, which needs an open tunable.
  if (shapes == MemoShapes::kBuckets && pinned_tunables == kernel.tunables.size()) {
    shapes = MemoShapes::kNone;
  }
  for (const hrt_arg_t& arg : args) {
    if (arg.kind != HRT_ARG_KIND_TENSOR) continue;
    if (n >= MemoKey::kMaxWords) return false;
    key->words[n++] = arg.value.tensor.dtype;
    if (shapes == MemoShapes::kNone) continue;
    const uint32_t rank = arg.value.tensor.rank;
    if (rank > HRT_MAX_RANK || n + rank > MemoKey::kMaxWords) return false;
    for (uint32_t d = 0; d < rank; ++d)
      key->words[n++] = SizeWord(arg.value.tensor.shape[d], shapes);
  }
  key->count = static_cast<uint32_t>(n);
  return true;
}

const MemoEntry* LaunchMemo::Find(const MemoKey& key) const {
  const size_t start = key.Hash() % kSlots;
  for (size_t i = 0; i < kSlots; ++i) {
    const MemoEntry* e = slots_[(start + i) % kSlots].load(std::memory_order_acquire);
    if (e == nullptr) return nullptr;
    if (e->key == key) return e;
  }
  return nullptr;
}

void LaunchMemo::Insert(const MemoEntry& entry) {
  std::lock_guard<std::mutex> lock(insert_mu_);
  const size_t start = entry.key.Hash() % kSlots;
  for (size_t i = 0; i < kSlots; ++i) {
    std::atomic<const MemoEntry*>& slot = slots_[(start + i) % kSlots];
    const MemoEntry* e = slot.load(std::memory_order_relaxed);
    if (e != nullptr) {
      if (e->key == entry.key) return;
      continue;
    }
    owned_.push_back(std::make_unique<MemoEntry>(entry));
    slot.store(owned_.back().get(), std::memory_order_release);
    return;
  }
}

}  // namespace hrt::runtime
