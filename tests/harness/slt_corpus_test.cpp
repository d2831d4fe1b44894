// The sqllogictest runner on real corpus files, read in place from ../shared/corpora (never copied here).
//
// Goal: on the corpus, the VFS matches stock SQLite on every record, and the file's expected text is matched
// too except where the corpus README says stock SQLite 3.40 differs: the two sum/total(DISTINCT x) results of
// slt_lang_aggfunc.test that need SQLite >= 3.43 float formatting. Those must come out as notes, not failures.
// Method: RunScript on two small files, counters and note lines checked. The corpus lives beside the repository
// (../shared/corpora from its root, found from this file's path); the tests skip, saying so, when it is absent.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "harness/slt/runner.h"
#include "harness/slt/script.h"

namespace stablevfs::slt {
namespace {

// <repo>/tests/harness/this file -> <repo>/../shared/corpora/sqllogictest/test
std::filesystem::path CorpusDir() {
  const std::filesystem::path repo = STABLEVFS_SOURCE_DIR;
  return repo / ".." / "shared" / "corpora" / "sqllogictest" / "test";
}

class SltCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(CorpusDir())) {
      GTEST_SKIP() << "sqllogictest corpus absent at " << CorpusDir().string() << ": skipped";
    }
  }
};

TEST_F(SltCorpusTest, In1MatchesEverywhere) {
  const FileReport r = RunScript(LoadScript((CorpusDir() / "evidence" / "in1.test").string()), RunOptions{});
  EXPECT_EQ(r.records, 216u);
  EXPECT_EQ(r.failures, 0u);
  EXPECT_EQ(r.expected_mismatches, 0u);
  EXPECT_EQ(r.skipped, 2u);  // onlyif mssql / onlyif oracle halts and their like
  EXPECT_EQ(r.matched + r.skipped, r.records);
}

TEST_F(SltCorpusTest, AggfuncDiffersFromTheFileOnlyWhereStockSqliteDoes) {
  const FileReport r =
      RunScript(LoadScript((CorpusDir() / "evidence" / "slt_lang_aggfunc.test").string()), RunOptions{});
  EXPECT_EQ(r.records, 80u);
  EXPECT_EQ(r.failures, 0u);
  EXPECT_EQ(r.matched, 80u);
  if (sqlite3_libversion_number() >= 3043000) {
    EXPECT_EQ(r.expected_mismatches, 0u) << "SQLite " << sqlite3_libversion() << " formats floats as the corpus";
    return;
  }
  ASSERT_EQ(r.expected_mismatches, 2u);
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_EQ(r.notes[0].line, 484);
  EXPECT_EQ(r.notes[0].sql, "SELECT sum(DISTINCT x) FROM t1");
  EXPECT_EQ(r.notes[1].line, 496);
  EXPECT_EQ(r.notes[1].sql, "SELECT total(DISTINCT x) FROM t1");
  EXPECT_EQ(r.notes[0].expected, "-9223372036854776000.000");
}

}  // namespace
}  // namespace stablevfs::slt
