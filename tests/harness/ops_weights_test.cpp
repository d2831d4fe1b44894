// Goal: generator weights can be written as text, read back exactly, and a mistake in the text is reported
// with the offending token and its column rather than silently ignored.
//
// Method: FormatWeights / ParseWeights round trips (defaults and a changed set); partial assignments leave the
// rest at the base; a table of malformed texts with the expected column and message fragment.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/ops/op.h"
#include "harness/ops/weights.h"

namespace stablevfs::ops {
namespace {

TEST(OpsWeightsTest, FormatThenParseGivesTheSameWeights) {
  const GeneratorWeights defaults;
  Parsed<GeneratorWeights> parsed = ParseWeights(FormatWeights(defaults));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value(), defaults);

  GeneratorWeights changed;
  changed.op[static_cast<size_t>(OpKind::kArm)] = 0;
  changed.sql[static_cast<size_t>(SqlKind::kVacuum)] = 9;
  changed.violation_percent = 33;
  changed.statements_max = 2;
  const std::string text = FormatWeights(changed);
  EXPECT_NE(text.find("arm=0"), std::string::npos) << text;
  EXPECT_NE(text.find("sql.vacuum=9"), std::string::npos) << text;
  EXPECT_NE(text.find("violation-percent=33"), std::string::npos) << text;
  Parsed<GeneratorWeights> again = ParseWeights(text, GeneratorWeights{});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again.value(), changed);
}

TEST(OpsWeightsTest, AssignmentsChangeOnlyWhatTheyName) {
  Parsed<GeneratorWeights> parsed = ParseWeights(" update = 7 ,kv-put=0, sql.big-delete=12,db-soft-max-mib=3,");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  GeneratorWeights expected;
  expected.op[static_cast<size_t>(OpKind::kUpdate)] = 7;
  expected.op[static_cast<size_t>(OpKind::kKvPut)] = 0;
  expected.sql[static_cast<size_t>(SqlKind::kBigDelete)] = 12;
  expected.db_soft_max_mib = 3;
  EXPECT_EQ(parsed.value(), expected);
  // A blank text changes nothing; a base is honoured.
  EXPECT_EQ(ParseWeights("").value(), GeneratorWeights{});
  EXPECT_EQ(ParseWeights("query=1", expected).value().op[static_cast<size_t>(OpKind::kUpdate)], 7u);
  // Every op keyword and every statement kind has a weight name.
  for (int k = 0; k < kOpKindCount; ++k) {
    EXPECT_TRUE(ParseWeights(std::string(OpKindName(static_cast<OpKind>(k))) + "=1").ok());
  }
  for (int k = 0; k < kSqlKindCount; ++k) {
    EXPECT_TRUE(ParseWeights("sql." + std::string(SqlKindName(static_cast<SqlKind>(k))) + "=1").ok());
  }
}

TEST(OpsWeightsTest, MistakesNameTheTokenAndColumn) {
  struct Case {
    std::string text;
    size_t column;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"updat=40", 1, "unknown weight 'updat' in 'updat=40' (expected one of update, query, kv-put"},
      {"update=40,sql.insrt=3", 11, "unknown weight 'sql.insrt'"},
      {"update=40, query", 12, "weights item 'query' needs '=<number>'"},
      {"update=4x", 8, "bad number '4x' for weight 'update'"},
      {"update=", 8, "bad number '' for weight 'update'"},
      {"update=-1", 8, "bad number '-1'"},
      {"violation-percent=101", 19, "'violation-percent' = 101 is out of range (expected 0..100)"},
      {"statements-max=0", 16, "out of range (expected 1..64)"},
      {"update=99999999999", 8, "out of range"},
      {"update=1,,query=2", 10, "empty item in weights"},
      {"update=0,query=0,kv-put=0,kv-get=0,kv-delete=0,migrate=0,integrity-check=0,checksum=0,"
       "checksum-chunk=0,export-import=0,import-bad-checksum=0,import-cancel=0,compact=0,upgrade=0,arm=0,"
       "capacity=0,budget=0",
       1, "every operation weight is zero"},
      {"sql.insert=0,sql.bulk-insert=0,sql.update=0,sql.delete=0,sql.big-delete=0,sql.replace=0,sql.upsert=0,"
       "sql.create-table=0,sql.drop-table=0,sql.create-index=0,sql.drop-index=0,sql.alter-add-column=0,"
       "sql.vacuum=0,sql.savepoint=0",
       1, "every sql.* weight is zero"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Parsed<GeneratorWeights> parsed = ParseWeights(c.text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().column, c.column) << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(c.message_part), std::string::npos) << parsed.error().message;
  }
}

}  // namespace
}  // namespace stablevfs::ops
