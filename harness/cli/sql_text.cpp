#include "harness/cli/sql_text.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "harness/cli/args.h"

namespace stablevfs::cli {
namespace {

// The offset of the first character of `text` that is not a blank, a ';' or inside a comment; text.size()
// when there is none. An unterminated /* comment runs to the end, as SQLite reads it.
size_t FirstTokenOffset(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == ';') {
      ++i;
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      const size_t end = text.find('\n', i);
      i = end == std::string_view::npos ? text.size() : end + 1;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const size_t end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 2;
    } else {
      return i;
    }
  }
  return text.size();
}

}  // namespace

bool OnlyTrivia(std::string_view text) { return FirstTokenOffset(text) == text.size(); }

std::string FirstKeyword(std::string_view text) {
  size_t i = FirstTokenOffset(text);
  std::string word;
  while (i < text.size() && (std::isalpha(static_cast<unsigned char>(text[i])) != 0 || text[i] == '_')) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
    ++i;
  }
  return word;
}

std::vector<SqlStatement> SplitStatements(std::string_view text, const std::string& source) {
  // SQLite reads SQL as a C string: a NUL byte ends the statement there and the rest would be dropped silently.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    const size_t newline = text.rfind('\n', nul);
    const size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
    const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n'));
    throw UsageError(source + ": byte offset " + std::to_string(nul) + " (line " + std::to_string(line) + ", column " +
                     std::to_string(nul - line_start + 1) +
                     "): a NUL byte in the SQL; SQLite would stop reading there and silently drop the rest, so "
                     "remove it (nothing was run)");
  }
  std::vector<SqlStatement> out;
  uint64_t line = 1;         // the line at `counted`
  size_t counted = 0;        // text[0, counted) has been scanned for newlines
  auto emit = [&](size_t start, size_t end) {
    const std::string_view piece = text.substr(start, end - start);
    const size_t token = FirstTokenOffset(piece);
    if (token == piece.size()) return;  // blanks and comments only
    for (; counted < start + token; ++counted) line += text[counted] == '\n' ? 1 : 0;
    std::string statement(piece.substr(token));
    while (!statement.empty() && std::isspace(static_cast<unsigned char>(statement.back())) != 0) statement.pop_back();
    out.push_back(SqlStatement{std::move(statement), source, line});
  };
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != ';') continue;
    const std::string candidate(text.substr(start, i + 1 - start));
    if (sqlite3_complete(candidate.c_str()) == 0) continue;  // the ';' is inside a string, comment or trigger
    emit(start, i + 1);
    start = i + 1;
  }
  if (start < text.size()) emit(start, text.size());
  return out;
}

std::string FormatValue(const Value& value, const std::string& null_text) {
  switch (value.index()) {
    case 0: return null_text;
    case 1: return std::to_string(std::get<int64_t>(value));
    case 2: {
      // sqlite3's own rendering ("%!.15g": 0.3, 1.0e+20), so results read the same as in the shell.
      char text[64];
      sqlite3_snprintf(sizeof text, text, "%!.15g", std::get<double>(value));
      return text;
    }
    case 3: return std::get<std::string>(value);
    default: {
      static constexpr char kDigits[] = "0123456789abcdef";
      std::string out = "x'";
      for (const uint8_t b : std::get<Blob>(value).bytes) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
      }
      return out + "'";
    }
  }
}

std::string FormatRows(const Rows& rows, OutputMode mode, const std::string& null_text) {
  if (rows.rows.empty()) return "";
  std::vector<std::vector<std::string>> cells;
  cells.push_back(rows.columns);
  for (const Row& row : rows.rows) {
    std::vector<std::string> line;
    for (const Value& value : row) line.push_back(FormatValue(value, null_text));
    cells.push_back(std::move(line));
  }
  std::string out;
  if (mode == OutputMode::kList) {
    for (const auto& line : cells) {
      for (size_t i = 0; i < line.size(); ++i) out += (i == 0 ? "" : "|") + line[i];
      out += "\n";
    }
    return out;
  }
  std::vector<size_t> widths(rows.columns.size(), 0);
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  auto emit = [&](const std::vector<std::string>& line) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      if (i > 0) text += "  ";
      text += line[i];
      if (i + 1 < line.size() && i < widths.size()) text += std::string(widths[i] - line[i].size(), ' ');
    }
    // A short or empty last value would leave the padding of the separator behind.
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  emit(cells[0]);
  std::vector<std::string> rule;
  for (const size_t width : widths) rule.push_back(std::string(std::max<size_t>(width, 1), '-'));
  emit(rule);
  for (size_t r = 1; r < cells.size(); ++r) emit(cells[r]);
  return out;
}

}  // namespace stablevfs::cli
