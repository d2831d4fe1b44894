#include "lib/memory/heap_stable_memory.h"

#include <cassert>
#include <cstring>
#include <stdexcept>

namespace stablevfs {

int64_t HeapStableMemory::grow(uint64_t delta_pages) {
  const uint64_t old_pages = size_pages();
  if (delta_pages > max_pages_ || old_pages > max_pages_ - delta_pages) return -1;
  bytes_.resize((old_pages + delta_pages) * kWasmPageBytes, 0);
  return static_cast<int64_t>(old_pages);
}

void HeapStableMemory::read(uint64_t offset_bytes, std::span<uint8_t> out) {
  CheckAccess("read", offset_bytes, out.size(), bytes_.size());
  if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset_bytes, out.size());
}

void HeapStableMemory::write(uint64_t offset_bytes, std::span<const uint8_t> data) {
  CheckAccess("write", offset_bytes, data.size(), bytes_.size());
  if (!data.empty()) std::memcpy(bytes_.data() + offset_bytes, data.data(), data.size());
}

void HeapStableMemory::Assign(std::vector<uint8_t> image) {
  if (image.size() % kWasmPageBytes != 0) {
    throw std::invalid_argument("stable memory image size " + std::to_string(image.size()) +
                                " is not a multiple of 64 KiB");
  }
  bytes_ = std::move(image);
}

}  // namespace stablevfs
