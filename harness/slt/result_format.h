// ResultFormat: query results rendered as sqllogictest prints them, sorted and hashed as a record asks.
//
// Each value is rendered by the type letter of its column, whatever its storage class (a sqllogictest query
// says what it expects; SQLite converts):
//   NULL (any letter)   "NULL"
//   I                   the value as a 64-bit integer, as sqlite3_column_int64 converts it, printed "%lld"
//   R                   the value as a double, as sqlite3_column_double converts it, printed "%.3f" by
//                       sqlite3_snprintf (SQLite's own printf, as the reference runner uses)
//   T                   the value as text, as sqlite3_column_text converts it; "" prints "(empty)", and every
//                       byte below ' ' or above '~' prints '@'
// Conversions between storage classes are SQLite's own: a value of another class is bound to a scratch
// statement and read back with the column accessor of the letter, so both sides of a comparison (the VFS and
// stock SQLite) and the reference runner convert alike. Values already of the letter's class skip the scratch
// statement.
//
// Sorting (after rendering, comparing bytes as strcmp does): nosort keeps the engine's order, rowsort sorts
// rows by their rendered values column by column, valuesort sorts all values regardless of rows. Hashing:
// "<N> values hashing to <md5>" where the MD5 covers every value followed by '\n', used when a hash threshold
// is set (above 0) and the result has more values than it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/slt/script.h"
#include "lib/db/value.h"

namespace stablevfs::slt {

class ValueRenderer {
 public:
  // Opens the scratch connection. Throws std::runtime_error when SQLite cannot.
  ValueRenderer();
  ~ValueRenderer();
  ValueRenderer(const ValueRenderer&) = delete;
  ValueRenderer& operator=(const ValueRenderer&) = delete;

  // `value` rendered for a column of type `type` ('I', 'R' or 'T'; any other letter renders as 'T').
  std::string Render(char type, const Value& value);

 private:
  // Binds `value` to the scratch statement and steps it to its one row. REQUIRES: Reset() follows.
  void Load(const Value& value);
  void Reset();

  sqlite3* db_ = nullptr;
  sqlite3_stmt* echo_ = nullptr;  // SELECT ?1
};

// "NULL" / "(empty)" / '@' substitution of a text value (the T rule above).
std::string RenderText(std::string_view text);

// Renders `rows` column by column with `types` and sorts as `sort` says; the result is one value per line, as
// a file lists them. A column beyond the end of `types` renders as 'T' (the caller reports the mismatch).
std::vector<std::string> RenderResult(ValueRenderer& renderer, std::string_view types, const std::vector<Row>& rows,
                                      SortMode sort);

// Whether a result of `value_count` values is given as a hash under `threshold` (0: never).
bool ShouldHash(size_t value_count, uint64_t threshold);

// "<N> values hashing to <md5 of each value followed by '\n'>".
std::string HashLine(const std::vector<std::string>& values);

}  // namespace stablevfs::slt
