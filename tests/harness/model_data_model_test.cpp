// Goal: show that the data model (harness/model/data_model.h) holds exactly the committed work, that the
// canonical dump (canonical_dump.h) calls two databases equal when and only when they hold the same schema
// and the same typed values (REAL bit-exact, BLOB byte-exact), whatever their page size or insertion order,
// and that RunQuery results compare the same way.
//
// Method: run units of work on a DataModel and check what stayed (commits, errors, deferred foreign keys,
// auto-rollback, forbidden transaction control, parameters). Then build a second database by other means (a
// separate in-memory connection with page_size=16384, a different insertion order, an image round trip)
// and compare dumps; finally change one REAL, drop one row, flip one blob byte, change one storage class,
// and check that each is found and described.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/model/canonical_dump.h"
#include "harness/model/data_model.h"
#include "harness/model/query.h"
#include "harness/model/sqlite_db.h"

namespace stablevfs::model {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE kv(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;"
    "CREATE TABLE measure(id INTEGER PRIMARY KEY, x REAL, label TEXT, raw);"
    "CREATE INDEX measure_label ON measure(label);"
    "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
    "CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));";

constexpr const char* kRows =
    "INSERT INTO kv VALUES('b', x'0102'), ('a', x'ff00'), ('c', NULL);"
    "INSERT INTO measure(x, label, raw) VALUES(1.5, 'one', 1), (0.1, 'tenth', 2.0), (-3e300, 'big', 'txt');"
    "INSERT INTO parent VALUES(1);"
    "INSERT INTO child VALUES(10, 1);";

// The same content built differently: another connection, another page size, rows in another order.
SqliteHandle SameContentElsewhere() {
  SqliteHandle db = OpenMemoryDatabase();
  ExecOrThrow(db.get(), "PRAGMA page_size=16384");
  ExecOrThrow(db.get(), kSchema);
  ExecOrThrow(db.get(),
              "INSERT INTO kv VALUES('c', NULL), ('a', x'ff00'), ('b', x'0102');"
              "INSERT INTO measure(x, label, raw) VALUES(1.5, 'one', 1), (0.1, 'tenth', 2.0), (-3e300, 'big', 'txt');"
              "INSERT INTO parent VALUES(1);"
              "INSERT INTO child VALUES(10, 1);");
  return db;
}

DataModel PopulatedModel() {
  DataModel model;
  EXPECT_TRUE(model.Execute(kSchema).ok());
  EXPECT_TRUE(model.Execute(kRows).ok());
  return model;
}

std::string Why(const CanonicalDump& a, const CanonicalDump& b) {
  return DescribeDifference(a, b).value_or("equal");
}

// ---- Units of work ---------------------------------------------------------------------------------------

TEST(DataModel, CommittedWorkStays) {
  DataModel model;
  const ExecResult result = model.Execute("CREATE TABLE t(a); INSERT INTO t VALUES(1), (2);");
  EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_TRUE(result.committed);
  EXPECT_EQ(model.commits(), 1u);
  EXPECT_EQ(model.Query("SELECT count(*) FROM t").rows[0][0], SqlValue::Integer(2));
}

TEST(DataModel, AFailingScriptLeavesNothingBehind) {
  DataModel model = PopulatedModel();
  const CanonicalDump before = model.Snapshot();
  const ExecResult result = model.Execute("INSERT INTO kv VALUES('d', x'00'); INSERT INTO kv VALUES('a', x'01');");
  EXPECT_EQ(result.rc, SQLITE_CONSTRAINT);
  EXPECT_FALSE(result.committed);
  EXPECT_NE(result.error.find("UNIQUE"), std::string::npos) << result.error;
  EXPECT_EQ(model.Snapshot(), before) << Why(before, model.Snapshot());  // 'd' was rolled back too
  EXPECT_EQ(model.commits(), 2u);
}

TEST(DataModel, RollbackRunsTheWorkButKeepsNothing) {
  DataModel model = PopulatedModel();
  const CanonicalDump before = model.Snapshot();
  const ExecResult result = model.Execute("DELETE FROM kv", EndWith::kRollback);
  EXPECT_TRUE(result.ok());
  EXPECT_FALSE(result.committed);
  EXPECT_EQ(model.Snapshot(), before);
}

TEST(DataModel, ForeignKeysAreEnforcedIncludingDeferredAtCommit) {
  DataModel model = PopulatedModel();
  EXPECT_EQ(model.Execute("INSERT INTO child VALUES(11, 99)").rc, SQLITE_CONSTRAINT);
  // A deferred violation passes every statement and fails at COMMIT; the model must roll it back.
  EXPECT_TRUE(model.Execute("CREATE TABLE dchild(id INTEGER PRIMARY KEY, "
                            "p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
                  .ok());
  const CanonicalDump before = model.Snapshot();
  const ExecResult result = model.Execute("INSERT INTO dchild VALUES(1, 42)");
  EXPECT_EQ(result.rc, SQLITE_CONSTRAINT) << result.error;
  EXPECT_FALSE(result.committed);
  EXPECT_EQ(model.Snapshot(), before) << Why(before, model.Snapshot());
  EXPECT_TRUE(sqlite3_get_autocommit(model.handle()));
}

TEST(DataModel, StatementLevelRollbackConflictIsHandled) {
  DataModel model = PopulatedModel();
  const CanonicalDump before = model.Snapshot();
  // OR ROLLBACK ends the transaction inside the work; the model must not try to commit what is left.
  const ExecResult result = model.Execute("INSERT INTO parent VALUES(2); INSERT OR ROLLBACK INTO parent VALUES(1);");
  EXPECT_EQ(result.rc, SQLITE_CONSTRAINT);
  EXPECT_EQ(model.Snapshot(), before);
}

TEST(DataModel, TransactionControlInsideWorkIsRefused) {
  DataModel model = PopulatedModel();
  const CanonicalDump before = model.Snapshot();
  const ExecResult result = model.Execute("INSERT INTO parent VALUES(5); COMMIT;");
  EXPECT_EQ(result.rc, SQLITE_MISUSE);
  EXPECT_FALSE(result.committed);
  // Savepoints are fine, and ROLLBACK TO undoes part of the work.
  const ExecResult savepoints =
      model.Execute("SAVEPOINT s; INSERT INTO parent VALUES(6); ROLLBACK TO s; RELEASE s; INSERT INTO parent VALUES(7);");
  EXPECT_TRUE(savepoints.ok()) << savepoints.error;
  const QueryResult parents = model.Query("SELECT id FROM parent ORDER BY id");
  ASSERT_TRUE(parents.ok());
  // The refused unit's COMMIT went through SQLite, so 5 is there: the model reports misuse, not a fiction.
  std::vector<std::vector<SqlValue>> ids;
  for (const auto& row : parents.rows) ids.push_back(row);
  EXPECT_EQ(ids.back(), std::vector<SqlValue>{SqlValue::Integer(7)});
  EXPECT_EQ(std::count(ids.begin(), ids.end(), std::vector<SqlValue>{SqlValue::Integer(6)}), 0);
}

TEST(DataModel, ParameterisedStatementsKeepExactValues) {
  DataModel model;
  ASSERT_TRUE(model.Execute("CREATE TABLE v(a, b, c, d, e)").ok());
  const std::vector<uint8_t> blob = {0, 1, 2, 0xFF};
  const SqlStatement statements[] = {
      {"INSERT INTO v VALUES(?1, ?2, ?3, ?4, ?5)",
       {SqlValue::Null(), SqlValue::Integer(-7), SqlValue::Real(0.1), SqlValue::Text("it's"), SqlValue::Blob(blob)}},
      {"INSERT INTO v VALUES(?1, 1, 1, 1, 1)", {SqlValue::Text(std::string("nul\0inside", 10))}},
  };
  const ExecResult result = model.ExecuteStatements(statements);
  ASSERT_TRUE(result.ok()) << result.error;
  const QueryResult rows = model.Query("SELECT * FROM v ORDER BY rowid");
  ASSERT_TRUE(rows.ok()) << rows.error;
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0], (std::vector<SqlValue>{SqlValue::Null(), SqlValue::Integer(-7), SqlValue::Real(0.1),
                                                 SqlValue::Text("it's"), SqlValue::Blob(blob)}));
  EXPECT_EQ(rows.rows[1][0], SqlValue::Text(std::string("nul\0inside", 10)));
  // A failing statement in the list rolls back the earlier ones.
  const SqlStatement failing[] = {{"INSERT INTO v(a) VALUES(?1)", {SqlValue::Integer(3)}},
                                  {"INSERT INTO nowhere VALUES(1)", {}}};
  EXPECT_EQ(model.ExecuteStatements(failing).rc, SQLITE_ERROR);
  EXPECT_EQ(model.Query("SELECT count(*) FROM v").rows[0][0], SqlValue::Integer(2));
}

// ---- Canonical dumps ---------------------------------------------------------------------------------------

TEST(CanonicalDump, SameContentBuiltDifferentlyIsEqual) {
  DataModel model = PopulatedModel();
  SqliteHandle other = SameContentElsewhere();
  const CanonicalDump a = model.Snapshot();
  const CanonicalDump b = DumpDatabase(other.get());
  EXPECT_EQ(a, b) << Why(a, b);
  EXPECT_FALSE(DescribeDifference(a, b).has_value());

  // The WITHOUT ROWID table has no rowid column in the dump and is in canonical (key) order.
  const TableDump* kv = nullptr;
  for (const TableDump& table : a.tables) {
    if (table.name == "kv") kv = &table;
  }
  ASSERT_NE(kv, nullptr);
  EXPECT_FALSE(kv->has_rowid);
  EXPECT_EQ(kv->columns, (std::vector<std::string>{"key", "value"}));
  ASSERT_EQ(kv->rows.size(), 3u);
  EXPECT_EQ(kv->rows[0][0], SqlValue::Text("a"));
  // Schema entries are sorted by (type, name) and include the index.
  ASSERT_FALSE(a.schema.empty());
  EXPECT_EQ(a.schema[0].type, "index");
}

TEST(CanonicalDump, AChangedRealIsFound) {
  DataModel model = PopulatedModel();
  SqliteHandle other = SameContentElsewhere();
  // One ulp away from 1.5: equal to the eye at %g, different in the bits.
  ExecOrThrow(other.get(), "UPDATE measure SET x = 1.5000000000000002 WHERE label = 'one'");
  const CanonicalDump a = model.Snapshot();
  const CanonicalDump b = DumpDatabase(other.get());
  EXPECT_NE(a, b);
  const std::string why = Why(a, b);
  EXPECT_NE(why.find("table measure"), std::string::npos) << why;
  EXPECT_NE(why.find("column x"), std::string::npos) << why;
}

TEST(CanonicalDump, AMissingRowIsFound) {
  DataModel model = PopulatedModel();
  SqliteHandle other = SameContentElsewhere();
  ExecOrThrow(other.get(), "DELETE FROM kv WHERE key = 'c'");
  const CanonicalDump a = model.Snapshot();
  const CanonicalDump b = DumpDatabase(other.get());
  EXPECT_NE(a, b);
  const std::string why = Why(a, b);
  EXPECT_NE(why.find("table kv has 2 rows, expected 3"), std::string::npos) << why;
  EXPECT_NE(why.find("missing row ('c', NULL)"), std::string::npos) << why;
}

TEST(CanonicalDump, AChangedBlobByteIsFound) {
  DataModel model = PopulatedModel();
  SqliteHandle other = SameContentElsewhere();
  ExecOrThrow(other.get(), "UPDATE kv SET value = x'0103' WHERE key = 'b'");
  const CanonicalDump a = model.Snapshot();
  const CanonicalDump b = DumpDatabase(other.get());
  EXPECT_NE(a, b);
  const std::string why = Why(a, b);
  EXPECT_NE(why.find("x'0103'"), std::string::npos) << why;
  EXPECT_NE(why.find("x'0102'"), std::string::npos) << why;
}

TEST(CanonicalDump, StorageClassIsPartOfTheValue) {
  DataModel model = PopulatedModel();
  SqliteHandle other = SameContentElsewhere();
  // Column raw has no type affinity: 1 (INTEGER) and 1.0 (REAL) are different values.
  ExecOrThrow(other.get(), "UPDATE measure SET raw = 1.0 WHERE label = 'one'");
  EXPECT_NE(model.Snapshot(), DumpDatabase(other.get()));
  // Text and blob with the same bytes differ too.
  SqliteHandle third = SameContentElsewhere();
  ExecOrThrow(third.get(), "UPDATE measure SET raw = CAST('txt' AS BLOB) WHERE label = 'big'");
  EXPECT_NE(model.Snapshot(), DumpDatabase(third.get()));
}

TEST(CanonicalDump, SchemaAndHeaderDifferencesAreFound) {
  DataModel model = PopulatedModel();
  SqliteHandle other = SameContentElsewhere();
  ExecOrThrow(other.get(), "CREATE INDEX extra ON kv(value)");
  std::string why = Why(model.Snapshot(), DumpDatabase(other.get()));
  EXPECT_NE(why.find("extra"), std::string::npos) << why;

  SqliteHandle third = SameContentElsewhere();
  ExecOrThrow(third.get(), "PRAGMA user_version = 3");
  why = Why(model.Snapshot(), DumpDatabase(third.get()));
  EXPECT_NE(why.find("user_version"), std::string::npos) << why;
  DumpOptions no_header;
  no_header.include_header_values = false;
  EXPECT_EQ(model.Snapshot(no_header), DumpDatabase(third.get(), no_header));
}

TEST(CanonicalDump, ExcludedTablesAreLeftOut) {
  DataModel model = PopulatedModel();
  SqliteHandle other = SameContentElsewhere();
  ExecOrThrow(other.get(), "CREATE TABLE _migrations(version INTEGER PRIMARY KEY); INSERT INTO _migrations VALUES(1);"
                           "CREATE INDEX _migrations_idx ON _migrations(version);");
  EXPECT_NE(model.Snapshot(), DumpDatabase(other.get()));
  DumpOptions options;
  options.exclude_tables = {"_migrations"};
  EXPECT_EQ(model.Snapshot(options), DumpDatabase(other.get(), options));
}

TEST(CanonicalDump, ShadowedRowidAndAutoincrement) {
  DataModel model;
  ASSERT_TRUE(model.Execute("CREATE TABLE odd(rowid TEXT, _rowid_ TEXT, oid TEXT);"
                            "INSERT INTO odd VALUES('z', 'y', 'x'), ('a', 'b', 'c');"
                            "CREATE TABLE seq(id INTEGER PRIMARY KEY AUTOINCREMENT, v);"
                            "INSERT INTO seq(v) VALUES(1), (2); DELETE FROM seq WHERE v = 2;")
                  .ok());
  const CanonicalDump dump = model.Snapshot();
  const TableDump* odd = nullptr;
  const TableDump* sequence = nullptr;
  for (const TableDump& table : dump.tables) {
    if (table.name == "odd") odd = &table;
    if (table.name == "sqlite_sequence") sequence = &table;
  }
  ASSERT_NE(odd, nullptr);
  EXPECT_FALSE(odd->has_rowid);  // every alias is a real column
  ASSERT_EQ(odd->rows.size(), 2u);
  EXPECT_EQ(odd->rows[0][0], SqlValue::Text("a"));  // canonical order
  ASSERT_NE(sequence, nullptr);  // AUTOINCREMENT state is data too
  ASSERT_EQ(sequence->rows.size(), 1u);
  EXPECT_EQ(sequence->rows[0].back(), SqlValue::Integer(2));
}

TEST(CanonicalDump, ImageRoundTripPreservesTheDump) {
  DataModel model = PopulatedModel();
  const std::vector<uint8_t> image = SerializeImage(model.handle());
  ASSERT_FALSE(image.empty());
  SqliteHandle copy = OpenImage(image);
  EXPECT_EQ(model.Snapshot(), DumpDatabase(copy.get()));
  EXPECT_EQ(RunQuery(copy.get(), "PRAGMA integrity_check").rows[0][0], SqlValue::Text("ok"));

  DataModel imported;
  imported.LoadImage(image);
  EXPECT_EQ(imported.Snapshot(), model.Snapshot());
  imported.LoadImage({});
  EXPECT_TRUE(imported.Snapshot().tables.empty());
  EXPECT_TRUE(SerializeImage(imported.handle()).empty());
  // Foreign keys stay on after a load.
  EXPECT_EQ(imported.Query("PRAGMA foreign_keys").rows[0][0], SqlValue::Integer(1));
}

// ---- Values and queries ------------------------------------------------------------------------------------

TEST(SqlValue, EqualityIsExact) {
  EXPECT_EQ(SqlValue::Real(0.1), SqlValue::Real(0.1));
  EXPECT_NE(SqlValue::Real(0.0), SqlValue::Real(-0.0));
  EXPECT_EQ(SqlValue::Real(std::nan("")), SqlValue::Real(std::nan("")));
  EXPECT_NE(SqlValue::Integer(1), SqlValue::Real(1.0));
  EXPECT_NE(SqlValue::Text("ab"), SqlValue::Blob(std::vector<uint8_t>{'a', 'b'}));
  EXPECT_TRUE(CanonicalLess(SqlValue::Real(-0.0), SqlValue::Real(0.0)));
  EXPECT_TRUE(CanonicalLess(SqlValue::Real(-1e300), SqlValue::Real(-1.0)));
  EXPECT_TRUE(CanonicalLess(SqlValue::Integer(5), SqlValue::Real(-1.0)));  // by storage class first
  EXPECT_TRUE(CanonicalLess(SqlValue::Text("a"), SqlValue::Text("\xff")));  // bytewise, unsigned
  EXPECT_EQ(ToDisplayString(SqlValue::Text("it's")), "'it''s'");
  EXPECT_EQ(ToDisplayString(SqlValue::Blob(std::vector<uint8_t>{0x0a, 0x0b})), "x'0a0b'");
}

TEST(RunQuery, ResultsCompareAcrossConnections) {
  DataModel model = PopulatedModel();
  SqliteHandle other = SameContentElsewhere();
  const std::string sql = "SELECT label, x FROM measure WHERE x > ?1 ORDER BY label";
  const std::vector<SqlValue> params = {SqlValue::Real(0.0)};
  const QueryResult a = model.Query(sql, params);
  const QueryResult b = RunQuery(other.get(), sql, params);
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.columns, (std::vector<std::string>{"label", "x"}));
  ASSERT_EQ(a.rows.size(), 2u);
  ExecOrThrow(other.get(), "UPDATE measure SET x = 0.10000000000000002 WHERE label = 'tenth'");
  EXPECT_NE(a, RunQuery(other.get(), sql, params));
}

TEST(RunQuery, ErrorsAreResultsToo) {
  DataModel model = PopulatedModel();
  const QueryResult missing = model.Query("SELECT * FROM nowhere");
  EXPECT_EQ(missing.rc, SQLITE_ERROR);
  EXPECT_NE(missing.error.find("no such table"), std::string::npos);
  EXPECT_EQ(model.Query("SELECT 1; SELECT 2").rc, SQLITE_MISUSE);
  EXPECT_TRUE(model.Query("SELECT 1; -- trailing comment\n ;").ok());
  EXPECT_EQ(model.Query("").rc, SQLITE_MISUSE);
}

// Snapshot is memoized by the serialized database file. A memo that answered for a changed database would hide
// every data violation, so change the database every way there is, including behind the model's back through
// the raw handle, with a change that keeps the file size and the row count, and check each dump is fresh.
TEST(DataModel, MemoizedSnapshotIsNeverStale) {
  DataModel model;
  ASSERT_TRUE(model.Execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").ok());
  ASSERT_TRUE(model.Execute("INSERT INTO t VALUES(1, 'aaaa')").ok());
  const CanonicalDump first = model.Snapshot();
  EXPECT_EQ(model.Snapshot(), first);  // unchanged: the memo answers, with the same dump

  ASSERT_EQ(sqlite3_exec(model.handle(), "UPDATE t SET v = 'aaab' WHERE id = 1", nullptr, nullptr, nullptr),
            SQLITE_OK);
  const CanonicalDump second = model.Snapshot();
  EXPECT_NE(second, first);
  ASSERT_EQ(second.tables.size(), 1u);
  ASSERT_EQ(second.tables[0].rows.size(), 1u);
  EXPECT_EQ(second.tables[0].rows[0][2], SqlValue::Text("aaab"));

  ASSERT_TRUE(model.Execute("UPDATE t SET v = 'aaaa' WHERE id = 1").ok());
  EXPECT_EQ(model.Snapshot(), first);

  DumpOptions no_header;
  no_header.include_header_values = false;
  ASSERT_EQ(sqlite3_exec(model.handle(), "PRAGMA user_version = 7", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(model.Snapshot().user_version, 7);
  EXPECT_EQ(model.Snapshot(no_header).user_version, 0);  // other options: not the memo of the last call
  EXPECT_EQ(model.Snapshot().user_version, 7);

  const std::vector<uint8_t> image = SerializeImage(model.handle());
  ASSERT_TRUE(model.Execute("DELETE FROM t").ok());
  EXPECT_TRUE(model.Snapshot().tables[0].rows.empty());
  model.LoadImage(image);
  EXPECT_EQ(model.Snapshot().tables[0].rows.size(), 1u);
}

// The memo reads the model's file in SQLite's own buffer (main is in memdb from construction) and keeps its
// own copy as the key. Replace the whole file behind the model's back with one of the same size that differs
// in one byte of a row (sqlite3_deserialize through the raw handle: no SQL runs, no commit happens), and the
// next dump must show the new row, not the memoized one.
TEST(DataModel, MemoizedSnapshotSeesAFileReplacedInPlace) {
  DataModel model;
  EXPECT_TRUE(MainFileBytes(model.handle()).has_value());  // the cheap in-place key is available
  ASSERT_TRUE(model.Execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").ok());
  ASSERT_TRUE(model.Execute("INSERT INTO t VALUES(1, 'aaaa')").ok());
  const std::vector<uint8_t> before = SerializeImage(model.handle());
  ASSERT_TRUE(model.Execute("UPDATE t SET v = 'aaab' WHERE id = 1").ok());
  const std::vector<uint8_t> after = SerializeImage(model.handle());
  ASSERT_TRUE(model.Execute("UPDATE t SET v = 'aaaa' WHERE id = 1").ok());
  ASSERT_EQ(before.size(), after.size());

  LoadImage(model.handle(), before);
  const CanonicalDump& old_dump = model.Snapshot();
  ASSERT_EQ(old_dump.tables.size(), 1u);
  EXPECT_EQ(old_dump.tables[0].rows.at(0)[2], SqlValue::Text("aaaa"));
  LoadImage(model.handle(), after);  // same size, one row differs
  EXPECT_EQ(model.Snapshot().tables[0].rows.at(0)[2], SqlValue::Text("aaab"));
  LoadImage(model.handle(), before);
  EXPECT_EQ(model.Snapshot().tables[0].rows.at(0)[2], SqlValue::Text("aaaa"));
}

}  // namespace
}  // namespace stablevfs::model
