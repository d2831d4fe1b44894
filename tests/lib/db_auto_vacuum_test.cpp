// DbOptions::auto_vacuum: the database file shrinks after big deletes, so the truncate path runs.
//
// Goal: with kFull chosen on a fresh memory, deleting most rows makes the logical file (db_size) smaller at
// the next commit, and the data stays intact through a fresh open; with the default kNone the file keeps its
// size (the original's behaviour). Method: fill a table with ~40 pages of rows, delete most of them, compare
// db_size before and after.
#include <gtest/gtest.h>

#include "lib/db/db.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs {
namespace {

uint64_t DbSize(Db& db) {
  Result<DbMeta> meta = db.GetMeta();
  EXPECT_TRUE(meta.ok());
  return meta->superblock.db_size;
}

uint64_t SizeAfterBigDelete(AutoVacuum mode, HeapStableMemory& memory, uint64_t* size_before) {
  DbOptions options;
  options.auto_vacuum = mode;
  auto db = Db::Init(memory, options);
  EXPECT_TRUE(db.ok());
  EXPECT_TRUE((*db)->Update([](Connection& c) {
                     return c.ExecuteScript(
                         "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
                         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) "
                         "INSERT INTO t SELECT i, zeroblob(2000) FROM n;");
                   }).ok());
  *size_before = DbSize(**db);
  EXPECT_TRUE((*db)->Update([](Connection& c) { return c.Execute("DELETE FROM t WHERE id > 10"); }).ok());
  return DbSize(**db);
}

TEST(DbAutoVacuumTest, FullShrinksTheFileAndKeepsTheData) {
  HeapStableMemory memory;
  uint64_t before = 0;
  const uint64_t after = SizeAfterBigDelete(AutoVacuum::kFull, memory, &before);
  EXPECT_GT(before, 30u * 16384);
  EXPECT_LT(after, before / 4);
  auto reopened = Db::Init(memory);
  ASSERT_TRUE(reopened.ok());
  int64_t count = -1;
  ASSERT_TRUE((*reopened)->Query([&](Connection& c) -> Status {
                           Result<Rows> rows = c.Query("SELECT count(*) FROM t");
                           if (!rows.ok()) return rows.status();
                           count = std::get<int64_t>(rows->rows[0][0]);
                           return Status::Ok();
                         }).ok());
  EXPECT_EQ(count, 10);
  Result<std::string> integrity = (*reopened)->IntegrityCheck();
  ASSERT_TRUE(integrity.ok());
  EXPECT_EQ(*integrity, "ok");
}

TEST(DbAutoVacuumTest, DefaultKeepsTheFileSize) {
  HeapStableMemory memory;
  uint64_t before = 0;
  EXPECT_EQ(SizeAfterBigDelete(AutoVacuum::kNone, memory, &before), before);
}

// The pragma writes page 1 before the update's transaction; when that first update fails, SQLite's cache holds
// a page 1 that was never stored, so the Db must reset the connection. The next update then starts from the
// empty image and still gets auto_vacuum.
TEST(DbAutoVacuumTest, FailedFirstUpdateLeavesNothingBehind) {
  HeapStableMemory memory;
  DbOptions options;
  options.auto_vacuum = AutoVacuum::kFull;
  auto db = Db::Init(memory, options);
  ASSERT_TRUE(db.ok());
  Status failed = (*db)->Update([](Connection& c) -> Status {
    Status s = c.Execute("CREATE TABLE t(id INTEGER PRIMARY KEY)");
    if (!s.ok()) return s;
    return Status::InvalidArgument("the closure gives up");
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(DbSize(**db), 0u);
  ASSERT_TRUE((*db)->Update([](Connection& c) { return c.Execute("CREATE TABLE u(id INTEGER PRIMARY KEY)"); }).ok());
  bool has_t = true;
  int64_t auto_vacuum = -1;
  ASSERT_TRUE((*db)->Query([&](Connection& c) -> Status {
                     Result<Rows> t = c.Query("SELECT count(*) FROM sqlite_schema WHERE name = 't'");
                     if (!t.ok()) return t.status();
                     has_t = std::get<int64_t>(t->rows[0][0]) != 0;
                     Result<Rows> av = c.Query("PRAGMA auto_vacuum");
                     if (!av.ok()) return av.status();
                     auto_vacuum = std::get<int64_t>(av->rows[0][0]);
                     return Status::Ok();
                   }).ok());
  EXPECT_FALSE(has_t);
  EXPECT_EQ(auto_vacuum, 1);  // FULL
}

}  // namespace
}  // namespace stablevfs
