// Script: a sqllogictest file, parsed into records.
//
// The format (sqlite.org's sqllogictest, ../shared/corpora/sqllogictest/about.wiki): records are separated by
// blank lines; a line starting with '#' is a comment and is removed before anything else looks at the text (so
// it neither separates records nor reaches the SQL). A record is
//   statement ok|error            then the SQL on the following lines
//   query <types> [nosort|rowsort|valuesort] [label]
//                                 then the SQL, optionally a line "----" and the expected values, one per line
//   hash-threshold <N>            results of more than N values are given as "N values hashing to <md5>"
//   halt                          ignore the rest of the file
// optionally preceded by "skipif <engine>" / "onlyif <engine>" lines that guard it. On the command lines
// (conditions, statement, query) a '#' starts a trailing comment, as the corpus writes "onlyif sqlite # why".
// Line ends may be LF or CRLF.
//
// Guarantees: a file is accepted whole or rejected with a ParseError naming file:line and what was expected;
// every record keeps the 1-based line of its command line and of its first SQL line, so a report can point
// into the file.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace stablevfs::slt {

enum class RecordKind : uint8_t { kStatement, kQuery, kHashThreshold, kHalt };
enum class SortMode : uint8_t { kNoSort, kRowSort, kValueSort };

// "nosort", "rowsort", "valuesort".
std::string_view SortModeName(SortMode mode);

// One skipif/onlyif line.
struct Condition {
  bool only_if = false;  // onlyif (run only on `engine`) rather than skipif (skip on `engine`)
  std::string engine;
  bool operator==(const Condition&) const = default;
};

struct Record {
  RecordKind kind = RecordKind::kStatement;
  int line = 0;      // 1-based line of the command line ("statement ok", "query ...", "halt", ...)
  int sql_line = 0;  // 1-based line of the first SQL line (statements and queries)
  std::vector<Condition> conditions;

  // Statements and queries: the SQL, its lines joined by '\n', comment lines removed.
  std::string sql;
  // Statements: "statement error" rather than "statement ok".
  bool expect_error = false;

  // Queries.
  std::string types;  // one of I, R, T per column
  SortMode sort = SortMode::kNoSort;
  std::string label;  // "" when none
  bool has_results = false;           // a "----" line was present
  std::vector<std::string> expected;  // the lines after "----"

  // hash-threshold.
  uint64_t hash_threshold = 0;

  bool operator==(const Record&) const = default;
};

struct Script {
  std::string file;  // as given to the parser; reports name it
  std::vector<Record> records;

  // Statement and query records (the records sqllogictest counts), whether or not they will run.
  size_t statement_count() const;
  size_t query_count() const;
};

// A file the parser rejected.
class ParseError : public std::runtime_error {
 public:
  // what(): "<file>:<line>: <message>".
  ParseError(std::string file, int line, const std::string& message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }

 private:
  std::string file_;
  int line_;
};

// Parses the text of a sqllogictest file. `file` only names it in errors and reports. Throws ParseError.
Script ParseScript(std::string_view text, std::string file);

// Reads and parses the file at `path`. Throws ParseError (line 0 when the file cannot be read).
Script LoadScript(const std::string& path);

// Whether `record` runs on `engine` (sqllogictest's skipif/onlyif rule): not when a skipif names `engine`, nor
// when an onlyif names another engine. Engine names compare exactly, as in the reference runner.
bool RunsOn(const Record& record, std::string_view engine);

}  // namespace stablevfs::slt
