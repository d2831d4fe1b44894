// Tests of the icstable VFS, driven through the raw sqlite3_vfs / sqlite3_io_methods tables as SQLite would
// call them, against a layout 6 image in a heap stable memory.
//
// Goal: every callback does what REFERENCE section 3 says. Reads, writes, truncates and the file size of
// /main.db go through the update's overlay when one is attached and straight to the layout otherwise; writes
// never reach stable memory; short reads zero-fill and report SQLITE_IOERR_SHORT_READ; WAL and /main.db during
// an import are refused; journals live in heap memory; the observer sees every write and truncate; randomness
// and time are deterministic; and no exception crosses the C boundary: it is stored, poisons the instance, and
// waits to be rethrown. Method: open files with xOpen on a raw buffer of szOsFile bytes, call the methods,
// and compare with what the layout and the memory hold.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "failpoints/registry.h"
#include "lib/core/trap.h"
#include "lib/layout/layout.h"
#include "lib/layout/overlay.h"
#include "lib/memory/heap_stable_memory.h"
#include "lib/vfs/icstable_vfs.h"
#include "tests/lib/db_testing.h"

namespace stablevfs {
namespace {

using testing::PatternBytes;

// One open file: the raw buffer SQLite would allocate, closed on destruction.
class OpenFile {
 public:
  OpenFile(sqlite3_vfs* vfs, const char* name, int flags) : buffer_(static_cast<size_t>(vfs->szOsFile)) {
    rc_ = vfs->xOpen(vfs, name, file(), flags, &out_flags_);
  }
  ~OpenFile() {
    if (file()->pMethods != nullptr) file()->pMethods->xClose(file());
  }
  sqlite3_file* file() { return reinterpret_cast<sqlite3_file*>(buffer_.data()); }
  int rc() const { return rc_; }
  int out_flags() const { return out_flags_; }

  int Read(std::vector<uint8_t>& out, int64_t offset) {
    return file()->pMethods->xRead(file(), out.data(), static_cast<int>(out.size()), offset);
  }
  int Write(const std::vector<uint8_t>& data, int64_t offset) {
    return file()->pMethods->xWrite(file(), data.data(), static_cast<int>(data.size()), offset);
  }
  int Truncate(int64_t size) { return file()->pMethods->xTruncate(file(), size); }
  int64_t Size() {
    sqlite3_int64 size = -1;
    EXPECT_EQ(file()->pMethods->xFileSize(file(), &size), SQLITE_OK);
    return size;
  }

 private:
  std::vector<uint8_t> buffer_;  // heap storage is aligned for any scalar, as SQLite's own allocation
  int rc_ = SQLITE_ERROR;
  int out_flags_ = 0;
};

constexpr int kMainFlags = SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

class RecordingObserver final : public FileObserver {
 public:
  void OnWrite(uint64_t offset, std::span<const uint8_t> data) override {
    if (throw_trap) throw Trap("observer trap");
    events.push_back("write " + std::to_string(offset) + " " + std::to_string(data.size()));
  }
  void OnTruncate(uint64_t size_bytes) override { events.push_back("truncate " + std::to_string(size_bytes)); }
  std::vector<std::string> events;
  bool throw_trap = false;
};

class VfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Layout>> layout = Layout::Open(memory_);
    ASSERT_TRUE(layout.ok()) << layout.status().ToString();
    layout_ = std::move(layout).value();
    IcstableVfs::Options options;
    options.observer = &observer_;
    options.clock_ms = [this] { return clock_ms_; };
    Result<std::unique_ptr<IcstableVfs>> vfs = IcstableVfs::Register(*layout_, options);
    ASSERT_TRUE(vfs.ok()) << vfs.status().ToString();
    vfs_ = std::move(vfs).value();
  }

  void AttachOverlay() {
    Layout* layout = layout_.get();
    overlay_ = std::make_unique<Overlay>(layout->meta().db_size, [layout](uint64_t page_no, std::span<uint8_t> out) {
      return layout->ReadPage(page_no, out);
    });
    vfs_->set_overlay(overlay_.get());
  }
  // Publishes the attached overlay and detaches it.
  void PublishOverlay() {
    vfs_->set_overlay(nullptr);
    ASSERT_TRUE(layout_->Publish(*overlay_).ok());
    overlay_.reset();
  }

  fp::ScopedRegistryReset failpoints_;
  HeapStableMemory memory_;
  std::unique_ptr<Layout> layout_;
  RecordingObserver observer_;
  int64_t clock_ms_ = 0;
  std::unique_ptr<IcstableVfs> vfs_;
  std::unique_ptr<Overlay> overlay_;
};

TEST_F(VfsTest, EmptyMainFileReadsZerosAsShortRead) {
  OpenFile f(vfs_->vfs(), IcstableVfs::kMainDbPath, kMainFlags);
  ASSERT_EQ(f.rc(), SQLITE_OK);
  EXPECT_EQ(f.Size(), 0);
  std::vector<uint8_t> buf(100, 0xAA);
  EXPECT_EQ(f.Read(buf, 0), SQLITE_IOERR_SHORT_READ);
  EXPECT_EQ(buf, std::vector<uint8_t>(100, 0));
  EXPECT_EQ(vfs_->counters().short_reads, 1u);
}

TEST_F(VfsTest, WriteReadTruncateThroughTheOverlayNeverTouchStableMemory) {
  OpenFile f(vfs_->vfs(), IcstableVfs::kMainDbPath, kMainFlags);
  ASSERT_EQ(f.rc(), SQLITE_OK);
  AttachOverlay();
  const std::vector<uint8_t> before = memory_.bytes();

  const std::vector<uint8_t> data = PatternBytes(100, 1);
  ASSERT_EQ(f.Write(data, 16384 + 10), SQLITE_OK);
  EXPECT_EQ(f.Size(), 16384 + 110);

  std::vector<uint8_t> back(100);
  ASSERT_EQ(f.Read(back, 16384 + 10), SQLITE_OK);
  EXPECT_EQ(back, data);
  // Everything before the write reads as zeros (page 0 was never written), and a read crossing the end is short.
  std::vector<uint8_t> head(16394, 0x55);
  ASSERT_EQ(f.Read(head, 0), SQLITE_OK);
  EXPECT_EQ(head, std::vector<uint8_t>(16394, 0));
  std::vector<uint8_t> tail(200, 0x55);
  ASSERT_EQ(f.Read(tail, 16384 + 10), SQLITE_IOERR_SHORT_READ);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), tail.begin()));
  EXPECT_TRUE(std::all_of(tail.begin() + 100, tail.end(), [](uint8_t b) { return b == 0; }));

  ASSERT_EQ(f.Truncate(16384 + 15), SQLITE_OK);
  EXPECT_EQ(f.Size(), 16384 + 15);
  std::vector<uint8_t> after(100, 0x55);
  ASSERT_EQ(f.Read(after, 16384 + 10), SQLITE_IOERR_SHORT_READ);
  EXPECT_TRUE(std::equal(data.begin(), data.begin() + 5, after.begin()));
  EXPECT_TRUE(std::all_of(after.begin() + 5, after.end(), [](uint8_t b) { return b == 0; }));

  // The observer saw both events, in order; stable memory saw nothing.
  EXPECT_EQ(observer_.events, (std::vector<std::string>{"write 16394 100", "truncate 16399"}));
  EXPECT_EQ(memory_.bytes(), before);
  EXPECT_EQ(layout_->meta().db_size, 0u);
}

TEST_F(VfsTest, WithoutAnOverlayReadsComeFromTheLayoutAndWritesAreRefused) {
  OpenFile f(vfs_->vfs(), IcstableVfs::kMainDbPath, kMainFlags);
  ASSERT_EQ(f.rc(), SQLITE_OK);
  // Three pages of pattern plus a partial fourth, published through the layout.
  const std::vector<uint8_t> image = PatternBytes(3 * 16384 + 777, 7);
  AttachOverlay();
  ASSERT_EQ(f.Write(image, 0), SQLITE_OK);
  PublishOverlay();
  EXPECT_EQ(f.Size(), static_cast<int64_t>(image.size()));

  // A whole aligned page, a range crossing pages, and a range running past the end.
  std::vector<uint8_t> page(16384);
  ASSERT_EQ(f.Read(page, 16384), SQLITE_OK);
  EXPECT_TRUE(std::equal(page.begin(), page.end(), image.begin() + 16384));
  std::vector<uint8_t> cross(20000);
  ASSERT_EQ(f.Read(cross, 10000), SQLITE_OK);
  EXPECT_TRUE(std::equal(cross.begin(), cross.end(), image.begin() + 10000));
  std::vector<uint8_t> past(2000, 0x55);
  ASSERT_EQ(f.Read(past, 3 * 16384), SQLITE_IOERR_SHORT_READ);
  EXPECT_TRUE(std::equal(past.begin(), past.begin() + 777, image.begin() + 3 * 16384));
  EXPECT_TRUE(std::all_of(past.begin() + 777, past.end(), [](uint8_t b) { return b == 0; }));

  // Outside an update nothing can be written, and the refusal leaves a library error behind.
  const std::vector<uint8_t> before = memory_.bytes();
  EXPECT_EQ(f.Write(PatternBytes(10, 2), 0), SQLITE_IOERR_WRITE);
  EXPECT_EQ(vfs_->TakeStatus().code(), ErrorCode::kBusy);
  EXPECT_EQ(f.Truncate(0), SQLITE_IOERR_TRUNCATE);
  EXPECT_EQ(vfs_->TakeStatus().code(), ErrorCode::kBusy);
  EXPECT_EQ(memory_.bytes(), before);
}

TEST_F(VfsTest, RefusesWalUnknownMainFilesAndMainDbDuringImport) {
  OpenFile wal(vfs_->vfs(), "/main.db-wal", SQLITE_OPEN_WAL | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  EXPECT_EQ(wal.rc(), SQLITE_CANTOPEN);
  OpenFile other(vfs_->vfs(), "/other.db", kMainFlags);
  EXPECT_EQ(other.rc(), SQLITE_CANTOPEN);

  ASSERT_TRUE(layout_->BeginImportStaging(16384, 0).ok());
  {
    OpenFile during(vfs_->vfs(), IcstableVfs::kMainDbPath, kMainFlags);
    EXPECT_EQ(during.rc(), SQLITE_CANTOPEN);
  }
  ASSERT_TRUE(layout_->DiscardImport().ok());
  OpenFile after(vfs_->vfs(), IcstableVfs::kMainDbPath, kMainFlags);
  EXPECT_EQ(after.rc(), SQLITE_OK);
  EXPECT_EQ(vfs_->counters().refused_opens, 3u);
}

TEST_F(VfsTest, JournalsAndTempFilesLiveInHeapMemory) {
  const std::vector<uint8_t> before = memory_.bytes();
  OpenFile journal(vfs_->vfs(), "/main.db-journal",
                   SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ASSERT_EQ(journal.rc(), SQLITE_OK);
  OpenFile temp(vfs_->vfs(), nullptr, SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ASSERT_EQ(temp.rc(), SQLITE_OK);

  const std::vector<uint8_t> data = PatternBytes(5000, 3);
  ASSERT_EQ(journal.Write(data, 1000), SQLITE_OK);
  EXPECT_EQ(journal.Size(), 6000);
  EXPECT_EQ(temp.Size(), 0);  // files are independent
  std::vector<uint8_t> back(5000);
  ASSERT_EQ(journal.Read(back, 1000), SQLITE_OK);
  EXPECT_EQ(back, data);
  std::vector<uint8_t> hole(1000, 0x55);
  ASSERT_EQ(journal.Read(hole, 0), SQLITE_OK);
  EXPECT_EQ(hole, std::vector<uint8_t>(1000, 0));
  ASSERT_EQ(journal.Truncate(1500), SQLITE_OK);
  EXPECT_EQ(journal.Size(), 1500);
  std::vector<uint8_t> past(1000, 0x55);
  EXPECT_EQ(journal.Read(past, 1000), SQLITE_IOERR_SHORT_READ);
  EXPECT_TRUE(std::equal(data.begin(), data.begin() + 500, past.begin()));
  EXPECT_TRUE(std::all_of(past.begin() + 500, past.end(), [](uint8_t b) { return b == 0; }));

  // Nothing of it exists for xAccess, and stable memory never saw a byte.
  int exists = -1;
  ASSERT_EQ(vfs_->vfs()->xAccess(vfs_->vfs(), "/main.db-journal", SQLITE_ACCESS_EXISTS, &exists), SQLITE_OK);
  EXPECT_EQ(exists, 0);
  ASSERT_EQ(vfs_->vfs()->xAccess(vfs_->vfs(), IcstableVfs::kMainDbPath, SQLITE_ACCESS_EXISTS, &exists), SQLITE_OK);
  EXPECT_EQ(exists, 1);
  EXPECT_EQ(memory_.bytes(), before);
  EXPECT_TRUE(observer_.events.empty());
}

TEST_F(VfsTest, SectorSizeAndDeviceCharacteristicsStateTheGuarantees) {
  OpenFile f(vfs_->vfs(), IcstableVfs::kMainDbPath, kMainFlags);
  ASSERT_EQ(f.rc(), SQLITE_OK);
  EXPECT_EQ(f.file()->pMethods->xSectorSize(f.file()), 16384);
  EXPECT_EQ(f.file()->pMethods->xDeviceCharacteristics(f.file()),
            SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL |
                SQLITE_IOCAP_POWERSAFE_OVERWRITE);
  EXPECT_EQ(f.file()->pMethods->xSync(f.file(), SQLITE_SYNC_FULL), SQLITE_OK);
  EXPECT_EQ(f.file()->pMethods->xLock(f.file(), SQLITE_LOCK_EXCLUSIVE), SQLITE_OK);
  int reserved = -1;
  EXPECT_EQ(f.file()->pMethods->xCheckReservedLock(f.file(), &reserved), SQLITE_OK);
  EXPECT_EQ(reserved, 0);
  EXPECT_EQ(f.file()->pMethods->xUnlock(f.file(), SQLITE_LOCK_NONE), SQLITE_OK);
  // iVersion 1: no shared memory (WAL) and no memory mapping.
  EXPECT_EQ(f.file()->pMethods->iVersion, 1);
}

TEST_F(VfsTest, AnExceptionInACallbackIsStoredNotThrownAndPoisonsTheInstance) {
  OpenFile f(vfs_->vfs(), IcstableVfs::kMainDbPath, kMainFlags);
  ASSERT_EQ(f.rc(), SQLITE_OK);
  AttachOverlay();
  observer_.throw_trap = true;
  EXPECT_EQ(f.Write(PatternBytes(10, 4), 0), SQLITE_IOERR_WRITE);  // did not throw
  EXPECT_TRUE(vfs_->poisoned());
  std::exception_ptr e = vfs_->TakeException();
  ASSERT_TRUE(e);
  EXPECT_THROW(std::rethrow_exception(e), Trap);
  EXPECT_FALSE(vfs_->TakeException());  // taken once
  EXPECT_TRUE(vfs_->fatal_exception());  // but the cause is kept
  // The overlay never saw the write, and every later main-file access fails without touching anything.
  EXPECT_FALSE(overlay_->dirty());
  observer_.throw_trap = false;
  std::vector<uint8_t> buf(10);
  EXPECT_EQ(f.Read(buf, 0), SQLITE_IOERR_READ);
  EXPECT_EQ(f.Write(PatternBytes(10, 4), 0), SQLITE_IOERR_WRITE);
  EXPECT_FALSE(overlay_->dirty());
  OpenFile again(vfs_->vfs(), IcstableVfs::kMainDbPath, kMainFlags);
  EXPECT_EQ(again.rc(), SQLITE_CANTOPEN);
}

TEST_F(VfsTest, InjectedOverlayFailuresAreReportedAsLibraryErrorsOrAborts) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints are compiled out";
#endif
  OpenFile f(vfs_->vfs(), IcstableVfs::kMainDbPath, kMainFlags);
  ASSERT_EQ(f.rc(), SQLITE_OK);
  AttachOverlay();
  ASSERT_TRUE(fp::Arm("overlay.write=nth(1):error").ok());
  EXPECT_EQ(f.Write(PatternBytes(10, 5), 0), SQLITE_IOERR_WRITE);
  Status status = vfs_->TakeStatus();
  EXPECT_EQ(status.code(), ErrorCode::kInjected);
  EXPECT_EQ(status.failpoint(), "overlay.write");
  EXPECT_FALSE(vfs_->poisoned());  // an error is not the end of the message
  EXPECT_EQ(f.Write(PatternBytes(10, 5), 0), SQLITE_OK);

  ASSERT_TRUE(fp::Arm("overlay.truncate=nth(1):error").ok());
  EXPECT_EQ(f.Truncate(0), SQLITE_IOERR_TRUNCATE);
  EXPECT_EQ(vfs_->TakeStatus().failpoint(), "overlay.truncate");

  ASSERT_TRUE(fp::Arm("overlay.write=nth(1):trap").ok());
  EXPECT_EQ(f.Write(PatternBytes(10, 5), 0), SQLITE_IOERR_WRITE);
  std::exception_ptr e = vfs_->TakeException();
  ASSERT_TRUE(e);
  try {
    std::rethrow_exception(e);
  } catch (const fp::Abort& abort) {
    EXPECT_EQ(abort.action(), fp::Action::kTrap);
    EXPECT_EQ(abort.site(), "overlay.write");
  }
  EXPECT_TRUE(vfs_->poisoned());
}

TEST_F(VfsTest, RandomnessIsDeterministicPerTransactionAndSize) {
  sqlite3_vfs* vfs = vfs_->vfs();
  std::vector<char> a(64), b(64), c(64);
  EXPECT_EQ(vfs->xRandomness(vfs, 64, a.data()), 64);
  EXPECT_EQ(vfs->xRandomness(vfs, 64, b.data()), 64);
  EXPECT_EQ(a, b);
  OpenFile f(vfs, IcstableVfs::kMainDbPath, kMainFlags);
  AttachOverlay();
  ASSERT_EQ(f.Write(PatternBytes(16384, 6), 0), SQLITE_OK);
  PublishOverlay();
  EXPECT_EQ(vfs->xRandomness(vfs, 64, c.data()), 64);
  EXPECT_NE(a, c);  // a new transaction id and size: a new stream
  std::vector<char> odd(13);
  EXPECT_EQ(vfs->xRandomness(vfs, 13, odd.data()), 13);
  EXPECT_TRUE(std::equal(odd.begin(), odd.end(), c.begin()));
}

TEST_F(VfsTest, CurrentTimeComesFromTheSuppliedClock) {
  sqlite3_vfs* vfs = vfs_->vfs();
  sqlite3_int64 julian_ms = 0;
  ASSERT_EQ(vfs->xCurrentTimeInt64(vfs, &julian_ms), SQLITE_OK);
  EXPECT_EQ(julian_ms, 210866760000000LL);  // the Unix epoch
  clock_ms_ = 1700000000123;
  ASSERT_EQ(vfs->xCurrentTimeInt64(vfs, &julian_ms), SQLITE_OK);
  EXPECT_EQ(julian_ms, 210866760000000LL + 1700000000123LL);
  double julian_days = 0;
  ASSERT_EQ(vfs->xCurrentTime(vfs, &julian_days), SQLITE_OK);
  EXPECT_DOUBLE_EQ(julian_days, (210866760000000.0 + 1700000000123.0) / 86400000.0);
}

TEST_F(VfsTest, EachInstanceHasItsOwnNameAndUnregistersOnDestruction) {
  Result<std::unique_ptr<IcstableVfs>> second = IcstableVfs::Register(*layout_, {});
  ASSERT_TRUE(second.ok());
  const std::string first_name = vfs_->name();
  const std::string second_name = (*second)->name();
  EXPECT_NE(first_name, second_name);
  EXPECT_EQ(first_name.rfind("icstable-", 0), 0u);
  EXPECT_EQ(sqlite3_vfs_find(second_name.c_str()), (*second)->vfs());
  EXPECT_EQ(sqlite3_vfs_find(second_name.c_str())->pAppData, second->get());
  second->reset();
  EXPECT_EQ(sqlite3_vfs_find(second_name.c_str()), nullptr);
  EXPECT_NE(sqlite3_vfs_find(first_name.c_str()), nullptr);
}

}  // namespace
}  // namespace stablevfs
