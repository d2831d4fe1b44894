// Explorer counting: the crash points are exactly the failpoint evaluations inside the workload's messages.
//
// Goal: the explorer claims to inject every action at every evaluation of every site inside each message, and
// nothing else (an evaluation by the judge between messages is not a crash point). Too few points would hide
// crash points; too many would be runs where nothing was injected, counted as verified. Method: an independent
// count by brute force, without checkpoints or hooks. For each message op i of a tiny workload and each
// catalogued site s, a plain Session counts s's evaluations during op i (fp hit counters, the judge's
// included); then, for every n up to that count, a fresh Session replays the ops before i, upgrades (the
// explorer runs each op on a heap rebuilt from stable memory, which is what an upgrade does), arms
// `s=nth(n):crash` and runs op i: n is an in-message evaluation exactly when the failpoint fires. The
// explorer's points for (i, s) must be exactly those n, each with every requested action the site accepts,
// and every point it runs must fire. The workload's ops are chosen to reach many sites with few hits.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "failpoints/catalogue.h"
#include "failpoints/registry.h"
#include "harness/explore/explorer.h"
#include "harness/ops/catalogue_setup.h"
#include "harness/ops/interpreter.h"
#include "harness/scenario/scenario.h"

namespace stablevfs::explore {
namespace {

constexpr const char* kWorkload =
    "seed 4\n"
    "update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); INSERT INTO t VALUES(1, zeroblob(17000))\n"
    "kv-put k x'0102'\n"
    "query SELECT count(*) FROM t\n"
    "migrate 1:CREATE TABLE m(x)\n";

scenario::Scenario Workload() {
  scenario::ParseOptions parse;
  parse.catalogue = &ops::RegisterCatalogue();
  scenario::ScenarioResult parsed = scenario::ParseScenario(kWorkload, "<test>", parse);
  if (!parsed.ok()) throw std::runtime_error(parsed.error().ToString());
  return std::move(parsed).value();
}

bool FiredCrash(const ops::StepRecord& record, const std::string& site) {
  for (const std::string& f : record.fired) {
    if (f == site + ":crash" || f.rfind(site + ":crash x", 0) == 0) return true;
  }
  return false;
}

// The in-message ordinals of (op i, site), by brute force (see the header comment). Runs on its own thread.
std::map<std::pair<size_t, std::string>, std::vector<uint64_t>> BruteForceOrdinals(const scenario::Scenario& w) {
  std::map<std::pair<size_t, std::string>, std::vector<uint64_t>> out;
  const std::vector<fp::SiteInfo> sites = ops::RegisterCatalogue().All();
  std::thread([&] {
    const ops::SessionOptions options{.seed = w.seed.value_or(0)};
    for (size_t i = 0; i < w.steps.size(); ++i) {
      if (!ops::IsMessage(ops::KindOf(w.steps[i].op))) continue;
      // Raw evaluation counts of op i.
      fp::HitSnapshot before, after;
      {
        ops::Session session(options);
        for (size_t k = 0; k < i; ++k) session.Run(w.steps[k].op);
        session.Run(ops::UpgradeOp{});
        before = fp::Snapshot();
        session.Run(w.steps[i].op);
        after = fp::Snapshot();
      }
      for (const fp::SiteInfo& site : sites) {
        const std::string name(site.name);
        const uint64_t total = after.HitsOf(name) - before.HitsOf(name);
        for (uint64_t n = 1; n <= total; ++n) {
          ops::Session session(options);
          for (size_t k = 0; k < i; ++k) session.Run(w.steps[k].op);
          session.Run(ops::UpgradeOp{});
          EXPECT_TRUE(session.Run(ops::ArmOp{name + "=nth(" + std::to_string(n) + "):crash"}).ok());
          if (FiredCrash(session.Run(w.steps[i].op), name)) out[{i, name}].push_back(n);
        }
      }
    }
  }).join();
  return out;
}

TEST(ExploreCountTest, PointsAreExactlyTheInMessageEvaluations) {
  const scenario::Scenario workload = Workload();
  const auto expected_ordinals = BruteForceOrdinals(workload);
  ASSERT_FALSE(expected_ordinals.empty());

  ExploreOptions options;
  options.keep_points = true;
  const ExploreResult result = ExploreWorkload(workload, "count", options);
  ASSERT_TRUE(result.ok()) << result.findings.front().violations.front().message;

  // The explorer's ordinals per (op, site), from its points (any action: every site accepts powerloss).
  std::map<std::pair<size_t, std::string>, std::vector<uint64_t>> explored;
  for (const PointResult& p : result.points) {
    if (p.point.action != CrashAction::kPowerloss) continue;
    explored[{p.point.op_index, p.point.site}].push_back(p.point.ordinal);
  }
  EXPECT_EQ(explored, expected_ordinals);

  // Every point fired, and the count per (site, action) is the ordinals times the actions the site takes.
  uint64_t expected_points = 0;
  std::map<std::pair<std::string, CrashAction>, uint64_t> expected_by;
  const fp::Catalogue& catalogue = ops::RegisterCatalogue();
  for (const auto& [key, ordinals] : expected_ordinals) {
    const fp::SiteInfo site = *catalogue.Find(key.second);
    for (CrashAction action : AllCrashActions()) {
      if (!site.Accepts(ToFpAction(action))) continue;
      expected_points += ordinals.size();
      expected_by[{key.second, action}] += ordinals.size();
    }
  }
  EXPECT_EQ(result.crash_points, expected_points);
  EXPECT_EQ(result.points_run, expected_points);
  for (const auto& [key, count] : result.by_site_action) {
    EXPECT_EQ(count.points, expected_by[key]) << key.first << " " << CrashActionName(key.second);
    EXPECT_EQ(count.not_fired, 0u) << key.first;
  }
  EXPECT_EQ(result.by_site_action.size(), expected_by.size());

}

// A site the workload arms itself cannot be observed (arming it to observe would disarm it): every evaluation of
// that op is tried, those outside a message do not fire, and the explorer counts them apart and says why.
TEST(ExploreCountTest, ASiteTheWorkloadArmsIsTriedAtEveryHit) {
  scenario::ParseOptions parse;
  parse.catalogue = &ops::RegisterCatalogue();
  const scenario::Scenario workload =
      scenario::ParseScenario("update CREATE TABLE t(a)\n"
                              "arm commit.superblock_publish=nth(1):error\n"
                              "update INSERT INTO t VALUES(1)\n",
                              "<test>", parse)
          .value();
  ExploreOptions options;
  options.actions = {CrashAction::kPowerloss};
  const ExploreResult result = ExploreWorkload(workload, "armed", options);
  ASSERT_TRUE(result.ok()) << result.findings.front().violations.front().message;
  bool warned = false;
  for (const std::string& w : result.warnings) warned |= w.rfind("commit.superblock_publish is armed", 0) == 0;
  EXPECT_TRUE(warned);
  // The armed op errors at the publish; the points at its other sites still run with that arm in force, and
  // the publish itself is tried at its one evaluation (replacing the workload's arm), where it fires.
  const SiteActionCount& publish = result.by_site_action.at({"commit.superblock_publish", CrashAction::kPowerloss});
  EXPECT_EQ(publish.points, 2u);  // one per update
  EXPECT_EQ(publish.not_fired, 0u);
  EXPECT_EQ(publish.outcomes[static_cast<int>(ops::Outcome::kCrashed)], 2u);
}

TEST(ExploreCountTest, ActionsFilterAndOrdinalCap) {
  const scenario::Scenario workload = Workload();
  ExploreOptions all;
  const ExplorePlan full = PlanWorkload(workload, all);
  ExploreOptions torn_only;
  torn_only.actions = {CrashAction::kTorn};
  const ExplorePlan torn = PlanWorkload(workload, torn_only);
  uint64_t writes = 0;
  for (const CrashPoint& p : full.points) writes += p.site == "memory.write" && p.action == CrashAction::kTorn;
  EXPECT_EQ(torn.points.size(), writes);
  ASSERT_GT(writes, 0u);
  for (const CrashPoint& p : torn.points) {
    EXPECT_EQ(p.site, "memory.write");
    // An explicit tear: the first half of the write (its length is known from the dry run).
    EXPECT_NE(p.spec.find(":torn("), std::string::npos) << p.spec;
  }

  ExploreOptions capped;
  capped.max_ordinals = 1;
  capped.actions = {CrashAction::kError};
  const ExplorePlan one = PlanWorkload(workload, capped);
  std::set<std::pair<size_t, std::string>> seen;
  for (const CrashPoint& p : one.points) {
    EXPECT_TRUE(seen.insert({p.op_index, p.site}).second) << "two ordinals of " << p.site;
    EXPECT_NE(p.site, "memory.write");  // memory.write takes no error
  }
  EXPECT_FALSE(one.points.empty());
}

TEST(ExploreCountTest, ParsesActionLists) {
  std::string error;
  auto parsed = ParseCrashActions("torn, error,torn", &error);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, (std::vector<CrashAction>{CrashAction::kError, CrashAction::kTorn}));
  EXPECT_FALSE(ParseCrashActions("error,crash", &error));
  EXPECT_NE(error.find("'crash'"), std::string::npos) << error;
  EXPECT_FALSE(ParseCrashActions("", &error));
}

}  // namespace
}  // namespace stablevfs::explore
