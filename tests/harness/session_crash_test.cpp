// Session crash judgement: a power loss leaves the old state or the new one, and the models follow it.
//
// Goal: prove both branches of the crash resolution are reachable and judged right: a crash before the commit
// point keeps the old logical file (page model discarded, data model untouched), and a crash after the commit
// point keeps the new one (page model committed, the work replayed into the data model), and neither is a
// violation. Method: count the stable writes an op makes in one session, then replay the same op in a fresh
// session with the same seed (so the same writes) and freeze the power at a chosen write with memory.write
// crash or torn(N) (a torn write that persists all its bytes is a crash just after that write).
#include <gtest/gtest.h>

#include "failpoints/registry.h"
#include "harness/model/sqlite_db.h"
#include "harness/ops/interpreter.h"
#include "harness/ops/op_text.h"
#include "harness/sim/sim_failpoints.h"

namespace stablevfs::ops {
namespace {

Op Parse(std::string_view line) {
  Parsed<Op> op = ParseOp(line);
  if (!op.ok()) throw std::invalid_argument(std::string(line) + ": " + op.error().message);
  return op.value();
}

constexpr const char* kSetup = "update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); INSERT INTO t VALUES(1, x'01')";
constexpr const char* kWork = "update INSERT INTO t VALUES(2, zeroblob(40000)); UPDATE t SET v = x'02' WHERE id = 1";

// The number of stable writes `line` makes after kSetup in a session seeded with `seed`.
uint64_t WritesOf(uint64_t seed, const char* line) {
  Session session({.seed = seed});
  EXPECT_TRUE(session.Run(Parse(kSetup)).ok());
  const uint64_t before = fp::Hits(sim::kMemoryWriteSite);
  StepRecord r = session.Run(Parse(line));
  EXPECT_EQ(r.outcome, Outcome::kCommitted) << r.ToString();
  return fp::Hits(sim::kMemoryWriteSite) - before;
}

class SessionCrashTest : public ::testing::Test {
 protected:
  void TearDown() override { fp::ClearAll(); }
};

TEST_F(SessionCrashTest, CrashBeforeTheSuperblockKeepsTheOldState) {
  const uint64_t writes = WritesOf(7, kWork);
  ASSERT_GE(writes, 3u);  // pages, tables, superblock at least
  for (uint64_t k = 1; k <= writes; ++k) {
    Session session({.seed = 7});
    ASSERT_TRUE(session.Run(Parse(kSetup)).ok());
    const std::vector<uint8_t> old_image = session.page_model().bytes();
    ASSERT_TRUE(session.Run(Parse("arm memory.write=nth(" + std::to_string(k) + "):crash")).ok());
    StepRecord r = session.Run(Parse(kWork));
    EXPECT_EQ(r.outcome, Outcome::kCrashed) << r.ToString();
    EXPECT_TRUE(r.ok()) << "crash before write " << k << "\n" << r.ToString();
    // Every write is before the commit point or is the commit point itself (which the crash prevents).
    EXPECT_EQ(session.page_model().bytes(), old_image) << k;
    EXPECT_EQ(model::QueryInt(session.data_model().handle(), "SELECT count(*) FROM t"), 1);
    StepRecord next = session.Run(Parse("update INSERT INTO t VALUES(3, x'03')"));
    EXPECT_EQ(next.outcome, Outcome::kCommitted) << next.ToString();
    EXPECT_TRUE(next.ok()) << next.ToString();
  }
}

TEST_F(SessionCrashTest, CrashJustAfterTheSuperblockKeepsTheNewStateAndReplaysTheWork) {
  const uint64_t writes = WritesOf(8, kWork);
  Session session({.seed = 8});
  ASSERT_TRUE(session.Run(Parse(kSetup)).ok());
  // The superblock is the last write: let it land whole (torn with a byte count beyond its length), then freeze.
  ASSERT_TRUE(session.Run(Parse("arm memory.write=" + std::to_string(writes - 1) + "*off->1*torn(1000000)")).ok());
  StepRecord r = session.Run(Parse(kWork));
  EXPECT_EQ(r.outcome, Outcome::kCrashed) << r.ToString();
  EXPECT_TRUE(r.ok()) << r.ToString();
  EXPECT_TRUE(session.last_op_applied());
  EXPECT_EQ(model::QueryInt(session.data_model().handle(), "SELECT count(*) FROM t"), 2);
  StepRecord q = session.Run(Parse("query SELECT id, length(v) FROM t ORDER BY id"));
  EXPECT_TRUE(q.ok()) << q.ToString();
  EXPECT_EQ(q.detail, "2 rows");
}

TEST_F(SessionCrashTest, MigrateCrashBetweenPublishAndSchemaVersionKeepsDataWithOldVersion) {
  constexpr const char* kMigrate = "migrate 1:CREATE TABLE m(a); INSERT INTO m VALUES(1)";
  const uint64_t writes = WritesOf(9, kMigrate);
  Session session({.seed = 9});
  ASSERT_TRUE(session.Run(Parse(kSetup)).ok());
  // The last write stores schema_version after the migration was published: crash just before it.
  ASSERT_TRUE(session.Run(Parse("arm memory.write=nth(" + std::to_string(writes) + "):crash")).ok());
  StepRecord r = session.Run(Parse(kMigrate));
  EXPECT_EQ(r.outcome, Outcome::kCrashed) << r.ToString();
  EXPECT_TRUE(r.ok()) << r.ToString();
  EXPECT_EQ(session.schema_version(), 0u);
  EXPECT_EQ(model::QueryInt(session.data_model().handle(), "SELECT count(*) FROM m"), 1);
  // Migrating again skips the recorded version and only stores schema_version.
  StepRecord again = session.Run(Parse(kMigrate));
  EXPECT_EQ(again.outcome, Outcome::kCommitted) << again.ToString();
  EXPECT_TRUE(again.ok()) << again.ToString();
  EXPECT_EQ(session.schema_version(), 1u);
  EXPECT_EQ(model::QueryInt(session.data_model().handle(), "SELECT count(*) FROM m"), 1);
}

TEST_F(SessionCrashTest, TrapAtAnyWriteRestoresEveryByte) {
  const uint64_t writes = WritesOf(10, kWork);
  for (uint64_t k = 1; k <= writes; ++k) {
    Session session({.seed = 10});
    ASSERT_TRUE(session.Run(Parse(kSetup)).ok());
    ASSERT_TRUE(session.Run(Parse("arm memory.write=nth(" + std::to_string(k) + "):trap")).ok());
    StepRecord r = session.Run(Parse(kWork));
    EXPECT_EQ(r.outcome, Outcome::kTrapped) << r.ToString();
    EXPECT_TRUE(r.ok()) << r.ToString();
  }
}

}  // namespace
}  // namespace stablevfs::ops
