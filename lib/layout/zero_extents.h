// ZeroExtents: layout 8's list of logical page ranges that read as zeros (REFERENCE 3.4), as a value type.
//
// Layout 8 keeps every logical page in place, at db_base_offset + n * 16 KiB, and never erases a page's bytes
// when the file shrinks or when pages are cut off during an update. Instead the superblock carries a list of
// half-open page ranges [start_page, end_page) whose bytes must read as zeros whatever stable memory holds
// there; a later commit that writes a page takes it out of the list again. That is what makes a truncate cost
// one superblock write instead of a page rewrite, and what keeps stale bytes of a cut page from reappearing
// when the file grows back over it.
//
// Invariant (what the loader demands of a stored list, so this type keeps it at all times): the list is
// normalized, that is every extent is non-empty (start < end), the extents ascend, and no two overlap or
// touch (start_i > end_{i-1}). A normalized list is the unique shortest description of its set of pages, so
// two lists describe the same pages exactly when they are equal, and the count that the 1,024-extent limit
// bounds is well defined.
//
// Everything here is pure: no stable memory, no failpoints, no limit. The limit (kMaxZeroExtents) is the
// caller's to enforce, after the whole commit rule ran (see ExtentsAfterCommit).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lib/layout/layout.h"
#include "lib/layout/overlay.h"

namespace stablevfs::layout8 {

// The most extents a layout 8 superblock stores (MAX_ZERO_EXTENTS of ic-sqlite-vfs 2.x).
inline constexpr uint64_t kMaxZeroExtents = 1024;

// The number of logical pages a file of `size_bytes` spans, ceil(size / 16 KiB): layout 8's page_count.
constexpr uint64_t PageCountFor(uint64_t size_bytes) {
  return size_bytes / kDbPageBytes + (size_bytes % kDbPageBytes != 0);
}
static_assert(PageCountFor(0) == 0 && PageCountFor(1) == 1 && PageCountFor(16384) == 1 && PageCountFor(16385) == 2);

// One range of logical pages [start_page, end_page) that reads as zeros.
struct ZeroExtent {
  uint64_t start_page = 0;
  uint64_t end_page = 0;  // exclusive
  bool operator==(const ZeroExtent&) const = default;
};

class ZeroExtents {
 public:
  ZeroExtents() = default;

  // True when `extents` satisfies the invariant above (the empty list does).
  static bool IsNormalized(std::span<const ZeroExtent> extents);

  // The normalized form of any list: empty extents dropped, the rest sorted and overlapping or adjacent ones
  // merged. Describes exactly the union of the input's ranges.
  static ZeroExtents Normalize(std::vector<ZeroExtent> extents);

  // Adds the pages [start_page, end_page); an empty range (start_page >= end_page) changes nothing.
  void Add(uint64_t start_page, uint64_t end_page);

  // Removes one page; splits the extent holding it when it lies strictly inside. May raise the count by one.
  void SubtractPage(uint64_t page_no);

  // Removes every page of `pages_ascending` in one pass over the list (linear in the list plus the pages, so a
  // commit of many dirty pages does not cost a list rewrite per page). REQUIRES: strictly ascending.
  void SubtractPages(std::span<const uint64_t> pages_ascending);

  // True when page `page_no` lies inside an extent.
  bool Contains(uint64_t page_no) const;

  // How many pages below `limit_page` lie inside an extent.
  uint64_t PagesBelow(uint64_t limit_page) const;

  size_t size() const { return extents_.size(); }
  bool empty() const { return extents_.empty(); }
  const std::vector<ZeroExtent>& extents() const { return extents_; }

  // "[a, b) [c, d)", for messages and test failures.
  std::string ToString() const;

  bool operator==(const ZeroExtents&) const = default;

 private:
  std::vector<ZeroExtent> extents_;  // normalized, always
};

// The commit rule of REFERENCE 3.4, on plain numbers. Starting from `old_extents`:
//  - when the file grows (new_page_count > old_page_count), add [old_page_count, new_page_count);
//  - when it shrinks, add [new_page_count, old_page_count);
//  - add the overlay's own zeroed range: base pages cut off during the update by a truncation and not
//    rewritten since, that is [watermark_page_count, new_page_count), where watermark_page_count is
//    ceil(overlay.min_db_size() / 16 KiB) (see Overlay's truncation watermark);
//  - subtract every page of `dirty_pages_ascending` below new_page_count (the pages the commit writes; pages
//    at or past it are not written);
//  - and the result is normalized, as every ZeroExtents is.
// The result may hold more than kMaxZeroExtents extents: enforcing the limit is the caller's job, and doing
// it once at the end is exact (ic-sqlite-vfs checks a temporary bound of the limit plus the dirty page count
// after each addition, but each subtracted page removes at most one extent, so a list over that bound could
// never come back under the limit: both fail the same commits).
// REQUIRES: dirty_pages_ascending is strictly ascending.
ZeroExtents ExtentsAfterCommit(const ZeroExtents& old_extents, uint64_t old_page_count, uint64_t new_page_count,
                               uint64_t watermark_page_count, std::span<const uint64_t> dirty_pages_ascending);

// The same rule for an overlay about to be published over an image of `old_db_size` bytes.
ZeroExtents ExtentsAfterCommit(const ZeroExtents& old_extents, uint64_t old_db_size, const Overlay& overlay);

}  // namespace stablevfs::layout8
