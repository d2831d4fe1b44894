// Triggers: when an armed failpoint fires, and with which action.
//
// An armed site carries a chain of terms, `term ('->' term)*` in the spec syntax (see spec.h). The chain is
// the one fail-rs uses: the first term handles every evaluation of the site until its count is exhausted,
// then the next term takes over; after the last term is exhausted the site is off for good (until re-armed).
//
// One term, in spec order:  [K '*'] [P '%'] [qualifier ':'] action ['(' argument ')']
//   K*        the term handles at most K evaluations, then it is exhausted. As in fail-rs, an evaluation
//             counts whether or not the term fired (`3*off->1*trap`: hits 1-3 off, hit 4 trap, then off).
//   P%        when the qualifier matches, fire with probability P percent (0 < P <= 100, decimals allowed),
//             decided by the thread's seeded PRNG. Without P% the term fires whenever the qualifier matches
//             and draws nothing from the PRNG, so adding a deterministic term never shifts later draws.
//   nth(N)    fire on the N-th evaluation of this term only; the term is exhausted after it.
//   after(N)  fire on every evaluation after the first N.
//   every(N)  fire on evaluations N, 2N, 3N, ...
//   (none)    fire on every evaluation.
//
// Evaluations are counted per term from the moment the term becomes current, not per site: in
// `2*off->nth(2):trap` the trap fires on the site's 4th hit.
//
// Action arguments (only where listed; any other argument is rejected):
//   torn(prefix)      the in-flight write persists as a prefix of itself (length chosen by the decorator)
//   torn(subset)      the in-flight write persists as a subset of its 4 KiB pieces (chosen by the decorator)
//   torn(N)           exactly the first N bytes of the in-flight write persist
//   misdirect(D)      the write lands D bytes away from its target (D signed and nonzero, e.g. -4096, +65536)
//   bitflip(B)        the write lands with bit B of its payload flipped (bit 0 = low bit of the first byte)
// Without an argument the decorator chooses (from its own seed) the prefix length, the delta or the bit.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "failpoints/failpoint.h"

namespace stablevfs::fp {

// The optional parenthesized argument of an action; what it means depends on the action (see above).
struct Argument {
  enum class Kind : uint8_t {
    kNone,    // no argument: the decorator chooses
    kPrefix,  // torn(prefix)
    kSubset,  // torn(subset)
    kNumber,  // torn(N) bytes, misdirect(D) delta bytes, bitflip(B) bit index
  };
  Kind kind = Kind::kNone;
  int64_t number = 0;  // meaningful only for kNumber

  bool operator==(const Argument&) const = default;
};

// Which evaluations of a term may fire.
enum class Qualifier : uint8_t { kAlways, kNth, kAfter, kEvery };

// The spelling of a qualifier in a spec: "", "nth", "after", "every".
std::string_view QualifierName(Qualifier qualifier);

// One term of a chain. Default-constructed: `off` on every evaluation, never exhausted.
struct Term {
  uint64_t count = 0;      // K of K*; 0 means no limit
  double percent = 100.0;  // P of P%; 100 means no draw
  Qualifier qualifier = Qualifier::kAlways;
  uint64_t qualifier_n = 0;  // N of nth(N) / after(N) / every(N); 0 for kAlways
  Action action = Action::kOff;
  Argument argument;

  bool operator==(const Term&) const = default;
};

using Chain = std::vector<Term>;

// Returns "" when `term` is well formed, else a sentence saying what is wrong (without position). Rules: K,
// when given, is at least 1; 0 < P <= 100; nth and every need N >= 1, after accepts N >= 0, always has N = 0;
// K* with nth(N) needs K >= N (else the term can never fire); the argument kind fits the action (see above;
// misdirect needs a nonzero delta; torn and bitflip need a number >= 0).
std::string ValidateTerm(const Term& term);

// Returns "" when `chain` is well formed, else a sentence naming the bad term by its 1-based position. Beyond
// ValidateTerm: the chain is not empty, and every term but the last can be exhausted (has K* or is nth),
// because a term after a never-ending one could never be reached.
std::string ValidateChain(const Chain& chain);

// One sentence saying which argument `action` takes, e.g. "bitflip takes a bit index >= 0".
std::string ArgumentHelp(Action action);

// Whether a term ever ends: it has a count, or it is nth(N).
bool TermCanExhaust(const Term& term);

// The evaluation state of one armed chain. Not thread-safe: each thread's registry owns its own.
class TriggerState {
 public:
  // REQUIRES: ValidateChain(chain) is "".
  explicit TriggerState(Chain chain);

  // Advances the chain by one evaluation and returns the action to take: the current term's action when it
  // fires, else kOff. Draws one value from `rng` only when the current term has P < 100 and its qualifier
  // matches. `*fired_term` (if not null) is set to the current term when it fires with an action other than
  // off, else to nullptr; the pointer stays valid as long as this object lives.
  Action Next(std::mt19937_64& rng, const Term** fired_term);

  // True when every term is exhausted: the site is off until re-armed.
  bool exhausted() const { return term_index_ >= chain_.size(); }
  const Chain& chain() const { return chain_; }
  // The 0-based index of the current term (== chain().size() when exhausted).
  size_t term_index() const { return term_index_; }

 private:
  Chain chain_;
  size_t term_index_ = 0;
  uint64_t term_evaluations_ = 0;  // evaluations of the current term so far
};

// One uniform draw in [0, 1) with 53 random bits: (rng() >> 11) * 2^-53. Our own reduction, not a std::
// distribution, so that a seed gives the same faults on every standard library.
double UniformDraw(std::mt19937_64& rng);

}  // namespace stablevfs::fp
