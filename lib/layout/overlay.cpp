#include "lib/layout/overlay.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

#include "lib/layout/layout.h"

namespace stablevfs {
namespace {

constexpr uint64_t PagesFor(uint64_t size_bytes) {
  return size_bytes / kDbPageBytes + (size_bytes % kDbPageBytes != 0);
}

}  // namespace

Overlay::Overlay(uint64_t base_db_size, BaseReader base)
    : base_db_size_(base_db_size), db_size_(base_db_size), min_db_size_(base_db_size), base_(std::move(base)) {}

Status Overlay::ReadPage(uint64_t page_no, std::span<uint8_t> out) {
  assert(out.size() == kDbPageBytes);
  if (auto it = pages_.find(page_no); it != pages_.end()) {
    std::memcpy(out.data(), it->second.data(), kDbPageBytes);
    return Status::Ok();
  }
  // Base pages at or past the truncation watermark were cut off earlier in this update.
  if (page_no < PagesFor(min_db_size_)) return base_(page_no, out);
  std::fill(out.begin(), out.end(), 0);
  return Status::Ok();
}

Status Overlay::PageForWrite(uint64_t page_no, std::vector<uint8_t>** page) {
  auto it = pages_.find(page_no);
  if (it == pages_.end()) {
    std::vector<uint8_t> copy(kDbPageBytes);
    STABLEVFS_RETURN_IF_ERROR(ReadPage(page_no, copy));
    it = pages_.emplace(page_no, std::move(copy)).first;
  }
  *page = &it->second;
  return Status::Ok();
}

// Makes the bytes of the page holding `size_bytes` that lie at or past it read as zeros. Called when the
// file is cut to `size_bytes`, and (defensively) before the file grows past a size that is not a whole
// number of pages, so that bytes past the end can never reappear when the file is extended.
Status Overlay::ZeroTail(uint64_t size_bytes) {
  const uint64_t in_page = size_bytes % kDbPageBytes;
  if (in_page == 0) return Status::Ok();
  const uint64_t page_no = size_bytes / kDbPageBytes;
  if (auto it = pages_.find(page_no); it != pages_.end()) {
    std::fill(it->second.begin() + static_cast<ptrdiff_t>(in_page), it->second.end(), 0);
    return Status::Ok();
  }
  if (page_no >= PagesFor(min_db_size_)) return Status::Ok();  // reads as zeros already
  // A base page: copy it only if its tail is not already zero, so a no-op does not dirty a page.
  std::vector<uint8_t> copy(kDbPageBytes);
  STABLEVFS_RETURN_IF_ERROR(base_(page_no, copy));
  if (std::all_of(copy.begin() + static_cast<ptrdiff_t>(in_page), copy.end(), [](uint8_t b) { return b == 0; })) {
    return Status::Ok();
  }
  std::fill(copy.begin() + static_cast<ptrdiff_t>(in_page), copy.end(), 0);
  pages_.emplace(page_no, std::move(copy));
  return Status::Ok();
}

Status Overlay::Write(uint64_t offset, std::span<const uint8_t> data) {
  STABLEVFS_FAILPOINT("overlay.write");
  if (data.size() > UINT64_MAX - offset) {
    return Status::InvalidArgument("overlay write at " + std::to_string(offset) + " of " +
                                   std::to_string(data.size()) + " bytes overflows the file offset");
  }
  if (data.empty()) return Status::Ok();
  if (offset > db_size_) STABLEVFS_RETURN_IF_ERROR(ZeroTail(db_size_));

  uint64_t pos = offset;
  const uint64_t end = offset + data.size();
  while (pos < end) {
    const uint64_t page_no = pos / kDbPageBytes;
    const uint64_t in_page = pos % kDbPageBytes;
    const uint64_t n = std::min<uint64_t>(kDbPageBytes - in_page, end - pos);
    std::vector<uint8_t>* page = nullptr;
    if (n == kDbPageBytes && !pages_.contains(page_no)) {
      // A whole-page write needs no copy of the base: it replaces every byte.
      page = &pages_.emplace(page_no, std::vector<uint8_t>(kDbPageBytes)).first->second;
    } else {
      STABLEVFS_RETURN_IF_ERROR(PageForWrite(page_no, &page));
    }
    std::memcpy(page->data() + in_page, data.data() + (pos - offset), n);
    pos += n;
  }
  db_size_ = std::max(db_size_, end);
  return Status::Ok();
}

Status Overlay::Truncate(uint64_t size_bytes) {
  STABLEVFS_FAILPOINT("overlay.truncate");
  if (size_bytes < db_size_) {
    STABLEVFS_RETURN_IF_ERROR(ZeroTail(size_bytes));
    pages_.erase(pages_.lower_bound(PagesFor(size_bytes)), pages_.end());
    min_db_size_ = std::min(min_db_size_, size_bytes);
  } else if (size_bytes > db_size_) {
    STABLEVFS_RETURN_IF_ERROR(ZeroTail(db_size_));
  }
  db_size_ = size_bytes;
  return Status::Ok();
}

Status Overlay::Read(uint64_t offset, std::span<uint8_t> out) {
  std::fill(out.begin(), out.end(), 0);
  if (offset >= db_size_ || out.empty()) return Status::Ok();
  const uint64_t end = offset + std::min<uint64_t>(out.size(), db_size_ - offset);
  std::vector<uint8_t> buffer(kDbPageBytes);
  uint64_t pos = offset;
  while (pos < end) {
    const uint64_t page_no = pos / kDbPageBytes;
    const uint64_t in_page = pos % kDbPageBytes;
    const uint64_t n = std::min<uint64_t>(kDbPageBytes - in_page, end - pos);
    if (auto it = pages_.find(page_no); it != pages_.end()) {
      std::memcpy(out.data() + (pos - offset), it->second.data() + in_page, n);
    } else {
      STABLEVFS_RETURN_IF_ERROR(ReadPage(page_no, buffer));
      std::memcpy(out.data() + (pos - offset), buffer.data() + in_page, n);
    }
    pos += n;
  }
  return Status::Ok();
}

}  // namespace stablevfs
