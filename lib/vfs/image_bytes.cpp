#include "lib/vfs/image_bytes.h"

#include <algorithm>

namespace stablevfs {

Status ReadImageBytes(Layout& layout, uint64_t offset_bytes, std::span<uint8_t> out) {
  const uint64_t size_bytes = layout.meta().db_size;
  uint64_t done = 0;
  while (done < out.size()) {
    const uint64_t position = offset_bytes + done;
    const uint64_t page_no = position / kDbPageBytes;
    const uint64_t in_page = position % kDbPageBytes;
    const uint64_t n = std::min<uint64_t>(kDbPageBytes - in_page, out.size() - done);
    std::span<uint8_t> target = out.subspan(done, n);
    if (page_no * kDbPageBytes >= size_bytes) {
      std::fill(target.begin(), target.end(), 0);  // wholly past the end: nothing to read
    } else if (n == kDbPageBytes) {
      STABLEVFS_RETURN_IF_ERROR(layout.ReadPage(page_no, target));  // a whole page
    } else {
      STABLEVFS_RETURN_IF_ERROR(layout.ReadPageBytes(page_no, in_page, target));  // only the bytes asked for
    }
    done += n;
  }
  return Status::Ok();
}

}  // namespace stablevfs
