// hrt_runtime_options_t.vulkan_device_select: which Vulkan device a runtime
// lists, by index or deviceUUID, overriding $HELIONRT_VULKAN_DEVICE; a
// malformed value fails hrt_runtime_create, one that matches nothing leaves
// the runtime without Vulkan devices and logs why.
//
// The syntax check needs no device; the rest runs on lavapipe in CI (or any
// Vulkan 1.2 device) and skips with the reason when there is none.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "helionrt/helionrt.h"
#include "runtime/backend.h"
#include "runtime/vulkan/vulkan_backend.h"

namespace hrt::vulkan {
namespace {

struct LogSink {
  std::mutex mu;
  std::vector<std::string> lines;
  static void Callback(void* self, hrt_log_level_t /*level*/, const char* message) {
    auto* sink = static_cast<LogSink*>(self);
    std::lock_guard<std::mutex> lock(sink->mu);
    sink->lines.emplace_back(message);
  }
  std::string All() {
    std::lock_guard<std::mutex> lock(mu);
    std::string all;
    for (const std::string& l : lines) all += l + "\n";
    return all;
  }
};

// The UUIDs of the Vulkan devices a runtime with |select| lists (the option
// left NULL when |select| is null).
struct Listed {
  hrt_status_t status = HRT_OK;
  std::string error;
  std::vector<std::array<uint8_t, 16>> uuids;
  std::string log;
};

Listed ListWith(const char* select) {
  Listed listed;
  LogSink sink;
  hrt_runtime_options_t options;
  EXPECT_EQ(hrt_runtime_options_init(&options), HRT_OK);
  options.backends = HRT_BACKEND_BIT(HRT_BACKEND_VULKAN);
  options.cache_dir = "";
  options.vulkan_device_select = select;
  options.log_callback = LogSink::Callback;
  options.log_user_data = &sink;
  hrt_runtime_t* rt = reinterpret_cast<hrt_runtime_t*>(&sink);  // must be overwritten
  listed.status = hrt_runtime_create(&options, &rt);
  listed.log = sink.All();
  if (listed.status != HRT_OK) {
    listed.error = hrt_last_error_message();
    EXPECT_EQ(rt, nullptr);
    return listed;
  }
  uint32_t count = 0;
  EXPECT_EQ(hrt_device_count(rt, &count), HRT_OK);
  for (uint32_t i = 0; i < count; ++i) {
    hrt_device_properties_t props{};
    props.struct_size = sizeof props;
    EXPECT_EQ(hrt_device_get_properties(rt, i, &props), HRT_OK);
    if (props.backend != HRT_BACKEND_VULKAN) continue;
    std::array<uint8_t, 16> uuid{};
    std::copy(std::begin(props.uuid), std::end(props.uuid), uuid.begin());
    listed.uuids.push_back(uuid);
    // The device listed is the one created: memory works on it.
    uint64_t address = 0;
    EXPECT_EQ(hrt_device_alloc(rt, i, 256, &address), HRT_OK) << hrt_last_error_message();
    EXPECT_EQ(hrt_device_free(rt, i, address), HRT_OK);
  }
  EXPECT_EQ(hrt_runtime_destroy(rt), HRT_OK);
  return listed;
}

std::string UuidText(const std::array<uint8_t, 16>& uuid) {
  std::string text;
  char buf[4];
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    std::snprintf(buf, sizeof buf, "%02x", uuid[i]);
    text += buf;
  }
  return text;
}

// What the environment alone lists (HELIONRT_VULKAN_DEVICE ignored).
const Probe& AllDevices() {
  static const Probe probe = [] {
    ProbeOptions options = ProbeOptionsFromEnv();
    options.select.clear();
    return ProbeVulkan(options);
  }();
  return probe;
}

TEST(VulkanSelectTest, MalformedSelectionFailsRuntimeCreation) {
  for (const char* bad : {"not-a-uuid", "0x1", "12345678-1234-1234-1234-12345678901"}) {
    SCOPED_TRACE(bad);
    const Listed listed = ListWith(bad);
    EXPECT_EQ(listed.status, HRT_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(listed.error.find("options.vulkan_device_select='" + std::string(bad) +
                                "' is neither a device index nor a 32-hex-digit UUID"),
              std::string::npos)
        << listed.error;
  }
  EXPECT_TRUE(CheckDeviceSelection("", "x").ok());
  EXPECT_TRUE(CheckDeviceSelection("7", "x").ok());
  EXPECT_TRUE(CheckDeviceSelection("00112233-4455-6677-8899-AABBCCDDEEFF", "x").ok());
}

class VulkanSelectDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (AllDevices().devices.empty()) GTEST_SKIP() << AllDevices().unavailable_reason;
  }
};

TEST_F(VulkanSelectDeviceTest, SelectsByIndex) {
  const Listed listed = ListWith("0");
  ASSERT_EQ(listed.status, HRT_OK) << listed.error;
  ASSERT_EQ(listed.uuids.size(), 1u) << listed.log;
  // Index 0 of the loader's order is one of the usable devices.
  bool known = false;
  for (const runtime::DeviceDesc& d : AllDevices().devices) known |= d.uuid == listed.uuids[0];
  EXPECT_TRUE(known);
}

TEST_F(VulkanSelectDeviceTest, SelectsByUuidAndOverridesTheEnvironment) {
  // The last device: with several, not the one listed first by default.
  const runtime::DeviceDesc& want = AllDevices().devices.back();
  const std::string uuid = UuidText(want.uuid);
  // The option wins over an environment variable that names no device.
  (void)SharedProbe();  // made before the variable changes
  const char* old = std::getenv(kDeviceEnv);
  const std::string saved = old != nullptr ? old : "";
  setenv(kDeviceEnv, "4096", 1);
  const Listed listed = ListWith(uuid.c_str());
  const Listed all = ListWith("");  // "" lists every device, whatever the variable says
  if (old != nullptr) {
    setenv(kDeviceEnv, saved.c_str(), 1);
  } else {
    unsetenv(kDeviceEnv);
  }
  ASSERT_EQ(listed.status, HRT_OK) << listed.error;
  ASSERT_EQ(listed.uuids.size(), 1u) << uuid << "\n" << listed.log;
  EXPECT_EQ(listed.uuids[0], want.uuid);
  ASSERT_EQ(all.status, HRT_OK) << all.error;
  EXPECT_EQ(all.uuids.size(), AllDevices().devices.size()) << all.log;
  // Upper-case digits without dashes name the same device.
  std::string compact;
  for (char c : uuid) {
    if (c != '-') compact += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  const Listed upper = ListWith(compact.c_str());
  ASSERT_EQ(upper.uuids.size(), 1u) << compact << "\n" << upper.log;
  EXPECT_EQ(upper.uuids[0], want.uuid);
}

TEST_F(VulkanSelectDeviceTest, NoSuchDeviceIsLoggedWithTheReason) {
  for (const char* none : {"4096", "00000000-0000-0000-0000-000000000000"}) {
    SCOPED_TRACE(none);
    const Listed listed = ListWith(none);
    ASSERT_EQ(listed.status, HRT_OK) << listed.error;
    EXPECT_TRUE(listed.uuids.empty());
    EXPECT_NE(listed.log.find("backend vulkan skipped: vulkan_device_select='" + std::string(none) +
                              "': no such device"),
              std::string::npos)
        << listed.log;
  }
}

}  // namespace
}  // namespace hrt::vulkan
