// Correctness of the VFS benchmark's workloads (bench/workloads), not their speed.
//
// Goal: every workload does on every backend exactly what its description says, so the benchmark's numbers
// are numbers about the same work. Method: run the whole catalogue at a small scale (1% of the rows, 3
// churn cycles) once per backend through RunBenchmarks, which verifies each run's final table row by row
// and fails the run on any mismatch; then check, independently of the workload code, the row counts each
// workload must leave or return at that scale, the churn footprint samples, and what the simulated IC
// counted (writes write, reads do not). The icstable backends run once per builtin layout, each result
// tagged with its layout, and the layout really is the one the database was stored in. The helpers the workloads are built from (keys, values, the
// scattered read order, the SQL splitter of the corpus loader) are checked directly. No timing assertions.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>
#include <string>

#include "bench/workloads/bench_backend.h"
#include "bench/workloads/corpus_script.h"
#include "bench/workloads/kv_data.h"
#include "bench/workloads/vfs_bench.h"
#include "bench/workloads/workload.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::bench {

// Test names and failure messages show the backend by name (found by argument-dependent lookup).
void PrintTo(BackendKind kind, std::ostream* os) { *os << BackendName(kind); }

namespace {

TEST(BenchKvData, KeysAreFixedWidthAndOrdered) {
  EXPECT_EQ(KvKey(0), "k00000000");
  EXPECT_EQ(KvKey(42), "k00000042");
  EXPECT_EQ(KvKey(105'000), "k00105000");
  EXPECT_EQ(KvKey(99'999'999), "k99999999");
  // Text order is index order: the ordered scan's expectations depend on it.
  for (uint64_t i : {0ull, 9ull, 99ull, 999ull, 9'999ull}) EXPECT_LT(KvKey(i), KvKey(i + 1));
}

TEST(BenchKvData, ValuesAreDeterministicAndDistinct) {
  EXPECT_EQ(KvValue(7, 0, 100).size(), 100u);
  EXPECT_EQ(KvValue(7, 0, 0).size(), 0u);
  EXPECT_EQ(KvValue(7, 0, 100), KvValue(7, 0, 100));
  EXPECT_NE(KvValue(7, 0, 100), KvValue(8, 0, 100));
  EXPECT_NE(KvValue(7, 0, 100), KvValue(7, 1, 100));
  // A shorter value is a prefix of a longer one of the same row: the size option changes only the length.
  const std::vector<uint8_t> long_value = KvValue(3, 1, 37);
  const std::vector<uint8_t> short_value = KvValue(3, 1, 11);
  EXPECT_TRUE(std::equal(short_value.begin(), short_value.end(), long_value.begin()));
  // Not a run of equal bytes.
  const std::set<uint8_t> distinct(long_value.begin(), long_value.end());
  EXPECT_GT(distinct.size(), 10u);
}

TEST(BenchKvData, ScatterStrideVisitsEveryRowOnce) {
  for (uint64_t count : {1ull, 2ull, 3ull, 10ull, 50ull, 64ull, 1'000ull, 5'000ull}) {
    const uint64_t stride = ScatterStride(count);
    std::set<uint64_t> seen;
    for (uint64_t i = 0; i < count; ++i) seen.insert(i * stride % count);
    EXPECT_EQ(seen.size(), count) << "count " << count << " stride " << stride;
  }
  EXPECT_GT(ScatterStride(5'000), 1u);  // scattered, not sequential
}

TEST(BenchCorpusScript, SplitsOnlyAtStatementEnds) {
  const std::vector<std::string> statements = SplitSqlStatements(
      "CREATE TABLE a(x);\n-- a comment; with a semicolon\nINSERT INTO a VALUES('x;y');\n"
      "/* block; */ INSERT INTO a VALUES(1);\n-- trailing comment only\n");
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(statements[0], "CREATE TABLE a(x);");
  EXPECT_NE(statements[1].find("'x;y'"), std::string::npos);
  EXPECT_NE(statements[2].find("VALUES(1)"), std::string::npos);
  // An unterminated last statement is kept, so nothing of the script is lost.
  EXPECT_EQ(SplitSqlStatements("SELECT 1; SELECT 2").size(), 2u);
}

TEST(BenchCorpusScript, RecognizesTableDdl) {
  EXPECT_TRUE(IsTableDdl("CREATE TABLE t(x);"));
  EXPECT_TRUE(IsTableDdl("\n-- Orders\ncreate  table [Orders](x);"));
  EXPECT_TRUE(IsTableDdl("/* c */ DROP TABLE IF EXISTS [Categories];"));
  EXPECT_TRUE(IsTableDdl("CREATE TEMP TABLE t(x);"));
  EXPECT_FALSE(IsTableDdl("CREATE VIEW v AS SELECT 1;"));
  EXPECT_FALSE(IsTableDdl("DROP VIEW IF EXISTS v;"));
  EXPECT_FALSE(IsTableDdl("INSERT INTO [Table] VALUES(1);"));
  EXPECT_FALSE(IsTableDdl("CREATE INDEX i ON t(x);"));
  EXPECT_FALSE(IsTableDdl("CREATE TABLEX t(x);"));
}

// What each workload must leave (or return, for reads) at scale 0.01 with 3 churn cycles: 1% of the
// catalogue's counts, each at least 1, written out by hand rather than taken from the workload code.
struct Expected {
  uint64_t rows;  // rows_read for reads, table_rows otherwise
  uint64_t written;
};
const std::map<std::string, Expected>& ExpectedAtOnePercent() {
  static const std::map<std::string, Expected> expected = {
      {"reset_insert_1000", {10, 10}},   {"insert_5000", {50, 50}},     {"append_1000_to_5000", {60, 10}},
      {"upsert_1000", {55, 10}},         {"update_pk_1000", {10, 10}},  {"update_pk_5000", {50, 50}},
      {"point_read_1", {1, 0}},          {"point_read_10", {1, 0}},     {"point_read_100", {1, 0}},
      {"point_read_1000", {10, 0}},      {"scan_100", {1, 0}},          {"scan_1000", {10, 0}},
      {"scan_5000", {50, 0}},            {"in_100", {1, 0}},            {"in_1000", {10, 0}},
      {"churn", {50, 60}},  // 3 cycles x (10 deletes + 10 inserts)
      {"chinook_load", {15'607, 15'607}}, {"northwind_load", {3'310, 3'310}},
  };
  return expected;
}

class BenchWorkloadsOnBackend : public testing::TestWithParam<BackendKind> {};

TEST_P(BenchWorkloadsOnBackend, EveryWorkloadDoesItsWork) {
  const BackendKind backend = GetParam();
  BenchOptions options;
  options.backends = {backend};
  options.runs = 1;
  options.warmups = 0;  // the work is what is checked here; a warm-up pass would only double the time
  options.scale = 0.01;
  options.churn_cycles = 3;
  options.churn_sample_every = 1;
  const BenchReport report = RunBenchmarks(options);

  // The icstable backends run once per builtin layout (the default), memdb and unix once, without one.
  const bool icstable = RunsPerLayout(backend);
  std::vector<std::string> layouts;
  if (icstable) {
    for (const LayoutInfo* layout : LayoutRegistry::Global().Builtins()) layouts.push_back(layout->name);
  } else {
    layouts.push_back("");
  }
  ASSERT_GE(LayoutRegistry::Global().Builtins().size(), 2u);
  ASSERT_EQ(report.environment.layouts.size(), LayoutRegistry::Global().Builtins().size());

  ASSERT_EQ(report.workloads.size(), WorkloadNames().size());
  const bool corpora_present = std::filesystem::is_directory(DefaultCorporaDir() / "workloads");
  for (const WorkloadResult& w : report.workloads) {
    SCOPED_TRACE(w.name);
    const auto expected = ExpectedAtOnePercent().find(w.name);
    ASSERT_NE(expected, ExpectedAtOnePercent().end()) << "a new workload needs an expectation here";
    if (w.kind == WorkloadKind::kLoad && !corpora_present) {
      EXPECT_NE(w.skipped.find("not found"), std::string::npos);
      continue;
    }
    ASSERT_EQ(w.skipped, "");
    ASSERT_EQ(w.backends.size(), layouts.size());
    for (size_t l = 0; l < layouts.size(); ++l) {
      const BackendResult& r = w.backends[l];
      SCOPED_TRACE(SeriesName(r));
      EXPECT_EQ(r.backend, backend);
      EXPECT_EQ(r.layout, layouts[l]);
      ASSERT_EQ(r.error, "");
      EXPECT_EQ(r.run_ns.size(), 1u);
      EXPECT_EQ(r.run_cpu_ns.size(), 1u);
      EXPECT_TRUE(r.median_ns.has_value());
      EXPECT_TRUE(r.median_cpu_ns.has_value());
      EXPECT_EQ(w.kind == WorkloadKind::kRead ? r.rows_read : r.table_rows, expected->second.rows);
      EXPECT_EQ(r.rows_written, expected->second.written);
      ASSERT_TRUE(r.db_size_bytes.has_value());
      EXPECT_GT(*r.db_size_bytes, 0u);
      EXPECT_EQ(*r.db_size_bytes % 16384, 0u) << "every backend uses 16 KiB SQLite pages";

      EXPECT_EQ(r.stable_pages.has_value(), icstable);
      if (icstable) {
        EXPECT_EQ(*r.stable_bytes, *r.stable_pages * 65536);
      }

      // Churn samples the footprint after setup and after each cycle, on the backends that have one.
      if (w.kind == WorkloadKind::kChurn && icstable) {
        ASSERT_EQ(r.footprint.size(), 4u);
        for (size_t i = 0; i < r.footprint.size(); ++i) {
          EXPECT_EQ(r.footprint[i].cycle, i);
          if (i > 0) {
            EXPECT_GE(r.footprint[i].stable_pages, r.footprint[i - 1].stable_pages);  // cannot shrink
          }
        }
      } else {
        EXPECT_TRUE(r.footprint.empty());
      }

      // Only the simulator counts stable-memory cost: writes write and dirty pages, reads write nothing.
      EXPECT_EQ(r.cost.has_value(), backend == BackendKind::kIcstableSim);
      if (r.cost) {
        if (w.kind == WorkloadKind::kRead) {
          EXPECT_EQ(r.cost->bytes_written, 0u);
          EXPECT_EQ(r.cost->dirty_pages, 0u);
          EXPECT_EQ(r.cost->messages, 1u);
        } else {
          EXPECT_GT(r.cost->bytes_written, 0u);
          EXPECT_GT(r.cost->dirty_pages, 0u);
          EXPECT_GE(r.cost->instructions, 1000 * r.cost->dirty_pages);
          EXPECT_EQ(r.cost->messages, w.kind == WorkloadKind::kChurn ? 3u : 1u);
        }
      }
    }
  }
  EXPECT_TRUE(report.ok());
}

INSTANTIATE_TEST_SUITE_P(AllBackends, BenchWorkloadsOnBackend, testing::ValuesIn(kAllBackends),
                         [](const testing::TestParamInfo<BackendKind>& info) {
                           std::string name(BackendName(info.param));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Verification is what makes a number trustworthy, so it must catch a table that is not what the workload
// left: one changed value, one missing row, one extra row.
TEST(BenchWorkloads, VerificationCatchesAWrongTable) {
  WorkloadParams params;
  params.scale = 0.01;
  const std::vector<std::string> tampering = {
      "UPDATE kv SET value = zeroblob(100) WHERE key = 'k00000003'",
      "DELETE FROM kv WHERE key = 'k00000007'",
      "INSERT INTO kv VALUES ('k99999999', x'00')",
  };
  for (const std::string& sql : tampering) {
    SCOPED_TRACE(sql);
    std::vector<std::unique_ptr<Workload>> workloads = MakeWorkloads(params);
    Workload& update = *workloads[4];
    ASSERT_EQ(update.name(), "update_pk_1000");
    Result<std::unique_ptr<BenchBackend>> backend = OpenBackend(BackendKind::kIcstable, {});
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    ASSERT_TRUE(update.Setup(**backend).ok());
    TimedRegion region;
    WorkloadOutcome outcome;
    ASSERT_TRUE(update.Run(**backend, region, outcome).ok());
    WorkloadOutcome untouched = outcome;
    ASSERT_TRUE(update.Verify(**backend, untouched).ok());  // the control: as left, it verifies
    ASSERT_TRUE((*backend)->Update([&](Connection& c) { return c.Execute(sql); }).ok());
    const Status verdict = update.Verify(**backend, outcome);
    EXPECT_EQ(verdict.code(), ErrorCode::kCorrupt) << verdict.ToString();
  }
}

// A workload that cannot find its corpus is skipped with the path, not failed.
TEST(BenchWorkloads, MissingCorpusIsSkippedNotFailed) {
  BenchOptions options;
  options.workloads = {"chinook_load"};
  options.backends = {BackendKind::kMemdb};
  options.runs = 1;
  options.corpora_dir = "/nonexistent/corpora";
  const BenchReport report = RunBenchmarks(options);
  ASSERT_EQ(report.workloads.size(), 1u);
  EXPECT_NE(report.workloads[0].skipped.find("/nonexistent/corpora"), std::string::npos);
  EXPECT_TRUE(report.workloads[0].backends.empty());
  EXPECT_TRUE(report.ok());
}

// The layout really is the one each result names: layout 6 appends every commit at a fresh high-water mark and
// never reclaims, layout 8 writes in place, so the churn test grows the stable memory of the one and not of the
// other. Also a layout subset, and a layout the registry does not know (a failed run that says so).
TEST(BenchWorkloads, LayoutsAreRunAndTaggedAsAsked) {
  BenchOptions options;
  options.workloads = {"churn"};
  options.backends = {BackendKind::kIcstable, BackendKind::kMemdb};
  options.layouts = {"8", "6"};
  options.runs = 1;
  options.warmups = 0;
  options.scale = 0.1;
  options.churn_cycles = 10;
  options.churn_sample_every = 5;
  const BenchReport report = RunBenchmarks(options);
  ASSERT_EQ(report.workloads.size(), 1u);
  const WorkloadResult& w = report.workloads[0];
  ASSERT_EQ(w.backends.size(), 3u);
  EXPECT_EQ(SeriesName(w.backends[0]), "memdb");  // first: the ratios divide by it
  EXPECT_EQ(SeriesName(w.backends[1]), "icstable/8");  // in the order asked
  EXPECT_EQ(SeriesName(w.backends[2]), "icstable/6");
  ASSERT_EQ(report.environment.layouts.size(), 2u);
  EXPECT_EQ(report.environment.layouts[0], (BenchLayout{"8", "trap-rollback"}));
  EXPECT_EQ(report.environment.layouts[1], (BenchLayout{"6", "power-loss"}));
  const BackendResult* six = w.Find(BackendKind::kIcstable, "6");
  const BackendResult* eight = w.Find(BackendKind::kIcstable, "8");
  ASSERT_NE(six, nullptr);
  ASSERT_NE(eight, nullptr);
  ASSERT_EQ(six->footprint.size(), 3u);
  ASSERT_EQ(eight->footprint.size(), 3u);
  EXPECT_GT(six->footprint.back().stable_pages, six->footprint.front().stable_pages);  // grows
  EXPECT_EQ(eight->footprint.back().stable_pages, eight->footprint[1].stable_pages);   // flat once settled
  EXPECT_LT(eight->footprint.back().stable_pages, six->footprint.back().stable_pages);
  EXPECT_TRUE(eight->ratio_to_memdb.has_value());
  EXPECT_TRUE(report.ok());

  // The goals follow: layout 6's growth is expected, layout 8 is flat.
  int churn_goals = 0;
  for (const GoalResult& g : report.goals) {
    if (g.scope != "churn (icstable)") continue;
    ++churn_goals;
    if (g.layout == "6") {
      EXPECT_EQ(g.pass, std::optional<bool>(false));
      EXPECT_EQ(g.expected, "layout 6 never reclaims");
    } else {
      EXPECT_EQ(g.layout, "8");
      EXPECT_EQ(g.pass, std::optional<bool>(true)) << g.detail;
    }
  }
  EXPECT_EQ(churn_goals, 2);

  options.layouts = {"no-such-layout"};
  options.backends = {BackendKind::kIcstableSim};
  const BenchReport unknown = RunBenchmarks(options);
  ASSERT_EQ(unknown.workloads.at(0).backends.size(), 1u);
  const BackendResult& failed = unknown.workloads[0].backends[0];
  EXPECT_EQ(failed.layout, "no-such-layout");
  EXPECT_NE(failed.error.find("unknown layout 'no-such-layout' (registered: "), std::string::npos) << failed.error;
  EXPECT_FALSE(unknown.ok());
}

// Several runs: one time per run (the warm-up passes are run and discarded), identical deterministic numbers
// (no "differs" note), ratios against memdb.
TEST(BenchWorkloads, RepeatedRunsAgree) {
  BenchOptions options;
  options.workloads = {"upsert_1000"};
  options.backends = {BackendKind::kIcstableSim, BackendKind::kMemdb};
  options.runs = 3;
  options.warmups = 2;
  options.scale = 0.01;
  const BenchReport report = RunBenchmarks(options);
  ASSERT_EQ(report.workloads.size(), 1u);
  const WorkloadResult& w = report.workloads[0];
  ASSERT_EQ(w.backends.size(), 1 + LayoutRegistry::Global().Builtins().size());
  EXPECT_EQ(w.backends[0].backend, BackendKind::kMemdb);  // memdb runs first: the ratios divide by it
  for (const BackendResult& r : w.backends) {
    SCOPED_TRACE(SeriesName(r));
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.run_ns.size(), 3u);
    EXPECT_EQ(r.run_cpu_ns.size(), 3u);
    EXPECT_TRUE(r.notes.empty()) << r.notes.front();
    EXPECT_TRUE(r.ratio_to_memdb.has_value());
    EXPECT_TRUE(r.cpu_ratio_to_memdb.has_value());
  }
  EXPECT_DOUBLE_EQ(*w.backends[0].ratio_to_memdb, 1.0);
  EXPECT_DOUBLE_EQ(*w.backends[0].cpu_ratio_to_memdb, 1.0);
}

// runs = 0 sets up without a timed part: the baseline of whole-process instruction counting.
TEST(BenchWorkloads, ZeroRunsOnlySetsUp) {
  BenchOptions options;
  options.workloads = {"insert_5000"};
  options.backends = {BackendKind::kMemdb};
  options.runs = 0;
  options.scale = 0.01;
  const BenchReport report = RunBenchmarks(options);
  ASSERT_EQ(report.workloads.size(), 1u);
  const BackendResult& r = report.workloads[0].backends.at(0);
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.run_ns.empty());
  EXPECT_FALSE(r.median_ns.has_value());
  EXPECT_EQ(r.rows_written, 0u);
  EXPECT_FALSE(r.db_size_bytes.has_value());  // no query after setup either
}

// Without verification nothing runs after the timed part: no checks, no sizes.
TEST(BenchWorkloads, NoVerifyReadsNoSizes) {
  BenchOptions options;
  options.workloads = {"insert_5000"};
  options.backends = {BackendKind::kIcstable};
  options.layouts = {"6"};
  options.runs = 1;
  options.scale = 0.01;
  options.verify = false;
  const BenchReport report = RunBenchmarks(options);
  ASSERT_EQ(report.workloads.size(), 1u);
  const BackendResult& r = report.workloads[0].backends.at(0);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.run_ns.size(), 1u);
  EXPECT_EQ(r.rows_written, 50u);  // counted by the timed part itself
  EXPECT_EQ(r.table_rows, 0u);     // counted by verification, which did not run
  EXPECT_FALSE(r.db_size_bytes.has_value());
  EXPECT_FALSE(r.stable_pages.has_value());
}

}  // namespace
}  // namespace stablevfs::bench
