// A small streaming JSON writer for the --json output of inspect and explain.
// Output is compact, keys appear in the order written, and every string is
// escaped so the result is valid JSON whatever bytes it holds (invalid UTF-8
// becomes U+FFFD): bundle names come from untrusted files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hrt::bundle {

class JsonWriter {
 public:
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  // The key of the next value inside an object.
  void Key(std::string_view key);

  void String(std::string_view value);
  void Int(int64_t value);
  void Uint(uint64_t value);
  void Bool(bool value);
  void Null();

  // Key + value shorthands.
  void Field(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void Field(std::string_view key, const char* value) {
    Key(key);
    String(value);
  }
  void Field(std::string_view key, int64_t value) {
    Key(key);
    Int(value);
  }
  void Field(std::string_view key, uint64_t value) {
    Key(key);
    Uint(value);
  }
  void Field(std::string_view key, uint32_t value) {
    Key(key);
    Uint(value);
  }
  void Field(std::string_view key, bool value) {
    Key(key);
    Bool(value);
  }

  // The document so far; complete once every Begin has its End.
  const std::string& str() const { return out_; }

 private:
  void Open(char c);
  void Close(char c);
  void BeforeValue();
  void AppendEscaped(std::string_view s);

  std::string out_;
  // Per open container: whether it holds an element already.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

}  // namespace hrt::bundle
