// Raw codec: the checker's own little-endian readers and FNV-1a 64.
//
// The checker must not share the library's decoder, or a decoder bug would hide itself (ARCHITECTURE.md,
// "the reference models and the checker are deliberately separate implementations"). These helpers therefore
// duplicate, on purpose, what lib/layout has: independent by design; see ARCHITECTURE.md. They are written
// byte by byte (no memcpy of host integers) so that they are correct on any host byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace stablevfs::check {

// Reads an unsigned little-endian integer of 2, 4 or 8 bytes starting at `bytes[offset]`.
// REQUIRES: offset + width <= bytes.size() (checked: throws std::out_of_range otherwise).
uint16_t LoadLe16(std::span<const uint8_t> bytes, size_t offset);
uint32_t LoadLe32(std::span<const uint8_t> bytes, size_t offset);
uint64_t LoadLe64(std::span<const uint8_t> bytes, size_t offset);

// FNV-1a 64 (REFERENCE 3.1): offset basis 0xcbf29ce484222325, prime 0x100000001b3. Feed in pieces; the
// result equals one pass over the concatenation.
class Fnv1a {
 public:
  static constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ull;
  static constexpr uint64_t kPrime = 0x100000001b3ull;

  void Add(std::span<const uint8_t> bytes) {
    for (const uint8_t byte : bytes) {
      state_ ^= byte;
      state_ *= kPrime;
    }
  }
  // Adds `count` zero bytes (the zeroed checksum field of the superblock).
  void AddZeros(size_t count) {
    for (size_t i = 0; i < count; ++i) state_ *= kPrime;  // x ^ 0 == x
  }
  uint64_t digest() const { return state_; }

 private:
  uint64_t state_ = kOffsetBasis;
};

// One-shot FNV-1a 64 of `bytes`.
uint64_t Fnv1a64(std::span<const uint8_t> bytes);

}  // namespace stablevfs::check
