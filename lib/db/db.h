// Db: one SQLite database in one stable (virtual) memory, the way a canister uses it.
//
//   auto db = Db::Init(virtual_memory);             // in init and post_upgrade
//   db->Update([](Connection& c) { return c.Execute("INSERT ..."); });   // one update message
//   db->Query([](Connection& c) -> Status { ... });                       // one query message
//
// Update(fn) is one transaction: BEGIN IMMEDIATE, fn, COMMIT, then publish the overlay to stable memory.
// Any error, or an exception thrown by fn, leaves the active image unchanged (ROLLBACK, overlay discarded);
// if SQLite committed but the publish failed, the connection is reset so nothing unstored stays visible.
// An update that changed nothing does not advance last_tx_id.
//
// Query(fn) runs fn on a separate read-only connection (query_only=ON) inside a read scope: the closure's plain
// reads (SELECT, WITH, VALUES) share one read transaction, so they see one snapshot and SQLite validates its
// page cache once per closure; any other statement (PRAGMA, the closure's own BEGIN/COMMIT, ...) runs in
// autocommit exactly as it would alone (SqliteConnection). However fn ends (OK, an error, a thrown exception),
// the scope's transaction and any transaction fn opened itself are ended, so the next query sees the next
// commit. A Query inside a query closure runs inside the outer one's scope. Update, Migrate, BeginImport and
// FinishImport are refused (kBusy) inside a query closure, as everything but Query is inside an update closure:
// they would change the image the query is reading. Init opens the query connection (and reads the schema)
// right away, so that it lives in the message that opened the Db, not in a query message whose heap changes
// the IC discards.
//
// Traps (stablevfs::Trap) and failpoint aborts (fp::Abort) propagate out of every method: they end the
// message, and the caller (a canister, or the harness) must drop this Db and Init a new one from stable
// memory, as a canister would after a trap.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lib/core/status.h"
#include "lib/db/auto_vacuum.h"
#include "lib/db/connection.h"
#include "lib/layout/layout.h"
#include "lib/layout/layout_registry.h"
#include "lib/memory/stable_memory.h"
#include "lib/vfs/file_observer.h"

namespace stablevfs {

struct Migration {
  int64_t version = 0;
  std::string sql;
};

// Every superblock field plus the space statistics (what the original's db_meta returns).
struct DbMeta {
  std::string layout;  // the registered name of the layout that opened the memory ("6", "8", ...)
  Meta superblock;
  LayoutStats stats;
  bool importing = false;
  bool checksum_stale = false;
  bool checksum_refreshing = false;
};

// Progress of a chunked checksum refresh.
struct ChecksumProgress {
  bool complete = false;
  uint64_t offset = 0;    // bytes hashed so far (== db_size when complete)
  uint64_t checksum = 0;  // the stored checksum when complete
};

// Options of Db::Init (also spelled Db::Options). Declared outside Db because GCC rejects a nested struct with
// default member initializers as a default argument of its enclosing class.
struct DbOptions {
  // Sees every write SQLite makes to /main.db (a harness seam; production leaves it null). Not owned.
  FileObserver* observer = nullptr;
  // See AutoVacuum.
  AutoVacuum auto_vacuum = AutoVacuum::kNone;
  // The layout of a fresh memory, and the one that opens a memory storing its magic and version (a registered
  // variant of a builtin stays itself across reopens); see Layout::Open. Null: DefaultLayout() (layout 6).
  // Not owned; a registry entry lives as long as it is registered.
  const LayoutInfo* layout = nullptr;
  // The simulated clock for xCurrentTime, in Unix milliseconds. Default: 0 (the epoch), so runs replay.
  std::function<int64_t()> clock_ms;
};

class Db {
 public:
  using Options = DbOptions;

  // Opens (or creates, on an empty memory) the database in `memory`. At most one Db per memory object at a
  // time: a second Init on the same memory is kBusy until the first is destroyed. Open errors are those of
  // Layout::Open. `memory` must outlive the Db.
  static Result<std::unique_ptr<Db>> Init(StableMemory& memory, Options options = {});
  ~Db();

  Status Update(const std::function<Status(Connection&)>& fn);
  Status Query(const std::function<Status(Connection&)>& fn);

  // Applies the migrations whose version is above schema_version, in ascending order, in one transaction;
  // records each in table `_stablevfs_migrations(version, sql)`, then stores schema_version. Duplicate
  // versions are kInvalidArgument; a failing migration rolls back everything and keeps schema_version.
  // Evaluates `migrate.apply` once per migration applied.
  Status Migrate(std::span<const Migration> migrations);

  Result<DbMeta> GetMeta();
  // "ok", or SQLite's report.
  Result<std::string> IntegrityCheck();

  // FNV-1a 64 over [0, db_size); stores it and clears the stale and refreshing flags.
  Status RefreshChecksum();
  // Hashes the next `max_bytes` (0 is kInvalidArgument), storing progress in the superblock; restarts from
  // zero if a commit happened since the refresh began. Evaluates `checksum.refresh_chunk`.
  Result<ChecksumProgress> RefreshChecksumChunk(uint64_t max_bytes);

  // Logical bytes [offset, offset + len) clipped to db_size.
  Result<std::vector<uint8_t>> ExportChunk(uint64_t offset, uint64_t len);

  // Import (REFERENCE 3.3). While importing, Update/Query/Migrate fail with kBusy (the VFS refuses to open
  // /main.db). ImportChunk requires offset == written_until and offset + size <= total (kImport naming
  // expected and actual). FinishImport requires all bytes and a checksum match; a mismatch discards the
  // staging, keeps the old image and clears importing (kImport naming expected and actual checksums).
  // Evaluate `import.chunk` and `import.finish`.
  Status BeginImport(uint64_t total_bytes, uint64_t expected_checksum);
  Status ImportChunk(uint64_t offset, std::span<const uint8_t> bytes);
  Status FinishImport();
  Status CancelImport();

  // Rewrites live pages and tables to fresh space (Layout::Compact). Evaluates `compact.copy` and
  // `compact.publish`.
  Status Compact();

  // The memory this Db lives in.
  StableMemory& memory();

  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

 private:
  struct Impl;
  explicit Db(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stablevfs
