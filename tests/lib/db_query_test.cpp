// Tests of Db::Query's read scope and of the VFS's partial reads: the statements of one query closure share
// one read transaction (one snapshot; SQLite validates its cache once per closure, not once per statement),
// small reads copy only the bytes SQLite asks for, and however a closure ends (OK, an error, an exception, a
// transaction it opened or ended itself, a pragma SQLite refuses inside a transaction) the query connection is
// left usable, outside any transaction, and the next query sees the next commit.
//
// Method: a StableMemory decorator counts the reads that reach stable memory and their bytes; real SQL runs
// through a Db on it, and the counts, the rows and the statuses are the evidence.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/core/trap.h"
#include "lib/db/db.h"
#include "lib/layout/layout.h"
#include "lib/memory/heap_stable_memory.h"
#include "tests/lib/db_testing.h"

namespace stablevfs {
namespace {

using testing::Exec;
using testing::InitOrDie;
using testing::SelectInt;

// Counts stable reads (calls and bytes) on the way to a heap memory.
class CountingMemory final : public StableMemory {
 public:
  explicit CountingMemory(StableMemory& inner) : inner_(inner) {}
  uint64_t size_pages() const override { return inner_.size_pages(); }
  int64_t grow(uint64_t delta_pages) override { return inner_.grow(delta_pages); }
  void read(uint64_t offset_bytes, std::span<uint8_t> out) override {
    ++reads;
    bytes_read += out.size();
    inner_.read(offset_bytes, out);
  }
  void write(uint64_t offset_bytes, std::span<const uint8_t> data) override { inner_.write(offset_bytes, data); }
  void Reset() { reads = bytes_read = 0; }

  uint64_t reads = 0;
  uint64_t bytes_read = 0;

 private:
  StableMemory& inner_;
};

class DbQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = InitOrDie(counting_);
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(db_->Update([](Connection& c) -> Status {
                     STABLEVFS_RETURN_IF_ERROR(c.Execute("CREATE TABLE kv(k TEXT PRIMARY KEY, v)"));
                     for (int i = 0; i < 200; ++i) {
                       const Value params[] = {Value{"k" + std::to_string(i)}, Value{std::string(300, 'x')}};
                       STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO kv VALUES(?1, ?2)", params));
                     }
                     return Status::Ok();
                   }).ok());
  }

  // Runs the tests' reads once, so later queries find their pages cached.
  void WarmUp() {
    ASSERT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv WHERE length(v) = 300"), 200);
    ASSERT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 200);
    ASSERT_TRUE(PointReads(1).ok());
  }

  // A query closure of `n` identical point reads.
  Status PointReads(int n) {
    return db_->Query([n](Connection& c) -> Status {
      for (int i = 0; i < n; ++i) {
        const Value key[] = {Value{std::string("k7")}};
        Result<Rows> rows = c.Query("SELECT length(v) FROM kv WHERE k = ?1", key);
        if (!rows.ok()) return rows.status();
        if (rows->rows.size() != 1) return Status::InvalidArgument("k7 not found");
      }
      return Status::Ok();
    });
  }

  int64_t Count(Connection& c, Status* status) {
    Result<Rows> rows = c.Query("SELECT count(*) FROM kv");
    if (!rows.ok()) {
      *status = rows.status();
      return -1;
    }
    return std::get<int64_t>(rows->rows.at(0).at(0));
  }

  HeapStableMemory memory_;
  CountingMemory counting_{memory_};
  std::unique_ptr<Db> db_;
};

TEST_F(DbQueryTest, TheStatementsOfOneClosureShareOneReadTransaction) {
  WarmUp();
  counting_.Reset();
  ASSERT_TRUE(PointReads(20).ok());
  // One read transaction: SQLite checks the change counter once. Statement by statement in autocommit it
  // would read it 20 times.
  EXPECT_EQ(counting_.reads, 1u);
  counting_.Reset();
  ASSERT_TRUE(PointReads(1).ok());
  EXPECT_EQ(counting_.reads, 1u);
}

TEST_F(DbQueryTest, ASmallReadCopiesOnlyTheBytesAskedFor) {
  WarmUp();
  counting_.Reset();
  ASSERT_TRUE(PointReads(3).ok());
  // The change counter: 16 bytes at offset 24, not the 16 KiB page that holds them.
  EXPECT_EQ(counting_.reads, 1u);
  EXPECT_EQ(counting_.bytes_read, 16u);
}

TEST_F(DbQueryTest, ReadPageBytesMatchesReadPage) {
  db_.reset();
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory_);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  const uint64_t pages = (*layout)->meta().db_size / kDbPageBytes;
  ASSERT_GE(pages, 2u);
  std::vector<uint8_t> page(kDbPageBytes);
  for (uint64_t page_no : {uint64_t{0}, uint64_t{1}, pages - 1, pages, pages + 300, uint64_t{1} << 40}) {
    ASSERT_TRUE((*layout)->ReadPage(page_no, page).ok());
    for (uint64_t offset : {0u, 24u, 100u, 8191u, 16368u}) {
      for (uint64_t length : {0u, 1u, 16u, 100u}) {
        if (offset + length > kDbPageBytes) continue;
        std::vector<uint8_t> part(length, 0xee);
        ASSERT_TRUE((*layout)->ReadPageBytes(page_no, offset, part).ok());
        EXPECT_TRUE(std::equal(part.begin(), part.end(), page.begin() + static_cast<ptrdiff_t>(offset)))
            << "page " << page_no << " offset " << offset << " length " << length;
      }
    }
    std::vector<uint8_t> all(kDbPageBytes);
    ASSERT_TRUE((*layout)->ReadPageBytes(page_no, 0, all).ok());
    EXPECT_EQ(all, page);
  }
  std::vector<uint8_t> two(2);
  EXPECT_EQ((*layout)->ReadPageBytes(0, kDbPageBytes - 1, two).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*layout)->ReadPageBytes(0, kDbPageBytes + 1, std::span<uint8_t>()).code(), ErrorCode::kInvalidArgument);
  // The default implementation (through ReadPage) agrees with Layout6's.
  std::vector<uint8_t> direct(100), fallback(100);
  ASSERT_TRUE((*layout)->ReadPageBytes(1, 5000, direct).ok());
  ASSERT_TRUE((*layout)->Layout::ReadPageBytes(1, 5000, fallback).ok());
  EXPECT_EQ(direct, fallback);
  EXPECT_EQ((*layout)->Layout::ReadPageBytes(0, kDbPageBytes - 1, two).code(), ErrorCode::kInvalidArgument);
}

TEST_F(DbQueryTest, AFailingClosureLeavesTheConnectionOutsideATransaction) {
  Status s = db_->Query([&](Connection& c) -> Status {
    Status inner;
    EXPECT_EQ(Count(c, &inner), 200);
    return Status::InvalidArgument("the closure gives up");
  });
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('new', 1)").ok());
  // A read transaction left open would keep the old snapshot (200 rows).
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 201);

  // An SQL error in the middle of the closure, then more reads in the same closure.
  s = db_->Query([&](Connection& c) -> Status {
    Status inner;
    EXPECT_EQ(Count(c, &inner), 201);
    EXPECT_EQ(c.Query("SELECT nosuchcolumn FROM kv").status().code(), ErrorCode::kSqlite);
    EXPECT_EQ(Count(c, &inner), 201);
    return inner;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('newer', 1)").ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 202);
}

TEST_F(DbQueryTest, AThrowingClosureLeavesTheConnectionUsable) {
  EXPECT_THROW((void)db_->Query([&](Connection& c) -> Status {
                 Status inner;
                 EXPECT_EQ(Count(c, &inner), 200);
                 throw std::runtime_error("panic in the query closure");
               }),
               std::runtime_error);
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('new', 1)").ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 201);
}

TEST_F(DbQueryTest, TransactionControlInsideAClosureBehavesAsInAutocommit) {
  // The closure's own BEGIN and COMMIT work, before or after plain reads.
  Status s = db_->Query([&](Connection& c) -> Status {
    Status inner;
    EXPECT_EQ(Count(c, &inner), 200);
    STABLEVFS_RETURN_IF_ERROR(c.Execute("BEGIN"));
    EXPECT_EQ(Count(c, &inner), 200);
    STABLEVFS_RETURN_IF_ERROR(c.Execute("COMMIT"));
    EXPECT_EQ(Count(c, &inner), 200);
    return inner;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  // COMMIT without the closure's own BEGIN is the error it is in autocommit: the scope's transaction is not
  // the closure's to end.
  s = db_->Query([&](Connection& c) -> Status {
    Status inner;
    EXPECT_EQ(Count(c, &inner), 200);
    return c.Execute("COMMIT");
  });
  EXPECT_EQ(s.code(), ErrorCode::kSqlite) << s.ToString();
  EXPECT_EQ(s.sqlite_code() & 0xff, SQLITE_ERROR);
  // A BEGIN left open is rolled back after the closure: the next query sees the next commit.
  s = db_->Query([&](Connection& c) -> Status {
    Status inner;
    EXPECT_EQ(Count(c, &inner), 200);
    STABLEVFS_RETURN_IF_ERROR(c.Execute("BEGIN"));
    EXPECT_EQ(Count(c, &inner), 200);
    return inner;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('new', 1)").ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 201);
}

TEST_F(DbQueryTest, StatementsSqliteRefusesInsideATransactionStillRun) {
  // Both are refused inside a transaction ("cannot change ... from within a transaction"); a query closure
  // that reads first must still be able to run them, as it could before reads shared a transaction.
  Status s = db_->Query([&](Connection& c) -> Status {
    Status inner;
    EXPECT_EQ(Count(c, &inner), 200);
    STABLEVFS_RETURN_IF_ERROR(c.Execute("PRAGMA temp_store = MEMORY"));
    EXPECT_EQ(Count(c, &inner), 200);
    STABLEVFS_RETURN_IF_ERROR(c.ExecuteScript("SELECT 1; PRAGMA synchronous = OFF; SELECT count(*) FROM kv"));
    return inner;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(*db_->IntegrityCheck(), "ok");
}

TEST_F(DbQueryTest, ANestedQueryRunsInsideTheOuterClosure) {
  WarmUp();
  counting_.Reset();
  Status inner_status;
  Status s = db_->Query([&](Connection& c) -> Status {
    Status inner;
    EXPECT_EQ(Count(c, &inner), 200);
    inner_status = db_->Query([&](Connection& nested) -> Status {
      Status nested_status;
      EXPECT_EQ(Count(nested, &nested_status), 200);
      return nested_status;
    });
    EXPECT_EQ(Count(c, &inner), 200);
    return inner;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(inner_status.ok()) << inner_status.ToString();
  EXPECT_EQ(counting_.reads, 1u) << "the nested query must not end the outer closure's read transaction";
}

TEST_F(DbQueryTest, CallsThatChangeTheImageAreRefusedInsideAQuery) {
  Status update, migrate, begin_import, finish_import;
  Status s = db_->Query([&](Connection& c) -> Status {
    Status inner;
    EXPECT_EQ(Count(c, &inner), 200);
    update = Exec(*db_, "INSERT INTO kv VALUES('new', 1)");
    const Migration migrations[] = {{1, "CREATE TABLE m(x)"}};
    migrate = db_->Migrate(migrations);
    begin_import = db_->BeginImport(16384, 0);
    finish_import = db_->FinishImport();
    EXPECT_EQ(Count(c, &inner), 200);
    return inner;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(update.code(), ErrorCode::kBusy) << update.ToString();
  EXPECT_EQ(migrate.code(), ErrorCode::kBusy) << migrate.ToString();
  EXPECT_EQ(begin_import.code(), ErrorCode::kBusy) << begin_import.ToString();
  EXPECT_EQ(finish_import.code(), ErrorCode::kBusy) << finish_import.ToString();
  // Outside the query they work.
  ASSERT_TRUE(Exec(*db_, "INSERT INTO kv VALUES('new', 1)").ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 201);
  EXPECT_FALSE(db_->GetMeta()->importing);
}

TEST_F(DbQueryTest, InitOpensTheQueryConnectionSoTheFirstQueryFindsTheSchemaRead) {
  db_.reset();  // an upgrade: a fresh Init on the same memory
  db_ = InitOrDie(counting_);
  ASSERT_NE(db_, nullptr);
  counting_.Reset();
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM sqlite_schema"), 2);  // kv and its primary key index
  // Only the change counter: the connection, the header and the schema were read by Init.
  EXPECT_EQ(counting_.reads, 1u);
  EXPECT_EQ(counting_.bytes_read, 16u);
}

TEST_F(DbQueryTest, AnUpdateThatChangesTheSchemaLeavesTheQueryConnectionReady) {
  WarmUp();
  ASSERT_TRUE(db_->Update([](Connection& c) { return c.Execute("CREATE TABLE extra(x INTEGER)"); }).ok());
  // The update refreshed the query connection in its own message (on the IC a query's heap changes are
  // discarded, so a refresh left to the query would be paid by every query message): the first query reads
  // only the change counter, not the header and the new schema.
  counting_.Reset();
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM sqlite_schema"), 3);
  EXPECT_EQ(counting_.reads, 1u);
  EXPECT_EQ(counting_.bytes_read, 16u);
  // And it sees what the update wrote.
  ASSERT_TRUE(db_->Update([](Connection& c) { return c.Execute("INSERT INTO extra VALUES(41), (42)"); }).ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT max(x) FROM extra"), 42);
}

TEST_F(DbQueryTest, FinishImportOpensTheNewImagesQueryConnection) {
  uint64_t checksum = 0;
  const std::vector<uint8_t> image = testing::ExportImage(*db_, &checksum);
  ASSERT_TRUE(testing::ImportImage(*db_, image, checksum).ok());
  // As after Init: the import's own message opened the query connection and read the schema.
  counting_.Reset();
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM sqlite_schema"), 2);
  EXPECT_EQ(counting_.reads, 1u);
  EXPECT_EQ(counting_.bytes_read, 16u);
}

TEST_F(DbQueryTest, InitDuringAnImportLeavesTheQueryConnectionToTheFirstQuery) {
  ASSERT_TRUE(db_->BeginImport(16384, 0).ok());
  db_.reset();
  db_ = InitOrDie(counting_);
  ASSERT_NE(db_, nullptr);
  EXPECT_EQ(db_->Query([](Connection&) { return Status::Ok(); }).code(), ErrorCode::kBusy);
  ASSERT_TRUE(db_->CancelImport().ok());
  EXPECT_EQ(SelectInt(*db_, "SELECT count(*) FROM kv"), 200);
}

TEST_F(DbQueryTest, ATrapInTheMiddleOfAClosureStillEndsTheMessage) {
  db_.reset();
  testing::TrapOnReadMemory trapping(memory_);
  std::unique_ptr<Db> db = InitOrDie(trapping);
  ASSERT_NE(db, nullptr);
  EXPECT_THROW((void)db->Query([&](Connection& c) -> Status {
                 Status inner;
                 EXPECT_EQ(Count(c, &inner), 200);
                 trapping.TrapOnRead(1);
                 // Not cached yet: SQLite reads the index's pages, and the first stable read traps.
                 return c.Query("SELECT * FROM kv WHERE k > 'k5'").status();
               }),
               Trap);
  EXPECT_EQ(db->Query([](Connection&) { return Status::Ok(); }).code(), ErrorCode::kBusy);
  db.reset();
  std::unique_ptr<Db> fresh = InitOrDie(trapping);
  EXPECT_EQ(SelectInt(*fresh, "SELECT count(*) FROM kv"), 200);
}

}  // namespace
}  // namespace stablevfs
