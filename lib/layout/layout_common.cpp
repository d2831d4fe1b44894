#include "lib/layout/layout_common.h"

#include <algorithm>
#include <cassert>
#include <string>

namespace stablevfs {

Status EnsureCapacity(StableMemory& memory, uint64_t end_bytes) {
  const uint64_t current_pages = memory.size_pages();
  const uint64_t required_pages = WasmPagesFor(end_bytes);
  if (required_pages <= current_pages) return Status::Ok();
  const auto grow = [&]() -> int64_t {
    STABLEVFS_FAILPOINT_RETURN("memory.grow", -1);
    return memory.grow(required_pages - current_pages);
  };
  if (grow() < 0) return Status::Capacity(current_pages, required_pages);
  assert(memory.size_pages() >= required_pages);
  return Status::Ok();
}

void ClearRefresh(Meta& meta) {
  meta.flags &= ~kFlagChecksumRefreshing;
  meta.checksum_refresh_offset = 0;
  meta.checksum_refresh_hash = 0;
  meta.checksum_refresh_tx_id = 0;
}

void ClearImport(Meta& meta) {
  meta.flags &= ~kFlagImporting;
  meta.import_expected_checksum = 0;
  meta.import_written_until = 0;
  meta.import_total_size = 0;
  meta.import_base_offset = 0;
}

Result<Meta> MergeStoredMeta(const Meta& active, const Meta& requested) {
  if ((requested.flags & ~kKnownFlags) != 0) {
    return Status::InvalidArgument("unknown superblock flag bits in " + std::to_string(requested.flags));
  }
  const bool was_importing = (active.flags & kFlagImporting) != 0;
  const bool now_importing = (requested.flags & kFlagImporting) != 0;
  if (now_importing && !was_importing) {
    return Status::InvalidArgument("an import begins with BeginImportStaging, not by setting the flag");
  }
  if (now_importing && (requested.import_base_offset != active.import_base_offset ||
                        requested.import_total_size != active.import_total_size ||
                        requested.import_written_until > active.import_total_size)) {
    return Status::InvalidArgument("the import staging area belongs to the layout: base " +
                                   std::to_string(requested.import_base_offset) + " and total " +
                                   std::to_string(requested.import_total_size) + " must stay " +
                                   std::to_string(active.import_base_offset) + " and " +
                                   std::to_string(active.import_total_size));
  }
  Meta next = active;
  next.schema_version = requested.schema_version;
  next.flags = requested.flags;
  next.checksum = requested.checksum;
  next.import_expected_checksum = requested.import_expected_checksum;
  next.import_written_until = requested.import_written_until;
  next.import_total_size = requested.import_total_size;
  next.import_base_offset = requested.import_base_offset;
  next.checksum_refresh_offset = requested.checksum_refresh_offset;
  next.checksum_refresh_hash = requested.checksum_refresh_hash;
  next.checksum_refresh_tx_id = requested.checksum_refresh_tx_id;
  return next;
}

Result<Meta> WithLastTxId(const Meta& active, uint64_t last_tx_id) {
  if (last_tx_id < active.last_tx_id) {
    return Status::InvalidArgument("last_tx_id " + std::to_string(last_tx_id) + " is below the current " +
                                   std::to_string(active.last_tx_id) + ": a transaction id never goes backwards");
  }
  Meta next = active;
  next.last_tx_id = last_tx_id;
  ClearRefresh(next);
  return next;
}

Status ReadStagedImport(StableMemory& memory, const Meta& meta, uint64_t offset, std::span<uint8_t> out) {
  if (!Importing(meta)) return Status::Busy("no import is staged");
  if (offset > meta.import_total_size || out.size() > meta.import_total_size - offset) {
    return Status::InvalidArgument("staged read [" + std::to_string(offset) + ", +" + std::to_string(out.size()) +
                                   ") falls outside the import of " + std::to_string(meta.import_total_size) +
                                   " bytes");
  }
  if (!out.empty()) memory.read(meta.import_base_offset + offset, out);
  return Status::Ok();
}

Result<uint64_t> WriteStagedImport(StableMemory& memory, const Meta& meta, uint64_t offset,
                                   std::span<const uint8_t> bytes) {
  if (!Importing(meta)) return Status::Busy("no import is staged");
  if (offset > meta.import_total_size || bytes.size() > meta.import_total_size - offset) {
    return Status::InvalidArgument("staged bytes [" + std::to_string(offset) + ", +" + std::to_string(bytes.size()) +
                                   ") fall outside the import of " + std::to_string(meta.import_total_size) +
                                   " bytes");
  }
  if (bytes.empty()) return meta.import_written_until;
  memory.write(meta.import_base_offset + offset, bytes);
  return std::max(meta.import_written_until, offset + bytes.size());
}

Status CheckImportComplete(const Meta& meta) {
  if (!Importing(meta)) return Status::Busy("no import is staged");
  if (meta.import_written_until != meta.import_total_size) {
    return Status::Import(meta.import_total_size, meta.import_written_until,
                          "import incomplete: expected " + std::to_string(meta.import_total_size) +
                              " bytes, staged " + std::to_string(meta.import_written_until));
  }
  return Status::Ok();
}

}  // namespace stablevfs
