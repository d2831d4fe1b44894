// Named failpoints: the macro the library is compiled with, and the tiny runtime API a site needs.
//
// A site names a place that can fail: STABLEVFS_FAILPOINT("commit.page_write"). When the project option
// STABLEVFS_FAILPOINTS is OFF every site compiles to nothing (STABLEVFS_FAILPOINTS_ENABLED == 0). When ON and
// nothing is armed, a site costs one counter increment and one predictable branch.
//
// What an armed site does depends on the action (the names are permanent: scenario files use them):
//   off        nothing
//   error      the site returns an error: fp::InjectedError, which lib's Status converts from, or the
//              value given to STABLEVFS_FAILPOINT_RETURN
//   trap       the site throws fp::Abort{kTrap}: the message traps here (the harness rolls it back)
//   crash      the site throws fp::Abort{kCrash}: the power fails here, before the site's write
//   torn       at memory.write only: the in-flight write persists in part, then the power fails
//   lost, misdirect, bitflip
//              at memory.write only: storage faults the harness injects to prove its checker catches what
//              the library cannot (the write is dropped, lands elsewhere, or lands with one bit flipped)
//
// State (armed actions, triggers, hit counters) is per thread: see registry.h. The catalogue of every
// site (name, layer, what it simulates, applicable actions) is in catalogue.h.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#ifndef STABLEVFS_FAILPOINTS_ENABLED
#define STABLEVFS_FAILPOINTS_ENABLED 1
#endif

namespace stablevfs::fp {

enum class Action : uint8_t { kOff, kError, kTrap, kCrash, kTorn, kLost, kMisdirect, kBitflip };
inline constexpr int kActionCount = 8;

// The permanent spelling of an action: "off", "error", "trap", "crash", "torn", "lost", "misdirect", "bitflip".
std::string_view ActionName(Action action);
// The inverse of ActionName; false when `name` is not an action.
bool ParseAction(std::string_view name, Action* out);

// What an `error` site hands back; lib's Status and Result<T> convert from it.
struct InjectedError {
  std::string_view site;
};

// Thrown by a site armed with trap, crash or torn (and by the stable-memory decorator for its own faults).
// The harness catches it at the message boundary. Code crossing the SQLite C boundary stores it and rethrows.
class Abort : public std::exception {
 public:
  Abort(Action action, std::string site);
  Action action() const { return action_; }
  const std::string& site() const { return site_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  Action action_;
  std::string site_;
  std::string what_;
};

// A site's identity. Interned once per call site (a function-local static), so evaluation needs no lookup.
using SiteId = uint32_t;
SiteId Intern(std::string_view name);  // thread-safe; the same name always yields the same id

namespace internal {

// The part of this thread's registry that the inline fast path reads (see registry.cpp, which owns it).
// `hits` points at this thread's hit counters, indexed by SiteId. `limit` is the number of counters when
// nothing is armed and no hook is installed on this thread, and 0 otherwise, so a single comparison
// decides between "count and return kOff" and the slow path. constinit: the variable is zero-initialized
// statically, so reading it needs no TLS initialization wrapper call.
struct FastPath {
  uint64_t* hits;
  uint32_t limit;
};
extern constinit thread_local FastPath tls_fast_path;

// The slow path of Evaluate: grows this thread's counters when `site` is new to it, counts the hit, steps
// the site's trigger if it is armed, and consults the hook. Never throws (out of memory terminates).
Action EvaluateSlow(SiteId site) noexcept;

}  // namespace internal

// Counts a hit of `site` on this thread and returns the action to take now (kOff when disarmed, or when the
// trigger does not fire on this hit). The fast path is inline: nothing armed on this thread means one
// thread-local load, one comparison, one increment.
inline Action Evaluate(SiteId site) noexcept {
  internal::FastPath& fast = internal::tls_fast_path;
  if (site < fast.limit) [[likely]] {
    ++fast.hits[site];
    return Action::kOff;
  }
  return internal::EvaluateSlow(site);
}

// Throws Abort{action, name}. Used by sites for every action that is neither off nor error.
[[noreturn]] void Raise(std::string_view site, Action action);

}  // namespace stablevfs::fp

#if STABLEVFS_FAILPOINTS_ENABLED

// Evaluates the named site and yields the fp::Action to take.
#define STABLEVFS_FAILPOINT_EVAL(name)                                      \
  ([]() noexcept -> ::stablevfs::fp::Action {                               \
    static const ::stablevfs::fp::SiteId stablevfs_fp_site_ = ::stablevfs::fp::Intern(name); \
    return ::stablevfs::fp::Evaluate(stablevfs_fp_site_);                   \
  }())

// For a site that can fail and whose function returns Status or Result<T>: on `error`, returns
// fp::InjectedError{name}; on trap/crash, throws fp::Abort.
#define STABLEVFS_FAILPOINT(name) STABLEVFS_FAILPOINT_RETURN(name, (::stablevfs::fp::InjectedError{name}))

// As STABLEVFS_FAILPOINT, but on `error` returns `value` (e.g. -1 for a grow, an SQLite code for a step).
#define STABLEVFS_FAILPOINT_RETURN(name, value)                                        \
  do {                                                                                 \
    const ::stablevfs::fp::Action stablevfs_fp_action_ = STABLEVFS_FAILPOINT_EVAL(name); \
    if (stablevfs_fp_action_ != ::stablevfs::fp::Action::kOff) [[unlikely]] {          \
      if (stablevfs_fp_action_ == ::stablevfs::fp::Action::kError) return value;       \
      ::stablevfs::fp::Raise(name, stablevfs_fp_action_);                              \
    }                                                                                  \
  } while (0)

#else  // !STABLEVFS_FAILPOINTS_ENABLED: every site is gone, not merely disarmed.

#define STABLEVFS_FAILPOINT_EVAL(name) (::stablevfs::fp::Action::kOff)
#define STABLEVFS_FAILPOINT(name) \
  do {                            \
  } while (0)
#define STABLEVFS_FAILPOINT_RETURN(name, value) \
  do {                                          \
  } while (0)

#endif
