#include "harness/model/sql_value.h"

#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>

namespace stablevfs::model {
namespace {

// Maps a double's bit pattern to an unsigned key whose order is the numeric order (with -0.0 < 0.0, and
// NaNs after +infinity ordered by payload; negative-signed NaNs before -infinity).
uint64_t OrderKey(uint64_t bits) {
  constexpr uint64_t kSign = uint64_t{1} << 63;
  return (bits & kSign) != 0 ? ~bits : bits | kSign;
}

}  // namespace

SqlValue SqlValue::Integer(int64_t value) {
  SqlValue v;
  v.type = SqlType::kInteger;
  v.integer = value;
  return v;
}

SqlValue SqlValue::Real(double value) {
  SqlValue v;
  v.type = SqlType::kReal;
  v.real = value;
  return v;
}

SqlValue SqlValue::Text(std::string_view text) {
  SqlValue v;
  v.type = SqlType::kText;
  v.bytes.assign(text);
  return v;
}

SqlValue SqlValue::Blob(std::span<const uint8_t> blob) {
  SqlValue v;
  v.type = SqlType::kBlob;
  v.bytes.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
  return v;
}

uint64_t SqlValue::real_bits() const { return std::bit_cast<uint64_t>(real); }

bool operator==(const SqlValue& a, const SqlValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case SqlType::kNull: return true;
    case SqlType::kInteger: return a.integer == b.integer;
    case SqlType::kReal: return a.real_bits() == b.real_bits();
    case SqlType::kText:
    case SqlType::kBlob: return a.bytes == b.bytes;
  }
  return false;
}

bool CanonicalLess(const SqlValue& a, const SqlValue& b) {
  if (a.type != b.type) return a.type < b.type;
  switch (a.type) {
    case SqlType::kNull: return false;
    case SqlType::kInteger: return a.integer < b.integer;
    case SqlType::kReal: return OrderKey(a.real_bits()) < OrderKey(b.real_bits());
    case SqlType::kText:
    case SqlType::kBlob: return a.bytes < b.bytes;  // char_traits<char> compares as unsigned char
  }
  return false;
}

bool CanonicalLess(const std::vector<SqlValue>& a, const std::vector<SqlValue>& b) {
  const size_t common = std::min(a.size(), b.size());
  for (size_t i = 0; i < common; ++i) {
    if (CanonicalLess(a[i], b[i])) return true;
    if (CanonicalLess(b[i], a[i])) return false;
  }
  return a.size() < b.size();
}

std::string ToDisplayString(const SqlValue& value) {
  switch (value.type) {
    case SqlType::kNull: return "NULL";
    case SqlType::kInteger: return std::to_string(value.integer);
    case SqlType::kReal: {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%.17g", value.real);
      std::string out = buffer;
      if (std::isnan(value.real) || (value.real == 0 && std::signbit(value.real)) || out.find_first_of(".en") == std::string::npos) {
        // Make the storage class visible, and tell apart values %.17g prints alike.
        char bits[32];
        std::snprintf(bits, sizeof bits, " (real 0x%016llx)", static_cast<unsigned long long>(value.real_bits()));
        out += bits;
      }
      return out;
    }
    case SqlType::kText: {
      std::string out = "'";
      for (const char c : value.bytes) {
        out += c;
        if (c == '\'') out += '\'';
      }
      return out + "'";
    }
    case SqlType::kBlob: {
      static constexpr char kHex[] = "0123456789abcdef";
      const size_t shown = std::min<size_t>(value.bytes.size(), 32);
      std::string out = "x'";
      for (size_t i = 0; i < shown; ++i) {
        const auto byte = static_cast<uint8_t>(value.bytes[i]);
        out += kHex[byte >> 4];
        out += kHex[byte & 15];
      }
      out += "'";
      if (shown < value.bytes.size()) out += "... (" + std::to_string(value.bytes.size()) + " bytes)";
      return out;
    }
  }
  return "?";
}

std::string ToDisplayString(const std::vector<SqlValue>& row) {
  std::string out = "(";
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ", ";
    out += ToDisplayString(row[i]);
  }
  return out + ")";
}

SqlValue ReadColumn(sqlite3_stmt* statement, int column) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER: return SqlValue::Integer(sqlite3_column_int64(statement, column));
    case SQLITE_FLOAT: return SqlValue::Real(sqlite3_column_double(statement, column));
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
      const int length = sqlite3_column_bytes(statement, column);
      return SqlValue::Text(std::string_view(text == nullptr ? "" : text, static_cast<size_t>(length)));
    }
    case SQLITE_BLOB: {
      const auto* blob = static_cast<const uint8_t*>(sqlite3_column_blob(statement, column));
      const int length = sqlite3_column_bytes(statement, column);
      if (blob == nullptr) return SqlValue::Blob({});  // a zero-length blob
      return SqlValue::Blob(std::span<const uint8_t>(blob, static_cast<size_t>(length)));
    }
    default: return SqlValue::Null();
  }
}

int BindValue(sqlite3_stmt* statement, int index, const SqlValue& value) {
  switch (value.type) {
    case SqlType::kNull: return sqlite3_bind_null(statement, index);
    case SqlType::kInteger: return sqlite3_bind_int64(statement, index, value.integer);
    case SqlType::kReal: return sqlite3_bind_double(statement, index, value.real);
    case SqlType::kText:
      return sqlite3_bind_text64(statement, index, value.bytes.data(), value.bytes.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
    case SqlType::kBlob:
      return sqlite3_bind_blob64(statement, index, value.bytes.data(), value.bytes.size(), SQLITE_TRANSIENT);
  }
  return SQLITE_MISUSE;
}

}  // namespace stablevfs::model
