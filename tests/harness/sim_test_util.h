// Shared pieces of the harness/sim tests: a seeded random message and a plain reference memory.
//
// The reference is deliberately naive (a byte vector that applies writes and grows in order), so that the
// decorator's undo, replay and tear logic is checked against something that has none of it.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "harness/sim/sim_random.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::sim::testing {

// One operation of a random message.
struct Op {
  bool is_grow = false;
  uint64_t offset_bytes = 0;    // write
  std::vector<uint8_t> bytes;   // write
  uint64_t delta_pages = 0;     // grow
};

// A plain byte vector that applies the same operations.
struct ReferenceMemory {
  std::vector<uint8_t> bytes;

  uint64_t size_pages() const { return bytes.size() / kWasmPageBytes; }
  void Apply(const Op& op) {
    if (op.is_grow) {
      bytes.resize(bytes.size() + op.delta_pages * kWasmPageBytes, 0);
    } else {
      std::copy(op.bytes.begin(), op.bytes.end(), bytes.begin() + static_cast<ptrdiff_t>(op.offset_bytes));
    }
  }
};

// A random message of `count` operations on a memory of `start_pages` pages: mostly writes of 1 to 10,000
// bytes anywhere in the current size (many crossing 4 KiB and 512-byte boundaries, some repeating pages),
// and about one grow in eight, of 0 to 2 pages. Deterministic for a seed.
inline std::vector<Op> RandomMessage(uint64_t seed, uint64_t start_pages, int count) {
  std::mt19937_64 rng(seed);
  std::vector<Op> ops;
  uint64_t size_bytes = start_pages * kWasmPageBytes;
  for (int i = 0; i < count; ++i) {
    Op op;
    if (UniformBelow(rng, 8) == 0) {
      op.is_grow = true;
      op.delta_pages = UniformBelow(rng, 3);
      size_bytes += op.delta_pages * kWasmPageBytes;
    } else {
      const uint64_t length = 1 + UniformBelow(rng, 10000);
      op.offset_bytes = UniformBelow(rng, size_bytes - length + 1);
      op.bytes.resize(length);
      for (auto& b : op.bytes) b = static_cast<uint8_t>(rng());
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

// Applies `op` to any StableMemory (grows are expected to succeed).
inline void ApplyTo(StableMemory& memory, const Op& op) {
  if (op.is_grow) {
    memory.grow(op.delta_pages);
  } else {
    memory.write(op.offset_bytes, op.bytes);
  }
}

}  // namespace stablevfs::sim::testing
