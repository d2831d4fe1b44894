// Goal: show that the independent layout-8 checker (harness/check/layout8_check.h) decodes every image the
// library writes to exactly the logical file the library reads from it, that every rule it promises is
// reported with the kind and the byte offset where the evidence lies, and that fsck and the library agree:
// every image the library's Layout8::Open refuses is one the checker finds a problem in, and every image the
// library writes checks clean. The checker registry and the library's layout registry are held together too.
//
// Method: the images are made by the library itself (Layout::Open with layout 8, publishing overlays that
// write, truncate and regrow, and a Db running real SQL), because the checker must agree with what the
// library really writes, byte for byte. A correct image must check clean, and ResolveLogicalImage must equal
// the library's ReadPage, page by page. Each rule is then broken by hand on a copy of the reference image: a
// field rewritten in place, with the meta checksum recomputed by the checker's own raw codec
// (ComputeMetaChecksum8) when the damage is elsewhere, so that the rule under test, not the checksum, is what
// the image breaks. One table of damages serves both the rule tests (kind and offset) and the agreement test
// (the library refuses, the checker reports).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/check/builtin_checkers.h"
#include "harness/check/checker_registry.h"
#include "harness/check/layout8_check.h"
#include "harness/check/raw_codec.h"
#include "harness/check/transition.h"
#include "lib/db/db.h"
#include "lib/layout/layout.h"
#include "lib/layout/layout_registry.h"
#include "lib/layout/overlay.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs::check {
namespace {

constexpr uint64_t kWasmPage = 65536;
constexpr uint64_t kPage = 16384;
constexpr uint64_t kBase = 65536;  // db_base_offset of a fresh image
constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

std::string Dump(const LayoutReport& report) { return FormatReport(report) + FormatPageMap(report); }

// ---- Images made by the library ---------------------------------------------------------------------------

const LayoutInfo& Layout8Info() {
  const LayoutInfo* info = LayoutRegistry::Global().Find("8");
  if (info == nullptr) throw std::runtime_error("layout 8 is not registered");
  return *info;
}

// Page contents nobody could confuse: every byte depends on the tag and its position, and few are zero.
std::vector<uint8_t> Content(uint64_t tag) {
  std::vector<uint8_t> page(kPage);
  for (uint64_t i = 0; i < kPage; ++i) page[i] = static_cast<uint8_t>(((tag * 131 + i * 7) % 255) + 1);
  return page;
}

// Formats `memory` (empty) as layout 8, or opens the layout 8 image it holds.
std::unique_ptr<Layout> OpenLayout8(HeapStableMemory& memory) {
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory, &Layout8Info());
  if (!layout.ok()) throw std::runtime_error("Layout::Open: " + layout.status().ToString());
  return std::move(layout).value();
}

// One commit: an optional truncation first, then whole pages {logical page, tag}.
void Commit(Layout& layout, const std::vector<std::pair<uint64_t, uint64_t>>& pages,
            std::optional<uint64_t> truncate_to = std::nullopt) {
  Overlay overlay(layout.meta().db_size,
                  [&layout](uint64_t page_no, std::span<uint8_t> out) { return layout.ReadPage(page_no, out); });
  if (truncate_to) {
    const Status s = overlay.Truncate(*truncate_to);
    if (!s.ok()) throw std::runtime_error("Truncate: " + s.ToString());
  }
  for (const auto& [page_no, tag] : pages) {
    const Status s = overlay.Write(page_no * kPage, Content(tag));
    if (!s.ok()) throw std::runtime_error("Write: " + s.ToString());
  }
  const Status s = layout.Publish(overlay);
  if (!s.ok()) throw std::runtime_error("Publish: " + s.ToString());
}

// The logical file as the library reads it from `image`: ReadPage for every page, trimmed to db_size.
std::vector<uint8_t> LibraryLogicalFile(const std::vector<uint8_t>& image) {
  HeapStableMemory memory;
  memory.Assign(image);
  const std::unique_ptr<Layout> layout = OpenLayout8(memory);
  const uint64_t db_size = layout->meta().db_size;
  std::vector<uint8_t> file;
  std::vector<uint8_t> page(kPage);
  for (uint64_t p = 0; p * kPage < db_size; ++p) {
    const Status s = layout->ReadPage(p, page);
    if (!s.ok()) throw std::runtime_error("ReadPage: " + s.ToString());
    file.insert(file.end(), page.begin(), page.end());
  }
  file.resize(db_size);
  return file;
}

// The reference image, made by the library in two commits:
//   1. pages 0, 1, 3, 4, 5 with tags 10, 11, 13, 14, 15: six pages, page 2 never written (extent [2, 3));
//   2. a truncation to 3 pages + 100 bytes: page 3 keeps its first 100 bytes, pages 4 and 5 are cut
//      (extent [4, 6)) but their bytes stay in place.
// Memory: 64 KiB + 6 x 16 KiB rounds up to 3 Wasm pages (192 KiB).
constexpr uint64_t kRefDbSize = 3 * kPage + 100;
constexpr uint64_t kRefMemory = 3 * kWasmPage;

std::vector<uint8_t> ReferenceImage() {
  HeapStableMemory memory;
  const std::unique_ptr<Layout> layout = OpenLayout8(memory);
  Commit(*layout, {{0, 10}, {1, 11}, {3, 13}, {4, 14}, {5, 15}});
  Commit(*layout, {}, kRefDbSize);
  return memory.bytes();
}

std::vector<uint8_t> ReferenceLogicalFile() {
  std::vector<uint8_t> file(kRefDbSize, 0);
  for (const auto& [p, tag] : std::vector<std::pair<uint64_t, uint64_t>>{{0, 10}, {1, 11}, {3, 13}}) {
    const std::vector<uint8_t> content = Content(tag);
    const uint64_t length = std::min<uint64_t>(kPage, kRefDbSize - p * kPage);
    std::copy_n(content.begin(), length, file.begin() + static_cast<std::ptrdiff_t>(p * kPage));
  }
  return file;
}

// ---- Hand damage ---------------------------------------------------------------------------------------------

void Put64(std::vector<uint8_t>& image, uint64_t offset, uint64_t value) {
  for (int i = 0; i < 8; ++i) image.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
}
void Put32(std::vector<uint8_t>& image, uint64_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i) image.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
}

// Recomputes the meta checksum over the encoded length the stored count names, with the checker's codec.
// REQUIRES: the stored count is at most 1,024.
void Reseal(std::vector<uint8_t>& image) {
  const uint64_t count = LoadLe64(image, 144);
  Put64(image, 152, ComputeMetaChecksum8(std::span<const uint8_t>(image).first(160 + 16 * count)));
}

// Rewrites the extent list (count and entries) and reseals.
void SetExtents(std::vector<uint8_t>& image, const std::vector<std::pair<uint64_t, uint64_t>>& extents) {
  Put64(image, 144, extents.size());
  for (size_t i = 0; i < extents.size(); ++i) {
    Put64(image, 160 + 16 * i, extents[i].first);
    Put64(image, 168 + 16 * i, extents[i].second);
  }
  Reseal(image);
}

// A 64-bit field rewritten and resealed.
std::function<void(std::vector<uint8_t>&)> Field(uint64_t offset, uint64_t value) {
  return [=](std::vector<uint8_t>& image) {
    Put64(image, offset, value);
    Reseal(image);
  };
}

// An import in progress: importing set, staging at `base` for `total` bytes of which `written` are staged.
std::function<void(std::vector<uint8_t>&)> Import(uint64_t base, uint64_t total, uint64_t written) {
  return [=](std::vector<uint8_t>& image) {
    Put64(image, 40, LoadLe64(image, 40) | kFlagImporting);
    Put64(image, 64, written);
    Put64(image, 72, total);
    Put64(image, 80, base);
    Reseal(image);
  };
}

struct Damage {
  const char* what;
  std::function<void(std::vector<uint8_t>&)> apply;  // applied to a copy of ReferenceImage()
  ProblemKind kind;                                  // the problem the checker must report ...
  uint64_t offset;                                   // ... here
  bool library_refuses;                              // Layout8::Open refuses the damaged image
};

// Every damage the tests apply. Those with library_refuses are every refusal of Layout8::Open (layout8.h,
// superblock8.h): magic, version, layout version, extent count, meta checksum, normalization (empty,
// descending, overlapping, adjacent), page size, page_count, page_table_offset, db_base_offset in the
// superblock region, the in-place pages past the memory (mapped, only zero extents, a base past the memory,
// sums that overflow), and a misplaced import staging area. The two refusals a 64 KiB memory cannot show (an
// empty memory and a count whose encoding runs past the memory) have their own tests below.
std::vector<Damage> Damages() {
  return {
      {"bad magic", [](std::vector<uint8_t>& image) { image[3] = 'X'; }, ProblemKind::kBadMagic, 0, true},
      {"version 9",
       [](std::vector<uint8_t>& image) {
         Put32(image, 8, 9);
         Reseal(image);
       },
       ProblemKind::kBadVersion, 8, true},
      {"layout_version 6", Field(136, 6), ProblemKind::kBadLayoutVersion, 136, true},
      {"page size 4096",
       [](std::vector<uint8_t>& image) {
         Put32(image, 12, 4096);
         Reseal(image);
       },
       ProblemKind::kBadPageSize, 12, true},
      {"1,025 zero extents", [](std::vector<uint8_t>& image) { Put64(image, 144, 1025); }, ProblemKind::kZeroExtents,
       144, true},
      {"a count near 2^64", [](std::vector<uint8_t>& image) { Put64(image, 144, kMaxU64); },
       ProblemKind::kZeroExtents, 144, true},
      {"flipped extent byte", [](std::vector<uint8_t>& image) { image[168] ^= 1; }, ProblemKind::kMetaChecksum, 152,
       true},
      {"flipped checksum byte", [](std::vector<uint8_t>& image) { image[155] ^= 0x80; }, ProblemKind::kMetaChecksum,
       152, true},
      {"db_size changed without resealing", [](std::vector<uint8_t>& image) { image[16] ^= 1; },
       ProblemKind::kMetaChecksum, 152, true},
      {"empty extent",
       [](std::vector<uint8_t>& image) { SetExtents(image, {{2, 3}, {4, 4}}); }, ProblemKind::kZeroExtents, 176,
       true},
      {"inverted extent",
       [](std::vector<uint8_t>& image) { SetExtents(image, {{3, 2}}); }, ProblemKind::kZeroExtents, 160, true},
      {"descending extents",
       [](std::vector<uint8_t>& image) { SetExtents(image, {{4, 6}, {2, 3}}); }, ProblemKind::kZeroExtents, 176,
       true},
      {"overlapping extents",
       [](std::vector<uint8_t>& image) { SetExtents(image, {{1, 3}, {2, 6}}); }, ProblemKind::kZeroExtents, 176,
       true},
      {"adjacent extents",
       [](std::vector<uint8_t>& image) { SetExtents(image, {{2, 3}, {3, 6}}); }, ProblemKind::kZeroExtents, 176,
       true},
      {"page_count too large", Field(128, 5), ProblemKind::kPageCount, 128, true},
      {"page_count too small", Field(128, 3), ProblemKind::kPageCount, 128, true},
      {"a page table", Field(120, 2 * kWasmPage), ProblemKind::kRootTable, 120, true},
      {"db_base_offset inside the superblock region", Field(112, 16384), ProblemKind::kDbBaseOffset, 112, true},
      {"db_base_offset 0", Field(112, 0), ProblemKind::kDbBaseOffset, 112, true},
      {"a mapped page past the memory", Field(112, 2 * kWasmPage + kPage), ProblemKind::kOutOfBounds, 112, true},
      {"only zero-extent pages past the memory",
       [](std::vector<uint8_t>& image) {
         // 9 pages at 64 KiB end at 208 KiB, 16 KiB past the memory; page 8 lies in the extent [4, 9).
         Put64(image, 16, 9 * kPage);
         Put64(image, 128, 9);
         SetExtents(image, {{2, 3}, {4, 9}});
       },
       ProblemKind::kOutOfBounds, 112, true},
      {"an empty file based past the memory",
       [](std::vector<uint8_t>& image) {
         Put64(image, 16, 0);
         Put64(image, 128, 0);
         Put64(image, 112, 4 * kWasmPage);
         SetExtents(image, {});
       },
       ProblemKind::kOutOfBounds, 112, true},
      {"a base whose pages overflow 64 bits", Field(112, kMaxU64 - kPage), ProblemKind::kOutOfBounds, 112, true},
      {"db_size near 2^64",
       [](std::vector<uint8_t>& image) {
         Put64(image, 16, kMaxU64);
         Put64(image, 128, kMaxU64 / kPage + 1);
         Reseal(image);
       },
       ProblemKind::kOutOfBounds, 112, true},
      {"staging one page past the memory", Import(2 * kWasmPage, 4 * kPage + 1, 0), ProblemKind::kImportState, 80,
       true},
      {"staging inside the superblock region", Import(1024, kPage, 0), ProblemKind::kImportState, 80, true},
      {"an empty import inside the superblock region", Import(1024, 0, 0), ProblemKind::kImportState, 80, true},
      {"an empty import based past the memory", Import(4 * kWasmPage, 0, 0), ProblemKind::kImportState, 80, true},
      {"staged bytes past the memory", Import(kRefMemory - 100, 1000, 1000), ProblemKind::kImportState, 80, true},
      {"written past the total", Import(2 * kWasmPage, 100, 101), ProblemKind::kImportState, 64, true},
      {"an import total near 2^64", Import(2 * kWasmPage, kMaxU64, 0), ProblemKind::kImportState, 80, true},
      {"an import base near 2^64", Import(kMaxU64 - 10, kPage, 0), ProblemKind::kImportState, 80, true},
      // The checker's rules past the library's: the library opens these images.
      {"db_base_offset off the 16 KiB grid", Field(112, kBase + 8), ProblemKind::kDbBaseOffset, 112, false},
      {"unknown flag bits", Field(40, kFlagChecksumStale | 8), ProblemKind::kUnknownFlags, 40, false},
      {"staging over the in-place pages", Import(kBase + kPage, kPage, 0), ProblemKind::kImportState, 80, false},
      {"staged bytes over an active page", Import(kBase, kPage, 100), ProblemKind::kImportState, 80, false},
      {"import fields without the importing flag", Field(64, 5), ProblemKind::kImportState, 64, false},
      {"a refresh of an older tx",
       [](std::vector<uint8_t>& image) {
         Put64(image, 40, kFlagChecksumStale | kFlagChecksumRefreshing);
         Put64(image, 104, 1);  // last_tx_id is 2
         Reseal(image);
       },
       ProblemKind::kRefreshState, 104, false},
  };
}

// ---- Clean images ----------------------------------------------------------------------------------------

TEST(Layout8Check, FreshImageIsClean) {
  HeapStableMemory memory;
  OpenLayout8(memory);
  const LayoutReport report = CheckLayout8(memory.bytes());
  ASSERT_TRUE(report.ok()) << Dump(report);
  EXPECT_TRUE(report.decoded);
  EXPECT_EQ(report.layout, "8");
  const SuperblockFields& sb = report.superblock;
  EXPECT_EQ(sb.version, 8u);
  EXPECT_EQ(sb.layout_version, 8u);
  EXPECT_EQ(sb.db_base_offset, kBase);
  EXPECT_EQ(sb.raw.size(), 160u);
  EXPECT_EQ(sb.meta_checksum, sb.computed_meta_checksum);
  EXPECT_EQ(sb.layout_fields, (std::vector<LayoutField>{{"zero_extent_count", 144, 0}}));
  EXPECT_TRUE(report.mappings.empty());
  EXPECT_EQ(report.extents, (std::vector<Extent>{{ExtentKind::kSuperblock, 0, kWasmPage, 0, 0}}));
  EXPECT_EQ(report.space.allocated_bytes, kWasmPage);
  EXPECT_EQ(report.space.active_bytes, kWasmPage);
  EXPECT_EQ(report.space.orphan_bytes, 0u);
  EXPECT_TRUE(ResolveLogicalImage(SpanSource(memory.bytes()), report).empty());
}

TEST(Layout8Check, ReferenceImageIsCleanAndResolvesAsTheLibraryReads) {
  const std::vector<uint8_t> image = ReferenceImage();
  ASSERT_EQ(image.size(), kRefMemory);
  const LayoutReport report = CheckLayout8(image);
  ASSERT_TRUE(report.ok()) << Dump(report);
  const SuperblockFields& sb = report.superblock;
  EXPECT_EQ(sb.db_size, kRefDbSize);
  EXPECT_EQ(sb.page_count, 4u);
  EXPECT_EQ(sb.last_tx_id, 2u);
  EXPECT_EQ(sb.raw.size(), 160u + 2 * 16);
  EXPECT_EQ(sb.layout_fields, (std::vector<LayoutField>{{"zero_extent_count", 144, 2},
                                                         {"zero_extent.0.start", 160, 2},
                                                         {"zero_extent.0.end", 168, 3},
                                                         {"zero_extent.1.start", 176, 4},
                                                         {"zero_extent.1.end", 184, 6}}));

  EXPECT_EQ(report.mappings, (std::vector<PageMapping>{{0, kBase, 112, true},
                                                       {1, kBase + kPage, 112, true},
                                                       {3, kBase + 3 * kPage, 112, true}}));
  EXPECT_EQ(report.Find(2), nullptr) << "inside a zero extent";
  EXPECT_EQ(report.extents, (std::vector<Extent>{{ExtentKind::kSuperblock, 0, kWasmPage, 0, 0},
                                                 {ExtentKind::kPage, kBase, kPage, 0, 112},
                                                 {ExtentKind::kPage, kBase + kPage, kPage, 1, 112},
                                                 {ExtentKind::kPage, kBase + 3 * kPage, kPage, 3, 112}}));

  const SpanSource source(image);
  EXPECT_EQ(ResolveLogicalImage(source, report), ReferenceLogicalFile());
  EXPECT_EQ(ResolveLogicalImage(source, report), LibraryLogicalFile(image));
  std::vector<uint8_t> page(kPage, 0xAA);
  ReadLogicalPage(source, report, 1, page);
  EXPECT_EQ(page, Content(11));
}

TEST(Layout8Check, SpaceAccountingFollowsTheLibrarysArithmetic) {
  const LayoutReport report = CheckLayout8(ReferenceImage());
  const SpaceAccounting& space = report.space;
  EXPECT_EQ(space.allocated_bytes, kRefMemory);
  EXPECT_EQ(space.mapped_pages, 3u) << "pages 0, 1, 3: page 2 is a zero extent";
  EXPECT_EQ(space.active_bytes, kWasmPage + 3 * kPage);
  EXPECT_EQ(space.orphan_bytes, kRefMemory - (kWasmPage + 3 * kPage));
  EXPECT_EQ(space.orphan_ratio_bp, 81920u * 10000 / kRefMemory);  // 4166
  EXPECT_FALSE(space.compaction_recommended);
  EXPECT_EQ(space.segments, 0u);

  // The library's own Stats agree.
  HeapStableMemory memory;
  memory.Assign(ReferenceImage());
  const LayoutStats stats = OpenLayout8(memory)->Stats();
  EXPECT_EQ(stats.mapped_pages, space.mapped_pages);
  EXPECT_EQ(stats.active_bytes, space.active_bytes);
  EXPECT_EQ(stats.orphan_bytes, space.orphan_bytes);
  EXPECT_EQ(stats.orphan_ratio_bp, space.orphan_ratio_bp);
}

TEST(Layout8Check, ZeroExtentsHideStaleBytesStillInPlace) {
  // The library cuts the file to one page, then regrows it to four writing only page 3: pages 1 and 2 still
  // hold their old bytes in place, but the zero extent [1, 3) makes them read as zeros.
  HeapStableMemory memory;
  const std::unique_ptr<Layout> layout = OpenLayout8(memory);
  Commit(*layout, {{0, 20}, {1, 21}, {2, 22}, {3, 23}});
  Commit(*layout, {}, kPage);
  Commit(*layout, {{3, 33}});
  const std::vector<uint8_t> image = memory.bytes();
  ASSERT_EQ(std::vector<uint8_t>(image.begin() + kBase + kPage, image.begin() + kBase + 2 * kPage), Content(21))
      << "the stale bytes are really there";

  const LayoutReport report = CheckLayout8(image);
  ASSERT_TRUE(report.ok()) << Dump(report);
  EXPECT_EQ(report.superblock.layout_fields[0].value, 1u);
  EXPECT_EQ(report.Find(1), nullptr);
  EXPECT_EQ(report.Find(2), nullptr);
  const std::vector<uint8_t> file = ResolveLogicalImage(SpanSource(image), report);
  EXPECT_TRUE(std::all_of(file.begin() + kPage, file.begin() + 3 * kPage, [](uint8_t b) { return b == 0; }));
  EXPECT_EQ(file, LibraryLogicalFile(image));
  EXPECT_EQ(report.space.mapped_pages, 2u);
}

TEST(Layout8Check, DbMadeImageIsCleanAndResolvesAsTheLibraryReads) {
  // Real SQL on layout 8 with auto_vacuum=FULL, so that a large delete shrinks the file and leaves extents.
  HeapStableMemory memory;
  {
    DbOptions options;
    options.layout = &Layout8Info();
    options.auto_vacuum = AutoVacuum::kFull;
    Result<std::unique_ptr<Db>> db = Db::Init(memory, options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    const auto fill = [](Connection& c) -> Status {
      STABLEVFS_RETURN_IF_ERROR(c.Execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
      for (int64_t i = 0; i < 300; ++i) {
        const std::vector<Value> p = {Value{i}, Value{std::string(1000, static_cast<char>('a' + i % 26))}};
        STABLEVFS_RETURN_IF_ERROR(c.Execute("INSERT INTO t(id, v) VALUES(?1, ?2)", p));
      }
      return Status::Ok();
    };
    ASSERT_TRUE((*db)->Update(fill).ok());
    ASSERT_TRUE((*db)->Update([](Connection& c) { return c.Execute("DELETE FROM t WHERE id >= 40"); }).ok());
  }
  const std::vector<uint8_t> image = memory.bytes();
  const LayoutReport report = CheckLayout8(image);
  ASSERT_TRUE(report.ok()) << Dump(report);
  EXPECT_GT(report.superblock.layout_fields[0].value, 0u) << "the shrink left zero extents";
  EXPECT_GT(report.mappings.size(), 1u);
  const std::vector<uint8_t> file = ResolveLogicalImage(SpanSource(image), report);
  ASSERT_EQ(file.size(), report.superblock.db_size);
  EXPECT_EQ(std::memcmp(file.data(), "SQLite format 3", 16), 0);
  const std::vector<uint8_t> library = LibraryLogicalFile(image);
  ASSERT_EQ(file.size(), library.size());
  for (uint64_t p = 0; p * kPage < file.size(); ++p) {
    const auto begin = static_cast<std::ptrdiff_t>(p * kPage);
    const auto end = static_cast<std::ptrdiff_t>(std::min<uint64_t>(file.size(), (p + 1) * kPage));
    EXPECT_TRUE(std::equal(file.begin() + begin, file.begin() + end, library.begin() + begin)) << "page " << p;
  }
}

TEST(Layout8Check, StableMemorySpanAndSuperblockFunctionAgree) {
  const std::vector<uint8_t> image = ReferenceImage();
  HeapStableMemory memory;
  memory.Assign(image);
  const LayoutReport from_memory = CheckLayout8(memory);
  const LayoutReport from_span = CheckLayout8(image);
  EXPECT_TRUE(from_memory.ok());
  EXPECT_EQ(from_memory.mappings, from_span.mappings);
  EXPECT_EQ(from_memory.extents, from_span.extents);
  EXPECT_EQ(from_memory.superblock.raw, from_span.superblock.raw);

  const std::optional<SuperblockFields> sb = Layout8Checker().superblock(SpanSource(image));
  ASSERT_TRUE(sb.has_value());
  EXPECT_EQ(sb->raw, from_span.superblock.raw) << "160 + 16 * 2 bytes, nothing more";
  EXPECT_EQ(sb->layout_fields, from_span.superblock.layout_fields);
  EXPECT_EQ(sb->meta_checksum, sb->computed_meta_checksum);
  EXPECT_FALSE(Layout8Checker().superblock(SpanSource(std::span<const uint8_t>(image).first(159))).has_value());
}

TEST(Layout8Check, BytesPastTheEncodedLengthAreIgnored) {
  // An older, longer list leaves a third extent behind the two the superblock names.
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, 192, 0);
  Put64(image, 200, 1);  // [0, 1) would hide page 0 if it counted
  const LayoutReport report = CheckLayout8(image);
  EXPECT_TRUE(report.ok()) << Dump(report);
  EXPECT_NE(report.Find(0), nullptr);
}

// ---- Every rule, at its offset -----------------------------------------------------------------------------

TEST(Layout8Check, EveryDamageIsReportedWithItsKindAtItsOffset) {
  for (const Damage& damage : Damages()) {
    SCOPED_TRACE(damage.what);
    std::vector<uint8_t> image = ReferenceImage();
    damage.apply(image);
    const LayoutReport report = CheckLayout8(image);
    EXPECT_TRUE(report.Has(damage.kind, damage.offset))
        << "expected " << ProblemKindName(damage.kind) << " at " << damage.offset << "\n" << Dump(report);
  }
}

TEST(Layout8Check, TooSmallAndEmptySources) {
  LayoutReport report = CheckLayout8(std::vector<uint8_t>{});
  EXPECT_FALSE(report.decoded);
  EXPECT_TRUE(report.Has(ProblemKind::kTooSmall, 0)) << Dump(report);
  const std::vector<uint8_t> image = ReferenceImage();
  report = CheckLayout8(std::span<const uint8_t>(image).first(159));
  EXPECT_FALSE(report.decoded);
  EXPECT_TRUE(report.Has(ProblemKind::kTooSmall, 0)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kImageSize, 159));
  // 160 bytes with no extents are a whole superblock (still not a whole memory).
  std::vector<uint8_t> fresh(kWasmPage, 0);
  {
    HeapStableMemory memory;
    OpenLayout8(memory);
    fresh = memory.bytes();
  }
  report = CheckLayout8(std::span<const uint8_t>(fresh).first(160));
  EXPECT_TRUE(report.decoded);
  EXPECT_FALSE(report.Has(ProblemKind::kTooSmall)) << Dump(report);
}

TEST(Layout8Check, SizeNotAWholeNumberOfWasmPages) {
  std::vector<uint8_t> image = ReferenceImage();
  image.pop_back();
  const LayoutReport report = CheckLayout8(image);
  EXPECT_TRUE(report.Has(ProblemKind::kImageSize, image.size())) << Dump(report);
}

TEST(Layout8Check, BadMagicStopsDecoding) {
  std::vector<uint8_t> image = ReferenceImage();
  image[0] = 'i';
  const LayoutReport report = CheckLayout8(image);
  EXPECT_FALSE(report.decoded);
  ASSERT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kBadMagic, 0));
  EXPECT_THROW(ResolveLogicalImage(SpanSource(image), report), std::invalid_argument);
}

TEST(Layout8Check, VersionsAndPageSizeAreEachReportedAndDecodingContinues) {
  std::vector<uint8_t> image = ReferenceImage();
  Put32(image, 8, 6);
  Put32(image, 12, 4096);
  Put64(image, 136, 7);
  Reseal(image);
  const LayoutReport report = CheckLayout8(image);
  EXPECT_TRUE(report.Has(ProblemKind::kBadVersion, 8)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kBadPageSize, 12));
  EXPECT_TRUE(report.Has(ProblemKind::kBadLayoutVersion, 136));
  EXPECT_FALSE(report.Has(ProblemKind::kMetaChecksum));
  EXPECT_EQ(report.problems.size(), 3u);
  EXPECT_EQ(report.mappings.size(), 3u) << "the pages were still resolved";
}

TEST(Layout8Check, TooManyExtentsStopDecodingTheList) {
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, 144, 1025);
  const LayoutReport report = CheckLayout8(image);
  ASSERT_TRUE(report.Has(ProblemKind::kZeroExtents, 144)) << Dump(report);
  EXPECT_NE(report.problems[0].message.find("exceeds the limit of 1024"), std::string::npos) << Dump(report);
  EXPECT_FALSE(report.Has(ProblemKind::kMetaChecksum)) << "the span it covers is unknown";
  EXPECT_EQ(report.superblock.layout_fields, (std::vector<LayoutField>{{"zero_extent_count", 144, 1025}}));
  EXPECT_EQ(report.superblock.computed_meta_checksum, 0u);
  EXPECT_EQ(report.superblock.raw.size(), 160u);
  // Without a list the pages resolve as if there were no extents: page 2 maps in place.
  ASSERT_NE(report.Find(2), nullptr);
  EXPECT_EQ(report.space.mapped_pages, 4u);
}

TEST(Layout8Check, EncodedLengthPastTheSource) {
  // A source of 200 bytes whose superblock names 3 extents (208 bytes).
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, 144, 3);
  const LayoutReport report = CheckLayout8(std::span<const uint8_t>(image).first(200));
  EXPECT_TRUE(report.decoded);
  EXPECT_TRUE(report.Has(ProblemKind::kZeroExtents, 144)) << Dump(report);
  EXPECT_FALSE(report.Has(ProblemKind::kMetaChecksum));
  const std::optional<SuperblockFields> sb =
      Layout8Checker().superblock(SpanSource(std::span<const uint8_t>(image).first(200)));
  ASSERT_TRUE(sb.has_value());
  EXPECT_EQ(sb->raw.size(), 160u) << "only the fixed part is read";
}

TEST(Layout8Check, ExtentsThatAreNotNormalizedAreReportedEachAtItsEntry) {
  std::vector<uint8_t> image = ReferenceImage();
  SetExtents(image, {{2, 3}, {3, 3}, {1, 2}, {5, 9}, {9, 10}});
  const LayoutReport report = CheckLayout8(image);
  EXPECT_FALSE(report.Has(ProblemKind::kZeroExtents, 160)) << Dump(report);  // [2, 3) is fine
  EXPECT_TRUE(report.Has(ProblemKind::kZeroExtents, 176));                   // empty
  EXPECT_TRUE(report.Has(ProblemKind::kZeroExtents, 192));                   // descending
  EXPECT_FALSE(report.Has(ProblemKind::kZeroExtents, 208));                  // [5, 9) follows [1, 2) properly
  EXPECT_TRUE(report.Has(ProblemKind::kZeroExtents, 224));                   // adjacent to [5, 9)
  EXPECT_FALSE(report.Has(ProblemKind::kMetaChecksum));
  // The list still resolves as the union of its non-empty ranges: pages 1 and 2 read as zeros, 0 and 3 map.
  EXPECT_EQ(report.Find(1), nullptr);
  EXPECT_EQ(report.Find(2), nullptr);
  EXPECT_NE(report.Find(0), nullptr);
  EXPECT_NE(report.Find(3), nullptr);
  EXPECT_EQ(report.space.mapped_pages, 2u);
}

TEST(Layout8Check, APagePastTheMemoryIsOutOfBoundsAndUnreadable) {
  // The base moved so that pages 0..2 fit (144 KiB + 3 x 16 KiB = 192 KiB) and page 3 lies past the end.
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, 112, 2 * kWasmPage + kPage);
  Reseal(image);
  const LayoutReport report = CheckLayout8(image);
  EXPECT_TRUE(report.Has(ProblemKind::kOutOfBounds, 112)) << Dump(report);
  EXPECT_EQ(report.problems.size(), 1u);
  const PageMapping* page3 = report.Find(3);
  ASSERT_NE(page3, nullptr);
  EXPECT_FALSE(page3->readable);
  EXPECT_EQ(page3->physical_offset, 2 * kWasmPage + 4 * kPage);
  EXPECT_TRUE(report.Find(0)->readable);
  EXPECT_EQ(report.extents.size(), 3u) << "the superblock and pages 0 and 1; no extent for an unreadable page";
  const std::vector<uint8_t> file = ResolveLogicalImage(SpanSource(image), report);
  EXPECT_TRUE(std::all_of(file.begin() + 3 * kPage, file.end(), [](uint8_t b) { return b == 0; }));
  EXPECT_EQ(report.space.mapped_pages, 3u) << "an unreadable page is still a mapped page";
}

TEST(Layout8Check, AnAbsurdDbSizeListsFewMappingsAndDoesNotExhaustTheHeap) {
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, 16, uint64_t{1} << 50);
  Put64(image, 128, uint64_t{1} << 36);
  Reseal(image);
  const LayoutReport report = CheckLayout8(image);
  EXPECT_TRUE(report.Has(ProblemKind::kOutOfBounds, 112)) << FormatReport(report);
  // 8 pages fit (64 KiB + 8 x 16 KiB = 192 KiB), 3 of them in extents; then the capped unreadable ones.
  EXPECT_EQ(report.mappings.size(), 5u + layout8::kUnreadableMappingsListed);
  EXPECT_EQ(report.space.mapped_pages, (uint64_t{1} << 36) - 3);
  EXPECT_EQ(report.space.orphan_bytes, 0u);
  EXPECT_THROW(ResolveLogicalImage(SpanSource(image), report), std::length_error);
}

TEST(Layout8Check, ImportStagingInProgressIsCleanWhereTheLibraryPutsIt) {
  // The library's own import staging: at the high-water mark, partly written.
  HeapStableMemory memory;
  memory.Assign(ReferenceImage());
  const std::unique_ptr<Layout> layout = OpenLayout8(memory);
  ASSERT_TRUE(layout->BeginImportStaging(2 * kPage + 10, 1234).ok());
  const std::vector<uint8_t> bytes = Content(40);
  ASSERT_TRUE(layout->StageImportBytes(0, bytes).ok());
  const LayoutReport report = CheckLayout8(memory.bytes());
  EXPECT_TRUE(report.ok()) << Dump(report);
  EXPECT_TRUE(report.superblock.importing());
  EXPECT_EQ(report.superblock.import_base_offset, kRefMemory);

  // Its publish moves the base and clears the extents.
  ASSERT_TRUE(layout->StageImportBytes(kPage, std::vector<uint8_t>(kPage + 10, 7)).ok());
  ASSERT_TRUE(layout->PublishImport().ok());
  const LayoutReport published = CheckLayout8(memory.bytes());
  EXPECT_TRUE(published.ok()) << Dump(published);
  EXPECT_EQ(published.superblock.db_base_offset, kRefMemory);
  EXPECT_EQ(published.mappings.size(), 3u);
  EXPECT_EQ(ResolveLogicalImage(SpanSource(memory.bytes()), published), LibraryLogicalFile(memory.bytes()));
}

TEST(Layout8Check, StagedBytesOverAnActivePageNameThePage) {
  // The family's rule (CheckImportStaging) speaks first and names the page the staged bytes touch; layout 8's
  // broader rules (the whole staging area against the whole in-place region) do not repeat the finding.
  std::vector<uint8_t> image = ReferenceImage();
  Import(kBase + kPage + 8, kPage, 100)(image);
  const LayoutReport report = CheckLayout8(image);
  ASSERT_EQ(report.problems.size(), 1u) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kImportState, 80));
  EXPECT_NE(report.problems[0].message.find("logical page 1"), std::string::npos) << Dump(report);
}

TEST(Layout8Check, EveryProblemIsListedNotOnlyTheFirst) {
  std::vector<uint8_t> image = ReferenceImage();
  Put64(image, 112, 16384);  // base inside the superblock region
  Put64(image, 120, 8);      // a page table
  Put64(image, 128, 9);      // page_count
  Put64(image, 40, 2 | 16);  // unknown flags
  SetExtents(image, {{2, 3}, {3, 6}});
  const LayoutReport report = CheckLayout8(image);
  EXPECT_TRUE(report.Has(ProblemKind::kDbBaseOffset, 112)) << Dump(report);
  EXPECT_TRUE(report.Has(ProblemKind::kRootTable, 120));
  EXPECT_TRUE(report.Has(ProblemKind::kPageCount, 128));
  EXPECT_TRUE(report.Has(ProblemKind::kUnknownFlags, 40));
  EXPECT_TRUE(report.Has(ProblemKind::kZeroExtents, 176));
  // Pages below 64 KiB are in the superblock region's extent, never a page extent of their own.
  for (const Extent& e : report.extents) {
    if (e.kind == ExtentKind::kPage) {
      EXPECT_GE(e.offset_bytes, kWasmPage);
    }
  }
}

// ---- The judge's view: what an error must leave alone -------------------------------------------------------

TEST(Layout8Check, ActiveStateCoversTheMappedPagesInPlaceAndNothingElse) {
  const std::vector<uint8_t> before = ReferenceImage();
  // A commit that overwrote logical page 1 in place and then returned an error: a difference.
  std::vector<uint8_t> after = before;
  after[kBase + kPage + 5] ^= 0xFF;
  std::vector<Problem> problems = CompareActiveState(SpanSource(before), SpanSource(after), "8");
  ASSERT_EQ(problems.size(), 1u) << FormatProblems(problems);
  EXPECT_EQ(problems[0].kind, ProblemKind::kActiveStateDiffers);
  EXPECT_EQ(problems[0].offset_bytes, kBase + kPage + 5);

  // Pages inside a zero extent or past page_count, and growth, are not active state: a commit that failed
  // before its superblock store may leave bytes there.
  after = before;
  after[kBase + 2 * kPage] ^= 0xFF;      // page 2: zero extent
  after[kBase + 5 * kPage + 9] ^= 0xFF;  // page 5: past page_count
  after.resize(after.size() + kWasmPage, 0x55);
  problems = CompareActiveState(SpanSource(before), SpanSource(after), "8");
  EXPECT_TRUE(problems.empty()) << FormatProblems(problems);
}

// ---- Dispatch, agreement with the library, registries -------------------------------------------------------

TEST(Layout8Check, CheckImageDispatchesVersionEightHere) {
  const std::vector<uint8_t> image = ReferenceImage();
  const SpanSource source(image);
  const CheckerInfo* checker = CheckerFor(source);
  ASSERT_NE(checker, nullptr);
  EXPECT_EQ(checker->name, "8");
  const LayoutReport report = CheckImage(source);
  EXPECT_EQ(report.layout, "8");
  EXPECT_TRUE(report.ok()) << Dump(report);
  EXPECT_EQ(report.mappings, CheckLayout8(image).mappings);
  const std::optional<SuperblockFields> sb = DecodeSuperblock(source);
  ASSERT_TRUE(sb.has_value());
  EXPECT_EQ(sb->layout_fields.size(), 5u);
  // A version no checker reads is still refused by the registry.
  std::vector<uint8_t> nine = image;
  Put32(nine, 8, 9);
  EXPECT_TRUE(CheckImage(SpanSource(nine)).Has(ProblemKind::kBadVersion, 8));
}

// Opens `image` with the library both ways a caller can: the registry's dispatch and layout 8's own open.
// Returns true when both open it; checks that a refusal wrote nothing.
bool LibraryOpens(const std::vector<uint8_t>& image) {
  HeapStableMemory memory;
  memory.Assign(image);
  const Result<std::unique_ptr<Layout>> dispatched = Layout::Open(memory);
  const Result<std::unique_ptr<Layout>> direct = Layout8Info().open(memory);
  EXPECT_EQ(dispatched.ok(), direct.ok()) << dispatched.status().ToString() << " / " << direct.status().ToString();
  if (!direct.ok()) {
    EXPECT_TRUE(memory.bytes() == image) << "the library wrote to an image it refused";
  }
  return dispatched.ok() && direct.ok();
}

TEST(Layout8Check, FsckAgreesWithTheLibraryOnEveryRefusal) {
  for (const Damage& damage : Damages()) {
    SCOPED_TRACE(damage.what);
    std::vector<uint8_t> image = ReferenceImage();
    damage.apply(image);
    const LayoutReport report = CheckLayout8(image);
    EXPECT_FALSE(report.ok()) << "the checker found nothing";
    EXPECT_EQ(!LibraryOpens(image), damage.library_refuses) << Dump(report);
  }
  // An empty memory: Layout8::Open refuses it (Layout::Open would format it instead), and fsck says so.
  HeapStableMemory empty;
  EXPECT_FALSE(Layout8Info().open(empty).ok());
  EXPECT_TRUE(CheckLayout8(empty).Has(ProblemKind::kTooSmall, 0));
}

TEST(Layout8Check, FsckAgreesWithTheLibraryOnCleanImages) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> images;
  {
    HeapStableMemory memory;
    OpenLayout8(memory);
    images.emplace_back("fresh", memory.bytes());
  }
  images.emplace_back("reference", ReferenceImage());
  {
    // The file ends exactly at the end of the memory: 64 KiB + 8 x 16 KiB = 192 KiB.
    std::vector<uint8_t> image = ReferenceImage();
    Put64(image, 16, 8 * kPage);
    Put64(image, 128, 8);
    SetExtents(image, {{2, 3}, {4, 8}});
    images.emplace_back("ends at the end of the memory", image);
  }
  {
    // Extents past page_count are harmless (the library leaves them after a shrink).
    std::vector<uint8_t> image = ReferenceImage();
    SetExtents(image, {{2, 3}, {4, 6}, {100, 200}});
    images.emplace_back("extents past page_count", image);
  }
  {
    std::vector<uint8_t> image = ReferenceImage();
    Import(2 * kWasmPage, 4 * kPage, 4 * kPage)(image);
    images.emplace_back("a complete import at the high-water mark", image);
  }
  for (const auto& [what, image] : images) {
    SCOPED_TRACE(what);
    EXPECT_TRUE(LibraryOpens(image));
    const LayoutReport report = CheckLayout8(image);
    EXPECT_TRUE(report.ok()) << Dump(report);
  }
}

TEST(Layout8Check, CheckerRegistryAndLayoutRegistryAgree) {
  for (const LayoutInfo* layout : LayoutRegistry::Global().Builtins()) {
    SCOPED_TRACE("layout " + layout->name);
    const CheckerInfo* checker = CheckerRegistry::Global().Find(layout->name);
    ASSERT_NE(checker, nullptr) << "no checker for a builtin layout";
    EXPECT_EQ(checker->magic, layout->magic);
    EXPECT_EQ(checker->version, layout->version);
  }
  for (const CheckerInfo& checker : BuiltinCheckers()) {
    SCOPED_TRACE("checker " + checker.name);
    const LayoutInfo* layout = LayoutRegistry::Global().Find(checker.name);
    ASSERT_NE(layout, nullptr) << "a builtin checker for no layout";
    EXPECT_EQ(layout->magic, checker.magic);
    EXPECT_EQ(layout->version, checker.version);
  }
  EXPECT_EQ(BuiltinCheckers().size(), LayoutRegistry::Global().Builtins().size());
}

}  // namespace
}  // namespace stablevfs::check
