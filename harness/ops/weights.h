// Generator weights: how often the seeded generator picks each kind of operation and each kind of SQL
// statement, and a few knobs (violation rate, statement count, blob sizes, database size).
//
// A weight is relative: kind k is drawn with probability weight[k] / sum(weights); 0 disables a kind.
// Weights can be set from text, e.g. `update=40,query=10,sql.insert=30,violation-percent=5`: names are the op
// keywords, `sql.<statement kind>` and the knob names below. Parsing starts from a base (by default the
// defaults) and changes only the names given; an unknown name or a bad number is rejected with the column
// and the offending token. FormatWeights prints every entry so that ParseWeights(FormatWeights(w)) == w.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/ops/op.h"
#include "harness/ops/op_text.h"

namespace stablevfs::ops {

// The kinds of statement the SQL generator draws for one slot of an update.
enum class SqlKind : uint8_t {
  kInsert,          // INSERT of 1-3 rows with fresh keys
  kBulkInsert,      // INSERT ... SELECT over a recursive CTE: tens to hundreds of rows at once
  kUpdate,          // UPDATE of a key range (scores, texts, blobs resized across page boundaries)
  kDelete,          // DELETE of one key or a small range
  kBigDelete,       // DELETE of most or all of a table, then PRAGMA incremental_vacuum (file shrinks)
  kReplace,         // REPLACE INTO an existing or fresh key
  kUpsert,          // INSERT ... ON CONFLICT DO UPDATE / DO NOTHING
  kCreateTable,     // a new table, sometimes WITHOUT ROWID, sometimes the child of another (foreign key)
  kDropTable,       // a table no other table references
  kCreateIndex,     // an index, sometimes UNIQUE, sometimes on an expression
  kDropIndex,
  kAlterAddColumn,  // ALTER TABLE ... ADD COLUMN
  kVacuum,          // ?VACUUM: inside the update's transaction SQLite refuses it, so it is marked may-fail
  kSavepoint,       // SAVEPOINT; a few statements; ROLLBACK TO and/or RELEASE
};
inline constexpr int kSqlKindCount = 14;

// "insert", "bulk-insert", "update", ..., as used after "sql." in the weights text.
std::string_view SqlKindName(SqlKind kind);

struct GeneratorWeights {
  std::array<uint32_t, kOpKindCount> op = {
      40,  // update
      10,  // query
      10,  // kv-put
      5,   // kv-get
      4,   // kv-delete
      3,   // migrate
      2,   // integrity-check
      2,   // checksum
      2,   // checksum-chunk
      1,   // export-import
      1,   // import-bad-checksum
      1,   // import-cancel
      1,   // compact
      2,   // upgrade
      3,   // arm
      1,   // capacity
      1,   // budget
  };
  std::array<uint32_t, kSqlKindCount> sql = {
      30,  // insert
      4,   // bulk-insert
      18,  // update
      8,   // delete
      3,   // big-delete
      6,   // replace
      8,   // upsert
      3,   // create-table
      1,   // drop-table
      3,   // create-index
      1,   // drop-index
      2,   // alter-add-column
      1,   // vacuum
      5,   // savepoint
  };
  // Percent of statement slots that violate a UNIQUE, NOT NULL or FOREIGN KEY constraint on purpose.
  uint32_t violation_percent = 8;
  // Percent of those violations written without '?': the statement fails the whole update (outcome error).
  uint32_t fatal_percent = 25;
  // An update has 1..statements_max statement slots (a savepoint block counts as one slot).
  uint32_t statements_max = 6;
  // Percent of BLOB values whose size is drawn from the page-boundary sizes (16383, 16384, 16385, 32785, ...)
  // rather than from small sizes.
  uint32_t boundary_blob_percent = 30;
  // Percent of queries that try to write (a query connection must refuse them: outcome error).
  uint32_t query_write_percent = 3;
  // Percent of migrate ops that fail on purpose (failing SQL, or duplicate versions).
  uint32_t migrate_fail_percent = 25;
  // When the generator's estimate of the database size passes this, it prefers big deletes and drops, so a
  // long run stays within memory and the file shrinks again.
  uint32_t db_soft_max_mib = 24;

  bool operator==(const GeneratorWeights&) const = default;
};

// Applies `name=value` assignments separated by ',' (blanks allowed around names, values and commas) to a
// copy of `base`. Errors name the token and its 1-based column: unknown names (with the list of known ones),
// missing '=', values that are not decimal numbers, percentages above 100, counts out of range, and a result
// in which every op weight or every sql weight is zero.
Parsed<GeneratorWeights> ParseWeights(std::string_view text, const GeneratorWeights& base = {});

// Every entry, in a fixed order, as ParseWeights reads it.
std::string FormatWeights(const GeneratorWeights& weights);

}  // namespace stablevfs::ops
