// Views of a MemorySnapshot: as a ByteSource for the checker, and as a read-only StableMemory for a fresh open.
//
// The judge decodes every state twice, on purpose, by two routes that share no code: the checker's own
// decoders read a SnapshotSource, and the library itself re-opens the same bytes through a
// ReadOnlySnapshotMemory (a "fresh open", what an upgrade would see). Both are views: they copy nothing and
// keep the snapshot alive by holding it (a snapshot is a shared, immutable page table, so holding one is
// cheap). A fresh open must only read; a ReadOnlySnapshotMemory records any write or grow attempt and refuses
// it (the write traps, the grow returns -1), so the judge can report it instead of letting it change anything.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "harness/check/byte_source.h"
#include "harness/sim/memory_snapshot.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::ops {

// The bytes of a snapshot, read-only, for the checker (harness/check).
class SnapshotSource final : public check::ByteSource {
 public:
  explicit SnapshotSource(sim::MemorySnapshot snapshot) : snapshot_(std::move(snapshot)) {}
  uint64_t size_bytes() const override { return snapshot_.size_bytes(); }
  void Read(uint64_t offset_bytes, std::span<uint8_t> out) const override;
  const sim::MemorySnapshot& snapshot() const { return snapshot_; }

 private:
  sim::MemorySnapshot snapshot_;
};

// A StableMemory whose contents are a snapshot and which refuses to change. Reads behave as a memory's
// (an out-of-bounds read traps). write() records the attempt and throws stablevfs::Trap; grow() records the
// attempt and returns -1.
class ReadOnlySnapshotMemory final : public StableMemory {
 public:
  explicit ReadOnlySnapshotMemory(sim::MemorySnapshot snapshot) : snapshot_(std::move(snapshot)) {}

  uint64_t size_pages() const override { return snapshot_.size_pages(); }
  int64_t grow(uint64_t delta_pages) override;
  void read(uint64_t offset_bytes, std::span<uint8_t> out) override;
  void write(uint64_t offset_bytes, std::span<const uint8_t> data) override;

  // Whether anything tried to write or grow, and a description of the first attempt ("" when none).
  bool change_attempted() const { return !first_change_.empty(); }
  const std::string& first_change() const { return first_change_; }

 private:
  sim::MemorySnapshot snapshot_;
  std::string first_change_;
};

}  // namespace stablevfs::ops
