// Every library failpoint armed with `error` (and a few with trap or crash), fired inside the operation that
// reaches it: the operation must fail cleanly.
//
// Goal (ARCHITECTURE, "error" row): after an error the superblock region and the page map (and every page it
// maps) are byte-identical to before, the data is unchanged as seen by a query, by the next update and by a
// fresh Db on the same memory, and the next update works. The case that matters most is "SQLite committed but
// the publish failed" (commit.capacity, commit.page_write, commit.page_table_write, commit.superblock_publish,
// memory.grow): SQLite's page cache then holds a row stable memory never stored, and only resetting the update
// connection keeps it from showing up in a later update; these tests read through the update connection and
// re-insert the same key, so they fail if the reset is missing. Traps and crashes must end the message: the
// Db throws, refuses further calls, and a fresh Db sees the old state.
//
// Method: arm one site with a spec, run the operation, assert the site really fired, clear the registry, then
// compare the independently decoded active image (db_testing.h) and the data.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "failpoints/registry.h"
#include "lib/db/db.h"
#include "lib/memory/heap_stable_memory.h"
#include "tests/lib/db_testing.h"

namespace stablevfs {
namespace {

using testing::ActiveImage;
using testing::Exec;
using testing::InitOrDie;
using testing::MetaOf;
using testing::PatternBytes;
using testing::Select;
using testing::SelectInt;

class DbFailpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
#if !STABLEVFS_FAILPOINTS_ENABLED
    GTEST_SKIP() << "failpoints are compiled out";
#endif
    db_ = InitOrDie(memory_);
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(Exec(*db_, "CREATE TABLE kv(k TEXT PRIMARY KEY, v BLOB)").ok());
    ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('old', ?1)", {Value{Blob{PatternBytes(40000, 1)}}}).ok());
  }

  // The update most cases break: a new row with a 60 KB value, so the commit writes several pages.
  Status InsertNew() { return Exec(*db_, "INSERT INTO kv VALUES('new', ?1)", {Value{Blob{PatternBytes(60000, 2)}}}); }

  // Arms `spec`, runs `op` (which must fail: return an error or throw), checks that `site` fired `error`, and
  // then that the failure left no trace and the database works.
  void ExpectCleanError(const std::string& spec, const std::string& site, const std::function<Status()>& op,
                        ErrorCode expected_code = ErrorCode::kInjected) {
    const Meta meta_before = MetaOf(*db_);
    const ActiveImage image_before = ActiveImage::Take(memory_);
    const Rows rows_before = Select(*db_, "SELECT k, v FROM kv ORDER BY k");

    ASSERT_TRUE(fp::Arm(spec).ok()) << spec;
    const Status status = op();
    EXPECT_FALSE(status.ok()) << spec << " did not make the operation fail";
    EXPECT_EQ(status.code(), expected_code) << status.ToString();
    EXPECT_GE(fp::Fired(site, fp::Action::kError), 1u) << spec << " never fired: the test proves nothing";
    fp::ClearAll();

    ExpectNoTrace(meta_before, image_before, rows_before);
  }

  void ExpectNoTrace(const Meta& meta_before, const ActiveImage& image_before, const Rows& rows_before) {
    EXPECT_EQ(MetaOf(*db_), meta_before);
    EXPECT_TRUE(ActiveImage::Take(memory_) == image_before) << "the active superblock or page map changed";
    // A query sees the old data...
    EXPECT_EQ(Select(*db_, "SELECT k, v FROM kv ORDER BY k"), rows_before);
    // ...and so does the update connection, whose page cache may have been ahead of stable memory: the same key
    // must insert again without a UNIQUE violation, and the commit must work.
    const int64_t count_before = static_cast<int64_t>(rows_before.rows.size());
    Status next = db_->Update([&](Connection& c) -> Status {
      Result<Rows> rows = c.Query("SELECT count(*) FROM kv");
      if (!rows.ok()) return rows.status();
      EXPECT_EQ(rows->rows.at(0).at(0), Value(count_before)) << "the update connection sees an unstored row";
      return c.Execute("INSERT INTO kv VALUES('new', ?1)", std::vector<Value>{Value{Blob{PatternBytes(60000, 2)}}});
    });
    ASSERT_TRUE(next.ok()) << next.ToString();
    EXPECT_EQ(MetaOf(*db_).last_tx_id, meta_before.last_tx_id + 1);
    EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), count_before + 1);
    // A fresh Db (the upgrade path) agrees with the live one.
    const Rows rows_live = Select(*db_, "SELECT k, v FROM kv ORDER BY k");
    db_.reset();
    db_ = InitOrDie(memory_);
    ASSERT_NE(db_, nullptr);
    EXPECT_EQ(Select(*db_, "SELECT k, v FROM kv ORDER BY k"), rows_live);
    EXPECT_EQ(*db_->IntegrityCheck(), "ok");
  }

  fp::ScopedRegistryReset failpoints_;
  HeapStableMemory memory_;
  std::unique_ptr<Db> db_;
};

// ---- inside the transaction ----

TEST_F(DbFailpointTest, OverlayWrite) {
  ExpectCleanError("overlay.write=error", "overlay.write", [&] { return InsertNew(); });
}

TEST_F(DbFailpointTest, SqliteStep) {
  // The second step of the closure (the first is BEGIN IMMEDIATE's, counted too): the INSERT.
  ExpectCleanError("sqlite.step=nth(2):error", "sqlite.step", [&] { return InsertNew(); }, ErrorCode::kSqlite);
}

TEST_F(DbFailpointTest, SqliteStepAtCommit) {
  // BEGIN, the INSERT, then COMMIT's step fails: SQLite never committed, the rollback must still be clean.
  ExpectCleanError("sqlite.step=nth(3):error", "sqlite.step", [&] { return InsertNew(); }, ErrorCode::kSqlite);
}

TEST_F(DbFailpointTest, UpdateClosureBehavesAsAnExceptionInTheClosure) {
  ExpectCleanError(
      "update.closure=error", "update.closure",
      [&]() -> Status {
        try {
          return InsertNew();
        } catch (const std::runtime_error& e) {
          return Status(ErrorCode::kInjected, e.what());  // the exception is the expected outcome
        }
      });
}

// ---- SQLite committed, the publish failed ----

TEST_F(DbFailpointTest, CommitCapacity) {
  ExpectCleanError("commit.capacity=error", "commit.capacity", [&] { return InsertNew(); });
}

TEST_F(DbFailpointTest, CommitFirstPageWrite) {
  ExpectCleanError("commit.page_write=nth(1):error", "commit.page_write", [&] { return InsertNew(); });
}

TEST_F(DbFailpointTest, CommitLaterPageWrite) {
  // nth(3) fires only on the third page write, so the check that it fired proves pages 1 and 2 were written.
  ExpectCleanError("commit.page_write=nth(3):error", "commit.page_write", [&] { return InsertNew(); });
}

TEST_F(DbFailpointTest, CommitPageTableWrite) {
  ExpectCleanError("commit.page_table_write=error", "commit.page_table_write", [&] { return InsertNew(); });
}

TEST_F(DbFailpointTest, CommitSuperblockPublish) {
  ExpectCleanError("commit.superblock_publish=error", "commit.superblock_publish", [&] { return InsertNew(); });
}

TEST_F(DbFailpointTest, MemoryGrowIsACapacityError) {
  const uint64_t pages = memory_.size_pages();
  Status seen;
  ExpectCleanError(
      "memory.grow=error", "memory.grow",
      [&] {
        seen = InsertNew();
        return seen;
      },
      ErrorCode::kCapacity);
  EXPECT_EQ(seen.current_pages(), pages);
  EXPECT_GT(seen.required_pages(), pages);
}

TEST_F(DbFailpointTest, CommitFailureAfterATruncatingCommit) {
  // auto_vacuum=FULL makes a commit that frees pages truncate the file: build such an image with stock SQLite
  // and import it, then delete the big row so the commit calls xTruncate.
  const std::vector<uint8_t> file = testing::SqliteFileImage(
      "PRAGMA auto_vacuum = FULL; CREATE TABLE kv(k TEXT PRIMARY KEY, v BLOB);"
      "INSERT INTO kv VALUES('old', zeroblob(100)), ('big', randomblob(200000));");
  ASSERT_TRUE(testing::ImportImage(*db_, file, testing::Fnv1a(file)).ok());
  ExpectCleanError("overlay.truncate=error", "overlay.truncate",
                   [&] { return Exec(*db_, "DELETE FROM kv WHERE k = 'big'"); });
  // The truncating commit itself works once disarmed, and shrinks the file.
  const uint64_t size = MetaOf(*db_).db_size;
  ASSERT_TRUE(Exec(*db_, "DELETE FROM kv WHERE k = 'big'").ok());
  EXPECT_LT(MetaOf(*db_).db_size, size);
}

// ---- admin operations ----

TEST_F(DbFailpointTest, MigrateApply) {
  ExpectCleanError("migrate.apply=nth(2):error", "migrate.apply", [&] {
    return db_->Migrate(std::vector<Migration>{{1, "CREATE TABLE a(x)"}, {2, "CREATE TABLE b(x)"}});
  });
  EXPECT_EQ(MetaOf(*db_).schema_version, 0u);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM sqlite_schema WHERE name = 'a'"), 0);
}

TEST_F(DbFailpointTest, ChecksumRefreshChunk) {
  ASSERT_TRUE(db_->RefreshChecksumChunk(10000).ok());  // a refresh in progress, recorded in the superblock
  ExpectCleanError("checksum.refresh_chunk=error", "checksum.refresh_chunk",
                   [&] { return db_->RefreshChecksumChunk(10000).status(); });
}

TEST_F(DbFailpointTest, CompactCopy) {
  ExpectCleanError("compact.copy=nth(2):error", "compact.copy", [&] { return db_->Compact(); });
}

TEST_F(DbFailpointTest, CompactPublish) {
  ExpectCleanError("compact.publish=error", "compact.publish", [&] { return db_->Compact(); });
}

// Import failpoints fire while an import is staged, so the "before" state is the importing one; after the
// failure the import can be resumed and finished, and then the database works.
class DbImportFailpointTest : public DbFailpointTest {
 protected:
  void SetUp() override {
    DbFailpointTest::SetUp();
    if (IsSkipped()) return;
    HeapStableMemory source_memory;
    std::unique_ptr<Db> source = InitOrDie(source_memory);
    ASSERT_TRUE(Exec(*source, "CREATE TABLE kv(k TEXT PRIMARY KEY, v BLOB)").ok());
    ASSERT_TRUE(Exec(*source, "INSERT INTO kv VALUES('imported', zeroblob(70000))").ok());
    image_ = testing::ExportImage(*source, &checksum_);
    ASSERT_TRUE(db_->BeginImport(image_.size(), checksum_).ok());
    ASSERT_TRUE(db_->ImportChunk(0, std::span<const uint8_t>(image_).subspan(0, 20000)).ok());
  }

  void ExpectFailureThenFinish(const std::string& spec, const std::string& site, const std::function<Status()>& op) {
    const Meta meta_before = MetaOf(*db_);
    const ActiveImage image_before = ActiveImage::Take(memory_);
    ASSERT_TRUE(fp::Arm(spec).ok());
    const Status status = op();
    EXPECT_EQ(status.code(), ErrorCode::kInjected) << status.ToString();
    EXPECT_GE(fp::Fired(site, fp::Action::kError), 1u);
    fp::ClearAll();
    EXPECT_EQ(MetaOf(*db_), meta_before);
    EXPECT_TRUE(ActiveImage::Take(memory_) == image_before);
  }

  void FinishAndUse() {
    std::span<const uint8_t> bytes(image_);
    const uint64_t from = MetaOf(*db_).import_written_until;
    if (from < bytes.size()) {
      ASSERT_TRUE(db_->ImportChunk(from, bytes.subspan(from)).ok());
    }
    Status s = db_->FinishImport();
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(Select(*db_, "SELECT k FROM kv").rows.size(), 1u);
    ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('after', 1)").ok());
    EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 2);
  }

  std::vector<uint8_t> image_;
  uint64_t checksum_ = 0;
};

TEST_F(DbImportFailpointTest, ImportChunk) {
  ExpectFailureThenFinish("import.chunk=error", "import.chunk", [&] {
    return db_->ImportChunk(20000, std::span<const uint8_t>(image_).subspan(20000, 10000));
  });
  FinishAndUse();
}

TEST_F(DbImportFailpointTest, ImportFinish) {
  std::span<const uint8_t> bytes(image_);
  ASSERT_TRUE(db_->ImportChunk(20000, bytes.subspan(20000)).ok());
  ExpectFailureThenFinish("import.finish=error", "import.finish", [&] { return db_->FinishImport(); });
  FinishAndUse();
}

TEST_F(DbImportFailpointTest, PublishOfTheImport) {
  std::span<const uint8_t> bytes(image_);
  ASSERT_TRUE(db_->ImportChunk(20000, bytes.subspan(20000)).ok());
  ExpectFailureThenFinish("commit.superblock_publish=error", "commit.superblock_publish",
                          [&] { return db_->FinishImport(); });
  FinishAndUse();
}

// ---- traps and crashes end the message ----

class DbAbortTest : public DbFailpointTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(DbAbortTest, EndsTheMessageAndAFreshDbSeesTheOldState) {
  const Rows rows_before = Select(*db_, "SELECT k, v FROM kv ORDER BY k");
  const ActiveImage image_before = ActiveImage::Take(memory_);
  ASSERT_TRUE(fp::Arm(GetParam()).ok());
  EXPECT_THROW((void)InsertNew(), fp::Abort);
  fp::ClearAll();
  // Nothing this Db does from now on can be trusted to the message that ended: it refuses everything.
  EXPECT_EQ(Exec(*db_, "INSERT INTO kv VALUES('x', 1)").code(), ErrorCode::kBusy);
  EXPECT_EQ(db_->Query([](Connection&) { return Status::Ok(); }).code(), ErrorCode::kBusy);
  EXPECT_EQ(db_->Compact().code(), ErrorCode::kBusy);
  // Every abort here fires before the superblock write, so even without the IC's rollback the active image is
  // the old one.
  EXPECT_TRUE(ActiveImage::Take(memory_) == image_before);
  db_.reset();
  db_ = InitOrDie(memory_);
  EXPECT_EQ(Select(*db_, "SELECT k, v FROM kv ORDER BY k"), rows_before);
  ASSERT_TRUE(InsertNew().ok());
}

INSTANTIATE_TEST_SUITE_P(Sites, DbAbortTest,
                         ::testing::Values("overlay.write=trap", "overlay.write=crash", "sqlite.step=nth(2):trap",
                                           "sqlite.step=nth(3):crash", "update.closure=trap",
                                           "commit.page_write=nth(2):crash", "commit.superblock_publish=trap"));

}  // namespace
}  // namespace stablevfs
