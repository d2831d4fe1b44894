#include "harness/ops/snapshot_views.h"

#include "lib/core/trap.h"

namespace stablevfs::ops {

void SnapshotSource::Read(uint64_t offset_bytes, std::span<uint8_t> out) const {
  RequireContains(offset_bytes, out.size());
  snapshot_.Read(offset_bytes, out);
}

int64_t ReadOnlySnapshotMemory::grow(uint64_t delta_pages) {
  if (first_change_.empty()) first_change_ = "grow by " + std::to_string(delta_pages) + " pages";
  return -1;
}

void ReadOnlySnapshotMemory::read(uint64_t offset_bytes, std::span<uint8_t> out) {
  snapshot_.Read(offset_bytes, out);  // traps out of bounds, as a memory does
}

void ReadOnlySnapshotMemory::write(uint64_t offset_bytes, std::span<const uint8_t> data) {
  if (first_change_.empty()) {
    first_change_ = "write of " + std::to_string(data.size()) + " bytes at " + std::to_string(offset_bytes);
  }
  throw Trap("read-only snapshot memory: " + first_change_);
}

}  // namespace stablevfs::ops
