// The memory.write failpoint of SimStableMemory: every action does what the catalogue says, and the fault
// record and the journal tell the injected faults apart from the true bytes.
//
// Goal: armed through the real registry (fp::Arm with a spec, per thread), trap lands the write and throws;
// crash freezes before it; torn lands part of it and freezes; lost, misdirect and bitflip return normally
// with the storage fault in memory and in InjectedFaults(); HealStorageFaults lands the true bytes; seeded
// choices are deterministic and stay in bounds; the site is in the global catalogue with exactly its six
// actions. Method: small messages of three writes with the failpoint firing on the second (nth(2)), the
// memory compared byte for byte with what each action promises. Old bytes (0xAA) and new bytes (0x55) differ
// everywhere, so a byte that landed is never mistaken for one that did not.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "failpoints/catalogue.h"
#include "failpoints/registry.h"
#include "harness/sim/sim_failpoints.h"
#include "harness/sim/sim_stable_memory.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs::sim {
namespace {

constexpr uint64_t kOffset = 9000;  // write 1 lands here: 5000 bytes, sectors 17..27, OS pages 2..3
constexpr uint64_t kLength = 5000;

class SimFailpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
#if !STABLEVFS_FAILPOINTS_ENABLED
    GTEST_SKIP() << "failpoint sites are compiled out (STABLEVFS_FAILPOINTS=OFF)";
#endif
    sim_.grow(2);
    sim_.write(0, std::vector<uint8_t>(sim_.size_bytes(), 0xAA));  // setup, before anything is armed
    before_ = sim_.Image();
  }

  // Arms `spec`, opens a message, writes: 0 (10 bytes at 0), 1 (the interesting one), 2 (10 bytes at 100).
  // Returns the action of the fp::Abort that ended the message, or kOff when it ran to the end.
  fp::Action Run(std::string_view spec) {
    const fp::SpecStatus armed = fp::Arm(spec);
    EXPECT_TRUE(armed.ok()) << armed.message();
    sim_.BeginMessage(MessageKind::kUpdate);
    try {
      sim_.write(0, std::vector<uint8_t>(10, 0x55));
      sim_.write(kOffset, std::vector<uint8_t>(kLength, 0x55));
      sim_.write(100, std::vector<uint8_t>(10, 0x55));
    } catch (const fp::Abort& abort) {
      EXPECT_EQ(abort.site(), "memory.write");
      return abort.action();
    }
    return fp::Action::kOff;
  }

  // The image if writes 0..k-1 landed as meant.
  std::vector<uint8_t> Expected(int writes) const {
    std::vector<uint8_t> image = before_;
    if (writes > 0) std::fill_n(image.begin(), 10, 0x55);
    if (writes > 1) std::fill_n(image.begin() + kOffset, kLength, 0x55);
    if (writes > 2) std::fill_n(image.begin() + 100, 10, 0x55);
    return image;
  }

  fp::ScopedRegistryReset reset_;
  HeapStableMemory inner_;
  SimStableMemory sim_{inner_, SimOptions{.seed = 42}};
  std::vector<uint8_t> before_;
};

TEST(SimFailpointCatalogueTest, IsInTheGlobalCatalogueWithItsSixActions) {
  fp::ScopedRegistryReset reset;
  const std::optional<fp::SiteInfo> site = fp::Catalogue::Global().Find("memory.write");
  ASSERT_TRUE(site.has_value());
  EXPECT_EQ(site->layer, "harness/sim: every stable write");
  for (const fp::Action action : {fp::Action::kTrap, fp::Action::kCrash, fp::Action::kTorn, fp::Action::kLost,
                                  fp::Action::kMisdirect, fp::Action::kBitflip}) {
    EXPECT_TRUE(site->Accepts(action)) << fp::ActionName(action);
  }
  EXPECT_FALSE(site->Accepts(fp::Action::kError));
  ASSERT_EQ(SimFailpoints().size(), 1u);
  EXPECT_EQ(SimFailpoints()[0], *site);
  EXPECT_FALSE(fp::Arm("memory.write=error").ok()) << "the catalogue rejects error at memory.write";
}

TEST_F(SimFailpointTest, IsEvaluatedOnEveryWrite) {
  const uint64_t hits = fp::Hits("memory.write");
  EXPECT_EQ(Run(""), fp::Action::kOff);
  sim_.CommitMessage();
  sim_.write(0, std::vector<uint8_t>(1, 1));  // outside a message too
  EXPECT_EQ(fp::Hits("memory.write"), hits + 4);
}

TEST_F(SimFailpointTest, TrapLandsTheWriteThenThrows) {
  EXPECT_EQ(Run("memory.write=nth(2):trap"), fp::Action::kTrap);
  EXPECT_EQ(sim_.Image(), Expected(2));
  EXPECT_FALSE(sim_.frozen());
  EXPECT_TRUE(sim_.InjectedFaults().empty()) << "a trap is not a storage fault";
  sim_.TrapMessage();
  EXPECT_EQ(sim_.Image(), before_);
}

TEST_F(SimFailpointTest, CrashFreezesBeforeTheWrite) {
  EXPECT_EQ(Run("memory.write=nth(2):crash"), fp::Action::kCrash);
  EXPECT_TRUE(sim_.frozen());
  EXPECT_EQ(sim_.Image(), Expected(1));
  EXPECT_EQ(sim_.write_count(), 1u) << "the write the power failed before is not an event";
  EXPECT_THROW(sim_.write(0, std::vector<uint8_t>(1)), fp::Abort);
  sim_.Reboot();
  EXPECT_EQ(sim_.Image(), Expected(1));
}

TEST_F(SimFailpointTest, TornPrefixLandsLeadingSectorsThenFreezes) {
  EXPECT_EQ(Run("memory.write=nth(2):torn(prefix)"), fp::Action::kTorn);
  EXPECT_TRUE(sim_.frozen());
  const std::vector<uint8_t> image = sim_.Image();
  // Write 1 covers [9000, 14000): sector 17 from 9000 to 9216, then whole sectors up to 27, which ends at 14000.
  const auto landed_end = std::find(image.begin() + kOffset, image.begin() + kOffset + kLength, 0xAA);
  const uint64_t landed_bytes = static_cast<uint64_t>(landed_end - (image.begin() + kOffset));
  EXPECT_GT(landed_bytes, 0u) << "a genuine tear lands something";
  EXPECT_LT(landed_bytes, kLength) << "and not everything";
  EXPECT_EQ((kOffset + landed_bytes) % kSectorBytes, 0u) << "it stops at a sector boundary";
  std::vector<uint8_t> expected = Expected(1);
  std::fill_n(expected.begin() + kOffset, landed_bytes, 0x55);
  EXPECT_EQ(image, expected);

  const std::vector<InjectedFault> faults = sim_.InjectedFaults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].action, fp::Action::kTorn);
  EXPECT_EQ(faults[0].persisted_ranges, (ByteRanges{{0, landed_bytes}}));
  // The journal still holds the whole true write, so a harness can also place the crash elsewhere.
  sim_.CrashAtWrite(2);
  EXPECT_EQ(sim_.Image(), expected) << "event 1 is the torn write as it happened";
  sim_.CrashAtWrite(1);
  EXPECT_EQ(sim_.Image(), Expected(1));
}

TEST_F(SimFailpointTest, TornSubsetLandsWholeSectors) {
  EXPECT_EQ(Run("memory.write=nth(2):torn(subset)"), fp::Action::kTorn);
  const std::vector<uint8_t> image = sim_.Image();
  const std::vector<InjectedFault> faults = sim_.InjectedFaults();
  ASSERT_EQ(faults.size(), 1u);
  std::vector<uint8_t> expected = Expected(1);
  for (const auto& [begin, end] : faults[0].persisted_ranges) {
    EXPECT_TRUE(begin == 0 || (kOffset + begin) % kSectorBytes == 0) << begin;
    EXPECT_TRUE(end == kLength || (kOffset + end) % kSectorBytes == 0) << end;
    std::fill(expected.begin() + static_cast<ptrdiff_t>(kOffset + begin),
              expected.begin() + static_cast<ptrdiff_t>(kOffset + end), 0x55);
  }
  EXPECT_EQ(image, expected);
}

TEST_F(SimFailpointTest, TornWithAByteCountLandsExactlyThatPrefix) {
  EXPECT_EQ(Run("memory.write=nth(2):torn(700)"), fp::Action::kTorn);
  std::vector<uint8_t> expected = Expected(1);
  std::fill_n(expected.begin() + kOffset, 700, 0x55);
  EXPECT_EQ(sim_.Image(), expected);
}

TEST_F(SimFailpointTest, LostWriteReturnsNormallyAndNeverLands) {
  EXPECT_EQ(Run("memory.write=nth(2):lost"), fp::Action::kOff);
  std::vector<uint8_t> expected = Expected(3);
  std::fill_n(expected.begin() + kOffset, kLength, 0xAA);
  EXPECT_EQ(sim_.Image(), expected);
  const std::vector<InjectedFault> faults = sim_.InjectedFaults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0], (InjectedFault{.action = fp::Action::kLost,
                                      .message_ordinal = 1,
                                      .write_index = 1,
                                      .offset_bytes = kOffset,
                                      .length_bytes = kLength,
                                      .landed_offset_bytes = kOffset,
                                      .flipped_bit = 0,
                                      .persisted_ranges = {}}));
  EXPECT_EQ(ToString(faults[0]), "lost message 1 write 1: 5000 bytes meant for 9000 never landed");

  sim_.HealStorageFaults();  // the true bytes are in the journal
  EXPECT_EQ(sim_.Image(), Expected(3));
  EXPECT_TRUE(sim_.InjectedFaults().empty());
  sim_.TrapMessage();
  EXPECT_EQ(sim_.Image(), before_);
}

TEST_F(SimFailpointTest, MisdirectWithADeltaLandsThere) {
  EXPECT_EQ(Run("memory.write=nth(2):misdirect(+65536)"), fp::Action::kOff);
  std::vector<uint8_t> expected = Expected(3);
  std::fill_n(expected.begin() + kOffset, kLength, 0xAA);
  std::fill_n(expected.begin() + kOffset + 65536, kLength, 0x55);
  EXPECT_EQ(sim_.Image(), expected);
  const std::vector<InjectedFault> faults = sim_.InjectedFaults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].action, fp::Action::kMisdirect);
  EXPECT_EQ(faults[0].landed_offset_bytes, kOffset + 65536);

  sim_.TrapMessage();  // the misdirected pages are undone too
  EXPECT_EQ(sim_.Image(), before_);
}

TEST_F(SimFailpointTest, MisdirectOutOfBoundsIsLost) {
  EXPECT_EQ(Run("memory.write=nth(2):misdirect(-65536)"), fp::Action::kOff);
  const std::vector<InjectedFault> faults = sim_.InjectedFaults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].action, fp::Action::kLost);
  std::vector<uint8_t> expected = Expected(3);
  std::fill_n(expected.begin() + kOffset, kLength, 0xAA);
  EXPECT_EQ(sim_.Image(), expected);
}

TEST_F(SimFailpointTest, SeededMisdirectShiftsByWholePagesInBoundsDeterministically) {
  EXPECT_EQ(Run("memory.write=nth(2):misdirect"), fp::Action::kOff);
  const std::vector<InjectedFault> faults = sim_.InjectedFaults();
  ASSERT_EQ(faults.size(), 1u);
  ASSERT_EQ(faults[0].action, fp::Action::kMisdirect);
  const uint64_t landed = faults[0].landed_offset_bytes;
  EXPECT_NE(landed, kOffset);
  EXPECT_EQ((landed > kOffset ? landed - kOffset : kOffset - landed) % kOsPageBytes, 0u);
  EXPECT_LE(landed + kLength, sim_.size_bytes());
  std::vector<uint8_t> expected = Expected(3);
  std::fill_n(expected.begin() + kOffset, kLength, 0xAA);
  std::fill_n(expected.begin() + static_cast<ptrdiff_t>(landed), kLength, 0x55);
  if (landed < 110) std::fill_n(expected.begin() + 100, 10, 0x55);  // write 2 lands after it
  if (landed < 10) std::fill_n(expected.begin(), 10, 0x55);
  EXPECT_EQ(sim_.Image(), expected);
  sim_.TrapMessage();

  // Same seed, same choice; and the choices spread over several targets across seeds.
  std::set<uint64_t> targets;
  for (uint64_t seed = 40; seed < 56; ++seed) {
    HeapStableMemory inner;
    SimStableMemory sim(inner, SimOptions{.seed = seed});
    sim.grow(2);
    ASSERT_TRUE(fp::Arm("memory.write=misdirect").ok());
    sim.BeginMessage(MessageKind::kUpdate);
    sim.write(kOffset, std::vector<uint8_t>(kLength, 0x55));
    sim.write(kOffset, std::vector<uint8_t>(kLength, 0x55));
    const std::vector<InjectedFault> two = sim.InjectedFaults();
    ASSERT_EQ(two.size(), 2u);
    targets.insert(two[0].landed_offset_bytes);
    if (seed == 42) {
      EXPECT_EQ(two[0].landed_offset_bytes, landed);
    }
  }
  EXPECT_GE(targets.size(), 5u);
}

TEST_F(SimFailpointTest, BitflipLandsWithExactlyOneBitInverted) {
  EXPECT_EQ(Run("memory.write=nth(2):bitflip(13)"), fp::Action::kOff);
  std::vector<uint8_t> expected = Expected(3);
  expected[kOffset + 1] ^= 1 << 5;  // bit 13 = byte 1, bit 5
  EXPECT_EQ(sim_.Image(), expected);
  const std::vector<InjectedFault> faults = sim_.InjectedFaults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].action, fp::Action::kBitflip);
  EXPECT_EQ(faults[0].flipped_bit, 13u);
  sim_.HealStorageFaults();
  EXPECT_EQ(sim_.Image(), Expected(3));
}

TEST_F(SimFailpointTest, SeededBitflipFlipsOneBitOfTheWrite) {
  EXPECT_EQ(Run("memory.write=nth(2):bitflip"), fp::Action::kOff);
  const std::vector<uint8_t> image = sim_.Image();
  const std::vector<uint8_t> expected = Expected(3);
  int flipped_bits = 0;
  for (size_t i = 0; i < image.size(); ++i) {
    const int diff = image[i] ^ expected[i];
    if (diff != 0) {
      EXPECT_TRUE(i >= kOffset && i < kOffset + kLength) << i;
    }
    flipped_bits += __builtin_popcount(static_cast<unsigned>(diff));
  }
  EXPECT_EQ(flipped_bits, 1);
}

TEST_F(SimFailpointTest, FaultsOfCommittedMessagesStayListedAndRolledBackOnesDoNot) {
  EXPECT_EQ(Run("memory.write=nth(2):lost"), fp::Action::kOff);
  sim_.CommitMessage();
  ASSERT_EQ(sim_.InjectedFaults().size(), 1u);
  fp::ClearAll();
  EXPECT_EQ(Run("memory.write=nth(1):bitflip"), fp::Action::kOff);
  EXPECT_EQ(sim_.InjectedFaults().size(), 2u);
  sim_.TrapMessage();
  EXPECT_EQ(sim_.InjectedFaults().size(), 1u) << "the bit flip went with its message";
}

TEST_F(SimFailpointTest, OutsideAMessageFaultsAreRecordedAndTornFreezes) {
  ASSERT_TRUE(fp::Arm("memory.write=1*lost->1*torn(3)").ok());
  sim_.write(10, std::vector<uint8_t>(5, 0x55));  // lost
  EXPECT_EQ(sim_.Image(), before_);
  try {
    sim_.write(20, std::vector<uint8_t>(5, 0x55));  // torn: 3 bytes land
    FAIL() << "torn did not throw";
  } catch (const fp::Abort& abort) {
    EXPECT_EQ(abort.action(), fp::Action::kTorn);
  }
  EXPECT_TRUE(sim_.frozen());
  std::vector<uint8_t> expected = before_;
  std::fill_n(expected.begin() + 20, 3, 0x55);
  EXPECT_EQ(sim_.Image(), expected);
  const std::vector<InjectedFault> faults = sim_.InjectedFaults();
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_EQ(faults[0].action, fp::Action::kLost);
  EXPECT_EQ(faults[0].message_ordinal, 0u);
  EXPECT_EQ(faults[1].action, fp::Action::kTorn);
  EXPECT_EQ(faults[1].persisted_ranges, (ByteRanges{{0, 3}}));
  sim_.Reboot();
  EXPECT_FALSE(sim_.frozen());
}

TEST_F(SimFailpointTest, ErrorIsAProgrammingError) {
  // Armed around the catalogue (ValidateEntry would refuse it): the decorator refuses it too.
  fp::SetHook([](const fp::Fire& fire) {
    return fire.action == fp::Action::kTrap ? fp::Action::kError : fire.action;
  });
  ASSERT_TRUE(fp::Arm("memory.write=trap").ok());
  sim_.BeginMessage(MessageKind::kUpdate);
  EXPECT_THROW(sim_.write(0, std::vector<uint8_t>(1)), std::logic_error);
  sim_.TrapMessage();
}

}  // namespace
}  // namespace stablevfs::sim
