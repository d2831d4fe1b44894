#include "harness/scenario/scenario.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "harness/ops/op_text.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::scenario {
namespace {

constexpr std::string_view kDirectives = "seed, layout, crash-model, expect, expect-violation";

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// One logical line and where its pieces came from, so a column inside it maps back to a physical line.
struct LogicalLine {
  std::string text;
  struct Segment {
    size_t offset = 0;  // where the physical line's text starts in `text`
    size_t line = 0;    // its 1-based physical line number
  };
  std::vector<Segment> segments;

  size_t first_line() const { return segments.front().line; }
  // The physical (line, column) of 1-based logical column `column`.
  std::pair<size_t, size_t> Locate(size_t column) const {
    const size_t offset = column == 0 ? 0 : column - 1;
    const Segment* segment = &segments.front();
    for (const Segment& s : segments) {
      if (s.offset <= offset) segment = &s;
    }
    return {segment->line, offset - segment->offset + 1};
  }
};

std::vector<std::string_view> PhysicalLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    // CRLF files. Every carriage return before the newline is line end: a comment keeps its text verbatim, and
    // one ending in '\r' could not be printed back (found by fuzz/scenario_fuzzer.cpp).
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

bool IsCommentLine(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && IsBlank(line[i])) ++i;
  return i < line.size() && line[i] == '#';
}

// Joins continued physical lines. Comment lines never continue.
std::vector<LogicalLine> LogicalLines(std::string_view text) {
  const std::vector<std::string_view> physical = PhysicalLines(text);
  std::vector<LogicalLine> out;
  for (size_t i = 0; i < physical.size(); ++i) {
    LogicalLine logical;
    logical.segments.push_back({0, i + 1});
    std::string_view piece = physical[i];
    if (!IsCommentLine(piece)) {
      while (!piece.empty() && piece.back() == '\\' && i + 1 < physical.size()) {
        piece.remove_suffix(1);
        logical.text += piece;
        logical.text += '\n';
        ++i;
        logical.segments.push_back({logical.text.size(), i + 1});
        piece = physical[i];
      }
    }
    logical.text += piece;
    out.push_back(std::move(logical));
  }
  return out;
}

// A word and its 1-based column within the logical line.
struct Word {
  std::string_view text;
  size_t column = 0;
};

std::vector<Word> Words(std::string_view text) {
  std::vector<Word> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsBlank(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !IsBlank(text[i])) ++i;
    if (i > start) words.push_back({text.substr(start, i - start), start + 1});
  }
  return words;
}

bool ParseU64(std::string_view text, uint64_t* out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return false;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool IsPropertyName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string OpKeywords() {
  std::string out;
  for (int i = 0; i < ops::kOpKindCount; ++i) {
    if (i > 0) out += ", ";
    out += ops::OpKindName(static_cast<ops::OpKind>(i));
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view file, const ParseOptions& options) : file_(file), options_(options) {}

  ScenarioResult Run(std::string_view text) {
    // SQL reaches SQLite as a C string: a NUL would end a statement there and drop the rest unseen (a
    // scenario that "passes" without running half of its SQL). No line of a scenario has a use for one.
    if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
      const size_t newline = text.rfind('\n', nul);
      const size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
      const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n'));
      return ScenarioError{std::string(file_), line, nul - line_start + 1,
                           "a NUL byte (SQLite would stop reading the SQL there and silently drop the rest); "
                           "remove it"};
    }
    for (const LogicalLine& line : LogicalLines(text)) {
      if (auto error = Line(line)) return *error;
    }
    // Without any op, every comment is a header comment.
    if (scenario_.steps.empty()) FlushHeaderComments();
    scenario_.trailing_comments = std::move(pending_comments_);
    return std::move(scenario_);
  }

 private:
  ScenarioError ErrorAt(const LogicalLine& line, size_t column, std::string message) const {
    const auto [physical_line, physical_column] = line.Locate(column);
    return ScenarioError{std::string(file_), physical_line, physical_column, std::move(message)};
  }

  std::optional<ScenarioError> Line(const LogicalLine& line) {
    // Only a single physical line is a comment: a continued line joined into "#..." would be a comment holding a
    // newline, which cannot be printed back (found by fuzz/scenario_fuzzer.cpp); it is an op line instead.
    if (line.segments.size() == 1 && IsCommentLine(line.text)) {
      const size_t hash = line.text.find('#');
      pending_comments_.push_back(line.text.substr(hash + 1));
      return std::nullopt;
    }
    const std::vector<Word> words = Words(line.text);
    if (words.empty()) {
      // Before the first op, a blank line ends the header: comments above it belong to the file, comments
      // right above the first op belong to that op.
      if (scenario_.steps.empty()) FlushHeaderComments();
      return std::nullopt;
    }
    const std::string_view keyword = words[0].text;
    if (keyword == "expect") return Expect(line, words);
    if (keyword == "seed" || keyword == "layout" || keyword == "crash-model" || keyword == "expect-violation") {
      return Directive(line, words);
    }
    ops::OpKind kind;
    if (!ops::ParseOpKind(keyword, &kind)) {
      return ErrorAt(line, words[0].column,
                     "unknown operation '" + std::string(keyword) + "' (expected one of " + OpKeywords() +
                         "; or a directive: " + std::string(kDirectives) + ")");
    }
    ops::Parsed<ops::Op> op = ops::ParseOp(line.text, options_.catalogue);
    if (!op.ok()) return ErrorAt(line, op.error().column, op.error().message);
    Step step;
    step.op = std::move(op).value();
    step.comments = std::move(pending_comments_);
    pending_comments_.clear();
    step.line = line.first_line();
    scenario_.steps.push_back(std::move(step));
    return std::nullopt;
  }

  std::optional<ScenarioError> Expect(const LogicalLine& line, const std::vector<Word>& words) {
    if (words.size() < 2) {
      return ErrorAt(line, words[0].column + words[0].text.size(),
                     "expect needs an outcome (committed, error, trapped or crashed)");
    }
    if (words.size() > 2) return ErrorAt(line, words[2].column, "unexpected '" + std::string(words[2].text) + "' after the outcome");
    ops::Outcome outcome;
    if (!ops::ParseOutcome(words[1].text, &outcome)) {
      return ErrorAt(line, words[1].column,
                     "unknown outcome '" + std::string(words[1].text) +
                         "' (expected one of committed, error, trapped, crashed)");
    }
    if (scenario_.steps.empty()) {
      return ErrorAt(line, words[0].column, "expect needs an operation before it");
    }
    Step& step = scenario_.steps.back();
    const ops::OpKind kind = ops::KindOf(step.op);
    if (!ops::IsMessage(kind)) {
      return ErrorAt(line, words[0].column,
                     "expect applies to the message before it, but '" + std::string(ops::OpKindName(kind)) +
                         "' on line " + std::to_string(step.line) + " is not a message");
    }
    if (step.expect.has_value()) {
      return ErrorAt(line, words[0].column,
                     "the operation on line " + std::to_string(step.line) + " already has an expectation (line " +
                         std::to_string(expect_lines_.back()) + ")");
    }
    step.expect = outcome;
    expect_lines_.push_back(line.first_line());
    return std::nullopt;
  }

  std::optional<ScenarioError> Directive(const LogicalLine& line, const std::vector<Word>& words) {
    const std::string keyword(words[0].text);
    if (!scenario_.steps.empty()) {
      return ErrorAt(line, words[0].column,
                     "'" + keyword + "' must come before the first operation (line " +
                         std::to_string(scenario_.steps.front().line) + ")");
    }
    FlushHeaderComments();
    if (words.size() < 2) {
      return ErrorAt(line, words[0].column + words[0].text.size(), "'" + keyword + "' needs a value");
    }
    if (words.size() > 2) {
      return ErrorAt(line, words[2].column, "unexpected '" + std::string(words[2].text) + "' after '" + keyword + "'");
    }
    const Word& value = words[1];
    auto duplicate = [&](size_t first_line) {
      return ErrorAt(line, words[0].column, "duplicate '" + keyword + "' (first on line " + std::to_string(first_line) + ")");
    };
    if (keyword == "seed") {
      if (scenario_.seed) return duplicate(seed_line_);
      uint64_t seed = 0;
      if (!ParseU64(value.text, &seed)) {
        return ErrorAt(line, value.column, "expected an unsigned 64-bit seed, got '" + std::string(value.text) + "'");
      }
      scenario_.seed = seed;
      seed_line_ = line.first_line();
    } else if (keyword == "layout") {
      if (scenario_.layout) return duplicate(layout_line_);
      if (LayoutRegistry::Global().Find(value.text) == nullptr) {
        return ErrorAt(line, value.column, "unknown layout '" + std::string(value.text) + "' (registered: " +
                                               LayoutRegistry::Global().Names() + ")");
      }
      if (options_.required_layout && *options_.required_layout != value.text) {
        return ErrorAt(line, value.column,
                       "the file is written for layout " + std::string(value.text) + ", not --layout " +
                           *options_.required_layout +
                           "; drop --layout, or edit this line to run it on another layout");
      }
      scenario_.layout = std::string(value.text);
      layout_line_ = line.first_line();
    } else if (keyword == "crash-model") {
      if (scenario_.crash_model) return duplicate(crash_model_line_);
      CrashModel model;
      if (!ParseCrashModel(value.text, &model)) {
        return ErrorAt(line, value.column,
                       "unknown crash model '" + std::string(value.text) + "' (expected one of ic, error, powerloss, torn)");
      }
      scenario_.crash_model = model;
      crash_model_line_ = line.first_line();
    } else {  // expect-violation
      if (!IsPropertyName(value.text)) {
        return ErrorAt(line, value.column,
                       "expected a property name (letters, digits, '_', '.', '-'), got '" + std::string(value.text) +
                           "'");
      }
      scenario_.expect_violations.emplace_back(value.text);
    }
    return std::nullopt;
  }

  void FlushHeaderComments() {
    for (std::string& comment : pending_comments_) scenario_.header_comments.push_back(std::move(comment));
    pending_comments_.clear();
  }

  std::string_view file_;
  const ParseOptions& options_;
  Scenario scenario_;
  std::vector<std::string> pending_comments_;
  std::vector<size_t> expect_lines_;
  size_t seed_line_ = 0, layout_line_ = 0, crash_model_line_ = 0;
};

}  // namespace


std::string ScenarioError::ToString() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

ScenarioResult ParseScenario(std::string_view text, std::string_view file_name, const ParseOptions& options) {
  return Parser(file_name, options).Run(text);
}

ScenarioResult LoadScenarioFile(const std::string& path, const ParseOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ScenarioError{path, 0, 0, std::string("cannot open: ") + std::strerror(errno)};
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return ScenarioError{path, 0, 0, "cannot read"};
  return ParseScenario(content.str(), path, options);
}

std::string PrintScenario(const Scenario& scenario) {
  std::string out;
  auto comment = [&out](const std::string& text) {
    assert(text.find('\n') == std::string::npos);
    out += '#';
    out += text;
    out += '\n';
  };
  for (const std::string& text : scenario.header_comments) comment(text);
  bool header = !scenario.header_comments.empty();
  if (scenario.seed) {
    out += "seed " + std::to_string(*scenario.seed) + "\n";
    header = true;
  }
  if (scenario.layout) {
    out += "layout " + *scenario.layout + "\n";
    header = true;
  }
  if (scenario.crash_model) {
    out += "crash-model " + std::string(CrashModelName(*scenario.crash_model)) + "\n";
    header = true;
  }
  for (const std::string& property : scenario.expect_violations) {
    out += "expect-violation " + property + "\n";
    header = true;
  }
  if (header && !scenario.steps.empty()) out += '\n';
  for (const Step& step : scenario.steps) {
    for (const std::string& text : step.comments) comment(text);
    out += ops::ToPhysicalLines(ops::PrintOp(step.op));
    out += '\n';
    if (step.expect) out += "expect " + std::string(ops::OutcomeName(*step.expect)) + "\n";
  }
  for (const std::string& text : scenario.trailing_comments) comment(text);
  return out;
}

std::string WriteScenarioFile(const std::string& path, const Scenario& scenario) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return "cannot open " + path + " for writing: " + std::strerror(errno);
  out << PrintScenario(scenario);
  out.close();
  if (!out) return "cannot write " + path;
  return "";
}

}  // namespace stablevfs::scenario
