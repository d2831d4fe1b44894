// Scenario: the line-oriented text format every counterexample is written in and every scenario file
// replays from (docs/scenario-format.md is the user's description).
//
//   # a comment (a whole line; kept, and printed back where it was)
//   seed 42                      optional; the seed the scenario was generated from
//   layout 8                     optional; the registered layout to run on (the one it was written for)
//   crash-model powerloss        optional; ic | error | powerloss | torn
//   expect-violation fsck.page   optional, repeatable: a negative control must report this property
//   update INSERT INTO t VALUES(1); ?INSERT INTO t VALUES(1)
//   expect committed             optional; the outcome of the message on the line before
//   arm commit.page_write=nth(2):crash
//   update ...
//   expect crashed
//
// Every line that is not blank, a comment or a directive is an op line (op_text.h). Directives other than
// `expect` come before the first op. A physical line ending in a backslash continues on the next one and the
// backslash stands for a newline (for SQL that needs one; the generator never does).
//
// Guarantees: ParseScenario(PrintScenario(s)) == s (source line numbers aside); a rejection names the file,
// the physical line and the column, e.g. `scenarios/x.scn:7:1: unknown operation 'updat' (expected ...)`.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "harness/ops/op.h"

namespace stablevfs::fp {
class Catalogue;
}  // namespace stablevfs::fp

namespace stablevfs::scenario {

// The crash model a scenario runs under: harness/faults' one vocabulary.
using faults::CrashModel;
using faults::CrashModelName;
using faults::kCrashModelCount;
using faults::ParseCrashModel;

// One op line with what surrounds it.
struct Step {
  ops::Op op;
  std::optional<ops::Outcome> expect;  // from an `expect` line after it
  std::vector<std::string> comments;   // comment lines just before it: the text after '#', verbatim
  size_t line = 0;                     // its first physical line in the source (0 when built in code)

  // Compares op, expect and comments; not `line`, which printing changes.
  bool operator==(const Step& other) const {
    return op == other.op && expect == other.expect && comments == other.comments;
  }
};

struct Scenario {
  std::optional<uint64_t> seed;
  std::optional<std::string> layout;  // a registered layout name
  std::optional<CrashModel> crash_model;
  std::vector<std::string> expect_violations;  // property names, in file order
  // Comments before the first op that are followed by a directive or a blank line (so a header comment and
  // a comment on the first op stay apart); with no ops, every comment.
  std::vector<std::string> header_comments;
  std::vector<Step> steps;
  std::vector<std::string> trailing_comments;  // comments after the last op (empty when there are no ops)

  bool operator==(const Scenario&) const = default;
};

// Where and why a scenario was rejected. line and column are 1-based; 0 when the error concerns the whole file
// (it cannot be read).
struct ScenarioError {
  std::string file;
  size_t line = 0;
  size_t column = 0;
  std::string message;

  // "file:line:column: message" (or "file: message" without a position).
  std::string ToString() const;
  bool operator==(const ScenarioError&) const = default;
};

class ScenarioResult {
 public:
  ScenarioResult(Scenario scenario) : v_(std::move(scenario)) {}  // NOLINT(google-explicit-constructor)
  ScenarioResult(ScenarioError error) : v_(std::move(error)) {}    // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  // REQUIRES: ok().
  const Scenario& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  Scenario&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  // REQUIRES: !ok().
  const ScenarioError& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<Scenario, ScenarioError> v_;
};

struct ParseOptions {
  // When set, arm specs are also checked against it (unknown failpoints, actions a site does not take).
  const fp::Catalogue* catalogue = nullptr;
  // When set, the layout the command was asked to run on (replay --layout): a `layout` line naming another is
  // an error at that line's value, so the user sees which line to edit.
  std::optional<std::string> required_layout;
};

// Parses scenario text. `file_name` only labels errors.
ScenarioResult ParseScenario(std::string_view text, std::string_view file_name = "<scenario>",
                             const ParseOptions& options = {});

// Reads and parses the file at `path`; a file that cannot be read is an error without a position.
ScenarioResult LoadScenarioFile(const std::string& path, const ParseOptions& options = {});

// The scenario as text: header comments, directives, then each step (its comments, its op line, its expect
// line), then trailing comments; one blank line after a non-empty header. Ends with a newline.
// REQUIRES: ops are canonical (op_text.h PrintOp); comments and property names contain no newline.
std::string PrintScenario(const Scenario& scenario);

// Writes PrintScenario(scenario) to `path`. Returns "" on success, else why it failed.
std::string WriteScenarioFile(const std::string& path, const Scenario& scenario);

}  // namespace stablevfs::scenario
