#include "bench/workloads/kv_data.h"

#include <cassert>
#include <numeric>

namespace stablevfs::bench {
namespace {

// SplitMix64's finalizer: a bijective 64-bit mix, so distinct (index, generation, word) inputs give
// unrelated words. Written out here rather than taken from a library because its output must never change.
uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

std::string KvKey(uint64_t index) {
  assert(index < kKvIndexLimit);
  std::string key(kKvKeyBytes, '0');
  key[0] = 'k';
  for (size_t pos = kKvKeyBytes - 1; pos >= 1 && index > 0; --pos) {
    key[pos] = static_cast<char>('0' + index % 10);
    index /= 10;
  }
  return key;
}

std::vector<uint8_t> KvValue(uint64_t index, uint64_t generation, uint32_t value_bytes) {
  std::vector<uint8_t> value(value_bytes);
  // One seed per (index, generation); the generation sits in the high bits so that it cannot collide with
  // an index below 2^40.
  const uint64_t seed = Mix64(index ^ (generation << 40));
  uint64_t word = 0;
  for (uint32_t i = 0; i < value_bytes; ++i) {
    if (i % 8 == 0) word = Mix64(seed + i / 8);
    value[i] = static_cast<uint8_t>(word >> (8 * (i % 8)));
  }
  return value;
}

uint64_t ScatterStride(uint64_t count) {
  if (count <= 2) return 1;
  // Start near the golden section of the range so that consecutive visits land far apart, then step to the
  // first value coprime with `count` (which makes i -> i * stride % count a permutation).
  uint64_t stride = count * 618 / 1000;
  if (stride == 0) stride = 1;
  while (std::gcd(stride, count) != 1) ++stride;
  return stride;
}

}  // namespace stablevfs::bench
