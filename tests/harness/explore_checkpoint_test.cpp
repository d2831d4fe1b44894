// Session checkpoints: restoring one makes the next op behave exactly as it did from the original state.
//
// Goal: the explorer re-runs a message many times from a Session checkpoint, in the same Session and in
// Sessions of other threads; a checkpoint that forgot any state Run depends on (memory, page model, data
// model, schema_version, pending arms, counters) would make those runs start from a different state and
// silently explore the wrong thing. Method: run a workload prefix, checkpoint, run an op and keep its record;
// then run other ops that change every part of the state (more data, a migration, an import, a crash), restore,
// and run the op again: the record must be identical, and so must the memory digest, the page model bytes,
// the data model's dump, schema_version and the message count. The same checkpoint restored into a second
// Session on another thread must give the same record too. A failing checkpoint (a crash restored away, a
// pending arm re-armed) is covered by its own cases.
#include <gtest/gtest.h>

#include <thread>

#include "harness/model/canonical_dump.h"
#include "harness/ops/interpreter.h"
#include "harness/ops/op_text.h"
#include "harness/ops/session_checkpoint.h"

namespace stablevfs::ops {
namespace {

Op Parse(std::string_view line) {
  Parsed<Op> op = ParseOp(line);
  if (!op.ok()) throw std::invalid_argument(std::string(line) + ": " + op.error().message);
  return op.value();
}

// Everything observable about a session's state between ops.
struct Observed {
  uint64_t digest = 0;
  std::vector<uint8_t> page_model;
  model::CanonicalDump data;
  uint64_t schema_version = 0;
  uint64_t messages = 0;
  bool operator==(const Observed&) const = default;
};

Observed Observe(Session& session) {
  Observed o;
  o.digest = session.canister().memory().Digest();
  o.page_model = session.page_model().bytes();
  o.data = session.data_model().Snapshot();
  o.schema_version = session.schema_version();
  o.messages = session.messages();
  return o;
}

const char* const kPrefix[] = {
    "update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); INSERT INTO t VALUES(1, zeroblob(20000))",
    "migrate 1:CREATE TABLE m(x)",
    "kv-put k pattern(17000,1)",
};
const char* const kProbe = "update INSERT INTO t VALUES(2, zeroblob(30000)); INSERT INTO m VALUES(7)";
const char* const kDisturb[] = {
    "kv-put k2 pattern(50000,2)",
    "migrate 2:CREATE TABLE n(y)",
    "export-import",
    "update DELETE FROM t",
    "arm commit.superblock_publish=crash",
    "update INSERT INTO t VALUES(9, x'09')",
};

TEST(ExploreCheckpointTest, RestoreRepeatsTheNextOpExactly) {
  Session session({.seed = 5});
  for (const char* line : kPrefix) ASSERT_TRUE(session.Run(Parse(line)).ok()) << line;
  const SessionCheckpoint checkpoint = session.Checkpoint();
  EXPECT_EQ(checkpoint.steps(), 3u);
  const Observed before = Observe(session);

  StepRecord first = session.Run(Parse(kProbe));
  ASSERT_TRUE(first.ok()) << first.ToString();
  ASSERT_EQ(first.outcome, Outcome::kCommitted);
  const Observed after_first = Observe(session);
  EXPECT_NE(after_first.digest, before.digest);

  for (const char* line : kDisturb) session.Run(Parse(line));
  EXPECT_NE(Observe(session), after_first);

  session.Restore(checkpoint);
  EXPECT_EQ(Observe(session), before);
  StepRecord second = session.Run(Parse(kProbe));
  EXPECT_EQ(second, first) << second.ToString() << "\nvs\n" << first.ToString();
  EXPECT_EQ(Observe(session), after_first);

  // Again, from the same checkpoint: it is not consumed.
  session.Restore(checkpoint);
  EXPECT_EQ(session.Run(Parse(kProbe)), first);
}

TEST(ExploreCheckpointTest, AnotherSessionOnAnotherThreadRestoresItToo) {
  SessionCheckpoint checkpoint;
  StepRecord first;
  Observed after_first;
  {
    Session session({.seed = 5});
    for (const char* line : kPrefix) ASSERT_TRUE(session.Run(Parse(line)).ok()) << line;
    checkpoint = session.Checkpoint();
    first = session.Run(Parse(kProbe));
    after_first = Observe(session);
  }
  StepRecord second;
  Observed after_second;
  std::thread([&] {
    Session other({.seed = 5});
    other.Restore(checkpoint);
    second = other.Run(Parse(kProbe));
    after_second = Observe(other);
  }).join();
  EXPECT_EQ(second, first) << second.ToString();
  EXPECT_EQ(after_second, after_first);
}

TEST(ExploreCheckpointTest, ACrashIsRestoredAwayAndPendingArmsComeBack) {
  Session session({.seed = 8});
  for (const char* line : kPrefix) ASSERT_TRUE(session.Run(Parse(line)).ok()) << line;
  ASSERT_TRUE(session.Run(Parse("arm commit.page_write=nth(2):crash")).ok());
  const SessionCheckpoint armed = session.Checkpoint();  // between the arm and its message
  ASSERT_EQ(session.pending_arms().size(), 1u);

  StepRecord crashed = session.Run(Parse(kProbe));
  ASSERT_EQ(crashed.outcome, Outcome::kCrashed) << crashed.ToString();
  ASSERT_TRUE(crashed.ok()) << crashed.ToString();
  EXPECT_TRUE(session.pending_arms().empty());

  session.Restore(armed);
  EXPECT_EQ(session.pending_arms().size(), 1u);
  EXPECT_EQ(session.Run(Parse(kProbe)), crashed);
  // The arm applied to that message only: the next one commits.
  EXPECT_EQ(session.Run(Parse(kProbe)).outcome, Outcome::kCommitted);
}

TEST(ExploreCheckpointTest, RejectsACheckpointOfOtherOptionsAndAnEmptyOne) {
  Session session({.seed = 1});
  const SessionCheckpoint checkpoint = session.Checkpoint();
  EXPECT_THROW(session.Restore(SessionCheckpoint()), std::invalid_argument);
  std::thread([&] {
    Session other({.seed = 2});
    EXPECT_THROW(other.Restore(checkpoint), std::invalid_argument);
  }).join();
}

}  // namespace
}  // namespace stablevfs::ops
