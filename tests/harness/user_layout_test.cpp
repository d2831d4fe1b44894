// A layout of one's own, added by following docs/adding-a-layout.md step by step.
//
// Goal: the guide works as written, and a layout added that way is judged like a builtin. The layout is
// tests/variants/superblock_mirror_layout.h ("8-sbmirror": layout 8 plus a copy of its superblock at 32 KiB).
// Method, one step of the guide per test: the codec is registered and runs the Layout contract suite
// (tests/lib/layout_contract.h, instantiated here for it); its independent checker is registered beside it,
// is picked for its images, reports them clean and catches a damaged copy; the gate's generated cases under
// the crash models its promise covers (ic, error) hold every judgement, and the explorer finds only the
// failures its promise allows (powerloss and torn, as layout 8); a scenario file that names it replays on it.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "failpoints/registry.h"
#include "harness/check/checker_registry.h"
#include "harness/driver/case_runner.h"
#include "harness/driver/replay.h"
#include "harness/explore/workloads.h"
#include "harness/faults/vocabulary.h"
#include "harness/ops/weights.h"
#include "lib/db/db.h"
#include "tests/lib/layout_contract.h"
#include "tests/variants/layout_variants.h"
#include "tests/variants/superblock_mirror_layout.h"

namespace stablevfs {
namespace {

using variants::kSuperblockMirrorLayout;

// Step 2 of the guide: register before anything looks the layout up (the contract suite's fixture finds it by
// name in SetUp; registering during static initialization is early enough for every test here).
const bool kRegistered = [] {
  variants::RegisterTestLayouts();
  return true;
}();


class UserLayoutTest : public ::testing::Test {
 protected:
  void TearDown() override { fp::ClearAll(); }
};

// An image made through the library (Db::Init with the layout), its bytes.
std::vector<uint8_t> MakeImage() {
  HeapStableMemory memory;
  {
    Db::Options options;
    options.layout = LayoutRegistry::Global().Find(kSuperblockMirrorLayout);
    Result<std::unique_ptr<Db>> db = Db::Init(memory, std::move(options));
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_TRUE((*db)->Update([](Connection& c) {
                       return c.ExecuteScript("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); "
                                        "INSERT INTO t VALUES (1, zeroblob(40000)), (2, 'two')");
                     }).ok());
    EXPECT_TRUE((*db)->Update([](Connection& c) { return c.Execute("DELETE FROM t WHERE id = 1"); }).ok());
    Result<DbMeta> meta = (*db)->GetMeta();
    EXPECT_TRUE(meta.ok());
    EXPECT_EQ(meta->layout, kSuperblockMirrorLayout);
  }
  return memory.bytes();
}

TEST_F(UserLayoutTest, ItsCheckerIsPickedAndFindsItsImagesClean) {
  ASSERT_TRUE(kRegistered);
  const std::vector<uint8_t> image = MakeImage();
  const check::SpanSource source(image);
  // Without a preference, the stored version (8) picks layout 8's checker; the judge and the tools pass the
  // layout under test as the preference, and then its own checker runs.
  EXPECT_EQ(check::CheckImage(source).layout, "8");
  const check::LayoutReport report = check::CheckImage(source, {}, kSuperblockMirrorLayout);
  EXPECT_EQ(report.layout, kSuperblockMirrorLayout);
  EXPECT_TRUE(report.ok()) << check::FormatProblems(report.problems);
}

TEST_F(UserLayoutTest, ItsCheckerCatchesADamagedCopy) {
  std::vector<uint8_t> image = MakeImage();
  image[variants::kMirrorOffsetBytes + 40] ^= 0x10;  // the copy of the flags field
  const check::LayoutReport report = check::CheckImage(check::SpanSource(image), {}, kSuperblockMirrorLayout);
  EXPECT_TRUE(report.Has(check::ProblemKind::kMetaChecksum, variants::kMirrorOffsetBytes + 40))
      << check::FormatProblems(report.problems);
  // Layout 8's own checker does not look there: the rule is the new layout's.
  EXPECT_TRUE(check::CheckImage(check::SpanSource(image)).ok());
}

TEST_F(UserLayoutTest, GeneratedCasesUnderItsPromisedModelsHoldEveryJudgement) {
  const LayoutInfo& layout = *LayoutRegistry::Global().Find(kSuperblockMirrorLayout);
  const ops::GeneratorWeights weights = ops::ParseWeights("arm=12").value();
  for (scenario::CrashModel model : faults::AllCrashModels()) {
    if (!faults::ExpectedToSurvive(layout.atomicity, model)) continue;
    for (uint64_t index = 0; index < 6; ++index) {
      const driver::CaseResult result = driver::RunCase({.seed = 77, .case_index = index, .steps = 40,
                                                         .crash_model = model, .faults = "", .weights = weights,
                                                         .layout = kSuperblockMirrorLayout});
      EXPECT_TRUE(result.ok()) << scenario::CrashModelName(model) << " case " << index << ": "
                               << result.first_violation->violation.property << ": "
                               << result.first_violation->violation.message << "\n"
                               << result.scenario;
    }
  }
}

TEST_F(UserLayoutTest, TheExplorerFindsOnlyWhatItsPromiseAllows) {
  const LayoutInfo& layout = *LayoutRegistry::Global().Find(kSuperblockMirrorLayout);
  explore::ExploreOptions options;
  options.layout = kSuperblockMirrorLayout;
  options.jobs = 2;
  const explore::StandardExploration all = explore::ExploreStandardWorkloads(options);
  std::set<scenario::CrashModel> failed;
  for (const explore::ExploreResult& result : all.results) {
    EXPECT_GT(result.crash_points, 0u);
    for (const explore::Finding& f : result.findings) {
      ASSERT_TRUE(f.point.has_value()) << result.name << ": " << f.violations.front().message;
      const scenario::CrashModel model = explore::CrashModelOf(f.point->action);
      EXPECT_FALSE(faults::ExpectedToSurvive(layout.atomicity, model))
          << result.name << " " << f.point->spec << ": " << f.violations.front().property << ": "
          << f.violations.front().message;
      failed.insert(model);
    }
  }
  EXPECT_EQ(failed, (std::set<scenario::CrashModel>{scenario::CrashModel::kPowerloss, scenario::CrashModel::kTorn}));
}

TEST_F(UserLayoutTest, AScenarioThatNamesItReplaysOnIt) {
  const driver::ReplayResult result = driver::ReplayText(
      "layout 8-sbmirror\n"
      "update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)\nexpect committed\n"
      "arm commit.page_write_in_place=nth(2):error\n"
      "update INSERT INTO t VALUES(1, zeroblob(60000))\nexpect trapped\n"
      "upgrade\nexpect committed\n");
  EXPECT_TRUE(result.passed) << result.failure;
  EXPECT_EQ(result.layout, kSuperblockMirrorLayout);
}

}  // namespace
}  // namespace stablevfs

// Step 3: the contract suite, instantiated for the new layout (in the suite's own namespace).
namespace stablevfs::contract {
INSTANTIATE_TEST_SUITE_P(UserLayout, LayoutContractTest, ::testing::Values(variants::kSuperblockMirrorLayout),
                         [](const ::testing::TestParamInfo<std::string>&) { return std::string("sbmirror"); });
}  // namespace stablevfs::contract
