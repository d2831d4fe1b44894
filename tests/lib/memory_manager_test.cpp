// MemoryManager and VirtualMemory: byte-compatibility with stable-structures layout 1, and StableMemory
// semantics for every virtual memory.
//
// Goal: show that the bytes the manager writes are exactly the published layout (REFERENCE.md section 2), that an
// image laid out by hand from that layout loads and maps virtual offsets to the right physical bytes, that the
// strict loader rejects every inconsistent header field by name without touching memory, and that a virtual
// memory grows, reads, writes and traps as the IC's stable memory does.
//
// Method: expected images are built in this file from the published offsets as literal numbers (40, 2080, 65536,
// ...), never from the library's constants, so a wrong constant in the library cannot agree with itself. The
// bucket-exhaustion cases need 32,768 allocated buckets, so they run on a sparse StableMemory defined here that
// stores only written pages. A seeded random workload (std::mt19937_64, own range reduction) checks every memory
// against a plain byte-vector model and reloads from stable memory along the way.
#include "lib/memory/memory_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lib/core/trap.h"
#include "lib/memory/heap_stable_memory.h"
#include "lib/memory/virtual_memory.h"

namespace stablevfs {
namespace {

using ::testing::HasSubstr;
using Image = std::vector<uint8_t>;  // a whole stable memory image, page 0 first

constexpr uint64_t kPage = 65536;
constexpr uint64_t kHeaderEnd = 2080;         // 40 + 255 * 8: where the owner table starts
constexpr uint64_t kStateEnd = 2080 + 32768;  // end of the owner table

// ---- An independent encoder of the published layout. ----

struct ExpectedLayout {
  uint16_t bucket_size_pages = 1;
  std::vector<uint8_t> owners;    // owner of bucket b for b < allocated; the rest are 0xFF
  std::map<int, uint64_t> sizes;  // memory id -> size in pages; absent means 0
};

void PutLe(std::vector<uint8_t>& bytes, uint64_t offset, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) bytes[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

// Header and owner table: bytes [0, 34848) of page 0.
std::vector<uint8_t> ExpectedState(const ExpectedLayout& layout) {
  std::vector<uint8_t> state(kStateEnd, 0);
  state[0] = 'M';
  state[1] = 'G';
  state[2] = 'R';
  state[3] = 1;
  PutLe(state, 4, layout.owners.size(), 2);
  PutLe(state, 6, layout.bucket_size_pages, 2);
  for (const auto& [id, size_pages] : layout.sizes) PutLe(state, 40 + 8 * static_cast<uint64_t>(id), size_pages, 8);
  for (uint64_t bucket = 0; bucket < 32768; ++bucket) {
    state[kHeaderEnd + bucket] = bucket < layout.owners.size() ? layout.owners[bucket] : 0xFF;
  }
  return state;
}

// A whole image: page 0 with the state, then the buckets, each filled with `fill(bucket, byte_in_bucket)`.
std::vector<uint8_t> ExpectedImage(const ExpectedLayout& layout,
                                   const std::function<uint8_t(uint64_t, uint64_t)>& fill) {
  const uint64_t bucket_bytes = layout.bucket_size_pages * kPage;
  std::vector<uint8_t> image((1 + layout.bucket_size_pages * layout.owners.size()) * kPage, 0);
  const std::vector<uint8_t> state = ExpectedState(layout);
  std::memcpy(image.data(), state.data(), state.size());
  for (uint64_t bucket = 0; bucket < layout.owners.size(); ++bucket) {
    for (uint64_t i = 0; i < bucket_bytes; ++i) image[kPage + bucket * bucket_bytes + i] = fill(bucket, i);
  }
  return image;
}

std::vector<uint8_t> StateOf(const HeapStableMemory& memory) {
  return std::vector<uint8_t>(memory.bytes().begin(), memory.bytes().begin() + kStateEnd);
}

std::unique_ptr<MemoryManager> MustInit(StableMemory& memory, uint16_t bucket_size_pages) {
  auto manager = MemoryManager::InitOrLoad(memory, bucket_size_pages);
  EXPECT_TRUE(manager.ok()) << manager.status().ToString();
  return manager.ok() ? std::move(manager).value() : nullptr;
}

std::unique_ptr<MemoryManager> MustLoad(StableMemory& memory) {
  auto manager = MemoryManager::Load(memory);
  EXPECT_TRUE(manager.ok()) << manager.status().ToString();
  return manager.ok() ? std::move(manager).value() : nullptr;
}

VirtualMemory& MustGet(MemoryManager& manager, MemoryId id) {
  auto memory = manager.Get(id);
  EXPECT_TRUE(memory.ok()) << memory.status().ToString();
  return **memory;
}

// A distinctive byte for (memory, virtual offset), so a mix-up of memories or buckets shows.
uint8_t Pattern(MemoryId id, uint64_t offset) { return static_cast<uint8_t>(id * 31 + offset * 7 + (offset >> 16)); }

std::vector<uint8_t> PatternBytes(MemoryId id, uint64_t offset, uint64_t len) {
  std::vector<uint8_t> bytes(len);
  for (uint64_t i = 0; i < len; ++i) bytes[i] = Pattern(id, offset + i);
  return bytes;
}

// ---- A sparse StableMemory: pages exist only once written, so 32,768 buckets cost nothing. ----

class SparseStableMemory final : public StableMemory {
 public:
  explicit SparseStableMemory(uint64_t max_pages = std::numeric_limits<uint64_t>::max()) : max_pages_(max_pages) {}

  uint64_t size_pages() const override { return size_pages_; }
  int64_t grow(uint64_t delta_pages) override {
    ++grow_calls_;
    if (delta_pages > max_pages_ - size_pages_) return -1;
    const uint64_t old = size_pages_;
    size_pages_ += delta_pages;
    return static_cast<int64_t>(old);
  }
  void read(uint64_t offset_bytes, std::span<uint8_t> out) override {
    CheckAccess("read", offset_bytes, out.size(), size_bytes());
    for (uint64_t done = 0; done < out.size();) {
      const uint64_t page = (offset_bytes + done) / kPage;
      const uint64_t within = (offset_bytes + done) % kPage;
      const uint64_t chunk = std::min<uint64_t>(kPage - within, out.size() - done);
      const auto it = pages_.find(page);
      if (it == pages_.end()) {
        std::memset(out.data() + done, 0, chunk);
      } else {
        std::memcpy(out.data() + done, it->second.data() + within, chunk);
      }
      done += chunk;
    }
  }
  void write(uint64_t offset_bytes, std::span<const uint8_t> data) override {
    CheckAccess("write", offset_bytes, data.size(), size_bytes());
    ++write_calls_;
    for (uint64_t done = 0; done < data.size();) {
      const uint64_t page = (offset_bytes + done) / kPage;
      const uint64_t within = (offset_bytes + done) % kPage;
      const uint64_t chunk = std::min<uint64_t>(kPage - within, data.size() - done);
      auto& bytes = pages_[page];
      bytes.resize(kPage, 0);
      std::memcpy(bytes.data() + within, data.data() + done, chunk);
      done += chunk;
    }
  }

  const std::map<uint64_t, std::vector<uint8_t>>& pages() const { return pages_; }
  int write_calls() const { return write_calls_; }
  int grow_calls() const { return grow_calls_; }

 private:
  uint64_t max_pages_;
  uint64_t size_pages_ = 0;
  std::map<uint64_t, std::vector<uint8_t>> pages_;
  int write_calls_ = 0;
  int grow_calls_ = 0;
};

// ======================================= Initialization =======================================

TEST(MemoryManagerTest, InitOnEmptyMemoryWritesThePublishedEmptyHeader) {
  HeapStableMemory memory;
  auto manager = MustInit(memory, 1);
  ASSERT_NE(manager, nullptr);
  ASSERT_EQ(memory.size_pages(), 1u);

  const std::vector<uint8_t> prefix = {0x4D, 0x47, 0x52, 0x01, 0x00, 0x00, 0x01, 0x00};
  EXPECT_EQ(std::vector<uint8_t>(memory.bytes().begin(), memory.bytes().begin() + 8), prefix);
  EXPECT_EQ(StateOf(memory), ExpectedState({.bucket_size_pages = 1, .owners = {}, .sizes = {}}));
  // The rest of page 0 stays zero.
  for (uint64_t i = kStateEnd; i < kPage; ++i) ASSERT_EQ(memory.bytes()[i], 0) << i;

  EXPECT_EQ(manager->bucket_size_pages(), 1);
  EXPECT_EQ(manager->allocated_buckets(), 0u);
  for (int id = 0; id < 255; ++id) EXPECT_EQ(manager->memory_size_pages(static_cast<MemoryId>(id)), 0u);
}

TEST(MemoryManagerTest, DefaultBucketSizeIs128Pages) {
  HeapStableMemory memory;
  auto manager = MemoryManager::Init(memory);
  ASSERT_TRUE(manager.ok()) << manager.status().ToString();
  EXPECT_EQ((*manager)->bucket_size_pages(), 128);
  EXPECT_EQ(memory.bytes()[6], 0x80);
  EXPECT_EQ(memory.bytes()[7], 0x00);
  EXPECT_EQ(StateOf(memory), ExpectedState({.bucket_size_pages = 128, .owners = {}, .sizes = {}}));
}

TEST(MemoryManagerTest, InitRejectsZeroBucketSizeAndWritesNothing) {
  HeapStableMemory memory;
  auto manager = MemoryManager::InitOrLoad(memory, 0);
  ASSERT_FALSE(manager.ok());
  EXPECT_EQ(manager.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(manager.status().message(), HasSubstr("bucket_size_pages"));
  EXPECT_EQ(memory.size_pages(), 0u);
}

TEST(MemoryManagerTest, InitOnMemoryThatCannotGrowIsACapacityError) {
  HeapStableMemory memory(/*max_pages=*/0);
  auto manager = MemoryManager::InitOrLoad(memory, 1);
  ASSERT_FALSE(manager.ok());
  EXPECT_EQ(manager.status().code(), ErrorCode::kCapacity);
  EXPECT_EQ(manager.status().required_pages(), 1u);
  EXPECT_EQ(memory.size_pages(), 0u);
}

// The original initializes over any memory that does not start with "MGR": it writes the header and the owner
// table, grows nothing, and leaves every other byte as it was, including inside the buckets it later hands out.
TEST(MemoryManagerTest, InitOverForeignMemoryKeepsItsSizeAndOtherBytes) {
  HeapStableMemory memory;
  memory.Assign(std::vector<uint8_t>(3 * kPage, 0xAB));
  auto manager = MustInit(memory, 1);
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(memory.size_pages(), 3u);
  EXPECT_EQ(StateOf(memory), ExpectedState({.bucket_size_pages = 1, .owners = {}, .sizes = {}}));
  for (uint64_t i = kStateEnd; i < 3 * kPage; ++i) ASSERT_EQ(memory.bytes()[i], 0xAB) << i;

  // Two buckets fit in the 3 pages already there: no underlying grow, and the old bytes show through.
  VirtualMemory& vm = MustGet(*manager, 0);
  EXPECT_EQ(vm.grow(2), 0);
  EXPECT_EQ(memory.size_pages(), 3u);
  std::vector<uint8_t> byte(1);
  vm.read(2 * kPage - 1, byte);
  EXPECT_EQ(byte[0], 0xAB);
  // The third bucket does need a grow, to exactly 1 + 3 pages.
  EXPECT_EQ(vm.grow(1), 2);
  EXPECT_EQ(memory.size_pages(), 4u);
}

TEST(MemoryManagerTest, InitOrLoadLoadsAnExistingManagerAndKeepsItsBucketSize) {
  HeapStableMemory memory;
  {
    auto manager = MustInit(memory, 3);
    ASSERT_EQ(MustGet(*manager, 7).grow(4), 0);
  }
  const std::vector<uint8_t> before = memory.bytes();
  auto again = MustInit(memory, 128);  // a different request: the header's bucket size wins
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->bucket_size_pages(), 3);
  EXPECT_EQ(again->memory_size_pages(7), 4u);
  EXPECT_EQ(memory.bytes(), before);
}

// ======================================= Published bytes =======================================

TEST(MemoryManagerTest, ThreeMemoriesOfFivePagesWithBucketSizeOneMatchThePublishedLayout) {
  HeapStableMemory memory;
  auto manager = MustInit(memory, 1);
  ASSERT_NE(manager, nullptr);
  for (MemoryId id : {0, 1, 2}) EXPECT_EQ(MustGet(*manager, id).grow(5), 0);

  const std::vector<uint8_t>& bytes = memory.bytes();
  const std::vector<uint8_t> prefix = {0x4D, 0x47, 0x52, 0x01, 0x0F, 0x00, 0x01, 0x00};
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 8), prefix);
  for (uint64_t i = 8; i < 40; ++i) EXPECT_EQ(bytes[i], 0) << "reserved byte " << i;
  const std::vector<uint8_t> size_five = {5, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 40, bytes.begin() + 48), size_five);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 48, bytes.begin() + 56), size_five);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 56, bytes.begin() + 64), size_five);
  const std::vector<uint8_t> owners = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 0xFF};
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 2080, bytes.begin() + 2096), owners);

  EXPECT_EQ(StateOf(memory), ExpectedState({.bucket_size_pages = 1,
                                            .owners = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2},
                                            .sizes = {{0, 5}, {1, 5}, {2, 5}}}));
  EXPECT_EQ(memory.size_pages(), 16u);  // exactly 1 + bucket * allocated
}

TEST(MemoryManagerTest, GrowAllocatesBucketsOnlyWhenNeededAndGrowsTheBackingExactly) {
  HeapStableMemory memory;
  auto manager = MustInit(memory, 4);
  ASSERT_NE(manager, nullptr);
  VirtualMemory& a = MustGet(*manager, 10);
  VirtualMemory& b = MustGet(*manager, 254);

  EXPECT_EQ(a.grow(1), 0);  // bucket 0
  EXPECT_EQ(memory.size_pages(), 1u + 4);
  EXPECT_EQ(a.grow(3), 1);  // still bucket 0
  EXPECT_EQ(memory.size_pages(), 1u + 4);
  EXPECT_EQ(manager->allocated_buckets(), 1u);
  EXPECT_EQ(b.grow(5), 0);  // buckets 1, 2
  EXPECT_EQ(a.grow(0), 4);  // a query, nothing allocated
  EXPECT_EQ(a.grow(1), 4);  // bucket 3
  EXPECT_EQ(memory.size_pages(), 1u + 4 * 4);
  EXPECT_EQ(a.size_pages(), 5u);
  EXPECT_EQ(b.size_pages(), 5u);
  EXPECT_THAT(std::vector<uint16_t>(manager->buckets(10).begin(), manager->buckets(10).end()),
              ::testing::ElementsAre(0, 3));
  EXPECT_THAT(std::vector<uint16_t>(manager->buckets(254).begin(), manager->buckets(254).end()),
              ::testing::ElementsAre(1, 2));
  EXPECT_EQ(StateOf(memory),
            ExpectedState({.bucket_size_pages = 4, .owners = {10, 254, 254, 10}, .sizes = {{10, 5}, {254, 5}}}));
}

// A memory pre-grown beyond what the buckets need is not grown again (the original's behaviour).
TEST(MemoryManagerTest, GrowDoesNotGrowABackingThatIsAlreadyLargeEnough) {
  HeapStableMemory memory;
  ASSERT_EQ(memory.grow(1), 0);
  ASSERT_NE(MustInit(memory, 2), nullptr);  // magic absent in the zero page: initialize
  ASSERT_EQ(memory.grow(9), 1);             // someone else grows the memory to 10 pages
  auto manager = MustLoad(memory);
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(MustGet(*manager, 0).grow(8), 0);  // 4 buckets: 1 + 8 = 9 <= 10 pages
  EXPECT_EQ(memory.size_pages(), 10u);
  EXPECT_EQ(MustGet(*manager, 0).grow(2), 8);  // 5 buckets: 11 pages
  EXPECT_EQ(memory.size_pages(), 11u);
}

// ======================================= Mapping =======================================

// An image laid out by hand: memory m's k-th bucket is the k-th smallest bucket id that m owns, wherever it lies.
TEST(MemoryManagerTest, LoadsAHandBuiltImageAndMapsTheKthBucketToTheKthSmallestOwnedId) {
  const ExpectedLayout layout = {.bucket_size_pages = 2, .owners = {1, 0, 1, 0, 0}, .sizes = {{0, 6}, {1, 3}}};
  // Every byte of bucket b says b, so a read shows which bucket it came from.
  HeapStableMemory memory;
  memory.Assign(ExpectedImage(layout, [](uint64_t bucket, uint64_t) { return static_cast<uint8_t>(bucket); }));
  auto manager = MustLoad(memory);
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(manager->bucket_size_pages(), 2);
  EXPECT_EQ(manager->allocated_buckets(), 5u);

  VirtualMemory& m0 = MustGet(*manager, 0);
  VirtualMemory& m1 = MustGet(*manager, 1);
  ASSERT_EQ(m0.size_pages(), 6u);
  ASSERT_EQ(m1.size_pages(), 3u);
  const uint64_t bucket_bytes = 2 * kPage;
  const std::vector<uint8_t> m0_buckets = {1, 3, 4};
  const std::vector<uint8_t> m1_buckets = {0, 2};
  for (uint64_t k = 0; k < 3; ++k) {
    std::vector<uint8_t> got(bucket_bytes);
    m0.read(k * bucket_bytes, got);
    EXPECT_EQ(got, std::vector<uint8_t>(bucket_bytes, m0_buckets[k])) << "memory 0 bucket index " << k;
  }
  std::vector<uint8_t> got(3 * kPage);
  m1.read(0, got);
  std::vector<uint8_t> want(2 * kPage, m1_buckets[0]);
  want.resize(3 * kPage, m1_buckets[1]);
  EXPECT_EQ(got, want);
}

// Memory 0's buckets are 0, 2, 4 and memory 1's are 1, 3: a write over three of memory 0's buckets lands in three
// separate places and leaves memory 1 alone.
TEST(MemoryManagerTest, ReadsAndWritesSpanNonAdjacentBuckets) {
  HeapStableMemory memory;
  auto manager = MustInit(memory, 1);
  ASSERT_NE(manager, nullptr);
  VirtualMemory& m0 = MustGet(*manager, 0);
  VirtualMemory& m1 = MustGet(*manager, 1);
  for (int round = 0; round < 2; ++round) {
    ASSERT_GE(m0.grow(1), 0);
    ASSERT_GE(m1.grow(1), 0);
  }
  ASSERT_EQ(m0.grow(1), 2);
  ASSERT_EQ(memory.size_pages(), 6u);

  const uint64_t offset = kPage - 100;
  const std::vector<uint8_t> data = PatternBytes(0, offset, kPage + 200);  // bucket 0 tail, all of 2, 4 head
  m0.write(offset, data);
  std::vector<uint8_t> back(data.size());
  m0.read(offset, back);
  EXPECT_EQ(back, data);

  // Physical placement, computed from the layout: bucket b starts at 65536 + b * 65536.
  const std::vector<uint8_t>& raw = memory.bytes();
  for (uint64_t i = 0; i < data.size(); ++i) {
    const uint64_t v = offset + i;
    const uint64_t physical_bucket = std::vector<uint64_t>{0, 2, 4}[v / kPage];
    ASSERT_EQ(raw[kPage + physical_bucket * kPage + v % kPage], data[i]) << "virtual offset " << v;
  }
  std::vector<uint8_t> m1_bytes(2 * kPage);
  m1.read(0, m1_bytes);
  EXPECT_EQ(m1_bytes, std::vector<uint8_t>(2 * kPage, 0));

  // A read that starts and ends inside buckets without covering a whole one.
  std::vector<uint8_t> middle(250);  // [2 pages - 150, 2 pages + 100): the end of `data`
  m0.read(2 * kPage - 150, middle);
  EXPECT_EQ(middle, std::vector<uint8_t>(data.end() - 250, data.end()));
}

TEST(MemoryManagerTest, LargeBucketsSpanAcrossBoundaries) {
  HeapStableMemory memory;
  auto manager = MustInit(memory, 2);
  ASSERT_NE(manager, nullptr);
  VirtualMemory& a = MustGet(*manager, 5);
  VirtualMemory& b = MustGet(*manager, 6);
  ASSERT_EQ(a.grow(3), 0);  // buckets 0, 1
  ASSERT_EQ(b.grow(1), 0);  // bucket 2
  ASSERT_EQ(a.grow(2), 3);  // bucket 3
  const std::vector<uint8_t> whole = PatternBytes(5, 0, 5 * kPage);
  a.write(0, whole);
  b.write(0, PatternBytes(6, 0, kPage));
  std::vector<uint8_t> back(5 * kPage);
  a.read(0, back);
  EXPECT_EQ(back, whole);
  // Bucket 3 (a's third) starts at page 1 + 3 * 2 = 7 and holds a's virtual bytes from 4 * 65536.
  EXPECT_EQ(memory.bytes()[7 * kPage], whole[4 * kPage]);
  EXPECT_EQ(memory.bytes()[7 * kPage + kPage - 1], whole[5 * kPage - 1]);
}

// ======================================= Reload =======================================

TEST(MemoryManagerTest, ReloadAfterInterleavedGrowsKeepsSizesBucketsAndBytes) {
  HeapStableMemory memory;
  const std::vector<MemoryId> ids = {0, 3, 120, 254, 7};
  std::map<MemoryId, uint64_t> sizes;
  std::vector<std::pair<MemoryId, uint64_t>> grows = {{3, 2},   {120, 5}, {0, 1}, {3, 3},   {254, 1}, {0, 4},
                                                      {120, 1}, {7, 6},   {3, 1}, {254, 2}, {0, 0},   {7, 1}};
  std::map<MemoryId, std::vector<uint16_t>> buckets_before;
  {
    auto manager = MustInit(memory, 2);
    ASSERT_NE(manager, nullptr);
    for (const auto& [id, delta] : grows) {
      EXPECT_EQ(MustGet(*manager, id).grow(delta), static_cast<int64_t>(sizes[id]));
      sizes[id] += delta;
    }
    for (MemoryId id : ids) {
      VirtualMemory& vm = MustGet(*manager, id);
      vm.write(0, PatternBytes(id, 0, vm.size_bytes()));
      buckets_before[id].assign(manager->buckets(id).begin(), manager->buckets(id).end());
    }
  }
  const std::vector<uint8_t> image = memory.bytes();

  auto loaded = MustLoad(memory);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->bucket_size_pages(), 2);
  for (MemoryId id : ids) {
    VirtualMemory& vm = MustGet(*loaded, id);
    EXPECT_EQ(vm.size_pages(), sizes[id]) << int{id};
    EXPECT_EQ(std::vector<uint16_t>(loaded->buckets(id).begin(), loaded->buckets(id).end()), buckets_before[id]);
    std::vector<uint8_t> back(vm.size_bytes());
    vm.read(0, back);
    EXPECT_EQ(back, PatternBytes(id, 0, vm.size_bytes())) << int{id};
  }
  EXPECT_EQ(memory.bytes(), image);  // loading wrote nothing

  // The same image in a fresh memory (as fsck reads a snapshot file) loads the same.
  HeapStableMemory copy;
  copy.Assign(image);
  auto from_copy = MustLoad(copy);
  ASSERT_NE(from_copy, nullptr);
  for (MemoryId id : ids) EXPECT_EQ(from_copy->memory_size_pages(id), sizes[id]);

  // Growing after the reload continues with the next bucket id.
  const uint32_t allocated = loaded->allocated_buckets();
  VirtualMemory& fresh = MustGet(*loaded, 99);
  EXPECT_EQ(fresh.grow(1), 0);
  EXPECT_THAT(std::vector<uint16_t>(loaded->buckets(99).begin(), loaded->buckets(99).end()),
              ::testing::ElementsAre(allocated));
}

// ======================================= Limits and traps =======================================

TEST(MemoryManagerTest, GetRejectsIdTwoHundredFiftyFiveAndReturnsStableHandles) {
  HeapStableMemory memory;
  auto manager = MustInit(memory, 1);
  ASSERT_NE(manager, nullptr);
  auto bad = manager->Get(255);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("255"));
  EXPECT_EQ(manager->memory_size_pages(255), 0u);
  EXPECT_TRUE(manager->buckets(255).empty());

  VirtualMemory* first = *manager->Get(254);
  VirtualMemory* second = *manager->Get(254);
  EXPECT_EQ(first, second);
  EXPECT_EQ(first->id(), 254);
  EXPECT_EQ(first->size_pages(), 0u);
}

TEST(MemoryManagerTest, GrowReturnsMinusOneWhenBucketsRunOutAndChangesNothing) {
  SparseStableMemory memory;
  auto manager = MustInit(memory, 1);
  ASSERT_NE(manager, nullptr);
  VirtualMemory& a = MustGet(*manager, 0);
  VirtualMemory& b = MustGet(*manager, 1);

  // More than 32,768 buckets in a single request, from empty.
  const auto pages_before = memory.pages();
  const int writes_before = memory.write_calls();
  EXPECT_EQ(a.grow(32769), -1);
  EXPECT_EQ(a.grow(std::numeric_limits<uint64_t>::max()), -1);  // no wrap-around
  EXPECT_EQ(memory.write_calls(), writes_before);
  EXPECT_EQ(memory.pages(), pages_before);
  EXPECT_EQ(memory.size_pages(), 1u);
  EXPECT_EQ(a.size_pages(), 0u);

  // Fill up to one bucket short of the limit, then ask for two: refused; one: granted; then nothing more.
  ASSERT_EQ(a.grow(32767), 0);
  ASSERT_EQ(memory.size_pages(), 1u + 32767);
  const auto full_pages = memory.pages();
  const int full_writes = memory.write_calls();
  EXPECT_EQ(b.grow(2), -1);
  EXPECT_EQ(memory.pages(), full_pages);
  EXPECT_EQ(memory.write_calls(), full_writes);
  EXPECT_EQ(memory.size_pages(), 1u + 32767);
  EXPECT_EQ(b.size_pages(), 0u);
  EXPECT_EQ(manager->allocated_buckets(), 32767u);

  EXPECT_EQ(b.grow(1), 0);
  EXPECT_EQ(manager->allocated_buckets(), 32768u);
  EXPECT_EQ(a.grow(1), -1);
  EXPECT_EQ(b.grow(1), -1);
  EXPECT_EQ(b.grow(0), 1);

  // The full table is a valid image: last owner byte at 2080 + 32767 belongs to memory 1.
  std::vector<uint8_t> tail(3);
  memory.read(4, std::span<uint8_t>(tail).first(2));
  EXPECT_EQ(tail[0], 0x00);
  EXPECT_EQ(tail[1], 0x80);  // 32768 = 0x8000 LE
  memory.read(2080 + 32766, std::span<uint8_t>(tail).first(2));
  EXPECT_EQ(tail[0], 0);
  EXPECT_EQ(tail[1], 1);
  auto loaded = MustLoad(memory);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->memory_size_pages(0), 32767u);
  EXPECT_EQ(loaded->memory_size_pages(1), 1u);
}

TEST(MemoryManagerTest, FullDefaultBucketsAddressTwoHundredFiftySixGibibytes) {
  SparseStableMemory memory;
  auto manager = MustInit(memory, 128);
  ASSERT_NE(manager, nullptr);
  VirtualMemory& vm = MustGet(*manager, 0);
  const uint64_t max_pages = 32768ull * 128;  // 256 GiB
  EXPECT_EQ(vm.grow(max_pages + 1), -1);
  EXPECT_EQ(vm.grow(max_pages), 0);
  EXPECT_EQ(memory.size_pages(), 1 + max_pages);
  // The last byte of the last bucket is reachable and lands on the last byte of the memory.
  const std::vector<uint8_t> last = {0x7E};
  vm.write(max_pages * kPage - 1, last);
  std::vector<uint8_t> raw(1);
  memory.read(memory.size_bytes() - 1, raw);
  EXPECT_EQ(raw, last);
}

TEST(MemoryManagerTest, UnderlyingGrowFailureTrapsAndChangesNothing) {
  HeapStableMemory memory(/*max_pages=*/3);
  auto manager = MustInit(memory, 1);
  ASSERT_NE(manager, nullptr);
  VirtualMemory& vm = MustGet(*manager, 4);
  ASSERT_EQ(vm.grow(2), 0);  // 1 + 2 = 3 pages: the maximum
  vm.write(0, PatternBytes(4, 0, 2 * kPage));
  const std::vector<uint8_t> before = memory.bytes();

  EXPECT_THROW(vm.grow(1), Trap);
  EXPECT_EQ(memory.bytes(), before);  // nothing written, even without a rollback
  EXPECT_EQ(vm.size_pages(), 2u);     // nor on the heap
  EXPECT_EQ(manager->allocated_buckets(), 2u);
  EXPECT_THROW(MustGet(*manager, 9).grow(1), Trap);
  EXPECT_EQ(memory.bytes(), before);

  // Once the memory may grow, the same manager carries on with the next bucket, consistent with memory.
  memory.set_max_pages(4);
  EXPECT_EQ(vm.grow(1), 2);
  auto loaded = MustLoad(memory);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->memory_size_pages(4), 3u);
  EXPECT_EQ(loaded->memory_size_pages(9), 0u);
}

TEST(MemoryManagerTest, AccessesBeyondTheVirtualSizeTrapAndWriteNothing) {
  HeapStableMemory memory;
  auto manager = MustInit(memory, 2);
  ASSERT_NE(manager, nullptr);
  VirtualMemory& vm = MustGet(*manager, 1);
  VirtualMemory& empty = MustGet(*manager, 2);
  ASSERT_EQ(vm.grow(1), 0);  // 1 page of a 2-page bucket: the bucket's second page is not the memory's
  const std::vector<uint8_t> before = memory.bytes();
  std::vector<uint8_t> four(4, 0xCC);
  std::vector<uint8_t> none;

  EXPECT_NO_THROW(vm.read(kPage - 4, four));
  EXPECT_NO_THROW(vm.read(kPage, none));
  EXPECT_THROW(vm.read(kPage - 3, four), Trap);
  EXPECT_THROW(vm.write(kPage - 3, four), Trap);
  EXPECT_THROW(vm.read(kPage + 1, none), Trap);
  EXPECT_THROW(vm.write(std::numeric_limits<uint64_t>::max() - 1, four), Trap);  // wraps if added naively
  EXPECT_THROW(empty.read(0, four), Trap);
  EXPECT_NO_THROW(empty.read(0, none));
  EXPECT_EQ(memory.bytes(), before);

  try {
    vm.write(kPage - 3, four);
    FAIL() << "expected a trap";
  } catch (const Trap& trap) {
    EXPECT_THAT(trap.what(), HasSubstr("virtual memory 1"));
  }
  EXPECT_NO_THROW(vm.write(kPage - 4, four));
}

// ======================================= Strict loading =======================================

// The valid image every corruption case starts from: bucket size 2; memory 0 owns buckets 0 and 2 (3 pages),
// memory 3 owns buckets 1, 3 and 4 (6 pages); 11 pages in all.
ExpectedLayout BaseLayout() { return {.bucket_size_pages = 2, .owners = {0, 3, 0, 3, 3}, .sizes = {{0, 3}, {3, 6}}}; }

std::vector<uint8_t> BaseImage() {
  return ExpectedImage(BaseLayout(), [](uint64_t bucket, uint64_t i) { return static_cast<uint8_t>(bucket + i); });
}

TEST(MemoryManagerTest, TheBaseImageOfTheCorruptionCasesLoads) {
  HeapStableMemory memory;
  memory.Assign(BaseImage());
  auto manager = MustLoad(memory);
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(manager->memory_size_pages(0), 3u);
  EXPECT_EQ(manager->memory_size_pages(3), 6u);
  EXPECT_THAT(std::vector<uint16_t>(manager->buckets(3).begin(), manager->buckets(3).end()),
              ::testing::ElementsAre(1, 3, 4));
  // Memory 3's virtual bucket k is physical bucket 1, 3, 4 for k = 0, 1, 2; byte i of bucket b holds b + i.
  std::vector<uint8_t> byte(1);
  MustGet(*manager, 3).read(2 * kPage + 5, byte);
  EXPECT_EQ(byte[0], static_cast<uint8_t>(3 + 5));
  MustGet(*manager, 3).read(4 * kPage + 5, byte);
  EXPECT_EQ(byte[0], static_cast<uint8_t>(4 + 5));
}

struct CorruptCase {
  const char* name;
  std::function<void(Image&)> mutate;
  ErrorCode code;
  const char* field;
};

void PrintTo(const CorruptCase& c, std::ostream* os) { *os << c.name; }

class CorruptHeaderTest : public ::testing::TestWithParam<CorruptCase> {};

TEST_P(CorruptHeaderTest, LoadNamesTheFieldAndWritesNothing) {
  const CorruptCase& c = GetParam();
  std::vector<uint8_t> image = BaseImage();
  c.mutate(image);
  HeapStableMemory memory;
  memory.Assign(image);

  auto loaded = MemoryManager::Load(memory);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), c.code) << loaded.status().ToString();
  EXPECT_THAT(loaded.status().message(), HasSubstr(std::string("field ") + c.field)) << loaded.status().ToString();
  EXPECT_EQ(memory.bytes(), image);

  // InitOrLoad finds "MGR" and so loads: the same error, and the corrupt header is not overwritten.
  auto init = MemoryManager::InitOrLoad(memory, 1);
  ASSERT_FALSE(init.ok());
  EXPECT_EQ(init.status().code(), c.code);
  EXPECT_THAT(init.status().message(), HasSubstr(std::string("field ") + c.field));
  EXPECT_EQ(memory.bytes(), image);
}

void SetU16(std::vector<uint8_t>& image, uint64_t offset, uint16_t value) { PutLe(image, offset, value, 2); }
void SetSize(std::vector<uint8_t>& image, int id, uint64_t pages) {
  PutLe(image, 40 + 8 * static_cast<uint64_t>(id), pages, 8);
}

INSTANTIATE_TEST_SUITE_P(
    EveryField, CorruptHeaderTest,
    ::testing::Values(
        CorruptCase{"VersionTwo", [](Image& im) { im[3] = 2; }, ErrorCode::kUnsupportedVersion, "version"},
        CorruptCase{"VersionZero", [](Image& im) { im[3] = 0; }, ErrorCode::kUnsupportedVersion, "version"},
        CorruptCase{"BucketSizeZero", [](Image& im) { SetU16(im, 6, 0); }, ErrorCode::kCorrupt, "bucket_size_pages"},
        CorruptCase{"AllocatedBeyondTable", [](Image& im) { SetU16(im, 4, 32769); }, ErrorCode::kCorrupt,
                    "allocated_buckets"},
        CorruptCase{"AllocatedMaxU16", [](Image& im) { SetU16(im, 4, 0xFFFF); }, ErrorCode::kCorrupt,
                    "allocated_buckets"},
        CorruptCase{"AllocatedTooFewForOwners", [](Image& im) { SetU16(im, 4, 4); }, ErrorCode::kCorrupt,
                    "owner_table"},
        CorruptCase{"AllocatedTooManyForOwners", [](Image& im) { SetU16(im, 4, 6); }, ErrorCode::kCorrupt,
                    "owner_table"},
        CorruptCase{"OwnerHoleBelowAllocated", [](Image& im) { im[2080 + 2] = 0xFF; }, ErrorCode::kCorrupt,
                    "owner_table"},
        CorruptCase{"StrayOwnerAboveAllocated", [](Image& im) { im[2080 + 100] = 7; }, ErrorCode::kCorrupt,
                    "owner_table"},
        CorruptCase{"LastOwnerByteSet", [](Image& im) { im[2080 + 32767] = 0; }, ErrorCode::kCorrupt, "owner_table"},
        CorruptCase{"SizeNeedsMoreBuckets", [](Image& im) { SetSize(im, 3, 7); }, ErrorCode::kCorrupt,
                    "memory_size_pages[3]"},
        CorruptCase{"SizeNeedsFewerBuckets", [](Image& im) { SetSize(im, 0, 2); }, ErrorCode::kCorrupt,
                    "memory_size_pages[0]"},
        CorruptCase{"SizeZeroWithBuckets", [](Image& im) { SetSize(im, 0, 0); }, ErrorCode::kCorrupt,
                    "memory_size_pages[0]"},
        CorruptCase{"SizeWithoutBuckets", [](Image& im) { SetSize(im, 254, 1); }, ErrorCode::kCorrupt,
                    "memory_size_pages[254]"},
        CorruptCase{"SizeMaxU64", [](Image& im) { SetSize(im, 3, std::numeric_limits<uint64_t>::max()); },
                    ErrorCode::kCorrupt, "memory_size_pages[3]"},
        CorruptCase{"BucketMovedToAnotherMemory", [](Image& im) { im[2080 + 4] = 9; }, ErrorCode::kCorrupt,
                    "memory_size_pages[3]"},
        CorruptCase{"TruncatedByOnePage",
                    [](Image& im) { im.erase(im.end() - static_cast<std::ptrdiff_t>(kPage), im.end()); },
                    ErrorCode::kCorrupt, "backing_size_pages"},
        CorruptCase{"TruncatedToHeaderOnly",
                    [](Image& im) { im.erase(im.begin() + static_cast<std::ptrdiff_t>(kPage), im.end()); },
                    ErrorCode::kCorrupt, "backing_size_pages"}),
    [](const ::testing::TestParamInfo<CorruptCase>& info) { return std::string(info.param.name); });

TEST(MemoryManagerTest, LoadRejectsAForeignOrEmptyMemoryByItsMagic) {
  std::vector<uint8_t> image = BaseImage();
  image[2] = 'S';
  HeapStableMemory memory;
  memory.Assign(image);
  auto loaded = MemoryManager::Load(memory);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), ErrorCode::kForeignImage);
  EXPECT_THAT(loaded.status().message(), HasSubstr("field magic"));
  EXPECT_THAT(loaded.status().message(), HasSubstr("4D 47 53"));
  EXPECT_EQ(memory.bytes(), image);

  HeapStableMemory empty;
  auto none = MemoryManager::Load(empty);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), ErrorCode::kForeignImage);
  EXPECT_THAT(none.status().message(), HasSubstr("field magic"));
  EXPECT_EQ(empty.size_pages(), 0u);
}

// Reserved bytes are not checked (the original never reads them), so a future use of them still loads.
TEST(MemoryManagerTest, ReservedBytesAreNotChecked) {
  std::vector<uint8_t> image = BaseImage();
  for (uint64_t i = 8; i < 40; ++i) image[i] = 0x11;
  HeapStableMemory memory;
  memory.Assign(image);
  auto manager = MustLoad(memory);
  ASSERT_NE(manager, nullptr);
  EXPECT_EQ(manager->memory_size_pages(3), 6u);
}

// ======================================= Crash between writes =======================================

// Thrown by CrashingStableMemory when the simulated power fails.
struct PowerLoss {};

// Lets the first `writes_before_crash` writes through to `inner` and then fails the power: the next write (and
// everything after it) never happens. Grows before the crash persist, as pages already grown do on the IC.
class CrashingStableMemory final : public StableMemory {
 public:
  CrashingStableMemory(HeapStableMemory& inner, int writes_before_crash)
      : inner_(inner), writes_left_(writes_before_crash) {}

  uint64_t size_pages() const override { return inner_.size_pages(); }
  int64_t grow(uint64_t delta_pages) override {
    if (crashed_) throw PowerLoss{};
    return inner_.grow(delta_pages);
  }
  void read(uint64_t offset_bytes, std::span<uint8_t> out) override { inner_.read(offset_bytes, out); }
  void write(uint64_t offset_bytes, std::span<const uint8_t> data) override {
    if (writes_left_ == 0) {
      crashed_ = true;
      throw PowerLoss{};
    }
    --writes_left_;
    inner_.write(offset_bytes, data);
  }
  bool crashed() const { return crashed_; }

 private:
  HeapStableMemory& inner_;
  int writes_left_;
  bool crashed_ = false;
};

// A crash at any write of Init leaves either no magic (so InitOrLoad initializes again) or the whole new state;
// never a magic over an owner table that contradicts it.
TEST(MemoryManagerTest, InitInterruptedAtAnyWriteCanBeInitializedAgain) {
  bool completed = false;
  for (int writes = 0; !completed; ++writes) {
    ASSERT_LT(writes, 10) << "Init never completed";
    HeapStableMemory memory;
    CrashingStableMemory crashing(memory, writes);
    try {
      auto manager = MemoryManager::InitOrLoad(crashing, 1);
      ASSERT_TRUE(manager.ok());
      completed = true;
    } catch (const PowerLoss&) {
    }
    auto reboot = MemoryManager::InitOrLoad(memory, 1);
    ASSERT_TRUE(reboot.ok()) << "after " << writes << " writes: " << reboot.status().ToString();
    EXPECT_EQ(StateOf(memory), ExpectedState({.bucket_size_pages = 1, .owners = {}, .sizes = {}}));
  }
}

// A crash at any write of a grow leaves the old state or the new one, both loadable, and the other memories'
// data untouched. (Writing the owner bytes and the header separately, as the original does, would leave owner
// bytes above allocated_buckets after a crash between them, which the strict loader rejects.)
TEST(MemoryManagerTest, GrowInterruptedAtAnyWriteLeavesTheOldOrTheNewState) {
  HeapStableMemory setup;
  {
    auto manager = MustInit(setup, 1);
    ASSERT_NE(manager, nullptr);
    for (const auto& [id, pages] : std::vector<std::pair<MemoryId, uint64_t>>{{0, 2}, {1, 2}, {0, 1}}) {
      ASSERT_GE(MustGet(*manager, id).grow(pages), 0);
    }
    MustGet(*manager, 0).write(0, PatternBytes(0, 0, 3 * kPage));
    MustGet(*manager, 1).write(0, PatternBytes(1, 0, 2 * kPage));
  }
  const std::vector<uint8_t> old_image = setup.bytes();

  for (const auto& [id, pages] : std::vector<std::pair<MemoryId, uint64_t>>{{2, 3}, {0, 2}, {1, 1}}) {
    bool completed = false;
    for (int writes = 0; !completed; ++writes) {
      ASSERT_LT(writes, 10) << "grow never completed";
      HeapStableMemory memory;
      memory.Assign(old_image);
      CrashingStableMemory crashing(memory, writes);
      auto manager = MustLoad(crashing);
      ASSERT_NE(manager, nullptr);
      const uint64_t old_pages = manager->memory_size_pages(id);
      try {
        ASSERT_EQ(MustGet(*manager, id).grow(pages), static_cast<int64_t>(old_pages));
        completed = true;
      } catch (const PowerLoss&) {
      }
      auto reboot = MemoryManager::Load(memory);
      ASSERT_TRUE(reboot.ok()) << "memory " << int{id} << " after " << writes
                               << " writes: " << reboot.status().ToString();
      const uint64_t size_after = (*reboot)->memory_size_pages(id);
      EXPECT_TRUE(size_after == old_pages || (completed && size_after == old_pages + pages))
          << "memory " << int{id} << " after " << writes << " writes has " << size_after << " pages";
      for (MemoryId other : {0, 1}) {
        const uint64_t other_pages = (*reboot)->memory_size_pages(other);
        std::vector<uint8_t> back(std::min<uint64_t>(other_pages, other == 0 ? 3 : 2) * kPage);
        MustGet(**reboot, other).read(0, back);
        EXPECT_EQ(back, PatternBytes(other, 0, back.size())) << "memory " << int{other};
      }
    }
  }
}

// ======================================= Random workload against a model =======================================

// Runs `steps` random grows, writes, reads and reloads over five memories, checking every read and every reload
// against the model, and leaves the final stable memory image in `image`.
void RunRandomWorkload(uint64_t seed, int steps, std::vector<uint8_t>* image) {
  std::mt19937_64 rng(seed);
  auto below = [&rng](uint64_t n) { return rng() % n; };  // own range reduction; the bias is irrelevant here

  HeapStableMemory memory;
  std::unique_ptr<MemoryManager> manager = MustInit(memory, 1);
  ASSERT_NE(manager, nullptr);
  const std::vector<MemoryId> ids = {0, 1, 42, 120, 254};
  std::map<MemoryId, std::vector<uint8_t>> model;
  for (MemoryId id : ids) model[id];

  for (int step = 0; step < steps; ++step) {
    const MemoryId id = ids[below(ids.size())];
    VirtualMemory& vm = MustGet(*manager, id);
    std::vector<uint8_t>& bytes = model[id];
    const uint64_t op = below(10);
    if (op < 2) {
      const uint64_t delta = below(3);
      ASSERT_EQ(vm.grow(delta), static_cast<int64_t>(bytes.size() / kPage)) << "step " << step;
      bytes.resize(bytes.size() + delta * kPage, 0);
    } else if (op < 6) {
      if (bytes.empty()) continue;
      const uint64_t offset = below(bytes.size());
      const uint64_t len = below(std::min<uint64_t>(bytes.size() - offset, 3 * kPage) + 1);
      std::vector<uint8_t> data(len);
      for (auto& b : data) b = static_cast<uint8_t>(rng());
      vm.write(offset, data);
      std::copy(data.begin(), data.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset));
    } else if (op < 9) {
      if (bytes.empty()) continue;
      const uint64_t offset = below(bytes.size());
      const uint64_t len = below(std::min<uint64_t>(bytes.size() - offset, 3 * kPage) + 1);
      std::vector<uint8_t> got(len);
      vm.read(offset, got);
      ASSERT_TRUE(std::equal(got.begin(), got.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset)))
          << "step " << step;
    } else {
      // Reload from stable memory, as after an upgrade; every memory must read back whole.
      manager = MustLoad(memory);
      ASSERT_NE(manager, nullptr);
      for (MemoryId each : ids) {
        VirtualMemory& again = MustGet(*manager, each);
        ASSERT_EQ(again.size_bytes(), model[each].size());
        std::vector<uint8_t> all(model[each].size());
        again.read(0, all);
        ASSERT_EQ(all, model[each]) << "memory " << int{each} << " after reload at step " << step;
      }
    }
  }
  // With bucket size 1 the backing is exactly the header page plus one page per allocated bucket.
  ASSERT_EQ(memory.size_pages(), 1 + manager->allocated_buckets());
  *image = memory.bytes();
}

TEST(MemoryManagerTest, SeededRandomWorkloadMatchesAByteModelAcrossReloads) {
  constexpr uint64_t kSeed = 0x5eed5eedULL;
  std::vector<uint8_t> first;
  std::vector<uint8_t> second;
  ASSERT_NO_FATAL_FAILURE(RunRandomWorkload(kSeed, 400, &first));
  ASSERT_FALSE(first.empty());
  // The same seed must produce the same image, byte for byte: the workload is reproducible from its seed.
  ASSERT_NO_FATAL_FAILURE(RunRandomWorkload(kSeed, 400, &second));
  EXPECT_TRUE(first == second);
}

}  // namespace
}  // namespace stablevfs
