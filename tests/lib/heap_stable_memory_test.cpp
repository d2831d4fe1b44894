// HeapStableMemory: the plain StableMemory must behave exactly as the IC's stable64_* calls do.
//
// Goal: pin down the three rules every StableMemory implementation (and every decorator) is measured against:
// grow returns the previous size in pages or -1 without changing anything, grown pages read as zero, and an
// access traps exactly when offset + length > size (an access ending at the end is fine), without the offset
// arithmetic overflowing. Method: drive a small memory to its boundaries and beyond with explicit offsets,
// including offsets near 2^64 where a naive `offset + len` check would wrap around and let the access through.
#include "lib/memory/heap_stable_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "lib/core/trap.h"

namespace stablevfs {
namespace {

constexpr uint64_t kPage = 65536;
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

TEST(HeapStableMemoryTest, StartsEmptyAndGrowReturnsThePreviousSize) {
  HeapStableMemory memory;
  EXPECT_EQ(memory.size_pages(), 0u);
  EXPECT_EQ(memory.size_bytes(), 0u);
  EXPECT_EQ(memory.grow(2), 0);
  EXPECT_EQ(memory.grow(0), 2);
  EXPECT_EQ(memory.grow(3), 2);
  EXPECT_EQ(memory.size_pages(), 5u);
  EXPECT_EQ(memory.size_bytes(), 5 * kPage);
  EXPECT_EQ(memory.bytes().size(), 5 * kPage);
}

TEST(HeapStableMemoryTest, GrowBeyondMaxReturnsMinusOneAndChangesNothing) {
  HeapStableMemory memory(/*max_pages=*/4);
  ASSERT_EQ(memory.grow(3), 0);
  const std::vector<uint8_t> marker = {1, 2, 3};
  memory.write(7, marker);
  const std::vector<uint8_t> before = memory.bytes();

  EXPECT_EQ(memory.grow(2), -1);
  EXPECT_EQ(memory.grow(kU64Max), -1);  // must not wrap around to a small size
  EXPECT_EQ(memory.grow(kU64Max - 2), -1);
  EXPECT_EQ(memory.size_pages(), 3u);
  EXPECT_EQ(memory.bytes(), before);

  // Exactly up to the maximum is allowed, and then nothing more.
  EXPECT_EQ(memory.grow(1), 3);
  EXPECT_EQ(memory.grow(1), -1);
  EXPECT_EQ(memory.size_pages(), 4u);

  HeapStableMemory none(/*max_pages=*/0);
  EXPECT_EQ(none.grow(1), -1);
  EXPECT_EQ(none.grow(0), 0);
  EXPECT_EQ(none.size_pages(), 0u);
}

TEST(HeapStableMemoryTest, GrownPagesReadAsZeroAndWritesReadBack) {
  HeapStableMemory memory;
  ASSERT_EQ(memory.grow(2), 0);
  std::vector<uint8_t> all(2 * kPage, 0xEE);
  memory.read(0, all);
  EXPECT_EQ(all, std::vector<uint8_t>(2 * kPage, 0));

  // A write across the page boundary reads back whole.
  const std::vector<uint8_t> data = {9, 8, 7, 6, 5};
  memory.write(kPage - 2, data);
  std::vector<uint8_t> back(data.size());
  memory.read(kPage - 2, back);
  EXPECT_EQ(back, data);
}

TEST(HeapStableMemoryTest, AccessEndingAtTheEndIsFineOnePastTraps) {
  HeapStableMemory memory;
  ASSERT_EQ(memory.grow(1), 0);
  std::vector<uint8_t> four(4, 0xAB);
  std::vector<uint8_t> none;

  EXPECT_NO_THROW(memory.write(kPage - 4, four));
  EXPECT_NO_THROW(memory.read(kPage - 4, four));
  EXPECT_NO_THROW(memory.read(kPage, none));  // empty access exactly at the end
  EXPECT_NO_THROW(memory.write(kPage, none));

  EXPECT_THROW(memory.read(kPage - 3, four), Trap);
  EXPECT_THROW(memory.write(kPage - 3, four), Trap);
  EXPECT_THROW(memory.read(kPage + 1, none), Trap);  // even an empty access may not start past the end
  EXPECT_THROW(memory.write(kPage + 1, none), Trap);
}

TEST(HeapStableMemoryTest, EmptyMemoryTrapsOnAnyNonEmptyAccess) {
  HeapStableMemory memory;
  std::vector<uint8_t> one(1);
  std::vector<uint8_t> none;
  EXPECT_NO_THROW(memory.read(0, none));
  EXPECT_THROW(memory.read(0, one), Trap);
  EXPECT_THROW(memory.write(0, one), Trap);
}

TEST(HeapStableMemoryTest, OffsetsNearTwoToTheSixtyFourDoNotWrapAround) {
  HeapStableMemory memory;
  ASSERT_EQ(memory.grow(1), 0);
  std::vector<uint8_t> sixteen(16);
  // kU64Max - 7 + 16 wraps to 8, which a naive `offset + len <= size` check would accept.
  EXPECT_THROW(memory.read(kU64Max - 7, sixteen), Trap);
  EXPECT_THROW(memory.write(kU64Max - 7, sixteen), Trap);
  EXPECT_THROW(memory.read(kU64Max, sixteen), Trap);
  // The shared check itself, with lengths no span can have.
  EXPECT_THROW(CheckAccess("read", 1, kU64Max, kPage), Trap);
  EXPECT_THROW(CheckAccess("read", kU64Max, 1, kPage), Trap);
  EXPECT_NO_THROW(CheckAccess("read", 0, kPage, kPage));
  EXPECT_NO_THROW(CheckAccess("read", kPage, 0, kPage));
}

TEST(HeapStableMemoryTest, TrapMessageNamesTheAccess) {
  HeapStableMemory memory;
  ASSERT_EQ(memory.grow(1), 0);
  std::vector<uint8_t> two(2);
  try {
    memory.write(kPage - 1, two);
    FAIL() << "expected a trap";
  } catch (const Trap& trap) {
    const std::string what = trap.what();
    EXPECT_NE(what.find("write"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(kPage - 1)), std::string::npos) << what;
  }
}

TEST(HeapStableMemoryTest, AssignTakesWholePagesOnly) {
  HeapStableMemory memory;
  std::vector<uint8_t> image(2 * kPage, 0x5A);
  memory.Assign(image);
  EXPECT_EQ(memory.size_pages(), 2u);
  EXPECT_EQ(memory.bytes(), image);
  EXPECT_THROW(memory.Assign(std::vector<uint8_t>(kPage + 1)), std::invalid_argument);
  EXPECT_EQ(memory.size_pages(), 2u);
}

}  // namespace
}  // namespace stablevfs
