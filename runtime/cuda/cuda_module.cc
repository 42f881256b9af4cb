#include "runtime/cuda/cuda_module.h"

#include <cstring>
#include <utility>

#include "runtime/cuda/cuda_context.h"

namespace hrt::cuda {
namespace {

// The text the driver wrote into a log buffer (NUL-terminated, or full).
std::string LogText(const std::vector<char>& buffer) {
  return std::string(buffer.data(), strnlen(buffer.data(), buffer.size()));
}

void* SizeOption(size_t n) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(n));
}

// Deletes a link state on every path out of LinkPtx.
class LinkGuard {
 public:
  LinkGuard(const Driver& driver, CUlinkState state) : driver_(driver), state_(state) {}
  ~LinkGuard() { (void)driver_.api().LinkDestroy(state_); }
  LinkGuard(const LinkGuard&) = delete;
  LinkGuard& operator=(const LinkGuard&) = delete;

 private:
  const Driver& driver_;
  CUlinkState state_;
};

}  // namespace

Result<LinkedPtx> LinkPtx(const Driver& driver, CUcontext context, std::string_view ptx,
                          std::string_view name) {
  ScopedContext scope(driver, context);
  HRT_RETURN_IF_ERROR(scope.status());
  const DriverApi& api = driver.api();

  std::vector<char> info_log(kJitLogBytes, '\0');
  std::vector<char> error_log(kJitLogBytes, '\0');
  CUjit_option options[] = {CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void* values[] = {info_log.data(), SizeOption(info_log.size() - 1), error_log.data(),
                    SizeOption(error_log.size() - 1)};
  constexpr unsigned kNumOptions = sizeof(options) / sizeof(options[0]);

  CUlinkState state = nullptr;
  HRT_RETURN_IF_ERROR(
      driver.Check(api.LinkCreate(kNumOptions, options, values, &state), "cuLinkCreate"));
  LinkGuard guard(driver, state);

  // The PTX must be NUL-terminated, with the terminator counted in the size.
  std::string text(ptx);
  const std::string entry_name(name.empty() ? "kernel.ptx" : name);
  auto with_log = [&](Status s) {
    const std::string log = LogText(error_log);
    if (!log.empty()) s = Status(s.code(), s.message() + "\nJIT error log:\n" + log);
    return s;
  };
  if (Status s = driver.Check(api.LinkAddData(state, CU_JIT_INPUT_PTX, text.data(), text.size() + 1,
                                              entry_name.c_str(), 0, nullptr, nullptr),
                              "cuLinkAddData(PTX '" + entry_name + "')");
      !s.ok()) {
    return with_log(std::move(s));
  }
  void* cubin = nullptr;
  size_t cubin_size = 0;
  if (Status s = driver.Check(api.LinkComplete(state, &cubin, &cubin_size), "cuLinkComplete");
      !s.ok()) {
    return with_log(std::move(s));
  }
  if (cubin == nullptr || cubin_size == 0) {
    return Status(Code::kDeviceError, "cuLinkComplete returned an empty cubin");
  }
  LinkedPtx out;
  // The cubin belongs to the link state: copy it before the guard deletes it.
  const auto* bytes = static_cast<const uint8_t*>(cubin);
  out.cubin.assign(bytes, bytes + cubin_size);
  out.info_log = LogText(info_log);
  return out;
}

Result<Module> Module::Load(const Driver& driver, CUcontext context,
                            std::span<const uint8_t> image) {
  if (image.empty()) return InvalidArgument("empty module image");
  ScopedContext scope(driver, context);
  HRT_RETURN_IF_ERROR(scope.status());
  Module m;
  HRT_RETURN_IF_ERROR(
      driver.Check(driver.api().ModuleLoadData(&m.module_, image.data()), "cuModuleLoadData"));
  m.driver_ = &driver;
  m.context_ = context;
  return m;
}

Module& Module::operator=(Module&& other) noexcept {
  if (this != &other) {
    Reset();
    driver_ = std::exchange(other.driver_, nullptr);
    context_ = std::exchange(other.context_, nullptr);
    module_ = std::exchange(other.module_, nullptr);
  }
  return *this;
}

void Module::Reset() {
  if (module_ == nullptr) return;
  ScopedContext scope(*driver_, context_);
  if (scope.status().ok()) (void)driver_->api().ModuleUnload(module_);
  module_ = nullptr;
}

Result<CUfunction> Module::GetFunction(const std::string& name) const {
  if (module_ == nullptr) return Status(Code::kFailedPrecondition, "module not loaded");
  CUfunction function = nullptr;
  HRT_RETURN_IF_ERROR(
      driver_->Check(driver_->api().ModuleGetFunction(&function, module_, name.c_str()),
                     "cuModuleGetFunction('" + name + "')"));
  return function;
}

}  // namespace hrt::cuda
