#include "harness/sim/memory_image.h"

#include <algorithm>
#include <cstring>

namespace stablevfs::sim {
namespace {

// Chunk for whole-memory scans: one Wasm page, so a scan never straddles the end of the memory.
constexpr uint64_t kChunkBytes = kWasmPageBytes;

constexpr uint64_t kMulA = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio
constexpr uint64_t kMulB = 0xC2B2AE3D27D4EB4Full;

uint64_t Rotl(uint64_t x, unsigned r) { return (x << r) | (x >> (64 - r)); }

// A final avalanche so that every input bit affects every output bit.
uint64_t Avalanche(uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  x ^= x >> 33;
  return x;
}

}  // namespace

ImageDigest::ImageDigest(uint64_t size_bytes) : state_(Avalanche(size_bytes ^ kMulB)) {}

void ImageDigest::MixWord(uint64_t word) { state_ = Rotl(state_ ^ (word * kMulA), 29) * kMulB; }

void ImageDigest::Update(std::span<const uint8_t> bytes) {
  total_bytes_ += bytes.size();
  size_t i = 0;
  // Complete a pending partial word first, so that chunk boundaries do not change the digest.
  while (pending_bytes_ != 0 && i < bytes.size()) {
    pending_ |= uint64_t{bytes[i++]} << (8 * pending_bytes_);
    if (++pending_bytes_ == 8) {
      MixWord(pending_);
      pending_ = 0;
      pending_bytes_ = 0;
    }
  }
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word = 0;
    for (unsigned b = 0; b < 8; ++b) word |= uint64_t{bytes[i + b]} << (8 * b);  // little-endian, portable
    MixWord(word);
  }
  for (; i < bytes.size(); ++i) pending_ |= uint64_t{bytes[i]} << (8 * pending_bytes_++);
}

uint64_t ImageDigest::Finish() const {
  uint64_t state = state_;
  if (pending_bytes_ != 0) state = Rotl(state ^ ((pending_ ^ pending_bytes_) * kMulA), 29) * kMulB;
  return Avalanche(state ^ total_bytes_);
}

uint64_t DigestOf(StableMemory& memory) {
  const uint64_t size_bytes = memory.size_bytes();
  ImageDigest digest(size_bytes);
  std::vector<uint8_t> chunk(kChunkBytes);
  for (uint64_t offset = 0; offset < size_bytes; offset += kChunkBytes) {
    memory.read(offset, chunk);
    digest.Update(chunk);
  }
  return digest.Finish();
}

std::vector<uint8_t> ReadImage(StableMemory& memory) {
  std::vector<uint8_t> image(memory.size_bytes());
  if (!image.empty()) memory.read(0, image);
  return image;
}

std::optional<uint64_t> FirstDifference(StableMemory& a, StableMemory& b) {
  const uint64_t size_a = a.size_bytes();
  const uint64_t size_b = b.size_bytes();
  const uint64_t common = std::min(size_a, size_b);
  std::vector<uint8_t> chunk_a(kChunkBytes);
  std::vector<uint8_t> chunk_b(kChunkBytes);
  for (uint64_t offset = 0; offset < common; offset += kChunkBytes) {
    a.read(offset, chunk_a);
    b.read(offset, chunk_b);
    if (std::memcmp(chunk_a.data(), chunk_b.data(), kChunkBytes) != 0) {
      const auto [it_a, it_b] = std::mismatch(chunk_a.begin(), chunk_a.end(), chunk_b.begin());
      return offset + static_cast<uint64_t>(it_a - chunk_a.begin());
    }
  }
  if (size_a != size_b) return common;
  return std::nullopt;
}

}  // namespace stablevfs::sim
