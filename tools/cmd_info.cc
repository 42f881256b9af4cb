// helionrt info: every backend compiled in, with its devices or the reason
// it has none.
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "helionrt/helionrt.h"
#include "runtime/backend_registry.h"
#include "runtime/bundle/json_writer.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace hrt::cli {
namespace {

constexpr char kUsage[] =
    "usage: helionrt info [--json]\n"
    "\n"
    "Lists every backend compiled into the library with its devices (index,\n"
    "name, arch, memory, compute units, fingerprint), or why it has none.\n";

// What one backend reported.
struct BackendReport {
  const runtime::BackendFactory* factory = nullptr;
  Status enumerate_status;
  std::vector<runtime::DeviceDesc> devices;
  std::string unavailable;  // why there are no devices (when none)
};

std::vector<BackendReport> Collect() {
  std::vector<BackendReport> reports;
  for (const runtime::BackendFactory* factory : runtime::RegisteredBackends()) {
    BackendReport r;
    r.factory = factory;
    r.enumerate_status = factory->enumerate(&r.devices);
    if (!r.enumerate_status.ok()) {
      r.devices.clear();
      r.unavailable = "enumeration failed: " + r.enumerate_status.message();
    } else if (r.devices.empty()) {
      r.unavailable = factory->unavailable_reason != nullptr ? factory->unavailable_reason() : "";
      if (r.unavailable.empty()) r.unavailable = "no devices found";
    }
    reports.push_back(std::move(r));
  }
  return reports;
}

std::string MiB(uint64_t bytes) {
  return std::to_string(bytes / (1024 * 1024)) + " MiB";
}

void PrintText(const std::vector<BackendReport>& reports) {
  std::printf("helionrt %s\n", hrt_version_string());
  size_t index = 0;  // device indices follow the registry order (device_table.cc)
  for (const BackendReport& r : reports) {
    if (r.devices.empty()) {
      std::printf("backend %s: unavailable: %s\n", r.factory->name, r.unavailable.c_str());
      continue;
    }
    std::printf("backend %s: %zu device(s)\n", r.factory->name, r.devices.size());
    for (const runtime::DeviceDesc& d : r.devices) {
      std::printf("  device %zu: %s\n", index++, d.name.c_str());
      std::printf("    vendor %s, arch %s, %" PRIu32 " compute units, subgroup %" PRIu32
                  ", memory %s\n",
                  d.vendor.c_str(), d.arch.c_str(), d.compute_units, d.subgroup_size,
                  d.memory_bytes != 0 ? MiB(d.memory_bytes).c_str() : "unknown");
      std::printf("    fingerprint %s\n", d.fingerprint.c_str());
    }
  }
}

void PrintJson(const std::vector<BackendReport>& reports) {
  bundle::JsonWriter j;
  j.BeginObject();
  j.Field("version", hrt_version_string());
  j.Key("backends");
  j.BeginArray();
  uint64_t index = 0;
  for (const BackendReport& r : reports) {
    j.BeginObject();
    j.Field("name", r.factory->name);
    j.Field("available", !r.devices.empty());
    j.Key("reason");
    if (r.devices.empty()) {
      j.String(r.unavailable);
    } else {
      j.Null();
    }
    j.Key("devices");
    j.BeginArray();
    for (const runtime::DeviceDesc& d : r.devices) {
      j.BeginObject();
      j.Field("index", index++);
      j.Field("ordinal", d.ordinal);
      j.Field("name", d.name);
      j.Field("vendor", d.vendor);
      j.Field("arch", d.arch);
      j.Field("memory_bytes", d.memory_bytes);
      j.Field("compute_units", d.compute_units);
      j.Field("subgroup_size", d.subgroup_size);
      j.Field("fingerprint", d.fingerprint);
      j.EndObject();
    }
    j.EndArray();
    j.EndObject();
  }
  j.EndArray();
  j.EndObject();
  std::printf("%s\n", j.str().c_str());
}

}  // namespace

int CmdInfo(Args args) {
  if (WantsHelp(args)) return PrintHelp(kUsage);
  static constexpr FlagSpec kFlags[] = {{"--json", false, false}};
  Result<ParsedArgs> parsed = ParseArgs(args, kFlags);
  if (!parsed.ok()) return UsageError(parsed.status().message(), kUsage);
  if (!parsed->positionals.empty()) {
    return UsageError("unexpected argument '" + parsed->positionals[0] + "'", kUsage);
  }
  const std::vector<BackendReport> reports = Collect();
  if (parsed->Has("--json")) {
    PrintJson(reports);
  } else {
    PrintText(reports);
  }
  return kExitOk;
}

}  // namespace hrt::cli
