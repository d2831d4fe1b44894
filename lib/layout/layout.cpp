#include "lib/layout/layout.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "lib/layout/layout6.h"
#include "lib/layout/little_endian.h"
#include "lib/layout/superblock.h"

namespace stablevfs {
namespace {

// True when every byte of `memory` is zero. Reads in 64 KiB chunks and stops at the first non-zero byte,
// so a foreign image is rejected after one chunk; only a memory that really is all zeros is read to the end.
bool AllZero(StableMemory& memory) {
  std::vector<uint8_t> chunk(kWasmPageBytes);
  const uint64_t pages = memory.size_pages();
  for (uint64_t page = 0; page < pages; ++page) {
    memory.read(page * kWasmPageBytes, chunk);
    if (std::any_of(chunk.begin(), chunk.end(), [](uint8_t b) { return b != 0; })) return false;
  }
  return true;
}

template <typename L>
Result<std::unique_ptr<Layout>> Upcast(Result<std::unique_ptr<L>> layout) {
  if (!layout.ok()) return layout.status();
  return std::unique_ptr<Layout>(std::move(layout).value());
}

}  // namespace

// The default, for layouts that can only read whole pages: through a page buffer. Layout6 reads in place.
Status Layout::ReadPageBytes(uint64_t page_no, uint64_t offset_in_page, std::span<uint8_t> out) {
  if (offset_in_page > kDbPageBytes || out.size() > kDbPageBytes - offset_in_page) {
    return Status::InvalidArgument("ReadPageBytes needs a range within one page, got " + std::to_string(out.size()) +
                                   " bytes at offset " + std::to_string(offset_in_page));
  }
  std::vector<uint8_t> page(kDbPageBytes);
  STABLEVFS_RETURN_IF_ERROR(ReadPage(page_no, page));
  std::copy_n(page.begin() + static_cast<std::ptrdiff_t>(offset_in_page), out.size(), out.begin());
  return Status::Ok();
}

// Which memories get a fresh superblock: an empty one (size 0), as in the original, and one whose every
// byte is zero. The second case is what a crash between the initial grow and the first superblock write
// leaves behind, and zero bytes hold nothing anybody could lose. Anything else without the magic is somebody
// else's data and is refused without a single write or grow.
Result<std::unique_ptr<Layout>> Layout::Open(StableMemory& memory) {
  if (memory.size_pages() == 0) return Upcast(layout6::Layout6::Format(memory));
  std::array<uint8_t, 12> head{};
  memory.read(0, head);
  if (!layout6::HasMagic(head)) {
    if (AllZero(memory)) return Upcast(layout6::Layout6::Format(memory));
    return Status::ForeignImage(
        "memory does not start with the magic \"ICSQLITE\" and is not empty; it holds something else "
        "(another stable structure, or a raw SQLite file?) and was left untouched");
  }
  // The version field picks the layout. Only layout 6 exists so far.
  const uint32_t version = LoadU32Le(std::span<const uint8_t>(head).subspan(layout6::kVersionOffset));
  if (version == layout6::kVersion) return Upcast(layout6::Layout6::Open(memory));
  return Status::UnsupportedVersion("superblock version " + std::to_string(version) +
                                    " is not supported by this build (it reads version " +
                                    std::to_string(layout6::kVersion) + "); the memory was left untouched");
}

}  // namespace stablevfs
