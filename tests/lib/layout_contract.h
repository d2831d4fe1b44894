// The Layout contract (lib/layout/layout.h), for any registered layout.
//
// Goal: what layout.h promises of every implementation holds for each layout the registry holds, so a new
// layout is tested by registering it, not by copying tests: a fresh memory formats and reopens; a page never
// written, or past the end, reads as zeros; ReadPageBytes is exactly a slice of ReadPage; a publish sets the
// size, advances last_tx_id by one, marks the checksum stale and clears a refresh in progress; a truncation
// drops the cut pages even when the file grows again in the same update; StoreMeta keeps the fields the layout
// owns; SetLastTxId moves the id forward only and keeps the rest; an import publishes exactly the staged bytes
// and a discarded one leaves the image alone; compaction changes nothing logical; a publish that returns an
// error (a refused grow, an injected failure) leaves the active image and superblock as they were; Open
// refuses foreign bytes without writing; every failpoint site a layout declares is evaluated by these
// operations; and after each step a fresh open sees what the live handle sees. Method: value-parameterized
// over LayoutRegistry::Global().Builtins() (layouts are registered at run time, so the parameter is the
// registry entry, not a C++ type); each test starts from an empty HeapStableMemory formatted through the
// registry entry.
//
// This header holds the suite; a test file instantiates it for the layouts it has (layout_contract_test.cpp
// for the builtins; a layout of one's own: INSTANTIATE_TEST_SUITE_P(Mine, LayoutContractTest,
// ::testing::Values("mine")) after registering it, see docs/adding-a-layout.md). Include it in one file per
// test binary.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "failpoints/registry.h"
#include "lib/layout/layout.h"
#include "lib/layout/layout_registry.h"
#include "tests/lib/layout_testing.h"

namespace stablevfs::contract {

using testing::kPage;
using testing::MakeOverlay;
using testing::PagePattern;
using testing::ReadPageOf;

inline std::vector<std::string> BuiltinNames() {
  std::vector<std::string> names;
  for (const LayoutInfo* info : LayoutRegistry::Global().Builtins()) names.push_back(info->name);
  return names;
}

// The logical file of `layout`: its first `pages` pages, read whole.
inline std::vector<std::vector<uint8_t>> Pages(Layout& layout, uint64_t pages) {
  std::vector<std::vector<uint8_t>> out;
  for (uint64_t p = 0; p < pages; ++p) out.push_back(ReadPageOf(layout, p));
  return out;
}

// A stable memory whose grows can be refused, for the capacity path of every layout.
class CappedMemory final : public StableMemory {
 public:
  explicit CappedMemory(StableMemory& inner) : inner_(inner) {}
  uint64_t size_pages() const override { return inner_.size_pages(); }
  int64_t grow(uint64_t delta_pages) override { return refuse_grow ? -1 : inner_.grow(delta_pages); }
  void read(uint64_t offset_bytes, std::span<uint8_t> out) override { inner_.read(offset_bytes, out); }
  void write(uint64_t offset_bytes, std::span<const uint8_t> data) override { inner_.write(offset_bytes, data); }
  bool refuse_grow = false;

 private:
  StableMemory& inner_;
};

class LayoutContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    info_ = LayoutRegistry::Global().Find(GetParam());
    ASSERT_NE(info_, nullptr);
    layout_ = Open();
    ASSERT_NE(layout_, nullptr);
  }
  void TearDown() override { fp::ClearAll(); }

  std::unique_ptr<Layout> Open() {
    const LayoutInfo* opened_as = nullptr;
    Result<std::unique_ptr<Layout>> opened = Layout::Open(capped_, info_, &opened_as);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return nullptr;
    EXPECT_EQ(opened_as, info_);
    return std::move(opened).value();
  }

  // A fresh open of the same memory sees the live handle's superblock and pages, and validates.
  void ExpectFreshOpenAgrees(uint64_t pages) {
    std::unique_ptr<Layout> fresh = Open();
    ASSERT_NE(fresh, nullptr);
    EXPECT_EQ(fresh->meta(), layout_->meta());
    EXPECT_EQ(Pages(*fresh, pages), Pages(*layout_, pages));
    EXPECT_TRUE(fresh->Validate().ok()) << fresh->Validate().ToString();
    EXPECT_TRUE(layout_->Validate().ok()) << layout_->Validate().ToString();
  }

  // Publishes pages 0..n-1 with tags base+p.
  void PublishPages(uint64_t n, uint64_t base) {
    std::vector<std::pair<uint64_t, uint64_t>> pages;
    for (uint64_t p = 0; p < n; ++p) pages.emplace_back(p, base + p);
    ASSERT_TRUE(testing::PublishPages(*layout_, pages).ok());
  }

  const LayoutInfo* info_ = nullptr;
  HeapStableMemory raw_;
  CappedMemory capped_{raw_};
  std::unique_ptr<Layout> layout_;
};

TEST_P(LayoutContractTest, AFreshMemoryIsAnEmptyDatabaseThatReopens) {
  EXPECT_EQ(layout_->meta().db_size, 0u);
  EXPECT_EQ(layout_->meta().last_tx_id, 0u);
  EXPECT_EQ(layout_->meta().version, info_->version);
  EXPECT_EQ(layout_->meta().page_size, kDbPageBytes);
  EXPECT_EQ(ReadPageOf(*layout_, 0), std::vector<uint8_t>(kPage, 0));
  ExpectFreshOpenAgrees(1);
}

TEST_P(LayoutContractTest, APublishSetsTheSizeAdvancesTheTxIdAndMarksTheChecksumStale) {
  Meta refreshing = layout_->meta();
  refreshing.flags |= kFlagChecksumRefreshing;
  refreshing.checksum_refresh_tx_id = refreshing.last_tx_id;
  ASSERT_TRUE(layout_->StoreMeta(refreshing).ok());
  PublishPages(3, 100);
  const Meta& meta = layout_->meta();
  EXPECT_EQ(meta.db_size, 3 * kPage);
  EXPECT_EQ(meta.last_tx_id, 1u);
  EXPECT_NE(meta.flags & kFlagChecksumStale, 0u);
  EXPECT_EQ(meta.flags & kFlagChecksumRefreshing, 0u) << "a publish clears a refresh in progress";
  EXPECT_EQ(meta.checksum_refresh_tx_id, 0u);
  for (uint64_t p = 0; p < 3; ++p) EXPECT_EQ(ReadPageOf(*layout_, p), PagePattern(100 + p)) << p;
  EXPECT_EQ(ReadPageOf(*layout_, 3), std::vector<uint8_t>(kPage, 0)) << "past the end reads as zeros";
  EXPECT_EQ(ReadPageOf(*layout_, 1000), std::vector<uint8_t>(kPage, 0));
  ExpectFreshOpenAgrees(4);
}

TEST_P(LayoutContractTest, PagesNeverWrittenReadAsZeros) {
  Overlay overlay = MakeOverlay(*layout_);
  ASSERT_TRUE(overlay.Write(5 * kPage, PagePattern(7)).ok());  // the file grows to 6 pages, 0..4 never written
  ASSERT_TRUE(layout_->Publish(overlay).ok());
  for (uint64_t p = 0; p < 5; ++p) EXPECT_EQ(ReadPageOf(*layout_, p), std::vector<uint8_t>(kPage, 0)) << p;
  EXPECT_EQ(ReadPageOf(*layout_, 5), PagePattern(7));
  ExpectFreshOpenAgrees(6);
}

TEST_P(LayoutContractTest, ReadPageBytesIsASliceOfReadPage) {
  PublishPages(2, 40);
  const std::vector<uint8_t> page = ReadPageOf(*layout_, 1);
  for (const auto& [offset, length] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 16}, {24, 4}, {kPage - 1, 1}, {100, kPage - 100}, {0, kPage}, {kPage, 0}}) {
    std::vector<uint8_t> out(length);
    ASSERT_TRUE(layout_->ReadPageBytes(1, offset, out).ok()) << offset << "+" << length;
    EXPECT_TRUE(std::equal(out.begin(), out.end(), page.begin() + static_cast<ptrdiff_t>(offset)))
        << offset << "+" << length;
  }
  std::vector<uint8_t> too_long(17);
  EXPECT_EQ(layout_->ReadPageBytes(1, kPage - 16, too_long).code(), ErrorCode::kInvalidArgument);
}

TEST_P(LayoutContractTest, ATruncationDropsTheCutPagesEvenWhenTheFileGrowsAgain) {
  PublishPages(6, 10);
  Overlay overlay = MakeOverlay(*layout_);
  ASSERT_TRUE(overlay.Truncate(2 * kPage).ok());
  ASSERT_TRUE(overlay.Write(4 * kPage, PagePattern(99)).ok());  // grows back to 5 pages
  ASSERT_TRUE(layout_->Publish(overlay).ok());
  EXPECT_EQ(layout_->meta().db_size, 5 * kPage);
  EXPECT_EQ(ReadPageOf(*layout_, 1), PagePattern(11));
  EXPECT_EQ(ReadPageOf(*layout_, 2), std::vector<uint8_t>(kPage, 0)) << "cut, not rewritten: zeros";
  EXPECT_EQ(ReadPageOf(*layout_, 3), std::vector<uint8_t>(kPage, 0));
  EXPECT_EQ(ReadPageOf(*layout_, 4), PagePattern(99));
  ExpectFreshOpenAgrees(6);
}

TEST_P(LayoutContractTest, StoreMetaKeepsTheFieldsTheLayoutOwns) {
  PublishPages(2, 1);
  const Meta before = layout_->meta();
  Meta changed = before;
  changed.schema_version = 7;
  changed.checksum = 0xabcdef;
  changed.flags &= ~kFlagChecksumStale;
  changed.db_size = 12345;        // owned by the layout: ignored
  changed.last_tx_id = 99;        // owned: ignored
  changed.db_base_offset = 4096;  // owned: ignored
  ASSERT_TRUE(layout_->StoreMeta(changed).ok());
  const Meta& after = layout_->meta();
  EXPECT_EQ(after.schema_version, 7u);
  EXPECT_EQ(after.checksum, 0xabcdefu);
  EXPECT_EQ(after.flags & kFlagChecksumStale, 0u);
  EXPECT_EQ(after.db_size, before.db_size);
  EXPECT_EQ(after.last_tx_id, before.last_tx_id);
  EXPECT_EQ(after.db_base_offset, before.db_base_offset);
  EXPECT_EQ(after.page_count, before.page_count);
  // The layout's own fields may record the write itself (a sequence number); the map they describe may not
  // change: every page reads as before.
  EXPECT_EQ(ReadPageOf(*layout_, 0), PagePattern(1));
  EXPECT_EQ(ReadPageOf(*layout_, 1), PagePattern(2));
  ExpectFreshOpenAgrees(2);
}

TEST_P(LayoutContractTest, SetLastTxIdMovesTheIdForwardOnlyAndKeepsEverythingElse) {
  PublishPages(2, 5);
  Meta refreshing = layout_->meta();
  refreshing.schema_version = 3;
  refreshing.checksum = 0x5eed;
  refreshing.flags |= kFlagChecksumRefreshing;
  refreshing.checksum_refresh_offset = kPage;
  refreshing.checksum_refresh_hash = 0x77;
  refreshing.checksum_refresh_tx_id = refreshing.last_tx_id;
  ASSERT_TRUE(layout_->StoreMeta(refreshing).ok());
  const Meta before = layout_->meta();
  ASSERT_EQ(before.last_tx_id, 1u);

  ASSERT_TRUE(layout_->SetLastTxId(41).ok());
  Meta expected = before;
  expected.last_tx_id = 41;
  expected.flags &= ~kFlagChecksumRefreshing;  // the refresh belonged to the old id
  expected.checksum_refresh_offset = 0;
  expected.checksum_refresh_hash = 0;
  expected.checksum_refresh_tx_id = 0;
  Meta after = layout_->meta();
  // The layout's own fields may record the write itself (a sequence number, a slot); the rest is exact.
  after.layout_fields.clear();
  expected.layout_fields.clear();
  EXPECT_EQ(after, expected);
  EXPECT_EQ(ReadPageOf(*layout_, 0), PagePattern(5));
  EXPECT_EQ(ReadPageOf(*layout_, 1), PagePattern(6));
  ExpectFreshOpenAgrees(3);

  // Backwards is refused without a write; the same id is OK without a write.
  const std::vector<uint8_t> bytes = raw_.bytes();
  const Meta set = layout_->meta();
  EXPECT_EQ(layout_->SetLastTxId(40).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(layout_->SetLastTxId(0).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(layout_->SetLastTxId(41).ok());
  EXPECT_EQ(layout_->meta(), set);
  EXPECT_EQ(raw_.bytes(), bytes) << "a refused or unchanged id writes nothing";

  // The next commit continues from the id that was set.
  PublishPages(1, 9);
  EXPECT_EQ(layout_->meta().last_tx_id, 42u);
  ExpectFreshOpenAgrees(3);
}

TEST_P(LayoutContractTest, AFailedPublishLeavesTheActiveImageAsItWas) {
  PublishPages(4, 20);
  const Meta before = layout_->meta();
  const std::vector<std::vector<uint8_t>> pages = Pages(*layout_, 8);
  {
    // The first site every layout evaluates: the capacity check.
    ASSERT_TRUE(fp::Arm("commit.capacity=error").ok());
    Overlay overlay = MakeOverlay(*layout_);
    ASSERT_TRUE(overlay.Write(1 * kPage, PagePattern(500)).ok());
    EXPECT_EQ(layout_->Publish(overlay).code(), ErrorCode::kInjected);
    fp::ClearAll();
  }
  {
    // A grow the memory refuses: kCapacity, before anything is written. 64 new pages (1 MiB) need more than
    // any layout's slack.
    capped_.refuse_grow = true;
    Overlay overlay = MakeOverlay(*layout_);
    for (uint64_t p = 1; p < 65; ++p) ASSERT_TRUE(overlay.Write(p * kPage, PagePattern(500 + p)).ok());
    EXPECT_EQ(layout_->Publish(overlay).code(), ErrorCode::kCapacity);
    capped_.refuse_grow = false;
  }
  EXPECT_EQ(layout_->meta(), before);
  EXPECT_EQ(Pages(*layout_, 8), pages);
  ExpectFreshOpenAgrees(8);
  PublishPages(1, 600);  // and the next publish works
  EXPECT_EQ(ReadPageOf(*layout_, 0), PagePattern(600));
}

TEST_P(LayoutContractTest, AnImportPublishesExactlyTheStagedBytes) {
  PublishPages(2, 70);
  std::vector<uint8_t> image(3 * kPage + 100);
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 7 + 3);
  ASSERT_TRUE(layout_->BeginImportStaging(image.size(), 0x1234).ok());
  EXPECT_NE(layout_->meta().flags & kFlagImporting, 0u);
  EXPECT_EQ(layout_->BeginImportStaging(1, 1).code(), ErrorCode::kBusy);
  EXPECT_EQ(ReadPageOf(*layout_, 0), PagePattern(70)) << "staging never touches the active image";
  ASSERT_TRUE(layout_->StageImportBytes(0, std::span(image).first(kPage + 5)).ok());
  EXPECT_EQ(layout_->PublishImport().code(), ErrorCode::kImport) << "not every byte staged yet";
  ASSERT_TRUE(layout_->StageImportBytes(kPage + 5, std::span(image).subspan(kPage + 5)).ok());
  std::vector<uint8_t> staged(image.size());
  ASSERT_TRUE(layout_->ReadStagedBytes(0, staged).ok());
  EXPECT_EQ(staged, image);
  const uint64_t tx = layout_->meta().last_tx_id;
  ASSERT_TRUE(layout_->PublishImport().ok());
  const Meta& meta = layout_->meta();
  EXPECT_EQ(meta.db_size, image.size());
  EXPECT_EQ(meta.last_tx_id, tx + 1);
  EXPECT_EQ(meta.schema_version, 0u);
  EXPECT_EQ(meta.checksum, 0x1234u);
  EXPECT_EQ(meta.flags, kFlagChecksumStale);
  for (uint64_t p = 0; p < 4; ++p) {
    const std::vector<uint8_t> page = ReadPageOf(*layout_, p);
    const uint64_t length = std::min<uint64_t>(kPage, image.size() - p * kPage);
    EXPECT_TRUE(std::equal(page.begin(), page.begin() + static_cast<ptrdiff_t>(length),
                           image.begin() + static_cast<ptrdiff_t>(p * kPage)))
        << p;
  }
  ExpectFreshOpenAgrees(5);
}

TEST_P(LayoutContractTest, ADiscardedImportLeavesTheImageAlone) {
  PublishPages(2, 80);
  const Meta before = layout_->meta();
  ASSERT_TRUE(layout_->BeginImportStaging(2 * kPage, 1).ok());
  std::vector<uint8_t> junk(kPage, 0xee);
  ASSERT_TRUE(layout_->StageImportBytes(0, junk).ok());
  ASSERT_TRUE(layout_->DiscardImport().ok());
  EXPECT_EQ(layout_->meta().flags & kFlagImporting, 0u);
  EXPECT_EQ(layout_->meta().db_size, before.db_size);
  EXPECT_EQ(layout_->meta().last_tx_id, before.last_tx_id);
  EXPECT_EQ(ReadPageOf(*layout_, 0), PagePattern(80));
  EXPECT_EQ(ReadPageOf(*layout_, 1), PagePattern(81));
  ExpectFreshOpenAgrees(3);
}

TEST_P(LayoutContractTest, CompactionChangesNothingLogical) {
  PublishPages(3, 30);
  PublishPages(2, 60);
  const Meta before = layout_->meta();
  const std::vector<std::vector<uint8_t>> pages = Pages(*layout_, 4);
  ASSERT_TRUE(layout_->Compact().ok());
  EXPECT_EQ(layout_->meta().db_size, before.db_size);
  EXPECT_EQ(layout_->meta().last_tx_id, before.last_tx_id);
  EXPECT_EQ(layout_->meta().checksum, before.checksum);
  EXPECT_EQ(Pages(*layout_, 4), pages);
  ExpectFreshOpenAgrees(4);
}

TEST_P(LayoutContractTest, OpenRefusesForeignBytesWithoutWriting) {
  HeapStableMemory foreign;
  ASSERT_EQ(foreign.grow(2), 0);
  const std::array<uint8_t, 8> junk = {'N', 'O', 'T', 'O', 'U', 'R', 'S', '!'};
  foreign.write(0, junk);
  const std::vector<uint8_t> before = foreign.bytes();
  EXPECT_EQ(Layout::Open(foreign, info_).status().code(), ErrorCode::kForeignImage);
  EXPECT_EQ(foreign.bytes(), before);
  EXPECT_EQ(foreign.size_pages(), 2u);
}

TEST_P(LayoutContractTest, EveryDeclaredSiteIsEvaluated) {
  // Observe every evaluation with a hook that vetoes it: the run is unarmed.
  std::set<std::string> evaluated;
  std::string spec;
  for (const std::string& site : info_->sites) spec += (spec.empty() ? "" : ";") + site + "=error";
  ASSERT_TRUE(fp::Arm(spec).ok()) << spec;
  const fp::Hook previous = fp::SetHook([&](const fp::Fire& fire) {
    evaluated.insert(std::string(fp::SiteName(fire.site)));
    return fp::Action::kOff;
  });
  PublishPages(3, 1);
  PublishPages(40, 2);  // grows the memory
  ASSERT_TRUE(layout_->Compact().ok());
  ASSERT_TRUE(layout_->BeginImportStaging(kPage, 0).ok());
  std::vector<uint8_t> page(kPage, 1);
  ASSERT_TRUE(layout_->StageImportBytes(0, page).ok());
  ASSERT_TRUE(layout_->PublishImport().ok());
  fp::SetHook(previous);
  for (const std::string& site : info_->sites) {
    EXPECT_TRUE(evaluated.count(site)) << "layout " << info_->name << " declares " << site
                                       << " but no publish, grow, compaction or import evaluated it";
  }
}

}  // namespace stablevfs::contract
