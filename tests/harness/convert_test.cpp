// ConvertImage (harness/cli/image_convert.h): an image's database rewritten into another layout.
//
// Goal: a conversion keeps the logical SQLite file byte for byte, schema_version and last_tx_id, and stores
// the file's checksum as verified; a round trip through every layout ends where it began; in a MemoryManager
// image every other memory keeps its bytes and the header changes only where the database needed more
// buckets, and the database's old bytes past the new one are zeroed; a source that is damaged, importing, in
// the target layout already, or whose verified checksum does not match is refused (UsageError) with what is
// wrong; a layout that refuses the sparse publish gets every page; a result that fails verification (a layout
// with a bug) is an internal error (ConvertError). Method: images made by the library (Db on
// a HeapStableMemory, with migrations and a verified checksum where it matters), converted in memory, and
// read back by the independent checker (harness/check) and by the library.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "harness/check/checker_registry.h"
#include "harness/check/layout_report.h"
#include "harness/check/memory_manager_check.h"
#include "harness/cli/args.h"
#include "harness/cli/image_convert.h"
#include "lib/db/db.h"
#include "lib/layout/layout.h"
#include "lib/layout/layout_wrapper.h"
#include "lib/memory/heap_stable_memory.h"
#include "lib/memory/memory_manager.h"

namespace stablevfs::cli {
namespace {

constexpr uint64_t kPage = kDbPageBytes;

const LayoutInfo& Named(const std::string& name) {
  const LayoutInfo* info = LayoutRegistry::Global().Find(name);
  EXPECT_NE(info, nullptr) << name;
  return *info;
}

bool HasChecker(const std::string& layout) {
  const LayoutInfo& info = Named(layout);
  return check::CheckerRegistry::Global().FindStored(info.magic, info.version) != nullptr;
}

// The workload every source holds: two migrations (schema_version 2), rows with text and a blob that spans
// overflow pages, a zeroblob whose last overflow page is all zeros, a delete.
void Fill(Db& db) {
  const Migration migrations[] = {
      {1, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)"},
      {2, "CREATE INDEX t_v ON t(v)"},
  };
  ASSERT_TRUE(db.Migrate(migrations).ok());
  ASSERT_TRUE(db.Update([](Connection& c) {
                  return c.ExecuteScript(
                      "INSERT INTO t VALUES (1, 'one', randomblob(40000)), (2, 'two', zeroblob(300000)), "
                      "(3, 'three', x'00ff');");
                }).ok());
  ASSERT_TRUE(db.Update([](Connection& c) { return c.Execute("DELETE FROM t WHERE id = 3"); }).ok());
}

// A bare virtual memory holding `layout`'s database of Fill, its checksum refreshed (verified) or not (stale).
std::vector<uint8_t> MakeRaw(const std::string& layout, bool refresh_checksum) {
  HeapStableMemory memory;
  {
    Db::Options options;
    options.layout = &Named(layout);
    Result<std::unique_ptr<Db>> db = Db::Init(memory, std::move(options));
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return {};
    Fill(**db);
    if (refresh_checksum) {
      EXPECT_TRUE((*db)->RefreshChecksum().ok());
    }
  }
  return memory.bytes();
}

ImageTarget Raw() { return ImageTarget{.raw = true}; }
ImageTarget InManager(uint8_t id) { return ImageTarget{.raw = false, .memory_id = id}; }

ConvertResult Convert(std::span<const uint8_t> image, const std::string& to, ImageTarget target = Raw(),
                      std::string* log_text = nullptr) {
  std::ostringstream log;
  ConvertResult result = ConvertImage("image", image, ConvertOptions{target, &Named(to)}, &log);
  if (log_text != nullptr) *log_text = log.str();
  return result;
}

// What the independent checker reads in an image: its report and its logical file.
struct Read {
  check::LayoutReport report;
  std::vector<uint8_t> logical;
};

Read ReadBack(std::span<const uint8_t> image, ImageTarget target = Raw()) {
  const CheckedImage checked("image", image, target);
  EXPECT_TRUE(checked.clean()) << (checked.Problems().empty() ? "" : FormatLocatedProblem(checked.Problems()[0]));
  if (!checked.layout_checked() || !checked.layout().decoded) return {};
  return Read{checked.layout(), check::ResolveLogicalImage(checked.memory(), checked.layout())};
}

uint64_t Fnv(std::span<const uint8_t> bytes) {
  Fnv1a64 hash;
  hash.Update(bytes);
  return hash.value();
}

// The message of the UsageError `convert` throws; fails the test when it throws nothing or something else.
std::string RefusalOf(const std::function<void()>& convert) {
  try {
    convert();
  } catch (const UsageError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected a UsageError, got: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected a UsageError, the conversion succeeded";
  return "";
}

void ExpectCarriedOver(const Read& out, const Read& source, const std::string& layout) {
  EXPECT_EQ(out.report.layout, layout);
  EXPECT_TRUE(out.logical == source.logical) << "the logical file changed";
  EXPECT_EQ(out.report.superblock.schema_version, source.report.superblock.schema_version);
  EXPECT_EQ(out.report.superblock.last_tx_id, source.report.superblock.last_tx_id);
  EXPECT_EQ(out.report.superblock.checksum, Fnv(source.logical));
  EXPECT_EQ(out.report.superblock.flags, 0u) << "the checksum is verified: not stale, no refresh, no import";
}

TEST(ConvertTest, ARoundTripThroughLayouts6And8GivesTheOriginalFileAndMeta) {
  const std::vector<uint8_t> six = MakeRaw("6", /*refresh_checksum=*/true);
  const Read source = ReadBack(six);
  ASSERT_EQ(source.report.superblock.schema_version, 2u);
  ASSERT_GT(source.report.superblock.last_tx_id, 2u);
  ASSERT_EQ(source.report.superblock.flags, 0u) << "the source's checksum is verified";

  std::string log;
  const ConvertResult eight = Convert(six, "8", Raw(), &log);
  EXPECT_EQ(eight.from_layout, "6");
  EXPECT_EQ(eight.to_layout, "8");
  EXPECT_EQ(eight.db_size, source.logical.size());
  EXPECT_EQ(eight.schema_version, 2u);
  EXPECT_FALSE(eight.source_checksum_stale);
  EXPECT_LT(eight.pages_written, eight.logical_pages) << "the page of zeros is left unwritten";
  EXPECT_FALSE(eight.wrote_every_page);
  ExpectCarriedOver(ReadBack(eight.bytes), source, "8");
  EXPECT_NE(log.find("verified the output: fsck clean (layout 8), extract identical"), std::string::npos) << log;
  EXPECT_NE(log.find("integrity_check says ok"), std::string::npos) << log;

  const ConvertResult back = Convert(eight.bytes, "6");
  ExpectCarriedOver(ReadBack(back.bytes), source, "6");

  // The library reads the rows back, and the next commit continues the transaction ids.
  HeapStableMemory memory;
  memory.Assign(back.bytes);
  Result<std::unique_ptr<Db>> db = Db::Init(memory);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  int64_t rows = -1;
  ASSERT_TRUE((*db)
                  ->Query([&](Connection& c) -> Status {
                    Result<Rows> r = c.Query("SELECT count(*), sum(length(b)) FROM t");
                    if (!r.ok()) return r.status();
                    rows = std::get<int64_t>(r->rows[0][0]);
                    EXPECT_EQ(std::get<int64_t>(r->rows[0][1]), 340000);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(rows, 2);
  ASSERT_TRUE((*db)->Update([](Connection& c) { return c.Execute("INSERT INTO t VALUES (4, 'four', NULL)"); }).ok());
  EXPECT_EQ((*db)->GetMeta()->superblock.last_tx_id, source.report.superblock.last_tx_id + 1);
}

TEST(ConvertTest, ARoundTrip6To8ToSv1To6GivesTheOriginalFileAndMeta) {
  ASSERT_TRUE(HasChecker("sv1")) << "checkers: " << check::CheckerRegistry::Global().Names();
  const std::vector<uint8_t> six = MakeRaw("6", /*refresh_checksum=*/false);
  const Read source = ReadBack(six);
  std::vector<uint8_t> image = six;
  for (const std::string layout : {"8", "sv1", "6"}) {
    const ConvertResult result = Convert(image, layout);
    ExpectCarriedOver(ReadBack(result.bytes), source, layout);
    image = result.bytes;
  }
}

TEST(ConvertTest, AStaleChecksumIsRecomputedAndStoredAsVerified) {
  const std::vector<uint8_t> eight = MakeRaw("8", /*refresh_checksum=*/false);
  const Read source = ReadBack(eight);
  ASSERT_NE(source.report.superblock.flags & check::kFlagChecksumStale, 0u);
  const ConvertResult result = Convert(eight, "6");
  EXPECT_TRUE(result.source_checksum_stale);
  EXPECT_EQ(result.checksum, Fnv(source.logical));
  ExpectCarriedOver(ReadBack(result.bytes), source, "6");
}

TEST(ConvertTest, AVerifiedChecksumThatDoesNotMatchTheFileIsRefused) {
  std::vector<uint8_t> eight = MakeRaw("8", /*refresh_checksum=*/true);
  const Read source = ReadBack(eight);
  ASSERT_EQ(source.report.superblock.flags, 0u);
  // A byte of logical page 1 in place (layout 8: db_base_offset + 16 KiB): the checker does not hash pages.
  eight[source.report.superblock.db_base_offset + kPage + 5000] ^= 0x01;
  ASSERT_TRUE(ReadBack(eight).report.ok());
  const std::string message = RefusalOf([&] { Convert(eight, "6"); });
  EXPECT_NE(message.find("is damaged: its checksum"), std::string::npos) << message;
  EXPECT_NE(message.find("marked verified (not stale)"), std::string::npos) << message;
  EXPECT_NE(message.find("nothing written"), std::string::npos) << message;
}

TEST(ConvertTest, ADamagedSourceIsRefusedWithTheProblemAndItsOffset) {
  std::vector<uint8_t> six = MakeRaw("6", false);
  six[check::field::kDbSize] ^= 0x40;  // layout 6's meta checksum (at 144) no longer matches
  const std::string message = RefusalOf([&] { Convert(six, "8"); });
  EXPECT_NE(message.find("is not clean by the independent checker"), std::string::npos) << message;
  EXPECT_NE(message.find("raw memory @144 (0x90) meta_checksum"), std::string::npos) << message;
  EXPECT_NE(message.find("run 'stablevfs fsck image --raw'"), std::string::npos) << message;
}

TEST(ConvertTest, AnImportInProgressIsRefused) {
  HeapStableMemory memory;
  {
    Db::Options options;
    options.layout = &Named("6");
    Result<std::unique_ptr<Db>> db = Db::Init(memory, std::move(options));
    ASSERT_TRUE(db.ok());
    Fill(**db);
    ASSERT_TRUE((*db)->BeginImport(3 * kPage, 1).ok());
    const std::vector<uint8_t> chunk(kPage, 7);
    ASSERT_TRUE((*db)->ImportChunk(0, chunk).ok());
  }
  ASSERT_TRUE(ReadBack(memory.bytes()).report.superblock.importing());
  const std::string message = RefusalOf([&] { Convert(memory.bytes(), "8"); });
  EXPECT_NE(message.find("has an import in progress (16384 of 49152 bytes staged)"), std::string::npos) << message;
}

TEST(ConvertTest, ASourceAlreadyInTheTargetLayoutIsRefused) {
  const std::vector<uint8_t> eight = MakeRaw("8", false);
  const std::string message = RefusalOf([&] { Convert(eight, "8"); });
  EXPECT_NE(message.find("is already layout 8; nothing to convert"), std::string::npos) << message;
}

// A target layout no independent checker knows (its own magic, no checker registered) could not be verified.
TEST(ConvertTest, ATargetLayoutWithoutAnIndependentCheckerIsRefused) {
  static const bool registered = [] {
    LayoutInfo unchecked = WrapLayout(Named("8"), "8-unchecked",
                                      [](std::unique_ptr<Layout> inner, StableMemory&) { return inner; });
    unchecked.magic = {'U', 'N', 'C', 'H', 'E', 'C', 'K', 'D'};
    return LayoutRegistry::Global().Register(std::move(unchecked)).ok();
  }();
  ASSERT_TRUE(registered);
  const std::vector<uint8_t> six = MakeRaw("6", false);
  const std::string message = RefusalOf([&] { Convert(six, "8-unchecked"); });
  EXPECT_NE(message.find("--to 8-unchecked: no independent checker is registered for layout 8-unchecked"),
            std::string::npos)
      << message;
}

TEST(ConvertTest, AnEmptyDatabaseConvertsToAnEmptyOne) {
  HeapStableMemory memory;
  {
    Db::Options options;
    options.layout = &Named("8");
    ASSERT_TRUE(Db::Init(memory, std::move(options)).ok());
  }
  const Read source = ReadBack(memory.bytes());
  ASSERT_EQ(source.report.superblock.db_size, 0u);
  ASSERT_EQ(source.report.superblock.checksum, 0u) << "a fresh superblock stores no checksum";
  ASSERT_EQ(source.report.superblock.flags, 0u) << "... and does not mark it stale";
  const ConvertResult result = Convert(memory.bytes(), "6");
  EXPECT_EQ(result.pages_written, 0u);
  EXPECT_TRUE(result.source_checksum_stale);
  ExpectCarriedOver(ReadBack(result.bytes), source, "6");
}

// ---- MemoryManager images ----

// A stable memory shaped like a canister snapshot, buckets of one page interleaving: memory 3 holds plain
// bytes, memory 120 a layout 6 database, memory 7 a small layout 8 one (4 logical pages: 2 stable pages as
// layout 8, 3 as layout 6, so converting it to 6 needs a new bucket); then memory 120 grows again.
std::vector<uint8_t> MakeSnapshot() {
  HeapStableMemory stable;
  Result<std::unique_ptr<MemoryManager>> manager = MemoryManager::Init(stable, /*bucket_size_pages=*/1);
  EXPECT_TRUE(manager.ok());
  if (!manager.ok()) return {};
  VirtualMemory* three = *(*manager)->Get(3);
  EXPECT_EQ(three->grow(2), 0);
  std::vector<uint8_t> pattern(2 * kWasmPageBytes);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i * 31 + 7);
  three->write(0, pattern);
  auto open = [&](uint8_t id, const std::string& layout) {
    Db::Options options;
    options.layout = &Named(layout);
    Result<std::unique_ptr<Db>> db = Db::Init(**(*manager)->Get(id), std::move(options));
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return std::move(db).value();
  };
  {
    std::unique_ptr<Db> db = open(120, "6");
    Fill(*db);
  }
  {
    std::unique_ptr<Db> db = open(7, "8");
    EXPECT_TRUE(db->Update([](Connection& c) {
                    return c.ExecuteScript("CREATE TABLE b(y); INSERT INTO b VALUES (randomblob(40000));");
                  }).ok());
  }
  {
    std::unique_ptr<Db> db = open(120, "6");
    EXPECT_TRUE(db->Update([](Connection& c) { return c.Execute("INSERT INTO t VALUES (9, 'nine', NULL)"); }).ok());
  }
  return stable.bytes();
}

check::MemoryManagerHeader HeaderOf(std::span<const uint8_t> image) {
  const check::MemoryManagerReport report = check::CheckMemoryManager(check::SpanSource(image));
  EXPECT_TRUE(report.ok());
  return report.header;
}

std::vector<uint8_t> MemoryOf(std::span<const uint8_t> image, uint8_t id) {
  return check::ExtractVirtualMemory(check::SpanSource(image), HeaderOf(image), id);
}

TEST(ConvertTest, InAStableMemoryOnlyTheDatabasesMemoryChanges) {
  const std::vector<uint8_t> snapshot = MakeSnapshot();
  const Read source = ReadBack(snapshot, InManager(120));
  ASSERT_EQ(source.report.layout, "6");
  const ConvertResult result = Convert(snapshot, "8", InManager(120));
  EXPECT_EQ(result.memories, 3u);
  EXPECT_EQ(result.buckets_added, 0u) << "layout 8 needs fewer pages than layout 6";
  EXPECT_EQ(result.memory_pages_after, result.memory_pages_before);
  ExpectCarriedOver(ReadBack(result.bytes, InManager(120)), source, "8");
  ASSERT_EQ(result.bytes.size(), snapshot.size());
  EXPECT_TRUE(std::equal(snapshot.begin(), snapshot.begin() + kWasmPageBytes, result.bytes.begin()))
      << "the MemoryManager header and owner table are unchanged";
  EXPECT_EQ(MemoryOf(result.bytes, 3), MemoryOf(snapshot, 3));
  EXPECT_EQ(MemoryOf(result.bytes, 7), MemoryOf(snapshot, 7));
  // The database's memory: the new database at its start, zeros after it.
  const std::vector<uint8_t> memory = MemoryOf(result.bytes, 120);
  ASSERT_EQ(memory.size(), result.memory_pages_after * kWasmPageBytes);
  ASSERT_LT(result.database_bytes, memory.size());
  EXPECT_TRUE(std::all_of(memory.begin() + static_cast<ptrdiff_t>(result.database_bytes), memory.end(), [](uint8_t b) {
    return b == 0;
  })) << "the old layout 6 bytes past the new database are zeroed";
}

TEST(ConvertTest, AMemoryThatNeedsMorePagesGrowsAndTheHeaderChangesOnlyThere) {
  const std::vector<uint8_t> snapshot = MakeSnapshot();
  const Read source = ReadBack(snapshot, InManager(7));
  ASSERT_EQ(source.report.layout, "8");
  const ConvertResult result = Convert(snapshot, "6", InManager(7));
  EXPECT_EQ(result.memory_pages_before, 2u);
  EXPECT_EQ(result.memory_pages_after, 3u);
  EXPECT_EQ(result.buckets_added, 1u);
  ExpectCarriedOver(ReadBack(result.bytes, InManager(7)), source, "6");
  const check::MemoryManagerHeader before = HeaderOf(snapshot);
  const check::MemoryManagerHeader after = HeaderOf(result.bytes);
  EXPECT_EQ(after.allocated_buckets, before.allocated_buckets + 1);
  EXPECT_EQ(after.owners[before.allocated_buckets], 7);
  // Byte by byte, page 0 differs only in the allocated count, memory 7's size and the new bucket's owner.
  const uint64_t allowed[] = {check::mm::kOffAllocatedBuckets, check::mm::kOffMemorySizes + 8 * 7,
                              check::mm::kOffOwnerTable + before.allocated_buckets};
  for (uint64_t i = 0; i < kWasmPageBytes; ++i) {
    if (snapshot[i] == result.bytes[i]) continue;
    const bool ok =
        std::any_of(std::begin(allowed), std::end(allowed), [&](uint64_t at) { return i >= at && i < at + 8; });
    EXPECT_TRUE(ok) << "header byte " << i << " changed";
  }
  EXPECT_EQ(MemoryOf(result.bytes, 3), MemoryOf(snapshot, 3));
  EXPECT_EQ(MemoryOf(result.bytes, 120), MemoryOf(snapshot, 120));
  // Every byte of the old file outside memory 7's buckets is where it was.
  const std::vector<uint32_t> buckets = before.BucketsOf(7);
  for (uint64_t b = 0; b < before.allocated_buckets; ++b) {
    if (std::find(buckets.begin(), buckets.end(), b) != buckets.end()) continue;
    const uint64_t at = check::mm::kOffBucketData + b * before.bucket_bytes();
    EXPECT_TRUE(std::equal(snapshot.begin() + static_cast<ptrdiff_t>(at),
                           snapshot.begin() + static_cast<ptrdiff_t>(at + before.bucket_bytes()),
                           result.bytes.begin() + static_cast<ptrdiff_t>(at)))
        << "bucket " << b;
  }
}

TEST(ConvertTest, AMissingMemoryIsRefusedWithTheMemoriesThatExist) {
  const std::vector<uint8_t> snapshot = MakeSnapshot();
  const std::string message = RefusalOf([&] { Convert(snapshot, "8", InManager(5)); });
  EXPECT_NE(message.find("memories with data: 3, 7, 120"), std::string::npos) << message;
}

// ---- a layout that cannot publish the file sparse ----

// Layout 8 that refuses (kCapacity, as layout 8 refuses more than 1,024 zero extents) a publish leaving any
// page of the new file unwritten.
class DenseOnly final : public LayoutWrapper {
 public:
  using LayoutWrapper::LayoutWrapper;
  Status Publish(const Overlay& overlay) override {
    const uint64_t pages = check::CeilDiv(overlay.db_size(), kPage);
    if (overlay.pages().size() < pages) {
      return Status::Capacity(
          0, 0, "dense-only: " + std::to_string(pages - overlay.pages().size()) + " pages left unwritten");
    }
    return LayoutWrapper::Publish(overlay);
  }
};

TEST(ConvertTest, ALayoutThatRefusesTheSparsePublishGetsEveryPage) {
  static const bool registered = [] {
    return LayoutRegistry::Global()
        .Register(WrapLayout(Named("8"), "8-dense-only",
                             [](std::unique_ptr<Layout> inner, StableMemory&) -> std::unique_ptr<Layout> {
                               return std::make_unique<DenseOnly>(std::move(inner));
                             }))
        .ok();
  }();
  ASSERT_TRUE(registered);
  const std::vector<uint8_t> six = MakeRaw("6", false);
  const Read source = ReadBack(six);
  std::string log;
  const ConvertResult result = Convert(six, "8-dense-only", Raw(), &log);
  EXPECT_TRUE(result.wrote_every_page);
  EXPECT_EQ(result.pages_written, result.logical_pages);
  ExpectCarriedOver(ReadBack(result.bytes), source, "8");
  EXPECT_NE(log.find("refuses to publish the file with its pages of zeros left unwritten"), std::string::npos) << log;
  EXPECT_NE(log.find("dense-only: 1 pages left unwritten"), std::string::npos) << log;
}

// ---- a result that fails verification ----

// Layout 8 variants with one bug each, which the verification must catch: one forgets the transaction id,
// one damages logical page 1 in place after each publish (the checker still finds the image clean).
class ForgetsTheTxId final : public LayoutWrapper {
 public:
  using LayoutWrapper::LayoutWrapper;
  Status SetLastTxId(uint64_t) override { return Status::Ok(); }
};

class DamagesAPage final : public LayoutWrapper {
 public:
  DamagesAPage(std::unique_ptr<Layout> inner, StableMemory& memory)
      : LayoutWrapper(std::move(inner)), memory_(memory) {}
  Status Publish(const Overlay& overlay) override {
    STABLEVFS_RETURN_IF_ERROR(LayoutWrapper::Publish(overlay));
    const uint8_t byte = 0xab;
    memory_.write(meta().db_base_offset + kPage + 7, std::span<const uint8_t>(&byte, 1));
    return Status::Ok();
  }

 private:
  StableMemory& memory_;
};

// The ConvertError message `convert` throws; fails the test when it throws nothing or something else.
std::string InternalErrorOf(const std::function<void()>& convert) {
  try {
    convert();
  } catch (const ConvertError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected a ConvertError, got: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected a ConvertError, the conversion succeeded";
  return "";
}

TEST(ConvertTest, AResultThatFailsVerificationIsAnInternalError) {
  static const bool registered = [] {
    const LayoutInfo& eight = Named("8");
    return LayoutRegistry::Global()
               .Register(WrapLayout(eight, "8-forgets-tx-id",
                                    [](std::unique_ptr<Layout> inner, StableMemory&) -> std::unique_ptr<Layout> {
                                      return std::make_unique<ForgetsTheTxId>(std::move(inner));
                                    }))
               .ok() &&
           LayoutRegistry::Global()
               .Register(WrapLayout(eight, "8-damages-a-page",
                                    [](std::unique_ptr<Layout> inner, StableMemory& memory) -> std::unique_ptr<Layout> {
                                      return std::make_unique<DamagesAPage>(std::move(inner), memory);
                                    }))
               .ok();
  }();
  ASSERT_TRUE(registered);
  const std::vector<uint8_t> six = MakeRaw("6", false);
  const Read source = ReadBack(six);

  std::string message = InternalErrorOf([&] { Convert(six, "8-forgets-tx-id"); });
  EXPECT_NE(message.find("the output's superblock holds schema_version 2, last_tx_id 1,"), std::string::npos)
      << message;
  EXPECT_NE(message.find("expected 2, " + std::to_string(source.report.superblock.last_tx_id)), std::string::npos)
      << message;

  message = InternalErrorOf([&] { Convert(six, "8-damages-a-page"); });
  EXPECT_NE(
      message.find("differs from the source's (" + std::to_string(source.logical.size()) + " bytes) at byte 16391"),
      std::string::npos)
      << message;
}

}  // namespace
}  // namespace stablevfs::cli
