// HeapStableMemory: stable memory kept in a heap buffer, with a maximum size.
//
// The plain implementation of StableMemory: what a canister's stable memory is, minus persistence. Grows fail
// (return -1) beyond `max_pages`, which models the subnet and canister limits.
#pragma once

#include <cstdint>
#include <vector>

#include "lib/memory/stable_memory.h"

namespace stablevfs {

class HeapStableMemory final : public StableMemory {
 public:
  // 500 GiB: the IC's per-canister maximum.
  static constexpr uint64_t kDefaultMaxPages = 500ull * 1024 * 1024 * 1024 / kWasmPageBytes;

  explicit HeapStableMemory(uint64_t max_pages = kDefaultMaxPages) : max_pages_(max_pages) {}

  uint64_t size_pages() const override { return bytes_.size() / kWasmPageBytes; }
  int64_t grow(uint64_t delta_pages) override;
  void read(uint64_t offset_bytes, std::span<uint8_t> out) override;
  void write(uint64_t offset_bytes, std::span<const uint8_t> data) override;

  uint64_t max_pages() const { return max_pages_; }
  void set_max_pages(uint64_t max_pages) { max_pages_ = max_pages; }

  // Direct access for tools that load or save whole images (fsck, snapshots). The size is always a whole
  // number of pages.
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  // REQUIRES: image.size() is a multiple of 64 KiB.
  void Assign(std::vector<uint8_t> image);

 private:
  uint64_t max_pages_;
  std::vector<uint8_t> bytes_;
};

}  // namespace stablevfs
