#include "failpoints/trigger.h"

#include <cassert>
#include <string>
#include <utility>

namespace stablevfs::fp {
namespace {

// Whether `action` accepts an argument of `kind` (see the table in trigger.h).
bool ArgumentKindFits(Action action, Argument::Kind kind) {
  if (kind == Argument::Kind::kNone) return true;
  switch (action) {
    case Action::kTorn:
      return true;
    case Action::kMisdirect:
    case Action::kBitflip:
      return kind == Argument::Kind::kNumber;
    default:
      return false;
  }
}

}  // namespace

std::string ArgumentHelp(Action action) {
  switch (action) {
    case Action::kTorn:
      return "torn takes prefix, subset or a byte count";
    case Action::kMisdirect:
      return "misdirect takes a nonzero signed byte delta, e.g. -4096 or +65536";
    case Action::kBitflip:
      return "bitflip takes a bit index >= 0";
    default:
      return "action '" + std::string(ActionName(action)) + "' takes no argument";
  }
}

std::string_view QualifierName(Qualifier qualifier) {
  switch (qualifier) {
    case Qualifier::kAlways:
      return "";
    case Qualifier::kNth:
      return "nth";
    case Qualifier::kAfter:
      return "after";
    case Qualifier::kEvery:
      return "every";
  }
  return "";
}

bool TermCanExhaust(const Term& term) { return term.count != 0 || term.qualifier == Qualifier::kNth; }

std::string ValidateTerm(const Term& term) {
  if (static_cast<int>(term.action) >= kActionCount) return "unknown action";
  // Written so that NaN fails too.
  if (!(term.percent > 0.0 && term.percent <= 100.0)) {
    return "probability must be in (0, 100]";
  }
  switch (term.qualifier) {
    case Qualifier::kAlways:
      if (term.qualifier_n != 0) return "an unqualified term has no N";
      break;
    case Qualifier::kNth:
      if (term.qualifier_n == 0) return "nth(N) needs N >= 1";
      if (term.count != 0 && term.count < term.qualifier_n) {
        return "count " + std::to_string(term.count) + "* ends the term before nth(" +
               std::to_string(term.qualifier_n) + ") can fire";
      }
      break;
    case Qualifier::kAfter:
      break;
    case Qualifier::kEvery:
      if (term.qualifier_n == 0) return "every(N) needs N >= 1";
      break;
    default:
      return "unknown qualifier";
  }
  const Argument& arg = term.argument;
  if (!ArgumentKindFits(term.action, arg.kind)) return ArgumentHelp(term.action);
  if (arg.kind == Argument::Kind::kNumber) {
    if (term.action == Action::kMisdirect && arg.number == 0) return ArgumentHelp(term.action);
    if (term.action != Action::kMisdirect && arg.number < 0) return ArgumentHelp(term.action);
  } else if (arg.number != 0) {
    return "only a numeric argument carries a number";
  }
  return "";
}

std::string ValidateChain(const Chain& chain) {
  if (chain.empty()) return "the chain has no term";
  for (size_t i = 0; i < chain.size(); ++i) {
    std::string problem = ValidateTerm(chain[i]);
    if (!problem.empty()) return "term " + std::to_string(i + 1) + ": " + problem;
    if (i + 1 < chain.size() && !TermCanExhaust(chain[i])) {
      return "term " + std::to_string(i + 2) +
             " is unreachable: the term before it never ends (give it a count K* or make it nth(N))";
    }
  }
  return "";
}

double UniformDraw(std::mt19937_64& rng) {
  // 53 bits fill a double's mantissa exactly, so every value is representable and the result is < 1.
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

TriggerState::TriggerState(Chain chain) : chain_(std::move(chain)) { assert(ValidateChain(chain_).empty()); }

Action TriggerState::Next(std::mt19937_64& rng, const Term** fired_term) {
  if (fired_term != nullptr) *fired_term = nullptr;
  if (exhausted()) return Action::kOff;
  const Term& term = chain_[term_index_];
  const uint64_t evaluation = ++term_evaluations_;  // 1-based ordinal of this evaluation of the term

  bool matches = false;
  switch (term.qualifier) {
    case Qualifier::kAlways:
      matches = true;
      break;
    case Qualifier::kNth:
      matches = evaluation == term.qualifier_n;
      break;
    case Qualifier::kAfter:
      matches = evaluation > term.qualifier_n;
      break;
    case Qualifier::kEvery:
      matches = evaluation % term.qualifier_n == 0;
      break;
  }
  // Draw only when it can matter, so that deterministic terms leave the PRNG stream untouched.
  const bool fires = matches && (term.percent >= 100.0 || UniformDraw(rng) < term.percent / 100.0);

  const bool exhausted_now = (term.count != 0 && evaluation >= term.count) ||
                             (term.qualifier == Qualifier::kNth && evaluation >= term.qualifier_n);
  const Term* current = &term;
  if (exhausted_now) {
    ++term_index_;
    term_evaluations_ = 0;
  }
  if (!fires || current->action == Action::kOff) return Action::kOff;  // an off term "fires" nothing
  if (fired_term != nullptr) *fired_term = current;
  return current->action;
}

}  // namespace stablevfs::fp
