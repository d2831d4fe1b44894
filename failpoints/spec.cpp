#include "failpoints/spec.h"

#include <cassert>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <system_error>

#include "failpoints/catalogue.h"

namespace stablevfs::fp {
namespace {

constexpr std::string_view kActionChoices = "off, error, trap, crash, torn, lost, misdirect, bitflip";

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsNameChar(char c) { return IsLetter(c) || IsDigit(c) || c == '_' || c == '.'; }
// Characters that may continue a "word" when we quote the offending token in a message.
bool IsWordChar(char c) { return IsNameChar(c) || c == '+' || c == '-'; }

std::string Quote(std::string_view token) { return "'" + std::string(token) + "'"; }

// The message part that says what a catalogued site accepts.
std::string NotApplicable(Action action, const SiteInfo& site) {
  return "action " + Quote(ActionName(action)) + " does not apply to failpoint " + Quote(site.name) + " (it takes " +
         ActionList(site.actions) + ")";
}

std::string UnknownFailpoint(std::string_view name) {
  return "unknown failpoint " + Quote(name) + " (run `stablevfs failpoints` for the list)";
}

// Recursive descent over the spec text. Every rejection goes through Fail, which adds the column.
class Parser {
 public:
  Parser(std::string_view text, const Catalogue* catalogue) : text_(text), catalogue_(catalogue) {}

  SpecStatus Parse(Spec* out) {
    Spec spec;
    std::set<std::string, std::less<>> seen;
    SkipBlanks();
    if (AtEnd()) {
      *out = std::move(spec);
      return {};
    }
    while (true) {
      SpecEntry entry;
      if (SpecStatus s = ParseEntry(&entry, &seen); !s.ok()) return s;
      spec.entries.push_back(std::move(entry));
      SkipBlanks();
      if (AtEnd()) break;
      if (text_[pos_] != ';') return Fail(pos_, "expected '->', ';' or the end of the spec, found " + TokenAt(pos_));
      ++pos_;
      SkipBlanks();
    }
    *out = std::move(spec);
    return {};
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  bool At(char c) const { return !AtEnd() && text_[pos_] == c; }
  bool AtArrow() const { return pos_ + 1 < text_.size() && text_[pos_] == '-' && text_[pos_ + 1] == '>'; }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(text_[pos_])) ++pos_;
  }

  // The token starting at `pos`, quoted, for "found ..." messages: a word, "->", one character, or the end.
  std::string TokenAt(size_t pos) const {
    if (pos >= text_.size()) return "the end of the spec";
    if (text_.substr(pos, 2) == "->") return Quote("->");
    if (!IsWordChar(text_[pos])) return Quote(text_.substr(pos, 1));
    size_t end = pos;
    while (end < text_.size() && IsWordChar(text_[end]) && text_.substr(end, 2) != "->") ++end;
    return Quote(text_.substr(pos, end - pos));
  }

  SpecStatus Fail(size_t pos, const std::string& what) const {
    return SpecStatus::Reject("spec column " + std::to_string(pos + 1) + ": " + what);
  }

  // Scans a maximal run of characters satisfying `pred` from pos_, returns it and advances.
  template <typename Pred>
  std::string_view Scan(Pred pred) {
    const size_t start = pos_;
    while (!AtEnd() && pred(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // Parses an unsigned decimal integer made only of digits.
  SpecStatus ParseUnsigned(size_t pos, std::string_view digits, uint64_t* out) const {
    if (digits.empty()) return Fail(pos, "expected a number, found " + TokenAt(pos));
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *out);
    if (ec == std::errc::result_out_of_range) return Fail(pos, "number " + Quote(digits) + " is too large");
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      return Fail(pos, "malformed number " + Quote(digits));
    }
    return {};
  }

  SpecStatus Expect(char c, const std::string& context) {
    if (!At(c)) {
      return Fail(pos_, "expected '" + std::string(1, c) + "' " + context + ", found " + TokenAt(pos_));
    }
    ++pos_;
    return {};
  }

  SpecStatus ParseEntry(SpecEntry* entry, std::set<std::string, std::less<>>* seen) {
    const size_t name_pos = pos_;
    std::string_view name = Scan(IsNameChar);
    if (name.empty()) return Fail(name_pos, "expected a failpoint name, found " + TokenAt(name_pos));
    std::optional<SiteInfo> site;
    if (catalogue_ != nullptr) {
      site = catalogue_->Find(name);
      if (!site) return Fail(name_pos, UnknownFailpoint(name));
    }
    if (seen->count(name) != 0) {
      return Fail(name_pos, "failpoint " + Quote(name) + " is named twice (write one chain with '->' instead)");
    }
    seen->emplace(name);
    SkipBlanks();
    if (SpecStatus s = Expect('=', "after failpoint name " + Quote(name)); !s.ok()) return s;
    entry->name = std::string(name);

    while (true) {
      SkipBlanks();
      const size_t term_pos = pos_;
      Term term;
      if (SpecStatus s = ParseTerm(&term, site ? &*site : nullptr); !s.ok()) return s;
      if (!entry->chain.empty() && !TermCanExhaust(entry->chain.back())) {
        return Fail(term_pos, "term " + Quote(text_.substr(term_pos, pos_ - term_pos)) +
                                  " is unreachable: the term before it never ends (give that term a count K* "
                                  "or make it nth(N))");
      }
      entry->chain.push_back(std::move(term));
      SkipBlanks();
      if (!AtArrow()) break;
      pos_ += 2;
    }
    return {};
  }

  SpecStatus ParseTerm(Term* term, const SiteInfo* site) {
    const size_t term_pos = pos_;
    size_t count_pos = term_pos;
    // [K '*'] [P '%']: both start with a digit; the character after the number tells them apart.
    for (int prefix = 0; prefix < 2 && !AtEnd() && IsDigit(text_[pos_]); ++prefix) {
      const size_t number_pos = pos_;
      std::string_view number = Scan([](char c) { return IsDigit(c) || c == '.'; });
      if (At('*') && prefix == 0) {
        if (SpecStatus s = ParseUnsigned(number_pos, number, &term->count); !s.ok()) return s;
        if (term->count == 0) return Fail(number_pos, "count " + Quote(number) + " must be at least 1");
        count_pos = number_pos;
        ++pos_;
      } else if (At('%')) {
        double percent = 0;
        auto [end, ec] =
            std::from_chars(number.data(), number.data() + number.size(), percent, std::chars_format::fixed);
        if (ec != std::errc() || end != number.data() + number.size()) {
          return Fail(number_pos, "malformed probability " + Quote(number));
        }
        if (!(percent > 0.0 && percent <= 100.0)) {
          return Fail(number_pos, "probability " + Quote(number) + " must be in (0, 100]");
        }
        term->percent = percent;
        ++pos_;
        break;  // nothing numeric may follow P%
      } else {
        return Fail(pos_, "expected " + std::string(prefix == 0 ? "'*' or '%'" : "'%'") + " after number " +
                              Quote(number) + ", found " + TokenAt(pos_));
      }
    }

    size_t word_pos = pos_;
    std::string_view word = Scan(IsLetter);
    const Qualifier qualifier = word == "nth"     ? Qualifier::kNth
                                : word == "after" ? Qualifier::kAfter
                                : word == "every" ? Qualifier::kEvery
                                                  : Qualifier::kAlways;
    if (qualifier != Qualifier::kAlways) {
      const std::string name(word);
      if (SpecStatus s = Expect('(', "after " + Quote(name)); !s.ok()) return s;
      const size_t n_pos = pos_;
      std::string_view digits = Scan(IsDigit);
      if (SpecStatus s = ParseUnsigned(n_pos, digits, &term->qualifier_n); !s.ok()) return s;
      if (term->qualifier_n == 0 && qualifier != Qualifier::kAfter) {
        return Fail(n_pos, name + "(N) needs N >= 1, found " + Quote(digits));
      }
      if (SpecStatus s = Expect(')', "to close " + Quote(name + "(")); !s.ok()) return s;
      if (SpecStatus s = Expect(':', "between " + Quote(name + "(" + std::string(digits) + ")") + " and the action");
          !s.ok()) {
        return s;
      }
      term->qualifier = qualifier;
      if (qualifier == Qualifier::kNth && term->count != 0 && term->count < term->qualifier_n) {
        return Fail(count_pos, "count " + std::to_string(term->count) + "* ends the term before nth(" +
                                   std::to_string(term->qualifier_n) + ") can fire");
      }
      word_pos = pos_;
      word = Scan(IsLetter);
    }

    if (word.empty()) return Fail(word_pos, "expected an action, found " + TokenAt(word_pos));
    // A word glued to digits or dots ("trap2") is one bad token, not a good action followed by junk.
    if (!AtEnd() && IsNameChar(text_[pos_]))
      return Fail(word_pos, "unknown action " + TokenAt(word_pos) + " (expected " + std::string(kActionChoices) + ")");
    if (!ParseAction(word, &term->action)) {
      return Fail(word_pos, "unknown action " + Quote(word) + " (expected " + std::string(kActionChoices) + ")");
    }
    if (site != nullptr && !site->Accepts(term->action)) return Fail(word_pos, NotApplicable(term->action, *site));

    if (At('(')) {
      ++pos_;
      const size_t arg_pos = pos_;
      std::string_view arg = Scan(IsWordChar);
      if (SpecStatus s = Expect(')', "to close the argument of " + Quote(word)); !s.ok()) return s;
      if (SpecStatus s = ParseArgument(arg_pos, arg, term); !s.ok()) return s;
    }
    // Backstop: everything above should already have caught what ValidateTerm knows.
    if (std::string problem = ValidateTerm(*term); !problem.empty()) return Fail(term_pos, problem);
    return {};
  }

  SpecStatus ParseArgument(size_t pos, std::string_view arg, Term* term) const {
    Argument& out = term->argument;
    const std::string action(ActionName(term->action));
    const auto bad = [&](const std::string& why) {
      return Fail(pos, "bad argument " + Quote(arg) + " for " + Quote(action) + ": " + why);
    };
    if (arg == "prefix" || arg == "subset") {
      out.kind = arg == "prefix" ? Argument::Kind::kPrefix : Argument::Kind::kSubset;
    } else {
      std::string_view digits = arg;
      bool negative = false;
      if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
      }
      uint64_t magnitude = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
      if (digits.empty() || ec == std::errc::invalid_argument || end != digits.data() + digits.size()) {
        return bad(ArgumentHelp(term->action));
      }
      // The argument is an int64: -9223372036854775808 fits, +9223372036854775808 does not.
      constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      if (ec == std::errc::result_out_of_range || magnitude > kMax + (negative ? 1 : 0)) {
        return bad(std::string("the number is out of range (") +
                   std::to_string(std::numeric_limits<int64_t>::min()) + ".." + std::to_string(kMax) + ")");
      }
      out.kind = Argument::Kind::kNumber;
      out.number = static_cast<int64_t>(negative ? uint64_t{0} - magnitude : magnitude);  // modular (C++20)
    }
    if (std::string problem = ValidateTerm(*term); !problem.empty()) return bad(problem);
    return {};
  }

  std::string_view text_;
  const Catalogue* catalogue_;
  size_t pos_ = 0;
};

std::string FormatPercent(double percent) {
  char buffer[400];  // fixed notation of the smallest positive double needs about 330 characters
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), percent, std::chars_format::fixed);
  assert(ec == std::errc());
  (void)ec;
  return std::string(buffer, end);
}

}  // namespace

bool IsValidSiteName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

SpecStatus ParseSpec(std::string_view text, Spec* out, const Catalogue* catalogue) {
  assert(out != nullptr);
  *out = Spec{};
  Spec parsed;
  SpecStatus status = Parser(text, catalogue).Parse(&parsed);
  if (status.ok()) *out = std::move(parsed);
  return status;
}

SpecStatus ValidateEntry(const SpecEntry& entry, const Catalogue* catalogue) {
  if (!IsValidSiteName(entry.name)) {
    return SpecStatus::Reject("bad failpoint name " + Quote(entry.name) +
                              " (letters, digits, '_' and '.' only, not empty)");
  }
  std::optional<SiteInfo> site;
  if (catalogue != nullptr) {
    site = catalogue->Find(entry.name);
    if (!site) return SpecStatus::Reject(UnknownFailpoint(entry.name));
  }
  if (std::string problem = ValidateChain(entry.chain); !problem.empty()) {
    return SpecStatus::Reject("failpoint " + Quote(entry.name) + ": " + problem);
  }
  if (site) {
    for (size_t i = 0; i < entry.chain.size(); ++i) {
      if (!site->Accepts(entry.chain[i].action)) {
        return SpecStatus::Reject("failpoint " + Quote(entry.name) + ": term " + std::to_string(i + 1) + ": " +
                                  NotApplicable(entry.chain[i].action, *site));
      }
    }
  }
  return {};
}

std::string ToString(const Term& term) {
  std::string out;
  if (term.count != 0) out += std::to_string(term.count) + "*";
  if (term.percent < 100.0) out += FormatPercent(term.percent) + "%";
  if (term.qualifier != Qualifier::kAlways) {
    out += std::string(QualifierName(term.qualifier)) + "(" + std::to_string(term.qualifier_n) + "):";
  }
  out += ActionName(term.action);
  switch (term.argument.kind) {
    case Argument::Kind::kNone:
      break;
    case Argument::Kind::kPrefix:
      out += "(prefix)";
      break;
    case Argument::Kind::kSubset:
      out += "(subset)";
      break;
    case Argument::Kind::kNumber: {
      const bool plus = term.action == Action::kMisdirect && term.argument.number > 0;
      out += "(" + std::string(plus ? "+" : "") + std::to_string(term.argument.number) + ")";
      break;
    }
  }
  return out;
}

std::string ToString(const Chain& chain) {
  std::string out;
  for (size_t i = 0; i < chain.size(); ++i) {
    if (i > 0) out += "->";
    out += ToString(chain[i]);
  }
  return out;
}

std::string ToString(const Spec& spec) {
  std::string out;
  for (size_t i = 0; i < spec.entries.size(); ++i) {
    if (i > 0) out += ";";
    out += spec.entries[i].name + "=" + ToString(spec.entries[i].chain);
  }
  return out;
}

}  // namespace stablevfs::fp
