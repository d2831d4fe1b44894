// ModelWork: the data model's side of an operation, checked against what the system under test did.
//
// The interpreter runs an operation's SQL on the system under test first, one statement at a time, and keeps
// how each statement ended (StatementOutcome). Only then does it run the same work on the data model
// (stock SQLite in memory, harness/model), and the two must agree:
//  - a statement that succeeded in the system under test must succeed in the model;
//  - a statement that failed there (tolerated, '?') must fail in the model too, with the same primary SQLite
//    code, unless a failpoint fired during the message (an injected step error makes a statement fail that
//    stock SQLite runs fine); then the model skips it, because in the system under test it had no effect
//    (SQLite makes a failed statement atomic);
//  - for an update the system under test refused at statement k (no failpoint fired), the model must refuse
//    statement k as well.
// The model is driven through its sqlite3 handle with plain SQLite calls (BEGIN IMMEDIATE, SAVEPOINT,
// sqlite3_exec), so it shares nothing with lib/ (independent by design; see ARCHITECTURE.md).
#pragma once

#include <sqlite3.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/model/query.h"
#include "harness/model/sql_value.h"
#include "lib/core/status.h"
#include "lib/db/value.h"

namespace stablevfs::ops {

// One statement as the interpreter runs it on both sides.
struct WorkStatement {
  std::string sql;
  std::vector<Value> params;  // bound to ?1..?n
  bool may_fail = false;      // a failure is tolerated and the work goes on
};

// How one statement ended in the system under test.
struct StatementOutcome {
  bool ran = false;
  Status status;  // OK, or why it failed
};

// Whether the model agreed, and if not, one sentence saying where.
struct ModelVerdict {
  bool agreed = true;
  std::string disagreement;
  bool committed = false;  // the work is now part of the model
};

model::SqlValue ToSqlValue(const Value& value);
std::vector<model::SqlValue> ToSqlValues(std::span<const Value> values);
std::vector<model::SqlValue> ToSqlRow(const Row& row);

// The primary SQLite result code a Status carries (kSqlite), or -1 for any other error, 0 for OK.
int PrimarySqliteCode(const Status& status);

// Replays on `model` the statements of a unit of work that the system under test committed, following
// `outcomes` (parallel to `statements`), and commits. `failpoint_fired`: some failpoint fired during the
// message. On disagreement the model is rolled back (the work is not applied).
ModelVerdict ReplayCommitted(sqlite3* model, std::span<const WorkStatement> statements,
                             std::span<const StatementOutcome> outcomes, bool failpoint_fired);

// Checks that the model also refuses the unit of work the system under test refused at statement
// `failed_index` (a non-tolerated failure): statements before it are replayed as in ReplayCommitted, then
// statement `failed_index` must fail with the same primary code. Always rolls the model back.
ModelVerdict CheckRefused(sqlite3* model, std::span<const WorkStatement> statements,
                          std::span<const StatementOutcome> outcomes, size_t failed_index);

// Runs `scripts` (each any number of ';'-separated statements, as sqlite3_exec) in one transaction on
// `model`. With commit, commits when every script succeeded; otherwise (or on failure) rolls back. `agreed`
// is true when every script succeeded; `disagreement` names the first failing script and SQLite's message.
ModelVerdict RunScripts(sqlite3* model, std::span<const std::string> scripts, bool commit);

// Runs one read statement on `model` the way a query connection would: with query_only on, so a statement
// that tries to write fails with SQLITE_READONLY and changes nothing, exactly as on the system under test.
model::QueryResult ModelQuery(sqlite3* model, std::string_view sql, std::span<const model::SqlValue> params);

}  // namespace stablevfs::ops
