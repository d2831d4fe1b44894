#include "harness/sim/memory_snapshot.h"

#include <algorithm>
#include <cstring>

#include "harness/sim/memory_image.h"

namespace stablevfs::sim {

static_assert(kWasmPageBytes % kOsPageBytes == 0, "a Wasm page is a whole number of OS pages");

MemorySnapshot::MemorySnapshot() : table_(std::make_shared<const PageTable>()) {}

const std::shared_ptr<const MemorySnapshot::Page>& MemorySnapshot::ZeroPage() {
  static const std::shared_ptr<const Page> zero = std::make_shared<const Page>(Page{});
  return zero;
}

std::shared_ptr<const MemorySnapshot::Page> MemorySnapshot::MakePage(std::span<const uint8_t> bytes) {
  if (std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; })) return ZeroPage();
  auto page = std::make_shared<Page>();
  std::memcpy(page->data(), bytes.data(), kOsPageBytes);
  return page;
}

MemorySnapshot MemorySnapshot::Capture(StableMemory& memory) {
  const uint64_t size_pages = memory.size_pages();
  auto table = std::make_shared<PageTable>();
  table->reserve(size_pages * (kWasmPageBytes / kOsPageBytes));
  Page buffer;
  for (uint64_t offset = 0; offset < size_pages * kWasmPageBytes; offset += kOsPageBytes) {
    memory.read(offset, buffer);
    table->push_back(MakePage(buffer));
  }
  return MemorySnapshot(size_pages, std::move(table));
}

void MemorySnapshot::Read(uint64_t offset_bytes, std::span<uint8_t> out) const {
  CheckAccess("snapshot read", offset_bytes, out.size(), size_bytes());
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t at = offset_bytes + done;
    const uint64_t in_page = at % kOsPageBytes;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kOsPageBytes - in_page, out.size() - done));
    std::memcpy(out.data() + done, (*table_)[at / kOsPageBytes]->data() + in_page, n);
    done += n;
  }
}

uint64_t MemorySnapshot::Digest() const {
  ImageDigest digest(size_bytes());
  for (const auto& page : *table_) digest.Update(*page);
  return digest.Finish();
}

std::vector<uint8_t> MemorySnapshot::Image() const {
  std::vector<uint8_t> image;
  image.reserve(size_bytes());
  for (const auto& page : *table_) image.insert(image.end(), page->begin(), page->end());
  return image;
}

bool operator==(const MemorySnapshot& a, const MemorySnapshot& b) {
  if (a.size_pages_ != b.size_pages_) return false;
  if (a.table_ == b.table_) return true;
  for (size_t i = 0; i < a.table_->size(); ++i) {
    const auto& pa = (*a.table_)[i];
    const auto& pb = (*b.table_)[i];
    if (pa != pb && *pa != *pb) return false;
  }
  return true;
}

}  // namespace stablevfs::sim
