#include "harness/ops/interpreter.h"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>

#include "failpoints/registry.h"
#include "harness/faults/layout_sites.h"
#include "harness/ops/catalogue_setup.h"
#include "harness/ops/op_text.h"
#include "harness/sim/sim_failpoints.h"

namespace stablevfs::ops {
namespace {

constexpr const char* kKvCreate =
    "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID";
constexpr const char* kKvPut =
    "INSERT INTO kv(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
constexpr const char* kKvDelete = "DELETE FROM kv WHERE key = ?1";
constexpr const char* kKvGet = "SELECT value FROM kv WHERE key = ?1";
constexpr const char* kMigrationsCreate =
    "CREATE TABLE IF NOT EXISTS _stablevfs_migrations(version INTEGER PRIMARY KEY, sql TEXT NOT NULL)";

// `text` as an SQL string literal.
std::string SqlQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::vector<std::string> FiredBetween(const fp::HitSnapshot& before, const fp::HitSnapshot& after) {
  std::vector<std::string> out;
  for (const auto& [key, count] : after.fired) {
    const uint64_t was = before.FiredOf(key.first, key.second);
    if (count <= was) continue;
    std::string line = key.first + ":" + std::string(fp::ActionName(key.second));
    if (count - was > 1) line += " x" + std::to_string(count - was);
    out.push_back(std::move(line));
  }
  return out;
}

void Add(StepRecord* record, std::string_view property, std::string message) {
  record->violations.push_back(Violation{std::string(property), std::move(message)});
}

Value BlobValue(std::vector<uint8_t> bytes) { return Value{Blob{std::move(bytes)}}; }

}  // namespace

uint64_t MixSeed(uint64_t value) {
  uint64_t z = value + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string StepRecord::ToString() const {
  std::string out = "#" + std::to_string(index) + " " + op;
  if (outcome) out += " -> " + std::string(OutcomeName(*outcome));
  if (messages > 1) out += " (" + std::to_string(messages) + " messages)";
  if (!detail.empty()) out += ": " + detail;
  out += "\n";
  for (const std::string& f : fired) out += "    fired " + f + "\n";
  for (const std::string& f : faults) out += "    fault " + f + "\n";
  for (const Violation& v : violations) out += "    VIOLATION " + v.property + ": " + v.message + "\n";
  return out;
}

// What one op is doing while it runs.
struct Session::OpContext {
  StepRecord* record = nullptr;
  uint64_t write_hits_start = 0;  // fp::Hits("memory.write") when the op began
  bool cleanup = false;           // the messages are the session's own cleanup, not the op's
};

// One message: its result and the states around it.
struct Session::MessageRun {
  sim::MessageResult result;
  Outcome outcome = Outcome::kCommitted;
  bool failpoint_fired = false;
  CrashResolution resolution = CrashResolution::kNone;
  sim::MemorySnapshot before;
  sim::MemorySnapshot after;
  std::unique_ptr<DecodedState> before_state;
  std::unique_ptr<DecodedState> after_state;

  // SQLite wrote to the database file during the message (the page model had pending events). An update
  // that wrote nothing changed nothing, so it must not advance last_tx_id (REFERENCE 3.2).
  bool sqlite_wrote = false;

  // The message's effect is part of the state: it committed, or it crashed and the new state survived.
  bool applied() const { return outcome == Outcome::kCommitted || resolution == CrashResolution::kNew; }
};

const LayoutInfo& ResolveLayout(const std::string& name) {
  if (name.empty()) return DefaultLayout();
  const LayoutInfo* info = LayoutRegistry::Global().Find(name);
  if (info == nullptr) {
    throw std::invalid_argument("no layout named '" + name + "' (registered: " + LayoutRegistry::Global().Names() +
                                ")");
  }
  return *info;
}

Session::Session(SessionOptions options) : options_(std::move(options)), layout_(&ResolveLayout(options_.layout)) {
  const fp::Catalogue& catalogue = RegisterCatalogue();
  fp::ClearAll();
  fp::SetSeed(MixSeed(options_.seed ^ 0x2));
  JudgeOptions judge_options;
  judge_options.use_memory_manager = options_.use_memory_manager;
  judge_options.memory_id = options_.memory_id;
  judge_options.layout = layout_->name;
  judge_ = Judge(judge_options);

  sim::CanisterOptions canister_options;
  canister_options.seed = MixSeed(options_.seed ^ 0x1);
  canister_options.memory_id = options_.memory_id;
  canister_options.use_memory_manager = options_.use_memory_manager;
  canister_options.cost_accounting = options_.cost_accounting;
  canister_options.observer = &page_model_;
  canister_options.layout = layout_;
  canister_ = std::make_unique<sim::Canister>(canister_options);
  if (!canister_->init_status().ok()) {
    throw std::runtime_error("Session: the canister did not install: " + canister_->init_status().ToString());
  }
  page_model_.Commit();  // the install is a committed message (it writes no database page today)
  canister_->memory().ClearFaultRecord();
  default_instruction_limit_ = canister_->memory().limits(sim::MessageKind::kUpdate).instructions_max;

  if (!options_.faults.empty()) {
    const fp::SpecStatus parsed = fp::ParseSpec(options_.faults, &faults_, &catalogue);
    if (!parsed.ok()) throw std::invalid_argument("Session faults: " + parsed.message());
    const fp::SpecStatus armed = fp::Arm(faults_);
    if (!armed.ok()) throw std::invalid_argument("Session faults: " + armed.message());
  }
}

Session::~Session() {
  canister_.reset();
  fp::ClearAll();
}

// ---- arm, capacity, budget ----

void Session::Arm(const ArmOp& op, StepRecord* record) {
  fp::Spec spec;
  const fp::SpecStatus parsed = fp::ParseSpec(op.spec, &spec, &RegisterCatalogue());
  if (!parsed.ok()) {
    Add(record, property::kHarness, "arm spec rejected: " + parsed.message());
    return;
  }
  const fp::SpecStatus armed = fp::Arm(spec);
  if (!armed.ok()) {
    Add(record, property::kHarness, "arm rejected: " + armed.message());
    return;
  }
  for (const fp::SpecEntry& entry : spec.entries) pending_arm_names_.insert(entry.name);
  pending_arm_texts_.push_back(op.spec);
  record->detail = "armed for the next message";
}

void Session::DisarmPending() {
  for (const std::string& name : pending_arm_names_) {
    fp::Disarm(name);
    // A session-wide fault the arm op shadowed comes back (its chain restarts).
    for (const fp::SpecEntry& entry : faults_.entries) {
      if (entry.name == name) fp::Arm(entry.name, entry.chain).IgnoreError();  // accepted at construction
    }
  }
  pending_arm_names_.clear();
  pending_arm_texts_.clear();
}

void Session::Capacity(const CapacityOp& op, StepRecord* record) {
  std::optional<uint64_t> pages;
  switch (op.mode) {
    case CapacityOp::Mode::kDefault: break;
    case CapacityOp::Mode::kAbsolute: pages = op.pages; break;
    case CapacityOp::Mode::kAboveCurrent: pages = canister_->memory().size_pages() + op.pages; break;
  }
  canister_->SetCapacityPages(pages);
  record->detail = pages ? "at most " + std::to_string(*pages) + " pages" : "no limit";
}

void Session::Budget(const BudgetOp& op, StepRecord* record) {
  const uint64_t instructions = op.is_default ? default_instruction_limit_ : op.instructions;
  canister_->SetInstructionBudget(instructions);
  record->detail = std::to_string(instructions) + " instructions per update";
}

// ---- one message ----

Session::MessageRun Session::Send(OpContext& ctx, sim::MessageKind kind, const std::function<Status(Db&)>& body) {
  sim::SimStableMemory& memory = canister_->memory();
  MessageRun run;
  run.before = memory.Snapshot();
  const fp::HitSnapshot fp_before = fp::Snapshot();
  const uint64_t write_hits_offset = fp_before.HitsOf(sim::kMemoryWriteSite) - ctx.write_hits_start;
  switch (kind) {
    case sim::MessageKind::kUpdate: run.result = canister_->Update(body); break;
    case sim::MessageKind::kQuery: run.result = canister_->Query(body); break;
    case sim::MessageKind::kUpgrade: run.result = canister_->Upgrade(); break;
  }
  ++messages_;
  ++ctx.record->messages;
  run.after = memory.Snapshot();
  run.failpoint_fired = fp::Snapshot().fired != fp_before.fired;
  run.outcome = run.result.outcome;
  for (const sim::InjectedFault& fault : memory.InjectedFaults()) {
    ctx.record->faults.push_back(sim::ToString(fault));
    last_faults_.push_back(LocatedFault{fault, write_hits_offset + fault.write_index + 1});
  }
  memory.ClearFaultRecord();
  if (!ctx.cleanup) {
    ctx.record->outcome = run.outcome;
    if (run.outcome != Outcome::kCommitted) ctx.record->detail = run.result.detail;
  } else if (run.outcome != Outcome::kCommitted) {
    ctx.record->detail += (ctx.record->detail.empty() ? "" : "; ") + std::string("cleanup: ") + run.result.detail;
  }

  run.before_state = judge_.Decode(run.before, /*full=*/false);
  run.after_state = judge_.Decode(run.after, /*full=*/true);
  const bool new_state_possible =
      run.outcome == Outcome::kCrashed && faults::CrashMayLeaveNewState(run.result.abort_site, *layout_);
  run.sqlite_wrote = page_model_.has_pending();
  run.resolution = judge_.SettlePageModel(run.outcome, kind == sim::MessageKind::kQuery, new_state_possible,
                                          *run.after_state, page_model_, &ctx.record->violations);
  if (!ctx.cleanup) last_op_applied_ = run.applied();
  return run;
}

void Session::Finish(OpContext& ctx, MessageRun& run, uint64_t max_tx_advance,
                     const sim::MemorySnapshot* error_baseline) {
  std::vector<Violation>* out = &ctx.record->violations;
  const DecodedState& after = *run.after_state;
  judge_.CheckFsck(after, out);
  judge_.CheckTxId(*run.before_state, after, max_tx_advance, out);
  if (run.outcome == Outcome::kError) {
    if (error_baseline != nullptr) {
      judge_.CheckActiveStateKept(*judge_.Decode(*error_baseline, /*full=*/false), after, out);
    } else {
      judge_.CheckActiveStateKept(*run.before_state, after, out);
    }
  }
  if (run.outcome == Outcome::kTrapped) judge_.CheckTrapRollback(canister_->memory(), run.before, out);
  if (after.superblock && after.superblock->schema_version != schema_version_) {
    Add(ctx.record, property::kMigrate,
        "the superblock's schema_version is " + std::to_string(after.superblock->schema_version) +
            ", expected " + std::to_string(schema_version_));
    schema_version_ = after.superblock->schema_version;  // report once, then follow the system
  }
  judge_.CheckData(after, data_model_, out);
  judge_.CheckLive(*canister_, run.after, after, /*probe=*/run.outcome == Outcome::kError, out);
}

// ---- the ops ----

StepRecord Session::Run(const Op& op) {
  StepRecord record;
  record.index = steps_++;
  record.op = PrintOp(op);
  last_faults_.clear();
  last_op_applied_ = true;
  const OpKind kind = KindOf(op);
  try {
    switch (kind) {
      case OpKind::kArm: Arm(std::get<ArmOp>(op), &record); return record;
      case OpKind::kCapacity: Capacity(std::get<CapacityOp>(op), &record); return record;
      case OpKind::kBudget: Budget(std::get<BudgetOp>(op), &record); return record;
      default: break;
    }
    OpContext ctx;
    ctx.record = &record;
    ctx.write_hits_start = fp::Hits(sim::kMemoryWriteSite);
    const fp::HitSnapshot fp_before = fp::Snapshot();
    switch (kind) {
      case OpKind::kUpdate: {
        std::vector<WorkStatement> statements;
        for (const Statement& s : std::get<UpdateOp>(op).statements) statements.push_back({s.sql, {}, s.may_fail});
        RunWork(ctx, statements);
        break;
      }
      case OpKind::kQuery: RunQuery(ctx, std::get<QueryOp>(op).sql, {}); break;
      case OpKind::kKvPut: {
        const KvPutOp& put = std::get<KvPutOp>(op);
        RunWork(ctx, {WorkStatement{kKvCreate, {}, false},
                      WorkStatement{kKvPut, {Value{put.key}, BlobValue(put.value.Bytes())}, false}});
        break;
      }
      case OpKind::kKvGet: RunQuery(ctx, kKvGet, {Value{std::get<KvGetOp>(op).key}}); break;
      case OpKind::kKvDelete:
        RunWork(ctx, {WorkStatement{kKvCreate, {}, false},
                      WorkStatement{kKvDelete, {Value{std::get<KvDeleteOp>(op).key}}, false}});
        break;
      case OpKind::kMigrate: RunMigrate(ctx, std::get<MigrateOp>(op)); break;
      case OpKind::kIntegrityCheck: RunIntegrity(ctx); break;
      case OpKind::kChecksum: RunChecksum(ctx, std::nullopt); break;
      case OpKind::kChecksumChunk: RunChecksum(ctx, std::get<ChecksumChunkOp>(op).max_bytes); break;
      case OpKind::kExportImport: RunImport(ctx, ImportKind::kRoundTrip); break;
      case OpKind::kImportBadChecksum: RunImport(ctx, ImportKind::kBadChecksum); break;
      case OpKind::kImportCancel: RunImport(ctx, ImportKind::kCancel); break;
      case OpKind::kCompact: RunCompact(ctx); break;
      case OpKind::kUpgrade: RunUpgrade(ctx); break;
      default: break;
    }
    record.fired = FiredBetween(fp_before, fp::Snapshot());
    DisarmPending();
    if (kind == OpKind::kExportImport || kind == OpKind::kImportBadChecksum || kind == OpKind::kImportCancel) {
      CancelDanglingImport(ctx);
    }
  } catch (const std::exception& e) {
    DisarmPending();
    page_model_.Discard();  // whatever the interrupted message left pending must not leak into the next one
    Add(&record, property::kHarness, std::string("the harness failed: ") + e.what());
  }
  return record;
}

void Session::RunWork(OpContext& ctx, const std::vector<WorkStatement>& statements) {
  std::vector<StatementOutcome> outcomes(statements.size());
  std::optional<size_t> failed;
  MessageRun run = Send(ctx, sim::MessageKind::kUpdate, [&](Db& db) {
    return db.Update([&](Connection& c) -> Status {
      for (size_t i = 0; i < statements.size(); ++i) {
        outcomes[i].ran = true;
        outcomes[i].status = c.Execute(statements[i].sql, statements[i].params);
        if (!outcomes[i].status.ok() && !statements[i].may_fail) {
          failed = i;
          return outcomes[i].status;
        }
      }
      return Status::Ok();
    });
  });
  if (run.applied()) {
    if (failed) {
      Add(ctx.record, property::kModelAgreement,
          "statement " + std::to_string(*failed + 1) + " failed (" + outcomes[*failed].status.ToString() +
              "), yet the update's changes persisted");
    } else {
      const ModelVerdict verdict =
          ReplayCommitted(data_model_.handle(), statements, outcomes, run.failpoint_fired);
      if (!verdict.agreed) Add(ctx.record, property::kModelAgreement, verdict.disagreement);
    }
  } else if (run.outcome == Outcome::kError && failed && !run.failpoint_fired &&
             outcomes[*failed].status.code() == ErrorCode::kSqlite) {
    const ModelVerdict verdict = CheckRefused(data_model_.handle(), statements, outcomes, *failed);
    if (!verdict.agreed) Add(ctx.record, property::kModelAgreement, verdict.disagreement);
  }
  Finish(ctx, run, run.sqlite_wrote ? 1 : 0);  // a no-op update publishes nothing
}

void Session::RunQuery(OpContext& ctx, const std::string& sql, const std::vector<Value>& params) {
  std::optional<Result<Rows>> sut;
  MessageRun run = Send(ctx, sim::MessageKind::kQuery, [&](Db& db) {
    return db.Query([&](Connection& c) -> Status {
      sut.emplace(c.Query(sql, params));
      return sut->status();
    });
  });
  if (run.outcome == Outcome::kCommitted || run.outcome == Outcome::kError) {
    const model::QueryResult expected = ModelQuery(data_model_.handle(), sql, ToSqlValues(params));
    std::string difference;
    if (!sut) {
      if (!run.failpoint_fired) difference = "the query did not run: " + run.result.status.ToString();
    } else if (sut->ok()) {
      if (!expected.ok()) {
        difference = "the system returned " + std::to_string((*sut)->rows.size()) + " rows, the model failed (" +
                     expected.error + ")";
      } else if ((*sut)->columns != expected.columns) {
        difference = "the columns differ";
      } else {
        std::vector<std::vector<model::SqlValue>> rows;
        for (const Row& row : (*sut)->rows) rows.push_back(ToSqlRow(row));
        if (rows.size() != expected.rows.size()) {
          difference = std::to_string(rows.size()) + " rows, the model has " + std::to_string(expected.rows.size());
        } else {
          for (size_t i = 0; i < rows.size() && difference.empty(); ++i) {
            if (rows[i] != expected.rows[i]) {
              difference = "row " + std::to_string(i + 1) + ": " + model::ToDisplayString(rows[i]) +
                           ", the model has " + model::ToDisplayString(expected.rows[i]);
            }
          }
        }
        if (difference.empty()) ctx.record->detail = std::to_string(rows.size()) + " rows";
      }
    } else if (!run.failpoint_fired) {
      const int code = PrimarySqliteCode(sut->status());
      if (expected.ok()) {
        difference = "the system failed (" + sut->status().ToString() + "), the model returned " +
                     std::to_string(expected.rows.size()) + " rows";
      } else if (code != expected.rc) {
        difference = "the system failed with " + sut->status().ToString() + ", the model with SQLite code " +
                     std::to_string(expected.rc) + " (" + expected.error + ")";
      }
    }
    if (!difference.empty()) Add(ctx.record, property::kQueryResult, difference);
  }
  Finish(ctx, run, 0);
}

void Session::RunMigrate(OpContext& ctx, const MigrateOp& op) {
  std::vector<Migration> migrations;
  std::vector<uint64_t> versions;
  for (const MigrationSpec& m : op.migrations) {
    migrations.push_back(Migration{static_cast<int64_t>(m.version), m.sql});
    versions.push_back(m.version);
  }
  std::sort(versions.begin(), versions.end());
  const bool invalid = std::adjacent_find(versions.begin(), versions.end()) != versions.end() ||
                       (!versions.empty() && (versions.front() == 0 || versions.back() > INT64_MAX));
  // What the library will do (REFERENCE 3.3): apply, in ascending order, the versions above schema_version
  // that are not recorded yet; schema_version becomes the highest version given.
  std::vector<MigrationSpec> pending;
  if (!invalid) {
    std::vector<MigrationSpec> sorted = op.migrations;
    std::sort(sorted.begin(), sorted.end(),
              [](const MigrationSpec& a, const MigrationSpec& b) { return a.version < b.version; });
    for (const MigrationSpec& m : sorted) {
      if (m.version > schema_version_ && recorded_versions_.count(m.version) == 0) pending.push_back(m);
    }
  }
  const uint64_t old_schema = schema_version_;
  const uint64_t new_schema = !invalid && !versions.empty() ? std::max(old_schema, versions.back()) : old_schema;
  // The model keeps the library's record table too (db.h documents it: `_stablevfs_migrations(version, sql)`),
  // so that queries on sqlite_schema agree; the data comparison still leaves it out (its DDL text is the
  // library's business). The library opens its transaction, and creates the table, whenever the highest
  // version is above schema_version.
  std::vector<std::string> scripts;
  if (new_schema > old_schema) {
    scripts.push_back(kMigrationsCreate);
    for (const MigrationSpec& m : pending) {
      scripts.push_back(m.sql);
      scripts.push_back("INSERT INTO _stablevfs_migrations(version, sql) VALUES(" + std::to_string(m.version) +
                        ", " + SqlQuote(m.sql) + ")");
    }
  }

  MessageRun run = Send(ctx, sim::MessageKind::kUpdate, [&](Db& db) { return db.Migrate(migrations); });
  if (invalid) {
    if (run.outcome == Outcome::kCommitted) {
      Add(ctx.record, property::kMigrate, "duplicate or non-positive migration versions were accepted");
    } else if (run.outcome == Outcome::kError && !run.failpoint_fired &&
               run.result.status.code() != ErrorCode::kInvalidArgument) {
      Add(ctx.record, property::kMigrate,
          "duplicate versions must be refused as invalid_argument, got " + run.result.status.ToString());
    }
  } else if (run.applied() && !scripts.empty()) {
    const ModelVerdict verdict = RunScripts(data_model_.handle(), scripts, /*commit=*/true);
    if (!verdict.agreed) {
      Add(ctx.record, property::kModelAgreement,
          "the system applied the migrations but in the model " + verdict.disagreement);
    }
    for (const MigrationSpec& m : pending) recorded_versions_.insert(m.version);
  } else if (run.outcome == Outcome::kError && !run.failpoint_fired && !pending.empty()) {
    const ModelVerdict verdict = RunScripts(data_model_.handle(), scripts, /*commit=*/false);
    if (verdict.agreed) {
      Add(ctx.record, property::kModelAgreement,
          "the migrations failed in the system (" + run.result.status.ToString() + ") but succeed in the model");
    }
  }
  if (run.outcome == Outcome::kCommitted && !invalid) {
    schema_version_ = new_schema;
  } else if (run.outcome == Outcome::kCrashed && run.after_state->superblock) {
    // The publish and the schema_version store are two writes: a crash between them keeps the migrated data
    // with the old schema_version (the library then skips the recorded versions next time).
    const uint64_t stored = run.after_state->superblock->schema_version;
    if (stored == old_schema || stored == new_schema) {
      schema_version_ = stored;
    } else {
      Add(ctx.record, property::kMigrate,
          "after the crash schema_version is " + std::to_string(stored) + ", neither " +
              std::to_string(old_schema) + " nor " + std::to_string(new_schema));
    }
    if (run.resolution == CrashResolution::kOld && stored != old_schema && !pending.empty()) {
      Add(ctx.record, property::kMigrate, "after the crash schema_version advanced but the migrations are lost");
    }
  }
  Finish(ctx, run, run.sqlite_wrote ? 1 : 0);  // migrations already applied publish nothing
}

void Session::RunIntegrity(OpContext& ctx) {
  std::string report;
  MessageRun run = Send(ctx, sim::MessageKind::kQuery, [&](Db& db) -> Status {
    Result<std::string> result = db.IntegrityCheck();
    if (!result.ok()) return result.status();
    report = *result;
    return Status::Ok();
  });
  if (run.outcome == Outcome::kCommitted && report != "ok") {
    Add(ctx.record, property::kIntegrity, "integrity-check reported: " + report.substr(0, 400));
  }
  Finish(ctx, run, 0);
}

void Session::CheckChecksum(OpContext& ctx, uint64_t stored, const char* what) {
  const uint64_t expected = checksum_memo_.Of(page_model_.bytes());
  if (stored != expected) {
    Add(ctx.record, property::kChecksum,
        std::string(what) + " stores checksum " + std::to_string(stored) + " but FNV-1a of the page model's " +
            std::to_string(page_model_.size_bytes()) + " bytes is " + std::to_string(expected));
  }
}

void Session::RunChecksum(OpContext& ctx, std::optional<uint64_t> chunk_bytes) {
  std::optional<ChecksumProgress> progress;
  MessageRun run = Send(ctx, sim::MessageKind::kUpdate, [&](Db& db) -> Status {
    if (chunk_bytes) {
      Result<ChecksumProgress> result = db.RefreshChecksumChunk(*chunk_bytes);
      if (!result.ok()) return result.status();
      progress = *result;
      return Status::Ok();
    }
    Status status = db.RefreshChecksum();
    if (status.ok()) progress = ChecksumProgress{true, 0, 0};
    return status;
  });
  if (chunk_bytes && *chunk_bytes == 0 && run.outcome == Outcome::kCommitted) {
    Add(ctx.record, property::kChecksum, "checksum-chunk 0 was accepted; max_bytes 0 must be refused");
  }
  if (run.outcome == Outcome::kCommitted && progress && progress->complete) {
    if (run.after_state->superblock) CheckChecksum(ctx, run.after_state->superblock->checksum, "the superblock");
    if (Db* db = canister_->db()) {
      Result<DbMeta> meta = db->GetMeta();
      if (meta.ok()) CheckChecksum(ctx, meta->superblock.checksum, "GetMeta");
    }
    ctx.record->detail = "complete";
  } else if (run.outcome == Outcome::kCommitted && progress) {
    ctx.record->detail = "hashed " + std::to_string(progress->offset) + " bytes";
  }
  Finish(ctx, run, 0);
}

void Session::RunCompact(OpContext& ctx) {
  MessageRun run = Send(ctx, sim::MessageKind::kUpdate, [](Db& db) { return db.Compact(); });
  Finish(ctx, run, 0);
}

void Session::RunUpgrade(OpContext& ctx) {
  MessageRun run = Send(ctx, sim::MessageKind::kUpgrade, {});
  Finish(ctx, run, 0);
}

std::optional<std::vector<uint8_t>> Session::SafeExport(OpContext& ctx) {
  {
    MessageRun refresh = Send(ctx, sim::MessageKind::kUpdate, [](Db& db) { return db.RefreshChecksum(); });
    if (refresh.outcome == Outcome::kCommitted && refresh.after_state->superblock) {
      CheckChecksum(ctx, refresh.after_state->superblock->checksum, "the refreshed superblock");
    }
    Finish(ctx, refresh, 0);
    if (refresh.outcome != Outcome::kCommitted) return std::nullopt;
  }
  std::vector<uint8_t> bytes;
  Meta first;
  Meta last;
  const uint64_t piece = options_.export_chunk_bytes;
  MessageRun run = Send(ctx, sim::MessageKind::kQuery, [&](Db& db) -> Status {
    Result<DbMeta> meta = db.GetMeta();
    if (!meta.ok()) return meta.status();
    first = meta->superblock;
    while (bytes.size() < first.db_size) {
      Result<std::vector<uint8_t>> chunk = db.ExportChunk(bytes.size(), piece);
      if (!chunk.ok()) return chunk.status();
      if (chunk->empty()) return Status::Corrupt("ExportChunk returned nothing before db_size");
      bytes.insert(bytes.end(), chunk->begin(), chunk->end());
    }
    Result<DbMeta> again = db.GetMeta();
    if (!again.ok()) return again.status();
    last = again->superblock;
    return Status::Ok();
  });
  const size_t violations_before = ctx.record->violations.size();
  if (run.outcome == Outcome::kCommitted) {
    if (first.last_tx_id != last.last_tx_id) {
      Add(ctx.record, property::kExport, "last_tx_id moved during a safe export");
    }
    if (bytes != page_model_.bytes()) {
      Add(ctx.record, property::kExport,
          "the exported bytes differ from the page model: " +
              check::FormatProblem(check::CompareLogical(page_model_.bytes(), bytes).at(0)));
    } else if (first.checksum != checksum_memo_.Of(bytes)) {
      Add(ctx.record, property::kChecksum, "after a refresh the stored checksum does not match the exported bytes");
    }
  }
  Finish(ctx, run, 0);
  if (run.outcome != Outcome::kCommitted || ctx.record->violations.size() != violations_before) return std::nullopt;
  return bytes;
}

void Session::RunImport(OpContext& ctx, ImportKind kind) {
  std::optional<std::vector<uint8_t>> exported = SafeExport(ctx);
  if (!exported) return;
  const std::vector<uint8_t>& bytes = *exported;
  uint64_t checksum = checksum_memo_.Of(bytes);
  if (kind == ImportKind::kBadChecksum) checksum ^= 0x5a5a5a5a5a5a5a5aull;  // never equal to the true one
  const sim::MemorySnapshot before_import = canister_->memory().Snapshot();

  MessageRun begin = Send(ctx, sim::MessageKind::kUpdate,
                          [&](Db& db) { return db.BeginImport(bytes.size(), checksum); });
  Finish(ctx, begin, 0);
  if (begin.outcome != Outcome::kCommitted) return;

  const uint64_t piece = options_.export_chunk_bytes;
  for (uint64_t offset = 0; offset < bytes.size(); offset += piece) {
    const std::span<const uint8_t> chunk(bytes.data() + offset, std::min<uint64_t>(piece, bytes.size() - offset));
    MessageRun run = Send(ctx, sim::MessageKind::kUpdate, [&](Db& db) { return db.ImportChunk(offset, chunk); });
    Finish(ctx, run, 0);
    if (run.outcome != Outcome::kCommitted) return;
    if (kind == ImportKind::kCancel) break;  // one chunk is enough to have staged something
  }

  if (kind == ImportKind::kCancel) {
    MessageRun cancel = Send(ctx, sim::MessageKind::kUpdate, [](Db& db) { return db.CancelImport(); });
    if (cancel.outcome == Outcome::kCommitted && cancel.after_state->importing()) {
      Add(ctx.record, property::kImport, "CancelImport returned OK but the superblock still says importing");
    }
    Finish(ctx, cancel, 0);
    return;
  }

  MessageRun finish = Send(ctx, sim::MessageKind::kUpdate, [](Db& db) { return db.FinishImport(); });
  // A FinishImport that discarded the staging must leave the superblock as it was before BeginImport; one that
  // failed earlier (still importing) must leave it as it was before this message.
  const sim::MemorySnapshot* baseline = finish.after_state->importing() ? &finish.before : &before_import;
  if (kind == ImportKind::kRoundTrip) {
    if (finish.outcome == Outcome::kCommitted) {
      page_model_.SetImage(bytes);  // the same bytes: the logical image must not change
      schema_version_ = 0;          // an import resets schema_version (REFERENCE 3.3)
    } else if (finish.outcome == Outcome::kCrashed && finish.after_state->superblock) {
      const uint64_t stored = finish.after_state->superblock->schema_version;
      if (stored == 0) schema_version_ = 0;  // the import's publish survived the crash
    } else if (finish.outcome == Outcome::kError && !finish.failpoint_fired &&
               finish.result.status.code() != ErrorCode::kCapacity) {
      Add(ctx.record, property::kImport,
          "FinishImport refused an image with the right checksum: " + finish.result.status.ToString());
    }
  } else if (!finish.failpoint_fired) {
    if (finish.outcome == Outcome::kCommitted) {
      Add(ctx.record, property::kImport, "FinishImport accepted an image whose checksum does not match");
    } else if (finish.outcome == Outcome::kError) {
      if (finish.result.status.code() != ErrorCode::kImport) {
        Add(ctx.record, property::kImport,
            "a checksum mismatch must be refused as import, got " + finish.result.status.ToString());
      }
      if (finish.after_state->importing()) {
        Add(ctx.record, property::kImport, "after a checksum mismatch the import is still in progress");
      }
    }
  }
  Finish(ctx, finish, 1, baseline);
}

void Session::CancelDanglingImport(OpContext& ctx) {
  if (canister_->db() == nullptr) return;
  if (!judge_.Decode(canister_->memory().Snapshot(), /*full=*/false)->importing()) return;
  ctx.cleanup = true;
  MessageRun cancel = Send(ctx, sim::MessageKind::kUpdate, [](Db& db) { return db.CancelImport(); });
  Finish(ctx, cancel, 0);
  ctx.cleanup = false;
}

}  // namespace stablevfs::ops
