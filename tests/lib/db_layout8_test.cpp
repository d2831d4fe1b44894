// Db on layout 8: the whole library running on the in-place layout of ic-sqlite-vfs 2.x.
//
// Goal: a memory formatted with DbOptions::layout = layout 8 is a layout 8 image from its first byte; a Db on
// it creates, inserts, queries and survives a fresh Init (which finds layout 8 by itself); the SQLite file
// really lives in place (its first page, "SQLite format 3", at 64 KiB of the memory); the checksum, the
// chunked refresh and the export see the logical file; an import replaces the image (and moves the base);
// migrations store schema_version; a file that shrinks (auto_vacuum) leaves zero extents and a sound database;
// churn never orphans space; and a page-write failure in the middle of an update ends the message in a trap,
// after which the IC's rollback (restoring the memory, as the harness does) gives back the old database.
// Method: real SQL through the public Db API on HeapStableMemory, judged by queries, GetMeta, integrity_check,
// an FNV-1a computed over the exported bytes, and the raw bytes of the memory.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "failpoints/registry.h"
#include "lib/core/trap.h"
#include "lib/db/db.h"
#include "lib/layout/layout_registry.h"
#include "lib/memory/heap_stable_memory.h"
#include "tests/lib/db_testing.h"

namespace stablevfs {
namespace {

using testing::Exec;
using testing::Fnv1a;
using testing::InitOrDie;
using testing::MetaOf;
using testing::SelectInt;

DbOptions Layout8Options() {
  DbOptions options;
  options.layout = LayoutRegistry::Global().Find("8");
  EXPECT_NE(options.layout, nullptr) << "layout 8 is not registered";
  return options;
}

std::string LayoutOf(Db& db) {
  Result<DbMeta> meta = db.GetMeta();
  EXPECT_TRUE(meta.ok()) << meta.status().ToString();
  return meta.ok() ? meta->layout : std::string();
}

uint64_t ZeroExtentCount(const Meta& meta) {
  EXPECT_FALSE(meta.layout_fields.empty());
  if (meta.layout_fields.empty()) return 0;
  EXPECT_EQ(meta.layout_fields[0].name, "zero_extent_count");
  return meta.layout_fields[0].value;
}

class DbLayout8Test : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = InitOrDie(memory_, Layout8Options());
    ASSERT_NE(db_, nullptr);
  }

  // Inserts `rows` rows of about 1 KB into t (created if needed), as one update.
  void Fill(int rows, int first_id = 0) {
    ASSERT_TRUE(db_->Update([&](Connection& c) -> Status {
                     STABLEVFS_RETURN_IF_ERROR(c.Execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v)"));
                     for (int i = 0; i < rows; ++i) {
                       const std::vector<Value> p = {Value{int64_t{first_id + i}},
                                                     Value{std::string(1000, static_cast<char>('a' + i % 26))}};
                       STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO t(id, v) VALUES(?1, ?2)", p));
                     }
                     return Status::Ok();
                   }).ok());
  }

  void Reopen() {
    db_.reset();
    db_ = InitOrDie(memory_);  // no options: the stored version chooses the layout
    ASSERT_NE(db_, nullptr);
  }

  fp::ScopedRegistryReset failpoints_;
  HeapStableMemory memory_;
  std::unique_ptr<Db> db_;
};

TEST_F(DbLayout8Test, AFreshMemoryIsALayout8Image) {
  EXPECT_EQ(LayoutOf(*db_), "8");
  const Meta meta = MetaOf(*db_);
  EXPECT_EQ(meta.version, 8u);
  EXPECT_EQ(meta.layout_version, 8u);
  EXPECT_EQ(meta.db_base_offset, 65536u);
  EXPECT_EQ(ZeroExtentCount(meta), 0u);
  EXPECT_EQ(std::memcmp(memory_.bytes().data(), "ICSQLITE\x08\x00\x00\x00", 12), 0);
  const Result<DbMeta> full = db_->GetMeta();
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->stats.segments, 0u);
  EXPECT_FALSE(full->stats.compact_recommended);
}

TEST_F(DbLayout8Test, CreateInsertReopenAndTheFileLivesInPlace) {
  Fill(500);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t"), 500);
  const Meta meta = MetaOf(*db_);
  EXPECT_GT(meta.db_size, 30u * 16384);
  EXPECT_EQ(meta.page_count, meta.db_size / 16384);
  // SQLite's page 1 is logical page 0, in place at db_base_offset: its header is in the raw memory there.
  EXPECT_EQ(std::memcmp(memory_.bytes().data() + 65536, "SQLite format 3\0", 16), 0);

  Reopen();
  EXPECT_EQ(LayoutOf(*db_), "8");
  EXPECT_EQ(MetaOf(*db_), meta);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t"), 500);
  EXPECT_EQ(SelectInt(*db_, "SELECT sum(id) FROM t"), 499 * 500 / 2);
  EXPECT_EQ(*db_->IntegrityCheck(), "ok");
  ASSERT_TRUE(Exec(*db_, "UPDATE t SET v = 'short' WHERE id < 100").ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t WHERE v = 'short'"), 100);
  EXPECT_EQ(MetaOf(*db_).last_tx_id, meta.last_tx_id + 1);
}

TEST_F(DbLayout8Test, ChecksumAndExportSeeTheLogicalFile) {
  Fill(200);
  ASSERT_TRUE(db_->RefreshChecksum().ok());
  const Meta meta = MetaOf(*db_);
  EXPECT_EQ(meta.flags & kFlagChecksumStale, 0u);
  Result<std::vector<uint8_t>> whole = db_->ExportChunk(0, meta.db_size);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  ASSERT_EQ(whole->size(), meta.db_size);
  EXPECT_EQ(Fnv1a(*whole), meta.checksum);
  // The logical file is the in-place bytes, since no page of it is in a zero extent.
  ASSERT_EQ(ZeroExtentCount(meta), 0u);
  EXPECT_TRUE(std::equal(whole->begin(), whole->end(), memory_.bytes().begin() + 65536));

  // The safe export sequence with a chunked refresh gives the same bytes.
  ASSERT_TRUE(Exec(*db_, "INSERT INTO t(id, v) VALUES(100000, 'x')").ok());
  uint64_t checksum = 0;
  const std::vector<uint8_t> image = testing::ExportImage(*db_, &checksum, 7000);
  EXPECT_EQ(Fnv1a(image), checksum);
  EXPECT_EQ(image.size(), MetaOf(*db_).db_size);
}

TEST_F(DbLayout8Test, AnImportReplacesTheImageAndMovesTheBase) {
  Fill(20);
  ASSERT_TRUE(db_->Migrate(std::vector<Migration>{{4, "CREATE TABLE m(x)"}}).ok());
  // The source: another layout 8 database, exported the safe way.
  HeapStableMemory source_memory;
  std::unique_ptr<Db> source = InitOrDie(source_memory, Layout8Options());
  ASSERT_TRUE(Exec(*source, "CREATE TABLE imported(x)").ok());
  ASSERT_TRUE(Exec(*source, "INSERT INTO imported VALUES(zeroblob(50000))").ok());
  uint64_t checksum = 0;
  const std::vector<uint8_t> image = testing::ExportImage(*source, &checksum);

  const uint64_t memory_before = memory_.size_bytes();
  const uint64_t tx = MetaOf(*db_).last_tx_id;
  ASSERT_TRUE(testing::ImportImage(*db_, image, checksum, 4096).ok());
  const Meta meta = MetaOf(*db_);
  EXPECT_EQ(meta.db_base_offset, memory_before) << "staged at the high-water mark, published there";
  EXPECT_EQ(meta.db_size, image.size());
  EXPECT_EQ(meta.schema_version, 0u);
  EXPECT_EQ(meta.last_tx_id, tx + 1);
  EXPECT_EQ(ZeroExtentCount(meta), 0u);
  EXPECT_EQ(SelectInt(*db_, "SELECT length(x) FROM imported"), 50000);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM sqlite_schema WHERE name IN ('t', 'm')"), 0);
  ASSERT_TRUE(Exec(*db_, "INSERT INTO imported VALUES(1)").ok());
  EXPECT_EQ(*db_->IntegrityCheck(), "ok");

  Reopen();
  EXPECT_EQ(LayoutOf(*db_), "8");
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM imported"), 2);
  // A wrong checksum keeps the image.
  const std::vector<uint8_t> file = testing::SqliteFileImage("CREATE TABLE s(k); INSERT INTO s VALUES(1);");
  EXPECT_EQ(testing::ImportImage(*db_, file, Fnv1a(file) ^ 1).code(), ErrorCode::kImport);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM imported"), 2);
  // A file built by stock SQLite imports and runs.
  ASSERT_TRUE(testing::ImportImage(*db_, file, Fnv1a(file)).ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM s"), 1);
}

TEST_F(DbLayout8Test, MigrationsStoreTheSchemaVersion) {
  const std::vector<Migration> migrations = {{1, "CREATE TABLE a(x)"},
                                             {2, "ALTER TABLE a ADD COLUMN y; CREATE INDEX a_y ON a(y)"}};
  ASSERT_TRUE(db_->Migrate(migrations).ok());
  EXPECT_EQ(MetaOf(*db_).schema_version, 2u);
  ASSERT_TRUE(Exec(*db_, "INSERT INTO a VALUES(1, 2)").ok());
  Reopen();
  EXPECT_EQ(MetaOf(*db_).schema_version, 2u);
  ASSERT_TRUE(db_->Migrate(migrations).ok()) << "nothing pending";
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM _stablevfs_migrations"), 2);
  EXPECT_EQ(SelectInt(*db_, "SELECT y FROM a"), 2);
}

TEST_F(DbLayout8Test, AShrinkingFileLeavesZeroExtentsAndASoundDatabase) {
  // auto_vacuum=FULL truncates the file at every commit that frees pages: the truncate path of layout 8.
  DbOptions options = Layout8Options();
  options.auto_vacuum = AutoVacuum::kFull;
  db_.reset();
  memory_ = HeapStableMemory();
  db_ = InitOrDie(memory_, options);
  ASSERT_NE(db_, nullptr);
  Fill(600);
  const Meta big = MetaOf(*db_);
  ASSERT_TRUE(Exec(*db_, "DELETE FROM t WHERE id >= 50").ok());
  const Meta small = MetaOf(*db_);
  EXPECT_LT(small.page_count, big.page_count);
  EXPECT_GE(ZeroExtentCount(small), 1u) << "the cut pages are remembered as zero";
  EXPECT_EQ(*db_->IntegrityCheck(), "ok");
  // Grow back over the cut pages: they hold stale bytes in place, which must never show.
  Fill(600, 1000);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t"), 650);
  EXPECT_EQ(*db_->IntegrityCheck(), "ok");
  Reopen();
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t"), 650);
  EXPECT_EQ(*db_->IntegrityCheck(), "ok");
  uint64_t checksum = 0;
  const std::vector<uint8_t> image = testing::ExportImage(*db_, &checksum);
  EXPECT_EQ(Fnv1a(image), checksum);
}

TEST_F(DbLayout8Test, ChurnNeverOrphansSpace) {
  Fill(1000);
  for (int cycle = 0; cycle < 20; ++cycle) {
    ASSERT_TRUE(Exec(*db_, "DELETE FROM t WHERE id % 10 = ?1", {Value{int64_t{cycle % 10}}}).ok());
    ASSERT_TRUE(db_->Update([&](Connection& c) -> Status {
                     for (int i = 0; i < 100; ++i) {
                       const std::vector<Value> p = {Value{int64_t{i * 10 + cycle % 10}}, Value{std::string(1000, 'z')}};
                       STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO t(id, v) VALUES(?1, ?2)", p));
                     }
                     return Status::Ok();
                   }).ok());
    const Result<DbMeta> meta = db_->GetMeta();
    ASSERT_TRUE(meta.ok());
    // Everything allocated is the superblock region and the file's pages, up to the 64 KiB rounding.
    EXPECT_LT(meta->stats.orphan_bytes, 65536u) << "cycle " << cycle;
    EXPECT_EQ(meta->stats.allocated_bytes, memory_.size_bytes());
  }
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t"), 1000);
  EXPECT_EQ(*db_->IntegrityCheck(), "ok");
}

TEST_F(DbLayout8Test, APageWriteFailureMidCommitTrapsAndRollbackRestoresTheOldDatabase) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  Fill(100);
  // An error at the first page write is an ordinary failed update: nothing changed, the Db goes on.
  ASSERT_TRUE(fp::Arm("commit.page_write_in_place=nth(1):error").ok());
  Status s = Exec(*db_, "UPDATE t SET v = 'first' WHERE id < 90");
  EXPECT_EQ(s.code(), ErrorCode::kInjected) << s.ToString();
  fp::ClearAll();
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t WHERE v = 'first'"), 0);
  EXPECT_EQ(*db_->IntegrityCheck(), "ok");

  // Past the first page the update must trap. The IC would roll the message back: restore the memory.
  const std::vector<uint8_t> before = memory_.bytes();
  ASSERT_TRUE(fp::Arm("commit.page_write_in_place=nth(2):error").ok());
  EXPECT_THROW(Exec(*db_, "UPDATE t SET v = 'second' WHERE id < 90").IgnoreError(), Trap);
  fp::ClearAll();
  EXPECT_FALSE(memory_.bytes() == before) << "pages were overwritten in place before the trap";
  db_.reset();
  memory_.Assign(before);
  db_ = InitOrDie(memory_);
  ASSERT_NE(db_, nullptr);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t WHERE v = 'second'"), 0);
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t"), 100);
  EXPECT_EQ(*db_->IntegrityCheck(), "ok");
  ASSERT_TRUE(Exec(*db_, "UPDATE t SET v = 'third' WHERE id < 90").ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM t WHERE v = 'third'"), 90);
}

}  // namespace
}  // namespace stablevfs
