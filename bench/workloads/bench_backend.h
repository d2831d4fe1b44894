// BenchBackend: one fresh database on one storage path, driven the way a canister drives its database.
//
// The VFS benchmark runs every workload on four backends and compares them:
//   memdb         SQLite's in-memory `memdb` VFS: no persistence at all, the floor.
//   unix          SQLite's `unix` VFS on a temporary file, same pragmas: what a native program would use.
//   icstable      the icstable VFS through Db, on a plain HeapStableMemory: the library's own cost.
//   icstable-sim  the same inside the simulated IC (SimStableMemory with the cost model): each Update is an
//                 update message, each Query a query message, so stable writes, newly dirtied 4 KiB pages
//                 and the stable-memory instructions are counted as the IC would charge them.
// The two icstable backends store the database in an on-disk layout (lib/layout/layout_registry.h), chosen per
// backend (BackendOptions::layout); the benchmark runs them once per layout (RunsPerLayout). memdb and unix
// have no layout: they are the layout-independent baselines.
// The two SQLite baselines wrap each Update/Query in BEGIN IMMEDIATE/BEGIN ... COMMIT around the same
// statements, so all four run the same transactions.
//
// A backend is created empty and destroyed after one run; it owns everything it needs (memory, temporary
// file). Traps propagate out of Update/Query as stablevfs::Trap: a benchmark treats one as a failed run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "lib/core/status.h"
#include "lib/db/connection.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::bench {

enum class BackendKind : uint8_t { kMemdb, kUnix, kIcstable, kIcstableSim };

inline constexpr BackendKind kAllBackends[] = {BackendKind::kMemdb, BackendKind::kUnix, BackendKind::kIcstable,
                                               BackendKind::kIcstableSim};

// "memdb", "unix", "icstable", "icstable-sim": the names used on the command line and in reports.
std::string_view BackendName(BackendKind kind);
// The inverse of BackendName; nullopt for an unknown name.
std::optional<BackendKind> ParseBackendName(std::string_view name);
// Whether the backend stores the database in an on-disk layout, so that it runs once per layout: icstable and
// icstable-sim. memdb and unix do not.
bool RunsPerLayout(BackendKind kind);

// What the simulated IC counted (icstable-sim only). A snapshot; subtract two to get a region's cost.
struct StableCost {
  uint64_t bytes_written = 0;
  uint64_t dirty_pages = 0;   // 4 KiB pages newly dirtied, summed over messages (as the IC charges them)
  uint64_t instructions = 0;  // stable-memory instructions charged (calls, bytes, dirty pages, grows)
  uint64_t messages = 0;      // update and query messages run

  StableCost operator-(const StableCost& before) const {
    return {bytes_written - before.bytes_written, dirty_pages - before.dirty_pages,
            instructions - before.instructions, messages - before.messages};
  }
  bool operator==(const StableCost&) const = default;
};

class BenchBackend {
 public:
  virtual ~BenchBackend() = default;

  virtual BackendKind kind() const = 0;

  // Runs `fn` as one write transaction (an update message on the icstable backends).
  virtual Status Update(const std::function<Status(Connection&)>& fn) = 0;
  // Runs `fn` as one read transaction (a query message on the icstable backends).
  virtual Status Query(const std::function<Status(Connection&)>& fn) = 0;

  // The stable memory's size in 64 KiB pages; nullopt for the SQLite baselines, which have none.
  virtual std::optional<uint64_t> stable_size_pages() = 0;
  // The simulator's counters since the backend was created; nullopt except on icstable-sim.
  virtual std::optional<StableCost> stable_cost() = 0;
};

struct BackendOptions {
  // Directory for the `unix` backend's temporary database file. Empty: the system temporary directory.
  std::filesystem::path temp_dir;
  // The layout the icstable backends format their fresh memory with (null: DefaultLayout(), layout 6).
  // Ignored by memdb and unix. Not owned; a registry entry lives as long as it is registered.
  const LayoutInfo* layout = nullptr;
};

// Creates an empty database on `kind`. Errors: kSqlite (the baselines cannot open), or whatever Db::Init
// returns.
Result<std::unique_ptr<BenchBackend>> OpenBackend(BackendKind kind, const BackendOptions& options);

}  // namespace stablevfs::bench
