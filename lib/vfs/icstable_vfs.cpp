// The icstable VFS, written the way SQLite's ext/misc/memvfs.c is laid out: the file object, the method
// declarations, the two method tables with one commented slot per line, then one short function per method.
// Every method is noexcept and runs its body through Guard(), the single place where a failure (a Status or an
// exception) becomes an SQLite result code.
#include "lib/vfs/icstable_vfs.h"

#include "lib/vfs/image_bytes.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <new>
#include <random>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace stablevfs {
namespace {

// An open file. SQLite allocates szOsFile bytes and hands us a pointer to `base`; xOpen constructs the rest
// in place and xClose destroys it. `base` must stay first so the two pointers convert.
struct IcstableFile {
  sqlite3_file base;           // must be first
  IcstableVfs* owner;          // the instance that opened the file; never null once open
  bool is_main;                // true for /main.db, false for heap (journal and temp) files
  std::vector<uint8_t>* heap;  // content of a heap file (owned); null for /main.db
};
static_assert(std::is_standard_layout_v<IcstableFile>, "SQLite casts sqlite3_file* to IcstableFile*");
static_assert(offsetof(IcstableFile, base) == 0, "sqlite3_file must be the first member");

// Julian day number of the Unix epoch, in milliseconds (what xCurrentTimeInt64 counts from).
constexpr int64_t kUnixEpochJulianMs = 210866760000000LL;
constexpr double kMsPerDay = 86400000.0;

// File methods.
int IcClose(sqlite3_file* file) noexcept;
int IcRead(sqlite3_file* file, void* buf, int amount, sqlite3_int64 offset) noexcept;
int IcWrite(sqlite3_file* file, const void* buf, int amount, sqlite3_int64 offset) noexcept;
int IcTruncate(sqlite3_file* file, sqlite3_int64 size) noexcept;
int IcSync(sqlite3_file* file, int flags) noexcept;
int IcFileSize(sqlite3_file* file, sqlite3_int64* size) noexcept;
int IcLock(sqlite3_file* file, int lock) noexcept;
int IcUnlock(sqlite3_file* file, int lock) noexcept;
int IcCheckReservedLock(sqlite3_file* file, int* out) noexcept;
int IcFileControl(sqlite3_file* file, int op, void* arg) noexcept;
int IcSectorSize(sqlite3_file* file) noexcept;
int IcDeviceCharacteristics(sqlite3_file* file) noexcept;

// VFS methods.
int VfsOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) noexcept;
int VfsDelete(sqlite3_vfs* vfs, const char* name, int sync_dir) noexcept;
int VfsAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) noexcept;
int VfsFullPathname(sqlite3_vfs* vfs, const char* name, int out_bytes, char* out) noexcept;
void* VfsDlOpen(sqlite3_vfs* vfs, const char* filename) noexcept;
void VfsDlError(sqlite3_vfs* vfs, int out_bytes, char* out) noexcept;
using DlSymbol = void (*)(void);  // what xDlSym returns
DlSymbol VfsDlSym(sqlite3_vfs* vfs, void* handle, const char* symbol) noexcept;
void VfsDlClose(sqlite3_vfs* vfs, void* handle) noexcept;
int VfsRandomness(sqlite3_vfs* vfs, int bytes, char* out) noexcept;
int VfsSleep(sqlite3_vfs* vfs, int microseconds) noexcept;
int VfsCurrentTime(sqlite3_vfs* vfs, double* out) noexcept;
int VfsGetLastError(sqlite3_vfs* vfs, int bytes, char* out) noexcept;
int VfsCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) noexcept;

// Version 1: no shared memory (WAL is refused) and no memory mapping, so SQLite never asks for either.
const sqlite3_io_methods kIoMethods = {
    1,                        // iVersion
    IcClose,                  // xClose
    IcRead,                   // xRead
    IcWrite,                  // xWrite
    IcTruncate,               // xTruncate
    IcSync,                   // xSync
    IcFileSize,               // xFileSize
    IcLock,                   // xLock
    IcUnlock,                 // xUnlock
    IcCheckReservedLock,      // xCheckReservedLock
    IcFileControl,            // xFileControl
    IcSectorSize,             // xSectorSize
    IcDeviceCharacteristics,  // xDeviceCharacteristics
    nullptr,                  // xShmMap
    nullptr,                  // xShmLock
    nullptr,                  // xShmBarrier
    nullptr,                  // xShmUnmap
    nullptr,                  // xFetch
    nullptr,                  // xUnfetch
};

// The VFS template; Register copies it and fills in the name and pAppData.
const sqlite3_vfs kVfsTemplate = {
    2,                            // iVersion: adds xCurrentTimeInt64
    sizeof(IcstableFile),         // szOsFile
    512,                          // mxPathname
    nullptr,                      // pNext
    nullptr,                      // zName (per instance)
    nullptr,                      // pAppData (per instance: the IcstableVfs)
    VfsOpen,                      // xOpen
    VfsDelete,                    // xDelete
    VfsAccess,                    // xAccess
    VfsFullPathname,              // xFullPathname
    VfsDlOpen,                    // xDlOpen
    VfsDlError,                   // xDlError
    VfsDlSym,                     // xDlSym
    VfsDlClose,                   // xDlClose
    VfsRandomness,                // xRandomness
    VfsSleep,                     // xSleep
    VfsCurrentTime,               // xCurrentTime
    VfsGetLastError,              // xGetLastError
    VfsCurrentTimeInt64,          // xCurrentTimeInt64
    nullptr,                      // xSetSystemCall
    nullptr,                      // xGetSystemCall
    nullptr,                      // xNextSystemCall
};

IcstableFile* AsFile(sqlite3_file* file) { return reinterpret_cast<IcstableFile*>(file); }
IcstableVfs* AsOwner(sqlite3_vfs* vfs) { return static_cast<IcstableVfs*>(vfs->pAppData); }

}  // namespace

// The callbacks' window into the instance, and the one place where failures become SQLite codes.
struct IcstableVfs::Access {
  // Runs `body` (which returns a Status) for a callback whose I/O error code is `io_error_code`.
  //   OK                  -> SQLITE_OK
  //   a non-OK Status     -> stored (the first one wins); io_error_code
  //   any exception       -> stored (the first one wins), the instance is poisoned; io_error_code
  // A trap must end the message even though SQLite sees only an I/O error: the Db rethrows the stored
  // exception as soon as SQLite returns.
  template <typename Body>
  static int Guard(IcstableVfs* owner, int io_error_code, Body&& body) noexcept {
    try {
      Status status = body();
      if (status.ok()) return SQLITE_OK;
      ++owner->counters_.failures;
      if (owner->status_.ok()) owner->status_ = std::move(status);
      return io_error_code;
    } catch (...) {
      ++owner->counters_.failures;
      if (!owner->exception_) owner->exception_ = std::current_exception();
      owner->Poison(std::current_exception());
      return io_error_code;
    }
  }

  static Layout& layout(IcstableVfs* owner) { return owner->layout_; }
  static const IcstableVfs::Options& options(IcstableVfs* owner) { return owner->options_; }
  static IcstableVfs::Counters& counters(IcstableVfs* owner) { return owner->counters_; }

  static Status ReadFromLayout(IcstableVfs* owner, uint64_t offset, std::span<uint8_t> out) {
    return ReadImageBytes(owner->layout_, offset, out);
  }
};

namespace {

using Access = IcstableVfs::Access;

// ---- File methods ----------------------------------------------------------------------------------------

int IcClose(sqlite3_file* file) noexcept {
  IcstableFile* f = AsFile(file);
  delete f->heap;
  f->~IcstableFile();
  return SQLITE_OK;
}

// A read past the end of the file zero-fills what is missing and reports SQLITE_IOERR_SHORT_READ, as SQLite
// requires (it relies on the zeros when it reads a page that was never written).
int IcRead(sqlite3_file* file, void* buf, int amount, sqlite3_int64 offset) noexcept {
  IcstableFile* f = AsFile(file);
  std::span<uint8_t> out(static_cast<uint8_t*>(buf), static_cast<size_t>(amount));
  bool short_read = false;
  const int rc = Access::Guard(f->owner, SQLITE_IOERR_READ, [&]() -> Status {
    const uint64_t start = static_cast<uint64_t>(offset);
    if (!f->is_main) {
      const std::vector<uint8_t>& bytes = *f->heap;
      const uint64_t available = start < bytes.size() ? std::min<uint64_t>(bytes.size() - start, out.size()) : 0;
      if (available > 0) std::memcpy(out.data(), bytes.data() + start, available);
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(available), out.end(), 0);
      short_read = available < out.size();
      return Status::Ok();
    }
    if (f->owner->poisoned()) return Status::Busy("the message already ended in a trap; drop this Db");
    ++Access::counters(f->owner).main_reads;
    const uint64_t size_bytes = f->owner->main_size_bytes();
    Overlay* overlay = f->owner->overlay();
    STABLEVFS_RETURN_IF_ERROR(overlay != nullptr ? overlay->Read(start, out)
                                                 : Access::ReadFromLayout(f->owner, start, out));
    short_read = start + out.size() > size_bytes;
    return Status::Ok();
  });
  if (rc != SQLITE_OK) return rc;
  if (short_read) {
    if (f->is_main) ++Access::counters(f->owner).short_reads;
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int IcWrite(sqlite3_file* file, const void* buf, int amount, sqlite3_int64 offset) noexcept {
  IcstableFile* f = AsFile(file);
  std::span<const uint8_t> data(static_cast<const uint8_t*>(buf), static_cast<size_t>(amount));
  return Access::Guard(f->owner, SQLITE_IOERR_WRITE, [&]() -> Status {
    const uint64_t start = static_cast<uint64_t>(offset);
    if (!f->is_main) {
      std::vector<uint8_t>& bytes = *f->heap;
      if (bytes.size() < start + data.size()) bytes.resize(start + data.size());
      std::memcpy(bytes.data() + start, data.data(), data.size());
      return Status::Ok();
    }
    if (f->owner->poisoned()) return Status::Busy("the message already ended in a trap; drop this Db");
    Overlay* overlay = f->owner->overlay();
    if (overlay == nullptr) {
      return Status::Busy("SQLite wrote /main.db outside an update; writes are only possible inside Db::Update");
    }
    ++Access::counters(f->owner).main_writes;
    if (FileObserver* observer = Access::options(f->owner).observer) observer->OnWrite(start, data);
    return overlay->Write(start, data);
  });
}

int IcTruncate(sqlite3_file* file, sqlite3_int64 size) noexcept {
  IcstableFile* f = AsFile(file);
  return Access::Guard(f->owner, SQLITE_IOERR_TRUNCATE, [&]() -> Status {
    const uint64_t size_bytes = static_cast<uint64_t>(size);
    if (!f->is_main) {
      if (f->heap->size() > size_bytes) f->heap->resize(size_bytes);
      return Status::Ok();
    }
    if (f->owner->poisoned()) return Status::Busy("the message already ended in a trap; drop this Db");
    Overlay* overlay = f->owner->overlay();
    if (overlay == nullptr) {
      return Status::Busy(
          "SQLite truncated /main.db outside an update; writes are only possible inside Db::Update");
    }
    ++Access::counters(f->owner).main_truncates;
    if (FileObserver* observer = Access::options(f->owner).observer) observer->OnTruncate(size_bytes);
    return overlay->Truncate(size_bytes);
  });
}

// Nothing to flush: the overlay is heap memory until the Db publishes it, and a publish is durable the moment
// its superblock write returns (stable memory has no write-back cache).
int IcSync(sqlite3_file*, int) noexcept { return SQLITE_OK; }

int IcFileSize(sqlite3_file* file, sqlite3_int64* size) noexcept {
  IcstableFile* f = AsFile(file);
  *size = static_cast<sqlite3_int64>(f->is_main ? f->owner->main_size_bytes() : f->heap->size());
  return SQLITE_OK;
}

// Locks are always granted: a canister runs one message at a time on one thread, and the Db never lets the
// update and the query connection work at the same time.
int IcLock(sqlite3_file*, int) noexcept { return SQLITE_OK; }
int IcUnlock(sqlite3_file*, int) noexcept { return SQLITE_OK; }
int IcCheckReservedLock(sqlite3_file*, int* out) noexcept {
  *out = 0;
  return SQLITE_OK;
}

// No file controls: SQLite falls back to its defaults for every one (pragmas included).
int IcFileControl(sqlite3_file*, int, void*) noexcept { return SQLITE_NOTFOUND; }

int IcSectorSize(sqlite3_file*) noexcept { return IcstableVfs::kSectorBytes; }

// What the storage guarantees, stated exactly. Nothing SQLite writes to /main.db reaches stable memory before
// the commit: writes land in the heap overlay, and the Db makes the whole overlay durable with one
// Layout::Publish, which is all-or-nothing (the layout's contract, backed on the IC by message atomicity: a
// trap discards every stable write of the message). Hence:
//   ATOMIC               no write of any size or alignment is ever seen in part after a failure (this implies
//                        ATOMIC16K, the page size SQLite uses here);
//   SAFE_APPEND          a file's new size and the appended bytes become durable together, never the size first;
//   SEQUENTIAL           writes become durable in the order they were made (all at once, at the publish);
//   POWERSAFE_OVERWRITE  a write never changes bytes outside its range (a partial page write copies the base
//                        page into the overlay first).
// Not claimed: BATCH_ATOMIC (it needs the SQLITE_FCNTL_*_ATOMIC_WRITE protocol, which is not implemented),
// IMMUTABLE (the file changes) and UNDELETABLE_WHEN_OPEN (meaningless here: nothing is ever deleted).
// Heap files (journals, temp files) get the same flags for a simpler reason: a write is a memcpy, and a heap
// file never survives a failure at all, so no partial state of one can be observed.
int IcDeviceCharacteristics(sqlite3_file*) noexcept {
  return SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL |
         SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

// ---- VFS methods -----------------------------------------------------------------------------------------

// /main.db is the only database file. WAL is refused (journal_mode must stay MEMORY: the memory offers no
// shared-memory index), and so is /main.db while an import is staged. Everything else (journals, statement
// journals, temp databases) is a private heap file.
int VfsOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) noexcept {
  IcstableVfs* owner = AsOwner(vfs);
  file->pMethods = nullptr;  // until the open succeeds: SQLite then skips xClose
  const bool is_main = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  if ((flags & SQLITE_OPEN_WAL) != 0) {
    ++Access::counters(owner).refused_opens;
    return SQLITE_CANTOPEN;
  }
  if (is_main) {
    const bool known = name != nullptr && std::strcmp(name, IcstableVfs::kMainDbPath) == 0;
    const bool importing = (Access::layout(owner).meta().flags & kFlagImporting) != 0;
    if (!known || importing || owner->poisoned()) {
      ++Access::counters(owner).refused_opens;
      return SQLITE_CANTOPEN;
    }
  }
  std::vector<uint8_t>* heap = nullptr;
  const int rc = Access::Guard(owner, SQLITE_CANTOPEN, [&]() -> Status {
    if (!is_main) heap = new std::vector<uint8_t>();
    return Status::Ok();
  });
  if (rc != SQLITE_OK) return rc;
  IcstableFile* f = new (file) IcstableFile{};
  f->owner = owner;
  f->is_main = is_main;
  f->heap = heap;
  f->base.pMethods = &kIoMethods;
  if (is_main) ++Access::counters(owner).main_opens;
  if (out_flags != nullptr) *out_flags = flags;
  return SQLITE_OK;
}

// Heap files vanish when closed, and /main.db is never deleted, so there is nothing to delete.
int VfsDelete(sqlite3_vfs*, const char*, int) noexcept { return SQLITE_OK; }

// Only /main.db exists between opens; in particular no journal is ever "hot".
int VfsAccess(sqlite3_vfs*, const char* name, int, int* out) noexcept {
  *out = (name != nullptr && std::strcmp(name, IcstableVfs::kMainDbPath) == 0) ? 1 : 0;
  return SQLITE_OK;
}

// Names are already absolute: there is no directory to resolve against.
int VfsFullPathname(sqlite3_vfs*, const char* name, int out_bytes, char* out) noexcept {
  sqlite3_snprintf(out_bytes, out, "%s", name);
  return SQLITE_OK;
}

// No loadable extensions inside a canister.
void* VfsDlOpen(sqlite3_vfs*, const char*) noexcept { return nullptr; }
void VfsDlError(sqlite3_vfs*, int out_bytes, char* out) noexcept {
  sqlite3_snprintf(out_bytes, out, "loadable extensions are not supported by the icstable VFS");
}
DlSymbol VfsDlSym(sqlite3_vfs*, void*, const char*) noexcept { return nullptr; }
void VfsDlClose(sqlite3_vfs*, void*) noexcept {}

// Deterministic: seeded from the last transaction id and the database size, so a replayed run draws the same
// bytes (a canister has no entropy source it could replay anyway).
int VfsRandomness(sqlite3_vfs* vfs, int bytes, char* out) noexcept {
  IcstableVfs* owner = AsOwner(vfs);
  const uint64_t tx_id = Access::layout(owner).meta().last_tx_id;
  const uint64_t size_bytes = owner->main_size_bytes();
  std::mt19937_64 prng(tx_id * 0x9e3779b97f4a7c15ull ^ size_bytes);
  for (int i = 0; i < bytes; i += 8) {
    const uint64_t word = prng();
    const int n = std::min(8, bytes - i);
    std::memcpy(out + i, &word, static_cast<size_t>(n));
  }
  return bytes;
}

// Never sleeps: there is nothing to wait for (busy_timeout is 0 and locks are always granted).
int VfsSleep(sqlite3_vfs*, int) noexcept { return 0; }

int VfsCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) noexcept {
  IcstableVfs* owner = AsOwner(vfs);
  int64_t unix_ms = 0;
  const int rc = Access::Guard(owner, SQLITE_ERROR, [&]() -> Status {
    const auto& clock = Access::options(owner).clock_ms;
    if (clock) unix_ms = clock();
    return Status::Ok();
  });
  *out = kUnixEpochJulianMs + unix_ms;
  return rc;
}

int VfsCurrentTime(sqlite3_vfs* vfs, double* out) noexcept {
  sqlite3_int64 julian_ms = 0;
  const int rc = VfsCurrentTimeInt64(vfs, &julian_ms);
  *out = static_cast<double>(julian_ms) / kMsPerDay;
  return rc;
}

int VfsGetLastError(sqlite3_vfs*, int, char*) noexcept { return 0; }

std::atomic<uint64_t> g_next_instance{1};

}  // namespace

// ---- IcstableVfs -----------------------------------------------------------------------------------------

IcstableVfs::IcstableVfs(Layout& layout, Options options, std::string name)
    : layout_(layout), options_(std::move(options)), name_(std::move(name)),
      vfs_(std::make_unique<sqlite3_vfs>(kVfsTemplate)) {
  vfs_->zName = name_.c_str();
  vfs_->pAppData = this;
}

Result<std::unique_ptr<IcstableVfs>> IcstableVfs::Register(Layout& layout, Options options) {
  std::string name = "icstable-" + std::to_string(g_next_instance.fetch_add(1));
  std::unique_ptr<IcstableVfs> instance(new IcstableVfs(layout, std::move(options), std::move(name)));
  const int rc = sqlite3_vfs_register(instance->vfs_.get(), /*makeDflt=*/0);
  if (rc != SQLITE_OK) {
    instance->vfs_->pAppData = nullptr;
    instance->vfs_.reset();  // never registered: nothing to unregister
    return Status::Sqlite(rc, std::string("SQLite refused to register the icstable VFS: ") + sqlite3_errstr(rc) +
                                  "; call sqlite3_initialize() successfully before Db::Init");
  }
  return instance;
}

IcstableVfs::~IcstableVfs() {
  if (vfs_) sqlite3_vfs_unregister(vfs_.get());
}

uint64_t IcstableVfs::main_size_bytes() const {
  return overlay_ != nullptr ? overlay_->db_size() : layout_.meta().db_size;
}

std::exception_ptr IcstableVfs::TakeException() { return std::exchange(exception_, nullptr); }

Status IcstableVfs::TakeStatus() { return std::exchange(status_, Status::Ok()); }

}  // namespace stablevfs
