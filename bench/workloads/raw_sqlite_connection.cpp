#include "bench/workloads/raw_sqlite_connection.h"

#include "lib/db/sqlite_value.h"

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace stablevfs::bench {
namespace {

// The pragmas of an icstable update connection (REFERENCE.md section 3), in the order they must run:
// page_size only takes effect before the first table is created, and journal_mode before any transaction.
constexpr std::string_view kConnectionPragmas =
    "PRAGMA page_size=16384;"
    "PRAGMA journal_mode=MEMORY;"
    "PRAGMA synchronous=OFF;"
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA locking_mode=EXCLUSIVE;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA cache_size=-32768;"
    "PRAGMA busy_timeout=0;";

}  // namespace

Result<std::unique_ptr<RawSqliteConnection>> RawSqliteConnection::Open(const std::string& filename, int flags,
                                                                 const char* vfs) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(filename.c_str(), &db, flags, vfs);
  if (rc != SQLITE_OK) {
    std::string message = "open " + filename + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return Status::Sqlite(rc, std::move(message));
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<RawSqliteConnection> connection(new RawSqliteConnection(db));
  STABLEVFS_RETURN_IF_ERROR(connection->ExecuteScript(kConnectionPragmas));
  return connection;
}

RawSqliteConnection::~RawSqliteConnection() {
  for (CacheEntry& entry : lru_) sqlite3_finalize(entry.stmt);
  sqlite3_close_v2(db_);
}

Status RawSqliteConnection::Transaction(bool write, const std::function<Status(Connection&)>& fn) {
  assert(!in_transaction_);
  STABLEVFS_RETURN_IF_ERROR(ExecuteScript(write ? "BEGIN IMMEDIATE" : "BEGIN"));
  in_transaction_ = true;
  Status status;
  try {
    status = fn(*this);
  } catch (...) {
    in_transaction_ = false;
    ExecuteScript("ROLLBACK").IgnoreError();  // the exception is the news; a rollback error would hide it
    throw;
  }
  in_transaction_ = false;
  if (!status.ok()) {
    // SQLite may already have rolled back (some errors end the transaction); that is not a second error.
    if (!sqlite3_get_autocommit(db_)) ExecuteScript("ROLLBACK").IgnoreError();
    return status;
  }
  return ExecuteScript("COMMIT");
}

Status RawSqliteConnection::Error(int code, std::string_view what) const {
  return Status::Sqlite(code, std::string(what) + ": " + sqlite3_errmsg(db_));
}

Result<sqlite3_stmt*> RawSqliteConnection::Prepare(std::string_view sql) {
  if (auto it = by_sql_.find(sql); it != by_sql_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    sqlite3_stmt* stmt = it->second->stmt;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return stmt;
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "prepare");
  if (stmt == nullptr) return Status::InvalidArgument("empty statement: '" + std::string(sql) + "'");
  lru_.push_front(CacheEntry{std::string(sql), stmt});
  by_sql_.emplace(lru_.front().sql, lru_.begin());
  if (lru_.size() > kStatementCacheEntries) {
    by_sql_.erase(lru_.back().sql);
    sqlite3_finalize(lru_.back().stmt);
    lru_.pop_back();
  }
  return stmt;
}

Status RawSqliteConnection::Bind(sqlite3_stmt* stmt, std::span<const Value> params) {
  if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
    return Status::InvalidArgument("statement takes " + std::to_string(sqlite3_bind_parameter_count(stmt)) +
                                   " parameters, " + std::to_string(params.size()) + " given");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int slot = static_cast<int>(i) + 1;
    // The library's conversion (lib/db/sqlite_value.h), so the baselines pay what the library pays.
    const int rc = BindValue(stmt, slot, params[i]);
    if (rc != SQLITE_OK) return Error(rc, "bind");
  }
  return Status::Ok();
}

Status RawSqliteConnection::Run(sqlite3_stmt* stmt, Rows* rows) {
  const int columns = sqlite3_column_count(stmt);
  if (rows != nullptr && rows->columns.empty()) {
    for (int c = 0; c < columns; ++c) rows->columns.emplace_back(sqlite3_column_name(stmt, c));
  }
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      Status status = Error(rc, "step");
      sqlite3_reset(stmt);
      return status;
    }
    if (rows == nullptr) continue;
    Row& row = rows->rows.emplace_back();
    row.reserve(columns);
    for (int c = 0; c < columns; ++c) row.push_back(ReadColumn(stmt, c));
  }
  sqlite3_reset(stmt);
  return Status::Ok();
}

Status RawSqliteConnection::Execute(std::string_view sql, std::span<const Value> params) {
  Result<sqlite3_stmt*> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  STABLEVFS_RETURN_IF_ERROR(Bind(*stmt, params));
  return Run(*stmt, nullptr);
}

Result<Rows> RawSqliteConnection::Query(std::string_view sql, std::span<const Value> params) {
  Result<sqlite3_stmt*> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  STABLEVFS_RETURN_IF_ERROR(Bind(*stmt, params));
  Rows rows;
  STABLEVFS_RETURN_IF_ERROR(Run(*stmt, &rows));
  return rows;
}

Status RawSqliteConnection::ExecuteScript(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string what = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return Status::Sqlite(rc, "exec: " + what);
}

Status RawSqliteConnection::Savepoint(std::string_view name) {
  return ExecuteScript("SAVEPOINT \"" + std::string(name) + "\"");
}

Status RawSqliteConnection::Release(std::string_view name) {
  return ExecuteScript("RELEASE \"" + std::string(name) + "\"");
}

Status RawSqliteConnection::RollbackTo(std::string_view name) {
  return ExecuteScript("ROLLBACK TO \"" + std::string(name) + "\"");
}

int64_t RawSqliteConnection::changes() const { return sqlite3_changes64(db_); }

int64_t RawSqliteConnection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace stablevfs::bench
