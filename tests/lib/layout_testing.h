// Test helpers shared by the layout tests: deterministic page contents, an overlay over a layout, a
// stable-memory decorator that records every grow and write, and a check that a failed operation left
// everything the active superblock reaches byte-identical.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "lib/layout/layout.h"
#include "lib/layout/layout6.h"
#include "lib/layout/overlay.h"
#include "lib/layout/superblock.h"
#include "lib/memory/heap_stable_memory.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::testing {

constexpr uint64_t kPage = kDbPageBytes;

// The contents of a page written with `tag`: a seeded pseudo-random fill, so two tags never collide by
// accident and a page read from the wrong place is caught.
inline std::vector<uint8_t> PagePattern(uint64_t tag) {
  std::vector<uint8_t> page(kPage);
  std::mt19937_64 rng(tag * 0x9E3779B97F4A7C15ull + 1);
  for (size_t i = 0; i < page.size(); i += 8) {
    const uint64_t v = rng();
    for (size_t j = 0; j < 8; ++j) page[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
  return page;
}

inline Overlay MakeOverlay(Layout& layout) {
  return Overlay(layout.meta().db_size,
                 [&layout](uint64_t page_no, std::span<uint8_t> out) { return layout.ReadPage(page_no, out); });
}

inline std::vector<uint8_t> ReadPageOf(Layout& layout, uint64_t page_no) {
  std::vector<uint8_t> out(kPage);
  Status s = layout.ReadPage(page_no, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

inline const layout6::Layout6& AsLayout6(const Layout& layout) {
  return dynamic_cast<const layout6::Layout6&>(layout);
}

inline std::unique_ptr<Layout> OpenOrDie(StableMemory& memory) {
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory);
  EXPECT_TRUE(layout.ok()) << layout.status().ToString();
  if (!layout.ok()) return nullptr;
  return std::move(layout).value();
}

// Publishes whole pages {page_no -> tag} (and optionally a new size first via truncate).
inline Status PublishPages(Layout& layout, const std::vector<std::pair<uint64_t, uint64_t>>& pages) {
  Overlay overlay = MakeOverlay(layout);
  for (const auto& [page_no, tag] : pages) {
    Status s = overlay.Write(page_no * kPage, PagePattern(tag));
    if (!s.ok()) return s;
  }
  return layout.Publish(overlay);
}

// Decorates a StableMemory and records every grow and write in order.
class RecordingMemory final : public StableMemory {
 public:
  struct Event {
    bool grow = false;
    uint64_t offset = 0;  // write offset, or previous size for a grow
    uint64_t length = 0;  // write length, or delta pages for a grow
  };

  explicit RecordingMemory(StableMemory& inner) : inner_(inner) {}
  uint64_t size_pages() const override { return inner_.size_pages(); }
  int64_t grow(uint64_t delta_pages) override {
    events.push_back({true, inner_.size_pages(), delta_pages});
    return inner_.grow(delta_pages);
  }
  void read(uint64_t offset_bytes, std::span<uint8_t> out) override { inner_.read(offset_bytes, out); }
  void write(uint64_t offset_bytes, std::span<const uint8_t> data) override {
    events.push_back({false, offset_bytes, data.size()});
    inner_.write(offset_bytes, data);
  }
  std::vector<Event> writes() const {
    std::vector<Event> out;
    for (const Event& e : events) {
      if (!e.grow) out.push_back(e);
    }
    return out;
  }

  std::vector<Event> events;

 private:
  StableMemory& inner_;
};

// Every byte range the active superblock of `layout` reaches: the superblock, the root table, each segment
// table and each mapped page, as (offset, length).
inline std::vector<std::pair<uint64_t, uint64_t>> ReachableExtents(const Layout& layout) {
  const layout6::PageMap& map = AsLayout6(layout).page_map();
  std::vector<std::pair<uint64_t, uint64_t>> extents = {{0, layout6::kSuperblockBytes}};
  if (map.root_offset() != 0) extents.emplace_back(map.root_offset(), map.segment_count() * 8);
  for (uint64_t s = 0; s < map.segment_count(); ++s) {
    if (map.segment(s) == nullptr) continue;
    extents.emplace_back(map.table_offset(s), layout6::kSegmentTableBytes);
    for (uint64_t offset : *map.segment(s)) {
      if (offset != 0) extents.emplace_back(offset, kPage);
    }
  }
  return extents;
}

// A copy of the bytes an image's active superblock reaches, to compare after a failed operation.
struct ReachableSnapshot {
  std::vector<std::pair<uint64_t, uint64_t>> extents;
  std::vector<std::vector<uint8_t>> bytes;

  static ReachableSnapshot Take(const Layout& layout, const HeapStableMemory& memory) {
    ReachableSnapshot snap;
    snap.extents = ReachableExtents(layout);
    for (const auto& [offset, length] : snap.extents) {
      snap.bytes.emplace_back(memory.bytes().begin() + static_cast<ptrdiff_t>(offset),
                              memory.bytes().begin() + static_cast<ptrdiff_t>(offset + length));
    }
    return snap;
  }
  // Empty when every byte is unchanged; otherwise names the first extent that changed.
  // `from` = 1 skips the superblock (extent 0), for operations that legitimately rewrite it.
  std::string Diff(const HeapStableMemory& memory, size_t from = 0) const {
    for (size_t i = from; i < extents.size(); ++i) {
      const auto& [offset, length] = extents[i];
      if (offset + length > memory.bytes().size() ||
          !std::equal(bytes[i].begin(), bytes[i].end(), memory.bytes().begin() + static_cast<ptrdiff_t>(offset))) {
        return "extent at " + std::to_string(offset) + " of " + std::to_string(length) + " bytes changed";
      }
    }
    return {};
  }
};

}  // namespace stablevfs::testing

// ---- Layout 8 (REFERENCE 3.4) ----
// Kept together at the end of this file (includes too), so these helpers are one block to read and to merge.

#include <algorithm>

#include "lib/layout/layout8.h"
#include "lib/layout/layout_registry.h"
#include "lib/layout/superblock8.h"

namespace stablevfs::testing {

inline const layout8::Layout8& AsLayout8(const Layout& layout) {
  return dynamic_cast<const layout8::Layout8&>(layout);
}

// The registry entry of layout 8; fails the test (and returns layout 6's) if it is not registered.
inline const LayoutInfo& Layout8Info() {
  const LayoutInfo* info = LayoutRegistry::Global().Find("8");
  EXPECT_NE(info, nullptr) << "layout 8 is not registered";
  return info != nullptr ? *info : DefaultLayout();
}

// Opens `memory` preferring layout 8: an empty memory is formatted as layout 8, an existing image opens as
// whatever it stores.
inline std::unique_ptr<Layout> OpenLayout8OrDie(StableMemory& memory) {
  const LayoutInfo* opened_as = nullptr;
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory, &Layout8Info(), &opened_as);
  EXPECT_TRUE(layout.ok()) << layout.status().ToString();
  if (!layout.ok()) return nullptr;
  EXPECT_EQ(opened_as, &Layout8Info());
  return std::move(layout).value();
}

// The bytes of a layout 8 image: its superblock (exactly the encoded length) and, for every logical page
// below page_count, its 16 KiB in place at db_base_offset + n * 16 KiB. Taken from the raw memory, so a
// failed operation can be checked to have left the active image byte-identical.
struct InPlaceSnapshot {
  std::vector<uint8_t> superblock;
  uint64_t db_base_offset = 0;
  std::vector<uint8_t> pages;

  static InPlaceSnapshot Take(const Layout& layout, const HeapStableMemory& memory) {
    const Meta& meta = layout.meta();
    InPlaceSnapshot snap;
    const size_t superblock_bytes = layout8::EncodedBytes(AsLayout8(layout).zero_extents().size());
    snap.superblock.assign(memory.bytes().begin(), memory.bytes().begin() + static_cast<ptrdiff_t>(superblock_bytes));
    snap.db_base_offset = meta.db_base_offset;
    const auto begin = memory.bytes().begin() + static_cast<ptrdiff_t>(meta.db_base_offset);
    snap.pages.assign(begin, begin + static_cast<ptrdiff_t>(meta.page_count * kPage));
    return snap;
  }
  // Empty when every byte is unchanged; otherwise says what changed.
  std::string Diff(const HeapStableMemory& memory) const {
    const std::vector<uint8_t>& now = memory.bytes();
    if (!std::equal(superblock.begin(), superblock.end(), now.begin())) return "the superblock changed";
    if (db_base_offset + pages.size() > now.size()) return "the image no longer fits the memory";
    for (size_t page = 0; page * kPage < pages.size(); ++page) {
      const auto old_begin = pages.begin() + static_cast<ptrdiff_t>(page * kPage);
      if (!std::equal(old_begin, old_begin + static_cast<ptrdiff_t>(kPage),
                      now.begin() + static_cast<ptrdiff_t>(db_base_offset + page * kPage))) {
        return "logical page " + std::to_string(page) + " changed in place";
      }
    }
    return {};
  }
};

}  // namespace stablevfs::testing
