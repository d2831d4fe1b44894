// Tests of the Db facade's transaction model and of Connection: updates, queries, typed values and
// parameters, the prepared-statement cache, savepoints, rollback on errors and exceptions, persistence across
// a fresh Init (the upgrade path), one Db per memory, independence of databases in one MemoryManager, and
// traps that must end the message.
//
// Method: run real SQL through a Db on a HeapStableMemory (or virtual memories of a MemoryManager) and judge
// by what a later query, a fresh Db on the same memory, the superblock and the raw bytes say. Each failure
// case compares the active image (superblock region and page map, decoded independently in db_testing.h)
// before and after, and then checks that the next update still works.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "failpoints/registry.h"
#include "lib/core/trap.h"
#include "lib/db/db.h"
#include "lib/memory/heap_stable_memory.h"
#include "lib/memory/memory_manager.h"
#include "tests/lib/db_testing.h"

namespace stablevfs {
namespace {

using testing::ActiveImage;
using testing::Exec;
using testing::InitOrDie;
using testing::MetaOf;
using testing::Select;
using testing::SelectInt;

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = InitOrDie(memory_);
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(Exec(*db_, "CREATE TABLE kv(k TEXT PRIMARY KEY, v)").ok());
  }

  fp::ScopedRegistryReset failpoints_;
  HeapStableMemory memory_;
  std::unique_ptr<Db> db_;
};

TEST_F(DbTest, UpdateThenQuerySeesTheRowAndAdvancesTheTransactionId) {
  const uint64_t tx = MetaOf(*db_).last_tx_id;
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('a', 1)").ok());
  EXPECT_EQ(MetaOf(*db_).last_tx_id, tx + 1);
  EXPECT_EQ(SelectInt(*db_, "SELECT v FROM kv WHERE k = 'a'"), 1);
  Result<std::string> integrity = db_->IntegrityCheck();
  ASSERT_TRUE(integrity.ok()) << integrity.status().ToString();
  EXPECT_EQ(*integrity, "ok");
  EXPECT_EQ(MetaOf(*db_).page_size, 16384u);
  EXPECT_EQ(SelectInt(*db_, "PRAGMA page_size"), 16384);
}

TEST_F(DbTest, TypedValuesAndNumberedParametersRoundTrip) {
  const std::vector<Value> values = {std::monostate{}, int64_t{-42}, 2.5, std::string("it's"), Blob{{0, 1, 255}},
                                     Blob{}, std::string()};
  ASSERT_TRUE(db_->Update([&](Connection& c) -> Status {
                   STABLEVFS_RETURN_IF_ERROR(c.Execute("CREATE TABLE t(i INTEGER PRIMARY KEY, x)"));
                   for (size_t i = 0; i < values.size(); ++i) {
                     // ?2 before ?1: parameters bind by number, not by position in the text.
                     const std::vector<Value> params = {values[i], int64_t(i)};
                     STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO t(x, i) VALUES(?1, ?2)", params));
                     EXPECT_EQ(c.changes(), 1);
                     EXPECT_EQ(c.last_insert_rowid(), int64_t(i));
                   }
                   return Status::Ok();
                 }).ok());
  Rows rows = Select(*db_, "SELECT i, x, typeof(x) AS type FROM t ORDER BY i");
  EXPECT_EQ(rows.columns, (std::vector<std::string>{"i", "x", "type"}));
  ASSERT_EQ(rows.rows.size(), values.size());
  const char* types[] = {"null", "integer", "real", "text", "blob", "blob", "text"};
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(rows.rows[i][1], values[i]) << i;
    EXPECT_EQ(rows.rows[i][2], Value(std::string(types[i]))) << i;
  }
}

TEST_F(DbTest, WrongParameterCountsAndSeveralStatementsAreInvalidArguments) {
  Status s = db_->Update([](Connection& c) {
    const std::vector<Value> one = {int64_t{1}};
    return c.Execute("INSERT INTO kv VALUES(?1, ?2)", one);
  });
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.ToString();
  s = db_->Update([](Connection& c) {
    return c.Execute("INSERT INTO kv VALUES('a', 1); INSERT INTO kv VALUES('b', 2)");
  });
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 0);
  // A trailing semicolon or comment is one statement; ExecuteScript runs several.
  ASSERT_TRUE(db_->Update([](Connection& c) { return c.Execute("INSERT INTO kv VALUES('a', 1); -- done"); }).ok());
  ASSERT_TRUE(db_->Update([](Connection& c) {
                   return c.ExecuteScript("INSERT INTO kv VALUES('b', 2); INSERT INTO kv VALUES('c', 3);");
                 }).ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 3);
}

TEST_F(DbTest, UniqueViolationRollsBackAndLeavesMetaAndImageUnchanged) {
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('a', 1)").ok());
  const Meta before = MetaOf(*db_);
  const ActiveImage image = ActiveImage::Take(memory_);
  Status s = db_->Update([](Connection& c) -> Status {
    STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO kv VALUES('b', 2)"));  // succeeds, then is rolled back
    return c.Execute("INSERT INTO kv VALUES('a', 3)");
  });
  ASSERT_EQ(s.code(), ErrorCode::kSqlite) << s.ToString();
  EXPECT_EQ(s.sqlite_code(), SQLITE_CONSTRAINT_PRIMARYKEY);
  const Meta after = MetaOf(*db_);
  EXPECT_EQ(after.last_tx_id, before.last_tx_id);
  EXPECT_EQ(after.db_size, before.db_size);
  EXPECT_EQ(after.page_table_offset, before.page_table_offset);
  EXPECT_EQ(after, before);
  EXPECT_EQ(ActiveImage::Take(memory_), image);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 1);
  // The next update works and sees exactly the committed state.
  ASSERT_TRUE(db_->Update([](Connection& c) -> Status {
                   Result<Rows> rows = c.Query("SELECT count(*) FROM kv");
                   if (!rows.ok()) return rows.status();
                   EXPECT_EQ(rows->rows.at(0).at(0), Value(int64_t{1}));
                   return c.Execute("INSERT INTO kv VALUES('b', 2)");
                 }).ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 2);
}

TEST_F(DbTest, QueriesCannotWriteEvenAfterTurningQueryOnlyOff) {
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('a', 1)").ok());
  const Meta before = MetaOf(*db_);
  const ActiveImage image = ActiveImage::Take(memory_);
  Status s = db_->Query([](Connection& c) {
    EXPECT_TRUE(c.read_only());
    return c.Execute("INSERT INTO kv VALUES('b', 2)");
  });
  EXPECT_EQ(s.code(), ErrorCode::kSqlite) << s.ToString();
  EXPECT_EQ(s.sqlite_code() & 0xff, SQLITE_READONLY);
  s = db_->Query([](Connection& c) -> Status {
    STABLEVFS_RETURN_IF_ERROR(c.Execute("PRAGMA query_only = OFF"));
    return c.Execute("DELETE FROM kv");
  });
  EXPECT_EQ(s.code(), ErrorCode::kSqlite) << s.ToString();
  s = db_->Query([](Connection& c) { return c.Savepoint("sp"); });
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(MetaOf(*db_), before);
  EXPECT_EQ(ActiveImage::Take(memory_), image);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 1);
}

TEST_F(DbTest, AnUpdateThatChangesNothingDoesNotAdvanceTheTransactionId) {
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('a', 1)").ok());
  const Meta before = MetaOf(*db_);
  const ActiveImage image = ActiveImage::Take(memory_);
  ASSERT_TRUE(db_->Update([](Connection& c) { return c.Query("SELECT * FROM kv").status(); }).ok());
  ASSERT_TRUE(Exec(*db_, "DELETE FROM kv WHERE k = 'nobody'").ok());
  ASSERT_TRUE(Exec(*db_, "UPDATE kv SET v = 2 WHERE 0").ok());
  ASSERT_TRUE(db_->Update([](Connection&) { return Status::Ok(); }).ok());
  EXPECT_EQ(MetaOf(*db_), before);
  EXPECT_EQ(ActiveImage::Take(memory_), image);
}

TEST_F(DbTest, QueriesSeeEveryCommitEvenWhenTheFileSizeDoesNotChange) {
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('a', 0)").ok());
  for (int64_t i = 1; i <= 5; ++i) {
    EXPECT_EQ(SelectInt(*db_, "SELECT v FROM kv WHERE k = 'a'"), i - 1);  // warms the query cache
    const uint64_t size = MetaOf(*db_).db_size;
    ASSERT_TRUE(Exec(*db_, "UPDATE kv SET v = ?1 WHERE k = 'a'", {Value{i}}).ok());
    ASSERT_EQ(MetaOf(*db_).db_size, size);  // same pages, new bytes: only a cache check can notice
    EXPECT_EQ(SelectInt(*db_, "SELECT v FROM kv WHERE k = 'a'"), i);
  }
}

TEST_F(DbTest, StatementCacheKeeps32StatementsAndEvictsTheLeastRecentlyUsed) {
  const auto sql = [](int i) { return "SELECT " + std::to_string(i) + " AS n"; };
  StatementCacheStats stats;
  ASSERT_TRUE(db_->Query([&](Connection& c) -> Status {
                   const StatementCacheStats start = c.statement_cache_stats();
                   for (int i = 0; i < 32; ++i) STABLEVFS_RETURN_IF_ERROR(c.Query(sql(i)).status());
                   STABLEVFS_RETURN_IF_ERROR(c.Query(sql(0)).status());   // a hit: 0 becomes most recent
                   STABLEVFS_RETURN_IF_ERROR(c.Query(sql(32)).status());  // the 33rd: evicts 1, not 0
                   STABLEVFS_RETURN_IF_ERROR(c.Query(sql(0)).status());   // still cached
                   STABLEVFS_RETURN_IF_ERROR(c.Query(sql(1)).status());   // evicted: prepared again, evicts 2
                   const StatementCacheStats end = c.statement_cache_stats();
                   stats.hits = end.hits - start.hits;
                   stats.misses = end.misses - start.misses;
                   stats.evictions = end.evictions - start.evictions;
                   stats.size = end.size;
                   return Status::Ok();
                 }).ok());
  EXPECT_EQ(stats.misses, 34u);  // 0..32 and 1 again
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.evictions, 2u);  // 1, then 2
  EXPECT_EQ(stats.size, kStatementCacheCapacity);
  // The cache outlives the message: the same statement in the next query is a hit.
  ASSERT_TRUE(db_->Query([&](Connection& c) -> Status {
                   const uint64_t hits = c.statement_cache_stats().hits;
                   Result<Rows> rows = c.Query(sql(1));
                   if (!rows.ok()) return rows.status();
                   EXPECT_EQ(rows->rows.at(0).at(0), Value(int64_t{1}));
                   EXPECT_EQ(c.statement_cache_stats().hits, hits + 1);
                   return Status::Ok();
                 }).ok());
}

TEST_F(DbTest, CachedStatementsRebindEveryTime) {
  ASSERT_TRUE(db_->Update([](Connection& c) -> Status {
                   for (int64_t i = 0; i < 100; ++i) {
                     const std::vector<Value> p = {Value{std::to_string(i)}, Value{i * i}};
                     STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO kv VALUES(?1, ?2)", p));
                   }
                   EXPECT_EQ(c.statement_cache_stats().size, 2u);  // CREATE TABLE and this INSERT
                   return Status::Ok();
                 }).ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT sum(v) FROM kv"), 328350);
}

TEST_F(DbTest, SavepointsRollBackPartOfAnUpdate) {
  ASSERT_TRUE(db_->Update([](Connection& c) -> Status {
                   STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO kv VALUES('kept', 1)"));
                   STABLEVFS_RETURN_IF_ERROR(c.Savepoint("inner \"one\""));
                   STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO kv VALUES('undone', 2)"));
                   STABLEVFS_RETURN_IF_ERROR(c.RollbackTo("inner \"one\""));
                   STABLEVFS_RETURN_IF_ERROR(c.Release("inner \"one\""));
                   STABLEVFS_RETURN_IF_ERROR(c.Savepoint("second"));
                   STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO kv VALUES('released', 3)"));
                   return c.Release("second");
                 }).ok());
  Rows rows = Select(*db_, "SELECT k FROM kv ORDER BY k");
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0][0], Value(std::string("kept")));
  EXPECT_EQ(rows.rows[1][0], Value(std::string("released")));
}

TEST_F(DbTest, AnExceptionInTheClosureRollsBackAndIsRethrown) {
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('a', 1)").ok());
  const Meta before = MetaOf(*db_);
  const ActiveImage image = ActiveImage::Take(memory_);
  EXPECT_THROW((void)db_->Update([](Connection& c) -> Status {
                 EXPECT_TRUE(c.Execute("INSERT INTO kv VALUES('b', 2)").ok());
                 throw std::runtime_error("panic in the closure");
               }),
               std::runtime_error);
  EXPECT_EQ(MetaOf(*db_), before);
  EXPECT_EQ(ActiveImage::Take(memory_), image);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 1);
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('b', 2)").ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 2);
}

TEST_F(DbTest, AClosureThatEndsTheTransactionItselfIsRefusedAndRolledBack) {
  const Meta before = MetaOf(*db_);
  const ActiveImage image = ActiveImage::Take(memory_);
  Status s = db_->Update([](Connection& c) -> Status {
    STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO kv VALUES('a', 1)"));
    return c.Execute("COMMIT");
  });
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(MetaOf(*db_), before);
  EXPECT_EQ(ActiveImage::Take(memory_), image);
  // SQLite's cache had the row; the reset connection must not.
  ASSERT_TRUE(db_->Update([](Connection& c) -> Status {
                   Result<Rows> rows = c.Query("SELECT count(*) FROM kv");
                   if (!rows.ok()) return rows.status();
                   EXPECT_EQ(rows->rows.at(0).at(0), Value(int64_t{0}));
                   return c.Execute("INSERT INTO kv VALUES('a', 2)");
                 }).ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT v FROM kv WHERE k = 'a'"), 2);
}

TEST_F(DbTest, NestedCallsInsideAnUpdateAreRefused) {
  Status inner_query, inner_update, inner_compact;
  ASSERT_TRUE(db_->Update([&](Connection& c) -> Status {
                   inner_query = db_->Query([](Connection&) { return Status::Ok(); });
                   inner_update = db_->Update([](Connection&) { return Status::Ok(); });
                   inner_compact = db_->Compact();
                   return c.Execute("INSERT INTO kv VALUES('a', 1)");
                 }).ok());
  EXPECT_EQ(inner_query.code(), ErrorCode::kBusy);
  EXPECT_EQ(inner_update.code(), ErrorCode::kBusy);
  EXPECT_EQ(inner_compact.code(), ErrorCode::kBusy);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 1);
}

TEST_F(DbTest, DataAndMetaPersistAcrossAFreshInit) {
  ASSERT_TRUE(db_->Update([](Connection& c) -> Status {
                   for (int64_t i = 0; i < 500; ++i) {
                     const std::vector<Value> p = {Value{"key" + std::to_string(i)}, Value{std::string(100, 'x')}};
                     STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO kv VALUES(?1, ?2)", p));
                   }
                   return Status::Ok();
                 }).ok());
  ASSERT_TRUE(db_->RefreshChecksum().ok());
  const Meta before = MetaOf(*db_);
  db_.reset();  // the upgrade: the heap is gone, stable memory stays
  db_ = InitOrDie(memory_);
  ASSERT_NE(db_, nullptr);
  EXPECT_EQ(MetaOf(*db_), before);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 500);
  EXPECT_EQ(*db_->IntegrityCheck(), "ok");
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('after', 1)").ok());
  EXPECT_EQ(MetaOf(*db_).last_tx_id, before.last_tx_id + 1);
}

TEST_F(DbTest, OneDbPerMemoryUntilTheFirstIsDestroyed) {
  Result<std::unique_ptr<Db>> second = Db::Init(memory_);
  EXPECT_EQ(second.status().code(), ErrorCode::kBusy) << second.status().ToString();
  db_.reset();
  Result<std::unique_ptr<Db>> third = Db::Init(memory_);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(&(*third)->memory(), &memory_);
}

TEST_F(DbTest, ClockAndRandomnessAreDeterministic) {
  int64_t now_ms = 1700000000000;
  HeapStableMemory a_memory, b_memory;
  DbOptions options;
  options.clock_ms = [&] { return now_ms; };
  std::unique_ptr<Db> a = InitOrDie(a_memory, options);
  std::unique_ptr<Db> b = InitOrDie(b_memory, options);
  EXPECT_EQ(SelectInt(*a, "SELECT CAST(strftime('%s', 'now') AS INTEGER)"), 1700000000);
  // The same history draws the same random numbers, in a query and in an update.
  EXPECT_EQ(SelectInt(*a, "SELECT random()"), SelectInt(*b, "SELECT random()"));
  for (Db* db : {a.get(), b.get()}) {
    ASSERT_TRUE(Exec(*db, "CREATE TABLE r(x)").ok());
    ASSERT_TRUE(Exec(*db, "INSERT INTO r VALUES(random())").ok());
  }
  EXPECT_EQ(SelectInt(*a, "SELECT x FROM r"), SelectInt(*b, "SELECT x FROM r"));
}

TEST_F(DbTest, ATrapInsideXReadEndsTheMessageAndPoisonsTheDb) {
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('a', 1)").ok());
  db_.reset();
  testing::TrapOnReadMemory trapping(memory_);
  std::unique_ptr<Db> db = InitOrDie(trapping);
  trapping.TrapOnRead(1);  // the first stable read of the query traps, deep inside SQLite's xRead
  EXPECT_THROW((void)db->Query([](Connection& c) { return c.Query("SELECT * FROM kv").status(); }), Trap);
  // The Db refuses everything after a trap; a fresh Init on the memory works.
  EXPECT_EQ(db->Query([](Connection&) { return Status::Ok(); }).code(), ErrorCode::kBusy);
  EXPECT_EQ(Exec(*db, "INSERT INTO kv VALUES('b', 2)").code(), ErrorCode::kBusy);
  db.reset();
  std::unique_ptr<Db> fresh = InitOrDie(trapping);
  EXPECT_EQ(SelectInt(*fresh, "SELECT count(*) FROM kv"), 1);
}

TEST_F(DbTest, ATrapSwallowedByTheClosureStillEndsTheMessage) {
  db_.reset();
  testing::TrapOnReadMemory trapping(memory_);
  std::unique_ptr<Db> db = InitOrDie(trapping);
  const ActiveImage image = ActiveImage::Take(memory_);
  trapping.TrapOnRead(1);
  EXPECT_THROW((void)db->Update([](Connection& c) -> Status {
                 try {
                   (void)c.Execute("INSERT INTO kv VALUES('a', 1)");
                 } catch (const Trap&) {
                   // A closure must not do this; the Db still ends the message.
                 }
                 return Status::Ok();
               }),
               Trap);
  EXPECT_EQ(ActiveImage::Take(memory_), image);
}

TEST(DbMemoryManagerTest, TwoDatabasesInOneMemoryManagerStayIndependent) {
  fp::ScopedRegistryReset failpoints;
  HeapStableMemory raw;
  Result<std::unique_ptr<MemoryManager>> manager = MemoryManager::InitOrLoad(raw);
  ASSERT_TRUE(manager.ok()) << manager.status().ToString();
  Result<VirtualMemory*> m120 = (*manager)->Get(120);
  Result<VirtualMemory*> m121 = (*manager)->Get(121);
  ASSERT_TRUE(m120.ok() && m121.ok());
  {
    std::unique_ptr<Db> a = InitOrDie(**m120);
    std::unique_ptr<Db> b = InitOrDie(**m121);
    ASSERT_TRUE(Exec(*a, "CREATE TABLE t(x)").ok());
    ASSERT_TRUE(Exec(*b, "CREATE TABLE u(y)").ok());
    // Interleaved commits: the virtual memories' buckets interleave in the raw memory.
    for (int64_t i = 0; i < 20; ++i) {
      ASSERT_TRUE(Exec(*a, "INSERT INTO t VALUES(?1)", {Value{i}}).ok());
      ASSERT_TRUE(Exec(*b, "INSERT INTO u VALUES(?1)", {Value{std::string(20000, 'b')}}).ok());
    }
    EXPECT_EQ(SelectInt(*a, "SELECT sum(x) FROM t"), 190);
    EXPECT_EQ(SelectInt(*b, "SELECT count(*) FROM u"), 20);
    EXPECT_EQ(SelectInt(*a, "SELECT count(*) FROM sqlite_schema WHERE name = 'u'"), 0);
    EXPECT_NE(MetaOf(*a).db_size, MetaOf(*b).db_size);
  }
  // A fresh manager and fresh Dbs on the same raw memory (the upgrade path) see the same two databases.
  manager = MemoryManager::Load(raw);
  ASSERT_TRUE(manager.ok()) << manager.status().ToString();
  std::unique_ptr<Db> a = InitOrDie(**(*manager)->Get(120));
  std::unique_ptr<Db> b = InitOrDie(**(*manager)->Get(121));
  EXPECT_EQ(SelectInt(*a, "SELECT sum(x) FROM t"), 190);
  EXPECT_EQ(SelectInt(*b, "SELECT sum(length(y)) FROM u"), 400000);
  EXPECT_EQ(*a->IntegrityCheck(), "ok");
  EXPECT_EQ(*b->IntegrityCheck(), "ok");
}

TEST(ValueTest, ToDisplayString) {
  EXPECT_EQ(ToDisplayString(Value{}), "NULL");
  EXPECT_EQ(ToDisplayString(Value{int64_t{42}}), "42");
  EXPECT_EQ(ToDisplayString(Value{int64_t{-7}}), "-7");
  EXPECT_EQ(ToDisplayString(Value{1.5}), "1.5");
  EXPECT_EQ(ToDisplayString(Value{2.0}), "2.0");
  EXPECT_EQ(ToDisplayString(Value{1e300}), "1e+300");
  EXPECT_EQ(ToDisplayString(Value{std::string("it's")}), "'it''s'");
  EXPECT_EQ(ToDisplayString(Value{Blob{{0x0a, 0x0b}}}), "x'0a0b'");
  EXPECT_EQ(ToDisplayString(Value{Blob{}}), "x''");
  std::vector<uint8_t> long_blob(300);
  for (size_t i = 0; i < long_blob.size(); ++i) long_blob[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(ToDisplayString(Value{Blob{long_blob}}), "x'000102030405060708090a0b0c0d0e0f...' (300 bytes)");
}

}  // namespace
}  // namespace stablevfs
