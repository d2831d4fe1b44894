// The spec syntax: what parses to what, what is rejected and how the rejection reads, and printing.
//
// Goal: a spec is accepted whole or rejected whole, and every rejection points at the offending token by its
// 1-based column, because people type these on command lines and in scenario files. Method: a table of good
// specs with the structure each must produce; a table of bad specs, each with the exact column, the token
// the message must quote and a fragment of the explanation; catalogue checks with a local catalogue; and
// print/parse round trips over hand-picked specs and over 3,000 specs generated from a seed.

#include "failpoints/spec.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "failpoints/catalogue.h"

namespace stablevfs::fp {
namespace {

Spec MustParse(const std::string& text) {
  Spec spec;
  const SpecStatus status = ParseSpec(text, &spec);
  EXPECT_TRUE(status.ok()) << text << ": " << status.message();
  return spec;
}

TEST(SpecTest, EmptyAndBlankSpecsArmNothing) {
  EXPECT_TRUE(MustParse("").empty());
  EXPECT_TRUE(MustParse("   \t ").empty());
}

TEST(SpecTest, SingleBareAction) {
  const Spec spec = MustParse("commit.page_write=error");
  ASSERT_EQ(spec.entries.size(), 1u);
  EXPECT_EQ(spec.entries[0].name, "commit.page_write");
  ASSERT_EQ(spec.entries[0].chain.size(), 1u);
  Term expected;
  expected.action = Action::kError;
  EXPECT_EQ(spec.entries[0].chain[0], expected);
}

TEST(SpecTest, EveryPartOfATerm) {
  const Spec spec = MustParse("x=2*33.3%after(1):torn(prefix)");
  ASSERT_EQ(spec.entries.size(), 1u);
  ASSERT_EQ(spec.entries[0].chain.size(), 1u);
  const Term& term = spec.entries[0].chain[0];
  EXPECT_EQ(term.count, 2u);
  EXPECT_EQ(term.percent, 33.3);
  EXPECT_EQ(term.qualifier, Qualifier::kAfter);
  EXPECT_EQ(term.qualifier_n, 1u);
  EXPECT_EQ(term.action, Action::kTorn);
  EXPECT_EQ(term.argument.kind, Argument::Kind::kPrefix);
}

TEST(SpecTest, ChainsEntriesAndBlanks) {
  const Spec spec = MustParse(" a = 3*off -> 1*trap ; b.c=every(4):crash\t");
  ASSERT_EQ(spec.entries.size(), 2u);
  EXPECT_EQ(spec.entries[0].name, "a");
  ASSERT_EQ(spec.entries[0].chain.size(), 2u);
  EXPECT_EQ(spec.entries[0].chain[0].count, 3u);
  EXPECT_EQ(spec.entries[0].chain[0].action, Action::kOff);
  EXPECT_EQ(spec.entries[0].chain[1].count, 1u);
  EXPECT_EQ(spec.entries[0].chain[1].action, Action::kTrap);
  EXPECT_EQ(spec.entries[1].name, "b.c");
  EXPECT_EQ(spec.entries[1].chain[0].qualifier, Qualifier::kEvery);
  EXPECT_EQ(spec.entries[1].chain[0].qualifier_n, 4u);
  EXPECT_EQ(spec.entries[1].chain[0].action, Action::kCrash);
}

TEST(SpecTest, ArgumentsOfEachKind) {
  const Spec spec =
      MustParse("t=1*torn(subset)->1*torn(512)->torn;m=1*misdirect(-4096)->misdirect(+65536);b=bitflip(7);l=lost");
  ASSERT_EQ(spec.entries.size(), 4u);
  const Chain& torn = spec.entries[0].chain;
  EXPECT_EQ(torn[0].argument, (Argument{Argument::Kind::kSubset, 0}));
  EXPECT_EQ(torn[1].argument, (Argument{Argument::Kind::kNumber, 512}));
  EXPECT_EQ(torn[2].argument, Argument{});
  EXPECT_EQ(spec.entries[1].chain[0].argument.number, -4096);
  EXPECT_EQ(spec.entries[1].chain[1].argument.number, 65536);
  EXPECT_EQ(spec.entries[2].chain[0].action, Action::kBitflip);
  EXPECT_EQ(spec.entries[2].chain[0].argument.number, 7);
  EXPECT_EQ(spec.entries[3].chain[0].action, Action::kLost);
}

TEST(SpecTest, EveryActionNameParses) {
  for (int a = 0; a < kActionCount; ++a) {
    const auto action = static_cast<Action>(a);
    const Spec spec = MustParse("s=" + std::string(ActionName(action)));
    ASSERT_EQ(spec.entries.size(), 1u);
    EXPECT_EQ(spec.entries[0].chain[0].action, action);
  }
}

struct BadCase {
  const char* spec;
  int column;
  const char* token;  // must appear quoted in the message ('token'), or "the end of the spec"
  const char* what;   // a fragment of the explanation
};

TEST(SpecTest, BadSpecsAreRejectedWithColumnAndToken) {
  const std::vector<BadCase> cases = {
      {"a=error;b=3*off->trapp", 18, "'trapp'",
       "unknown action 'trapp' (expected off, error, trap, crash, torn, lost, misdirect, bitflip)"},
      {"commit.page_write=trapp", 19, "'trapp'", "unknown action"},
      {"a=trap2", 3, "'trap2'", "unknown action"},
      {"=error", 1, "'='", "expected a failpoint name"},
      {"a", 2, "the end of the spec", "expected '=' after failpoint name 'a'"},
      {"a:error", 2, "':'", "expected '=' after failpoint name 'a'"},
      {"a.b-c=error", 4, "'-c'", "expected '='"},
      {"a=", 3, "the end of the spec", "expected an action"},
      {"a==error", 3, "'='", "expected an action"},
      {"a=0*error", 3, "'0'", "count '0' must be at least 1"},
      {"a=1.5*error", 3, "'1.5'", "malformed number"},
      {"a=99999999999999999999*error", 3, "'99999999999999999999'", "too large"},
      {"a=0%error", 3, "'0'", "probability '0' must be in (0, 100]"},
      {"a=100.5%error", 3, "'100.5'", "must be in (0, 100]"},
      {"a=1.2.3%error", 3, "'1.2.3'", "malformed probability"},
      {"a=3error", 4, "'error'", "expected '*' or '%' after number '3'"},
      {"a=3*2*error", 6, "'*'", "expected '%' after number '2'"},
      {"a=50%3*error", 6, "'3'", "expected an action"},
      {"a=nth(0):error", 7, "'0'", "nth(N) needs N >= 1"},
      {"a=every(0):error", 9, "'0'", "every(N) needs N >= 1"},
      {"a=nth3:error", 6, "'3'", "expected '(' after 'nth'"},
      {"a=nth():error", 7, "')'", "expected a number"},
      {"a=nth(3:error", 8, "':'", "expected ')' to close 'nth('"},
      {"a=nth(3)error", 9, "'error'", "expected ':' between 'nth(3)' and the action"},
      {"a=2*nth(3):trap", 3, "count 2*", "count 2* ends the term before nth(3) can fire"},
      {"a=error(5)", 9, "'5'", "action 'error' takes no argument"},
      {"a=torn(middle)", 8, "'middle'", "torn takes prefix, subset or a byte count"},
      {"a=torn()", 8, "''", "torn takes"},
      {"a=misdirect(0)", 13, "'0'", "misdirect takes a nonzero signed byte delta"},
      {"a=misdirect(+9223372036854775808)", 13, "'+9223372036854775808'",
       "out of range (-9223372036854775808..9223372036854775807)"},
      {"a=misdirect(-9223372036854775809)", 13, "'-9223372036854775809'", "out of range"},
      {"a=bitflip(-1)", 11, "'-1'", "bitflip takes a bit index >= 0"},
      {"a=bitflip(prefix)", 11, "'prefix'", "bitflip takes a bit index"},
      {"a=torn(prefix", 14, "the end of the spec", "expected ')' to close the argument of 'torn'"},
      {"a=error->trap", 10, "'trap'", "is unreachable"},
      {"a=1*off->error->trap", 17, "'trap'", "is unreachable"},
      {"a=error;a=trap", 9, "'a'", "failpoint 'a' is named twice"},
      {"a=error;", 9, "the end of the spec", "expected a failpoint name"},
      {"a=error b=trap", 9, "'b'", "expected '->', ';' or the end of the spec"},
      {"a=torn(1)(2)", 10, "'('", "expected '->', ';' or the end of the spec"},
      {"a=1*error->", 12, "the end of the spec", "expected an action"},
  };
  for (const BadCase& c : cases) {
    Spec spec;
    spec.entries.push_back({"left", {Term{}}});  // must be cleared by a rejection
    const SpecStatus status = ParseSpec(c.spec, &spec);
    ASSERT_FALSE(status.ok()) << c.spec;
    const std::string& message = status.message();
    const std::string prefix = "spec column " + std::to_string(c.column) + ": ";
    EXPECT_EQ(message.substr(0, prefix.size()), prefix) << c.spec << " -> " << message;
    EXPECT_NE(message.find(c.token), std::string::npos) << c.spec << " -> " << message;
    EXPECT_NE(message.find(c.what), std::string::npos) << c.spec << " -> " << message;
    EXPECT_TRUE(spec.empty()) << c.spec;
  }
}

TEST(SpecTest, TheDocumentedExampleMessage) {
  Spec spec;
  const SpecStatus status = ParseSpec("memory.grow=error;sqlite.step=trapp", &spec);
  EXPECT_EQ(status.message(),
            "spec column 31: unknown action 'trapp' (expected off, error, trap, crash, torn, lost, misdirect, "
            "bitflip)");
}

class SpecCatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static constexpr SiteInfo kSites[] = {
        {"commit.page_write", "lib/layout commit", "page write failure", kLibraryActions},
        {"memory.write", "harness/sim", "a stable write",
         ActionBit(Action::kCrash) | ActionBit(Action::kTorn) | ActionBit(Action::kBitflip)},
    };
    catalogue_.Register(kSites);
  }
  Catalogue catalogue_;
};

TEST_F(SpecCatalogueTest, KnownNamesAndApplicableActionsPass) {
  Spec spec;
  const SpecStatus status = ParseSpec("commit.page_write=2*off->1*crash;memory.write=torn(prefix)", &spec, &catalogue_);
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(spec.entries.size(), 2u);
  // off applies everywhere, even where the catalogue lists no bit for it.
  EXPECT_TRUE(ParseSpec("memory.write=off", &spec, &catalogue_).ok());
}

TEST_F(SpecCatalogueTest, UnknownFailpointIsRejectedAtItsColumn) {
  Spec spec;
  const SpecStatus status = ParseSpec("commit.page_write=error;nosuch=trap", &spec, &catalogue_);
  EXPECT_EQ(status.message(), "spec column 25: unknown failpoint 'nosuch' (run `stablevfs failpoints` for the list)");
  // Without a catalogue any well-formed name is fine.
  EXPECT_TRUE(ParseSpec("commit.page_write=error;nosuch=trap", &spec).ok());
}

TEST_F(SpecCatalogueTest, InapplicableActionIsRejectedAtItsColumn) {
  Spec spec;
  SpecStatus status = ParseSpec("commit.page_write=torn", &spec, &catalogue_);
  EXPECT_EQ(status.message(),
            "spec column 19: action 'torn' does not apply to failpoint 'commit.page_write' (it takes error, trap, "
            "crash)");
  status = ParseSpec("memory.write=1*torn->error", &spec, &catalogue_);
  EXPECT_EQ(status.message().substr(0, 16), "spec column 22: ") << status.message();
  EXPECT_NE(status.message().find("action 'error' does not apply"), std::string::npos) << status.message();
}

TEST_F(SpecCatalogueTest, ValidateEntryUsesTheSameRules) {
  Term torn;
  torn.action = Action::kTorn;
  SpecStatus status = ValidateEntry({"commit.page_write", {torn}}, &catalogue_);
  EXPECT_EQ(status.message(),
            "failpoint 'commit.page_write': term 1: action 'torn' does not apply to failpoint 'commit.page_write' "
            "(it takes error, trap, crash)");
  status = ValidateEntry({"nosuch", {torn}}, &catalogue_);
  EXPECT_EQ(status.message(), "unknown failpoint 'nosuch' (run `stablevfs failpoints` for the list)");
  status = ValidateEntry({"bad name", {torn}});
  EXPECT_NE(status.message().find("bad failpoint name 'bad name'"), std::string::npos) << status.message();
  status = ValidateEntry({"x", {}});
  EXPECT_EQ(status.message(), "failpoint 'x': the chain has no term");
  EXPECT_TRUE(ValidateEntry({"memory.write", {torn}}, &catalogue_).ok());
}

TEST(SpecTest, PrintsCanonicalText) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c : {
           Case{"a=error", "a=error"},
           Case{" a = 3*off -> 1*trap ; b=every(4):crash", "a=3*off->1*trap;b=every(4):crash"},
           Case{"a=100%error", "a=error"},
           Case{"a=050.50%error", "a=50.5%error"},
           Case{"m=misdirect(65536)", "m=misdirect(+65536)"},
           Case{"m=misdirect(-8)", "m=misdirect(-8)"},
           // The whole int64 range, both ends.
           Case{"m=misdirect(-9223372036854775808)", "m=misdirect(-9223372036854775808)"},
           Case{"m=misdirect(9223372036854775807)", "m=misdirect(+9223372036854775807)"},
           Case{"t=torn(+12)", "t=torn(12)"},
           Case{"x=2*0.001%nth(2):torn(subset)->after(0):bitflip(3)",
                "x=2*0.001%nth(2):torn(subset)->after(0):bitflip(3)"},
       }) {
    EXPECT_EQ(ToString(MustParse(c.in)), c.out) << c.in;
  }
}

// A random valid term: valid by construction, with every field exercised.
Term RandomTerm(std::mt19937_64& rng, bool must_end) {
  Term term;
  term.action = static_cast<Action>(rng() % kActionCount);
  const uint64_t q = rng() % 4;
  term.qualifier = static_cast<Qualifier>(q);
  if (term.qualifier != Qualifier::kAlways)
    term.qualifier_n = rng() % 1000 + (term.qualifier == Qualifier::kAfter ? 0 : 1);
  if (rng() % 2 == 0 || (must_end && term.qualifier != Qualifier::kNth)) {
    term.count = rng() % 100 + 1;
    if (term.qualifier == Qualifier::kNth) term.count += term.qualifier_n;
  }
  switch (rng() % 4) {
    case 0:
      break;  // 100
    case 1:
      term.percent = static_cast<double>(rng() % 100000 + 1) / 1000.0;  // 0.001 .. 100.000
      break;
    default:
      // An arbitrary double in (0, 100): the printer must find a representation that parses back exactly.
      do {
        term.percent = UniformDraw(rng) * 100.0;
      } while (term.percent == 0.0);
  }
  switch (term.action) {
    case Action::kTorn:
      switch (rng() % 4) {
        case 0:
          break;
        case 1:
          term.argument.kind = Argument::Kind::kPrefix;
          break;
        case 2:
          term.argument.kind = Argument::Kind::kSubset;
          break;
        default:
          term.argument = {Argument::Kind::kNumber, static_cast<int64_t>(rng() % 70000)};
      }
      break;
    case Action::kMisdirect:
      if (rng() % 2) {
        int64_t delta = static_cast<int64_t>(rng() % 200000) - 100000;
        term.argument = {Argument::Kind::kNumber, delta == 0 ? 1 : delta};
      }
      break;
    case Action::kBitflip:
      if (rng() % 2) term.argument = {Argument::Kind::kNumber, static_cast<int64_t>(rng() >> 1)};
      break;
    default:
      break;
  }
  return term;
}

TEST(SpecTest, RoundTripHoldsForGeneratedSpecs) {
  std::mt19937_64 rng(0x5eed);
  for (int i = 0; i < 3000; ++i) {
    Spec spec;
    const int entries = static_cast<int>(rng() % 4);
    for (int e = 0; e < entries; ++e) {
      SpecEntry entry;
      entry.name = "site" + std::to_string(e) + (rng() % 2 ? ".sub_part" : "");
      const int terms = static_cast<int>(rng() % 4) + 1;
      for (int t = 0; t < terms; ++t) entry.chain.push_back(RandomTerm(rng, t + 1 < terms));
      ASSERT_TRUE(ValidateEntry(entry).ok()) << ValidateEntry(entry).message();
      spec.entries.push_back(std::move(entry));
    }
    const std::string text = ToString(spec);
    Spec parsed;
    const SpecStatus status = ParseSpec(text, &parsed);
    ASSERT_TRUE(status.ok()) << text << ": " << status.message();
    ASSERT_EQ(parsed, spec) << text;
    ASSERT_EQ(ToString(parsed), text);
  }
}

TEST(SpecTest, RoundTripHoldsForHandWrittenSpecs) {
  for (const char* text :
       {"a=error", "commit.page_write=3*off->1*trap", "memory.write=0.5%torn(prefix);memory.grow=every(3):error",
        "x=1*misdirect(-4096)->1*misdirect(+1)->bitflip(0)", "y=5*after(2):lost->nth(9):crash"}) {
    const Spec spec = MustParse(text);
    EXPECT_EQ(MustParse(ToString(spec)), spec) << text;
  }
}

TEST(SpecTest, SiteNameSyntax) {
  EXPECT_TRUE(IsValidSiteName("commit.page_write"));
  EXPECT_TRUE(IsValidSiteName("A9_."));
  EXPECT_FALSE(IsValidSiteName(""));
  EXPECT_FALSE(IsValidSiteName("a-b"));
  EXPECT_FALSE(IsValidSiteName("a b"));
  EXPECT_FALSE(IsValidSiteName("a=b"));
}

}  // namespace
}  // namespace stablevfs::fp
