// ReadImageBytes: logical bytes of the active database image, read through a Layout.
//
// The Layout reads whole 16 KiB pages; most callers (the VFS outside an update, export, checksums) want an
// arbitrary byte range. This helper cuts the range into pages, reads whole pages straight into the output and
// partial ones through a scratch page, and fills with zeros everything at or past db_size without asking the
// layout (so it never reads beyond the image).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lib/core/status.h"
#include "lib/layout/layout.h"

namespace stablevfs {

// Copies logical bytes [offset_bytes, offset_bytes + out.size()) of `layout`'s active image into `out`; bytes
// at or past meta().db_size read as zeros. `scratch` is reused between calls to avoid an allocation per read
// (it is resized to one page when needed). Errors are those of Layout::ReadPage.
Status ReadImageBytes(Layout& layout, uint64_t offset_bytes, std::span<uint8_t> out, std::vector<uint8_t>& scratch);

}  // namespace stablevfs
