// The icstable-sim backend: the library inside the simulated IC (bench_backend.h).
//
// It runs on harness/sim's Canister with its default, canister-shaped memory stack: HeapStableMemory ->
// SimStableMemory (cost model on) -> MemoryManager -> VirtualMemory 120 -> Db, the database in the layout that
// BackendOptions::layout names (CanisterOptions::layout, kept across the heap rebuilds). Each Update is one update
// message and each Query one query message, so the simulator's counters are what the IC would charge for
// stable memory: write bytes, 4 KiB pages newly dirtied per message, and the stable-memory instructions.
// Two consequences worth knowing when reading its numbers:
//   - The stable size it reports is the database's virtual memory (as the original's benchmark reports
//     it); the raw memory is larger by the MemoryManager's header page and its 8 MiB bucket rounding.
//   - After every query message the Canister rebuilds the heap state from stable memory (the IC discards a
//     query's heap changes), so its read times include reopening the Db. Its times are informational; the
//     time goals are judged on the plain `icstable` backend.
#include <stdexcept>

#include "bench/workloads/bench_backend.h"
#include "harness/sim/canister.h"
#include "lib/core/trap.h"

namespace stablevfs::bench {
namespace {

class IcstableSimBackend final : public BenchBackend {
 public:
  explicit IcstableSimBackend(const LayoutInfo* layout) : canister_(OptionsFor(layout)) {}

  Status init_status() const { return canister_.init_status(); }

  BackendKind kind() const override { return BackendKind::kIcstableSim; }

  Status Update(const std::function<Status(Connection&)>& fn) override {
    return Outcome(canister_.Update([&](Db& db) { return db.Update(fn); }));
  }
  Status Query(const std::function<Status(Connection&)>& fn) override {
    return Outcome(canister_.Query([&](Db& db) { return db.Query(fn); }));
  }

  std::optional<uint64_t> stable_size_pages() override {
    StableMemory* memory = canister_.db_memory();
    if (memory == nullptr) return std::nullopt;
    return memory->size_pages();
  }

  std::optional<StableCost> stable_cost() override {
    const sim::SimStableMemory& memory = canister_.memory();
    const sim::CostCounters& total = memory.total_counters();
    return StableCost{total.bytes_written, total.dirty_pages, total.instructions, memory.message_ordinal()};
  }

 private:
  // A trap or a crash ended the message: for a benchmark that is a failed run, reported as what it was.
  static Status Outcome(const sim::MessageResult& result) {
    switch (result.outcome) {
      case sim::Outcome::kCommitted:
        return Status::Ok();
      case sim::Outcome::kError:
        return result.status;
      case sim::Outcome::kTrapped:
        throw Trap("message trapped: " + result.detail);
      case sim::Outcome::kCrashed:
        throw std::runtime_error("message crashed: " + result.detail);
    }
    return Status::InvalidArgument("unknown message outcome");
  }

  static sim::CanisterOptions OptionsFor(const LayoutInfo* layout) {
    sim::CanisterOptions options;
    options.layout = layout;
    return options;
  }

  sim::Canister canister_;
};

}  // namespace

// Declared in bench_backend.cpp, which dispatches on BackendKind; defined here beside the simulator it needs.
Result<std::unique_ptr<BenchBackend>> OpenIcstableSimBackend(const LayoutInfo* layout) {
  auto backend = std::make_unique<IcstableSimBackend>(layout);
  Status status = backend->init_status();
  if (!status.ok()) return status;
  return std::unique_ptr<BenchBackend>(std::move(backend));
}

}  // namespace stablevfs::bench
