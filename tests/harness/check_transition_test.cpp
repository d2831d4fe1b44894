// Goal: show that the transition checks (harness/check/transition.h) tell an allowed change of a layout-6
// image from a forbidden one: after an error, the active superblock and everything the page map reaches must
// be byte-identical, while orphan space (and growth of the memory) may change; last_tx_id never goes back,
// advances by at most the allowed count, and db_size does not change without a commit.
//
// Method: the test builds a small layout-6 image with its own encoder (as in check_layout6_test.cpp, sharing
// no code with the checker), then derives "after" images that (a) only write orphan space and grow, (b) flip
// one byte of an active page, segment table, root table or superblock field, (c) publish a new state. Each
// comparison must report exactly the difference it contains, at its first differing byte.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "harness/check/layout6_check.h"
#include "harness/check/transition.h"

namespace stablevfs::check {
namespace {

constexpr uint64_t kWasmPage = 65536;
constexpr uint64_t kPage = 16384;
constexpr uint64_t kPage0 = 0x10000;
constexpr uint64_t kSegment = 0x14000;
constexpr uint64_t kRoot = 0x14800;

void Put64(std::vector<uint8_t>& image, uint64_t offset, uint64_t value) {
  for (int i = 0; i < 8; ++i) image.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
}

void Seal(std::vector<uint8_t>& image) {
  Put64(image, 144, 0);
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < 152; ++i) hash = (hash ^ image[i]) * 0x100000001b3ull;
  Put64(image, 144, hash);
}

// One logical page at 0x10000, its segment table at 0x14000, the root at 0x14800; tx 5.
std::vector<uint8_t> Before() {
  std::vector<uint8_t> image(2 * kWasmPage, 0);
  for (uint64_t i = 0; i < kPage; ++i) image[kPage0 + i] = static_cast<uint8_t>(i * 3 + 1);
  Put64(image, kSegment, kPage0);
  Put64(image, kRoot, kSegment);
  std::memcpy(image.data(), "ICSQLITE", 8);
  image[8] = 6;
  image[13] = 0x40;
  Put64(image, 16, kPage);   // db_size
  Put64(image, 32, 5);       // last_tx_id
  Put64(image, 40, 2);       // stale
  Put64(image, 120, kRoot);
  Put64(image, 128, 1);
  Put64(image, 136, 6);
  Seal(image);
  return image;
}

SuperblockFields SuperblockOf(const std::vector<uint8_t>& image) { return DecodeSuperblock6(image); }

std::vector<Problem> Compare(const std::vector<uint8_t>& before, const std::vector<uint8_t>& after) {
  return CompareActiveState(SpanSource(before), SpanSource(after));
}

TEST(CompareActiveState, IdenticalImagesAgree) {
  EXPECT_TRUE(Compare(Before(), Before()).empty());
}

TEST(CompareActiveState, OrphanWritesAndGrowthAreAllowed) {
  // A failed commit may have written pages and tables to fresh space, even grown the memory.
  std::vector<uint8_t> after = Before();
  after.resize(4 * kWasmPage, 0);
  for (uint64_t i = 0x18000; i < after.size(); ++i) after[i] = 0xEE;
  // (The superblock region past the 152 superblock bytes is not free space: see the next test.)
  EXPECT_TRUE(Compare(Before(), after).empty());
}

TEST(CompareActiveState, ChangedActiveBytesAreReportedAtTheFirstDifference) {
  const std::vector<uint8_t> before = Before();
  struct Case {
    uint64_t offset;
    const char* what;
  } cases[] = {{kPage0 + 1234, "page"},
               {kSegment + 8, "segment table (an unmapped slot is still part of the table)"},
               {kRoot + 3, "root table"},
               {32, "superblock field"},
               {60000, "superblock region past the superblock"}};
  for (const Case& c : cases) {
    std::vector<uint8_t> after = before;
    after[c.offset] ^= 0x10;
    const std::vector<Problem> problems = Compare(before, after);
    ASSERT_EQ(problems.size(), 1u) << c.what;
    EXPECT_EQ(problems[0].kind, ProblemKind::kActiveStateDiffers) << c.what;
    EXPECT_EQ(problems[0].offset_bytes, c.offset) << c.what << ": " << problems[0].message;
  }
}

TEST(CompareActiveState, APublishedNewStateDiffers) {
  const std::vector<uint8_t> before = Before();
  std::vector<uint8_t> after = before;
  // A commit: new page, table and root in fresh space, then the superblock.
  for (uint64_t i = 0; i < kPage; ++i) after[0x18000 + i] = 0x77;
  Put64(after, 0x1C000, 0x18000);
  Put64(after, 0x1C800, 0x1C000);
  Put64(after, 120, 0x1C800);
  Put64(after, 32, 6);
  Seal(after);
  const std::vector<Problem> problems = Compare(before, after);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].offset_bytes, 32u);  // the first differing superblock byte
  // The old pages themselves are untouched, as shadow paging promises: only the superblock moved.
}

TEST(CompareActiveState, SizeChangesInsideTheActiveStateAreDifferences) {
  const std::vector<uint8_t> before = Before();
  std::vector<uint8_t> shorter(before.begin(), before.begin() + kWasmPage);  // pages and tables gone
  const std::vector<Problem> problems = Compare(before, shorter);
  ASSERT_EQ(problems.size(), 3u);  // page, segment table, root table
  EXPECT_EQ(problems[0].offset_bytes, kPage0);
  // An empty memory that became initialised changed its active state.
  const std::vector<Problem> init = Compare(std::vector<uint8_t>{}, before);
  ASSERT_EQ(init.size(), 1u);
  EXPECT_EQ(init[0].offset_bytes, 0u);
  EXPECT_TRUE(Compare(std::vector<uint8_t>{}, std::vector<uint8_t>{}).empty());
}

TEST(TxIdTransition, AllowedAndForbiddenMoves) {
  std::vector<uint8_t> image = Before();
  const SuperblockFields before = SuperblockOf(image);

  EXPECT_TRUE(CheckTxIdTransition(before, before).empty());  // nothing happened

  Put64(image, 32, 6);
  Put64(image, 16, 2 * kPage);
  EXPECT_TRUE(CheckTxIdTransition(before, SuperblockOf(image)).empty());  // one commit that grew the file

  Put64(image, 32, 7);
  std::vector<Problem> problems = CheckTxIdTransition(before, SuperblockOf(image));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].offset_bytes, 32u);  // two commits in one step
  EXPECT_TRUE(CheckTxIdTransition(before, SuperblockOf(image), 2).empty());

  Put64(image, 32, 4);
  problems = CheckTxIdTransition(before, SuperblockOf(image));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].offset_bytes, 32u);  // backwards

  Put64(image, 32, 5);
  problems = CheckTxIdTransition(before, SuperblockOf(image));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].offset_bytes, 16u);  // db_size moved without a commit
}

}  // namespace
}  // namespace stablevfs::check
