#include "lib/layout/layout.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "lib/layout/little_endian.h"

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
// leaves behind, and zero bytes hold nothing anybody could lose. Anything else without a registered magic is
// somebody else's data and is refused without a single write or grow.
Result<std::unique_ptr<Layout>> Layout::Open(StableMemory& memory, const LayoutInfo* preferred,
                                             const LayoutInfo** opened_as) {
  const LayoutInfo& fresh = preferred != nullptr ? *preferred : DefaultLayout();
  const auto use = [&](const LayoutInfo& info, const LayoutInfo::OpenFn& fn) {
    if (opened_as != nullptr) *opened_as = &info;
    return fn(memory);
  };
  if (memory.size_pages() == 0) return use(fresh, fresh.format);
  std::array<uint8_t, 12> head{};
  memory.read(0, head);
  const std::span<const uint8_t, 8> magic(head.data(), 8);
  const uint32_t version = LoadU32Le(std::span<const uint8_t>(head).subspan(8));
  if (preferred != nullptr && preferred->version == version &&
      std::equal(magic.begin(), magic.end(), preferred->magic.begin())) {
    return use(*preferred, preferred->open);
  }
  if (const LayoutInfo* stored = LayoutRegistry::Global().FindStored(magic, version)) {
    return use(*stored, stored->open);
  }
  bool known_magic = false;
  for (const LayoutInfo* info : LayoutRegistry::Global().All()) {
    known_magic = known_magic || std::equal(magic.begin(), magic.end(), info->magic.begin());
  }
  if (!known_magic) {
    if (AllZero(memory)) return use(fresh, fresh.format);
    return Status::ForeignImage(
        "memory does not start with the magic of a registered layout (\"ICSQLITE\" for layouts " +
        LayoutRegistry::Global().Names() +
        ") and is not empty; it holds something else (another stable structure, or a raw SQLite file?) and was "
        "left untouched");
  }
  return Status::UnsupportedVersion("superblock version " + std::to_string(version) +
                                    " is not supported by this build (it reads layouts " +
                                    LayoutRegistry::Global().Names() + "); the memory was left untouched");
}

}  // namespace stablevfs
