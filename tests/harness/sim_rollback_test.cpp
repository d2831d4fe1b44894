// SimStableMemory message semantics: rollback exactness, grow undo and dirty-page counting.
//
// Goal: a trapped message leaves stable memory byte-identical to before it, size included, whatever mix of
// writes and grows it made; a query never leaves a trace; a committed update equals applying its writes in
// order; and the dirty-page count is the IC's (4 KiB pages, each counted once per message). Method: seeded
// random messages run against the decorator and against a plain byte vector; images are compared whole. The
// zero-tail invariant behind grow undo (inner bytes beyond the logical size are zero) is checked on the raw
// inner memory, and a regrow after a rollback must read zeros.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/sim/sim_stable_memory.h"
#include "lib/core/trap.h"
#include "lib/memory/heap_stable_memory.h"
#include "tests/harness/sim_test_util.h"

namespace stablevfs::sim {
namespace {

using testing::ApplyTo;
using testing::RandomMessage;
using testing::ReferenceMemory;

// Fills the memory (outside any message) with a seeded pattern, so rollbacks must restore non-zero bytes.
void FillOutsideMessage(SimStableMemory& sim, ReferenceMemory& reference, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> bytes(sim.size_bytes());
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  sim.write(0, bytes);
  reference.bytes = bytes;
}

bool TailIsZero(const HeapStableMemory& inner, uint64_t logical_bytes) {
  return std::all_of(inner.bytes().begin() + static_cast<ptrdiff_t>(logical_bytes), inner.bytes().end(),
                     [](uint8_t b) { return b == 0; });
}

TEST(SimRollbackTest, TrapRestoresBytesAndSizeExactly) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    HeapStableMemory inner;
    SimStableMemory sim(inner);
    ASSERT_EQ(sim.grow(3), 0);
    ReferenceMemory reference;
    FillOutsideMessage(sim, reference, seed * 7919);
    const std::vector<uint8_t> before = sim.Image();

    sim.BeginMessage(MessageKind::kUpdate);
    for (const auto& op : RandomMessage(seed, sim.size_pages(), 60)) ApplyTo(sim, op);
    ASSERT_NE(sim.Image(), before) << "seed " << seed << ": the message changed nothing, the test proves nothing";
    sim.TrapMessage();

    EXPECT_EQ(sim.size_pages(), 3u) << "seed " << seed;
    EXPECT_EQ(sim.Image(), before) << "seed " << seed;
    EXPECT_TRUE(TailIsZero(inner, sim.size_bytes())) << "seed " << seed;
    EXPECT_FALSE(sim.in_message());
  }
}

TEST(SimRollbackTest, CommitEqualsApplyingTheWritesInOrder) {
  for (uint64_t seed = 100; seed < 110; ++seed) {
    HeapStableMemory inner;
    SimStableMemory sim(inner);
    ASSERT_EQ(sim.grow(2), 0);
    ReferenceMemory reference;
    FillOutsideMessage(sim, reference, seed);
    // Two messages in a row: the second's undo must start from the first's committed state.
    for (int message = 0; message < 2; ++message) {
      sim.BeginMessage(MessageKind::kUpdate);
      for (const auto& op : RandomMessage(seed * 10 + message, sim.size_pages(), 40)) {
        ApplyTo(sim, op);
        reference.Apply(op);
      }
      sim.CommitMessage();
      ASSERT_EQ(sim.size_pages(), reference.size_pages());
      ASSERT_EQ(sim.Image(), reference.bytes) << "seed " << seed << " message " << message;
    }
    // A trapped third message returns to the second's committed state, not to an older one.
    sim.BeginMessage(MessageKind::kUpgrade);
    for (const auto& op : RandomMessage(seed * 10 + 9, sim.size_pages(), 40)) ApplyTo(sim, op);
    sim.TrapMessage();
    EXPECT_EQ(sim.Image(), reference.bytes);
  }
}

TEST(SimRollbackTest, RegrowAfterRollbackReadsZeros) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.BeginMessage(MessageKind::kUpdate);
  ASSERT_EQ(sim.grow(2), 1);
  const std::vector<uint8_t> junk(3 * kWasmPageBytes - 100, 0xEE);
  sim.write(50, junk);  // spans the old page and both grown pages
  sim.TrapMessage();

  ASSERT_EQ(sim.size_pages(), 1u);
  EXPECT_EQ(inner.size_pages(), 3u) << "the inner memory cannot shrink; the decorator hides its extra pages";
  std::vector<uint8_t> beyond(1);
  EXPECT_THROW(sim.read(kWasmPageBytes, beyond), Trap) << "the rolled-back grow is gone";
  EXPECT_THROW(sim.write(kWasmPageBytes, beyond), Trap);

  // Regrow, inside a message and outside: the pages reused from the inner memory read zero.
  sim.BeginMessage(MessageKind::kUpdate);
  ASSERT_EQ(sim.grow(1), 1);
  sim.CommitMessage();
  ASSERT_EQ(sim.grow(3), 2);
  EXPECT_EQ(inner.size_pages(), 5u) << "grows past the spare pages reach the inner memory";
  std::vector<uint8_t> grown(4 * kWasmPageBytes);
  sim.read(kWasmPageBytes, grown);
  EXPECT_TRUE(std::all_of(grown.begin(), grown.end(), [](uint8_t b) { return b == 0; }));
  // The old page got its old bytes back: zeros before 50, zeros after (it was fresh).
  std::vector<uint8_t> first(kWasmPageBytes);
  sim.read(0, first);
  EXPECT_TRUE(std::all_of(first.begin(), first.end(), [](uint8_t b) { return b == 0; }));
}

TEST(SimRollbackTest, QueryIsAlwaysRolledBack) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  const std::vector<uint8_t> before = sim.Image();
  sim.BeginMessage(MessageKind::kQuery);
  ASSERT_EQ(sim.grow(1), 1);
  sim.write(100, std::vector<uint8_t>(70000, 1));
  sim.CommitMessage();  // success, and still nothing survives
  EXPECT_EQ(sim.size_pages(), 1u);
  EXPECT_EQ(sim.Image(), before);
  EXPECT_TRUE(TailIsZero(inner, sim.size_bytes()));
}

TEST(SimRollbackTest, WritesOutsideMessagesPassThroughAndAreNotUndone) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.write(10, std::vector<uint8_t>{1, 2, 3});
  EXPECT_EQ(inner.bytes()[11], 2);
  sim.BeginMessage(MessageKind::kUpdate);
  sim.TrapMessage();
  EXPECT_EQ(inner.bytes()[11], 2) << "setup writes are not part of any message";
}

TEST(SimRollbackTest, MessageProtocolIsEnforced) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  EXPECT_THROW(sim.CommitMessage(), std::logic_error);
  EXPECT_THROW(sim.TrapMessage(), std::logic_error);
  sim.BeginMessage(MessageKind::kUpdate);
  EXPECT_THROW(sim.BeginMessage(MessageKind::kUpdate), std::logic_error);
  EXPECT_EQ(sim.message_ordinal(), 1u);
  sim.CommitMessage();
}

TEST(SimRollbackTest, OutOfBoundsAccessTrapsAgainstTheLogicalSize) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  std::vector<uint8_t> buffer(16);
  sim.read(kWasmPageBytes - 16, buffer);  // ends exactly at the end: fine
  EXPECT_THROW(sim.read(kWasmPageBytes - 15, buffer), Trap);
  EXPECT_THROW(sim.write(~uint64_t{0} - 3, buffer), Trap) << "overflow-safe";
}

TEST(SimDirtyPagesTest, CountsFourKibPagesOncePerMessage) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(2), 0);
  sim.BeginMessage(MessageKind::kUpdate);
  const std::vector<uint8_t> one(1, 7);
  sim.write(0, one);
  EXPECT_EQ(sim.dirty_pages(), 1u);
  sim.write(4095, one);  // same page
  EXPECT_EQ(sim.dirty_pages(), 1u);
  sim.write(4095, std::vector<uint8_t>(2, 7));  // crosses into page 1
  EXPECT_EQ(sim.dirty_pages(), 2u);
  sim.write(5 * 4096 + 100, std::vector<uint8_t>(8192, 7));  // pages 5, 6 and 7
  EXPECT_EQ(sim.dirty_pages(), 5u);
  sim.write(5 * 4096, std::vector<uint8_t>(3 * 4096, 7));  // exactly pages 5..7 again
  EXPECT_EQ(sim.dirty_pages(), 5u);
  sim.write(8 * 4096, {});  // zero length: no page
  EXPECT_EQ(sim.dirty_pages(), 5u);
  std::vector<uint8_t> buffer(10000);
  sim.read(20 * 4096, buffer);  // reads dirty nothing
  EXPECT_EQ(sim.dirty_pages(), 5u);
  EXPECT_EQ(sim.message_counters().dirty_pages, 5u);
  sim.CommitMessage();
  EXPECT_EQ(sim.dirty_pages(), 0u);

  sim.BeginMessage(MessageKind::kUpdate);
  sim.write(0, one);
  EXPECT_EQ(sim.dirty_pages(), 1u) << "a new message starts a new count";
  sim.CommitMessage();
}

TEST(SimDirtyPagesTest, CountedWithCostAccountingOff) {
  HeapStableMemory inner;
  SimStableMemory sim(inner, SimOptions{.cost_accounting = false});
  ASSERT_EQ(sim.grow(1), 0);
  sim.BeginMessage(MessageKind::kUpdate);
  sim.write(4000, std::vector<uint8_t>(200, 1));
  EXPECT_EQ(sim.dirty_pages(), 2u);
  EXPECT_EQ(sim.message_counters(), CostCounters{});
  sim.TrapMessage();
  EXPECT_EQ(inner.bytes()[4100], 0) << "rollback works without accounting";
}

TEST(SimDirtyPagesTest, RollbackCostFollowsDirtyPagesNotMemorySize) {
  // Not a timing test: it counts what the rollback touches. A 64 MiB memory, one dirtied page: the undo set
  // holds one page, and after the trap the inner memory's other pages were never written (we poison them
  // through the back door and check the poison survives, which it would not if rollback rewrote the memory).
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1024), 0);
  sim.BeginMessage(MessageKind::kUpdate);
  sim.write(12345, std::vector<uint8_t>(10, 9));
  EXPECT_EQ(sim.dirty_pages(), 1u);
  inner.write(40 * kWasmPageBytes, std::vector<uint8_t>{0x5A});  // behind the decorator's back
  sim.TrapMessage();
  EXPECT_EQ(inner.bytes()[40 * kWasmPageBytes], 0x5A);
  EXPECT_EQ(inner.bytes()[12345], 0);
}

}  // namespace
}  // namespace stablevfs::sim
