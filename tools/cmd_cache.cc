// helionrt cache ls|stats|verify|prune|clear: the persistent store's
// maintenance verbs (docs/cache.md). None of them creates a cache.
#include "tools/cmd_cache.h"

#include <cstdio>
#include <optional>
#include <string>

#include "cache/location.h"
#include "cache/report.h"
#include "cache/store.h"
#include "tools/cli_util.h"

namespace hrt::cli {
namespace {

constexpr char kUsage[] =
    "usage: helionrt cache ls|stats|verify|clear [--dir D] [--json]\n"
    "       helionrt cache prune [--max-bytes N] [--max-age T] [--dir D] [--json]\n"
    "\n"
    "  ls       list every binary and tuning record, with size and last use\n"
    "  stats    entries, records, bytes, hits and misses\n"
    "  verify   check every file (checksum, key, decompression); drop bad ones\n"
    "  prune    evict least recently used entries down to N bytes (default: the\n"
    "           configured cap), and/or those unused for T (90s, 15m, 12h, 30d)\n"
    "  clear    remove every entry and record\n"
    "\n"
    "  --dir D  the cache directory (default: $HELIONRT_CACHE_DIR, else\n"
    "           $XDG_CACHE_HOME/helionrt, else ~/.cache/helionrt); read-only\n"
    "           layers come from $HELIONRT_CACHE_READONLY_DIRS\n"
    "  --json   one JSON object on stdout\n"
    "  N        bytes, or with a K, M, G or T suffix (binary multiples)\n";

constexpr FlagSpec kFlags[] = {
    {"--json", false, false},
    {"--dir", true, false},
    {"--max-bytes", true, false},
    {"--max-age", true, false},
};

// Runs |verb| on |store| and returns what to print.
Result<std::string> Run(const std::string& verb, cache::Store& store, bool json,
                        uint64_t prune_bytes, std::optional<uint64_t> prune_age) {
  if (verb == "ls") {
    HRT_ASSIGN_OR_RETURN(std::vector<cache::EntryInfo> ls, store.List());
    return json ? cache::ListJson(store.dir(), ls) : cache::ListText(ls);
  }
  if (verb == "stats") {
    HRT_ASSIGN_OR_RETURN(cache::StoreStats s, store.Stats());
    return json ? cache::StatsJson(s) : cache::StatsText(s);
  }
  if (verb == "verify") {
    HRT_ASSIGN_OR_RETURN(cache::VerifyReport r, store.Verify());
    return json ? cache::VerifyJson(r) : cache::VerifyText(r);
  }
  if (verb == "prune") {
    HRT_ASSIGN_OR_RETURN(cache::PruneReport r, store.Prune(prune_bytes, prune_age));
    return json ? cache::PruneJson(r) : cache::PruneText(r);
  }
  HRT_RETURN_IF_ERROR(store.Clear());
  return json ? "{\"dir\": " + cache::JsonString(store.dir()) + ", \"cleared\": true}\n"
              : "cleared " + store.dir() + "\n";
}

}  // namespace

int CmdCache(Args args) {
  if (WantsHelp(args)) return PrintHelp(kUsage);
  Result<ParsedArgs> parsed = ParseArgs(args, kFlags);
  if (!parsed.ok()) return UsageError(parsed.status().message(), kUsage);
  if (parsed->positionals.size() != 1) {
    return UsageError(
        parsed->positionals.empty() ? "cache: which verb?" : "cache: one verb at a time", kUsage);
  }
  const std::string verb = parsed->positionals[0];
  if (verb != "ls" && verb != "stats" && verb != "verify" && verb != "prune" && verb != "clear") {
    return UsageError("cache: unknown verb '" + verb + "'", kUsage);
  }
  if (verb != "prune" && (parsed->Has("--max-bytes") || parsed->Has("--max-age"))) {
    return UsageError("cache: --max-bytes and --max-age go with prune", kUsage);
  }
  cache::StoreOptions options = cache::DefaultStoreOptions();
  options.create = false;    // inspecting must not create a cache
  options.memory_bytes = 0;  // one pass over the disk; nothing to keep
  const bool json = parsed->Has("--json");
  uint64_t prune_bytes = options.max_bytes;
  std::optional<uint64_t> prune_age;
  if (std::optional<std::string> v = parsed->Value("--max-bytes")) {
    Result<uint64_t> n = cache::ParseByteSize(*v);
    if (!n.ok()) return UsageError("cache: --max-bytes: " + n.status().message(), kUsage);
    prune_bytes = *n;
  }
  if (std::optional<std::string> v = parsed->Value("--max-age")) {
    Result<uint64_t> n = cache::ParseDuration(*v);
    if (!n.ok()) return UsageError("cache: --max-age: " + n.status().message(), kUsage);
    prune_age = *n;
  }
  if (std::optional<std::string> d = parsed->Value("--dir")) {
    options.dir = *d;
  } else {
    Result<std::string> dir = cache::DefaultCacheDir();
    if (!dir.ok()) return Fail(dir.status());
    options.dir = *dir;
  }

  Result<std::unique_ptr<cache::Store>> opened = cache::Store::Open(options);
  if (!opened.ok()) {
    if (opened.status().code() != Code::kNotFound) return Fail(opened.status());
    // No cache yet: nothing to list, count or remove.
    if (json) {
      std::printf("{\"dir\": %s, \"exists\": false}\n", cache::JsonString(options.dir).c_str());
    } else {
      std::printf("no cache at %s\n", options.dir.c_str());
    }
    return kExitOk;
  }
  for (const std::string& w : (*opened)->warnings()) Warn(w);
  Result<std::string> out = Run(verb, **opened, json, prune_bytes, prune_age);
  if (!out.ok()) return Fail(out.status());
  std::fputs(out->c_str(), stdout);
  return kExitOk;
}

}  // namespace hrt::cli
