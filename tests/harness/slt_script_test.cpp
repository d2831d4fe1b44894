// The sqllogictest parser.
//
// Goal: every record kind of the format is read as about.wiki describes it (statements, queries with their
// type string, sort mode, label and expected values, hashed results, hash-threshold, skipif/onlyif, halt),
// comments vanish before anything else sees the text, CRLF files read like LF files, and every malformed
// record is rejected with a ParseError naming file:line. Method: small inline scripts, checked field by field.
#include "harness/slt/script.h"

#include <gtest/gtest.h>

#include <string>

namespace stablevfs::slt {
namespace {

// The message of the ParseError `text` raises (fails the test if it parses).
std::string ParseErrorOf(const std::string& text, int* line = nullptr) {
  try {
    ParseScript(text, "t.test");
  } catch (const ParseError& e) {
    if (line != nullptr) *line = e.line();
    EXPECT_EQ(e.file(), "t.test");
    return e.what();
  }
  ADD_FAILURE() << "parsed without error:\n" << text;
  return "";
}

TEST(SltScriptTest, StatementsAndQueries) {
  const Script script = ParseScript(
      "statement ok\n"
      "CREATE TABLE t1(a INTEGER, b TEXT)\n"
      "\n"
      "statement error\n"
      "INSERT INTO nowhere\n"
      "VALUES(1)\n"
      "\n"
      "query IT rowsort label-1\n"
      "SELECT a, b\n"
      "  FROM t1\n"
      "----\n"
      "1\n"
      "x\n"
      "\n"
      "query R\n"
      "SELECT 1.5\n",
      "t.test");
  EXPECT_EQ(script.file, "t.test");
  ASSERT_EQ(script.records.size(), 4u);
  EXPECT_EQ(script.statement_count(), 2u);
  EXPECT_EQ(script.query_count(), 2u);

  const Record& create = script.records[0];
  EXPECT_EQ(create.kind, RecordKind::kStatement);
  EXPECT_FALSE(create.expect_error);
  EXPECT_EQ(create.sql, "CREATE TABLE t1(a INTEGER, b TEXT)");
  EXPECT_EQ(create.line, 1);
  EXPECT_EQ(create.sql_line, 2);

  const Record& insert = script.records[1];
  EXPECT_TRUE(insert.expect_error);
  EXPECT_EQ(insert.sql, "INSERT INTO nowhere\nVALUES(1)");
  EXPECT_EQ(insert.line, 4);

  const Record& query = script.records[2];
  EXPECT_EQ(query.kind, RecordKind::kQuery);
  EXPECT_EQ(query.types, "IT");
  EXPECT_EQ(query.sort, SortMode::kRowSort);
  EXPECT_EQ(query.label, "label-1");
  EXPECT_EQ(query.sql, "SELECT a, b\n  FROM t1");
  EXPECT_TRUE(query.has_results);
  EXPECT_EQ(query.expected, (std::vector<std::string>{"1", "x"}));
  EXPECT_EQ(query.line, 8);
  EXPECT_EQ(query.sql_line, 9);

  // No sort mode: nosort. No "----": no results listed (an empty result is expected).
  const Record& bare = script.records[3];
  EXPECT_EQ(bare.sort, SortMode::kNoSort);
  EXPECT_TRUE(bare.label.empty());
  EXPECT_FALSE(bare.has_results);
  EXPECT_TRUE(bare.expected.empty());
}

TEST(SltScriptTest, SortModesAndHashedResults) {
  const Script script = ParseScript(
      "hash-threshold 8\n"
      "\n"
      "query I valuesort\n"
      "SELECT a FROM t1\n"
      "----\n"
      "30 values hashing to 3c13dee48d9356ae19af2515e05e6b54\n"
      "\n"
      "query I nosort\n"
      "SELECT 1\n"
      "----\n"
      "1\n",
      "t.test");
  ASSERT_EQ(script.records.size(), 3u);
  EXPECT_EQ(script.records[0].kind, RecordKind::kHashThreshold);
  EXPECT_EQ(script.records[0].hash_threshold, 8u);
  EXPECT_EQ(script.records[1].sort, SortMode::kValueSort);
  EXPECT_EQ(script.records[1].expected,
            (std::vector<std::string>{"30 values hashing to 3c13dee48d9356ae19af2515e05e6b54"}));
  EXPECT_EQ(script.records[2].sort, SortMode::kNoSort);
  EXPECT_EQ(script.statement_count() + script.query_count(), 2u);  // control records are not counted
  EXPECT_EQ(SortModeName(SortMode::kRowSort), "rowsort");
}

TEST(SltScriptTest, CommentsAreRemovedEverywhere) {
  const Script script = ParseScript(
      "# a file comment\n"
      "statement ok\n"
      "# inside the record, before the SQL\n"
      "CREATE TABLE t(x)\n"
      "# a comment does not separate records\n"
      "\n"
      "query I nosort # a trailing comment on the command line\n"
      "SELECT x\n"
      "# stripped from the middle of the SQL\n"
      "FROM t\n"
      "----\n",
      "t.test");
  ASSERT_EQ(script.records.size(), 2u);
  EXPECT_EQ(script.records[0].sql, "CREATE TABLE t(x)");
  EXPECT_EQ(script.records[0].line, 2);
  EXPECT_EQ(script.records[0].sql_line, 4);
  EXPECT_EQ(script.records[1].sql, "SELECT x\nFROM t");
  EXPECT_EQ(script.records[1].types, "I");
  EXPECT_TRUE(script.records[1].has_results);
}

TEST(SltScriptTest, ConditionsAndHalt) {
  const Script script = ParseScript(
      "onlyif mssql\n"
      "halt\n"
      "\n"
      "skipif sqlite\n"
      "statement ok\n"
      "SELECT 1\n"
      "\n"
      "onlyif sqlite # empty RHS\n"
      "skipif mysql  # this is allowed\n"
      "query I nosort\n"
      "SELECT 1 IN ()\n"
      "----\n"
      "0\n"
      "\n"
      "halt\n",
      "t.test");
  ASSERT_EQ(script.records.size(), 4u);
  const Record& guarded_halt = script.records[0];
  EXPECT_EQ(guarded_halt.kind, RecordKind::kHalt);
  EXPECT_EQ(guarded_halt.conditions, (std::vector<Condition>{{true, "mssql"}}));
  EXPECT_FALSE(RunsOn(guarded_halt, "sqlite"));
  EXPECT_TRUE(RunsOn(guarded_halt, "mssql"));

  EXPECT_EQ(script.records[1].conditions, (std::vector<Condition>{{false, "sqlite"}}));
  EXPECT_FALSE(RunsOn(script.records[1], "sqlite"));
  EXPECT_TRUE(RunsOn(script.records[1], "mysql"));

  const Record& query = script.records[2];
  EXPECT_EQ(query.conditions, (std::vector<Condition>{{true, "sqlite"}, {false, "mysql"}}));
  EXPECT_EQ(query.line, 10);
  EXPECT_TRUE(RunsOn(query, "sqlite"));
  EXPECT_FALSE(RunsOn(query, "mysql"));
  EXPECT_FALSE(RunsOn(query, "postgresql"));  // onlyif names another engine

  EXPECT_EQ(script.records[3].kind, RecordKind::kHalt);
  EXPECT_TRUE(script.records[3].conditions.empty());
  EXPECT_TRUE(RunsOn(script.records[3], "sqlite"));
}

TEST(SltScriptTest, CrlfLineEndsAndBlankLinesWithSpaces) {
  const Script script = ParseScript(
      "statement ok\r\nCREATE TABLE t(x)\r\n  \t\r\nquery T nosort\r\nSELECT 'a'\r\n----\r\na\r\n", "t.test");
  ASSERT_EQ(script.records.size(), 2u);
  EXPECT_EQ(script.records[0].sql, "CREATE TABLE t(x)");
  EXPECT_EQ(script.records[1].expected, (std::vector<std::string>{"a"}));
}

TEST(SltScriptTest, EmptyFileHasNoRecords) {
  EXPECT_TRUE(ParseScript("", "t.test").records.empty());
  EXPECT_TRUE(ParseScript("# only a comment\n\n\n", "t.test").records.empty());
}

TEST(SltScriptTest, ErrorsNameFileAndLine) {
  int line = 0;
  EXPECT_EQ(ParseErrorOf("statement ok\nSELECT 1\n\nselect 2\n", &line),
            "t.test:4: unknown record type 'select' (expected statement, query, hash-threshold, halt, skipif or "
            "onlyif)");
  EXPECT_EQ(line, 4);
  EXPECT_EQ(ParseErrorOf("\n\nstatement maybe\nSELECT 1\n", &line),
            "t.test:3: expected 'statement ok' or 'statement error'");
  EXPECT_EQ(line, 3);
  EXPECT_EQ(ParseErrorOf("statement ok\n"), "t.test:1: the statement has no SQL");
  EXPECT_EQ(ParseErrorOf("query IX nosort\nSELECT 1\n"), "t.test:1: query type string 'IX' may hold only I, R and T");
  EXPECT_EQ(ParseErrorOf("query I sorted\nSELECT 1\n"),
            "t.test:1: unknown sort mode 'sorted' (expected nosort, rowsort or valuesort)");
  EXPECT_EQ(ParseErrorOf("query\nSELECT 1\n"), "t.test:1: expected 'query <types> [nosort|rowsort|valuesort] [label]'");
  EXPECT_EQ(ParseErrorOf("query I nosort\n----\n1\n"), "t.test:1: the query has no SQL");
  EXPECT_EQ(ParseErrorOf("hash-threshold lots\n"), "t.test:1: expected 'hash-threshold <N>' with N a whole number");
  EXPECT_EQ(ParseErrorOf("halt now\n"), "t.test:1: 'halt' takes no arguments");
  EXPECT_EQ(ParseErrorOf("halt\nstatement ok\n"),
            "t.test:2: unexpected text after 'halt'; a blank line must separate it from the next record");
  EXPECT_EQ(ParseErrorOf("skipif\nhalt\n"), "t.test:1: 'skipif' needs exactly one engine name");
  EXPECT_EQ(ParseErrorOf("# c\nonlyif sqlite\n"), "t.test:2: a skipif/onlyif condition must be followed by a record");
}

TEST(SltScriptTest, LoadScriptReportsUnreadableFiles) {
  try {
    LoadScript("/nonexistent/dir/missing.test");
    FAIL() << "loaded a missing file";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line(), 0);
    EXPECT_EQ(std::string(e.what()), "/nonexistent/dir/missing.test:0: no such file");
  }
  try {
    LoadScript("/");
    FAIL() << "loaded a directory";
  } catch (const ParseError& e) {
    EXPECT_EQ(std::string(e.what()), "/:0: not a regular file");
  }
}

}  // namespace
}  // namespace stablevfs::slt
