// The failpoint registry: which sites are armed, with what, and how often each was hit. Per thread.
//
// Site ids are process-wide: Intern (failpoint.h) hands each name one stable id for the life of the process.
// Everything else is per thread: armed chains, hit counters, fired counters, the PRNG and the hook. A test
// (or a harness worker) therefore sees only its own faults, and tests can run in parallel threads without a
// global lock on the hot path (the non-global registry fail-rs users asked for). Arming on one thread never
// affects another.
//
// Cost: while nothing is armed on this thread and no hook is installed, evaluating a site is one thread-local
// load, one comparison and one increment (see fp::Evaluate). Arming anything sends this thread's sites
// through the slow path, which looks the site up in a small hash map.
//
// Teardown: call ClearAll (or hold a ScopedRegistryReset) in every test, so one test's faults and counters
// cannot leak into the next (RocksDB's ~DBTestBase does the same).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "failpoints/failpoint.h"
#include "failpoints/spec.h"
#include "failpoints/trigger.h"

namespace stablevfs::fp {

// The PRNG seed a thread starts with, and returns to on ClearAll.
inline constexpr uint64_t kDefaultSeed = 0;

// --- Site names (process-wide) ---

// The name interned as `site`. REQUIRES: `site` came from Intern. The view stays valid for the process.
std::string_view SiteName(SiteId site);
// The id of `name` if it was ever interned, without interning it.
std::optional<SiteId> FindSiteId(std::string_view name);

// --- Arming (this thread) ---

// Arms `name` with `chain`, replacing whatever was armed there, and restarts its chain. Checked as
// ValidateEntry does, against Catalogue::Global() when that is not empty; nothing changes on rejection.
SpecStatus Arm(std::string_view name, Chain chain);
// Arms every entry of a spec (see spec.h) at once, or none of them on rejection.
SpecStatus Arm(std::string_view spec);
// Arms a parsed spec (already validated by ParseSpec; checked again against the global catalogue).
SpecStatus Arm(const Spec& spec);
// Arms the spec in the STABLEVFS_FAILPOINTS environment variable; an unset or empty variable arms nothing.
// A rejection message starts with "STABLEVFS_FAILPOINTS: " followed by the parser's message.
SpecStatus ArmFromEnvironment();

// Disarms `name` on this thread (its counters stay). Disarming a site that is not armed does nothing.
void Disarm(std::string_view name);

// Returns this thread's registry to its initial state: nothing armed, every hit and fired counter zero, the
// PRNG reseeded with kDefaultSeed, no hook, no last fire.
void ClearAll();

// Reseeds this thread's PRNG (std::mt19937_64), which decides every P% term on this thread.
void SetSeed(uint64_t seed);

// What is armed on this thread, as a spec sorted by name (chains as armed, not their progress). Exhausted
// chains are still listed: the site stays armed, and off, until disarmed.
Spec Armed();

// --- Counters (this thread) ---

// How often `name` was evaluated on this thread since the last ClearAll (armed or not, fired or not).
uint64_t Hits(std::string_view name);
// How often `name` fired `action` on this thread since the last ClearAll (after the hook had its say).
uint64_t Fired(std::string_view name, Action action);

// A copy of this thread's counters. Only non-zero counts are present.
struct HitSnapshot {
  std::map<std::string, uint64_t, std::less<>> hits;         // name -> evaluations
  std::map<std::pair<std::string, Action>, uint64_t> fired;  // (name, action) -> times fired

  uint64_t HitsOf(std::string_view name) const;
  uint64_t FiredOf(std::string_view name, Action action) const;
  bool operator==(const HitSnapshot&) const = default;
};
HitSnapshot Snapshot();

// --- Observing what fired (this thread) ---

// One firing: the site, the action it returns, the argument of the term that fired, and the site's hit
// ordinal on this thread (1 = its first evaluation since ClearAll).
struct Fire {
  SiteId site = 0;
  Action action = Action::kOff;
  Argument argument;
  uint64_t hit = 0;
};

// The last firing on this thread whose action was not off, or nullopt since ClearAll. A decorator calls it
// right after STABLEVFS_FAILPOINT_EVAL returned e.g. kTorn to read the term's argument.
std::optional<Fire> LastFire();

// A hook sees every firing on this thread before the site acts on it, and returns the action to take: `fire.
// action` to merely observe, kOff to veto, another action to substitute. Called only when a trigger fires with
// an action other than off. REQUIRES: the hook does not throw (sites evaluate in noexcept code) and does not
// call Arm, Disarm, ClearAll or SetHook.
using Hook = std::function<Action(const Fire& fire)>;
// Installs `hook` on this thread (an empty function removes it) and returns the previous one.
Hook SetHook(Hook hook);

// --- Tests ---

// Calls ClearAll on construction and on destruction: one per test keeps tests independent.
class ScopedRegistryReset {
 public:
  ScopedRegistryReset() { ClearAll(); }
  ~ScopedRegistryReset() { ClearAll(); }
  ScopedRegistryReset(const ScopedRegistryReset&) = delete;
  ScopedRegistryReset& operator=(const ScopedRegistryReset&) = delete;
};

}  // namespace stablevfs::fp
