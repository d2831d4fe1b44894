// Rendering, sorting and hashing of query results as sqllogictest prints them.
//
// Goal: each value renders by its column's type letter with SQLite's own conversions (NULL, I as a 64-bit
// integer, R as "%.3f", T with "(empty)" and '@' for unprintable bytes), rowsort and valuesort order as strcmp
// does ("10" before "9"), and the hash line is "N values hashing to <md5 of value\n...>". Method: single values
// of every storage class under every letter, small result sets under every sort mode, and hash lines compared
// with digests computed independently (Python's hashlib).
#include "harness/slt/result_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stablevfs::slt {
namespace {

TEST(SltFormatTest, NullRendersAsNullUnderEveryLetter) {
  ValueRenderer r;
  for (char type : {'I', 'R', 'T'}) EXPECT_EQ(r.Render(type, Value{}), "NULL") << type;
}

TEST(SltFormatTest, IntegerColumns) {
  ValueRenderer r;
  EXPECT_EQ(r.Render('I', Value{int64_t{42}}), "42");
  EXPECT_EQ(r.Render('I', Value{int64_t{-9223372036854775807 - 1}}), "-9223372036854775808");
  // Other storage classes convert as sqlite3_column_int64 does: reals truncate toward zero, text is read as
  // far as it is a number.
  EXPECT_EQ(r.Render('I', Value{2.7}), "2");
  EXPECT_EQ(r.Render('I', Value{-2.7}), "-2");
  EXPECT_EQ(r.Render('I', Value{std::string("12abc")}), "12");
  EXPECT_EQ(r.Render('I', Value{std::string("abc")}), "0");
  EXPECT_EQ(r.Render('I', Value{std::string("")}), "0");
}

TEST(SltFormatTest, RealColumns) {
  ValueRenderer r;
  EXPECT_EQ(r.Render('R', Value{1.0}), "1.000");
  EXPECT_EQ(r.Render('R', Value{2.0 / 3.0}), "0.667");
  EXPECT_EQ(r.Render('R', Value{-0.5}), "-0.500");
  EXPECT_EQ(r.Render('R', Value{int64_t{3}}), "3.000");
  EXPECT_EQ(r.Render('R', Value{std::string("2.25")}), "2.250");
}

TEST(SltFormatTest, TextColumns) {
  ValueRenderer r;
  EXPECT_EQ(r.Render('T', Value{std::string("hello world")}), "hello world");
  EXPECT_EQ(r.Render('T', Value{std::string("")}), "(empty)");
  EXPECT_EQ(r.Render('T', Value{std::string("a\tb\nc")}), "a@b@c");
  EXPECT_EQ(r.Render('T', Value{std::string("caf\xc3\xa9~")}), "caf@@~");  // each byte above '~' is one '@'
  EXPECT_EQ(r.Render('T', Value{std::string(1, '\x7f')}), "@");
  EXPECT_EQ(r.Render('T', Value{int64_t{-7}}), "-7");
  EXPECT_EQ(r.Render('T', Value{1.5}), "1.5");
  EXPECT_EQ(r.Render('T', Value{Blob{{'h', 'i', 0x01}}}), "hi@");
  EXPECT_EQ(r.Render('T', Value{Blob{}}), "(empty)");
}

TEST(SltFormatTest, RenderTextRules) {
  EXPECT_EQ(RenderText(""), "(empty)");
  EXPECT_EQ(RenderText(" "), " ");  // a space is printable
  EXPECT_EQ(RenderText(std::string("a\0b", 3)), "a@b");
  EXPECT_EQ(RenderText("(empty)"), "(empty)");  // the marker is not escaped: sqllogictest cannot tell them apart
}

std::vector<Row> IntRows(std::initializer_list<std::initializer_list<int64_t>> rows) {
  std::vector<Row> out;
  for (const auto& row : rows) {
    Row r;
    for (int64_t v : row) r.emplace_back(v);
    out.push_back(std::move(r));
  }
  return out;
}

TEST(SltFormatTest, SortModes) {
  ValueRenderer r;
  const std::vector<Row> rows = IntRows({{9, 1}, {10, 3}, {9, 0}});
  // nosort: the engine's order, row by row.
  EXPECT_EQ(RenderResult(r, "II", rows, SortMode::kNoSort), (std::vector<std::string>{"9", "1", "10", "3", "9", "0"}));
  // rowsort: rows compared as strings column by column: "10" < "9", and (9,0) < (9,1).
  EXPECT_EQ(RenderResult(r, "II", rows, SortMode::kRowSort),
            (std::vector<std::string>{"10", "3", "9", "0", "9", "1"}));
  // valuesort: every value on its own.
  EXPECT_EQ(RenderResult(r, "II", rows, SortMode::kValueSort),
            (std::vector<std::string>{"0", "1", "10", "3", "9", "9"}));
}

TEST(SltFormatTest, TypesApplyPerColumnAndExtraColumnsRenderAsText) {
  ValueRenderer r;
  const std::vector<Row> rows = {Row{Value{1.25}, Value{1.25}, Value{std::string("")}}};
  EXPECT_EQ(RenderResult(r, "IR", rows, SortMode::kNoSort), (std::vector<std::string>{"1", "1.250", "(empty)"}));
}

TEST(SltFormatTest, HashLine) {
  // Digests of "1\n2\n3\n" and "10\n9\nNULL\n" from Python's hashlib.
  EXPECT_EQ(HashLine({"1", "2", "3"}), "3 values hashing to c0710d6b4f15dfa88f600b0e6b624077");
  EXPECT_EQ(HashLine({"10", "9", "NULL"}), "3 values hashing to 8734f49773d90b2783e8cac06ff04f88");
  EXPECT_EQ(HashLine({}), "0 values hashing to d41d8cd98f00b204e9800998ecf8427e");
}

TEST(SltFormatTest, HashThreshold) {
  EXPECT_FALSE(ShouldHash(1000, 0));  // 0: never hash
  EXPECT_FALSE(ShouldHash(8, 8));
  EXPECT_TRUE(ShouldHash(9, 8));
}

}  // namespace
}  // namespace stablevfs::slt
