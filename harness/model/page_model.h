// PageModel: the reference model of the database file, exactly as SQLite wrote it in committed transactions.
//
// A plain byte vector that knows nothing of pages, overlays, superblocks or stable memory. It observes the
// VFS (stablevfs::FileObserver): every xWrite / xTruncate of /main.db during the current message is recorded
// as a *pending* event, in order. When the message commits, Commit() applies them; when it fails (error,
// trap, crash before the commit point), Discard() drops them. Between the two, PendingImage() is the "new"
// state a crash may legitimately leave behind, and bytes() the "old" one (RocksDB's PendingExpectedValue:
// a pending state must be resolved by a commit or a rollback). The library's overlay and page map do the same
// job by a different route; the harness compares the two. Independent by design; see ARCHITECTURE.md.
//
// File semantics applied by Commit (those of a POSIX file, which is what SQLite assumes of a VFS):
//  - a write at `offset` past the end extends the file; any gap reads as zeros;
//  - a truncate to a smaller size drops the tail; to a larger size extends with zeros.
#pragma once

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "lib/vfs/file_observer.h"

namespace stablevfs::model {

class PageModel final : public FileObserver {
 public:
  static constexpr uint64_t kPageBytes = 16384;

  // FileObserver: records the event as pending. Never touches the committed bytes.
  void OnWrite(uint64_t offset, std::span<const uint8_t> data) override;
  void OnTruncate(uint64_t size_bytes) override;

  // Applies the pending events in order to the committed file and clears them.
  void Commit();
  // Drops the pending events; the committed file is unchanged.
  void Discard();
  // Replaces the committed file with `image` (a finished import) and drops any pending events.
  void SetImage(std::vector<uint8_t> image);

  // The committed file.
  uint64_t size_bytes() const { return bytes_.size(); }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  // ceil(size / 16 KiB).
  uint64_t size_pages() const { return (bytes_.size() + kPageBytes - 1) / kPageBytes; }
  // Logical page `page_no` of the committed file: 16 KiB, zero past the end of the file.
  std::vector<uint8_t> page(uint64_t page_no) const;

  // The file Commit() would produce now (the committed file with the pending events applied).
  std::vector<uint8_t> PendingImage() const;
  bool has_pending() const { return !pending_.empty(); }
  size_t pending_events() const { return pending_.size(); }

 private:
  struct Write {
    uint64_t offset;
    std::vector<uint8_t> data;
  };
  struct Truncate {
    uint64_t size_bytes;
  };
  using Event = std::variant<Write, Truncate>;

  static void Apply(const Event& event, std::vector<uint8_t>& file);

  std::vector<uint8_t> bytes_;
  std::vector<Event> pending_;
};

}  // namespace stablevfs::model
