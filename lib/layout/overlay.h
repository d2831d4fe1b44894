// Overlay: the heap write overlay of one update (REFERENCE 3.2).
//
// Inside an update SQLite's xWrite and xTruncate never touch stable memory: they land here, as whole 16 KiB
// logical pages. A partial write first copies the base page (read through the Layout) so the overlay always
// holds complete pages; a truncate drops pages past the new end and zeroes the tail of the new last page.
// Publishing the overlay (Layout::Publish) is the only way its bytes reach stable memory; discarding it is
// dropping the object.
//
// Truncate-then-extend: once the file has been cut to size s during this update, base pages at or past
// ceil(s / 16 KiB) are gone, even if a later write or truncate extends the file again; they read as zeros
// unless rewritten. The overlay records the smallest size seen (min_db_size, the truncation watermark), and
// Layout::Publish unmaps every base page at or past ceil(min_db_size / 16 KiB) that the overlay does not hold.
// A page cut in its middle is copied into the overlay with its tail zeroed, so it never needs the base again.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "lib/core/status.h"

namespace stablevfs {

class Overlay {
 public:
  // Reads a whole base page (16 KiB) of the active image; used for copy-on-write of partial pages.
  using BaseReader = std::function<Status(uint64_t page_no, std::span<uint8_t> out)>;

  // base_db_size: the active image's logical size in bytes. `base` must stay valid while the overlay lives.
  Overlay(uint64_t base_db_size, BaseReader base);

  // Writes `data` at logical `offset`, extending db_size when it writes past the end. Evaluates the
  // `overlay.write` failpoint.
  Status Write(uint64_t offset, std::span<const uint8_t> data);
  // Sets the logical size. Pages wholly past it are dropped; the tail of the last page is zeroed.
  // Evaluates the `overlay.truncate` failpoint.
  Status Truncate(uint64_t size_bytes);
  // Reads through the overlay: dirty pages from here, the rest from the base. Bytes at or past db_size()
  // read as zeros.
  Status Read(uint64_t offset, std::span<uint8_t> out);

  uint64_t db_size() const { return db_size_; }
  // True when a write or a size change happened since construction. A shrink that was undone by a later
  // extend still counts: the base pages past the watermark must be unmapped by a publish.
  bool dirty() const { return !pages_.empty() || db_size_ != base_db_size_ || min_db_size_ != base_db_size_; }
  uint64_t base_db_size() const { return base_db_size_; }
  // The truncation watermark: the smallest db_size this overlay has had (base_db_size when never shrunk).
  // Base pages at or past ceil(min_db_size / 16 KiB) are not part of the image unless present in pages().
  uint64_t min_db_size() const { return min_db_size_; }
  // Dirty pages, by logical page number, each exactly kDbPageBytes (16 KiB) long. Only pages below
  // ceil(db_size / 16 KiB) are present.
  const std::map<uint64_t, std::vector<uint8_t>>& pages() const { return pages_; }

 private:
  Status PageForWrite(uint64_t page_no, std::vector<uint8_t>** page);
  // Reads logical page `page_no` as this overlay sees it (dirty copy, base below the watermark, or zeros).
  Status ReadPage(uint64_t page_no, std::span<uint8_t> out);
  // Zeroes the bytes at or past `size_bytes` in the page that holds it (copying a base page if needed).
  Status ZeroTail(uint64_t size_bytes);

  uint64_t base_db_size_;
  uint64_t db_size_;
  uint64_t min_db_size_;
  BaseReader base_;
  std::map<uint64_t, std::vector<uint8_t>> pages_;
};

}  // namespace stablevfs
