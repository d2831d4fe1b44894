// Cached statements across a schema change.
//
// Goal: a statement served from the prepared-statement cache after the schema changed returns what a freshly
// prepared one would. SQLite re-prepares such a statement inside sqlite3_step, so anything read from the
// statement before the first step (its column count and names) describes the old schema. Found by the op
// generator: after `ALTER TABLE t ADD COLUMN b DEFAULT 7`, `SELECT * FROM t` on the live handle returned the
// old two columns while a fresh open returned three.
// Method: run the same SELECT * before and after ALTER TABLE on one Db (so the second run hits the cache).
#include <gtest/gtest.h>

#include "lib/db/db.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs {
namespace {

Rows SelectAll(Db& db) {
  Rows out;
  Status s = db.Update([&](Connection& c) -> Status {
    Result<Rows> rows = c.Query("SELECT * FROM t");
    if (!rows.ok()) return rows.status();
    out = std::move(rows).value();
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(DbSchemaChangeTest, CachedSelectStarSeesAnAddedColumn) {
  HeapStableMemory memory;
  auto db = Db::Init(memory);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Update([](Connection& c) {
                     return c.ExecuteScript("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t VALUES(1, 'x')");
                   }).ok());
  Rows before = SelectAll(**db);
  ASSERT_EQ(before.columns.size(), 2u);

  ASSERT_TRUE((*db)->Update([](Connection& c) { return c.Execute("ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 7"); })
                  .ok());
  Rows after = SelectAll(**db);
  ASSERT_EQ(after.columns.size(), 3u);
  EXPECT_EQ(after.columns[2], "b");
  ASSERT_EQ(after.rows.size(), 1u);
  ASSERT_EQ(after.rows[0].size(), 3u);
  EXPECT_EQ(after.rows[0][2], Value{int64_t{7}});
}

TEST(DbSchemaChangeTest, CachedQueryOnTheQueryConnectionSeesAnAddedColumn) {
  HeapStableMemory memory;
  auto db = Db::Init(memory);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Update([](Connection& c) {
                     return c.ExecuteScript("CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t VALUES(1, 'x')");
                   }).ok());
  auto query_columns = [&]() {
    size_t columns = 0;
    EXPECT_TRUE((*db)->Query([&](Connection& c) -> Status {
                       Result<Rows> rows = c.Query("SELECT * FROM t");
                       if (!rows.ok()) return rows.status();
                       columns = rows->columns.size();
                       EXPECT_EQ(rows->rows.at(0).size(), columns);
                       return Status::Ok();
                     }).ok());
    return columns;
  };
  EXPECT_EQ(query_columns(), 2u);
  ASSERT_TRUE((*db)->Update([](Connection& c) { return c.Execute("ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 7"); })
                  .ok());
  EXPECT_EQ(query_columns(), 3u);
}

}  // namespace
}  // namespace stablevfs
