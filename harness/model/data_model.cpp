#include "harness/model/data_model.h"

#include <stdexcept>

namespace stablevfs::model {
namespace {

int Exec(sqlite3* db, const char* sql, std::string& error) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) error = message != nullptr ? message : sqlite3_errmsg(db);
  sqlite3_free(message);
  return rc;
}

int RunStatement(sqlite3* db, const SqlStatement& statement, std::string& error) {
  const QueryResult result = RunQuery(db, statement.sql, statement.params);
  if (!result.ok()) error = result.error;
  return result.rc;
}

}  // namespace

DataModel::DataModel() : db_(OpenMemoryDatabase()) {}

template <typename Work>
ExecResult DataModel::InTransaction(EndWith end, Work&& work) {
  sqlite3* db = db_.get();
  ExecResult result;
  if (!sqlite3_get_autocommit(db)) throw std::logic_error("data model: a transaction is already open");
  std::string error;
  int rc = Exec(db, "BEGIN IMMEDIATE", error);
  if (rc != SQLITE_OK) throw std::runtime_error("data model: BEGIN failed: " + error);

  rc = work(error);
  if (rc == SQLITE_OK && sqlite3_get_autocommit(db)) {
    // The work ended the transaction itself; whatever it committed cannot be told apart from ours.
    rc = SQLITE_MISUSE;
    error = "the work ended the transaction (BEGIN/COMMIT/ROLLBACK are not allowed inside a unit of work)";
  }
  if (rc == SQLITE_OK && end == EndWith::kCommitIfOk) {
    // COMMIT can fail on its own (deferred foreign keys); then the transaction is still open.
    rc = Exec(db, "COMMIT", error);
    if (rc == SQLITE_OK) {
      result.committed = true;
      ++commits_;
    }
  }
  result.rc = rc & 0xff;
  if (rc != SQLITE_OK) result.error = error;
  if (!sqlite3_get_autocommit(db)) {
    // Some errors (ON CONFLICT ROLLBACK, SQLITE_FULL) already rolled back; otherwise undo the work now.
    std::string rollback_error;
    if (Exec(db, "ROLLBACK", rollback_error) != SQLITE_OK) {
      throw std::runtime_error("data model: ROLLBACK failed: " + rollback_error);
    }
  }
  return result;
}

ExecResult DataModel::Execute(std::string_view script, EndWith end) {
  const std::string text(script);
  return InTransaction(end, [&](std::string& error) { return Exec(db_.get(), text.c_str(), error); });
}

ExecResult DataModel::ExecuteStatements(std::span<const SqlStatement> statements, EndWith end) {
  return InTransaction(end, [&](std::string& error) {
    for (const SqlStatement& statement : statements) {
      const int rc = RunStatement(db_.get(), statement, error);
      if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
  });
}

void DataModel::LoadImage(std::span<const uint8_t> image) {
  if (!sqlite3_get_autocommit(db_.get())) throw std::logic_error("data model: LoadImage inside a transaction");
  model::LoadImage(db_.get(), image);
}

CanonicalDump DataModel::Snapshot(const DumpOptions& options) const {
  // A dump reads only the main database through SQL, so it is a function of that database's file: equal files
  // give equal dumps. The file is compared whole, so the memo can never answer for a different content.
  std::vector<uint8_t> image = SerializeImage(db_.get());
  if (snapshot_memo_ && snapshot_memo_->image == image &&
      snapshot_memo_->options.exclude_tables == options.exclude_tables &&
      snapshot_memo_->options.include_header_values == options.include_header_values) {
    return snapshot_memo_->dump;
  }
  CanonicalDump dump = DumpDatabase(db_.get(), options);
  snapshot_memo_ = SnapshotMemo{std::move(image), options, dump};
  return dump;
}

QueryResult DataModel::Query(std::string_view sql, std::span<const SqlValue> params) const {
  return RunQuery(db_.get(), sql, params);
}

}  // namespace stablevfs::model
