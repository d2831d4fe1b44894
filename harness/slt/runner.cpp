#include "harness/slt/runner.h"

#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "failpoints/registry.h"
#include "harness/sim/sim_failpoints.h"
#include "harness/slt/result_format.h"
#include "harness/slt/stock_engine.h"
#include "harness/slt/vfs_engine.h"
#include "lib/core/status.h"

namespace stablevfs::slt {
namespace {

// How many rendered values a finding shows before it abbreviates.
constexpr size_t kShownValuesMax = 24;

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  return out;
}

// Values as a finding shows them: all of them when few, else the first ones and the hash of all.
std::string ShowValues(const std::vector<std::string>& values) {
  if (values.empty()) return "(no rows)";
  if (values.size() <= kShownValuesMax) return Join(values);
  std::vector<std::string> head(values.begin(), values.begin() + kShownValuesMax);
  return Join(head) + "\n... (" + HashLine(values) + ")";
}

// Where two renderings first differ, in one sentence.
std::string FirstDifference(const std::vector<std::string>& stock, const std::vector<std::string>& vfs) {
  const size_t n = std::min(stock.size(), vfs.size());
  for (size_t i = 0; i < n; ++i) {
    if (stock[i] != vfs[i]) {
      return "value " + std::to_string(i + 1) + " of " + std::to_string(stock.size()) + " differs: stock SQLite '" +
             stock[i] + "', VFS '" + vfs[i] + "'";
    }
  }
  return "stock SQLite returned " + std::to_string(stock.size()) + " values, the VFS " + std::to_string(vfs.size());
}

// A strict weak order on raw values, consistent with ExactlyEqual: by storage class, then by value; reals by
// bit pattern so that -0.0 and 0.0 (and different NaNs) are told apart.
bool RawLess(const Value& a, const Value& b) {
  if (a.index() != b.index()) return a.index() < b.index();
  return std::visit(
      [&](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, std::monostate>) {
          return false;
        } else if constexpr (std::is_same_v<T, double>) {
          return std::bit_cast<uint64_t>(x) < std::bit_cast<uint64_t>(y);
        } else if constexpr (std::is_same_v<T, Blob>) {
          return x.bytes < y.bytes;
        } else {
          return x < y;
        }
      },
      a);
}

bool ExactlyEqual(const Value& a, const Value& b) { return !RawLess(a, b) && !RawLess(b, a); }

bool RawRowLess(const Row& a, const Row& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), RawLess);
}

// Whether both results hold exactly the same rows, in any order (order is judged on the rendered values,
// where the record's sort mode says whether it matters).
bool SameRawRows(std::vector<Row> stock, std::vector<Row> vfs) {
  if (stock.size() != vfs.size()) return false;
  std::sort(stock.begin(), stock.end(), RawRowLess);
  std::sort(vfs.begin(), vfs.end(), RawRowLess);
  for (size_t r = 0; r < stock.size(); ++r) {
    if (stock[r].size() != vfs[r].size()) return false;
    for (size_t c = 0; c < stock[r].size(); ++c) {
      if (!ExactlyEqual(stock[r][c], vfs[r][c])) return false;
    }
  }
  return true;
}

// Whether a file line is sqllogictest's hashed result form.
bool IsHashLine(const std::string& line) {
  const std::string_view marker = " values hashing to ";
  const size_t at = line.find(marker);
  if (at == std::string::npos || at == 0) return false;
  for (size_t i = 0; i < at; ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
  }
  const std::string_view hash = std::string_view(line).substr(at + marker.size());
  if (hash.size() != 32) return false;
  for (char c : hash) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string FiredName(const std::string& site, fp::Action action) {
  return site + " " + std::string(fp::ActionName(action));
}

// What fired between two registry snapshots: "site action" -> times.
std::map<std::string, uint64_t> FiredBetween(const fp::HitSnapshot& before, const fp::HitSnapshot& after) {
  std::map<std::string, uint64_t> fired;
  for (const auto& [key, count] : after.fired) {
    if (key.second == fp::Action::kOff) continue;
    const uint64_t was = before.FiredOf(key.first, key.second);
    if (count > was) fired[FiredName(key.first, key.second)] = count - was;
  }
  return fired;
}

std::string OutcomeText(const sim::MessageResult& result) {
  switch (result.outcome) {
    case sim::Outcome::kCommitted: return "ok";
    case sim::Outcome::kError: return "error: " + result.status.ToString();
    case sim::Outcome::kTrapped: return "trapped: " + result.detail;
    case sim::Outcome::kCrashed: return "crashed: " + result.detail;
  }
  return "?";
}

std::string StockText(const StockOutcome& outcome) {
  if (outcome.ok()) return "ok";
  return "error: " + outcome.error + " (SQLite code " + std::to_string(outcome.rc) + ")";
}

// Whether the VFS message failed in a way an injected fault may cause (see runner.h), given what fired.
bool InjectedFailure(const sim::MessageResult& result, const std::map<std::string, uint64_t>& fired) {
  if (fired.empty()) return false;
  switch (result.outcome) {
    case sim::Outcome::kCommitted:
      return false;
    case sim::Outcome::kTrapped:
    case sim::Outcome::kCrashed:
      // A failpoint's trap or crash names its site; a trap without one (bounds, limits) is the library's own.
      return !result.abort_site.empty();
    case sim::Outcome::kError: {
      const Status& status = result.status;
      switch (status.code()) {
        case ErrorCode::kInjected:
          return true;
        case ErrorCode::kCapacity:
          // memory.grow's `error` makes a grow report -1, which the layout reports as a capacity error.
          return fired.count(FiredName("memory.grow", fp::Action::kError)) > 0;
        case ErrorCode::kSqlite:
          return (status.sqlite_code() & 0xff) == SQLITE_IOERR;
        case ErrorCode::kInvalidArgument:
          // update.closure's `error` stands for an exception thrown by the closure; the canister reports an
          // exception out of an update as an error reply whose message starts "exception: ".
          return fired.count(FiredName("update.closure", fp::Action::kError)) > 0 &&
                 status.message().rfind("exception: ", 0) == 0;
        default:
          return false;
      }
    }
  }
  return false;
}

// Arms the fault spec for one file and clears the registry when the file ends, however it ends.
class FaultScope {
 public:
  explicit FaultScope(const RunOptions& options) : armed_(options.faults.has_value()) {
    if (!armed_) return;
    sim::RegisterSimFailpoints();  // so the spec is checked against every site's catalogue entry
    fp::ClearAll();
    fp::SetSeed(options.seed);
    const fp::SpecStatus status = fp::Arm(*options.faults);
    if (!status.ok()) {
      fp::ClearAll();
      throw std::invalid_argument("cannot arm the fault spec: " + status.message());
    }
  }
  ~FaultScope() {
    if (armed_) fp::ClearAll();
  }
  FaultScope(const FaultScope&) = delete;
  FaultScope& operator=(const FaultScope&) = delete;

 private:
  bool armed_;
};

class FileRun {
 public:
  FileRun(const Script& script, const RunOptions& options)
      : script_(script), options_(options), stock_(), vfs_(options.seed, options.layout) {
    report_.file = script.file;
    stock_.set_instruction_limit(options.record_instruction_limit);
  }

  FileReport Run() {
    FaultScope faults(options_);
    const fp::HitSnapshot start = fp::Snapshot();
    bool stopped = false;
    for (const Record& record : script_.records) {
      const bool counted = record.kind == RecordKind::kStatement || record.kind == RecordKind::kQuery;
      if (counted) ++report_.records;
      if (stopped || !RunsOn(record, options_.engine)) {
        if (counted) ++report_.skipped;
        continue;
      }
      const Verdicts verdicts_before = CurrentVerdicts();
      switch (record.kind) {
        case RecordKind::kHashThreshold:
          hash_threshold_ = record.hash_threshold;
          break;
        case RecordKind::kHalt:
          report_.halted_at_line = record.line;
          stopped = true;
          break;
        case RecordKind::kStatement:
          ++report_.statements;
          Statement(record);
          break;
        case RecordKind::kQuery:
          ++report_.queries;
          Query(record);
          break;
      }
      if (counted && !vfs_.usable()) {
        // Whatever else the record was, it is a failure now, and the only verdict it gets: nothing after it
        // can run on the VFS.
        report_.matched = verdicts_before.matched;
        report_.faulted = verdicts_before.faulted;
        report_.failures = verdicts_before.failures;
        report_.failure_details.resize(verdicts_before.failure_details);
        report_.aborted = "the VFS database could not be reopened after line " + std::to_string(record.line) +
                          ": " + vfs_.init_status().ToString();
        AddFailure(record, "the VFS database could not be reopened from stable memory", "(an open database)",
                   vfs_.init_status().ToString());
        stopped = true;
      }
    }
    report_.faults_fired = FiredBetween(start, fp::Snapshot());
    return std::move(report_);
  }

 private:
  // The verdict counters, to take back a record's verdict.
  struct Verdicts {
    uint64_t matched = 0;
    uint64_t faulted = 0;
    uint64_t failures = 0;
    size_t failure_details = 0;
  };
  Verdicts CurrentVerdicts() const {
    return {report_.matched, report_.faulted, report_.failures, report_.failure_details.size()};
  }

  void AddFailure(const Record& record, std::string what, std::string expected, std::string actual) {
    ++report_.failures;
    if (report_.failure_details.size() < options_.details_max) {
      report_.failure_details.push_back({record.line, std::move(what), record.sql, std::move(expected),
                                         std::move(actual)});
    }
  }

  void AddNote(const Record& record, std::string what, std::string expected, std::string actual) {
    ++report_.expected_mismatches;
    if (report_.notes.size() < options_.details_max) {
      report_.notes.push_back({record.line, std::move(what), record.sql, std::move(expected), std::move(actual)});
    }
  }

  // A record stock SQLite stopped at the instruction limit: a failure of that record, not run on the VFS.
  void LimitExceeded(const Record& record, const StockOutcome& stock) {
    AddFailure(record,
               "record limit: stock SQLite stopped it after " + std::to_string(options_.record_instruction_limit) +
                   " virtual machine instructions (--record-limit); not run on the VFS",
               StockText(stock), "(not run)");
  }

  // ---- statements ----

  void Statement(const Record& record) {
    const fp::HitSnapshot before = fp::Snapshot();
    const StockOutcome stock = stock_.Execute(record.sql);
    if (stock.limit_exceeded) return LimitExceeded(record, stock);  // rolled back: both sides still alike
    const sim::MessageResult vfs = vfs_.Execute(record.sql);
    const std::map<std::string, uint64_t> fired = FiredBetween(before, fp::Snapshot());
    const bool vfs_ok = vfs.outcome == sim::Outcome::kCommitted;

    if (vfs_ok && stock.ok()) {
      stock_.Keep();
      ++report_.matched;
      CheckStatementText(record, stock);
      return;
    }
    if (vfs_ok) {  // stock SQLite refused what the VFS ran: the two databases now differ
      AddFailure(record, "the VFS ran a statement stock SQLite rejected", StockText(stock), "ok");
      return;
    }
    if (!InjectedFailure(vfs, fired)) {
      if (stock_.pending()) stock_.Discard();  // the VFS did not apply it: keep the two sides comparable
      if (!stock.ok() && vfs.outcome == sim::Outcome::kError) {
        ++report_.matched;  // both refused it
        CheckStatementText(record, stock);
        return;
      }
      AddFailure(record, stock.ok() ? "the VFS failed a statement stock SQLite ran" : "the VFS message did not end "
                                                                                        "as an error reply",
                 StockText(stock), OutcomeText(vfs));
      return;
    }
    // An injected fault made the VFS message fail.
    if (vfs.outcome == sim::Outcome::kCrashed) {
      ResolveCrash(record, stock, vfs);
      return;
    }
    if (stock_.pending()) stock_.Discard();
    ++report_.faulted;
    if (stock.ok()) StopTextChecks(record);
    SyncTempSchema(record);
  }

  // A fault may have made the Db reopen its update connection, which takes the connection's TEMP objects with
  // it (as an upgrade would). Mirror that on the stock side, so that a later statement on a TEMP object is
  // judged against what a canister can have. Anything else than "kept" or "lost whole" is a failure.
  void SyncTempSchema(const Record& record) {
    if (!vfs_.usable()) return;  // reported by Run as an abort
    const std::vector<std::string> stock = stock_.TempSchema();
    if (stock.empty()) return;  // nothing to lose: skip the probe message
    const std::vector<std::string> vfs = vfs_.TempSchema();
    if (vfs == stock) return;
    if (vfs.empty()) {
      stock_.DropTempSchema();
      ++report_.temp_schema_resets;
      return;
    }
    AddFailure(record, "after a fault the VFS's TEMP schema is neither intact nor gone", Join(stock), Join(vfs));
  }

  // Once a statement stock SQLite ran is dropped because the VFS faulted on it, the file's expected text
  // describes a database neither side has any more: stop comparing with it (VFS against stock goes on).
  void StopTextChecks(const Record& record) {
    if (report_.text_checks_stopped_at_line == 0) report_.text_checks_stopped_at_line = record.line;
  }

  // After a crash the VFS holds the state before the statement or the state after it (if stock SQLite ran it):
  // find which, and bring the stock side to the same one.
  void ResolveCrash(const Record& record, const StockOutcome& stock, const sim::MessageResult& vfs) {
    if (!vfs_.usable()) {
      if (stock_.pending()) stock_.Discard();
      return;  // reported by Run as an abort
    }
    const model::CanonicalDump image = vfs_.Dump();
    if (stock.ok()) {
      if (stock_.Dump() == image) {
        stock_.Keep();  // the crash came after the commit point: the statement persisted
        ++report_.faulted;
        SyncTempSchema(record);
        return;
      }
      stock_.Discard();
    }
    const model::CanonicalDump old_state = stock_.Dump();
    if (old_state == image) {
      ++report_.faulted;
      if (stock.ok()) StopTextChecks(record);
      SyncTempSchema(record);
      return;
    }
    const std::optional<std::string> difference = model::DescribeDifference(old_state, image);
    AddFailure(record,
               "after a crash the VFS holds neither the state before the statement nor the state after it (" +
                   difference.value_or("?") + ")",
               "the state before or after the statement", OutcomeText(vfs));
  }

  void CheckStatementText(const Record& record, const StockOutcome& stock) {
    if (report_.text_checks_stopped_at_line != 0) return;
    if (record.expect_error && stock.ok()) {
      AddNote(record, "expected-text mismatch, stock SQLite agrees with the VFS: the file expects an error",
              "statement error", "ok on both");
    } else if (!record.expect_error && !stock.ok()) {
      AddNote(record, "expected-text mismatch, stock SQLite agrees with the VFS: the file expects success",
              "statement ok", StockText(stock) + " on both");
    }
  }

  // ---- queries ----

  void Query(const Record& record) {
    const fp::HitSnapshot before = fp::Snapshot();
    Rows stock_rows;
    Rows vfs_rows;
    const StockOutcome stock = stock_.Query(record.sql, &stock_rows);
    if (stock.limit_exceeded) return LimitExceeded(record, stock);
    const sim::MessageResult vfs = vfs_.Query(record.sql, &vfs_rows);
    const std::map<std::string, uint64_t> fired = FiredBetween(before, fp::Snapshot());
    const bool vfs_ok = vfs.outcome == sim::Outcome::kCommitted;

    if (!vfs_ok) {
      // A query changes nothing, so whatever ended it, both databases are still alike.
      if (InjectedFailure(vfs, fired)) {
        ++report_.faulted;
        SyncTempSchema(record);
      } else if (!stock.ok() && vfs.outcome == sim::Outcome::kError) {
        ++report_.matched;
        // The reference runner lists the rows a failing query produced before its error (the corpus expects
        // an empty result from a sum() that overflows), so the file is compared with stock SQLite's rows
        // before the error; the VFS reports none, but it failed alike.
        const std::vector<std::string> values =
            RenderResult(renderer_, record.types, stock_rows.rows, record.sort);
        CheckQueryText(record, values, std::nullopt, " (the query fails on both: " + stock.error + ")");
      } else {
        AddFailure(record, stock.ok() ? "the VFS failed a query stock SQLite ran" : "the VFS query did not end as "
                                                                                    "an error reply",
                   StockText(stock), OutcomeText(vfs));
      }
      return;
    }
    if (!stock.ok()) {
      AddFailure(record, "the VFS ran a query stock SQLite rejected", StockText(stock), "ok");
      return;
    }
    const std::vector<std::string> stock_values = RenderResult(renderer_, record.types, stock_rows.rows, record.sort);
    const std::vector<std::string> vfs_values = RenderResult(renderer_, record.types, vfs_rows.rows, record.sort);
    if (stock_values != vfs_values) {
      AddFailure(record, "query results differ: " + FirstDifference(stock_values, vfs_values), ShowValues(stock_values),
                 ShowValues(vfs_values));
      return;
    }
    if (stock_rows.columns.size() != vfs_rows.columns.size() || !SameRawRows(stock_rows.rows, vfs_rows.rows)) {
      AddFailure(record, "query results render alike but their raw values differ (type or precision)",
                 ShowValues(stock_values), ShowValues(vfs_values));
      return;
    }
    ++report_.matched;
    CheckQueryText(record, stock_values, stock_rows.columns.size(), "");
  }

  // Compares a query's result (alike on both engines) with the file. `columns`: how many the query returned
  // (nullopt when it failed); `context` is appended to a note's sentence.
  void CheckQueryText(const Record& record, const std::vector<std::string>& values, std::optional<size_t> columns,
                      const std::string& context) {
    if (report_.text_checks_stopped_at_line != 0) return;
    const bool hashed_form = record.expected.size() == 1 && IsHashLine(record.expected[0]);
    const std::string hash = HashLine(values);
    if (columns && *columns != record.types.size()) {
      AddNote(record,
              "expected-text mismatch, stock SQLite agrees with the VFS: the query returns " +
                  std::to_string(*columns) + " columns, its type string '" + record.types + "' names " +
                  std::to_string(record.types.size()) + context,
              record.types, std::to_string(*columns) + " columns on both");
    } else if (hashed_form ? record.expected[0] != hash : record.expected != values) {
      // The file may list values where this runner's threshold would hash them, or the reverse: it is
      // compared in whichever form it uses, and shown in that form.
      AddNote(record, "expected-text mismatch, stock SQLite agrees with the VFS" + context,
              record.expected.empty() ? "(no rows)" : Join(record.expected),
              (hashed_form || ShouldHash(values.size(), hash_threshold_) ? hash : ShowValues(values)) + "\n(on both)");
    }
    if (record.label.empty()) return;
    auto [it, inserted] = labels_.try_emplace(record.label, LabelResult{record.line, hash});
    if (!inserted && it->second.hash != hash) {
      AddNote(record,
              "label " + record.label + ": the result differs from the query at line " +
                  std::to_string(it->second.line) + " with the same label (on both engines)",
              it->second.hash, hash);
    }
  }

  struct LabelResult {
    int line = 0;
    std::string hash;
  };

  const Script& script_;
  const RunOptions& options_;
  StockEngine stock_;
  VfsEngine vfs_;
  ValueRenderer renderer_;
  uint64_t hash_threshold_ = 0;
  std::map<std::string, LabelResult> labels_;
  FileReport report_;
};

}  // namespace

FileReport RunScript(const Script& script, const RunOptions& options) { return FileRun(script, options).Run(); }

}  // namespace stablevfs::slt
