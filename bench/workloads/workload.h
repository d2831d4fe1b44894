// Workload: one benchmark scenario of the VFS benchmark, run on a fresh database of any backend.
//
// The catalogue (REFERENCE.md section 5; sizes at scale 1, table kv(key TEXT PRIMARY KEY, value BLOB)
// WITHOUT ROWID, keys "k%08u", values `value_bytes` deterministic bytes, see kv_data.h):
//
//   name                  setup (untimed)             timed part
//   reset_insert_1000     empty database              1 update: DROP TABLE IF EXISTS, CREATE, insert 1,000
//   insert_5000           empty table                 1 update: insert 5,000
//   append_1000_to_5000   5,000 rows                  1 update: insert rows 5,000..5,999
//   upsert_1000           5,000 rows                  1 update: INSERT .. ON CONFLICT DO UPDATE for rows
//                                                     4,500..5,499 (500 updates, 500 inserts)
//   update_pk_1000/5000   N rows                      1 update: UPDATE .. WHERE key = ? for every row
//   point_read_N          5,000 rows                  1 query: N single-key SELECTs (N = 1, 10, 100, 1,000)
//   scan_N                5,000 rows                  1 query: SELECT .. ORDER BY key LIMIT N (100, 1,000, 5,000)
//   in_N                  5,000 rows                  1 query: SELECT .. WHERE key IN (N parameters) (100, 1,000)
//   churn                 5,000 rows                  100 updates, each deleting the 1,000 oldest rows one by
//                                                     one and inserting 1,000 new ones (a sliding window)
//   chinook_load          empty database              1 update: the Chinook script (corpus_script.h)
//   northwind_load        empty database              1 update: the adapted Northwind script
//
// Writes of a workload happen in one update, as the original's canister methods do, except the churn test
// (one update per cycle). Point reads and IN lists visit keys in a scattered fixed order (ScatterStride) so
// that they touch many leaf pages; writes go in key order, as the original's loops do.
//
// Every workload verifies, untimed, that it did exactly what it should: the KV workloads compare the whole
// table (every key and value) with the expected state and every row a read returned with the stored value;
// the loads count the rows of every table. A mismatch is an error of that run, never a silent number.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/workloads/bench_backend.h"
#include "bench/workloads/timed_region.h"
#include "lib/core/status.h"

namespace stablevfs::bench {

enum class WorkloadKind : uint8_t {
  kWrite,  // one update that writes (goal: within 1.3x memdb)
  kRead,   // one query (goal: within 1.15x memdb)
  kChurn,  // many updates; reports the footprint per cycle
  kLoad,   // a corpus script in one update (a write; reported, no goal)
};

// "write", "read", "churn", "load".
std::string_view WorkloadKindName(WorkloadKind kind);

// Sizes and inputs shared by all workloads.
struct WorkloadParams {
  // Multiplies every row count of the KV workloads (1.0 = the catalogue above); each count stays >= 1.
  // Tests use small scales. Corpus loads are not scaled.
  double scale = 1.0;
  uint32_t value_bytes = 100;
  uint32_t churn_cycles = 100;
  // The churn test samples the stable memory size after every this many cycles (and after the last).
  uint32_t churn_sample_every = 10;
  // Where the corpus scripts are (the folder holding workloads/chinook and workloads/northwind).
  std::filesystem::path corpora_dir;
};

// The stable memory size after a number of churn cycles (cycle 0: after setup, before the first cycle).
struct FootprintSample {
  uint64_t cycle = 0;
  uint64_t stable_pages = 0;
};

// What one run did, filled by Run and Verify.
struct WorkloadOutcome {
  uint64_t rows_read = 0;     // rows returned by the timed queries
  uint64_t rows_written = 0;  // rows the timed updates inserted, updated or deleted (as SQLite counts changes)
  uint64_t table_rows = 0;    // rows in the workload's tables after the run (all user tables for loads)
  std::vector<FootprintSample> footprint;  // churn only, icstable backends only
};

class Workload {
 public:
  virtual ~Workload() = default;

  const std::string& name() const { return name_; }
  WorkloadKind kind() const { return kind_; }
  // One line for reports: what the timed part does, with the sizes in effect.
  const std::string& description() const { return description_; }

  // Why the workload cannot run here (a corpus file is missing), or nullopt.
  virtual std::optional<std::string> Unavailable() const { return std::nullopt; }

  // Untimed: brings a fresh backend to the workload's starting state.
  virtual Status Setup(BenchBackend& backend) = 0;
  // The measured part: every transaction runs inside `region` (Begin/End around each), nothing else does.
  virtual Status Run(BenchBackend& backend, TimedRegion& region, WorkloadOutcome& outcome) = 0;
  // Untimed: checks the final state and the rows Run read; kCorrupt naming the first mismatch.
  virtual Status Verify(BenchBackend& backend, WorkloadOutcome& outcome) = 0;

 protected:
  Workload(std::string name, WorkloadKind kind, std::string description)
      : name_(std::move(name)), kind_(kind), description_(std::move(description)) {}

 private:
  std::string name_;
  WorkloadKind kind_;
  std::string description_;
};

// The whole catalogue, in report order.
std::vector<std::unique_ptr<Workload>> MakeWorkloads(const WorkloadParams& params);

// The catalogue's names, in report order.
std::vector<std::string> WorkloadNames();

// The SQLite database size, PRAGMA page_count * PRAGMA page_size, read in one query.
Result<uint64_t> SqliteDbSizeBytes(BenchBackend& backend);

}  // namespace stablevfs::bench
