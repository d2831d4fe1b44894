#include "harness/slt/vfs_engine.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include "failpoints/registry.h"
#include "harness/model/sqlite_db.h"

namespace stablevfs::slt {
namespace {

// Every TEMP schema entry; type and name are never NULL in sqlite_temp_schema.
constexpr const char* kTempSchemaSql = "SELECT type, name FROM sqlite_temp_schema ORDER BY type, name";

sim::CanisterOptions Options(uint64_t seed, const LayoutInfo* layout) {
  sim::CanisterOptions options;
  options.seed = seed;
  options.layout = layout;
  options.cost_accounting = false;
  return options;
}

}  // namespace

VfsEngine::VfsEngine(uint64_t seed, const LayoutInfo* layout) : canister_(Options(seed, layout)) {
  if (canister_.db() == nullptr) {
    throw std::runtime_error("cannot create the VFS database: " + canister_.init_status().ToString());
  }
}

sim::MessageResult VfsEngine::Execute(std::string_view sql) {
  return canister_.Update([&](Db& db) { return db.Update([&](Connection& c) { return c.ExecuteScript(sql); }); });
}

sim::MessageResult VfsEngine::Query(std::string_view sql, Rows* rows) {
  rows->columns.clear();
  rows->rows.clear();
  return canister_.Query([&](Db& db) {
    return db.Query([&](Connection& c) -> Status {
      Result<Rows> result = c.Query(sql);
      if (!result.ok()) return result.status();
      *rows = std::move(result).value();
      return Status::Ok();
    });
  });
}

std::vector<std::string> VfsEngine::TempSchema() {
  std::vector<std::string> entries;
  // A probe is the harness looking, not the workload: no failpoint may fire inside it. The hook is restored
  // however the message ends (Canister::Update does not throw).
  fp::Hook previous = fp::SetHook([](const fp::Fire&) { return fp::Action::kOff; });
  const sim::MessageResult result = canister_.Update([&](Db& db) {
    return db.Update([&](Connection& c) -> Status {
      Result<Rows> rows = c.Query(kTempSchemaSql);
      if (!rows.ok()) return rows.status();
      for (const Row& row : rows->rows) {
        entries.push_back(std::get<std::string>(row.at(0)) + " " + std::get<std::string>(row.at(1)));
      }
      return Status::Ok();
    });
  });
  fp::SetHook(std::move(previous));
  if (result.outcome != sim::Outcome::kCommitted) {
    throw std::runtime_error("reading the VFS's TEMP schema failed: " + result.detail);
  }
  return entries;
}

model::CanonicalDump VfsEngine::Dump() {
  Db* db = canister_.db();
  if (db == nullptr) throw std::runtime_error("the VFS database is not open: " + init_status().ToString());
  Result<DbMeta> meta = db->GetMeta();
  if (!meta.ok()) throw std::runtime_error("reading the VFS database's meta failed: " + meta.status().ToString());
  Result<std::vector<uint8_t>> image = db->ExportChunk(0, meta->superblock.db_size);
  if (!image.ok()) throw std::runtime_error("exporting the VFS database failed: " + image.status().ToString());
  model::SqliteHandle copy = model::OpenImage(*image);
  return model::DumpDatabase(copy.get());
}

}  // namespace stablevfs::slt
