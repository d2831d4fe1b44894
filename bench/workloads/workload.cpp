#include "bench/workloads/workload.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <utility>
#include <variant>

#include "bench/workloads/corpus_script.h"
#include "bench/workloads/kv_data.h"
#include "bench/workloads/markdown_text.h"

namespace stablevfs::bench {
namespace {

constexpr std::string_view kInsertSql = "INSERT INTO kv(key, value) VALUES (?1, ?2)";
constexpr std::string_view kUpsertSql =
    "INSERT INTO kv(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
constexpr std::string_view kUpdateSql = "UPDATE kv SET value = ?1 WHERE key = ?2";
constexpr std::string_view kDeleteSql = "DELETE FROM kv WHERE key = ?1";
constexpr std::string_view kPointReadSql = "SELECT value FROM kv WHERE key = ?1";
constexpr std::string_view kScanSql = "SELECT key, value FROM kv ORDER BY key LIMIT ?1";
constexpr std::string_view kAllRowsSql = "SELECT key, value FROM kv ORDER BY key";

// Catalogue sizes at scale 1 (REFERENCE.md section 5).
constexpr uint64_t kBaseRows = 5'000;       // the table the append, upsert, read and churn workloads start from
constexpr uint64_t kChurnBatchRows = 1'000;  // rows deleted and inserted per churn cycle

using Params = std::array<Value, 2>;

uint64_t Scaled(uint64_t count, double scale) {
  const long long scaled = std::llround(static_cast<double>(count) * scale);
  return scaled < 1 ? 1 : static_cast<uint64_t>(scaled);
}

// A run of consecutive keys that all hold the same value generation.
struct KvRange {
  uint64_t first = 0;
  uint64_t count = 0;
  uint64_t generation = 0;
};

// The rows [first, first + count) as (key, value) parameters, in `key_first` order or (value, key).
std::vector<Params> RowParams(uint64_t first, uint64_t count, uint64_t generation, uint32_t value_bytes,
                              bool key_first = true) {
  std::vector<Params> params;
  params.reserve(count);
  for (uint64_t i = first; i < first + count; ++i) {
    Value key = KvKeyParam(i);
    Value value = KvValueParam(i, generation, value_bytes);
    params.push_back(key_first ? Params{std::move(key), std::move(value)}
                               : Params{std::move(value), std::move(key)});
  }
  return params;
}

// Executes `sql` once per parameter pair, adding SQLite's change count to `changes`.
Status ExecuteEach(Connection& c, std::string_view sql, const std::vector<Params>& params, uint64_t& changes) {
  for (const Params& p : params) {
    STABLEVFS_RETURN_IF_ERROR(c.Execute(sql, p));
    changes += static_cast<uint64_t>(c.changes());
  }
  return Status::Ok();
}

// Untimed setup shared by the KV workloads: the table with rows [0, rows) at generation 0 (no rows: just the
// table), in one update.
Status SeedKv(BenchBackend& backend, uint64_t rows, uint32_t value_bytes) {
  const std::vector<Params> params = RowParams(0, rows, 0, value_bytes);
  return backend.Update([&](Connection& c) -> Status {
    STABLEVFS_RETURN_IF_ERROR(c.Execute(kKvCreateSql));
    uint64_t ignored = 0;
    return ExecuteEach(c, kInsertSql, params, ignored);
  });
}

Status Mismatch(std::string what) { return Status::Corrupt("workload result mismatch: " + std::move(what)); }

// Checks that `value` is the blob KvValue(index, generation).
Status CheckValue(const Value& value, uint64_t index, uint64_t generation, uint32_t value_bytes) {
  const Blob* blob = std::get_if<Blob>(&value);
  if (blob == nullptr) return Mismatch("value of " + KvKey(index) + " is not a blob: " + ToDisplayString(value));
  if (blob->bytes != KvValue(index, generation, value_bytes)) {
    return Mismatch("value of " + KvKey(index) + " is not generation " + std::to_string(generation));
  }
  return Status::Ok();
}

// Checks one (key, value) row against row `index` at `generation`.
Status CheckRow(const Row& row, uint64_t index, uint64_t generation, uint32_t value_bytes) {
  if (row.size() != 2) return Mismatch("row has " + std::to_string(row.size()) + " columns");
  const std::string* key = std::get_if<std::string>(&row[0]);
  if (key == nullptr || *key != KvKey(index)) {
    return Mismatch("expected key " + KvKey(index) + ", found " + ToDisplayString(row[0]));
  }
  return CheckValue(row[1], index, generation, value_bytes);
}

// Reads the whole kv table (untimed) and compares it with `expected`, which lists ranges in key order.
Status VerifyKvTable(BenchBackend& backend, const std::vector<KvRange>& expected, uint32_t value_bytes,
                     WorkloadOutcome& outcome) {
  Rows rows;
  STABLEVFS_RETURN_IF_ERROR(backend.Query([&](Connection& c) -> Status {
    Result<Rows> result = c.Query(kAllRowsSql);
    if (!result.ok()) return result.status();
    rows = std::move(result).value();
    return Status::Ok();
  }));
  outcome.table_rows = rows.rows.size();
  uint64_t expected_rows = 0;
  for (const KvRange& range : expected) expected_rows += range.count;
  if (rows.rows.size() != expected_rows) {
    return Mismatch("table has " + std::to_string(rows.rows.size()) + " rows, expected " +
                    std::to_string(expected_rows));
  }
  size_t at = 0;
  for (const KvRange& range : expected) {
    for (uint64_t i = range.first; i < range.first + range.count; ++i) {
      STABLEVFS_RETURN_IF_ERROR(CheckRow(rows.rows[at++], i, range.generation, value_bytes));
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------------------
// Writes: one update.

enum class KvWriteOp { kResetInsert, kInsert, kUpsert, kUpdate };

struct KvWriteShape {
  KvWriteOp op = KvWriteOp::kInsert;
  bool table_in_setup = true;  // false: the timed update creates the table itself (reset)
  uint64_t seed_rows = 0;      // rows [0, seed_rows) at generation 0 before the timed part
  uint64_t first = 0;          // the timed part writes rows [first, first + count)
  uint64_t count = 0;
};

class KvWriteWorkload final : public Workload {
 public:
  KvWriteWorkload(std::string name, std::string description, KvWriteShape shape, uint32_t value_bytes)
      : Workload(std::move(name), WorkloadKind::kWrite, std::move(description)),
        shape_(shape),
        value_bytes_(value_bytes) {}

  Status Setup(BenchBackend& backend) override {
    if (shape_.table_in_setup) STABLEVFS_RETURN_IF_ERROR(SeedKv(backend, shape_.seed_rows, value_bytes_));
    // Parameters are built before the clock starts: the region measures the database, not the generator.
    params_ = RowParams(shape_.first, shape_.count, written_generation(), value_bytes_,
                        /*key_first=*/shape_.op != KvWriteOp::kUpdate);
    return Status::Ok();
  }

  Status Run(BenchBackend& backend, TimedRegion& region, WorkloadOutcome& outcome) override {
    RegionScope timed(region);
    return backend.Update([&](Connection& c) -> Status {
      switch (shape_.op) {
        case KvWriteOp::kResetInsert:
          STABLEVFS_RETURN_IF_ERROR(c.Execute(kKvDropSql));
          STABLEVFS_RETURN_IF_ERROR(c.Execute(kKvCreateSql));
          return ExecuteEach(c, kInsertSql, params_, outcome.rows_written);
        case KvWriteOp::kInsert:
          return ExecuteEach(c, kInsertSql, params_, outcome.rows_written);
        case KvWriteOp::kUpsert:
          return ExecuteEach(c, kUpsertSql, params_, outcome.rows_written);
        case KvWriteOp::kUpdate:
          return ExecuteEach(c, kUpdateSql, params_, outcome.rows_written);
      }
      return Status::InvalidArgument("unknown write operation");
    });
  }

  Status Verify(BenchBackend& backend, WorkloadOutcome& outcome) override {
    if (outcome.rows_written != shape_.count) {
      return Mismatch("changed " + std::to_string(outcome.rows_written) + " rows, expected " +
                      std::to_string(shape_.count));
    }
    // The final table: seeded rows below `first` untouched, the written range at its generation, seeded rows
    // past the written range untouched.
    std::vector<KvRange> expected;
    const uint64_t end = shape_.first + shape_.count;
    if (shape_.first > 0) expected.push_back({0, std::min(shape_.first, shape_.seed_rows), 0});
    expected.push_back({shape_.first, shape_.count, written_generation()});
    if (shape_.seed_rows > end) expected.push_back({end, shape_.seed_rows - end, 0});
    return VerifyKvTable(backend, expected, value_bytes_, outcome);
  }

 private:
  // Inserted rows carry generation 0; rows an upsert or update writes carry generation 1.
  uint64_t written_generation() const {
    return shape_.op == KvWriteOp::kUpsert || shape_.op == KvWriteOp::kUpdate ? 1 : 0;
  }

  KvWriteShape shape_;
  uint32_t value_bytes_;
  std::vector<Params> params_;
};

// ---------------------------------------------------------------------------------------------------------
// Reads: one query on a seeded table.

enum class KvReadOp { kPoint, kScan, kIn };

class KvReadWorkload final : public Workload {
 public:
  KvReadWorkload(std::string name, std::string description, KvReadOp op, uint64_t table_rows, uint64_t count,
                 uint32_t value_bytes)
      : Workload(std::move(name), WorkloadKind::kRead, std::move(description)),
        op_(op),
        table_rows_(table_rows),
        count_(std::min(count, table_rows)),
        value_bytes_(value_bytes) {}

  Status Setup(BenchBackend& backend) override {
    STABLEVFS_RETURN_IF_ERROR(SeedKv(backend, table_rows_, value_bytes_));
    indices_.clear();
    keys_.clear();
    results_.clear();
    if (op_ == KvReadOp::kScan) {
      for (uint64_t i = 0; i < count_; ++i) indices_.push_back(i);
      keys_.emplace_back(static_cast<int64_t>(count_));  // the LIMIT
      return Status::Ok();
    }
    const uint64_t stride = ScatterStride(table_rows_);
    for (uint64_t i = 0; i < count_; ++i) {
      indices_.push_back(i * stride % table_rows_);
      keys_.push_back(KvKeyParam(indices_.back()));
    }
    if (op_ == KvReadOp::kIn) {
      in_sql_ = "SELECT key, value FROM kv WHERE key IN (";
      for (uint64_t i = 1; i <= count_; ++i) in_sql_ += (i > 1 ? ", ?" : "?") + std::to_string(i);
      in_sql_ += ") ORDER BY key";
    }
    return Status::Ok();
  }

  Status Run(BenchBackend& backend, TimedRegion& region, WorkloadOutcome& outcome) override {
    RegionScope timed(region);
    return backend.Query([&](Connection& c) -> Status {
      switch (op_) {
        case KvReadOp::kPoint:
          results_.reserve(keys_.size());
          for (const Value& key : keys_) {
            Result<Rows> rows = c.Query(kPointReadSql, std::span<const Value>(&key, 1));
            if (!rows.ok()) return rows.status();
            outcome.rows_read += rows->rows.size();
            results_.push_back(std::move(rows).value());
          }
          return Status::Ok();
        case KvReadOp::kScan:
        case KvReadOp::kIn: {
          Result<Rows> rows = c.Query(op_ == KvReadOp::kScan ? kScanSql : std::string_view(in_sql_), keys_);
          if (!rows.ok()) return rows.status();
          outcome.rows_read += rows->rows.size();
          results_.push_back(std::move(rows).value());
          return Status::Ok();
        }
      }
      return Status::InvalidArgument("unknown read operation");
    });
  }

  Status Verify(BenchBackend& backend, WorkloadOutcome& outcome) override {
    if (outcome.rows_read != count_) {
      return Mismatch("read " + std::to_string(outcome.rows_read) + " rows, expected " + std::to_string(count_));
    }
    if (op_ == KvReadOp::kPoint) {
      for (size_t i = 0; i < results_.size(); ++i) {
        if (results_[i].rows.size() != 1 || results_[i].rows[0].size() != 1) {
          return Mismatch("point read of " + KvKey(indices_[i]) + " did not return one value");
        }
        STABLEVFS_RETURN_IF_ERROR(CheckValue(results_[i].rows[0][0], indices_[i], 0, value_bytes_));
      }
    } else {
      // Scans return keys 0..count-1; IN lists return the requested keys in key order.
      std::vector<uint64_t> sorted = indices_;
      std::sort(sorted.begin(), sorted.end());
      const std::vector<Row>& rows = results_.at(0).rows;
      for (size_t i = 0; i < rows.size(); ++i) {
        STABLEVFS_RETURN_IF_ERROR(CheckRow(rows[i], sorted[i], 0, value_bytes_));
      }
    }
    // Reading changed nothing.
    return VerifyKvTable(backend, {{0, table_rows_, 0}}, value_bytes_, outcome);
  }

 private:
  KvReadOp op_;
  uint64_t table_rows_;
  uint64_t count_;
  uint32_t value_bytes_;
  std::vector<uint64_t> indices_;  // the rows the query asks for, in request order
  std::vector<Value> keys_;        // their keys as parameters (the LIMIT for scans)
  std::string in_sql_;
  std::vector<Rows> results_;
};

// ---------------------------------------------------------------------------------------------------------
// Churn: a sliding window of rows, one update per cycle.

class ChurnWorkload final : public Workload {
 public:
  ChurnWorkload(std::string description, uint64_t table_rows, uint64_t batch_rows, uint32_t cycles,
                uint32_t sample_every, uint32_t value_bytes)
      : Workload("churn", WorkloadKind::kChurn, std::move(description)),
        table_rows_(table_rows),
        batch_rows_(batch_rows),
        cycles_(cycles),
        sample_every_(sample_every == 0 ? 1 : sample_every),
        value_bytes_(value_bytes) {}

  Status Setup(BenchBackend& backend) override { return SeedKv(backend, table_rows_, value_bytes_); }

  Status Run(BenchBackend& backend, TimedRegion& region, WorkloadOutcome& outcome) override {
    Sample(backend, 0, outcome);
    for (uint64_t cycle = 0; cycle < cycles_; ++cycle) {
      // Cycle c deletes the oldest batch [c*B, (c+1)*B) and appends [S + c*B, S + (c+1)*B), so the table
      // always holds S rows and the key range slides forward.
      const uint64_t oldest = cycle * batch_rows_;
      std::vector<Params> deletes;
      deletes.reserve(batch_rows_);
      for (uint64_t i = oldest; i < oldest + batch_rows_; ++i) deletes.push_back({KvKeyParam(i), Value()});
      const std::vector<Params> inserts = RowParams(table_rows_ + oldest, batch_rows_, 0, value_bytes_);
      {
        RegionScope timed(region);
        STABLEVFS_RETURN_IF_ERROR(backend.Update([&](Connection& c) -> Status {
          for (const Params& p : deletes) {
            STABLEVFS_RETURN_IF_ERROR(c.Execute(kDeleteSql, std::span<const Value>(p.data(), 1)));
            outcome.rows_written += static_cast<uint64_t>(c.changes());
          }
          return ExecuteEach(c, kInsertSql, inserts, outcome.rows_written);
        }));
      }
      if ((cycle + 1) % sample_every_ == 0 || cycle + 1 == cycles_) Sample(backend, cycle + 1, outcome);
    }
    return Status::Ok();
  }

  Status Verify(BenchBackend& backend, WorkloadOutcome& outcome) override {
    const uint64_t expected_changes = 2 * batch_rows_ * cycles_;
    if (outcome.rows_written != expected_changes) {
      return Mismatch("changed " + std::to_string(outcome.rows_written) + " rows, expected " +
                      std::to_string(expected_changes));
    }
    return VerifyKvTable(backend, {{cycles_ * batch_rows_, table_rows_, 0}}, value_bytes_, outcome);
  }

 private:
  static void Sample(BenchBackend& backend, uint64_t cycle, WorkloadOutcome& outcome) {
    if (std::optional<uint64_t> pages = backend.stable_size_pages()) {
      outcome.footprint.push_back({cycle, *pages});
    }
  }

  uint64_t table_rows_;
  uint64_t batch_rows_;
  uint64_t cycles_;
  uint64_t sample_every_;
  uint32_t value_bytes_;
};

// ---------------------------------------------------------------------------------------------------------
// Corpus loads: a script in one update.

std::string QuoteIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    quoted.push_back(c);
    if (c == '"') quoted.push_back('"');
  }
  quoted.push_back('"');
  return quoted;
}

class CorpusLoadWorkload final : public Workload {
 public:
  CorpusLoadWorkload(const CorpusScriptSpec& spec, std::filesystem::path corpora_dir)
      : Workload(std::string(spec.workload), WorkloadKind::kLoad,
                 "1 update: load " + std::string(spec.relative_path) + (spec.hoist_table_ddl ? " (adapted)" : "")),
        spec_(spec),
        corpora_dir_(std::move(corpora_dir)) {}

  std::optional<std::string> Unavailable() const override {
    const std::filesystem::path path = corpora_dir_ / spec_.relative_path;
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) return "corpus file not found: " + path.string();
    return std::nullopt;
  }

  Status Setup(BenchBackend&) override {
    if (script_.empty()) {  // read once, reused by every run
      Result<std::string> script = LoadCorpusScript(corpora_dir_, spec_);
      if (!script.ok()) return script.status();
      script_ = std::move(script).value();
    }
    return Status::Ok();
  }

  Status Run(BenchBackend& backend, TimedRegion& region, WorkloadOutcome&) override {
    RegionScope timed(region);
    return backend.Update([&](Connection& c) { return c.ExecuteScript(script_); });
  }

  Status Verify(BenchBackend& backend, WorkloadOutcome& outcome) override {
    uint64_t tables = 0;
    uint64_t rows = 0;
    STABLEVFS_RETURN_IF_ERROR(backend.Query([&](Connection& c) -> Status {
      Result<Rows> names = c.Query(
          "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
          "ORDER BY name");
      if (!names.ok()) return names.status();
      for (const Row& row : names->rows) {
        const std::string* name = row.empty() ? nullptr : std::get_if<std::string>(&row[0]);
        if (name == nullptr) return Mismatch("sqlite_schema lists a table without a name");
        Result<Rows> count = c.Query("SELECT count(*) FROM " + QuoteIdentifier(*name));
        if (!count.ok()) return count.status();
        const int64_t* n = count->rows.empty() ? nullptr : std::get_if<int64_t>(&count->rows[0][0]);
        if (n == nullptr) return Mismatch("count(*) of " + *name + " returned no integer");
        ++tables;
        rows += static_cast<uint64_t>(*n);
      }
      return Status::Ok();
    }));
    outcome.table_rows = rows;
    outcome.rows_written = rows;  // a load writes exactly the rows it leaves
    if (tables != spec_.expected_tables || rows != spec_.expected_rows) {
      return Mismatch(std::to_string(tables) + " tables with " + std::to_string(rows) + " rows, expected " +
                      std::to_string(spec_.expected_tables) + " with " + std::to_string(spec_.expected_rows));
    }
    return Status::Ok();
  }

 private:
  CorpusScriptSpec spec_;
  std::filesystem::path corpora_dir_;
  std::string script_;
};

}  // namespace

std::string_view WorkloadKindName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kWrite:
      return "write";
    case WorkloadKind::kRead:
      return "read";
    case WorkloadKind::kChurn:
      return "churn";
    case WorkloadKind::kLoad:
      return "load";
  }
  return "unknown";
}

std::vector<std::unique_ptr<Workload>> MakeWorkloads(const WorkloadParams& p) {
  const uint32_t vb = p.value_bytes;
  const uint64_t base = Scaled(kBaseRows, p.scale);
  std::vector<std::unique_ptr<Workload>> w;

  const uint64_t reset_rows = Scaled(1'000, p.scale);
  w.push_back(std::make_unique<KvWriteWorkload>(
      "reset_insert_1000", "1 update: drop + create kv, insert " + Grouped(reset_rows) + " rows",
      KvWriteShape{KvWriteOp::kResetInsert, false, 0, 0, reset_rows}, vb));
  w.push_back(std::make_unique<KvWriteWorkload>(
      "insert_5000", "1 update: insert " + Grouped(base) + " rows into an empty table",
      KvWriteShape{KvWriteOp::kInsert, true, 0, 0, base}, vb));
  const uint64_t append_rows = Scaled(1'000, p.scale);
  w.push_back(std::make_unique<KvWriteWorkload>(
      "append_1000_to_5000", "1 update: insert " + Grouped(append_rows) + " rows after " + Grouped(base),
      KvWriteShape{KvWriteOp::kInsert, true, base, base, append_rows}, vb));
  // Half of the upserted keys exist (the last of the seeded rows), half are new: both paths of the upsert.
  const uint64_t upsert_rows = Scaled(1'000, p.scale);
  const uint64_t upsert_first = base > upsert_rows / 2 ? base - upsert_rows / 2 : 0;
  w.push_back(std::make_unique<KvWriteWorkload>(
      "upsert_1000",
      "1 update: upsert " + Grouped(upsert_rows) + " keys into " + Grouped(base) + " rows (" +
          Grouped(base - upsert_first) + " exist)",
      KvWriteShape{KvWriteOp::kUpsert, true, base, upsert_first, upsert_rows}, vb));
  for (uint64_t n : {1'000, 5'000}) {
    const uint64_t rows = Scaled(n, p.scale);
    w.push_back(std::make_unique<KvWriteWorkload>(
        "update_pk_" + std::to_string(n), "1 update: update " + Grouped(rows) + " of " + Grouped(rows) + " rows by key",
        KvWriteShape{KvWriteOp::kUpdate, true, rows, 0, rows}, vb));
  }
  for (uint64_t n : {1, 10, 100, 1'000}) {
    const uint64_t rows = std::min(Scaled(n, p.scale), base);
    w.push_back(std::make_unique<KvReadWorkload>(
        "point_read_" + std::to_string(n),
        "1 query: " + Grouped(rows) + " point reads (scattered keys) in " + Grouped(base) + " rows", KvReadOp::kPoint,
        base, rows, vb));
  }
  for (uint64_t n : {100, 1'000, 5'000}) {
    const uint64_t rows = std::min(Scaled(n, p.scale), base);
    w.push_back(std::make_unique<KvReadWorkload>(
        "scan_" + std::to_string(n), "1 query: ordered scan of " + Grouped(rows) + " of " + Grouped(base) + " rows",
        KvReadOp::kScan, base, rows, vb));
  }
  for (uint64_t n : {100, 1'000}) {
    const uint64_t rows = std::min(Scaled(n, p.scale), base);
    w.push_back(std::make_unique<KvReadWorkload>(
        "in_" + std::to_string(n),
        "1 query: WHERE key IN (" + Grouped(rows) + " scattered keys) in " + Grouped(base) + " rows", KvReadOp::kIn,
        base, rows, vb));
  }
  const uint64_t batch = std::min(Scaled(kChurnBatchRows, p.scale), base);
  w.push_back(std::make_unique<ChurnWorkload>(
      Grouped(p.churn_cycles) + " updates, each deleting " + Grouped(batch) + " and inserting " + Grouped(batch) +
          " rows of " + Grouped(base),
      base, batch, p.churn_cycles, p.churn_sample_every, vb));
  w.push_back(std::make_unique<CorpusLoadWorkload>(kChinookScript, p.corpora_dir));
  w.push_back(std::make_unique<CorpusLoadWorkload>(kNorthwindScript, p.corpora_dir));
  return w;
}

std::vector<std::string> WorkloadNames() {
  std::vector<std::string> names;
  for (const auto& workload : MakeWorkloads(WorkloadParams{})) names.push_back(workload->name());
  return names;
}

Result<uint64_t> SqliteDbSizeBytes(BenchBackend& backend) {
  uint64_t bytes = 0;
  STABLEVFS_RETURN_IF_ERROR(backend.Query([&](Connection& c) -> Status {
    Result<Rows> rows = c.Query("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
    if (!rows.ok()) return rows.status();
    const int64_t* value =
        rows->rows.size() == 1 && rows->rows[0].size() == 1 ? std::get_if<int64_t>(&rows->rows[0][0]) : nullptr;
    if (value == nullptr || *value < 0) return Mismatch("page_count * page_size is not a count");
    bytes = static_cast<uint64_t>(*value);
    return Status::Ok();
  }));
  return bytes;
}

}  // namespace stablevfs::bench
