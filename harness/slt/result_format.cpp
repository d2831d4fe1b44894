#include "harness/slt/result_format.h"

#include <algorithm>
#include <stdexcept>
#include <type_traits>
#include <variant>

#include "harness/slt/md5.h"

namespace stablevfs::slt {

ValueRenderer::ValueRenderer() {
  if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close_v2(db_);
    throw std::runtime_error("cannot open the scratch database for value rendering: " + message);
  }
  if (sqlite3_prepare_v2(db_, "SELECT ?1", -1, &echo_, nullptr) != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db_);
    sqlite3_close_v2(db_);
    throw std::runtime_error("cannot prepare the scratch statement for value rendering: " + message);
  }
}

ValueRenderer::~ValueRenderer() {
  sqlite3_finalize(echo_);
  sqlite3_close_v2(db_);
}

void ValueRenderer::Load(const Value& value) {
  const int rc = std::visit(
      [&](const auto& v) -> int {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return sqlite3_bind_null(echo_, 1);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return sqlite3_bind_int64(echo_, 1, v);
        } else if constexpr (std::is_same_v<T, double>) {
          return sqlite3_bind_double(echo_, 1, v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return sqlite3_bind_text64(echo_, 1, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
        } else {
          if (v.bytes.empty()) return sqlite3_bind_zeroblob(echo_, 1, 0);
          return sqlite3_bind_blob64(echo_, 1, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
        }
      },
      value);
  if (rc != SQLITE_OK || sqlite3_step(echo_) != SQLITE_ROW) {
    const std::string message = sqlite3_errmsg(db_);
    Reset();
    throw std::runtime_error("value rendering: the scratch statement failed: " + message);
  }
}

void ValueRenderer::Reset() {
  sqlite3_reset(echo_);
  sqlite3_clear_bindings(echo_);
}

std::string ValueRenderer::Render(char type, const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) return "NULL";
  char buffer[64];
  if (type == 'I') {
    int64_t integer = 0;
    if (const int64_t* direct = std::get_if<int64_t>(&value)) {
      integer = *direct;
    } else {
      Load(value);
      integer = sqlite3_column_int64(echo_, 0);
      Reset();
    }
    sqlite3_snprintf(sizeof(buffer), buffer, "%lld", static_cast<long long>(integer));
    return buffer;
  }
  if (type == 'R') {
    double real = 0;
    if (const double* direct = std::get_if<double>(&value)) {
      real = *direct;
    } else {
      Load(value);
      real = sqlite3_column_double(echo_, 0);
      Reset();
    }
    sqlite3_snprintf(sizeof(buffer), buffer, "%.3f", real);
    return buffer;
  }
  if (const std::string* direct = std::get_if<std::string>(&value)) return RenderText(*direct);
  Load(value);
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(echo_, 0));
  const int bytes = sqlite3_column_bytes(echo_, 0);
  std::string rendered = RenderText(std::string_view(text != nullptr ? text : "", static_cast<size_t>(bytes)));
  Reset();
  return rendered;
}

std::string RenderText(std::string_view text) {
  if (text.empty()) return "(empty)";
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < ' ' || byte > '~') c = '@';
  }
  return out;
}

std::vector<std::string> RenderResult(ValueRenderer& renderer, std::string_view types, const std::vector<Row>& rows,
                                      SortMode sort) {
  std::vector<std::vector<std::string>> rendered;
  rendered.reserve(rows.size());
  for (const Row& row : rows) {
    std::vector<std::string> line;
    line.reserve(row.size());
    for (size_t c = 0; c < row.size(); ++c) line.push_back(renderer.Render(c < types.size() ? types[c] : 'T', row[c]));
    rendered.push_back(std::move(line));
  }
  // std::string compares bytes as unsigned char, exactly as strcmp does on these NUL-free strings.
  if (sort == SortMode::kRowSort) std::stable_sort(rendered.begin(), rendered.end());
  std::vector<std::string> values;
  for (auto& line : rendered) {
    for (auto& value : line) values.push_back(std::move(value));
  }
  if (sort == SortMode::kValueSort) std::sort(values.begin(), values.end());
  return values;
}

bool ShouldHash(size_t value_count, uint64_t threshold) { return threshold > 0 && value_count > threshold; }

std::string HashLine(const std::vector<std::string>& values) {
  Md5 md5;
  for (const std::string& value : values) {
    md5.Update(value);
    md5.Update("\n");
  }
  return std::to_string(values.size()) + " values hashing to " + md5.FinishHex();
}

}  // namespace stablevfs::slt
