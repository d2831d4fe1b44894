// Canister: IC message semantics over the whole memory stack.
//
// Goal: each outcome class is produced by the event that should produce it, and leaves stable memory as the IC
// would: a committed update persists, an error reply keeps the active image, a trap restores every byte and the
// size, a crash keeps what was written before it, and the heap is rebuilt from stable memory afterwards.
// Method: drive a Canister with small SQL updates and failpoints armed through the per-thread registry.
#include "harness/sim/canister.h"

#include <gtest/gtest.h>

#include "failpoints/registry.h"

namespace stablevfs::sim {
namespace {

class CanisterTest : public ::testing::Test {
 protected:
  void TearDown() override { fp::ClearAll(); }

  static Status CreateTable(Db& db) {
    return db.Update([](Connection& c) { return c.Execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"); });
  }
  static Status Insert(Db& db, int id) {
    return db.Update([id](Connection& c) {
      Value params[] = {int64_t{id}, std::string("row")};
      return c.Execute("INSERT INTO t VALUES(?1, ?2)", params);
    });
  }
  static int64_t CountRows(Canister& canister) {
    int64_t count = -1;
    MessageResult r = canister.Query([&](Db& db) {
      return db.Query([&](Connection& c) -> Status {
        Result<Rows> rows = c.Query("SELECT count(*) FROM t");
        if (!rows.ok()) return rows.status();
        count = std::get<int64_t>(rows->rows.at(0).at(0));
        return Status::Ok();
      });
    });
    EXPECT_EQ(r.outcome, Outcome::kCommitted) << r.detail;
    return count;
  }
};

TEST_F(CanisterTest, InstallOpensTheDatabaseOnMemory120) {
  Canister canister(CanisterOptions{});
  ASSERT_TRUE(canister.init_status().ok()) << canister.init_status().ToString();
  ASSERT_NE(canister.db(), nullptr);
  EXPECT_GE(canister.memory().size_pages(), 2u);  // the manager's page and at least one bucket
}

TEST_F(CanisterTest, CommittedUpdatePersistsAcrossUpgrade) {
  Canister canister(CanisterOptions{});
  ASSERT_EQ(canister.Update(CreateTable).outcome, Outcome::kCommitted);
  ASSERT_EQ(canister.Update([](Db& db) { return Insert(db, 1); }).outcome, Outcome::kCommitted);
  MessageResult upgraded = canister.Upgrade();
  ASSERT_EQ(upgraded.outcome, Outcome::kCommitted) << upgraded.detail;
  EXPECT_EQ(CountRows(canister), 1);
}

TEST_F(CanisterTest, ErrorReplyKeepsTheImageAndTheNextUpdateWorks) {
  Canister canister(CanisterOptions{});
  ASSERT_EQ(canister.Update(CreateTable).outcome, Outcome::kCommitted);
  ASSERT_EQ(canister.Update([](Db& db) { return Insert(db, 1); }).outcome, Outcome::kCommitted);
  const uint64_t digest = canister.memory().Digest();
  MessageResult dup = canister.Update([](Db& db) { return Insert(db, 1); });  // UNIQUE violation
  EXPECT_EQ(dup.outcome, Outcome::kError);
  EXPECT_EQ(dup.status.code(), ErrorCode::kSqlite);
  EXPECT_EQ(canister.memory().Digest(), digest);
  EXPECT_EQ(canister.Update([](Db& db) { return Insert(db, 2); }).outcome, Outcome::kCommitted);
  EXPECT_EQ(CountRows(canister), 2);
}

TEST_F(CanisterTest, TrapRestoresEveryByteAndTheSize) {
  Canister canister(CanisterOptions{});
  ASSERT_EQ(canister.Update(CreateTable).outcome, Outcome::kCommitted);
  const MemorySnapshot before = canister.memory().Snapshot();
  ASSERT_TRUE(fp::Arm("commit.superblock_publish=trap").ok());
  MessageResult r = canister.Update([](Db& db) { return Insert(db, 7); });
  fp::ClearAll();
  EXPECT_EQ(r.outcome, Outcome::kTrapped);
  EXPECT_EQ(r.abort_site, "commit.superblock_publish");
  EXPECT_TRUE(canister.memory().Matches(before));
  ASSERT_NE(canister.db(), nullptr);  // heap rebuilt from stable memory
  EXPECT_EQ(CountRows(canister), 0);
}

TEST_F(CanisterTest, CrashBeforeTheSuperblockKeepsTheOldStateReadable) {
  Canister canister(CanisterOptions{});
  ASSERT_EQ(canister.Update(CreateTable).outcome, Outcome::kCommitted);
  const uint64_t pages_before = canister.memory().size_pages();
  ASSERT_TRUE(fp::Arm("commit.superblock_publish=crash").ok());
  MessageResult r = canister.Update([](Db& db) { return Insert(db, 7); });
  fp::ClearAll();
  EXPECT_EQ(r.outcome, Outcome::kCrashed);
  // The pages written before the crash persisted (the memory grew), but the active image is the old one.
  EXPECT_GE(canister.memory().size_pages(), pages_before);
  ASSERT_NE(canister.db(), nullptr) << canister.init_status().ToString();
  EXPECT_EQ(CountRows(canister), 0);
  EXPECT_EQ(canister.Update([](Db& db) { return Insert(db, 8); }).outcome, Outcome::kCommitted);
  EXPECT_EQ(CountRows(canister), 1);
}

TEST_F(CanisterTest, QueryChangesAreDiscarded) {
  Canister canister(CanisterOptions{});
  ASSERT_EQ(canister.Update(CreateTable).outcome, Outcome::kCommitted);
  const uint64_t digest = canister.memory().Digest();
  // A query message that calls Update: the write lands during the message, and the IC discards it.
  MessageResult r = canister.Query([](Db& db) { return Insert(db, 3); });
  EXPECT_EQ(r.outcome, Outcome::kCommitted);
  EXPECT_EQ(canister.memory().Digest(), digest);
  EXPECT_EQ(CountRows(canister), 0);
}

// A query that writes nothing keeps the heap: rebuilding it from stable memory would silently repair a Db whose
// page cache ran ahead of stable memory (the bug of REFERENCE 3.2), so the next update could not show it.
TEST_F(CanisterTest, ReadOnlyQueryKeepsTheHeap) {
  Canister canister(CanisterOptions{});
  ASSERT_EQ(canister.Update(CreateTable).outcome, Outcome::kCommitted);
  const Db* before = canister.db();
  EXPECT_EQ(CountRows(canister), 0);
  EXPECT_EQ(canister.db(), before);
}

TEST_F(CanisterTest, InstructionBudgetTraps) {
  Canister canister(CanisterOptions{});
  ASSERT_EQ(canister.Update(CreateTable).outcome, Outcome::kCommitted);
  canister.SetInstructionBudget(10'000);  // far below what one commit costs
  MessageResult r = canister.Update([](Db& db) { return Insert(db, 1); });
  EXPECT_EQ(r.outcome, Outcome::kTrapped) << r.detail;
  canister.SetInstructionBudget(40'000'000'000);
  EXPECT_EQ(canister.Update([](Db& db) { return Insert(db, 1); }).outcome, Outcome::kCommitted);
}

TEST_F(CanisterTest, CapacityLimitWithoutManagerIsAnErrorReply) {
  CanisterOptions options;
  options.use_memory_manager = false;
  Canister canister(options);
  ASSERT_EQ(canister.Update(CreateTable).outcome, Outcome::kCommitted);
  canister.SetCapacityPages(canister.memory().size_pages());  // no room to grow
  MessageResult r = canister.Update([](Db& db) {
    return db.Update([](Connection& c) {
      return c.Execute("INSERT INTO t SELECT value, zeroblob(1000) FROM generate_series(1, 2000)");
    });
  });
  // generate_series may be absent from the system SQLite; fall back to a recursive CTE.
  if (r.outcome == Outcome::kError && r.status.code() == ErrorCode::kSqlite) {
    r = canister.Update([](Db& db) {
      return db.Update([](Connection& c) {
        return c.Execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
            "INSERT INTO t SELECT i, printf('%.*c', 1000, 'x') FROM n");
      });
    });
  }
  EXPECT_EQ(r.outcome, Outcome::kError) << r.detail;
  EXPECT_EQ(r.status.code(), ErrorCode::kCapacity) << r.detail;
  canister.SetCapacityPages(std::nullopt);
  EXPECT_EQ(canister.Update([](Db& db) { return Insert(db, 1); }).outcome, Outcome::kCommitted);
}

}  // namespace
}  // namespace stablevfs::sim
