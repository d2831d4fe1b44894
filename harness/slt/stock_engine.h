// StockEngine: stock SQLite beside the system under test, on SQLite's own in-memory database.
//
// The reference side of a sqllogictest run: the same SQLite library the VFS is built on (so the same version),
// opened on ":memory:" with the one library setting that changes results (foreign_keys=ON, via
// model::OpenMemoryDatabase). It shares nothing with lib/.
//
// A statement runs inside a savepoint that stays open until the caller decides: Keep() when the system under
// test applied the statement too, Discard() when it did not (an injected fault made it fail). This mirrors the
// system under test, where one record is one update message and so one transaction that either commits whole
// or leaves nothing behind. A statement that fails here is always discarded (SQLite would have rolled back the
// failed statement; discarding also undoes earlier statements of a multi-statement record, as an update
// message does).
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <vector>

#include "harness/model/canonical_dump.h"
#include "harness/model/sqlite_db.h"
#include "lib/db/value.h"

namespace stablevfs::slt {

struct StockOutcome {
  int rc = SQLITE_OK;  // primary result code
  std::string error;   // sqlite3_errmsg when rc != SQLITE_OK
  // The instruction limit (set_instruction_limit) stopped it: rc is SQLITE_INTERRUPT.
  bool limit_exceeded = false;
  bool ok() const { return rc == SQLITE_OK; }
};

class StockEngine {
 public:
  // A fresh, empty database. Throws std::runtime_error when SQLite cannot open one.
  StockEngine();

  // Opens the record's savepoint and runs `sql` (one or more statements) through sqlite3_exec, as the reference
  // runner does. On failure the savepoint is already rolled back and released. On success it stays open.
  // REQUIRES: no statement is pending (Keep or Discard was called after the last successful one).
  StockOutcome Execute(std::string_view sql);
  // Whether a successful Execute awaits Keep or Discard.
  bool pending() const { return pending_; }
  // Makes the pending statement permanent (RELEASE). REQUIRES: pending().
  void Keep();
  // Undoes the pending statement (ROLLBACK TO, RELEASE). REQUIRES: pending().
  void Discard();

  // Runs the single query `sql` (prepare, step to the end) and returns its rows in `*rows` (columns named).
  // A second statement in `sql` is an error, as it is for the system under test.
  StockOutcome Query(std::string_view sql, Rows* rows);

  // The TEMP schema ("type name" per entry, sorted), as VfsEngine::TempSchema spells it.
  std::vector<std::string> TempSchema();
  // Drops every TEMP table, view and trigger (their indexes go with their tables), as closing the connection
  // would. REQUIRES: !pending().
  void DropTempSchema();

  // The database's content, including a pending statement's changes.
  model::CanonicalDump Dump();

  sqlite3* handle() { return db_.get(); }

  // Stops each later Execute or Query once it has run about `instructions` SQLite virtual machine
  // instructions (sqlite3_progress_handler, checked every kProgressPeriod): it then fails with
  // SQLITE_INTERRUPT and limit_exceeded, as any failure does (the savepoint rolled back). 0: no limit. The
  // runner's own savepoint statements are never stopped.
  void set_instruction_limit(uint64_t instructions);
  static constexpr int kProgressPeriod = 1000;

 private:
  static int OnProgress(void* self);
  // Starts counting for one record's SQL; Finish stops and says whether the limit stopped it.
  void Arm();
  bool Finish(int rc);

  StockOutcome Fail(int rc);
  void ExecOrThrow(const char* sql);

  model::SqliteHandle db_;
  uint64_t instruction_limit_ = 0;
  uint64_t ticks_ = 0;   // progress callbacks since Arm
  bool armed_ = false;   // counting a record's SQL (not the runner's own statements)
  bool pending_ = false;
  // Whether the pending statement itself ended the savepoint's transaction (COMMIT, END, RELEASE): then there
  // is nothing left to keep or discard.
  bool savepoint_ended_ = false;
};

}  // namespace stablevfs::slt
