#include "runtime/cuda/cuda_timer_gate.h"

#include <atomic>
#include <cstring>

#include "runtime/cuda/cuda_context.h"

namespace hrt::cuda {
namespace {

// hrt_timer_gate(word, value, timeout_ns): spins until (int32_t)(*word -
// value) >= 0 or %globaltimer has advanced by timeout_ns. Volatile loads
// read the host's store through the mapping; nanosleep keeps the poll off
// the bus between reads. PTX 7.0 / sm_70 so that any driver we run on can
// JIT it.
constexpr char kGatePtx[] = R"(.version 7.0
.target sm_70
.address_size 64

.visible .entry hrt_timer_gate(
	.param .u64 word,
	.param .u32 value,
	.param .u64 timeout_ns
)
.maxntid 1, 1, 1
{
	.reg .pred 	%p<3>;
	.reg .b32 	%r<4>;
	.reg .b64 	%rd<6>;

	ld.param.u64 	%rd1, [word];
	ld.param.u32 	%r1, [value];
	ld.param.u64 	%rd2, [timeout_ns];
	mov.u64 	%rd3, %globaltimer;
WAIT:
	ld.volatile.global.u32 	%r2, [%rd1];
	sub.s32 	%r3, %r2, %r1;
	setp.ge.s32 	%p1, %r3, 0;
	@%p1 bra 	DONE;
	mov.u64 	%rd4, %globaltimer;
	sub.u64 	%rd5, %rd4, %rd3;
	setp.ge.u64 	%p2, %rd5, %rd2;
	@%p2 bra 	DONE;
	nanosleep.u32 	200;
	bra.uni 	WAIT;
DONE:
	ret;
}
)";

}  // namespace

TimerGate::~TimerGate() {
  if (pages_.empty()) return;
  ScopedContext scope(driver_, context_);
  if (!scope.status().ok()) return;
  for (const Page& p : pages_) (void)driver_.api().MemFreeHost(p.host);
}

Status TimerGate::LoadKernel() {
  if (kernel_ != nullptr) return Status::Ok();
  std::vector<uint8_t> image(sizeof kGatePtx);  // with the terminating NUL
  std::memcpy(image.data(), kGatePtx, sizeof kGatePtx);
  HRT_ASSIGN_OR_RETURN(Module module, Module::Load(driver_, context_, image));
  HRT_ASSIGN_OR_RETURN(const CUfunction kernel, module.GetFunction("hrt_timer_gate"));
  module_ = std::move(module);
  kernel_ = kernel;
  return Status::Ok();
}

Result<HostWord> TimerGate::Acquire() {
  const DriverApi& api = driver_.api();
  if (api.MemHostAlloc == nullptr || api.MemFreeHost == nullptr ||
      api.MemHostGetDevicePointer == nullptr || api.StreamQuery == nullptr) {
    return Status(Code::kUnsupported,
                  "the CUDA driver lacks cuMemHostAlloc, cuMemHostGetDevicePointer or "
                  "cuStreamQuery");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (free_.empty()) {
    ScopedContext scope(driver_, context_);
    HRT_RETURN_IF_ERROR(scope.status());
    HRT_RETURN_IF_ERROR(LoadKernel());
    void* host = nullptr;
    HRT_RETURN_IF_ERROR(
        driver_.Check(api.MemHostAlloc(&host, kWordsPerPage * sizeof(uint32_t),
                                       CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP),
                      "cuMemHostAlloc"));
    CUdeviceptr device = 0;
    const Status mapped =
        driver_.Check(api.MemHostGetDevicePointer(&device, host, 0), "cuMemHostGetDevicePointer");
    if (!mapped.ok()) {
      (void)api.MemFreeHost(host);
      return mapped;
    }
    const Page page{static_cast<uint32_t*>(host), device};
    pages_.push_back(page);
    for (size_t i = kWordsPerPage; i-- > 0;) {
      free_.push_back(HostWord{page.host + i, page.device + i * sizeof(uint32_t)});
    }
  }
  const HostWord word = free_.back();
  free_.pop_back();
  std::atomic_ref<uint32_t>(*word.host).store(0, std::memory_order_release);
  return word;
}

void TimerGate::Release(const HostWord& word) {
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(word);
}

bool TimerGate::Idle(CUstream stream) const {
  return driver_.api().StreamQuery(stream) == CUDA_SUCCESS;
}

Status TimerGate::Hold(CUstream stream, const HostWord& word, uint32_t value) {
  CUdeviceptr address = word.device;
  uint64_t timeout = kTimeoutNs;
  void* params[] = {&address, &value, &timeout};
  return driver_.Check(
      driver_.api().LaunchKernel(kernel_, 1, 1, 1, 1, 1, 1, 0, stream, params, nullptr),
      "cuLaunchKernel(hrt_timer_gate)");
}

void TimerGate::Open(const HostWord& word, uint32_t value) {
  std::atomic_ref<uint32_t>(*word.host).store(value, std::memory_order_release);
}

}  // namespace hrt::cuda
