#include "lib/memory/virtual_memory.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "lib/memory/memory_manager.h"

namespace stablevfs {
namespace {

// Traps (through CheckAccess, so every memory traps with the same wording) when [offset, offset + len) is not
// inside the virtual size. The label is built only on the failing path: the check runs on every access.
void CheckVirtualAccess(const char* what, MemoryId id, uint64_t offset_bytes, uint64_t len, uint64_t size_bytes) {
  if (offset_bytes <= size_bytes && len <= size_bytes - offset_bytes) return;
  const std::string label = std::string(what) + " of virtual memory " + std::to_string(id);
  CheckAccess(label.c_str(), offset_bytes, len, size_bytes);
}

// Calls `access(physical_offset_bytes, done_bytes, chunk_bytes)` once per bucket that the virtual range
// [offset, offset + len) touches, in virtual order. REQUIRES: the range is inside the memory's buckets.
template <typename Access>
void ForEachBucketChunk(const MemoryManager& manager, MemoryId id, uint64_t offset_bytes, uint64_t len, Access access) {
  const std::span<const uint16_t> buckets = manager.buckets(id);
  const uint64_t bucket_bytes = manager.bucket_size_bytes();
  uint64_t done_bytes = 0;
  while (done_bytes < len) {
    const uint64_t virtual_bytes = offset_bytes + done_bytes;
    const uint64_t index = virtual_bytes / bucket_bytes;
    const uint64_t within_bytes = virtual_bytes % bucket_bytes;
    const uint64_t chunk_bytes = std::min(bucket_bytes - within_bytes, len - done_bytes);
    // The size check before the call guarantees this: size <= buckets * bucket size is a Load invariant.
    assert(index < buckets.size());
    access(manager.BucketOffsetBytes(buckets[index]) + within_bytes, done_bytes, chunk_bytes);
    done_bytes += chunk_bytes;
  }
}

}  // namespace

uint64_t VirtualMemory::size_pages() const { return manager_.memory_size_pages(id_); }

int64_t VirtualMemory::grow(uint64_t delta_pages) { return manager_.GrowMemory(id_, delta_pages); }

void VirtualMemory::read(uint64_t offset_bytes, std::span<uint8_t> out) {
  CheckVirtualAccess("read", id_, offset_bytes, out.size(), size_bytes());
  StableMemory& underlying = manager_.underlying();
  ForEachBucketChunk(manager_, id_, offset_bytes, out.size(),
                     [&](uint64_t physical_bytes, uint64_t done_bytes, uint64_t chunk_bytes) {
                       underlying.read(physical_bytes, out.subspan(done_bytes, chunk_bytes));
                     });
}

void VirtualMemory::write(uint64_t offset_bytes, std::span<const uint8_t> data) {
  CheckVirtualAccess("write", id_, offset_bytes, data.size(), size_bytes());
  StableMemory& underlying = manager_.underlying();
  ForEachBucketChunk(manager_, id_, offset_bytes, data.size(),
                     [&](uint64_t physical_bytes, uint64_t done_bytes, uint64_t chunk_bytes) {
                       underlying.write(physical_bytes, data.subspan(done_bytes, chunk_bytes));
                     });
}

}  // namespace stablevfs
