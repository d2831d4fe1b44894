// MemorySnapshot: an immutable copy of a whole stable memory (size and bytes) to restart a message from.
//
// The explorer re-runs one message many times from the same starting state, so snapshots must be cheap to
// take repeatedly and to restore. A snapshot is a shared, immutable table of 4 KiB pages: copying a
// snapshot copies one pointer; all-zero pages share one static page; and SimStableMemory builds each new
// snapshot from the previous one, copying only the pages changed since (copy-on-write at page granularity).
// A snapshot never changes after it is built and is safe to share between threads for reading.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "harness/sim/cost_model.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::sim {

class MemorySnapshot {
 public:
  using Page = std::array<uint8_t, kOsPageBytes>;
  using PageTable = std::vector<std::shared_ptr<const Page>>;

  // An empty memory (0 pages).
  MemorySnapshot();

  // A full copy of `memory`, read through StableMemory::read (so do not pass a SimStableMemory inside a
  // message: use SimStableMemory::Snapshot, which is also incremental).
  static MemorySnapshot Capture(StableMemory& memory);

  uint64_t size_pages() const { return size_pages_; }
  uint64_t size_bytes() const { return size_pages_ * kWasmPageBytes; }
  uint64_t os_pages() const { return table_->size(); }

  // The bytes of 4 KiB page `os_page`. REQUIRES: os_page < os_pages().
  std::span<const uint8_t> page(uint64_t os_page) const { return *(*table_)[os_page]; }
  // Whether page `os_page` is the shared zero page (so it is all zeros; an all-zero page captured from a
  // memory is always stored as the shared one).
  bool IsZeroPage(uint64_t os_page) const { return (*table_)[os_page].get() == ZeroPage().get(); }

  // Copies `out.size()` bytes at `offset_bytes`. Throws stablevfs::Trap when out of bounds, as a memory does.
  void Read(uint64_t offset_bytes, std::span<uint8_t> out) const;

  // The same digest as DigestOf (memory_image.h) of a memory with these contents.
  uint64_t Digest() const;
  // Every byte (size_bytes() long), in the raw stable_memory.bin format.
  std::vector<uint8_t> Image() const;

  // Same size and bytes. Cheap when the two share pages.
  friend bool operator==(const MemorySnapshot& a, const MemorySnapshot& b);

  // The one all-zero page every snapshot shares.
  static const std::shared_ptr<const Page>& ZeroPage();
  // A page holding `bytes` (4 KiB), or the shared zero page when they are all zero.
  static std::shared_ptr<const Page> MakePage(std::span<const uint8_t> bytes);

 private:
  friend class SimStableMemory;
  MemorySnapshot(uint64_t size_pages, std::shared_ptr<const PageTable> table)
      : size_pages_(size_pages), table_(std::move(table)) {}

  uint64_t size_pages_ = 0;
  std::shared_ptr<const PageTable> table_;  // never null; size_pages_ * 16 entries
};

}  // namespace stablevfs::sim
