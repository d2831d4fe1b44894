// Trigger semantics: which evaluations of an armed chain fire, with which action, and when a chain ends.
//
// Goal: pin down the meaning of every trigger form (always, K*, chains, nth/after/every, P%) and of
// exhaustion, including the fail-rs rule that K* counts evaluations of the term whether or not it fired.
// Method: parse a chain, drive a TriggerState directly for n evaluations, and compare the fire pattern with a
// hand-written string (one letter per evaluation, '.' for off). P% terms are checked three ways: the exact
// draws against an independent computation of the documented formula, reproducibility from a seed, and the
// observed rate over 10,000 evaluations.

#include "failpoints/trigger.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "failpoints/spec.h"

namespace stablevfs::fp {
namespace {

char Letter(Action action) {
  switch (action) {
    case Action::kOff:
      return '.';
    case Action::kError:
      return 'E';
    case Action::kTrap:
      return 'T';
    case Action::kCrash:
      return 'C';
    case Action::kTorn:
      return 'W';
    case Action::kLost:
      return 'L';
    case Action::kMisdirect:
      return 'M';
    case Action::kBitflip:
      return 'B';
  }
  return '?';
}

Chain ParseChain(const std::string& chain_text) {
  Spec spec;
  const SpecStatus status = ParseSpec("site=" + chain_text, &spec);
  EXPECT_TRUE(status.ok()) << status.message();
  if (!status.ok() || spec.entries.size() != 1) return {};
  return spec.entries[0].chain;
}

// The fire pattern of `chain_text` over `evaluations` evaluations with a PRNG seeded by `seed`.
std::string Pattern(const std::string& chain_text, int evaluations, uint64_t seed = 0) {
  TriggerState trigger(ParseChain(chain_text));
  std::mt19937_64 rng(seed);
  std::string out;
  for (int i = 0; i < evaluations; ++i) out += Letter(trigger.Next(rng, nullptr));
  return out;
}

TEST(TriggerTest, BareActionFiresOnEveryEvaluationAndNeverEnds) {
  EXPECT_EQ(Pattern("error", 6), "EEEEEE");
  TriggerState trigger(ParseChain("trap"));
  std::mt19937_64 rng(0);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(trigger.Next(rng, nullptr), Action::kTrap);
  EXPECT_FALSE(trigger.exhausted());
}

TEST(TriggerTest, CountLimitsTheTermThenTheSiteIsOff) {
  EXPECT_EQ(Pattern("2*error", 5), "EE...");
  EXPECT_EQ(Pattern("1*crash", 3), "C..");
}

TEST(TriggerTest, FailRsChainOffThenTrapThenOff) {
  // The example from the spec: hits 1-3 off, hit 4 trap, then off.
  EXPECT_EQ(Pattern("3*off->1*trap", 7), "...T...");
}

TEST(TriggerTest, NthFiresOnceThenTheTermIsExhausted) {
  EXPECT_EQ(Pattern("nth(3):trap", 6), "..T...");
  EXPECT_EQ(Pattern("nth(1):crash", 3), "C..");
  EXPECT_EQ(Pattern("nth(2):error->trap", 5), ".ETTT");  // nth ends by itself, so the chain moves on
  EXPECT_EQ(Pattern("5*nth(3):trap->error", 6), "..TEEE");
}

TEST(TriggerTest, AfterFiresOnEveryEvaluationPastTheFirstN) {
  EXPECT_EQ(Pattern("after(2):error", 6), "..EEEE");
  EXPECT_EQ(Pattern("after(0):error", 3), "EEE");
  EXPECT_EQ(Pattern("5*after(2):error->trap", 8), "..EEETTT");
}

TEST(TriggerTest, EveryFiresOnMultiplesOfN) {
  EXPECT_EQ(Pattern("every(3):crash", 10), "..C..C..C.");
  EXPECT_EQ(Pattern("every(1):error", 3), "EEE");
  EXPECT_EQ(Pattern("4*every(2):error->1*crash", 8), ".E.EC...");
}

TEST(TriggerTest, TermEvaluationsCountFromWhenTheTermBecomesCurrent) {
  // nth(2) of the second term is the site's 4th evaluation, not its 2nd.
  EXPECT_EQ(Pattern("2*off->nth(2):trap", 6), "...T..");
  EXPECT_EQ(Pattern("1*error->2*every(2):crash->trap", 6), "E.CTTT");
}

TEST(TriggerTest, ExhaustionIsReportedAndFinal) {
  TriggerState trigger(ParseChain("1*error->1*trap"));
  std::mt19937_64 rng(0);
  EXPECT_FALSE(trigger.exhausted());
  EXPECT_EQ(trigger.term_index(), 0u);
  EXPECT_EQ(trigger.Next(rng, nullptr), Action::kError);
  EXPECT_EQ(trigger.term_index(), 1u);
  EXPECT_EQ(trigger.Next(rng, nullptr), Action::kTrap);
  EXPECT_TRUE(trigger.exhausted());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(trigger.Next(rng, nullptr), Action::kOff);
  EXPECT_TRUE(trigger.exhausted());
}

TEST(TriggerTest, FiredTermCarriesTheArgument) {
  TriggerState trigger(ParseChain("1*off->1*torn(512)->misdirect(-4096)"));
  std::mt19937_64 rng(0);
  const Term sentinel;
  const Term* term = &sentinel;  // Next must overwrite it, also when nothing fires
  EXPECT_EQ(trigger.Next(rng, &term), Action::kOff);
  EXPECT_EQ(term, nullptr);
  EXPECT_EQ(trigger.Next(rng, &term), Action::kTorn);
  ASSERT_NE(term, nullptr);
  EXPECT_EQ(term->argument.kind, Argument::Kind::kNumber);
  EXPECT_EQ(term->argument.number, 512);
  EXPECT_EQ(trigger.Next(rng, &term), Action::kMisdirect);
  ASSERT_NE(term, nullptr);
  EXPECT_EQ(term->argument.number, -4096);
}

TEST(TriggerTest, ProbabilityFollowsTheDocumentedDrawExactly) {
  // Independent computation of the contract: one mt19937_64 draw per evaluation, fire iff
  // (draw >> 11) * 2^-53 < P / 100. A different reduction (or a std:: distribution) changes the pattern.
  const uint64_t seed = 20240611;
  std::mt19937_64 reference(seed);
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    const double u = static_cast<double>(reference() >> 11) / 9007199254740992.0;  // 2^53
    expected += u < 0.3 ? 'E' : '.';
  }
  EXPECT_EQ(Pattern("30%error", 200, seed), expected);
}

TEST(TriggerTest, ProbabilityIsReproducibleFromTheSeed) {
  const std::string a = Pattern("50%error", 300, 7);
  EXPECT_EQ(a, Pattern("50%error", 300, 7));
  EXPECT_NE(a, Pattern("50%error", 300, 8));
}

TEST(TriggerTest, ProbabilityRateIsApproximatelyP) {
  // 10,000 Bernoulli draws: the standard deviation of the count is at most 50, so +-5 sigma bounds are
  // safe for any seed, yet tight enough to catch a wrong scale (P/10 or P*10) or an inverted comparison.
  struct Case {
    const char* chain;
    double rate;
  };
  for (const Case& c :
       {Case{"50%error", 0.5}, Case{"10%error", 0.1}, Case{"0.5%error", 0.005}, Case{"99.5%error", 0.995}}) {
    const std::string pattern = Pattern(c.chain, 10000, 12345);
    int fired = 0;
    for (char ch : pattern) fired += ch == 'E' ? 1 : 0;
    const double sigma = std::sqrt(10000 * c.rate * (1 - c.rate));
    EXPECT_NEAR(fired, 10000 * c.rate, 5 * sigma + 1) << c.chain;
  }
}

TEST(TriggerTest, HundredPercentIsCertain) { EXPECT_EQ(Pattern("100%trap", 50, 3), std::string(50, 'T')); }

TEST(TriggerTest, CountCountsEvaluationsWhetherOrNotTheDrawFired) {
  // fail-rs: 3*P%x ends after three evaluations even if x fired fewer than three times, so the 4th
  // evaluation always belongs to the next term, for every seed.
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const std::string pattern = Pattern("3*50%error->1*trap", 6, seed);
    ASSERT_EQ(pattern.substr(3), "T..") << "seed " << seed << ": " << pattern;
    for (char ch : pattern.substr(0, 3)) ASSERT_TRUE(ch == 'E' || ch == '.') << pattern;
  }
}

TEST(TriggerTest, DeterministicTermsDrawNothing) {
  // Deterministic terms and non-matching qualifiers leave the PRNG untouched, so arming an extra
  // deterministic failpoint never shifts the random faults of another.
  std::mt19937_64 rng(99);
  TriggerState trigger(ParseChain("every(2):error"));
  for (int i = 0; i < 100; ++i) trigger.Next(rng, nullptr);
  TriggerState gated(ParseChain("50%nth(500):error"));
  for (int i = 0; i < 100; ++i) gated.Next(rng, nullptr);  // the qualifier never matches in 100
  std::mt19937_64 fresh(99);
  EXPECT_EQ(rng(), fresh());
}

TEST(TriggerTest, ValidateRejectsTermsThatCannotMeanAnything) {
  Term term;
  term.action = Action::kError;
  EXPECT_EQ(ValidateTerm(term), "");
  Term bad = term;
  bad.percent = 0;
  EXPECT_NE(ValidateTerm(bad), "");
  bad = term;
  bad.percent = 100.5;
  EXPECT_NE(ValidateTerm(bad), "");
  bad = term;
  bad.qualifier = Qualifier::kEvery;
  EXPECT_NE(ValidateTerm(bad), "");  // every(0)
  bad = term;
  bad.qualifier = Qualifier::kNth;
  bad.qualifier_n = 4;
  bad.count = 3;
  EXPECT_NE(ValidateTerm(bad), "");  // 3*nth(4) can never fire
  bad = term;
  bad.argument = {Argument::Kind::kNumber, 1};
  EXPECT_EQ(ValidateTerm(bad), "action 'error' takes no argument");
  bad.action = Action::kMisdirect;
  bad.argument.number = 0;
  EXPECT_NE(ValidateTerm(bad), "");
  bad.argument.number = -1;
  EXPECT_EQ(ValidateTerm(bad), "");
  bad.action = Action::kBitflip;
  EXPECT_NE(ValidateTerm(bad), "");  // negative bit index
  bad.argument = {Argument::Kind::kSubset, 0};
  EXPECT_NE(ValidateTerm(bad), "");  // subset is torn's
  bad.action = Action::kTorn;
  EXPECT_EQ(ValidateTerm(bad), "");
}

TEST(TriggerTest, ValidateChainRejectsEmptyAndUnreachable) {
  EXPECT_EQ(ValidateChain({}), "the chain has no term");
  Term forever;
  forever.action = Action::kError;
  Term once = forever;
  once.count = 1;
  EXPECT_EQ(ValidateChain({once, forever}), "");
  const std::string problem = ValidateChain({forever, once});
  EXPECT_NE(problem.find("term 2 is unreachable"), std::string::npos) << problem;
}

}  // namespace
}  // namespace stablevfs::fp
