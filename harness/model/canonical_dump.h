// CanonicalDump: the whole logical content of a SQLite database as one comparable value.
//
// Two databases are "the same data" when their dumps are equal: the same schema (every sqlite_schema entry:
// type, name, table, SQL text, sorted by type then name), the same header values that SQL can set
// (user_version, application_id), and for every table the same column names and the same rows with exactly
// equal values (SqlValue: REAL bit-exact, BLOB byte-exact, storage class included). Rowid tables are dumped
// with their rowid, in rowid order; tables without an accessible rowid (WITHOUT ROWID, or every rowid alias
// shadowed by a column) are dumped in CanonicalLess order, which does not depend on page size or b-tree shape.
// Virtual tables contribute their schema entry only (their content lives in shadow tables, which are dumped,
// or outside the database). Indexes contribute their schema entry only: their content is a function of the
// table rows, which `PRAGMA integrity_check` verifies separately.
//
// DumpDatabase works on any sqlite3* (the data model's, a connection on an image resolved by the checker, a
// connection handed out by the system under test) and reads only through SQL.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/model/sql_value.h"

namespace stablevfs::model {

struct SchemaEntry {
  std::string type;  // table, index, view, trigger
  std::string name;
  std::string table_name;
  std::string sql;  // "" for entries SQLite creates itself (autoindexes)
  bool operator==(const SchemaEntry&) const = default;
};

struct TableDump {
  std::string name;
  std::vector<std::string> columns;  // as SELECT * names them, preceded by the rowid alias when has_rowid
  bool has_rowid = false;
  std::vector<std::vector<SqlValue>> rows;
  bool operator==(const TableDump&) const = default;
};

struct CanonicalDump {
  int64_t user_version = 0;
  int64_t application_id = 0;
  std::vector<SchemaEntry> schema;  // sorted by (type, name)
  std::vector<TableDump> tables;    // sorted by name
  bool operator==(const CanonicalDump&) const = default;
};

struct DumpOptions {
  // Tables left out entirely (schema entries whose table_name is listed, and their rows). For bookkeeping
  // that only one side keeps, e.g. the library's migration record table. Exact names, case-sensitive.
  std::vector<std::string> exclude_tables;
  // Whether user_version and application_id are part of the dump (left 0 when not).
  bool include_header_values = true;

  // Every field: the dump caches (DataModel::Snapshot, ImageFacts::Dump) key on the whole options, so a field
  // added here cannot be forgotten by a cache.
  bool operator==(const DumpOptions&) const = default;
};

// Dumps the main database of `db` through plain SELECTs in the connection's current transaction state (it
// opens no transaction of its own, so that it can inspect a connection it does not own; the harness is
// single-threaded, so nothing writes in between). Throws std::runtime_error on any SQLite error.
CanonicalDump DumpDatabase(sqlite3* db, const DumpOptions& options = {});

// Nothing when equal; otherwise one sentence locating the first difference (header value, schema entry,
// table, column list, row count, or row and column with both values).
std::optional<std::string> DescribeDifference(const CanonicalDump& expected, const CanonicalDump& actual);

// A readable rendering: header values, schema, then each table's rows (at most `max_rows_per_table`).
std::string FormatDump(const CanonicalDump& dump, size_t max_rows_per_table = 20);

// A fresh number from a process-wide counter (thread-safe, never 0, never repeated): the identity given to a
// memoized dump when it is made, so that a comparison of two dumps can itself be memoized by identity.
uint64_t NextDumpSerial();

}  // namespace stablevfs::model
