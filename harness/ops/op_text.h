// Op text: the one-line spelling of every Op (the grammar is in docs/scenario-format.md and op.h), its
// printer and its parser.
//
// Guarantees:
//  - ParseOp(PrintOp(op)) == op for every canonical op (one the parser or the generator produced; see
//    PrintOp for the exact conditions).
//  - A rejection names the 1-based byte column of the offending token and says what was expected, e.g.
//    `unknown operation 'updat' (expected one of update, query, ...)`. The scenario parser prefixes the file
//    and line.
//  - Printing is byte-for-byte deterministic: no locale, no floating point.
//
// Lines: PrintOp and ParseOp work on *logical* lines, in which a newline character is part of the content
// (only a hand-written SQL string needs one). A file stores a logical line as physical lines: a physical
// line ending in a backslash continues on the next one, and the backslash stands for a newline
// (ToPhysicalLines / the scenario reader).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "harness/ops/op.h"

namespace stablevfs::fp {
class Catalogue;
}  // namespace stablevfs::fp

namespace stablevfs::ops {

// Why a piece of text was rejected. `column` is 1-based, in bytes, within the text handed to the parser.
struct TextError {
  size_t column = 1;
  std::string message;

  bool operator==(const TextError&) const = default;
};

// A parsed value or the reason there is none.
template <class T>
class Parsed {
 public:
  Parsed(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor): return a T
  Parsed(TextError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor): return an error

  bool ok() const { return v_.index() == 0; }
  // REQUIRES: ok().
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  // REQUIRES: !ok().
  const TextError& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, TextError> v_;
};

// The op's logical line, without a trailing newline. A newline inside SQL, a key or a text value is printed
// as is (ToPhysicalLines encodes it for a file).
// REQUIRES (canonical op; the parser and the generator only produce these):
//  - update: at least one statement; each statement's sql is non-empty, has no leading or trailing
//    whitespace, and is exactly one statement as sqlite3_complete splits (no top-level ';').
//  - query and migration sql: no leading or trailing whitespace (query: non-empty). Migration sql contains no
//    top-level '|' followed by "<digits>:" (it would read as the next migration; it is never valid SQL).
//  - arm spec: no leading or trailing whitespace.
//  - checksum-chunk / capacity / budget numbers as their struct comments say.
std::string PrintOp(const Op& op);

// Parses one logical line (leading and trailing whitespace ignored) into an op. An arm spec is checked with
// fp::ParseSpec; when `catalogue` is given, its failpoint names and actions are checked against it too.
Parsed<Op> ParseOp(std::string_view line, const fp::Catalogue* catalogue = nullptr);

// Splits SQL text into statements the way the sqlite3 shell does: at each ';' that ends a complete statement
// according to sqlite3_complete (so ';' inside quotes, comments and CREATE TRIGGER bodies does not split).
// Each statement is trimmed and has no trailing ';'; empty statements are dropped. A leading '?' (after
// whitespace) marks a statement that may fail; it is removed from the sql. On a '?' with nothing after it,
// returns an error whose column is 1-based within `sql`.
Parsed<std::vector<Statement>> SplitStatements(std::string_view sql);

// Encodes a logical line for a line-oriented file: each newline becomes backslash + newline, and a line that
// would end in a backslash gets one trailing space (ParseOp ignores it), so that reading it back cannot
// mistake the backslash for a continuation.
std::string ToPhysicalLines(std::string_view logical_line);

// Formats a key or a kv value the way PrintOp does (used by the generator's diagnostics and the docs tests).
std::string FormatKey(std::string_view key);
std::string FormatValue(const ValueSpec& value);

}  // namespace stablevfs::ops
