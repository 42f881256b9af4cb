// The small JSON reader (base/json.h) used to import tool metadata.
#include "base/json.h"

#include <gtest/gtest.h>

#include <string>

namespace hrt::json {
namespace {

TEST(JsonTest, ParsesEveryKindOfValue) {
  Result<Value> v = Parse(
      R"( {"a": [1, -2, 3.5, 1e3], "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "t": true,
           "f": false, "n": null, "o": {"k": {}} , "e": []} )");
  ASSERT_TRUE(v.ok()) << v.status().message();
  const Value* a = v->Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->array.size(), 4u);
  EXPECT_EQ(a->array[0].integer, 1);
  EXPECT_EQ(a->array[1].integer, -2);
  EXPECT_FALSE(a->array[2].integer.has_value());
  EXPECT_DOUBLE_EQ(a->array[2].number, 3.5);
  EXPECT_FALSE(a->array[3].integer.has_value());
  EXPECT_DOUBLE_EQ(a->array[3].number, 1000);
  EXPECT_EQ(v->Find("s")->string, "x\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(v->Find("t")->boolean);
  EXPECT_EQ(v->Find("f")->kind, Value::Kind::kBool);
  EXPECT_FALSE(v->Find("f")->boolean);
  EXPECT_EQ(v->Find("n")->kind, Value::Kind::kNull);
  EXPECT_TRUE(v->Find("o")->Find("k")->is_object());
  EXPECT_EQ(v->Find("missing"), nullptr);
  EXPECT_EQ(a->Find("x"), nullptr);  // not an object
}

TEST(JsonTest, RejectsMalformedDocumentsWithTheOffset) {
  for (const char* bad :
       {"",    "{",     "[1,]",     "{\"a\" 1}", "{\"a\":1,}",  "01",          "1.",
        "1e",  "-",     "\"abc",    "\"\\x\"",   "\"\\ud800\"", "\"\\udc00\"", "tru",
        "nul", "[1] 2", "{'a': 1}", "\"a\nb\"",  "+1",          ".5"}) {
    Result<Value> v = Parse(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), Code::kParseError) << bad;
    EXPECT_NE(v.status().message().find("at byte"), std::string::npos) << bad;
  }
}

TEST(JsonTest, BoundsNesting) {
  EXPECT_TRUE(Parse(std::string(60, '[') + std::string(60, ']')).ok());
  Result<Value> deep = Parse(std::string(100000, '['));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("nesting"), std::string::npos);
}

TEST(JsonTest, IntegersBeyondInt64KeepOnlyTheDouble) {
  Result<Value> v = Parse("[9223372036854775807, 9223372036854775808]");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->array[0].integer, INT64_MAX);
  EXPECT_FALSE(v->array[1].integer.has_value());
}

}  // namespace
}  // namespace hrt::json
