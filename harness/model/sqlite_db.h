// SqliteDb: stock SQLite connections the models and the checker's comparisons open, owned RAII-style.
//
// Two ways to get a database that is not the library's: a fresh in-memory database (the data model), and a
// database image deserialized into SQLite's own memdb VFS (the logical file the checker resolved from stable
// memory, or an exported image). Nothing here touches lib/; these are plain sqlite3 C API calls. Failures
// throw std::runtime_error (harness code; no SQLite callback is involved).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace stablevfs::model {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;

// A new, empty in-memory database with foreign_keys=ON (the library's setting that changes results).
SqliteHandle OpenMemoryDatabase();

// A private in-memory copy of `image` (a complete SQLite database file) with foreign_keys=ON. Changes to the
// connection never reach `image`. An empty image gives an empty database.
SqliteHandle OpenImage(std::span<const uint8_t> image);

// Replaces the main database of `db` with a copy of `image`. REQUIRES: no transaction open on `db`.
void LoadImage(sqlite3* db, std::span<const uint8_t> image);

// As OpenImage, but main is read-only (SQLITE_DESERIALIZE_READONLY): SQLite refuses every write to it, so
// its buffer (MainFileBytes) holds exactly `image` for the connection's whole life.
SqliteHandle OpenImageReadOnly(std::span<const uint8_t> image);

// The main database's file as SQLite holds it in memory, without a copy (SQLITE_SERIALIZE_NOCOPY), or
// nullopt when main is not a memdb database (a plain ":memory:" one). Valid until the next change to `db`.
std::optional<std::span<const uint8_t>> MainFileBytes(sqlite3* db);

// The main database of `db` as a file image (sqlite3_serialize).
std::vector<uint8_t> SerializeImage(sqlite3* db);

// Runs `sql` (one or more statements, no rows expected) and throws with the SQLite message on failure.
void ExecOrThrow(sqlite3* db, std::string_view sql);

// The first column of the first row of `sql` as an integer (0 when there is no row). Throws on failure.
int64_t QueryInt(sqlite3* db, std::string_view sql);

}  // namespace stablevfs::model
