// Session: one simulated canister and its reference models, driven one operation at a time.
//
//   Session session({.seed = 42});
//   StepRecord r = session.Run(ParseOp("update CREATE TABLE t(a)").value());
//   // r.outcome == kCommitted, r.violations empty
//
// A Session owns a Canister (HeapStableMemory -> SimStableMemory -> MemoryManager -> VirtualMemory(120) -> Db)
// whose FileObserver is the page model, a data model (stock SQLite in memory), and a Judge. Run(op) sends the
// op to the canister as one message (export-import and the other import ops send several, each judged),
// classifies the outcome, brings the models along and checks the judgement table after every message
// (judge.h). What each kind does (docs/scenario-format.md is the user's description):
//
//   update       one Db::Update running each statement with Connection::Execute, in order; a failing '?'
//                statement is tolerated (SQLite makes a failed statement atomic) and the update goes on; any
//                other failure ends the update with that error. The data model replays what the system
//                committed and must agree (model_work.h).
//   query        one Db::Query with Connection::Query; the data model runs it with query_only on; the results
//                must be equal (the same primary SQLite code, or the same columns and rows).
//   kv-put/-delete  an update on kv(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID, created IF NOT EXISTS in
//                the same update; kv-get is a query message.
//   migrate      Db::Migrate; the model applies the migrations above schema_version that are not yet
//                recorded, in one transaction, and keeps the library's record table _stablevfs_migrations as
//                db.h documents it (so queries on sqlite_schema agree; the data comparison leaves the table
//                out); duplicate or non-positive versions must be refused; schema_version is tracked and
//                compared with the superblock after every message.
//   integrity-check  must report "ok". checksum / checksum-chunk N: the stored checksum must equal FNV-1a 64 of
//                the page model's bytes once a refresh completes (checksum-chunk 0 must be refused).
//   export-import  safe export (a checksum refresh, then one query message that reads the meta and every
//                chunk and confirms last_tx_id did not move), the bytes must equal the page model; then
//                BeginImport, ImportChunk pieces and FinishImport, each its own update message: the image is
//                unchanged, schema_version is 0.
//   import-bad-checksum  the same with a wrong checksum: FinishImport must fail with kImport, the old image
//                stays and the import is over. import-cancel: begin, one chunk, cancel: the old image stays.
//   compact      the logical image is unchanged. upgrade: Canister::Upgrade.
//   arm <spec>   arms failpoints (fp::Arm) for the next op's messages only; they are disarmed after it.
//   capacity / budget  Canister settings for the messages after them.
//
// An op that leaves an import in progress (it trapped or crashed half-way) is followed by a CancelImport
// message, unarmed and judged like any other, so that later ops find a usable database.
//
// Failpoints are per thread (failpoints/registry.h): a Session clears the thread's registry, seeds it, and arms
// SessionOptions::faults for its whole life (negative controls); at most one Session per thread at a time.
// Everything is deterministic in the seed: two Sessions with equal options fed equal ops produce equal
// StepRecords.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "failpoints/spec.h"
#include "harness/model/data_model.h"
#include "harness/model/page_model.h"
#include "harness/ops/judge.h"
#include "harness/ops/model_work.h"
#include "harness/ops/op.h"
#include "harness/sim/canister.h"
#include "harness/sim/write_journal.h"

namespace stablevfs::ops {

// What one op did: the record a run keeps, prints and compares.
struct StepRecord {
  size_t index = 0;                // position of the op in the session (0-based)
  std::string op;                  // the op's line (PrintOp)
  std::optional<Outcome> outcome;  // none for arm, capacity and budget (they are not messages)
  uint32_t messages = 0;           // messages sent (several for export-import and the import ops)
  std::string detail;              // the error, trap or crash, or a short note on what happened
  std::vector<std::string> fired;  // failpoints that fired during the op: "site:action" (" xN" when N > 1)
  std::vector<std::string> faults; // storage faults the op left in memory (sim InjectedFault text)
  std::vector<Violation> violations;

  bool ok() const { return violations.empty(); }
  // One line ("#3 update ... -> committed"), then one indented line per fired failpoint, fault and violation.
  std::string ToString() const;
  bool operator==(const StepRecord&) const = default;
};

// A storage fault of the last op with the memory.write evaluation that caused it, counted from the start of
// the op (1 = the op's first stable write): arming memory.write with nth(hit_ordinal) before the op injects it
// again at the same write (the driver uses this to turn a probabilistic fault into an exact one).
struct LocatedFault {
  sim::InjectedFault fault;
  uint64_t hit_ordinal = 0;
};

struct SessionOptions {
  uint64_t seed = 0;                // derives the simulator's seed and the failpoint PRNG seed
  std::string layout = "";          // the registered layout of the fresh memory ("" = the registry's default)
  std::string faults = "";          // a failpoint spec armed for the whole session ("" for none)
  bool use_memory_manager = true;
  uint8_t memory_id = 120;
  bool cost_accounting = true;
  uint64_t export_chunk_bytes = 256 * 1024;  // piece size of ExportChunk and ImportChunk
};

// SplitMix64's output function (Steele, Lea and Flood): the mixing step every derived seed goes through.
uint64_t MixSeed(uint64_t value);

class SessionCheckpoint;  // session_checkpoint.h

class Session {
 public:
  // Installs a fresh canister on options.layout. Clears this thread's failpoint registry, seeds its PRNG and
  // arms options.faults (rejected specs and unknown layouts throw std::invalid_argument).
  explicit Session(SessionOptions options = {});
  // Clears this thread's failpoint registry.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs `op` (see the header comment) and judges every message it sent. Never throws for a finding; a
  // harness failure is reported as a violation of property "harness".
  StepRecord Run(const Op& op);

  // Whether the last op's effect became part of the state: its (last) message committed, or it crashed and the
  // new state survived. True for arm, capacity and budget. (For OpGenerator::Observe.)
  bool last_op_applied() const { return last_op_applied_; }
  // Storage faults of the last op that ran, located (see LocatedFault).
  const std::vector<LocatedFault>& last_faults() const { return last_faults_; }
  // The armed-for-the-next-op specs, in the order given ("" when none is pending).
  const std::vector<std::string>& pending_arms() const { return pending_arm_texts_; }

  sim::Canister& canister() { return *canister_; }
  model::PageModel& page_model() { return page_model_; }
  model::DataModel& data_model() { return data_model_; }
  const Judge& judge() const { return judge_; }
  const SessionOptions& options() const { return options_; }
  // The layout the session formats and reopens its memory with.
  const LayoutInfo& layout() const { return *layout_; }
  // What the session expects the superblock's schema_version to be.
  uint64_t schema_version() const { return schema_version_; }
  // Messages sent so far (not counting the install).
  uint64_t messages() const { return messages_; }

 private:
  struct OpContext;
  struct MessageRun;

  // Arm / capacity / budget.
  void Arm(const ArmOp& op, StepRecord* record);
  void Capacity(const CapacityOp& op, StepRecord* record);
  void Budget(const BudgetOp& op, StepRecord* record);
  // Disarms what the last arm ops armed and re-arms the session-wide faults they shadowed.
  void DisarmPending();

  // Sends one message and settles the page model. `new_state_possible` decides which crashes may leave the
  // new state (see Judge::SettlePageModel): by default, a crash during the publish.
  MessageRun Send(OpContext& ctx, sim::MessageKind kind, const std::function<Status(Db&)>& body);
  // The rest of the judgement after the interpreter brought the data model along.
  void Finish(OpContext& ctx, MessageRun& run, uint64_t max_tx_advance,
              const sim::MemorySnapshot* error_baseline = nullptr);

  // The ops.
  void RunWork(OpContext& ctx, const std::vector<WorkStatement>& statements);
  void RunQuery(OpContext& ctx, const std::string& sql, const std::vector<Value>& params);
  void RunMigrate(OpContext& ctx, const MigrateOp& op);
  void RunIntegrity(OpContext& ctx);
  void RunChecksum(OpContext& ctx, std::optional<uint64_t> chunk_bytes);
  void RunCompact(OpContext& ctx);
  void RunUpgrade(OpContext& ctx);
  enum class ImportKind { kRoundTrip, kBadChecksum, kCancel };
  void RunImport(OpContext& ctx, ImportKind kind);
  // Safe export: refresh the checksum, then read every chunk in one query message. Returns the bytes, or
  // nullopt when a message did not commit or a judgement failed.
  std::optional<std::vector<uint8_t>> SafeExport(OpContext& ctx);
  // After an op: cancels an import the op left in progress (one judged message).
  void CancelDanglingImport(OpContext& ctx);
  // The checksum the superblock stores must equal FNV-1a of the page model's bytes.
  void CheckChecksum(OpContext& ctx, uint64_t stored, const char* what);

  SessionOptions options_;
  const LayoutInfo* layout_;  // resolved from options_.layout; registry entries outlive the session
  fp::Spec faults_;  // options_.faults, parsed
  model::PageModel page_model_;
  model::DataModel data_model_;
  Judge judge_;
  Fnv1a64Memo checksum_memo_;  // FNV-1a of the files the session checks (see Fnv1a64Memo)
  std::unique_ptr<sim::Canister> canister_;
  uint64_t default_instruction_limit_ = 0;

  std::vector<std::string> pending_arm_texts_;
  std::set<std::string> pending_arm_names_;
  std::vector<LocatedFault> last_faults_;
  bool last_op_applied_ = true;

  uint64_t schema_version_ = 0;
  std::set<uint64_t> recorded_versions_;  // migrations recorded in the image's _stablevfs_migrations
  size_t steps_ = 0;
  uint64_t messages_ = 0;

 public:
  // Checkpoint and restart (session_checkpoint.h; defined in session_checkpoint.cpp). Checkpoint captures
  // everything Run() depends on between ops; Restore makes this Session (or another one built with equal
  // options, e.g. on another thread) continue from it. REQUIRES: between Runs.
  SessionCheckpoint Checkpoint();
  void Restore(const SessionCheckpoint& checkpoint);
};

}  // namespace stablevfs::ops
