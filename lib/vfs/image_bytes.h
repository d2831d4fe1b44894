// ReadImageBytes: logical bytes of the active database image, read through a Layout.
//
// The Layout reads 16 KiB pages; most callers (the VFS outside an update, export, checksums) want an arbitrary
// byte range. This helper cuts the range into pages, reads whole pages straight into the output and parts of
// pages with Layout::ReadPageBytes (only the bytes asked for: SQLite's 16-byte change-counter read at the start
// of every read transaction and its 100-byte header read must not copy a whole page out of stable memory), and
// fills with zeros everything at or past db_size without asking the layout (so it never reads beyond the image).
#pragma once

#include <cstdint>
#include <span>

#include "lib/core/status.h"
#include "lib/layout/layout.h"

namespace stablevfs {

// Copies logical bytes [offset_bytes, offset_bytes + out.size()) of `layout`'s active image into `out`; bytes
// at or past meta().db_size read as zeros. Errors are those of Layout::ReadPage and Layout::ReadPageBytes.
Status ReadImageBytes(Layout& layout, uint64_t offset_bytes, std::span<uint8_t> out);

}  // namespace stablevfs
