// Image conversion: the database of an image rewritten into another registered layout, offline, in memory
// (what `stablevfs convert` runs; cmd_convert.cpp is the command around it).
//
// ic-sqlite-vfs 2.x refuses a layout 6 image and offers no upgrade, so a canister built on 1.x is stranded
// with it; this rebuilds the same logical SQLite file, schema_version, last_tx_id and verified checksum in
// the layout the target release reads.
//
// The two sides are read and written by different code on purpose:
//  - The source is read by the independent checker only (harness/check, as fsck and extract read it): it
//    must be clean (no problem at all), not importing, and in another layout than the target; its logical
//    file [0, db_size) is what the checker resolves. Its checksum is recomputed (FNV-1a 64 over the logical
//    file): when the source says it is verified (neither stale nor refreshing, and not a fresh database that
//    never computed one), the recomputed value must equal the stored one, or the image is damaged.
//  - The new database is written by the library: an empty memory formatted by the target LayoutInfo, one
//    Publish of an Overlay holding the non-zero pages (pages of zeros are left unwritten: every layout reads
//    them as zeros; when the layout cannot publish that sparse file, layout 8's 1,024 zero extents, every page
//    is written instead), then StoreMeta (schema_version, the checksum, flags 0: not stale) and
//    Layout::SetLastTxId (the source's last_tx_id).
//  - In a MemoryManager image, only the target memory changes: the new database's bytes are written at its
//    start, the rest of its old bytes are zeroed, and it grows (new buckets, the only change to the header)
//    only when the new database needs more pages than it has. Every other memory keeps its bytes. With
//    --raw the output is exactly the new virtual memory.
//
// Before anything is returned the output is verified, and every check is printed: the independent checker
// finds it clean and in the target layout; the library opens it (Db::Init with the target layout) and PRAGMA
// integrity_check says ok; the logical file the checker resolves from it equals the source's byte for byte;
// schema_version, last_tx_id and the checksum are as carried over and the checksum is not stale; in a
// MemoryManager image, every other memory's bytes and sizes and the owners of the old buckets are unchanged.
//
// Errors: UsageError (exit 2) for a source that cannot be converted (not clean, importing, already in the
// target layout, a verified checksum that does not match, no checker for the target layout, no room for more
// buckets); ConvertError (a std::runtime_error: exit 3) when writing or verifying the result fails, which is
// a bug in the library, the checker or this code. Either way nothing is returned to be saved.
#pragma once

#include <cstdint>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/cli/image_file.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::cli {

// A result that failed to build or to verify (an internal error: exit 3).
class ConvertError : public std::runtime_error {
 public:
  explicit ConvertError(const std::string& what) : std::runtime_error(what) {}
};

struct ConvertOptions {
  ImageTarget target;              // where the database lives in the image (and in the output)
  const LayoutInfo* to = nullptr;  // the target layout. REQUIRES: not null
};

struct ConvertResult {
  std::vector<uint8_t> bytes;  // the output file
  std::string from_layout;     // the source's layout, as the checker named it
  std::string to_layout;
  uint64_t db_size = 0;           // logical file length in bytes
  uint64_t logical_pages = 0;     // ceil(db_size / 16 KiB)
  uint64_t pages_written = 0;     // pages the publish wrote (the non-zero ones, or all of them)
  bool wrote_every_page = false;  // the sparse publish was refused and every page was written
  uint64_t schema_version = 0;
  uint64_t last_tx_id = 0;
  uint64_t checksum = 0;  // FNV-1a 64 of the logical file, stored in the output as verified
  // The source's checksum was stale or being refreshed, or never computed (a fresh, never written database).
  bool source_checksum_stale = false;
  uint64_t database_bytes = 0;  // the new database's virtual memory as the library formatted and filled it
  // MemoryManager images only (zero when raw):
  uint64_t memories = 0;             // memories with a nonzero size in the header
  uint64_t memory_pages_before = 0;  // the target memory's size
  uint64_t memory_pages_after = 0;
  uint64_t buckets_added = 0;
};

// Converts the image whose file bytes are `image` (named `name` in messages). One line per step goes to `log`
// when it is not null. Throws UsageError or ConvertError (see the header comment).
ConvertResult ConvertImage(const std::string& name, std::span<const uint8_t> image, const ConvertOptions& options,
                           std::ostream* log = nullptr);

}  // namespace stablevfs::cli
