// IcstableVfs: the `icstable` sqlite3_vfs, SQLite's file interface on top of a Layout in stable memory.
//
// SQLite sees one database file, /main.db, served from a Layout. While an update is in progress the Db hands
// the VFS that update's Overlay: writes and truncates of /main.db go to the overlay and never to stable memory,
// reads go through it. Outside an update, /main.db is read straight from the Layout and cannot be written.
// Journal and temp files live in heap memory; WAL files are refused (SQLITE_CANTOPEN), and so is /main.db while
// an import is in progress (the Layout's importing flag).
//
// Each Db registers its own instance under a unique name ("icstable-<n>"), with pAppData pointing at the
// instance, and unregisters it on destruction. Several databases therefore coexist in one process, each in its
// own memory.
//
// No exception ever crosses the SQLite C boundary: every x* callback is noexcept, catches everything (Trap,
// fp::Abort, any std::exception), stores the first one here and returns an SQLite error code. The caller of
// SQLite (the Db) must call TakeException() after every SQLite call and rethrow what it finds, so a trap raised
// inside an xRead still ends the message. A caught exception also poisons the instance: from then on every read,
// write and truncate of /main.db fails without touching memory, because the message is over and the caller must
// drop the Db. A library error (a Status, e.g. an injected overlay.write failure) is stored too, so the Db can
// report the real cause instead of SQLite's generic "disk I/O error".
//
// Not thread-safe: one Db, and so one instance, is used by one thread at a time (as a canister is).
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/core/status.h"
#include "lib/layout/layout.h"
#include "lib/layout/overlay.h"
#include "lib/vfs/file_observer.h"

struct sqlite3_vfs;

namespace stablevfs {

class IcstableVfs {
 public:
  // The one database path SQLite may open through this VFS.
  static constexpr const char* kMainDbPath = "/main.db";
  // The sector size reported for every file: one SQLite page, the unit the layout stores.
  static constexpr int kSectorBytes = 16384;
  static_assert(kSectorBytes == static_cast<int>(kDbPageBytes), "the sector is one logical page");

  struct Options {
    // Sees every xWrite and xTruncate of /main.db before it reaches the overlay. Null: none. Not owned.
    FileObserver* observer = nullptr;
    // Unix milliseconds for xCurrentTime; empty means the epoch (0), so runs replay.
    std::function<int64_t()> clock_ms;
  };

  // Counters a test or benchmark can read; they never influence behavior.
  struct Counters {
    uint64_t main_reads = 0;        // xRead calls on /main.db
    uint64_t main_writes = 0;       // xWrite calls on /main.db
    uint64_t main_truncates = 0;    // xTruncate calls on /main.db
    uint64_t short_reads = 0;       // reads that ran past the end of /main.db
    uint64_t main_opens = 0;        // successful opens of /main.db
    uint64_t refused_opens = 0;     // opens refused (WAL, importing, unknown main-db name)
    uint64_t failures = 0;          // callbacks that failed with a library error or an exception
  };

  // Registers a new instance serving `layout` under a fresh unique name. `layout` must outlive the instance.
  // Fails (kSqlite) only if SQLite refuses the registration.
  static Result<std::unique_ptr<IcstableVfs>> Register(Layout& layout, Options options);

  // Unregisters the VFS. REQUIRES: no SQLite connection uses it any more (close them first).
  ~IcstableVfs();

  // The registered name, for sqlite3_open_v2's zVfs argument.
  const char* name() const { return name_.c_str(); }
  // The registered sqlite3_vfs (for tests that drive the methods directly).
  sqlite3_vfs* vfs() { return vfs_.get(); }

  // The overlay of the update in progress, or null outside an update. Not owned: the caller clears it
  // (set_overlay(nullptr)) before destroying the overlay.
  void set_overlay(Overlay* overlay) { overlay_ = overlay; }
  Overlay* overlay() const { return overlay_; }

  // The logical size of /main.db as SQLite currently sees it: the overlay's when present, else the layout's.
  uint64_t main_size_bytes() const;

  // The first exception a callback caught since the last call, or null. Rethrow it.
  std::exception_ptr TakeException();
  bool has_exception() const { return static_cast<bool>(exception_); }
  // The first library error (non-OK Status) a callback reported since the last call, or OK.
  Status TakeStatus();
  // Forgets a stored Status without returning it (e.g. after SQLite recovered on its own).
  void ClearStatus() { status_ = Status::Ok(); }

  // True once a callback caught an exception, or Poison() was called: the message is over and this
  // instance refuses all further I/O on /main.db.
  bool poisoned() const { return poisoned_; }
  // Marks the message as ended by `cause` (may be null when the cause is unknown). The first cause is kept.
  void Poison(std::exception_ptr cause = nullptr) {
    poisoned_ = true;
    if (!fatal_ && cause) fatal_ = std::move(cause);
  }
  // The first exception that poisoned the instance (kept after TakeException), or null. The Db rethrows it
  // if a closure swallowed it and tried to carry on.
  std::exception_ptr fatal_exception() const { return fatal_; }

  const Counters& counters() const { return counters_; }

  IcstableVfs(const IcstableVfs&) = delete;
  IcstableVfs& operator=(const IcstableVfs&) = delete;

  // The callbacks are file-local functions in icstable_vfs.cpp; they reach the state through this.
  struct Access;

 private:
  IcstableVfs(Layout& layout, Options options, std::string name);

  Layout& layout_;
  Options options_;
  std::string name_;
  std::unique_ptr<sqlite3_vfs> vfs_;
  Overlay* overlay_ = nullptr;
  std::exception_ptr exception_;  // caught by a callback, not yet rethrown
  std::exception_ptr fatal_;      // the first exception that poisoned the instance
  Status status_;
  bool poisoned_ = false;
  Counters counters_;
};

}  // namespace stablevfs
