// FileObserver: a seam that sees what SQLite writes to the main database file.
//
// The VFS calls it for every xWrite and xTruncate of /main.db, in order, before the bytes reach the overlay.
// Production passes none. The harness uses it to build its page model (the logical file exactly as SQLite
// wrote it) without trusting the library's own read path: it keeps the events of the current message
// pending and applies them only when the message committed.
#pragma once

#include <cstdint>
#include <span>

namespace stablevfs {

class FileObserver {
 public:
  virtual ~FileObserver() = default;
  virtual void OnWrite(uint64_t offset, std::span<const uint8_t> data) = 0;
  virtual void OnTruncate(uint64_t size_bytes) = 0;
};

}  // namespace stablevfs
