// Little-endian loads and stores for on-disk integers.
//
// Every integer the layouts store is little-endian (REFERENCE 3.1). These helpers spell the byte order out
// explicitly, one shift per byte, so an encoded image is the same on any host and no code depends on the
// host's endianness or on the alignment of the buffer.
#pragma once

#include <cassert>
#include <cstdint>
#include <span>

namespace stablevfs {

// REQUIRES: bytes.size() >= 4.
inline uint32_t LoadU32Le(std::span<const uint8_t> bytes) {
  assert(bytes.size() >= 4);
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | bytes[static_cast<size_t>(i)];
  return v;
}

// REQUIRES: bytes.size() >= 8.
inline uint64_t LoadU64Le(std::span<const uint8_t> bytes) {
  assert(bytes.size() >= 8);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | bytes[static_cast<size_t>(i)];
  return v;
}

// REQUIRES: out.size() >= 4.
inline void StoreU32Le(std::span<uint8_t> out, uint32_t v) {
  assert(out.size() >= 4);
  for (size_t i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

// REQUIRES: out.size() >= 8.
inline void StoreU64Le(std::span<uint8_t> out, uint64_t v) {
  assert(out.size() >= 8);
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace stablevfs
