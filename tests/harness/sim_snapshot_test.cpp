// Snapshots and byte identity: SimStableMemory::Snapshot / Restore, MemorySnapshot, digests and comparisons.
//
// Goal: Restore(s) makes the memory equal to s (size and bytes) whatever happened since, including grows,
// rolled-back messages, crashes and restores of other snapshots; snapshots share unchanged pages (copy-on-
// write at 4 KiB) and all-zero pages; the identity helpers (Digest, Image, Matches, FirstDifference,
// DigestOf) agree with each other and see a one-byte difference. Method: seeded random histories checked
// against images copied before, and whole-memory comparisons through every helper.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/sim/memory_image.h"
#include "harness/sim/memory_snapshot.h"
#include "harness/sim/sim_stable_memory.h"
#include "lib/core/trap.h"
#include "lib/memory/heap_stable_memory.h"
#include "tests/harness/sim_test_util.h"

namespace stablevfs::sim {
namespace {

using testing::ApplyTo;
using testing::RandomMessage;

TEST(SimSnapshotTest, RestoreReturnsToTheSnapshotAfterAnyHistory) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    HeapStableMemory inner;
    SimStableMemory sim(inner);
    ASSERT_EQ(sim.grow(2), 0);
    for (const auto& op : RandomMessage(seed, 2, 10)) ApplyTo(sim, op);  // setup, outside a message

    std::vector<MemorySnapshot> snapshots;
    std::vector<std::vector<uint8_t>> images;
    for (int round = 0; round < 4; ++round) {
      snapshots.push_back(sim.Snapshot());
      images.push_back(sim.Image());
      // A committed message, a trapped one, and a crashed one, then setup writes.
      sim.BeginMessage(MessageKind::kUpdate);
      for (const auto& op : RandomMessage(seed * 100 + round, sim.size_pages(), 20)) ApplyTo(sim, op);
      sim.CommitMessage();
      sim.BeginMessage(MessageKind::kUpdate);
      for (const auto& op : RandomMessage(seed * 200 + round, sim.size_pages(), 20)) ApplyTo(sim, op);
      sim.TrapMessage();
      sim.BeginMessage(MessageKind::kUpdate);
      for (const auto& op : RandomMessage(seed * 300 + round, sim.size_pages(), 20)) ApplyTo(sim, op);
      sim.CrashAtWrite(sim.write_count() / 2);
      sim.Reboot();
    }
    // Restore each snapshot, in an order that mixes the base with others.
    for (const size_t i : {3, 1, 1, 0, 2, 3, 0}) {
      sim.Restore(snapshots[i]);
      ASSERT_EQ(sim.Image(), images[i]) << "seed " << seed << " snapshot " << i;
      ASSERT_TRUE(sim.Matches(snapshots[i]));
      ASSERT_EQ(sim.Digest(), snapshots[i].Digest());
      ASSERT_TRUE(std::all_of(inner.bytes().begin() + static_cast<ptrdiff_t>(sim.size_bytes()),
                              inner.bytes().end(), [](uint8_t b) { return b == 0; }))
          << "zero tail after restore";
      // And a message run from the restored state behaves (the explorer's use).
      sim.BeginMessage(MessageKind::kUpdate);
      for (const auto& op : RandomMessage(seed + i, sim.size_pages(), 5)) ApplyTo(sim, op);
      sim.TrapMessage();
      ASSERT_EQ(sim.Image(), images[i]);
    }
  }
}

TEST(SimSnapshotTest, RestoreToASmallerSizeThenRegrowReadsZeros) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  const MemorySnapshot small = sim.Snapshot();
  ASSERT_EQ(sim.grow(2), 1);
  sim.write(kWasmPageBytes + 5, std::vector<uint8_t>(100000, 3));
  sim.Restore(small);
  EXPECT_EQ(sim.size_pages(), 1u);
  std::vector<uint8_t> buffer(1);
  EXPECT_THROW(sim.read(kWasmPageBytes, buffer), Trap);
  ASSERT_EQ(sim.grow(2), 1);
  const std::vector<uint8_t> image = sim.Image();
  EXPECT_TRUE(std::all_of(image.begin(), image.end(), [](uint8_t b) { return b == 0; }));
}

TEST(SimSnapshotTest, RestoreOfAForeignSnapshotGrowsTheInnerMemory) {
  HeapStableMemory source;
  source.grow(3);
  source.write(100000, std::vector<uint8_t>{1, 2, 3});
  const MemorySnapshot captured = MemorySnapshot::Capture(source);
  EXPECT_EQ(captured.Digest(), DigestOf(source));

  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.write(0, std::vector<uint8_t>(10, 9));  // must be cleared: the snapshot has zeros there
  sim.Restore(captured);
  EXPECT_EQ(sim.Image(), source.bytes());
  EXPECT_TRUE(SameContents(inner, source));
  EXPECT_THROW(
      {
        sim.BeginMessage(MessageKind::kUpdate);
        sim.Restore(captured);
      },
      std::logic_error);
  sim.TrapMessage();
}

TEST(SimSnapshotTest, RestoreUnfreezes) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  const MemorySnapshot start = sim.Snapshot();
  sim.write(0, std::vector<uint8_t>{1});
  sim.PowerFail();
  EXPECT_THROW(sim.write(0, std::vector<uint8_t>{2}), fp::Abort);
  sim.Restore(start);
  EXPECT_FALSE(sim.frozen());
  sim.write(0, std::vector<uint8_t>{2});
}

TEST(SimSnapshotTest, SnapshotsShareUnchangedAndZeroPages) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);  // 16 OS pages
  sim.write(0, std::vector<uint8_t>(3 * kOsPageBytes, 7));  // pages 0..2 non-zero
  const MemorySnapshot first = sim.Snapshot();
  EXPECT_FALSE(first.IsZeroPage(0));
  EXPECT_TRUE(first.IsZeroPage(3));
  sim.write(kOsPageBytes + 10, std::vector<uint8_t>{8});  // changes page 1 only
  const MemorySnapshot second = sim.Snapshot();
  EXPECT_EQ(first.page(0).data(), second.page(0).data()) << "unchanged page shared";
  EXPECT_EQ(first.page(2).data(), second.page(2).data());
  EXPECT_NE(first.page(1).data(), second.page(1).data()) << "changed page copied";
  EXPECT_EQ(first.page(1)[10], 7) << "the older snapshot is immutable";
  EXPECT_EQ(second.page(1)[10], 8);
  EXPECT_FALSE(first == second);
  EXPECT_TRUE(second == MemorySnapshot::Capture(inner));
  EXPECT_EQ(second.Image(), sim.Image());
}

TEST(SimSnapshotTest, SnapshotReadTrapsOutOfBounds) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.write(4090, std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  const MemorySnapshot snapshot = sim.Snapshot();
  std::vector<uint8_t> out(10);
  snapshot.Read(4090, out);  // across an OS page boundary
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_THROW(snapshot.Read(kWasmPageBytes - 9, out), Trap);
}

TEST(SimIdentityTest, HelpersAgreeAndSeeOneByte) {
  HeapStableMemory a;
  HeapStableMemory b;
  a.grow(2);
  b.grow(2);
  EXPECT_EQ(DigestOf(a), DigestOf(b));
  EXPECT_FALSE(FirstDifference(a, b).has_value());
  b.write(70001, std::vector<uint8_t>{1});
  EXPECT_NE(DigestOf(a), DigestOf(b));
  EXPECT_EQ(FirstDifference(a, b), 70001u);
  EXPECT_FALSE(SameContents(a, b));
  b.write(70001, std::vector<uint8_t>{0});
  b.grow(1);
  EXPECT_EQ(FirstDifference(a, b), 2 * kWasmPageBytes) << "a size difference shows at the smaller size";
  EXPECT_NE(DigestOf(a), DigestOf(b)) << "the size is part of the digest";
  EXPECT_EQ(ReadImage(b), b.bytes());

  // The decorator's uncharged helpers agree with the generic ones and cost nothing inside a message.
  SimStableMemory sim(b);
  sim.BeginMessage(MessageKind::kUpdate);
  EXPECT_EQ(sim.Digest(), DigestOf(b));
  EXPECT_EQ(sim.Image(), b.bytes());
  EXPECT_EQ(sim.message_counters(), CostCounters{});
  sim.TrapMessage();
}

TEST(SimIdentityTest, DigestDoesNotDependOnChunking) {
  std::vector<uint8_t> bytes(1000);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 31);
  ImageDigest whole(bytes.size());
  whole.Update(bytes);
  ImageDigest pieces(bytes.size());
  for (size_t at = 0, step = 1; at < bytes.size(); at += step, step = step % 13 + 1) {
    pieces.Update(std::span<const uint8_t>(bytes).subspan(at, std::min(step, bytes.size() - at)));
  }
  EXPECT_EQ(whole.Finish(), pieces.Finish());
  ImageDigest other(bytes.size());
  bytes[999] ^= 1;
  other.Update(bytes);
  EXPECT_NE(other.Finish(), whole.Finish());
}

}  // namespace
}  // namespace stablevfs::sim
