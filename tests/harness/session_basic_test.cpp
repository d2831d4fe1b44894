// Session: one op at a time against a simulated canister, judged after every message.
//
// Goal: each op kind reaches the outcome its semantics promise, the reference models follow the system, and
// the judge stays quiet on a correct library, while a deliberately planted disagreement (a model that is
// ahead of the system) is reported. Method: drive a Session with parsed op lines and inspect the StepRecords
// and the models directly.
#include "harness/ops/interpreter.h"

#include <gtest/gtest.h>

#include "failpoints/registry.h"
#include "harness/model/sqlite_db.h"
#include "harness/ops/op_text.h"

namespace stablevfs::ops {
namespace {

Op Parse(std::string_view line) {
  Parsed<Op> op = ParseOp(line);
  if (!op.ok()) throw std::invalid_argument(std::string(line) + ": " + op.error().message);
  return op.value();
}

std::string Describe(const StepRecord& record) { return record.ToString(); }

class SessionTest : public ::testing::Test {
 protected:
  void TearDown() override { fp::ClearAll(); }

  StepRecord Run(Session& session, std::string_view line) {
    StepRecord record = session.Run(Parse(line));
    return record;
  }
};

TEST_F(SessionTest, CommittedUpdateAdvancesBothModels) {
  Session session({.seed = 1});
  StepRecord r = Run(session, "update CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES(1, 'a')");
  ASSERT_EQ(r.outcome, Outcome::kCommitted) << Describe(r);
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_GT(session.page_model().size_bytes(), 0u);
  EXPECT_EQ(model::QueryInt(session.data_model().handle(), "SELECT count(*) FROM t"), 1);
  const uint64_t size_before = session.page_model().size_bytes();
  r = Run(session, "update INSERT INTO t SELECT id + 1, printf('%.*c', 20000, 'x') FROM t");
  ASSERT_EQ(r.outcome, Outcome::kCommitted) << Describe(r);
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_GT(session.page_model().size_bytes(), size_before);  // an overflow chain: the file grew
  EXPECT_EQ(model::QueryInt(session.data_model().handle(), "SELECT count(*) FROM t"), 2);
  r = Run(session, "query SELECT id, length(v) FROM t ORDER BY id");
  EXPECT_EQ(r.outcome, Outcome::kCommitted) << Describe(r);
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.detail, "2 rows");
}

TEST_F(SessionTest, UniqueViolationIsAnErrorWithTheImageUnchanged) {
  Session session({.seed = 2});
  ASSERT_TRUE(Run(session, "update CREATE TABLE t(id INTEGER PRIMARY KEY); INSERT INTO t VALUES(1)").ok());
  const std::vector<uint8_t> image = session.page_model().bytes();
  const uint64_t digest = session.canister().memory().Digest();
  StepRecord r = Run(session, "update INSERT INTO t VALUES(2); INSERT INTO t VALUES(1)");
  EXPECT_EQ(r.outcome, Outcome::kError) << Describe(r);
  EXPECT_TRUE(r.ok()) << Describe(r);  // the model refuses it too; the active state is unchanged
  EXPECT_EQ(session.page_model().bytes(), image);
  EXPECT_EQ(session.canister().memory().Digest(), digest);
  EXPECT_EQ(model::QueryInt(session.data_model().handle(), "SELECT count(*) FROM t"), 1);
  // A tolerated failure: the update goes on and commits the rest.
  r = Run(session, "update ?INSERT INTO t VALUES(1); INSERT INTO t VALUES(3)");
  EXPECT_EQ(r.outcome, Outcome::kCommitted) << Describe(r);
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(model::QueryInt(session.data_model().handle(), "SELECT count(*) FROM t"), 2);
}

TEST_F(SessionTest, KvMigrateAndAdminOpsStayClean) {
  Session session({.seed = 3});
  const char* lines[] = {
      "kv-put k1 'one'",
      "kv-put k2 fill(40000,7)",
      "kv-get k2",
      "kv-delete k1",
      "kv-get k1",
      "migrate 1:CREATE TABLE m1(a) | 2:CREATE INDEX m1a ON m1(a)",
      "migrate 2:CREATE INDEX m1a ON m1(a) | 3:CREATE TABLE m3(b)",
      "migrate 4:CREATE TABLE m4(a) | 4:CREATE TABLE m4(a)",
      "integrity-check",
      "checksum",
      "checksum-chunk 20000",
      "checksum-chunk 0",
      "export-import",
      "import-bad-checksum",
      "import-cancel",
      "compact",
      "upgrade",
      "kv-get k2",
  };
  for (const char* line : lines) {
    StepRecord r = Run(session, line);
    EXPECT_TRUE(r.ok()) << Describe(r);
    ASSERT_TRUE(r.outcome.has_value()) << line;
  }
  EXPECT_EQ(session.schema_version(), 0u);  // the export-import reset it
}

TEST_F(SessionTest, ExpectedOutcomesOfAdminOps) {
  Session session({.seed = 4});
  ASSERT_TRUE(Run(session, "kv-put a 'x'").ok());
  EXPECT_EQ(Run(session, "checksum-chunk 0").outcome, Outcome::kError);
  EXPECT_EQ(Run(session, "migrate 4:CREATE TABLE m4(a) | 4:CREATE TABLE m4(a)").outcome, Outcome::kError);
  StepRecord bad = Run(session, "import-bad-checksum");
  EXPECT_EQ(bad.outcome, Outcome::kError) << Describe(bad);
  EXPECT_TRUE(bad.ok()) << Describe(bad);
  EXPECT_GE(bad.messages, 5u);  // refresh, export, begin, chunk, finish
  StepRecord cancel = Run(session, "import-cancel");
  EXPECT_EQ(cancel.outcome, Outcome::kCommitted) << Describe(cancel);
  EXPECT_TRUE(cancel.ok()) << Describe(cancel);
}

TEST_F(SessionTest, ArmedFailpointsGiveEachOutcomeAndNoViolation) {
  Session session({.seed = 5});
  ASSERT_TRUE(Run(session, "update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)").ok());
  struct Case {
    const char* arm;
    Outcome outcome;
  } cases[] = {
      {"arm commit.page_write=error", Outcome::kError},
      {"arm commit.superblock_publish=trap", Outcome::kTrapped},
      {"arm commit.page_table_write=crash", Outcome::kCrashed},
      {"arm memory.write=nth(2):crash", Outcome::kCrashed},
      {"arm memory.write=nth(1):torn", Outcome::kCrashed},
      {"arm sqlite.step=nth(1):error", Outcome::kError},
  };
  int id = 0;
  for (const Case& c : cases) {
    ASSERT_TRUE(Run(session, c.arm).ok());
    ++id;
    StepRecord r = Run(session, "update INSERT INTO t VALUES(" + std::to_string(id) + ", zeroblob(30000))");
    EXPECT_EQ(r.outcome, c.outcome) << c.arm << "\n" << Describe(r);
    EXPECT_TRUE(r.ok()) << c.arm << "\n" << Describe(r);
    EXPECT_FALSE(r.fired.empty()) << c.arm;
    // Disarmed after one op: the next update commits.
    StepRecord next = Run(session, "update INSERT INTO t VALUES(" + std::to_string(100 + id) + ", x'01')");
    EXPECT_EQ(next.outcome, Outcome::kCommitted) << Describe(next);
    EXPECT_TRUE(next.ok()) << Describe(next);
  }
}

TEST_F(SessionTest, PlantedModelDivergenceIsReported) {
  Session session({.seed = 6});
  ASSERT_TRUE(Run(session, "update CREATE TABLE t(a)").ok());
  // Write behind the system's back into the data model: the next judgement must notice.
  model::ExecOrThrow(session.data_model().handle(), "INSERT INTO t VALUES(42)");
  StepRecord r = Run(session, "query SELECT count(*) FROM t");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.violations.front().property, property::kQueryResult) << Describe(r);
  bool data = false;
  for (const Violation& v : r.violations) data = data || v.property == property::kData;
  EXPECT_TRUE(data) << Describe(r);
}

}  // namespace
}  // namespace stablevfs::ops
