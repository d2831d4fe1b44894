// Explorer: exhaustive crash-point enumeration of a workload.
//
//   ExploreResult r = ExploreWorkload(LoadWorkload("scenarios/workloads/kv.scn").value(), "kv", {.jobs = 2});
//   // r.crash_points: every (message, failpoint, ordinal, action) injected and judged; r.findings: violations
//
// A workload is a scenario (scenario.h): its op lines, run in one Session. The explorer
//   1. runs it plainly once (the dry run), taking a Session checkpoint C_i (session_checkpoint.h) before each
//      message op i: the state every run of op i starts from.
//   2. observes each message op i once: restore C_i, arm every catalogued site to fire on every evaluation, and
//      veto each firing from a failpoint hook after noting it. The run is an unarmed run, and the explorer
//      learns each evaluation made *inside a message*, with its ordinal as nth(n) armed before the op counts it
//      (evaluations by the judge between messages are not crash points; the judge vetoes every site while it
//      checks, so they never reach the hook). For memory.write it also notes each write's length and offset.
//   3. enumerates the crash points: for each message op i, each site s, each in-message evaluation n of s
//      during op i, each requested action a that s accepts (catalogue.h): `arm s=nth(n):a` before op i.
//   4. runs every point: restore C_i, arm the spec (an `arm` op), run op i, keep its StepRecord. A violation of
//      the judgement table is a finding.
// Restarting op i from C_i instead of from the first op keeps the cost linear in the workload: one run per point
// plus two per op. Steps 2 and 4 run on J worker threads, each with its own Session (failpoints are per
// thread), taking work from one queue; results are stored by index, so content and order do not depend on J.
//
// A restore rebuilds the heap (MemoryManager, Db, SQLite's cache) from stable memory: every run of op i in
// steps 2 and 4 runs on a cold heap, exactly as after an upgrade. (A warm heap can write differently: a fresh
// SQLite connection may dirty another page for the same DELETE.) The dry run of step 1 is the plain run, so the
// states C_i are those a plain replay of the workload reaches, and a finding's scenario reproduces the point as
// `<ops before i>`, `upgrade`, `arm <spec>`, `<op i>`.
//
// Actions are named as the crash models know them: error (the site returns an error), trap (the message traps:
// the IC rolls it back), powerloss (fp `crash`: the power fails before the site's write; every site accepts
// it) and torn (memory.write only). A torn point is an explicit tear, torn(N), so that the run and its saved
// scenario tear alike: the first half of the 512-byte sectors the write covers persist, then the power fails
// (the simulator's model: a sector persists whole or not at all; a one-sector write cannot tear and persists
// nothing). memory.write is evaluated on every stable write, so powerloss and torn strike every write of every
// commit.
//
// A finding is written as a scenario file that replays it: the workload's ops before op i (with the plain run's
// outcomes as expect lines), then as above, with `expect-violation <property>`; session-wide faults are re-armed
// before every message. The explorer replays each saved file and reports whether it reproduces the violation.
//
// Determinism: the points, their order and every result are functions of the workload, the options and the
// seed, never of --jobs or timing. What could make a run depend on the worker's history is reported in
// ExploreResult::warnings, not hidden: session-wide faults that draw from the simulator's PRNG (torn, misdirect
// or bitflip without an argument), and sites the workload or the session-wide faults arm themselves (arming
// them to observe would disarm them, so every evaluation of the op is tried, and the points whose failpoint did
// not fire are counted apart, as not fired).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "failpoints/failpoint.h"
#include "harness/driver/run_config.h"
#include "harness/ops/interpreter.h"
#include "harness/scenario/scenario.h"

namespace stablevfs::explore {

// The actions a crash point can take (error, trap, powerloss, torn): harness/faults' one vocabulary.
using faults::AllCrashActions;
using faults::CrashAction;
using faults::CrashActionName;
using faults::CrashModelOf;
using faults::kCrashActionCount;
using faults::ParseCrashAction;
using faults::ParseCrashActions;
using faults::ToFpAction;

struct ExploreOptions {
  std::string layout = "";      // the registered layout to run on ("" = default); a workload's layout line wins
  std::vector<CrashAction> actions = AllCrashActions();
  unsigned jobs = 1;            // worker threads (>= 1)
  uint64_t max_ordinals = 0;    // per (op, site): the first N evaluations only; 0 = all of them
  std::string faults = "";      // a failpoint spec armed for every run (negative controls); "" for none
  std::string save_dir = "";    // write each finding's scenario here ("" = do not save)
  size_t save_max = 20;         // at most this many scenario files per workload
  bool verify_saved = true;     // replay each saved scenario and report whether it reproduces
  bool keep_points = false;     // keep every point's result in ExploreResult::points (tests)
  // How a torn point tears: true, the simulator's model (whole 512-byte sectors: the first half of the sectors
  // the write covers persist); false, bytes (the first half of the write's bytes persist, inside a sector if
  // need be: storage without sector atomicity, stricter than the model the library is built for).
  bool torn_sectors = true;
};

// One crash point: arm `spec` before op `op_index` of the workload.
struct CrashPoint {
  size_t op_index = 0;     // index into Scenario::steps
  std::string site;
  uint64_t ordinal = 0;    // n of nth(n): the site's n-th evaluation since op op_index began
  CrashAction action = CrashAction::kPowerloss;
  std::string spec;        // e.g. "commit.page_write=nth(3):crash", "memory.write=nth(7):torn(8192)"

  bool operator==(const CrashPoint&) const = default;
};

// What one crash point did.
struct PointResult {
  CrashPoint point;
  bool fired = false;                    // the armed failpoint fired during the op
  std::optional<ops::Outcome> outcome;   // of the op's (last) message
  std::string detail;                    // the error, trap or crash text
  std::vector<ops::Violation> violations;

  bool operator==(const PointResult&) const = default;
};

// A violation: of a crash point, or of a run without a point (the plain run of the workload, or the op
// restarted from its checkpoint: the workload fails unfaulted, or the session-wide faults broke it).
struct Finding {
  std::optional<CrashPoint> point;       // nullopt for a finding without a point
  bool restarted = false;                // the op ran from its snapshot (heap rebuilt), as every point does
  size_t op_index = 0;
  size_t line = 0;                       // the op's line in the workload file (0 when unknown)
  std::string op;                        // the op's text
  std::optional<ops::Outcome> outcome;
  std::vector<ops::Violation> violations;  // at least one
  std::string scenario_path;             // the saved reproduction ("" when not saved)
  std::optional<bool> reproduced;        // whether replaying the saved file reproduced the violation

  bool operator==(const Finding&) const = default;
};

// Points of one (site, action): how many, how many fired, and their outcomes.
struct SiteActionCount {
  uint64_t points = 0;      // points run
  uint64_t not_fired = 0;   // of those, points whose failpoint did not fire
  uint64_t outcomes[4] = {0, 0, 0, 0};  // by ops::Outcome, of the points that fired
  uint64_t violations = 0;  // points with a violation

  bool operator==(const SiteActionCount&) const = default;
};

// Evaluations of one site during the observed run of one op (from its checkpoint).
struct SiteHits {
  uint64_t in_messages = 0;   // evaluations inside messages: the site's crash points per action
  uint64_t total = 0;         // every evaluation (the judge's between messages included)
  bool observed = true;       // false: armed by the workload or the faults, so every hit is tried
};

struct ExploreResult {
  std::string name;                   // the workload's name (its file name without .scn)
  size_t ops = 0;                     // op lines
  size_t message_ops = 0;             // of those, ops that send messages
  uint64_t messages = 0;              // messages of the dry run
  uint64_t crash_points = 0;          // points whose failpoint fired (what the explorer verified)
  uint64_t points_run = 0;            // points run (crash_points + not fired)
  std::map<std::pair<std::string, CrashAction>, SiteActionCount> by_site_action;
  std::map<std::string, uint64_t> hits_in_messages;   // per site, over the whole workload
  std::vector<std::vector<std::pair<std::string, SiteHits>>> hits_per_op;  // per op: (site, hits), by name
  std::vector<ops::StepRecord> dry_run;  // the plain run's records, one per op
  std::vector<Finding> findings;      // findings without a fault first (by op), then points, in point order
  std::vector<PointResult> points;    // every point (only with ExploreOptions::keep_points)
  double dry_run_seconds = 0;
  double explore_seconds = 0;         // running the points (wall clock; information only)
  double explore_cpu_seconds = 0;     // CPU time of the workers running the points (information only)
  std::vector<std::string> warnings;  // what made the result depend on more than the inputs (see above)

  uint64_t violations() const;        // findings
  bool ok() const { return findings.empty(); }
};

// Called after each point finishes, from the worker that ran it; the explorer serialises the calls. May be
// empty.
using ProgressFn = std::function<void(uint64_t points_done, uint64_t points_total)>;

// Explores `workload` (see the header comment). Throws std::invalid_argument for bad options (jobs 0, an
// empty action list, faults that do not arm) and std::runtime_error when the session cannot be built.
ExploreResult ExploreWorkload(const scenario::Scenario& workload, std::string name, const ExploreOptions& options,
                              const ProgressFn& progress = {});

// The crash points of a workload, from its dry run alone (no point is run): what ExploreWorkload would run.
struct ExplorePlan {
  std::vector<CrashPoint> points;
  std::vector<std::vector<std::pair<std::string, SiteHits>>> hits_per_op;
  std::vector<ops::StepRecord> dry_run;
};
ExplorePlan PlanWorkload(const scenario::Scenario& workload, const ExploreOptions& options);

// The scenario that reproduces `finding` of `workload` (see the header comment). `dry_run` is
// ExploreResult::dry_run. Session-wide `faults` are re-armed before every message (driver::MaterializeFaults).
// Its layout line names the layout the point ran on: the workload's own, else `layout`, else the default.
scenario::Scenario FindingScenario(const scenario::Scenario& workload, const std::vector<ops::StepRecord>& dry_run,
                                   const Finding& finding, const std::string& faults, const std::string& name,
                                   const std::string& layout = "");


}  // namespace stablevfs::explore
