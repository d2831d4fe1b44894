#include "lib/layout/zero_extents.h"

#include <algorithm>
#include <cassert>
#include <iterator>

namespace stablevfs::layout8 {

bool ZeroExtents::IsNormalized(std::span<const ZeroExtent> extents) {
  for (size_t i = 0; i < extents.size(); ++i) {
    if (extents[i].start_page >= extents[i].end_page) return false;
    // Strictly greater: two extents that touch must have been merged into one.
    if (i > 0 && extents[i].start_page <= extents[i - 1].end_page) return false;
  }
  return true;
}

ZeroExtents ZeroExtents::Normalize(std::vector<ZeroExtent> extents) {
  std::erase_if(extents, [](const ZeroExtent& e) { return e.start_page >= e.end_page; });
  std::sort(extents.begin(), extents.end(),
            [](const ZeroExtent& a, const ZeroExtent& b) { return a.start_page < b.start_page; });
  ZeroExtents out;
  for (const ZeroExtent& e : extents) {
    if (!out.extents_.empty() && e.start_page <= out.extents_.back().end_page) {
      out.extents_.back().end_page = std::max(out.extents_.back().end_page, e.end_page);
    } else {
      out.extents_.push_back(e);
    }
  }
  assert(IsNormalized(out.extents_));
  return out;
}

void ZeroExtents::Add(uint64_t start_page, uint64_t end_page) {
  if (start_page >= end_page) return;
  // Ends ascend as starts do (the list is normalized), so both bounds are binary searches. `first` is the first
  // extent that ends at or past start_page (it overlaps or touches the new range, or lies wholly after it);
  // `last` is the first extent that begins past end_page without touching it. [first, last) merge.
  const auto first = std::lower_bound(extents_.begin(), extents_.end(), start_page,
                                      [](const ZeroExtent& e, uint64_t page) { return e.end_page < page; });
  const auto last = std::upper_bound(first, extents_.end(), end_page,
                                     [](uint64_t page, const ZeroExtent& e) { return page < e.start_page; });
  if (first == last) {
    extents_.insert(first, ZeroExtent{start_page, end_page});
  } else {
    const ZeroExtent merged{std::min(start_page, first->start_page), std::max(end_page, std::prev(last)->end_page)};
    *first = merged;
    extents_.erase(std::next(first), last);
  }
  assert(IsNormalized(extents_));
}

void ZeroExtents::SubtractPage(uint64_t page_no) {
  // The extent that could hold the page: the last one starting at or before it.
  auto it = std::upper_bound(extents_.begin(), extents_.end(), page_no,
                             [](uint64_t page, const ZeroExtent& e) { return page < e.start_page; });
  if (it == extents_.begin()) return;
  --it;
  if (page_no >= it->end_page) return;
  // page_no < end_page <= UINT64_MAX, so page_no + 1 cannot overflow.
  const ZeroExtent before{it->start_page, page_no};
  const ZeroExtent after{page_no + 1, it->end_page};
  if (before.start_page < before.end_page && after.start_page < after.end_page) {
    *it = after;
    extents_.insert(it, before);
  } else if (before.start_page < before.end_page) {
    *it = before;
  } else if (after.start_page < after.end_page) {
    *it = after;
  } else {
    extents_.erase(it);
  }
  assert(IsNormalized(extents_));
}

void ZeroExtents::SubtractPages(std::span<const uint64_t> pages_ascending) {
  assert(std::adjacent_find(pages_ascending.begin(), pages_ascending.end(),
                            [](uint64_t a, uint64_t b) { return a >= b; }) == pages_ascending.end());
  if (pages_ascending.empty() || extents_.empty()) return;
  std::vector<ZeroExtent> out;
  out.reserve(extents_.size() + std::min(pages_ascending.size(), extents_.size()));
  size_t i = 0;
  for (const ZeroExtent& e : extents_) {
    while (i < pages_ascending.size() && pages_ascending[i] < e.start_page) ++i;
    // Walk the pages inside this extent, emitting the pieces between them. Pieces of one extent are separated
    // by at least the removed page, and pieces of different extents keep the gap the extents had, so the
    // result stays normalized without a merge pass.
    uint64_t cursor = e.start_page;
    for (; i < pages_ascending.size() && pages_ascending[i] < e.end_page; ++i) {
      if (pages_ascending[i] > cursor) out.push_back(ZeroExtent{cursor, pages_ascending[i]});
      cursor = pages_ascending[i] + 1;
    }
    if (cursor < e.end_page) out.push_back(ZeroExtent{cursor, e.end_page});
  }
  extents_ = std::move(out);
  assert(IsNormalized(extents_));
}

bool ZeroExtents::Contains(uint64_t page_no) const {
  auto it = std::upper_bound(extents_.begin(), extents_.end(), page_no,
                             [](uint64_t page, const ZeroExtent& e) { return page < e.start_page; });
  if (it == extents_.begin()) return false;
  return page_no < std::prev(it)->end_page;
}

uint64_t ZeroExtents::PagesBelow(uint64_t limit_page) const {
  uint64_t pages = 0;
  for (const ZeroExtent& e : extents_) {
    if (e.start_page >= limit_page) break;
    pages += std::min(e.end_page, limit_page) - e.start_page;
  }
  return pages;
}

std::string ZeroExtents::ToString() const {
  std::string out;
  for (const ZeroExtent& e : extents_) {
    if (!out.empty()) out += ' ';
    out += '[' + std::to_string(e.start_page) + ", " + std::to_string(e.end_page) + ')';
  }
  return out.empty() ? "(none)" : out;
}

ZeroExtents ExtentsAfterCommit(const ZeroExtents& old_extents, uint64_t old_page_count, uint64_t new_page_count,
                               uint64_t watermark_page_count, std::span<const uint64_t> dirty_pages_ascending) {
  ZeroExtents next = old_extents;
  // Grown space: whatever stable memory holds past the old end (bytes of an earlier, longer file) is stale.
  if (new_page_count > old_page_count) next.Add(old_page_count, new_page_count);
  // Cut space: those pages are still in place; the extent keeps them zero if the file grows back over them.
  if (new_page_count < old_page_count) next.Add(new_page_count, old_page_count);
  // Pages cut during the update and re-extended before its end (Add ignores an empty range).
  next.Add(watermark_page_count, new_page_count);
  // The commit writes these pages in full: they hold real bytes from now on. Pages at or past the new end are
  // not written, so they stay as the rules above left them.
  const auto written_end =
      std::lower_bound(dirty_pages_ascending.begin(), dirty_pages_ascending.end(), new_page_count);
  next.SubtractPages(dirty_pages_ascending.first(
      static_cast<size_t>(std::distance(dirty_pages_ascending.begin(), written_end))));
  return next;
}

ZeroExtents ExtentsAfterCommit(const ZeroExtents& old_extents, uint64_t old_db_size, const Overlay& overlay) {
  std::vector<uint64_t> dirty;
  dirty.reserve(overlay.pages().size());
  for (const auto& [page_no, bytes] : overlay.pages()) dirty.push_back(page_no);  // a std::map: ascending
  return ExtentsAfterCommit(old_extents, PageCountFor(old_db_size), PageCountFor(overlay.db_size()),
                            PageCountFor(overlay.min_db_size()), dirty);
}

}  // namespace stablevfs::layout8
