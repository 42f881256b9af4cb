// Text and JSON forms of the store's reports, as `helionrt cache` prints
// them, and the parsing of its quantities. The JSON is one object per
// report, keys in a fixed order, integers exact (sizes in bytes, times in
// nanoseconds since the Unix epoch); docs/cache.md lists the fields.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"
#include "cache/store.h"

namespace hrt::cache {

// |s| as a JSON string literal, quotes included; bytes below 0x20, '"' and
// '\' escaped, other bytes passed through.
std::string JsonString(const std::string& s);

// "0 B", "1023 B", "1.5 KiB", "12.0 MiB", ...
std::string HumanBytes(uint64_t bytes);

// "2024-05-01 12:34:56Z" (UTC); "-" for 0.
std::string HumanTime(uint64_t ns_since_epoch);

// "90", "90s", "15m", "12h", "30d" -> nanoseconds. kInvalidArgument for
// anything else or an overflow.
Result<uint64_t> ParseDuration(const std::string& text);

std::string StatsText(const StoreStats& s);
std::string StatsJson(const StoreStats& s);
std::string ListText(std::span<const EntryInfo> entries);
std::string ListJson(const std::string& dir, std::span<const EntryInfo> entries);
std::string VerifyText(const VerifyReport& r);
std::string VerifyJson(const VerifyReport& r);
std::string PruneText(const PruneReport& r);
std::string PruneJson(const PruneReport& r);

}  // namespace hrt::cache
