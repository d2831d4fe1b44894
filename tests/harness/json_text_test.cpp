// The harness's JSON (harness/json): the strict reader, the number accessors, string quoting and the
// streaming writer.
//
// Goal: reports written by one command read back exactly in another (the failpoint hits file, the benchmark
// report), and a broken file is refused with its position. Method: documents on both sides of every rule
// (RFC 8259 syntax, whole numbers vs fractions, 64-bit limits), strings with every kind of byte that needs
// escaping quoted and parsed back, and writer output parsed back member by member.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <sstream>

#include "harness/json/json_text.h"
#include "harness/json/json_writer.h"
#include "harness/json/utf8.h"

namespace stablevfs::json {
namespace {

TEST(JsonText, RejectsBrokenDocumentsWithTheirPosition) {
  for (const char* bad : {"{", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "\"x", "{\"a\":1}{", "nul", "\"tab\there\"",
                          "01", "1.", "-", "[1,]", "{\"a\":1 \"b\":2}", ""}) {
    EXPECT_THROW(ParseJson(bad), JsonError) << bad;
  }
  try {
    ParseJson("{\n  \"a\": [1,\n  2,,]\n}");
    FAIL() << "accepted a double comma";
  } catch (const JsonError& e) {
    EXPECT_EQ(e.line(), 3u);
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

TEST(JsonText, NumbersKeepTheirTextAndConvertOnlyWhenExact) {
  const JsonValue doc = ParseJson("{\"u\": 18446744073709551615, \"over\": 18446744073709551616, \"neg\": -5, "
                                  "\"frac\": 1.25, \"exp\": 2e3, \"s\": \"7\"}");
  uint64_t u = 0;
  EXPECT_TRUE(doc["u"].AsU64(&u));
  EXPECT_EQ(u, std::numeric_limits<uint64_t>::max());
  EXPECT_FALSE(doc["over"].AsU64(&u));
  EXPECT_FALSE(doc["neg"].AsU64(&u));
  int64_t i = 0;
  EXPECT_TRUE(doc["neg"].AsI64(&i));
  EXPECT_EQ(i, -5);
  EXPECT_FALSE(doc["frac"].AsI64(&i));
  EXPECT_FALSE(doc["u"].AsI64(&i));  // beyond int64
  EXPECT_FALSE(doc["s"].AsI64(&i));  // a string is not a number
  double d = 0;
  EXPECT_TRUE(doc["exp"].AsDouble(&d));
  EXPECT_EQ(d, 2000.0);
  EXPECT_EQ(doc["frac"].number(), 1.25);
  EXPECT_THROW(doc["s"].number(), std::invalid_argument);
  EXPECT_THROW(doc["missing"], std::out_of_range);
  EXPECT_EQ(doc.Find("missing"), nullptr);
  EXPECT_FALSE(doc["s"].is_null());
  EXPECT_TRUE(ParseJson("null").is_null());
}

TEST(JsonText, QuotedStringsParseBackUnchanged) {
  const std::string awkward = std::string("quote \" backslash \\ newline \n tab \t cr \r bell \x07 del \x7f nul ") +
                              std::string(1, '\0') + " utf-8 \xc3\xa9";
  const std::string quoted = JsonString(awkward);
  for (char c : quoted) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << quoted;
  const JsonValue back = ParseJson(quoted);
  EXPECT_EQ(back.kind, JsonValue::Kind::kString);
  EXPECT_EQ(back.text, awkward);
}

// A file name on Linux is bytes: JSON must still be valid UTF-8 (RFC 8259 section 8.1), so bytes that are not
// well-formed UTF-8 become U+FFFD, one per byte, and every well-formed character keeps its bytes.
TEST(JsonText, InvalidUtf8IsReplacedNotPassedThrough) {
  const std::string name = std::string("img-\xff\xfe-\xc3\xa9-\xe2\x82-\xed\xa0\x80-\xc0\xaf-") + "\xf0\x9f\x98\x80";
  const std::string quoted = JsonString(name);
  EXPECT_TRUE(IsValidUtf8(quoted)) << quoted;
  EXPECT_EQ(ParseJson(quoted).text,
            "img-\xef\xbf\xbd\xef\xbf\xbd-\xc3\xa9-\xef\xbf\xbd\xef\xbf\xbd-"
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd-\xef\xbf\xbd\xef\xbf\xbd-\xf0\x9f\x98\x80");
  EXPECT_TRUE(IsValidUtf8("plain \xc3\xa9 \xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\x80"));      // overlong
}

TEST(JsonWriter, WritesWhatTheReaderReads) {
  std::ostringstream out;
  JsonWriter j(out);
  j.BeginObject();
  j.Field("name", "a \"b\"");
  j.Field("count", uint64_t{18446744073709551615ull});
  j.Field("delta", int64_t{-3});
  j.Field("ratio", 1.5);
  j.Field("nan", std::numeric_limits<double>::quiet_NaN());
  j.Field("absent", std::optional<uint64_t>());
  j.Field("present", std::optional<bool>(false));
  j.Key("empty");
  j.BeginArray();
  j.EndArray();
  j.Key("items");
  j.BeginArray();
  j.Value(uint32_t{1});
  j.BeginObject();
  j.Field("x", true);
  j.EndObject();
  j.EndArray();
  j.EndObject();
  const JsonValue doc = ParseJson(out.str());
  EXPECT_EQ(doc["name"].text, "a \"b\"");
  uint64_t count = 0;
  EXPECT_TRUE(doc["count"].AsU64(&count));
  EXPECT_EQ(count, 18446744073709551615ull);
  EXPECT_EQ(doc["delta"].number(), -3);
  EXPECT_EQ(doc["ratio"].number(), 1.5);
  EXPECT_TRUE(doc["nan"].is_null());  // JSON has no NaN
  EXPECT_TRUE(doc["absent"].is_null());
  EXPECT_EQ(doc["present"].kind, JsonValue::Kind::kBool);
  EXPECT_FALSE(doc["present"].boolean);
  EXPECT_TRUE(doc["empty"].items.empty());
  ASSERT_EQ(doc["items"].items.size(), 2u);
  EXPECT_TRUE(doc["items"].items[1]["x"].boolean);
  // One member per line, two-space indent.
  EXPECT_NE(out.str().find("\n  \"name\": \"a \\\"b\\\"\",\n"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace stablevfs::json
