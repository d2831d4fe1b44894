// The failpoint spec: one line that arms failpoints, for the command line, the STABLEVFS_FAILPOINTS
// environment variable and scenario files.
//
//   spec   := [entry (';' entry)*]            an empty (or all-blank) spec arms nothing
//   entry  := name '=' chain                   name: letters, digits, '_' and '.', e.g. commit.page_write
//   chain  := term ('->' term)*
//   term   := [K '*'] [P '%'] [qual ':'] action ['(' arg ')']
//   qual   := 'nth(' N ')' | 'after(' N ')' | 'every(' N ')'
//   action := off | error | trap | crash | torn | lost | misdirect | bitflip
//
// Blanks are allowed around ';', '=' and '->', nowhere else. What the parts mean is in trigger.h. Example:
//   commit.page_write=2*off->1*crash;memory.grow=every(3):error;memory.write=0.5%torn(prefix)
//
// Guarantees: a spec is accepted whole or rejected whole, never silently trimmed. A rejection names the
// offending token and its 1-based column (in bytes), e.g.
//   spec column 17: unknown action 'trapp' (expected off, error, trap, crash, torn, lost, misdirect, bitflip)
// Given a catalogue, an unknown failpoint name and an action that does not apply to a site are rejected too.
// ToString prints a spec that parses back to an equal spec: ParseSpec(ToString(s)) == s.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "failpoints/trigger.h"

namespace stablevfs::fp {

class Catalogue;

// The outcome of reading a spec or arming a site: accepted, or rejected with a message for a human.
class [[nodiscard]] SpecStatus {
 public:
  SpecStatus() = default;  // accepted
  static SpecStatus Reject(std::string message) { return SpecStatus(std::move(message)); }

  bool ok() const { return message_.empty(); }
  // "" when accepted.
  const std::string& message() const { return message_; }
  // Marks a deliberate drop.
  void IgnoreError() const {}

 private:
  explicit SpecStatus(std::string message) : message_(std::move(message)) {
    if (message_.empty()) message_ = "rejected";  // a rejection is never mistaken for success
  }
  std::string message_;
};

// One `name=chain` entry.
struct SpecEntry {
  std::string name;
  Chain chain;

  bool operator==(const SpecEntry&) const = default;
};

// A parsed spec: entries in the order written; each name appears at most once.
struct Spec {
  std::vector<SpecEntry> entries;

  bool empty() const { return entries.empty(); }
  bool operator==(const Spec&) const = default;
};

// Parses `text` into `*out` (which is replaced, or left empty on rejection). When `catalogue` is not null,
// every name must be in it and every action other than `off` must be applicable to its site.
// REQUIRES: out != nullptr. The catalogue, if given, must outlive the call.
SpecStatus ParseSpec(std::string_view text, Spec* out, const Catalogue* catalogue = nullptr);

// Checks a programmatically built entry with the same rules as the parser (name syntax, ValidateChain, and the
// catalogue when given); messages name the failpoint and the 1-based term instead of a column.
SpecStatus ValidateEntry(const SpecEntry& entry, const Catalogue* catalogue = nullptr);

// Whether `name` is a well-formed failpoint name: non-empty, letters, digits, '_' and '.'.
bool IsValidSiteName(std::string_view name);

// Canonical text. Omitted parts print nothing (no K* when unlimited, no P% when 100); a positive misdirect
// delta prints with '+'. REQUIRES: the input is valid (as ParseSpec or ValidateEntry would accept).
std::string ToString(const Term& term);
std::string ToString(const Chain& chain);
std::string ToString(const Spec& spec);

}  // namespace stablevfs::fp
