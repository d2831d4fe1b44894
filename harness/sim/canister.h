// Canister: the library running as a canister would, with IC message semantics, on simulated stable memory.
//
// The memory stack is the one a real canister has:
//
//   HeapStableMemory (raw)  ->  SimStableMemory (rollback, crashes, faults, cost)  ->  MemoryManager
//     ->  VirtualMemory(memory_id, default 120)  ->  Db
//
// (or, with use_memory_manager = false, Db directly on the SimStableMemory, where a refused grow reaches the
// library as -1 instead of a MemoryManager trap).
//
// Each call is one message. Its outcome is classified as the judgement table needs it:
//   committed  the closure returned OK; an update's changes persist
//   error      the closure returned an error Status (or threw an ordinary exception, which the library must
//              have cleaned up after); nothing is rolled back by the IC
//   trapped    a Trap or a failpoint `trap` ended the message; the IC discards its stable-memory changes
//   crashed    the power failed (a failpoint `crash`/`torn`); what was written before persists
// After a trap or a crash all heap state (the MemoryManager and the Db) is rebuilt from stable memory, as a
// canister's would be; that is also exactly what an upgrade does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "failpoints/failpoint.h"
#include "harness/faults/vocabulary.h"
#include "harness/sim/sim_stable_memory.h"
#include "lib/core/status.h"
#include "lib/db/db.h"
#include "lib/memory/heap_stable_memory.h"
#include "lib/memory/memory_manager.h"

namespace stablevfs::sim {

// How a message ended: the one vocabulary of harness/faults (permanent names; scenario files use them).
using faults::kOutcomeCount;
using faults::Outcome;
using faults::OutcomeName;
using faults::ParseOutcome;

struct MessageResult {
  Outcome outcome = Outcome::kCommitted;
  Status status;       // the error for kError (OK otherwise)
  std::string detail;  // what trapped or crashed, or the exception text; empty when committed
  // The failpoint whose trap/crash/torn ended the message, when one did.
  std::string abort_site;
};

struct CanisterOptions {
  uint64_t seed = 0;                  // feeds the decorator's seeded fault decisions
  uint8_t memory_id = 120;            // the ecosystem's convention for the SQLite memory
  bool use_memory_manager = true;
  bool cost_accounting = true;
  std::optional<uint64_t> max_pages;  // capacity limit of the whole stable memory, in 64 KiB pages
  FileObserver* observer = nullptr;   // handed to every Db the canister opens (not owned)
  AutoVacuum auto_vacuum = AutoVacuum::kNone;  // kFull makes big deletes shrink the file (exercises truncate)
  const LayoutInfo* layout = nullptr; // the layout of a fresh memory and of every reopen (null: the default)
};

class Canister {
 public:
  // Installs the canister: an empty stable memory, then init (MemoryManager and Db), as one upgrade-kind
  // message. If init fails the canister exists without a database (db() == nullptr; see init_status()).
  explicit Canister(CanisterOptions options);
  // Boots a canister from an existing stable memory image (e.g. a snapshot), as post_upgrade would.
  Canister(CanisterOptions options, const MemorySnapshot& image);
  ~Canister();
  Canister(const Canister&) = delete;
  Canister& operator=(const Canister&) = delete;

  // Runs `fn` as one update message. `fn` is not called (kError) when there is no database.
  MessageResult Update(const std::function<Status(Db&)>& fn);
  // Runs `fn` as one query message: whatever it does to stable memory is discarded (and the heap is rebuilt
  // when it wrote any, since the IC discards the query's heap changes too).
  MessageResult Query(const std::function<Status(Db&)>& fn);
  // An upgrade: drops all heap state and runs post_upgrade (MemoryManager load, Db::Init) as one upgrade
  // message; a failing post_upgrade traps and keeps the old state.
  MessageResult Upgrade();

  // The live database, or nullptr when the last (re)build could not open it.
  Db* db() { return db_.get(); }
  // Why the last (re)build could not open the database (OK when it could).
  const Status& init_status() const { return init_status_; }

  SimStableMemory& memory() { return *sim_; }
  HeapStableMemory& raw() { return raw_; }
  // The memory the Db lives in (the VirtualMemory, or the decorator itself without a MemoryManager).
  StableMemory* db_memory() { return db_memory_; }
  const CanisterOptions& options() const { return options_; }

  // The capacity limit of the whole stable memory (nullopt: the IC maximum).
  void SetCapacityPages(std::optional<uint64_t> max_pages);
  // The instruction limit of update messages.
  void SetInstructionBudget(uint64_t instructions);

  // Drops all heap state and rebuilds it from stable memory, outside any message (after a trap, a crash, or
  // a Restore of the memory by the harness).
  void RebuildHeap();

 private:
  MessageResult RunMessage(MessageKind kind, const std::function<Status()>& body);
  Status OpenHeap();  // MemoryManager + VirtualMemory + Db from the memory as it is
  void DropHeap();

  CanisterOptions options_;
  HeapStableMemory raw_;
  std::unique_ptr<SimStableMemory> sim_;
  std::unique_ptr<MemoryManager> manager_;
  StableMemory* db_memory_ = nullptr;
  std::unique_ptr<Db> db_;
  Status init_status_;
};

}  // namespace stablevfs::sim
