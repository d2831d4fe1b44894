// Crash points: a power failure before, and a tear of, every stable write of every message of a fixed workload.
//
// Goal: the crash rule of the judgement table at every point where it can bite, not at a sample of them:
// after the reboot the database holds the old state or the new one, never a third, the checker finds nothing,
// and the canister keeps working. Method: a small fixed workload that covers every kind of commit (schema
// change, small and multi-page rows, overflow chains, a kv upsert and delete, a 2 MB commit that grows the
// memory past the MemoryManager's first 8 MiB bucket, deletes with incremental vacuum, an index, a migration,
// chunked and full checksum refreshes, compaction, and the three import paths). A plain run takes a Session
// checkpoint before every op (session_checkpoint.h). For each message op i, a fresh Session restored to the
// checkpoint runs op i unarmed to count its stable writes (fp hits of memory.write); then for every write k
// of it, three points: `crash` (the power fails before write k), `torn(prefix)` and `torn(subset)` (write k
// persists in part, then the power fails), each on a fresh Session restored to the checkpoint:
// `arm memory.write=nth(k):<action>`, op i, then an integrity check and op i again, which must be judged like
// any other message. Every message must be judged without a violation and op i must end crashed.
//
// A restore rebuilds the heap from stable memory, as an upgrade does, so a point is reproduced from scratch by
// the workload's first i ops, `upgrade`, the arm and op i; each point runs on a fresh Session so that the
// simulator's seeded choices (the torn shape) start where a from-scratch replay has them. A failing point is
// printed as that scenario file, and replayed from scratch to say whether it reproduces. Cost: one Session
// and four op runs per point, about 1,500 points (the test prints the count and the time; under a sanitizer
// the subset tears are left out).
// Deterministic: no rapidcheck, the same points every run.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>

#include "failpoints/registry.h"
#include "harness/driver/case_runner.h"
#include "harness/ops/op_text.h"
#include "harness/ops/session_checkpoint.h"
#include "harness/sim/sim_failpoints.h"
#include "properties/support/property_case.h"

namespace stablevfs::properties {
namespace {

// The workload. Values are literal or seeded (never randomblob), so every run writes the same bytes.
constexpr const char* kWorkload[] = {
    "update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB, s TEXT)",
    "update INSERT INTO t VALUES(1, zeroblob(100), 'a'); INSERT INTO t VALUES(2, x'0102', 'b')",
    "kv-put k1 pattern(20000,7)",
    "update UPDATE t SET v = CAST(printf('%.*c', 40000, 'q') AS BLOB) WHERE id = 1",
    "update CREATE INDEX ts ON t(s); INSERT INTO t SELECT id + 10, zeroblob(5000), 'c' || id FROM t",
    "kv-put k1 fill(300,9)",
    // About 2 MB in one commit: the memory grows and the page map spans several segments.
    "update WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 40) "
    "INSERT INTO t SELECT 100 + i, zeroblob(50000), 'g' || i FROM s",
    "update DELETE FROM t WHERE id > 10; PRAGMA incremental_vacuum",
    "kv-delete k1",
    "migrate 1:CREATE TABLE m(a INTEGER PRIMARY KEY, b TEXT); INSERT INTO m VALUES(1, 'x')",
    "checksum-chunk 16384",
    "checksum",
    "compact",
    "import-cancel",
    "import-bad-checksum",
    "export-import",
};

constexpr uint64_t kSeed = 77;

std::vector<ops::Op> Workload() {
  std::vector<ops::Op> out;
  for (const char* line : kWorkload) {
    ops::Parsed<ops::Op> op = ops::ParseOp(line);
    if (!op.ok()) throw std::invalid_argument(std::string(line) + ": " + op.error().message);
    out.push_back(op.value());
  }
  return out;
}

// What is armed at every stable write: the power fails before it; it persists as a prefix of itself; it
// persists as a subset of its sectors (then the power fails). The simulator chooses the length or the subset
// from its seeded PRNG.
constexpr const char* kActions[] = {"crash", "torn(prefix)", "torn(subset)"};

class CrashPointsTest : public ::testing::Test {
 protected:
  void TearDown() override { fp::ClearAll(); }
};

TEST_F(CrashPointsTest, EveryStableWriteOfEveryMessage) {
  const std::vector<ops::Op> workload = Workload();

  // The plain run: a checkpoint before every op, and the workload judged clean as it is.
  std::vector<ops::SessionCheckpoint> before;
  std::vector<ops::StepRecord> plain;
  {
    ops::Session session({.seed = kSeed});
    for (const ops::Op& op : workload) {
      before.push_back(session.Checkpoint());
      plain.push_back(session.Run(op));
      const ops::StepRecord& record = plain.back();
      ASSERT_TRUE(record.ok()) << record.ToString();
      // import-bad-checksum fails by design; everything else commits.
      const ops::Outcome planned =
          ops::KindOf(op) == ops::OpKind::kImportBadChecksum ? ops::Outcome::kError : ops::Outcome::kCommitted;
      ASSERT_EQ(record.outcome, planned) << record.ToString();
    }
  }

  const auto start = std::chrono::steady_clock::now();  // reported only, never decides anything
  uint64_t points = 0;
  uint64_t failures = 0;
  std::map<std::string, uint64_t> resolutions;  // per action: how often the old or the new state survived
  for (size_t i = 0; i < workload.size(); ++i) {
    // The stable writes of op i, counted on a restored (cold) heap like the points below.
    uint64_t writes = 0;
    {
      ops::Session session({.seed = kSeed});
      session.Restore(before[i]);
      const uint64_t hits = fp::Hits(sim::kMemoryWriteSite);
      const ops::StepRecord record = session.Run(workload[i]);
      ASSERT_TRUE(record.ok()) << "op " << i << " restored: " << record.ToString();
      writes = fp::Hits(sim::kMemoryWriteSite) - hits;
    }
    const auto op_start = std::chrono::steady_clock::now();

    for (uint64_t k = 1; k <= writes; ++k) {
      // Under a sanitizer every point costs three to five times as much: the subset tears are left out there.
      for (size_t a = 0; a < (UnderSanitizer() ? 2 : std::size(kActions)); ++a) {
        const std::string action = kActions[a];
        ++points;
        const std::vector<ops::Op> tail = {ops::ArmOp{"memory.write=nth(" + std::to_string(k) + "):" + action},
                                           workload[i], ops::IntegrityCheckOp{}, workload[i]};
        std::vector<ops::StepRecord> records;
        bool new_state = false;
        {
          ops::Session session({.seed = kSeed});
          session.Restore(before[i]);
          for (size_t t = 0; t < tail.size(); ++t) {
            records.push_back(session.Run(tail[t]));
            if (t == 1) new_state = session.last_op_applied();  // the crash left the new state
          }
        }
        const bool crashed = records[1].outcome == ops::Outcome::kCrashed;
        bool clean = crashed;
        for (const ops::StepRecord& record : records) clean = clean && record.ok();
        if (clean) {
          ++resolutions[action.substr(0, 4) + (new_state ? ": the new state survived" : ": the old state kept")];
          continue;
        }

        // The reproduction from scratch: the ops before i, an upgrade (the cold heap of a restore), the tail.
        ++failures;
        std::vector<ops::Op> scenario_ops(workload.begin(), workload.begin() + static_cast<std::ptrdiff_t>(i));
        scenario_ops.push_back(ops::UpgradeOp{});
        scenario_ops.insert(scenario_ops.end(), tail.begin(), tail.end());
        const driver::RunResult replay = driver::RunOps({.seed = kSeed}, scenario_ops, /*stop_at_violation=*/false);
        std::optional<std::string> property;
        if (replay.first_violation) property = replay.first_violation->violation.property;
        std::string report;
        for (const ops::StepRecord& record : records) report += record.ToString();
        ADD_FAILURE() << "op " << i << ", " << action << " at stable write " << k << " of " << writes
                      << (crashed ? "" : ": the op did not crash") << "\n"
                      << report << "Reproduction ("
                      << (replay.first_violation ? "replayed from scratch: reproduces" : "does NOT reproduce")
                      << "):\n"
                      << scenario::PrintScenario(driver::MakeScenario(
                             kSeed, action == "crash" ? scenario::CrashModel::kPowerloss : scenario::CrashModel::kTorn,
                             scenario_ops, replay.records, property));
      }
    }
    std::cout << "op " << i << " (" << ops::PrintOp(workload[i]).substr(0, 60) << "): " << writes
              << " stable writes, points done in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - op_start).count() << " s\n";
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << points << " crash points judged in " << seconds << " s, " << failures << " with a violation\n";
  for (const auto& [what, count] : resolutions) std::cout << "  " << what << ": " << count << "\n";
  EXPECT_GT(points, 1000u);
  EXPECT_GT(resolutions.size(), 2u) << "both resolutions should occur";
}

}  // namespace
}  // namespace stablevfs::properties
