// Power-loss simulation in SimStableMemory: crash freezing at every write, torn writes, and the frozen state.
//
// Goal: CrashAtWrite(k) leaves exactly "the state before the message + the first k writes (and every grow
// that came before write k)", for every k of a random message, including k = 0 and k = all; a torn write
// changes only whole 512-byte sectors of the in-flight write (a prefix or a subset, as asked) and the fault
// record says which; a frozen memory refuses writes and grows until Reboot, TrapMessage or Restore; Reboot
// keeps the crashed state and TrapMessage discards the whole message. Method: seeded random messages (writes
// and grows interleaved) against a plain byte vector that applies the same prefix; old and new bytes are
// chosen to differ everywhere so that a byte that landed cannot be mistaken for one that did not.
#include <gtest/gtest.h>

#include <algorithm>

#include "failpoints/failpoint.h"
#include "harness/sim/sim_stable_memory.h"
#include "lib/memory/heap_stable_memory.h"
#include "tests/harness/sim_test_util.h"

namespace stablevfs::sim {
namespace {

using testing::ApplyTo;
using testing::Op;
using testing::RandomMessage;
using testing::ReferenceMemory;

// The reference state after a power failure before write `k` of `ops`: every op before the k-th write.
ReferenceMemory StateBeforeWrite(const ReferenceMemory& start, const std::vector<Op>& ops, size_t k) {
  ReferenceMemory reference = start;
  size_t writes = 0;
  for (const Op& op : ops) {
    if (!op.is_grow && writes++ == k) break;
    reference.Apply(op);
  }
  return reference;
}

TEST(SimCrashTest, CrashAtEveryWriteEqualsTheFirstKWrites) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    HeapStableMemory inner;
    SimStableMemory sim(inner);
    ASSERT_EQ(sim.grow(2), 0);
    sim.write(0, std::vector<uint8_t>(sim.size_bytes(), 0xA5));
    ReferenceMemory start{sim.Image()};

    const std::vector<Op> ops = RandomMessage(seed, sim.size_pages(), 50);
    const size_t writes = static_cast<size_t>(std::count_if(ops.begin(), ops.end(), [](const Op& op) {
      return !op.is_grow;
    }));
    sim.BeginMessage(MessageKind::kUpdate);
    for (const Op& op : ops) ApplyTo(sim, op);
    ASSERT_EQ(sim.write_count(), writes);

    // Every crash point, in a scrambled order: each CrashAtWrite rebuilds from the message start.
    for (size_t i = 0; i <= writes; ++i) {
      const size_t k = (i * 7 + seed) % (writes + 1);
      sim.CrashAtWrite(k);
      ASSERT_TRUE(sim.frozen());
      const ReferenceMemory expected = StateBeforeWrite(start, ops, k);
      ASSERT_EQ(sim.size_pages(), expected.size_pages()) << "seed " << seed << " k " << k;
      ASSERT_EQ(sim.Image(), expected.bytes) << "seed " << seed << " k " << k;
      ASSERT_TRUE(std::all_of(inner.bytes().begin() + static_cast<ptrdiff_t>(sim.size_bytes()),
                              inner.bytes().end(), [](uint8_t b) { return b == 0; }))
          << "zero tail, seed " << seed << " k " << k;
    }
    sim.TrapMessage();
    EXPECT_FALSE(sim.frozen());
    EXPECT_EQ(sim.Image(), start.bytes) << "a trap after a crash discards the whole message";
  }
}

TEST(SimCrashTest, CrashAtEventCanStopBetweenAGrowAndTheNextWrite) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.BeginMessage(MessageKind::kUpdate);
  sim.write(0, std::vector<uint8_t>{1});
  ASSERT_EQ(sim.grow(1), 1);
  sim.write(kWasmPageBytes, std::vector<uint8_t>{2});
  ASSERT_EQ(sim.journal().size(), 3u);
  EXPECT_EQ(sim.journal()[1].kind, JournalEvent::Kind::kGrow);

  sim.CrashAtEvent(1);  // after write 0, before the grow
  EXPECT_EQ(sim.size_pages(), 1u);
  sim.CrashAtWrite(1);  // before write 1: the grow came first, so it persists
  EXPECT_EQ(sim.size_pages(), 2u);
  EXPECT_EQ(sim.Image()[kWasmPageBytes], 0);
  sim.CrashAtWrite(2);  // after everything
  EXPECT_EQ(sim.Image()[kWasmPageBytes], 2);
  EXPECT_THROW(sim.CrashAtWrite(3), std::out_of_range);
  EXPECT_THROW(sim.CrashAtEvent(4), std::out_of_range);
  sim.TrapMessage();
}

TEST(SimCrashTest, FrozenMemoryRefusesWritesUntilReboot) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.BeginMessage(MessageKind::kUpdate);
  sim.write(0, std::vector<uint8_t>{1, 2, 3});
  sim.write(100, std::vector<uint8_t>{4, 5, 6});
  sim.CrashAtWrite(1);

  try {
    sim.write(200, std::vector<uint8_t>{7});
    FAIL() << "a frozen memory accepted a write";
  } catch (const fp::Abort& abort) {
    EXPECT_EQ(abort.action(), fp::Action::kCrash);
  }
  EXPECT_THROW(sim.grow(1), fp::Abort);
  std::vector<uint8_t> read_back(3);
  sim.read(0, read_back);  // reads are fine: the harness inspects the crashed memory
  EXPECT_EQ(read_back, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_THROW(sim.CommitMessage(), std::logic_error) << "a crashed message cannot commit";
  EXPECT_THROW(sim.BeginMessage(MessageKind::kUpdate), std::logic_error);

  sim.Reboot();  // the power comes back: the crashed state is what persisted
  EXPECT_FALSE(sim.frozen());
  EXPECT_FALSE(sim.in_message());
  sim.read(100, read_back);
  EXPECT_EQ(read_back, (std::vector<uint8_t>{0, 0, 0}));
  sim.BeginMessage(MessageKind::kUpdate);
  sim.write(200, std::vector<uint8_t>{7});
  sim.CommitMessage();
  EXPECT_EQ(inner.bytes()[200], 7);
}

TEST(SimCrashTest, PowerFailFreezesWithoutReplay) {
  HeapStableMemory inner;
  SimStableMemory sim(inner, SimOptions{.record_journal = false});
  ASSERT_EQ(sim.grow(1), 0);
  sim.BeginMessage(MessageKind::kUpdate);
  sim.write(0, std::vector<uint8_t>{9});
  EXPECT_THROW(sim.CrashAtWrite(0), std::logic_error) << "replay needs the journal's bytes";
  sim.PowerFail();
  EXPECT_THROW(sim.write(1, std::vector<uint8_t>{9}), fp::Abort);
  sim.Reboot();
  EXPECT_EQ(inner.bytes()[0], 9);
}

TEST(SimCrashTest, RebootOfAQueryDiscardsItsChanges) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.BeginMessage(MessageKind::kQuery);
  sim.write(0, std::vector<uint8_t>{9});
  sim.CrashAtWrite(1);
  sim.Reboot();
  EXPECT_EQ(inner.bytes()[0], 0);
}

// A message whose write 1 covers sectors partially at both ends: 5000 bytes at 1000 cover [1000, 6000), i.e.
// sectors 1..11 (11 sectors; the first and last only in part).
struct TornFixture {
  HeapStableMemory inner;
  SimStableMemory sim{inner};
  std::vector<uint8_t> old_image;
  static constexpr uint64_t kOffset = 1000;
  static constexpr uint64_t kLength = 5000;

  TornFixture() {
    sim.grow(1);
    sim.write(0, std::vector<uint8_t>(kWasmPageBytes, 0xAA));
    sim.BeginMessage(MessageKind::kUpdate);
    sim.write(60000, std::vector<uint8_t>(10, 0x11));  // write 0 persists
    old_image = sim.Image();
    sim.write(kOffset, std::vector<uint8_t>(kLength, 0x55));  // write 1: the one to tear
    sim.write(0, std::vector<uint8_t>(kWasmPageBytes, 0x77));  // write 2 never happens
  }

  // Checks that only whole sectors of the torn write changed and returns which of its 11 sectors landed.
  std::vector<bool> LandedSectors() {
    const std::vector<uint8_t> image = sim.Image();
    for (uint64_t i = 0; i < image.size(); ++i) {
      if (i < kOffset || i >= kOffset + kLength) {
        EXPECT_EQ(image[i], old_image[i]) << "byte " << i;
      }
    }
    std::vector<bool> landed;
    for (uint64_t sector = kOffset / kSectorBytes; sector <= (kOffset + kLength - 1) / kSectorBytes; ++sector) {
      const uint64_t begin = std::max(kOffset, sector * kSectorBytes);
      const uint64_t end = std::min(kOffset + kLength, (sector + 1) * kSectorBytes);
      const bool first_new = image[begin] == 0x55;
      for (uint64_t i = begin; i < end; ++i) {
        EXPECT_EQ(image[i], first_new ? 0x55 : 0xAA) << "sector " << sector << " is not whole at byte " << i;
      }
      landed.push_back(first_new);
    }
    return landed;
  }
};

TEST(SimCrashTest, TornPrefixPersistsTheFirstSectors) {
  TornFixture f;
  for (uint64_t kept = 0; kept <= 11; ++kept) {
    f.sim.TearAtWrite(1, Tear{.mode = Tear::Mode::kPrefix, .prefix_sectors = kept});
    ASSERT_TRUE(f.sim.frozen());
    const std::vector<bool> landed = f.LandedSectors();
    ASSERT_EQ(landed.size(), 11u);
    for (uint64_t s = 0; s < 11; ++s) EXPECT_EQ(landed[s], s < kept) << "kept " << kept << " sector " << s;

    const std::vector<InjectedFault> faults = f.sim.InjectedFaults();
    ASSERT_EQ(faults.size(), 1u);
    EXPECT_EQ(faults[0].action, fp::Action::kTorn);
    EXPECT_EQ(faults[0].write_index, 1u);
    EXPECT_EQ(faults[0].offset_bytes, TornFixture::kOffset);
    // Relative to the write: sector 1 ends at 1024, i.e. 24 bytes into the write; then 512 per sector.
    const uint64_t persisted = kept == 0 ? 0 : std::min<uint64_t>(24 + (kept - 1) * 512, TornFixture::kLength);
    if (kept == 0) {
      EXPECT_TRUE(faults[0].persisted_ranges.empty());
    } else {
      EXPECT_EQ(faults[0].persisted_ranges, (ByteRanges{{0, persisted}})) << "kept " << kept;
    }
  }
}

TEST(SimCrashTest, TornSubsetPersistsWholeSectorsChosenBySeed) {
  TornFixture f;
  int some_but_not_all = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    f.sim.TearAtWrite(1, Tear{.mode = Tear::Mode::kSubset, .seed = seed});
    const std::vector<bool> landed = f.LandedSectors();
    const auto count = std::count(landed.begin(), landed.end(), true);
    if (count > 0 && count < 11) ++some_but_not_all;

    // The record says exactly which bytes landed.
    const std::vector<InjectedFault> faults = f.sim.InjectedFaults();
    ASSERT_EQ(faults.size(), 1u);
    std::vector<bool> recorded(TornFixture::kLength, false);
    for (const auto& [begin, end] : faults[0].persisted_ranges) {
      for (uint64_t i = begin; i < end; ++i) recorded[i] = true;
    }
    const std::vector<uint8_t> image = f.sim.Image();
    for (uint64_t i = 0; i < TornFixture::kLength; ++i) {
      ASSERT_EQ(recorded[i], image[TornFixture::kOffset + i] == 0x55) << "seed " << seed << " byte " << i;
    }

    // Deterministic: the same seed tears the same way.
    const std::vector<uint8_t> first = f.sim.Image();
    f.sim.TearAtWrite(1, Tear{.mode = Tear::Mode::kSubset, .seed = seed});
    EXPECT_EQ(f.sim.Image(), first);
  }
  EXPECT_GT(some_but_not_all, 10) << "subsets should mostly be genuine tears";
}

TEST(SimCrashTest, RebootAfterATearKeepsTheTornStateAndItsFault) {
  TornFixture f;
  f.sim.TearAtWrite(1, Tear{.mode = Tear::Mode::kPrefix, .prefix_sectors = 2});
  const std::vector<uint8_t> torn = f.sim.Image();
  f.sim.Reboot();
  EXPECT_EQ(f.sim.Image(), torn);
  const std::vector<InjectedFault> faults = f.sim.InjectedFaults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].message_ordinal, 1u);
  EXPECT_EQ(faults[0].persisted_ranges, (ByteRanges{{0, 24 + 512}}));
  f.sim.ClearFaultRecord();
  EXPECT_TRUE(f.sim.InjectedFaults().empty());
}

}  // namespace
}  // namespace stablevfs::sim
