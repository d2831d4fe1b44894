// Overlay tests (REFERENCE 3.2).
//
// Goal: the heap overlay holds whole 16 KiB pages, copies a base page before a partial write, never reads
// the base for a whole-page write, drops pages past a truncation and zeroes the tail of the cut page, and
// never lets base bytes that a truncation removed reappear when the file grows again (the truncation
// watermark). Method: a fake base image in a vector, with a reader that counts its calls and can be told to
// fail; each test checks bytes through Overlay::Read and the exact set of dirty pages, and a seeded random
// sequence of writes and truncates is compared with a plain byte-vector model of the file.
#include "lib/layout/overlay.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "failpoints/registry.h"
#include "lib/layout/layout.h"

namespace stablevfs {
namespace {

constexpr uint64_t kPage = kDbPageBytes;

// A base image of whole pages; page p is filled with the byte value p + 1 unless given explicitly.
struct FakeBase {
  std::vector<uint8_t> bytes;
  uint64_t db_size = 0;
  int reads = 0;
  bool fail = false;

  explicit FakeBase(uint64_t pages) : bytes(pages * kPage), db_size(pages * kPage) {
    for (uint64_t p = 0; p < pages; ++p) std::fill_n(bytes.begin() + p * kPage, kPage, static_cast<uint8_t>(p + 1));
  }
  Overlay::BaseReader Reader() {
    return [this](uint64_t page_no, std::span<uint8_t> out) -> Status {
      ++reads;
      if (fail) return Status::Corrupt("base read failed");
      std::fill(out.begin(), out.end(), 0);
      if ((page_no + 1) * kPage <= bytes.size()) std::copy_n(bytes.begin() + page_no * kPage, kPage, out.begin());
      return Status::Ok();
    };
  }
};

std::vector<uint8_t> ReadAll(Overlay& o, uint64_t len) {
  std::vector<uint8_t> out(len);
  EXPECT_TRUE(o.Read(0, out).ok());
  return out;
}

class OverlayTest : public ::testing::Test {
 protected:
  fp::ScopedRegistryReset reset_;
};

TEST_F(OverlayTest, FreshOverlayIsCleanAndReadsTheBase) {
  FakeBase base(3);
  Overlay o(base.db_size, base.Reader());
  EXPECT_FALSE(o.dirty());
  EXPECT_EQ(o.db_size(), 3 * kPage);
  EXPECT_EQ(o.min_db_size(), 3 * kPage);
  EXPECT_EQ(ReadAll(o, 3 * kPage), base.bytes);
}

TEST_F(OverlayTest, PartialWriteCopiesTheBasePage) {
  FakeBase base(3);
  Overlay o(base.db_size, base.Reader());
  const std::vector<uint8_t> data(100, 0xAB);
  ASSERT_TRUE(o.Write(kPage + 10, data).ok());
  EXPECT_EQ(base.reads, 1);
  ASSERT_EQ(o.pages().size(), 1u);
  const std::vector<uint8_t>& page = o.pages().at(1);
  ASSERT_EQ(page.size(), kPage);
  EXPECT_EQ(page[9], 2);  // base byte kept
  EXPECT_EQ(page[10], 0xAB);
  EXPECT_EQ(page[109], 0xAB);
  EXPECT_EQ(page[110], 2);
  EXPECT_TRUE(o.dirty());
  EXPECT_EQ(o.db_size(), 3 * kPage);
}

TEST_F(OverlayTest, WholePageWriteDoesNotReadTheBase) {
  FakeBase base(3);
  Overlay o(base.db_size, base.Reader());
  const std::vector<uint8_t> data(2 * kPage, 0x5C);
  ASSERT_TRUE(o.Write(kPage, data).ok());
  EXPECT_EQ(base.reads, 0);
  EXPECT_EQ(o.pages().size(), 2u);
}

TEST_F(OverlayTest, WriteAcrossPagesAndPastTheEndExtends) {
  FakeBase base(2);
  Overlay o(base.db_size, base.Reader());
  const std::vector<uint8_t> data(kPage, 0x77);
  ASSERT_TRUE(o.Write(2 * kPage - 100, data).ok());  // last 100 bytes of page 1, then 16,284 of page 2
  EXPECT_EQ(o.db_size(), 3 * kPage - 100);
  std::vector<uint8_t> all = ReadAll(o, 4 * kPage);
  EXPECT_EQ(all[2 * kPage - 101], 2);
  EXPECT_EQ(all[2 * kPage - 100], 0x77);
  EXPECT_EQ(all[3 * kPage - 101], 0x77);
  EXPECT_EQ(all[3 * kPage - 100], 0);  // past db_size
  EXPECT_EQ(o.pages().size(), 2u);
}

TEST_F(OverlayTest, TruncateDropsPagesAndZeroesTheTail) {
  FakeBase base(4);
  Overlay o(base.db_size, base.Reader());
  const std::vector<uint8_t> data(kPage, 0x99);
  ASSERT_TRUE(o.Write(3 * kPage, data).ok());  // dirty page 3, dropped below
  ASSERT_TRUE(o.Truncate(kPage + 5).ok());
  EXPECT_EQ(o.db_size(), kPage + 5);
  EXPECT_EQ(o.min_db_size(), kPage + 5);
  // Page 1 was cut in its middle: copied with its tail zeroed. Page 3 is gone.
  ASSERT_EQ(o.pages().size(), 1u);
  const std::vector<uint8_t>& page = o.pages().at(1);
  EXPECT_EQ(page[4], 2);
  EXPECT_TRUE(std::all_of(page.begin() + 5, page.end(), [](uint8_t b) { return b == 0; }));
  std::vector<uint8_t> all = ReadAll(o, 4 * kPage);
  EXPECT_EQ(all[kPage + 4], 2);
  EXPECT_TRUE(std::all_of(all.begin() + kPage + 5, all.end(), [](uint8_t b) { return b == 0; }));
}

TEST_F(OverlayTest, TruncateThenExtendKeepsCutPagesZero) {
  FakeBase base(6);
  Overlay o(base.db_size, base.Reader());
  ASSERT_TRUE(o.Truncate(2 * kPage).ok());
  EXPECT_TRUE(o.pages().empty());  // cut on a page boundary: nothing to copy
  ASSERT_TRUE(o.Truncate(6 * kPage).ok());  // back to the base size
  EXPECT_EQ(o.db_size(), o.base_db_size());
  EXPECT_EQ(o.min_db_size(), 2 * kPage);
  EXPECT_TRUE(o.dirty()) << "a shrink undone by an extend must still publish the unmapping";
  std::vector<uint8_t> all = ReadAll(o, 6 * kPage);
  EXPECT_EQ(all[2 * kPage - 1], 2);
  EXPECT_TRUE(std::all_of(all.begin() + 2 * kPage, all.end(), [](uint8_t b) { return b == 0; }));

  // A partial write to a page past the watermark starts from zeros, not from the base.
  const int reads_before = base.reads;
  const std::vector<uint8_t> data(10, 0xEE);
  ASSERT_TRUE(o.Write(4 * kPage + 100, data).ok());
  EXPECT_EQ(base.reads, reads_before);
  const std::vector<uint8_t>& page = o.pages().at(4);
  EXPECT_EQ(page[99], 0);
  EXPECT_EQ(page[100], 0xEE);
}

TEST_F(OverlayTest, ExtendingPastANonZeroTailClearsIt) {
  // A base whose last page has bytes past db_size (an image written by somebody careless): growing the file
  // must not reveal them.
  FakeBase base(2);
  base.db_size = kPage + 100;
  Overlay o(base.db_size, base.Reader());
  ASSERT_TRUE(o.Truncate(2 * kPage).ok());
  std::vector<uint8_t> all = ReadAll(o, 2 * kPage);
  EXPECT_EQ(all[kPage + 99], 2);
  EXPECT_EQ(all[kPage + 100], 0);
  EXPECT_EQ(all[2 * kPage - 1], 0);
}

TEST_F(OverlayTest, BaseReadErrorPropagates) {
  FakeBase base(2);
  base.fail = true;
  Overlay o(base.db_size, base.Reader());
  const std::vector<uint8_t> data(10, 1);
  EXPECT_EQ(o.Write(5, data).code(), ErrorCode::kCorrupt);
  EXPECT_TRUE(o.pages().empty());
  std::vector<uint8_t> out(10);
  EXPECT_EQ(o.Read(0, out).code(), ErrorCode::kCorrupt);
}

TEST_F(OverlayTest, FailpointsFailBeforeAnyChange) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  FakeBase base(2);
  Overlay o(base.db_size, base.Reader());
  ASSERT_TRUE(fp::Arm("overlay.write=nth(2):error;overlay.truncate=error").ok());
  const std::vector<uint8_t> data(10, 1);
  ASSERT_TRUE(o.Write(0, data).ok());
  Status s = o.Write(kPage, data);
  EXPECT_EQ(s.code(), ErrorCode::kInjected);
  EXPECT_EQ(s.failpoint(), "overlay.write");
  EXPECT_EQ(o.pages().size(), 1u);
  EXPECT_EQ(o.Truncate(0).code(), ErrorCode::kInjected);
  EXPECT_EQ(o.db_size(), 2 * kPage);
  EXPECT_EQ(fp::Hits("overlay.write"), 2u);
  EXPECT_EQ(fp::Hits("overlay.truncate"), 1u);
}

// A seeded random walk of writes and truncates against a plain byte vector. Range reduction by modulo of a
// 64-bit draw: the tiny bias is irrelevant here and, unlike std:: distributions, identical everywhere.
TEST_F(OverlayTest, RandomOperationsMatchAByteModel) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    auto below = [&](uint64_t n) { return rng() % n; };
    FakeBase base(1 + below(5));
    for (uint8_t& b : base.bytes) b = static_cast<uint8_t>(rng());
    std::vector<uint8_t> model = base.bytes;
    Overlay o(base.db_size, base.Reader());
    for (int step = 0; step < 60; ++step) {
      if (below(4) == 0) {
        const uint64_t size = below(8 * kPage);
        ASSERT_TRUE(o.Truncate(size).ok());
        model.resize(size, 0);
      } else {
        const uint64_t offset = below(8 * kPage);
        std::vector<uint8_t> data(1 + below(2 * kPage));
        for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
        ASSERT_TRUE(o.Write(offset, data).ok());
        if (model.size() < offset + data.size()) model.resize(offset + data.size(), 0);
        std::copy(data.begin(), data.end(), model.begin() + offset);
      }
      ASSERT_EQ(o.db_size(), model.size()) << "seed " << seed << " step " << step;
    }
    std::vector<uint8_t> all = ReadAll(o, model.size() + kPage);
    ASSERT_TRUE(std::equal(model.begin(), model.end(), all.begin())) << "seed " << seed;
    ASSERT_TRUE(std::all_of(all.begin() + model.size(), all.end(), [](uint8_t b) { return b == 0; }));
    for (const auto& [page_no, page] : o.pages()) {
      ASSERT_LT(page_no * kPage, o.db_size()) << "a page past the end is kept";
      ASSERT_EQ(page.size(), kPage);
    }
  }
}

}  // namespace
}  // namespace stablevfs
