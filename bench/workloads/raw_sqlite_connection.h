// RawSqliteConnection: a stablevfs::Connection over a raw sqlite3 handle, for the baseline backends.
//
// The benchmark runs the same workload code on every backend. The icstable backends get their Connection
// from Db; the baselines (SQLite's `memdb` and `unix` VFSes) get this one, which does what Db's connection
// does in the ways that cost time, so the comparison measures the storage path and not the wrapper: a
// 32-entry LRU cache of prepared statements keyed by SQL text, parameters bound per call, rows materialized
// as stablevfs::Value. It evaluates no failpoints and has no overlay: that difference is what is measured.
//
// The connection owns the sqlite3 handle and closes it on destruction. Not thread-safe (neither is Db).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "lib/core/status.h"
#include "lib/db/connection.h"

namespace stablevfs::bench {

class RawSqliteConnection final : public Connection {
 public:
  // Opens `filename` with `flags` (sqlite3_open_v2; `vfs` may be null for the default) and applies the
  // connection pragmas icstable uses for update connections (REFERENCE.md section 3): page_size=16384,
  // journal_mode=MEMORY, synchronous=OFF, temp_store=MEMORY, locking_mode=EXCLUSIVE, foreign_keys=ON,
  // cache_size=-32768, busy_timeout=0. Errors are kSqlite with SQLite's message.
  static Result<std::unique_ptr<RawSqliteConnection>> Open(const std::string& filename, int flags,
                                                        const char* vfs);
  ~RawSqliteConnection() override;

  // One transaction around `fn`, as Db::Update and Db::Query do: BEGIN IMMEDIATE (update) or BEGIN
  // (query), then COMMIT on success or ROLLBACK on error. An exception from `fn` rolls back and propagates.
  Status Transaction(bool write, const std::function<Status(Connection&)>& fn);

  Status Execute(std::string_view sql, std::span<const Value> params = {}) override;
  Result<Rows> Query(std::string_view sql, std::span<const Value> params = {}) override;
  Status ExecuteScript(std::string_view sql) override;
  Status Savepoint(std::string_view name) override;
  Status Release(std::string_view name) override;
  Status RollbackTo(std::string_view name) override;
  int64_t changes() const override;
  int64_t last_insert_rowid() const override;
  bool read_only() const override { return false; }

  sqlite3* handle() { return db_; }

  RawSqliteConnection(const RawSqliteConnection&) = delete;
  RawSqliteConnection& operator=(const RawSqliteConnection&) = delete;

 private:
  static constexpr size_t kStatementCacheEntries = 32;

  explicit RawSqliteConnection(sqlite3* db) : db_(db) {}

  // The cached prepared statement for `sql`, reset and with bindings cleared; prepares it on a miss and
  // evicts the least recently used entry beyond kStatementCacheEntries.
  Result<sqlite3_stmt*> Prepare(std::string_view sql);
  Status Bind(sqlite3_stmt* stmt, std::span<const Value> params);
  // Steps `stmt` to completion, appending its rows to `rows` when not null.
  Status Run(sqlite3_stmt* stmt, Rows* rows);
  Status Error(int code, std::string_view what) const;

  struct CacheEntry {
    std::string sql;
    sqlite3_stmt* stmt = nullptr;
  };
  sqlite3* db_;
  std::list<CacheEntry> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<CacheEntry>::iterator> by_sql_;  // keys view lru_ strings
  bool in_transaction_ = false;
};

}  // namespace stablevfs::bench
