#include "harness/explore/explorer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <time.h>

#include "failpoints/catalogue.h"
#include "failpoints/registry.h"
#include "failpoints/spec.h"
#include "harness/driver/replay.h"
#include "harness/ops/catalogue_setup.h"
#include "harness/ops/op_text.h"
#include "harness/ops/session_checkpoint.h"
#include "harness/sim/sim_failpoints.h"

namespace stablevfs::explore {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// CPU time of the calling thread (POSIX): what a worker cost, whatever else the machine was doing.
double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Runs `fn` on a thread of its own and waits for it, rethrowing what it threw. Sessions own their thread's
// failpoint registry, so the explorer never builds one on the caller's thread (the caller may have its own).
template <typename Fn>
void OnOwnThread(Fn&& fn) {
  std::exception_ptr error;
  std::thread thread([&] {
    try {
      fn();
    } catch (...) {
      error = std::current_exception();
    }
  });
  thread.join();
  if (error) std::rethrow_exception(error);
}

// The workload's run: its own layout line wins over the option (driver::ConfigOf).
driver::RunConfig RunConfigFor(const scenario::Scenario& workload, const ExploreOptions& options) {
  return driver::ConfigOf(workload, driver::RunConfig{options.layout, scenario::CrashModel::kIc, options.faults});
}

ops::SessionOptions SessionOptionsFor(const scenario::Scenario& workload, const ExploreOptions& options) {
  return driver::SessionOptionsFor(RunConfigFor(workload, options), workload.seed.value_or(0));
}

// Runs fn(session, k) for k in [0, count) on `jobs` worker threads, each with its own Session built with
// `session_options` (failpoints are per thread). Work is handed out in order from one counter; fn stores its
// result by k, so what is computed does not depend on the number of jobs. The first exception is rethrown
// after every worker stopped.
// Returns the CPU time the workers used, in seconds (information only, as wall-clock time is).
double RunWorkers(size_t count, unsigned jobs, const ops::SessionOptions& session_options,
                  const std::function<void(ops::Session&, size_t)>& fn) {
  if (count == 0) return 0;
  std::atomic<size_t> next{0};
  std::mutex mutex;  // guards error and cpu_seconds
  std::exception_ptr error;
  double cpu_seconds = 0;
  auto worker = [&] {
    const double cpu_start = ThreadCpuSeconds();
    try {
      ops::Session session(session_options);
      for (;;) {
        const size_t k = next.fetch_add(1);
        if (k >= count) break;
        fn(session, k);
      }
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!error) error = std::current_exception();
      next.store(count);  // the others stop too
    }
    std::lock_guard lock(mutex);
    cpu_seconds += ThreadCpuSeconds() - cpu_start;
  };
  const unsigned threads_wanted = static_cast<unsigned>(std::min<size_t>(std::max(1u, jobs), count));
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < threads_wanted; ++j) threads.emplace_back(worker);
  for (std::thread& thread : threads) thread.join();
  if (error) std::rethrow_exception(error);
  return cpu_seconds;
}

// One stable write of a message, as the observer saw it.
struct WriteSeen {
  uint64_t length_bytes = 0;                 // 0 when unknown (cost accounting off)
  std::optional<uint64_t> offset_bytes;      // known once a later evaluation of the same message saw it journaled
};

// The failpoint hook of an observed run. Every catalogued site the run does not arm itself is armed to fire
// on every evaluation, and this hook vetoes each such firing after noting it: so the run behaves exactly as an
// unarmed one, and the explorer learns which evaluations happened inside a message, with their ordinals. While
// the judge checks a message it installs its own veto hook (judge.cpp), so its evaluations never reach this one.
class Observer {
 public:
  // `observed[i]` says whether catalogue site i is armed by the observer; `base` is the hit snapshot at the
  // start of the op (ordinals count from there, as nth(n) armed before the op does).
  Observer(sim::SimStableMemory& memory, const std::vector<fp::SiteInfo>& sites, const std::vector<bool>& observed,
           const fp::HitSnapshot& base)
      : memory_(memory), ordinals_(sites.size()) {
    for (size_t i = 0; i < sites.size(); ++i) {
      const fp::SiteId id = fp::Intern(sites[i].name);
      if (id >= index_of_.size()) index_of_.resize(id + 1, kNone);
      index_of_[id] = observed[i] ? static_cast<int>(i) : kNone;
      base_hits_.push_back(base.HitsOf(sites[i].name));
      if (sites[i].name == sim::kMemoryWriteSite) write_site_ = static_cast<int>(i);
    }
  }

  fp::Action OnFire(const fp::Fire& fire) {
    const int index = fire.site < index_of_.size() ? index_of_[fire.site] : kNone;
    if (index == kNone) return fire.action;  // armed by the workload or the faults: let it act
    if (!memory_.in_message()) return fp::Action::kOff;
    LocatePendingWrite();
    ordinals_[index].push_back(fire.hit - base_hits_[index]);
    if (index == write_site_) {
      // The decorator charges a write before it evaluates memory.write (sim_stable_memory.h, "Order inside
      // write()"), so the message's byte counter already includes this write. Its offset shows in the journal
      // once the write has landed: at the next evaluation of this message.
      const uint64_t ordinal = memory_.message_ordinal();
      const uint64_t written = memory_.message_counters().bytes_written;
      if (ordinal != last_message_) {
        last_message_ = ordinal;
        last_written_ = 0;
      }
      writes_.push_back(WriteSeen{memory_.cost_accounting() ? written - last_written_ : 0, std::nullopt});
      last_written_ = written;
      pending_ = PendingWrite{writes_.size() - 1, ordinal, memory_.write_count()};
    }
    return fp::Action::kOff;
  }

  const std::vector<uint64_t>& ordinals(size_t site_index) const { return ordinals_[site_index]; }
  const std::vector<WriteSeen>& writes() const { return writes_; }

 private:
  struct PendingWrite {
    size_t seen_index;
    uint64_t message_ordinal;
    uint64_t write_index;  // within the message
  };

  void LocatePendingWrite() {
    if (!pending_ || pending_->message_ordinal != memory_.message_ordinal()) return;
    const std::span<const sim::JournalEvent> journal = memory_.journal();
    for (auto it = journal.rbegin(); it != journal.rend(); ++it) {
      if (it->kind == sim::JournalEvent::Kind::kWrite && it->write_index == pending_->write_index) {
        writes_[pending_->seen_index].offset_bytes = it->offset_bytes;
        break;
      }
    }
    pending_.reset();
  }

  static constexpr int kNone = -1;
  sim::SimStableMemory& memory_;
  std::vector<int> index_of_;          // SiteId -> catalogue index, or kNone when not observed
  std::vector<uint64_t> base_hits_;    // by catalogue index
  std::vector<std::vector<uint64_t>> ordinals_;
  std::vector<WriteSeen> writes_;      // parallel to ordinals_[write_site_]
  int write_site_ = kNone;
  uint64_t last_message_ = 0;
  uint64_t last_written_ = 0;
  std::optional<PendingWrite> pending_;
};

// Installs a hook and restores the previous one on scope exit.
class ScopedHook {
 public:
  explicit ScopedHook(fp::Hook hook) : previous_(fp::SetHook(std::move(hook))) {}
  ~ScopedHook() { fp::SetHook(std::move(previous_)); }
  ScopedHook(const ScopedHook&) = delete;
  ScopedHook& operator=(const ScopedHook&) = delete;

 private:
  fp::Hook previous_;
};

// What the explorer needs to run the points of one message op.
struct OpPlan {
  ops::SessionCheckpoint checkpoint;  // the state before the op, as the plain run of the workload left it
  // Per catalogue site: the ordinals to try; for memory.write also each write (parallel to its ordinals).
  std::vector<std::vector<uint64_t>> ordinals;
  std::vector<WriteSeen> writes;
  std::vector<std::pair<std::string, SiteHits>> hits;  // sites evaluated during the op, by name
  std::set<std::string> unobserved;
  ops::StepRecord restarted_record;   // the observed run: the op from the checkpoint, unarmed
};

struct DryRun {
  std::vector<fp::SiteInfo> sites;             // the catalogue, by name
  std::vector<std::optional<OpPlan>> plans;    // per step; nullopt for arm, capacity and budget
  std::vector<ops::StepRecord> records;        // the plain run
  uint64_t messages = 0;
};

// Runs op `op` from `plan.checkpoint` in `session`, observed (see Observer), and fills the rest of `plan`.
void ObserveOp(ops::Session& session, const std::vector<fp::SiteInfo>& sites, const ops::Op& op, OpPlan& plan) {
  const size_t site_count = sites.size();
  session.Restore(plan.checkpoint);
  std::set<std::string, std::less<>> armed;
  for (const fp::SpecEntry& entry : fp::Armed().entries) armed.insert(entry.name);
  std::vector<bool> observed(site_count);
  fp::Spec observers;
  for (size_t s = 0; s < site_count; ++s) {
    observed[s] = armed.count(sites[s].name) == 0;
    if (!observed[s]) continue;
    fp::Term term;
    term.action = fp::Action::kCrash;  // every site accepts crash; the hook vetoes it
    observers.entries.push_back(fp::SpecEntry{std::string(sites[s].name), fp::Chain{term}});
  }
  const fp::SpecStatus armed_status = fp::Arm(observers);
  if (!armed_status.ok()) throw std::logic_error("explorer: cannot arm the observers: " + armed_status.message());

  const fp::HitSnapshot before = fp::Snapshot();
  Observer observer(session.canister().memory(), sites, observed, before);
  {
    ScopedHook hook([&observer](const fp::Fire& fire) { return observer.OnFire(fire); });
    plan.restarted_record = session.Run(op);
  }
  const fp::HitSnapshot after = fp::Snapshot();
  for (const fp::SpecEntry& entry : observers.entries) fp::Disarm(entry.name);

  plan.ordinals.resize(site_count);
  for (size_t s = 0; s < site_count; ++s) {
    const std::string name(sites[s].name);
    SiteHits hits;
    hits.total = after.HitsOf(name) - before.HitsOf(name);
    hits.observed = observed[s];
    if (observed[s]) {
      plan.ordinals[s] = observer.ordinals(s);
      if (name == sim::kMemoryWriteSite) plan.writes = observer.writes();
    } else {
      for (uint64_t n = 1; n <= hits.total; ++n) plan.ordinals[s].push_back(n);
      if (hits.total > 0) plan.unobserved.insert(name);
    }
    hits.in_messages = plan.ordinals[s].size();
    if (hits.total > 0) plan.hits.emplace_back(name, hits);
  }
}

DryRun RunDry(const scenario::Scenario& workload, const ExploreOptions& options) {
  DryRun dry;
  dry.sites = ops::RegisterCatalogue().All();
  dry.plans.resize(workload.steps.size());
  // The plain run, on a thread of its own: the states every op starts from, and their records.
  OnOwnThread([&] {
    ops::Session session(SessionOptionsFor(workload, options));
    for (size_t i = 0; i < workload.steps.size(); ++i) {
      const ops::Op& op = workload.steps[i].op;
      if (ops::IsMessage(ops::KindOf(op))) {
        dry.plans[i].emplace();
        dry.plans[i]->checkpoint = session.Checkpoint();
      }
      dry.records.push_back(session.Run(op));
    }
    dry.messages = session.messages();
  });
  // Each message op observed from its checkpoint, as the points will run it.
  std::vector<size_t> message_ops;
  for (size_t i = 0; i < dry.plans.size(); ++i) {
    if (dry.plans[i]) message_ops.push_back(i);
  }
  RunWorkers(message_ops.size(), options.jobs, SessionOptionsFor(workload, options),
             [&](ops::Session& session, size_t k) {
               const size_t i = message_ops[k];
               ObserveOp(session, dry.sites, workload.steps[i].op, *dry.plans[i]);
             });
  return dry;
}

// torn(N) for the memory.write evaluation `write`: the first half of the aligned 512-byte sectors the write
// covers persist (sim_stable_memory.h: a sector persists whole or not at all). A write within one sector cannot
// tear and persists nothing (torn(0)). Where the observer did not see the offset (the last write of a
// message), the write is taken to start on a sector boundary, as every write of the layout whose offset is
// seen does (the warnings say when one did not). Without sector atomicity, the first half of the bytes.
std::string TornArgument(const WriteSeen& write, bool sectors_atomic) {
  if (!sectors_atomic) return "(" + std::to_string(write.length_bytes / 2) + ")";
  const uint64_t head = write.offset_bytes.value_or(0) % sim::kSectorBytes;
  const uint64_t sectors = (head + write.length_bytes + sim::kSectorBytes - 1) / sim::kSectorBytes;
  const uint64_t kept_bytes = sectors >= 2 ? (sectors / 2) * sim::kSectorBytes - head : 0;
  return "(" + std::to_string(kept_bytes) + ")";
}

std::vector<CrashPoint> EnumeratePoints(const DryRun& dry, const ExploreOptions& options) {
  std::vector<CrashPoint> points;
  for (size_t i = 0; i < dry.plans.size(); ++i) {
    if (!dry.plans[i]) continue;
    const OpPlan& plan = *dry.plans[i];
    for (size_t s = 0; s < dry.sites.size(); ++s) {
      const fp::SiteInfo& site = dry.sites[s];
      const bool is_write = site.name == sim::kMemoryWriteSite;
      const std::vector<uint64_t>& ordinals = plan.ordinals[s];
      const size_t count = options.max_ordinals == 0 ? ordinals.size()
                                                     : std::min<size_t>(ordinals.size(), options.max_ordinals);
      for (size_t k = 0; k < count; ++k) {
        for (CrashAction action : options.actions) {
          const fp::Action fp_action = ToFpAction(action);
          if (!site.Accepts(fp_action)) continue;
          CrashPoint point;
          point.op_index = i;
          point.site = std::string(site.name);
          point.ordinal = ordinals[k];
          point.action = action;
          point.spec = point.site + "=nth(" + std::to_string(point.ordinal) + "):" +
                       std::string(fp::ActionName(fp_action));
          if (action == CrashAction::kTorn && is_write && k < plan.writes.size() &&
              plan.writes[k].length_bytes > 0) {
            point.spec += TornArgument(plan.writes[k], options.torn_sectors);
          }
          points.push_back(std::move(point));
        }
      }
    }
  }
  return points;
}

bool Fired(const ops::StepRecord& record, const std::string& site, CrashAction action) {
  const std::string key = site + ":" + std::string(fp::ActionName(ToFpAction(action)));
  for (const std::string& fired : record.fired) {
    if (fired == key || fired.rfind(key + " x", 0) == 0) return true;
  }
  return false;
}

// Runs every point (restore, arm, op) on the workers; results by point index.
std::vector<PointResult> RunPoints(const scenario::Scenario& workload, const ExploreOptions& options,
                                   const DryRun& dry, const std::vector<CrashPoint>& points,
                                   const ProgressFn& progress, double* cpu_seconds) {
  std::vector<PointResult> results(points.size());
  std::atomic<uint64_t> done{0};
  std::mutex progress_mutex;
  *cpu_seconds = RunWorkers(points.size(), options.jobs, SessionOptionsFor(workload, options), [&](ops::Session& session, size_t k) {
    const CrashPoint& point = points[k];
    session.Restore(dry.plans[point.op_index]->checkpoint);
    PointResult& result = results[k];
    result.point = point;
    const ops::StepRecord arm = session.Run(ops::ArmOp{point.spec});
    if (!arm.ok()) {
      result.violations = arm.violations;
    } else {
      ops::StepRecord record = session.Run(workload.steps[point.op_index].op);
      result.fired = Fired(record, point.site, point.action);
      result.outcome = record.outcome;
      result.detail = std::move(record.detail);
      result.violations = std::move(record.violations);
    }
    const uint64_t finished = done.fetch_add(1) + 1;
    if (progress) {
      std::lock_guard lock(progress_mutex);
      progress(finished, points.size());
    }
  });
  return results;
}

std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

std::string FileSafe(std::string text) {
  for (char& c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_';
    if (!ok) c = '_';
  }
  return text;
}

std::vector<std::vector<std::pair<std::string, SiteHits>>> HitsPerOp(const DryRun& dry) {
  std::vector<std::vector<std::pair<std::string, SiteHits>>> out(dry.plans.size());
  for (size_t i = 0; i < dry.plans.size(); ++i) {
    if (dry.plans[i]) out[i] = dry.plans[i]->hits;
  }
  return out;
}

std::vector<std::string> Warnings(const ExploreOptions& options, const DryRun& dry,
                                  const std::vector<CrashPoint>& points) {
  std::vector<std::string> warnings;
  if (!options.faults.empty()) {
    fp::Spec spec;
    if (fp::ParseSpec(options.faults, &spec, &ops::RegisterCatalogue()).ok()) {
      for (const fp::SpecEntry& entry : spec.entries) {
        for (const fp::Term& term : entry.chain) {
          const bool draws = term.action == fp::Action::kTorn || term.action == fp::Action::kMisdirect ||
                             term.action == fp::Action::kBitflip;
          if (draws && term.argument.kind != fp::Argument::Kind::kNumber) {
            warnings.push_back("the faults arm " + entry.name + " with " + std::string(fp::ActionName(term.action)) +
                               " without a numeric argument: the simulator draws it from a PRNG that restores do "
                               "not rewind, so results may depend on --jobs");
            break;
          }
        }
      }
    }
  }
  std::set<std::string> unobserved;
  bool misaligned = false;
  for (const std::optional<OpPlan>& plan : dry.plans) {
    if (!plan) continue;
    unobserved.insert(plan->unobserved.begin(), plan->unobserved.end());
    for (const WriteSeen& write : plan->writes) {
      misaligned |= write.offset_bytes && *write.offset_bytes % sim::kSectorBytes != 0;
    }
  }
  if (misaligned) {
    warnings.push_back("a stable write started inside a 512-byte sector: torn points at writes whose offset was not "
                       "seen (the last write of a message) assume a sector boundary and may tear inside a sector");
  }
  for (const std::string& site : unobserved) {
    warnings.push_back(site + " is armed by the workload or the faults in some op: every hit of that op was tried "
                              "(points that did not fire are counted as not fired)");
  }
  for (const CrashPoint& point : points) {
    if (point.action == CrashAction::kTorn && point.spec.back() != ')') {
      warnings.push_back("some torn points have no write length (cost accounting off or memory.write unobserved): "
                         "their tear is drawn from the simulator's PRNG");
      break;
    }
  }
  return warnings;
}

}  // namespace

uint64_t ExploreResult::violations() const { return findings.size(); }

ExplorePlan PlanWorkload(const scenario::Scenario& workload, const ExploreOptions& options) {
  ExplorePlan plan;
  DryRun dry = RunDry(workload, options);
  plan.points = EnumeratePoints(dry, options);
  plan.hits_per_op = HitsPerOp(dry);
  plan.dry_run = std::move(dry.records);
  return plan;
}

scenario::Scenario FindingScenario(const scenario::Scenario& workload, const std::vector<ops::StepRecord>& dry_run,
                                   const Finding& finding, const std::string& faults, const std::string& name,
                                   const std::string& layout) {
  scenario::Scenario out;
  out.seed = workload.seed.value_or(0);
  out.layout = driver::LayoutOf(driver::ConfigOf(workload, driver::RunConfig{layout, {}, ""})).name;
  if (finding.point) out.crash_model = CrashModelOf(finding.point->action);
  out.expect_violations.push_back(finding.violations.front().property);
  out.header_comments.push_back(" Found by stablevfs explore in workload " + name + ": op " +
                                std::to_string(finding.op_index) +
                                (finding.line > 0 ? " (line " + std::to_string(finding.line) + ")" : "") + ", " +
                                (finding.point     ? "crash point " + finding.point->spec
                                 : finding.restarted ? "the op restarted from its snapshot (no fault)"
                                                     : "the plain run (no fault)"));
  for (const ops::Violation& v : finding.violations) {
    out.header_comments.push_back(" violation " + v.property + ": " + OneLine(v.message));
  }
  if (!faults.empty()) out.header_comments.push_back(" session-wide faults, re-armed before every message: " + faults);

  // (op, expect, comments) in order, then the faults made explicit before every message op.
  std::vector<scenario::Step> steps;
  for (size_t k = 0; k < finding.op_index; ++k) {
    scenario::Step step;
    step.op = workload.steps[k].op;
    step.comments = workload.steps[k].comments;
    if (k < dry_run.size()) step.expect = dry_run[k].outcome;
    steps.push_back(std::move(step));
  }
  if (finding.restarted) {
    // The explorer ran the op from a snapshot, on a heap rebuilt from stable memory: an upgrade does the same.
    // It goes before the arm, capacity and budget ops that precede the op, so that they still apply to the op.
    size_t at = steps.size();
    while (at > 0 && !ops::IsMessage(ops::KindOf(steps[at - 1].op))) --at;
    scenario::Step upgrade;
    upgrade.op = ops::UpgradeOp{};
    upgrade.expect = ops::Outcome::kCommitted;
    upgrade.comments.push_back(" the explorer runs the op on a heap rebuilt from stable memory, as after an upgrade");
    steps.insert(steps.begin() + static_cast<std::ptrdiff_t>(at), std::move(upgrade));
  }
  if (finding.point) {
    scenario::Step arm;
    arm.op = ops::ArmOp{finding.point->spec};
    arm.comments.push_back(" the crash point (" + std::string(CrashActionName(finding.point->action)) + ")");
    steps.push_back(std::move(arm));
  }
  scenario::Step last;
  last.op = workload.steps[finding.op_index].op;
  last.expect = finding.outcome;
  steps.push_back(std::move(last));

  if (faults.empty()) {
    out.steps = std::move(steps);
    return out;
  }
  // Arms wait for the next message op: the faults go in front of the arm ops before each message, so an
  // explicit arm of the same site, armed later, wins (as in a Session).
  size_t pending_start = 0;
  for (size_t k = 0; k < steps.size(); ++k) {
    if (!ops::IsMessage(ops::KindOf(steps[k].op))) continue;
    scenario::Step arm;
    arm.op = ops::ArmOp{faults};
    out.steps.push_back(std::move(arm));
    for (size_t m = pending_start; m <= k; ++m) out.steps.push_back(steps[m]);
    pending_start = k + 1;
  }
  for (size_t m = pending_start; m < steps.size(); ++m) out.steps.push_back(steps[m]);
  return out;
}

ExploreResult ExploreWorkload(const scenario::Scenario& workload, std::string name, const ExploreOptions& options,
                              const ProgressFn& progress) {
  if (options.jobs == 0) throw std::invalid_argument("explore: jobs must be at least 1");
  if (options.actions.empty()) throw std::invalid_argument("explore: no action to explore");
  ExploreResult result;
  result.name = std::move(name);
  result.ops = workload.steps.size();
  for (const scenario::Step& step : workload.steps) {
    if (ops::IsMessage(ops::KindOf(step.op))) ++result.message_ops;
  }

  // 1. The dry run, on a thread of its own (its Session owns that thread's failpoints).
  const Clock::time_point dry_start = Clock::now();
  const DryRun dry = RunDry(workload, options);
  result.dry_run_seconds = SecondsSince(dry_start);
  result.messages = dry.messages;
  result.dry_run = dry.records;
  result.hits_per_op = HitsPerOp(dry);
  for (const auto& op_hits : result.hits_per_op) {
    for (const auto& [site, hits] : op_hits) result.hits_in_messages[site] += hits.in_messages;
  }
  for (size_t i = 0; i < dry.records.size(); ++i) {
    const ops::StepRecord& record = dry.records[i];
    const scenario::Step& step = workload.steps[i];
    std::vector<ops::Violation> violations = record.violations;
    if (step.expect && record.outcome != step.expect) {
      violations.push_back(ops::Violation{
          "workload.expect", "the workload expects " + std::string(ops::OutcomeName(*step.expect)) + ", the op " +
                                 (record.outcome ? std::string(ops::OutcomeName(*record.outcome)) : "sent no message") +
                                 (record.detail.empty() ? "" : " (" + record.detail + ")")});
    }
    Finding finding;
    finding.op_index = i;
    finding.line = step.line;
    finding.op = ops::PrintOp(step.op);
    if (!violations.empty()) {
      finding.outcome = record.outcome;
      finding.violations = std::move(violations);
      result.findings.push_back(std::move(finding));
    } else if (dry.plans[i] && !dry.plans[i]->restarted_record.ok()) {
      // The op holds in the plain run but not when restarted from its snapshot (the heap rebuilt).
      finding.restarted = true;
      finding.outcome = dry.plans[i]->restarted_record.outcome;
      finding.violations = dry.plans[i]->restarted_record.violations;
      result.findings.push_back(std::move(finding));
    }
  }

  // 2. The points, 3. run by the workers.
  const std::vector<CrashPoint> points = EnumeratePoints(dry, options);
  result.warnings = Warnings(options, dry, points);
  const Clock::time_point explore_start = Clock::now();
  std::vector<PointResult> results = RunPoints(workload, options, dry, points, progress, &result.explore_cpu_seconds);
  result.explore_seconds = SecondsSince(explore_start);

  for (PointResult& point_result : results) {
    const CrashPoint& point = point_result.point;
    SiteActionCount& count = result.by_site_action[{point.site, point.action}];
    ++count.points;
    ++result.points_run;
    if (!point_result.fired) {
      ++count.not_fired;
    } else {
      ++result.crash_points;
      if (point_result.outcome) ++count.outcomes[static_cast<int>(*point_result.outcome)];
    }
    if (!point_result.violations.empty()) {
      ++count.violations;
      Finding finding;
      finding.point = point;
      finding.restarted = true;
      finding.op_index = point.op_index;
      finding.line = workload.steps[point.op_index].line;
      finding.op = ops::PrintOp(workload.steps[point.op_index].op);
      finding.outcome = point_result.outcome;
      finding.violations = point_result.violations;
      result.findings.push_back(std::move(finding));
    }
  }
  if (options.keep_points) result.points = std::move(results);

  // 4. Save and check the reproductions.
  if (!options.save_dir.empty()) {
    size_t saved = 0;
    for (Finding& finding : result.findings) {
      if (saved >= options.save_max) break;
      if (saved == 0) {
        std::error_code ec;
        std::filesystem::create_directories(options.save_dir, ec);  // a failure shows when the file is written
      }
      const scenario::Scenario s =
          FindingScenario(workload, result.dry_run, finding, options.faults, result.name, options.layout);
      std::string file = FileSafe(result.name) + "-op" + std::to_string(finding.op_index);
      if (finding.point) {
        file += "-" + FileSafe(finding.point->site) + "-n" + std::to_string(finding.point->ordinal) + "-" +
                std::string(CrashActionName(finding.point->action));
      } else {
        file += "-dry-run";
      }
      const std::string path = (std::filesystem::path(options.save_dir) / (file + ".scn")).string();
      const std::string write_error = scenario::WriteScenarioFile(path, s);
      if (!write_error.empty()) throw std::runtime_error("explore: cannot save " + path + ": " + write_error);
      finding.scenario_path = path;
      ++saved;
      if (options.verify_saved) {
        bool passed = false;
        OnOwnThread([&] { passed = driver::Replay(s).passed; });
        finding.reproduced = passed;
      }
    }
  }
  return result;
}

}  // namespace stablevfs::explore
