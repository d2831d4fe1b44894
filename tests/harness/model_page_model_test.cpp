// Goal: show that the page model (harness/model/page_model.h) holds exactly the committed file: events seen
// through the FileObserver seam stay pending until Commit, vanish on Discard, are applied in order with POSIX
// file semantics (holes read as zeros, truncate shrinks or extends), and SetImage replaces everything.
//
// Method: drive a PageModel through its FileObserver interface, as the VFS does, with small hand-made events
// whose effect on a byte vector is easy to state; compare bytes(), PendingImage() and page() with expected
// vectors built independently in the test.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "harness/model/page_model.h"

namespace stablevfs::model {
namespace {

constexpr uint64_t kPage = 16384;

std::vector<uint8_t> Bytes(size_t count, uint8_t value) { return std::vector<uint8_t>(count, value); }

TEST(PageModel, StartsEmpty) {
  const PageModel model;
  EXPECT_EQ(model.size_bytes(), 0u);
  EXPECT_EQ(model.size_pages(), 0u);
  EXPECT_FALSE(model.has_pending());
  EXPECT_EQ(model.page(0), Bytes(kPage, 0));
}

TEST(PageModel, WritesStayPendingUntilCommit) {
  PageModel model;
  FileObserver& observer = model;  // the VFS only sees the interface
  observer.OnWrite(0, Bytes(kPage, 0x11));
  observer.OnWrite(kPage, Bytes(kPage, 0x22));
  EXPECT_EQ(model.size_bytes(), 0u);
  EXPECT_EQ(model.pending_events(), 2u);

  std::vector<uint8_t> expected = Bytes(kPage, 0x11);
  const std::vector<uint8_t> second = Bytes(kPage, 0x22);
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(model.PendingImage(), expected);
  EXPECT_EQ(model.size_bytes(), 0u);  // PendingImage does not commit

  model.Commit();
  EXPECT_FALSE(model.has_pending());
  EXPECT_EQ(model.bytes(), expected);
  EXPECT_EQ(model.size_pages(), 2u);
  EXPECT_EQ(model.page(1), second);
}

TEST(PageModel, DiscardDropsPendingWork) {
  PageModel model;
  model.OnWrite(0, Bytes(100, 0x01));
  model.Commit();
  model.OnWrite(50, Bytes(100, 0x02));
  model.OnTruncate(10);
  model.Discard();
  EXPECT_FALSE(model.has_pending());
  EXPECT_EQ(model.bytes(), Bytes(100, 0x01));
  model.Commit();  // nothing left to apply
  EXPECT_EQ(model.bytes(), Bytes(100, 0x01));
}

TEST(PageModel, WritePastTheEndLeavesAZeroHole) {
  PageModel model;
  model.OnWrite(2 * kPage + 10, Bytes(6, 0x5A));
  model.Commit();
  std::vector<uint8_t> expected(2 * kPage + 16, 0);
  for (size_t i = 2 * kPage + 10; i < expected.size(); ++i) expected[i] = 0x5A;
  EXPECT_EQ(model.bytes(), expected);
  EXPECT_EQ(model.size_pages(), 3u);
  // The last, partial page is padded with zeros.
  std::vector<uint8_t> last(kPage, 0);
  for (size_t i = 10; i < 16; ++i) last[i] = 0x5A;
  EXPECT_EQ(model.page(2), last);
}

TEST(PageModel, TruncateShrinksAndExtendsInOrder) {
  PageModel model;
  model.OnWrite(0, Bytes(3 * kPage, 0x33));
  model.OnTruncate(kPage);                 // drop pages 1 and 2
  model.OnWrite(kPage + 4, Bytes(4, 0x44));  // write after the truncate: the gap is zeros, not old bytes
  model.Commit();
  std::vector<uint8_t> expected = Bytes(kPage, 0x33);
  expected.resize(kPage + 8, 0);
  for (size_t i = kPage + 4; i < kPage + 8; ++i) expected[i] = 0x44;
  EXPECT_EQ(model.bytes(), expected);

  model.OnTruncate(2 * kPage);  // extending truncate: zeros
  model.Commit();
  expected.resize(2 * kPage, 0);
  EXPECT_EQ(model.bytes(), expected);

  model.OnTruncate(0);
  model.Commit();
  EXPECT_EQ(model.size_bytes(), 0u);
}

TEST(PageModel, LaterWritesWinInOrder) {
  PageModel model;
  model.OnWrite(0, Bytes(8, 0x01));
  model.OnWrite(4, Bytes(8, 0x02));
  model.OnWrite(2, Bytes(2, 0x03));
  model.Commit();
  EXPECT_EQ(model.bytes(), (std::vector<uint8_t>{1, 1, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2}));
}

TEST(PageModel, SetImageReplacesTheFileAndDropsPendingWork) {
  PageModel model;
  model.OnWrite(0, Bytes(10, 0x01));
  model.Commit();
  model.OnWrite(0, Bytes(10, 0x02));
  model.SetImage(Bytes(kPage + 1, 0x09));
  EXPECT_FALSE(model.has_pending());
  EXPECT_EQ(model.bytes(), Bytes(kPage + 1, 0x09));
  EXPECT_EQ(model.size_pages(), 2u);
}

TEST(PageModel, RefusesAWriteWhoseEndOverflows) {
  PageModel model;
  EXPECT_THROW(model.OnWrite(UINT64_MAX - 2, Bytes(8, 0)), std::length_error);
  EXPECT_FALSE(model.has_pending());
}

}  // namespace
}  // namespace stablevfs::model
