// Helpers shared by the Db and VFS tests: opening a Db, running one-statement updates and queries, and a
// snapshot of everything the active superblock reaches (the superblock region, the root table, the segment
// tables and the mapped pages), decoded here from the raw bytes of REFERENCE section 3.1 on purpose: the
// tests judge the library with a decoder that does not share its code.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "lib/core/status.h"
#include "lib/core/trap.h"
#include "lib/db/db.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs::testing {

inline std::unique_ptr<Db> InitOrDie(StableMemory& memory, DbOptions options = {}) {
  Result<std::unique_ptr<Db>> db = Db::Init(memory, std::move(options));
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return nullptr;
  return std::move(db).value();
}

// Runs one statement as its own update.
inline Status Exec(Db& db, std::string_view sql, std::vector<Value> params = {}) {
  return db.Update([&](Connection& c) { return c.Execute(sql, params); });
}

// Runs one statement as its own query; fails the test on error.
inline Rows Select(Db& db, std::string_view sql, std::vector<Value> params = {}) {
  Rows rows;
  Status s = db.Query([&](Connection& c) -> Status {
    Result<Rows> r = c.Query(sql, params);
    if (!r.ok()) return r.status();
    rows = std::move(r).value();
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return rows;
}

// The single INTEGER a query returns (e.g. a count).
inline int64_t SelectInt(Db& db, std::string_view sql, std::vector<Value> params = {}) {
  Rows rows = Select(db, sql, std::move(params));
  if (rows.rows.size() != 1 || rows.rows[0].size() != 1 || !std::holds_alternative<int64_t>(rows.rows[0][0])) {
    ADD_FAILURE() << "`" << sql << "` did not return one integer";
    return -1;
  }
  return std::get<int64_t>(rows.rows[0][0]);
}

inline Meta MetaOf(Db& db) {
  Result<DbMeta> meta = db.GetMeta();
  EXPECT_TRUE(meta.ok()) << meta.status().ToString();
  return meta.ok() ? meta->superblock : Meta{};
}

inline std::vector<uint8_t> PatternBytes(size_t size, uint64_t seed) {
  std::vector<uint8_t> bytes(size);
  std::mt19937_64 rng(seed);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng() >> 56);
  return bytes;
}

inline uint64_t LoadU64(const std::vector<uint8_t>& bytes, uint64_t offset) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | bytes.at(offset + static_cast<uint64_t>(i));
  return v;
}

// Everything the active superblock of a layout 6 image reaches, copied byte for byte, decoded independently:
// the 64 KiB superblock region, then the root table (page_table_offset, root entry count at offset 128), each
// segment table (256 x u64) and each mapped 16 KiB page.
struct ActiveImage {
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> extents;  // (offset, bytes)

  static ActiveImage Take(const HeapStableMemory& memory) {
    const std::vector<uint8_t>& bytes = memory.bytes();
    ActiveImage image;
    const auto copy = [&](uint64_t offset, uint64_t length) {
      EXPECT_LE(offset + length, bytes.size()) << "extent past the end of memory";
      if (offset + length > bytes.size()) return;
      image.extents.emplace_back(offset, std::vector<uint8_t>(bytes.begin() + static_cast<ptrdiff_t>(offset),
                                                              bytes.begin() + static_cast<ptrdiff_t>(offset + length)));
    };
    copy(0, 65536);
    const uint64_t root = LoadU64(bytes, 120);
    const uint64_t segments = LoadU64(bytes, 128);
    if (root == 0) return image;
    copy(root, segments * 8);
    for (uint64_t s = 0; s < segments; ++s) {
      const uint64_t table = LoadU64(bytes, root + 8 * s);
      if (table == 0) continue;
      copy(table, 2048);
      for (uint64_t slot = 0; slot < 256; ++slot) {
        const uint64_t page = LoadU64(bytes, table + 8 * slot);
        if (page != 0) copy(page, 16384);
      }
    }
    return image;
  }

  bool operator==(const ActiveImage&) const = default;
};

inline uint64_t Fnv1a(std::span<const uint8_t> bytes) {
  Fnv1a64 hash;
  hash.Update(bytes);
  return hash.value();
}

// The safe export sequence of REFERENCE 3.3: refresh the checksum to completion in chunks, read the meta,
// read every chunk, confirm last_tx_id did not move. Returns the image; *checksum receives the stored checksum.
inline std::vector<uint8_t> ExportImage(Db& db, uint64_t* checksum, uint64_t chunk_bytes = 10000) {
  for (int guard = 0; guard < 100000; ++guard) {
    Result<ChecksumProgress> progress = db.RefreshChecksumChunk(chunk_bytes * 3);
    EXPECT_TRUE(progress.ok()) << progress.status().ToString();
    if (!progress.ok() || progress->complete) break;
  }
  const Result<DbMeta> meta = db.GetMeta();
  EXPECT_TRUE(meta.ok());
  EXPECT_FALSE(meta->checksum_stale);
  std::vector<uint8_t> image;
  for (uint64_t offset = 0; offset < meta->superblock.db_size; offset += chunk_bytes) {
    Result<std::vector<uint8_t>> chunk = db.ExportChunk(offset, chunk_bytes);
    EXPECT_TRUE(chunk.ok()) << chunk.status().ToString();
    if (!chunk.ok()) return {};
    image.insert(image.end(), chunk->begin(), chunk->end());
  }
  EXPECT_EQ(db.GetMeta()->superblock.last_tx_id, meta->superblock.last_tx_id);
  EXPECT_EQ(image.size(), meta->superblock.db_size);
  EXPECT_EQ(Fnv1a(image), meta->superblock.checksum);
  *checksum = meta->superblock.checksum;
  return image;
}

// Imports `image` in chunks of `chunk_bytes`; returns the first error.
inline Status ImportImage(Db& db, std::span<const uint8_t> image, uint64_t checksum, uint64_t chunk_bytes = 10000) {
  STABLEVFS_RETURN_IF_ERROR(db.BeginImport(image.size(), checksum));
  for (uint64_t offset = 0; offset < image.size(); offset += chunk_bytes) {
    const uint64_t n = std::min<uint64_t>(chunk_bytes, image.size() - offset);
    STABLEVFS_RETURN_IF_ERROR(db.ImportChunk(offset, image.subspan(offset, n)));
  }
  return db.FinishImport();
}

// The bytes of an SQLite database file built by stock SQLite (in memory) with 16 KiB pages: `script` runs
// after `PRAGMA page_size = 16384`.
inline std::vector<uint8_t> SqliteFileImage(const std::string& script) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  const std::string sql = "PRAGMA page_size = 16384; " + script;
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_int64 size = 0;
  unsigned char* bytes = sqlite3_serialize(db, "main", &size, 0);
  std::vector<uint8_t> image(bytes, bytes + size);
  sqlite3_free(bytes);
  sqlite3_close(db);
  return image;
}

// A StableMemory decorator that traps on the n-th read from now (n = 1: the next read), to test that a trap
// raised inside a VFS callback still ends the message.
class TrapOnReadMemory final : public StableMemory {
 public:
  explicit TrapOnReadMemory(StableMemory& inner) : inner_(inner) {}
  uint64_t size_pages() const override { return inner_.size_pages(); }
  int64_t grow(uint64_t delta_pages) override { return inner_.grow(delta_pages); }
  void read(uint64_t offset_bytes, std::span<uint8_t> out) override {
    if (countdown_ > 0 && --countdown_ == 0) throw Trap("test: trap on read at " + std::to_string(offset_bytes));
    inner_.read(offset_bytes, out);
  }
  void write(uint64_t offset_bytes, std::span<const uint8_t> data) override { inner_.write(offset_bytes, data); }
  void TrapOnRead(uint64_t n) { countdown_ = n; }

 private:
  StableMemory& inner_;
  uint64_t countdown_ = 0;
};

}  // namespace stablevfs::testing
