#include "lib/db/sqlite_value.h"

#include <type_traits>
#include <variant>

namespace stablevfs {

int BindValue(sqlite3_stmt* stmt, int index, const Value& value) {
  return std::visit(
      [&](const auto& v) -> int {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return sqlite3_bind_null(stmt, index);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return sqlite3_bind_int64(stmt, index, v);
        } else if constexpr (std::is_same_v<T, double>) {
          return sqlite3_bind_double(stmt, index, v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return sqlite3_bind_text64(stmt, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        } else {
          // An empty BLOB must stay a BLOB: binding a null pointer would bind NULL instead.
          if (v.bytes.empty()) return sqlite3_bind_zeroblob(stmt, index, 0);
          return sqlite3_bind_blob64(stmt, index, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT);
        }
      },
      value);
}

Value ReadColumn(sqlite3_stmt* stmt, int column) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_column_int64(stmt, column));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, column);
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
      const int bytes = sqlite3_column_bytes(stmt, column);
      return std::string(text != nullptr ? text : "", static_cast<size_t>(bytes));
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(stmt, column));
      const int bytes = sqlite3_column_bytes(stmt, column);
      Blob blob;
      if (data != nullptr) blob.bytes.assign(data, data + bytes);
      return blob;
    }
    default:
      return std::monostate{};
  }
}

}  // namespace stablevfs
