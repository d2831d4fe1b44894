#include "bench/workloads/bench_backend.h"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <system_error>
#include <utility>

#include "bench/workloads/raw_sqlite_connection.h"
#include "lib/db/db.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs::bench {

// Defined in sim_backend.cpp, beside the simulator it depends on.
Result<std::unique_ptr<BenchBackend>> OpenIcstableSimBackend(const LayoutInfo* layout);

namespace {

// Distinguishes the databases of backends alive at the same time in one process (memdb names that start
// with '/' are shared process-wide, and temporary files must not collide).
std::atomic<uint64_t> g_backend_serial{0};

class SqliteBackend final : public BenchBackend {
 public:
  SqliteBackend(BackendKind kind, std::unique_ptr<RawSqliteConnection> connection, std::filesystem::path file)
      : kind_(kind), connection_(std::move(connection)), file_(std::move(file)) {}

  ~SqliteBackend() override {
    connection_.reset();  // close before unlinking
    if (!file_.empty()) {
      std::error_code ignored;  // a leftover temporary file is not worth failing a benchmark over
      std::filesystem::remove(file_, ignored);
      std::filesystem::remove(file_.string() + "-journal", ignored);
    }
  }

  BackendKind kind() const override { return kind_; }
  Status Update(const std::function<Status(Connection&)>& fn) override {
    return connection_->Transaction(/*write=*/true, fn);
  }
  Status Query(const std::function<Status(Connection&)>& fn) override {
    return connection_->Transaction(/*write=*/false, fn);
  }
  std::optional<uint64_t> stable_size_pages() override { return std::nullopt; }
  std::optional<StableCost> stable_cost() override { return std::nullopt; }

 private:
  BackendKind kind_;
  std::unique_ptr<RawSqliteConnection> connection_;
  std::filesystem::path file_;  // the unix backend's database file; empty for memdb
};

class IcstableBackend final : public BenchBackend {
 public:
  // A fresh HeapStableMemory with a new database of `layout` (null: the default) in it.
  static Result<std::unique_ptr<BenchBackend>> Open(const LayoutInfo* layout) {
    auto backend = std::unique_ptr<IcstableBackend>(new IcstableBackend());
    DbOptions options;
    options.layout = layout;
    Result<std::unique_ptr<Db>> db = Db::Init(backend->memory_, std::move(options));
    if (!db.ok()) return db.status();
    backend->db_ = std::move(db).value();
    return std::unique_ptr<BenchBackend>(std::move(backend));
  }

  ~IcstableBackend() override { db_.reset(); }  // the Db must go before the memory it lives in

  BackendKind kind() const override { return BackendKind::kIcstable; }
  Status Update(const std::function<Status(Connection&)>& fn) override { return db_->Update(fn); }
  Status Query(const std::function<Status(Connection&)>& fn) override { return db_->Query(fn); }
  std::optional<uint64_t> stable_size_pages() override { return memory_.size_pages(); }
  std::optional<StableCost> stable_cost() override { return std::nullopt; }

 private:
  IcstableBackend() = default;
  HeapStableMemory memory_;
  std::unique_ptr<Db> db_;
};

Result<std::unique_ptr<BenchBackend>> OpenSqlite(BackendKind kind, const BackendOptions& options) {
  const uint64_t serial = g_backend_serial.fetch_add(1);
  if (kind == BackendKind::kMemdb) {
    // The brief's floor: `memdb`, opened by URI. The leading '/' makes the name process-wide, so it carries
    // a serial; the database is freed when its last connection closes.
    const std::string uri = "file:/bench-" + std::to_string(serial) + "?vfs=memdb";
    auto connection = RawSqliteConnection::Open(
        uri, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE, nullptr);
    if (!connection.ok()) return connection.status();
    return std::unique_ptr<BenchBackend>(
        new SqliteBackend(kind, std::move(connection).value(), std::filesystem::path()));
  }
  std::error_code error;
  std::filesystem::path dir = options.temp_dir;
  if (dir.empty()) dir = std::filesystem::temp_directory_path(error);
  if (error) return Status::InvalidArgument("no temporary directory: " + error.message());
  const std::filesystem::path file =
      dir / ("stablevfs-bench-" + std::to_string(::getpid()) + "-" + std::to_string(serial) + ".db");
  std::filesystem::remove(file, error);  // a leftover of a killed run would not be a fresh database
  auto connection = RawSqliteConnection::Open(
      file.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE, "unix");
  if (!connection.ok()) return connection.status();
  return std::unique_ptr<BenchBackend>(new SqliteBackend(kind, std::move(connection).value(), file));
}

}  // namespace

std::string_view BackendName(BackendKind kind) {
  switch (kind) {
    case BackendKind::kMemdb:
      return "memdb";
    case BackendKind::kUnix:
      return "unix";
    case BackendKind::kIcstable:
      return "icstable";
    case BackendKind::kIcstableSim:
      return "icstable-sim";
  }
  return "unknown";
}

std::optional<BackendKind> ParseBackendName(std::string_view name) {
  for (BackendKind kind : kAllBackends) {
    if (BackendName(kind) == name) return kind;
  }
  return std::nullopt;
}

bool RunsPerLayout(BackendKind kind) {
  return kind == BackendKind::kIcstable || kind == BackendKind::kIcstableSim;
}

Result<std::unique_ptr<BenchBackend>> OpenBackend(BackendKind kind, const BackendOptions& options) {
  switch (kind) {
    case BackendKind::kMemdb:
    case BackendKind::kUnix:
      return OpenSqlite(kind, options);
    case BackendKind::kIcstable:
      return IcstableBackend::Open(options.layout);
    case BackendKind::kIcstableSim:
      return OpenIcstableSimBackend(options.layout);
  }
  return Status::InvalidArgument("unknown backend");
}

}  // namespace stablevfs::bench
