#include "lib/db/db.h"

#include <sqlite3.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "failpoints/failpoint.h"
#include "lib/core/trap.h"
#include "lib/db/sqlite_connection.h"
#include "lib/vfs/icstable_vfs.h"
#include "lib/vfs/image_bytes.h"

namespace stablevfs {
namespace {

constexpr const char* kPoisonedMessage =
    "an earlier call on this Db ended in a trap or a failpoint abort; drop this Db and call Db::Init again, as a "
    "canister does after a trap";
constexpr const char* kImportingMessage =
    "an import is in progress, so the database cannot be opened; call FinishImport or CancelImport first";

// The memories that have a live Db. A second Db on the same memory would keep its own page cache and overlay
// and overwrite the first one's commits, so Init refuses it.
class MemoryClaim {
 public:
  static std::unique_ptr<MemoryClaim> TryClaim(const StableMemory& memory) {
    std::lock_guard<std::mutex> lock(Mutex());
    if (!Claimed().insert(&memory).second) return nullptr;
    return std::unique_ptr<MemoryClaim>(new MemoryClaim(&memory));
  }
  ~MemoryClaim() {
    std::lock_guard<std::mutex> lock(Mutex());
    Claimed().erase(memory_);
  }
  MemoryClaim(const MemoryClaim&) = delete;
  MemoryClaim& operator=(const MemoryClaim&) = delete;

 private:
  explicit MemoryClaim(const StableMemory* memory) : memory_(memory) {}
  static std::mutex& Mutex() {
    static std::mutex mutex;
    return mutex;
  }
  static std::set<const StableMemory*>& Claimed() {
    static std::set<const StableMemory*> claimed;
    return claimed;
  }
  const StableMemory* memory_;
};

// Resets a flag when the scope ends, however it ends.
class FlagScope {
 public:
  explicit FlagScope(bool& flag) : flag_(flag) { flag_ = true; }
  ~FlagScope() { flag_ = false; }
  FlagScope(const FlagScope&) = delete;
  FlagScope& operator=(const FlagScope&) = delete;

 private:
  bool& flag_;
};

}  // namespace

struct Db::Impl {
  Impl(std::unique_ptr<MemoryClaim> claim_in, StableMemory& memory_in, std::unique_ptr<Layout> layout_in,
       std::unique_ptr<IcstableVfs> vfs_in)
      : claim(std::move(claim_in)), memory(memory_in), layout(std::move(layout_in)), vfs(std::move(vfs_in)) {}

  AutoVacuum auto_vacuum = AutoVacuum::kNone;  // set by the first update of a fresh file
  // The current update wrote through an autocommit before its transaction (auto_vacuum above): abandoning it
  // must also drop SQLite's page cache.
  bool reset_connection_if_abandoned = false;

  // Connections close first (with the overlay still attached, so a rollback during the close has somewhere to
  // write), then the VFS is unregistered, then the layout goes, and the memory is released last.
  ~Impl() {
    query_conn.reset();
    update_conn.reset();
    DropOverlay();
    vfs.reset();
    layout.reset();
  }

  // ---- guards ----

  // Refuses the call when the Db is unusable: poisoned, inside an update, inside a query when the call would
  // change the image the query is reading (or close its connection), or (unless allowed) importing.
  Status CheckUsable(const char* what, bool allow_importing, bool allow_in_query = true) const {
    if (vfs->poisoned()) return Status::Busy(kPoisonedMessage);
    if (in_update) {
      return Status::Busy(std::string(what) + " cannot run inside Db::Update; call it from its own message");
    }
    if (in_query && !allow_in_query) {
      return Status::Busy(std::string(what) +
                          " cannot run inside Db::Query: it would change the image the query is reading; call it "
                          "from its own message");
    }
    if (!allow_importing && importing()) return Status::Busy(kImportingMessage);
    return Status::Ok();
  }

  bool importing() const { return (layout->meta().flags & kFlagImporting) != 0; }

  // Runs `body`; any exception escaping it ends the message, so the Db is poisoned before it propagates.
  template <typename Body>
  auto Fatal(Body&& body) -> decltype(body()) {
    try {
      return body();
    } catch (...) {
      vfs->Poison(std::current_exception());
      throw;
    }
  }

  // A closure that caught a trap (or an abort) and carried on must not get its update committed: the message
  // ended at the trap.
  void RethrowIfPoisoned() {
    if (!vfs->poisoned()) return;
    if (std::exception_ptr cause = vfs->fatal_exception()) std::rethrow_exception(cause);
    throw Trap("the message already ended in a trap; drop this Db");
  }

  // Seeds SQLite's PRNG from the last transaction id and the database size, so random() and randomblob()
  // replay exactly. SQLite seeds its process-wide PRNG from the *default* VFS; a canister build registers
  // icstable as the only VFS, but in a native process the default is the OS one, so the seed is set here.
  void SeedPrng() const {
    const Meta& meta = layout->meta();
    uint64_t mixed = (meta.last_tx_id + 1) * 0x9e3779b97f4a7c15ull ^ meta.db_size;
    mixed ^= mixed >> 32;
    const int seed = static_cast<int>(static_cast<uint32_t>(mixed) | 1u);  // 0 would mean "ask the VFS"
    sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, seed, static_cast<sqlite3*>(nullptr));
  }

  // ---- connections ----

  Status EnsureUpdateConnection() {
    if (update_conn) return Status::Ok();
    Result<std::unique_ptr<SqliteConnection>> opened =
        SqliteConnection::Open(*vfs, SqliteConnection::Kind::kUpdate);
    if (!opened.ok()) return opened.status();
    update_conn = std::move(opened).value();
    return Status::Ok();
  }

  // Opens the query connection, or drops its page cache when the image changed since it last read. SQLite
  // would notice a change by itself only through the file change counter at offset 24, which the update
  // connection does not advance on every commit in exclusive locking mode; a publish that failed after COMMIT
  // or an import changes the image without any counter at all. So the Db tracks the generation itself.
  Status EnsureFreshQueryConnection() {
    if (!query_conn) {
      Result<std::unique_ptr<SqliteConnection>> opened =
          SqliteConnection::Open(*vfs, SqliteConnection::Kind::kQuery);
      if (!opened.ok()) return opened.status();
      query_conn = std::move(opened).value();
      query_generation = image_generation;
      return Status::Ok();
    }
    if (query_generation != image_generation) {
      query_conn->ReleasePageCache();
      query_generation = image_generation;
      query_schema_check = true;
    }
    return Status::Ok();
  }

  // After an update changed the image, in the update's own message: drops the query connection's page cache and
  // lets it reload a changed schema, so the next query starts warm. On the IC a query message's heap changes are
  // discarded, so a refresh left to the first query would be paid again by every query message until the next
  // update; an update message's heap changes stay. It reads only (the schema check's read transaction evaluates
  // no failpoint); errors are left for the next query's statements to meet (SQLite re-prepares on a schema change), a trap propagates and
  // ends the update's message, as any trap there does.
  void RefreshQueryConnection() {
    if (!query_conn) return;
    (void)EnsureFreshQueryConnection();  // cannot fail with the connection open: drops the cache when stale
    if (!query_schema_check) return;
    query_schema_check = false;  // an optimization only: a statement meeting a changed schema re-prepares itself
    query_conn->BeginReadScope();
    query_conn->CheckSchema();
    query_conn->EndReadScope();
  }

  // Opens the query connection (and so reads the schema) now, in the message that opens the Db, instead of in
  // the first query. On the IC a query message's heap changes are discarded, so a connection a query opened
  // would be opened again by every query message; one opened in init or post_upgrade stays. Best effort: when
  // it cannot be opened now (an import in progress, an image SQLite cannot read), the first query opens it and
  // reports the error, as before. A trap propagates, as from every method.
  void OpenQueryConnectionEarly() {
    if (importing()) return;
    try {
      (void)EnsureFreshQueryConnection();
    } catch (...) {
      vfs->Poison(std::current_exception());
      throw;
    }
    vfs->ClearStatus();
  }

  void CloseConnections() {
    query_conn.reset();
    update_conn.reset();
    vfs->ClearStatus();
  }

  void DropOverlay() {
    if (vfs) vfs->set_overlay(nullptr);
    overlay.reset();
  }

  // ---- update ----

  // Ends a failed update: rolls SQLite back, drops the overlay, and resets the connection whenever its page
  // cache might not match stable memory any more (the VFS failed during the update, SQLite ended the
  // transaction on its own, or the ROLLBACK failed). May throw a trap raised during the ROLLBACK.
  void AbandonUpdate(uint64_t vfs_failures_before) {
    bool reset = reset_connection_if_abandoned || vfs->counters().failures != vfs_failures_before;
    reset_connection_if_abandoned = false;
    if (!reset && update_conn) {
      if (update_conn->autocommit()) {
        reset = true;
      } else {
        const Status rolled_back = update_conn->RunControl(SqliteConnection::Control::kRollback);
        reset = !rolled_back.ok() || !update_conn->autocommit();
      }
    }
    if (reset) update_conn.reset();  // closing rolls back what is still open, into the overlay dropped next
    DropOverlay();
    vfs->ClearStatus();
  }

  // The body of Update and Migrate. `closure_failpoint` evaluates `update.closure` after fn succeeds.
  Status RunUpdate(const std::function<Status(Connection&)>& fn, bool closure_failpoint) {
    STABLEVFS_RETURN_IF_ERROR(CheckUsable("Update", /*allow_importing=*/false, /*allow_in_query=*/false));
    FlagScope scope(in_update);
    bool user_exception = false;  // fn threw: rethrown after a clean rollback, the Db stays usable
    reset_connection_if_abandoned = false;
    try {
      STABLEVFS_RETURN_IF_ERROR(EnsureUpdateConnection());
      SeedPrng();
      const uint64_t failures_before = vfs->counters().failures;
      Layout* base = layout.get();
      overlay = std::make_unique<Overlay>(base->meta().db_size, [base](uint64_t page_no, std::span<uint8_t> out) {
        return base->ReadPage(page_no, out);
      });
      vfs->set_overlay(overlay.get());

      // auto_vacuum can only be chosen while the file is new, and outside a transaction (inside one SQLite
      // ignores it); setting it makes SQLite write page 1 in its own autocommit transaction. So it is set here,
      // in the first update of a fresh file, once the overlay is in place to receive that write. If this update
      // then fails, SQLite believes page 1 is stored while the overlay is dropped: the connection is reset.
      Status status;
      if (auto_vacuum != AutoVacuum::kNone && base->meta().db_size == 0) {
        reset_connection_if_abandoned = true;
        status = update_conn->ExecuteScript(auto_vacuum == AutoVacuum::kFull ? "PRAGMA auto_vacuum = FULL"
                                                                              : "PRAGMA auto_vacuum = INCREMENTAL");
      }
      if (status.ok()) status = update_conn->RunControl(SqliteConnection::Control::kBeginImmediate);
      if (status.ok()) {
        try {
          status = fn(*update_conn);
        } catch (const Trap&) {
          throw;
        } catch (const fp::Abort&) {
          throw;
        } catch (...) {
          if (!vfs->poisoned()) {
            AbandonUpdate(failures_before);
            user_exception = true;
          }
          throw;
        }
        RethrowIfPoisoned();
        if (status.ok() && closure_failpoint) {
          const fp::Action action = STABLEVFS_FAILPOINT_EVAL("update.closure");
          if (action == fp::Action::kError) {
            AbandonUpdate(failures_before);
            user_exception = true;
            throw std::runtime_error(
                "failpoint 'update.closure' simulated an exception thrown by the update closure; the update was "
                "rolled back");
          }
          if (action != fp::Action::kOff) fp::Raise("update.closure", action);
        }
        if (status.ok() && update_conn->autocommit()) {
          status = Status::InvalidArgument(
              "the update closure ended the transaction itself (COMMIT, ROLLBACK or END); Db::Update owns the "
              "transaction: use Savepoint, Release and RollbackTo inside it");
        }
      }
      if (!status.ok()) {
        AbandonUpdate(failures_before);
        return status;
      }

      status = update_conn->RunControl(SqliteConnection::Control::kCommit);
      if (!status.ok()) {
        AbandonUpdate(failures_before);
        return status;
      }
      if (overlay->dirty()) {
        status = layout->Publish(*overlay);
        if (!status.ok()) {
          // SQLite committed, stable memory did not: SQLite's page cache is now ahead of the image. Close the
          // connection so nothing that was never stored stays visible (the next update reopens it).
          update_conn.reset();
          DropOverlay();
          vfs->ClearStatus();
          return status;
        }
        ++image_generation;
      }
      DropOverlay();
      RefreshQueryConnection();
      return Status::Ok();
    } catch (...) {
      if (!user_exception) vfs->Poison(std::current_exception());
      throw;
    }
  }

  // ---- query ----

  // One query closure runs inside the query connection's read scope (SqliteConnection::BeginReadScope): its
  // plain reads share one read transaction, so they see one snapshot and SQLite checks its cache once. The
  // scope ends however the closure ends (OK, an error, a thrown exception); a trap poisons the Db instead, and
  // the connection goes with it. A Query called inside a query closure runs inside the outer one's scope.
  Status RunQuery(const std::function<Status(Connection&)>& fn) {
    STABLEVFS_RETURN_IF_ERROR(CheckUsable("Query", /*allow_importing=*/false));
    if (in_query) return RunNestedQuery(fn);
    FlagScope scope(in_query);
    bool user_exception = false;
    try {
      STABLEVFS_RETURN_IF_ERROR(EnsureFreshQueryConnection());
      SeedPrng();
      query_conn->BeginReadScope();
      if (query_schema_check) {
        query_schema_check = false;
        query_conn->CheckSchema();
      }
      Status status;
      try {
        status = fn(*query_conn);
      } catch (const Trap&) {
        throw;
      } catch (const fp::Abort&) {
        throw;
      } catch (...) {
        if (!vfs->poisoned()) {
          EndQuery();
          user_exception = true;
        }
        throw;
      }
      RethrowIfPoisoned();
      EndQuery();
      return status;
    } catch (...) {
      if (!user_exception) vfs->Poison(std::current_exception());
      throw;
    }
  }

  // A Query inside a query closure: the outer closure's connection and scope are in use, so the inner closure
  // runs on them and the outer Query ends the scope.
  Status RunNestedQuery(const std::function<Status(Connection&)>& fn) {
    try {
      SeedPrng();
      Status status = fn(*query_conn);
      RethrowIfPoisoned();
      return status;
    } catch (const Trap&) {
      vfs->Poison(std::current_exception());
      throw;
    } catch (const fp::Abort&) {
      vfs->Poison(std::current_exception());
      throw;
    }
  }

  // Ends the closure's read scope, then any transaction the closure opened itself with BEGIN and left open,
  // so the next query starts a fresh read transaction (and so sees the next commit). A connection that cannot
  // be brought back to autocommit is closed (the next query reopens it).
  void EndQuery() {
    if (query_conn) query_conn->EndReadScope();
    if (query_conn && !query_conn->autocommit()) {
      if (!query_conn->RunControl(SqliteConnection::Control::kRollback).ok() || !query_conn->autocommit()) {
        query_conn.reset();
      }
    }
    vfs->ClearStatus();
  }

  // ---- image helpers ----

  // Feeds logical bytes [from, to) of the active image to `hash`, one page at a time.
  Status HashImage(uint64_t from, uint64_t to, Fnv1a64& hash) {
    std::vector<uint8_t> buffer(kDbPageBytes);
    uint64_t position = from;
    while (position < to) {
      const uint64_t n = std::min<uint64_t>(to - position, kDbPageBytes - position % kDbPageBytes);
      std::span<uint8_t> piece(buffer.data(), n);
      STABLEVFS_RETURN_IF_ERROR(ReadImageBytes(*layout, position, piece));
      hash.Update(piece);
      position += n;
    }
    return Status::Ok();
  }

  // Declaration order matters for destruction; see ~Impl.
  std::unique_ptr<MemoryClaim> claim;
  StableMemory& memory;
  std::unique_ptr<Layout> layout;
  std::unique_ptr<IcstableVfs> vfs;
  std::unique_ptr<Overlay> overlay;                 // the update in progress, or null
  std::unique_ptr<SqliteConnection> update_conn;    // opened lazily; reset when its cache may be stale
  std::unique_ptr<SqliteConnection> query_conn;     // opened by Init, else lazily; cache dropped when the image changes
  uint64_t image_generation = 0;  // advances whenever the logical image changes
  uint64_t query_generation = 0;  // the generation the query connection's page cache matches
  bool query_schema_check = false;  // the image changed since the query connection last read: check the schema
  bool in_update = false;
  bool in_query = false;  // inside the outermost Query's closure
  const LayoutInfo* layout_info = nullptr;  // the registered layout that opened the memory
};

Db::Db(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Db::~Db() = default;

Result<std::unique_ptr<Db>> Db::Init(StableMemory& memory, Options options) {
  std::unique_ptr<MemoryClaim> claim = MemoryClaim::TryClaim(memory);
  if (!claim) {
    return Status::Busy(
        "a Db is already open on this memory; destroy it before calling Db::Init again (one Db per memory; use "
        "one virtual memory per database)");
  }
  const LayoutInfo* opened_as = nullptr;
  Result<std::unique_ptr<Layout>> layout = Layout::Open(memory, options.layout, &opened_as);
  if (!layout.ok()) return layout.status();
  IcstableVfs::Options vfs_options;
  vfs_options.observer = options.observer;
  vfs_options.clock_ms = std::move(options.clock_ms);
  Result<std::unique_ptr<IcstableVfs>> vfs = IcstableVfs::Register(**layout, std::move(vfs_options));
  if (!vfs.ok()) return vfs.status();
  auto impl = std::make_unique<Impl>(std::move(claim), memory, std::move(layout).value(), std::move(vfs).value());
  impl->auto_vacuum = options.auto_vacuum;
  impl->layout_info = opened_as;
  impl->OpenQueryConnectionEarly();
  return std::unique_ptr<Db>(new Db(std::move(impl)));
}

Status Db::Update(const std::function<Status(Connection&)>& fn) {
  return impl_->RunUpdate(fn, /*closure_failpoint=*/true);
}

Status Db::Query(const std::function<Status(Connection&)>& fn) { return impl_->RunQuery(fn); }

Status Db::Migrate(std::span<const Migration> migrations) {
  Impl& d = *impl_;
  std::vector<Migration> sorted(migrations.begin(), migrations.end());
  std::sort(sorted.begin(), sorted.end(), [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i].version <= 0) {
      return Status::InvalidArgument("migration version " + std::to_string(sorted[i].version) +
                                     " is not positive; number migrations from 1 upwards");
    }
    if (i > 0 && sorted[i].version == sorted[i - 1].version) {
      return Status::InvalidArgument("migration version " + std::to_string(sorted[i].version) +
                                     " appears twice; give every migration its own version");
    }
  }
  STABLEVFS_RETURN_IF_ERROR(d.CheckUsable("Migrate", /*allow_importing=*/false, /*allow_in_query=*/false));
  const uint64_t schema_before = d.layout->meta().schema_version;
  const uint64_t tx_before = d.layout->meta().last_tx_id;
  if (sorted.empty() || static_cast<uint64_t>(sorted.back().version) <= schema_before) return Status::Ok();

  // Versions already recorded in the table count as applied even when schema_version lags behind them (a
  // power loss between the publish and the schema_version store): they are not run twice.
  uint64_t schema_after = schema_before;
  Status status = d.RunUpdate(
      [&](Connection& c) -> Status {
        STABLEVFS_RETURN_IF_ERROR(c.ExecuteScript(
            "CREATE TABLE IF NOT EXISTS _stablevfs_migrations(version INTEGER PRIMARY KEY, sql TEXT NOT NULL)"));
        Result<Rows> recorded = c.Query("SELECT version FROM _stablevfs_migrations");
        if (!recorded.ok()) return recorded.status();
        std::set<int64_t> applied;
        for (const Row& row : recorded->rows) {
          if (const auto* v = std::get_if<int64_t>(&row.at(0))) applied.insert(*v);
        }
        for (const Migration& m : sorted) {
          const uint64_t version = static_cast<uint64_t>(m.version);
          if (version <= schema_before || applied.count(m.version) != 0) {
            schema_after = std::max(schema_after, version);
            continue;
          }
          STABLEVFS_FAILPOINT("migrate.apply");
          Status applied_status = c.ExecuteScript(m.sql);
          if (!applied_status.ok()) {
            if (applied_status.code() == ErrorCode::kInjected) return applied_status;  // keeps the site name
            std::string message = "migration " + std::to_string(m.version) + " failed: " + applied_status.message() +
                                  "; every migration of this call was rolled back and schema_version stays at " +
                                  std::to_string(schema_before) + "; fix the migration and run Migrate again";
            if (applied_status.code() == ErrorCode::kSqlite) {
              return Status::Sqlite(applied_status.sqlite_code(), std::move(message));
            }
            return Status(applied_status.code(), std::move(message));
          }
          const Value params[] = {Value{m.version}, Value{m.sql}};
          STABLEVFS_RETURN_IF_ERROR(
              c.Execute("INSERT INTO _stablevfs_migrations(version, sql) VALUES(?1, ?2)", params));
          schema_after = std::max(schema_after, version);
        }
        return Status::Ok();
      },
      /*closure_failpoint=*/false);
  STABLEVFS_RETURN_IF_ERROR(status);
  if (schema_after == schema_before) return Status::Ok();

  return d.Fatal([&]() -> Status {
    Meta meta = d.layout->meta();
    meta.schema_version = schema_after;
    Status stored = d.layout->StoreMeta(meta);
    if (stored.ok()) return stored;
    if (d.layout->meta().last_tx_id != tx_before) {
      // The migrations are published but schema_version could not follow. Returning an error now would leave
      // a changed image behind an error; trapping makes the IC discard the whole message instead.
      throw Trap("Migrate: the migrations were published but storing schema_version failed (" + stored.ToString() +
                 "); trapping so the message is rolled back as a whole");
    }
    return stored;
  });
}

Result<DbMeta> Db::GetMeta() {
  Impl& d = *impl_;
  if (d.vfs->poisoned()) return Status::Busy(kPoisonedMessage);
  return d.Fatal([&]() -> Result<DbMeta> {
    DbMeta meta;
    meta.superblock = d.layout->meta();
    meta.stats = d.layout->Stats();
    meta.layout = d.layout_info != nullptr ? d.layout_info->name : "";
    meta.importing = (meta.superblock.flags & kFlagImporting) != 0;
    meta.checksum_stale = (meta.superblock.flags & kFlagChecksumStale) != 0;
    meta.checksum_refreshing = (meta.superblock.flags & kFlagChecksumRefreshing) != 0;
    return meta;
  });
}

Result<std::string> Db::IntegrityCheck() {
  std::string report;
  Status status = impl_->RunQuery([&](Connection& c) -> Status {
    Result<Rows> rows = c.Query("PRAGMA integrity_check");
    if (!rows.ok()) return rows.status();
    for (const Row& row : rows->rows) {
      if (row.empty()) continue;
      if (!report.empty()) report += '\n';
      const auto* text = std::get_if<std::string>(&row[0]);
      report += text != nullptr ? *text : ToDisplayString(row[0]);
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return report;
}

Status Db::RefreshChecksum() {
  Impl& d = *impl_;
  STABLEVFS_RETURN_IF_ERROR(d.CheckUsable("RefreshChecksum", /*allow_importing=*/false));
  return d.Fatal([&]() -> Status {
    Meta meta = d.layout->meta();
    Fnv1a64 hash;
    STABLEVFS_RETURN_IF_ERROR(d.HashImage(0, meta.db_size, hash));
    meta.checksum = hash.value();
    meta.flags &= ~(kFlagChecksumStale | kFlagChecksumRefreshing);
    meta.checksum_refresh_offset = 0;
    meta.checksum_refresh_hash = 0;
    meta.checksum_refresh_tx_id = 0;
    return d.layout->StoreMeta(meta);
  });
}

Result<ChecksumProgress> Db::RefreshChecksumChunk(uint64_t max_bytes) {
  Impl& d = *impl_;
  if (max_bytes == 0) {
    return Status::InvalidArgument("RefreshChecksumChunk needs max_bytes > 0; pass the bytes to hash per call");
  }
  STABLEVFS_RETURN_IF_ERROR(d.CheckUsable("RefreshChecksumChunk", /*allow_importing=*/false));
  return d.Fatal([&]() -> Result<ChecksumProgress> {
    STABLEVFS_FAILPOINT("checksum.refresh_chunk");
    Meta meta = d.layout->meta();
    // Restart when no refresh is running, or a commit happened since this one began (its bytes are stale).
    const bool resume = (meta.flags & kFlagChecksumRefreshing) != 0 &&
                        meta.checksum_refresh_tx_id == meta.last_tx_id &&
                        meta.checksum_refresh_offset <= meta.db_size;
    if (!resume) {
      meta.flags |= kFlagChecksumRefreshing;
      meta.checksum_refresh_offset = 0;
      meta.checksum_refresh_hash = Fnv1a64::kOffsetBasis;
      meta.checksum_refresh_tx_id = meta.last_tx_id;
    }
    Fnv1a64 hash(meta.checksum_refresh_hash);
    const uint64_t remaining = meta.db_size - meta.checksum_refresh_offset;
    const uint64_t end = meta.checksum_refresh_offset + std::min(max_bytes, remaining);
    STABLEVFS_RETURN_IF_ERROR(d.HashImage(meta.checksum_refresh_offset, end, hash));
    ChecksumProgress progress;
    progress.offset = end;
    if (end == meta.db_size) {
      meta.checksum = hash.value();
      meta.flags &= ~(kFlagChecksumStale | kFlagChecksumRefreshing);
      meta.checksum_refresh_offset = 0;
      meta.checksum_refresh_hash = 0;
      meta.checksum_refresh_tx_id = 0;
      progress.complete = true;
      progress.checksum = meta.checksum;
    } else {
      meta.checksum_refresh_offset = end;
      meta.checksum_refresh_hash = hash.value();
    }
    STABLEVFS_RETURN_IF_ERROR(d.layout->StoreMeta(meta));
    return progress;
  });
}

Result<std::vector<uint8_t>> Db::ExportChunk(uint64_t offset, uint64_t len) {
  Impl& d = *impl_;
  if (d.vfs->poisoned()) return Status::Busy(kPoisonedMessage);
  return d.Fatal([&]() -> Result<std::vector<uint8_t>> {
    const uint64_t size_bytes = d.layout->meta().db_size;
    if (offset >= size_bytes) return std::vector<uint8_t>();
    std::vector<uint8_t> bytes(std::min(len, size_bytes - offset));
    STABLEVFS_RETURN_IF_ERROR(ReadImageBytes(*d.layout, offset, bytes));
    return bytes;
  });
}

Status Db::BeginImport(uint64_t total_bytes, uint64_t expected_checksum) {
  Impl& d = *impl_;
  STABLEVFS_RETURN_IF_ERROR(d.CheckUsable("BeginImport", /*allow_importing=*/true, /*allow_in_query=*/false));
  if (d.importing()) {
    return Status::Busy("an import is already in progress; finish it with FinishImport or abandon it with "
                        "CancelImport before beginning another");
  }
  return d.Fatal([&]() -> Status {
    // The connections must not outlive the image they cached; they reopen after the import ends.
    d.CloseConnections();
    return d.layout->BeginImportStaging(total_bytes, expected_checksum);
  });
}

Status Db::ImportChunk(uint64_t offset, std::span<const uint8_t> bytes) {
  Impl& d = *impl_;
  STABLEVFS_RETURN_IF_ERROR(d.CheckUsable("ImportChunk", /*allow_importing=*/true));
  if (!d.importing()) return Status::Busy("no import is in progress; call BeginImport first");
  return d.Fatal([&]() -> Status {
    const Meta& meta = d.layout->meta();
    if (offset != meta.import_written_until) {
      return Status::Import(meta.import_written_until, offset,
                            "import chunk at offset " + std::to_string(offset) + " is out of order: expected offset " +
                                std::to_string(meta.import_written_until) + "; send chunks in order from 0");
    }
    if (bytes.size() > meta.import_total_size - offset) {
      return Status::Import(meta.import_total_size, offset + bytes.size(),
                            "import chunk [" + std::to_string(offset) + ", " + std::to_string(offset + bytes.size()) +
                                ") ends past the announced total of " + std::to_string(meta.import_total_size) +
                                " bytes; send exactly the bytes announced to BeginImport");
    }
    STABLEVFS_FAILPOINT("import.chunk");
    STABLEVFS_RETURN_IF_ERROR(d.layout->StageImportBytes(offset, bytes));
    const uint64_t written_until = offset + bytes.size();
    if (d.layout->meta().import_written_until != written_until) {
      Meta updated = d.layout->meta();
      updated.import_written_until = written_until;
      STABLEVFS_RETURN_IF_ERROR(d.layout->StoreMeta(updated));
    }
    return Status::Ok();
  });
}

Status Db::FinishImport() {
  Impl& d = *impl_;
  STABLEVFS_RETURN_IF_ERROR(d.CheckUsable("FinishImport", /*allow_importing=*/true, /*allow_in_query=*/false));
  if (!d.importing()) return Status::Busy("no import is in progress; call BeginImport first");
  return d.Fatal([&]() -> Status {
    const Meta meta = d.layout->meta();
    if (meta.import_written_until != meta.import_total_size) {
      return Status::Import(meta.import_total_size, meta.import_written_until,
                            "the import is incomplete: " + std::to_string(meta.import_written_until) + " of " +
                                std::to_string(meta.import_total_size) +
                                " bytes arrived; send the remaining chunks, then call FinishImport");
    }
    STABLEVFS_FAILPOINT("import.finish");
    Fnv1a64 hash;
    std::vector<uint8_t> buffer(kWasmPageBytes);
    for (uint64_t position = 0; position < meta.import_total_size;) {
      const uint64_t n = std::min<uint64_t>(buffer.size(), meta.import_total_size - position);
      std::span<uint8_t> piece(buffer.data(), n);
      STABLEVFS_RETURN_IF_ERROR(d.layout->ReadStagedBytes(position, piece));
      hash.Update(piece);
      position += n;
    }
    if (hash.value() != meta.import_expected_checksum) {
      STABLEVFS_RETURN_IF_ERROR(d.layout->DiscardImport());
      return Status::Import(meta.import_expected_checksum, hash.value(),
                            "the imported image's checksum " + std::to_string(hash.value()) +
                                " does not match the expected " + std::to_string(meta.import_expected_checksum) +
                                "; the staged image was discarded and the old one kept: export the source again "
                                "(refresh its checksum first) and repeat the import");
    }
    STABLEVFS_RETURN_IF_ERROR(d.layout->PublishImport());
    ++d.image_generation;
    d.CloseConnections();
    // As in Init: the new image's query connection opens in this (update) message, not in every query message.
    d.OpenQueryConnectionEarly();
    return Status::Ok();
  });
}

Status Db::CancelImport() {
  Impl& d = *impl_;
  STABLEVFS_RETURN_IF_ERROR(d.CheckUsable("CancelImport", /*allow_importing=*/true));
  if (!d.importing()) return Status::Ok();  // nothing to cancel: cancelling is idempotent
  return d.Fatal([&]() -> Status { return d.layout->DiscardImport(); });
}

Status Db::Compact() {
  Impl& d = *impl_;
  STABLEVFS_RETURN_IF_ERROR(d.CheckUsable("Compact", /*allow_importing=*/false));
  // The logical image does not change, so the connections' page caches stay valid.
  return d.Fatal([&]() -> Status { return d.layout->Compact(); });
}

StableMemory& Db::memory() { return impl_->memory; }

}  // namespace stablevfs
