// The failpoint catalogue: every site, its layer, what it simulates, and the actions that apply to it.
//
// Tools list it (`stablevfs failpoints`), the spec parser checks names and actions against it, and coverage
// reports join it with the hit counters. Each layer that owns sites publishes a static table of SiteInfo
// (lib: lib/core/failpoint_catalogue.h; the harness registers its own, e.g. memory.write) and registers it in
// the process-wide catalogue at start-up.
//
// Names are permanent: scenario files name them, so a site is never renamed and a name is never reused for a
// different place. The catalogue enforces the part it can see: registering a name twice with different
// details is a programming error and throws std::invalid_argument.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "failpoints/failpoint.h"
#include "failpoints/registry.h"

namespace stablevfs::fp {

// The bit of `action` in SiteInfo::actions.
constexpr uint32_t ActionBit(Action action) { return uint32_t{1} << static_cast<uint32_t>(action); }

// The actions every lib/ site accepts: a call fails, the message traps, the power fails.
inline constexpr uint32_t kLibraryActions =
    ActionBit(Action::kError) | ActionBit(Action::kTrap) | ActionBit(Action::kCrash);

// One catalogued site. In a registration table the views point at string literals; views handed out by a
// Catalogue point into the catalogue's own copies and stay valid for its lifetime.
struct SiteInfo {
  std::string_view name;       // the permanent name, e.g. "commit.page_write"
  std::string_view layer;      // where the site lives, e.g. "lib/layout commit"
  std::string_view simulates;  // what firing it stands for, one sentence
  uint32_t actions = 0;        // ActionBit of every applicable action (off always applies and needs no bit)

  // Whether `action` may be armed at this site (off always may).
  bool Accepts(Action action) const { return action == Action::kOff || (actions & ActionBit(action)) != 0; }
  bool operator==(const SiteInfo&) const = default;
};

// A set of sites, keyed by name. Thread-safe.
class Catalogue {
 public:
  Catalogue() = default;
  Catalogue(const Catalogue&) = delete;
  Catalogue& operator=(const Catalogue&) = delete;

  // The process-wide catalogue that fp::Arm and fp::ArmFromEnvironment check specs against once it is not
  // empty. Never destroyed, so it can be used from any static destructor.
  static Catalogue& Global();

  // Adds every site in `sites`, copying the strings. Idempotent: a site already present with identical details
  // is skipped. Throws std::invalid_argument when a name is invalid (see IsValidSiteName), has no actions, or
  // is already present with different details; nothing is added then.
  void Register(std::span<const SiteInfo> sites);

  // Every site, sorted by name.
  std::vector<SiteInfo> All() const;
  // The site named `name`, or nullopt.
  std::optional<SiteInfo> Find(std::string_view name) const;
  bool empty() const;
  size_t size() const;

 private:
  struct Owned {
    std::string name, layer, simulates;
    uint32_t actions = 0;
  };
  SiteInfo View(const Owned& owned) const;

  mutable std::mutex mutex_;
  std::deque<Owned> owned_;  // a deque: growing it never moves an element, so views stay valid
  std::map<std::string, size_t, std::less<>> by_name_;  // name -> index in owned_
};

// The names of the actions in `actions` (a mask of ActionBit), in Action order, e.g. "error, trap, crash".
std::string ActionList(uint32_t actions);

// An aligned text table, one row per site, with columns NAME, LAYER, ACTIONS, SIMULATES; with a snapshot, also
// HITS and FIRED (e.g. "error=2 crash=1", "-" when nothing fired), taken from this snapshot.
std::string FormatTable(std::span<const SiteInfo> sites, const HitSnapshot* snapshot = nullptr);

// A JSON array with one object per site: {"name", "layer", "simulates", "actions": [...]}, and with a snapshot
// also "hits": N and "fired": {"<action>": N, ...} (only actions that fired). Ends without a newline.
std::string FormatJson(std::span<const SiteInfo> sites, const HitSnapshot* snapshot = nullptr);

}  // namespace stablevfs::fp
