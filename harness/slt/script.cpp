#include "harness/slt/script.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace stablevfs::slt {
namespace {

// One line of the file with its 1-based number; comment lines are already gone.
struct Line {
  int number = 0;
  std::string_view text;
};

bool IsBlank(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

// The whitespace-separated words of a command line, up to a '#' that starts a trailing comment.
std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= text.size() || text[i] == '#') break;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    words.push_back(text.substr(start, i - start));
  }
  return words;
}

std::string JoinLines(const std::vector<Line>& lines, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) {
    if (i > from) out += '\n';
    out += lines[i].text;
  }
  return out;
}

bool ParseCount(std::string_view word, uint64_t* out) {
  if (word.empty() || word.size() > 19) return false;
  uint64_t value = 0;
  for (char c : word) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = value;
  return true;
}

class Parser {
 public:
  Parser(std::string_view text, std::string file) : text_(text) { script_.file = std::move(file); }

  Script Run() {
    std::vector<Line> block;
    int number = 0;
    size_t position = 0;
    while (position < text_.size()) {
      size_t end = text_.find('\n', position);
      if (end == std::string_view::npos) end = text_.size();
      std::string_view text = text_.substr(position, end - position);
      position = end + 1;
      ++number;
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      if (!text.empty() && text.front() == '#') continue;  // removed by the "preprocessor"
      if (IsBlank(text)) {
        if (!block.empty()) Record(block);
        block.clear();
        continue;
      }
      block.push_back({number, text});
    }
    if (!block.empty()) Record(block);
    return std::move(script_);
  }

 private:
  [[noreturn]] void Fail(int line, const std::string& message) { throw ParseError(script_.file, line, message); }

  void Record(const std::vector<Line>& block) {
    slt::Record record;
    size_t i = 0;
    // Leading conditions.
    for (; i < block.size(); ++i) {
      const std::vector<std::string_view> words = Words(block[i].text);
      if (words.empty() || (words[0] != "skipif" && words[0] != "onlyif")) break;
      if (words.size() != 2) Fail(block[i].number, "'" + std::string(words[0]) + "' needs exactly one engine name");
      record.conditions.push_back({words[0] == "onlyif", std::string(words[1])});
    }
    if (i == block.size()) Fail(block.back().number, "a skipif/onlyif condition must be followed by a record");
    const Line& command = block[i];
    record.line = command.number;
    const std::vector<std::string_view> words = Words(command.text);
    if (words.empty()) Fail(command.number, "expected a record type, found only a comment");
    const std::string_view kind = words[0];
    if (kind == "statement") {
      Statement(words, block, i, &record);
    } else if (kind == "query") {
      Query(words, block, i, &record);
    } else if (kind == "hash-threshold") {
      record.kind = RecordKind::kHashThreshold;
      if (words.size() != 2 || !ParseCount(words[1], &record.hash_threshold)) {
        Fail(command.number, "expected 'hash-threshold <N>' with N a whole number");
      }
      ExpectEnd(block, i + 1, "hash-threshold");
    } else if (kind == "halt") {
      record.kind = RecordKind::kHalt;
      if (words.size() != 1) Fail(command.number, "'halt' takes no arguments");
      ExpectEnd(block, i + 1, "halt");
    } else {
      Fail(command.number, "unknown record type '" + std::string(kind) +
                               "' (expected statement, query, hash-threshold, halt, skipif or onlyif)");
    }
    script_.records.push_back(std::move(record));
  }

  void ExpectEnd(const std::vector<Line>& block, size_t next, std::string_view what) {
    if (next < block.size()) {
      Fail(block[next].number, "unexpected text after '" + std::string(what) +
                                   "'; a blank line must separate it from the next record");
    }
  }

  void Statement(const std::vector<std::string_view>& words, const std::vector<Line>& block, size_t i,
                 slt::Record* record) {
    const int line = block[i].number;
    record->kind = RecordKind::kStatement;
    // Other dialects append an expected error text to "statement error"; sqllogictest ignores it too.
    if (words.size() < 2 || (words[1] != "ok" && words[1] != "error")) {
      Fail(line, "expected 'statement ok' or 'statement error'");
    }
    if (words[1] == "ok" && words.size() != 2) Fail(line, "'statement ok' takes no further arguments");
    record->expect_error = words[1] == "error";
    if (i + 1 >= block.size()) Fail(line, "the statement has no SQL");
    record->sql_line = block[i + 1].number;
    record->sql = JoinLines(block, i + 1, block.size());
  }

  void Query(const std::vector<std::string_view>& words, const std::vector<Line>& block, size_t i,
             slt::Record* record) {
    const int line = block[i].number;
    record->kind = RecordKind::kQuery;
    if (words.size() < 2 || words.size() > 4) {
      Fail(line, "expected 'query <types> [nosort|rowsort|valuesort] [label]'");
    }
    for (char c : words[1]) {
      if (c != 'I' && c != 'R' && c != 'T') {
        Fail(line, "query type string '" + std::string(words[1]) + "' may hold only I, R and T");
      }
    }
    record->types = std::string(words[1]);
    if (words.size() >= 3) {
      if (words[2] == "nosort") {
        record->sort = SortMode::kNoSort;
      } else if (words[2] == "rowsort") {
        record->sort = SortMode::kRowSort;
      } else if (words[2] == "valuesort") {
        record->sort = SortMode::kValueSort;
      } else {
        Fail(line, "unknown sort mode '" + std::string(words[2]) + "' (expected nosort, rowsort or valuesort)");
      }
    }
    if (words.size() == 4) record->label = std::string(words[3]);
    size_t separator = i + 1;
    while (separator < block.size() && block[separator].text != "----") ++separator;
    if (separator == i + 1) Fail(line, "the query has no SQL");
    record->sql_line = block[i + 1].number;
    record->sql = JoinLines(block, i + 1, separator);
    if (separator < block.size()) {
      record->has_results = true;
      for (size_t r = separator + 1; r < block.size(); ++r) record->expected.emplace_back(block[r].text);
    }
  }

  std::string_view text_;
  Script script_;
};

}  // namespace

std::string_view SortModeName(SortMode mode) {
  switch (mode) {
    case SortMode::kNoSort: return "nosort";
    case SortMode::kRowSort: return "rowsort";
    case SortMode::kValueSort: return "valuesort";
  }
  return "?";
}

size_t Script::statement_count() const {
  size_t n = 0;
  for (const Record& r : records) n += r.kind == RecordKind::kStatement ? 1 : 0;
  return n;
}

size_t Script::query_count() const {
  size_t n = 0;
  for (const Record& r : records) n += r.kind == RecordKind::kQuery ? 1 : 0;
  return n;
}

ParseError::ParseError(std::string file, int line, const std::string& message)
    : std::runtime_error(file + ":" + std::to_string(line) + ": " + message), file_(std::move(file)), line_(line) {}

Script ParseScript(std::string_view text, std::string file) { return Parser(text, std::move(file)).Run(); }

Script LoadScript(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw ParseError(path, 0, std::filesystem::exists(path, error) ? "not a regular file" : "no such file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ParseError(path, 0, "cannot open the file");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw ParseError(path, 0, "cannot read the file");
  return ParseScript(content.str(), path);
}

bool RunsOn(const Record& record, std::string_view engine) {
  for (const Condition& c : record.conditions) {
    if (c.only_if ? c.engine != engine : c.engine == engine) return false;
  }
  return true;
}

}  // namespace stablevfs::slt
