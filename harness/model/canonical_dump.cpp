#include "harness/model/canonical_dump.h"

#include <atomic>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "harness/model/sqlite_db.h"

namespace stablevfs::model {
namespace {

// RAII for one prepared statement; throws with the SQLite message when preparation fails.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &statement_, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot prepare '" + sql + "': " + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return statement_; }
  // Steps once: true for a row, false when done; throws on error.
  bool Step() {
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("step failed: ") + sqlite3_errmsg(db_));
  }
  std::vector<std::string> ColumnNames() const {
    std::vector<std::string> names;
    for (int c = 0; c < sqlite3_column_count(statement_); ++c) {
      const char* name = sqlite3_column_name(statement_, c);
      names.emplace_back(name == nullptr ? "" : name);
    }
    return names;
  }
  std::vector<SqlValue> Row() const {
    std::vector<SqlValue> row;
    for (int c = 0; c < sqlite3_column_count(statement_); ++c) row.push_back(ReadColumn(statement_, c));
    return row;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (const char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

bool EqualsIgnoreAsciiCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsVirtualTable(const std::string& sql) {
  static const std::string kPrefix = "CREATE VIRTUAL TABLE";
  size_t start = 0;
  while (start < sql.size() && std::isspace(static_cast<unsigned char>(sql[start]))) ++start;
  return sql.size() - start >= kPrefix.size() && EqualsIgnoreAsciiCase(sql.substr(start, kPrefix.size()), kPrefix);
}

std::string Text(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  return text == nullptr ? "" : std::string(text, static_cast<size_t>(sqlite3_column_bytes(statement, column)));
}

// Tries to prepare a rowid-ordered scan. A WITHOUT ROWID table fails to prepare; a table whose columns
// shadow every rowid alias has none to offer.
std::optional<std::string> RowidAlias(sqlite3* db, const std::string& from, const std::vector<std::string>& columns) {
  for (const std::string alias : {"rowid", "_rowid_", "oid"}) {
    const bool shadowed = std::any_of(columns.begin(), columns.end(),
                                      [&](const std::string& column) { return EqualsIgnoreAsciiCase(column, alias); });
    if (shadowed) continue;
    sqlite3_stmt* probe = nullptr;
    const std::string sql = "SELECT " + alias + " FROM " + from;
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &probe, nullptr);
    sqlite3_finalize(probe);
    if (rc != SQLITE_OK) return std::nullopt;  // no rowid at all: every alias would fail alike
    return alias;
  }
  return std::nullopt;
}

TableDump DumpTable(sqlite3* db, const std::string& name) {
  TableDump table;
  table.name = name;
  const std::string from = "main." + QuoteIdentifier(name);
  std::vector<std::string> columns;
  {
    Statement names(db, "SELECT * FROM " + from);
    columns = names.ColumnNames();
  }
  const std::optional<std::string> alias = RowidAlias(db, from, columns);
  table.has_rowid = alias.has_value();
  if (alias) {
    table.columns.push_back(*alias);
    Statement scan(db, "SELECT " + *alias + ", * FROM " + from + " ORDER BY " + *alias);
    while (scan.Step()) table.rows.push_back(scan.Row());
  } else {
    Statement scan(db, "SELECT * FROM " + from);
    while (scan.Step()) table.rows.push_back(scan.Row());
    std::sort(table.rows.begin(), table.rows.end(),
              [](const std::vector<SqlValue>& a, const std::vector<SqlValue>& b) { return CanonicalLess(a, b); });
  }
  table.columns.insert(table.columns.end(), columns.begin(), columns.end());
  return table;
}

std::string Names(const std::vector<std::string>& names) {
  std::string out = "(";
  for (size_t i = 0; i < names.size(); ++i) out += (i > 0 ? ", " : "") + names[i];
  return out + ")";
}

std::string Describe(const SchemaEntry& entry) {
  return entry.type + " " + entry.name + (entry.sql.empty() ? "" : ": " + entry.sql);
}

}  // namespace

CanonicalDump DumpDatabase(sqlite3* db, const DumpOptions& options) {
  CanonicalDump dump;
  if (options.include_header_values) {
    dump.user_version = QueryInt(db, "PRAGMA main.user_version");
    dump.application_id = QueryInt(db, "PRAGMA main.application_id");
  }
  const auto excluded = [&](const std::string& table_name) {
    return std::find(options.exclude_tables.begin(), options.exclude_tables.end(), table_name) !=
           options.exclude_tables.end();
  };
  {
    Statement schema(db, "SELECT type, name, tbl_name, sql FROM main.sqlite_master");
    while (schema.Step()) {
      SchemaEntry entry{Text(schema.get(), 0), Text(schema.get(), 1), Text(schema.get(), 2), Text(schema.get(), 3)};
      if (!excluded(entry.table_name)) dump.schema.push_back(std::move(entry));
    }
  }
  std::sort(dump.schema.begin(), dump.schema.end(), [](const SchemaEntry& a, const SchemaEntry& b) {
    return a.type != b.type ? a.type < b.type : a.name < b.name;
  });
  for (const SchemaEntry& entry : dump.schema) {
    if (entry.type != "table" || IsVirtualTable(entry.sql)) continue;
    dump.tables.push_back(DumpTable(db, entry.name));
  }
  // Already in name order: the schema is sorted by (type, name) and only tables are taken.
  return dump;
}

std::optional<std::string> DescribeDifference(const CanonicalDump& expected, const CanonicalDump& actual) {
  if (expected.user_version != actual.user_version) {
    return "user_version is " + std::to_string(actual.user_version) + ", expected " +
           std::to_string(expected.user_version);
  }
  if (expected.application_id != actual.application_id) {
    return "application_id is " + std::to_string(actual.application_id) + ", expected " +
           std::to_string(expected.application_id);
  }
  const size_t schema_common = std::min(expected.schema.size(), actual.schema.size());
  for (size_t i = 0; i < schema_common; ++i) {
    if (!(expected.schema[i] == actual.schema[i])) {
      return "schema entry " + std::to_string(i) + " is " + Describe(actual.schema[i]) + ", expected " +
             Describe(expected.schema[i]);
    }
  }
  if (expected.schema.size() != actual.schema.size()) {
    const bool missing = actual.schema.size() < expected.schema.size();
    const SchemaEntry& extra = missing ? expected.schema[schema_common] : actual.schema[schema_common];
    return std::string(missing ? "schema lacks " : "schema has an extra ") + Describe(extra);
  }
  // Same schema, so the same tables in the same order.
  for (size_t t = 0; t < expected.tables.size() && t < actual.tables.size(); ++t) {
    const TableDump& want = expected.tables[t];
    const TableDump& got = actual.tables[t];
    if (want.columns != got.columns || want.has_rowid != got.has_rowid) {
      return "table " + want.name + " has columns " + Names(got.columns) + ", expected " + Names(want.columns);
    }
    const size_t common = std::min(want.rows.size(), got.rows.size());
    for (size_t r = 0; r < common; ++r) {
      if (want.rows[r] == got.rows[r]) continue;
      for (size_t c = 0; c < want.rows[r].size(); ++c) {
        if (!(want.rows[r][c] == got.rows[r][c])) {
          return "table " + want.name + " row " + std::to_string(r) + " " + ToDisplayString(got.rows[r]) +
                 ": column " + want.columns[c] + " is " + ToDisplayString(got.rows[r][c]) + ", expected " +
                 ToDisplayString(want.rows[r][c]) + " (expected row " + ToDisplayString(want.rows[r]) + ")";
        }
      }
    }
    if (want.rows.size() != got.rows.size()) {
      const bool missing = got.rows.size() < want.rows.size();
      const auto& row = missing ? want.rows[common] : got.rows[common];
      return "table " + want.name + " has " + std::to_string(got.rows.size()) + " rows, expected " +
             std::to_string(want.rows.size()) + "; first " + (missing ? "missing" : "extra") + " row " +
             ToDisplayString(row);
    }
  }
  if (expected.tables.size() != actual.tables.size()) {
    return "dumped " + std::to_string(actual.tables.size()) + " tables, expected " +
           std::to_string(expected.tables.size());
  }
  return std::nullopt;
}

std::string FormatDump(const CanonicalDump& dump, size_t max_rows_per_table) {
  std::string out = "user_version " + std::to_string(dump.user_version) + ", application_id " +
                    std::to_string(dump.application_id) + "\n";
  for (const SchemaEntry& entry : dump.schema) out += Describe(entry) + "\n";
  for (const TableDump& table : dump.tables) {
    out += "table " + table.name + " " + Names(table.columns) + ", " + std::to_string(table.rows.size()) + " rows\n";
    for (size_t r = 0; r < table.rows.size() && r < max_rows_per_table; ++r) {
      out += "  " + ToDisplayString(table.rows[r]) + "\n";
    }
    if (table.rows.size() > max_rows_per_table) out += "  ...\n";
  }
  return out;
}

uint64_t NextDumpSerial() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace stablevfs::model
