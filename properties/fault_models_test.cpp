// Fault models: every catalogued failpoint, armed at many ordinals under each crash model, is judged clean.
//
// Goal: the judgement table holds after every message when a failpoint fires in the middle of it, whichever
// site and whichever hit: under `error` the failed message leaves the active superblock and page map
// byte-identical and the next op works; under `ic` a trap leaves every byte of stable memory as it was; under
// `powerloss` and `torn` the rebooted canister holds the old state or the new one, never a third, and fsck is
// clean. Method: the rapidcheck state machine of property_case.h with guided arms: a dry run counts the hits
// each op makes at every site, and about 40% of the message ops get an `arm <site>=nth(N):<action>` before them,
// the site drawn among those the op reaches and N among its real hits (the first, the last, or any), so sites
// are armed at ordinals far beyond the first hit (a commit writes dozens of pages). A unit test of the draw
// checks that the ordinals spread over the whole hit range, are always ordinals of in-message evaluations, and
// that each model arms only its own action; another that real cases fire their arms beyond the first hit.
// Layout 6 (the default) runs under all four models; layout 8, atomic only under the IC's trap rollback, runs
// under the two it promises to survive (ic and error); its powerloss and torn failures are expected, and are
// shown by the explorer tests, the scenarios in scenarios/layout8/ and `stablevfs check --layout 8`. sv1 runs
// under powerloss and torn, the models that set it apart from layout 8.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>

#include "failpoints/registry.h"
#include "failpoints/spec.h"
#include "properties/support/property_case.h"

namespace stablevfs::properties {
namespace {

using scenario::CrashModel;

RC_GTEST_PROP(FaultModels, ErrorAtAnyHitOfAnySite, ()) {
  const SuiteConfig config = CrashModelSuite(CrashModel::kError);
  CheckCase(config, *GenPropertyCase(config));
}

RC_GTEST_PROP(FaultModels, TrapAtAnyHitOfAnySite, ()) {
  const SuiteConfig config = CrashModelSuite(CrashModel::kIc);
  CheckCase(config, *GenPropertyCase(config));
}

RC_GTEST_PROP(FaultModels, Layout8ErrorAtAnyHitOfAnySite, ()) {
  SuiteConfig config = CrashModelSuite(CrashModel::kError);
  config.layout = "8";
  CheckCase(config, *GenPropertyCase(config));
}

RC_GTEST_PROP(FaultModels, Layout8TrapAtAnyHitOfAnySite, ()) {
  SuiteConfig config = CrashModelSuite(CrashModel::kIc);
  config.layout = "8";
  CheckCase(config, *GenPropertyCase(config));
}

// sv1 promises every model, byte-torn writes included: it runs under the two a layout 8 cannot survive.
RC_GTEST_PROP(FaultModels, Sv1PowerLossAtAnyHitOfAnySite, ()) {
  SuiteConfig config = CrashModelSuite(CrashModel::kPowerloss);
  config.layout = "sv1";
  CheckCase(config, *GenPropertyCase(config));
}

RC_GTEST_PROP(FaultModels, Sv1TornWriteAtAnyHitOfAnySite, ()) {
  SuiteConfig config = CrashModelSuite(CrashModel::kTorn);
  config.layout = "sv1";
  CheckCase(config, *GenPropertyCase(config));
}

RC_GTEST_PROP(FaultModels, PowerLossAtAnyHitOfAnySite, ()) {
  const SuiteConfig config = CrashModelSuite(CrashModel::kPowerloss);
  CheckCase(config, *GenPropertyCase(config));
}

RC_GTEST_PROP(FaultModels, TornWriteAtAnyHitOfAnySite, ()) {
  const SuiteConfig config = CrashModelSuite(CrashModel::kTorn);
  CheckCase(config, *GenPropertyCase(config));
}

// The guided draw: ordinals cover the whole hit range, and each model arms only the action it stands for.
// Where a made-up op evaluates three sites inside its messages (sqlite.step with gaps: the judge's evaluations
// between messages count towards the ordinals but are never a crash point).
OpHits MadeUpHits() {
  OpHits hits;
  for (uint64_t n = 1; n <= 40; ++n) hits["commit.page_write"].push_back(n);
  for (uint64_t n = 1; n <= 90; ++n) hits["memory.write"].push_back(n);
  hits["sqlite.step"] = {2, 5, 9};
  return hits;
}

TEST(FaultModels, GuidedArmsSpreadOverEveryHit) {
  const OpHits hits = MadeUpHits();
  struct Expectation {
    CrashModel model;
    std::set<std::string> actions;  // spelled as in the spec, arguments included
  } expectations[] = {
      {CrashModel::kError, {"error"}},
      {CrashModel::kIc, {"trap"}},
      {CrashModel::kPowerloss, {"crash"}},
      {CrashModel::kTorn, {"crash", "torn", "torn(prefix)", "torn(subset)"}},
  };
  for (const Expectation& e : expectations) {
    ops::Random random(7);
    std::set<std::string> sites;
    std::set<uint64_t> write_ordinals;
    for (int i = 0; i < 400; ++i) {
      const std::optional<ops::ArmOp> arm = GuidedArm(e.model, hits, random);
      ASSERT_TRUE(arm.has_value());
      fp::Spec spec;
      ASSERT_TRUE(fp::ParseSpec(arm->spec, &spec).ok()) << arm->spec;
      ASSERT_EQ(spec.entries.size(), 1u);
      const fp::SpecEntry& entry = spec.entries.front();
      sites.insert(entry.name);
      const fp::Term& term = entry.chain.front();
      std::string action(fp::ActionName(term.action));
      if (term.argument.kind == fp::Argument::Kind::kPrefix) action += "(prefix)";
      if (term.argument.kind == fp::Argument::Kind::kSubset) action += "(subset)";
      EXPECT_TRUE(e.actions.count(action)) << arm->spec;
      const uint64_t ordinal = term.qualifier == fp::Qualifier::kAfter ? term.qualifier_n + 1 : term.qualifier_n;
      const std::vector<uint64_t>& listed = hits.at(entry.name);
      EXPECT_NE(std::find(listed.begin(), listed.end(), ordinal), listed.end()) << arm->spec << ": not in a message";
      if (entry.name == "memory.write") write_ordinals.insert(ordinal);
    }
    // memory.write cannot return an error, so the error model never arms it.
    EXPECT_EQ(sites.count("memory.write"), e.model == CrashModel::kError ? 0u : 1u);
    EXPECT_TRUE(sites.count("commit.page_write") && sites.count("sqlite.step"));
    if (e.model != CrashModel::kError) {
      EXPECT_TRUE(write_ordinals.count(1) && write_ordinals.count(90)) << "both boundaries";
      EXPECT_GT(write_ordinals.size(), 30u) << "ordinals in between";
    }
  }
  // A site the model cannot arm is never drawn; no site at all gives no arm.
  ops::Random random(1);
  EXPECT_FALSE(GuidedArm(CrashModel::kError, {{"memory.write", {1, 2, 3}}}, random).has_value());
  EXPECT_FALSE(GuidedArm(CrashModel::kIc, {{"sqlite.step", {}}}, random).has_value());
  EXPECT_FALSE(GuidedArm(CrashModel::kIc, {}, random).has_value());
}

// A case of each model really fires its action, at more than the first ordinal.
TEST(FaultModels, CasesFireBeyondTheFirstHit) {
  const fp::ScopedRegistryReset reset;
  for (CrashModel model : {CrashModel::kError, CrashModel::kIc, CrashModel::kPowerloss, CrashModel::kTorn}) {
    SuiteConfig config = CrashModelSuite(model);
    uint64_t fired = 0;
    std::set<uint64_t> ordinals;
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const CaseOps c = BuildCase(config, seed, 20);
      for (const ops::Op& op : c.ops) {
        if (const auto* arm = std::get_if<ops::ArmOp>(&op)) {
          fp::Spec spec;
          ASSERT_TRUE(fp::ParseSpec(arm->spec, &spec).ok());
          ordinals.insert(spec.entries.front().chain.front().qualifier_n);
        }
      }
      SessionSut sut(config, c.seed);
      for (const ops::Op& op : c.ops) {
        const ops::StepRecord& record = sut.Run(op);
        EXPECT_TRUE(record.ok()) << record.ToString();
        fired += record.fired.size();
      }
    }
    EXPECT_GT(fired, 5u) << scenario::CrashModelName(model);
    EXPECT_GT(ordinals.size(), 3u) << scenario::CrashModelName(model) << ": ordinals beyond the first";
  }
}

}  // namespace
}  // namespace stablevfs::properties
