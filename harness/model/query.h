// RunQuery: the complete outcome of one statement on any connection, as a value that can be compared.
//
// To compare the system under test with the data model, the same statement runs on both connections and the
// two QueryResults must be equal: the same error (primary result code and message), or the same columns and
// the same rows in the same order with exactly equal values (SqlValue equality: REAL bit-exact, BLOB
// byte-exact). Queries whose row order SQL leaves unspecified need an ORDER BY to compare meaningfully.
#pragma once

#include <sqlite3.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/model/sql_value.h"

namespace stablevfs::model {

struct QueryResult {
  int rc = SQLITE_OK;  // primary result code (SQLITE_OK when the statement ran to completion)
  std::string error;   // sqlite3_errmsg when rc != SQLITE_OK
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;

  bool ok() const { return rc == SQLITE_OK; }
  bool operator==(const QueryResult&) const = default;
};

// Prepares the single statement `sql` on `db`, binds `params` to ?1..?n, steps it to completion and collects
// every row. Trailing whitespace and semicolons are allowed; a second statement is an error (SQLITE_MISUSE).
// Never throws for SQL errors: they are part of the result. The statement runs in whatever transaction state
// `db` is in (autocommit by default).
QueryResult RunQuery(sqlite3* db, std::string_view sql, std::span<const SqlValue> params = {});

// A readable rendering (columns, then one row per line, at most `max_rows`).
std::string FormatQueryResult(const QueryResult& result, size_t max_rows = 50);

}  // namespace stablevfs::model
