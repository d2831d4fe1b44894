// DataModel: the reference model of the data, stock SQLite on its own in-memory database, fed only the work
// the system under test committed.
//
// The system under test runs SQLite on stable memory through the icstable VFS; the data model runs the same
// SQL on SQLite's in-memory storage, which shares none of that code. After every committed message the
// harness replays the message's work here and compares DumpDatabase() of both (canonical_dump.h). Settings
// that change results are matched (foreign_keys=ON); page size, journal mode, cache size and locking do not
// change results and are left at their defaults. Independent by design; see ARCHITECTURE.md.
//
// A unit of work is a script (sqlite3_exec) or a list of parameterised statements, run inside
// BEGIN IMMEDIATE ... COMMIT as the library's update() does; on any error it is rolled back, so the model
// only ever holds committed work. The work itself may use SAVEPOINT / RELEASE / ROLLBACK TO but must not
// end the transaction (BEGIN, COMMIT, END, ROLLBACK without TO): that is reported as SQLITE_MISUSE.
// Harness code: failures of the model itself (cannot open, cannot load an image) throw std::runtime_error.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/model/canonical_dump.h"
#include "harness/model/query.h"
#include "harness/model/sql_value.h"
#include "harness/model/sqlite_db.h"

namespace stablevfs::model {

// How a unit of work ends when it ran without error. With kRollback the work is run only to learn its
// outcome (e.g. to predict that an operation the system under test refused would indeed fail).
enum class EndWith : uint8_t { kCommitIfOk, kRollback };

struct ExecResult {
  int rc = SQLITE_OK;      // primary result code of the first failure (SQLITE_OK on success)
  std::string error;       // its message
  // The work is now part of the model. When the work ended the transaction itself (SQLITE_MISUSE), whatever
  // it committed before that point stays in the model although `committed` is false: the model is then no
  // longer a faithful record, and the harness should treat it as a bug in the operation it generated.
  bool committed = false;

  bool ok() const { return rc == SQLITE_OK; }
};

struct SqlStatement {
  std::string sql;
  std::vector<SqlValue> params;  // bound to ?1..?n
};

class DataModel {
 public:
  // Opens a fresh, empty in-memory database with foreign_keys=ON.
  DataModel();

  // Runs `script` (any number of ';'-separated statements) as one transaction. See the header comment.
  ExecResult Execute(std::string_view script, EndWith end = EndWith::kCommitIfOk);

  // Runs each statement in order (each one stepped to completion, rows discarded) as one transaction.
  ExecResult ExecuteStatements(std::span<const SqlStatement> statements, EndWith end = EndWith::kCommitIfOk);

  // Replaces the whole database with `image` (a finished import); an empty image gives an empty database.
  void LoadImage(std::span<const uint8_t> image);

  // The canonical dump of the committed state. Memoized: the last dump is reused while the database file
  // (SQLite's own buffer of main, compared byte for byte with a copy kept by the memo) and the options are
  // the same as when it was made. The file is the whole content a dump reads, so this is exact whatever
  // changed the database, including writes through handle() and LoadImage. The reference stays valid until
  // the next call of Snapshot or the model's destruction. Not thread-safe (neither is the connection).
  const CanonicalDump& Snapshot(const DumpOptions& options = {}) const;
  // The identity of the dump the last Snapshot returned: a number drawn from a process-wide counter when that
  // dump was made (never reused, by any model), so equal serials mean the very same, unchanged dump object.
  // 0 before the first Snapshot.
  uint64_t snapshot_serial() const { return snapshot_memo_ ? snapshot_memo_->serial : 0; }

  // Runs one read statement on the committed state (see RunQuery).
  QueryResult Query(std::string_view sql, std::span<const SqlValue> params = {}) const;

  // Number of units of work committed so far (a unit that changed nothing still counts).
  uint64_t commits() const { return commits_; }

  // The connection, for checks that need raw access (integrity_check, ad-hoc queries). Owned by the model.
  sqlite3* handle() const { return db_.get(); }

 private:
  // Runs `work` between BEGIN IMMEDIATE and COMMIT / ROLLBACK. `work` returns an SQLite code and sets
  // `error` on failure.
  template <typename Work>
  ExecResult InTransaction(EndWith end, Work&& work);

  SqliteHandle db_;
  uint64_t commits_ = 0;

  // The memoized Snapshot: the file it was made from, its options, the dump.
  struct SnapshotMemo {
    std::vector<uint8_t> image;
    DumpOptions options;
    CanonicalDump dump;
    uint64_t serial = 0;
  };
  mutable std::optional<SnapshotMemo> snapshot_memo_;
};

}  // namespace stablevfs::model
