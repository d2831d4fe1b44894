// BLOBs at and around the 16 KiB page boundary through every path an image takes: a fresh Db on the same
// memory (upgrade), Compact, and export/import into a second memory.
//
// Goal: a value that ends exactly at, one byte before or one byte after a page boundary, or spans several
// pages and overflow chains (300 KB), comes back byte for byte. Sizes: 1, 16383, 16384, 16385, 2*16384+17 and
// 300 KB, each filled with a seeded pattern so a misplaced page shows. Method: store all of them in one update,
// then after each path compare every BLOB with its pattern and run integrity_check.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "failpoints/registry.h"
#include "lib/db/db.h"
#include "lib/memory/heap_stable_memory.h"
#include "tests/lib/db_testing.h"

namespace stablevfs {
namespace {

using testing::Exec;
using testing::InitOrDie;
using testing::PatternBytes;
using testing::Select;

const std::vector<size_t> kSizes = {1, 16383, 16384, 16385, 2 * 16384 + 17, 300 * 1024};

void ExpectBlobs(Db& db, const char* when) {
  Rows rows = Select(db, "SELECT id, data FROM blobs ORDER BY id");
  ASSERT_EQ(rows.rows.size(), kSizes.size()) << when;
  for (size_t i = 0; i < kSizes.size(); ++i) {
    const Blob* blob = std::get_if<Blob>(&rows.rows[i][1]);
    ASSERT_NE(blob, nullptr) << when << ": row " << i;
    EXPECT_EQ(blob->bytes.size(), kSizes[i]) << when;
    EXPECT_TRUE(blob->bytes == PatternBytes(kSizes[i], i)) << when << ": BLOB of " << kSizes[i] << " bytes differs";
  }
  Result<std::string> integrity = db.IntegrityCheck();
  ASSERT_TRUE(integrity.ok()) << integrity.status().ToString();
  EXPECT_EQ(*integrity, "ok") << when;
}

class DbBlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = InitOrDie(memory_);
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(db_->Update([](Connection& c) -> Status {
                     STABLEVFS_RETURN_IF_ERROR(c.Execute("CREATE TABLE blobs(id INTEGER PRIMARY KEY, data BLOB)"));
                     for (size_t i = 0; i < kSizes.size(); ++i) {
                       const std::vector<Value> p = {Value{int64_t(i)}, Value{Blob{PatternBytes(kSizes[i], i)}}};
                       STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO blobs VALUES(?1, ?2)", p));
                     }
                     return Status::Ok();
                   }).ok());
  }

  fp::ScopedRegistryReset failpoints_;
  HeapStableMemory memory_;
  std::unique_ptr<Db> db_;
};

TEST_F(DbBlobTest, SurviveAFreshInitOnTheSameMemory) {
  ExpectBlobs(*db_, "live");
  db_.reset();
  db_ = InitOrDie(memory_);
  ExpectBlobs(*db_, "after reopen");
}

TEST_F(DbBlobTest, SurviveCompact) {
  // Churn first, so compaction has orphans to leave behind.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Exec(*db_, "UPDATE blobs SET data = data WHERE id = 5").ok());
  }
  const Meta before = testing::MetaOf(*db_);
  ASSERT_TRUE(db_->Compact().ok());
  const Meta after = testing::MetaOf(*db_);
  EXPECT_EQ(after.last_tx_id, before.last_tx_id);
  EXPECT_EQ(after.db_size, before.db_size);
  EXPECT_NE(after.page_table_offset, before.page_table_offset);
  ExpectBlobs(*db_, "after compact");
  db_.reset();
  db_ = InitOrDie(memory_);
  ExpectBlobs(*db_, "after compact and reopen");
}

TEST_F(DbBlobTest, SurviveExportAndImportIntoASecondMemory) {
  uint64_t checksum = 0;
  const std::vector<uint8_t> image = testing::ExportImage(*db_, &checksum, 7000);
  ASSERT_FALSE(image.empty());

  HeapStableMemory other_memory;
  std::unique_ptr<Db> other = InitOrDie(other_memory);
  ASSERT_TRUE(Exec(*other, "CREATE TABLE replaced(x)").ok());
  Status s = testing::ImportImage(*other, image, checksum, 7000);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const Meta meta = testing::MetaOf(*other);
  EXPECT_EQ(meta.db_size, image.size());
  EXPECT_EQ(meta.schema_version, 0u);
  EXPECT_EQ(meta.flags & kFlagImporting, 0u);
  ExpectBlobs(*other, "imported");
  EXPECT_EQ(testing::SelectInt(*other, "SELECT count(*) FROM sqlite_schema WHERE name = 'replaced'"), 0);
  // And the imported database keeps working and persisting.
  ASSERT_TRUE(Exec(*other, "DELETE FROM blobs WHERE id = 0").ok());
  other.reset();
  other = InitOrDie(other_memory);
  EXPECT_EQ(testing::SelectInt(*other, "SELECT count(*) FROM blobs"), static_cast<int64_t>(kSizes.size() - 1));
}

}  // namespace
}  // namespace stablevfs
