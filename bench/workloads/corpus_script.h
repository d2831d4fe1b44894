// CorpusScript: the Chinook and Northwind load scripts of ../shared/corpora/workloads, made loadable in one
// transaction with foreign keys enforced.
//
// The scripts are third-party data: they are read in place at run time and never copied into this
// repository. A canister would load them inside one update message, on a connection with foreign_keys=ON
// (REFERENCE.md section 3), so the benchmark loads them that way on every backend. Whether a script needs
// adapting for that was checked against stock sqlite3 3.40.1:
//   - Chinook_Sqlite.sql loads unchanged, also inside BEGIN ... COMMIT with foreign_keys=ON (11 tables,
//     15,607 rows).
//   - Northwind create.sql does not: it switches foreign keys off with a PRAGMA (a no-op inside a
//     transaction), creates EmployeeTerritories and Order Details before the tables they reference (with
//     enforcement on, preparing an INSERT then fails with "no such table"), and inserts employees before
//     the managers they report to. The adaptation keeps every statement and its text and changes only the
//     order and the checking time: all DROP TABLE / CREATE TABLE statements first, in their original order,
//     then everything else in its original order, with PRAGMA defer_foreign_keys=ON so that references are
//     checked at COMMIT (the final data has no violations: `PRAGMA foreign_key_check` is empty). 13 tables,
//     3,310 rows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/status.h"

namespace stablevfs::bench {

struct CorpusScriptSpec {
  std::string_view workload;       // benchmark workload name
  std::string_view relative_path;  // below the corpora directory
  bool hoist_table_ddl = false;    // Northwind's adaptation (see above)
  uint64_t expected_rows = 0;      // rows in all user tables after loading
  uint64_t expected_tables = 0;    // user tables after loading
};

inline constexpr CorpusScriptSpec kChinookScript{"chinook_load", "workloads/chinook/Chinook_Sqlite.sql", false,
                                                 15'607, 11};
inline constexpr CorpusScriptSpec kNorthwindScript{"northwind_load", "workloads/northwind/create.sql", true,
                                                   3'310, 13};

// Splits `script` into complete SQL statements (each ending with its ';', as sqlite3_complete decides, so
// semicolons inside strings, identifiers and comments do not split). Text after the last complete statement
// that holds only whitespace and comments is dropped; anything else there is returned as a last statement.
std::vector<std::string> SplitSqlStatements(std::string_view script);

// True when `statement`, after leading whitespace and comments, starts with DROP TABLE or CREATE TABLE
// (case-insensitive; also CREATE TEMP/TEMPORARY TABLE).
bool IsTableDdl(std::string_view statement);

// The script that the benchmark executes for `spec`: the file's text, adapted as described above. Reads
// `corpora_dir / spec.relative_path`. Errors: kInvalidArgument naming the path when it cannot be read.
Result<std::string> LoadCorpusScript(const std::filesystem::path& corpora_dir, const CorpusScriptSpec& spec);

}  // namespace stablevfs::bench
