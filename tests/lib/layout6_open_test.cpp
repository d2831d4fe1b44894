// Layout::Open tests: what it creates, what it accepts and what it refuses to touch.
//
// Goal: an empty memory gets a fresh superblock in one 64 KiB page; a reopen decodes the same superblock;
// anything that is not ours (no magic), not a version we read, or damaged is refused with the right code and
// without a single byte written or a single page grown. Method: each test builds the memory image by hand
// (HeapStableMemory::Assign), opens it, and compares the whole image and its size before and after. Damaged
// images that still carry a valid meta checksum are built with the superblock encoder, so the test reaches
// the page-map bounds checks behind the checksum.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "failpoints/registry.h"
#include "lib/layout/little_endian.h"
#include "lib/layout/superblock.h"
#include "tests/lib/layout_testing.h"

namespace stablevfs {
namespace {

using layout6::EncodeSuperblock;
using layout6::FreshMeta;
using testing::kPage;

class LayoutOpenTest : public ::testing::Test {
 protected:
  // Opens `memory` expecting `code`, and checks that nothing was written or grown.
  void ExpectRefused(HeapStableMemory& memory, ErrorCode code, const std::string& message_part = {}) {
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

  // A one-page image whose superblock is `meta`, grown to `pages`.
  static HeapStableMemory ImageWith(const Meta& meta, uint64_t pages = 1) {
    HeapStableMemory memory;
    std::vector<uint8_t> image(pages * kWasmPageBytes, 0);
    const layout6::SuperblockBytes sb = EncodeSuperblock(meta);
    std::copy(sb.begin(), sb.end(), image.begin());
    memory.Assign(std::move(image));
    return memory;
  }

  fp::ScopedRegistryReset reset_;
};

TEST_F(LayoutOpenTest, EmptyMemoryGetsAFreshSuperblockInOnePage) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = testing::OpenOrDie(memory);
  ASSERT_NE(layout, nullptr);
  EXPECT_EQ(memory.size_pages(), 1u);
  EXPECT_EQ(layout->meta(), FreshMeta());
  EXPECT_EQ(std::memcmp(memory.bytes().data(), "ICSQLITE", 8), 0);
  // Only the superblock was written: the rest of the region stays zero.
  EXPECT_TRUE(std::all_of(memory.bytes().begin() + layout6::kSuperblockBytes, memory.bytes().end(),
                          [](uint8_t b) { return b == 0; }));
  EXPECT_TRUE(layout->Validate().ok());
  EXPECT_EQ(testing::ReadPageOf(*layout, 0), std::vector<uint8_t>(kPage, 0));
}

TEST_F(LayoutOpenTest, ReopenSeesTheSameMeta) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> first = testing::OpenOrDie(memory);
  ASSERT_TRUE(testing::PublishPages(*first, {{0, 1}, {1, 2}}).ok());
  Meta stored = first->meta();
  stored.schema_version = 5;
  ASSERT_TRUE(first->StoreMeta(stored).ok());
  const std::vector<uint8_t> image = memory.bytes();

  std::unique_ptr<Layout> second = testing::OpenOrDie(memory);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->meta(), first->meta());
  EXPECT_EQ(second->meta().schema_version, 5u);
  EXPECT_EQ(testing::ReadPageOf(*second, 1), testing::PagePattern(2));
  EXPECT_TRUE(memory.bytes() == image) << "reopening an image wrote to it";
}

TEST_F(LayoutOpenTest, AllZeroMemoryIsTreatedAsEmpty) {
  // What a crash between the first grow and the first superblock write leaves: zeros, nothing to lose.
  HeapStableMemory memory;
  memory.Assign(std::vector<uint8_t>(2 * kWasmPageBytes, 0));
  std::unique_ptr<Layout> layout = testing::OpenOrDie(memory);
  ASSERT_NE(layout, nullptr);
  EXPECT_EQ(memory.size_pages(), 2u) << "no grow needed";
  EXPECT_EQ(layout->meta(), FreshMeta());
  EXPECT_TRUE(layout->Validate().ok());
}

TEST_F(LayoutOpenTest, SqliteFileIsForeign) {
  HeapStableMemory memory;
  std::vector<uint8_t> image(kWasmPageBytes, 0);
  std::memcpy(image.data(), "SQLite format 3\0", 16);
  image[16] = 0x40;  // page size 16384, big-endian as SQLite stores it
  memory.Assign(image);
  ExpectRefused(memory, ErrorCode::kForeignImage);
}

TEST_F(LayoutOpenTest, RandomBytesAreForeign) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<uint8_t> image(3 * kWasmPageBytes);
    for (uint8_t& b : image) b = static_cast<uint8_t>(rng());
    HeapStableMemory memory;
    memory.Assign(image);
    ExpectRefused(memory, ErrorCode::kForeignImage);
  }
}

TEST_F(LayoutOpenTest, ZeroHeaderWithDataBehindItIsForeign) {
  // The first 8 bytes are zero, but the memory is not empty: someone else's data, and a fresh superblock
  // followed by commits at 64 KiB would overwrite it.
  HeapStableMemory memory;
  std::vector<uint8_t> image(2 * kWasmPageBytes, 0);
  image[kWasmPageBytes + 7] = 1;
  memory.Assign(image);
  ExpectRefused(memory, ErrorCode::kForeignImage);
}

TEST_F(LayoutOpenTest, MemoryManagerHeaderIsForeign) {
  HeapStableMemory memory;
  std::vector<uint8_t> image(kWasmPageBytes, 0);
  std::memcpy(image.data(), "MGR\x01", 4);
  memory.Assign(image);
  ExpectRefused(memory, ErrorCode::kForeignImage);
}

TEST_F(LayoutOpenTest, LaterVersionIsUnsupportedAndNamed) {
  Meta meta = FreshMeta();
  meta.version = 8;
  HeapStableMemory memory = ImageWith(meta);
  ExpectRefused(memory, ErrorCode::kUnsupportedVersion, "version 8");
}

TEST_F(LayoutOpenTest, UnsupportedLayoutVersionIsNamed) {
  Meta meta = FreshMeta();
  meta.layout_version = 9;
  HeapStableMemory memory = ImageWith(meta);
  ExpectRefused(memory, ErrorCode::kUnsupportedVersion, "9");
}

TEST_F(LayoutOpenTest, BadMetaChecksumIsCorrupt) {
  HeapStableMemory memory = ImageWith(FreshMeta());
  std::vector<uint8_t> image = memory.bytes();
  image[20] ^= 1;  // inside db_size
  memory.Assign(image);
  ExpectRefused(memory, ErrorCode::kCorrupt, "checksum");
}

TEST_F(LayoutOpenTest, RootTableOutOfBoundsIsCorrupt) {
  Meta meta = FreshMeta();
  meta.db_size = kPage;
  meta.page_count = 1;
  meta.page_table_offset = 5 * kWasmPageBytes;  // past the end of a 2-page memory
  HeapStableMemory memory = ImageWith(meta, 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "root table");
}

TEST_F(LayoutOpenTest, RootTableInsideTheSuperblockRegionIsCorrupt) {
  Meta meta = FreshMeta();
  meta.db_size = kPage;
  meta.page_count = 1;
  meta.page_table_offset = 1024;
  HeapStableMemory memory = ImageWith(meta, 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "root table");
}

TEST_F(LayoutOpenTest, SegmentTableOutOfBoundsIsCorrupt) {
  Meta meta = FreshMeta();
  meta.db_size = kPage;
  meta.page_count = 1;
  meta.page_table_offset = kWasmPageBytes;
  HeapStableMemory memory = ImageWith(meta, 2);
  std::vector<uint8_t> image = memory.bytes();
  StoreU64Le(std::span<uint8_t>(image).subspan(kWasmPageBytes), 2 * kWasmPageBytes - 1000);  // runs off the end
  memory.Assign(image);
  ExpectRefused(memory, ErrorCode::kCorrupt, "segment 0");
}

TEST_F(LayoutOpenTest, PageOutOfBoundsIsCorrupt) {
  Meta meta = FreshMeta();
  meta.db_size = kPage;
  meta.page_count = 1;
  meta.page_table_offset = kWasmPageBytes;
  HeapStableMemory memory = ImageWith(meta, 2);
  std::vector<uint8_t> image = memory.bytes();
  StoreU64Le(std::span<uint8_t>(image).subspan(kWasmPageBytes), kWasmPageBytes + 2048);  // segment table
  StoreU64Le(std::span<uint8_t>(image).subspan(kWasmPageBytes + 2048), 9 * kWasmPageBytes);  // page 0
  memory.Assign(image);
  ExpectRefused(memory, ErrorCode::kCorrupt, "logical page 0");
}

TEST_F(LayoutOpenTest, RootCountThatDisagreesWithDbSizeIsCorrupt) {
  Meta meta = FreshMeta();
  meta.db_size = 300 * kPage;  // needs 2 segments
  meta.page_count = 1;
  meta.page_table_offset = kWasmPageBytes;
  HeapStableMemory memory = ImageWith(meta, 2);
  ExpectRefused(memory, ErrorCode::kCorrupt, "root entry count");
}

TEST_F(LayoutOpenTest, FreshOpenThatCannotGrowIsCapacity) {
  HeapStableMemory memory(/*max_pages=*/0);
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory);
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.status().code(), ErrorCode::kCapacity);
  EXPECT_EQ(layout.status().current_pages(), 0u);
  EXPECT_EQ(layout.status().required_pages(), 1u);
  EXPECT_EQ(memory.size_pages(), 0u);
}

TEST_F(LayoutOpenTest, InjectedGrowFailureOnFreshOpenIsCapacity) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  HeapStableMemory memory;
  ASSERT_TRUE(fp::Arm("memory.grow=error").ok());
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory);
  EXPECT_EQ(layout.status().code(), ErrorCode::kCapacity);
  EXPECT_EQ(memory.size_pages(), 0u);
}

}  // namespace
}  // namespace stablevfs
