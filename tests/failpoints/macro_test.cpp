// The site macros, as the library uses them: STABLEVFS_FAILPOINT in a function returning a status type,
// STABLEVFS_FAILPOINT_RETURN with an explicit error value, STABLEVFS_FAILPOINT_EVAL for a decorator.
//
// Goal: an `error` site returns early with the injected error (naming the site), trap/crash/torn sites throw
// fp::Abort carrying the site name and the action, off and disarmed sites fall through, and each evaluation
// counts one hit. Method: tiny functions shaped like library code (a minimal status type that converts from
// fp::InjectedError, as lib's Status does) driven under each action. When the project is configured with
// STABLEVFS_FAILPOINTS=OFF the same functions must ignore an armed spec and count no hits: that build runs
// the second half of this file instead.

#include <gtest/gtest.h>

#include <string>

#include "failpoints/failpoint.h"
#include "failpoints/registry.h"

namespace stablevfs::fp {
namespace {

// The shape of lib's Status, reduced to what the macro needs.
class [[nodiscard]] MiniStatus {
 public:
  MiniStatus() = default;
  MiniStatus(InjectedError injected) : failed_site_(injected.site) {}  // NOLINT: the macro relies on it
  bool ok() const { return failed_site_.empty(); }
  const std::string& failed_site() const { return failed_site_; }
  void IgnoreError() const {}

 private:
  std::string failed_site_;
};

// Counts how far each function got, so a test can tell "returned early" from "ran to the end".
int reached_ = 0;

MiniStatus GuardedWrite() {
  STABLEVFS_FAILPOINT("macro.write");
  ++reached_;
  return {};
}

int GuardedGrow() {
  STABLEVFS_FAILPOINT_RETURN("macro.grow", -1);
  ++reached_;
  return 7;
}

Action DecoratorEval() { return STABLEVFS_FAILPOINT_EVAL("macro.eval"); }

class MacroTest : public ::testing::Test {
 protected:
  void SetUp() override { reached_ = 0; }
  ScopedRegistryReset reset_;
};

#if STABLEVFS_FAILPOINTS_ENABLED

TEST_F(MacroTest, DisarmedSiteFallsThroughAndCountsAHit) {
  EXPECT_TRUE(GuardedWrite().ok());
  EXPECT_EQ(GuardedGrow(), 7);
  EXPECT_EQ(DecoratorEval(), Action::kOff);
  EXPECT_EQ(reached_, 2);
  EXPECT_EQ(Hits("macro.write"), 1u);
  EXPECT_EQ(Hits("macro.grow"), 1u);
  EXPECT_EQ(Hits("macro.eval"), 1u);
}

TEST_F(MacroTest, ErrorReturnsTheInjectedErrorNamingTheSite) {
  ASSERT_TRUE(Arm("macro.write=1*error").ok());
  const MiniStatus status = GuardedWrite();
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.failed_site(), "macro.write");
  EXPECT_EQ(reached_, 0);
  EXPECT_TRUE(GuardedWrite().ok());  // 1* is spent
  EXPECT_EQ(reached_, 1);
}

TEST_F(MacroTest, ErrorReturnsTheGivenValue) {
  ASSERT_TRUE(Arm("macro.grow=nth(2):error").ok());
  EXPECT_EQ(GuardedGrow(), 7);
  EXPECT_EQ(GuardedGrow(), -1);
  EXPECT_EQ(GuardedGrow(), 7);
  EXPECT_EQ(reached_, 2);
  EXPECT_EQ(Fired("macro.grow", Action::kError), 1u);
}

TEST_F(MacroTest, TrapCrashAndTornThrowAbortWithTheSiteName) {
  for (Action action : {Action::kTrap, Action::kCrash, Action::kTorn}) {
    ClearAll();
    const std::string name(ActionName(action));
    ASSERT_TRUE(Arm("macro.write=" + name + ";macro.grow=" + name).ok());
    try {
      GuardedWrite().IgnoreError();
      ADD_FAILURE() << name << " did not throw";
    } catch (const Abort& abort) {
      EXPECT_EQ(abort.action(), action);
      EXPECT_EQ(abort.site(), "macro.write");
      EXPECT_EQ(std::string(abort.what()), "failpoint 'macro.write' fired with action '" + name + "'");
    }
    try {
      (void)GuardedGrow();
      ADD_FAILURE() << name << " did not throw from the _RETURN form";
    } catch (const Abort& abort) {
      EXPECT_EQ(abort.action(), action);
      EXPECT_EQ(abort.site(), "macro.grow");
    }
    EXPECT_EQ(Fired("macro.write", action), 1u);
  }
  EXPECT_EQ(reached_, 0);
}

TEST_F(MacroTest, EvalHandsTheActionToTheCaller) {
  ASSERT_TRUE(Arm("macro.eval=1*off->1*torn(subset)->1*bitflip(3)").ok());
  EXPECT_EQ(DecoratorEval(), Action::kOff);
  EXPECT_EQ(DecoratorEval(), Action::kTorn);
  ASSERT_TRUE(LastFire().has_value());
  EXPECT_EQ(LastFire()->argument.kind, Argument::Kind::kSubset);
  EXPECT_EQ(DecoratorEval(), Action::kBitflip);
  EXPECT_EQ(LastFire()->argument.number, 3);
  EXPECT_EQ(DecoratorEval(), Action::kOff);
  EXPECT_EQ(Hits("macro.eval"), 4u);
}

TEST_F(MacroTest, OffActionFallsThrough) {
  ASSERT_TRUE(Arm("macro.write=off").ok());
  EXPECT_TRUE(GuardedWrite().ok());
  EXPECT_EQ(reached_, 1);
}

#else  // !STABLEVFS_FAILPOINTS_ENABLED

TEST_F(MacroTest, CompiledOutSitesIgnoreArmingAndCountNothing) {
  ASSERT_TRUE(Arm("macro.write=error;macro.grow=error;macro.eval=trap").ok());
  EXPECT_TRUE(GuardedWrite().ok());
  EXPECT_EQ(GuardedGrow(), 7);
  EXPECT_EQ(DecoratorEval(), Action::kOff);
  EXPECT_EQ(reached_, 2);
  EXPECT_EQ(Hits("macro.write"), 0u);
  EXPECT_EQ(Hits("macro.grow"), 0u);
  EXPECT_EQ(Hits("macro.eval"), 0u);
}

#endif

}  // namespace
}  // namespace stablevfs::fp
