// Layout 8 open tests: registration, formatting, dispatch, and what Open refuses to touch.
//
// Goal: layout 8 is registered with its declared facts (name, magic, version, trap-rollback promise, exactly
// the sites its code evaluates, all catalogued); a fresh memory opened with layout 8 preferred gets a
// 160-byte superblock in one 64 KiB page; Layout::Open sends any version-8 image to layout 8 without being
// asked; a reopen decodes the same superblock, zero extents included, and writes nothing; and every image
// ic-sqlite-vfs 2.x would refuse, or that points outside its memory, is refused with the right code without
// a single byte written or a page grown. Method: images built by hand (HeapStableMemory::Assign) with the
// layout 8 encoder, so that damaged fields still carry a valid meta checksum and reach the layout's checks
// behind the codec's; a recording decorator to prove that an open writes nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "failpoints/registry.h"
#include "lib/core/failpoint_catalogue.h"
#include "lib/layout/layout8.h"
#include "lib/layout/little_endian.h"
#include "lib/layout/superblock8.h"
#include "tests/lib/layout_testing.h"

namespace stablevfs {
namespace {

using layout8::EncodeSuperblock;
using layout8::FreshMeta;
using layout8::ZeroExtent;
using layout8::ZeroExtents;
using testing::kPage;

class Layout8OpenTest : public ::testing::Test {
 protected:
  // Opens `memory` (through the registry, with no preference) expecting `code`, and checks that nothing was
  // written or grown.
  static void ExpectRefused(HeapStableMemory& memory, ErrorCode code, const std::string& message_part = {}) {
    const std::vector<uint8_t> before = memory.bytes();
    Result<std::unique_ptr<Layout>> layout = Layout::Open(memory);
    ASSERT_FALSE(layout.ok());
    EXPECT_EQ(layout.status().code(), code) << layout.status().ToString();
    if (!message_part.empty()) {
      EXPECT_NE(layout.status().message().find(message_part), std::string::npos) << layout.status().message();
    }
    EXPECT_EQ(memory.bytes().size(), before.size()) << "Open grew a memory it refused";
    EXPECT_TRUE(memory.bytes() == before) << "Open wrote to a memory it refused";
  }

  // An image of `pages` 64 KiB pages whose superblock encodes (meta, extents).
  static HeapStableMemory ImageWith(const Meta& meta, const ZeroExtents& extents = {}, uint64_t pages = 1) {
    HeapStableMemory memory;
    std::vector<uint8_t> image(pages * kWasmPageBytes, 0);
    const std::vector<uint8_t> sb = EncodeSuperblock(meta, extents);
    std::copy(sb.begin(), sb.end(), image.begin());
    memory.Assign(std::move(image));
    return memory;
  }

  // A consistent meta for a file of `db_pages` pages at 64 KiB.
  static Meta MetaOfPages(uint64_t db_pages) {
    Meta meta = FreshMeta();
    meta.db_size = db_pages * kPage;
    meta.page_count = db_pages;
    return meta;
  }

  fp::ScopedRegistryReset reset_;
};

TEST_F(Layout8OpenTest, RegisteredWithItsDeclaredFacts) {
  const LayoutInfo& info = testing::Layout8Info();
  EXPECT_EQ(info.name, "8");
  EXPECT_EQ(info.magic, kIcSqliteMagic);
  EXPECT_EQ(info.version, 8u);
  EXPECT_EQ(info.atomicity, CommitAtomicity::kTrapRollback);
  EXPECT_EQ(info.sites, (std::vector<std::string>{"commit.capacity", "memory.grow", "commit.page_write_in_place",
                                                  "commit.superblock_store"}));
  EXPECT_FALSE(info.Reaches("commit.page_table_write")) << "layout 6's sites are not layout 8's";
  for (const std::string& site : info.sites) {
    const auto catalogue = LibraryFailpoints();
    EXPECT_TRUE(std::any_of(catalogue.begin(), catalogue.end(), [&](const fp::SiteInfo& s) { return s.name == site; }))
        << site << " is not catalogued";
  }
  EXPECT_EQ(LayoutRegistry::Global().FindStored(kIcSqliteMagic, 8), &info);
  const std::vector<const LayoutInfo*> builtins = LayoutRegistry::Global().Builtins();
  EXPECT_NE(std::find(builtins.begin(), builtins.end(), &info), builtins.end());
  EXPECT_EQ(DefaultLayout().name, "6") << "a fresh memory without a preference still gets layout 6";
}

TEST_F(Layout8OpenTest, EmptyMemoryGetsAFreshSuperblockInOnePage) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = testing::OpenLayout8OrDie(memory);
  ASSERT_NE(layout, nullptr);
  EXPECT_EQ(memory.size_pages(), 1u);
  EXPECT_EQ(layout->meta(), FreshMeta());
  const std::vector<uint8_t> sb = EncodeSuperblock(FreshMeta(), ZeroExtents());
  ASSERT_EQ(sb.size(), 160u);
  EXPECT_TRUE(std::equal(sb.begin(), sb.end(), memory.bytes().begin()));
  EXPECT_TRUE(std::all_of(memory.bytes().begin() + 160, memory.bytes().end(), [](uint8_t b) { return b == 0; }))
      << "only the 160-byte superblock was written";
  EXPECT_TRUE(layout->Validate().ok());
  EXPECT_EQ(testing::ReadPageOf(*layout, 0), std::vector<uint8_t>(kPage, 0));
  EXPECT_TRUE(testing::AsLayout8(*layout).zero_extents().empty());
}

TEST_F(Layout8OpenTest, AllZeroMemoryIsFormattedAsTheChosenLayout) {
  HeapStableMemory memory;
  memory.Assign(std::vector<uint8_t>(2 * kWasmPageBytes, 0));
  std::unique_ptr<Layout> layout = testing::OpenLayout8OrDie(memory);
  ASSERT_NE(layout, nullptr);
  EXPECT_EQ(memory.size_pages(), 2u) << "no grow needed";
  EXPECT_EQ(layout->meta(), FreshMeta());
}

TEST_F(Layout8OpenTest, AVersionEightImageOpensAsLayout8WithoutAPreference) {
  HeapStableMemory memory;
  ASSERT_NE(testing::OpenLayout8OrDie(memory), nullptr);
  const LayoutInfo* opened_as = nullptr;
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory, nullptr, &opened_as);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  ASSERT_NE(opened_as, nullptr);
  EXPECT_EQ(opened_as->name, "8");
  EXPECT_NE(dynamic_cast<const layout8::Layout8*>(layout->get()), nullptr);
  // And preferring layout 6 does not turn a layout 8 image into something else.
  layout = Layout::Open(memory, &DefaultLayout(), &opened_as);
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(opened_as->name, "8");
}

TEST_F(Layout8OpenTest, ReopenSeesTheSameMetaAndWritesNothing) {
  HeapStableMemory heap;
  std::unique_ptr<Layout> first = testing::OpenLayout8OrDie(heap);
  // Pages 0 and 3 of a 6-page file: [1, 3) and [4, 6) are zero extents.
  ASSERT_TRUE(testing::PublishPages(*first, {{0, 1}, {3, 4}, {5, 6}}).ok());
  Overlay cut = testing::MakeOverlay(*first);
  ASSERT_TRUE(cut.Truncate(5 * kPage).ok());
  ASSERT_TRUE(first->Publish(cut).ok());
  Meta stored = first->meta();
  stored.schema_version = 5;
  ASSERT_TRUE(first->StoreMeta(stored).ok());
  const std::vector<uint8_t> image = heap.bytes();

  testing::RecordingMemory memory(heap);
  Result<std::unique_ptr<layout8::Layout8>> second = layout8::Layout8::Open(memory);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ((*second)->meta(), first->meta());
  EXPECT_EQ((*second)->meta().schema_version, 5u);
  EXPECT_EQ((*second)->zero_extents(), testing::AsLayout8(*first).zero_extents());
  EXPECT_EQ((*second)->zero_extents().extents(), (std::vector<ZeroExtent>{{1, 3}, {4, 6}}));
  EXPECT_EQ(testing::ReadPageOf(**second, 3), testing::PagePattern(4));
  EXPECT_TRUE(memory.events.empty()) << "opening an image wrote to it or grew it";
  EXPECT_TRUE(heap.bytes() == image);
}

TEST_F(Layout8OpenTest, ALayoutSixImageIsUnsupportedByLayout8) {
  // ic-sqlite-vfs 2.x refuses a layout 6 image (UnsupportedLayoutVersion(6)); so does Layout8::Open.
  HeapStableMemory memory;
  ASSERT_NE(testing::OpenOrDie(memory), nullptr);  // the default: layout 6
  ASSERT_TRUE(testing::PublishPages(*testing::OpenOrDie(memory), {{0, 1}}).ok());
  const std::vector<uint8_t> before = memory.bytes();
  Result<std::unique_ptr<layout8::Layout8>> layout = layout8::Layout8::Open(memory);
  EXPECT_EQ(layout.status().code(), ErrorCode::kUnsupportedVersion) << layout.status().ToString();
  EXPECT_TRUE(memory.bytes() == before);
}

// ---- What the codec refuses, through Layout::Open ----

TEST_F(Layout8OpenTest, ForeignBytesAreForeign) {
  HeapStableMemory memory = ImageWith(FreshMeta());
  std::vector<uint8_t> image = memory.bytes();
  std::memcpy(image.data(), "SQLite f", 8);
  memory.Assign(image);
  ExpectRefused(memory, ErrorCode::kForeignImage);
}

TEST_F(Layout8OpenTest, AnotherLayoutVersionUnderVersionEightIsUnsupported) {
  Meta meta = FreshMeta();
  meta.layout_version = 6;
  HeapStableMemory memory = ImageWith(meta);
  ExpectRefused(memory, ErrorCode::kUnsupportedVersion, "layout version 6");
}

TEST_F(Layout8OpenTest, BadMetaChecksumIsCorrupt) {
  HeapStableMemory memory = ImageWith(MetaOfPages(2), ZeroExtents::Normalize({{1, 2}}), 2);
  std::vector<uint8_t> image = memory.bytes();
  image[168] ^= 1;  // inside extent 0's end page: covered by the checksum
  memory.Assign(image);
  ExpectRefused(memory, ErrorCode::kCorrupt, "checksum");
}

TEST_F(Layout8OpenTest, TooManyExtentsAreCorrupt) {
  HeapStableMemory memory = ImageWith(FreshMeta());
  std::vector<uint8_t> image = memory.bytes();
  StoreU64Le(std::span<uint8_t>(image).subspan(144), 1025);
  memory.Assign(image);
  ExpectRefused(memory, ErrorCode::kCorrupt, "1024");
}

TEST_F(Layout8OpenTest, OtherPageSizeIsUnsupported) {
  Meta meta = FreshMeta();
  meta.page_size = 4096;
  HeapStableMemory memory = ImageWith(meta);
  ExpectRefused(memory, ErrorCode::kUnsupportedVersion, "4096");
}

// ---- What the layout refuses behind the codec ----

TEST_F(Layout8OpenTest, PageCountThatDisagreesWithDbSizeIsCorrupt) {
  Meta meta = MetaOfPages(2);
  meta.page_count = 3;
  HeapStableMemory memory = ImageWith(meta, {}, 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "page_count 3");
  meta.db_size = 2 * kPage + 1;  // needs 3 pages
  meta.page_count = 2;
  memory = ImageWith(meta, {}, 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "page_count 2");
}

TEST_F(Layout8OpenTest, APageTableOffsetIsCorrupt) {
  Meta meta = MetaOfPages(1);
  meta.page_table_offset = kWasmPageBytes;
  HeapStableMemory memory = ImageWith(meta, {}, 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "page_table_offset");
}

TEST_F(Layout8OpenTest, ImageInsideTheSuperblockRegionIsCorrupt) {
  Meta meta = MetaOfPages(1);
  meta.db_base_offset = 16384;
  HeapStableMemory memory = ImageWith(meta, {}, 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "db_base_offset 16384");
}

TEST_F(Layout8OpenTest, ImagePastTheEndOfTheMemoryIsCorrupt) {
  // 5 pages at 64 KiB end at 64 KiB + 80 KiB: a 2-page memory is 16 KiB short.
  HeapStableMemory memory = ImageWith(MetaOfPages(5), {}, 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "does not fit");
  // Also when the pages past the end are all zero extents: their space must still be there.
  memory = ImageWith(MetaOfPages(5), ZeroExtents::Normalize({{1, 5}}), 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "does not fit");
  // A base past the memory, and sums that would overflow 64 bits, are refused, not wrapped around.
  Meta meta = MetaOfPages(0);
  meta.db_base_offset = 3 * kWasmPageBytes;
  memory = ImageWith(meta, {}, 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "does not fit");
  meta = MetaOfPages(2);
  meta.db_base_offset = std::numeric_limits<uint64_t>::max() - kPage;
  memory = ImageWith(meta, {}, 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "does not fit");
  meta = MetaOfPages(0);
  meta.db_size = std::numeric_limits<uint64_t>::max();
  meta.page_count = layout8::PageCountFor(meta.db_size);
  memory = ImageWith(meta, {}, 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "does not fit");
}

TEST_F(Layout8OpenTest, ImageThatEndsExactlyAtTheEndOfTheMemoryOpens) {
  HeapStableMemory memory = ImageWith(MetaOfPages(4), {}, 2);  // 64 KiB + 4 * 16 KiB = 128 KiB
  std::unique_ptr<Layout> layout = testing::OpenOrDie(memory);
  ASSERT_NE(layout, nullptr);
  EXPECT_TRUE(layout->Validate().ok());
  EXPECT_EQ(testing::ReadPageOf(*layout, 3), std::vector<uint8_t>(kPage, 0));
}

TEST_F(Layout8OpenTest, MisplacedImportStagingIsCorrupt) {
  // A 3-page memory; the active image is empty.
  struct Case {
    uint64_t base, total, written;
    const char* why;
  };
  const std::vector<Case> cases = {
      {2 * kWasmPageBytes, 4 * kPage + 1, 0, "one page past the end"},
      {1024, kPage, 0, "inside the superblock region"},
      {4 * kWasmPageBytes, 0, 0, "base past the end"},
      {2 * kWasmPageBytes, 100, 101, "written past the total"},
      {2 * kWasmPageBytes, std::numeric_limits<uint64_t>::max(), 0, "a total that would overflow"},
      {std::numeric_limits<uint64_t>::max() - 10, kPage, 0, "a base that would overflow"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    Meta meta = FreshMeta();
    meta.flags = kFlagImporting;
    meta.import_base_offset = c.base;
    meta.import_total_size = c.total;
    meta.import_written_until = c.written;
    HeapStableMemory memory = ImageWith(meta, {}, 3);
    ExpectRefused(memory, ErrorCode::kCorrupt, "import");
  }
  // The same fields without the importing flag are not an import, and open (as layout 6 treats them).
  Meta meta = FreshMeta();
  meta.import_base_offset = 1024;
  meta.import_total_size = 1ull << 40;
  HeapStableMemory memory = ImageWith(meta, {}, 3);
  EXPECT_NE(testing::OpenOrDie(memory), nullptr);
}

TEST_F(Layout8OpenTest, FreshOpenThatCannotGrowIsCapacity) {
  HeapStableMemory memory(/*max_pages=*/0);
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory, &testing::Layout8Info());
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.status().code(), ErrorCode::kCapacity);
  EXPECT_EQ(layout.status().current_pages(), 0u);
  EXPECT_EQ(layout.status().required_pages(), 1u);
  EXPECT_EQ(memory.size_pages(), 0u);
}

TEST_F(Layout8OpenTest, InjectedGrowFailureOnFreshOpenIsCapacity) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  HeapStableMemory memory;
  ASSERT_TRUE(fp::Arm("memory.grow=error").ok());
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory, &testing::Layout8Info());
  EXPECT_EQ(layout.status().code(), ErrorCode::kCapacity);
  EXPECT_EQ(memory.size_pages(), 0u);
  EXPECT_EQ(fp::Hits("memory.grow"), 1u);
}

}  // namespace
}  // namespace stablevfs
