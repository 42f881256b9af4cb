#include "cache/report.h"

#include <time.h>

#include <cstdio>

#include "base/bits.h"

namespace hrt::cache {
namespace {

std::string U(uint64_t v) {
  return std::to_string(v);
}

// "key": value pairs joined into one object.
class JsonObject {
 public:
  JsonObject& Raw(const char* key, const std::string& value) {
    out_ += (out_.empty() ? "{" : ", ") + JsonString(key) + ": " + value;
    return *this;
  }
  JsonObject& Num(const char* key, uint64_t v) { return Raw(key, U(v)); }
  JsonObject& Str(const char* key, const std::string& v) { return Raw(key, JsonString(v)); }
  JsonObject& Bool(const char* key, bool v) { return Raw(key, v ? "true" : "false"); }
  std::string Done() const { return out_.empty() ? "{}" : out_ + "}"; }

 private:
  std::string out_;
};

}  // namespace

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20) {
      out += "\\u00" + HexString(u, 2).substr(2);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1024) return U(bytes) + " B";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (v >= 1024.0 && unit + 1 < std::size(kUnits)) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %s", v, kUnits[unit]);
  return buf;
}

std::string HumanTime(uint64_t ns) {
  if (ns == 0) return "-";
  const time_t secs = static_cast<time_t>(ns / 1000000000u);
  tm t{};
  if (gmtime_r(&secs, &t) == nullptr) return "-";
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%SZ", &t);
  return buf;
}

Result<uint64_t> ParseDuration(const std::string& text) {
  size_t i = 0;
  uint64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const uint64_t d = static_cast<uint64_t>(text[i] - '0');
    if (n > (UINT64_MAX - d) / 10) return InvalidArgument("duration '" + text + "' overflows");
    n = n * 10 + d;
    ++i;
  }
  if (i == 0) return InvalidArgument("duration '" + text + "' does not start with a number");
  const std::string unit = text.substr(i);
  uint64_t seconds_per = 0;
  if (unit.empty() || unit == "s") seconds_per = 1;
  if (unit == "m") seconds_per = 60;
  if (unit == "h") seconds_per = 3600;
  if (unit == "d") seconds_per = 86400;
  if (seconds_per == 0)
    return InvalidArgument("duration '" + text + "': unit must be s, m, h or d");
  const uint64_t ns_per = seconds_per * 1000000000u;
  if (n > UINT64_MAX / ns_per) return InvalidArgument("duration '" + text + "' overflows");
  return n * ns_per;
}

std::string StatsText(const StoreStats& s) {
  std::string out;
  out += "cache      " + s.dir + "\n";
  out += "entries    " + U(s.entries) + " binaries, " + U(s.records) + " tuning records\n";
  out += "size       " + HumanBytes(s.bytes) + " of " + HumanBytes(s.max_bytes) + " cap (" +
         U(s.bytes) + " bytes)\n";
  out += "hits       " + U(s.hits) + "\n";
  out += "misses     " + U(s.misses) + "\n";
  if (s.read_only_entries + s.read_only_records > 0) {
    out += "read-only  " + U(s.read_only_entries) + " binaries, " + U(s.read_only_records) +
           " tuning records, " + HumanBytes(s.read_only_bytes) + "\n";
  }
  return out;
}

std::string StatsJson(const StoreStats& s) {
  return JsonObject()
             .Str("dir", s.dir)
             .Num("entries", s.entries)
             .Num("records", s.records)
             .Num("bytes", s.bytes)
             .Num("max_bytes", s.max_bytes)
             .Num("hits", s.hits)
             .Num("misses", s.misses)
             .Num("read_only_entries", s.read_only_entries)
             .Num("read_only_records", s.read_only_records)
             .Num("read_only_bytes", s.read_only_bytes)
             .Done() +
         "\n";
}

std::string ListText(std::span<const EntryInfo> entries) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-7s %-32s %10s %10s %-21s %s\n", "KIND", "KEY", "SIZE", "RAW",
                "LAST USED", "LAYER");
  out += line;
  for (const EntryInfo& e : entries) {
    const std::string kind = e.header_ok ? EntryKindName(e.kind) : "BAD";
    // Records are never "used" in place: show when they were written.
    const uint64_t when = e.kind == EntryKind::kBinary ? e.last_used_ns : e.created_ns;
    std::snprintf(line, sizeof(line), "%-7s %-32s %10s %10s %-21s %s\n", kind.c_str(),
                  e.key.Hex().c_str(), HumanBytes(e.file_bytes).c_str(),
                  e.header_ok ? HumanBytes(e.raw_bytes).c_str() : "-", HumanTime(when).c_str(),
                  e.read_only ? e.layer.c_str() : "user");
    out += line;
  }
  out += U(entries.size()) + " file(s)\n";
  return out;
}

std::string ListJson(const std::string& dir, std::span<const EntryInfo> entries) {
  std::string list = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    const EntryInfo& e = entries[i];
    list += (i ? ", " : "") + JsonObject()
                                  .Str("kind", EntryKindName(e.kind))
                                  .Str("key", e.key.Hex())
                                  .Str("name", e.name)
                                  .Str("layer", e.layer)
                                  .Bool("read_only", e.read_only)
                                  .Bool("header_ok", e.header_ok)
                                  .Num("file_bytes", e.file_bytes)
                                  .Num("raw_bytes", e.raw_bytes)
                                  .Num("created_ns", e.created_ns)
                                  .Num("last_used_ns", e.last_used_ns)
                                  .Done();
  }
  return JsonObject().Str("dir", dir).Raw("entries", list + "]").Done() + "\n";
}

std::string VerifyText(const VerifyReport& r) {
  std::string out;
  for (const std::string& p : r.problems) out += "bad: " + p + "\n";
  out += "checked " + U(r.checked) + " file(s): " + U(r.dropped) + " bad dropped, " +
         U(r.bad_read_only) + " bad in read-only layers, " + U(r.temps_removed) +
         " stale temp file(s) removed\n";
  return out;
}

std::string VerifyJson(const VerifyReport& r) {
  std::string problems = "[";
  for (size_t i = 0; i < r.problems.size(); ++i) {
    problems += (i ? ", " : "") + JsonString(r.problems[i]);
  }
  return JsonObject()
             .Num("checked", r.checked)
             .Num("dropped", r.dropped)
             .Num("bad_read_only", r.bad_read_only)
             .Num("temps_removed", r.temps_removed)
             .Raw("problems", problems + "]")
             .Done() +
         "\n";
}

std::string PruneText(const PruneReport& r) {
  return "removed " + U(r.removed_entries) + " binaries and " + U(r.removed_records) +
         " tuning records (" + HumanBytes(r.removed_bytes) + "), " + U(r.removed_bad) +
         " bad file(s), " + U(r.temps_removed) + " stale temp file(s); " +
         HumanBytes(r.remaining_bytes) + " remain\n";
}

std::string PruneJson(const PruneReport& r) {
  return JsonObject()
             .Num("removed_entries", r.removed_entries)
             .Num("removed_records", r.removed_records)
             .Num("removed_bytes", r.removed_bytes)
             .Num("remaining_bytes", r.remaining_bytes)
             .Num("removed_bad", r.removed_bad)
             .Num("temps_removed", r.temps_removed)
             .Done() +
         "\n";
}

}  // namespace hrt::cache
