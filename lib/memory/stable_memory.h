// StableMemory: the Internet Computer's stable memory interface, and nothing more.
//
// A flat, growable byte array measured in 64 KiB Wasm pages. It starts empty; grown pages read as zero.
// This narrow seam is where the harness adds rollback, crash freezing, faults and cost accounting as
// decorators (harness/sim), so production code carries no testing branches.
#pragma once

#include <cstdint>
#include <span>

namespace stablevfs {

inline constexpr uint64_t kWasmPageBytes = 65536;

class StableMemory {
 public:
  virtual ~StableMemory() = default;

  // The current size in 64 KiB pages.
  virtual uint64_t size_pages() const = 0;

  // Grows by `delta_pages` zero pages. Returns the previous size in pages, or -1 when the memory cannot grow
  // that far (the size is then unchanged). Never traps, as stable64_grow.
  virtual int64_t grow(uint64_t delta_pages) = 0;

  // Copies `out.size()` bytes starting at `offset_bytes` into `out`.
  // Traps (throws stablevfs::Trap) when offset_bytes + out.size() > size_pages() * 64 KiB; an access that
  // ends exactly at the end is fine.
  virtual void read(uint64_t offset_bytes, std::span<uint8_t> out) = 0;

  // Copies `data` to `offset_bytes`. Traps under the same rule as read().
  virtual void write(uint64_t offset_bytes, std::span<const uint8_t> data) = 0;

  uint64_t size_bytes() const { return size_pages() * kWasmPageBytes; }
};

// Throws Trap naming the access when [offset_bytes, offset_bytes + len) is not inside size_bytes.
// Overflow-safe; shared by every implementation so that all of them trap alike.
void CheckAccess(const char* what, uint64_t offset_bytes, uint64_t len, uint64_t size_bytes);

}  // namespace stablevfs
