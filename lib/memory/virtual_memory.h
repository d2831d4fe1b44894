// VirtualMemory: one of the 255 memories a MemoryManager carves out of a single stable memory.
//
// To its user a VirtualMemory is an ordinary StableMemory: it starts empty, grows in 64 KiB pages (returning the
// previous size, or -1 when the manager has no bucket left), and traps on an access beyond its size. Underneath,
// its address space is a list of fixed-size buckets that the MemoryManager hands out in allocation order, so the
// buckets of different memories interleave in the underlying memory; an access that crosses a bucket boundary is
// split into one underlying access per bucket. The k-th bucket of memory m is the k-th smallest bucket id that
// the owner table gives to m (REFERENCE.md section 2).
//
// A VirtualMemory is owned by its MemoryManager and stays valid as long as the manager lives. It keeps no state
// of its own besides its id: sizes and bucket lists live in the manager, so two handles of the same id can never
// disagree.
#pragma once

#include <cstdint>
#include <span>

#include "lib/memory/stable_memory.h"

namespace stablevfs {

// The id of a virtual memory: 0..=254. The value 255 marks an unallocated bucket in the owner table and is not a
// valid id; MemoryManager::Get rejects it.
using MemoryId = uint8_t;
inline constexpr MemoryId kMaxMemoryId = 254;
inline constexpr int kMemoryCount = 255;

class MemoryManager;

class VirtualMemory final : public StableMemory {
 public:
  VirtualMemory(const VirtualMemory&) = delete;
  VirtualMemory& operator=(const VirtualMemory&) = delete;

  MemoryId id() const { return id_; }

  // The virtual size in pages, as recorded in the manager's header.
  uint64_t size_pages() const override;

  // Grows the virtual memory by `delta_pages` zero pages (zero as long as the underlying bucket space was zero,
  // which holds for a memory that the manager initialized from empty). Returns the previous size in pages, or -1
  // when the manager would need more than 32,768 buckets in all; -1 changes nothing, in memory or on the heap.
  // Allocates the next unallocated bucket ids, grows the underlying memory to exactly 1 + bucket * allocated
  // pages when it is smaller, and rewrites the header. A failure of the underlying grow traps (throws
  // stablevfs::Trap) before anything is written, as the original panics there.
  int64_t grow(uint64_t delta_pages) override;

  // Reads `out.size()` bytes at virtual `offset_bytes`. Traps (throws stablevfs::Trap) when the range is not
  // inside the virtual size; an access that ends exactly at the end is fine.
  void read(uint64_t offset_bytes, std::span<uint8_t> out) override;

  // Writes `data` at virtual `offset_bytes`. Traps under the same rule as read(); a trapping write writes
  // nothing.
  void write(uint64_t offset_bytes, std::span<const uint8_t> data) override;

 private:
  friend class MemoryManager;
  VirtualMemory(MemoryManager& manager, MemoryId id) : manager_(manager), id_(id) {}

  MemoryManager& manager_;
  const MemoryId id_;
};

}  // namespace stablevfs
