#include "harness/cli/campaign.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "failpoints/catalogue.h"
#include "failpoints/spec.h"
#include "harness/cli/args.h"
#include "harness/driver/replay.h"
#include "harness/faults/layout_sites.h"
#include "harness/driver/shrink.h"
#include "harness/ops/catalogue_setup.h"
#include "harness/ops/op_generator.h"

namespace stablevfs::cli {

std::vector<scenario::CrashModel> ParseCrashModels(const std::string& text, const std::string& option) {
  if (text == "all") {
    return {scenario::CrashModel::kIc, scenario::CrashModel::kError, scenario::CrashModel::kPowerloss,
            scenario::CrashModel::kTorn};
  }
  scenario::CrashModel model;
  if (!scenario::ParseCrashModel(text, &model)) {
    throw UsageError(option + ": unknown crash model '" + text + "' (expected ic, error, powerloss, torn or all)");
  }
  return {model};
}

Shard ParseShard(const std::string& text, const std::string& option) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) {
    throw UsageError(option + ": expected I/N (shard I of N, 0 <= I < N), got '" + text + "'");
  }
  Shard shard;
  shard.index = ParseU64(text.substr(0, slash), option + " index");
  shard.count = ParseU64(text.substr(slash + 1), option + " count");
  if (shard.count == 0) throw UsageError(option + " " + text + ": the shard count N must be at least 1");
  if (shard.index >= shard.count) {
    throw UsageError(option + " " + text + ": shard index " + std::to_string(shard.index) +
                     " is out of range; shards of " + std::to_string(shard.count) + " are numbered 0.." +
                     std::to_string(shard.count - 1));
  }
  return shard;
}

std::string CheckFaultSpec(const std::string& text, const std::string& option) {
  fp::Spec spec;
  const fp::SpecStatus status = fp::ParseSpec(text, &spec, &ops::RegisterCatalogue());
  if (!status.ok()) throw UsageError(option + " '" + text + "': " + status.message());
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") + 1 - begin);
}

ops::GeneratorWeights ParseWeightsOption(const std::string& text, const std::string& option) {
  ops::Parsed<ops::GeneratorWeights> parsed = ops::ParseWeights(text);
  if (!parsed.ok()) {
    throw UsageError(option + " '" + text + "': column " + std::to_string(parsed.error().column) + ": " +
                     parsed.error().message);
  }
  return parsed.value();
}

void RequireStepsInRange(uint64_t steps, const std::string& option) {
  if (steps == 0) throw UsageError(option + ": must be at least 1");
  if (steps > driver::kStepsMax) {
    throw UsageError(option + ": " + std::to_string(steps) + " ops per case is past the limit of " +
                     std::to_string(driver::kStepsMax) +
                     " (a case keeps every op and its record in memory); run more cases instead");
  }
}

CaseOutcome RunCounted(const driver::CaseConfig& config, bool keep_records) {
  driver::CaseResult run = driver::RunCase(config);
  CaseOutcome out;
  out.case_index = config.case_index;
  out.case_seed = run.case_seed;
  out.layout = driver::LayoutOf(config.run()).name;
  out.crash_model = config.crash_model;
  out.ops = run.ops.size();
  out.messages = run.messages;
  out.crash_points = run.crash_points;
  out.violation = run.first_violation;
  out.expected = !out.ok() && config.faults.empty() &&
                 !faults::ExpectedToSurvive(driver::LayoutOf(config.run()).atomicity, config.crash_model);
  out.hits = std::move(run.hits);
  out.cut_at_deadline = run.cut_at_deadline;
  if (keep_records || !out.ok()) out.op_list = std::move(run.ops);
  if (keep_records) out.records = std::move(run.records);
  return out;
}

CaseOutcome RunOpsCounted(uint64_t session_seed, const driver::RunConfig& config,
                          const std::vector<ops::Op>& op_list) {
  driver::RunResult run = driver::RunOps(driver::SessionOptionsFor(config, session_seed), op_list);
  CaseOutcome out;
  out.case_seed = session_seed;
  out.layout = driver::LayoutOf(config).name;
  out.crash_model = config.crash_model;
  out.ops = run.records.size();
  out.messages = run.messages;
  out.crash_points = run.crash_points;
  out.violation = run.first_violation;
  out.hits = std::move(run.hits);
  out.op_list.assign(op_list.begin(), op_list.begin() + static_cast<std::ptrdiff_t>(run.records.size()));
  return out;
}

ScenarioVerdict RunScenarioCounted(const scenario::Scenario& scenario, const driver::RunConfig& config,
                                   const std::function<void(const ops::StepRecord&)>& on_record) {
  driver::ReplayOptions options;
  options.faults = config.faults;
  options.layout = config.layout;
  options.on_record = on_record;
  driver::ReplayResult run = driver::Replay(scenario, options);
  ScenarioVerdict verdict;
  verdict.passed = run.passed;
  verdict.failure = run.failure;
  verdict.expected_violation = run.expected_violation;
  verdict.ops = run.records.size();
  verdict.messages = run.messages;
  verdict.crash_points = run.crash_points;
  verdict.layout = run.layout;
  verdict.hits = std::move(run.hits);
  return verdict;
}

void AddHits(fp::HitSnapshot* into, const fp::HitSnapshot& from) {
  for (const auto& [name, count] : from.hits) into->hits[name] += count;
  for (const auto& [key, count] : from.fired) into->fired[key] += count;
}

uint64_t CampaignResult::messages() const {
  uint64_t total = 0;
  for (const CaseOutcome& c : cases) total += c.messages;
  return total;
}

uint64_t CampaignResult::crash_points() const {
  uint64_t total = 0;
  for (const CaseOutcome& c : cases) total += c.crash_points;
  return total;
}

uint64_t CampaignResult::violations() const {
  uint64_t total = 0;
  for (const CaseOutcome& c : cases) total += c.ok() ? 0 : 1;
  return total;
}

uint64_t CampaignResult::expected_violations() const {
  uint64_t total = 0;
  for (const CaseOutcome& c : cases) total += !c.ok() && c.expected ? 1 : 0;
  return total;
}

const CaseOutcome* CampaignResult::first_violation(bool include_expected) const {
  for (const CaseOutcome& c : cases) {
    if (!c.ok() && (include_expected || !c.expected)) return &c;
  }
  return nullptr;
}

const CaseOutcome* CampaignResult::first_expected(scenario::CrashModel model) const {
  for (const CaseOutcome& c : cases) {
    if (!c.ok() && c.expected && c.crash_model == model) return &c;
  }
  return nullptr;
}

CampaignResult RunCampaign(const CampaignPlan& plan, const std::function<void(const CampaignTally&)>& on_progress) {
  const Clock::time_point start = Clock::now();
  ops::RegisterCatalogue();  // once, before the workers race to it

  // Position j of the shard's sequence is case shard.index + j * shard.count.
  std::atomic<uint64_t> next_position{0};
  // The lowest position that found a violation; positions after it are not started.
  std::atomic<uint64_t> stop_after{UINT64_MAX};
  std::atomic<bool> deadline_reached{false};
  std::mutex mutex;
  std::map<uint64_t, CaseOutcome> done;  // by position
  // Positions below `folded` are done and their counters are in `hits`. Folding stops at the first position not
  // yet done, so it never passes a violation still running; and it stops after stop_after.
  uint64_t folded = 0;
  fp::HitSnapshot hits;
  std::array<fp::HitSnapshot, scenario::kCrashModelCount> hits_by_model;
  CampaignTally tally;
  std::exception_ptr failure;

  auto worker = [&]() {
    for (;;) {
      const uint64_t position = next_position.fetch_add(1);
      if (plan.deadline && position >= plan.min_cases && Clock::now() >= *plan.deadline) {
        deadline_reached = true;
        return;
      }
      const uint64_t case_index = plan.shard.index + position * plan.shard.count;
      if (plan.case_count && case_index >= *plan.case_count) return;
      if (position > stop_after.load()) return;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (failure) return;
      }
      driver::CaseConfig config;
      config.seed = plan.seed;
      config.case_index = case_index;
      config.steps = plan.steps;
      config.crash_model = plan.crash_models[case_index % plan.crash_models.size()];
      config.faults = plan.faults;
      config.weights = plan.weights;
      config.layout = plan.layout;
      config.deadline = plan.deadline;
      if (plan.on_case_steps) {
        config.on_steps = [&plan, case_index](uint64_t steps) { plan.on_case_steps(case_index, steps); };
      }
      try {
        CaseOutcome outcome = RunCounted(config, /*keep_records=*/false);
        std::lock_guard<std::mutex> lock(mutex);
        if (!outcome.ok() && plan.stop_at_violation && (!outcome.expected || plan.stop_at_expected)) {
          uint64_t current = stop_after.load();
          while (position < current && !stop_after.compare_exchange_weak(current, position)) {
          }
        }
        if (outcome.cut_at_deadline) deadline_reached = true;
        ++tally.cases;
        tally.messages += outcome.messages;
        tally.violations += outcome.ok() ? 0 : 1;
        done.emplace(position, std::move(outcome));
        for (auto it = done.find(folded); it != done.end() && folded <= stop_after.load(); it = done.find(++folded)) {
          AddHits(&hits, it->second.hits);
          AddHits(&hits_by_model[static_cast<size_t>(it->second.crash_model)], it->second.hits);
          if (it->second.ok()) it->second.hits = {};
        }
        if (on_progress) on_progress(tally);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        return;
      }
    }
  };

  const unsigned jobs = std::max(1u, plan.jobs);
  if (jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < jobs; ++i) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }
  if (failure) std::rethrow_exception(failure);

  CampaignResult result;
  const uint64_t last = stop_after.load();
  // Every position up to `last` (or every position, without a violation) is done, so folding reached it.
  result.hits = std::move(hits);
  result.hits_by_model = std::move(hits_by_model);
  // Positions are handed out in order and every started case finishes, so `done` holds 0..max without gaps.
  for (auto& [position, outcome] : done) {
    if (position > last) break;
    result.cases.push_back(std::move(outcome));
  }
  const bool complete = plan.case_count &&
                        (result.cases.empty() ? plan.shard.index >= *plan.case_count
                                              : result.cases.back().case_index + plan.shard.count >= *plan.case_count);
  const bool cut = std::any_of(result.cases.begin(), result.cases.end(),
                               [](const CaseOutcome& c) { return c.cut_at_deadline; });
  result.deadline_reached = (deadline_reached && !complete && last == UINT64_MAX) || cut;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

std::string Plural(uint64_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

std::string ShellQuote(const std::string& text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-_./=:,+%@").find(c) != std::string::npos;
  });
  if (plain) return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

namespace {

// A comment line must not hold a newline; long messages are cut so the header stays readable.
std::string OneLine(std::string text, size_t max_chars = 200) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  if (text.size() > max_chars) text = text.substr(0, max_chars) + "...";
  return text;
}

}  // namespace

Counterexample SaveCounterexample(const CaseOutcome& failed, const std::string& faults, const std::string& save_dir,
                                  const std::string& file_stem, const std::string& origin,
                                  const std::string& seed_replay, size_t shrink_runs_max) {
  Counterexample out;
  out.property = failed.violation->violation.property;
  out.message = failed.violation->violation.message;
  out.original_ops = failed.op_list.size();

  driver::ShrinkOptions options;
  options.session = driver::SessionOptionsFor(driver::RunConfig{failed.layout, failed.crash_model, faults},
                                              failed.case_seed);
  options.crash_model = failed.crash_model;
  options.property = out.property;
  options.max_runs = shrink_runs_max;
  const driver::ShrinkResult shrunk = driver::Shrink(failed.op_list, options);
  out.reproduced = shrunk.reproduced;
  out.shrink_runs = shrunk.runs;

  std::vector<ops::Op> ops_list = shrunk.reproduced ? shrunk.ops : failed.op_list;
  std::vector<ops::StepRecord> records = shrunk.reproduced ? shrunk.records : std::vector<ops::StepRecord>{};
  const std::string needed_faults = shrunk.reproduced ? shrunk.faults : faults;
  out.shrunk_ops = ops_list.size();

  std::filesystem::path path = std::filesystem::path(save_dir) / (file_stem + ".scn");
  std::vector<std::string> comments = {
      " counterexample: " + origin,
      " violates " + out.property + ": " + OneLine(out.message),
      shrunk.reproduced ? " shrunk from " + Plural(out.original_ops, "op") + " to " + Plural(out.shrunk_ops, "op") +
                              " in " + Plural(shrunk.runs, "run")
                        : " not shrunk: the shrinker did not see the violation again (a nondeterminism bug)",
  };
  if (!shrunk.faults_made_explicit.empty()) {
    comments.push_back(" the session-wide faults " + faults + " are made explicit as arm lines (" +
                       shrunk.faults_made_explicit + ")");
  }
  std::string replay = "stablevfs replay " + ShellQuote(path.string());
  if (!needed_faults.empty()) replay += " --faults " + ShellQuote(needed_faults);
  comments.push_back(" replay: " + replay);
  comments.push_back(" It fails (exit 1) until the bug is fixed; then move it into scenarios/ as a regression test.");

  const scenario::Scenario scenario =
      driver::MakeScenario(failed.case_seed, driver::RunConfig{failed.layout, failed.crash_model, ""}, ops_list,
                           records, std::nullopt, comments);
  std::error_code ec;
  std::filesystem::create_directories(save_dir, ec);
  if (ec) {
    out.save_error = "cannot create " + save_dir + ": " + ec.message();
  } else {
    out.save_error = scenario::WriteScenarioFile(path.string(), scenario);
  }
  if (out.save_error.empty()) {
    out.path = path.string();
    out.replay_command = replay;
  } else {
    out.replay_command = seed_replay;
  }
  return out;
}

Coverage ComputeCoverage(const fp::HitSnapshot& hits, const LayoutInfo& layout) {
  Coverage coverage;
  for (const fp::SiteInfo& site : faults::SitesReachedBy(layout, ops::RegisterCatalogue())) {
    ++coverage.sites;
    if (hits.HitsOf(site.name) > 0) ++coverage.sites_hit;
    for (int a = 1; a < fp::kActionCount; ++a) {
      const fp::Action action = static_cast<fp::Action>(a);
      if (!site.Accepts(action)) continue;
      ++coverage.pairs;
      if (hits.FiredOf(site.name, action) > 0) {
        ++coverage.pairs_fired;
      } else {
        coverage.missing.push_back(std::string(site.name) + ":" + std::string(fp::ActionName(action)));
      }
    }
  }
  return coverage;
}

}  // namespace stablevfs::cli
