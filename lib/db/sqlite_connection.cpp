#include "lib/db/sqlite_connection.h"

#include <memory>

#include <sqlite3.h>

#include <climits>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "failpoints/failpoint.h"
#include "lib/db/sqlite_value.h"

namespace stablevfs {
namespace {

// The settings of REFERENCE section 3. page_size must come first: it only takes effect before the database
// file is first written. journal_mode=MEMORY keeps the rollback journal in heap memory (the VFS refuses WAL);
// locking_mode=EXCLUSIVE keeps the update connection's page cache across messages (the Db resets the
// connection whenever that cache could be ahead of stable memory).
constexpr const char* kUpdatePragmas[] = {
    "PRAGMA page_size = 16384",
    "PRAGMA journal_mode = MEMORY",
    "PRAGMA synchronous = OFF",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA locking_mode = EXCLUSIVE",
    "PRAGMA foreign_keys = ON",
    "PRAGMA cache_size = -32768",
    "PRAGMA busy_timeout = 0",
};
constexpr const char* kQueryPragmas[] = {
    "PRAGMA cache_size = -32768",
    "PRAGMA query_only = ON",
    "PRAGMA foreign_keys = ON",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA busy_timeout = 0",
};

constexpr const char* kControlSql[] = {"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"};
// The read scope's own transaction control (SqliteConnection::BeginReadScope). A deferred BEGIN reads nothing:
// the read transaction starts at the first statement that reads the file.
constexpr const char* kScopeControlSql[] = {"BEGIN DEFERRED", "COMMIT", "ROLLBACK",
                                            "SELECT 1 FROM sqlite_schema LIMIT 0"};
constexpr int kScopeBegin = 0;
constexpr int kScopeCommit = 1;
constexpr int kScopeRollback = 2;
constexpr int kScopeSchemaCheck = 3;  // opens the read transaction and checks the schema cookie, reads no row

// True when the first keyword of `sql` (after blanks and comments) is SELECT, WITH or VALUES: a statement
// that, being read-only as well, reads the same inside a read transaction as in autocommit. Anything this
// cannot recognise is not a plain read (it then runs in autocommit, as outside a scope).
bool StartsWithReadKeyword(std::string_view sql) {
  size_t i = 0;
  for (;;) {
    while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r' ||
                              sql[i] == '\f' || sql[i] == '\v')) {
      ++i;
    }
    if (sql.substr(i, 2) == "--") {
      const size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) return false;
      i = end + 1;
    } else if (sql.substr(i, 2) == "/*") {
      const size_t end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 2;
    } else {
      break;
    }
  }
  size_t end = i;
  while (end < sql.size() && ((sql[end] >= 'a' && sql[end] <= 'z') || (sql[end] >= 'A' && sql[end] <= 'Z'))) {
    ++end;
  }
  const std::string_view word = sql.substr(i, end - i);
  const auto is = [&](std::string_view keyword) {
    if (word.size() != keyword.size()) return false;
    for (size_t k = 0; k < word.size(); ++k) {
      if ((word[k] | 0x20) != keyword[k]) return false;  // keyword is lower case; ASCII letters only
    }
    return true;
  };
  return is("select") || is("with") || is("values");
}

// SQL shortened for messages.
std::string Abbreviate(std::string_view sql) {
  constexpr size_t kMaxChars = 80;
  std::string out(sql.substr(0, kMaxChars));
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (sql.size() > kMaxChars) out += "...";
  return out;
}

// What the caller should do about an SQLite result code: one table, keyed by the primary code.
std::string_view Advice(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return "the statement violates a constraint; change the data or the statement (inside Db::Update the "
             "whole update is rolled back)";
    case SQLITE_READONLY:
      return "this connection cannot write; writes belong in Db::Update, not Db::Query";
    case SQLITE_ERROR:
      return "fix the SQL (syntax, table and column names, parameters)";
    case SQLITE_IOERR:
      return "reading or writing the database file failed; the update is rolled back and may be retried";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return "the image is damaged or not an SQLite database; run IntegrityCheck and restore from an export";
    case SQLITE_CANTOPEN:
      return "/main.db cannot be opened: finish or cancel the import in progress; WAL and other database "
             "files are not supported";
    case SQLITE_FULL:
      return "the database reached its maximum size; delete data or raise max_page_count";
    case SQLITE_TOOBIG:
      return "a string or BLOB exceeds SQLite's size limit; store smaller values";
    case SQLITE_MISMATCH:
      return "a value has the wrong type for its column";
    case SQLITE_RANGE:
      return "a parameter index is out of range; bind exactly the parameters the statement declares";
    case SQLITE_NOMEM:
      return "SQLite ran out of heap memory; use smaller transactions or results";
    case SQLITE_SCHEMA:
      return "the schema changed while the statement ran; run it again";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "the database is locked; do not nest transactions or run a query inside an update";
    default:
      return "see the SQLite result code";
  }
}

bool OnlyTrivia(std::string_view sql) {
  for (char c : sql) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ';') return false;
  }
  return true;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  out += '"';
  return out;
}

}  // namespace

SqliteConnection::SqliteConnection(IcstableVfs& vfs, Kind kind, sqlite3* db) : vfs_(vfs), kind_(kind), db_(db) {}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(IcstableVfs& vfs, Kind kind) {
  vfs.ClearStatus();
  const int flags = (kind == Kind::kUpdate ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
                    SQLITE_OPEN_PRIVATECACHE | SQLITE_OPEN_EXRESCODE;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(IcstableVfs::kMainDbPath, &db, flags, vfs.name());
  if (std::exception_ptr e = vfs.TakeException()) {
    sqlite3_close_v2(db);
    std::rethrow_exception(e);
  }
  if (rc != SQLITE_OK) {
    std::string message = "cannot open /main.db: ";
    message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    Status library = vfs.TakeStatus();
    if (!library.ok()) return library;
    return Status::Sqlite(rc, message + " (SQLite code " + std::to_string(rc) + "); " + std::string(Advice(rc)));
  }
  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(vfs, kind, db));
  sqlite3_extended_result_codes(db, 1);

  // Pragmas are configuration, not the message's work: they run through sqlite3_exec, so they do not hit the
  // `sqlite.step` failpoint and do not shift its hit ordinals.
  struct Captured {
    std::string first_column;
  } captured;
  auto capture = [](void* arg, int columns, char** values, char**) -> int {
    if (columns > 0 && values[0] != nullptr) static_cast<Captured*>(arg)->first_column = values[0];
    return 0;
  };
  const auto apply = [&](const char* pragma) -> Status {
    captured.first_column.clear();
    const int prc = sqlite3_exec(db, pragma, capture, &captured, nullptr);
    connection->RethrowFromVfs();
    if (prc != SQLITE_OK) return connection->SqliteError(prc, pragma);
    return Status::Ok();
  };
  if (kind == Kind::kUpdate) {
    for (const char* pragma : kUpdatePragmas) {
      STABLEVFS_RETURN_IF_ERROR(apply(pragma));
      if (std::string_view(pragma) == "PRAGMA journal_mode = MEMORY" && captured.first_column != "memory") {
        return Status::Sqlite(SQLITE_ERROR, "the update connection's journal_mode is '" + captured.first_column +
                                                "', not 'memory'; the image may be a WAL database, which icstable "
                                                "cannot serve: convert it with PRAGMA journal_mode=DELETE before "
                                                "importing it");
      }
    }
  } else {
    for (const char* pragma : kQueryPragmas) STABLEVFS_RETURN_IF_ERROR(apply(pragma));
  }
  return connection;
}

SqliteConnection::~SqliteConnection() {
  cache_.Clear();
  for (sqlite3_stmt*& stmt : control_) {
    sqlite3_finalize(stmt);
    stmt = nullptr;
  }
  for (sqlite3_stmt*& stmt : scope_control_) {
    sqlite3_finalize(stmt);
    stmt = nullptr;
  }
  sqlite3_close_v2(db_);
}

void SqliteConnection::RethrowFromVfs() {
  if (std::exception_ptr e = vfs_.TakeException()) std::rethrow_exception(e);
}

Status SqliteConnection::SqliteError(int rc, std::string_view sql) {
  Status library = vfs_.TakeStatus();
  if (!library.ok()) return library;  // the root cause, e.g. an injected overlay.write
  return Status::Sqlite(rc, "`" + Abbreviate(sql) + "`: " + sqlite3_errmsg(db_) + " (SQLite code " +
                                std::to_string(rc) + "); " + std::string(Advice(rc)));
}

int SqliteConnection::Step(sqlite3_stmt* stmt, bool* injected) {
  const fp::Action action = STABLEVFS_FAILPOINT_EVAL("sqlite.step");
  if (action != fp::Action::kOff) [[unlikely]] {
    if (action == fp::Action::kError) {
      *injected = true;
      return SQLITE_IOERR;
    }
    // The abort ends the message even if the closure catches it: poison the VFS so the Db notices.
    try {
      fp::Raise("sqlite.step", action);
    } catch (...) {
      vfs_.Poison(std::current_exception());
      throw;
    }
  }
  const int rc = sqlite3_step(stmt);
  RethrowFromVfs();
  return rc;
}

Status SqliteConnection::Run(sqlite3_stmt* stmt, std::string_view sql, std::span<const Value> params, Rows* rows) {
  Status status;
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (params.size() != static_cast<size_t>(expected)) {
    status = Status::InvalidArgument("`" + Abbreviate(sql) + "` takes " + std::to_string(expected) +
                                     " parameter(s) but " + std::to_string(params.size()) +
                                     " were given; pass exactly one Value per parameter (?1, ?2, ...)");
  }
  for (size_t i = 0; status.ok() && i < params.size(); ++i) {
    const int rc = BindValue(stmt, static_cast<int>(i + 1), params[i]);
    if (rc != SQLITE_OK) status = SqliteError(rc, sql);
  }
  if (status.ok()) {
    // The result's shape is read after the first step, never before: a cached statement whose schema changed
    // is re-prepared inside sqlite3_step, and until then it still describes the old columns
    // (tests/lib/db_schema_change_test.cpp).
    int columns = -1;
    auto read_shape = [&] {
      if (columns >= 0) return;
      columns = sqlite3_column_count(stmt);
      if (rows == nullptr) return;
      rows->columns.clear();
      for (int c = 0; c < columns; ++c) {
        const char* name = sqlite3_column_name(stmt, c);
        rows->columns.emplace_back(name != nullptr ? name : "");
      }
    };
    for (;;) {
      bool injected = false;
      const int rc = Step(stmt, &injected);
      if (rc == SQLITE_ROW || rc == SQLITE_DONE) read_shape();
      if (rc == SQLITE_ROW) {
        if (rows != nullptr) {
          Row row;
          row.reserve(static_cast<size_t>(columns));
          for (int c = 0; c < columns; ++c) row.push_back(ReadColumn(stmt, c));
          rows->rows.push_back(std::move(row));
        }
        continue;
      }
      if (rc == SQLITE_DONE) break;
      if (injected) {
        status = Status::Sqlite(SQLITE_IOERR, "`" + Abbreviate(sql) +
                                                  "`: failpoint 'sqlite.step' made sqlite3_step return SQLITE_IOERR; "
                                                  "disarm the failpoint (the update is rolled back)");
      } else {
        status = SqliteError(rc, sql);
      }
      break;
    }
  }
  // Resetting a statement that failed mid-write rolls the statement back, which writes through the VFS.
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  RethrowFromVfs();
  return status;
}

Status SqliteConnection::Prepare(std::string_view sql, sqlite3_stmt** stmt, std::string_view* tail, bool persistent,
                                 bool nul_follows) {
  *stmt = nullptr;
  if (sql.size() >= static_cast<size_t>(INT_MAX)) {
    return Status::InvalidArgument("SQL text of " + std::to_string(sql.size()) + " bytes is too long for SQLite");
  }
  const char* rest = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size() + (nul_follows ? 1 : 0)),
                                    persistent ? SQLITE_PREPARE_PERSISTENT : 0, stmt, &rest);
  RethrowFromVfs();  // preparing can read the schema, and so reach the VFS
  if (rc != SQLITE_OK) {
    sqlite3_finalize(*stmt);
    *stmt = nullptr;
    return SqliteError(rc, sql);
  }
  *tail = rest != nullptr ? sql.substr(static_cast<size_t>(rest - sql.data())) : std::string_view();
  return Status::Ok();
}

Status SqliteConnection::Acquire(std::string_view sql, sqlite3_stmt** stmt) {
  *stmt = cache_.Find(sql);
  if (*stmt != nullptr) return Status::Ok();
  std::string_view tail;
  STABLEVFS_RETURN_IF_ERROR(Prepare(sql, stmt, &tail, /*persistent=*/true));
  if (*stmt == nullptr) return Status::Ok();  // blank or comments only: nothing to run
  if (!OnlyTrivia(tail)) {
    sqlite3_stmt* next = nullptr;
    std::string_view rest;
    const Status parsed = Prepare(tail, &next, &rest, /*persistent=*/false);
    const bool more = !parsed.ok() || next != nullptr;
    sqlite3_finalize(next);
    if (more) {
      sqlite3_finalize(*stmt);
      *stmt = nullptr;
      return Status::InvalidArgument("`" + Abbreviate(sql) +
                                     "` holds more than one statement; run one statement per call, or use "
                                     "ExecuteScript for several");
    }
  }
  cache_.Insert(std::string(sql), *stmt);
  return Status::Ok();
}

Status SqliteConnection::Execute(std::string_view sql, std::span<const Value> params) {
  vfs_.ClearStatus();
  sqlite3_stmt* stmt = nullptr;
  const bool read_keyword = ScopeBeforePrepare(sql);
  STABLEVFS_RETURN_IF_ERROR(Acquire(sql, &stmt));
  if (stmt == nullptr) return Status::Ok();
  ScopeBeforeRun(stmt, read_keyword);
  return Run(stmt, sql, params, nullptr);
}

Result<Rows> SqliteConnection::Query(std::string_view sql, std::span<const Value> params) {
  vfs_.ClearStatus();
  sqlite3_stmt* stmt = nullptr;
  const bool read_keyword = ScopeBeforePrepare(sql);
  STABLEVFS_RETURN_IF_ERROR(Acquire(sql, &stmt));
  Rows rows;
  if (stmt == nullptr) return rows;
  ScopeBeforeRun(stmt, read_keyword);
  STABLEVFS_RETURN_IF_ERROR(Run(stmt, sql, params, &rows));
  return rows;
}

Status SqliteConnection::ExecuteScript(std::string_view sql) {
  vfs_.ClearStatus();
  // One NUL-terminated copy, so that every statement is prepared in place (see Prepare's nul_follows).
  const std::string script(sql);
  std::string_view rest = script;
  while (!OnlyTrivia(rest)) {
    sqlite3_stmt* stmt = nullptr;
    std::string_view tail;
    const bool read_keyword = ScopeBeforePrepare(rest);
    STABLEVFS_RETURN_IF_ERROR(Prepare(rest, &stmt, &tail, /*persistent=*/false, /*nul_follows=*/true));
    if (stmt == nullptr) break;  // only comments remain
    // Owned for the whole step: a trap or failpoint abort thrown out of Run must still finalize it, or
    // sqlite3_close_v2 leaves the connection a zombie that is never freed.
    const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(stmt, sqlite3_finalize);
    const std::string_view piece = rest.substr(0, rest.size() - tail.size());
    ScopeBeforeRun(stmt, read_keyword);
    STABLEVFS_RETURN_IF_ERROR(Run(stmt, piece, {}, nullptr));
    rest = tail;
  }
  return Status::Ok();
}

Status SqliteConnection::SavepointCommand(std::string_view verb, std::string_view name) {
  if (kind_ == Kind::kQuery) {
    return Status::InvalidArgument("savepoints exist only inside Db::Update; a query connection cannot write");
  }
  if (name.empty()) return Status::InvalidArgument("a savepoint needs a non-empty name");
  const std::string sql = std::string(verb) + " " + QuoteIdentifier(name);
  return ExecuteScript(sql);
}

Status SqliteConnection::Savepoint(std::string_view name) { return SavepointCommand("SAVEPOINT", name); }
Status SqliteConnection::Release(std::string_view name) { return SavepointCommand("RELEASE", name); }
Status SqliteConnection::RollbackTo(std::string_view name) { return SavepointCommand("ROLLBACK TO", name); }

int64_t SqliteConnection::changes() const { return sqlite3_changes64(db_); }
int64_t SqliteConnection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

Status SqliteConnection::RunControl(Control control) {
  vfs_.ClearStatus();
  const size_t index = static_cast<size_t>(control);
  const char* sql = kControlSql[index];
  if (control_[index] == nullptr) {
    std::string_view tail;
    STABLEVFS_RETURN_IF_ERROR(Prepare(sql, &control_[index], &tail, /*persistent=*/true));
  }
  return Run(control_[index], sql, {}, nullptr);
}

bool SqliteConnection::autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

void SqliteConnection::ReleasePageCache() { sqlite3_db_release_memory(db_); }

void SqliteConnection::BeginReadScope() {
  read_scope_ = kind_ == Kind::kQuery;
  scope_txn_open_ = false;
}

void SqliteConnection::EndReadScope() {
  if (!read_scope_) return;
  read_scope_ = false;
  EndScopeTransaction();
}

bool SqliteConnection::StepScopeControl(int index) {
  sqlite3_stmt*& stmt = scope_control_[index];
  if (stmt == nullptr) {
    const int rc = sqlite3_prepare_v3(db_, kScopeControlSql[index], -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    RethrowFromVfs();
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      stmt = nullptr;
      return false;
    }
  }
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  RethrowFromVfs();
  return rc == SQLITE_DONE;
}

void SqliteConnection::CheckSchema() {
  if (!read_scope_) return;
  if (autocommit()) scope_txn_open_ = StepScopeControl(kScopeBegin) && !autocommit();
  // Errors are left to the closure's own statements, which meet them again and report them.
  (void)StepScopeControl(kScopeSchemaCheck);
  vfs_.ClearStatus();
}

void SqliteConnection::EndScopeTransaction() {
  // Only the scope's own transaction, and only while it lasts: if SQLite ended it (an I/O error rolls a
  // transaction back), an open transaction now belongs to the closure.
  if (scope_txn_open_ && !autocommit()) {
    if (!StepScopeControl(kScopeCommit) && !autocommit()) StepScopeControl(kScopeRollback);
  }
  scope_txn_open_ = false;
}

bool SqliteConnection::ScopeBeforePrepare(std::string_view sql) {
  if (!read_scope_) return false;
  if (StartsWithReadKeyword(sql)) return true;
  // Some statements are refused inside a transaction while they are prepared (PRAGMA synchronous, say), so
  // the scope's transaction ends before the statement is even looked up.
  EndScopeTransaction();
  return false;
}

void SqliteConnection::ScopeBeforeRun(sqlite3_stmt* stmt, bool read_keyword) {
  if (!read_scope_) return;
  if (read_keyword && sqlite3_stmt_readonly(stmt) != 0) {
    // Inside a transaction already (the scope's, or one the closure opened): the read joins it.
    if (!autocommit()) return;
    // A BEGIN that fails leaves the read to run in autocommit, as outside a scope.
    scope_txn_open_ = StepScopeControl(kScopeBegin) && !autocommit();
    return;
  }
  EndScopeTransaction();  // e.g. WITH ... INSERT: not a read, so it runs as outside a scope
}

}  // namespace stablevfs
