// A deliberately broken variant of layout 8 must be caught under the error model.
//
// Goal: REFERENCE 3.4 says a page-write failure at page k > 0 of a layout-8 commit must end in a trap, since
// pages 0..k-1 were already overwritten in place; the original's own tests fire that failpoint only before the
// first page, so nothing there decides it. This test proves the harness decides it: a variant whose trap is
// removed (it returns the injected error instead, leaving the new pages under the old superblock) is reported
// as a violation under `error`, while the real layout 8 passes the very same runs. Method: the variant is a
// LayoutWrapper around layout 8 (tests/variants: the same one `stablevfs-variants check --layout 8-no-trap`
// runs), registered under a test name; a hand-written session arms the failure at the
// second page, and the generated crash-error cases of the gate (driver::RunCase, crash model error, arm-heavy
// weights) run on both layouts with the same seeds.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "failpoints/registry.h"
#include "harness/driver/case_runner.h"
#include "harness/ops/interpreter.h"
#include "harness/ops/op_text.h"
#include "harness/ops/weights.h"
#include "lib/core/trap.h"
#include "lib/layout/layout_registry.h"
#include "lib/layout/layout_wrapper.h"
#include "tests/variants/layout_variants.h"

namespace stablevfs {
namespace {

constexpr const char* kVariant = variants::kNoTrapLayout;  // tests/variants/layout_variants.h

class Layout8VariantTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { variants::RegisterTestLayouts(); }
  void TearDown() override { fp::ClearAll(); }

  // The records of: a table, then a 60 KB insert (a 5-page commit) whose second page write fails.
  static std::vector<ops::StepRecord> SecondPageFails(const std::string& layout) {
    ops::Session session({.seed = 5, .layout = layout});
    std::vector<ops::StepRecord> records;
    for (const char* line : {"update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); INSERT INTO t VALUES(1, x'01')",
                             "arm commit.page_write_in_place=nth(2):error",
                             "update INSERT INTO t VALUES(2, zeroblob(60000))", "query SELECT count(*) FROM t"}) {
      records.push_back(session.Run(ops::ParseOp(line).value()));
    }
    return records;
  }
};

TEST_F(Layout8VariantTest, TheRealLayoutTrapsAndHoldsEveryJudgement) {
  const std::vector<ops::StepRecord> records = SecondPageFails("8");
  for (const ops::StepRecord& r : records) EXPECT_TRUE(r.ok()) << r.ToString();
  EXPECT_EQ(records[2].outcome, ops::Outcome::kTrapped) << records[2].ToString();
}

TEST_F(Layout8VariantTest, TheVariantReturnsAnErrorAndTheJudgeSeesTheChangedImage) {
  const std::vector<ops::StepRecord> records = SecondPageFails(kVariant);
  ASSERT_EQ(records[2].outcome, ops::Outcome::kError) << records[2].ToString();
  ASSERT_FALSE(records[2].ok()) << "an error reply that left the first page overwritten in place must be a violation";
  // The image no longer decodes to the page model, and the active state changed under an error reply.
  std::set<std::string> properties;
  for (const ops::Violation& v : records[2].violations) properties.insert(v.property);
  EXPECT_TRUE(properties.count("image")) << records[2].ToString();
  EXPECT_TRUE(properties.count("error.active_state")) << records[2].ToString();
}

// The gate's crash-error suite (generated cases, arm-heavy) catches the variant within its first cases; the
// same seeds on the real layout find nothing.
TEST_F(Layout8VariantTest, TheCrashErrorSuiteCatchesTheVariantAndPassesTheLayout) {
  const ops::GeneratorWeights weights = ops::ParseWeights("arm=12").value();
  int caught_at = -1;
  for (uint64_t index = 0; index < 60 && caught_at < 0; ++index) {
    driver::CaseConfig config{.seed = 24301, .case_index = index, .steps = 50,
                              .crash_model = scenario::CrashModel::kError, .faults = "", .weights = weights,
                              .layout = kVariant};
    const driver::CaseResult variant = driver::RunCase(config);
    config.layout = "8";
    const driver::CaseResult real = driver::RunCase(config);
    EXPECT_TRUE(real.ok()) << "layout 8 case " << index << ": " << real.first_violation->violation.property << ": "
                           << real.first_violation->violation.message;
    if (!variant.ok()) {
      caught_at = static_cast<int>(index);
      const std::string& property = variant.first_violation->violation.property;
      EXPECT_TRUE(property == "image" || property == "error.active_state")
          << property << ": " << variant.first_violation->violation.message;
      EXPECT_NE(variant.scenario.find("layout " + std::string(kVariant)), std::string::npos)
          << "the saved case names the variant, so it replays on it";
    }
  }
  EXPECT_GE(caught_at, 0) << "60 crash-error cases never caught a layout that returns an error after page 1";
  std::cout << "the variant was caught in case " << caught_at << "\n";
}

}  // namespace
}  // namespace stablevfs
