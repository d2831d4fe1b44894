// VfsEngine: the system under test of a sqllogictest run, the icstable VFS inside a simulated canister.
//
// The memory stack is a canister's (sim::Canister: heap memory, SimStableMemory, MemoryManager, VirtualMemory,
// Db), so an armed trap rolls the message back and an armed crash freezes stable memory, exactly as the IC
// would, and the database is reopened from stable memory afterwards. Each sqllogictest record is one message:
// a statement is one update message (Db::Update running Connection::ExecuteScript, which uses sqlite3_exec as
// the reference runner does), a query is one query message (Db::Query running Connection::Query). Cost
// accounting is off: the corpus's large joins are not canister workloads, and a limit trap would be noise.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/model/canonical_dump.h"
#include "harness/sim/canister.h"
#include "lib/db/value.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::slt {

class VfsEngine {
 public:
  // Installs a canister with an empty database. `seed` feeds the simulated memory's seeded fault decisions.
  // Throws std::runtime_error when the database cannot be created (nothing is armed yet, so it always can).
  // `layout`: the registered layout of the database (null: the default).
  explicit VfsEngine(uint64_t seed, const LayoutInfo* layout = nullptr);

  // Runs `sql` as one update message.
  sim::MessageResult Execute(std::string_view sql);
  // Runs the single query `sql` as one query message; its rows go to `*rows` when it is committed.
  sim::MessageResult Query(std::string_view sql, Rows* rows);

  // Whether the database is open (after a trap or a crash it is reopened from stable memory; if that failed,
  // there is no database and every message fails).
  bool usable() { return canister_.db() != nullptr; }
  // Why the last reopen failed. REQUIRES: !usable().
  const Status& init_status() const { return canister_.init_status(); }

  // The TEMP schema of the update connection ("type name" per entry, sorted): connection-local heap state,
  // which the VFS loses whenever the Db reopens its update connection (after a trap, a crash, or a failed
  // publish). Read in one update message that changes nothing, with every failpoint vetoed (fp::SetHook) so
  // the probe neither faults nor counts as a fault. Throws std::runtime_error when the message fails.
  // REQUIRES: usable().
  std::vector<std::string> TempSchema();

  // The committed content of the database, read from its exported image by stock SQLite (so it shows exactly
  // what stable memory holds, not what a connection's cache remembers). Throws std::runtime_error on failure.
  // REQUIRES: usable().
  model::CanonicalDump Dump();

  sim::Canister& canister() { return canister_; }

 private:
  sim::Canister canister_;
};

}  // namespace stablevfs::slt
