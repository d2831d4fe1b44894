#include "harness/model/sqlite_db.h"

#include <cstring>
#include <stdexcept>

namespace stablevfs::model {
namespace {

[[noreturn]] void Fail(sqlite3* db, const std::string& what) {
  throw std::runtime_error(what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

SqliteHandle OpenMemoryDatabase() {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqliteHandle db(raw);
  if (rc != SQLITE_OK) Fail(raw, "cannot open an in-memory database");
  ExecOrThrow(db.get(), "PRAGMA foreign_keys=ON");
  return db;
}

SqliteHandle OpenImage(std::span<const uint8_t> image) {
  SqliteHandle db = OpenMemoryDatabase();
  LoadImage(db.get(), image);
  return db;
}

namespace {

void Deserialize(sqlite3* db, std::span<const uint8_t> image, unsigned flags) {
  // sqlite3_deserialize takes ownership of a sqlite3_malloc'd buffer (FREEONCLOSE), so the caller's bytes are
  // copied and never written.
  const sqlite3_int64 size = static_cast<sqlite3_int64>(image.size());
  auto* buffer = static_cast<unsigned char*>(sqlite3_malloc64(image.empty() ? 1 : image.size()));
  if (buffer == nullptr) throw std::runtime_error("cannot allocate " + std::to_string(image.size()) + " bytes");
  if (!image.empty()) std::memcpy(buffer, image.data(), image.size());
  const int rc = sqlite3_deserialize(db, "main", buffer, size, size, SQLITE_DESERIALIZE_FREEONCLOSE | flags);
  if (rc != SQLITE_OK) Fail(db, "cannot load a database image of " + std::to_string(image.size()) + " bytes");
}

}  // namespace

SqliteHandle OpenImageReadOnly(std::span<const uint8_t> image) {
  SqliteHandle db = OpenMemoryDatabase();
  Deserialize(db.get(), image, SQLITE_DESERIALIZE_READONLY);
  return db;
}

std::optional<std::span<const uint8_t>> MainFileBytes(sqlite3* db) {
  sqlite3_int64 size = 0;
  const unsigned char* data = sqlite3_serialize(db, "main", &size, SQLITE_SERIALIZE_NOCOPY);
  if (data == nullptr) {
    // memdb gives its buffer even when empty; NULL means main is not in memdb (or an empty :memory: database).
    return std::nullopt;
  }
  return std::span<const uint8_t>(data, static_cast<size_t>(size));
}

void LoadImage(sqlite3* db, std::span<const uint8_t> image) {
  // sqlite3_deserialize takes ownership of a sqlite3_malloc'd buffer (FREEONCLOSE) and may grow it
  // (RESIZEABLE), so the caller's bytes are copied and never written.
  const sqlite3_int64 size = static_cast<sqlite3_int64>(image.size());
  auto* buffer = static_cast<unsigned char*>(sqlite3_malloc64(image.empty() ? 1 : image.size()));
  if (buffer == nullptr) throw std::runtime_error("cannot allocate " + std::to_string(image.size()) + " bytes");
  if (!image.empty()) std::memcpy(buffer, image.data(), image.size());
  const int rc = sqlite3_deserialize(db, "main", buffer, size, size,
                                     SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
  if (rc != SQLITE_OK) Fail(db, "cannot load a database image of " + std::to_string(image.size()) + " bytes");
}

std::vector<uint8_t> SerializeImage(sqlite3* db) {
  sqlite3_int64 size = 0;
  unsigned char* data = sqlite3_serialize(db, "main", &size, 0);
  if (data == nullptr) {
    // An empty database serializes to nothing; anything else is a failure.
    if (QueryInt(db, "PRAGMA page_count") == 0) return {};
    Fail(db, "cannot serialize the database");
  }
  std::vector<uint8_t> image(data, data + size);
  sqlite3_free(data);
  return image;
}

void ExecOrThrow(sqlite3* db, std::string_view sql) {
  const std::string text(sql);
  char* error = nullptr;
  if (sqlite3_exec(db, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error != nullptr ? error : sqlite3_errmsg(db);
    sqlite3_free(error);
    throw std::runtime_error("'" + text + "' failed: " + message);
  }
}

int64_t QueryInt(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &statement, nullptr) != SQLITE_OK) {
    Fail(db, "cannot prepare '" + std::string(sql) + "'");
  }
  int64_t value = 0;
  const int rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW) value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) Fail(db, "'" + std::string(sql) + "' failed");
  return value;
}

}  // namespace stablevfs::model
