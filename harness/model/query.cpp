#include "harness/model/query.h"

namespace stablevfs::model {
namespace {

QueryResult Error(sqlite3* db, int rc) {
  QueryResult result;
  result.rc = rc & 0xff;
  result.error = sqlite3_errmsg(db);
  return result;
}

// True when `tail` holds another statement (not only whitespace, semicolons or comments).
bool HasAnotherStatement(sqlite3* db, const char* tail, const char* end) {
  while (tail < end) {
    sqlite3_stmt* next = nullptr;
    const char* rest = nullptr;
    if (sqlite3_prepare_v2(db, tail, static_cast<int>(end - tail), &next, &rest) != SQLITE_OK) return true;
    if (next != nullptr) {
      sqlite3_finalize(next);
      return true;
    }
    if (rest == nullptr || rest <= tail) break;
    tail = rest;
  }
  return false;
}

}  // namespace

QueryResult RunQuery(sqlite3* db, std::string_view sql, std::span<const SqlValue> params) {
  sqlite3_stmt* statement = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &statement, &tail);
  if (rc != SQLITE_OK) return Error(db, rc);
  if (statement == nullptr) {
    QueryResult result;
    result.rc = SQLITE_MISUSE;
    result.error = "no statement in '" + std::string(sql) + "'";
    return result;
  }
  if (HasAnotherStatement(db, tail, sql.data() + sql.size())) {
    sqlite3_finalize(statement);
    QueryResult result;
    result.rc = SQLITE_MISUSE;
    result.error = "more than one statement in '" + std::string(sql) + "'";
    return result;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    rc = BindValue(statement, static_cast<int>(i + 1), params[i]);
    if (rc != SQLITE_OK) {
      QueryResult result = Error(db, rc);
      sqlite3_finalize(statement);
      return result;
    }
  }

  QueryResult result;
  const int column_count = sqlite3_column_count(statement);
  for (int c = 0; c < column_count; ++c) {
    const char* name = sqlite3_column_name(statement, c);
    result.columns.emplace_back(name == nullptr ? "" : name);
  }
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    std::vector<SqlValue> row;
    row.reserve(static_cast<size_t>(column_count));
    for (int c = 0; c < column_count; ++c) row.push_back(ReadColumn(statement, c));
    result.rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    // Rows produced before the error are dropped: an error is the outcome, whatever came first.
    result = Error(db, rc);
  }
  sqlite3_finalize(statement);
  return result;
}

std::string FormatQueryResult(const QueryResult& result, size_t max_rows) {
  if (!result.ok()) return "error " + std::to_string(result.rc) + ": " + result.error + "\n";
  std::string out = "columns:";
  for (const std::string& column : result.columns) out += " " + column;
  out += "\n";
  for (size_t i = 0; i < result.rows.size() && i < max_rows; ++i) out += "  " + ToDisplayString(result.rows[i]) + "\n";
  if (result.rows.size() > max_rows) out += "  ... (" + std::to_string(result.rows.size()) + " rows)\n";
  return out;
}

}  // namespace stablevfs::model
