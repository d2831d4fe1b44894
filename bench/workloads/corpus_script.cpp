#include "bench/workloads/corpus_script.h"

#include <sqlite3.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace stablevfs::bench {
namespace {

// Skips whitespace, `-- ...` line comments and `/* ... */` block comments from `pos`.
size_t SkipBlank(std::string_view text, size_t pos) {
  while (pos < text.size()) {
    const char c = text[pos];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++pos;
    } else if (text.substr(pos, 2) == "--") {
      const size_t end = text.find('\n', pos);
      pos = end == std::string_view::npos ? text.size() : end + 1;
    } else if (text.substr(pos, 2) == "/*") {
      const size_t end = text.find("*/", pos + 2);
      pos = end == std::string_view::npos ? text.size() : end + 2;
    } else {
      break;
    }
  }
  return pos;
}

// Reads the next word (letters, digits, '_') at `pos`, upper-cased, and advances `pos` past it and the
// blanks after it.
std::string NextWord(std::string_view text, size_t& pos) {
  pos = SkipBlank(text, pos);
  std::string word;
  while (pos < text.size() && (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_')) {
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(text[pos]))));
    ++pos;
  }
  return word;
}

}  // namespace

std::vector<std::string> SplitSqlStatements(std::string_view script) {
  std::vector<std::string> statements;
  std::string current;
  size_t start = 0;
  while (start < script.size()) {
    const size_t semicolon = script.find(';', start);
    if (semicolon == std::string_view::npos) {
      current.append(script.substr(start));
      break;
    }
    current.append(script.substr(start, semicolon + 1 - start));
    start = semicolon + 1;
    // A ';' inside a string literal or a comment does not end the statement; sqlite3_complete knows the
    // tokenizer's rules (including CREATE TRIGGER bodies).
    if (sqlite3_complete(current.c_str())) {
      statements.push_back(std::move(current));
      current.clear();
    }
  }
  if (SkipBlank(current, 0) < current.size()) statements.push_back(std::move(current));
  return statements;
}

bool IsTableDdl(std::string_view statement) {
  size_t pos = 0;
  const std::string first = NextWord(statement, pos);
  if (first != "CREATE" && first != "DROP") return false;
  std::string second = NextWord(statement, pos);
  if (first == "CREATE" && (second == "TEMP" || second == "TEMPORARY")) second = NextWord(statement, pos);
  return second == "TABLE";
}

Result<std::string> LoadCorpusScript(const std::filesystem::path& corpora_dir, const CorpusScriptSpec& spec) {
  const std::filesystem::path path = corpora_dir / spec.relative_path;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read corpus script " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::InvalidArgument("error reading corpus script " + path.string());
  if (!spec.hoist_table_ddl) return text.str();

  std::string tables;
  std::string rest;
  for (std::string& statement : SplitSqlStatements(text.str())) {
    std::string& target = IsTableDdl(statement) ? tables : rest;
    target.append(statement);
    target.push_back('\n');
  }
  return "PRAGMA defer_foreign_keys=ON;\n" + tables + rest;
}

}  // namespace stablevfs::bench
