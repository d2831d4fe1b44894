#include "harness/ops/op_text.h"

#include <sqlite3.h>

#include <charconv>
#include <limits>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

#include "failpoints/spec.h"

namespace stablevfs::ops {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

// A cursor over one logical line that remembers where it is, so every error carries a column.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }
  size_t pos() const { return pos_; }
  size_t column() const { return pos_ + 1; }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  std::string_view rest() const { return text_.substr(pos_); }
  void advance(size_t n = 1) { pos_ += n; }
  void seek(size_t pos) { pos_ = pos; }

  void SkipBlanks() {
    while (!done() && IsBlank(text_[pos_])) ++pos_;
  }
  // The run of non-blank characters at the cursor (not consumed).
  std::string_view PeekWord() const {
    size_t end = pos_;
    while (end < text_.size() && !IsBlank(text_[end])) ++end;
    return text_.substr(pos_, end - pos_);
  }
  std::string_view TakeWord() {
    std::string_view word = PeekWord();
    pos_ += word.size();
    return word;
  }
  bool Consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  TextError Error(std::string message) const { return TextError{column(), std::move(message)}; }
  TextError ErrorAt(size_t pos, std::string message) const { return TextError{pos + 1, std::move(message)}; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// Quotes a token for an error message, shortened so a 300 KB line does not become a 300 KB message.
std::string Quoted(std::string_view token) {
  constexpr size_t kShownMax = 40;
  if (token.size() > kShownMax) return "'" + std::string(token.substr(0, kShownMax)) + "...'";
  return "'" + std::string(token) + "'";
}

std::string ExpectedKeywords() {
  std::string out;
  for (int i = 0; i < kOpKindCount; ++i) {
    if (i > 0) out += ", ";
    out += OpKindName(static_cast<OpKind>(i));
  }
  return out;
}

// Decimal digits only; false on no digits or overflow. Consumes the digits on success.
bool ParseU64(Cursor& cur, uint64_t* out) {
  const std::string_view rest = cur.rest();
  size_t n = 0;
  while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
  if (n == 0) return false;
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + n, value);
  if (ec != std::errc() || ptr != rest.data() + n) return false;
  *out = value;
  cur.advance(n);
  return true;
}

// Reads a number that must be a whole word (followed by a blank or the end of the line).
Parsed<uint64_t> ParseNumberWord(Cursor& cur, std::string_view what) {
  const size_t start = cur.pos();
  const std::string_view word = cur.PeekWord();
  uint64_t value = 0;
  if (word.empty()) return cur.Error("expected " + std::string(what));
  if (!ParseU64(cur, &value) || cur.pos() != start + word.size()) {
    return cur.ErrorAt(start, "expected " + std::string(what) + ", got " + Quoted(word) +
                                  (word.find_first_not_of("0123456789") == std::string_view::npos
                                       ? " (out of range)"
                                       : ""));
  }
  return value;
}

// After the last argument only blanks may follow.
std::optional<TextError> ExpectEnd(Cursor& cur, std::string_view after) {
  cur.SkipBlanks();
  if (cur.done()) return std::nullopt;
  return cur.Error("unexpected " + Quoted(cur.PeekWord()) + " after " + std::string(after));
}

// A SQL-style quoted string starting at the cursor ('' stands for '). The cursor is on the opening quote.
Parsed<std::string> ParseQuoted(Cursor& cur, std::string_view what) {
  const size_t start = cur.pos();
  cur.advance();  // opening quote
  std::string out;
  while (!cur.done()) {
    const char c = cur.peek();
    cur.advance();
    if (c == '\'') {
      if (cur.peek() == '\'') {
        out += '\'';
        cur.advance();
        continue;
      }
      return out;
    }
    out += c;
  }
  return cur.ErrorAt(start, "unterminated quoted " + std::string(what) + " (a quote inside is written '')");
}

std::string QuoteSql(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  out += '\'';
  return out;
}

Parsed<std::string> ParseKey(Cursor& cur) {
  if (cur.done()) return cur.Error("expected a key");
  if (cur.peek() == '\'') return ParseQuoted(cur, "key");
  return std::string(cur.TakeWord());
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// fill(<size>,<byte>) / pattern(<size>,<seed>): the cursor is just after the '('.
Parsed<std::pair<uint64_t, uint64_t>> ParseTwoNumbers(Cursor& cur, std::string_view name,
                                                      std::string_view second) {
  const std::string usage = std::string(name) + "(<size>," + std::string(second) + ")";
  std::pair<uint64_t, uint64_t> out;
  cur.SkipBlanks();
  if (!ParseU64(cur, &out.first)) return cur.Error("expected a size in bytes in " + usage);
  cur.SkipBlanks();
  if (!cur.Consume(',')) return cur.Error("expected ',' in " + usage);
  cur.SkipBlanks();
  if (!ParseU64(cur, &out.second)) return cur.Error("expected " + std::string(second) + " in " + usage);
  cur.SkipBlanks();
  if (!cur.Consume(')')) return cur.Error("expected ')' to close " + usage);
  return out;
}

Parsed<ValueSpec> ParseValue(Cursor& cur) {
  static constexpr std::string_view kForms =
      "x'<hex>', '<text>', fill(<size>,<byte>) or pattern(<size>,<seed>)";
  const size_t start = cur.pos();
  if (cur.done()) return cur.Error("expected a value: " + std::string(kForms));
  const std::string_view rest = cur.rest();
  ValueSpec value;
  if ((rest[0] == 'x' || rest[0] == 'X') && rest.size() > 1 && rest[1] == '\'') {
    cur.advance(2);
    std::string bytes;
    for (;;) {
      if (cur.done()) return cur.ErrorAt(start, "unterminated hex value (expected x'<hex digits>')");
      if (cur.peek() == '\'') break;
      const size_t digit_pos = cur.pos();
      const int hi = HexDigit(cur.peek());
      if (hi < 0) return cur.Error("bad hex digit " + Quoted(std::string(1, cur.peek())));
      cur.advance();
      if (cur.done() || cur.peek() == '\'') return cur.ErrorAt(digit_pos, "odd number of hex digits");
      const int lo = HexDigit(cur.peek());
      if (lo < 0) return cur.Error("bad hex digit " + Quoted(std::string(1, cur.peek())));
      cur.advance();
      bytes += static_cast<char>(hi * 16 + lo);
    }
    cur.advance();  // closing quote
    value = ValueSpec::Hex(std::move(bytes));
  } else if (rest[0] == '\'') {
    Parsed<std::string> text = ParseQuoted(cur, "text value");
    if (!text.ok()) return text.error();
    value = ValueSpec::Text(std::move(text).value());
  } else if (rest.starts_with("fill(")) {
    cur.advance(5);
    auto numbers = ParseTwoNumbers(cur, "fill", "<byte>");
    if (!numbers.ok()) return numbers.error();
    if (numbers.value().second > 255) return cur.ErrorAt(start, "fill byte must be 0..255");
    if (numbers.value().first > kValueSizeMaxBytes) {
      return cur.ErrorAt(start, "value size " + std::to_string(numbers.value().first) + " exceeds the limit of " +
                                    std::to_string(kValueSizeMaxBytes) + " bytes");
    }
    value = ValueSpec::Fill(numbers.value().first, static_cast<uint8_t>(numbers.value().second));
  } else if (rest.starts_with("pattern(")) {
    cur.advance(8);
    auto numbers = ParseTwoNumbers(cur, "pattern", "<seed>");
    if (!numbers.ok()) return numbers.error();
    if (numbers.value().first > kValueSizeMaxBytes) {
      return cur.ErrorAt(start, "value size " + std::to_string(numbers.value().first) + " exceeds the limit of " +
                                    std::to_string(kValueSizeMaxBytes) + " bytes");
    }
    value = ValueSpec::Pattern(numbers.value().first, numbers.value().second);
  } else {
    return cur.Error("expected a value: " + std::string(kForms) + ", got " + Quoted(cur.PeekWord()));
  }
  if (value.size() > kValueSizeMaxBytes) {
    return cur.ErrorAt(start, "value exceeds the limit of " + std::to_string(kValueSizeMaxBytes) + " bytes");
  }
  if (!cur.done() && !IsBlank(cur.peek())) return cur.Error("expected a blank after the value");
  return value;
}

// The position of the '|' that separates the migration starting after `from` from the next one, or npos.
// The separator is a '|' outside quotes and comments, not part of '||', followed by blanks, digits and ':'.
// SQL never has that shape (a number cannot be followed by ':'), so the split is unambiguous.
size_t FindMigrationSeparator(std::string_view text, size_t from) {
  size_t i = from;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const char close = c == '[' ? ']' : c;
      const size_t end = text.find(close, i + 1);
      if (end == std::string_view::npos) return std::string_view::npos;
      i = end + 1;  // a doubled quote re-enters the string on the next iteration, which is the same thing
      continue;
    }
    if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      const size_t end = text.find('\n', i + 2);
      if (end == std::string_view::npos) return std::string_view::npos;
      i = end + 1;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const size_t end = text.find("*/", i + 2);
      if (end == std::string_view::npos) return std::string_view::npos;
      i = end + 2;
      continue;
    }
    if (c == '|') {
      if (i + 1 < text.size() && text[i + 1] == '|') {
        i += 2;  // the concatenation operator
        continue;
      }
      size_t j = i + 1;
      while (j < text.size() && IsBlank(text[j])) ++j;
      const size_t digits = j;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
      if (j > digits && j < text.size() && text[j] == ':') return i;
    }
    ++i;
  }
  return std::string_view::npos;
}

Parsed<MigrateOp> ParseMigrations(Cursor& cur) {
  MigrateOp op;
  const std::string_view text = cur.rest();
  const size_t base = cur.pos();
  if (Trim(text).empty()) return op;
  Cursor local(text);
  for (;;) {
    local.SkipBlanks();
    MigrationSpec migration;
    const size_t version_pos = local.pos();
    if (!ParseU64(local, &migration.version)) {
      TextError error = local.Error("expected a migration '<version>:<sql>', got " + Quoted(local.PeekWord()));
      error.column += base;
      return error;
    }
    // The library numbers migrations with int64 (lib/db/db.h Migration): a larger version would wrap to a
    // negative one there. 0 stays expressible: a scenario may check that the library refuses it.
    constexpr uint64_t kVersionMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (migration.version > kVersionMax) {
      TextError error = local.ErrorAt(version_pos, "migration version " + std::to_string(migration.version) +
                                                       " is too large (at most " + std::to_string(kVersionMax) + ")");
      error.column += base;
      return error;
    }
    if (!local.Consume(':')) {
      TextError error = local.Error("expected ':' after the migration version");
      error.column += base;
      return error;
    }
    const size_t separator = FindMigrationSeparator(text, local.pos());
    const size_t end = separator == std::string_view::npos ? text.size() : separator;
    migration.sql = std::string(Trim(text.substr(local.pos(), end - local.pos())));
    op.migrations.push_back(std::move(migration));
    if (separator == std::string_view::npos) break;
    local.seek(separator + 1);
  }
  return op;
}

// Maps a rejection by fp::ParseSpec ("spec column N: what") to a column of our line.
TextError SpecError(const std::string& message, size_t spec_column) {
  static constexpr std::string_view kPrefix = "spec column ";
  std::string_view view = message;
  if (view.starts_with(kPrefix)) {
    view.remove_prefix(kPrefix.size());
    size_t n = 0;
    const auto [ptr, ec] = std::from_chars(view.data(), view.data() + view.size(), n);
    const std::string_view after(ptr, view.data() + view.size() - ptr);
    if (ec == std::errc() && n >= 1 && after.starts_with(": ")) {
      return TextError{spec_column + n - 1, "bad failpoint spec: " + std::string(after.substr(2))};
    }
  }
  return TextError{spec_column, "bad failpoint spec: " + message};
}

template <class T>
Parsed<Op> Lift(Parsed<T> parsed) {
  if (!parsed.ok()) return parsed.error();
  return Op(std::move(parsed).value());
}

Parsed<Op> ParseArguments(OpKind kind, std::string_view keyword, Cursor& cur, const fp::Catalogue* catalogue) {
  const std::string after = "'" + std::string(keyword) + "'";
  switch (kind) {
    case OpKind::kUpdate: {
      const size_t start = cur.pos();
      Parsed<std::vector<Statement>> statements = SplitStatements(cur.rest());
      if (!statements.ok()) {
        TextError error = statements.error();
        error.column += start;
        return error;
      }
      if (statements.value().empty()) return cur.Error("update needs at least one SQL statement");
      return Op(UpdateOp{std::move(statements).value()});
    }
    case OpKind::kQuery: {
      const std::string_view sql = Trim(cur.rest());
      if (sql.empty()) return cur.Error("query needs a SQL statement");
      return Op(QueryOp{std::string(sql)});
    }
    case OpKind::kKvPut: {
      Parsed<std::string> key = ParseKey(cur);
      if (!key.ok()) return key.error();
      if (!cur.done() && !IsBlank(cur.peek())) return cur.Error("expected a blank after the key");
      cur.SkipBlanks();
      Parsed<ValueSpec> value = ParseValue(cur);
      if (!value.ok()) return value.error();
      if (auto error = ExpectEnd(cur, "the value")) return *error;
      return Op(KvPutOp{std::move(key).value(), std::move(value).value()});
    }
    case OpKind::kKvGet:
    case OpKind::kKvDelete: {
      Parsed<std::string> key = ParseKey(cur);
      if (!key.ok()) return key.error();
      if (auto error = ExpectEnd(cur, "the key")) return *error;
      if (kind == OpKind::kKvGet) return Op(KvGetOp{std::move(key).value()});
      return Op(KvDeleteOp{std::move(key).value()});
    }
    case OpKind::kMigrate:
      return Lift(ParseMigrations(cur));
    case OpKind::kChecksumChunk: {
      Parsed<uint64_t> max_bytes = ParseNumberWord(cur, "a chunk size in bytes");
      if (!max_bytes.ok()) return max_bytes.error();
      if (auto error = ExpectEnd(cur, "the chunk size")) return *error;
      return Op(ChecksumChunkOp{max_bytes.value()});
    }
    case OpKind::kArm: {
      const size_t start = cur.pos();
      const std::string spec(Trim(cur.rest()));
      fp::Spec parsed;
      const fp::SpecStatus status = fp::ParseSpec(spec, &parsed, catalogue);
      if (!status.ok()) return SpecError(status.message(), start + 1);
      return Op(ArmOp{spec});
    }
    case OpKind::kCapacity: {
      CapacityOp op;
      if (cur.PeekWord() == "default") {
        cur.TakeWord();
      } else {
        op.mode = CapacityOp::Mode::kAbsolute;
        if (cur.Consume('+')) op.mode = CapacityOp::Mode::kAboveCurrent;
        Parsed<uint64_t> pages = ParseNumberWord(cur, "a page count (64 KiB pages), +<pages> or default");
        if (!pages.ok()) return pages.error();
        op.pages = pages.value();
      }
      if (auto error = ExpectEnd(cur, "the capacity")) return *error;
      return Op(op);
    }
    case OpKind::kBudget: {
      BudgetOp op;
      if (cur.PeekWord() == "default") {
        cur.TakeWord();
      } else {
        Parsed<uint64_t> instructions = ParseNumberWord(cur, "an instruction count or default");
        if (!instructions.ok()) return instructions.error();
        op.is_default = false;
        op.instructions = instructions.value();
      }
      if (auto error = ExpectEnd(cur, "the budget")) return *error;
      return Op(op);
    }
    case OpKind::kIntegrityCheck:
    case OpKind::kChecksum:
    case OpKind::kExportImport:
    case OpKind::kImportBadChecksum:
    case OpKind::kImportCancel:
    case OpKind::kCompact:
    case OpKind::kUpgrade: {
      if (auto error = ExpectEnd(cur, after + " (it takes no arguments)")) return *error;
      switch (kind) {
        case OpKind::kIntegrityCheck: return Op(IntegrityCheckOp{});
        case OpKind::kChecksum: return Op(ChecksumOp{});
        case OpKind::kExportImport: return Op(ExportImportOp{});
        case OpKind::kImportBadChecksum: return Op(ImportBadChecksumOp{});
        case OpKind::kImportCancel: return Op(ImportCancelOp{});
        case OpKind::kCompact: return Op(CompactOp{});
        default: return Op(UpgradeOp{});
      }
    }
  }
  return cur.Error("internal: unhandled operation kind");
}

}  // namespace

std::string FormatKey(std::string_view key) {
  bool bare = !key.empty() && key.front() != '\'' && key.back() != '\\';
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) bare = false;
  }
  return bare ? std::string(key) : QuoteSql(key);
}

std::string FormatValue(const ValueSpec& value) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  switch (value.kind) {
    case ValueSpec::Kind::kHex: {
      std::string out = "x'";
      for (char c : value.literal) {
        const auto u = static_cast<unsigned char>(c);
        out += kHexDigits[u >> 4];
        out += kHexDigits[u & 15];
      }
      out += '\'';
      return out;
    }
    case ValueSpec::Kind::kText:
      return QuoteSql(value.literal);
    case ValueSpec::Kind::kFill:
      return "fill(" + std::to_string(value.size_bytes) + "," + std::to_string(value.fill_byte) + ")";
    case ValueSpec::Kind::kPattern:
      return "pattern(" + std::to_string(value.size_bytes) + "," + std::to_string(value.seed) + ")";
  }
  return {};
}

std::string PrintOp(const Op& op) {
  std::string out(OpKindName(KindOf(op)));
  std::visit(
      [&out](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, UpdateOp>) {
          assert(!o.statements.empty());
          for (size_t i = 0; i < o.statements.size(); ++i) {
            assert(!o.statements[i].sql.empty());
            if (i > 0) {
              // A statement that ends inside a '--' comment lost the newline that ended the comment when it
              // was trimmed; put it back, or the ';' after it would be part of the comment.
              const std::string terminated = o.statements[i - 1].sql + ";";
              out += sqlite3_complete(terminated.c_str()) != 0 ? "; " : "\n; ";
            } else {
              out += ' ';
            }
            if (o.statements[i].may_fail) out += '?';
            out += o.statements[i].sql;
          }
        } else if constexpr (std::is_same_v<T, QueryOp>) {
          out += ' ';
          out += o.sql;
        } else if constexpr (std::is_same_v<T, KvPutOp>) {
          out += ' ';
          out += FormatKey(o.key);
          out += ' ';
          out += FormatValue(o.value);
        } else if constexpr (std::is_same_v<T, KvGetOp> || std::is_same_v<T, KvDeleteOp>) {
          out += ' ';
          out += FormatKey(o.key);
        } else if constexpr (std::is_same_v<T, MigrateOp>) {
          for (size_t i = 0; i < o.migrations.size(); ++i) {
            out += i == 0 ? " " : " | ";
            out += std::to_string(o.migrations[i].version);
            out += ':';
            out += o.migrations[i].sql;
          }
        } else if constexpr (std::is_same_v<T, ChecksumChunkOp>) {
          out += ' ';
          out += std::to_string(o.max_bytes);
        } else if constexpr (std::is_same_v<T, ArmOp>) {
          if (!o.spec.empty()) {
            out += ' ';
            out += o.spec;
          }
        } else if constexpr (std::is_same_v<T, CapacityOp>) {
          switch (o.mode) {
            case CapacityOp::Mode::kDefault: out += " default"; break;
            case CapacityOp::Mode::kAbsolute: out += " " + std::to_string(o.pages); break;
            case CapacityOp::Mode::kAboveCurrent: out += " +" + std::to_string(o.pages); break;
          }
        } else if constexpr (std::is_same_v<T, BudgetOp>) {
          out += o.is_default ? std::string(" default") : " " + std::to_string(o.instructions);
        }
        // The remaining kinds take no arguments.
      },
      op);
  return out;
}

Parsed<Op> ParseOp(std::string_view line, const fp::Catalogue* catalogue) {
  Cursor cur(line);
  cur.SkipBlanks();
  if (cur.done()) return cur.Error("expected an operation (one of " + ExpectedKeywords() + ")");
  const size_t keyword_pos = cur.pos();
  const std::string_view keyword = cur.TakeWord();
  OpKind kind;
  if (!ParseOpKind(keyword, &kind)) {
    return cur.ErrorAt(keyword_pos,
                       "unknown operation " + Quoted(keyword) + " (expected one of " + ExpectedKeywords() + ")");
  }
  cur.SkipBlanks();
  return ParseArguments(kind, keyword, cur, catalogue);
}

Parsed<std::vector<Statement>> SplitStatements(std::string_view sql) {
  std::vector<Statement> out;
  // Emits text[start, end) as a statement; the end excludes any terminating ';'.
  auto emit = [&](size_t start, size_t end) -> std::optional<TextError> {
    std::string_view piece = sql.substr(start, end - start);
    size_t lead = 0;
    while (lead < piece.size() && IsBlank(piece[lead])) ++lead;
    Statement statement;
    if (lead < piece.size() && piece[lead] == '?') {
      statement.may_fail = true;
      piece.remove_prefix(lead + 1);
      if (Trim(piece).empty()) {
        return TextError{start + lead + 1, "expected a SQL statement after '?'"};
      }
    }
    piece = Trim(piece);
    if (piece.empty()) return std::nullopt;  // an empty statement, as sqlite3 skips ";;"
    statement.sql = std::string(piece);
    out.push_back(std::move(statement));
    return std::nullopt;
  };

  size_t start = 0;
  std::string candidate;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != ';') continue;
    // sqlite3_complete must not see the '?' marker: it would hide a leading CREATE TRIGGER keyword.
    size_t body = start;
    while (body < i && IsBlank(sql[body])) ++body;
    if (body < i && sql[body] == '?') ++body;
    candidate.assign(sql.substr(body, i + 1 - body));
    if (sqlite3_complete(candidate.c_str()) == 0) continue;
    if (auto error = emit(start, i)) return *error;
    start = i + 1;
  }
  if (auto error = emit(start, sql.size())) return *error;
  return out;
}

std::string ToPhysicalLines(std::string_view logical_line) {
  std::string out;
  out.reserve(logical_line.size() + 2);
  for (char c : logical_line) {
    if (c == '\n') out += '\\';
    out += c;
  }
  if (!out.empty() && out.back() == '\\') out += ' ';
  return out;
}

}  // namespace stablevfs::ops
