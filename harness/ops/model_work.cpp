#include "harness/ops/model_work.h"

#include <stdexcept>
#include <variant>

namespace stablevfs::ops {
namespace {

constexpr const char* kJudgeSavepoint = "stablevfs_judge";

// sqlite3_exec that returns the primary code and fills `error`.
int Exec(sqlite3* db, const std::string& sql, std::string* error) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK && error != nullptr) *error = message != nullptr ? message : sqlite3_errmsg(db);
  sqlite3_free(message);
  return rc & 0xff;
}

// Harness plumbing on the model must work; a failure here is a harness bug, not a finding.
void ExecOrThrow(sqlite3* db, const std::string& sql) {
  std::string error;
  if (Exec(db, sql, &error) != SQLITE_OK) throw std::runtime_error("data model: '" + sql + "' failed: " + error);
}

// Ends whatever transaction is open on `db`.
void RollbackIfOpen(sqlite3* db) {
  if (!sqlite3_get_autocommit(db)) ExecOrThrow(db, "ROLLBACK");
}

std::string Quote(std::string_view sql) {
  constexpr size_t kMax = 120;
  std::string text(sql.substr(0, kMax));
  if (sql.size() > kMax) text += "...";
  return "'" + text + "'";
}

// Replays statements [0, end) following the system under test's outcomes inside an open transaction.
// Returns a disagreement, or "" when the model followed.
std::string ReplayPrefix(sqlite3* model, std::span<const WorkStatement> statements,
                         std::span<const StatementOutcome> outcomes, size_t end, bool failpoint_fired) {
  for (size_t i = 0; i < end; ++i) {
    const WorkStatement& statement = statements[i];
    const StatementOutcome& outcome = outcomes[i];
    const std::vector<model::SqlValue> params = ToSqlValues(statement.params);
    if (!outcome.ran) {
      return "statement " + std::to_string(i + 1) + " " + Quote(statement.sql) +
             " never ran in the system under test, yet its unit of work ended";
    }
    if (outcome.status.ok()) {
      const model::QueryResult result = model::RunQuery(model, statement.sql, params);
      if (!result.ok()) {
        return "statement " + std::to_string(i + 1) + " " + Quote(statement.sql) +
               " succeeded in the system under test but failed in the model (" + result.error + ")";
      }
      if (sqlite3_get_autocommit(model)) {
        return "statement " + std::to_string(i + 1) + " ended the model's transaction";
      }
      continue;
    }
    // Failed (tolerated) in the system under test, where it had no effect.
    if (failpoint_fired) continue;
    ExecOrThrow(model, std::string("SAVEPOINT ") + kJudgeSavepoint);
    const model::QueryResult result = model::RunQuery(model, statement.sql, params);
    if (sqlite3_get_autocommit(model)) {
      return "statement " + std::to_string(i + 1) + " " + Quote(statement.sql) +
             " rolled back the model's whole transaction (" + result.error +
             "), but the system under test went on";
    }
    ExecOrThrow(model, std::string("ROLLBACK TO ") + kJudgeSavepoint);
    ExecOrThrow(model, std::string("RELEASE ") + kJudgeSavepoint);
    if (result.ok()) {
      return "statement " + std::to_string(i + 1) + " " + Quote(statement.sql) +
             " failed in the system under test (" + outcome.status.ToString() +
             ") but succeeded in the model, and no failpoint fired";
    }
    const int sut_code = PrimarySqliteCode(outcome.status);
    if (sut_code > 0 && sut_code != result.rc) {
      return "statement " + std::to_string(i + 1) + " " + Quote(statement.sql) + " failed with SQLite code " +
             std::to_string(sut_code) + " in the system under test but " + std::to_string(result.rc) +
             " in the model (" + result.error + ")";
    }
  }
  return "";
}

}  // namespace

model::SqlValue ToSqlValue(const Value& value) {
  switch (value.index()) {
    case 0: return model::SqlValue::Null();
    case 1: return model::SqlValue::Integer(std::get<int64_t>(value));
    case 2: return model::SqlValue::Real(std::get<double>(value));
    case 3: return model::SqlValue::Text(std::get<std::string>(value));
    default: return model::SqlValue::Blob(std::get<Blob>(value).bytes);
  }
}

std::vector<model::SqlValue> ToSqlValues(std::span<const Value> values) {
  std::vector<model::SqlValue> out;
  out.reserve(values.size());
  for (const Value& value : values) out.push_back(ToSqlValue(value));
  return out;
}

std::vector<model::SqlValue> ToSqlRow(const Row& row) { return ToSqlValues(row); }

int PrimarySqliteCode(const Status& status) {
  if (status.ok()) return 0;
  if (status.code() != ErrorCode::kSqlite) return -1;
  return status.sqlite_code() & 0xff;
}

ModelVerdict ReplayCommitted(sqlite3* model, std::span<const WorkStatement> statements,
                             std::span<const StatementOutcome> outcomes, bool failpoint_fired) {
  ModelVerdict verdict;
  if (statements.size() != outcomes.size()) throw std::logic_error("ReplayCommitted: outcomes do not match");
  ExecOrThrow(model, "BEGIN IMMEDIATE");
  verdict.disagreement = ReplayPrefix(model, statements, outcomes, statements.size(), failpoint_fired);
  if (verdict.disagreement.empty()) {
    std::string error;
    if (Exec(model, "COMMIT", &error) == SQLITE_OK) {
      verdict.committed = true;
    } else {
      verdict.disagreement = "the model could not commit what the system under test committed: " + error;
    }
  }
  verdict.agreed = verdict.disagreement.empty();
  RollbackIfOpen(model);
  return verdict;
}

ModelVerdict CheckRefused(sqlite3* model, std::span<const WorkStatement> statements,
                          std::span<const StatementOutcome> outcomes, size_t failed_index) {
  ModelVerdict verdict;
  if (failed_index >= statements.size() || statements.size() != outcomes.size()) {
    throw std::logic_error("CheckRefused: bad statement index");
  }
  ExecOrThrow(model, "BEGIN IMMEDIATE");
  verdict.disagreement = ReplayPrefix(model, statements, outcomes, failed_index, /*failpoint_fired=*/false);
  if (verdict.disagreement.empty()) {
    const WorkStatement& statement = statements[failed_index];
    const model::QueryResult result = model::RunQuery(model, statement.sql, ToSqlValues(statement.params));
    const Status& sut = outcomes[failed_index].status;
    if (result.ok()) {
      verdict.disagreement = "statement " + std::to_string(failed_index + 1) + " " + Quote(statement.sql) +
                             " failed in the system under test (" + sut.ToString() +
                             ") but succeeded in the model, and no failpoint fired";
    } else if (PrimarySqliteCode(sut) > 0 && PrimarySqliteCode(sut) != result.rc) {
      verdict.disagreement = "statement " + std::to_string(failed_index + 1) + " " + Quote(statement.sql) +
                             " failed with SQLite code " + std::to_string(PrimarySqliteCode(sut)) +
                             " in the system under test but " + std::to_string(result.rc) + " in the model (" +
                             result.error + ")";
    }
  }
  verdict.agreed = verdict.disagreement.empty();
  RollbackIfOpen(model);
  return verdict;
}

ModelVerdict RunScripts(sqlite3* model, std::span<const std::string> scripts, bool commit) {
  ModelVerdict verdict;
  ExecOrThrow(model, "BEGIN IMMEDIATE");
  for (size_t i = 0; i < scripts.size(); ++i) {
    std::string error;
    if (Exec(model, scripts[i], &error) != SQLITE_OK) {
      verdict.disagreement = "script " + std::to_string(i + 1) + " " + Quote(scripts[i]) + " failed: " + error;
      break;
    }
    if (sqlite3_get_autocommit(model)) {
      verdict.disagreement = "script " + std::to_string(i + 1) + " ended the model's transaction";
      break;
    }
  }
  verdict.agreed = verdict.disagreement.empty();
  if (verdict.agreed && commit) {
    std::string error;
    if (Exec(model, "COMMIT", &error) == SQLITE_OK) {
      verdict.committed = true;
    } else {
      verdict.agreed = false;
      verdict.disagreement = "COMMIT failed: " + error;
    }
  }
  RollbackIfOpen(model);
  return verdict;
}

model::QueryResult ModelQuery(sqlite3* model, std::string_view sql, std::span<const model::SqlValue> params) {
  ExecOrThrow(model, "PRAGMA query_only=ON");
  model::QueryResult result = model::RunQuery(model, sql, params);
  RollbackIfOpen(model);  // a query that opened a transaction (BEGIN) must not leave it open
  ExecOrThrow(model, "PRAGMA query_only=OFF");
  return result;
}

}  // namespace stablevfs::ops
