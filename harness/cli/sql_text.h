// SQL text for `stablevfs sql`: splitting a script into statements the way the sqlite3 shell does, and
// rendering result rows the way `sqlite3 -header -column` (or `-header -list`) prints them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/db/value.h"

namespace stablevfs::cli {

// One statement of a script, with where it came from.
struct SqlStatement {
  std::string text;    // the statement, up to and including its ';' when it has one
  std::string source;  // "argument 2" or "stdin"
  uint64_t line = 1;   // 1-based line of the statement's first token within its source
};

// Splits `text` into statements: a statement ends at a ';' after which sqlite3_complete() says the text so far
// is complete (so ';' inside strings, comments and CREATE TRIGGER bodies does not split). A trailing statement
// without ';' is kept, as the shell runs it at end of input. Pieces holding only blanks and comments are
// dropped. `source` names the text in each statement. Throws UsageError naming `source`, the byte offset, line
// and column when `text` holds a NUL byte (SQLite would end the statement there and drop the rest unseen).
std::vector<SqlStatement> SplitStatements(std::string_view text, const std::string& source);

// True iff `text` holds nothing but blanks, ';' and comments (-- to end of line, /* ... */).
bool OnlyTrivia(std::string_view text);

// The statement's first keyword in upper case ("SELECT", "BEGIN"), or "" when it does not start with one.
std::string FirstKeyword(std::string_view text);

// How result rows are printed.
enum class OutputMode : uint8_t {
  kColumn,  // like sqlite3 -header -column: left-aligned columns two blanks apart, a dashed rule under the header
  kList,    // like sqlite3 -header -list: values separated by '|'
};

// A value as the shell shows it: NULL as `null_text`, integers in decimal, reals with "%!.15g" (sqlite3's
// format), text as is, blobs as an SQL hex literal x'0a0b' (the shell would print the raw bytes).
std::string FormatValue(const Value& value, const std::string& null_text);

// A header line, (in column mode) a rule, and one line per row; "" when there are no rows (as the shell).
std::string FormatRows(const Rows& rows, OutputMode mode, const std::string& null_text);

}  // namespace stablevfs::cli
