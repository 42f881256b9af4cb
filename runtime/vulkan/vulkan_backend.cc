// Probing the loader, the factory, and VulkanDevice behind the runtime's
// Device vtable.
#include "runtime/vulkan/vulkan_backend.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <type_traits>

#include "runtime/vulkan/vulkan_api.h"

#if HRT_HAVE_VULKAN
#include "runtime/vulkan/vulkan_device.h"
#include "runtime/vulkan/vulkan_device_info.h"
#include "runtime/vulkan/vulkan_instance.h"
#endif

namespace hrt::vulkan {
namespace {

#if HRT_HAVE_VULKAN

struct RuntimeDevice {
  runtime::Device base;  // must be first
  VulkanDevice* device;
};
static_assert(std::is_standard_layout_v<RuntimeDevice> && offsetof(RuntimeDevice, base) == 0);

const runtime::DeviceVTable kRuntimeDeviceVTable = {
    .destroy =
        [](runtime::Device* device) {
          auto* d = reinterpret_cast<RuntimeDevice*>(device);
          delete d->device;
          delete d;
        },
    .launch =
        [](runtime::Device* device, const ir::BoundKernel& kernel, std::span<const hrt_arg_t> args,
           void* stream, uint64_t code_id, const runtime::LaunchCode* code, const uint32_t* grid) {
          return reinterpret_cast<RuntimeDevice*>(device)->device->LaunchBound(
              kernel, args, static_cast<VkCommandBuffer>(stream), code_id, code, grid);
        },
    .describe_code =
        [](runtime::Device* device, const ir::BoundKernel& kernel, uint64_t code_id,
           const runtime::LaunchCode* /*code*/, std::span<const hrt_arg_t> /*args*/) {
          return reinterpret_cast<RuntimeDevice*>(device)->device->DescribeCode(kernel, code_id);
        },
    .alloc =
        [](runtime::Device* device, uint64_t size, uint64_t* out_address) {
          return reinterpret_cast<RuntimeDevice*>(device)->device->Alloc(size, out_address);
        },
    .free =
        [](runtime::Device* device, uint64_t address) {
          return reinterpret_cast<RuntimeDevice*>(device)->device->Free(address);
        },
    // A caller's command buffer is still recording: there is nothing of it
    // to wait for. Copies and synchronize wait for the whole queue.
    .write =
        [](runtime::Device* device, uint64_t dst, const void* src, uint64_t size,
           void* /*stream*/) {
          return reinterpret_cast<RuntimeDevice*>(device)->device->Write(dst, src, size);
        },
    .read =
        [](runtime::Device* device, void* dst, uint64_t src, uint64_t size, void* /*stream*/) {
          return reinterpret_cast<RuntimeDevice*>(device)->device->Read(dst, src, size);
        },
    .synchronize =
        [](runtime::Device* device, void* /*stream*/) {
          return reinterpret_cast<RuntimeDevice*>(device)->device->Synchronize();
        },
    // A timer is a VulkanDevice::Timer behind the opaque runtime::DeviceTimer.
    .timer_create = [](runtime::Device* device, runtime::DeviceTimer** out) -> Status {
      HRT_ASSIGN_OR_RETURN(VulkanDevice::Timer * timer,
                           reinterpret_cast<RuntimeDevice*>(device)->device->CreateTimer());
      *out = reinterpret_cast<runtime::DeviceTimer*>(timer);
      return Status::Ok();
    },
    // Not offered yet. Timestamps recorded without a command buffer are
    // their own submissions, so an interval may include host time as on
    // CUDA; a gate would wait on a VkEvent the host sets (vkCmdWaitEvents).
    .timer_create_gated = nullptr,
    .timer_destroy =
        [](runtime::Device* device, runtime::DeviceTimer* timer) {
          reinterpret_cast<RuntimeDevice*>(device)->device->DestroyTimer(
              reinterpret_cast<VulkanDevice::Timer*>(timer));
        },
    .timer_record =
        [](runtime::Device* device, runtime::DeviceTimer* timer, bool stop, void* stream) {
          return reinterpret_cast<RuntimeDevice*>(device)->device->RecordTimestamp(
              reinterpret_cast<VulkanDevice::Timer*>(timer), stop,
              static_cast<VkCommandBuffer>(stream));
        },
    .timer_elapsed =
        [](runtime::Device* device, runtime::DeviceTimer* timer, bool wait, uint64_t* elapsed_ns) {
          return reinterpret_cast<RuntimeDevice*>(device)->device->TimerElapsed(
              reinterpret_cast<VulkanDevice::Timer*>(timer), wait, elapsed_ns);
        },
    // Not tuned while serving yet: a check's copies would have to find the
    // VkBuffer behind each device address, and a launch recorded into the
    // caller's command buffer runs only when the caller submits it.
    .prepare = nullptr,
    .copy = nullptr,
};

#endif  // HRT_HAVE_VULKAN

// Parses a deviceUUID written as 32 hex digits with optional dashes.
bool ParseUuid(const std::string& text, std::array<uint8_t, 16>* out) {
  std::array<uint8_t, 16> uuid{};
  size_t nibbles = 0;
  for (char c : text) {
    if (c == '-') continue;
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0 || nibbles >= 32) return false;
    uuid[nibbles / 2] = static_cast<uint8_t>(uuid[nibbles / 2] | (v << (nibbles % 2 ? 0 : 4)));
    ++nibbles;
  }
  if (nibbles != 32) return false;
  *out = uuid;
  return true;
}

bool IsIndex(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Status CheckDeviceSelection(const std::string& value, const std::string& source) {
  std::array<uint8_t, 16> uuid{};
  if (value.empty() || IsIndex(value) || ParseUuid(value, &uuid)) return Status::Ok();
  return InvalidArgument(source + "='" + value +
                         "' is neither a device index nor a 32-hex-digit UUID");
}

ProbeOptions ProbeOptionsFromEnv() {
  ProbeOptions o;
  if (const char* v = std::getenv(kDeviceEnv)) o.select = v;
  if (const char* v = std::getenv(kCpuEnv)) {
    const std::string s(v);
    o.allow_cpu = !(s == "0" || s == "false" || s == "off" || s == "no");
  }
  return o;
}

#if HRT_HAVE_VULKAN

Probe ProbeVulkan(const ProbeOptions& options) {
  Probe probe;
  // The selection is checked first: a typo is reported as such whatever the
  // driver does.
  const bool by_index = IsIndex(options.select);
  std::array<uint8_t, 16> want_uuid{};
  if (!options.select.empty() && !by_index && !ParseUuid(options.select, &want_uuid)) {
    probe.unavailable_reason =
        CheckDeviceSelection(options.select, options.select_source).message();
    return probe;
  }
  Result<std::shared_ptr<const Library>> library = Library::Open(options.loader);
  if (!library.ok()) {
    probe.unavailable_reason = library.status().message();
    return probe;
  }
  probe.library = *library;
  // A short-lived instance: devices make their own (with validation when
  // asked), so nothing of the driver stays alive after enumeration.
  Result<std::unique_ptr<Instance>> instance = Instance::Create(probe.library, InstanceOptions{});
  if (!instance.ok()) {
    probe.unavailable_reason = instance.status().message();
    return probe;
  }
  Result<std::vector<VkPhysicalDevice>> physical = (*instance)->PhysicalDevices();
  if (!physical.ok()) {
    probe.unavailable_reason = physical.status().message();
    return probe;
  }
  std::vector<PhysicalDeviceInfo> usable;
  for (uint32_t i = 0; i < physical->size(); ++i) {
    if (by_index && options.select != std::to_string(i)) continue;
    Result<PhysicalDeviceInfo> info = QueryPhysicalDevice(**instance, (*physical)[i], i);
    if (!info.ok()) {
      probe.skipped.push_back("device " + std::to_string(i) + ": " + info.status().message());
      continue;
    }
    if (!options.select.empty() && !by_index && info->desc.uuid != want_uuid) continue;
    if (info->is_cpu && !options.allow_cpu && options.select.empty()) {
      probe.skipped.push_back("device " + std::to_string(i) + " '" + info->desc.name +
                              "': a CPU implementation (" + kCpuEnv + "=0)");
      continue;
    }
    usable.push_back(std::move(*info));
  }
  std::stable_sort(usable.begin(), usable.end(),
                   [](const PhysicalDeviceInfo& a, const PhysicalDeviceInfo& b) {
                     return !a.is_cpu && b.is_cpu;
                   });
  for (PhysicalDeviceInfo& info : usable) {
    info.desc.ordinal = static_cast<uint32_t>(probe.devices.size());
    probe.devices.push_back(std::move(info.desc));
  }
  if (probe.devices.empty()) {
    std::string why = options.select.empty()
                          ? "no usable Vulkan device"
                          : options.select_source + "='" + options.select +
                                "': no such device among the usable Vulkan devices";
    why += " (loader " + probe.library->path() + ", " + std::to_string(physical->size()) +
           " physical devices)";
    for (const std::string& s : probe.skipped) why += "; " + s;
    probe.unavailable_reason = why;
  }
  return probe;
}

Result<runtime::Device*> CreateDevice(const Probe& probe, const runtime::DeviceDesc& desc,
                                      const runtime::DeviceCreateOptions& options) {
  std::shared_ptr<const Library> library = probe.library;
  if (options.vulkan_get_instance_proc_addr != nullptr) {
    HRT_ASSIGN_OR_RETURN(library, Library::Open({}, reinterpret_cast<PFN_vkGetInstanceProcAddr>(
                                                        options.vulkan_get_instance_proc_addr)));
  }
  if (library == nullptr) {
    return Status(Code::kUnavailable, "no Vulkan device " + std::to_string(desc.ordinal) + ": " +
                                          probe.unavailable_reason);
  }
  DeviceOptions o;
  o.validation = options.vulkan_validation || ValidationRequestedByEnv();
  o.cache_enabled = options.cache_enabled;
  o.cache_dir = options.cache_dir;
  o.instance = static_cast<VkInstance>(options.vulkan_instance);
  o.physical_device = static_cast<VkPhysicalDevice>(options.vulkan_physical_device);
  o.device = static_cast<VkDevice>(options.vulkan_device);
  o.queue = static_cast<VkQueue>(options.vulkan_queue);
  o.queue_family = options.vulkan_queue_family;
  HRT_ASSIGN_OR_RETURN(std::unique_ptr<VulkanDevice> device,
                       VulkanDevice::Create(std::move(library), desc, o));
  auto* wrapper = new RuntimeDevice{runtime::Device{&kRuntimeDeviceVTable}, device.release()};
  return &wrapper->base;
}

VulkanDevice* AsVulkanDevice(runtime::Device* device) {
  if (device == nullptr || device->vtable != &kRuntimeDeviceVTable) return nullptr;
  return reinterpret_cast<RuntimeDevice*>(device)->device;
}

uint64_t ValidationMessageCount(runtime::Device* device) {
  VulkanDevice* d = AsVulkanDevice(device);
  return d != nullptr ? d->validation_message_count() : 0;
}

std::vector<std::string> ValidationMessages(runtime::Device* device) {
  VulkanDevice* d = AsVulkanDevice(device);
  return d != nullptr ? d->validation_messages() : std::vector<std::string>{};
}

bool ValidationEnabled(runtime::Device* device) {
  VulkanDevice* d = AsVulkanDevice(device);
  return d != nullptr && d->validation();
}

std::string PipelineCacheStatus(runtime::Device* device) {
  VulkanDevice* d = AsVulkanDevice(device);
  return d != nullptr ? d->pipeline_cache_status() : std::string();
}

#else  // !HRT_HAVE_VULKAN

Probe ProbeVulkan(const ProbeOptions& /*options*/) {
  Probe probe;
  probe.unavailable_reason = "helionrt was built without the Vulkan headers";
  return probe;
}

Result<runtime::Device*> CreateDevice(const Probe& probe, const runtime::DeviceDesc& /*desc*/,
                                      const runtime::DeviceCreateOptions& /*options*/) {
  return Status(Code::kUnavailable, probe.unavailable_reason);
}

VulkanDevice* AsVulkanDevice(runtime::Device* /*device*/) {
  return nullptr;
}
uint64_t ValidationMessageCount(runtime::Device* /*device*/) {
  return 0;
}
std::vector<std::string> ValidationMessages(runtime::Device* /*device*/) {
  return {};
}
bool ValidationEnabled(runtime::Device* /*device*/) {
  return false;
}
std::string PipelineCacheStatus(runtime::Device* /*device*/) {
  return {};
}

#endif  // HRT_HAVE_VULKAN

const Probe& SharedProbe() {
  static const Probe probe = ProbeVulkan(ProbeOptionsFromEnv());
  return probe;
}

const Probe& ProbeFor(const runtime::DeviceCreateOptions& options) {
  if (!options.vulkan_device_select.has_value()) return SharedProbe();
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<const Probe>>* probes =
      new std::map<std::string, std::unique_ptr<const Probe>>();  // never destroyed
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<const Probe>& probe = (*probes)[*options.vulkan_device_select];
  if (probe == nullptr) {
    ProbeOptions o = ProbeOptionsFromEnv();
    o.select = *options.vulkan_device_select;
    o.select_source = "vulkan_device_select";
    probe = std::make_unique<const Probe>(ProbeVulkan(o));
  }
  return *probe;
}

const runtime::BackendFactory kVulkanBackendFactory = {
    .backend = HRT_BACKEND_VULKAN,
    .name = "vulkan",
    .enumerate =
        [](std::vector<runtime::DeviceDesc>* out) {
          for (const runtime::DeviceDesc& d : SharedProbe().devices) out->push_back(d);
          return Status::Ok();
        },
    .create =
        [](const runtime::DeviceDesc& desc, const runtime::DeviceCreateOptions& options) {
          return CreateDevice(ProbeFor(options), desc, options);
        },
    .unavailable_reason = [] { return SharedProbe().unavailable_reason; },
    // A selection the caller asked for by option that lists nothing is
    // reported (the runtime logs it); the environment's is not, as before.
    .enumerate_with_options =
        [](const runtime::DeviceCreateOptions& options, std::vector<runtime::DeviceDesc>* out) {
          const Probe& probe = ProbeFor(options);
          if (probe.devices.empty() && options.vulkan_device_select.has_value() &&
              !options.vulkan_device_select->empty()) {
            return Status(Code::kNotFound, probe.unavailable_reason);
          }
          for (const runtime::DeviceDesc& d : probe.devices) out->push_back(d);
          return Status::Ok();
        },
};

}  // namespace hrt::vulkan
