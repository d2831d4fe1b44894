// Layout sv1 (docs/layout-sv1.md): what sets it apart from the contract every layout keeps.
//
// Goal: the two superblock slots alternate with rising sequence numbers, and a superblock write torn at any
// byte leaves, after a reopen, the old state or the new one; every commit reuses the space the one before it
// freed, so repeated commits of the same size stop growing the memory; a fresh 8-page database fits in three
// 64 KiB pages; imports reuse the space of the image they replace; the encoder and decoder agree byte for byte
// and the decoder refuses what the specification calls invalid; Open refuses the inconsistent images the
// specification lists. Method: layouts on a HeapStableMemory driven through overlays (tests/lib/layout_testing.h),
// with the memory's bytes copied, spliced and reopened to model torn writes exactly.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "lib/layout/layout_sv1.h"
#include "lib/layout/little_endian.h"
#include "tests/lib/layout_testing.h"

namespace stablevfs {
namespace {

using sv1::LayoutSv1;
using testing::kPage;
using testing::MakeOverlay;
using testing::PagePattern;
using testing::PublishPages;
using testing::ReadPageOf;

std::unique_ptr<LayoutSv1> OpenSv1(StableMemory& memory) {
  const LayoutInfo* info = LayoutRegistry::Global().Find("sv1");
  EXPECT_NE(info, nullptr);
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory, info);
  EXPECT_TRUE(layout.ok()) << layout.status().ToString();
  if (!layout.ok()) return nullptr;
  return std::unique_ptr<LayoutSv1>(dynamic_cast<LayoutSv1*>(std::move(layout).value().release()));
}

HeapStableMemory CopyOf(const HeapStableMemory& memory) {
  HeapStableMemory copy;
  copy.Assign(memory.bytes());
  return copy;
}

TEST(LayoutSv1Test, SlotsAlternateWithRisingSequences) {
  HeapStableMemory memory;
  std::unique_ptr<LayoutSv1> layout = OpenSv1(memory);
  ASSERT_NE(layout, nullptr);
  EXPECT_EQ(layout->active_slot(), 0);
  EXPECT_EQ(layout->sequence(), 1u);
  for (uint64_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(PublishPages(*layout, {{i, 100 + i}}).ok());
    EXPECT_EQ(layout->sequence(), 2 + i);
    EXPECT_EQ(layout->active_slot(), static_cast<int>((i + 1) % 2));
    std::unique_ptr<LayoutSv1> reopened = OpenSv1(memory);
    ASSERT_NE(reopened, nullptr);
    EXPECT_EQ(reopened->sequence(), layout->sequence());
    EXPECT_EQ(reopened->meta(), layout->meta());
  }
}

// Every prefix of the superblock write of a commit, spliced over the old slot, reopens as the old state or
// the new one: never a third state, never a refusal.
TEST(LayoutSv1Test, ASuperblockTornAtAnyByteLeavesTheOldOrTheNewState) {
  HeapStableMemory memory;
  std::unique_ptr<LayoutSv1> layout = OpenSv1(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}, {1, 2}, {2, 3}}).ok());
  ASSERT_TRUE(PublishPages(*layout, {{0, 11}}).ok());  // slot B now older than A
  const HeapStableMemory before = CopyOf(memory);
  const Meta old_meta = layout->meta();
  Overlay overlay = MakeOverlay(*layout);
  ASSERT_TRUE(overlay.Write(1 * kPage, PagePattern(21)).ok());
  ASSERT_TRUE(overlay.Truncate(2 * kPage).ok());
  ASSERT_TRUE(overlay.Write(4 * kPage, PagePattern(24)).ok());
  ASSERT_TRUE(layout->Publish(overlay).ok());
  const Meta new_meta = layout->meta();
  const uint64_t slot_at = static_cast<uint64_t>(layout->active_slot()) * sv1::kSlotBytes;
  const uint64_t encoded = sv1::EncodedBytes(layout->roots().size());
  const std::vector<uint8_t>& after = memory.bytes();
  int old_states = 0, new_states = 0;
  for (uint64_t k = 0; k <= encoded; ++k) {
    std::vector<uint8_t> torn = after;  // the pages and chunks of the commit landed, its superblock in part
    std::copy(before.bytes().begin() + static_cast<ptrdiff_t>(slot_at + k),
              before.bytes().begin() + static_cast<ptrdiff_t>(slot_at + encoded),
              torn.begin() + static_cast<ptrdiff_t>(slot_at + k));
    HeapStableMemory crashed;
    crashed.Assign(torn);
    std::unique_ptr<LayoutSv1> reopened = OpenSv1(crashed);
    ASSERT_NE(reopened, nullptr) << "torn at byte " << k;
    if (reopened->meta().last_tx_id == old_meta.last_tx_id) {
      ++old_states;
      EXPECT_EQ(ReadPageOf(*reopened, 0), PagePattern(11)) << k;
      EXPECT_EQ(ReadPageOf(*reopened, 1), PagePattern(2)) << k;
      EXPECT_EQ(ReadPageOf(*reopened, 2), PagePattern(3)) << k;
    } else {
      ++new_states;
      EXPECT_EQ(reopened->meta().last_tx_id, new_meta.last_tx_id) << k;
      EXPECT_EQ(ReadPageOf(*reopened, 1), PagePattern(21)) << k;
      EXPECT_EQ(ReadPageOf(*reopened, 2), std::vector<uint8_t>(kPage, 0)) << k;
      EXPECT_EQ(ReadPageOf(*reopened, 4), PagePattern(24)) << k;
    }
    EXPECT_TRUE(reopened->Validate().ok()) << k;
  }
  EXPECT_GT(old_states, 0);
  EXPECT_GE(new_states, 1) << "the complete write is the new state (and any prefix that already equals it)";
}

TEST(LayoutSv1Test, RepeatedCommitsReuseTheSpaceTheOneBeforeFreed) {
  HeapStableMemory memory;
  std::unique_ptr<LayoutSv1> layout = OpenSv1(memory);
  std::vector<uint64_t> sizes;
  for (uint64_t round = 0; round < 30; ++round) {
    std::vector<std::pair<uint64_t, uint64_t>> pages;
    for (uint64_t p = 0; p < 20; ++p) pages.emplace_back(p, round * 100 + p);
    ASSERT_TRUE(PublishPages(*layout, pages).ok());
    sizes.push_back(memory.size_pages());
  }
  for (size_t i = 2; i < sizes.size(); ++i) EXPECT_EQ(sizes[i], sizes[1]) << "round " << i;
  // 20 live pages, 20 being written, a chunk each way, the header: 16 KiB + 40 * 16 KiB + chunks < 11 * 64 KiB.
  EXPECT_LE(sizes.back(), 11u);
  for (uint64_t p = 0; p < 20; ++p) EXPECT_EQ(ReadPageOf(*layout, p), PagePattern(2900 + p));
}

TEST(LayoutSv1Test, AFreshEightPageDatabaseFitsInThreeWasmPages) {
  HeapStableMemory memory;
  std::unique_ptr<LayoutSv1> layout = OpenSv1(memory);
  std::vector<std::pair<uint64_t, uint64_t>> pages;
  for (uint64_t p = 0; p < 8; ++p) pages.emplace_back(p, p);
  ASSERT_TRUE(PublishPages(*layout, pages).ok());
  EXPECT_LE(memory.size_bytes(), 196608u) << "the header, 8 slots and a chunk: 148 KiB";
}

TEST(LayoutSv1Test, ImportsReuseTheSpaceOfTheImageTheyReplace) {
  HeapStableMemory memory;
  std::unique_ptr<LayoutSv1> layout = OpenSv1(memory);
  std::vector<uint8_t> image(10 * kPage, 7);
  std::vector<uint64_t> sizes;
  for (int round = 0; round < 4; ++round) {
    image[0] = static_cast<uint8_t>(round);
    ASSERT_TRUE(layout->BeginImportStaging(image.size(), 5).ok());
    ASSERT_TRUE(layout->StageImportBytes(0, image).ok());
    ASSERT_TRUE(layout->PublishImport().ok());
    EXPECT_EQ(ReadPageOf(*layout, 0)[0], round);
    sizes.push_back(memory.size_pages());
    ASSERT_TRUE(layout->Validate().ok());
  }
  EXPECT_EQ(sizes[3], sizes[1]) << "the third and fourth imports stage where an earlier image lived";
}

TEST(LayoutSv1Test, EncodeAndDecodeAgreeByteForByte) {
  sv1::Slot slot;
  slot.meta.version = sv1::kVersion;
  slot.meta.page_size = kDbPageBytes;
  slot.meta.layout_version = sv1::kLayoutVersion;
  slot.meta.db_size = 3000 * kPage;
  slot.meta.page_count = 3000;
  slot.meta.db_base_offset = sv1::kHeaderBytes;
  slot.meta.last_tx_id = 42;
  slot.sequence = 9;
  slot.roots = {4, 0, 7};
  const std::vector<uint8_t> bytes = sv1::EncodeSlot(slot);
  ASSERT_EQ(bytes.size(), 168u + 12u);
  EXPECT_TRUE(std::equal(sv1::kMagic.begin(), sv1::kMagic.end(), bytes.begin()));
  EXPECT_EQ(LoadU32Le(std::span(bytes).subspan(8)), 1u);
  EXPECT_EQ(LoadU64Le(std::span(bytes).subspan(32)), 42u);
  EXPECT_EQ(LoadU64Le(std::span(bytes).subspan(144)), 9u);
  EXPECT_EQ(LoadU64Le(std::span(bytes).subspan(152)), 3u);
  EXPECT_EQ(LoadU32Le(std::span(bytes).subspan(168 + 8)), 7u);
  Result<sv1::Slot> decoded = sv1::DecodeSlot(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->meta, slot.meta);
  EXPECT_EQ(decoded->sequence, 9u);
  EXPECT_EQ(decoded->roots, slot.roots);
  // Any single flipped byte of the encoded length makes the slot invalid.
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::vector<uint8_t> damaged = bytes;
    damaged[i] ^= 0x01;
    EXPECT_FALSE(sv1::DecodeSlot(damaged).ok()) << "byte " << i;
  }
  std::vector<uint8_t> too_many = bytes;
  StoreU64Le(std::span(too_many).subspan(152), 2007);
  EXPECT_FALSE(sv1::DecodeSlot(too_many).ok());
}

TEST(LayoutSv1Test, OpenRefusesWhatTheSpecificationCallsInconsistent) {
  HeapStableMemory memory;
  std::unique_ptr<LayoutSv1> layout = OpenSv1(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}, {1, 2}}).ok());
  const std::vector<uint8_t> good = memory.bytes();
  const auto refused = [&](const std::string& why, const std::function<void(std::vector<uint8_t>&)>& damage) {
    std::vector<uint8_t> bytes = good;
    damage(bytes);
    HeapStableMemory copy;
    copy.Assign(bytes);
    const std::vector<uint8_t> before = copy.bytes();
    EXPECT_EQ(sv1::LayoutSv1::Open(copy).status().code(), ErrorCode::kCorrupt) << why;
    EXPECT_EQ(copy.bytes(), before) << why << ": Open must not write";
  };
  // Slot B (sequence 2) is active; slot A holds sequence 1.
  // Changes the active slot (B) with `change` and seals it again, so only the changed field is wrong.
  const auto reseal = [](std::vector<uint8_t>& bytes, const std::function<void(sv1::Slot&)>& change) {
    Result<sv1::Slot> slot = sv1::DecodeSlot(std::span(bytes).subspan(sv1::kSlotBytes, sv1::kSlotBytes));
    ASSERT_TRUE(slot.ok());
    change(*slot);
    const std::vector<uint8_t> encoded = sv1::EncodeSlot(*slot);
    std::copy(encoded.begin(), encoded.end(), bytes.begin() + static_cast<ptrdiff_t>(sv1::kSlotBytes));
  };
  refused("both slots invalid", [](std::vector<uint8_t>& b) {
    b[100] ^= 1;
    b[8192 + 100] ^= 1;
  });
  refused("the same sequence twice", [&](std::vector<uint8_t>& b) {
    Result<sv1::Slot> a = sv1::DecodeSlot(std::span(b).first(sv1::kSlotBytes));
    ASSERT_TRUE(a.ok());
    a->sequence = 2;  // slot B's
    const std::vector<uint8_t> encoded = sv1::EncodeSlot(*a);
    std::copy(encoded.begin(), encoded.end(), b.begin());
  });
  refused("a page count that does not match db_size",
          [&](std::vector<uint8_t>& b) { reseal(b, [](sv1::Slot& s) { s.meta.page_count = 5; }); });
  refused("a root count that does not match the pages",
          [&](std::vector<uint8_t>& b) { reseal(b, [](sv1::Slot& s) { s.roots.push_back(0); }); });
  refused("a map chunk past the memory",
          [&](std::vector<uint8_t>& b) { reseal(b, [](sv1::Slot& s) { s.roots[0] = 1000000; }); });
  refused("a map chunk in the header",
          [&](std::vector<uint8_t>& b) { reseal(b, [](sv1::Slot& s) { s.roots[0] = 1; }); });
  refused("db_base_offset moved",
          [&](std::vector<uint8_t>& b) { reseal(b, [](sv1::Slot& s) { s.meta.db_base_offset = 65536; }); });
  refused("a page table offset", [&](std::vector<uint8_t>& b) {
    reseal(b, [](sv1::Slot& s) { s.meta.page_table_offset = 4096; });
  });
  refused("unknown flags", [&](std::vector<uint8_t>& b) { reseal(b, [](sv1::Slot& s) { s.meta.flags |= 64; }); });
  refused("a slot mapped twice", [&](std::vector<uint8_t>& b) {
    Result<sv1::Slot> slot = sv1::DecodeSlot(std::span(b).subspan(sv1::kSlotBytes, sv1::kSlotBytes));
    ASSERT_TRUE(slot.ok());
    const uint64_t chunk_at = uint64_t{slot->roots[0]} * sv1::kBlockBytes;
    const uint32_t first = LoadU32Le(std::span(b).subspan(chunk_at));
    StoreU32Le(std::span(b).subspan(chunk_at + 4), first);  // page 1 in page 0's slot
  });
  refused("a page past page_count mapped", [&](std::vector<uint8_t>& b) {
    Result<sv1::Slot> slot = sv1::DecodeSlot(std::span(b).subspan(sv1::kSlotBytes, sv1::kSlotBytes));
    ASSERT_TRUE(slot.ok());
    StoreU32Le(std::span(b).subspan(uint64_t{slot->roots[0]} * sv1::kBlockBytes + 4 * 9), 2);
  });
  refused("an import staging area over the active image", [&](std::vector<uint8_t>& b) {
    reseal(b, [](sv1::Slot& s) {
      s.meta.flags |= kFlagImporting;
      s.meta.import_total_size = 3 * kPage;
      s.meta.import_base_offset = sv1::kHeaderBytes;
    });
  });
}

}  // namespace
}  // namespace stablevfs
