// The sqllogictest runner: the VFS beside stock SQLite, and both beside the file's expected text.
//
// Goal: a clean script matches record for record with the counters adding up; a wrong expected value in the
// file is reported as a note (stock SQLite agrees with the VFS) and not as a failure; a real difference between
// the VFS and stock SQLite is a failure; an injected fault that makes a VFS statement fail is "faulted", and the
// stock side drops the statement too, so the rest of the file still matches; a crash is resolved to the state
// before or after the statement; TEMP objects the VFS loses with its connection are dropped on the stock side;
// a database that cannot be reopened ends the file with one failure.
// Method: small inline scripts run by RunScript, with failpoints armed through RunOptions::faults; the
// following queries prove the two databases stayed alike (a divergence would be counted as a failure).
#include "harness/slt/runner.h"

#include <gtest/gtest.h>

#include <chrono>

#include <string>

#include "failpoints/registry.h"
#include "harness/slt/script.h"

namespace stablevfs::slt {
namespace {

class SltRunnerTest : public ::testing::Test {
 protected:
  void TearDown() override { fp::ClearAll(); }

  static FileReport Run(const std::string& text, const std::optional<std::string>& faults = std::nullopt) {
    RunOptions options;
    if (faults) {
      fp::Spec spec;
      const fp::SpecStatus parsed = fp::ParseSpec(*faults, &spec);
      EXPECT_TRUE(parsed.ok()) << parsed.message();
      options.faults = spec;
    }
    return RunScript(ParseScript(text, "inline.test"), options);
  }

  static std::string Describe(const FileReport& r) {
    std::string out = "matched " + std::to_string(r.matched) + ", faulted " + std::to_string(r.faulted) +
                      ", failures " + std::to_string(r.failures) + ", notes " +
                      std::to_string(r.expected_mismatches) + "\n";
    for (const Finding& f : r.failure_details) out += "FAIL line " + std::to_string(f.line) + ": " + f.what + "\n";
    for (const Finding& f : r.notes) out += "note line " + std::to_string(f.line) + ": " + f.what + "\n";
    return out;
  }
};

constexpr const char* kTable =
    "statement ok\n"
    "CREATE TABLE t1(a INTEGER, b TEXT, c REAL)\n"
    "\n"
    "statement ok\n"
    "INSERT INTO t1 VALUES(1, 'one', 1.5)\n"
    "\n"
    "statement ok\n"
    "INSERT INTO t1 VALUES(2, '', NULL)\n"
    "\n"
    "statement ok\n"
    "INSERT INTO t1 VALUES(10, 'ten', 0.25)\n"
    "\n";

TEST_F(SltRunnerTest, CleanScriptMatchesEveryRecord) {
  const std::string text = std::string(kTable) +
                           "query ITR rowsort\n"
                           "SELECT a, b, c FROM t1\n"
                           "----\n"
                           "1\none\n1.500\n10\nten\n0.250\n2\n(empty)\nNULL\n"
                           "\n"
                           "statement error\n"
                           "INSERT INTO missing VALUES(1)\n"
                           "\n"
                           "skipif sqlite\n"
                           "query I nosort\n"
                           "SELECT nonsense FROM nowhere\n"
                           "\n"
                           "onlyif sqlite\n"
                           "query I valuesort label-sum\n"
                           "SELECT a FROM t1\n"
                           "----\n"
                           "1\n10\n2\n"
                           "\n"
                           "hash-threshold 2\n"
                           "\n"
                           "query I nosort label-sum\n"
                           "SELECT a FROM t1 ORDER BY b DESC\n"  // ten, one, '' -> 10, 1, 2; valuesort not asked
                           "----\n"
                           // "10\n1\n2\n" hashed (Python's hashlib).
                           "3 values hashing to 671407ba15adaf7872c9183017da4aaa\n"
                           "\n"
                           "halt\n"
                           "\n"
                           "statement ok\n"
                           "DROP TABLE t1\n";
  const FileReport r = Run(text);
  EXPECT_EQ(r.file, "inline.test");
  EXPECT_EQ(r.records, 10u);
  EXPECT_EQ(r.statements, 5u);
  EXPECT_EQ(r.queries, 3u);
  EXPECT_EQ(r.skipped, 2u);  // the skipif query and the statement after the halt
  EXPECT_EQ(r.matched, 8u) << Describe(r);
  EXPECT_EQ(r.failures, 0u) << Describe(r);
  EXPECT_EQ(r.faulted, 0u);
  // The two label-sum queries list their values in different orders (valuesort vs ORDER BY): a note.
  EXPECT_EQ(r.expected_mismatches, 1u) << Describe(r);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].what.find("label label-sum"), std::string::npos) << r.notes[0].what;
  EXPECT_EQ(r.halted_at_line, 48);
  EXPECT_TRUE(r.passed());
  EXPECT_TRUE(r.aborted.empty());
}

TEST_F(SltRunnerTest, WrongExpectedValueIsANoteNotAFailure) {
  const FileReport r = Run(std::string(kTable) +
                           "query I nosort\n"
                           "SELECT sum(a) FROM t1\n"
                           "----\n"
                           "14\n"  // deliberately wrong: 13
                           "\n"
                           "statement error\n"
                           "INSERT INTO t1 VALUES(4, 'four', 4.0)\n");  // succeeds: the file is wrong
  EXPECT_EQ(r.failures, 0u) << Describe(r);
  EXPECT_EQ(r.matched, 6u);
  EXPECT_EQ(r.expected_mismatches, 2u);
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_EQ(r.notes[0].line, 13);
  EXPECT_EQ(r.notes[0].what, "expected-text mismatch, stock SQLite agrees with the VFS");
  EXPECT_EQ(r.notes[0].sql, "SELECT sum(a) FROM t1");
  EXPECT_EQ(r.notes[0].expected, "14");
  EXPECT_EQ(r.notes[0].actual, "13\n(on both)");
  EXPECT_EQ(r.notes[1].line, 18);
  EXPECT_NE(r.notes[1].what.find("the file expects an error"), std::string::npos);
  EXPECT_TRUE(r.passed());
}

TEST_F(SltRunnerTest, WrongHashIsANote) {
  const FileReport r = Run(std::string(kTable) +
                           "query I rowsort\n"
                           "SELECT a FROM t1\n"
                           "----\n"
                           "3 values hashing to 00000000000000000000000000000000\n");
  EXPECT_EQ(r.failures, 0u);
  ASSERT_EQ(r.notes.size(), 1u);
  // Rowsort: "1", "10", "2"; the note shows the hash the engines produced.
  EXPECT_EQ(r.notes[0].actual, "3 values hashing to 91ff90854a35e9226df03b9b06c2f9c8\n(on both)");
}

TEST_F(SltRunnerTest, AVfsThatDiffersFromStockSqliteFails) {
  // Every stable write is lost: the VFS cannot keep what it commits, so after the first commit its database
  // differs from stock SQLite's (a storage fault that succeeds silently is never "faulted").
  const FileReport r = Run(std::string(kTable) +
                               "query I nosort\n"
                               "SELECT count(*) FROM t1\n"
                               "----\n"
                               "3\n",
                           "memory.write=lost");
  EXPECT_GT(r.failures, 0u) << Describe(r);
  EXPECT_FALSE(r.passed());
  ASSERT_FALSE(r.failure_details.empty());
  EXPECT_EQ(r.faulted, 0u);
  EXPECT_EQ(r.faults_fired.count("memory.write lost"), 1u);
}

TEST_F(SltRunnerTest, InjectedStepErrorIsFaultedAndDroppedOnTheStockSide) {
  // The CREATE message steps three times (BEGIN IMMEDIATE, CREATE, COMMIT); the fourth step, the INSERT
  // message's BEGIN IMMEDIATE, fails: the VFS refuses the INSERT.
  const FileReport r = Run(
      "statement ok\n"
      "CREATE TABLE t(x)\n"
      "\n"
      "statement ok\n"
      "INSERT INTO t VALUES(1)\n"
      "\n"
      "query I nosort\n"
      "SELECT count(*) FROM t\n"
      "----\n"
      "1\n",
      "sqlite.step=3*off->1*error");
  EXPECT_EQ(r.failures, 0u) << Describe(r);
  EXPECT_EQ(r.faulted, 1u) << Describe(r);
  EXPECT_EQ(r.matched, 2u);  // the count is 0 on both sides: the stock side dropped the INSERT too
  EXPECT_EQ(r.faults_fired.at("sqlite.step error"), 1u);
  EXPECT_EQ(r.text_checks_stopped_at_line, 4);  // the file's "1" no longer applies and is not compared
  EXPECT_EQ(r.expected_mismatches, 0u);
  EXPECT_TRUE(fp::Armed().empty()) << "the runner clears what it armed";
}

TEST_F(SltRunnerTest, TrapIsFaulted) {
  const FileReport r = Run(std::string(kTable) +
                               "query I nosort\n"
                               "SELECT count(*) FROM t1\n",
                           "overlay.write=2*off->1*trap");  // the third overlay write: one statement traps
  EXPECT_EQ(r.failures, 0u) << Describe(r);
  EXPECT_EQ(r.faulted, 1u) << Describe(r);
  EXPECT_EQ(r.faults_fired.at("overlay.write trap"), 1u);
}

TEST_F(SltRunnerTest, CrashBeforePublishKeepsTheOldState) {
  const FileReport r = Run(std::string(kTable) +
                               "query I nosort\n"
                               "SELECT count(*) FROM t1\n",
                           "commit.superblock_publish=nth(3):crash");  // the second INSERT's publish
  EXPECT_EQ(r.failures, 0u) << Describe(r);
  EXPECT_EQ(r.faulted, 1u) << Describe(r);
  EXPECT_EQ(r.faults_fired.at("commit.superblock_publish crash"), 1u);
}

TEST_F(SltRunnerTest, EveryTornWriteResolvesToTheOldOrTheNewState) {
  // Tear each of the first writes of the file in turn; whichever state the VFS keeps, the stock side follows
  // it and the rest of the file matches.
  for (int n = 1; n <= 12; ++n) {
    const FileReport r = Run(std::string(kTable) +
                                 "query ITR rowsort\n"
                                 "SELECT a, b, c FROM t1\n",
                             "memory.write=nth(" + std::to_string(n) + "):torn");
    EXPECT_EQ(r.failures, 0u) << "tear at write " << n << "\n" << Describe(r);
    EXPECT_EQ(r.matched + r.faulted, 5u);
  }
}

TEST_F(SltRunnerTest, TempObjectsLostWithTheConnectionAreDroppedOnTheStockSide) {
  // The trap makes the canister rebuild its heap, and with it the update connection holding the TEMP view.
  const FileReport r = Run(
      "statement ok\n"
      "CREATE TABLE t(x)\n"
      "\n"
      "statement ok\n"
      "CREATE TEMP VIEW v AS SELECT x FROM t\n"
      "\n"
      "statement ok\n"
      "INSERT INTO t VALUES(1)\n"
      "\n"
      "statement ok\n"
      "INSERT INTO t VALUES(2)\n"
      "\n"
      "statement ok\n"
      "DROP VIEW v\n",
      "overlay.write=2*off->1*trap");  // CREATE TEMP VIEW writes no page: an INSERT traps
  EXPECT_EQ(r.failures, 0u) << Describe(r);
  EXPECT_EQ(r.faulted, 1u) << Describe(r);
  EXPECT_EQ(r.temp_schema_resets, 1u);
  EXPECT_EQ(r.matched, 4u);  // DROP VIEW fails on both: the view is gone on both sides
}

TEST_F(SltRunnerTest, ADatabaseThatCannotBeReopenedAbortsTheFile) {
  // Bit 24 of every stable write is flipped: the MemoryManager header written when the database grows gets a
  // version byte no build knows. The third update traps (update.closure), so the canister rebuilds its heap from
  // stable memory, and that rebuild cannot open the database. (A query that writes nothing no longer rebuilds
  // the heap, so the trap is what forces the reopen.)
  const FileReport r = Run(
      "statement ok\n"
      "CREATE TABLE t(x)\n"
      "\n"
      "statement ok\n"
      "INSERT INTO t VALUES(1)\n"
      "\n"
      "query I nosort\n"
      "SELECT count(*) FROM t\n"
      "----\n"
      "1\n"
      "\n"
      "statement ok\n"
      "INSERT INTO t VALUES(2)\n",
      "memory.write=bitflip(24);update.closure=nth(3):trap");
  // The query at line 7 already reads corrupted pages (a failure); the trapped update at line 12 ends the file,
  // because the rebuilt heap cannot open the flipped MemoryManager header.
  EXPECT_NE(r.aborted.find("could not be reopened after line 12"), std::string::npos) << r.aborted;
  EXPECT_EQ(r.failures, 2u) << Describe(r);
  EXPECT_EQ(r.matched, 2u);
  EXPECT_EQ(r.statements + r.queries, r.matched + r.faulted + r.failures);
  ASSERT_EQ(r.failure_details.size(), 2u);
  EXPECT_EQ(r.failure_details[0].line, 7);
  EXPECT_EQ(r.failure_details[1].line, 12);
}

TEST_F(SltRunnerTest, UnknownFailpointIsRejected) {
  RunOptions options;
  options.faults = fp::Spec{{fp::SpecEntry{"no.such.site", {}}}};
  EXPECT_THROW(RunScript(ParseScript("statement ok\nSELECT 1\n", "x.test"), options), std::invalid_argument);
}

}  // namespace
}  // namespace stablevfs::slt

namespace stablevfs::slt {
namespace {

// An unbounded recursive CTE used to hang the runner (hostile-input audit, issue 12): both as a query and
// inside a statement, it must be stopped at the record limit, reported as a failure of that record only, and
// the file must go on, with both databases still alike.
TEST(SltRecordLimit, ARunawayRecordIsAFailureAndTheFileGoesOn) {
  const std::string text = std::string(kTable) +
                           "query I nosort\n"
                           "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c\n"
                           "----\n"
                           "0\n"
                           "\n"
                           "statement ok\n"
                           "INSERT INTO t1 WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                           "SELECT x, 'n', 0 FROM c\n"
                           "\n"
                           "query I nosort\n"
                           "SELECT count(*) FROM t1\n"
                           "----\n"
                           "3\n";
  RunOptions options;
  options.record_instruction_limit = 2'000'000;
  const auto start = std::chrono::steady_clock::now();
  const FileReport r = RunScript(ParseScript(text, "runaway.test"), options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.failures, 2u);
  EXPECT_EQ(r.matched, 5u);  // the four setup records and the count after the runaway ones
  ASSERT_EQ(r.failure_details.size(), 2u);
  for (const Finding& f : r.failure_details) {
    EXPECT_NE(f.what.find("record limit"), std::string::npos) << f.what;
    EXPECT_EQ(f.actual, "(not run)");
  }
  EXPECT_LT(seconds, 30.0);
}

}  // namespace
}  // namespace stablevfs::slt
