// Connection::ExecuteScript on a long script: statement by statement, without copying the rest of the script
// for every statement.
//
// Goal: a migration or load script costs time in proportion to its length. SQLite, handed SQL text whose
// length does not include a NUL terminator, first copies the whole text; preparing a script statement by
// statement then copied the remaining script once per statement (quadratic: 70% of the Northwind load's
// instructions). Method: SQLite's own memory high-water mark, a deterministic count: running a script of a
// few short statements followed by a large comment must never need a buffer the size of the script. Also
// checks that the statements all run, in order, and that text after a NUL byte is ignored as before.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "lib/memory/heap_stable_memory.h"
#include "tests/lib/db_testing.h"

namespace stablevfs::testing {
namespace {

TEST(DbScript, ALongScriptIsNotCopiedPerStatement) {
  HeapStableMemory memory;
  std::unique_ptr<Db> db = InitOrDie(memory);
  ASSERT_NE(db, nullptr);
  // 40 statements, then 4 MiB of comment: copying what follows each statement would allocate about 4 MiB
  // per statement.
  std::string script = "CREATE TABLE t(i INTEGER);";
  for (int i = 0; i < 40; ++i) script += "INSERT INTO t VALUES(" + std::to_string(i) + ");";
  script += "\n-- " + std::string(4 << 20, 'x') + "\n";

  sqlite3_memory_highwater(/*resetFlag=*/1);
  const int64_t before = sqlite3_memory_used();
  ASSERT_TRUE(db->Update([&](Connection& c) { return c.ExecuteScript(script); }).ok());
  const int64_t peak = sqlite3_memory_highwater(/*resetFlag=*/0) - before;
  EXPECT_LT(peak, 1 << 20) << "SQLite needed " << peak << " bytes more at its peak: the script was copied";

  const Rows rows = Select(*db, "SELECT count(*), sum(i), min(i), max(i) FROM t");
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(rows.rows[0][0]), 40);
  EXPECT_EQ(std::get<int64_t>(rows.rows[0][1]), 780);
  EXPECT_EQ(std::get<int64_t>(rows.rows[0][3]), 39);
}

TEST(DbScript, TextAfterANulByteIsIgnored) {
  HeapStableMemory memory;
  std::unique_ptr<Db> db = InitOrDie(memory);
  ASSERT_NE(db, nullptr);
  std::string script = "CREATE TABLE t(i INTEGER); INSERT INTO t VALUES(1);";
  script.push_back('\0');
  script += "INSERT INTO t VALUES(2);";
  ASSERT_TRUE(db->Update([&](Connection& c) { return c.ExecuteScript(script); }).ok());
  EXPECT_EQ(std::get<int64_t>(Select(*db, "SELECT count(*) FROM t").rows[0][0]), 1);
}

}  // namespace
}  // namespace stablevfs::testing
