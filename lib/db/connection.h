// Connection: what an update or query closure uses to run SQL.
//
// A Connection is only valid inside the closure it was handed to. Statements go through a 32-entry LRU cache
// of prepared statements keyed by SQL text. Every sqlite3_step evaluates the `sqlite.step` failpoint.
// On a query connection (query_only=ON) any write is an error and changes nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "lib/core/status.h"
#include "lib/db/value.h"

namespace stablevfs {

// How many prepared statements a connection keeps (least recently used evicted first).
inline constexpr size_t kStatementCacheCapacity = 32;

// Counters of a connection's prepared-statement cache, for tests and benchmarks. They count from the moment
// the connection was opened (a connection the Db resets starts again from zero).
struct StatementCacheStats {
  uint64_t hits = 0;       // statements served from the cache
  uint64_t misses = 0;     // statements prepared because they were not cached
  uint64_t evictions = 0;  // statements finalized to make room
  uint64_t size = 0;       // statements cached now (<= kStatementCacheCapacity)
};

class Connection {
 public:
  virtual ~Connection() = default;

  // Runs one statement with bound parameters (?1, ?2, ...), discarding any rows.
  virtual Status Execute(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Runs one statement and returns its rows.
  virtual Result<Rows> Query(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Runs several ';'-separated statements without parameters (sqlite3_exec); for migrations and scripts.
  virtual Status ExecuteScript(std::string_view sql) = 0;

  // Savepoints inside an update: SAVEPOINT name / RELEASE name / ROLLBACK TO name.
  virtual Status Savepoint(std::string_view name) = 0;
  virtual Status Release(std::string_view name) = 0;
  virtual Status RollbackTo(std::string_view name) = 0;

  // Rows changed by the last statement; the rowid of the last insert.
  virtual int64_t changes() const = 0;
  virtual int64_t last_insert_rowid() const = 0;
  virtual bool read_only() const = 0;

  // The prepared-statement cache's counters. The default (all zero) suits connections without a cache.
  virtual StatementCacheStats statement_cache_stats() const { return {}; }
};

}  // namespace stablevfs
