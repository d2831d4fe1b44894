// Layout: the on-disk format of one database inside one virtual memory, behind one interface.
//
// The VFS and the Db facade speak only to this interface, and reach a concrete layout only through the
// registry (layout_registry.h), so a layout (layout 6 of REFERENCE 3.1, the in-place layout 8 of 3.4, a
// user's own) is added and tested by the same harness without touching them. A Layout owns the superblock and
// whatever maps logical pages to stable memory; it reads logical 16 KiB pages and makes an Overlay durable
// with one publish.
//
// Guarantees every implementation must give (the harness checks them):
//  - Open never writes to a memory it cannot read (foreign bytes, unsupported version, bad checksum).
//  - A Publish or StoreMeta that returns an error leaves the active superblock and page map byte-identical.
//    A layout that cannot keep this once it has started writing in place (layout 8) must trap instead.
//  - A logical page that was never written, or lies past the end of the file, reads as zeros.
//
// Methods may throw stablevfs::Trap (out-of-bounds stable access) or fp::Abort (an armed failpoint): those
// end the message and are not errors.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lib/core/status.h"
#include "lib/layout/layout_registry.h"
#include "lib/layout/overlay.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs {

inline constexpr uint32_t kDbPageBytes = 16384;  // SQLite page size used by every layout

// Superblock flag bits (REFERENCE 3.1).
inline constexpr uint64_t kFlagImporting = 1;
inline constexpr uint64_t kFlagChecksumStale = 2;
inline constexpr uint64_t kFlagChecksumRefreshing = 4;

// A superblock field that belongs to one layout only (layout 8's zero extents, a slot sequence number), by
// name, so that the shared Meta can carry it and two Metas can be compared and printed whole.
struct MetaField {
  std::string name;
  uint64_t value = 0;
  bool operator==(const MetaField&) const = default;
};

// The superblock fields the ic-sqlite-vfs family shares (REFERENCE 3.1 and 3.4, offsets 0..136), decoded,
// plus the fields of one layout by name. The meaning of db_base_offset, page_table_offset and page_count is
// the layout's (noted at each).
struct Meta {
  uint32_t version = 0;         // superblock format version (6 for layout 6, 8 for layout 8)
  uint32_t page_size = kDbPageBytes;
  uint64_t db_size = 0;         // logical file length in bytes
  uint64_t schema_version = 0;  // highest applied migration
  uint64_t last_tx_id = 0;
  uint64_t flags = 0;           // kFlag* bits
  uint64_t checksum = 0;        // last verified image checksum (FNV-1a 64 over [0, db_size))
  uint64_t import_expected_checksum = 0;
  uint64_t import_written_until = 0;
  uint64_t import_total_size = 0;
  uint64_t import_base_offset = 0;
  uint64_t checksum_refresh_offset = 0;
  uint64_t checksum_refresh_hash = 0;
  uint64_t checksum_refresh_tx_id = 0;
  uint64_t db_base_offset = 0;     // layout 8: where logical page 0 lives; layout 6: unused (64 KiB)
  uint64_t page_table_offset = 0;  // layout 6: stable offset of the active root table (0 = empty DB); 8: 0
  uint64_t page_count = 0;         // layout 6: root entry count (segments); layout 8: ceil(db_size / 16 KiB)
  uint64_t layout_version = 0;
  std::vector<MetaField> layout_fields;  // the layout's own fields, in on-disk order (empty for layout 6)

  bool operator==(const Meta&) const = default;
};

// Space accounting (REFERENCE 3.1). An estimate, as in the original.
struct LayoutStats {
  uint64_t stable_pages = 0;         // size of the virtual memory in 64 KiB pages
  uint64_t allocated_bytes = 0;      // high-water mark of what the layout has written
  uint64_t active_bytes = 0;         // what the active superblock reaches
  uint64_t orphan_bytes = 0;         // allocated - active
  uint64_t orphan_ratio_bp = 0;      // orphan / allocated in basis points (0 when nothing is allocated)
  bool compact_recommended = false;  // orphan >= active and orphan >= 16 MiB
  uint64_t mapped_pages = 0;         // logical pages with a physical page
  uint64_t segments = 0;             // page-map tables the active superblock reaches (layout 6: segment
                                     // tables; 0 for a layout that keeps no tables, such as layout 8)
};

class Layout {
 public:
  virtual ~Layout() = default;

  // Opens the layout stored in `memory` (a virtual memory, or any StableMemory), chosen by the registry from
  // the magic and version it holds; when `preferred` stores that same magic and version, `preferred` opens it
  // (so a registered variant of a builtin keeps running as itself after a reboot). An empty (or all-zero)
  // memory is formatted by `preferred`, or by DefaultLayout() when it is null. Errors: kForeignImage (no
  // known magic), kUnsupportedVersion (names the version and the registered layouts), kCorrupt (meta
  // checksum, inconsistent fields); on error nothing was written. `opened_as` (may be null) receives the
  // layout that opened or formatted the memory. `memory` must outlive the Layout.
  static Result<std::unique_ptr<Layout>> Open(StableMemory& memory, const LayoutInfo* preferred = nullptr,
                                              const LayoutInfo** opened_as = nullptr);

  // The decoded active superblock.
  virtual const Meta& meta() const = 0;

  // Reads logical page `page_no` (whole, 16 KiB) into `out`. Unmapped pages and pages at or past
  // ceil(db_size / 16 KiB) read as zeros. REQUIRES: out.size() == kDbPageBytes.
  virtual Status ReadPage(uint64_t page_no, std::span<uint8_t> out) = 0;

  // Reads bytes [offset_in_page, offset_in_page + out.size()) of logical page `page_no`: exactly the bytes
  // ReadPage would put there, without copying the rest of the page (SQLite's small reads, such as the 16-byte
  // change counter it reads at the start of every read transaction, then cost a few bytes, not a page).
  // kInvalidArgument when the range does not lie within one page. The default reads the whole page.
  virtual Status ReadPageBytes(uint64_t page_no, uint64_t offset_in_page, std::span<uint8_t> out);

  // Makes `overlay` durable, ending in one superblock write that is the commit point (layout 6 writes the
  // pages and tables to fresh space first; layout 8 writes the pages in place). The new db_size is
  // overlay.db_size(); pages at or past it are dropped (truncate), and so are base pages at or past the
  // overlay's truncation watermark (overlay.min_db_size()) that the overlay does not hold: they read as zeros
  // afterwards. Advances last_tx_id by one, sets kFlagChecksumStale, clears any in-progress chunked checksum
  // refresh (kFlagChecksumRefreshing and its fields).
  // REQUIRES: overlay.dirty() (an empty overlay is not published; the caller skips it).
  // On error (kCapacity, kInjected, kBusy) the active superblock and the image it reaches are unchanged; a
  // layout that can no longer promise that (it already wrote in place) throws a Trap instead.
  virtual Status Publish(const Overlay& overlay) = 0;

  // Rewrites the superblock with new common fields (schema_version, flags, checksum, import and refresh
  // fields) and the same page map. Fields a layout owns (db_size, last_tx_id, page_table_offset,
  // page_count, db_base_offset, version, layout_version, layout_fields) are taken from the current
  // superblock, not `meta`.
  virtual Status StoreMeta(const Meta& meta) = 0;

  // Sets last_tx_id, for tools that rebuild an image from another one (`stablevfs convert` carries the
  // source's id over, so the rebuilt image continues the same sequence of transactions). Rewrites the
  // superblock as StoreMeta does: the same page map, every other field kept, except that a chunked checksum
  // refresh in progress is cleared (its progress belongs to the old id). kInvalidArgument, nothing written,
  // when `last_tx_id` is below the current one: a transaction id never goes backwards. Equal to the current
  // one: OK, nothing written.
  virtual Status SetLastTxId(uint64_t last_tx_id) = 0;

  // Staging for an import (REFERENCE 3.3): BeginImportStaging reserves room for `total_bytes` of logical
  // image at fresh space and records the import fields; StageImportBytes writes bytes at logical offset
  // `offset` of the staged image (the caller enforces order and bounds) and then advances and stores
  // import_written_until when the bytes end past it, so progress survives an upgrade; PublishImport makes the
  // staged image the active database in one superblock write (schema_version 0, tx id + 1, flags cleared but
  // stale, checksum = import_expected_checksum, which the caller has verified); it refuses (kImport) unless
  // import_written_until == import_total_size. DiscardImport forgets the staging and clears the import fields
  // and flag. Staged bytes never touch the active image.
  virtual Status BeginImportStaging(uint64_t total_bytes, uint64_t expected_checksum) = 0;
  virtual Status StageImportBytes(uint64_t offset, std::span<const uint8_t> bytes) = 0;
  // Reads back staged bytes (for the checksum check before publish).
  virtual Status ReadStagedBytes(uint64_t offset, std::span<uint8_t> out) = 0;
  virtual Status PublishImport() = 0;
  virtual Status DiscardImport() = 0;

  // Copies every live page and table to fresh space and republishes; does not change the logical image,
  // last_tx_id or the checksum fields. Cannot shrink the memory (the IC cannot).
  virtual Status Compact() = 0;

  virtual LayoutStats Stats() const = 0;

  // Checks the active superblock and page map for internal consistency (bounds, alignment, counts).
  virtual Status Validate() = 0;
};

// A concrete layout's Result as a Result<std::unique_ptr<Layout>>, for the format and open functions a layout
// registers (LayoutInfo::OpenFn).
template <typename L>
Result<std::unique_ptr<Layout>> UpcastLayout(Result<std::unique_ptr<L>> layout) {
  if (!layout.ok()) return layout.status();
  return std::unique_ptr<Layout>(std::move(layout).value());
}

// FNV-1a 64: the checksum of REFERENCE 3.1. Feed it in pieces; the result equals one pass over the whole.
class Fnv1a64 {
 public:
  static constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ull;
  static constexpr uint64_t kPrime = 0x100000001b3ull;
  explicit Fnv1a64(uint64_t state = kOffsetBasis) : state_(state) {}
  void Update(std::span<const uint8_t> bytes) {
    for (uint8_t b : bytes) state_ = (state_ ^ b) * kPrime;
  }
  uint64_t value() const { return state_; }

 private:
  uint64_t state_;
};

}  // namespace stablevfs
