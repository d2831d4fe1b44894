// Goal: the SQL the generator writes does what it says when stock SQLite runs it. Generated updates are mostly
// valid; the statements that fail are the ones the generator planned to fail (deliberate constraint
// violations and VACUUM inside a transaction), in roughly the configured proportion; BLOB sizes really hit the
// page-boundary sizes; big deletes shrink the file; queries and migrations are valid.
//
// Method: run long generated streams against plain sqlite3 in memory, configured as the library configures its
// update connection (16 KiB pages, foreign keys on, journal in memory) and driven as Db::Update drives it:
// BEGIN IMMEDIATE, each statement in order, a failing '?' statement is tolerated, any other failure rolls the
// transaction back. Every failure is compared with the generator's stated intent, and its outcome is fed back
// with Observe() so the generator's model follows the database (as the interpreter will do).
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/ops/op.h"
#include "harness/ops/op_generator.h"
#include "harness/ops/op_text.h"
#include "harness/ops/sql_generator.h"
#include "harness/ops/weights.h"

namespace stablevfs::ops {
namespace {

class MemoryDb {
 public:
  // `auto_vacuum`: "NONE" (what the library's connection uses), "FULL" or "INCREMENTAL" (set before the
  // first table exists, as SQLite requires).
  explicit MemoryDb(const std::string& auto_vacuum = "NONE") {
    EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    Exec("PRAGMA page_size=16384");
    Exec("PRAGMA auto_vacuum=" + auto_vacuum);
    Exec("PRAGMA journal_mode=MEMORY");
    Exec("PRAGMA foreign_keys=ON");
  }
  ~MemoryDb() { sqlite3_close(db_); }

  // Returns "" on success, else SQLite's message.
  std::string Exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    std::string message = rc == SQLITE_OK ? "" : (error ? error : "error");
    if (message.empty() && rc != SQLITE_OK) message = "error";
    sqlite3_free(error);
    return message;
  }

  int64_t Int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    int64_t value = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }

  std::vector<int64_t> Ints(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::vector<int64_t> out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return out;
    while (sqlite3_step(stmt) == SQLITE_ROW) out.push_back(sqlite3_column_int64(stmt, 0));
    sqlite3_finalize(stmt);
    return out;
  }

  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

struct UpdateRun {
  bool committed = false;
  // Per statement: "" if it succeeded, its error if it failed, "-" if it never ran.
  std::vector<std::string> errors;
};

// Runs an update op the way Db::Update does.
UpdateRun RunUpdate(MemoryDb& db, const UpdateOp& op) {
  UpdateRun run;
  run.errors.assign(op.statements.size(), "-");
  EXPECT_EQ(db.Exec("BEGIN IMMEDIATE"), "");
  for (size_t i = 0; i < op.statements.size(); ++i) {
    run.errors[i] = db.Exec(op.statements[i].sql);
    if (!run.errors[i].empty() && !op.statements[i].may_fail) {
      EXPECT_EQ(db.Exec("ROLLBACK"), "");
      return run;
    }
  }
  EXPECT_EQ(db.Exec("COMMIT"), "");
  run.committed = true;
  return run;
}

GeneratorOptions UpdatesOnly(uint32_t violation_percent, uint32_t fatal_percent) {
  GeneratorOptions options;
  options.weights.op.fill(0);
  options.weights.op[static_cast<size_t>(OpKind::kUpdate)] = 1;
  options.weights.violation_percent = violation_percent;
  options.weights.fatal_percent = fatal_percent;
  options.weights.db_soft_max_mib = 8;  // keeps the test quick; the shape of the workload is the same
  return options;
}

struct Tally {
  uint64_t statements = 0;
  uint64_t unplanned_failures = 0;   // a kValid statement failed
  uint64_t violations = 0;           // kViolation statements that ran
  uint64_t violations_failed = 0;    // ... and failed with a constraint error
  uint64_t refused = 0, refused_failed = 0;
  uint64_t updates = 0, planned_errors = 0, planned_errors_failed = 0, planned_commits_failed = 0;
  std::vector<std::string> samples;  // a few unplanned failures, for the message
};

void RunUpdates(uint64_t seed, int count, const GeneratorOptions& options, MemoryDb& db, Tally& tally) {
  OpGenerator gen(seed, options);
  for (int i = 0; i < count; ++i) {
    const Op op = gen.Next();
    ASSERT_EQ(KindOf(op), OpKind::kUpdate);
    const auto& update = std::get<UpdateOp>(op);
    const std::vector<StatementIntent> intents = gen.intents();
    ASSERT_EQ(intents.size(), update.statements.size());
    const UpdateRun run = RunUpdate(db, update);
    ++tally.updates;
    if (gen.planned() == Outcome::kError) {
      ++tally.planned_errors;
      if (!run.committed) ++tally.planned_errors_failed;
    } else if (!run.committed) {
      ++tally.planned_commits_failed;
    }
    for (size_t s = 0; s < update.statements.size(); ++s) {
      if (run.errors[s] == "-") continue;
      ++tally.statements;
      const bool failed = !run.errors[s].empty();
      switch (intents[s]) {
        case StatementIntent::kValid:
          if (failed) {
            ++tally.unplanned_failures;
            if (tally.samples.size() < 5) tally.samples.push_back(update.statements[s].sql + "  ->  " + run.errors[s]);
          }
          break;
        case StatementIntent::kViolation:
          ++tally.violations;
          if (failed && run.errors[s].find("constraint failed") != std::string::npos) ++tally.violations_failed;
          break;
        case StatementIntent::kRefused:
          ++tally.refused;
          if (failed) ++tally.refused_failed;
          break;
      }
    }
    gen.Observe(run.committed ? Outcome::kCommitted : Outcome::kError);
  }
}

std::string Samples(const Tally& tally) {
  std::string out;
  for (const std::string& sample : tally.samples) out += "\n  " + sample.substr(0, 300);
  return out;
}

TEST(OpsSqlGeneratorTest, GeneratedUpdatesAreMostlyValidAndFailOnlyWherePlanned) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    MemoryDb db;
    Tally tally;
    RunUpdates(seed, 700, UpdatesOnly(/*violation_percent=*/8, /*fatal_percent=*/25), db, tally);
    // Statements meant to succeed do, apart from a rare miss of the approximate model.
    EXPECT_LE(tally.unplanned_failures * 100, tally.statements) << Samples(tally);
    // Every deliberate violation fails, and with a constraint error.
    EXPECT_GT(tally.violations, 20u);
    EXPECT_EQ(tally.violations_failed, tally.violations);
    EXPECT_EQ(tally.refused_failed, tally.refused);
    // An update planned to fail fails; an update planned to commit commits.
    EXPECT_GT(tally.planned_errors, 10u);
    EXPECT_EQ(tally.planned_errors_failed, tally.planned_errors);
    EXPECT_LE(tally.planned_commits_failed * 100, tally.updates) << Samples(tally);
    EXPECT_EQ(db.Exec("PRAGMA integrity_check"), "");
  }
}

TEST(OpsSqlGeneratorTest, ViolationFractionFollowsTheWeights) {
  for (uint32_t percent : {0u, 5u, 20u}) {
    SCOPED_TRACE("violation-percent " + std::to_string(percent));
    MemoryDb db;
    Tally tally;
    GeneratorOptions options = UpdatesOnly(percent, /*fatal_percent=*/0);
    RunUpdates(11, 600, options, db, tally);
    OpGenerator probe(11, options);  // the same stream, to read the slot count
    for (int i = 0; i < 600; ++i) probe.Next();
    const double slots = static_cast<double>(probe.sql_stats().slots);
    const double fraction = static_cast<double>(tally.violations) / slots;
    // Slots that must create the first table cannot violate anything, hence the slack below the target.
    EXPECT_NEAR(fraction, percent / 100.0, 0.02 + percent / 100.0 * 0.2) << tally.violations << " of " << slots;
    EXPECT_EQ(tally.violations_failed, tally.violations);
    if (percent == 0) {
      EXPECT_EQ(tally.violations, 0u);
    }
  }
}

TEST(OpsSqlGeneratorTest, BlobSizesHitThePageBoundaries) {
  MemoryDb db;
  std::set<int64_t> lengths;
  GeneratorOptions options = UpdatesOnly(0, 0);
  options.weights.boundary_blob_percent = 50;
  OpGenerator gen(5, options);
  for (int i = 0; i < 600; ++i) {
    const Op op = gen.Next();
    const UpdateRun run = RunUpdate(db, std::get<UpdateOp>(op));
    gen.Observe(run.committed ? Outcome::kCommitted : Outcome::kError);
    if (!run.committed) continue;
    // Read back the sizes stored in every table's data column (length() of a BLOB reads no content).
    for (const TableModel& table : gen.model().tables) {
      for (int64_t length : db.Ints("SELECT DISTINCT length(data) FROM " + table.name)) lengths.insert(length);
    }
  }
  for (int64_t size : {16383, 16384, 16385, 2 * 16384 + 17, 300000}) {
    EXPECT_TRUE(lengths.count(size)) << "no stored BLOB of " << size << " bytes";
  }
  const std::vector<uint64_t>& hits = gen.sql_stats().boundary_hits;
  ASSERT_EQ(hits.size(), SqlGenerator::BoundaryBlobSizes().size());
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_GT(hits[i], 0u) << "size " << SqlGenerator::BoundaryBlobSizes()[i] << " never written";
  }
}

// The library's connection leaves auto_vacuum at NONE and runs every update inside BEGIN IMMEDIATE, where
// SQLite ignores a change of auto_vacuum; a database file then never shrinks. With auto_vacuum on (chosen
// before the first table), the generated big deletes do shrink it: this is the workload that exercises
// truncation once the library enables it.
TEST(OpsSqlGeneratorTest, BigDeletesShrinkTheFileWhenAutoVacuumIsOn) {
  for (const std::string mode : {"FULL", "INCREMENTAL"}) {
    SCOPED_TRACE("auto_vacuum=" + mode);
    MemoryDb db(mode);
    OpGenerator gen(21, UpdatesOnly(5, 10));
    int64_t pages_max = 0;
    int shrinks = 0;
    int64_t previous = db.Int("PRAGMA page_count");
    for (int i = 0; i < 800; ++i) {
      const UpdateRun run = RunUpdate(db, std::get<UpdateOp>(gen.Next()));
      gen.Observe(run.committed ? Outcome::kCommitted : Outcome::kError);
      const int64_t pages = db.Int("PRAGMA page_count");
      if (pages + 4 < previous) ++shrinks;  // a real truncation, not a page or two of churn
      pages_max = std::max(pages_max, pages);
      previous = pages;
    }
    EXPECT_GT(pages_max, 200) << "the run never grew the file past 3 MiB";
    EXPECT_GE(shrinks, 1) << "no update shrank the file";
  }
}

TEST(OpsSqlGeneratorTest, QueriesAndMigrationsAreValid) {
  MemoryDb db;
  GeneratorOptions options;
  options.weights.op.fill(0);
  options.weights.op[static_cast<size_t>(OpKind::kUpdate)] = 10;
  options.weights.op[static_cast<size_t>(OpKind::kQuery)] = 10;
  options.weights.op[static_cast<size_t>(OpKind::kMigrate)] = 4;
  options.weights.db_soft_max_mib = 8;
  OpGenerator gen(8, options);
  uint64_t queries = 0, query_failures = 0, writes_refused = 0, migrations = 0, migration_mismatches = 0;
  std::string samples;
  uint64_t applied = 0;  // the schema_version the database would hold
  // A read-only connection on the same in-memory database is not possible; query_only on the one
  // connection refuses writes the same way a query connection does.
  for (int i = 0; i < 900; ++i) {
    const Op op = gen.Next();
    bool committed = false;
    if (const auto* update = std::get_if<UpdateOp>(&op)) {
      committed = RunUpdate(db, *update).committed;
    } else if (const auto* query = std::get_if<QueryOp>(&op)) {
      ++queries;
      EXPECT_EQ(db.Exec("PRAGMA query_only=ON"), "");
      const std::string error = db.Exec(query->sql);
      EXPECT_EQ(db.Exec("PRAGMA query_only=OFF"), "");
      committed = error.empty();
      if (gen.planned() == Outcome::kError) {
        if (!error.empty()) ++writes_refused;
      } else if (!error.empty()) {
        ++query_failures;
        if (samples.size() < 1000) samples += "\n  " + query->sql + "  ->  " + error;
      }
    } else if (const auto* migrate = std::get_if<MigrateOp>(&op)) {
      // What Db::Migrate does, minus the bookkeeping table: reject duplicates, skip applied versions, run the
      // rest in one transaction.
      ++migrations;
      std::set<uint64_t> versions;
      bool duplicate = false;
      for (const MigrationSpec& m : migrate->migrations) duplicate |= !versions.insert(m.version).second;
      if (!duplicate) {
        EXPECT_EQ(db.Exec("BEGIN IMMEDIATE"), "");
        committed = true;
        uint64_t top = applied;
        for (const MigrationSpec& m : migrate->migrations) {
          if (m.version <= applied) continue;
          if (!db.Exec(m.sql).empty()) {
            committed = false;
            break;
          }
          top = std::max(top, m.version);
        }
        EXPECT_EQ(db.Exec(committed ? "COMMIT" : "ROLLBACK"), "");
        if (committed) applied = top;
      }
      if (committed != (gen.planned() == Outcome::kCommitted)) {
        ++migration_mismatches;
        if (samples.size() < 1000) samples += "\n  " + PrintOp(op);
      }
    }
    gen.Observe(committed ? Outcome::kCommitted : Outcome::kError);
  }
  EXPECT_GT(queries, 200u);
  EXPECT_LE(query_failures * 50, queries) << samples;
  EXPECT_GT(writes_refused, 0u);
  EXPECT_GT(migrations, 60u);
  EXPECT_EQ(migration_mismatches, 0u) << samples;
}

}  // namespace
}  // namespace stablevfs::ops
