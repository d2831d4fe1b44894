// Byte identity of a whole stable memory: a digest, a full comparison and a dump.
//
// The judgement after a trapped message is "all of stable memory byte-identical to before", and after a
// crash "the old state or the new one". These helpers decide that. The digest is a fast 64-bit mix over the
// size and every byte (not cryptographic: equal digests mean equal memories only with overwhelming
// probability for non-adversarial inputs); use SameContents / FirstDifference when a test must be exact.
// Every helper here reads through StableMemory::read: do not hand them a SimStableMemory inside a message,
// where reads are charged; SimStableMemory has its own uncharged Digest(), Image() and Matches().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "lib/memory/stable_memory.h"

namespace stablevfs::sim {

// Streaming digest of a memory image: feed the size, then the bytes in order, in chunks of any length.
// Two images have equal digests iff (with overwhelming probability) they have the same size and bytes.
class ImageDigest {
 public:
  explicit ImageDigest(uint64_t size_bytes);
  void Update(std::span<const uint8_t> bytes);
  uint64_t Finish() const;

 private:
  void MixWord(uint64_t word);
  uint64_t state_;
  uint64_t pending_ = 0;        // bytes of an incomplete 8-byte word, little-endian
  unsigned pending_bytes_ = 0;  // how many bytes are in pending_
  uint64_t total_bytes_ = 0;
};

// The digest of `memory` (size and bytes).
uint64_t DigestOf(StableMemory& memory);

// A copy of every byte of `memory` (size_bytes() long): the same raw format as a downloaded
// stable_memory.bin.
std::vector<uint8_t> ReadImage(StableMemory& memory);

// The first byte offset where `a` and `b` differ, or nullopt when they have the same size and bytes. When
// only the sizes differ, the answer is the smaller size.
std::optional<uint64_t> FirstDifference(StableMemory& a, StableMemory& b);

// True when `a` and `b` have the same size and the same bytes.
inline bool SameContents(StableMemory& a, StableMemory& b) { return !FirstDifference(a, b).has_value(); }

}  // namespace stablevfs::sim
