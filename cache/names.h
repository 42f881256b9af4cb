// File names inside a layer (<dir>/v1), shared by the store's read, write
// and maintenance paths. docs/cache.md, "Layout".
#pragma once

#include <string>
#include <string_view>

#include "cache/key.h"

namespace hrt::cache {

inline constexpr char kBinaryDir[] = "bin";
inline constexpr char kRecordDir[] = "tune";
inline constexpr char kTempPrefix[] = ".tmp-";
// A temp file this old belongs to a writer that died (a live one renames
// its temp within the time it takes to write one file).
inline constexpr uint64_t kStaleTempNs = uint64_t{15} * 60 * 1000000000u;

// "bin/ab" or "tune/ab": the fan-out directory of a key, by its first byte,
// so no directory grows past 1/256 of the store.
inline std::string FanoutDir(const char* top, const std::string& hex) {
  return std::string(top) + "/" + hex.substr(0, 2);
}

// A record's file name: "<key hex>.<id>"; |id| is unique to the writer.
inline std::string RecordLeaf(const std::string& hex, std::string_view id) {
  return hex + "." + std::string(id);
}

}  // namespace hrt::cache
