// Value: one SQLite value (NULL, INTEGER, REAL, TEXT, BLOB), and rows of them.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace stablevfs {

struct Blob {
  std::vector<uint8_t> bytes;
  bool operator==(const Blob&) const = default;
};

// index 0 NULL, 1 INTEGER, 2 REAL, 3 TEXT, 4 BLOB
using Value = std::variant<std::monostate, int64_t, double, std::string, Blob>;
using Row = std::vector<Value>;

struct Rows {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  bool operator==(const Rows&) const = default;
};

// A short human-readable rendering: NULL, 42, 1.5, 'text', x'0a0b' (long blobs abbreviated with their size).
std::string ToDisplayString(const Value& value);

}  // namespace stablevfs
