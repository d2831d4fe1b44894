// Goal: show that the independent layout-6 checker (harness/check/layout6_check.h) decodes a correct image to
// exactly the logical file it describes, and that every kind of corruption it promises to find is reported,
// with the byte offset where the evidence lies.
//
// Method: the test writes layout-6 images byte by byte with its own encoder (a third implementation of
// REFERENCE 3.1, sharing nothing with the checker or the library, including its own FNV-1a), from a small
// description: superblock fields, root table, segment tables, pages with recognisable contents. A valid image
// must check clean and resolve to the expected bytes; each corruption is then applied to a copy of a valid
// image and the report must contain the named problem kind at the named offset.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "harness/check/layout6_check.h"
#include "harness/check/raw_codec.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs::check {
namespace {

constexpr uint64_t kWasmPage = 65536;
constexpr uint64_t kPage = 16384;

// ---- The test's own encoder ------------------------------------------------------------------------------

uint64_t TestFnv(const uint8_t* data, size_t length) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < length; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

void Put64(std::vector<uint8_t>& image, uint64_t offset, uint64_t value) {
  for (int i = 0; i < 8; ++i) image.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
}
void Put32(std::vector<uint8_t>& image, uint64_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i) image.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
}

struct SuperblockFields {
  uint32_t version = 6;
  uint32_t page_size = 16384;
  uint64_t db_size = 0;
  uint64_t schema_version = 0;
  uint64_t last_tx_id = 0;
  uint64_t flags = 0;
  uint64_t checksum = 0;
  uint64_t import_expected_checksum = 0;
  uint64_t import_written_until = 0;
  uint64_t import_total_size = 0;
  uint64_t import_base_offset = 0;
  uint64_t refresh_offset = 0;
  uint64_t refresh_hash = 0;
  uint64_t refresh_tx_id = 0;
  uint64_t db_base_offset = 0;
  uint64_t page_table_offset = 0;
  uint64_t page_count = 0;
  uint64_t layout_version = 6;
};

// Writes the 152-byte superblock with a correct meta checksum.
void WriteSuperblock(std::vector<uint8_t>& image, const SuperblockFields& f) {
  std::memcpy(image.data(), "ICSQLITE", 8);
  Put32(image, 8, f.version);
  Put32(image, 12, f.page_size);
  Put64(image, 16, f.db_size);
  Put64(image, 24, f.schema_version);
  Put64(image, 32, f.last_tx_id);
  Put64(image, 40, f.flags);
  Put64(image, 48, f.checksum);
  Put64(image, 56, f.import_expected_checksum);
  Put64(image, 64, f.import_written_until);
  Put64(image, 72, f.import_total_size);
  Put64(image, 80, f.import_base_offset);
  Put64(image, 88, f.refresh_offset);
  Put64(image, 96, f.refresh_hash);
  Put64(image, 104, f.refresh_tx_id);
  Put64(image, 112, f.db_base_offset);
  Put64(image, 120, f.page_table_offset);
  Put64(image, 128, f.page_count);
  Put64(image, 136, f.layout_version);
  Put64(image, 144, 0);
  Put64(image, 144, TestFnv(image.data(), 152));
}

// Recomputes the meta checksum after a test edited superblock bytes directly.
void Reseal(std::vector<uint8_t>& image) {
  Put64(image, 144, 0);
  Put64(image, 144, TestFnv(image.data(), 152));
}

// Page contents nobody could confuse: every byte depends on the logical page and its position.
std::vector<uint8_t> PageContent(uint64_t logical_page) {
  std::vector<uint8_t> page(kPage);
  for (uint64_t i = 0; i < kPage; ++i) page[i] = static_cast<uint8_t>((logical_page * 37 + i * 11 + 5) & 0xff);
  return page;
}

void WritePage(std::vector<uint8_t>& image, uint64_t physical, uint64_t logical_page) {
  const std::vector<uint8_t> content = PageContent(logical_page);
  std::copy(content.begin(), content.end(), image.begin() + static_cast<std::ptrdiff_t>(physical));
}

// The reference image used by most tests. Memory: 2 Wasm pages (131,072 bytes).
//   db_size = 3 pages + 100 bytes -> 4 logical pages, one segment.
//   logical 0 -> 0x10000, 1 -> 0x14000, 2 unmapped (zeros), 3 -> 0x18000 (only 100 bytes are in the file).
//   segment table 0 at 0x1C000 (2,048 bytes), root table at 0x1C800 (8 bytes).
constexpr uint64_t kPage0 = 0x10000;
constexpr uint64_t kPage1 = 0x14000;
constexpr uint64_t kPage3 = 0x18000;
constexpr uint64_t kSegment0 = 0x1C000;
constexpr uint64_t kRoot = 0x1C800;
constexpr uint64_t kDbSize = 3 * kPage + 100;

SuperblockFields ReferenceFields() {
  SuperblockFields f;
  f.db_size = kDbSize;
  f.last_tx_id = 7;
  f.flags = 2;  // checksum stale, as after any commit
  f.page_table_offset = kRoot;
  f.page_count = 1;
  return f;
}

std::vector<uint8_t> ReferenceImage() {
  std::vector<uint8_t> image(2 * kWasmPage, 0);
  WritePage(image, kPage0, 0);
  WritePage(image, kPage1, 1);
  WritePage(image, kPage3, 3);
  Put64(image, kSegment0 + 8 * 0, kPage0);
  Put64(image, kSegment0 + 8 * 1, kPage1);
  Put64(image, kSegment0 + 8 * 3, kPage3);
  Put64(image, kRoot, kSegment0);
  WriteSuperblock(image, ReferenceFields());
  return image;
}

std::vector<uint8_t> ReferenceLogicalFile() {
  std::vector<uint8_t> file(kDbSize, 0);
  for (uint64_t p : {0, 1, 3}) {
    const std::vector<uint8_t> content = PageContent(p);
    const uint64_t length = std::min<uint64_t>(kPage, kDbSize - p * kPage);
    std::copy_n(content.begin(), length, file.begin() + static_cast<std::ptrdiff_t>(p * kPage));
  }
  return file;
}

std::string Dump(const LayoutReport& report) { return FormatReport(report); }

// ---- Primitives ------------------------------------------------------------------------------------------

TEST(RawCodec, Fnv1aKnownAnswers) {
  EXPECT_EQ(Fnv1a64({}), 0xcbf29ce484222325ull);
  const uint8_t a[] = {'a'};
  EXPECT_EQ(Fnv1a64(a), 0xaf63dc4c8601ec8cull);
  const std::string foobar = "foobar";
  const auto* bytes = reinterpret_cast<const uint8_t*>(foobar.data());
  EXPECT_EQ(Fnv1a64({bytes, foobar.size()}), 0x85944171f73967e8ull);
  // Piecewise feeding equals one pass.
  Fnv1a hash;
  hash.Add({bytes, 3});
  hash.Add({bytes + 3, 3});
  EXPECT_EQ(hash.digest(), 0x85944171f73967e8ull);
}

TEST(RawCodec, LittleEndianLoads) {
  const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
  EXPECT_EQ(LoadLe16(bytes, 0), 0x0201);
  EXPECT_EQ(LoadLe32(bytes, 1), 0x05040302u);
  EXPECT_EQ(LoadLe64(bytes, 1), 0x0908070605040302ull);
  EXPECT_THROW(LoadLe64(bytes, 2), std::out_of_range);
}

// ---- A valid image ---------------------------------------------------------------------------------------

TEST(Layout6Check, ReferenceImageIsCleanAndDecodes) {
  const std::vector<uint8_t> image = ReferenceImage();
  const LayoutReport report = CheckLayout6(image);
  ASSERT_TRUE(report.ok()) << Dump(report);
  ASSERT_TRUE(report.decoded);
  EXPECT_EQ(report.superblock.db_size, kDbSize);
  EXPECT_EQ(report.superblock.last_tx_id, 7u);
  EXPECT_EQ(report.superblock.logical_pages(), 4u);
  EXPECT_EQ(report.root_entries, std::vector<uint64_t>{kSegment0});

  ASSERT_EQ(report.mappings.size(), 3u);
  EXPECT_EQ(report.mappings[0], (PageMapping{0, kPage0, kSegment0, true}));
  EXPECT_EQ(report.mappings[1], (PageMapping{1, kPage1, kSegment0 + 8, true}));
  EXPECT_EQ(report.mappings[2], (PageMapping{3, kPage3, kSegment0 + 24, true}));
  EXPECT_EQ(report.Find(2), nullptr);

  // Extents in offset order: superblock, three pages, segment table, root table.
  ASSERT_EQ(report.extents.size(), 6u);
  EXPECT_EQ(report.extents[0].kind, ExtentKind::kSuperblock);
  EXPECT_EQ(report.extents[1], (Extent{ExtentKind::kPage, kPage0, kPage, 0, kSegment0}));
  EXPECT_EQ(report.extents[3], (Extent{ExtentKind::kPage, kPage3, kPage, 3, kSegment0 + 24}));
  EXPECT_EQ(report.extents[4], (Extent{ExtentKind::kSegmentTable, kSegment0, 2048, 0, kRoot}));
  EXPECT_EQ(report.extents[5], (Extent{ExtentKind::kRootTable, kRoot, 8, 0, 120}));

  const SpanSource source(image);
  EXPECT_EQ(ResolveLogicalImage(source, report), ReferenceLogicalFile());
  std::vector<uint8_t> page(kPage, 0xAA);
  ReadLogicalPage(source, report, 2, page);
  EXPECT_EQ(page, std::vector<uint8_t>(kPage, 0));  // unmapped reads as zeros
  ReadLogicalPage(source, report, 1, page);
  EXPECT_EQ(page, PageContent(1));
  ReadLogicalPage(source, report, 9, page);
  EXPECT_EQ(page, std::vector<uint8_t>(kPage, 0));  // past the end reads as zeros
  EXPECT_TRUE(CompareLogical(ReferenceLogicalFile(), ResolveLogicalImage(source, report)).empty());
}

TEST(Layout6Check, SpaceAccountingFollowsTheReferenceFormula) {
  const LayoutReport report = CheckLayout6(ReferenceImage());
  const SpaceAccounting& space = report.space;
  EXPECT_EQ(space.allocated_bytes, 131072u);
  EXPECT_EQ(space.mapped_pages, 3u);
  EXPECT_EQ(space.segments, 1u);
  EXPECT_EQ(space.active_bytes, 65536u + 3 * 16384 + 2056);
  EXPECT_EQ(space.orphan_bytes, 131072u - 116744);
  EXPECT_EQ(space.orphan_ratio_bp, 14328u * 10000 / 131072);  // 1093
  EXPECT_FALSE(space.compaction_recommended);
}

TEST(Layout6Check, CompactionRecommendedWhenOrphansDominateAndExceed16MiB) {
  // The same map inside a 32 MiB memory: ~32 MiB of orphans, far more than the ~115 KiB active.
  std::vector<uint8_t> image = ReferenceImage();
  image.resize(512 * kWasmPage, 0);
  const LayoutReport big = CheckLayout6(image);
  ASSERT_TRUE(big.ok()) << Dump(big);
  EXPECT_TRUE(big.space.compaction_recommended);
  EXPECT_EQ(big.space.orphan_bytes, 512 * kWasmPage - 116744);

  // 16 MiB of memory minus the active bytes is below the floor: not recommended though orphan > active.
  image.resize(256 * kWasmPage);
  const LayoutReport under = CheckLayout6(image);
  EXPECT_GT(under.space.orphan_bytes, under.space.active_bytes);
  EXPECT_FALSE(under.space.compaction_recommended);
}

TEST(Layout6Check, StableMemoryAndSpanGiveTheSameReport) {
  const std::vector<uint8_t> image = ReferenceImage();
  HeapStableMemory memory;
  memory.Assign(image);
  const LayoutReport from_memory = CheckLayout6(memory);
  const LayoutReport from_span = CheckLayout6(image);
  EXPECT_TRUE(from_memory.ok());
  EXPECT_EQ(from_memory.mappings, from_span.mappings);
  EXPECT_EQ(from_memory.extents, from_span.extents);
  EXPECT_EQ(ResolveLogicalImage(StableMemorySource(memory), from_memory), ReferenceLogicalFile());
}

TEST(Layout6Check, EmptyDatabaseWithoutRootIsClean) {
  std::vector<uint8_t> image(kWasmPage, 0);
  WriteSuperblock(image, SuperblockFields{});
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.ok()) << Dump(report);
  EXPECT_EQ(report.space.active_bytes, 65536u);
  EXPECT_EQ(report.space.orphan_bytes, 0u);
  EXPECT_TRUE(ResolveLogicalImage(SpanSource(image), report).empty());
}

TEST(Layout6Check, AShortRootIsASegmentCountProblemYetResolves) {
  // 600 logical pages need 3 segments. The root has 2 entries: segment 0 absent, segment 1 present; segment 2
  // is missing from the short root. The library refuses such an image (PageMap::Load wants exactly 3), so
  // fsck reports it; a salvage still resolves pages 256 and 300, everything else reads as zeros.
  std::vector<uint8_t> image(2 * kWasmPage, 0);
  const uint64_t segment1 = 0x18000, root = 0x18800;
  WritePage(image, 0x10000, 256);
  WritePage(image, 0x14000, 300);
  Put64(image, segment1 + 8 * 0, 0x10000);
  Put64(image, segment1 + 8 * 44, 0x14000);
  Put64(image, root + 0, 0);
  Put64(image, root + 8, segment1);
  SuperblockFields f;
  f.db_size = 600 * kPage;
  f.page_table_offset = root;
  f.page_count = 2;
  WriteSuperblock(image, f);

  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kSegmentCount, 128)) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_EQ(report.space.segments, 1u);
  ASSERT_EQ(report.mappings.size(), 2u);
  EXPECT_EQ(report.mappings[0].logical_page, 256u);
  EXPECT_EQ(report.mappings[1].logical_page, 300u);
  std::vector<uint8_t> expected(600 * kPage, 0);
  for (uint64_t p : {256, 300}) {
    const std::vector<uint8_t> content = PageContent(p);
    std::copy(content.begin(), content.end(), expected.begin() + static_cast<std::ptrdiff_t>(p * kPage));
  }
  EXPECT_EQ(ResolveLogicalImage(SpanSource(image), report), expected);
}

// ---- Corruptions: each must be reported at its offset ----------------------------------------------------

TEST(Layout6Check, EmptyMemoryIsReportedAsNeverInitialised) {
  const LayoutReport report = CheckLayout6(std::vector<uint8_t>{});
  EXPECT_FALSE(report.decoded);
  EXPECT_TRUE(report.Has(ProblemKind::kTooSmall, 0)) << Dump(report);
}

TEST(Layout6Check, SizeNotAWholeNumberOfWasmPages) {
  std::vector<uint8_t> image = ReferenceImage();
  image.pop_back();
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kImageSize, image.size())) << Dump(report);
}

TEST(Layout6Check, BadMagicStopsDecoding) {
  std::vector<uint8_t> image = ReferenceImage();
  image[3] = 'X';
  const LayoutReport report = CheckLayout6(image);
  EXPECT_FALSE(report.decoded);
  ASSERT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kBadMagic, 0));
  EXPECT_THROW(ResolveLogicalImage(SpanSource(image), report), std::invalid_argument);
}

TEST(Layout6Check, BadMetaChecksumIsReportedAndDecodingContinues) {
  std::vector<uint8_t> image = ReferenceImage();
  image[16] ^= 0x01;  // db_size changed without resealing
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kMetaChecksum, 144)) << Dump(report);
  EXPECT_EQ(report.mappings.size(), 3u);  // the page map was still decoded
  Reseal(image);  // the same edit with a matching checksum is a valid (slightly longer) file
  EXPECT_TRUE(CheckLayout6(image).ok()) << Dump(CheckLayout6(image));
  // A flipped checksum byte alone is found too.
  std::vector<uint8_t> image2 = ReferenceImage();
  image2[150] ^= 0x80;
  EXPECT_TRUE(CheckLayout6(image2).Has(ProblemKind::kMetaChecksum, 144));
}

TEST(Layout6Check, WrongVersionPageSizeAndLayoutVersion) {
  SuperblockFields f = ReferenceFields();
  f.version = 8;
  f.page_size = 4096;
  f.layout_version = 5;
  std::vector<uint8_t> image = ReferenceImage();
  WriteSuperblock(image, f);
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kBadVersion, 8)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kBadPageSize, 12));
  EXPECT_TRUE(report.Has(ProblemKind::kBadLayoutVersion, 136));
  EXPECT_FALSE(report.Has(ProblemKind::kMetaChecksum));
}

TEST(Layout6Check, UnknownFlagBits) {
  SuperblockFields f = ReferenceFields();
  f.flags = 2 | 8;
  std::vector<uint8_t> image = ReferenceImage();
  WriteSuperblock(image, f);
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kUnknownFlags, 40)) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u);
}

TEST(Layout6Check, RootTableOutOfBounds) {
  SuperblockFields f = ReferenceFields();
  f.page_table_offset = 2 * kWasmPage - 4;  // 8 bytes needed, 4 remain
  std::vector<uint8_t> image = ReferenceImage();
  WriteSuperblock(image, f);
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kOutOfBounds, 120)) << Dump(report);
  EXPECT_TRUE(report.mappings.empty());  // nothing decoded through a root that is not there
  // Far out of bounds, and a root entry count too large to multiply.
  f.page_table_offset = uint64_t{1} << 40;
  WriteSuperblock(image, f);
  EXPECT_TRUE(CheckLayout6(image).Has(ProblemKind::kOutOfBounds, 120));
  f = ReferenceFields();
  f.page_count = uint64_t{1} << 62;
  WriteSuperblock(image, f);
  const LayoutReport huge = CheckLayout6(image);
  EXPECT_TRUE(huge.Has(ProblemKind::kOutOfBounds, 120)) << Dump(huge);
  EXPECT_TRUE(huge.Has(ProblemKind::kSegmentCount, 128));
}

TEST(Layout6Check, SegmentTableAndPageOutOfBounds) {
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, kRoot, 2 * kWasmPage - 1024);  // table would end 1,024 bytes past the memory
  EXPECT_TRUE(CheckLayout6(image).Has(ProblemKind::kOutOfBounds, kRoot));

  image = ReferenceImage();
  Put64(image, kSegment0 + 8, 2 * kWasmPage - 8192);  // page 1 half outside
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kOutOfBounds, kSegment0 + 8)) << Dump(report);
  const PageMapping* mapping = report.Find(1);
  ASSERT_NE(mapping, nullptr);
  EXPECT_FALSE(mapping->readable);
  // An unreadable page resolves as zeros rather than trapping.
  const std::vector<uint8_t> file = ResolveLogicalImage(SpanSource(image), report);
  EXPECT_TRUE(std::all_of(file.begin() + kPage, file.begin() + 2 * kPage, [](uint8_t b) { return b == 0; }));
}

TEST(Layout6Check, MisalignedTables) {
  // The segment table copied to an address that is not a multiple of 8: still decoded, but reported at the
  // root entry that points to it.
  std::vector<uint8_t> image = ReferenceImage();
  const uint64_t moved = 0x1D004;
  std::copy_n(image.begin() + kSegment0, 2048, image.begin() + moved);
  Put64(image, kRoot, moved);
  LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kMisaligned, kRoot)) << Dump(report);
  EXPECT_EQ(report.mappings.size(), 3u);
  EXPECT_EQ(ResolveLogicalImage(SpanSource(image), report), ReferenceLogicalFile());

  // A misaligned root table is reported at page_table_offset.
  image = ReferenceImage();
  std::copy_n(image.begin() + kRoot, 8, image.begin() + kRoot + 13);
  SuperblockFields f = ReferenceFields();
  f.page_table_offset = kRoot + 13;
  WriteSuperblock(image, f);
  report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kMisaligned, 120)) << Dump(report);
}

TEST(Layout6Check, PageAlignmentIsAnOption) {
  std::vector<uint8_t> image = ReferenceImage();
  image.resize(3 * kWasmPage, 0);
  WritePage(image, 0x1D000, 1);  // 8-aligned but not 16 KiB-aligned, and free space
  Put64(image, kSegment0 + 8, 0x1D000);
  EXPECT_TRUE(CheckLayout6(image).ok()) << Dump(CheckLayout6(image));
  CheckOptions strict;
  strict.page_alignment_bytes = kPage;
  const LayoutReport report = CheckLayout6(image, strict);
  EXPECT_TRUE(report.Has(ProblemKind::kMisaligned, kSegment0 + 8)) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u);
}

TEST(Layout6Check, OverlappingPages) {
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, kSegment0 + 8, kPage0 + 8192);  // logical page 1 shares its first half with page 0's second
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kOverlap, kSegment0 + 8)) << Dump(report);
  EXPECT_FALSE(report.Has(ProblemKind::kMappedTwice));
}

TEST(Layout6Check, PageMappedTwice) {
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, kSegment0 + 24, kPage0);  // logical page 3 -> the physical page of logical page 0
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kMappedTwice, kSegment0 + 24)) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u);
}

TEST(Layout6Check, TableOverlappingAPage) {
  std::vector<uint8_t> image = ReferenceImage();
  // A copy of the segment table inside logical page 1's physical page.
  std::copy_n(image.begin() + kSegment0, 2048, image.begin() + kPage1 + 4096);
  Put64(image, kRoot, kPage1 + 4096);
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kOverlap, kRoot)) << Dump(report);
}

TEST(Layout6Check, SegmentTableReferencedTwice) {
  // Two segments sharing one table (db_size large enough for both).
  std::vector<uint8_t> image = ReferenceImage();
  const uint64_t root2 = 0x1D000;
  Put64(image, root2, kSegment0);
  Put64(image, root2 + 8, kSegment0);
  SuperblockFields f = ReferenceFields();
  f.db_size = 300 * kPage;
  f.page_table_offset = root2;
  f.page_count = 2;
  WriteSuperblock(image, f);
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kMappedTwice, root2 + 8)) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u);  // reported once for the table, not once per page
  EXPECT_EQ(report.mappings.size(), 6u);  // the map still resolves both segments
}

TEST(Layout6Check, PageBeyondDbSize) {
  std::vector<uint8_t> image = ReferenceImage();
  image.resize(3 * kWasmPage, 0);
  WritePage(image, 0x20000, 10);
  Put64(image, kSegment0 + 8 * 10, 0x20000);  // logical page 10, but the file has 4 pages
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kBeyondDbSize, kSegment0 + 80)) << Dump(report);
  // The page is not part of the logical file.
  EXPECT_EQ(ResolveLogicalImage(SpanSource(image), report).size(), kDbSize);
}

TEST(Layout6Check, TooManyRootEntries) {
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, kRoot + 8, 0);  // a second, absent entry right after the first (free space)
  SuperblockFields f = ReferenceFields();
  f.page_count = 2;  // 4 logical pages need 1 segment
  WriteSuperblock(image, f);
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kSegmentCount, 128)) << Dump(report);
}

TEST(Layout6Check, RootEntryCountWithoutRootTable) {
  std::vector<uint8_t> image = ReferenceImage();
  SuperblockFields f = ReferenceFields();
  f.page_table_offset = 0;
  WriteSuperblock(image, f);
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kRootTable, 120)) << Dump(report);
}

TEST(Layout6Check, RootEntryCountMustMatchDbSizeExactly) {
  // Fewer root entries than db_size needs (0 included: "0 pages mapped"), and db_size 4 GiB over one segment:
  // the library refuses each, so fsck must not call them clean.
  for (const auto& [db_size, page_count] : std::vector<std::pair<uint64_t, uint64_t>>{
           {kDbSize, 0}, {300 * kPage, 1}, {uint64_t{1} << 32, 1}, {0xffffffffull, 1}}) {
    std::vector<uint8_t> image = ReferenceImage();
    SuperblockFields f = ReferenceFields();
    f.db_size = db_size;
    f.page_count = page_count;
    if (page_count == 0) f.page_table_offset = 0;
    WriteSuperblock(image, f);
    const LayoutReport report = CheckLayout6(image);
    EXPECT_TRUE(report.Has(ProblemKind::kSegmentCount, 128)) << db_size << "/" << page_count << "\n" << Dump(report);
  }
}

TEST(Layout6Check, RootTableOffsetWithoutEntries) {
  std::vector<uint8_t> image(kWasmPage * 2, 0);
  SuperblockFields f;
  f.page_table_offset = 0x10000;
  WriteSuperblock(image, f);
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kRootTable, 120)) << Dump(report);
}

TEST(Layout6Check, ATableNamedByEveryRootEntryIsReportedOnceInBoundedMemory) {
  // The hostile map of the audit: every root entry names the same segment table. 4,096 entries (16 MiB of
  // logical file over one 2 KiB table): one problem naming the count, and a bounded number of mappings.
  constexpr uint64_t kEntries = 4096;
  std::vector<uint8_t> image = ReferenceImage();
  image.resize(3 * kWasmPage, 0);
  const uint64_t root = 2 * kWasmPage;
  for (uint64_t i = 0; i < kEntries; ++i) Put64(image, root + 8 * i, kSegment0);
  SuperblockFields f = ReferenceFields();
  f.db_size = kEntries * 256 * kPage;
  f.page_table_offset = root;
  f.page_count = kEntries;
  WriteSuperblock(image, f);
  const LayoutReport report = CheckLayout6(image);
  ASSERT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kMappedTwice, root + 8)) << Dump(report);
  EXPECT_NE(report.problems[0].message.find("and 4094 more"), std::string::npos) << Dump(report);
  EXPECT_EQ(report.space.mapped_pages, 3 * kEntries);  // what the library would read, all counted
  EXPECT_EQ(report.mappings.size(), 3 * (1 + layout6::kReusedTablesDecoded));
  EXPECT_EQ(report.mappings_not_listed, 3 * (kEntries - 1 - layout6::kReusedTablesDecoded));
  EXPECT_LE(report.extents.size(), 6u);  // superblock, root, the table once, its three pages
}

TEST(Layout6Check, APageNamedByEverySlotIsReportedOnce) {
  std::vector<uint8_t> image = ReferenceImage();
  for (uint64_t slot = 0; slot < 4; ++slot) Put64(image, kSegment0 + 8 * slot, kPage0);
  const LayoutReport report = CheckLayout6(image);
  ASSERT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kMappedTwice, kSegment0 + 8)) << Dump(report);
  EXPECT_NE(report.problems[0].message.find("and 2 more"), std::string::npos) << Dump(report);
}

TEST(Layout6Check, SuperblockOverlap) {
  // A page inside [0, 64 KiB).
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, kSegment0 + 8, 0x4000);
  LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kSuperblockOverlap, kSegment0 + 8)) << Dump(report);
  // A segment table inside it.
  image = ReferenceImage();
  Put64(image, kRoot, 0x100);
  report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kSuperblockOverlap, kRoot)) << Dump(report);
  EXPECT_TRUE(report.mappings.empty());  // not decoded: its "entries" are superblock bytes
  // The root table itself.
  image = ReferenceImage();
  SuperblockFields f = ReferenceFields();
  f.page_table_offset = 0x200;
  WriteSuperblock(image, f);
  report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kSuperblockOverlap, 120)) << Dump(report);
}

TEST(Layout6Check, ImportFieldsMustMatchTheImportingFlag) {
  // Importing clear, yet a field is set.
  std::vector<uint8_t> image = ReferenceImage();
  SuperblockFields f = ReferenceFields();
  f.import_written_until = 4096;
  WriteSuperblock(image, f);
  LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kImportState, 64)) << Dump(report);
  CheckOptions lenient;
  lenient.require_idle_fields_zero = false;
  EXPECT_TRUE(CheckLayout6(image, lenient).ok());

  // Importing: written past the total.
  f = ReferenceFields();
  f.flags |= 1;
  f.import_total_size = 1000;
  f.import_written_until = 2000;
  f.import_base_offset = 0x1D000;
  WriteSuperblock(image, f);
  report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kImportState, 64)) << Dump(report);

  // Importing: staging that overlaps the active page 3.
  f.import_written_until = 1000;
  f.import_base_offset = kPage3 + 512;
  WriteSuperblock(image, f);
  report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kImportState, 80)) << Dump(report);

  // Importing: staging inside the superblock region; and a valid staging area.
  f.import_base_offset = 0x800;
  WriteSuperblock(image, f);
  EXPECT_TRUE(CheckLayout6(image).Has(ProblemKind::kImportState, 80));
  // A staging area whose written part fits but whose whole footprint (a page, then a segment table and a
  // root entry: 18,440 bytes) does not: the library refuses to open it.
  f.import_base_offset = 0x1D000;
  WriteSuperblock(image, f);
  EXPECT_TRUE(CheckLayout6(image).Has(ProblemKind::kImportState, 80)) << Dump(CheckLayout6(image));
  // A valid staging area, in a memory grown to hold it.
  image.resize(3 * kWasmPage, 0);
  f.import_base_offset = 0x20000;
  WriteSuperblock(image, f);
  report = CheckLayout6(image);
  EXPECT_TRUE(report.ok()) << Dump(report);
  // The importing flag with an empty staging area (every import field 0): the library refuses it.
  f.import_total_size = 0;
  f.import_written_until = 0;
  f.import_base_offset = 0;
  WriteSuperblock(image, f);
  EXPECT_TRUE(CheckLayout6(image).Has(ProblemKind::kImportState, 80)) << Dump(CheckLayout6(image));
}

TEST(Layout6Check, RefreshFieldsMustMatchTheRefreshingFlag) {
  std::vector<uint8_t> image = ReferenceImage();
  SuperblockFields f = ReferenceFields();
  f.flags |= 4;
  f.refresh_offset = kPage;
  f.refresh_hash = 1234;
  f.refresh_tx_id = 6;  // last_tx_id is 7: a publish happened and should have cleared the refresh
  WriteSuperblock(image, f);
  LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kRefreshState, 104)) << Dump(report);
  f.refresh_tx_id = 7;
  f.refresh_offset = kDbSize + 1;
  WriteSuperblock(image, f);
  report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kRefreshState, 88)) << Dump(report);
  f.refresh_offset = kPage;
  WriteSuperblock(image, f);
  EXPECT_TRUE(CheckLayout6(image).ok());
  f.flags = 2;  // refreshing clear, fields left behind
  WriteSuperblock(image, f);
  report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kRefreshState, 88)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kRefreshState, 96));
  EXPECT_TRUE(report.Has(ProblemKind::kRefreshState, 104));
}

TEST(Layout6Check, EveryProblemIsListedNotOnlyTheFirst) {
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, kSegment0 + 8, 0x4000);           // superblock overlap
  Put64(image, kSegment0 + 24, kPage0);          // mapped twice
  Put64(image, kSegment0 + 8 * 200, 0x1D000);    // beyond db_size
  image[40] = 0x42;                              // unknown flag bits, checksum now stale too
  const LayoutReport report = CheckLayout6(image);
  EXPECT_TRUE(report.Has(ProblemKind::kSuperblockOverlap, kSegment0 + 8)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kMappedTwice, kSegment0 + 24));
  EXPECT_TRUE(report.Has(ProblemKind::kBeyondDbSize, kSegment0 + 1600));
  EXPECT_TRUE(report.Has(ProblemKind::kUnknownFlags, 40));
  EXPECT_TRUE(report.Has(ProblemKind::kMetaChecksum, 144));
}

TEST(Layout6Check, ProblemListIsCapped) {
  // A segment table full of pointers into the superblock region: 256 problems, capped at 10.
  std::vector<uint8_t> image = ReferenceImage();
  for (uint64_t slot = 0; slot < 256; ++slot) Put64(image, kSegment0 + 8 * slot, 0x100 + 8 * slot);
  CheckOptions options;
  options.max_problems = 10;
  const LayoutReport report = CheckLayout6(image, options);
  EXPECT_EQ(report.problems.size(), 10u);
  EXPECT_GT(report.problems_suppressed, 0u);
  EXPECT_FALSE(report.ok());
}

TEST(Layout6Check, ResolveRefusesAnAbsurdDbSize) {
  std::vector<uint8_t> image = ReferenceImage();
  SuperblockFields f = ReferenceFields();
  f.db_size = uint64_t{1} << 50;
  f.page_count = 1;
  WriteSuperblock(image, f);
  const LayoutReport report = CheckLayout6(image);
  EXPECT_THROW(ResolveLogicalImage(SpanSource(image), report), std::length_error);
}

TEST(Layout6Check, CompareLogicalLocatesTheFirstDifference) {
  std::vector<uint8_t> expected = ReferenceLogicalFile();
  std::vector<uint8_t> actual = expected;
  actual[kPage + 17] ^= 1;
  std::vector<Problem> problems = CompareLogical(expected, actual);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], (Problem{ProblemKind::kLogicalDiffers, kPage + 17, problems[0].message}));
  actual = expected;
  actual.push_back(0);
  problems = CompareLogical(expected, actual);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].offset_bytes, expected.size());
}

TEST(Layout6Check, PageMapListingNamesEveryExtentAndPage) {
  const LayoutReport report = CheckLayout6(ReferenceImage());
  const std::string listing = FormatPageMap(report);
  EXPECT_NE(listing.find("0x10000 +16384 page 0 <- 0x1c000"), std::string::npos) << listing;
  EXPECT_NE(listing.find("0x1c000 +2048 segment 0 <- 0x1c800"), std::string::npos) << listing;
  EXPECT_NE(listing.find("0x1c800 +8 root <- 0x78"), std::string::npos) << listing;
  EXPECT_NE(listing.find("page 3 -> 0x18000"), std::string::npos) << listing;
  const std::string summary = FormatReport(report);
  EXPECT_NE(summary.find("no problems"), std::string::npos) << summary;
}

}  // namespace
}  // namespace stablevfs::check
