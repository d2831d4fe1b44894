// The per-thread registry: arming, counters, isolation between threads, the PRNG seed, the hook.
//
// Goal: show that failpoint state is private to a thread (arming on one thread never changes what another
// sees), that hit and fired counters count exactly what they claim, that a spec is armed whole or not at
// all, that ClearAll really returns a thread to its initial state, and that the inline fast path is the one
// taken while nothing is armed. Method: evaluate sites through fp::Evaluate (what every macro expands to),
// on the test thread and on worker threads, and compare counters, snapshots and fire patterns with the
// expected values. Every test starts and ends with a ScopedRegistryReset.

#include "failpoints/registry.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace stablevfs::fp {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  ScopedRegistryReset reset_;
};

// Evaluates `name` `n` times and returns the actions as one letter each ('.' off, 'E' error, 'T' trap, ...).
std::string Drive(std::string_view name, int n) {
  static const char kLetters[] = ".ETCWLMB";
  const SiteId site = Intern(name);
  std::string out;
  for (int i = 0; i < n; ++i) out += kLetters[static_cast<int>(Evaluate(site))];
  return out;
}

void MustArm(std::string_view spec) {
  const SpecStatus status = Arm(spec);
  ASSERT_TRUE(status.ok()) << spec << ": " << status.message();
}

TEST_F(RegistryTest, InternIsStableAndDistinct) {
  const SiteId a = Intern("registry.intern_a");
  const SiteId b = Intern("registry.intern_b");
  EXPECT_NE(a, b);
  EXPECT_EQ(Intern("registry.intern_a"), a);
  EXPECT_EQ(SiteName(a), "registry.intern_a");
  EXPECT_EQ(FindSiteId("registry.intern_b"), b);
  EXPECT_EQ(FindSiteId("registry.never_interned"), std::nullopt);
}

TEST_F(RegistryTest, InternIsConsistentAcrossConcurrentThreads) {
  constexpr int kThreads = 4;
  constexpr int kNames = 200;
  std::vector<std::vector<SiteId>> ids(kThreads, std::vector<SiteId>(kNames));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &ids] {
      // Each thread interns the same names in a different order (a rotation, reversed for odd threads).
      for (int i = 0; i < kNames; ++i) {
        const int rotated = (i + 50 * t) % kNames;
        const int n = t % 2 == 0 ? rotated : kNames - 1 - rotated;
        ids[t][n] = Intern("registry.concurrent_" + std::to_string(n));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(ids[t], ids[0]);
  for (int n = 0; n < kNames; ++n) EXPECT_EQ(SiteName(ids[0][n]), "registry.concurrent_" + std::to_string(n));
}

TEST_F(RegistryTest, DisarmedSitesCountHitsAndReturnOff) {
  EXPECT_EQ(Drive("registry.idle", 5), ".....");
  EXPECT_EQ(Hits("registry.idle"), 5u);
  EXPECT_EQ(Hits("registry.never_interned"), 0u);
  EXPECT_TRUE(Snapshot().fired.empty());
}

TEST_F(RegistryTest, FastPathIsTakenOnlyWhileNothingIsArmed) {
  // White-box check of the cost claim: with nothing armed, the inline path (limit > site) is what runs;
  // arming anything closes it so that armed sites reach their trigger.
  const SiteId site = Intern("registry.fast");
  (void)Evaluate(site);  // the first evaluation on a thread sizes its counters
  EXPECT_GT(internal::tls_fast_path.limit, site);
  MustArm("registry.other=error");
  EXPECT_EQ(internal::tls_fast_path.limit, 0u);
  Disarm("registry.other");
  EXPECT_GT(internal::tls_fast_path.limit, site);
  SetHook([](const Fire& fire) { return fire.action; });
  EXPECT_EQ(internal::tls_fast_path.limit, 0u);
  SetHook(nullptr);
  EXPECT_GT(internal::tls_fast_path.limit, site);
  EXPECT_EQ(Hits("registry.fast"), 1u);
}

TEST_F(RegistryTest, ArmedSiteFiresAndCountsFired) {
  MustArm("registry.armed=2*error->1*trap");
  EXPECT_EQ(Drive("registry.armed", 5), "EET..");
  EXPECT_EQ(Hits("registry.armed"), 5u);
  EXPECT_EQ(Fired("registry.armed", Action::kError), 2u);
  EXPECT_EQ(Fired("registry.armed", Action::kTrap), 1u);
  EXPECT_EQ(Fired("registry.armed", Action::kCrash), 0u);
}

TEST_F(RegistryTest, HitsCountFromBeforeArmingAndArmingRestartsTheChain) {
  EXPECT_EQ(Drive("registry.rearm", 3), "...");
  MustArm("registry.rearm=nth(2):crash");
  EXPECT_EQ(Drive("registry.rearm", 3), ".C.");  // the chain counts its own evaluations, not the site's hits
  MustArm("registry.rearm=nth(2):crash");        // re-arming replaces and restarts
  EXPECT_EQ(Drive("registry.rearm", 3), ".C.");
  EXPECT_EQ(Hits("registry.rearm"), 9u);
  EXPECT_EQ(Fired("registry.rearm", Action::kCrash), 2u);
}

TEST_F(RegistryTest, DisarmStopsFiringButKeepsCounters) {
  MustArm("registry.disarm=error");
  EXPECT_EQ(Drive("registry.disarm", 2), "EE");
  Disarm("registry.disarm");
  Disarm("registry.not_armed");  // harmless
  EXPECT_EQ(Drive("registry.disarm", 2), "..");
  EXPECT_EQ(Hits("registry.disarm"), 4u);
  EXPECT_EQ(Fired("registry.disarm", Action::kError), 2u);
  EXPECT_TRUE(Armed().empty());
}

TEST_F(RegistryTest, ArmingIsPerThread) {
  MustArm("registry.isolated=error");
  std::string seen_elsewhere;
  uint64_t hits_elsewhere = 0;
  std::thread other([&] {
    seen_elsewhere = Drive("registry.isolated", 10);
    hits_elsewhere = Hits("registry.isolated");
  });
  other.join();
  EXPECT_EQ(seen_elsewhere, "..........");
  EXPECT_EQ(hits_elsewhere, 10u);
  EXPECT_EQ(Hits("registry.isolated"), 0u);  // the other thread's hits are its own
  EXPECT_EQ(Drive("registry.isolated", 2), "EE");

  // And the other way round: a thread's arming does not reach this one, nor survive in it.
  std::thread arming([] {
    ASSERT_TRUE(Arm("registry.isolated_2=trap").ok());
    EXPECT_EQ(Drive("registry.isolated_2", 1), "T");
  });
  arming.join();
  EXPECT_EQ(Drive("registry.isolated_2", 3), "...");
}

TEST_F(RegistryTest, ThreadsRunDifferentFaultsConcurrently) {
  constexpr int kThreads = 4;
  std::vector<std::string> patterns(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &patterns] {
      ScopedRegistryReset reset;
      ASSERT_TRUE(Arm("registry.parallel=nth(" + std::to_string(t + 1) + "):crash").ok());
      patterns[t] = Drive("registry.parallel", 2000);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    std::string expected(2000, '.');
    expected[t] = 'C';
    EXPECT_EQ(patterns[t], expected) << "thread " << t;
  }
}

TEST_F(RegistryTest, SpecIsArmedWholeOrNotAtAll) {
  SpecStatus status = Arm("registry.whole_a=error;registry.whole_b=bogus");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("unknown action 'bogus'"), std::string::npos) << status.message();
  EXPECT_TRUE(Armed().empty());
  EXPECT_EQ(Drive("registry.whole_a", 1), ".");

  // Structured arming is checked the same way.
  Term forever;
  forever.action = Action::kError;
  Term once;
  once.action = Action::kTrap;
  status = Arm("registry.whole_c", Chain{forever, once});
  EXPECT_EQ(status.message(),
            "failpoint 'registry.whole_c': term 2 is unreachable: the term before it never ends (give it a count "
            "K* or make it nth(N))");
  Spec twice;
  twice.entries = {{"registry.whole_d", {forever}}, {"registry.whole_d", {once}}};
  status = Arm(twice);
  EXPECT_NE(status.message().find("named twice"), std::string::npos) << status.message();
  EXPECT_TRUE(Armed().empty());
}

TEST_F(RegistryTest, ArmedListsChainsSortedByName) {
  MustArm("registry.z=1*off->trap;registry.a=every(2):error");
  EXPECT_EQ(ToString(Armed()), "registry.a=every(2):error;registry.z=1*off->trap");
  (void)Drive("registry.z", 5);  // progress does not change what Armed reports
  EXPECT_EQ(ToString(Armed()), "registry.a=every(2):error;registry.z=1*off->trap");
}

TEST_F(RegistryTest, SnapshotHoldsNonZeroHitsAndFiredPerAction) {
  MustArm("registry.snap_a=1*error->1*crash->trap");
  (void)Drive("registry.snap_a", 4);
  (void)Drive("registry.snap_b", 2);
  const HitSnapshot snapshot = Snapshot();
  HitSnapshot expected;
  expected.hits = {{"registry.snap_a", 4}, {"registry.snap_b", 2}};
  expected.fired = {{{"registry.snap_a", Action::kError}, 1},
                    {{"registry.snap_a", Action::kCrash}, 1},
                    {{"registry.snap_a", Action::kTrap}, 2}};
  EXPECT_EQ(snapshot, expected);
  EXPECT_EQ(snapshot.HitsOf("registry.snap_b"), 2u);
  EXPECT_EQ(snapshot.HitsOf("registry.none"), 0u);
  EXPECT_EQ(snapshot.FiredOf("registry.snap_a", Action::kTrap), 2u);
  EXPECT_EQ(snapshot.FiredOf("registry.snap_b", Action::kTrap), 0u);
}

TEST_F(RegistryTest, ClearAllReturnsTheThreadToItsInitialState) {
  // The draws of a fresh thread, for comparison after ClearAll.
  MustArm("registry.clear=50%error");
  const std::string fresh = Drive("registry.clear", 100);
  ClearAll();

  SetSeed(77);
  MustArm("registry.clear=50%error");
  SetHook([](const Fire&) { return Action::kTrap; });
  (void)Drive("registry.clear", 10);
  ASSERT_TRUE(LastFire().has_value());
  ClearAll();

  EXPECT_TRUE(Armed().empty());
  EXPECT_EQ(Hits("registry.clear"), 0u);
  EXPECT_EQ(Fired("registry.clear", Action::kTrap), 0u);
  EXPECT_TRUE(Snapshot().hits.empty());
  EXPECT_FALSE(LastFire().has_value());
  EXPECT_GT(internal::tls_fast_path.limit, 0u);  // no hook left behind
  MustArm("registry.clear=50%error");
  EXPECT_EQ(Drive("registry.clear", 100), fresh);  // seed back to kDefaultSeed
}

TEST_F(RegistryTest, SeedMakesProbabilisticFaultsReproducible) {
  SetSeed(1234);
  MustArm("registry.seed=50%error");
  const std::string first = Drive("registry.seed", 200);
  SetSeed(1234);
  MustArm("registry.seed=50%error");
  EXPECT_EQ(Drive("registry.seed", 200), first);
  SetSeed(1235);
  MustArm("registry.seed=50%error");
  EXPECT_NE(Drive("registry.seed", 200), first);
  // The same seed on another thread gives the same faults: nothing depends on the thread.
  std::string elsewhere;
  std::thread other([&] {
    SetSeed(1234);
    ASSERT_TRUE(Arm("registry.seed=50%error").ok());
    elsewhere = Drive("registry.seed", 200);
  });
  other.join();
  EXPECT_EQ(elsewhere, first);
}

TEST_F(RegistryTest, LastFireReportsArgumentAndHitOrdinal) {
  EXPECT_FALSE(LastFire().has_value());
  (void)Drive("registry.last", 2);  // hits before arming count toward the ordinal
  MustArm("registry.last=1*off->1*torn(512)->bitflip(9)");
  (void)Drive("registry.last", 2);
  std::optional<Fire> fire = LastFire();
  ASSERT_TRUE(fire.has_value());
  EXPECT_EQ(fire->site, Intern("registry.last"));
  EXPECT_EQ(fire->action, Action::kTorn);
  EXPECT_EQ(fire->argument, (Argument{Argument::Kind::kNumber, 512}));
  EXPECT_EQ(fire->hit, 4u);
  (void)Drive("registry.last", 1);
  fire = LastFire();
  ASSERT_TRUE(fire.has_value());
  EXPECT_EQ(fire->action, Action::kBitflip);
  EXPECT_EQ(fire->argument.number, 9);
  EXPECT_EQ(fire->hit, 5u);
}

TEST_F(RegistryTest, HookObservesVetoesAndSubstitutes) {
  std::vector<std::pair<uint64_t, Action>> seen;
  SetHook([&seen](const Fire& fire) {
    seen.emplace_back(fire.hit, fire.action);
    if (fire.hit == 2) return Action::kOff;    // veto
    if (fire.hit == 3) return Action::kCrash;  // substitute
    return fire.action;                        // observe
  });
  MustArm("registry.hook=every(1):error");
  EXPECT_EQ(Drive("registry.hook", 4), "E.CE");
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, Action>>{
                      {1, Action::kError}, {2, Action::kError}, {3, Action::kError}, {4, Action::kError}}));
  // Fired counts what the site actually did.
  EXPECT_EQ(Fired("registry.hook", Action::kError), 2u);
  EXPECT_EQ(Fired("registry.hook", Action::kCrash), 1u);
  // The hook is called only on fires: an unarmed site, or an armed one whose trigger says off, is silent.
  seen.clear();
  MustArm("registry.hook=nth(3):trap");
  (void)Drive("registry.hook", 2);
  (void)Drive("registry.hook_unarmed", 2);
  EXPECT_TRUE(seen.empty());
  const Hook previous = SetHook(nullptr);
  EXPECT_TRUE(static_cast<bool>(previous));
}

TEST_F(RegistryTest, ArmFromEnvironment) {
  ::unsetenv("STABLEVFS_FAILPOINTS");
  EXPECT_TRUE(ArmFromEnvironment().ok());
  EXPECT_TRUE(Armed().empty());

  ::setenv("STABLEVFS_FAILPOINTS", "", 1);
  EXPECT_TRUE(ArmFromEnvironment().ok());
  EXPECT_TRUE(Armed().empty());

  ::setenv("STABLEVFS_FAILPOINTS", "registry.env=2*off->1*trap", 1);
  EXPECT_TRUE(ArmFromEnvironment().ok());
  EXPECT_EQ(Drive("registry.env", 4), "..T.");

  ClearAll();
  ::setenv("STABLEVFS_FAILPOINTS", "registry.env=error;registry.env2=crashh", 1);
  const SpecStatus status = ArmFromEnvironment();
  EXPECT_EQ(status.message(),
            "STABLEVFS_FAILPOINTS: spec column 34: unknown action 'crashh' (expected off, error, trap, crash, torn, "
            "lost, misdirect, bitflip)");
  EXPECT_TRUE(Armed().empty());
  ::unsetenv("STABLEVFS_FAILPOINTS");
}

TEST_F(RegistryTest, SitesInternedAfterAThreadStartedAreCounted) {
  (void)Drive("registry.early", 1);
  // A site interned later has an id past this thread's counters: the slow path must grow them.
  const std::string late_name = "registry.late";
  for (int i = 0; i < 50; ++i) (void)Intern(late_name + "_" + std::to_string(i));
  EXPECT_EQ(Drive(late_name + "_49", 3), "...");
  EXPECT_EQ(Hits(late_name + "_49"), 3u);
  EXPECT_EQ(Hits("registry.early"), 1u);
}

}  // namespace
}  // namespace stablevfs::fp
