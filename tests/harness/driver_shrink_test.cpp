// Shrink and localization: deterministic, minimal, and exact about where a storage fault struck.
//
// Goal: the shrinker must drop what does not matter (padding ops and statements around a planted fault), keep
// the property, give the same answer every time, refuse an input that does not fail; and the localizer must
// turn recorded storage faults into the exact arm chain that re-injects them. Method: hand-written op lists
// with an explicit lost write, and hand-built LocatedFaults.
#include "harness/driver/shrink.h"

#include <gtest/gtest.h>

#include "failpoints/registry.h"
#include "harness/driver/replay.h"
#include "harness/ops/op_text.h"

namespace stablevfs::driver {
namespace {

std::vector<ops::Op> Parse(std::initializer_list<const char*> lines) {
  std::vector<ops::Op> out;
  for (const char* line : lines) out.push_back(ops::ParseOp(line).value());
  return out;
}

class DriverShrinkTest : public ::testing::Test {
 protected:
  void TearDown() override { fp::ClearAll(); }
};

TEST_F(DriverShrinkTest, PaddingAroundAFaultIsRemovedDeterministically) {
  const std::vector<ops::Op> failing = Parse({
      "update CREATE TABLE t(a INTEGER PRIMARY KEY, b BLOB)",
      "kv-put k1 'padding'",
      "query SELECT count(*) FROM t",
      "update INSERT INTO t VALUES(1, zeroblob(100)); INSERT INTO t VALUES(2, x'02')",
      "checksum",
      "arm memory.write=nth(1):lost",
      "update INSERT INTO t VALUES(3, zeroblob(50000)); UPDATE t SET b = x'03' WHERE a = 1",
      "query SELECT a FROM t ORDER BY a",
      "upgrade",
  });
  ShrinkOptions options;
  options.session.seed = 3;
  const ShrinkResult first = Shrink(failing, options);
  ASSERT_TRUE(first.reproduced);
  EXPECT_EQ(first.property, "image");
  EXPECT_EQ(first.violation.property, "image");
  EXPECT_LE(first.length(), 3u) << first.scenario;
  for (const ops::Op& op : first.ops) {
    if (const auto* update = std::get_if<ops::UpdateOp>(&op)) {
      EXPECT_EQ(update->statements.size(), 1u);
    }
  }
  const ShrinkResult second = Shrink(failing, options);
  EXPECT_EQ(second.ops, first.ops);
  EXPECT_EQ(second.scenario, first.scenario);
  const ReplayResult replay = ReplayText(first.scenario);
  EXPECT_TRUE(replay.passed) << replay.failure;
}

TEST_F(DriverShrinkTest, InputThatDoesNotFailIsNotShrunk) {
  const ShrinkResult result = Shrink(Parse({"update CREATE TABLE t(a)", "query SELECT * FROM t"}), {});
  EXPECT_FALSE(result.reproduced);
  EXPECT_TRUE(result.ops.empty());
}

TEST_F(DriverShrinkTest, StorageFaultsBecomeAnExactArmChain) {
  const std::vector<ops::Op> input = Parse({"update CREATE TABLE t(a)", "arm commit.page_write=trap",
                                            "update INSERT INTO t VALUES(1)", "query SELECT 1"});
  sim::InjectedFault misdirect;
  misdirect.action = fp::Action::kMisdirect;
  misdirect.offset_bytes = 65536;
  misdirect.landed_offset_bytes = 65536 + 4096;
  sim::InjectedFault flip;
  flip.action = fp::Action::kBitflip;
  flip.flipped_bit = 5;
  sim::InjectedFault lost;
  lost.action = fp::Action::kLost;
  std::vector<std::vector<ops::LocatedFault>> faults(input.size());
  faults[0] = {ops::LocatedFault{lost, 1}};
  faults[2] = {ops::LocatedFault{flip, 7}, ops::LocatedFault{misdirect, 3}};
  std::optional<std::vector<ops::Op>> localized = LocalizeStorageFaults(input, faults);
  ASSERT_TRUE(localized.has_value());
  const std::vector<ops::Op> expected = Parse({
      "arm memory.write=1*lost",
      "update CREATE TABLE t(a)",
      "arm commit.page_write=trap",
      "arm memory.write=2*off->1*misdirect(+4096)->3*off->1*bitflip(5)",
      "update INSERT INTO t VALUES(1)",
      "query SELECT 1",
  });
  ASSERT_EQ(localized->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(ops::PrintOp((*localized)[i]), ops::PrintOp(expected[i]));

  // A torn write cannot be re-injected without its crash, and an op that arms memory.write itself shadows it.
  sim::InjectedFault torn;
  torn.action = fp::Action::kTorn;
  faults[2] = {ops::LocatedFault{torn, 2}};
  EXPECT_FALSE(LocalizeStorageFaults(input, faults).has_value());
  const std::vector<ops::Op> shadowed = Parse({"arm memory.write=nth(2):crash", "update CREATE TABLE t(a)"});
  std::vector<std::vector<ops::LocatedFault>> shadowed_faults(2);
  shadowed_faults[1] = {ops::LocatedFault{lost, 1}};
  EXPECT_FALSE(LocalizeStorageFaults(shadowed, shadowed_faults).has_value());
}

}  // namespace
}  // namespace stablevfs::driver
