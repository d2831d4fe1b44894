#include "harness/sim/canister.h"

#include <array>
#include <exception>

#include "lib/core/trap.h"

namespace stablevfs::sim {
Canister::Canister(CanisterOptions options) : options_(std::move(options)) {
  sim_ = std::make_unique<SimStableMemory>(
      raw_, SimOptions{.seed = options_.seed, .cost_accounting = options_.cost_accounting, .record_journal = true});
  sim_->set_max_pages(options_.max_pages);
  // Installation is one message: init writes the MemoryManager header and the first superblock.
  MessageResult installed = RunMessage(MessageKind::kUpgrade, [this] { return OpenHeap(); });
  if (installed.outcome != Outcome::kCommitted && init_status_.ok()) {
    init_status_ = Status(ErrorCode::kBusy, "install did not complete: " + installed.detail);
  }
}

Canister::Canister(CanisterOptions options, const MemorySnapshot& image) : options_(std::move(options)) {
  sim_ = std::make_unique<SimStableMemory>(
      raw_, SimOptions{.seed = options_.seed, .cost_accounting = options_.cost_accounting, .record_journal = true});
  sim_->set_max_pages(options_.max_pages);
  sim_->Restore(image);
  RebuildHeap();
}

Canister::~Canister() { DropHeap(); }

void Canister::DropHeap() {
  // The Db goes first: it holds the VirtualMemory the manager owns.
  db_.reset();
  db_memory_ = nullptr;
  manager_.reset();
}

Status Canister::OpenHeap() {
  DropHeap();
  StableMemory* memory = sim_.get();
  if (options_.use_memory_manager) {
    Result<std::unique_ptr<MemoryManager>> manager = MemoryManager::InitOrLoad(*sim_);
    if (!manager.ok()) {
      init_status_ = manager.status();
      return init_status_;
    }
    manager_ = std::move(manager).value();
    Result<VirtualMemory*> virtual_memory = manager_->Get(options_.memory_id);
    if (!virtual_memory.ok()) {
      init_status_ = virtual_memory.status();
      return init_status_;
    }
    memory = *virtual_memory;
  }
  db_memory_ = memory;
  Db::Options db_options;
  db_options.observer = options_.observer;
  db_options.auto_vacuum = options_.auto_vacuum;
  db_options.layout = options_.layout;
  Result<std::unique_ptr<Db>> db = Db::Init(*memory, std::move(db_options));
  if (!db.ok()) {
    init_status_ = db.status();
    return init_status_;
  }
  db_ = std::move(db).value();
  init_status_ = Status::Ok();
  return Status::Ok();
}

void Canister::RebuildHeap() {
  // Reading stable memory to rebuild heap state is not a message: nothing is charged and nothing may be
  // written (a correct library only reads when it opens an existing image).
  OpenHeap().IgnoreError();  // the failure is kept in init_status_ and surfaces as db() == nullptr
}

MessageResult Canister::RunMessage(MessageKind kind, const std::function<Status()>& body) {
  MessageResult result;
  sim_->BeginMessage(kind);
  try {
    Status status = body();
    // Whether the message changed stable memory: for a query the IC discards that, and with it the heap state
    // that described it. Read before CommitMessage, which ends the message's counters.
    const bool wrote = sim_->dirty_pages() > 0 || sim_->size_pages() != sim_->message_start_size_pages();
    sim_->CommitMessage();  // an error return is a normal reply: the IC keeps what the message wrote
    if (status.ok()) {
      result.outcome = Outcome::kCommitted;
    } else {
      result.outcome = Outcome::kError;
      result.detail = status.ToString();
      result.status = std::move(status);
    }
    // A query that wrote stable memory also changed heap state describing those writes; the IC discards both,
    // so the heap is rebuilt from the (rolled back) memory. A query that wrote nothing keeps the heap as it is:
    // rebuilding it anyway would drop a stale update connection and hide the very bug (a page cache ahead of
    // stable memory after a failed publish) that the harness must catch.
    if (kind == MessageKind::kQuery && wrote) RebuildHeap();
    return result;
  } catch (const Trap& trap) {
    result.outcome = Outcome::kTrapped;
    result.detail = trap.what();
  } catch (const fp::Abort& abort) {
    result.abort_site = abort.site();
    result.detail = abort.what();
    result.outcome = abort.action() == fp::Action::kTrap ? Outcome::kTrapped : Outcome::kCrashed;
  } catch (const std::exception& e) {
    // An ordinary exception out of the closure: the library must already have rolled back and discarded its
    // overlay; for the IC it is a normal (error) reply.
    sim_->CommitMessage();
    result.outcome = Outcome::kError;
    result.status = Status(ErrorCode::kInvalidArgument, std::string("exception: ") + e.what());
    result.detail = result.status.ToString();
    return result;
  }
  if (result.outcome == Outcome::kTrapped) {
    sim_->TrapMessage();
  } else {
    // A library failpoint raises the crash before its write, so the memory is frozen as it stands; a
    // memory.write crash or tear has frozen it already.
    if (!sim_->frozen()) sim_->PowerFail();
    sim_->Reboot();
  }
  RebuildHeap();
  return result;
}

MessageResult Canister::Update(const std::function<Status(Db&)>& fn) {
  return RunMessage(MessageKind::kUpdate, [&]() -> Status {
    if (!db_) return Status(ErrorCode::kBusy, "no database: " + init_status_.ToString());
    return fn(*db_);
  });
}

MessageResult Canister::Query(const std::function<Status(Db&)>& fn) {
  return RunMessage(MessageKind::kQuery, [&]() -> Status {
    if (!db_) return Status(ErrorCode::kBusy, "no database: " + init_status_.ToString());
    return fn(*db_);
  });
}

MessageResult Canister::Upgrade() {
  MessageResult result = RunMessage(MessageKind::kUpgrade, [this]() -> Status {
    Status opened = OpenHeap();
    // A post_upgrade that cannot open the database traps on the IC: the upgrade fails, the old state stays.
    if (!opened.ok()) throw Trap("post_upgrade: " + opened.ToString());
    return opened;
  });
  return result;
}

void Canister::SetCapacityPages(std::optional<uint64_t> max_pages) {
  options_.max_pages = max_pages;
  sim_->set_max_pages(max_pages);
}

void Canister::SetInstructionBudget(uint64_t instructions) {
  MessageLimits limits = sim_->limits(MessageKind::kUpdate);
  limits.instructions_max = instructions;
  sim_->set_limits(MessageKind::kUpdate, limits);
}

}  // namespace stablevfs::sim
