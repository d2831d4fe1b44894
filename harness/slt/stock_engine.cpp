#include "harness/slt/stock_engine.h"

#include "lib/db/sqlite_value.h"

#include <cassert>
#include <climits>
#include <stdexcept>
#include <variant>

namespace stablevfs::slt {
namespace {

// The savepoint around one record; a name no corpus statement uses.
constexpr const char* kSavepoint = "SAVEPOINT stablevfs_slt_record";
constexpr const char* kRelease = "RELEASE stablevfs_slt_record";
constexpr const char* kRollbackTo = "ROLLBACK TO stablevfs_slt_record";

bool OnlyTrivia(std::string_view sql) {
  for (char c : sql) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ';') return false;
  }
  return true;
}

}  // namespace

StockEngine::StockEngine() : db_(model::OpenMemoryDatabase()) {}

StockOutcome StockEngine::Fail(int rc) { return {rc & 0xff, sqlite3_errmsg(db_.get())}; }

void StockEngine::set_instruction_limit(uint64_t instructions) {
  instruction_limit_ = instructions;
  sqlite3_progress_handler(db_.get(), instructions == 0 ? 0 : kProgressPeriod,
                           instructions == 0 ? nullptr : &StockEngine::OnProgress, this);
}

int StockEngine::OnProgress(void* self) {
  StockEngine& engine = *static_cast<StockEngine*>(self);
  if (!engine.armed_) return 0;
  ++engine.ticks_;
  return engine.ticks_ * kProgressPeriod >= engine.instruction_limit_ ? 1 : 0;
}

void StockEngine::Arm() {
  ticks_ = 0;
  armed_ = true;
}

bool StockEngine::Finish(int rc) {
  armed_ = false;
  return instruction_limit_ != 0 && (rc & 0xff) == SQLITE_INTERRUPT && ticks_ * kProgressPeriod >= instruction_limit_;
}

void StockEngine::ExecOrThrow(const char* sql) {
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("stock SQLite: `") + sql + "` failed: " + sqlite3_errmsg(db_.get()));
  }
}

StockOutcome StockEngine::Execute(std::string_view sql) {
  assert(!pending_);
  ExecOrThrow(kSavepoint);
  const std::string text(sql);  // sqlite3_exec wants a terminated string
  Arm();
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
  const bool limit_exceeded = Finish(rc);
  savepoint_ended_ = sqlite3_get_autocommit(db_.get()) != 0;
  if (rc != SQLITE_OK) {
    StockOutcome outcome = Fail(rc);
    outcome.limit_exceeded = limit_exceeded;
    if (!savepoint_ended_) {
      ExecOrThrow(kRollbackTo);
      ExecOrThrow(kRelease);
    }
    return outcome;
  }
  pending_ = true;
  return {};
}

void StockEngine::Keep() {
  assert(pending_);
  pending_ = false;
  if (!savepoint_ended_) ExecOrThrow(kRelease);
}

void StockEngine::Discard() {
  assert(pending_);
  pending_ = false;
  if (savepoint_ended_) return;
  ExecOrThrow(kRollbackTo);
  ExecOrThrow(kRelease);
}

StockOutcome StockEngine::Query(std::string_view sql, Rows* rows) {
  rows->columns.clear();
  rows->rows.clear();
  if (sql.size() > static_cast<size_t>(INT_MAX)) return {SQLITE_TOOBIG, "SQL text too long"};
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, &tail);
  if (rc != SQLITE_OK) return Fail(rc);
  if (stmt == nullptr) return {};  // only comments: no rows
  const std::string_view rest = tail != nullptr ? sql.substr(static_cast<size_t>(tail - sql.data())) : "";
  if (!OnlyTrivia(rest)) {
    sqlite3_finalize(stmt);
    return {SQLITE_MISUSE, "the query holds more than one statement"};
  }
  const int columns = sqlite3_column_count(stmt);
  for (int c = 0; c < columns; ++c) {
    const char* name = sqlite3_column_name(stmt, c);
    rows->columns.emplace_back(name != nullptr ? name : "");
  }
  Arm();
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Row row;
    row.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) row.push_back(ReadColumn(stmt, c));
    rows->rows.push_back(std::move(row));
  }
  const bool limit_exceeded = Finish(rc);
  StockOutcome outcome;
  if (rc != SQLITE_DONE) outcome = Fail(rc);
  outcome.limit_exceeded = limit_exceeded;
  sqlite3_finalize(stmt);
  return outcome;
}

std::vector<std::string> StockEngine::TempSchema() {
  Rows rows;
  const StockOutcome outcome = Query("SELECT type, name FROM sqlite_temp_schema ORDER BY type, name", &rows);
  if (!outcome.ok()) throw std::runtime_error("stock SQLite: reading the TEMP schema failed: " + outcome.error);
  std::vector<std::string> entries;
  for (const Row& row : rows.rows) {
    entries.push_back(std::get<std::string>(row.at(0)) + " " + std::get<std::string>(row.at(1)));
  }
  return entries;
}

void StockEngine::DropTempSchema() {
  assert(!pending_);
  Rows rows;
  const StockOutcome outcome =
      Query("SELECT type, name FROM sqlite_temp_schema WHERE type IN ('table', 'view', 'trigger')", &rows);
  if (!outcome.ok()) throw std::runtime_error("stock SQLite: reading the TEMP schema failed: " + outcome.error);
  for (const Row& row : rows.rows) {
    std::string name = "\"";
    for (char c : std::get<std::string>(row.at(1))) {
      name += c;
      if (c == '"') name += '"';
    }
    name += '"';
    std::string type = std::get<std::string>(row.at(0));
    for (char& c : type) c = static_cast<char>(c - 'a' + 'A');
    const std::string sql = "DROP " + type + " IF EXISTS temp." + name;
    ExecOrThrow(sql.c_str());
  }
}

model::CanonicalDump StockEngine::Dump() { return model::DumpDatabase(db_.get()); }

}  // namespace stablevfs::slt
