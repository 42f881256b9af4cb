// What `helionrt cache` prints (cache/report.h): every JSON form is
// well-formed and carries the report's numbers, hostile strings (paths with
// quotes, control bytes) stay inside their JSON strings, and the quantity
// parsers accept exactly the documented spellings.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "cache/report.h"

namespace hrt::cache {
namespace {

// A strict JSON well-formedness check (RFC 8259 grammar, no extensions).
class JsonChecker {
 public:
  explicit JsonChecker(const std::string& s) : s_(s) {}
  bool Valid() {
    Ws();
    if (!Value()) return false;
    Ws();
    return i_ == s_.size();
  }

 private:
  bool Value() {
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') return Object();
    if (c == '[') return Array();
    if (c == '"') return String();
    if (c == '-' || (c >= '0' && c <= '9')) return Number();
    for (const char* lit : {"true", "false", "null"}) {
      if (s_.compare(i_, std::string(lit).size(), lit) == 0) {
        i_ += std::string(lit).size();
        return true;
      }
    }
    return false;
  }
  bool Object() {
    ++i_;
    Ws();
    if (Eat('}')) return true;
    do {
      Ws();
      if (!String()) return false;
      Ws();
      if (!Eat(':')) return false;
      Ws();
      if (!Value()) return false;
      Ws();
    } while (Eat(','));
    return Eat('}');
  }
  bool Array() {
    ++i_;
    Ws();
    if (Eat(']')) return true;
    do {
      Ws();
      if (!Value()) return false;
      Ws();
    } while (Eat(','));
    return Eat(']');
  }
  bool String() {
    if (!Eat('"')) return false;
    while (i_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        const char e = s_[i_++];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (i_ >= s_.size() || !isxdigit(static_cast<unsigned char>(s_[i_++]))) return false;
          }
        } else if (std::string("\"\\/bfnrt").find(e) == std::string::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool Number() {
    Eat('-');
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > start;  // the store prints integers only
  }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r'))
      ++i_;
  }
  bool Eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  const std::string& s_;
  size_t i_ = 0;
};

bool ValidJson(const std::string& s) {
  return JsonChecker(s).Valid();
}

const std::string kHostile = std::string("/tmp/we\"ird\\dir\n\t\x01\x1f/") + "\xc3\xa9";

TEST(CacheReport, JsonStringEscapesWhatJsonRequires) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("\n\t\x01"), "\"\\n\\t\\u0001\"");
  for (int c = 0; c < 256; ++c) {
    const std::string s = JsonString(std::string(1, static_cast<char>(c)) + "x");
    EXPECT_TRUE(ValidJson(s) || c >= 0x80) << "byte " << c << " -> " << s;
  }
  EXPECT_TRUE(ValidJson(JsonString(kHostile)));
}

TEST(CacheReport, EveryJsonFormIsWellFormedAndCarriesTheNumbers) {
  StoreStats st;
  st.dir = kHostile;
  st.entries = 3;
  st.records = 4;
  st.bytes = 12345678901234ULL;
  st.max_bytes = 1ULL << 30;
  st.hits = 9;
  st.misses = 2;
  const std::string stats = StatsJson(st);
  EXPECT_TRUE(ValidJson(stats)) << stats;
  EXPECT_NE(stats.find("\"bytes\": 12345678901234"), std::string::npos) << stats;
  EXPECT_NE(stats.find("\"hits\": 9"), std::string::npos);
  EXPECT_NE(stats.find("\"misses\": 2"), std::string::npos);
  EXPECT_NE(stats.find("\"records\": 4"), std::string::npos);

  std::vector<EntryInfo> entries(2);
  entries[0].layer = kHostile;
  entries[0].name = "bin/00/x";
  entries[0].key = Key{1, 2};
  entries[0].file_bytes = 100;
  entries[0].raw_bytes = 300;
  entries[0].last_used_ns = 1700000000000000000ULL;
  entries[1].kind = EntryKind::kTuningRecord;
  entries[1].header_ok = false;
  entries[1].read_only = true;
  const std::string ls = ListJson(kHostile, entries);
  EXPECT_TRUE(ValidJson(ls)) << ls;
  EXPECT_NE(ls.find("\"key\": \"00000000000000010000000000000002\""), std::string::npos);
  EXPECT_NE(ls.find("\"kind\": \"tuning\""), std::string::npos);
  EXPECT_NE(ls.find("\"header_ok\": false"), std::string::npos);
  EXPECT_NE(ls.find("\"last_used_ns\": 1700000000000000000"), std::string::npos);
  EXPECT_TRUE(ValidJson(ListJson("d", {})));

  VerifyReport v;
  v.checked = 5;
  v.dropped = 1;
  v.problems = {kHostile + ": checksum mismatch", "other"};
  const std::string vj = VerifyJson(v);
  EXPECT_TRUE(ValidJson(vj)) << vj;
  EXPECT_NE(vj.find("\"checked\": 5"), std::string::npos);
  EXPECT_TRUE(ValidJson(VerifyJson(VerifyReport{})));

  PruneReport p;
  p.removed_entries = 7;
  p.remaining_bytes = 42;
  const std::string pj = PruneJson(p);
  EXPECT_TRUE(ValidJson(pj)) << pj;
  EXPECT_NE(pj.find("\"removed_entries\": 7"), std::string::npos);
  EXPECT_NE(pj.find("\"remaining_bytes\": 42"), std::string::npos);
}

TEST(CacheReport, TextFormsNameEveryEntry) {
  std::vector<EntryInfo> entries(3);
  for (size_t i = 0; i < entries.size(); ++i) entries[i].key = Key{i, i * 7};
  const std::string t = ListText(entries);
  for (const EntryInfo& e : entries) EXPECT_NE(t.find(e.key.Hex()), std::string::npos);
  EXPECT_NE(t.find("3 file(s)"), std::string::npos);
  StoreStats st;
  st.entries = 11;
  st.bytes = 3 << 20;
  EXPECT_NE(StatsText(st).find("11 binaries"), std::string::npos);
  EXPECT_NE(StatsText(st).find("3.0 MiB"), std::string::npos);
}

TEST(CacheReport, HumanUnits) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(uint64_t{1} << 30), "1.0 GiB");
  EXPECT_EQ(HumanBytes(UINT64_MAX), "16.0 EiB");
  EXPECT_EQ(HumanTime(0), "-");
  EXPECT_EQ(HumanTime(uint64_t{86400} * 1000000000u + 1), "1970-01-02 00:00:00Z");
}

TEST(CacheReport, Durations) {
  EXPECT_EQ(ParseDuration("90").value(), uint64_t{90} * 1000000000u);
  EXPECT_EQ(ParseDuration("90s").value(), uint64_t{90} * 1000000000u);
  EXPECT_EQ(ParseDuration("15m").value(), uint64_t{900} * 1000000000u);
  EXPECT_EQ(ParseDuration("2h").value(), uint64_t{7200} * 1000000000u);
  EXPECT_EQ(ParseDuration("30d").value(), uint64_t{30 * 86400} * 1000000000u);
  for (const char* bad : {"", "s", "-5", "1.5h", "5w", "5 s", "999999999999d"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace hrt::cache
