// Seeded draws for the simulator's fault decisions (which sectors of a torn write persist, where a
// misdirected write lands, which bit flips).
//
// Determinism rule of the house: all randomness comes from std::mt19937_64 with our own range reduction,
// never from std:: distributions, whose output differs between standard libraries.
#pragma once

#include <cstdint>
#include <random>

namespace stablevfs::sim {

// A uniformly distributed integer in [0, bound), by rejection: values below 2^64 mod bound are redrawn so
// that every residue is equally likely. REQUIRES: bound > 0.
inline uint64_t UniformBelow(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t threshold = (uint64_t{0} - bound) % bound;  // == 2^64 mod bound
  for (;;) {
    const uint64_t draw = rng();
    if (draw >= threshold) return draw % bound;
  }
}

}  // namespace stablevfs::sim
