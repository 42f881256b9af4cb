// What a gated timer (cuda_timer.h) holds an idle stream with: a one-thread
// kernel that spins until the host has queued the timed work, so that the
// start timestamp, queued behind it, is taken when the work can begin
// rather than when the host began to queue it.
//
// The kernel polls a 32-bit word of pinned, device-mapped host memory until
// it reaches the value the host writes after queueing the stop, or until
// kTimeoutNs pass. The timeout is what makes holding a stream safe: the
// host may block between start and stop on something that waits for the
// device (lazy loading a function waits for the context to go idle; another
// thread's synchronize), and the kernel then gives up instead of waiting
// for a host that waits for it. Such a sample then includes host time, as
// an ungated one would.
//
// One gate per device: words come from pages of pinned memory allocated on
// first use, and the kernel's module is loaded then too.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "runtime/cuda/cuda_driver.h"
#include "runtime/cuda/cuda_module.h"

namespace hrt::cuda {

struct HostWord {
  uint32_t* host = nullptr;  // where the host stores
  CUdeviceptr device = 0;    // where the kernel reads the same word
};

class TimerGate {
 public:
  // Longest a hold lasts when the host never opens it.
  static constexpr uint64_t kTimeoutNs = 500'000;

  // |driver| must outlive the gate; |context| is where its memory and module
  // live (freed in the destructor).
  TimerGate(const Driver& driver, CUcontext context) : driver_(driver), context_(context) {}
  ~TimerGate();
  TimerGate(const TimerGate&) = delete;
  TimerGate& operator=(const TimerGate&) = delete;

  // A word set to 0, for one timer. kUnsupported when the driver lacks
  // cuMemHostAlloc, cuMemHostGetDevicePointer or cuStreamQuery; the driver's
  // error when it refuses the memory or the kernel.
  Result<HostWord> Acquire();
  // Gives |word| back; no queued hold may still read it.
  void Release(const HostWord& word);

  // True when |stream| has no work queued that has not completed: a start
  // timestamp queued now would be taken at once.
  bool Idle(CUstream stream) const;
  // Queues on |stream| a hold that ends once |word| reaches |value| (cyclic:
  // (int32_t)(word - value) >= 0) or after kTimeoutNs.
  Status Hold(CUstream stream, const HostWord& word, uint32_t value);
  // Ends the holds waiting for |value| or less on |word|.
  static void Open(const HostWord& word, uint32_t value);

 private:
  static constexpr size_t kWordsPerPage = 1024;  // one 4 KiB page
  struct Page {
    uint32_t* host = nullptr;
    CUdeviceptr device = 0;
  };
  Status LoadKernel();  // under mu_

  const Driver& driver_;
  CUcontext context_;
  std::mutex mu_;
  std::vector<Page> pages_;     // guarded by mu_
  std::vector<HostWord> free_;  // guarded by mu_
  Module module_;               // set once under mu_, before any word is handed out
  CUfunction kernel_ = nullptr;
};

}  // namespace hrt::cuda
