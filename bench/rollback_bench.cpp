// Rollback cost of SimStableMemory: it must follow the pages a message dirtied, not the size of the memory.
//
// A 1 GiB stable memory; each iteration opens an update message, dirties N 4 KiB pages (8 bytes each, spread
// over the whole memory), and traps it. Only the TrapMessage call is timed (manual time), so the numbers are
// the rollback alone. N = 1 and N = 10,000 are the two points the design promises about (their ratio should
// be close to 10,000, far from "1 GiB / 4 KiB"); N = 100 shows the line between them. A second benchmark
// times Restore of the snapshot taken before the message, which the explorer uses to restart a message; it
// too writes back only the changed pages. Run: build/<preset>/bench/rollback_bench.
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <vector>

#include "harness/sim/sim_stable_memory.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs::sim {
namespace {

constexpr uint64_t kMemoryBytes = 1ull << 30;
constexpr uint64_t kOsPages = kMemoryBytes / kOsPageBytes;

// One 1 GiB memory for the whole run: allocating and zeroing it per benchmark would dominate the run time.
SimStableMemory& Memory() {
  static HeapStableMemory* inner = [] {
    auto* memory = new HeapStableMemory();
    memory->grow(kMemoryBytes / kWasmPageBytes);
    return memory;
  }();
  static SimStableMemory* sim = new SimStableMemory(*inner, SimOptions{.cost_accounting = false});
  return *sim;
}

// Dirties `pages` distinct 4 KiB pages, evenly spread over the memory.
void DirtyPages(SimStableMemory& sim, uint64_t pages, uint8_t value) {
  const uint64_t stride = kOsPages / pages;
  const std::vector<uint8_t> bytes(8, value);
  for (uint64_t i = 0; i < pages; ++i) sim.write(i * stride * kOsPageBytes + 100, bytes);
}

void BM_TrapRollback(benchmark::State& state) {
  SimStableMemory& sim = Memory();
  const auto pages = static_cast<uint64_t>(state.range(0));
  uint8_t value = 1;
  for (auto _ : state) {
    sim.BeginMessage(MessageKind::kUpdate);
    DirtyPages(sim, pages, value++);
    if (sim.dirty_pages() != pages) state.SkipWithError("unexpected dirty page count");
    const auto start = std::chrono::steady_clock::now();
    sim.TrapMessage();
    const auto stop = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
  }
  state.counters["memory_GiB"] = static_cast<double>(sim.size_bytes()) / static_cast<double>(kMemoryBytes);
  state.counters["dirty_pages"] = static_cast<double>(pages);
}
BENCHMARK(BM_TrapRollback)->Arg(1)->Arg(100)->Arg(10000)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_RestoreSnapshot(benchmark::State& state) {
  SimStableMemory& sim = Memory();
  const auto pages = static_cast<uint64_t>(state.range(0));
  const MemorySnapshot before = sim.Snapshot();  // a full capture once; later ones are incremental
  uint8_t value = 1;
  for (auto _ : state) {
    sim.BeginMessage(MessageKind::kUpdate);
    DirtyPages(sim, pages, value++);
    sim.CommitMessage();
    const auto start = std::chrono::steady_clock::now();
    sim.Restore(before);
    const auto stop = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
  }
  state.counters["dirty_pages"] = static_cast<double>(pages);
}
BENCHMARK(BM_RestoreSnapshot)->Arg(1)->Arg(10000)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace stablevfs::sim

BENCHMARK_MAIN();
