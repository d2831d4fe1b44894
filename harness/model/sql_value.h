// SqlValue: one SQLite value with exact, bit-level equality, for comparing a database with its model.
//
// The library has its own Value type (lib/db/value.h); the models do not depend on lib/db, so they carry their
// own (independent by design; see ARCHITECTURE.md). Equality is exact where the obvious C++ types are not:
// REAL values compare by their 64-bit pattern (so 0.0 != -0.0, and a NaN equals the same NaN), TEXT and BLOB
// compare byte by byte, and a TEXT never equals a BLOB with the same bytes. CanonicalLess is a strict total
// order consistent with that equality, used to sort rows whose storage order is not unique.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3_stmt;

namespace stablevfs::model {

enum class SqlType : uint8_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };

struct SqlValue {
  SqlType type = SqlType::kNull;
  int64_t integer = 0;  // kInteger
  double real = 0;      // kReal
  std::string bytes;    // kText (UTF-8) or kBlob

  static SqlValue Null() { return {}; }
  static SqlValue Integer(int64_t value);
  static SqlValue Real(double value);
  static SqlValue Text(std::string_view text);
  static SqlValue Blob(std::span<const uint8_t> blob);

  // The IEEE-754 bit pattern of `real`.
  uint64_t real_bits() const;
};

// Exact equality (see the header comment).
bool operator==(const SqlValue& a, const SqlValue& b);

// A strict total order: by type (NULL < INTEGER < REAL < TEXT < BLOB), then integers numerically, reals by
// their value with -0.0 < 0.0 and NaNs ordered by bit pattern after +infinity, text and blobs bytewise.
bool CanonicalLess(const SqlValue& a, const SqlValue& b);
bool CanonicalLess(const std::vector<SqlValue>& a, const std::vector<SqlValue>& b);

// NULL, 42, 1.5 (reals also show their bits when %.17g would not tell two of them apart: -0.0, NaN), 'it''s',
// x'0a0b' (blobs longer than 32 bytes abbreviated with their size).
std::string ToDisplayString(const SqlValue& value);
std::string ToDisplayString(const std::vector<SqlValue>& row);

// Column `column` of the current row of `statement`, with its storage class.
SqlValue ReadColumn(sqlite3_stmt* statement, int column);

// Binds `value` to parameter `index` (1-based). Returns the SQLite result code.
int BindValue(sqlite3_stmt* statement, int index, const SqlValue& value);

}  // namespace stablevfs::model
