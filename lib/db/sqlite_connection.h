// SqliteConnection: the Connection a Db hands to closures, one SQLite connection on the icstable VFS.
//
// A Db keeps two: the update connection (exclusive locking, journal in memory, never synced) and the query
// connection (opened read-only, query_only=ON). Both open /main.db through the Db's own IcstableVfs instance.
//
// Every SQLite call that can reach the VFS is followed by a check of the VFS's stored exception: a trap or a
// failpoint abort raised inside a callback is rethrown here, as soon as SQLite returns, so it still ends the
// message. Library errors the VFS stored (an injected overlay.write, say) are returned instead of SQLite's
// generic I/O error, because they name the real cause. Every sqlite3_step of a statement the caller runs (and of
// the Db's BEGIN IMMEDIATE / COMMIT / ROLLBACK) first evaluates the `sqlite.step` failpoint; `error` behaves as
// if the step returned SQLITE_IOERR. The read scope's own BEGIN and COMMIT (below) do not evaluate it: they are
// plumbing, like the pragmas, and must not shift the failpoint's hit ordinals.
//
// Read scope (query connection only): between BeginReadScope and EndReadScope (the Db brackets every query
// closure with them) the closure's plain reads share one read transaction, so they see one snapshot and SQLite
// validates its page cache (the change counter at offset 24, the file size, page 1) once per closure instead of
// once per statement. A plain read is a read-only statement whose first keyword is SELECT, WITH or VALUES; the
// first one starts the transaction with a deferred BEGIN. Every other statement (PRAGMA, EXPLAIN, BEGIN, COMMIT,
// SAVEPOINT, ATTACH, a rejected write, ...) ends that transaction before it is prepared (some are refused
// inside a transaction while they are prepared) and then runs exactly as it would outside a scope, in
// autocommit: so a closure's own BEGIN or COMMIT, and statements SQLite refuses inside a transaction, behave as
// before. A transaction the closure opened itself is left to it (and to the Db, which
// rolls it back after the closure). If SQLite ends the scope's transaction on its own (after some I/O
// errors), the next plain read starts a new one.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "lib/core/status.h"
#include "lib/db/connection.h"
#include "lib/db/statement_cache.h"
#include "lib/vfs/icstable_vfs.h"

struct sqlite3;
struct sqlite3_stmt;

namespace stablevfs {

class SqliteConnection final : public Connection {
 public:
  enum class Kind { kUpdate, kQuery };

  // Opens /main.db through `vfs` and applies the pragmas of `kind` (REFERENCE section 3). `vfs` must outlive
  // the connection. Errors: kSqlite (the open or a pragma failed; e.g. SQLITE_CANTOPEN while importing), or the
  // library error the VFS stored. May throw what a VFS callback caught (Trap, fp::Abort).
  static Result<std::unique_ptr<SqliteConnection>> Open(IcstableVfs& vfs, Kind kind);

  // Finalizes the cached statements and closes the connection (rolling back an open transaction). Never throws;
  // whatever the VFS catches during the close is left in the VFS.
  ~SqliteConnection() override;

  Status Execute(std::string_view sql, std::span<const Value> params = {}) override;
  Result<Rows> Query(std::string_view sql, std::span<const Value> params = {}) override;
  Status ExecuteScript(std::string_view sql) override;
  Status Savepoint(std::string_view name) override;
  Status Release(std::string_view name) override;
  Status RollbackTo(std::string_view name) override;
  int64_t changes() const override;
  int64_t last_insert_rowid() const override;
  bool read_only() const override { return kind_ == Kind::kQuery; }
  StatementCacheStats statement_cache_stats() const override { return cache_.stats(); }

  // The transaction-control statements the Db runs around a closure. They are prepared once, kept outside the
  // LRU cache (so they neither evict nor count as user statements) and stepped like any other statement.
  enum class Control { kBeginImmediate, kCommit, kRollback };
  Status RunControl(Control control);

  // True when no transaction is open (sqlite3_get_autocommit).
  bool autocommit() const;

  // Drops every page SQLite caches for this connection (none is in use between messages), so the next read
  // transaction reads the image again. The Db calls it on the query connection when the image changed.
  void ReleasePageCache();

  // The read scope (see the file comment). REQUIRES: a query connection; scopes do not nest. EndReadScope ends
  // the scope's read transaction if it is still open (COMMIT, else ROLLBACK) and leaves any transaction the
  // closure opened itself open; the caller checks autocommit() afterwards. Never fails; may throw what a VFS
  // callback caught.
  void BeginReadScope();
  void EndReadScope();
  // Inside a read scope: starts the scope's read transaction and lets SQLite compare the schema cookie with
  // the schema it parsed, reloading the schema now if another connection changed it. Otherwise the closure's
  // first new statement would be parsed against the old schema, fail or expire, and be parsed again. The Db
  // calls it at the start of the first query after the image changed. Errors are ignored (the closure's
  // statements meet them again); a trap propagates.
  void CheckSchema();

  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

 private:
  SqliteConnection(IcstableVfs& vfs, Kind kind, sqlite3* db);

  // Rethrows an exception a VFS callback caught (Trap, fp::Abort, ...). Call after every SQLite call that can
  // reach the VFS.
  void RethrowFromVfs();
  // The Status for SQLite result `rc` while running `sql`: the VFS's stored library error when there is one,
  // else kSqlite with SQLite's message and advice on what to do.
  Status SqliteError(int rc, std::string_view sql);
  // Evaluates `sqlite.step`, then steps. Sets *injected when the failpoint fired with `error`.
  int Step(sqlite3_stmt* stmt, bool* injected);
  // Steps `stmt` to completion, collecting rows into `rows` when not null. Resets the statement afterwards.
  Status Run(sqlite3_stmt* stmt, std::string_view sql, std::span<const Value> params, Rows* rows);
  // Looks `sql` up in the cache, preparing (and caching) it on a miss. *stmt is null for SQL without a
  // statement (blank or comments only). More than one statement is kInvalidArgument.
  Status Acquire(std::string_view sql, sqlite3_stmt** stmt);
  // Prepares one statement without caching it; *tail receives the unparsed rest.
  // `nul_follows`: the byte after `sql` is a NUL the caller owns. SQLite is then told so (nByte includes it) and
  // parses in place; otherwise it copies the whole text first, which for a script prepared statement by
  // statement copies the rest of the script every time (quadratic: 70% of a 1 MB load script's cost).
  Status Prepare(std::string_view sql, sqlite3_stmt** stmt, std::string_view* tail, bool persistent,
                 bool nul_follows = false);
  // Runs SAVEPOINT / RELEASE / ROLLBACK TO with a quoted name, uncached.
  Status SavepointCommand(std::string_view verb, std::string_view name);
  // Inside a read scope, before the caller's statement `sql` is looked up or prepared: ends the scope's read
  // transaction unless the statement starts with a read keyword (SELECT, WITH, VALUES), and returns whether it
  // does. False outside a scope.
  bool ScopeBeforePrepare(std::string_view sql);
  // Inside a read scope, before the prepared statement runs: starts the scope's read transaction for a plain
  // read (`read_keyword` and read-only), or ends it for anything else.
  void ScopeBeforeRun(sqlite3_stmt* stmt, bool read_keyword);
  // Steps one of the scope's own statements (BEGIN, COMMIT, ROLLBACK, the schema check) without the
  // `sqlite.step` failpoint.
  // Returns true when it succeeded.
  bool StepScopeControl(int index);
  // Ends the scope's read transaction if it is open.
  void EndScopeTransaction();

  IcstableVfs& vfs_;
  Kind kind_;
  sqlite3* db_;
  StatementCache cache_;
  sqlite3_stmt* control_[3] = {nullptr, nullptr, nullptr};
  // BEGIN, COMMIT, ROLLBACK of the read scope, and CheckSchema's statement.
  sqlite3_stmt* scope_control_[4] = {nullptr, nullptr, nullptr, nullptr};
  bool read_scope_ = false;     // between BeginReadScope and EndReadScope
  bool scope_txn_open_ = false;  // the scope started the current read transaction (it may since have ended)
};

}  // namespace stablevfs
