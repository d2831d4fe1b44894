// Tests of the Db's admin operations (REFERENCE 3.3): migrations, checksums (full and chunked, with the
// restart rule), export, import with its ordering, bounds and checksum rules, and the refusal to touch a
// memory that holds something else.
//
// Method: drive each operation through the public Db API on heap stable memories and judge by the
// superblock (GetMeta), by SQL, by an FNV-1a computed here over the exported bytes, and by byte comparisons of
// the memory before and after a refused operation.
#include <gtest/gtest.h>

#include <memory>
#include <random>
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
using testing::Fnv1a;
using testing::InitOrDie;
using testing::MetaOf;
using testing::SelectInt;

class DbAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = InitOrDie(memory_);
    ASSERT_NE(db_, nullptr);
  }

  // Fills the database with `rows` rows of 1 KB.
  void Fill(int rows) {
    ASSERT_TRUE(db_->Update([&](Connection& c) -> Status {
                     STABLEVFS_RETURN_IF_ERROR(c.Execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v)"));
                     for (int i = 0; i < rows; ++i) {
                       const std::vector<Value> p = {Value{std::string(1000, static_cast<char>('a' + i % 26))}};
                       STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO t(v) VALUES(?1)", p));
                     }
                     return Status::Ok();
                   }).ok());
  }

  fp::ScopedRegistryReset failpoints_;
  HeapStableMemory memory_;
  std::unique_ptr<Db> db_;
};

// ---- migrations ----

TEST_F(DbAdminTest, MigrationsApplyInOrderOnceAndRecordThemselves) {
  const std::vector<Migration> migrations = {
      {2, "ALTER TABLE a ADD COLUMN y; CREATE INDEX a_y ON a(y)"},
      {1, "CREATE TABLE a(x)"},  // out of order on purpose: applied by version
  };
  ASSERT_TRUE(db_->Migrate(migrations).ok());
  EXPECT_EQ(MetaOf(*db_).schema_version, 2u);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM _stablevfs_migrations"), 2);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM sqlite_schema WHERE name = 'a_y'"), 1);

  // Running the same list again does nothing at all.
  const Meta before = MetaOf(*db_);
  ASSERT_TRUE(db_->Migrate(migrations).ok());
  EXPECT_EQ(MetaOf(*db_), before);

  // A longer list applies only the new one.
  std::vector<Migration> more = migrations;
  more.push_back({3, "INSERT INTO a VALUES(1, 2)"});
  ASSERT_TRUE(db_->Migrate(more).ok());
  EXPECT_EQ(MetaOf(*db_).schema_version, 3u);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM a"), 1);
  EXPECT_EQ(SelectInt(*db_, "SELECT max(version) FROM _stablevfs_migrations"), 3);

  // schema_version survives a fresh Init.
  db_.reset();
  db_ = InitOrDie(memory_);
  EXPECT_EQ(MetaOf(*db_).schema_version, 3u);
}

TEST_F(DbAdminTest, AFailingMigrationRollsBackEverythingAndKeepsSchemaVersion) {
  ASSERT_TRUE(db_->Migrate(std::vector<Migration>{{1, "CREATE TABLE a(x)"}}).ok());
  const Meta before = MetaOf(*db_);
  const ActiveImage image = ActiveImage::Take(memory_);
  const std::vector<Migration> migrations = {
      {1, "CREATE TABLE a(x)"},
      {2, "CREATE TABLE b(y)"},
      {3, "CREATE TABLE a(z)"},  // fails: a exists
  };
  Status s = db_->Migrate(migrations);
  ASSERT_EQ(s.code(), ErrorCode::kSqlite) << s.ToString();
  EXPECT_NE(s.message().find("migration 3 failed"), std::string::npos) << s.message();
  EXPECT_EQ(MetaOf(*db_), before);
  EXPECT_EQ(ActiveImage::Take(memory_), image);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM sqlite_schema WHERE name = 'b'"), 0);
  // Fixed, it applies.
  const std::vector<Migration> fixed = {{1, "CREATE TABLE a(x)"}, {2, "CREATE TABLE b(y)"}, {3, "CREATE TABLE c(z)"}};
  ASSERT_TRUE(db_->Migrate(fixed).ok());
  EXPECT_EQ(MetaOf(*db_).schema_version, 3u);
}

TEST_F(DbAdminTest, DuplicateOrNonPositiveVersionsAreRejectedBeforeAnythingRuns) {
  const Meta before = MetaOf(*db_);
  Status s = db_->Migrate(std::vector<Migration>{{1, "CREATE TABLE a(x)"}, {1, "CREATE TABLE b(x)"}});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.ToString();
  s = db_->Migrate(std::vector<Migration>{{0, "CREATE TABLE a(x)"}});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(MetaOf(*db_), before);
}

// ---- checksums ----

TEST_F(DbAdminTest, RefreshChecksumHashesTheLogicalImageAndClearsStale) {
  Fill(40);
  Result<DbMeta> meta = db_->GetMeta();
  ASSERT_TRUE(meta.ok());
  EXPECT_TRUE(meta->checksum_stale);
  ASSERT_TRUE(db_->RefreshChecksum().ok());
  meta = db_->GetMeta();
  EXPECT_FALSE(meta->checksum_stale);
  EXPECT_FALSE(meta->checksum_refreshing);
  Result<std::vector<uint8_t>> image = db_->ExportChunk(0, meta->superblock.db_size);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->size(), meta->superblock.db_size);
  EXPECT_EQ(meta->superblock.checksum, Fnv1a(*image));
  // Export clips to db_size and returns nothing past it.
  EXPECT_EQ(db_->ExportChunk(meta->superblock.db_size - 10, 100)->size(), 10u);
  EXPECT_TRUE(db_->ExportChunk(meta->superblock.db_size, 100)->empty());
}

TEST_F(DbAdminTest, ChunkedRefreshStoresProgressAndRestartsAfterACommit) {
  Fill(40);
  EXPECT_EQ(db_->RefreshChecksumChunk(0).status().code(), ErrorCode::kInvalidArgument);
  const uint64_t size = MetaOf(*db_).db_size;
  ASSERT_GT(size, 3 * 10000u);

  Result<ChecksumProgress> p = db_->RefreshChecksumChunk(10000);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->complete);
  EXPECT_EQ(p->offset, 10000u);
  Result<DbMeta> meta = db_->GetMeta();
  EXPECT_TRUE(meta->checksum_refreshing);
  EXPECT_EQ(meta->superblock.checksum_refresh_offset, 10000u);
  EXPECT_EQ(meta->superblock.checksum_refresh_tx_id, meta->superblock.last_tx_id);

  // Progress lives in the superblock: a fresh Db resumes where the last one stopped.
  db_.reset();
  db_ = InitOrDie(memory_);
  p = db_->RefreshChecksumChunk(10000);
  EXPECT_EQ(p->offset, 20000u);

  // A commit in between restarts the refresh from zero.
  ASSERT_TRUE(Exec(*db_, "UPDATE t SET v = 'changed' WHERE id = 1").ok());
  p = db_->RefreshChecksumChunk(10000);
  EXPECT_EQ(p->offset, 10000u);

  uint64_t steps = 0;
  while (!p->complete) {
    p = db_->RefreshChecksumChunk(10000);
    ASSERT_TRUE(p.ok());
    ++steps;
  }
  EXPECT_EQ(p->offset, MetaOf(*db_).db_size);
  meta = db_->GetMeta();
  EXPECT_FALSE(meta->checksum_stale);
  EXPECT_FALSE(meta->checksum_refreshing);
  EXPECT_EQ(p->checksum, meta->superblock.checksum);
  EXPECT_EQ(p->checksum, Fnv1a(*db_->ExportChunk(0, meta->superblock.db_size)));
  ASSERT_TRUE(db_->RefreshChecksum().ok());
  EXPECT_EQ(MetaOf(*db_).checksum, p->checksum);
}

// ---- import ----

class DbImportTest : public DbAdminTest {
 protected:
  void SetUp() override {
    DbAdminTest::SetUp();
    Fill(3);
    // The source: another database, exported the safe way.
    std::unique_ptr<Db> source = InitOrDie(source_memory_);
    ASSERT_TRUE(Exec(*source, "CREATE TABLE imported(x)").ok());
    ASSERT_TRUE(Exec(*source, "INSERT INTO imported VALUES(zeroblob(50000))").ok());
    image_ = testing::ExportImage(*source, &checksum_);
    ASSERT_GT(image_.size(), 3 * 16384u);
  }

  // The old image is still the active one and fully usable.
  void ExpectOldImageIntact(const Meta& before, const ActiveImage& image) {
    const Meta after = MetaOf(*db_);
    EXPECT_EQ(after.flags & kFlagImporting, 0u);
    EXPECT_EQ(after.db_size, before.db_size);
    EXPECT_EQ(after.last_tx_id, before.last_tx_id);
    EXPECT_EQ(after.page_table_offset, before.page_table_offset);
    EXPECT_EQ(ActiveImage::Take(memory_).extents.size(), image.extents.size());
    EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t"), 3);
    ASSERT_TRUE(Exec(*db_, "INSERT INTO t(v) VALUES('next')").ok());
  }

  HeapStableMemory source_memory_;
  std::vector<uint8_t> image_;
  uint64_t checksum_ = 0;
};

TEST_F(DbImportTest, AWrongChecksumKeepsTheOldImage) {
  const Meta before = MetaOf(*db_);
  const ActiveImage image = ActiveImage::Take(memory_);
  Status s = testing::ImportImage(*db_, image_, checksum_ ^ 1);
  ASSERT_EQ(s.code(), ErrorCode::kImport) << s.ToString();
  EXPECT_EQ(s.expected(), checksum_ ^ 1);
  EXPECT_EQ(s.actual(), checksum_);
  // The import fields were set and cleared again: the superblock and everything it reaches are as before.
  EXPECT_EQ(ActiveImage::Take(memory_), image);
  ExpectOldImageIntact(before, image);
}

TEST_F(DbImportTest, ChunksOutOfOrderOrOutOfBoundsAreRejected) {
  const Meta before = MetaOf(*db_);
  const ActiveImage image = ActiveImage::Take(memory_);
  ASSERT_TRUE(db_->BeginImport(image_.size(), checksum_).ok());
  EXPECT_EQ(db_->BeginImport(image_.size(), checksum_).code(), ErrorCode::kBusy);
  std::span<const uint8_t> bytes(image_);

  Status s = db_->ImportChunk(100, bytes.subspan(100, 100));  // a gap
  ASSERT_EQ(s.code(), ErrorCode::kImport);
  EXPECT_EQ(s.expected(), 0u);
  EXPECT_EQ(s.actual(), 100u);
  ASSERT_TRUE(db_->ImportChunk(0, bytes.subspan(0, 1000)).ok());
  s = db_->ImportChunk(0, bytes.subspan(0, 1000));  // a repeat
  ASSERT_EQ(s.code(), ErrorCode::kImport);
  EXPECT_EQ(s.expected(), 1000u);
  EXPECT_EQ(s.actual(), 0u);
  const std::vector<uint8_t> too_long(image_.size(), 0);  // 1000 + size > total
  s = db_->ImportChunk(1000, too_long);
  ASSERT_EQ(s.code(), ErrorCode::kImport);
  EXPECT_EQ(s.expected(), image_.size());
  EXPECT_EQ(s.actual(), 1000u + image_.size());
  s = db_->FinishImport();  // incomplete
  ASSERT_EQ(s.code(), ErrorCode::kImport);
  EXPECT_EQ(s.expected(), image_.size());
  EXPECT_EQ(s.actual(), 1000u);

  // While importing, the database cannot be opened.
  EXPECT_EQ(Exec(*db_, "INSERT INTO t(v) VALUES('x')").code(), ErrorCode::kBusy);
  EXPECT_EQ(db_->Query([](Connection&) { return Status::Ok(); }).code(), ErrorCode::kBusy);
  EXPECT_EQ(db_->Migrate(std::vector<Migration>{{1, "CREATE TABLE m(x)"}}).code(), ErrorCode::kBusy);
  EXPECT_TRUE(db_->GetMeta()->importing);

  ASSERT_TRUE(db_->CancelImport().ok());
  ASSERT_TRUE(db_->CancelImport().ok());  // idempotent
  ExpectOldImageIntact(before, image);
}

TEST_F(DbImportTest, ASuccessfulImportReplacesTheImageAndResetsSchemaVersion) {
  ASSERT_TRUE(db_->Migrate(std::vector<Migration>{{5, "CREATE TABLE m(x)"}}).ok());
  // Warm both connections' caches on the old image first.
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t"), 3);
  const uint64_t tx = MetaOf(*db_).last_tx_id;
  Status s = testing::ImportImage(*db_, image_, checksum_, 4096);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const Meta meta = MetaOf(*db_);
  EXPECT_EQ(meta.schema_version, 0u);
  EXPECT_EQ(meta.last_tx_id, tx + 1);
  EXPECT_EQ(meta.db_size, image_.size());
  EXPECT_EQ(SelectInt(*db_, "SELECT length(x) FROM imported"), 50000);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM sqlite_schema WHERE name IN ('t', 'm')"), 0);
  ASSERT_TRUE(db_->Update([](Connection& c) -> Status {
                   Result<Rows> rows = c.Query("SELECT count(*) FROM sqlite_schema WHERE name = 't'");
                   if (!rows.ok()) return rows.status();
                   EXPECT_EQ(rows->rows.at(0).at(0), Value(int64_t{0}));  // the update connection forgot t too
                   return c.Execute("INSERT INTO imported VALUES(1)");
                 }).ok());
  EXPECT_EQ(*db_->IntegrityCheck(), "ok");
}

TEST_F(DbImportTest, BeginImportIsRefusedDuringAnUpdate) {
  Status inner;
  ASSERT_TRUE(db_->Update([&](Connection&) {
                   inner = db_->BeginImport(image_.size(), checksum_);
                   return Status::Ok();
                 }).ok());
  EXPECT_EQ(inner.code(), ErrorCode::kBusy);
  EXPECT_FALSE(db_->GetMeta()->importing);
}

TEST_F(DbImportTest, AnImportResumesAfterAFreshInit) {
  std::span<const uint8_t> bytes(image_);
  ASSERT_TRUE(db_->BeginImport(image_.size(), checksum_).ok());
  ASSERT_TRUE(db_->ImportChunk(0, bytes.subspan(0, 30000)).ok());
  db_.reset();  // an upgrade in the middle of an import
  db_ = InitOrDie(memory_);
  ASSERT_NE(db_, nullptr);
  EXPECT_TRUE(db_->GetMeta()->importing);
  EXPECT_EQ(Exec(*db_, "INSERT INTO t(v) VALUES('x')").code(), ErrorCode::kBusy);
  EXPECT_EQ(MetaOf(*db_).import_written_until, 30000u);
  ASSERT_TRUE(db_->ImportChunk(30000, bytes.subspan(30000)).ok());
  ASSERT_TRUE(db_->FinishImport().ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT length(x) FROM imported"), 50000);
}

TEST_F(DbImportTest, AnImageBuiltByStockSqliteImportsAndRuns) {
  const std::vector<uint8_t> file = testing::SqliteFileImage(
      "CREATE TABLE s(k INTEGER PRIMARY KEY, v TEXT); INSERT INTO s VALUES(1, 'one'), (2, 'two');");
  ASSERT_TRUE(testing::ImportImage(*db_, file, Fnv1a(file)).ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM s"), 2);
  ASSERT_TRUE(Exec(*db_, "INSERT INTO s VALUES(3, 'three')").ok());
  db_.reset();
  db_ = InitOrDie(memory_);
  EXPECT_EQ(SelectInt(*db_, "SELECT sum(k) FROM s"), 6);
}

// ---- foreign images ----

void ExpectForeignImageUntouched(std::vector<uint8_t> bytes) {
  bytes.resize((bytes.size() + kWasmPageBytes - 1) / kWasmPageBytes * kWasmPageBytes, 0);
  HeapStableMemory memory;
  memory.Assign(bytes);
  Result<std::unique_ptr<Db>> db = Db::Init(memory);
  EXPECT_EQ(db.status().code(), ErrorCode::kForeignImage) << db.status().ToString();
  EXPECT_TRUE(memory.bytes() == bytes);
  // The refusal did not keep the memory claimed either: the next Init gets the same answer, not kBusy.
  EXPECT_EQ(Db::Init(memory).status().code(), ErrorCode::kForeignImage);
}

TEST(DbForeignImageTest, AnSqliteFileIsPreservedUntouched) {
  ExpectForeignImageUntouched(testing::SqliteFileImage("CREATE TABLE x(y); INSERT INTO x VALUES(1);"));
}

TEST(DbForeignImageTest, RandomBytesArePreservedUntouched) {
  std::mt19937_64 rng(12345);
  std::vector<uint8_t> bytes(3 * kWasmPageBytes);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng() >> 56);
  ExpectForeignImageUntouched(bytes);
}

}  // namespace
}  // namespace stablevfs
