#include "harness/check/raw_codec.h"

#include <stdexcept>
#include <string>

namespace stablevfs::check {
namespace {

uint64_t LoadLe(std::span<const uint8_t> bytes, size_t offset, size_t width) {
  if (offset > bytes.size() || width > bytes.size() - offset) {
    throw std::out_of_range("little-endian load of " + std::to_string(width) + " bytes at " +
                            std::to_string(offset) + " past the end of a " + std::to_string(bytes.size()) +
                            "-byte buffer");
  }
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) value |= static_cast<uint64_t>(bytes[offset + i]) << (8 * i);
  return value;
}

}  // namespace

uint16_t LoadLe16(std::span<const uint8_t> bytes, size_t offset) {
  return static_cast<uint16_t>(LoadLe(bytes, offset, 2));
}
uint32_t LoadLe32(std::span<const uint8_t> bytes, size_t offset) {
  return static_cast<uint32_t>(LoadLe(bytes, offset, 4));
}
uint64_t LoadLe64(std::span<const uint8_t> bytes, size_t offset) { return LoadLe(bytes, offset, 8); }

uint64_t Fnv1a64(std::span<const uint8_t> bytes) {
  Fnv1a hash;
  hash.Add(bytes);
  return hash.digest();
}

}  // namespace stablevfs::check
