#include "harness/model/data_model.h"

#include <algorithm>
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

DataModel::DataModel() : db_(OpenMemoryDatabase()) {
  // Keep main in memdb from the start (as every LoadImage does anyway), so that Snapshot can read SQLite's
  // own buffer of the file (SQLITE_SERIALIZE_NOCOPY) instead of copying it page by page. An empty image is an
  // empty database; memdb journals in memory, like :memory:, and results do not depend on the storage.
  model::LoadImage(db_.get(), {});
}

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

const CanonicalDump& DataModel::Snapshot(const DumpOptions& options) const {
  // A dump reads only the main database through SQL, so it is a function of that database's file: equal files
  // give equal dumps. The file is compared whole, byte for byte, with the memo's own copy of the file the dump
  // was made from, so the memo can never answer for a different content, however the content changed
  // (Execute, writes through handle(), LoadImage / sqlite3_deserialize, a rollback). NOCOPY reads the file in
  // SQLite's memdb buffer without copying it; when SQLite cannot give that (main not in memdb), the file is
  // serialized into a copy and compared the same way.
  const std::optional<std::span<const uint8_t>> in_place = MainFileBytes(db_.get());
  std::vector<uint8_t> copy;
  std::span<const uint8_t> file;
  if (in_place) {
    file = *in_place;
  } else {
    copy = SerializeImage(db_.get());
    file = copy;
  }
  if (snapshot_memo_ && snapshot_memo_->image.size() == file.size() &&
      std::equal(file.begin(), file.end(), snapshot_memo_->image.begin()) &&
      snapshot_memo_->options == options) {
    return snapshot_memo_->dump;
  }
  // Copy the file before dumping: the dump only reads, but the key must be the bytes the dump was made from.
  std::vector<uint8_t> image = in_place ? std::vector<uint8_t>(file.begin(), file.end()) : std::move(copy);
  CanonicalDump dump = DumpDatabase(db_.get(), options);
  snapshot_memo_.reset();
  snapshot_memo_ = SnapshotMemo{std::move(image), options, std::move(dump), NextDumpSerial()};
  return snapshot_memo_->dump;
}

QueryResult DataModel::Query(std::string_view sql, std::span<const SqlValue> params) const {
  return RunQuery(db_.get(), sql, params);
}

}  // namespace stablevfs::model
