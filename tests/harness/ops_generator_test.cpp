// Goal: the generator is a deterministic function of its seed and options, every op it produces prints as one
// line that parses back to the same op, its arm specs are valid failpoint specs, its weights steer it, and its
// model follows Observe().
//
// Method: generate thousands of ops from several seeds and round-trip each through PrintOp / ParseOp; compare
// two generators with the same seed line by line and a third with another seed; pin a hash of the first lines
// of one seed so a change of output across machines or standard libraries (or an unnoticed change of the
// generator) fails here; check planned outcomes and the model's rollback on Observe. The SQL's behaviour in
// SQLite is tested in ops_sql_generator_test.cpp.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "failpoints/catalogue.h"
#include "failpoints/spec.h"
#include "harness/ops/op.h"
#include "harness/ops/op_generator.h"
#include "harness/ops/op_text.h"
#include "harness/ops/weights.h"
#include "harness/sim/sim_failpoints.h"
#include "lib/core/failpoint_catalogue.h"

namespace stablevfs::ops {
namespace {

uint64_t Fnv1a(std::string_view text, uint64_t state = 0xcbf29ce484222325ull) {
  for (char c : text) state = (state ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return state;
}

std::vector<std::string> Lines(uint64_t seed, int count, GeneratorOptions options = {}) {
  OpGenerator gen(seed, std::move(options));
  std::vector<std::string> lines;
  for (int i = 0; i < count; ++i) lines.push_back(PrintOp(gen.Next()));
  return lines;
}

TEST(OpsGeneratorTest, EveryGeneratedOpRoundTripsThroughItsLine) {
  fp::Catalogue catalogue;
  catalogue.Register(LibraryFailpoints());
  catalogue.Register(sim::SimFailpoints());
  std::vector<uint64_t> kinds(kOpKindCount, 0);
  size_t longest = 0;
  for (uint64_t seed : {1u, 2u, 3u, 4u, 77u}) {
    OpGenerator gen(seed);
    for (int i = 0; i < 2000; ++i) {
      const Op op = gen.Next();
      const std::string line = PrintOp(op);
      ASSERT_EQ(line.find('\n'), std::string::npos) << line;
      Parsed<Op> parsed = ParseOp(line, &catalogue);
      ASSERT_TRUE(parsed.ok()) << "seed " << seed << " op " << i << ": " << line << "\n  column "
                               << parsed.error().column << ": " << parsed.error().message;
      ASSERT_EQ(parsed.value(), op) << line;
      ASSERT_EQ(PrintOp(parsed.value()), line);
      ++kinds[static_cast<size_t>(KindOf(op))];
      longest = std::max(longest, line.size());
      if (const auto* arm = std::get_if<ArmOp>(&op)) {
        fp::Spec spec;
        const fp::SpecStatus status = fp::ParseSpec(arm->spec, &spec, &catalogue);
        ASSERT_TRUE(status.ok()) << arm->spec << ": " << status.message();
        ASSERT_FALSE(spec.empty());
      }
    }
  }
  for (int k = 0; k < kOpKindCount; ++k) {
    EXPECT_GT(kinds[k], 0u) << "default weights never produced " << OpKindName(static_cast<OpKind>(k));
  }
  // Lines stay readable: BLOB contents are expressions, never literal bytes.
  EXPECT_LT(longest, 8192u);
}

TEST(OpsGeneratorTest, SameSeedSameLinesOtherSeedOtherLines) {
  const std::vector<std::string> a = Lines(1234, 1500);
  const std::vector<std::string> b = Lines(1234, 1500);
  EXPECT_EQ(a, b);
  const std::vector<std::string> c = Lines(1235, 1500);
  EXPECT_NE(a, c);
  // Observe() with the planned outcome changes nothing.
  OpGenerator gen(1234);
  for (int i = 0; i < 1500; ++i) {
    ASSERT_EQ(PrintOp(gen.Next()), a[i]);
    gen.Observe(gen.planned());
  }
}

// The generator's output for a fixed seed, pinned; GCC/libstdc++ and Clang/libc++ builds both give this value.
// If it fails after a deliberate change to the generator, its weights or the op grammar, update the constant
// (old seeds then replay differently; scenario files are unaffected, since they store op lines). If it fails on
// another machine or standard library without such a change, determinism is broken: the bug this test is for.
TEST(OpsGeneratorTest, OutputForAFixedSeedIsPinned) {
  GeneratorOptions options;
  // Fixed, so that adding a failpoint to a catalogue does not move the pin.
  options.arm_sites = {{"commit.page_write", {fp::Action::kError, fp::Action::kTrap, fp::Action::kCrash}},
                       {"memory.grow", {fp::Action::kError}},
                       {"memory.write", {fp::Action::kTrap, fp::Action::kTorn}}};
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const std::string& line : Lines(42, 400, options)) hash = Fnv1a(line + "\n", hash);
  EXPECT_EQ(hash, 0x5f6e53217075fe00ull) << std::hex << "0x" << hash;
}

TEST(OpsGeneratorTest, WeightsSteerTheKinds) {
  GeneratorOptions options;
  options.weights = ParseWeights("update=0,query=0,kv-put=0,kv-get=0,kv-delete=0,migrate=0,integrity-check=0,"
                                 "checksum=0,checksum-chunk=0,export-import=0,import-bad-checksum=0,"
                                 "import-cancel=0,compact=0,upgrade=0,arm=0,capacity=3,budget=1")
                        .value();
  OpGenerator gen(9, options);
  int capacity = 0, budget = 0;
  for (int i = 0; i < 400; ++i) {
    const OpKind kind = KindOf(gen.Next());
    ASSERT_TRUE(kind == OpKind::kCapacity || kind == OpKind::kBudget) << OpKindName(kind);
    (kind == OpKind::kCapacity ? capacity : budget)++;
  }
  EXPECT_NEAR(capacity / 400.0, 0.75, 0.08);
  // No arm sites: arm ops are not generated even when weighted.
  GeneratorOptions no_sites;
  no_sites.arm_sites.clear();
  no_sites.weights.op.fill(0);
  no_sites.weights.op[static_cast<size_t>(OpKind::kArm)] = 5;
  no_sites.weights.op[static_cast<size_t>(OpKind::kUpgrade)] = 1;
  OpGenerator gen2(9, no_sites);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(KindOf(gen2.Next()), OpKind::kUpgrade);
}

TEST(OpsGeneratorTest, DeliberateFailuresArePlannedAsErrors) {
  OpGenerator gen(5);
  std::set<std::string> planned_error_kinds;
  for (int i = 0; i < 5000; ++i) {
    const Op op = gen.Next();
    const Outcome planned = gen.planned();
    if (const auto* chunk = std::get_if<ChecksumChunkOp>(&op)) {
      EXPECT_EQ(planned == Outcome::kError, chunk->max_bytes == 0);
    }
    if (std::holds_alternative<ImportBadChecksumOp>(op)) {
      EXPECT_EQ(planned, Outcome::kError);
    }
    if (std::holds_alternative<UpgradeOp>(op) || std::holds_alternative<ArmOp>(op)) {
      EXPECT_EQ(planned, Outcome::kCommitted);
    }
    if (const auto* update = std::get_if<UpdateOp>(&op)) {
      // A planned failure is exactly an update whose last statement is a violation without '?'.
      const bool fatal = gen.intents().back() == StatementIntent::kViolation && !update->statements.back().may_fail;
      EXPECT_EQ(planned == Outcome::kError, fatal) << PrintOp(op);
    } else {
      EXPECT_TRUE(gen.intents().empty());
    }
    if (planned == Outcome::kError) planned_error_kinds.insert(std::string(OpKindName(KindOf(op))));
  }
  EXPECT_EQ(planned_error_kinds, (std::set<std::string>{"checksum-chunk", "import-bad-checksum", "migrate",
                                                         "query", "update"}));
}

TEST(OpsGeneratorTest, ObserveUndoesTheModelOfAnOpThatDidNotCommit) {
  GeneratorOptions options;
  options.weights.op.fill(0);
  options.weights.op[static_cast<size_t>(OpKind::kUpdate)] = 1;
  options.weights.op[static_cast<size_t>(OpKind::kKvPut)] = 1;
  options.weights.op[static_cast<size_t>(OpKind::kMigrate)] = 1;
  options.weights.migrate_fail_percent = 0;
  options.weights.violation_percent = 0;
  OpGenerator gen(3, options);
  int undone = 0;
  for (int i = 0; i < 300; ++i) {
    const size_t tables_before = gen.model().tables.size();
    const uint32_t serial_before = gen.model().table_serial;
    const uint64_t version_before = gen.schema_version();
    const std::vector<std::string> keys_before = gen.KvKeysPresent();
    const Op op = gen.Next();
    const bool changed = gen.model().table_serial != serial_before || gen.schema_version() != version_before ||
                         gen.KvKeysPresent() != keys_before;
    if (i % 2 == 0 && changed) {
      gen.Observe(Outcome::kTrapped);
      EXPECT_EQ(gen.model().tables.size(), tables_before) << PrintOp(op);
      EXPECT_EQ(gen.model().table_serial, serial_before);
      EXPECT_EQ(gen.schema_version(), version_before);
      EXPECT_EQ(gen.KvKeysPresent(), keys_before);
      gen.Observe(Outcome::kTrapped);  // idempotent
      EXPECT_EQ(gen.model().table_serial, serial_before);
      ++undone;
    }
  }
  EXPECT_GT(undone, 20);
}

TEST(OpsGeneratorTest, DefaultArmSitesComeFromTheCatalogues) {
  const std::vector<ArmSite> sites = DefaultArmSites();
  ASSERT_EQ(sites.size(), LibraryFailpoints().size() + sim::SimFailpoints().size());
  for (const ArmSite& site : sites) {
    EXPECT_FALSE(site.actions.empty()) << site.name;
    for (fp::Action action : site.actions) {
      EXPECT_TRUE(action == fp::Action::kError || action == fp::Action::kTrap || action == fp::Action::kCrash ||
                  action == fp::Action::kTorn)
          << site.name << " " << fp::ActionName(action);
    }
  }
}

}  // namespace
}  // namespace stablevfs::ops
