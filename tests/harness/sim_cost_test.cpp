// The IC cost model and per-message limits as SimStableMemory charges them.
//
// Goal: every number the decorator reports is the IC's arithmetic (20 + 1/byte per read or write call, 1,000
// per newly dirtied 4 KiB page, 500 per grow), per message and in total; limits trap with a message naming
// the limit, exactly when a counter passes its maximum and not at it; and accounting can be switched off.
// Method: hand-computed expectations for small, explicit sequences of calls.
#include <gtest/gtest.h>

#include <string>

#include "harness/sim/sim_stable_memory.h"
#include "lib/core/trap.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs::sim {
namespace {

TEST(SimCostTest, DefaultLimitsAreTheIcs) {
  EXPECT_EQ(DefaultLimits(MessageKind::kUpdate), (MessageLimits{40'000'000'000ull, 524'288}));
  EXPECT_EQ(DefaultLimits(MessageKind::kQuery), (MessageLimits{5'000'000'000ull, 262'144}));
  EXPECT_EQ(DefaultLimits(MessageKind::kUpgrade), (MessageLimits{300'000'000'000ull, 2'097'152}));
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  EXPECT_EQ(sim.limits(MessageKind::kQuery), DefaultLimits(MessageKind::kQuery));
}

TEST(SimCostTest, ChargesTheIcArithmetic) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(2), 0);
  sim.write(0, std::vector<uint8_t>(5000, 1));  // setup: not charged
  EXPECT_EQ(sim.total_counters(), CostCounters{});

  sim.BeginMessage(MessageKind::kUpdate);
  std::vector<uint8_t> buffer(100);
  sim.read(0, buffer);                                      // 20 + 100
  sim.write(0, std::vector<uint8_t>(10, 2));                // 20 + 10 + 1000 (page 0)
  sim.write(5, std::vector<uint8_t>(10, 2));                // 20 + 10 (page 0 again)
  sim.write(4095, std::vector<uint8_t>(4098, 2));           // 20 + 4098 + 2000 (bytes 4095..8192: pages 1, 2 new)
  sim.write(100, {});                                       // 20
  ASSERT_EQ(sim.grow(1), 2);                                // 500
  inner.set_max_pages(3);
  ASSERT_EQ(sim.grow(1), -1);                               // 500: a failed grow is still a call
  sim.ChargeInstructions(7);                                // the canister's own work

  CostCounters expected;
  expected.read_calls = 1;
  expected.write_calls = 4;
  expected.bytes_read = 100;
  expected.bytes_written = 10 + 10 + 4098;
  expected.grow_calls = 2;
  expected.dirty_pages = 3;
  expected.instructions = 120 + 1030 + 30 + (20 + 4098 + 2000) + 20 + 500 + 500 + 7;
  EXPECT_EQ(sim.message_counters(), expected);
  EXPECT_EQ(sim.message_counters().instructions, 8325u);
  EXPECT_EQ(sim.message_counters().calls(), 5u);
  sim.CommitMessage();
  EXPECT_EQ(sim.message_counters(), expected) << "the last message's counters stay readable after it ends";

  sim.BeginMessage(MessageKind::kQuery);
  sim.write(0, std::vector<uint8_t>(1, 3));  // 20 + 1 + 1000: page 0 is dirty again in a new message
  EXPECT_EQ(sim.message_counters().instructions, 1021u);
  sim.CommitMessage();
  CostCounters total = expected;
  total.write_calls += 1;
  total.bytes_written += 1;
  total.dirty_pages += 1;
  total.instructions += 1021;
  EXPECT_EQ(sim.total_counters(), total);
}

TEST(SimCostTest, InstructionLimitTrapsWhenPassedNotWhenReached) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.set_limits(MessageKind::kUpdate, {.instructions_max = 1030, .dirty_pages_max = 100});
  sim.BeginMessage(MessageKind::kUpdate);
  sim.write(0, std::vector<uint8_t>(10, 1));  // exactly 1030
  try {
    sim.write(0, std::vector<uint8_t>(1, 1));  // 1051 > 1030
    FAIL() << "no trap";
  } catch (const Trap& trap) {
    EXPECT_NE(std::string(trap.what()).find("instruction limit exceeded in update message"), std::string::npos)
        << trap.what();
  }
  EXPECT_EQ(inner.bytes()[0], 1) << "the trapping write was not performed";
  EXPECT_EQ(sim.write_count(), 1u) << "nor journaled";
  sim.TrapMessage();
  EXPECT_EQ(inner.bytes()[0], 0);
}

TEST(SimCostTest, DirtyPageLimitTraps) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.set_limits(MessageKind::kQuery, {.instructions_max = 1'000'000, .dirty_pages_max = 2});
  sim.BeginMessage(MessageKind::kQuery);
  sim.write(0, std::vector<uint8_t>(8192, 1));  // 2 pages: at the limit
  EXPECT_THROW(
      {
        try {
          sim.write(8192, std::vector<uint8_t>(1, 1));
        } catch (const Trap& trap) {
          EXPECT_NE(std::string(trap.what()).find("dirty page limit exceeded in query message: 3 > 2"),
                    std::string::npos)
              << trap.what();
          throw;
        }
      },
      Trap);
  sim.TrapMessage();
}

TEST(SimCostTest, ReadsAndGrowsCountAgainstTheInstructionLimit) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.set_limits(MessageKind::kUpgrade, {.instructions_max = 600, .dirty_pages_max = 10});
  sim.BeginMessage(MessageKind::kUpgrade);
  ASSERT_EQ(sim.grow(1), 1);  // 500
  std::vector<uint8_t> buffer(80);
  sim.read(0, buffer);  // 600: at the limit
  EXPECT_THROW(sim.grow(1), Trap);
  EXPECT_EQ(sim.size_pages(), 2u) << "the trapping grow did not happen";
  EXPECT_THROW(sim.ChargeInstructions(1), Trap);
  sim.TrapMessage();
  EXPECT_EQ(sim.size_pages(), 1u);
}

TEST(SimCostTest, AccountingOffChargesNothingAndNeverTraps) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.set_cost_accounting(false);
  sim.set_limits(MessageKind::kUpdate, {.instructions_max = 0, .dirty_pages_max = 0});
  sim.BeginMessage(MessageKind::kUpdate);
  sim.write(0, std::vector<uint8_t>(10000, 1));
  sim.ChargeInstructions(1'000'000);
  EXPECT_EQ(sim.message_counters(), CostCounters{});
  EXPECT_EQ(sim.dirty_pages(), 3u);
  sim.CommitMessage();
  EXPECT_EQ(inner.bytes()[9999], 1);
}

TEST(SimCostTest, ACustomCostModelIsUsed) {
  HeapStableMemory inner;
  SimStableMemory sim(inner);
  ASSERT_EQ(sim.grow(1), 0);
  sim.set_cost_model(CostModel{.access_call_instructions = 1,
                               .access_byte_instructions = 2,
                               .dirty_page_instructions = 3,
                               .grow_call_instructions = 4});
  sim.BeginMessage(MessageKind::kUpdate);
  sim.write(0, std::vector<uint8_t>(5, 1));  // 1 + 10 + 3
  ASSERT_EQ(sim.grow(0), 1);                 // 4
  EXPECT_EQ(sim.message_counters().instructions, 18u);
  sim.CommitMessage();
}

}  // namespace
}  // namespace stablevfs::sim
