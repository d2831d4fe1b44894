// Goal: every operation kind has one line spelling that parses back to the same operation, hand-written lines
// in the documented grammar parse to what they mean, and malformed lines are rejected with the right column
// and a message that names the problem.
//
// Method: a table of hand-written lines, one or more per op kind, each with the Op it must parse to; for each,
// ParseOp(line) == op and ParseOp(PrintOp(op)) == op (and PrintOp is a fixed point on the canonical line).
// Then a table of malformed lines with the exact column and a fragment of the message. The generator's ops
// are round-tripped in bulk in ops_generator_test.cpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "failpoints/catalogue.h"
#include "harness/ops/op.h"
#include "harness/ops/op_text.h"

namespace stablevfs::ops {
namespace {

Op MustParse(std::string_view line) {
  Parsed<Op> parsed = ParseOp(line);
  EXPECT_TRUE(parsed.ok()) << line << "\n  column " << (parsed.ok() ? 0 : parsed.error().column) << ": "
                           << (parsed.ok() ? "" : parsed.error().message);
  if (!parsed.ok()) return UpgradeOp{};
  return std::move(parsed).value();
}

struct Example {
  std::string line;  // as a person might write it
  Op op;             // what it means
  std::string canonical;  // how PrintOp spells it ("" = the same as line)
};

std::vector<Example> Examples() {
  return {
      {"update INSERT INTO t VALUES(1, 'a;b')", UpdateOp{{{"INSERT INTO t VALUES(1, 'a;b')", false}}}, ""},
      {"update CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES(1, 'x'); "
       "?INSERT INTO t VALUES(1, 'dup'); SAVEPOINT s1; UPDATE t SET v = 'y'; ROLLBACK TO s1; RELEASE s1",
       UpdateOp{{{"CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)", false},
                 {"INSERT INTO t VALUES(1, 'x')", false},
                 {"INSERT INTO t VALUES(1, 'dup')", true},
                 {"SAVEPOINT s1", false},
                 {"UPDATE t SET v = 'y'", false},
                 {"ROLLBACK TO s1", false},
                 {"RELEASE s1", false}}},
       ""},
      // Extra blanks, a trailing ';', empty statements and "? stmt" are accepted and normalised.
      {"  update   INSERT INTO t VALUES(1) ;; ?  DELETE FROM t ;  ",
       UpdateOp{{{"INSERT INTO t VALUES(1)", false}, {"DELETE FROM t", true}}},
       "update INSERT INTO t VALUES(1); ?DELETE FROM t"},
      // A trigger body keeps its inner ';' (sqlite3_complete decides), even behind a '?'.
      {"update ?CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; INSERT INTO u VALUES(1); END; SELECT 1",
       UpdateOp{{{"CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; INSERT INTO u VALUES(1); END", true},
                 {"SELECT 1", false}}},
       ""},
      {"update INSERT INTO \"we;ird\" VALUES('it''s; fine') /* ; */",
       UpdateOp{{{"INSERT INTO \"we;ird\" VALUES('it''s; fine') /* ; */", false}}}, ""},
      {"query SELECT count(*) FROM t WHERE v = 'a | b'", QueryOp{"SELECT count(*) FROM t WHERE v = 'a | b'"}, ""},
      {"kv-put alice x'00ff10'", KvPutOp{"alice", ValueSpec::Hex(std::string("\x00\xff\x10", 3))}, ""},
      {"kv-put alice X'00FF10'", KvPutOp{"alice", ValueSpec::Hex(std::string("\x00\xff\x10", 3))},
       "kv-put alice x'00ff10'"},
      {"kv-put 'a b' 'it''s'", KvPutOp{"a b", ValueSpec::Text("it's")}, ""},
      {"kv-put k1 x''", KvPutOp{"k1", ValueSpec::Hex("")}, ""},
      {"kv-put k1 fill( 16385 , 7 )", KvPutOp{"k1", ValueSpec::Fill(16385, 7)}, "kv-put k1 fill(16385,7)"},
      {"kv-put k2 pattern(300000,18446744073709551615)", KvPutOp{"k2", ValueSpec::Pattern(300000, UINT64_MAX)}, ""},
      {"kv-put '' pattern(0,0)", KvPutOp{"", ValueSpec::Pattern(0, 0)}, ""},
      {"kv-get k1", KvGetOp{"k1"}, ""},
      {"kv-get 'it''s'", KvGetOp{"it's"}, "kv-get it's"},  // quotes only where needed
      {"kv-get 'ends\\'", KvGetOp{"ends\\"}, ""},
      {"kv-delete k1", KvDeleteOp{"k1"}, ""},
      {"migrate 1:CREATE TABLE a(x); CREATE INDEX ai ON a(x) | 2:ALTER TABLE a ADD COLUMN y TEXT DEFAULT 'p|3:q'",
       MigrateOp{{{1, "CREATE TABLE a(x); CREATE INDEX ai ON a(x)"},
                  {2, "ALTER TABLE a ADD COLUMN y TEXT DEFAULT 'p|3:q'"}}},
       ""},
      // '||' and '|' in expressions do not split; only '| <digits>:' does.
      {"migrate 7:INSERT INTO a VALUES('x' || 'y', 3 | 4)|8:SELECT 1",
       MigrateOp{{{7, "INSERT INTO a VALUES('x' || 'y', 3 | 4)"}, {8, "SELECT 1"}}},
       "migrate 7:INSERT INTO a VALUES('x' || 'y', 3 | 4) | 8:SELECT 1"},
      {"migrate 3:CREATE TABLE d(a) | 3:CREATE TABLE d(a)",
       MigrateOp{{{3, "CREATE TABLE d(a)"}, {3, "CREATE TABLE d(a)"}}}, ""},
      {"migrate 1: | 2:SELECT 1", MigrateOp{{{1, ""}, {2, "SELECT 1"}}}, ""},
      {"migrate", MigrateOp{}, ""},
      {"integrity-check", IntegrityCheckOp{}, ""},
      {"checksum", ChecksumOp{}, ""},
      {"checksum-chunk 16384", ChecksumChunkOp{16384}, ""},
      {"checksum-chunk 0", ChecksumChunkOp{0}, ""},
      {"export-import", ExportImportOp{}, ""},
      {"import-bad-checksum", ImportBadChecksumOp{}, ""},
      {"import-cancel", ImportCancelOp{}, ""},
      {"compact", CompactOp{}, ""},
      {"upgrade", UpgradeOp{}, ""},
      {"arm commit.page_write=nth(3):trap;memory.grow=50%error",
       ArmOp{"commit.page_write=nth(3):trap;memory.grow=50%error"}, ""},
      {"arm sqlite.step = 2*off->1*crash", ArmOp{"sqlite.step = 2*off->1*crash"}, ""},
      {"arm", ArmOp{""}, ""},
      {"capacity 40", CapacityOp{CapacityOp::Mode::kAbsolute, 40}, ""},
      {"capacity +2", CapacityOp{CapacityOp::Mode::kAboveCurrent, 2}, ""},
      {"capacity default", CapacityOp{CapacityOp::Mode::kDefault, 0}, ""},
      {"budget 5000000000", BudgetOp{false, 5000000000}, ""},
      {"budget default", BudgetOp{true, 0}, ""},
  };
}

TEST(OpsTextTest, HandWrittenLinesParseToTheirMeaningAndRoundTrip) {
  std::vector<bool> kinds_seen(kOpKindCount, false);
  for (const Example& example : Examples()) {
    SCOPED_TRACE(example.line);
    const Op parsed = MustParse(example.line);
    EXPECT_EQ(parsed, example.op);
    const std::string printed = PrintOp(example.op);
    EXPECT_EQ(printed, example.canonical.empty() ? example.line : example.canonical);
    EXPECT_EQ(MustParse(printed), example.op);
    kinds_seen[static_cast<size_t>(KindOf(example.op))] = true;
  }
  for (int k = 0; k < kOpKindCount; ++k) {
    EXPECT_TRUE(kinds_seen[k]) << "no example of " << OpKindName(static_cast<OpKind>(k));
  }
}

TEST(OpsTextTest, KindNamesAndOutcomesRoundTrip) {
  for (int k = 0; k < kOpKindCount; ++k) {
    OpKind kind;
    ASSERT_TRUE(ParseOpKind(OpKindName(static_cast<OpKind>(k)), &kind));
    EXPECT_EQ(static_cast<int>(kind), k);
  }
  for (int o = 0; o < kOutcomeCount; ++o) {
    Outcome outcome;
    ASSERT_TRUE(ParseOutcome(OutcomeName(static_cast<Outcome>(o)), &outcome));
    EXPECT_EQ(static_cast<int>(outcome), o);
  }
  OpKind kind;
  EXPECT_FALSE(ParseOpKind("updat", &kind));
  EXPECT_FALSE(IsMessage(OpKind::kArm));
  EXPECT_FALSE(IsMessage(OpKind::kCapacity));
  EXPECT_FALSE(IsMessage(OpKind::kBudget));
  EXPECT_TRUE(IsMessage(OpKind::kUpgrade));
}

TEST(OpsTextTest, ValueBytesAreReproducibleFromTheLine) {
  EXPECT_EQ(ValueSpec::Fill(3, 0x41).Bytes(), (std::vector<uint8_t>{0x41, 0x41, 0x41}));
  EXPECT_EQ(ValueSpec::Text("hi").Bytes(), (std::vector<uint8_t>{'h', 'i'}));
  // SplitMix64 seeded with 0: the first output is 0xe220a8397b1dcdaf (the published reference value), the
  // second 0x6e789e6aa1b965f4; bytes are taken least significant first and the last output is cut.
  const std::vector<uint8_t> pattern = ValueSpec::Pattern(11, 0).Bytes();
  EXPECT_EQ(pattern, (std::vector<uint8_t>{0xaf, 0xcd, 0x1d, 0x7b, 0x39, 0xa8, 0x20, 0xe2, 0xf4, 0x65, 0xb9}));
  EXPECT_EQ(ValueSpec::Pattern(300000, 9).Bytes().size(), 300000u);
  EXPECT_EQ(ValueSpec::Pattern(300000, 9).size(), 300000u);
  EXPECT_NE(ValueSpec::Pattern(64, 1).Bytes(), ValueSpec::Pattern(64, 2).Bytes());
}

TEST(OpsTextTest, NewlinesTravelAsContinuationLines) {
  const Op op = UpdateOp{{{"INSERT INTO t VALUES('line one\nline two\\')", false}, {"SELECT 1", false}}};
  const std::string logical = PrintOp(op);
  EXPECT_EQ(MustParse(logical), op);
  const std::string physical = ToPhysicalLines(logical);
  EXPECT_EQ(physical, "update INSERT INTO t VALUES('line one\\\nline two\\'); SELECT 1");
  // A line ending in a backslash gets a guard blank, which the parser ignores.
  const Op query = QueryOp{"SELECT 1 -- a comment ending in \\"};
  EXPECT_EQ(ToPhysicalLines(PrintOp(query)), "query SELECT 1 -- a comment ending in \\ ");
  EXPECT_EQ(MustParse(ToPhysicalLines(PrintOp(query))), query);
}

TEST(OpsTextTest, SplitStatementsFollowsSqlite) {
  Parsed<std::vector<Statement>> split = SplitStatements("SELECT ';'; SELECT \"a;\" -- tail;\n; ;SELECT 2");
  ASSERT_TRUE(split.ok());
  ASSERT_EQ(split.value().size(), 3u);
  EXPECT_EQ(split.value()[0].sql, "SELECT ';'");
  EXPECT_EQ(split.value()[1].sql, "SELECT \"a;\" -- tail;");
  EXPECT_EQ(split.value()[2].sql, "SELECT 2");
  // The trimmed '--' comment gets its newline back when printed, so the statements survive a round trip.
  const Op op = UpdateOp{split.value()};
  EXPECT_EQ(PrintOp(op), "update SELECT ';'; SELECT \"a;\" -- tail;\n; SELECT 2");
  EXPECT_EQ(MustParse(PrintOp(op)), op);
  Parsed<std::vector<Statement>> bad = SplitStatements("SELECT 1; ? ; SELECT 2");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().column, 11u);
}

struct BadLine {
  std::string line;
  size_t column;
  std::string message_part;
};

TEST(OpsTextTest, MalformedLinesNameTheColumnAndTheProblem) {
  const std::vector<BadLine> cases = {
      {"updat INSERT INTO t VALUES(1)", 1, "unknown operation 'updat' (expected one of update, query, kv-put"},
      {"   frobnicate", 4, "unknown operation 'frobnicate'"},
      {"", 1, "expected an operation"},
      {"update", 7, "update needs at least one SQL statement"},
      {"update ;  ; ", 8, "update needs at least one SQL statement"},
      {"update SELECT 1; ?", 18, "expected a SQL statement after '?'"},
      {"query   ", 9, "query needs a SQL statement"},
      {"kv-put", 7, "expected a key"},
      {"kv-put k1", 10, "expected a value"},
      {"kv-put k1 x'0g'", 14, "bad hex digit 'g'"},
      {"kv-put k1 x'abc'", 15, "odd number of hex digits"},
      {"kv-put k1 x'ab", 11, "unterminated hex value"},
      {"kv-put k1 'abc", 11, "unterminated quoted text value"},
      {"kv-put 'k1 x''", 8, "unterminated quoted key"},
      {"kv-put k1 fill(10,256)", 11, "fill byte must be 0..255"},
      {"kv-put k1 fill(10)", 18, "expected ',' in fill(<size>,<byte>)"},
      {"kv-put k1 pattern(x,1)", 19, "expected a size in bytes"},
      {"kv-put k1 pattern(99999999999,1)", 11, "exceeds the limit"},
      {"kv-put k1 blob", 11, "expected a value: x'<hex>', '<text>', fill(<size>,<byte>) or pattern(<size>,<seed>)"},
      {"kv-put k1 x'00' extra", 17, "unexpected 'extra' after the value"},
      {"kv-put 'k1'x'00'", 12, "expected a blank after the key"},
      {"kv-get k1 k2", 11, "unexpected 'k2' after the key"},
      {"migrate x:SELECT 1", 9, "expected a migration '<version>:<sql>', got 'x:SELECT'"},
      {"migrate 1 SELECT 1", 10, "expected ':' after the migration version"},
      {"migrate 1:SELECT 1 | 2 SELECT 2", 0, ""},  // not a separator: all one migration (checked below)
      {"checksum-chunk", 15, "expected a chunk size in bytes"},
      {"checksum-chunk 12x", 16, "expected a chunk size in bytes, got '12x'"},
      {"checksum-chunk 18446744073709551616", 16, "(out of range)"},
      {"checksum-chunk 5 6", 18, "unexpected '6' after the chunk size"},
      {"integrity-check now", 17, "unexpected 'now' after 'integrity-check' (it takes no arguments)"},
      {"upgrade x", 9, "it takes no arguments"},
      {"arm commit.page_write=nth(3):trapp", 30, "bad failpoint spec: unknown action 'trapp'"},
      {"arm =trap", 5, "bad failpoint spec"},
      {"capacity", 9, "expected a page count"},
      {"capacity -3", 10, "expected a page count (64 KiB pages), +<pages> or default, got '-3'"},
      {"capacity +x", 11, "expected a page count"},
      {"capacity 3 4", 12, "unexpected '4' after the capacity"},
      {"budget lots", 8, "expected an instruction count or default, got 'lots'"},
  };
  for (const BadLine& c : cases) {
    SCOPED_TRACE(c.line);
    Parsed<Op> parsed = ParseOp(c.line);
    if (c.column == 0) {
      EXPECT_TRUE(parsed.ok());
      continue;
    }
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().column, c.column) << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(c.message_part), std::string::npos) << parsed.error().message;
  }
  const Op odd = MustParse("migrate 1:SELECT 1 | 2 SELECT 2");
  ASSERT_EQ(std::get<MigrateOp>(odd).migrations.size(), 1u);
}

TEST(OpsTextTest, ArmSpecsCanBeCheckedAgainstACatalogue) {
  fp::Catalogue catalogue;
  static constexpr fp::SiteInfo kSites[] = {
      {"commit.page_write", "test", "a page write", fp::kLibraryActions},
  };
  catalogue.Register(kSites);
  EXPECT_TRUE(ParseOp("arm commit.page_write=trap", &catalogue).ok());
  Parsed<Op> unknown = ParseOp("arm commit.page_writ=trap", &catalogue);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().column, 5u);
  EXPECT_NE(unknown.error().message.find("commit.page_writ"), std::string::npos) << unknown.error().message;
  // Without a catalogue only the syntax is checked.
  EXPECT_TRUE(ParseOp("arm commit.page_writ=trap").ok());
}

}  // namespace
}  // namespace stablevfs::ops
