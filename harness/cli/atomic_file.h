// AtomicFile: a file written beside its target and renamed over it on Commit, removed on every other way out.
//
// The temporary file `<path>.tmp-XXXXXX` is created in the target's directory (rename() is atomic only within
// one file system). Until Commit it is removed by the destructor (an exception, an early return) and by the
// handlers of SIGINT, SIGTERM and SIGHUP, which unlink every temporary still registered and then let the
// signal do what it would have done (the default action, re-raised). So an interrupted `extract` leaves no
// `OUT.db.tmp-*` behind, and a reader (or a crash) sees the old target or the new one, never a torn one.
//
// Writes may skip ahead (SkipTo): the skipped bytes read as zeros and, on file systems that support it, take
// no space, so a logical file with large unmapped ranges costs only the pages it holds.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace stablevfs::cli {

class AtomicFile {
 public:
  // Creates the temporary file beside `path` with the mode a replaced file keeps (or 0666 minus the umask).
  // Throws std::runtime_error naming the path when it cannot be created.
  explicit AtomicFile(std::string path);
  // Removes the temporary file unless Commit succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Writes `bytes` at the current position. Throws std::runtime_error (the temporary is removed).
  void Write(std::span<const uint8_t> bytes);
  // Moves the position forward to `offset_bytes` (the gap reads as zeros). REQUIRES: offset >= position().
  void SkipTo(uint64_t offset_bytes);
  uint64_t position() const { return position_; }
  // Sets the length to `length_bytes` (>= everything written), flushes to disk and renames the temporary over
  // the target. Throws std::runtime_error naming the paths; the temporary is removed and the target untouched.
  void Commit(uint64_t length_bytes);

  const std::string& temporary_path() const { return temporary_; }

 private:
  [[noreturn]] void Fail(const std::string& what);

  std::string path_;
  std::string temporary_;
  int fd_ = -1;
  int registration_ = -1;  // slot in the signal cleanup registry
  uint64_t position_ = 0;
  bool committed_ = false;
};

}  // namespace stablevfs::cli
