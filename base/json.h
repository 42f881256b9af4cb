// A small JSON reader for metadata files the tools import (Triton's
// compiler metadata, fixture signatures). Strict RFC 8259 syntax, bounded
// nesting, numbers kept as double plus an exact int64 when integral; no
// comments, no trailing commas. Errors name the byte offset.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hrt::json {

struct Value {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::optional<int64_t> integer;  // numbers without fraction or exponent that fit
  std::string string;
  std::vector<Value> array;
  std::map<std::string, Value, std::less<>> object;  // duplicate keys: the last wins

  // The member |key| of an object, or NULL (also when this is no object).
  const Value* Find(std::string_view key) const;
  bool is_string() const { return kind == Kind::kString; }
  bool is_object() const { return kind == Kind::kObject; }
  bool is_array() const { return kind == Kind::kArray; }
};

// Parses one JSON document (surrounding whitespace allowed). Nesting deeper
// than 64 levels is refused. Errors: kParseError "json: <what> at byte N".
Result<Value> Parse(std::string_view text);

}  // namespace hrt::json
