#include "failpoints/registry.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

#include "failpoints/catalogue.h"

namespace stablevfs::fp {
namespace {

// --- Process-wide site ids ---

// Names are only ever added, so an id, once handed out, names the same site for the life of the process.
struct SiteTable {
  std::mutex mutex;
  std::deque<std::string> names;                     // by SiteId; a deque never moves its elements
  std::unordered_map<std::string_view, SiteId> ids;  // views into `names`
  std::atomic<uint32_t> count{0};                    // names.size(), readable without the mutex
};

SiteTable& Sites() {
  // Leaked on purpose: sites may be interned or named from static destructors of other translation units.
  static SiteTable* table = new SiteTable;
  return *table;
}

// --- Per-thread state ---

struct ThreadState {
  ThreadState();
  ~ThreadState();

  std::vector<uint64_t> hits;                             // by SiteId
  std::vector<std::array<uint64_t, kActionCount>> fired;  // by SiteId, then Action
  std::unordered_map<SiteId, TriggerState> armed;
  std::mt19937_64 rng{kDefaultSeed};
  Hook hook;
  std::optional<Fire> last_fire;
};

// Set once this thread's ThreadState is destroyed, so that a site evaluated later in thread teardown (from
// another thread_local's destructor) neither touches the dead state nor resurrects it.
constinit thread_local bool tls_state_destroyed = false;
thread_local ThreadState tls_state;

// Points the inline fast path at this thread's counters, or closes it (limit 0) while anything is armed or a
// hook is installed. Every mutation of `armed`, `hook` or the size of `hits` ends with this call.
void RefreshFastPath(ThreadState& state) {
  internal::tls_fast_path.hits = state.hits.data();
  internal::tls_fast_path.limit = (state.armed.empty() && !state.hook) ? static_cast<uint32_t>(state.hits.size()) : 0;
}

ThreadState::ThreadState() { RefreshFastPath(*this); }

ThreadState::~ThreadState() {
  internal::tls_fast_path = {nullptr, 0};
  tls_state_destroyed = true;
}

// Makes room for counters up to `site`, and for every site interned so far, so that a thread pays for growth
// once per batch of new sites rather than once per site.
void EnsureCounters(ThreadState& state, SiteId site) {
  if (site < state.hits.size()) return;
  const size_t size = std::max<size_t>(site + 1, Sites().count.load(std::memory_order_acquire));
  state.hits.resize(size, 0);
  state.fired.resize(size, std::array<uint64_t, kActionCount>{});
  RefreshFastPath(state);
}

// The catalogue to check specs against: the global one once anything is registered in it.
const Catalogue* ActiveCatalogue() {
  const Catalogue& global = Catalogue::Global();
  return global.empty() ? nullptr : &global;
}

}  // namespace

// --- failpoint.h ---

constinit thread_local internal::FastPath internal::tls_fast_path{nullptr, 0};

SiteId Intern(std::string_view name) {
  SiteTable& table = Sites();
  std::lock_guard lock(table.mutex);
  if (auto it = table.ids.find(name); it != table.ids.end()) return it->second;
  const auto id = static_cast<SiteId>(table.names.size());
  const std::string& stored = table.names.emplace_back(name);
  table.ids.emplace(std::string_view(stored), id);
  table.count.store(id + 1, std::memory_order_release);
  return id;
}

Action internal::EvaluateSlow(SiteId site) noexcept {
  if (tls_state_destroyed) return Action::kOff;
  ThreadState& state = tls_state;
  EnsureCounters(state, site);
  const uint64_t hit = ++state.hits[site];

  auto it = state.armed.find(site);
  if (it == state.armed.end()) return Action::kOff;
  const Term* term = nullptr;
  const Action proposed = it->second.Next(state.rng, &term);
  if (proposed == Action::kOff) return Action::kOff;

  Fire fire{site, proposed, term->argument, hit};
  if (state.hook) fire.action = state.hook(fire);
  if (fire.action == Action::kOff) return Action::kOff;
  ++state.fired[site][static_cast<size_t>(fire.action)];
  state.last_fire = fire;
  return fire.action;
}

// --- registry.h ---

std::string_view SiteName(SiteId site) {
  SiteTable& table = Sites();
  std::lock_guard lock(table.mutex);
  assert(site < table.names.size());
  return table.names[site];
}

std::optional<SiteId> FindSiteId(std::string_view name) {
  SiteTable& table = Sites();
  std::lock_guard lock(table.mutex);
  if (auto it = table.ids.find(name); it != table.ids.end()) return it->second;
  return std::nullopt;
}

SpecStatus Arm(std::string_view name, Chain chain) {
  Spec spec;
  spec.entries.push_back(SpecEntry{std::string(name), std::move(chain)});
  return Arm(spec);
}

SpecStatus Arm(const Spec& spec) {
  // Check everything before changing anything: a spec is armed whole or not at all.
  const Catalogue* catalogue = ActiveCatalogue();
  std::set<std::string_view> names;
  for (const SpecEntry& entry : spec.entries) {
    if (SpecStatus status = ValidateEntry(entry, catalogue); !status.ok()) return status;
    if (!names.insert(entry.name).second) {
      return SpecStatus::Reject("failpoint '" + entry.name + "' is named twice (write one chain with '->' instead)");
    }
  }
  ThreadState& state = tls_state;
  for (const SpecEntry& entry : spec.entries) {
    const SiteId site = Intern(entry.name);
    EnsureCounters(state, site);
    state.armed.insert_or_assign(site, TriggerState(entry.chain));
  }
  RefreshFastPath(state);
  return {};
}

SpecStatus Arm(std::string_view text) {
  Spec spec;
  if (SpecStatus status = ParseSpec(text, &spec, ActiveCatalogue()); !status.ok()) return status;
  return Arm(spec);
}

SpecStatus ArmFromEnvironment() {
  const char* value = std::getenv("STABLEVFS_FAILPOINTS");
  if (value == nullptr) return {};
  SpecStatus status = Arm(std::string_view(value));
  if (!status.ok()) return SpecStatus::Reject("STABLEVFS_FAILPOINTS: " + status.message());
  return status;
}

void Disarm(std::string_view name) {
  const std::optional<SiteId> site = FindSiteId(name);
  if (!site) return;
  ThreadState& state = tls_state;
  state.armed.erase(*site);
  RefreshFastPath(state);
}

void ClearAll() {
  ThreadState& state = tls_state;
  state.armed.clear();
  std::fill(state.hits.begin(), state.hits.end(), 0);
  std::fill(state.fired.begin(), state.fired.end(), std::array<uint64_t, kActionCount>{});
  state.rng.seed(kDefaultSeed);
  state.hook = nullptr;
  state.last_fire.reset();
  RefreshFastPath(state);
}

void SetSeed(uint64_t seed) { tls_state.rng.seed(seed); }

Spec Armed() {
  ThreadState& state = tls_state;
  Spec spec;
  for (const auto& [site, trigger] : state.armed) {
    spec.entries.push_back(SpecEntry{std::string(SiteName(site)), trigger.chain()});
  }
  std::sort(spec.entries.begin(), spec.entries.end(),
            [](const SpecEntry& a, const SpecEntry& b) { return a.name < b.name; });
  return spec;
}

uint64_t Hits(std::string_view name) {
  const std::optional<SiteId> site = FindSiteId(name);
  const ThreadState& state = tls_state;
  if (!site || *site >= state.hits.size()) return 0;
  return state.hits[*site];
}

uint64_t Fired(std::string_view name, Action action) {
  const std::optional<SiteId> site = FindSiteId(name);
  const ThreadState& state = tls_state;
  if (!site || *site >= state.fired.size()) return 0;
  return state.fired[*site][static_cast<size_t>(action)];
}

uint64_t HitSnapshot::HitsOf(std::string_view name) const {
  auto it = hits.find(name);
  return it == hits.end() ? 0 : it->second;
}

uint64_t HitSnapshot::FiredOf(std::string_view name, Action action) const {
  auto it = fired.find({std::string(name), action});
  return it == fired.end() ? 0 : it->second;
}

HitSnapshot Snapshot() {
  const ThreadState& state = tls_state;
  HitSnapshot snapshot;
  for (SiteId site = 0; site < state.hits.size(); ++site) {
    if (state.hits[site] == 0) continue;  // a site fires only when hit, so no fired count is skipped here
    const std::string name(SiteName(site));
    snapshot.hits.emplace(name, state.hits[site]);
    for (int a = 0; a < kActionCount; ++a) {
      if (state.fired[site][a] != 0)
        snapshot.fired.emplace(std::pair(name, static_cast<Action>(a)), state.fired[site][a]);
    }
  }
  return snapshot;
}

std::optional<Fire> LastFire() { return tls_state.last_fire; }

Hook SetHook(Hook hook) {
  ThreadState& state = tls_state;
  Hook previous = std::exchange(state.hook, std::move(hook));
  RefreshFastPath(state);
  return previous;
}

}  // namespace stablevfs::fp
